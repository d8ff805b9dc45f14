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
];
