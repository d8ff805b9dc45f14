/** Migration v5: restores and restore drills (src/store/restores.ts). Append-only once released. */
export const version = 5;
export const name = 'restores and drills';
export const sql = `
  -- One row per restore walkthrough or drill. A row is inserted 'running' when the steps begin and
  -- finished once; steps is the JSON list of {id, title, status, durationMs, detail|error} as shown.
  -- status: ok; failed (nothing was changed, or a drill that failed); rolled-back (a restore failed
  -- and the safety backup was put back); rollback-failed (both failed: message says what state
  -- things are in and where the safety backup is).
  CREATE TABLE restores (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL CHECK (kind IN ('restore', 'drill')),
    target           TEXT    NOT NULL,
    backup_id        TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'rolled-back', 'rollback-failed')),
    started_at       TEXT    NOT NULL,
    finished_at      TEXT,
    duration_ms      INTEGER,
    failed_step      TEXT,
    message          TEXT,
    safety_backup_id TEXT,
    steps            TEXT    NOT NULL DEFAULT '[]',
    details          TEXT    NOT NULL DEFAULT '{}',
    by_user          TEXT    NOT NULL,
    host             TEXT    NOT NULL
  );
  CREATE INDEX restores_target_started ON restores(target, started_at);
  CREATE INDEX restores_backup_started ON restores(backup_id, started_at);
`;
