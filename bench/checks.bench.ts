// Health-check benchmarks (issue: health checks). Prints figures against targets and same-run baselines:
//   1. 50 checks of mixed kinds every 30 s in one real Node process (a scheduler script importing the
//      built modules, run with the executable's V8 flag): its CPU over BENCH_CHECK_SECONDS (default 120)
//      against the same script with 0 checks over the same window      target ≤ 2 % of a core extra
//      — and dockerd's (and containerd's) extra CPU against the idle window, then each kind's cost per
//      run (the kind's checks back to back, after the window, in the same process)
//   2. wall time of one `opsdeck check` of 20 answering checks, BENCH_RUNS (default 7) runs, median
//      and max                                                               target ≤ 1 s
//      baselines: node -e 0, `opsdeck --version`, `opsdeck check` of one disk check
// Uses the demo stack (project BENCH_DEMO_PROJECT, default `demo`; front on BENCH_DEMO_PORT, default
// 18082) and starts one container of its own (openssl s_server, labelled opsdeck.bench=checks).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import { BIN, REPO, docker } from '../test/helpers/docker.js';
import { cpuSeconds, median, pidOf, rssBytes, sleep, stopLoad, runBench } from './lib.js';

const WINDOW_S = Number(process.env.BENCH_CHECK_SECONDS ?? 120);
const SETTLE_S = Number(process.env.BENCH_SETTLE_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PER_KIND_ROUNDS = Number(process.env.BENCH_KIND_ROUNDS ?? 3);
const DEMO = process.env.BENCH_DEMO_PROJECT ?? 'demo';
const FRONT_PORT = Number(process.env.BENCH_DEMO_PORT ?? 18082);
const TAG = 'checks';
const TLS_NAME = `bench-${TAG}-tls-${process.pid}`;
const INTERVAL = '30s';
const TARGET_CPU = 2;
const TARGET_CHECK_MS = 1000;
/** The flag bin/opsdeck.js runs node with: the measured script runs with it too. */
const NODE_FLAGS = ['--max-semi-space-size=1'];

const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-bench-checks-'));
const demo = (service: string) => `${DEMO}_${service}_1`;
const children = new Set<ChildProcess>();
let server: Server | null = null;

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(52)} ${value.padStart(14)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}
const pct = (v: number) => `${v.toFixed(2)} %`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const ms = (v: number) => `${v.toFixed(0)} ms`;

/** CPU seconds of a process's reaped children (cutime + cstime): what its command checks spawned. */
function childCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

function pidOrNull(name: string): number | null {
  try {
    return pidOf(name);
  } catch {
    return null;
  }
}

// --- what the checks talk to ---------------------------------------------------------------------

async function startHttpServer(): Promise<number> {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** openssl s_server with a fresh self-signed certificate for localhost; returns its host port. */
async function startTlsServer(): Promise<number> {
  const script = 'openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/k.pem -out /tmp/c.pem -days 90 -subj /CN=localhost ' +
    '-addext subjectAltName=DNS:localhost 2>/dev/null && exec openssl s_server -accept 4433 -cert /tmp/c.pem -key /tmp/k.pem -quiet -www';
  await docker('run', '-d', '--name', TLS_NAME, '--label', 'opsdeck.test=1', '--label', `opsdeck.bench=${TAG}`,
    '-p', '127.0.0.1::4433', 'opsdeck-test/debian:bookworm', 'sh', '-c', script);
  const mapped = (await docker('port', TLS_NAME, '4433/tcp')).split('\n')[0] ?? '';
  const port = Number(mapped.slice(mapped.lastIndexOf(':') + 1));
  if (!port) throw new Error(`no host port for ${TLS_NAME}: ${JSON.stringify(mapped)}`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => { s.destroy(); resolve(true); });
      s.once('error', () => { s.destroy(); resolve(false); });
      s.setTimeout(2000, () => { s.destroy(); resolve(false); });
    });
    if (ok) return port;
    if (Date.now() > deadline) throw new Error(`openssl s_server in ${TLS_NAME} did not answer within 20 s`);
    await sleep(200);
  }
}

function makeSqliteFile(): string {
  const path = join(tmp, 'app.db');
  const db = new Database(path);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at INTEGER)');
  const insert = db.prepare('INSERT INTO items (name, at) VALUES (?, ?)');
  db.transaction(() => { for (let i = 0; i < 5000; i++) insert.run(`item ${i}`, Date.now()); })();
  db.close();
  return path;
}

