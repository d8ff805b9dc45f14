// Health checks without Docker: discovery and dedupe, every kind's status rules as pure functions
// (table-driven), the RESP and INFO parsers, and runCheck's timeout and error handling with fake kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, type Config, type ConfigInput } from '../../config/schema.js';
import { configChecks, discoverChecks, imageBase, imageKind, LOGS_INTERVAL_MS } from '../../src/checks/discover.js';
import { runCheck } from '../../src/checks/run.js';
import { KINDS } from '../../src/checks/kinds/index.js';
import { nagiosStatus, pluginOutput } from '../../src/checks/kinds/command.js';
import { containerStatus, type ContainerFacts } from '../../src/checks/kinds/container.js';
import { runProcess, ExecTimeoutError, OUTPUT_CAP } from '../../src/checks/kinds/exec.js';
import { diskStatus, sustainedCpu, type CpuSample } from '../../src/checks/kinds/host.js';
import { httpStatus, type HttpFacts } from '../../src/checks/kinds/http.js';
import { logErrorStatus } from '../../src/checks/kinds/logs.js';
import { connectionStatus, parsePgStats, pgMessage } from '../../src/checks/kinds/postgres.js';
import { encodeCommand, hitRate, parseRedisInfo, parseResp, redisFacts, redisStatus, RespError, type RedisFacts } from '../../src/checks/kinds/redis.js';
import { integrityStatus, isCorruption } from '../../src/checks/kinds/sqlite.js';
import { daysUntil, tlsStatus, type TlsFacts } from '../../src/checks/kinds/tls.js';
import { errorMessage, formatWindow, levelAbove, oneLine } from '../../src/checks/kinds/util.js';
import { CHECK_KINDS } from '../../config/schema.js';
import type { CheckDef, CheckEnv, CheckKindRunner, CheckStatus } from '../../src/checks/types.js';
import type { DiskUsage } from '../../src/host/metrics.js';
import { containerInfo } from '../helpers/fixtures.js';

const config = (input: ConfigInput = {}): Config => configSchema.parse(input);

// --- discovery -----------------------------------------------------------------------------------

test('discoverChecks: a container check per container, db checks by image, host checks, logs for running ones, backups', () => {
  const containers = [
    containerInfo({ name: 'demo_db_1', image: 'postgres:15', project: 'demo' }),
    containerInfo({ name: 'demo_cache_1', image: 'redis:7', project: 'demo' }),
    containerInfo({ name: 'demo_cache-seed_1', image: 'redis:7', project: 'demo', state: 'exited', exitCode: 0 }),
    containerInfo({ name: 'demo_app_1', image: 'demo_app', project: 'demo' }),
    containerInfo({ name: 'demo_crasher_1', image: 'busybox:1.36', project: 'demo', state: 'restarting' }),
  ];
  const cfg = config({ backups: { targets: { shopdb: { postgres: { container: 'demo_db_1', database: 'shop' } } } } });
  const defs = discoverChecks(containers, cfg, (name) => (name === 'demo_db_1' ? { POSTGRES_USER: 'shop', POSTGRES_DB: 'shopdb' } : undefined));
  assert.deepEqual(defs.map((d) => d.name), [
    'container:demo_app_1',
    'container:demo_cache-seed_1',
    'container:demo_cache_1',
    'redis:demo_cache_1',
    'container:demo_crasher_1',
    'container:demo_db_1',
    'postgres:demo_db_1',
    'disk',
    'memory',
    'maintenance',
    'capacity',
    'logs:demo_app_1',
    'logs:demo_cache_1',
    'logs:demo_db_1',
    'backup:shopdb',
  ]);
  for (const d of defs) assert.equal(d.source, 'discovered');
  const byName = new Map(defs.map((d) => [d.name, d]));
  // The one-shot job on a redis image is no redis server: only its container check.
  assert.equal(byName.has('redis:demo_cache-seed_1'), false);
  assert.deepEqual(byName.get('postgres:demo_db_1')!.spec, { kind: 'postgres', name: 'postgres:demo_db_1', postgres: { container: 'demo_db_1', user: 'shop', database: 'shopdb' } });
  assert.equal(byName.get('postgres:demo_db_1')!.container, 'demo_db_1');
  assert.deepEqual(byName.get('container:demo_app_1')!.spec, { kind: 'container', name: 'container:demo_app_1', container: { name: 'demo_app_1' } });
  assert.equal(byName.get('logs:demo_app_1')!.intervalMs, LOGS_INTERVAL_MS);
  assert.deepEqual(byName.get('backup:shopdb')!.spec, { kind: 'backup', name: 'backup:shopdb', target: 'shopdb' });
  assert.equal(byName.get('disk')!.container, undefined);
  // Without envOf the user is left for the check to read from the container at run time.
  const plain = discoverChecks([containers[0]!], config());
  assert.deepEqual(plain.find((d) => d.kind === 'postgres')!.spec, { kind: 'postgres', name: 'postgres:demo_db_1', postgres: { container: 'demo_db_1' } });
});

