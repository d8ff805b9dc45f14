import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from './migrations.js';

export class StateError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export type DB = Database.Database;

/**
 * Opens (creating if needed) the state file DIR/opsdeck.db: directory 0700, file 0600, WAL mode,
 * migrations applied. A corrupt or unwritable file gives a StateError naming the path.
 */
export function openState(dir: string): { db: DB; path: string } {
  const path = join(dir, 'opsdeck.db');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(dir, 0o700);
  } catch (e) {
    throw new StateError(path, `cannot create the state directory ${dir}: ${errText(e)}`);
  }
  try {
    // Create the file with 0600 before SQLite does, so it never exists with a wider mode; tighten
    // one that an older version or a careless copy left wider.
    closeSync(openSync(path, 'a', 0o600));
    const fst = statSync(path);
    if ((fst.mode & 0o077) !== 0 && fst.uid === process.getuid?.()) chmodSync(path, 0o600);
  } catch (e) {
    throw new StateError(path, `cannot open the state file ${path}: ${errText(e)}`);
  }
  let db: DB;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (e) {
    throw new StateError(path, describeOpenError(path, e));
  }
  return { db, path };
}

function describeOpenError(path: string, e: unknown): string {
  const code = (e as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return `the state file ${path} is not a valid opsdeck database (${code}); move it aside and opsdeck starts a new one`;
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code.startsWith('SQLITE_IOERR')) {
    return `cannot write the state file ${path} (${code}); check its owner and permissions`;
  }
  return `cannot use the state file ${path}: ${errText(e)}`;
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}${err.message ? ` — ${err.message.split('\n')[0]}` : ''}` : String(e);
}

export function schemaVersion(db: DB): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies pending migrations; each is one transaction, so a failure leaves the previous version. */
export function migrate(db: DB): number {
  let current = schemaVersion(db);
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }).immediate();
    current = m.version;
  }
  return current;
}
