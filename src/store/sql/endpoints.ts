/** Migration v8 (the endpoint each record belongs to). Owned by the feature; append-only once released. */
export const version = 8;
export const name = 'endpoint of audit rows, backups, alerts and events';
export const sql = `
  -- With several Docker engines in one opsdeck (config endpoints:, Docker contexts), every record
  -- says which engine it belongs to: the endpoint's name ("local" when there is one). NULL in rows
  -- written before this migration: they belong to the one engine there was.
  ALTER TABLE audit    ADD COLUMN endpoint TEXT;
  ALTER TABLE backups  ADD COLUMN endpoint TEXT;
  ALTER TABLE alerts   ADD COLUMN endpoint TEXT;
  ALTER TABLE events   ADD COLUMN endpoint TEXT;
  CREATE INDEX audit_endpoint ON audit(endpoint, at);
`;
