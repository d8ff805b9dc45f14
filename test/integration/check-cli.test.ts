// `opsdeck check` against the demo stack (exit codes, selection, --json, Docker unreachable), and the
// alert path end to end in-process: scheduler → real runCheck → damping → real store → real webhook.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../config/schema.js';
import { AlertEngine } from '../../src/alerts/engine.js';
import type { AlertPayload } from '../../src/alerts/notifier.js';
import { configChecks } from '../../src/checks/discover.js';
import { CheckScheduler } from '../../src/checks/scheduler.js';
import type { CheckJson } from '../../src/cli/check.js';
import { createReader } from '../../src/docker/client.js';
import { HostSampler } from '../../src/host/metrics.js';
import { openState } from '../../src/store/db.js';
import { listAlerts } from '../../src/store/checks.js';
import { PROJECT, endpoint, opsdeck } from '../helpers/docker.js';

const PORT = Number(process.env.OPSDECK_DEMO_PORT ?? 18080);
const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-check-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const c = (service: string) => `${PROJECT}_${service}_1`;

const CONFIG = `
thresholds: { http: { warnMs: 2000, critMs: 4000 } }
checks:
  - { name: front-http, http: "http://127.0.0.1:${PORT}/health", expectStatus: 200 }
  - { name: front-tcp, tcp: "127.0.0.1:${PORT}" }
  - { name: shell-ok, command: { argv: [sh, -c, "exit 0"] } }
  - { name: shell-warn, command: { argv: [sh, -c, "exit 1"] } }
  - { name: shell-crit, command: { argv: [sh, -c, "exit 2"] } }
  - { name: shell-sleep, command: { argv: [sleep, "10"] }, timeout: 1s }
  - { name: shop-db, postgres: { container: ${c('db')}, database: shop, user: shop } }
  - { name: shop-cache, redis: { container: ${c('cache')} } }
`;
const cfgFile = join(tmp, 'opsdeck.yaml');
writeFileSync(cfgFile, CONFIG);

/** A state dir per run, to show `check` leaves it alone. */
let stateSeq = 0;
async function check(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stateDir = join(tmp, `state-${stateSeq++}`);
  const started = Date.now();
  const res = await opsdeck(['--config', cfgFile, '--state-dir', stateDir, 'check', ...args], { env });
  return { ...res, ms: Date.now() - started, stateDir };
}

/** The status word of each result line, by check name. */
function statuses(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^(OK|WARN|CRIT|UNKNOWN)\s+(\S+)/.exec(line);
    if (match) m.set(match[2]!, match[1]!.toLowerCase());
  }
  return m;
}