test('discoverChecks: configured checks first; a discovered check covering the same thing is dropped', () => {
  const cfg = config({
    checks: [
      { name: 'db', postgres: { container: 'shop-db', user: 'shop' } },
      { name: 'api', container: 'shop-api' },
      { name: 'root disk', disk: { mount: '/' } },
      { name: 'container:shop-cache', http: 'http://127.0.0.1:1/' },
      { name: 'api logs', logs: { container: 'shop-api', warn: 3 } },
    ],
  });
  const containers = [
    containerInfo({ name: 'shop-db', image: 'docker.io/library/postgres:16-alpine' }),
    containerInfo({ name: 'shop-api', image: 'ghcr.io/acme/api:1.2' }),
    containerInfo({ name: 'shop-cache', image: 'bitnami/redis:7.2' }),
  ];
  const defs = discoverChecks(containers, cfg);
  assert.deepEqual(defs.map((d) => `${d.source} ${d.name}`), [
    'config db',
    'config api',
    'config root disk',
    'config container:shop-cache',
    'config api logs',
    'discovered redis:shop-cache', // its container check lost to the configured check of that name
    'discovered container:shop-db', // the postgres check covers the server, not the container
    'discovered memory',
    'discovered maintenance',
    'discovered capacity',
    'discovered logs:shop-cache',
    'discovered logs:shop-db',
  ]);
  assert.equal(defs[0]!.container, 'shop-db');
  assert.equal(defs[1]!.container, 'shop-api');
});

test('configChecks: interval and timeout defaults, a command timeout of its own, slow log reads', () => {
  const cfg = config({
    checks: [
      { name: 'a', http: 'http://x.example/' },
      { name: 'b', tcp: 'db:5432', interval: '10s', timeout: '2s' },
      { name: 'c', command: { argv: ['check_thing'], timeout: '20s' } },
      { name: 'd', logs: { container: 'x' } },
    ],
  });
  assert.deepEqual(
    configChecks(cfg).map((d) => [d.name, d.kind, d.intervalMs, d.timeoutMs]),
    [
      ['a', 'http', 30_000, 5_000],
      ['b', 'tcp', 10_000, 2_000],
      ['c', 'command', 30_000, 21_000],
      ['d', 'logs', LOGS_INTERVAL_MS, 30_000],
    ],
  );
});

test('imageBase / imageKind', () => {
  const cases: [string, string, 'postgres' | 'redis' | undefined][] = [
    ['postgres:15', 'postgres', 'postgres'],
    ['docker.io/library/postgres:16-alpine', 'postgres', 'postgres'],
    ['bitnami/postgresql@sha256:abc', 'postgresql', 'postgres'],
    ['localhost:5000/redis', 'redis', 'redis'],
    ['redis/redis-stack-server:latest', 'redis-stack-server', 'redis'],
    ['prometheuscommunity/postgres-exporter', 'postgres-exporter', undefined],
    ['redislabs/redisinsight:latest', 'redisinsight', undefined],
    ['nginx:1', 'nginx', undefined],
  ];
  for (const [image, base, kind] of cases) {
    assert.equal(imageBase(image), base, image);
    assert.equal(imageKind(image), kind, image);
  }
});

