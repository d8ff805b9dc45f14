/** The `events` table (migration v6): writes with de-duplication, retention, reads by time. */
import type { DB } from '../store/db.js';
import type { EventRow, StoredEvent } from './events.js';

/** Bounded retention: events older than this go, and the table never holds more than maxRows. */
export const EVENT_RETENTION = { maxAgeMs: 30 * 86_400_000, maxRows: 100_000 } as const;

const NS_PER_MS = 1_000_000n;
export const msToNano = (ms: number): bigint => BigInt(Math.floor(ms)) * NS_PER_MS;

/** Inserts rows in one transaction; copies of an event already stored are ignored. Returns how many were new. */
export function insertEvents(db: DB, rows: readonly EventRow[], endpoint: string | null = null): number {
  if (rows.length === 0) return 0;
  const stmt = db.prepare(
    `INSERT OR IGNORE INTO events (time_nano, type, action, actor_id, name, project, service, image, exit_code, signal, extra, endpoint)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction(() => {
    let added = 0;
    for (const r of rows) {
      added += stmt.run(r.timeNano, r.type, r.action, r.actorId, r.name, r.project, r.service, r.image, r.exitCode, r.signal, JSON.stringify(r.extra), endpoint).changes;
    }
    return added;
  }).immediate();
}

/**
 * The newest recorded event's time (ns) of one endpoint (rows from before endpoints were recorded
 * count for every one), or of all when none is named; null when none is stored.
 */
export function lastEventNano(db: DB, endpoint: string | null = null): bigint | null {
  const row = (endpoint === null
    ? db.prepare('SELECT MAX(time_nano) AS t FROM events').safeIntegers().get()
    : db.prepare('SELECT MAX(time_nano) AS t FROM events WHERE endpoint = ? OR endpoint IS NULL').safeIntegers().get(endpoint)) as { t: bigint | null };
  return row.t ?? null;
}

/** Deletes events older than maxAgeMs and the oldest beyond maxRows. Returns how many went. */
export function pruneEvents(db: DB, now = Date.now(), policy: { maxAgeMs: number; maxRows: number } = EVENT_RETENTION): number {
  return db.transaction(() => {
    let n = db.prepare('DELETE FROM events WHERE time_nano < ?').run(msToNano(now - policy.maxAgeMs)).changes;
    const cut = db.prepare('SELECT time_nano AS t, id FROM events ORDER BY time_nano DESC, id DESC LIMIT 1 OFFSET ?').safeIntegers().get(policy.maxRows) as { t: bigint; id: bigint } | undefined;
    if (cut) n += db.prepare('DELETE FROM events WHERE time_nano < ? OR (time_nano = ? AND id <= ?)').run(cut.t, cut.t, cut.id).changes;
    return n;
  }).immediate();
}

interface Row {
  id: number; time_nano: bigint; type: 'container' | 'image'; action: string; actor_id: string; name: string | null; project: string | null;
  service: string | null; image: string | null; exit_code: number | null; signal: string | null; extra: string;
}

function fromRow(r: Row): StoredEvent {
  let extra: Record<string, string> = {};
  try { extra = JSON.parse(r.extra) as Record<string, string>; } catch { /* keep {} */ }
  return {
    id: Number(r.id), timeNano: r.time_nano, at: Number(r.time_nano / NS_PER_MS), type: r.type, action: r.action, actorId: r.actor_id,
    name: r.name, project: r.project, service: r.service, image: r.image, exitCode: r.exit_code === null ? null : Number(r.exit_code), signal: r.signal, extra,
  };
}

/** LIKE pattern for "contains", with the wildcards of the text itself escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Events with sinceMs <= time <= untilMs, oldest first; when more match than `limit`, the newest
 * `limit`. `match`: name or project contains it (any case).
 */
export function queryEvents(db: DB, q: { sinceMs: number; untilMs: number; match?: string; limit: number; actions?: string[] }): StoredEvent[] {
  const where = ['time_nano >= ?', 'time_nano < ?'];
  const args: unknown[] = [msToNano(q.sinceMs), msToNano(q.untilMs + 1)];
  if (q.match) {
    where.push("(name LIKE ? ESCAPE '\\' OR project LIKE ? ESCAPE '\\')");
    args.push(containsPattern(q.match), containsPattern(q.match));
  }
  if (q.actions) {
    where.push(`action IN (${q.actions.map(() => '?').join(', ')})`);
    args.push(...q.actions);
  }
  const rows = db.prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY time_nano DESC, id DESC LIMIT ?`).safeIntegers().all(...args, q.limit) as Row[];
  return rows.reverse().map(fromRow);
}

/** What the events table knows of a container name: its newest compose project (null: none), or undefined when the name never appeared. */
export function containerProject(db: DB, name: string): string | null | undefined {
  const row = db.prepare("SELECT project FROM events WHERE name = ? AND type = 'container' ORDER BY time_nano DESC LIMIT 1").get(name) as { project: string | null } | undefined;
  return row ? row.project : undefined;
}
