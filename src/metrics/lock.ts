/**
 * Who writes metric samples: one process per state file holds the lock `metrics:collector` (the
 * agent, or a cockpit while no agent runs); the agent also holds `agent` for its whole life, so a
 * second agent is refused and a collecting cockpit knows to step aside.
 */
import type { DB } from '../store/db.js';
import { isStale, type LockHolder } from '../store/locks.js';

export const COLLECTOR_LOCK = 'metrics:collector';
export const AGENT_LOCK = 'agent';

export type CollectorRole = 'agent' | 'cockpit';

/** The lock's `action` for each role (shown by `opsdeck locks`). */
export const ROLE_ACTION: Record<CollectorRole, string> = { agent: 'opsdeck agent', cockpit: 'opsdeck cockpit' };

interface Row { target: string; action: string; pid: number; host: string; user: string; started_at: string }

export function lockHolder(db: DB, key: string): LockHolder | null {
  const r = db.prepare('SELECT target, action, pid, host, user, started_at FROM locks WHERE target = ?').get(key) as Row | undefined;
  return r ? { target: r.target, action: r.action, pid: r.pid, host: r.host, user: r.user, startedAt: r.started_at } : null;
}

/** The live holder of `key` (a dead holder on this host counts as none). */
export function liveHolder(db: DB, key: string): LockHolder | null {
  const h = lockHolder(db, key);
  return h && !isStale(h) ? h : null;
}

/** Who collects samples now: the agent, a cockpit, or nobody (history only). */
export function currentCollector(db: DB): { role: CollectorRole; holder: LockHolder } | null {
  const h = liveHolder(db, COLLECTOR_LOCK);
  if (!h) return null;
  return { role: h.action === ROLE_ACTION.cockpit ? 'cockpit' : 'agent', holder: h };
}

/** The running agent of this state file, if any. */
export function runningAgent(db: DB): LockHolder | null {
  return liveHolder(db, AGENT_LOCK);
}
