/** Migration v5 (restores and drills). Owned by the feature; append-only once released. */
export const version = 5;
export const name = 'restores and drills';
export const sql = `
  -- placeholder: replaced by the feature's schema
  SELECT 1;
`;