async function checkDemo(): Promise<void> {
  for (const s of ['front', 'app', 'cache', 'db', 'worker', 'flaky', 'crasher']) {
    try {
      await docker('inspect', '--format', '{{.State.Status}}', demo(s));
    } catch {
      throw new Error(`the demo stack is not up: no container ${demo(s)} (set BENCH_DEMO_PROJECT, or start it: npm run demo)`);
    }
  }
  const res = await fetch(`http://127.0.0.1:${FRONT_PORT}/health`).catch((e: Error) => e);
  if (res instanceof Error || res.status !== 200) throw new Error(`the demo front does not answer on http://127.0.0.1:${FRONT_PORT}/health (BENCH_DEMO_PORT)`);
}

// --- configs -------------------------------------------------------------------------------------

type CheckInput = Record<string, unknown> & { name: string };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function writeConfig(file: string, checks: CheckInput[]): string {
  const path = join(tmp, file);
  // JSON is YAML: the file goes through the product's own loader.
  writeFileSync(path, JSON.stringify({ thresholds: { http: { warnMs: 2000, critMs: 4000 } }, checks }, null, 1));
  return path;
}

/** 50 checks, every kind but backup, all every 30 s. */
function fiftyChecks(localPort: number, tlsPort: number, sqlitePath: string): CheckInput[] {
  const front = `http://127.0.0.1:${FRONT_PORT}/health`;
  const local = `http://127.0.0.1:${localPort}`;
  const interval = INTERVAL;
  const containers = ['front', 'app', 'cache', 'db', 'worker', 'flaky', 'crasher'].map(demo);
  return [
    ...range(5).map((i) => ({ name: `k-http-front-${i}`, http: front, expectStatus: 200, interval })),
    ...range(5).map((i) => ({ name: `k-http-local-${i}`, http: `${local}/p${i}`, interval })),
    ...[`127.0.0.1:${FRONT_PORT}`, `127.0.0.1:${FRONT_PORT}`, `127.0.0.1:${localPort}`, `127.0.0.1:${localPort}`, `127.0.0.1:${tlsPort}`]
      .map((tcp, i) => ({ name: `k-tcp-${i}`, tcp, interval })),
    ...range(3).map((i) => ({ name: `k-postgres-${i}`, postgres: { container: demo('db') }, interval })),
    ...range(2).map((i) => ({ name: `k-redis-${i}`, redis: { container: demo('cache') }, interval })),
    ...[...containers, TLS_NAME, demo('front'), demo('db')].map((c, i) => ({ name: `k-container-${i}`, container: c, interval })),
    { name: 'k-disk-all', disk: {}, interval },
    { name: 'k-disk-root', disk: { mount: '/' }, interval },
    { name: 'k-memory-host', memory: {}, interval },
    { name: 'k-memory-db', memory: { container: demo('db') }, interval },
    { name: 'k-cpu-host', cpu: {}, interval },
    { name: 'k-cpu-app', cpu: { container: demo('app') }, interval },
    ...range(5).map((i) => ({ name: `k-command-${i}`, command: { argv: ['/bin/true'] }, interval })),
    ...range(3).map((i) => ({ name: `k-tls-${i}`, tls: { host: 'localhost', port: tlsPort }, interval })),
    ...['front', 'app', 'cache', 'db', 'worker'].map((s) => ({ name: `k-logs-${s}`, logs: { container: demo(s) }, interval })),
    { name: 'k-sqlite', sqlite: { path: sqlitePath }, interval },
  ];
}