test('KINDS has a runner for every configurable kind and backup', () => {
  for (const k of [...CHECK_KINDS, 'backup' as const]) assert.equal(typeof KINDS[k], 'function', k);
});

// --- status rules --------------------------------------------------------------------------------

test('levelAbove', () => {
  const cases: [number, number | undefined, number | undefined, CheckStatus][] = [
    [10, 80, 90, 'ok'], [80, 80, 90, 'warn'], [89.9, 80, 90, 'warn'], [90, 80, 90, 'crit'], [100, 80, undefined, 'warn'], [5, undefined, undefined, 'ok'],
  ];
  for (const [v, w, c, want] of cases) assert.equal(levelAbove(v, w, c), want, `${v} ${w} ${c}`);
});

test('containerStatus', () => {
  const NOW = Date.parse('2025-06-01T12:00:00Z');
  const ago = (ms: number) => new Date(NOW - ms).toISOString();
  const base = { state: 'running', health: 'none', restartCount: 0, startedAt: ago(3 * 3_600_000), finishedAt: null, exitCode: null, oomKilled: false, project: 'demo' } as const;
  const facts = (info: Partial<ContainerFacts['info']>, more: Partial<ContainerFacts> = {}): ContainerFacts => ({ info: { ...base, ...info }, restartPolicy: 'unless-stopped', ...more });
  const cases: [string, ContainerFacts, CheckStatus, RegExp][] = [
    ['running', facts({}), 'ok', /^running 3h$/],
    ['healthy', facts({ health: 'healthy' }), 'ok', /^running 3h, healthy$/],
    ['starting', facts({ health: 'starting' }), 'warn', /starting/],
    ['unhealthy with output', facts({ health: 'unhealthy' }, { lastHealthOutput: 'curl: (7) Failed\n to connect\x1b[31m' }), 'crit', /^unhealthy: curl: \(7\) Failed to connect$/],
    ['unhealthy silent', facts({ health: 'unhealthy' }, { lastHealthExitCode: 1 }), 'crit', /^unhealthy: health check failed \(exit 1\)$/],
    ['restarting', facts({ state: 'restarting', restartCount: 12, exitCode: 3 }), 'crit', /^restart loop: 12 restarts, last exit 3$/],
    ['count rose', facts({ restartCount: 5, startedAt: ago(2000) }, { previousRestartCount: 4 }), 'crit', /^restart loop: 5 restarts \(\+1 since the last check\)$/],
    ['count same', facts({ restartCount: 5 }, { previousRestartCount: 5 }), 'ok', /^running 3h$/],
    ['just restarted, first sight', facts({ restartCount: 2, startedAt: ago(5000) }), 'warn', /^restarted 2 times, up 5s$/],
    ['caught running between crashes of a loop', facts({ restartCount: 7, startedAt: ago(2000) }), 'crit', /^restart loop: 7 restarts, up 2s$/],
    ['oom', facts({ state: 'exited', exitCode: 137, oomKilled: true, finishedAt: ago(1000) }), 'crit', /OOM/],
    ['one-shot', facts({ state: 'exited', exitCode: 0, finishedAt: ago(60_000) }, { restartPolicy: 'no' }), 'ok', /^exited 0 \(one-shot\)$/],
    ['compose job failed', facts({ state: 'exited', exitCode: 1, finishedAt: ago(60_000) }, { restartPolicy: 'no' }), 'crit', /^exited 1$/],
    ['loose container failed', facts({ state: 'exited', exitCode: 1, project: null }, { restartPolicy: '' }), 'warn', /^exited 1$/],
    ['always, exited recently with restarts', facts({ state: 'exited', exitCode: 3, restartCount: 7, finishedAt: ago(10_000) }, { restartPolicy: 'always' }), 'crit', /^restart loop: 7 restarts, exited 3$/],
    ['always, stopped long ago', facts({ state: 'exited', exitCode: 0, finishedAt: ago(86_400_000) }, { restartPolicy: 'always' }), 'crit', /stopped \(exited 0\)/],
    ['dead', facts({ state: 'dead' }), 'crit', /dead/],
    ['paused', facts({ state: 'paused' }), 'warn', /paused/],
    ['created', facts({ state: 'created' }), 'warn', /never started/],
  ];
  for (const [what, f, status, message] of cases) {
    const got = containerStatus(f, NOW);
    assert.equal(got.status, status, what);
    assert.match(got.message, message, what);
  }
});

