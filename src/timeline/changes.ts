/** The Overview's "what changed in the last hour" line, from timeline entries. Pure. */
import type { TimelineEntry } from './types.js';

const HOUR = 3_600_000;
const MAX_NAMES = 3;

function names(set: Set<string>): string {
  const list = [...set];
  const shown = list.slice(0, MAX_NAMES).join(', ');
  return list.length > MAX_NAMES ? `${shown} +${list.length - MAX_NAMES}` : shown;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * "last hour: 2 restarted (shop-api-1, shop-worker-1), 1 died (shop-db-1), 1 OOM killed (x),
 * 1 unhealthy (y), 3 alerts, 1 action", or "last hour: nothing changed". Counts distinct containers:
 * restarted (a `restart`, or a start after a die: a restart policy), died (a crash: non-zero exit,
 * not a stop, not OOM), OOM killed, turned unhealthy; alerts raised (transitions to warn or crit);
 * operator actions. Entries outside (now − 1 h, now] are ignored.
 */
export function summarizeChanges(entries: readonly TimelineEntry[], now: number): string {
  const parts = changeParts(entries, now - HOUR, now);
  return `last hour: ${parts.length ? parts.join(', ') : 'nothing changed'}`;
}

/** The parts of the line for entries in (from, to]: ["2 restarted (a, b)", "1 died (c)", "3 alerts"]. */
export function changeParts(entries: readonly TimelineEntry[], from: number, to: number): string[] {
  const restarted = new Set<string>();
  const died = new Set<string>();
  const oom = new Set<string>();
  const unhealthy = new Set<string>();
  const diedAt = new Set<string>();
  let alerts = 0;
  let actions = 0;
  for (const e of entries) {
    if (e.at <= from || e.at > to) continue;
    const who = e.container ?? e.subject;
    if (e.source === 'docker') {
      const kind = e.kind ?? '';
      if (kind === 'restart') restarted.add(who);
      else if (kind === 'start' && diedAt.has(who)) restarted.add(who);
      else if (kind === 'die') {
        diedAt.add(who);
        if (/OOM killed/.test(e.message)) oom.add(who);
        else if (e.severity === 'crit') died.add(who);
      } else if (kind === 'oom') oom.add(who);
      else if (kind.startsWith('health_status') && kind.includes('unhealthy')) unhealthy.add(who);
    } else if (e.source === 'alert') {
      if (e.severity === 'warn' || e.severity === 'crit') alerts++;
    } else if (e.source === 'action') {
      actions++;
    }
  }
  const parts: string[] = [];
  if (restarted.size) parts.push(`${restarted.size} restarted (${names(restarted)})`);
  if (died.size) parts.push(`${died.size} died (${names(died)})`);
  if (oom.size) parts.push(`${oom.size} OOM killed (${names(oom)})`);
  if (unhealthy.size) parts.push(`${unhealthy.size} unhealthy (${names(unhealthy)})`);
  if (alerts) parts.push(plural(alerts, 'alert'));
  if (actions) parts.push(plural(actions, 'action'));
  return parts;
}