/** 20 checks that all answer ok: what `opsdeck check` runs in part 2. */
function twentyChecks(localPort: number): CheckInput[] {
  const front = `http://127.0.0.1:${FRONT_PORT}/health`;
  return [
    { name: 'b-http-front', http: front, expectStatus: 200 },
    { name: 'b-http-local-a', http: `http://127.0.0.1:${localPort}/a` },
    { name: 'b-http-local-b', http: `http://127.0.0.1:${localPort}/b` },
    { name: 'b-tcp-front', tcp: `127.0.0.1:${FRONT_PORT}` },
    { name: 'b-tcp-local', tcp: `127.0.0.1:${localPort}` },
    { name: 'b-tcp-front-2', tcp: `localhost:${FRONT_PORT}` },
    ...['front', 'app', 'cache', 'db', 'worker'].map((s) => ({ name: `b-container-${s}`, container: demo(s) })),
    { name: 'b-postgres', postgres: { container: demo('db') } },
    { name: 'b-redis', redis: { container: demo('cache') } },
    { name: 'b-disk', disk: {} },
    { name: 'b-disk-root', disk: { mount: '/' } },
    { name: 'b-memory', memory: {} },
    { name: 'b-memory-db', memory: { container: demo('db') } },
    ...range(3).map((i) => ({ name: `b-command-${i}`, command: { argv: ['/bin/true'] } })),
  ];
}

// --- the measured process ------------------------------------------------------------------------

/**
 * The script under measurement: loads the config with the product's loader, builds the defs with
 * configChecks and runs them in a CheckScheduler with the real kinds (runCheck), a Docker reader and
 * a host sampler, as `opsdeck agent` will. Talks over stdio: prints {"ready"} once started; on
 * `mark` it zeroes its counters, on `stop` it stops the scheduler and prints what ran, then (with
 * BENCH_PER_KIND=1) runs each kind's checks back to back and prints their cost.
 */
function schedulerScript(): string {
  const dist = (p: string) => pathToFileURL(join(REPO, 'dist', p)).href;
  return `
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from ${JSON.stringify(dist('config/load.js'))};
import { configChecks } from ${JSON.stringify(dist('src/checks/discover.js'))};
import { CheckScheduler } from ${JSON.stringify(dist('src/checks/scheduler.js'))};
import { runCheck } from ${JSON.stringify(dist('src/checks/run.js'))};
import { createReader } from ${JSON.stringify(dist('src/docker/client.js'))};
import { resolveEndpoint } from ${JSON.stringify(dist('src/docker/endpoint.js'))};
import { HostSampler } from ${JSON.stringify(dist('src/host/metrics.js'))};

const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const { config } = loadConfig({ explicit: process.argv[2] });
const defs = configChecks(config);
const reader = createReader(resolveEndpoint({ env: process.env, config: config.docker }));
const sampler = new HostSampler();
const env = { docker: reader, host: () => sampler.sample(), thresholds: config.thresholds, config, now: Date.now };
const scheduler = new CheckScheduler({ env });
let counts = {};
scheduler.onResult(({ def, result }) => {
  const c = (counts[def.kind] ??= { runs: 0, ok: 0, warn: 0, crit: 0, unknown: 0, latencySum: 0, latencyN: 0 });
  c.runs++;
  c[result.status]++;
  if (result.latencyMs !== null) { c.latencySum += result.latencyMs; c.latencyN++; }
});
// A consumer, as the Health view is one.
scheduler.subscribe(() => scheduler.getSnapshot());
scheduler.setDefs(defs);
scheduler.start();
setInterval(() => {}, 1 << 30);
say({ ready: true, checks: defs.length });

const dockerdPid = Number(process.env.BENCH_DOCKERD_PID || 0);
const dockerdCpuMs = () => {
  if (!dockerdPid) return 0;
  const s = readFileSync('/proc/' + dockerdPid + '/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

async function perKind() {
  const rounds = Number(process.env.BENCH_KIND_ROUNDS || 3);
  const out = {};
  for (const kind of [...new Set(defs.map((d) => d.kind))]) {
    const mine = defs.filter((d) => d.kind === kind);
    const c0 = process.cpuUsage();
    const d0 = dockerdCpuMs();
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (const d of mine) await runCheck(d, env);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    out[kind] = { checks: mine.length, runs: rounds * mine.length, cpuMs: (c.user + c.system) / 1000, dockerdMs: dockerdCpuMs() - d0, wallMs: wall };
  }
  return out;
}

createInterface({ input: process.stdin }).on('line', async (l) => {
  if (l === 'mark') { counts = {}; say({ marked: true }); return; }
  if (l !== 'stop') return;
  scheduler.stop();
  const last = scheduler.getSnapshot().checks.filter((s) => s.last && s.last.status !== 'ok')
    .map((s) => ({ name: s.def.name, kind: s.def.kind, status: s.last.status, message: s.last.message }));
  const rss = process.memoryUsage().rss;
  say({ counts, last, rss });
  if (process.env.BENCH_PER_KIND === '1') say({ perKind: await perKind() });
  say({ done: true });
  process.exit(0);
});
`;
}