test('httpStatus', () => {
  const base: HttpFacts = { status: 200, statusText: 'OK', latencyMs: 12.3, warnMs: 200, critMs: 500 };
  const cases: [Partial<HttpFacts>, CheckStatus, string][] = [
    [{}, 'ok', '200 OK in 12 ms'],
    [{ status: 204, statusText: 'No Content' }, 'ok', '204 No Content in 12 ms'],
    [{ status: 503, statusText: 'Service Unavailable' }, 'crit', '503 Service Unavailable in 12 ms (expected 2xx)'],
    [{ status: 302, statusText: 'Found', expectStatus: 302 }, 'ok', '302 Found in 12 ms'],
    [{ expectStatus: 418 }, 'crit', '200 OK in 12 ms (expected 418)'],
    [{ bodyContains: 'ok', bodyHasIt: true }, 'ok', '200 OK in 12 ms'],
    [{ bodyContains: 'ok', bodyHasIt: false }, 'crit', '200 OK in 12 ms, body lacks "ok"'],
    [{ latencyMs: 200 }, 'warn', '200 OK in 200 ms (slow, warn 200 ms)'],
    [{ latencyMs: 730 }, 'crit', '200 OK in 730 ms (slow, crit 500 ms)'],
  ];
  for (const [over, status, message] of cases) assert.deepEqual(httpStatus({ ...base, ...over }), { status, message });
});

test('tlsStatus and daysUntil', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  assert.equal(daysUntil(new Date(now + 3 * 86_400_000 - 5000), now), 2);
  assert.equal(daysUntil(new Date(now + 3 * 86_400_000), now), 3);
  assert.equal(daysUntil(new Date(now - 1000), now), -1);
  const base: TlsFacts = { daysLeft: 90, expired: false, warnDays: 30, critDays: 7, validTo: '2025-08-30' };
  const cases: [Partial<TlsFacts>, CheckStatus, RegExp][] = [
    [{}, 'ok', /^valid for 90 days \(until 2025-08-30\)$/],
    [{ daysLeft: 30 }, 'warn', /^expires in 30 days/],
    [{ daysLeft: 7 }, 'crit', /^expires in 7 days/],
    [{ daysLeft: 1 }, 'crit', /^expires in 1 day \(/],
    [{ daysLeft: -3, expired: true }, 'crit', /^expired 3 days ago/],
    [{ hostnameError: 'Host: localhost. is not in the cert\'s altnames: DNS:other.example' }, 'crit', /^hostname mismatch: Host: localhost/],
    [{ authorizationError: 'self-signed certificate' }, 'warn', /^not trusted: self-signed certificate$/],
    // The worst problem leads.
    [{ daysLeft: 20, authorizationError: 'self-signed certificate', hostnameError: 'x' }, 'crit', /^hostname mismatch: x; expires in 20 days .*; not trusted/],
  ];
  for (const [over, status, message] of cases) {
    const got = tlsStatus({ ...base, ...over });
    assert.equal(got.status, status, JSON.stringify(over));
    assert.match(got.message, message, JSON.stringify(over));
  }
});

