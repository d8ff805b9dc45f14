// Health checks against the real engine, the demo stack and real servers: container states (unhealthy,
// restart loop, one-shot), HTTP, Postgres and Redis inside their containers and over the network,
// SQLite in a container and on this host (healthy and corrupt), TLS expiry and name mismatch, TCP,
// timeouts that never hold up other checks, Nagios-style commands, and a Postgres that goes away.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { configChecks, discoverChecks } from '../../src/checks/discover.js';
import { runCheck } from '../../src/checks/run.js';
import type { CheckDef, CheckEnv, CheckResult } from '../../src/checks/types.js';
import { createReader, type DockerReader } from '../../src/docker/client.js';
import { HostSampler } from '../../src/host/metrics.js';
import { docker, endpoint, PROJECT, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';

const P = `opsdeck-checkit-${process.pid}`;
const PORT = process.env.OPSDECK_DEMO_PORT ?? '18080';
const demo = (service: string) => `${PROJECT}_${service}_1`;
const DEBIAN = 'opsdeck-test/debian:bookworm';

type CheckInput = NonNullable<ConfigInput['checks']>[number];

/** A check as the config file would give it: parsed by the real schema, then made runnable. */
function check(entry: CheckInput): CheckDef {
  const config = configSchema.parse({ checks: [entry] });
  return configChecks(config)[0]!;
}

/** The host port Docker published for a container port. */
async function hostPort(container: string, port: string): Promise<number> {
  const out = await docker('port', container, port);
  const m = /:(\d+)\s*$/m.exec(out.split('\n')[0] ?? '');
  if (!m) throw new Error(`no published port for ${container} ${port}: ${out}`);
  return Number(m[1]);
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** An openssl s_server in a container with a fresh self-signed certificate. */
function tlsServer(name: string, opts: { cn: string; days: number }): Promise<string> {
  const script = [
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes',
    `-days ${opts.days} -subj /CN=${opts.cn} -addext subjectAltName=DNS:${opts.cn}`,
    '-keyout /tmp/k.pem -out /tmp/c.pem 2>/dev/null',
    '&& exec openssl s_server -quiet -accept 4433 -cert /tmp/c.pem -key /tmp/k.pem -www',
  ].join(' ');
  return runTestContainer(name, ['-p', '127.0.0.1::4433'], DEBIAN, ['sh', '-c', script]);
}

describe('health checks against the real engine', () => {
  let reader: DockerReader;
  let env: Omit<CheckEnv, 'signal'>;
  const run = (def: CheckDef): Promise<CheckResult> => runCheck(def, env);
  let redisPort = 0;
  let tlsExpiringPort = 0;
  let tlsOtherPort = 0;
  let pgPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-checks-'));
  const sockets = new Set<net.Socket>();
  const hang = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  before(async () => {
    reader = createReader(endpoint());
    const config = configSchema.parse({});
    const sampler = new HostSampler();
    env = { docker: reader, host: () => sampler.sample(), thresholds: config.thresholds, config, now: Date.now };
    await Promise.all([
      runTestContainer(`${P}-redis`, ['-p', '127.0.0.1::6379'], 'redis:7', ['redis-server', '--requirepass', 's3cret', '--save', '']),
      tlsServer(`${P}-tls-soon`, { cn: 'localhost', days: 3 }),
      tlsServer(`${P}-tls-other`, { cn: 'other.example', days: 90 }),
      runTestContainer(`${P}-pg`, ['-e', 'POSTGRES_PASSWORD=x', '-p', '127.0.0.1::5432'], 'postgres:15', []),
      new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve)),
    ]);
    [redisPort, tlsExpiringPort, tlsOtherPort, pgPort] = await Promise.all([
      hostPort(`${P}-redis`, '6379/tcp'),
      hostPort(`${P}-tls-soon`, '4433/tcp'),
      hostPort(`${P}-tls-other`, '4433/tcp'),
      hostPort(`${P}-pg`, '5432/tcp'),
    ]);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    hang.close();
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('containers', () => {
    it('an unhealthy container is crit, with the reason', async () => {
      const r = await run(check({ name: 'flaky', container: demo('flaky') }));
      assert.equal(r.status, 'crit', r.message);
      assert.match(r.message, /^unhealthy: /);
      assert.equal(r.details?.health, 'unhealthy');
      assert.equal(typeof r.latencyMs, 'number');
    });

    it('a crash-looping container is crit and says so', async () => {
      // Between crashes it runs for 3 s; its restart count rises across two runs, or Docker shows "restarting".
      const def = check({ name: 'crasher', container: demo('crasher') });
      const r = await waitFor('crasher crit', async () => {
        const res = await run(def);
        return res.status === 'crit' ? res : null;
      }, 30_000, 500);
      assert.match(r.message, /restart/);
      assert.ok(Number(r.details?.restartCount) > 0);
    });

    it('a one-shot job that exited 0 is ok; a missing container is crit', async () => {
      const r = await run(check({ name: 'seed', container: demo('cache-seed') }));
      assert.deepEqual([r.status, r.message], ['ok', 'exited 0 (one-shot)']);
      const gone = await run(check({ name: 'gone', container: `${P}-no-such-container` }));
      assert.equal(gone.status, 'crit');
      assert.match(gone.message, /no container/);
    });

    it('discovered checks of the demo stack run, and the healthy services are ok', async () => {
      const containers = (await reader.listContainers()).filter((c) => c.project === PROJECT);
      const defs = discoverChecks(containers, configSchema.parse({}));
      const results = new Map(await Promise.all(defs.map(async (d) => [d.name, await run(d)] as const)));
      for (const name of [`container:${demo('app')}`, `container:${demo('db')}`, `postgres:${demo('db')}`, `redis:${demo('cache')}`, `container:${demo('cache-seed')}`, 'disk', 'memory'])
        assert.equal(results.get(name)?.status, 'ok', `${name}: ${results.get(name)?.message}`);
      assert.equal(results.get(`container:${demo('flaky')}`)?.status, 'crit');
      assert.equal(results.has(`redis:${demo('cache-seed')}`), false);
      // The worker writes ERROR lines.
      const worker = results.get(`logs:${demo('worker')}`)!;
      assert.match(worker.message, /^\d+ error lines? in the last 24h \(threshold 10\)$/);
      assert.ok(Number(worker.details?.errors) > 0, worker.message);
    });
  });

  describe('http, tcp, tls', () => {
    it('http: the demo front /health is ok with a latency', async () => {
      const r = await run(check({ name: 'front', http: `http://127.0.0.1:${PORT}/health` }));
      assert.equal(r.status, 'ok', r.message);
      assert.equal(typeof r.latencyMs, 'number');
      assert.ok(r.latencyMs! >= 0 && r.latencyMs! < 500);
      assert.match(r.message, /^200 OK in \d+ ms$/);
      assert.equal(r.details?.status, 200);
      assert.equal(typeof r.details?.body, 'string');
    });

    it('http: a wrong status, a missing body text, a container name as host', async () => {
      const missing = await run(check({ name: 'nope', http: `http://127.0.0.1:${PORT}/no-such-page-${P}` }));
      assert.equal(missing.status, 'crit');
      assert.match(missing.message, /^404 .*\(expected 2xx\)$/);
      const body = await run(check({ name: 'body', http: `http://127.0.0.1:${PORT}/health`, bodyContains: 'no such text anywhere' }));
      assert.equal(body.status, 'crit');
      assert.match(body.message, /body lacks/);
      // demo_front_1 does not resolve on the host: its address on the compose network is used.
      const byName = await run(check({ name: 'by-name', http: `http://${demo('front')}/health` }));
      assert.equal(byName.status, 'ok', byName.message);
      assert.match(String(byName.details?.containerAddress), /^\d+\.\d+\.\d+\.\d+$/);
    });

    it('tcp: an open port is ok, a closed one crit', async () => {
      const ok = await run(check({ name: 'tcp-ok', tcp: `127.0.0.1:${PORT}` }));
      assert.equal(ok.status, 'ok', ok.message);
      assert.equal(typeof ok.latencyMs, 'number');
      const spare = net.createServer();
      await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
      const closed = (spare.address() as net.AddressInfo).port;
      await new Promise((resolve) => spare.close(resolve));
      const r = await run(check({ name: 'tcp-closed', tcp: `127.0.0.1:${closed}` }));
      assert.equal(r.status, 'crit');
      assert.match(r.message, /connection refused/);
    });

    it('tls: a certificate expiring in 3 days is crit with daysLeft', async () => {
      await waitFor('tls server', () => tcpOpen(tlsExpiringPort), 15_000);
      const def = check({ name: 'tls-soon', tls: { host: 'localhost', port: tlsExpiringPort } });
      const r = await waitFor('a handshake', async () => {
        const res = await run(def);
        return res.details?.daysLeft !== undefined ? res : null;
      }, 15_000, 300);
      assert.equal(r.status, 'crit', r.message);
      assert.ok(r.details?.daysLeft === 2 || r.details?.daysLeft === 3, String(r.details?.daysLeft));
      assert.match(r.message, /^expires in [23] days/);
      assert.equal(r.details?.hostnameMatch, true);
      assert.equal(r.details?.subject, 'localhost');
      assert.equal(r.details?.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(String(r.details?.validTo), /^\d{4}-\d\d-\d\dT/);
    });

    it('tls: a certificate for another name is crit (mismatch)', async () => {
      await waitFor('tls server', () => tcpOpen(tlsOtherPort), 15_000);
      const def = check({ name: 'tls-other', tls: { host: 'localhost', port: tlsOtherPort } });
      const r = await waitFor('a handshake', async () => {
        const res = await run(def);
        return res.details?.daysLeft !== undefined ? res : null;
      }, 15_000, 300);
      assert.equal(r.status, 'crit', r.message);
      assert.match(r.message, /^hostname mismatch/);
      assert.equal(r.details?.hostnameMatch, false);
      assert.ok(Number(r.details?.daysLeft) >= 88);
    });

    it('a hanging endpoint times out as unknown after ~1 s without holding up another check', async () => {
      const port = (hang.address() as net.AddressInfo).port;
      const slow = check({ name: 'hang', http: `http://127.0.0.1:${port}/`, timeout: '1s' });
      const fast = check({ name: 'fast', http: `http://127.0.0.1:${PORT}/health` });
      const t0 = Date.now();
      const timed = async (def: CheckDef) => {
        const r = await run(def);
        return { r, ms: Date.now() - t0 };
      };
      const [s, f] = await Promise.all([timed(slow), timed(fast)]);
      assert.deepEqual([s.r.status, s.r.message], ['unknown', 'timed out after 1s']);
      assert.ok(s.ms >= 950 && s.ms < 2000, `hanging check took ${s.ms} ms`);
      assert.equal(f.r.status, 'ok');
      assert.ok(f.ms < 500, `fast check took ${f.ms} ms`);
    });
  });

  describe('databases', () => {
    it('postgres inside demo_db: ready, with connection numbers', async () => {
      const r = await run(check({ name: 'pg', postgres: { container: demo('db'), user: 'shop', database: 'shop' } }));
      assert.equal(r.status, 'ok', r.message);
      assert.match(r.message, /^ready; connections \d+\/\d+ \(\d+ %\), size [\d.]+ [KMG]iB, longest query \d+ s$/);
      assert.ok(Number(r.details?.connections) >= 1);
      assert.ok(Number(r.details?.maxConnections) >= 10);
      assert.ok(Number(r.details?.sizeBytes) > 0);
      assert.equal(r.details?.inRecovery, false);
    });

    it('redis inside demo_cache: PONG, with used_memory', async () => {
      const r = await run(check({ name: 'redis', redis: { container: demo('cache') } }));
      assert.equal(r.status, 'ok', r.message);
      assert.match(r.message, /^PONG, memory /);
      assert.ok(Number(r.details?.used_memory) > 0);
      assert.equal(r.details?.rdb_last_bgsave_status, 'ok');
    });

    it('redis by URL with AUTH: ok; a wrong password is crit', async () => {
      await waitFor('test redis', () => tcpOpen(redisPort), 15_000);
      const r = await waitFor('redis answers', async () => {
        const res = await run(check({ name: 'redis-url', redis: { url: `redis://:s3cret@127.0.0.1:${redisPort}/0` } }));
        return res.status === 'ok' ? res : null;
      }, 15_000, 300);
      assert.ok(Number(r.details?.used_memory) > 0);
      assert.match(String(r.details?.redis_version), /^7\./);
      const viaSpec = await run(check({ name: 'redis-pw', redis: { url: `redis://127.0.0.1:${redisPort}`, password: 's3cret' } }));
      assert.equal(viaSpec.status, 'ok', viaSpec.message);
      const wrong = await run(check({ name: 'redis-bad', redis: { url: `redis://:wrong@127.0.0.1:${redisPort}` } }));
      assert.equal(wrong.status, 'crit');
      assert.match(wrong.message, /AUTH failed/);
      const none = await run(check({ name: 'redis-none', redis: { url: `redis://127.0.0.1:${redisPort}` } }));
      assert.equal(none.status, 'crit');
      assert.match(none.message, /NOAUTH/);
    });

    it('sqlite inside demo_app: quick_check ok with sizes; a missing file is crit', async () => {
      const r = await run(check({ name: 'app-db', sqlite: { container: demo('app'), path: '/app/data/app.db' } }));
      assert.equal(r.status, 'ok', r.message);
      assert.match(r.message, /^quick_check ok, size /);
      assert.ok(Number(r.details?.sizeBytes) > 0);
      const missing = await run(check({ name: 'app-nodb', sqlite: { container: demo('app'), path: '/app/data/nope.db' } }));
      assert.equal(missing.status, 'crit');
      assert.match(missing.message, /no such file/);
      // The full check on demand.
      const full = await run({ ...check({ name: 'app-db-full', sqlite: { container: demo('app'), path: '/app/data/app.db' } }), full: true } as CheckDef);
      assert.equal(full.status, 'ok', full.message);
      assert.match(full.message, /^integrity_check ok/);
    });

    it('sqlite on this host: a good file is ok, damaged pages and garbage are crit', async () => {
      const good = join(dir, 'good.db');
      const db = new Database(good);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v);');
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      db.transaction(() => { for (let i = 0; i < 3000; i++) insert.run(`value ${i} ${'x'.repeat(50)}`); })();
      db.close();
      const ok = await run(check({ name: 'good', sqlite: { path: good } }));
      assert.equal(ok.status, 'ok', ok.message);
      assert.equal(ok.details?.sizeBytes, statSync(good).size);
      assert.equal(ok.details?.journalMode, 'wal');

      // Same database with garbage over pages 3–6 (the header page stays intact).
      const damaged = join(dir, 'damaged.db');
      const copy = new Database(good, { readonly: true });
      await copy.backup(damaged);
      copy.close();
      const fd = openSync(damaged, 'r+');
      writeSync(fd, Buffer.alloc(4 * 4096, 0xa5), 0, 4 * 4096, 2 * 4096);
      closeSync(fd);
      const bad = await run(check({ name: 'damaged', sqlite: { path: damaged } }));
      assert.equal(bad.status, 'crit', bad.message);
      assert.match(bad.message, /corrupt/);

      const junk = join(dir, 'junk.db');
      const jfd = openSync(junk, 'w');
      writeSync(jfd, Buffer.alloc(8192, 0x42));
      closeSync(jfd);
      const notDb = await run(check({ name: 'junk', sqlite: { path: junk } }));
      assert.equal(notDb.status, 'crit', notDb.message);
      assert.match(notDb.message, /not a database/);

      const missing = await run(check({ name: 'missing', sqlite: { path: join(dir, 'missing.db') } }));
      assert.equal(missing.status, 'crit');
      assert.match(missing.message, /no such file/);
    });

    it('postgres that goes away: ok, then crit once stopped (in the container and over the network)', async () => {
      await waitFor('test postgres ready over TCP', async () => {
        try {
          await docker('exec', `${P}-pg`, 'pg_isready', '-h', '127.0.0.1', '-U', 'postgres');
          return true;
        } catch {
          return false;
        }
      }, 60_000, 300);
      const inside = check({ name: 'pg-in', postgres: { container: `${P}-pg` } });
      const outside = check({ name: 'pg-out', postgres: { host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'x' } });
      const [a, b] = await Promise.all([run(inside), run(outside)]);
      assert.equal(a.status, 'ok', a.message);
      assert.equal(b.status, 'ok', b.message);
      assert.equal(b.details?.where, `127.0.0.1:${pgPort}`);
      const wrongPw = await run(check({ name: 'pg-bad', postgres: { host: '127.0.0.1', port: pgPort, user: 'postgres', password: 'nope' } }));
      assert.equal(wrongPw.status, 'unknown');
      assert.match(wrongPw.message, /password authentication failed/);

      await docker('stop', '-t', '10', `${P}-pg`);
      const [c, d] = await Promise.all([run(inside), run(outside)]);
      assert.equal(c.status, 'crit', c.message);
      assert.match(c.message, /not running/);
      assert.equal(d.status, 'crit', d.message);
      assert.match(d.message, /not ready|no response/);
    });
  });

  describe('commands', () => {
    it('Nagios exit codes on the host: 0 ok, 1 warn, 2 crit, 3 unknown; a timeout is unknown', async () => {
      const cmd = (code: number) => check({ name: `cmd-${code}`, command: { argv: ['sh', '-c', `echo "THING ${code} | load=${code}"; exit ${code}`] } });
      const results = await Promise.all([0, 1, 2, 3].map((c) => run(cmd(c))));
      assert.deepEqual(results.map((r) => [r.status, r.message]), [['ok', 'THING 0'], ['warn', 'THING 1'], ['crit', 'THING 2'], ['unknown', 'THING 3']]);
      assert.equal(results[1]!.details?.perfdata, 'load=1');
      const t0 = Date.now();
      const slow = await run(check({ name: 'cmd-slow', command: { argv: ['sleep', '10'], timeout: '500ms' } }));
      assert.deepEqual([slow.status, slow.message], ['unknown', 'command timed out after 500ms']);
      assert.ok(Date.now() - t0 < 2000);
      const missing = await run(check({ name: 'cmd-missing', command: { argv: [`/nonexistent/${P}`] } }));
      assert.equal(missing.status, 'unknown');
      assert.match(missing.message, /command not found/);
    });

    it('inside a container', async () => {
      const r = await run(check({ name: 'cmd-in', command: { argv: ['sh', '-c', 'echo "inside $(hostname)"; exit 1'], container: demo('app') } }));
      assert.equal(r.status, 'warn', r.message);
      assert.match(r.message, /^inside /);
      const missing = await run(check({ name: 'cmd-in-missing', command: { argv: ['no-such-tool'], container: demo('app') } }));
      assert.equal(missing.status, 'unknown');
      assert.match(missing.message, /not found in container/);
      const t0 = Date.now();
      const slow = await run(check({ name: 'cmd-in-slow', command: { argv: ['sleep', '5'], container: demo('app'), timeout: '500ms' } }));
      assert.deepEqual([slow.status, slow.message], ['unknown', 'command timed out after 500ms']);
      assert.ok(Date.now() - t0 < 2000);
    });
  });
});
