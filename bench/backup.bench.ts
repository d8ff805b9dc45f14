// Backup benchmark (issue: backups). Prints figures against targets and same-run baselines:
//   1. wall time of `opsdeck backup` of a ~1 GB PostgreSQL database (BENCH_PG_MB, default 1024)
//      against the plain shell pipeline `docker exec DB pg_dump -Fc -U postgres big > FILE`, the two
//      alternating, BENCH_RUNS (default 3) runs each, medians:
//        - opsdeck's dump step ("… Dump postgres" → "✓ Dump postgres" on its stderr) / the pipeline
//                                                                         target ≤ 1.10
//        - the whole command (start → exit, incl. preflight, sha256 + pg_restore --list verify,
//          retention) against the pipeline + the same verification by hand (sha256sum, docker cp,
//          pg_restore --list in the container, rm): for information
//   2. resident memory (VmRSS) of the opsdeck node process, sampled every 100 ms from start to exit:
//      the peak against the first sample after the dump step began           target growth ≤ 50 MB
// Starts its own postgres:15 container (labelled opsdeck.test=1, opsdeck.bench=backup; removed with
// its anonymous volume at the end, also on error or Ctrl-C). Needs ~3 GB of free disk.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { BIN, DOCKER, docker } from '../test/helpers/docker.js';
import { children, cpuSeconds, median, mustRun, rssBytes, seedBigTable, timed as timedWith, runBench, startBenchPostgres } from './lib.js';

const PG_MB = Number(process.env.BENCH_PG_MB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TAG = 'backup';
const NAME = `bench-${TAG}-pg-${process.pid}`;
const TARGET_RATIO = 1.1;
const TARGET_GROWTH_MB = 50;
const SAMPLE_MS = 100;
/** Each timed command gets this long before it is killed. */
const RUN_TIMEOUT_MS = 10 * 60_000;
const timed = (argv: string[], opts: Parameters<typeof timedWith>[1] = {}) => timedWith(argv, { timeoutMs: RUN_TIMEOUT_MS, ...opts });
/** Rows per INSERT … SELECT generate_series while seeding (~120 MB each). */
const BATCH_ROWS = 500_000;

const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-bench-backup-'));
const backupsDir = join(tmp, 'backups');
const stateDir = join(tmp, 'state');
const baselineDir = join(tmp, 'baseline');

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(60)} ${value.padStart(14)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}
const MiB = 1024 * 1024;
const mb = (b: number) => `${(b / MiB).toFixed(1)} MB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (r: number) => `${r.toFixed(3)}×`;

// --- processes -----------------------------------------------------------------------------------




const psql = (sql: string) => docker('exec', NAME, 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'big', '-c', sql);

// --- the database --------------------------------------------------------------------------------

function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

async function startPostgres(): Promise<void> {
  // fsync off etc. only speed up seeding; pg_dump reads either way.
  await startBenchPostgres(NAME, TAG, ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_wal_size=4GB'], psql);
}


// --- one run each --------------------------------------------------------------------------------

function clearDir(dir: string): void {
  for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
}

interface BaselineRun { dumpMs: number; syncMs: number; verifyMs: number; bytes: number }

async function baselineRun(i: number): Promise<BaselineRun> {
  const file = join(baselineDir, `big-${i}.dump`);
  const dump = await mustRun(['sh', '-c', `${DOCKER} exec ${NAME} pg_dump -Fc -U postgres big > '${file}'`], 'the shell pipeline');
  const bytes = statSync(file).size;
  // opsdeck fsyncs its file before the rename: what that costs here, for reading the ratio.
  const sync = await mustRun(['sync', file], 'sync FILE');
  // The verification opsdeck does, by hand: sha256 of the file, copy into the container, list, remove.
  const inside = `/tmp/bench-verify-${i}.dump`;
  const t0 = performance.now();
  await mustRun(['sha256sum', file], 'sha256sum');
  await mustRun([DOCKER, 'cp', file, `${NAME}:${inside}`], 'docker cp');
  const list = await mustRun([DOCKER, 'exec', NAME, 'pg_restore', '--list', inside], 'pg_restore --list');
  await mustRun([DOCKER, 'exec', NAME, 'rm', '-f', inside], 'rm in the container');
  const verifyMs = performance.now() - t0;
  if (!/TABLE DATA public t /.test(list.stdout)) throw new Error(`pg_restore --list of the pipeline's dump lists no data for t:\n${list.stdout.slice(0, 2000)}`);
  rmSync(file, { force: true });
  return { dumpMs: dump.ms, syncMs: sync.ms, verifyMs, bytes };
}

interface OpsdeckRun {
  totalMs: number;
  /** spawn → "… Dump postgres". */
  beforeDumpMs: number;
  dumpMs: number;
  verifyMs: number;
  /** "✓ Verify" → exit (retention, the result line, exit). */
  afterVerifyMs: number;
  /** The step times opsdeck printed itself (whole seconds above 1 s). */
  printedDump: string;
  printedVerify: string;
  rssAtDump: number;
  rss1s: number;
  peakDump: number;
  peakVerify: number;
  peak: number;
  cpuS: number;
  samples: number;
  bytes: number;
  result: string;
}