describe('opsdeck check', () => {
  it('an all-ok selection exits 0, one line per check and a summary', async () => {
    const res = await check(['front-http', 'front-tcp', 'shell-ok', 'shop-db', 'shop-cache', `container:${c('db')}`]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const s = statuses(res.stdout);
    assert.deepEqual([...s.keys()].sort(), ['container:' + c('db'), 'front-http', 'front-tcp', 'shell-ok', 'shop-cache', 'shop-db'].sort());
    assert.ok([...s.values()].every((v) => v === 'ok'), res.stdout);
    assert.match(res.stdout, /^6 checks in \S+(?: ms)?: 0 crit, 0 unknown, 0 warn, 6 ok — worst OK, exit 0$/m);
    assert.match(res.stdout, /^OK\s+front-http\s+.*\d+ ms$/m, 'latency at the end of the line');
  });

  it('a warn exits 1', async () => {
    const res = await check(['shell-warn', 'shell-ok']);
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.equal(statuses(res.stdout).get('shell-warn'), 'warn');
    assert.match(res.stdout.split('\n')[0]!, /^WARN\s+shell-warn/, 'worst first');
  });

  it('the unhealthy container exits 2', async () => {
    const res = await check([`container:${c('flaky')}`, 'shell-ok']);
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stdout.split('\n')[0]!, new RegExp(`^CRIT\\s+container:${c('flaky')}\\s+.*unhealthy`));
  });

  it('a check that times out is unknown: exit 3, within its timeout', async () => {
    const res = await check(['shell-sleep']);
    assert.equal(res.code, 3, res.stdout + res.stderr);
    assert.equal(statuses(res.stdout).get('shell-sleep'), 'unknown');
    assert.match(res.stdout, /time/i);
    assert.ok(res.ms < 6000, `took ${res.ms} ms`);
  });

  it('the worst wins: crit > unknown > warn', async () => {
    assert.equal((await check(['shell-warn', 'shell-sleep'])).code, 3);
    assert.equal((await check(['shell-warn', 'shell-sleep', 'shell-crit'])).code, 2);
  });

  it('--json prints only the results array, with every field', async () => {
    const res = await check(['--json', 'shell-ok', 'shell-warn', 'front-http', `container:${c('flaky')}`]);
    assert.equal(res.code, 2);
    const rows = JSON.parse(res.stdout) as CheckJson[];
    assert.deepEqual(rows.map((r) => r.name), [`container:${c('flaky')}`, 'shell-warn', 'front-http', 'shell-ok']);
    for (const r of rows) {
      assert.deepEqual(Object.keys(r).sort(), ['at', 'details', 'kind', 'latencyMs', 'message', 'name', 'status']);
      assert.equal(typeof r.message, 'string');
      assert.ok(r.latencyMs === null || typeof r.latencyMs === 'number');
      assert.equal(typeof r.details, 'object');
      assert.ok(Math.abs(Date.parse(r.at) - Date.now()) < 60_000, r.at);
    }
    assert.equal(rows.find((r) => r.name === 'front-http')?.kind, 'http');
    assert.equal(rows.find((r) => r.name === 'shell-warn')?.status, 'warn');
  });

  it('prefix selection; an unknown name is a usage error (exit 2) that lists the checks', async () => {
    const res = await check(['--json', 'shell-*']);
    assert.deepEqual((JSON.parse(res.stdout) as CheckJson[]).map((r) => r.name).sort(), ['shell-crit', 'shell-ok', 'shell-sleep', 'shell-warn']);
    const bad = await check(['front-http', 'no-such-check']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /no check named "no-such-check"/);
    assert.match(bad.stderr, /^ {2}front-tcp$/m);
    assert.match(bad.stderr, new RegExp(`^  container:${c('flaky')}$`, 'm'));
  });

  it('every check at once (configured and discovered) finishes in a few seconds, and writes nothing', async () => {
    const res = await check(['--json']);
    const rows = JSON.parse(res.stdout) as CheckJson[];
    assert.ok(rows.length >= 15, `${rows.length} checks`);
    assert.ok(res.ms < 8000, `took ${res.ms} ms`);
    assert.equal(res.code, 2, 'the flaky and crash-looping containers are crit');
    for (const name of ['flaky', 'crasher']) assert.equal(rows.find((r) => r.name === `container:${c(name)}`)?.status, 'crit', name);
    // A pure probe: not even the state store is created.
    assert.ok(!existsSync(res.stateDir) || readdirSync(res.stateDir).length === 0);
  });

  it('Docker unreachable: container checks are unknown with the reason, host checks still run', async () => {
    const res = await check(['shell-ok', 'front-tcp', 'shop-cache'], { DOCKER_HOST: `unix://${join(tmp, 'no-docker.sock')}` });
    assert.equal(res.code, 3, res.stdout + res.stderr);
    const s = statuses(res.stdout);
    assert.equal(s.get('shell-ok'), 'ok');
    assert.equal(s.get('front-tcp'), 'ok');
    assert.equal(s.get('shop-cache'), 'unknown');
    assert.match(res.stdout, /shop-cache\s+Docker unreachable: Docker socket .*no-docker\.sock does not exist/);
    const all = await check([], { DOCKER_HOST: `unix://${join(tmp, 'no-docker.sock')}` });
    assert.match(all.stdout, /^UNKNOWN\s+docker\s+Docker unreachable/m);
    assert.equal(all.code, 2, 'shell-crit still runs and is crit');
  });

  it('--help states the exit codes and that nothing is recorded', async () => {
    const res = await opsdeck(['check', '--help']);
    assert.equal(res.code, 0);
    assert.match(res.stdout, /0 all ok, 1 warn, 2 crit, 3 unknown/);
    assert.match(res.stdout, /no alert is sent/);
  });
});

