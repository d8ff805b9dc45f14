import * as restoreSql from './sql/restore.js';
import * as eventsSql from './sql/events.js';
import * as metricsSql from './sql/metrics.js';
import * as endpointsSql from './sql/endpoints.js';

/** Versioned schema changes, applied in order, each once, each in its own transaction. Append only. */
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'audit and locks',
    sql: `
      CREATE TABLE audit (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT    NOT NULL,
        user        TEXT    NOT NULL,
        host        TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        target      TEXT,
        params      TEXT    NOT NULL DEFAULT '{}',
        result      TEXT    NOT NULL CHECK (result IN ('ok', 'failed', 'refused', 'cancelled')),
        error       TEXT,
        duration_ms INTEGER
      );
      CREATE INDEX audit_at ON audit(at);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      CREATE TABLE locks (
        target     TEXT PRIMARY KEY,
        action     TEXT    NOT NULL,
        pid        INTEGER NOT NULL,
        host       TEXT    NOT NULL,
        user       TEXT    NOT NULL,
        started_at TEXT    NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'check states and alerts',
    sql: `
      -- The confirmed (damped) status of each check, so a restarted opsdeck does not alert again.
      CREATE TABLE check_state (
        name       TEXT PRIMARY KEY,
        status     TEXT NOT NULL CHECK (status IN ('ok', 'warn', 'crit', 'unknown')),
        since      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- One row per confirmed transition or reminder; the delivery columns say what the webhook did.
      CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        check_name  TEXT    NOT NULL,
        kind        TEXT    NOT NULL CHECK (kind IN ('transition', 'reminder')),
        from_status TEXT             CHECK (from_status IN ('ok', 'warn', 'crit', 'unknown')),
        to_status   TEXT    NOT NULL CHECK (to_status IN ('ok', 'warn', 'crit', 'unknown')),
        message     TEXT    NOT NULL,
        at          TEXT    NOT NULL,
        notified_at TEXT,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        -- why no notification is sent (maintenance, ...); NULL when it is
        suppressed  TEXT
      );
      CREATE INDEX alerts_check_at ON alerts(check_name, at);
      CREATE INDEX alerts_at ON alerts(at);
    `,
  },
  {
    version: 3,
    name: 'backups',
    sql: `
      -- One row per backup run (src/store/backups.ts). Times are ISO strings, as elsewhere. A row is
      -- inserted 'running' before the first byte is written; the file column names the finished file
      -- (never the .partial). deleted_at: the file was removed by retention (the row stays for history).
      CREATE TABLE backups (
        id              TEXT    PRIMARY KEY,
        target          TEXT    NOT NULL,
        kind            TEXT    NOT NULL,
        file            TEXT    NOT NULL,
        status          TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
        started_at      TEXT    NOT NULL,
        finished_at     TEXT,
        duration_ms     INTEGER,
        size_bytes      INTEGER,
        sha256          TEXT,
        verified        INTEGER CHECK (verified IN (0, 1)),
        verified_at     TEXT,
        verify_message  TEXT,
        error           TEXT,
        details         TEXT    NOT NULL DEFAULT '{}',
        opsdeck_version TEXT    NOT NULL,
        deleted_at      TEXT
      );
      CREATE INDEX backups_target_started ON backups(target, started_at);
      CREATE INDEX backups_started ON backups(started_at);
    `,
  },
  {
    version: 4,
    name: 'maintenance windows',
    sql: `
      -- One row per maintenance window (src/store/maintenance.ts). At most one is open (ended_at NULL):
      -- the partial unique index makes a second "enter" fail instead of racing. stopped and tasks are
      -- JSON arrays, rewritten as each container is stopped and each task ends, so a process killed
      -- half-way leaves a window the next one can show and finish.
      CREATE TABLE maintenance_windows (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        scope        TEXT    NOT NULL,
        project      TEXT,
        reason       TEXT    NOT NULL DEFAULT '',
        by_user      TEXT    NOT NULL,
        host         TEXT    NOT NULL,
        phase        TEXT    NOT NULL CHECK (phase IN ('entering', 'on', 'exiting', 'ended')),
        started_at   TEXT    NOT NULL,
        planned_end  TEXT,
        ended_at     TEXT,
        duration_ms  INTEGER,
        flag_file    TEXT,
        planned_stop TEXT    NOT NULL DEFAULT '[]',
        stopped      TEXT    NOT NULL DEFAULT '[]',
        tasks        TEXT    NOT NULL DEFAULT '[]',
        last_error   TEXT
      );
      CREATE UNIQUE INDEX maintenance_one_open ON maintenance_windows(phase IS NOT 'ended') WHERE ended_at IS NULL;
      CREATE INDEX maintenance_started ON maintenance_windows(started_at);
    `,
  },
  // v5+ live in src/store/sql/, one file per feature.
  { version: restoreSql.version, name: restoreSql.name, sql: restoreSql.sql },
  { version: eventsSql.version, name: eventsSql.name, sql: eventsSql.sql },
  { version: metricsSql.version, name: metricsSql.name, sql: metricsSql.sql },
  { version: endpointsSql.version, name: endpointsSql.name, sql: endpointsSql.sql },
];