test('postgres: connection levels, the stats row, the message', () => {
  const cases: [number, number, CheckStatus][] = [[7, 100, 'ok'], [79, 100, 'ok'], [80, 100, 'warn'], [94, 100, 'warn'], [95, 100, 'crit'], [100, 100, 'crit'], [3, 0, 'ok']];
  for (const [c, m, want] of cases) assert.equal(connectionStatus(c, m), want, `${c}/${m}`);
  assert.deepEqual(parsePgStats('1|7|100|8286691|0|f|\n'), { connections: 7, maxConnections: 100, sizeBytes: 8286691, longestQuerySec: 0, inRecovery: false, replicationLagSec: null });
  assert.deepEqual(parsePgStats('1|3|200|100|12|t|4\n'), { connections: 3, maxConnections: 200, sizeBytes: 100, longestQuerySec: 12, inRecovery: true, replicationLagSec: 4 });
  assert.equal(parsePgStats(''), undefined);
  assert.equal(parsePgStats('psql: error: connection refused'), undefined);
  assert.equal(parsePgStats('1|x|100|1|0|f|'), undefined);
  assert.equal(pgMessage({ connections: 7, maxConnections: 100, sizeBytes: 8286691, longestQuerySec: 0, inRecovery: false, replicationLagSec: null }), 'ready; connections 7/100 (7 %), size 7.9 MiB, longest query 0 s');
  assert.match(pgMessage({ connections: 1, maxConnections: 100, sizeBytes: 1, longestQuerySec: 0, inRecovery: true, replicationLagSec: 4 }), /replica, lag 4 s$/);
});

test('redis: INFO parsing and status', () => {
  const info = parseRedisInfo('# Server\r\nredis_version:7.2.4\r\nrole:master\r\n\r\n# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:0\r\n# Stats\r\nkeyspace_hits:98\r\nkeyspace_misses:2\r\nconnected_clients:3\r\nrdb_last_bgsave_status:ok\r\n# Keyspace\r\ndb0:keys=102,expires=0,avg_ttl=0\r\n');
  assert.equal(info.redis_version, '7.2.4');
  assert.equal(info.used_memory, '1048576');
  assert.equal(info.db0, 'keys=102,expires=0,avg_ttl=0');
  assert.equal(Object.keys(info).some((k) => k.startsWith('#')), false);
  const facts = redisFacts(true, info);
  assert.deepEqual(facts, { pong: true, usedMemory: 1048576, maxMemory: 0, bgsaveStatus: 'ok', connectedClients: 3, hits: 98, misses: 2 });
  assert.equal(hitRate(facts), 98);
  assert.equal(hitRate({ hits: 0, misses: 0 }), null);
  const base: RedisFacts = facts;
  const cases: [Partial<RedisFacts>, CheckStatus, RegExp][] = [
    [{}, 'ok', /^PONG, memory 1\.0 MiB \(no maxmemory\), clients 3, hit rate 98 %$/],
    [{ maxMemory: 2 * 1048576 }, 'ok', /memory 1\.0 MiB\/2\.0 MiB \(50 %\)/],
    [{ usedMemory: 95, maxMemory: 100 }, 'warn', /^memory at 95 % of maxmemory; PONG/],
    [{ bgsaveStatus: 'err' }, 'crit', /^last RDB save err; PONG/],
    [{ pong: false }, 'crit', /^no PONG$/],
  ];
  for (const [over, status, message] of cases) {
    const got = redisStatus({ ...base, ...over });
    assert.equal(got.status, status, JSON.stringify(over));
    assert.match(got.message, message, JSON.stringify(over));
  }
});

