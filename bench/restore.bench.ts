// Restore benchmark (issue: guided restore). Prints figures against a same-run baseline:
//   the wall time of `opsdeck restore big ID --yes --json` of a ~1 GB PostgreSQL database
//   (BENCH_PG_MB, default 1024) from a backup `opsdeck backup` took once, against the bare restore of
//   the same file: `docker cp FILE DB:/tmp/…` + `docker exec DB pg_restore --clean --if-exists
//   --single-transaction --exit-on-error -U postgres -d big …` (copy start → restore exit; copy and
//   restore printed apart). The two alternate, BENCH_RUNS (default 2) runs each; medians. The
//   walkthrough's own steps (from its JSON) are printed with their share of the total: the safety
//   backup (dump + verify of the current data) and the health check are the price of safety.
//   Each run must end with status ok and the table's row count as seeded.
// Starts its own postgres:15 container (labelled opsdeck.test=1, opsdeck.bench=restore; removed with
// its anonymous volume at the end, also on error or Ctrl-C). Needs ~4× the database size free; with
// less it says so and exits 0 without running.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, DOCKER, docker } from '../test/helpers/docker.js';
import { children, median, mustRun, sleep, seedBigTable, timed as timedWith, startBenchPostgres } from './lib.js';

const PG_MB = Number(process.env.BENCH_PG_MB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const TAG = 'restore';
const NAME = `bnF-restore-pg-${process.pid}`;
/** Each timed command gets this long before it is killed. */
const RUN_TIMEOUT_MS = 30 * 60_000;
const timed = (argv: string[], onStderrLine?: (l: string, at: number) => void) => timedWith(argv, { timeoutMs: RUN_TIMEOUT_MS, ...(onStderrLine ? { onStderrLine } : {}) });
/** Rows per INSERT … SELECT generate_series while seeding (~120 MB each). */
const BATCH_ROWS = 500_000;
/** Free space the bench wants, as a multiple of the database size. */
const SPACE_FACTOR = 4;

const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-bench-restore-'));
const backupsDir = join(tmp, 'backups');
const stateDir = join(tmp, 'state');
let containerStarted = false;

const MiB = 1024 * 1024;
const mb = (b: number) => `${(b / MiB).toFixed(1)} MB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (r: number) => `${r.toFixed(3)}×`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function line(name: string, value: string, extra = '') {
  console.log(`${name.padEnd(70)} ${value.padStart(14)}${extra ? `   ${extra}` : ''}`);
}

// --- processes -----------------------------------------------------------------------------------




const psql = (sql: string) => docker('exec', NAME, 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'big', '-c', sql);
const rowCount = async () => Number(await psql('SELECT count(*) FROM t'));

// --- space ---------------------------------------------------------------------------------------

function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

function deviceOf(path: string): number | null {
  try {
    return statSync(path).dev;
  } catch {
    return null;
  }
}

/** Where the database lives (Docker's root directory) and where the backups go: the free space of each. */
async function spaceReport(): Promise<{ ok: boolean; text: string }> {
  const needed = SPACE_FACTOR * PG_MB * MiB;
  let root = '/var/lib/docker';
  try {
    root = (await docker('info', '--format', '{{.DockerRootDir}}')) || root;
  } catch { /* the default */ }
  const places = [{ what: 'backups (temp dir)', path: tmp }];
  if (deviceOf(root) === null || deviceOf(root) !== deviceOf(tmp)) places.push({ what: 'Docker data', path: root });
  const parts: string[] = [];
  let ok = true;
  for (const p of places) {
    const free = freeBytes(p.path);
    parts.push(`${mb(free ?? NaN)} free for ${p.what} at ${p.path}`);
    if (free !== null && free < needed) ok = false;
  }
  const same = places.length === 1 ? ` (Docker data ${root} on the same file system)` : '';
  return { ok, text: `${parts.join('; ')}${same}; needs ${SPACE_FACTOR} × ${PG_MB} MB = ${mb(needed)} (BENCH_PG_MB=${PG_MB})` };
}

// --- the database --------------------------------------------------------------------------------

async function startPostgres(): Promise<void> {
  containerStarted = true;
  await startBenchPostgres(NAME, TAG, ['-c', 'max_wal_size=4GB'], psql);
}

/** Durability off while seeding only (ALTER SYSTEM + reload: all three take effect without a restart). */
const FAST = ['fsync', 'full_page_writes', 'synchronous_commit'];
async function durability(on: boolean): Promise<string> {
  for (const s of FAST) await psql(on ? `ALTER SYSTEM RESET ${s}` : `ALTER SYSTEM SET ${s} = off`);
  await psql('SELECT pg_reload_conf()');
  await sleep(500);
  const shown: string[] = [];
  for (const s of [...FAST, 'max_wal_size']) shown.push(`${s}=${await psql(`SHOW ${s}`)}`);
  return shown.join(', ');
}


// --- one run each --------------------------------------------------------------------------------

interface BareRun { copyMs: number; restoreMs: number; totalMs: number; rows: number }

async function bareRun(file: string, i: number): Promise<BareRun> {
  const inside = `/tmp/bench-restore-${i}.dump`;
  const t0 = performance.now();
  const copy = await mustRun([DOCKER, 'cp', file, `${NAME}:${inside}`], 'docker cp');
  const restore = await mustRun([DOCKER, 'exec', NAME, 'pg_restore', '--clean', '--if-exists', '--single-transaction', '--exit-on-error',
    '-U', 'postgres', '-d', 'big', inside], 'the bare pg_restore');
  const totalMs = performance.now() - t0;
  await mustRun([DOCKER, 'exec', NAME, 'rm', '-f', inside], 'rm in the container');
  return { copyMs: copy.ms, restoreMs: restore.ms, totalMs, rows: await rowCount() };
}

interface Step { id: string; title: string; status: string; durationMs?: number; detail?: string; error?: string }
interface Outcome {
  result: string; status: string; message: string | null; safetyBackup: string | null; safetyFile: string | null;
  before: Record<string, number> | null; after: Record<string, number> | null; steps: Step[]; durationMs: number;
}

interface OpsdeckRun {
  totalMs: number;
  /** spawn → "… Pause restart policies": start-up, preflight (sha256 of the file, compatibility, space, dependants). */
  beforeStepsMs: number;
  /** "✓ Record" → exit. */
  afterStepsMs: number;
  /** Inside the restore step, from its log lines: copy in + pg_restore --list + ending sessions; then empty + pg_restore. */
  copyListMs: number;
  pgRestoreMs: number;
  steps: Step[];
  out: Outcome;
  rows: number;
}

async function opsdeckRun(config: string, id: string): Promise<OpsdeckRun> {
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const r = await timed([BIN, '--config', config, '--state-dir', stateDir, 'restore', 'big', id, '--yes', '--json'], (l, at) => {
    let m = /^ {2}(…|✓|✗) ([^(:]+?)(?: \(|:|$)/.exec(l);
    if (m) {
      marks[`${m[1] === '…' ? 'start' : 'end'}:${m[2]}`] ??= at;
      return;
    }
    m = /^ {4}(copying the dump into|restoring \S+ objects in one transaction)/.exec(l);
    if (m) marks[m[1]!.startsWith('copying') ? 'copying' : 'restoring'] ??= at;
  });
  let out: Outcome;
  try {
    out = JSON.parse(r.stdout) as Outcome;
  } catch {
    throw new Error(`opsdeck restore (exit ${r.code}) printed no JSON on stdout:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
  }
  if (r.code !== 0 || out.status !== 'ok') {
    throw new Error(`opsdeck restore did not succeed (exit ${r.code}, status ${out.status}): ${out.message ?? ''}\n${r.stderr.slice(-3000)}`);
  }
  const need = ['start:Pause restart policies', 'end:Record', 'copying', 'restoring', 'end:Restore'];
  for (const k of need) if (marks[k] === undefined) throw new Error(`no "${k}" line on opsdeck's stderr:\n${r.stderr.slice(-3000)}`);
  return {
    totalMs: r.ms,
    beforeStepsMs: marks['start:Pause restart policies']! - t0,
    afterStepsMs: t0 + r.ms - marks['end:Record']!,
    copyListMs: marks.restoring! - marks.copying!,
    pgRestoreMs: marks['end:Restore']! - marks.restoring!,
    steps: out.steps,
    out,
    rows: await rowCount(),
  };
}

