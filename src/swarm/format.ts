/**
 * Swarm services as text: the words and orders the Services view and `opsdeck services` share.
 * Pure, and free of Ink, so the command line loads none of the UI.
 */
import { formatAge } from '../format.js';
import { safeText } from '../sanitize.js';
import type { SwarmNode, SwarmService, SwarmSnapshot, SwarmTask } from './types.js';

/** The order of the services list (j/k move in it): by stack, then name — stable while replicas move. */
export function servicesOrder(snap: SwarmSnapshot): SwarmService[] {
  return [...snap.services].sort((a, b) => (a.stack ?? '').localeCompare(b.stack ?? '') || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** "3/5": running of desired. */
export function replicasText(s: SwarmService): string {
  return `${s.running}/${s.desired}`;
}

export type Tone = 'ok' | 'warn' | 'crit' | 'dim' | 'none';

/** Short of replicas: warn; none running of some wanted: crit. More running than wanted (scaling down) is fine. */
export function replicasTone(s: SwarmService): Tone {
  if (s.desired > 0 && s.running === 0) return 'crit';
  if (s.running < s.desired) return 'warn';
  return 'ok';
}

/** The UPDATE column: "updating 2/5", "paused: <Docker's message>", "rollback_completed 3m ago", or ''. */
export function updateText(s: SwarmService, now: number): string {
  const u = s.update;
  if (!u) return '';
  const progress = s.updated ? ` ${s.updated.done}/${s.updated.of}` : '';
  const msg = safeText(u.message).replace(/\s+/g, ' ');
  switch (u.state) {
    case 'updating':
    case 'rollback_started':
      return `${u.state}${progress}`;
    case 'paused':
    case 'rollback_paused':
      return `${u.state}: ${msg || 'a task failed'}`;
    default: {
      const at = Date.parse(u.completedAt ?? u.startedAt ?? '');
      return `${u.state}${Number.isFinite(at) ? ` ${formatAge(at, now)}` : ''}`;
    }
  }
}

export function updateTone(s: SwarmService): Tone {
  switch (s.update?.state) {
    case 'paused':
    case 'rollback_paused':
      return 'crit';
    case 'updating':
    case 'rollback_started':
      return 'warn';
    case 'rollback_completed':
      return 'warn';
    default:
      return 'dim';
  }
}

/** A task's label as `docker service ps` prints it: "web.1" (replicated), "web.<node>" (global). */
export function taskLabel(service: Pick<SwarmService, 'name'>, t: Pick<SwarmTask, 'slot' | 'node' | 'id'>): string {
  return `${service.name}.${t.slot ?? t.node ?? t.id.slice(0, 12)}`;
}

export function taskTone(t: SwarmTask): Tone {
  if (t.state === 'failed' || t.state === 'rejected' || t.state === 'orphaned') return 'crit';
  if (t.state === 'running') return t.desiredState === 'running' ? 'ok' : 'dim';
  if (t.state === 'complete' || t.state === 'shutdown' || t.state === 'remove') return 'dim';
  return 'warn'; // new, pending, assigned, accepted, preparing, ready, starting
}

/** "running", or "running → shutdown" when Docker is taking it down, "ready → running" while it waits. */
export function taskStateText(t: SwarmTask): string {
  return t.desiredState && t.desiredState !== t.state && t.desiredState !== 'unknown' ? `${t.state} → ${t.desiredState}` : t.state;
}

export function nodeTone(n: SwarmNode): Tone {
  if (n.status === 'down' || n.status === 'disconnected') return 'crit';
  if (n.status !== 'ready' || n.availability !== 'active') return 'warn';
  return 'ok';
}