test('RESP: encoding and parsing, whole and in pieces', () => {
  assert.equal(encodeCommand(['AUTH', 'pä ss']).toString(), '*2\r\n$4\r\nAUTH\r\n$6\r\npä ss\r\n');
  const b = (s: string) => Buffer.from(s);
  assert.deepEqual(parseResp(b('+PONG\r\n')), { value: 'PONG', next: 7 });
  const err = parseResp(b('-NOAUTH Authentication required.\r\n'))!.value;
  assert.ok(err instanceof RespError);
  assert.equal(err.message, 'NOAUTH Authentication required.');
  assert.deepEqual(parseResp(b(':42\r\n')), { value: 42, next: 5 });
  assert.deepEqual(parseResp(b('$5\r\nhello\r\n')), { value: 'hello', next: 11 });
  assert.deepEqual(parseResp(b('$0\r\n\r\n')), { value: '', next: 6 });
  assert.deepEqual(parseResp(b('$-1\r\n')), { value: null, next: 5 });
  assert.deepEqual(parseResp(b('*-1\r\n')), { value: null, next: 5 });
  assert.deepEqual(parseResp(b('*3\r\n+a\r\n:1\r\n*1\r\n$1\r\nz\r\n')), { value: ['a', 1, ['z']], next: 23 });
  // Bulk strings may hold CRLF; lengths count bytes.
  assert.deepEqual(parseResp(b('$4\r\na\r\nb\r\n')), { value: 'a\r\nb', next: 10 });
  assert.deepEqual(parseResp(b('$2\r\né\r\n')), { value: 'é', next: 8 });
  // Not yet complete: undefined, at every cut.
  const whole = '*2\r\n$4\r\nINFO\r\n$11\r\nused_memory\r\n';
  for (let cut = 0; cut < whole.length; cut++) assert.equal(parseResp(b(whole.slice(0, cut))), undefined, `cut ${cut}`);
  assert.deepEqual(parseResp(b(whole))!.value, ['INFO', 'used_memory']);
  // Two replies back to back.
  const two = b('+OK\r\n+PONG\r\n');
  const first = parseResp(two)!;
  assert.equal(first.value, 'OK');
  assert.equal(parseResp(two, first.next)!.value, 'PONG');
  // Malformed streams throw rather than hang.
  assert.throws(() => parseResp(b('?huh\r\n')), /unexpected type/);
  assert.throws(() => parseResp(b('$abc\r\n')), /bad length/);
  assert.throws(() => parseResp(b('$2\r\nabcd\r\n')), /not terminated/);
  assert.throws(() => parseResp(b('$999999999\r\n')), /too large/);
});

test('cpu: sustained for the whole window before it counts', () => {
  const NOW = 1_000_000;
  const FOR = 300_000;
  const series = (from: number, every: number, values: number[]): CpuSample[] => values.map((percent, i) => ({ at: from + i * every, percent }));
  // 11 samples every 30 s reaching back exactly 5 minutes.
  const full = (values: number[]) => series(NOW - FOR, 30_000, values);
  const cases: [string, CpuSample[], CheckStatus, RegExp][] = [
    ['calm', full(Array(11).fill(10)), 'ok', /^cpu 10 %$/],
    ['all above crit', full(Array(11).fill(97)), 'crit', /^cpu 97 %, at least 97 % for 5m \(crit 95 %\)$/],
    ['all above warn', full([85, 90, 96, 99, 85, 85, 85, 85, 85, 85, 90]), 'warn', /at least 85 % for 5m \(warn 80 %\)/],
    ['one dip', full([99, 99, 99, 50, 99, 99, 99, 99, 99, 99, 99]), 'ok', /^cpu 99 %, above 80 % for 180 s of 5m$/],
    ['now calm', full([99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 10]), 'ok', /^cpu 10 %$/],
    ['too little history', series(NOW - 40_000, 20_000, [99, 99, 99]), 'ok', /^cpu 99 %, above 80 % sustained 40 s of 5m$/],
  ];
  for (const [what, samples, status, message] of cases) {
    const got = sustainedCpu(samples, NOW, FOR, 80, 95);
    assert.equal(got.status, status, what);
    assert.match(got.message, message, what);
  }
  assert.equal(sustainedCpu([], NOW, FOR, 80, 95).status, 'unknown');
});

test('disk: the fullest mount decides', () => {
  const d = (mount: string, usedPercent: number): DiskUsage => ({ mount, device: mount, fsType: 'ext4', totalBytes: 100 * 2 ** 30, usedBytes: 0, availBytes: (100 - usedPercent) * 2 ** 30, usedPercent });
  assert.deepEqual(diskStatus([d('/', 40), d('/data', 85)], 80, 90).status, 'warn');
  assert.equal(diskStatus([d('/', 40), d('/data', 85)], 80, 90).message, '/data 85 % used, 15 GiB free (fullest of 2)');
  assert.equal(diskStatus([d('/', 91)], 80, 90).status, 'crit');
  assert.equal(diskStatus([d('/', 12)], 80, 90).message, '/ 12 % used, 88 GiB free');
  assert.equal(diskStatus([], 80, 90).status, 'unknown');
});

