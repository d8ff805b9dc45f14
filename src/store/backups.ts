/**
 * The backup history: one row per run, inserted `running` before the first byte is written and
 * finished as `ok` or `failed`; verification and retention update it later. Times are epoch ms in the
 * API and ISO strings in the table (as the audit log and the alerts keep them).
 *
 * A `running` row whose process is gone (no live holder of the target's lock) is shown as failed
 * "interrupted" by every read here, and made so for good by reconcileInterrupted (the next run of the
 * target calls it while holding the lock).
 */
import type { BackupRecord, BackupStatus, BackupTargetKind, DetailValue } from '../backup/types.js';
import { VERSION } from '../version.js';
import type { DB } from './db.js';
import { isStale, type LockHolder } from './locks.js';

/** What the history holds: the contract's record plus when retention removed the file. */
export interface StoredBackup extends BackupRecord {
  /** Epoch ms when retention (or prune) deleted the file; null while it exists. */
  deletedAt: number | null;
}

/** The error a run gets when its process ended before it finished (kill -9, power loss, OOM). */
export const INTERRUPTED = 'interrupted (process ended before the backup finished)';

/** The lock (and audit target) every backup, verify-write and prune of a target shares. */
export function backupLockKey(target: string): string {
  return `backup:${target}`;
}

interface Row {
  id: string;
  target: string;
  kind: BackupTargetKind;
  file: string;
  status: BackupStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  sha256: string | null;
  verified: 0 | 1 | null;
  verified_at: string | null;
  verify_message: string | null;
  error: string | null;
  details: string;
  opsdeck_version: string;
  deleted_at: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string | null) => (text === null ? null : Date.parse(text));

function parseDetails(text: string): Record<string, DetailValue> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, DetailValue>) : {};
  } catch {
    return {};
  }
}

function fromRow(r: Row): StoredBackup {
  return {
    id: r.id,
    target: r.target,
    kind: r.kind,
    file: r.file,
    status: r.status,
    startedAt: Date.parse(r.started_at),
    finishedAt: ms(r.finished_at),
    durationMs: r.duration_ms,
    sizeBytes: r.size_bytes,
    sha256: r.sha256,
    verified: r.verified === null ? null : r.verified === 1,
    verifiedAt: ms(r.verified_at),
    verifyMessage: r.verify_message,
    error: r.error,
    details: parseDetails(r.details),
    opsdeckVersion: r.opsdeck_version,
    deletedAt: ms(r.deleted_at),
  };
}

interface LockRow { target: string; action: string; pid: number; host: string; user: string; started_at: string }

/** Whether a live process holds the target's lock (a dead holder on this host does not count). */
function lockLive(db: DB, target: string): boolean {
  const row = db.prepare('SELECT * FROM locks WHERE target = ?').get(backupLockKey(target)) as LockRow | undefined;
  if (!row) return false;
  const holder: LockHolder = { target: row.target, action: row.action, pid: row.pid, host: row.host, user: row.user, startedAt: row.started_at };
  return !isStale(holder);
}

/** A `running` row nobody is running any more reads as failed "interrupted". */
function present(db: DB, r: Row, live: Map<string, boolean>): StoredBackup {
  const rec = fromRow(r);
  if (rec.status !== 'running') return rec;
  let isLive = live.get(rec.target);
  if (isLive === undefined) {
    isLive = lockLive(db, rec.target);
    live.set(rec.target, isLive);
  }
  return isLive ? rec : { ...rec, status: 'failed', error: INTERRUPTED };
}

/** `base` when no backup has that id yet, else `base-2`, `base-3` … (two runs in one second). */
export function uniqueBackupId(db: DB, base: string): string {
  const taken = db.prepare('SELECT 1 FROM backups WHERE id = ?');
  if (!taken.get(base)) return base;
  for (let n = 2; ; n++) if (!taken.get(`${base}-${n}`)) return `${base}-${n}`;
}

export interface NewBackup {
  id: string;
  target: string;
  kind: BackupTargetKind;
  /** The finished file's absolute path (what it will be once the run succeeds). */
  file: string;
  startedAt: number;
  opsdeckVersion?: string;
  /** The Docker endpoint whose container was dumped. */
  endpoint?: string | null;
}

export function insertRunning(db: DB, b: NewBackup): StoredBackup {
  db.prepare(
    `INSERT INTO backups (id, target, kind, file, status, started_at, opsdeck_version, endpoint) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`,
  ).run(b.id, b.target, b.kind, b.file, iso(b.startedAt), b.opsdeckVersion ?? VERSION, b.endpoint ?? null);
  return stored(db, b.id);
}

