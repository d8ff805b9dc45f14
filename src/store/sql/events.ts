/** Migration v6 (docker events (timeline)). Owned by the feature; append-only once released. */
export const version = 6;
export const name = 'docker events (timeline)';
export const sql = `
  -- Docker events worth keeping for the incident timeline (src/timeline/recorder.ts): container
  -- lifecycle (create, start, die with exit code, oom, kill with signal, restart, stop, health status
  -- changes, destroy, rename, pause) and image pull/delete/tag. Written by the live recorder (cockpit,
  -- agent) and by a backfill from dockerd's in-memory event buffer (the CLI, each start), so the same
  -- event can arrive twice: the unique key drops the second copy.
  -- time_nano: Docker's timeNano (ns since the epoch), the exact order of the engine's events.
  -- Retention (src/timeline/store.ts): 30 days and 100,000 rows, pruned by the recorder.
  CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time_nano  INTEGER NOT NULL,
    type       TEXT    NOT NULL CHECK (type IN ('container', 'image')),
    action     TEXT    NOT NULL,
    actor_id   TEXT    NOT NULL,
    -- container name (without the leading slash) or image reference
    name       TEXT,
    project    TEXT,
    service    TEXT,
    image      TEXT,
    exit_code  INTEGER,
    signal     TEXT,
    -- the few other attributes worth showing (oldName of a rename …), JSON
    extra      TEXT    NOT NULL DEFAULT '{}',
    UNIQUE (time_nano, actor_id, action)
  );
  CREATE INDEX events_time ON events(time_nano);
  CREATE INDEX events_name_time ON events(name, time_nano);
  CREATE INDEX events_project_time ON events(project, time_nano);
`;