interface KindCounts { runs: number; ok: number; warn: number; crit: number; unknown: number; latencySum: number; latencyN: number }
interface KindCost { checks: number; runs: number; cpuMs: number; dockerdMs: number; wallMs: number }
interface Message {
  ready?: boolean; checks?: number; marked?: boolean; done?: boolean; rss?: number;
  counts?: Record<string, KindCounts>;
  last?: { name: string; kind: string; status: string; message: string }[];
  perKind?: Record<string, KindCost>;
}

interface Measured { pid: number; child: ChildProcess; next: (key: keyof Message, timeoutMs: number) => Promise<Message> }

function startScript(script: string, config: string, env: NodeJS.ProcessEnv): Measured {
  const child = spawn(process.execPath, [...NODE_FLAGS, script, config], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { messages.push(JSON.parse(text) as Message); } catch { err += `${text}\n`; }
      for (const w of waiters.splice(0)) w();
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const next = (key: keyof Message, timeoutMs: number) => new Promise<Message>((resolve, reject) => {
    const look = () => {
      const at = messages.findIndex((m) => m[key] !== undefined);
      if (at >= 0) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(messages.splice(at, 1)[0]!);
        return true;
      }
      return false;
    };
    const onExit = (code: number | null) => { if (!look()) { clearTimeout(timer); reject(new Error(`the bench script exited (${code}) before "${key}"; stderr: ${err.slice(-2000)}`)); } };
    const timer = setTimeout(() => { child.off('exit', onExit); reject(new Error(`no "${key}" from the bench script within ${timeoutMs / 1000} s; stderr: ${err.slice(-2000)}`)); }, timeoutMs);
    if (look()) return;
    child.once('exit', onExit);
    const retry = () => { if (!look()) waiters.push(retry); };
    waiters.push(retry);
  });
  return { pid: child.pid!, child, next };
}

interface Window {
  cpuPercent: number;
  childCpuPercent: number;
  warmupCpuS: number;
  dockerdPercent: number;
  containerdPercent: number | null;
  rss: number;
  result: Message;
  perKind?: Record<string, KindCost>;
}

/** Runs the script on `config`: settles SETTLE_S, measures WINDOW_S, stops it. */
async function measureScript(script: string, config: string, dockerd: number, containerd: number | null, perKind: boolean): Promise<Window> {
  const m = startScript(script, config, { BENCH_DOCKERD_PID: String(dockerd), BENCH_PER_KIND: perKind ? '1' : '0', BENCH_KIND_ROUNDS: String(PER_KIND_ROUNDS) });
  try {
    const ready = await m.next('ready', 30_000);
    const w0 = cpuSeconds(m.pid);
    await sleep(SETTLE_S * 1000);
    m.child.stdin!.write('mark\n');
    await m.next('marked', 5000);
    const c0 = cpuSeconds(m.pid);
    const k0 = childCpuSeconds(m.pid);
    const d0 = cpuSeconds(dockerd);
    const cd0 = containerd === null ? 0 : cpuSeconds(containerd);
    await sleep(WINDOW_S * 1000);
    const cpu = cpuSeconds(m.pid) - c0;
    const kids = childCpuSeconds(m.pid) - k0;
    const d = cpuSeconds(dockerd) - d0;
    const cd = containerd === null ? null : cpuSeconds(containerd) - cd0;
    const rss = rssBytes(m.pid);
    m.child.stdin!.write('stop\n');
    const result = await m.next('counts', 30_000);
    result.checks = ready.checks;
    const kinds = perKind ? (await m.next('perKind', 300_000)).perKind : undefined;
    await m.next('done', 10_000);
    return {
      cpuPercent: (cpu / WINDOW_S) * 100,
      childCpuPercent: (kids / WINDOW_S) * 100,
      warmupCpuS: c0 - w0,
      dockerdPercent: (d / WINDOW_S) * 100,
      containerdPercent: cd === null ? null : (cd / WINDOW_S) * 100,
      rss,
      result,
      ...(kinds ? { perKind: kinds } : {}),
    };
  } finally {
    if (m.child.exitCode === null) m.child.kill('SIGKILL');
  }
}