test('logs: error count against warn/crit', () => {
  const DAY = 86_400_000;
  assert.deepEqual(logErrorStatus(3, DAY, 10, undefined), { status: 'ok', message: '3 error lines in the last 24h (threshold 10)' });
  assert.deepEqual(logErrorStatus(1, 3_600_000, 10, undefined), { status: 'ok', message: '1 error line in the last 1h (threshold 10)' });
  assert.equal(logErrorStatus(10, DAY, 10, undefined).status, 'warn');
  assert.equal(logErrorStatus(10_000, DAY, 10, undefined).status, 'warn');
  assert.deepEqual(logErrorStatus(50, 300_000, 10, 50), { status: 'crit', message: '50 error lines in the last 5m (warn 10, crit 50)' });
});

test('command: Nagios exit codes and plugin output', () => {
  const cases: [number | null, CheckStatus][] = [[0, 'ok'], [1, 'warn'], [2, 'crit'], [3, 'unknown'], [4, 'unknown'], [127, 'unknown'], [null, 'unknown']];
  for (const [code, want] of cases) assert.equal(nagiosStatus(code), want, String(code));
  assert.deepEqual(pluginOutput('DISK OK - free space: / 3326 MB | /=2643MB;5948;5958;0;5968\nmore\n'), { message: 'DISK OK - free space: / 3326 MB', perfdata: '/=2643MB;5948;5958;0;5968' });
  assert.deepEqual(pluginOutput('\n\nhello \x1b[31mworld\x1b[0m\n'), { message: 'hello world', perfdata: null });
  assert.deepEqual(pluginOutput(''), { message: '', perfdata: null });
});