export function finishOk(
  db: DB,
  id: string,
  r: { finishedAt: number; sizeBytes: number; sha256: string; details: Record<string, DetailValue>; file?: string },
): StoredBackup {
  const row = db.prepare('SELECT started_at FROM backups WHERE id = ?').get(id) as { started_at: string } | undefined;
  if (!row) throw new Error(`no backup ${id}`);
  db.prepare(
    `UPDATE backups SET status = 'ok', finished_at = ?, duration_ms = ?, size_bytes = ?, sha256 = ?, details = ?, error = NULL,
            file = COALESCE(?, file) WHERE id = ?`,
  ).run(iso(r.finishedAt), r.finishedAt - Date.parse(row.started_at), r.sizeBytes, r.sha256, JSON.stringify(r.details), r.file ?? null, id);
  return stored(db, id);
}

export function finishFailed(db: DB, id: string, r: { finishedAt: number; error: string; details?: Record<string, DetailValue> }): StoredBackup {
  const row = db.prepare('SELECT started_at FROM backups WHERE id = ?').get(id) as { started_at: string } | undefined;
  if (!row) throw new Error(`no backup ${id}`);
  db.prepare(
    `UPDATE backups SET status = 'failed', finished_at = ?, duration_ms = ?, error = ?, details = COALESCE(?, details) WHERE id = ?`,
  ).run(iso(r.finishedAt), r.finishedAt - Date.parse(row.started_at), r.error, r.details ? JSON.stringify(r.details) : null, id);
  return stored(db, id);
}

/** Records a verification's outcome (the latest one wins; a failed one takes the backup out of latestGood). */
export function setVerified(db: DB, id: string, v: { ok: boolean; message: string; at: number }): StoredBackup {
  const info = db.prepare('UPDATE backups SET verified = ?, verified_at = ?, verify_message = ? WHERE id = ?').run(v.ok ? 1 : 0, iso(v.at), v.message, id);
  if (info.changes === 0) throw new Error(`no backup ${id}`);
  return stored(db, id);
}

/** The file is gone (retention, prune): the row stays for the history, hidden unless asked for. */
export function markDeleted(db: DB, id: string, at: number = Date.now()): void {
  db.prepare('UPDATE backups SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?').run(iso(at), id);
}

/**
 * Makes `running` rows whose process is gone `failed` with INTERRUPTED; returns them (as now stored).
 * `ownLock`: the caller holds the target's lock and has not inserted its own row yet, so every
 * running row of that target belongs to a run that ended. Without it only rows whose target lock
 * no live process holds are touched.
 */
export function reconcileInterrupted(db: DB, opts: { target?: string; ownLock?: boolean; at?: number } = {}): StoredBackup[] {
  if (opts.ownLock && !opts.target) throw new Error('reconcileInterrupted: ownLock needs the target');
  const rows = (opts.target
    ? db.prepare("SELECT * FROM backups WHERE status = 'running' AND target = ?").all(opts.target)
    : db.prepare("SELECT * FROM backups WHERE status = 'running'").all()) as Row[];
  const at = opts.at ?? Date.now();
  const done: StoredBackup[] = [];
  for (const r of rows) {
    if (!opts.ownLock && lockLive(db, r.target)) continue;
    // The row's end is unknown: the run ended somewhere before now; duration stays unknown.
    db.prepare("UPDATE backups SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'").run(iso(at), INTERRUPTED, r.id);
    done.push(stored(db, r.id));
  }
  return done;
}

/** The row as written (no interrupted view: the writer functions return what they wrote). */
function stored(db: DB, id: string): StoredBackup {
  return fromRow(db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as Row);
}

/** One backup by id (deleted ones too), with the interrupted view applied. */
export function getBackup(db: DB, id: string): StoredBackup | null {
  const row = db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as Row | undefined;
  return row ? present(db, row, new Map()) : null;
}

/** Newest first; deleted backups only with includeDeleted. */
export function listBackups(db: DB, opts: { target?: string; limit?: number; includeDeleted?: boolean } = {}): StoredBackup[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.target !== undefined) { where.push('target = ?'); args.push(opts.target); }
  if (!opts.includeDeleted) where.push('deleted_at IS NULL');
  const sql = `SELECT * FROM backups ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
  const live = new Map<string, boolean>();
  return (db.prepare(sql).all(...args, opts.limit ?? -1) as Row[]).map((r) => present(db, r, live));
}

/** The newest backup of a target that finished ok, passed verification and still exists. */
export function latestGood(db: DB, target: string): StoredBackup | null {
  const row = db
    .prepare("SELECT * FROM backups WHERE target = ? AND status = 'ok' AND verified = 1 AND deleted_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1")
    .get(target) as Row | undefined;
  return row ? fromRow(row) : null;
}

/** Every target the history knows (for listings that include targets no longer configured). */
export function historyTargets(db: DB): string[] {
  return (db.prepare('SELECT DISTINCT target FROM backups ORDER BY target').all() as { target: string }[]).map((r) => r.target);
}
