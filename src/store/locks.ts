import { hostname } from 'node:os';
import { appendAudit } from './audit.js';
import type { DB } from './db.js';
import { currentUser } from './paths.js';

export interface LockHolder {
  target: string;
  action: string;
  pid: number;
  host: string;
  user: string;
  startedAt: string;
}

/** The lock is held by someone else; `stale` when that holder is a dead process on this host. */
export class LockHeldError extends Error {
  constructor(readonly holder: LockHolder, readonly stale: boolean) {
    super(describeHolder(holder, stale));
    this.name = 'LockHeldError';
  }
}

export function describeHolder(h: LockHolder, stale: boolean): string {
  const who = `${h.action} by ${h.user} (pid ${h.pid} on ${h.host}) since ${h.startedAt}`;
  return stale
    ? `${h.target} is locked by a process that no longer runs: ${who}; break the stale lock with \`opsdeck unlock ${h.target}\``
    : `${h.target} is busy: held by ${who}`;
}

/** True when pid is known dead on this host; false when alive or on another host (we cannot tell). */
export function isStale(h: LockHolder, thisHost = hostname()): boolean {
  if (h.host !== thisHost) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

interface Row { target: string; action: string; pid: number; host: string; user: string; started_at: string }
const toHolder = (r: Row): LockHolder => ({ target: r.target, action: r.action, pid: r.pid, host: r.host, user: r.user, startedAt: r.started_at });

/**
 * Takes the lock for `target` atomically (the row's primary key decides; there is no check-then-set
 * window). Throws LockHeldError naming the holder when someone has it.
 */
export function acquireLock(db: DB, target: string, who: { action: string; user: string; pid?: number; host?: string }): LockHolder {
  const holder: LockHolder = {
    target,
    action: who.action,
    pid: who.pid ?? process.pid,
    host: who.host ?? hostname(),
    user: who.user,
    startedAt: new Date().toISOString(),
  };
  try {
    db.prepare('INSERT INTO locks (target, action, pid, host, user, started_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(holder.target, holder.action, holder.pid, holder.host, holder.user, holder.startedAt);
    return holder;
  } catch (e) {
    if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw e;
    const row = db.prepare('SELECT * FROM locks WHERE target = ?').get(target) as Row | undefined;
    if (!row) return acquireLock(db, target, who); // released between our insert and our read
    const h = toHolder(row);
    throw new LockHeldError(h, isStale(h));
  }
}

/** Releases our own lock (only the row this process holds). */
export function releaseLock(db: DB, target: string, pid = process.pid, host = hostname()): void {
  db.prepare('DELETE FROM locks WHERE target = ? AND pid = ? AND host = ?').run(target, pid, host);
}

export function listLocks(db: DB): (LockHolder & { stale: boolean })[] {
  return (db.prepare('SELECT * FROM locks ORDER BY started_at').all() as Row[]).map((r) => {
    const h = toHolder(r);
    return { ...h, stale: isStale(h) };
  });
}

/**
 * Breaks a lock whose holder is dead. A live holder (or one on another host, which we cannot check)
 * is refused unless `force`.
 */
export function breakLock(db: DB, target: string, opts: { force?: boolean } = {}): LockHolder | null {
  const row = db.prepare('SELECT * FROM locks WHERE target = ?').get(target) as Row | undefined;
  if (!row) return null;
  const h = toHolder(row);
  if (!opts.force && !isStale(h)) {
    throw new LockHeldError(h, false);
  }
  db.prepare('DELETE FROM locks WHERE target = ? AND pid = ? AND host = ?').run(h.target, h.pid, h.host);
  return h;
}

/**
 * Breaks the lock on `key` only when its holder is provably gone (a dead pid on this host), audited
 * as `lock.break` like `opsdeck unlock` with `reason` in the params. A live holder, or one on another
 * host, is left alone: null (as when there is no lock).
 */
export function breakStaleLock(db: DB, key: string, reason: string): LockHolder | null {
  const row = db.prepare('SELECT target, action, pid, host, user, started_at FROM locks WHERE target = ?').get(key) as Row | undefined;
  if (!row) return null;
  if (!isStale(toHolder(row))) return null;
  const broken = breakLock(db, key);
  if (broken) {
    appendAudit(db, {
      at: new Date().toISOString(), user: currentUser(), host: hostname(), action: 'lock.break', target: key,
      params: { ...broken, reason }, result: 'ok', error: null, durationMs: 0,
    });
  }
  return broken;
}