async function opsdeckRun(config: string): Promise<OpsdeckRun> {
  const marks: Record<string, number> = {};
  const printed: Record<string, string> = {};
  const samples: { at: number; rss: number }[] = [];
  let pid = 0;
  let cpuS = 0;
  let sampler: NodeJS.Timeout | undefined;
  const sample = () => {
    if (!pid) return;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'node') return; // still env(1), before its exec
      const rss = rssBytes(pid);
      cpuS = cpuSeconds(pid);
      if (rss > 0) samples.push({ at: performance.now(), rss });
    } catch { /* exited */ }
  };
  const t0 = performance.now();
  const r = await timed([BIN, '--config', config, '--state-dir', stateDir, 'backup', 'big'], {
    onSpawn: (child) => {
      // The shebang's `env -S node …` execs node: the child's pid becomes the node process.
      pid = child.pid ?? 0;
      sample();
      sampler = setInterval(sample, SAMPLE_MS);
    },
    onStderrLine: (l, at) => {
      const m = /^\s+(…|✓|✗) (Dump postgres|Verify)(?: \(([^)]*)\))?/.exec(l);
      if (!m) return;
      const key = `${m[1] === '…' ? 'start' : 'end'}:${m[2]}`;
      marks[key] ??= at;
      if (m[3]) printed[m[2]!] = m[3];
      if (key === 'start:Dump postgres') sample();
    },
  }).finally(() => clearInterval(sampler));
  if (r.code !== 0) throw new Error(`opsdeck backup failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  const need = ['start:Dump postgres', 'end:Dump postgres', 'start:Verify', 'end:Verify'];
  for (const k of need) if (marks[k] === undefined) throw new Error(`no "${k}" step line on opsdeck's stderr:\n${r.stderr.slice(-3000)}`);
  const dumpStart = marks['start:Dump postgres']!;
  const dumpEnd = marks['end:Dump postgres']!;
  const verifyStart = marks['start:Verify']!;
  const verifyEnd = marks['end:Verify']!;
  const first = samples.find((s) => s.at >= dumpStart);
  const after1s = samples.find((s) => s.at >= dumpStart + 1000);
  const peakIn = (a: number, b: number) => Math.max(0, ...samples.filter((s) => s.at >= a && s.at <= b).map((s) => s.rss));
  const files = readdirSync(join(backupsDir, 'big')).filter((f) => f.endsWith('.dump'));
  const bytes = files.length === 1 ? statSync(join(backupsDir, 'big', files[0]!)).size : NaN;
  return {
    totalMs: r.ms,
    beforeDumpMs: dumpStart - t0,
    dumpMs: dumpEnd - dumpStart,
    verifyMs: verifyEnd - verifyStart,
    afterVerifyMs: t0 + r.ms - verifyEnd,
    printedDump: printed['Dump postgres'] ?? '?',
    printedVerify: printed.Verify ?? '?',
    rssAtDump: first?.rss ?? NaN,
    rss1s: after1s?.rss ?? NaN,
    peakDump: peakIn(dumpStart, dumpEnd),
    peakVerify: peakIn(verifyStart, verifyEnd),
    peak: Math.max(0, ...samples.map((s) => s.rss)),
    cpuS,
    samples: samples.length,
    bytes,
    result: r.stdout.trim().split('\n').pop() ?? '',
  };
}

// --- main ----------------------------------------------------------------------------------------

