// Alerts: damping sequences, the engine over a real state store (temp dir), reminders on a manual
// clock, webhook bodies, retries and dedupe with a fake POST, silencing.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../config/schema.js';
import { AlertEngine } from '../../src/alerts/engine.js';
import { Notifier, alertHeadline, alertPayload, slackPayload, webhookBody, type Post } from '../../src/alerts/notifier.js';
import { damp, Damper, initialDamp, type DampState } from '../../src/alerts/transitions.js';
import type { CheckDef, CheckResult, CheckStatus } from '../../src/checks/types.js';
import { openState, type DB } from '../../src/store/db.js';
import { activeAlerts, commitTransition, getAlert, listAlerts, loadCheckStates, recordAlert, type AlertRecord } from '../../src/store/checks.js';
import { ManualClock } from '../helpers/clock.js';

const scratch = mkdtempSync(join(tmpdir(), 'opsdeck-alerts-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dbSeq = 0;
const dbs: DB[] = [];
after(() => dbs.forEach((db) => db.open && db.close()));
function freshDb(): { db: DB; dir: string } {
  const dir = join(scratch, `s${dbSeq++}`);
  const { db } = openState(dir);
  dbs.push(db);
  return { db, dir };
}

const S = (letters: string): CheckStatus[] => letters.split('').map((c) => ({ o: 'ok', w: 'warn', c: 'crit', u: 'unknown' })[c] as CheckStatus);

/** Feeds a sequence through damp(); returns the confirmed status after each result. */
function confirmedAfter(seq: CheckStatus[], confirm: number, start: DampState = initialDamp()): (CheckStatus | null)[] {
  let st = start;
  return seq.map((s, i) => {
    st = damp(st, s, i, confirm).state;
    return st.confirmed;
  });
}

describe('damping', () => {
  const table: [string, string, CheckStatus | null, number, (CheckStatus | null)[]][] = [
    ['first confirmation needs two runs', 'oo', null, 2, [null, 'ok']],
    ['the first confirmation takes the mildest', 'co', null, 2, [null, 'ok']],
    ['one bad run is not an incident', 'coo', 'ok', 2, ['ok', 'ok', 'ok']],
    ['two are', 'cc', 'ok', 2, ['ok', 'crit']],
    ['a flapping check never confirms', 'cococo', 'ok', 2, ['ok', 'ok', 'ok', 'ok', 'ok', 'ok']],
    ['ok → warn → crit escalates step by step (warn held for two runs, crit for one)', 'wccc', 'ok', 2, ['ok', 'warn', 'warn', 'crit']],
    ['warn and crit alternating confirm warn and stay there', 'wcwcw', 'ok', 2, ['ok', 'warn', 'warn', 'warn', 'warn']],
    ['recovery is damped too', 'oo', 'crit', 2, ['crit', 'ok']],
    ['crit easing to ok via warn confirms warn first', 'ow', 'crit', 2, ['crit', 'warn']],
    ['confirm 1 follows every change', 'cwou', 'ok', 1, ['crit', 'warn', 'ok', 'unknown']],
    ['confirm 3', 'cccoccc', 'ok', 3, ['ok', 'ok', 'crit', 'crit', 'crit', 'crit', 'crit']],
    ['confirm 3 resets on an agreeing run', 'ccoccc', 'ok', 3, ['ok', 'ok', 'ok', 'ok', 'ok', 'crit']],
    ['unknown is a status of its own', 'uu', 'ok', 2, ['ok', 'unknown']],
  ];
  for (const [what, seq, start, confirm, expected] of table) {
    it(`${what}: ${seq} from ${start ?? 'nothing'} (confirm ${confirm})`, () => {
      assert.deepEqual(confirmedAfter(S(seq), confirm, initialDamp(start, 0)), expected);
    });
  }

  it('Damper reports transitions with from, to and recovered', () => {
    const d = new Damper(2, [['api', { status: 'ok', since: 0 }]]);
    assert.equal(d.step('api', 'crit', 1), null);
    assert.deepEqual(d.step('api', 'crit', 2), { check: 'api', from: 'ok', to: 'crit', at: 2, recovered: false });
    assert.equal(d.state('api')?.since, 2);
    assert.equal(d.step('api', 'ok', 3), null);
    assert.deepEqual(d.step('api', 'ok', 4), { check: 'api', from: 'crit', to: 'ok', at: 4, recovered: true });
    assert.equal(d.step('new', 'ok', 5), null);
    assert.deepEqual(d.step('new', 'ok', 6), { check: 'new', from: null, to: 'ok', at: 6, recovered: false });
    assert.deepEqual(d.namesIn('ok').sort(), ['api', 'new']);
  });
});

// --- the engine ----------------------------------------------------------------------------------

function def(name: string, extra: Partial<CheckDef> = {}): CheckDef {
  return { name, kind: 'http', source: 'config', intervalMs: 30_000, timeoutMs: 5000, spec: { kind: 'http', name, http: `http://svc.test/${name}` }, ...extra };
}
const res = (status: CheckStatus, at: number, message = `${status} message`): CheckResult => ({ status, message, latencyMs: 5, at });

/** A fake receiver: records bodies, answers with the statuses given in turn (then 200). */
function fakePost(answers: (number | Error)[] = []) {
  const bodies: unknown[] = [];
  const post: Post = async (_url, body) => {
    bodies.push(JSON.parse(body));
    const a = answers.shift() ?? 200;
    if (a instanceof Error) throw a;
    return { status: a, body: a >= 400 ? 'nope' : 'ok' };
  };
  return { post, bodies };
}

const alertsConfig = (over: Record<string, unknown> = {}) => configSchema.parse({ alerts: { webhook: { url: 'https://hooks.test/T0/secret', retries: 3 }, ...over } }).alerts;

function engineWith(db: DB, opts: { confirm?: number; remind?: string; flapping?: number; answers?: (number | Error)[]; clock?: ManualClock } = {}) {
  const cfg = alertsConfig({ confirm: opts.confirm ?? 1, ...(opts.remind ? { remind: opts.remind } : {}), ...(opts.flapping ? { flapping: opts.flapping } : {}) });
  const { post, bodies } = fakePost(opts.answers);
  const sleeps: number[] = [];
  const notifier = new Notifier({ webhook: cfg.webhook!, db, host: 'web1', post, sleep: async (ms) => { sleeps.push(ms); } });
  const errors: Error[] = [];
  const engine = new AlertEngine({ db, alerts: cfg, notifier, clock: opts.clock, onError: (e) => errors.push(e) });
  return { engine, bodies, sleeps, errors };
}

describe('alert engine', () => {
  it('ok → crit → ok with confirm 2: two alerts, recorded and sent once each', async () => {
    const { db } = freshDb();
    const { engine, bodies } = engineWith(db, { confirm: 2 });
    const api = def('api');
    const seq = S('oocoocccoo');
    const confirmed = seq.map((s, i) => engine.observe(api, res(s, 1000 * (i + 1))));
    assert.deepEqual(confirmed, [null, 'ok', 'ok', 'ok', 'ok', 'ok', 'crit', 'crit', 'crit', 'ok']);
    await engine.flush();
    const rows = listAlerts(db).reverse();
    assert.deepEqual(rows.map((a) => [a.kind, a.from, a.to]), [['transition', 'ok', 'crit'], ['transition', 'crit', 'ok']]);
    assert.ok(rows.every((a) => a.notifiedAt !== null && a.attempts === 1 && a.lastError === null));
    assert.deepEqual(bodies.map((b) => (b as { to: string }).to), ['crit', 'ok']);
    assert.deepEqual(bodies[0], {
      host: 'web1', check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: 'crit message',
      at: new Date(7000).toISOString(), url: 'http://svc.test/api',
    });
    assert.deepEqual(loadCheckStates(db).get('api'), { name: 'api', status: 'ok', since: 10_000, updatedAt: 10_000 });
  });

  it('a restarted opsdeck does not alert again: the confirmed state comes back from the store', async () => {
    const { db } = freshDb();
    const first = engineWith(db, { confirm: 2 });
    for (const [i, s] of S('cc').entries()) first.engine.observe(def('db'), res(s, i + 1));
    await first.engine.flush();
    assert.equal(first.bodies.length, 1, 'null → crit is announced');
    const second = engineWith(db, { confirm: 2 });
    assert.equal(second.engine.current('db'), 'crit');
    for (const [i, s] of S('ccc').entries()) assert.equal(second.engine.observe(def('db'), res(s, 10 + i)), 'crit');
    await second.engine.flush();
    assert.equal(second.bodies.length, 0);
    assert.equal(listAlerts(db).length, 1);
  });

  it('the first confirmed ok is a baseline, not an alert', async () => {
    const { db } = freshDb();
    const { engine, bodies } = engineWith(db);
    engine.observe(def('api'), res('ok', 1));
    await engine.flush();
    assert.equal(listAlerts(db).length, 0);
    assert.equal(bodies.length, 0);
    assert.equal(loadCheckStates(db).get('api')?.status, 'ok');
  });

  it('two engines on one store (cockpit and agent) record and send each change once', async () => {
    const { db } = freshDb();
    const a = engineWith(db);
    const b = engineWith(db);
    for (const e of [a, b]) e.engine.observe(def('api'), res('ok', 1));
    for (const e of [a, b]) e.engine.observe(def('api'), res('crit', 2));
    for (const e of [a, b]) e.engine.observe(def('api'), res('ok', 3));
    await Promise.all([a.engine.flush(), b.engine.flush()]);
    assert.equal(listAlerts(db).length, 2);
    assert.equal(a.bodies.length + b.bodies.length, 2);
  });

  it('reminds every alerts.remind while a check stays crit, and stops when it recovers', async () => {
    const { db } = freshDb();
    const clock = new ManualClock(0);
    const { engine, bodies } = engineWith(db, { remind: '1h', clock });
    const api = def('api');
    engine.observe(api, res('ok', clock.now()));
    engine.observe(api, res('crit', clock.now(), '503 Service Unavailable'));
    engine.start();
    await clock.advance(59 * 60_000);
    await engine.flush();
    assert.equal(bodies.length, 1, 'only the transition so far');
    await clock.advance(60_000);
    await engine.flush();
    assert.equal(bodies.length, 2);
    assert.deepEqual(
      { kind: (bodies[1] as AlertRecord).kind, to: (bodies[1] as { to: string }).to, message: (bodies[1] as { message: string }).message },
      { kind: 'reminder', to: 'crit', message: '503 Service Unavailable (crit for 1h)' },
    );
    await clock.advance(59 * 60_000);
    await engine.flush();
    assert.equal(bodies.length, 2, 'not before another hour');
    await clock.advance(60_000);
    await engine.flush();
    assert.equal(bodies.length, 3);
    engine.observe(api, res('ok', clock.now()));
    await clock.advance(3 * 3_600_000);
    await engine.flush();
    assert.deepEqual(bodies.map((b) => `${(b as AlertRecord).kind}:${(b as { to: string }).to}`), ['transition:crit', 'reminder:crit', 'reminder:crit', 'transition:ok']);
    engine.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  it('no reminders without alerts.remind', async () => {
    const { db } = freshDb();
    const clock = new ManualClock(0);
    const { engine, bodies } = engineWith(db, { clock });
    engine.observe(def('api'), res('crit', 0));
    engine.start();
    await clock.advance(48 * 3_600_000);
    engine.tick();
    await engine.flush();
    assert.equal(bodies.length, 1);
  });

  it('silence(pred): changes are recorded as suppressed, nothing is sent; lifting it restores alerts', async () => {
    const { db } = freshDb();
    const { engine, bodies } = engineWith(db);
    const web = def('container:web', { kind: 'container', container: 'web' });
    const api = def('api');
    engine.observe(web, res('ok', 1));
    engine.observe(api, res('ok', 1));
    const lift = engine.silence((d) => d.container === 'web', 'maintenance');
    assert.equal(engine.silencedBy(web), 'maintenance');
    assert.equal(engine.silencedBy(api), null);
    engine.observe(web, res('crit', 2, 'exited with code 0'));
    engine.observe(api, res('crit', 2));
    await engine.flush();
    assert.deepEqual(bodies.map((b) => (b as { check: string }).check), ['api']);
    const webAlert = listAlerts(db, { check: 'container:web' })[0]!;
    assert.equal(webAlert.suppressed, 'maintenance');
    assert.equal(webAlert.notifiedAt, null);
    lift();
    // Its failure was never announced, so neither is its recovery.
    engine.observe(web, res('ok', 3));
    await engine.flush();
    assert.equal(bodies.length, 1);
    assert.match(listAlerts(db, { check: 'container:web' })[0]!.suppressed ?? '', /failure was not announced/);
    // From now on it alerts as usual.
    engine.observe(web, res('crit', 4));
    await engine.flush();
    assert.deepEqual(bodies.map((b) => (b as { check: string }).check), ['api', 'container:web']);
  });

  it('flapping: the message says so once the changes in the last hour reach alerts.flapping', async () => {
    const { db } = freshDb();
    const { engine } = engineWith(db, { flapping: 3 });
    const seq = S('ococ');
    seq.forEach((s, i) => engine.observe(def('api'), res(s, 1000 * (i + 1), 'x')));
    await engine.flush();
    const msgs = listAlerts(db).reverse().map((a) => a.message);
    assert.deepEqual(msgs, ['x', 'x', 'x (flapping: 3 changes in the last hour)']);
  });

  it('never throws into the scheduler: a closed store is reported, the confirmed status still comes back', () => {
    const { db } = freshDb();
    const { engine, errors } = engineWith(db);
    engine.observe(def('api'), res('ok', 1));
    db.close();
    assert.equal(engine.observe(def('api'), res('crit', 2)), 'crit');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /database connection is not open/);
  });

  it('activeAlerts lists what is firing now, worst first', () => {
    const { db } = freshDb();
    commitTransition(db, { check: 'b-warn', from: 'ok', to: 'warn', message: 'slow', at: 1 });
    commitTransition(db, { check: 'a-crit', from: 'ok', to: 'crit', message: 'down', at: 2 });
    commitTransition(db, { check: 'c-ok', from: null, to: 'ok', message: 'fine', at: 3 });
    assert.deepEqual(activeAlerts(db), [
      { name: 'a-crit', status: 'crit', message: 'down', since: new Date(2).toISOString() },
      { name: 'b-warn', status: 'warn', message: 'slow', since: new Date(1).toISOString() },
    ]);
  });
});

// --- the notifier --------------------------------------------------------------------------------

function alertRow(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 7, check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: '503 Service Unavailable', at: '2026-11-23T14:00:00.000Z',
    notifiedAt: null, attempts: 0, lastError: null, suppressed: null, ...over,
  };
}
const hook = { url: 'https://hooks.test/x', format: 'json' as const, timeout: 1000, retries: 3 };

describe('notifier', () => {
  it('generic JSON body: host, check, kind, from, to, message, at, url', () => {
    assert.deepEqual(alertPayload(alertRow(), 'web1', { url: 'http://shop/health' }), {
      host: 'web1', check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: '503 Service Unavailable', at: '2026-11-23T14:00:00.000Z', url: 'http://shop/health',
    });
    assert.equal('url' in alertPayload(alertRow(), 'web1'), false);
    assert.deepEqual(JSON.parse(webhookBody(alertRow(), 'json', 'web1')), alertPayload(alertRow(), 'web1'));
  });

  it('Slack body: one text line with an icon; recovered and reminders say so; <, >, & escaped', () => {
    assert.deepEqual(slackPayload(alertRow(), 'web1'), { text: ':red_circle: CRIT api on web1: 503 Service Unavailable (was ok)' });
    assert.deepEqual(JSON.parse(webhookBody(alertRow({ from: 'crit', to: 'ok', message: '200 OK in 12 ms' }), 'slack', 'web1')), {
      text: ':white_check_mark: RECOVERED api on web1: 200 OK in 12 ms (was crit)',
    });
    assert.equal(alertHeadline(alertRow({ kind: 'reminder', from: 'crit', message: 'down (crit for 4h)' }), 'web1'), 'STILL CRIT api on web1: down (crit for 4h)');
    assert.equal(slackPayload(alertRow({ from: null, to: 'warn', message: 'a<b> & c' }), 'h').text, ':warning: WARN api on h: a&lt;b&gt; &amp; c');
    assert.equal(slackPayload(alertRow(), 'h', { url: 'http://x/health' }).text.endsWith(' <http://x/health|http://x/health>'), true);
  });

  it('retries network errors and 5xx with back-off 1 s, 2 s, 4 s; records every attempt', async () => {
    const { db } = freshDb();
    const alert = recordAlert(db, { check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: 'down', at: 1 });
    const { post, bodies } = fakePost([new TypeError('fetch failed'), 502, 503, 200]);
    const sleeps: number[] = [];
    const n = new Notifier({ webhook: hook, db, host: 'h', post, sleep: async (ms) => { sleeps.push(ms); } });
    const d = await n.deliver(alert);
    assert.deepEqual({ sent: d.sent, attempts: d.attempts }, { sent: true, attempts: 4 });
    assert.deepEqual(sleeps, [1000, 2000, 4000]);
    assert.equal(bodies.length, 4);
    const row = getAlert(db, alert.id)!;
    assert.equal(row.attempts, 4);
    assert.ok(row.notifiedAt);
    assert.equal(row.lastError, 'webhook answered HTTP 503: nope', 'the failure the retries got past');
  });

  it('gives up after `retries`, keeping the last error (without the URL)', async () => {
    const { db } = freshDb();
    const alert = recordAlert(db, { check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: 'down', at: 1 });
    const { post } = fakePost([500, 500, 500]);
    const n = new Notifier({ webhook: { ...hook, retries: 2 }, db, post, sleep: async () => {} });
    const d = await n.deliver(alert);
    assert.equal(d.sent, false);
    const row = getAlert(db, alert.id)!;
    assert.equal(row.attempts, 3);
    assert.equal(row.notifiedAt, null);
    assert.equal(row.lastError, 'webhook answered HTTP 500: nope');
  });

  it('does not retry a 4xx (but does a 429)', async () => {
    const { db } = freshDb();
    const a1 = recordAlert(db, { check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: 'down', at: 1 });
    const f1 = fakePost([404]);
    const n1 = new Notifier({ webhook: hook, db, post: f1.post, sleep: async () => {} });
    assert.deepEqual(await n1.deliver(a1), { id: a1.id, sent: false, attempts: 1, error: 'webhook answered HTTP 404: nope' });
    assert.equal(f1.bodies.length, 1);
    const a2 = recordAlert(db, { check: 'api', kind: 'transition', from: 'crit', to: 'ok', message: 'up', at: 2 });
    const f2 = fakePost([429, 200]);
    const n2 = new Notifier({ webhook: hook, db, post: f2.post, sleep: async () => {} });
    assert.equal((await n2.deliver(a2)).attempts, 2);
  });

  it('dedupe by alert id: called twice (at once or later, or by another notifier), sent once', async () => {
    const { db } = freshDb();
    const alert = recordAlert(db, { check: 'api', kind: 'transition', from: 'ok', to: 'crit', message: 'down', at: 1 });
    const { post, bodies } = fakePost();
    const n = new Notifier({ webhook: hook, db, post, sleep: async () => {} });
    const [d1, d2] = await Promise.all([n.deliver(alert), n.deliver(alert)]);
    assert.equal(d1, d2, 'the second call shares the first delivery');
    const d3 = await n.deliver(alert);
    assert.equal(d3.duplicate, true);
    const other = new Notifier({ webhook: hook, db, post, sleep: async () => {} });
    assert.equal((await other.deliver(alert)).duplicate, true, 'the store remembers it was sent');
    assert.equal(bodies.length, 1);
  });

  it('a timeout is an unreachable webhook, retried', async () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    const { post } = fakePost([timeout, 200]);
    const n = new Notifier({ webhook: hook, post, sleep: async () => {} });
    const d = await n.deliver(alertRow());
    assert.deepEqual({ sent: d.sent, attempts: d.attempts }, { sent: true, attempts: 2 });
    const f = fakePost([timeout]);
    const d2 = await new Notifier({ webhook: { ...hook, retries: 0 }, post: f.post }).deliver(alertRow({ id: 8 }));
    assert.equal(d2.error, 'webhook unreachable: no answer within 1000 ms');
  });
});
