import type { DB } from './db.js';

export type AuditResult = 'ok' | 'failed' | 'refused' | 'cancelled';

/** One row of the append-only audit log (the `audit --json` shape). */
export interface AuditRecord {
  id: number;
  at: string;
  user: string;
  host: string;
  action: string;
  target: string | null;
  params: Record<string, unknown>;
  result: AuditResult;
  error: string | null;
  durationMs: number | null;
  /** The Docker endpoint it acted on (null: rows from before endpoints were recorded). */
  endpoint?: string | null;
}

export type NewAudit = Omit<AuditRecord, 'id'>;

/** Appends one record; the table refuses updates and deletes (triggers), so this is the only write. */
export function appendAudit(db: DB, rec: NewAudit): number {
  const info = db
    .prepare('INSERT INTO audit (at, user, host, action, target, params, result, error, duration_ms, endpoint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(rec.at, rec.user, rec.host, rec.action, rec.target, JSON.stringify(rec.params ?? {}), rec.result, rec.error, rec.durationMs, rec.endpoint ?? null);
  return Number(info.lastInsertRowid);
}

interface Row { id: number; at: string; user: string; host: string; action: string; target: string | null; params: string; result: AuditResult; error: string | null; duration_ms: number | null; endpoint: string | null }

/** Newest first. */
export function listAudit(db: DB, opts: { limit?: number; target?: string; since?: string } = {}): AuditRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.target) { where.push('target = ?'); args.push(opts.target); }
  if (opts.since) { where.push('at >= ?'); args.push(opts.since); }
  const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  const rows = db.prepare(sql).all(...args, opts.limit ?? 100) as Row[];
  return rows.map((r) => ({
    id: r.id, at: r.at, user: r.user, host: r.host, action: r.action, target: r.target,
    params: safeJson(r.params), result: r.result, error: r.error, durationMs: r.duration_ms, endpoint: r.endpoint ?? null,
  }));
}

function safeJson(text: string): Record<string, unknown> {
  try { return JSON.parse(text) as Record<string, unknown>; } catch { return {}; }
}
