// The timeline's store and join: which Docker events are kept and how they read, de-duplication,
// retention, and the feed joining events, check transitions, maintenance windows and actions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState, type DB } from '../../src/store/db.js';
import { appendAudit } from '../../src/store/audit.js';
import { commitTransition } from '../../src/store/checks.js';
import { closeWindow, openWindow } from '../../src/store/maintenance.js';
import { describeEvent, signalName, toEventRow } from '../../src/timeline/events.js';
import { insertEvents, lastEventNano, pruneEvents } from '../../src/timeline/store.js';
import { readTimeline } from '../../src/timeline/read.js';
import { dockerTime } from '../../src/timeline/recorder.js';
import type { DockerEventMessage } from '../../src/model/dockerModel.js';

const T0 = Date.parse('2026-11-23T14:00:00.000Z');

function withDb(fn: (db: DB) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-timeline-'));
  const { db } = openState(dir);
  try {
    fn(db);
  } finally {
    db.close();
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Docker event as the engine sends it; `ms` after T0, plus `ns` nanoseconds. */
function ev(action: string, name: string, ms: number, attrs: Record<string, string> = {}, opts: { type?: string; id?: string; ns?: number } = {}): DockerEventMessage {
  const nano = (T0 + ms) * 1e6 + (opts.ns ?? 0);
  return {
    Type: opts.type ?? 'container', Action: action, status: action, id: opts.id ?? `id-${name}`,
    Actor: { ID: opts.id ?? `id-${name}`, Attributes: { name, image: 'busybox:1.36', ...attrs } },
    time: Math.floor(nano / 1e9), timeNano: nano,
  };
}

const record = (db: DB, evs: DockerEventMessage[]) => insertEvents(db, evs.map(toEventRow).filter((r) => r !== null));

describe('Docker events worth keeping', () => {
  it('keeps lifecycle events, drops exec, network and volume noise', () => {
    assert.ok(toEventRow(ev('die', 'a', 0, { exitCode: '137' })));
    assert.ok(toEventRow(ev('health_status: unhealthy', 'a', 0)));
    assert.ok(toEventRow(ev('oom', 'a', 0)));
    assert.equal(toEventRow(ev('exec_start: /bin/sh -c true', 'a', 0)), null);
    assert.equal(toEventRow(ev('exec_die', 'a', 0)), null);
    assert.equal(toEventRow(ev('connect', 'bridge', 0, {}, { type: 'network' })), null);
    assert.equal(toEventRow(ev('mount', 'v', 0, {}, { type: 'volume' })), null);
    assert.ok(toEventRow(ev('pull', 'busybox:1.36', 0, {}, { type: 'image', id: 'busybox:1.36' })));
  });

  it('stores the exit code, the signal, the compose project and service; not every label', () => {
    const row = toEventRow(ev('die', 'shop-api-1', 0, { exitCode: '137', 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api', 'some.label': 'x' }))!;
    assert.equal(row.exitCode, 137);
    assert.equal(row.project, 'shop');
    assert.equal(row.service, 'api');
    assert.equal(row.name, 'shop-api-1');
    assert.deepEqual(row.extra, {});
    assert.equal(toEventRow(ev('kill', 'a', 0, { signal: '9' }))!.signal, '9');
  });

  it('reads like a person would say it, with a severity', () => {
    const d = (e: DockerEventMessage, ctx = {}) => describeEvent(toEventRow(e)!, ctx);
    assert.deepEqual(d(ev('die', 'a', 0, { exitCode: '137' })), { message: 'died (exit 137: SIGKILL)', severity: 'crit' });
    assert.deepEqual(d(ev('die', 'a', 0, { exitCode: '137' }), { oom: true }), { message: 'died (exit 137, OOM killed)', severity: 'crit' });
    assert.deepEqual(d(ev('die', 'a', 0, { exitCode: '3' })), { message: 'died (exit 3)', severity: 'crit' });
    assert.deepEqual(d(ev('die', 'a', 0, { exitCode: '0' })), { message: 'exited (exit 0)', severity: 'info' });
    assert.deepEqual(d(ev('die', 'a', 0, { exitCode: '143' }), { stopped: 'stop' }), { message: 'exited on stop (exit 143)', severity: 'info' });
    assert.deepEqual(d(ev('die', 'a', 0, { exitCode: '137' }), { stopped: 'remove' }), { message: 'exited on removal (exit 137)', severity: 'info' });
    assert.deepEqual(d(ev('kill', 'a', 0, { signal: '9' })), { message: 'sent SIGKILL', severity: 'warn' });
    assert.deepEqual(d(ev('kill', 'a', 0, { signal: '15' })), { message: 'sent SIGTERM', severity: 'info' });
    assert.equal(d(ev('health_status: unhealthy', 'a', 0)).severity, 'crit');
    assert.deepEqual(d(ev('health_status: healthy', 'a', 0)), { message: 'healthy', severity: 'ok' });
    assert.deepEqual(d(ev('start', 'a', 0)), { message: 'started', severity: 'ok' });
    assert.deepEqual(d(ev('rename', 'b', 0, { oldName: '/a' })), { message: 'renamed from a', severity: 'info' });
    assert.deepEqual(d(ev('pull', 'x', 0, {}, { type: 'image', id: 'nginx:1' })), { message: 'image pulled: nginx:1', severity: 'info' });
    assert.equal(signalName('KILL'), 'SIGKILL');
    assert.equal(signalName('SIGUSR1'), 'SIGUSR1');
  });

  it('Docker time format: seconds.nanoseconds', () => {
    assert.equal(dockerTime(1795454161000000042n), '1795454161.000000042');
  });
});

describe('the events table', () => {
  it('the same event twice (live and backfilled) is stored once', () => withDb((db) => {
    const e = ev('die', 'a', 5, { exitCode: '1' }, { ns: 123_456 });
    assert.equal(record(db, [e]), 1);
    assert.equal(record(db, [JSON.parse(JSON.stringify(e)) as DockerEventMessage, ev('start', 'a', 6)]), 1);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n, 2);
    assert.equal(lastEventNano(db), BigInt(Math.round((T0 + 6) * 1e6)));
  }));

  it('retention: older than the age limit goes, then the oldest beyond the row cap', () => withDb((db) => {
    record(db, [ev('start', 'old', -40 * 86_400_000), ...Array.from({ length: 10 }, (_, i) => ev('start', `c${i}`, i * 1000))]);
    const removed = pruneEvents(db, T0 + 60_000, { maxAgeMs: 30 * 86_400_000, maxRows: 6 });
    assert.equal(removed, 5);
    const names = (db.prepare('SELECT name FROM events ORDER BY time_nano').all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(names, ['c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
  }));
});

describe('readTimeline: one feed', () => {
  function seed(db: DB): void {
    // 14:00:00 api killed (SIGKILL) and died 137; worker OOM → die; db unhealthy; an alert; a restart action;
    // a maintenance window for project shop; api starts again.
    const shop = { 'com.docker.compose.project': 'shop' };
    record(db, [
      ev('kill', 'shop-api-1', 1000, { signal: '9', ...shop }),
      ev('die', 'shop-api-1', 1000, { exitCode: '137', ...shop }, { ns: 500 }),
      ev('oom', 'shop-worker-1', 2000, shop),
      ev('die', 'shop-worker-1', 2030, { exitCode: '137', ...shop }),
      ev('health_status: unhealthy', 'shop-db-1', 3000, shop),
      ev('exec_die', 'shop-db-1', 3001, shop),
      ev('start', 'other-1', 3500),
    ]);
    commitTransition(db, { check: 'container:shop-db-1', from: 'ok', to: 'crit', message: 'unhealthy: pg_isready failed', at: T0 + 4000 });
    appendAudit(db, { at: new Date(T0 + 5000).toISOString(), user: 'alice', host: 'h1', action: 'container.restart', target: 'container/shop-api-1', params: {}, result: 'ok', error: null, durationMs: 1200 });
    record(db, [
      ev('kill', 'shop-api-1', 5100, { signal: '15', ...shop }),
      ev('die', 'shop-api-1', 5200, { exitCode: '143', ...shop }),
      ev('stop', 'shop-api-1', 5300, shop),
      ev('start', 'shop-api-1', 5400, shop),
      ev('restart', 'shop-api-1', 5401, shop),
    ]);
    const w = openWindow(db, { project: 'shop', reason: 'vacuum', by: 'bob', host: 'h1', since: new Date(T0 + 6000).toISOString(), plannedEnd: null, flagFile: null, plannedStop: [] });
    closeWindow(db, w.id, new Date(T0 + 66_000).toISOString());
    commitTransition(db, { check: 'container:shop-db-1', from: 'crit', to: 'ok', message: 'healthy', at: T0 + 70_000, suppressed: null });
  }

  it('joins the sources in time order, with readable, sanitised messages', () => withDb((db) => {
    seed(db);
    const feed = readTimeline(db, { since: T0, until: T0 + 120_000 });
    const lines = feed.map((e) => `${e.source} ${e.subject}: ${e.message}`);
    assert.deepEqual(lines, [
      'docker shop-api-1: sent SIGKILL',
      'docker shop-api-1: died (exit 137: SIGKILL)',
      'docker shop-worker-1: out of memory: the kernel killed a process (memory limit reached)',
      'docker shop-worker-1: died (exit 137, OOM killed)',
      'docker shop-db-1: health check failing: unhealthy',
      'docker other-1: started',
      'alert container:shop-db-1: ok → crit: unhealthy: pg_isready failed',
      'action shop-api-1: restart by alice: ok (took 1s)',
      'docker shop-api-1: sent SIGTERM',
      'docker shop-api-1: exited on stop (exit 143)',
      'docker shop-api-1: stopped',
      'docker shop-api-1: started',
      'docker shop-api-1: restarted',
      'maintenance maintenance: maintenance on (project shop): vacuum — by bob',
      'maintenance maintenance: maintenance off (project shop) after 1m',
      'alert container:shop-db-1: crit → ok: healthy',
    ]);
    const die = feed[1]!;
    assert.equal(die.exitCode, 137);
    assert.equal(die.kind, 'die');
    assert.equal(die.container, 'shop-api-1');
    assert.equal(die.project, 'shop');
    assert.equal(die.severity, 'crit');
    const alert = feed[6]!;
    assert.equal(alert.container, 'shop-db-1', 'a check about a container points at it (Enter → logs)');
    assert.equal(alert.project, 'shop');
    const action = feed[7]!;
    assert.equal(action.project, 'shop');
    assert.equal(action.container, 'shop-api-1');
    assert.equal(new Set(feed.map((e) => e.key)).size, feed.length, 'keys are unique');
  }));

  it('nanosecond order: two events in the same millisecond keep Docker\'s order', () => withDb((db) => {
    record(db, [ev('start', 'b', 10, {}, { ns: 900_000 }), ev('create', 'b', 10, {}, { ns: 100_000 })]);
    assert.deepEqual(readTimeline(db, { since: T0, until: T0 + 1000 }).map((e) => e.kind), ['create', 'start']);
  }));

  it('filters by name or project (any case), by source, by window; keeps the newest when limited', () => withDb((db) => {
    seed(db);
    const all = readTimeline(db, { since: T0, until: T0 + 120_000 });
    const worker = readTimeline(db, { since: T0, until: T0 + 120_000, match: 'WORKER' });
    assert.deepEqual(worker.map((e) => e.kind), ['oom', 'die']);
    const shop = readTimeline(db, { since: T0, until: T0 + 120_000, match: 'shop' });
    assert.equal(shop.length, all.length - 1, 'everything but other-1 is of project shop');
    assert.deepEqual([...new Set(readTimeline(db, { since: T0, until: T0 + 120_000, sources: ['action', 'maintenance'] }).map((e) => e.source))], ['action', 'maintenance']);
    assert.deepEqual(readTimeline(db, { since: T0 + 2500, until: T0 + 4500 }).map((e) => e.kind), ['health_status: unhealthy', 'start', 'transition']);
    const last3 = readTimeline(db, { since: T0, until: T0 + 120_000, limit: 3 });
    assert.deepEqual(last3.map((e) => e.message), all.slice(-3).map((e) => e.message));
    assert.deepEqual(readTimeline(db, { since: T0, until: T0 + 120_000, match: '100%_' }), [], 'LIKE wildcards in the filter are literal');
  }));

  it('a host-wide maintenance window shows whatever the filter; a suppressed transition is a check, not an alert', () => withDb((db) => {
    const w = openWindow(db, { project: null, reason: '', by: 'bob', host: 'h1', since: new Date(T0).toISOString(), plannedEnd: null, flagFile: null, plannedStop: [] });
    commitTransition(db, { check: 'http:api', from: 'ok', to: 'crit', message: 'HTTP 503', at: T0 + 1000, suppressed: 'maintenance' });
    closeWindow(db, w.id, new Date(T0 + 2000).toISOString());
    const feed = readTimeline(db, { since: T0, until: T0 + 5000, match: 'api' });
    assert.deepEqual(feed.map((e) => `${e.source}/${e.severity}: ${e.message}`), [
      'maintenance/warn: maintenance on (whole host) — by bob',
      'check/crit: ok → crit: HTTP 503 (not sent: maintenance)',
      'maintenance/ok: maintenance off (whole host) after 2s',
    ]);
  }));

  it('a die that was asked for (stop, rm -f) is not a crash; a crash of a --rm container still is', () => withDb((db) => {
    record(db, [
      ev('kill', 'rmf', 0, { signal: '9' }), ev('die', 'rmf', 10, { exitCode: '137' }), ev('destroy', 'rmf', 200),
      ev('die', 'oneshot', 1000, { exitCode: '1' }), ev('destroy', 'oneshot', 1100),
      ev('kill', 'st', 2000, { signal: '15' }), ev('die', 'st', 2100, { exitCode: '143' }), ev('stop', 'st', 2110),
      ev('kill', 'killed', 3000, { signal: '9' }), ev('die', 'killed', 3010, { exitCode: '137' }),
    ]);
    const dies = readTimeline(db, { since: T0, until: T0 + 10_000 }).filter((e) => e.kind === 'die').map((e) => `${e.subject} ${e.severity}: ${e.message}`);
    assert.deepEqual(dies, [
      'rmf info: exited on removal (exit 137)',
      'oneshot crit: died (exit 1)',
      'st info: exited on stop (exit 143)',
      'killed crit: died (exit 137: SIGKILL)',
    ]);
  }));

  it('escape sequences in names and messages never reach the feed', () => withDb((db) => {
    record(db, [ev('start', 'evil\x1b]0;pwned\x07\x1b[2J-1', 0)]);
    appendAudit(db, { at: new Date(T0 + 10).toISOString(), user: 'mal\x1b[31mlory', host: 'h', action: 'container.stop', target: 'container/x\ny', params: {}, result: 'failed', error: 'boom\x1b[0m\nsecond line', durationMs: 5 });
    const feed = readTimeline(db, { since: T0, until: T0 + 1000 });
    for (const e of feed) {
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(`${e.subject} ${e.message}`, /[\x00-\x1f\x7f-\x9f]/);
    }
    assert.equal(feed[0]!.subject, 'evil-1');
    assert.equal(feed[1]!.message, 'stop by mallory: failed — boom second line');
    assert.equal(feed[1]!.severity, 'crit');
  }));
});