async function partOne(localPort: number, tlsPort: number, sqlitePath: string): Promise<void> {
  const script = join(tmp, 'scheduler.mjs');
  writeFileSync(script, schedulerScript());
  const idleConfig = writeConfig('idle.yaml', []);
  const checks = fiftyChecks(localPort, tlsPort, sqlitePath);
  const fullConfig = writeConfig('fifty.yaml', checks);
  const dockerd = pidOf('dockerd');
  const containerd = pidOrNull('containerd');

  // The idle script is also the dockerd-alone window: it makes no Docker calls.
  const idle = await measureScript(script, idleConfig, dockerd, containerd, false);
  const full = await measureScript(script, fullConfig, dockerd, containerd, true);

  console.log(`\n1. ${full.result.checks} checks every ${INTERVAL} in one process, CPU over ${WINDOW_S} s after ${SETTLE_S} s settling (% of one core)`);
  line('baseline: the same script with 0 checks', pct(idle.cpuPercent));
  line(`the script with ${full.result.checks} checks`, pct(full.cpuPercent));
  const extra = full.cpuPercent - idle.cpuPercent;
  line('extra CPU for the checks', pct(extra), `≤ ${TARGET_CPU} %`, extra <= TARGET_CPU);
  line('  + reaped child processes (command checks)', pct(full.childCpuPercent - idle.childCpuPercent));
  line(`  first ${SETTLE_S} s after start (first round, not in window)`, `${full.warmupCpuS.toFixed(2)} s CPU`);
  line(`  baseline: the same ${SETTLE_S} s with 0 checks`, `${idle.warmupCpuS.toFixed(2)} s CPU`);
  line('resident memory at the end: with checks / idle', `${mb(full.rss)} / ${mb(idle.rss)}`);
  line('baseline: dockerd CPU (idle window)', pct(idle.dockerdPercent));
  line('dockerd CPU with the checks', pct(full.dockerdPercent));
  line('dockerd extra CPU', pct(full.dockerdPercent - idle.dockerdPercent));
  if (idle.containerdPercent !== null && full.containerdPercent !== null) {
    line('containerd extra CPU (docker exec → runc)', pct(full.containerdPercent - idle.containerdPercent));
  }

  const counts = full.result.counts ?? {};
  const all = Object.values(counts);
  const sum = (k: keyof KindCounts) => all.reduce((a, c) => a + c[k], 0);
  const expected = checks.length * (WINDOW_S / 30);
  line(`runs in the window (≈ ${expected.toFixed(0)} expected)`, String(sum('runs')));
  line('  ok / warn / crit / unknown', `${sum('ok')} / ${sum('warn')} / ${sum('crit')} / ${sum('unknown')}`);

  const costs = full.perKind ?? {};
  const dockerdIdleMsPerS = idle.dockerdPercent * 10; // % of a core → ms per s
  console.log(`\n  per kind: its checks back to back, ${PER_KIND_ROUNDS} rounds, after the window; "at 30 s" = share of a core for those checks every 30 s`);
  console.log(`  ${'kind'.padEnd(10)} ${'checks'.padStart(6)} ${'runs'.padStart(5)} ${'node ms/run'.padStart(12)} ${'dockerd ms/run*'.padStart(15)} ${'wall ms/run'.padStart(12)} ${'at 30 s'.padStart(9)} ${'in window: ok/warn/crit/unk'.padStart(28)}`);
  const rows = Object.entries(costs).map(([kind, c]) => {
    const cpuPerRun = c.cpuMs / c.runs;
    // Net of dockerd's idle rate over the same time; whatever else uses dockerd meanwhile shows as noise.
    const dockerdPerRun = (c.dockerdMs - dockerdIdleMsPerS * (c.wallMs / 1000)) / c.runs;
    return { kind, c, cpuPerRun, dockerdPerRun, share: (cpuPerRun * c.checks) / 30_000 * 100, dockerdShare: (dockerdPerRun * c.checks) / 30_000 * 100 };
  }).sort((a, b) => b.share - a.share);
  for (const r of rows) {
    const k = counts[r.kind];
    console.log(`  ${r.kind.padEnd(10)} ${String(r.c.checks).padStart(6)} ${String(r.c.runs).padStart(5)} ${r.cpuPerRun.toFixed(2).padStart(12)} ${r.dockerdPerRun.toFixed(2).padStart(15)} ${(r.c.wallMs / r.c.runs).toFixed(1).padStart(12)} ${pct(r.share).padStart(9)} ${(k ? `${k.ok}/${k.warn}/${k.crit}/${k.unknown}` : '-').padStart(28)}`);
  }
  const projected = rows.reduce((a, r) => a + r.share, 0);
  line('  sum of the kinds, projected at 30 s: node', pct(projected));
  line('  sum of the kinds, projected at 30 s: dockerd', pct(rows.reduce((a, r) => a + r.dockerdShare, 0)));
  console.log('  * net of dockerd\'s idle rate over the same time: other users of dockerd (a CI run) make it noisy, even negative');
  const notOk = full.result.last ?? [];
  if (notOk.length) {
    console.log('\n  not ok at the end (last result):');
    for (const c of notOk) console.log(`    ${c.status.toUpperCase().padEnd(8)} ${c.name.padEnd(18)} ${c.message.slice(0, 110)}`);
  }
}

