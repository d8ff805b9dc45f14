import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { DOCKER, docker } from '../test/helpers/docker.js';

export const CLK_TCK = 100;

/** user+system CPU seconds of a process (and its waited-for children are not counted). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}


export function pidOf(name: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) return Number(entry);
    } catch { /* gone */ }
  }
  throw new Error(`no process named ${name}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Starts `n` idle labelled containers for a bench; returns their ids. */
export async function startLoad(n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await docker('run', '-d', '--label', 'opsdeck.test=1', '--label', `opsdeck.bench=${tag}`,
      '--label', `com.docker.compose.project=bench-${tag}`, '--label', `com.docker.compose.service=svc${i}`,
      '--name', `bench-${tag}-${i}`, 'busybox:1.36', 'sleep', '3600'));
  }
  return ids;
}

export async function stopLoad(tag: string): Promise<void> {
  const ids = await docker('ps', '-aq', '--filter', `label=opsdeck.bench=${tag}`);
  if (ids) await docker('rm', '-f', '-v', ...ids.split('\n'));
}

/**
 * Runs a command in a real pseudo-terminal (util-linux `script`), 120×36, and returns the child
 * and a promise for the moment its output first matches `marker`.
 */
export interface PtyRun { child: ChildProcess; started: number; seen: Promise<number>; output: () => string }

/** Sends keys and resolves at the moment output written after them matches `re` (performance.now()). */
export function keyToScreen(run: PtyRun, keys: string, re: RegExp, timeoutMs = 5000): Promise<{ sent: number; seen: number }> {
  return new Promise((resolve, reject) => {
    let after = '';
    const onData = (d: Buffer) => {
      after += d.toString();
      if (re.test(after)) {
        run.child.stdout!.off('data', onData);
        clearTimeout(timer);
        resolve({ sent, seen: performance.now() });
      }
    };
    const timer = setTimeout(() => { run.child.stdout!.off('data', onData); reject(new Error(`no ${re} within ${timeoutMs} ms after ${JSON.stringify(keys)}`)); }, timeoutMs);
    run.child.stdout!.on('data', onData);
    const sent = performance.now();
    run.child.stdin!.write(keys);
  });
}

export function inPty(command: string, marker: RegExp, env: NodeJS.ProcessEnv = {}): PtyRun {
  const started = performance.now();
  const child = spawn('script', ['-qfec', `stty cols 120 rows 36; exec ${command}`, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const seen = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.length > 1_000_000) out = out.slice(-500_000);
      if (marker.test(out)) resolve(performance.now());
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before the marker; output: ${out.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`no ${marker} within 30 s; output: ${out.slice(-2000)}`)), 30_000).unref();
  });
  seen.catch(() => undefined);
  return { child, started, seen, output: () => out };
}

// The pid of the node process inside the pty (script → sh → node), and memory readings: shared with the e2e tests.
export { nodePidUnder, rssBytes } from '../test/helpers/proc.js';

export interface Timed { ms: number; code: number | null; stdout: string; stderr: string }

/** Processes a bench started and has not seen exit: killed on the way out (error, Ctrl-C). */
export const children = new Set<ChildProcess>();

/** Runs argv (no shell unless argv is sh -c …), timed from spawn to exit; killed after `timeoutMs` (default 10 min). */
export function timed(
  argv: string[],
  opts: { onSpawn?: (child: ChildProcess) => void; onStderrLine?: (l: string, at: number) => void; timeoutMs?: number } = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => { if (stdout.length < 4_000_000) stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => {
      const at = performance.now();
      const text = d.toString();
      if (stderr.length < 1_000_000) stderr += text;
      partial += text;
      let i;
      while ((i = partial.indexOf('\n')) >= 0) {
        opts.onStderrLine?.(partial.slice(0, i), at);
        partial = partial.slice(i + 1);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10 * 60_000);
    child.on('error', (e) => { clearTimeout(timer); children.delete(child); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ ms: performance.now() - t0, code, stdout, stderr });
    });
  });
}

export async function mustRun(argv: string[], what: string, timeoutMs?: number): Promise<Timed> {
  const r = await timed(argv, timeoutMs ? { timeoutMs } : {});
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return r;
}

/**
 * Seeds table `t` (an id and ~200 random hex characters a row) batch by batch until the database
 * `big` is `bytes` big; then (optionally) its primary key, VACUUM ANALYZE and a checkpoint, so the
 * first dump does not write hint bits. `psql` runs one statement and returns its output.
 */
export async function seedBigTable(
  psql: (sql: string) => Promise<string>,
  bytes: number,
  opts: { batchRows: number; primaryKey?: boolean },
): Promise<{ bytes: number; rows: number; ms: number }> {
  const t0 = performance.now();
  await psql('CREATE TABLE t (id bigint NOT NULL, payload text NOT NULL)');
  const payload = `substr(${Array.from({ length: 7 }, () => 'md5(random()::text)').join(' || ')}, 1, 200)`;
  let rows = 0;
  let size = Number(await psql("SELECT pg_database_size('big')"));
  while (size < bytes) {
    // The last batch only as big as needed (≈ 245 bytes a row on disk).
    const n = Math.max(10_000, Math.min(opts.batchRows, Math.ceil((bytes - size) / 245)));
    await psql(`INSERT INTO t (id, payload) SELECT g, ${payload} FROM generate_series(${rows + 1}, ${rows + n}) g`);
    rows += n;
    size = Number(await psql("SELECT pg_database_size('big')"));
    if (rows > 100 * (bytes / 200)) throw new Error('seeding does not grow the database');
  }
  if (opts.primaryKey) await psql('ALTER TABLE t ADD PRIMARY KEY (id)');
  await psql('VACUUM (ANALYZE) t');
  await psql('CHECKPOINT');
  size = Number(await psql("SELECT pg_database_size('big')"));
  return { bytes: size, rows, ms: performance.now() - t0 };
}

/**
 * Starts the bench's own postgres:15 (labelled opsdeck.test=1 and opsdeck.bench=TAG, database `big`)
 * with `serverArgs` and waits until it answers over TCP: the image's init-time server listens on the
 * socket only, then restarts. Its log is in the error when it is not ready within 60 s.
 */
export async function startBenchPostgres(name: string, tag: string, serverArgs: string[], psql: (sql: string) => Promise<string>): Promise<void> {
  await docker('run', '-d', '--name', name, '--label', 'opsdeck.test=1', '--label', `opsdeck.bench=${tag}`,
    '-e', 'POSTGRES_PASSWORD=x', '-e', 'POSTGRES_DB=big', 'postgres:15', 'postgres', ...serverArgs);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await docker('exec', name, 'pg_isready', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'big');
      if ((await psql('SELECT 1')) === '1') return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      const logs = await timed([DOCKER, 'logs', '--tail', '20', name]);
      throw new Error(`postgres in ${name} not ready within 60 s; its log:\n${logs.stdout}${logs.stderr}`);
    }
    await sleep(300);
  }
}

/** Runs a bench's main with its cleanup on every way out: done (exit 0), failed (1), Ctrl-C or SIGTERM (130). */
export function runBench(main: () => Promise<void>, cleanup: () => Promise<void>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });
  }
  main().then(
    () => cleanup().then(() => process.exit(0)),
    (e) => { console.error(e); void cleanup().finally(() => process.exit(1)); },
  );
}
