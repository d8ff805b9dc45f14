import type { CheckStatus } from '../checks/types.js';
import type { DB } from './db.js';

/** The confirmed status of one check, as persisted (times in epoch ms). */
export interface StoredCheckState {
  name: string;
  status: CheckStatus;
  since: number;
  updatedAt: number;
}

export type AlertKind = 'transition' | 'reminder';

/** One row of the alerts table (the `alerts --json` shape). Times are ISO strings, as in the audit log. */
export interface AlertRecord {
  id: number;
  check: string;
  kind: AlertKind;
  /** null: the first status confirmed for the check. */
  from: CheckStatus | null;
  to: CheckStatus;
  message: string;
  at: string;
  /** When the webhook accepted it; null when not (yet) delivered. */
  notifiedAt: string | null;
  /** Webhook attempts made so far. */
  attempts: number;
  /** The latest failed attempt's error (kept when a retry then succeeded: notifiedAt tells). */
  lastError: string | null;
  /** Why it is not sent (maintenance, …); null when it is meant to be. */
  suppressed: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

interface StateRow { name: string; status: CheckStatus; since: string; updated_at: string }
interface AlertRow {
  id: number; check_name: string; kind: AlertKind; from_status: CheckStatus | null; to_status: CheckStatus; message: string;
  at: string; notified_at: string | null; attempts: number; last_error: string | null; suppressed: string | null;
}

const fromStateRow = (r: StateRow): StoredCheckState => ({ name: r.name, status: r.status, since: Date.parse(r.since), updatedAt: Date.parse(r.updated_at) });
const fromAlertRow = (r: AlertRow): AlertRecord => ({
  id: r.id, check: r.check_name, kind: r.kind, from: r.from_status, to: r.to_status, message: r.message, at: r.at,
  notifiedAt: r.notified_at, attempts: r.attempts, lastError: r.last_error, suppressed: r.suppressed,
});

export function loadCheckStates(db: DB): Map<string, StoredCheckState> {
  const rows = db.prepare('SELECT name, status, since, updated_at FROM check_state').all() as StateRow[];
  return new Map(rows.map((r) => [r.name, fromStateRow(r)]));
}

export function getCheckState(db: DB, name: string): StoredCheckState | null {
  const row = db.prepare('SELECT name, status, since, updated_at FROM check_state WHERE name = ?').get(name) as StateRow | undefined;
  return row ? fromStateRow(row) : null;
}

export function saveCheckState(db: DB, s: StoredCheckState): void {
  db.prepare(
    `INSERT INTO check_state (name, status, since, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET status = excluded.status, since = excluded.since, updated_at = excluded.updated_at`,
  ).run(s.name, s.status, iso(s.since), iso(s.updatedAt));
}

/** Marks a confirmed state as still observed (so stale rows of removed checks can be told apart). */
export function touchCheckState(db: DB, name: string, at: number): void {
  db.prepare('UPDATE check_state SET updated_at = ? WHERE name = ?').run(iso(at), name);
}

export interface NewAlert {
  check: string;
  kind: AlertKind;
  from: CheckStatus | null;
  to: CheckStatus;
  message: string;
  /** epoch ms */
  at: number;
  suppressed?: string | null;
  /** The Docker endpoint whose checks raised it. */
  endpoint?: string | null;
}

export function recordAlert(db: DB, a: NewAlert): AlertRecord {
  const info = db
    .prepare('INSERT INTO alerts (check_name, kind, from_status, to_status, message, at, suppressed, endpoint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(a.check, a.kind, a.from, a.to, a.message, iso(a.at), a.suppressed ?? null, a.endpoint ?? null);
  return getAlert(db, Number(info.lastInsertRowid))!;
}

/**
 * Persists a confirmed transition and records its alert, in one transaction. When the store already
 * holds `to` for the check (another opsdeck on this host — the agent next to a cockpit — recorded the
 * same change first), nothing is recorded and null comes back: one alert per change, per host.
 * A first confirmation (`from` null) of ok is saved without an alert.
 */
export function commitTransition(db: DB, t: { check: string; from: CheckStatus | null; to: CheckStatus; message: string; at: number; suppressed?: string | null; endpoint?: string | null }): AlertRecord | null {
  return db.transaction((): AlertRecord | null => {
    const stored = getCheckState(db, t.check);
    if (stored && stored.status === t.to) {
      touchCheckState(db, t.check, t.at);
      return null;
    }
    saveCheckState(db, { name: t.check, status: t.to, since: t.at, updatedAt: t.at });
    const from = stored?.status ?? t.from;
    if (from === null && t.to === 'ok') return null;
    return recordAlert(db, { check: t.check, kind: 'transition', from, to: t.to, message: t.message, at: t.at, suppressed: t.suppressed ?? null, endpoint: t.endpoint ?? null });
  }).immediate();
}

/**
 * Records a reminder when the check's newest alert (of either kind) is at least `everyMs` old; null
 * otherwise. In one transaction, so two processes sharing the store remind once.
 */
export function recordReminder(db: DB, r: { check: string; status: CheckStatus; message: string; at: number; everyMs: number; suppressed?: string | null; endpoint?: string | null }): AlertRecord | null {
  return db.transaction((): AlertRecord | null => {
    const last = lastAlert(db, r.check);
    if (last && r.at - Date.parse(last.at) < r.everyMs) return null;
    return recordAlert(db, { check: r.check, kind: 'reminder', from: r.status, to: r.status, message: r.message, at: r.at, suppressed: r.suppressed ?? null, endpoint: r.endpoint ?? null });
  }).immediate();
}

export function getAlert(db: DB, id: number): AlertRecord | null {
  const row = db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
  return row ? fromAlertRow(row) : null;
}

/** The newest alert of a check (of `kind` when given). */
export function lastAlert(db: DB, check: string, kind?: AlertKind): AlertRecord | null {
  const row = (kind
    ? db.prepare('SELECT * FROM alerts WHERE check_name = ? AND kind = ? ORDER BY id DESC LIMIT 1').get(check, kind)
    : db.prepare('SELECT * FROM alerts WHERE check_name = ? ORDER BY id DESC LIMIT 1').get(check)) as AlertRow | undefined;
  return row ? fromAlertRow(row) : null;
}

/** Transitions of a check at or after `sinceMs` (the flapping count). */
export function countTransitions(db: DB, check: string, sinceMs: number): number {
  const row = db.prepare("SELECT COUNT(*) AS n FROM alerts WHERE check_name = ? AND kind = 'transition' AND at >= ?").get(check, iso(sinceMs)) as { n: number };
  return row.n;
}

/** Newest first. */
export function listAlerts(db: DB, opts: { limit?: number; check?: string; since?: string } = {}): AlertRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.check) { where.push('check_name = ?'); args.push(opts.check); }
  if (opts.since) { where.push('at >= ?'); args.push(opts.since); }
  const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, opts.limit ?? 100) as AlertRow[]).map(fromAlertRow);
}

/** Records one delivery attempt's outcome (attempts is the total so far). */
export function noteDelivery(db: DB, id: number, d: { attempts: number; lastError: string | null; notifiedAt: number | null }): void {
  db.prepare('UPDATE alerts SET attempts = ?, last_error = ?, notified_at = COALESCE(?, notified_at) WHERE id = ?')
    .run(d.attempts, d.lastError, d.notifiedAt === null ? null : iso(d.notifiedAt), id);
}

/** The `status` shape of what is firing now: every check whose confirmed status is not ok, worst first. */
export function activeAlerts(db: DB): { name: string; status: CheckStatus; message: string; since: string }[] {
  const rows = db.prepare(
    `SELECT s.name, s.status, s.since,
            (SELECT a.message FROM alerts a WHERE a.check_name = s.name AND a.kind = 'transition' ORDER BY a.id DESC LIMIT 1) AS message
       FROM check_state s WHERE s.status != 'ok'
      ORDER BY CASE s.status WHEN 'crit' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END, s.name`,
  ).all() as { name: string; status: CheckStatus; since: string; message: string | null }[];
  return rows.map((r) => ({ name: r.name, status: r.status, message: r.message ?? '', since: r.since }));
}