// --- part 2: opsdeck check -----------------------------------------------------------------------

function runBin(args: string[]): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = execFile(BIN, args, { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ ms: performance.now() - t, code, stdout, stderr });
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
  });
}

async function partTwo(localPort: number): Promise<void> {
  const config = writeConfig('twenty.yaml', twentyChecks(localPort));
  const stateDir = join(tmp, 'state');
  const check = (...names: string[]) => runBin(['--config', config, '--state-dir', stateDir, 'check', ...names]);

  await check('b-*'); // warm the page cache once
  const nodeStart: number[] = [];
  const version: number[] = [];
  const one: number[] = [];
  const twenty: number[] = [];
  let summary = '';
  let code = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    nodeStart.push(performance.now() - t);
    version.push((await runBin(['--version'])).ms);
    one.push((await check('b-disk')).ms);
    const r = await check('b-*');
    twenty.push(r.ms);
    summary = r.stdout.trim().split('\n').pop() ?? '';
    code = r.code;
  }
  const json = await check('--json', 'b-*');
  let slowest = '';
  try {
    const rows = JSON.parse(json.stdout) as { name: string; status: string; latencyMs: number | null }[];
    slowest = rows.filter((r) => r.latencyMs !== null).sort((a, b) => b.latencyMs! - a.latencyMs!).slice(0, 4)
      .map((r) => `${r.name} ${Math.round(r.latencyMs!)} ms`).join(', ');
    const bad = rows.filter((r) => r.status !== 'ok');
    if (bad.length) slowest += `; not ok: ${bad.map((r) => `${r.name} ${r.status}`).join(', ')}`;
  } catch {
    slowest = `(no JSON: ${json.stderr.slice(0, 200)})`;
  }

  console.log(`\n2. one \`opsdeck check\` run, wall time (${RUNS} runs each)`);
  line('baseline: node -e 0 (median)', ms(median(nodeStart)));
  line('baseline: opsdeck --version (median)', ms(median(version)));
  line('baseline: opsdeck check of 1 disk check (median)', ms(median(one)));
  const med = median(twenty);
  line('opsdeck check of 20 answering checks (median)', ms(med), `≤ ${TARGET_CHECK_MS} ms`, med <= TARGET_CHECK_MS);
  line('  min / max', `${ms(Math.min(...twenty))} / ${ms(Math.max(...twenty))}`);
  line('  above the 1-check run (median)', ms(med - median(one)));
  console.log(`  last run: ${summary} (exit ${code})`);
  console.log(`  slowest checks (one --json run): ${slowest}`);
}

// --- main ----------------------------------------------------------------------------------------

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
  try { await stopLoad(TAG); } catch (e) { console.error(`cleanup: ${(e as Error).message}`); }
  rmSync(tmp, { recursive: true, force: true });
}

async function main() {
  const cores = execFileSync('nproc').toString().trim();
  console.log(`opsdeck checks bench — Docker ${await docker('version', '--format', '{{.Server.Version}}')}, ${cores} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('(figures share the host with whatever else runs, a CI run included: dockerd figures especially)');
  await checkDemo();
  const localPort = await startHttpServer();
  const tlsPort = await startTlsServer();
  const sqlitePath = makeSqliteFile();
  await partTwo(localPort);
  await partOne(localPort, tlsPort, sqlitePath);
}

runBench(main, cleanup);