test('sqlite: integrity rows and corruption errors', () => {
  assert.deepEqual(integrityStatus(['ok']), { status: 'ok', message: 'ok' });
  assert.deepEqual(integrityStatus(['*** in database main ***', 'Page 5: btreeInitPage() returns error code 11', 'Page 6: never used']), {
    status: 'crit',
    message: 'corrupt: Page 5: btreeInitPage() returns error code 11 (+1 more)',
  });
  assert.equal(integrityStatus([]).status, 'unknown');
  for (const t of ['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'Error: database disk image is malformed', 'file is not a database']) assert.equal(isCorruption(t), true, t);
  for (const t of ['SQLITE_CANTOPEN', 'unable to open database file', 'SQLITE_BUSY']) assert.equal(isCorruption(t), false, t);
});

test('one-line messages and error text', () => {
  assert.equal(oneLine('a\n  b\tc\x1b[2J d'), 'a b c d');
  assert.equal(oneLine('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
  assert.equal(errorMessage(new Error('first\n    at stack (file.js:1:1)')), 'first');
  assert.equal(errorMessage(Object.assign(new Error('(HTTP code 404) no such container - No such container: nope'), { statusCode: 404 })), 'No such container: nope');
  assert.equal(errorMessage(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })), 'connection refused (connect ECONNREFUSED 127.0.0.1:1)');
  assert.equal(errorMessage('plain'), 'plain');
  assert.equal(errorMessage(undefined), 'unknown error');
  assert.equal(formatWindow(86_400_000), '24h');
  assert.equal(formatWindow(300_000), '5m');
  assert.equal(formatWindow(45_000), '45s');
});

// --- runCheck ------------------------------------------------------------------------------------

const env: Omit<CheckEnv, 'signal'> = {
  docker: {} as CheckEnv['docker'],
  host: () => Promise.reject(new Error('no host in unit tests')),
  thresholds: config().thresholds,
  config: config(),
  now: Date.now,
};
const def = (over: Partial<CheckDef> = {}): CheckDef => ({
  name: 'fake',
  kind: 'tcp',
  source: 'config',
  intervalMs: 30_000,
  timeoutMs: 5000,
  spec: { kind: 'tcp', name: 'fake', tcp: '127.0.0.1:1' },
  ...over,
});
const withKind = (runner: CheckKindRunner) => ({ kinds: { tcp: runner } });

test('runCheck: passes the outcome through and stamps it', async () => {
  const before = Date.now();
  const r = await runCheck(def(), env, withKind(async () => ({ status: 'warn', message: 'slow-ish\nsecond line', latencyMs: 12, details: { a: 1 } })));
  assert.deepEqual({ ...r, at: 0 }, { status: 'warn', message: 'slow-ish second line', latencyMs: 12, details: { a: 1 }, at: 0 });
  assert.ok(r.at >= before);
});

test('runCheck: a kind that ignores its signal is abandoned at the timeout; one that listens is aborted', async () => {
  let sawAbort = false;
  const t0 = Date.now();
  const [ignoring, listening] = await Promise.all([
    runCheck(def({ timeoutMs: 150 }), env, withKind(() => new Promise(() => {}))),
    runCheck(def({ timeoutMs: 150 }), env, withKind((_d, e) => new Promise((_, reject) => {
      e.signal.addEventListener('abort', () => {
        sawAbort = true;
        reject(new Error('aborted by signal'));
      });
    }))),
  ]);
  const took = Date.now() - t0;
  assert.deepEqual({ ...ignoring, at: 0 }, { status: 'unknown', message: 'timed out after 150ms', latencyMs: null, at: 0 });
  assert.equal(listening.status, 'unknown');
  assert.equal(listening.message, 'timed out after 150ms');
  assert.equal(sawAbort, true);
  assert.ok(took >= 140 && took < 1000, `took ${took} ms`);
});

test('runCheck: thrown errors, sync throws, garbage and missing kinds become unknown; never rejects', async () => {
  const boom = await runCheck(def(), env, withKind(async () => {
    throw new Error('connect ECONNREFUSED 10.0.0.1:5432\n    at TCPConnectWrap.afterConnect');
  }));
  assert.equal(boom.status, 'unknown');
  assert.equal(boom.message, 'connect ECONNREFUSED 10.0.0.1:5432');
  const sync = await runCheck(def(), env, withKind(() => {
    throw new TypeError('bad spec');
  }));
  assert.deepEqual([sync.status, sync.message], ['unknown', 'bad spec']);
  const str = await runCheck(def(), env, withKind(() => Promise.reject('just a string')));
  assert.deepEqual([str.status, str.message], ['unknown', 'just a string']);
  const garbage = await runCheck(def(), env, withKind(async () => ({ status: 'fine' as CheckStatus, message: 'x', latencyMs: NaN })));
  assert.deepEqual([garbage.status, garbage.latencyMs], ['unknown', null]);
  const none = await runCheck(def(), env, { kinds: {} });
  assert.equal(none.status, 'unknown');
  assert.match(none.message, /no runner/);
});

test('runCheck: an outer signal cancels the run', async () => {
  const outer = new AbortController();
  setTimeout(() => outer.abort(), 30);
  const t0 = Date.now();
  const r = await runCheck(def({ timeoutMs: 5000 }), { ...env, signal: outer.signal }, withKind(() => new Promise(() => {})));
  assert.deepEqual([r.status, r.message], ['unknown', 'cancelled']);
  assert.ok(Date.now() - t0 < 1000);
});

// --- host processes ------------------------------------------------------------------------------

test('runProcess: exit codes, no shell, capped output, a timeout kills the process group', async () => {
  const signal = new AbortController().signal;
  const r = await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 3'], { signal, timeoutMs: 5000 });
  assert.deepEqual(r, { exitCode: 3, stdout: 'out\n', stderr: 'err\n', truncated: false });
  const literal = await runProcess('echo', ['$HOME', '; rm -rf /'], { signal, timeoutMs: 5000 });
  assert.equal(literal.stdout, '$HOME ; rm -rf /\n');
  const big = await runProcess('head', ['-c', String(OUTPUT_CAP + 5000), '/dev/zero'], { signal, timeoutMs: 5000 });
  assert.equal(big.stdout.length, OUTPUT_CAP);
  assert.equal(big.truncated, true);
  const t0 = Date.now();
  await assert.rejects(runProcess('sh', ['-c', 'sleep 30 & sleep 30; wait'], { signal, timeoutMs: 200 }), (e: unknown) => e instanceof ExecTimeoutError && /timed out after 200ms/.test(e.message));
  assert.ok(Date.now() - t0 < 2000);
  await assert.rejects(runProcess('/nonexistent/opsdeck-check', [], { signal, timeoutMs: 1000 }), /not installed/);
});
