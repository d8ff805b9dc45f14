/** Migration v6 (docker events (timeline)). Owned by the feature; append-only once released. */
export const version = 6;
export const name = 'docker events (timeline)';
export const sql = `
  -- placeholder: replaced by the feature's schema
  SELECT 1;
`;
