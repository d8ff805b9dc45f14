/** Migration v7 (metric history). Owned by the feature; append-only once released. */
export const version = 7;
export const name = 'metric history';
export const sql = `
  -- One row per metric series (src/metrics/store.ts). key is the stable id ("host.cpu",
  -- "host.disk:/", "container:shop-db-1.mem"); limit_value the latest known ceiling (disk size,
  -- memory limit, Redis maxmemory), NULL for none. first_at/last_at: epoch seconds of the first and
  -- last sample (last_at is brought up to date by compaction); a series whose last_at is older than
  -- the longest retention has no samples left and is removed.
  CREATE TABLE metric_series (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    grp         TEXT    NOT NULL CHECK (grp IN ('host', 'containers', 'databases', 'volumes')),
    unit        TEXT    NOT NULL CHECK (unit IN ('percent', 'bytes', 'bytesPerSec', 'load')),
    limit_value REAL,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL
  );

  -- Samples of every resolution: tier 0 as collected, tier N (> 0) averages over N seconds made by
  -- compaction. Time-major key: a round's rows are appended together, a window of all series is one
  -- range scan, and retention deletes a range at the start of a tier. tier DESC puts raw (written
  -- every round) last in the file, so its appends go to the rightmost page and leave pages full.
  CREATE TABLE metric_samples (
    tier   INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    series INTEGER NOT NULL,
    value  REAL    NOT NULL,
    PRIMARY KEY (tier DESC, at, series)
  ) WITHOUT ROWID;

  -- How far each downsampled tier has been made (epoch s, exclusive).
  CREATE TABLE metric_rollups (
    tier       INTEGER PRIMARY KEY,
    done_until INTEGER NOT NULL
  );
`;