async function main() {
  console.log(`opsdeck backup bench — Docker ${await docker('version', '--format', '{{.Server.Version}}')}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('(figures share the host with whatever else runs: a CI run or another bench moves them)');
  const needed = 3 * 1024 * MiB * (PG_MB / 1024);
  for (const p of [tmp, '/var/lib/docker']) {
    const free = freeBytes(p);
    if (free !== null && free < needed) throw new Error(`only ${mb(free)} free at ${p}; the bench needs about ${mb(needed)} (BENCH_PG_MB=${PG_MB})`);
  }
  mkdirSync(backupsDir);
  mkdirSync(stateDir);
  mkdirSync(baselineDir);
  const config = join(tmp, 'opsdeck.yaml');
  // JSON is YAML: the file goes through the product's own loader.
  writeFileSync(config, JSON.stringify({
    backups: { dir: backupsDir, retention: { keepLast: 100 }, targets: { big: { postgres: { container: NAME, database: 'big', user: 'postgres' } } } },
  }, null, 1));

  await startPostgres();
  const db = await seedBigTable(psql, PG_MB * MiB, { batchRows: BATCH_ROWS, primaryKey: false });
  const tableBytes = Number(await psql("SELECT pg_total_relation_size('t')"));
  console.log(`\ndatabase: pg_database_size('big') = ${mb(db.bytes)} (table t ${mb(tableBytes)}, ${db.rows} rows of an id and 200 random hex characters), seeded in ${sec(db.ms)}`);

  const base: BaselineRun[] = [];
  const ops: OpsdeckRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(await baselineRun(i));
    ops.push(await opsdeckRun(config));
    clearDir(join(backupsDir, 'big')); // keepLast 100 keeps them all: removed by hand
    const b = base[i]!;
    const o = ops[i]!;
    console.log(`  run ${i + 1}: pipeline ${sec(b.dumpMs)} (+ verify by hand ${sec(b.verifyMs)}), opsdeck dump ${sec(o.dumpMs)} / whole ${sec(o.totalMs)}, RSS ${mb(o.rssAtDump)} → peak ${mb(o.peak)}, load ${loadavg()[0]!.toFixed(2)}`);
  }

  const dumpBytes = median(base.map((b) => b.bytes));
  const opsBytes = median(ops.map((o) => o.bytes));
  console.log(`\ndump sizes: pipeline ${mb(dumpBytes)}, opsdeck ${mb(opsBytes)} (pg_dump -Fc compresses: ${(dumpBytes / db.bytes * 100).toFixed(0)} % of the database size)`);
  console.log(`last opsdeck result: ${ops[ops.length - 1]!.result}`);

  const pipe = median(base.map((b) => b.dumpMs));
  const dump = median(ops.map((o) => o.dumpMs));
  const dumpRatio = dump / pipe;
  console.log(`\n1. wall time, ${RUNS} runs each, alternating (medians)`);
  line('baseline: docker exec DB pg_dump -Fc … > file', sec(pipe));
  line('  + fsync of that file afterwards (sync FILE; opsdeck fsyncs)', sec(median(base.map((b) => b.syncMs))));
  line('opsdeck dump step ("… Dump postgres" → "✓ Dump postgres")', sec(dump));
  line('  as opsdeck printed it', ops.map((o) => o.printedDump).join(' / '));
  line('ratio: opsdeck dump step / pipeline', ratio(dumpRatio), `≤ ${TARGET_RATIO.toFixed(2)}`, dumpRatio <= TARGET_RATIO);
  line('  per run', ops.map((o, i) => (o.dumpMs / base[i]!.dumpMs).toFixed(3)).join(' / '));
  line('  pipeline min / max', `${sec(Math.min(...base.map((b) => b.dumpMs)))} / ${sec(Math.max(...base.map((b) => b.dumpMs)))}`);
  line('  opsdeck dump step min / max', `${sec(Math.min(...ops.map((o) => o.dumpMs)))} / ${sec(Math.max(...ops.map((o) => o.dumpMs)))}`);
  const baseTotal = median(base.map((b) => b.dumpMs + b.verifyMs));
  const opsTotal = median(ops.map((o) => o.totalMs));
  line('baseline: pipeline + sha256sum, docker cp, pg_restore --list, rm', sec(baseTotal));
  line('  of which the verification by hand', sec(median(base.map((b) => b.verifyMs))));
  line('opsdeck backup, whole command (spawn → exit)', sec(opsTotal));
  line('  start-up, preflight (size estimate), cleanup → dump step', sec(median(ops.map((o) => o.beforeDumpMs))));
  line('  verify step (sha256, copy in, pg_restore --list, rm)', sec(median(ops.map((o) => o.verifyMs))));
  line('    as opsdeck printed it', ops.map((o) => o.printedVerify).join(' / '));
  line('  after verify: retention, exit', sec(median(ops.map((o) => o.afterVerifyMs))));
  line('ratio: whole command / pipeline + verification (information)', ratio(opsTotal / baseTotal));
  line('dump throughput: database bytes / opsdeck dump step', `${(db.bytes / MiB / (dump / 1000)).toFixed(1)} MB/s`);

  const growth = ops.map((o) => o.peak - o.rssAtDump);
  const worst = Math.max(...growth);
  console.log(`\n2. resident memory of the opsdeck node process (VmRSS every ${SAMPLE_MS} ms, ${median(ops.map((o) => o.samples))} samples a run)`);
  line('at the start of the dump step (median)', mb(median(ops.map((o) => o.rssAtDump))));
  line('1 s into the dump step (median)', mb(median(ops.map((o) => o.rss1s))));
  line('peak during the dump step (median)', mb(median(ops.map((o) => o.peakDump))));
  line('peak during the verify step (median)', mb(median(ops.map((o) => o.peakVerify))));
  line('peak, whole run (median)', mb(median(ops.map((o) => o.peak))));
  line('growth: peak − start of dump, per run', growth.map((g) => (g / MiB).toFixed(1)).join(' / '));
  line('growth: peak − start of dump, worst run', mb(worst), `≤ ${TARGET_GROWTH_MB} MB`, worst <= TARGET_GROWTH_MB * MiB);
  line('opsdeck node CPU per run (median; pg_dump runs in the container)', `${median(ops.map((o) => o.cpuS)).toFixed(2)} s`);
}

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  try {
    const ids = await docker('ps', '-aq', '--filter', `label=opsdeck.bench=${TAG}`);
    // -v: the postgres image's anonymous data volume (≈ the database size) goes too.
    if (ids) await docker('rm', '-f', '-v', ...ids.split('\n'));
  } catch (e) {
    console.error(`cleanup: ${(e as Error).message}`);
  }
  rmSync(tmp, { recursive: true, force: true });
}

runBench(main, cleanup);
