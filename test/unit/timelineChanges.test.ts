// The Overview's "what changed in the last hour" line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeChanges } from '../../src/timeline/changes.js';
import type { TimelineEntry } from '../../src/timeline/types.js';

const NOW = Date.parse('2026-11-23T15:00:00Z');
let n = 0;
function docker(kind: string, container: string, minutesAgo: number, over: Partial<TimelineEntry> = {}): TimelineEntry {
  const severity = kind === 'die' ? 'crit' : kind === 'start' ? 'ok' : kind.includes('unhealthy') ? 'crit' : 'info';
  return { at: NOW - minutesAgo * 60_000, source: 'docker', severity, subject: container, project: 'shop', message: kind, container, key: `d${n++}`, kind, ...over };
}
const alert = (to: 'crit' | 'warn' | 'ok', minutesAgo: number): TimelineEntry => ({ at: NOW - minutesAgo * 60_000, source: 'alert', severity: to, subject: 'http:api', project: null, message: `→ ${to}`, key: `a${n++}`, kind: 'transition' });
const action = (minutesAgo: number): TimelineEntry => ({ at: NOW - minutesAgo * 60_000, source: 'action', severity: 'info', subject: 'shop-api-1', project: 'shop', message: 'restart by alice: ok', key: `x${n++}`, kind: 'container.restart' });

describe('summarizeChanges', () => {
  it('nothing in the last hour', () => {
    assert.equal(summarizeChanges([], NOW), 'last hour: nothing changed');
    assert.equal(summarizeChanges([docker('die', 'old-1', 61), docker('restart', 'old-1', 90)], NOW), 'last hour: nothing changed');
  });

  it('restarts, deaths, OOM kills, unhealthy, alerts raised and actions, each counted once per container', () => {
    const entries = [
      docker('die', 'shop-api-1', 50, { message: 'exited on stop (exit 143)', severity: 'info' }),
      docker('start', 'shop-api-1', 50),
      docker('restart', 'shop-api-1', 50),
      docker('die', 'shop-worker-1', 40, { message: 'died (exit 3)' }),
      docker('start', 'shop-worker-1', 39), // restart policy: die → start
      docker('die', 'shop-worker-1', 30, { message: 'died (exit 3)' }),
      docker('start', 'shop-worker-1', 29),
      docker('die', 'shop-cron-1', 20, { message: 'died (exit 1)' }),
      docker('oom', 'shop-big-1', 10),
      docker('die', 'shop-big-1', 10, { message: 'died (exit 137, OOM killed)' }),
      docker('health_status: unhealthy', 'shop-db-1', 5),
      docker('health_status: healthy', 'shop-db-1', 4, { severity: 'ok' }),
      alert('crit', 5), alert('warn', 4), alert('ok', 2), alert('crit', 1),
      action(45),
    ];
    assert.equal(summarizeChanges(entries, NOW), 'last hour: 2 restarted (shop-api-1, shop-worker-1), 2 died (shop-worker-1, shop-cron-1), 1 OOM killed (shop-big-1), 1 unhealthy (shop-db-1), 3 alerts, 1 action');
  });

  it('long name lists are cut after three', () => {
    const entries = ['a', 'b', 'c', 'd', 'e'].map((c) => docker('restart', c, 1));
    assert.equal(summarizeChanges(entries, NOW), 'last hour: 5 restarted (a, b, c +2)');
  });

  it('an entry exactly an hour old is out, one at now is in', () => {
    assert.equal(summarizeChanges([action(60), action(0)], NOW), 'last hour: 1 action');
  });
});
