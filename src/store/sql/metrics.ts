/** Migration v7 (metric history). Owned by the feature; append-only once released. */
export const version = 7;
export const name = 'metric history';
export const sql = `
  -- placeholder: replaced by the feature's schema
  SELECT 1;
`;