// --- alerts through a real webhook ---------------------------------------------------------------

interface Receiver { server: Server; url: string; posts: { body: unknown; at: number }[]; answers: number[]; healthStatus: number }

async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { server: undefined as unknown as Server, url: '', posts: [], answers: [], healthStatus: 200 };
  const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let data = '';
    req.on('data', (chunk: Buffer) => { data += chunk.toString(); });
    req.on('end', () => resolve(data));
  });
  r.server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(r.healthStatus).end(r.healthStatus === 200 ? 'ok' : 'down');
      return;
    }
    void read(req).then((text) => {
      const status = r.answers.shift() ?? 200;
      if (status === 200) r.posts.push({ body: JSON.parse(text), at: Date.now() });
      res.writeHead(status).end(status === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  return r;
}

describe('alerts to a webhook', () => {
  let rx: Receiver;
  before(async () => { rx = await startReceiver(); });
  after(() => new Promise<void>((resolve) => rx.server.close(() => resolve())));

  function setup(name: string, over: Record<string, unknown> = {}) {
    const config = configSchema.parse({
      alerts: { webhook: { url: `${rx.url}/hook`, timeout: '2s', retries: 3 }, confirm: 1, ...over },
      checks: [{ name, http: `${rx.url}/health`, expectStatus: 200 }],
    });
    const { db } = openState(join(tmp, `alerts-${name}`));
    const engine = new AlertEngine({ db, alerts: config.alerts });
    const sampler = new HostSampler();
    const scheduler = new CheckScheduler({
      env: { docker: createReader(endpoint()), host: () => sampler.sample(), thresholds: config.thresholds, config, now: Date.now },
      confirmer: engine,
      coalesceMs: 0,
    });
    scheduler.setDefs(configChecks(config));
    const runOnce = async () => {
      assert.equal(scheduler.runNow(name), true);
      await scheduler.idle();
      return scheduler.get(name)!;
    };
    return { db, engine, scheduler, runOnce };
  }

  it('ok → crit → ok with confirm 1: exactly two messages, recorded as sent', async () => {
    const { db, engine, runOnce } = setup('svc');
    rx.posts.length = 0;
    rx.healthStatus = 200;
    assert.equal((await runOnce()).confirmed, 'ok');
    rx.healthStatus = 503;
    const down = await runOnce();
    assert.equal(down.last?.status, 'crit', down.last?.message);
    assert.equal(down.confirmed, 'crit');
    await runOnce(); // still crit: no second message
    rx.healthStatus = 200;
    assert.equal((await runOnce()).confirmed, 'ok');
    await engine.flush();
    const bodies = rx.posts.map((p) => p.body as AlertPayload);
    assert.deepEqual(bodies.map((b) => [b.check, b.kind, b.from, b.to]), [['svc', 'transition', 'ok', 'crit'], ['svc', 'transition', 'crit', 'ok']]);
    assert.equal(bodies[0]!.url, `${rx.url}/health`);
    const rows = listAlerts(db).reverse();
    assert.equal(rows.length, 2);
    assert.ok(rows.every((a) => a.notifiedAt !== null && a.attempts === 1 && a.lastError === null));
    db.close();
  });

  it('a receiver answering 500 once: the message arrives once after a retry, attempts 2', async () => {
    const { db, engine, runOnce } = setup('svc2', { webhook: { url: `${rx.url}/hook`, format: 'slack', timeout: '2s', retries: 3 } });
    rx.posts.length = 0;
    rx.healthStatus = 200;
    await runOnce();
    rx.answers.push(500);
    rx.healthStatus = 503;
    const failedAt = Date.now();
    await runOnce();
    await engine.flush();
    assert.equal(rx.posts.length, 1);
    const text = (rx.posts[0]!.body as { text: string }).text;
    assert.match(text, /^:red_circle: CRIT svc2 on .+ \(was ok\)/);
    assert.ok(rx.posts[0]!.at - failedAt >= 900, 'after the 1 s back-off');
    const [row] = listAlerts(db);
    assert.equal(row?.attempts, 2);
    assert.ok(row?.notifiedAt);
    assert.equal(row?.lastError, 'webhook answered HTTP 500: try later');
    rx.healthStatus = 200;
    db.close();
  });
});