// --- main ----------------------------------------------------------------------------------------

async function main() {
  console.log(`opsdeck restore bench — Docker ${await docker('version', '--format', '{{.Server.Version}}')}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('(figures share the host with whatever else runs: a CI run or another bench moves them)');
  const space = await spaceReport();
  if (!space.ok) {
    console.log(`skipped: not enough free disk: ${space.text}. Free some space or set a smaller BENCH_PG_MB.`);
    return;
  }
  console.log(`space: ${space.text}`);
  mkdirSync(backupsDir);
  mkdirSync(stateDir);
  const config = join(tmp, 'opsdeck.yaml');
  // JSON is YAML: the file goes through the product's own loader.
  writeFileSync(config, JSON.stringify({
    backups: { dir: backupsDir, retention: { keepLast: 100 }, targets: { big: { postgres: { container: NAME, database: 'big', user: 'postgres' } } } },
  }, null, 1));

  await startPostgres();
  await durability(false);
  const db = await seedBigTable(psql, PG_MB * MiB, { batchRows: BATCH_ROWS, primaryKey: true });
  const settings = await durability(true);
  await psql('CHECKPOINT');
  const tableBytes = Number(await psql("SELECT pg_total_relation_size('t')"));
  console.log(`\ndatabase: pg_database_size('big') = ${mb(db.bytes)} (table t with its primary key ${mb(tableBytes)}, ${db.rows} rows of an id and 200 random hex characters), seeded in ${sec(db.ms)}`);
  console.log(`server settings for the timed runs: ${settings} (durability off only while seeding)`);

  const bk = await timed([BIN, '--config', config, '--state-dir', stateDir, 'backup', 'big', '--json']);
  if (bk.code !== 0) throw new Error(`opsdeck backup failed (exit ${bk.code}):\n${bk.stderr.slice(-3000)}`);
  const backup = JSON.parse(bk.stdout) as { id: string; file: string; sizeBytes: number; status: string; verified: boolean | null; verifyMessage: string | null };
  if (backup.status !== 'ok' || backup.verified !== true) throw new Error(`the backup is ${backup.status}, verified ${backup.verified}: ${backup.verifyMessage ?? ''}`);
  console.log(`backup:   opsdeck backup big --json took ${sec(bk.ms)}: ${backup.id}, ${mb(backup.sizeBytes)} (${pct(backup.sizeBytes / db.bytes)} of the database), verified: ${backup.verifyMessage ?? '–'}`);

  const bare: BareRun[] = [];
  const ops: OpsdeckRun[] = [];
  const safetyFiles: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const b = await bareRun(backup.file, i);
    if (b.rows !== db.rows) throw new Error(`after the bare pg_restore, t has ${b.rows} rows, seeded ${db.rows}`);
    bare.push(b);
    // The walkthrough needs 2 × the backup + the safety backup free; earlier safety backups go when it is tight.
    const free = freeBytes(backupsDir);
    if (free !== null && free < SPACE_FACTOR * db.bytes && safetyFiles.length) {
      console.log(`  disk tight (${mb(free)} free < ${SPACE_FACTOR} × ${mb(db.bytes)}): removing ${safetyFiles.length} earlier safety backup file(s)`);
      for (const f of safetyFiles.splice(0)) rmSync(f, { force: true });
    }
    const o = await opsdeckRun(config, backup.id);
    if (o.rows !== db.rows) throw new Error(`after opsdeck restore, t has ${o.rows} rows, seeded ${db.rows}`);
    if (o.out.safetyFile) safetyFiles.push(o.out.safetyFile);
    ops.push(o);
    console.log(`  run ${i + 1}: bare ${sec(b.totalMs)} (copy ${sec(b.copyMs)} + pg_restore ${sec(b.restoreMs)}), ${b.rows} rows after; ` +
      `opsdeck restore ${sec(o.totalMs)}, status ${o.out.status}, ${o.rows} rows after (its probe: ${JSON.stringify(o.out.after)}); load ${loadavg()[0]!.toFixed(2)}`);
  }
  const last = ops[ops.length - 1]!.out;
  console.log(`last opsdeck message: ${last.message ?? '–'}`);
  const safetySizes = readdirSync(join(backupsDir, 'big')).filter((f) => f.endsWith('.dump') && !backup.file.endsWith(f)).map((f) => statSync(join(backupsDir, 'big', f)).size);
  if (safetySizes.length) console.log(`safety backups left in the backups dir: ${safetySizes.length}, ${safetySizes.map(mb).join(', ')}`);

  const bareTotal = median(bare.map((b) => b.totalMs));
  const opsTotal = median(ops.map((o) => o.totalMs));
  console.log(`\nwall time, ${RUNS} runs each, alternating (medians)`);
  line('bare: docker cp + docker exec pg_restore (copy start → exit)', sec(bareTotal), bare.map((b) => sec(b.totalMs)).join(' / '));
  line('  docker cp of the dump into the container', sec(median(bare.map((b) => b.copyMs))), bare.map((b) => sec(b.copyMs)).join(' / '));
  line('  pg_restore --clean --if-exists --single-transaction', sec(median(bare.map((b) => b.restoreMs))), bare.map((b) => sec(b.restoreMs)).join(' / '));
  line('opsdeck restore big ID --yes --json (spawn → exit)', sec(opsTotal), ops.map((o) => sec(o.totalMs)).join(' / '));
  line('ratio: opsdeck walkthrough / bare', ratio(opsTotal / bareTotal), `per run ${ops.map((o, i) => (o.totalMs / bare[i]!.totalMs).toFixed(3)).join(' / ')}`);
  const restoreStep = median(ops.map((o) => o.steps.find((s) => s.id === 'restore')?.durationMs ?? NaN));
  line('ratio: its restore step alone / bare', ratio(restoreStep / bareTotal));
  line('  restore step: copy in + pg_restore --list + end sessions', sec(median(ops.map((o) => o.copyListMs))), '(from its log lines)');
  line('  restore step: empty the database + pg_restore, one transaction', sec(median(ops.map((o) => o.pgRestoreMs))));
  line('for reference: opsdeck backup big (dump + verify), once', sec(bk.ms));

  // Per step: the walkthrough's own durations (JSON), plus what lies outside its steps.
  const ids: { id: string; title: string }[] = [];
  for (const o of ops) for (const s of o.steps) if (!ids.some((x) => x.id === s.id)) ids.push({ id: s.id, title: s.title });
  const rows: { name: string; ms: number[] }[] = [
    { name: 'before the steps: start-up, preflight (sha256 of the file, compatibility, space)', ms: ops.map((o) => o.beforeStepsMs) },
    ...ids.map(({ id, title }) => ({ name: `${id}: ${title}`, ms: ops.map((o) => o.steps.find((s) => s.id === id)?.durationMs ?? 0) })),
    { name: 'after the steps: JSON, exit', ms: ops.map((o) => o.afterStepsMs) },
  ];
  console.log(`\nper step of the walkthrough (median ms; share of the median total ${Math.round(opsTotal)} ms)`);
  console.log(`${'step'.padEnd(84)} ${'median ms'.padStart(10)} ${'share'.padStart(8)}   per run`);
  let sum = 0;
  for (const r of rows) {
    const m = median(r.ms);
    sum += m;
    console.log(`${r.name.slice(0, 84).padEnd(84)} ${String(Math.round(m)).padStart(10)} ${pct(m / opsTotal).padStart(8)}   ${r.ms.map((x) => Math.round(x)).join(' / ')}`);
  }
  console.log(`${'sum of the rows (medians of parts need not add up to the median total)'.padEnd(84)} ${String(Math.round(sum)).padStart(10)} ${pct(sum / opsTotal).padStart(8)}`);
  const safetyStep = median(ops.map((o) => o.steps.find((s) => s.id === 'safety')?.durationMs ?? NaN));
  const health = median(ops.map((o) => o.steps.find((s) => s.id === 'health')?.durationMs ?? NaN));
  console.log(`\nthe price of safety: safety backup ${sec(safetyStep)} (${pct(safetyStep / opsTotal)}) + preflight ${sec(median(ops.map((o) => o.beforeStepsMs)))} + health check ${sec(health)}; ` +
    `the restore itself ${sec(restoreStep)} (${pct(restoreStep / opsTotal)})`);
  for (const s of ops[ops.length - 1]!.steps) console.log(`  last run, ${s.id}: ${s.status}${s.detail ? ` — ${s.detail}` : ''}${s.error ? ` — ${s.error}` : ''}`);
}

let cleaning: Promise<void> | undefined;
/** Once; a second caller (Ctrl-C while main fails) waits for the same cleanup. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (containerStarted) {
      try {
        // -v: the postgres image's anonymous data volume (≈ the database size) goes too.
        const ids = await docker('ps', '-aq', '--filter', `label=opsdeck.bench=${TAG}`, '--filter', `name=^/${NAME}$`);
        if (ids) await docker('rm', '-f', '-v', ...ids.split('\n'));
      } catch (e) {
        console.error(`cleanup: ${(e as Error).message}`);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });
}

main().then(
  () => cleanup().then(() => process.exit(0)),
  (e) => {
    const interrupted = cleaning !== undefined;
    if (!interrupted) console.error(e); // after Ctrl-C, the failures of the killed commands are noise
    void cleanup().finally(() => process.exit(interrupted ? 130 : 1));
  },
);
