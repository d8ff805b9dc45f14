/**
 * The history of restores and restore drills: one row per walkthrough or drill (migration v5).
 * Times are epoch ms in the API and ISO strings in the table, as elsewhere in the store.
 */
import type { DB } from './db.js';
import { listLocks } from './locks.js';

export type RestoreKind = 'restore' | 'drill';
export type RestoreStatus = 'running' | 'ok' | 'failed' | 'rolled-back' | 'rollback-failed';

export interface StepRecord {
  id: string;
  title: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  durationMs?: number;
  detail?: string;
  error?: string;
}

export interface RestoreRecord {
  id: number;
  kind: RestoreKind;
  target: string;
  backupId: string;
  status: RestoreStatus;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  failedStep: string | null;
  message: string | null;
  safetyBackupId: string | null;
  steps: StepRecord[];
  details: Record<string, unknown>;
  byUser: string;
  host: string;
}

interface Row {
  id: number;
  kind: RestoreKind;
  target: string;
  backup_id: string;
  status: RestoreStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  failed_step: string | null;
  message: string | null;
  safety_backup_id: string | null;
  steps: string;
  details: string;
  by_user: string;
  host: string;
}

function json<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function fromRow(r: Row): RestoreRecord {
  return {
    id: r.id, kind: r.kind, target: r.target, backupId: r.backup_id, status: r.status,
    startedAt: Date.parse(r.started_at), finishedAt: r.finished_at ? Date.parse(r.finished_at) : null, durationMs: r.duration_ms,
    failedStep: r.failed_step, message: r.message, safetyBackupId: r.safety_backup_id,
    steps: json<StepRecord[]>(r.steps, []), details: json<Record<string, unknown>>(r.details, {}), byUser: r.by_user, host: r.host,
  };
}

export function insertRestore(db: DB, r: { kind: RestoreKind; target: string; backupId: string; startedAt: number; byUser: string; host: string }): number {
  const res = db.prepare('INSERT INTO restores (kind, target, backup_id, status, started_at, by_user, host) VALUES (?, ?, ?, \'running\', ?, ?, ?)')
    .run(r.kind, r.target, r.backupId, new Date(r.startedAt).toISOString(), r.byUser, r.host);
  return Number(res.lastInsertRowid);
}

/** Rewrites the step list while the run goes on (a killed process leaves what it got to). */
export function updateRestoreSteps(db: DB, id: number, steps: readonly StepRecord[], safetyBackupId?: string | null): void {
  db.prepare('UPDATE restores SET steps = ?, safety_backup_id = COALESCE(?, safety_backup_id) WHERE id = ?').run(JSON.stringify(steps), safetyBackupId ?? null, id);
}

export function finishRestore(
  db: DB,
  id: number,
  r: { status: Exclude<RestoreStatus, 'running'>; finishedAt: number; message: string | null; failedStep?: string | null; steps: readonly StepRecord[]; details?: Record<string, unknown>; safetyBackupId?: string | null },
): RestoreRecord {
  const started = db.prepare('SELECT started_at FROM restores WHERE id = ?').get(id) as { started_at: string } | undefined;
  const durationMs = started ? r.finishedAt - Date.parse(started.started_at) : null;
  db.prepare(`UPDATE restores SET status = ?, finished_at = ?, duration_ms = ?, failed_step = ?, message = ?, steps = ?, details = ?,
      safety_backup_id = COALESCE(?, safety_backup_id) WHERE id = ?`)
    .run(r.status, new Date(r.finishedAt).toISOString(), durationMs, r.failedStep ?? null, r.message, JSON.stringify(r.steps), JSON.stringify(r.details ?? {}), r.safetyBackupId ?? null, id);
  return getRestore(db, id)!;
}

export function getRestore(db: DB, id: number): RestoreRecord | null {
  const row = db.prepare('SELECT * FROM restores WHERE id = ?').get(id) as Row | undefined;
  return row ? fromRow(row) : null;
}

export function listRestores(db: DB, opts: { target?: string; kind?: RestoreKind; limit?: number } = {}): RestoreRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.target) { where.push('target = ?'); args.push(opts.target); }
  if (opts.kind) { where.push('kind = ?'); args.push(opts.kind); }
  const sql = `SELECT * FROM restores ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, opts.limit ?? 50) as Row[]).map(fromRow);
}

/** The newest finished drill per target (ok or failed), for the Backups view and the backup check. */
export function lastDrills(db: DB): Map<string, RestoreRecord> {
  const rows = db.prepare(`SELECT r.* FROM restores r JOIN (
      SELECT target, MAX(started_at) AS s FROM restores WHERE kind = 'drill' AND status != 'running' GROUP BY target
    ) m ON r.target = m.target AND r.started_at = m.s WHERE r.kind = 'drill'`).all() as Row[];
  return new Map(rows.map((r) => [r.target, fromRow(r)]));
}

/**
 * Runs of `kind` on `target` still marked running whose process is gone (no live holder of `lockKey`:
 * a kill -9, a power cut): finished as failed "interrupted" with the step they were in, and returned
 * as they were, for the message that tells the operator what may be half-done.
 */
export function reconcileInterruptedRestores(db: DB, target: string, kind: RestoreKind, lockKey: string, at = Date.now()): RestoreRecord[] {
  const holder = listLocks(db).find((l) => l.target === lockKey);
  if (holder && !holder.stale) return [];
  const rows = (db.prepare("SELECT * FROM restores WHERE target = ? AND kind = ? AND status = 'running' ORDER BY started_at").all(target, kind) as Row[]).map(fromRow);
  for (const r of rows) {
    const step = r.steps.filter((s) => s.status === 'running').pop() ?? r.steps[r.steps.length - 1];
    const steps = r.steps.map((s) => (s.status === 'running' ? { ...s, status: 'failed' as const, error: 'interrupted' } : s));
    finishRestore(db, r.id, { status: 'failed', finishedAt: at, message: `interrupted: the process ended${step ? ` during "${step.title}"` : ''}`, failedStep: step?.id ?? null, steps, details: r.details });
  }
  return rows;
}

/** When a target was last proven restorable by a drill (epoch ms), or null. */
export function lastGoodDrillAt(db: DB, target: string): number | null {
  const row = db.prepare("SELECT MAX(finished_at) AS at FROM restores WHERE kind = 'drill' AND status = 'ok' AND target = ?").get(target) as { at: string | null };
  return row.at ? Date.parse(row.at) : null;
}
