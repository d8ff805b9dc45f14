/**
 * Guided restore and restore drills as runner actions (the cockpit's walkthrough and the CLI share
 * them, with the `backup:<target>` lock, the confirmation text and the audit log).
 *
 * `restore.run` (destructive: the operator types the target's name):
 *   preflight — nothing is changed when any of these fails, each with its own message: the backup
 *   finished and its file exists; its sha256 matches the record; it verified (or verifies now); the
 *   engine says it fits the target (PostgreSQL major, Redis AOF, the container exists); free space;
 *   no other action holds the target's or a dependant's lock; the dependants to stop are known.
 *   steps — pause restart policies that would fight us → stop dependants → safety backup of the
 *   current state, verified → restore → start dependants in their original order → put the restart
 *   policies back → verify health (containers running/healthy, the target's checks, a probe of the
 *   data) → record.
 *   recover — a failure before the restore step changed no data: dependants are started again and
 *   policies put back ("nothing was restored"). A failure in or after it (health included) restores
 *   the safety backup the same way, starts everything and says "restore failed at STEP: REASON —
 *   rolled back to the state of TIME"; if that fails too, the message says what state things are in
 *   and where the safety backup is. Ctrl-C interrupts the running step and recovers the same way.
 *
 * `restore.drill` (mutates Docker, touches nothing of the target): checks the file, restores it into
 * a throwaway container (the engine's drill), records "proven restorable at TIME"; a drill that finds
 * the data broken marks the backup failed-verification, so it stops counting as the last good one.
 */
import { hostname } from 'node:os';
import { statfs, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { dumpBackup, sha256File, verifyBackup, withScratch, type BackupDeps } from '../src/backup/run.js';
import type { EngineContext, TargetDef } from '../src/backup/types.js';
import { freeBytes } from '../src/backup/writer.js';
import { discoverChecks } from '../src/checks/discover.js';
import { runCheck } from '../src/checks/run.js';
import type { DockerReader, RestartPolicy } from '../src/docker/client.js';
import type { ContainerInfo } from '../src/docker/containers.js';
import { formatAge, formatBytes, formatDuration } from '../src/format.js';
import { databaseKind, targetContainer } from '../src/backup/discover.js';
import { restoreEngineFor } from '../src/restore/engines/index.js';
import { RestoreRefused, type Compatibility, type Probe, type RestoreEngine } from '../src/restore/types.js';
import { safeText } from '../src/sanitize.js';
import { backupLockKey, setVerified, type StoredBackup } from '../src/store/backups.js';
import type { DB } from '../src/store/db.js';
import { breakStaleLock, describeHolder, isStale, listLocks } from '../src/store/locks.js';
import { currentUser } from '../src/store/paths.js';
import { finishRestore, insertRestore, reconcileInterruptedRestores, updateRestoreSteps, type RestoreStatus, type StepRecord } from '../src/store/restores.js';
import { parseDependsOn, startOrder } from '../src/maintenance/plan.js';
import { describeTarget } from './backup.js';
import { waitBack, whyNotBack } from './maintenance.js';
import { PreflightError, type ActionDef, type Confirmation, type RecoverContext, type StepContext, type StepFailure } from './types.js';

/** A container the walkthrough stops and starts again (the target's dependants). */
export interface Dependant {
  id: string;
  name: string;
  image: string;
}

export interface PausedPolicy {
  id: string;
  name: string;
  policy: RestartPolicy;
}

export interface RestoreState {
  compat?: Compatibility;
  /** The dependants, in the order they are stopped (started in reverse). */
  dependants: Dependant[];
  /** Those the walkthrough stopped (running before), in stop order. */
  stopped: Dependant[];
  /** Restart policies set to "no" for the run, to put back. */
  paused: PausedPolicy[];
  space?: { lines: string[] };
  safety?: StoredBackup;
  /** The restore step began: from here on, a failure restores the safety backup. */
  restoreBegan: boolean;
  before?: Probe;
  after?: Probe;
  recordId?: number;
  steps: StepRecord[];
  status?: RestoreStatus;
  message?: string;
  /** The verification done in the preflight (when the backup had none). */
  verifiedNow?: string;
}

export interface RestoreParams {
  db: DB;
  config: Config;
  target: TargetDef;
  backup: StoredBackup;
  /** The backups root (the safety backup goes to <dir>/<target>/). */
  dir: string;
  /** How long each container gets to run (and be healthy), and the target's checks to pass. */
  healthTimeoutMs: number;
  by: string;
  host: string;
  state: RestoreState;
  /** For tests: the engine (default: the registry's for the target's kind). */
  engine?: RestoreEngine;
}

export function restoreParams(p: Omit<RestoreParams, 'state' | 'by' | 'host' | 'healthTimeoutMs'> & { healthTimeoutMs?: number; by?: string; host?: string }): RestoreParams {
  return {
    ...p, healthTimeoutMs: p.healthTimeoutMs ?? 120_000, by: p.by ?? currentUser(), host: p.host ?? hostname(),
    state: { dependants: [], stopped: [], paused: [], restoreBegan: false, steps: [] },
  };
}

const engineOf = (p: { target: TargetDef; engine?: RestoreEngine }) => p.engine ?? restoreEngineFor(p.target.kind);
const clock = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

// --- choosing a backup ---------------------------------------------------------------------------

/** Whether a backup was taken by a restore as its safety net. */
export function isSafetyBackup(b: StoredBackup): boolean {
  return typeof b.details.safetyFor === 'string';
}

/** Backups a restore may use, newest first: finished, file not removed, not failed verification. */
export function restoreCandidates(backups: readonly StoredBackup[]): StoredBackup[] {
  return backups.filter((b) => b.status === 'ok' && b.deletedAt === null && b.verified !== false).sort((a, b) => b.startedAt - a.startedAt);
}

/** The preselected one: the newest verified backup that is not a safety backup, else the newest candidate. */
export function preselect(candidates: readonly StoredBackup[]): StoredBackup | null {
  return candidates.find((b) => b.verified === true && !isSafetyBackup(b)) ?? candidates.find((b) => b.verified === true) ?? candidates[0] ?? null;
}

/** "PostgreSQL 15.4", "Redis 7.2.4", … from the record's details, or null. */
export function sourceVersion(b: StoredBackup): string | null {
  const d = b.details;
  if (typeof d.serverVersion === 'string') return `PostgreSQL ${d.serverVersion}`;
  if (typeof d.redisVersion === 'string') return `Redis ${d.redisVersion}`;
  if (typeof d.sqliteVersion === 'string') return `SQLite ${d.sqliteVersion}`;
  if (typeof d.image === 'string') return d.image;
  return null;
}

// --- preflight helpers ---------------------------------------------------------------------------

/** The dependants: `stop:` of the target in the config, else the project's other non-database services that run. */
export async function findDependants(docker: DockerReader, target: TargetDef): Promise<Dependant[]> {
  const list = await docker.listContainers();
  const own = targetContainer(target.spec);
  const configured = target.spec.stop;
  let picked: ContainerInfo[];
  if (configured) {
    picked = [];
    for (const name of configured) {
      const hit = list.find((c) => c.name === name) ?? list.find((c) => c.service === name && (own ? c.project === list.find((o) => o.name === own)?.project : true));
      if (!hit) throw new PreflightError(`cannot restore ${target.id}: stop: names "${safeText(name)}", and no container has that name or service`);
      if (hit.state === 'running' || hit.state === 'restarting' || hit.state === 'paused') picked.push(hit);
    }
  } else {
    const mine = own ? list.find((c) => c.name === own) : undefined;
    const project = mine?.project;
    picked = project ? list.filter((c) => c.project === project && c.name !== own && c.state === 'running' && databaseKind(c.image) === undefined) : [];
  }
  // Stop dependents first: the reverse of compose's start order (from each container's depends_on).
  const withDeps = await Promise.all(picked.map(async (c) => {
    try {
      const raw = await docker.inspectRaw(c.id);
      return { ...c, dependsOn: parseDependsOn(raw.Config?.Labels?.['com.docker.compose.depends_on']) };
    } catch {
      return c;
    }
  }));
  const order = startOrder(withDeps).reverse();
  return order.map((name) => withDeps.find((c) => c.name === name)!).map((c) => ({ id: c.id, name: c.name, image: c.image }));
}

/** Free space: the backups directory must hold the safety backup; the data 2× the backup's size. */
async function checkRestoreSpace(p: RestoreParams, docker: DockerReader): Promise<{ ok: boolean; lines: string[]; message: string }> {
  const size = p.backup.sizeBytes ?? 0;
  const safety = Math.ceil((p.state.compat?.currentSizeBytes ?? size) * 1.1);
  const backupDirFree = await freeBytes(p.dir);
  const lines: string[] = [];
  let message = '';
  // Where the data lives: Docker's root directory on this host, when we can see it.
  let dataRoot: string | null = null;
  try {
    const info = (await docker.raw.info()) as { DockerRootDir?: string };
    if (info.DockerRootDir) {
      await stat(info.DockerRootDir);
      dataRoot = info.DockerRootDir;
    }
  } catch {
    dataRoot = null;
  }
  const spec = p.target.spec;
  if (spec.kind === 'sqlite' && !spec.sqlite.container) dataRoot = dirname(spec.sqlite.path);
  if (spec.kind === 'files') dataRoot = null;
  const sameFs = dataRoot ? (await stat(dataRoot)).dev === (await stat(p.dir)).dev : false;
  if (dataRoot && !sameFs) {
    const dataFree = await statfs(dataRoot).then((s) => s.bavail * s.bsize);
    lines.push(`Space: ${formatBytes(dataFree)} free for the data (${dataRoot}), needs 2 × ${formatBytes(size)}; ${formatBytes(backupDirFree)} free for the safety backup, needs about ${formatBytes(safety)}.`);
    if (dataFree < 2 * size) message = `not enough free space for the data: ${formatBytes(dataFree)} free in ${dataRoot}, a restore of ${formatBytes(size)} needs 2 × its size (${formatBytes(2 * size)})`;
    else if (backupDirFree < safety) message = `not enough free space for the safety backup: ${formatBytes(backupDirFree)} free in ${p.dir}, it needs about ${formatBytes(safety)}`;
  } else {
    const needed = 2 * size + safety;
    lines.push(`Space: ${formatBytes(backupDirFree)} free, needs 2 × ${formatBytes(size)} for the restore + about ${formatBytes(safety)} for the safety backup = ${formatBytes(needed)}.`);
    if (backupDirFree < needed) {
      message = `not enough free space: ${formatBytes(backupDirFree)} free in ${p.dir}, needs ${formatBytes(needed)} (2 × the backup's ${formatBytes(size)} + the safety backup's ~${formatBytes(safety)})`;
    }
  }
  return { ok: message === '', lines, message };
}

/**
 * A restore killed half-way (kill -9, power cut) leaves its lock and a running row: the target may be
 * half-restored, its dependants stopped, restart policies paused. Say exactly that, with the safety
 * backup, and refuse until the operator has looked and broken the lock (`opsdeck unlock`).
 */
function refuseAfterInterruptedRestore(p: RestoreParams): void {
  const key = backupLockKey(p.target.id);
  const holder = listLocks(p.db).find((l) => l.target === key);
  const gone = reconcileInterruptedRestores(p.db, p.target.id, 'restore', key);
  const last = gone[gone.length - 1];
  if (!last || !holder?.stale) return;
  const step = last.steps.filter((s) => s.status === 'running').pop() ?? last.steps[last.steps.length - 1];
  const done = last.steps.filter((s) => s.status === 'done').map((s) => s.title);
  // What the stop step reported ("stopped a, b") is all a killed run left of its dependants.
  const stopped = last.steps.find((s) => s.id === 'stop' && s.detail?.startsWith('stopped '))?.detail?.slice('stopped '.length).split(', ') ?? [];
  throw new PreflightError([
    `refused to restore ${p.target.id}: the restore of ${clock(last.startedAt)} by ${last.byUser} (backup ${last.backupId}) was interrupted${step ? ` during "${step.title}"` : ''}: its process is gone.`,
    `Done before that: ${done.length ? done.join(', ') : 'nothing'}. The target may be half-restored${stopped.length ? `, and ${stopped.join(', ')} may still be stopped` : ''}; restart policies may still be "no".`,
    last.safetyBackupId ? `Its safety backup of the state before is ${last.safetyBackupId} (\`opsdeck backups ${p.target.id}\`).` : 'It had not taken a safety backup yet: the data was not touched.',
    `Check the target, then \`opsdeck unlock ${key}\` to allow a new restore.`,
  ].join(' '));
}

/** Another action holding the target's, a container's or the maintenance lock stops us here. */
function checkLocks(p: RestoreParams, containers: readonly string[]): void {
  const keys = new Set([backupLockKey(p.target.id), ...containers.map((c) => `container/${c}`), 'maintenance']);
  for (const h of listLocks(p.db)) {
    if (!keys.has(h.target)) continue;
    if (h.pid === process.pid && h.host === hostname()) continue;
    throw new PreflightError(`refused to restore ${p.target.id}: ${describeHolder(h, isStale(h))}`);
  }
}

// --- steps helpers -------------------------------------------------------------------------------

/** Runs a walkthrough step and keeps its record (in the state and the restores row). */
function tracked(p: RestoreParams, id: string, title: string): { start(): void; done(detail?: string | void): void; fail(error: string): void } {
  const t0 = Date.now();
  const rec: StepRecord = { id, title, status: 'running' };
  const save = () => { if (p.state.recordId !== undefined) updateRestoreSteps(p.db, p.state.recordId, p.state.steps, p.state.safety?.id ?? null); };
  return {
    start() { p.state.steps.push(rec); save(); },
    done(detail) { rec.status = 'done'; rec.durationMs = Date.now() - t0; if (detail) rec.detail = detail; save(); },
    fail(error) { rec.status = 'failed'; rec.durationMs = Date.now() - t0; rec.error = error; save(); },
  };
}

function step(id: string, title: string, run: (p: RestoreParams, ctx: StepContext) => Promise<string | void>) {
  return {
    id,
    title,
    async run(p: RestoreParams, ctx: StepContext) {
      const t = tracked(p, id, title);
      t.start();
      try {
        const out = await run(p, ctx);
        t.done(out);
        return out;
      } catch (e) {
        t.fail((e as Error).message);
        throw e;
      }
    },
  };
}

const deps = (p: RestoreParams, docker: DockerReader): BackupDeps => ({ docker, db: p.db, dir: p.dir });

function engineCtx(docker: DockerReader, signal: AbortSignal, tmpDir: string, log: (l: string) => void, progress?: (n: number) => void) {
  return { docker, signal, tmpDir, log, ...(progress ? { onProgress: progress } : {}) };
}

async function pausePolicies(p: RestoreParams, ctx: StepContext): Promise<string> {
  const own = targetContainer(p.target.spec);
  const names = [...(own ? [own] : []), ...p.state.dependants.map((d) => d.name)];
  const paused: string[] = [];
  for (const name of names) {
    let raw;
    try {
      raw = await ctx.docker.inspectRaw(name);
    } catch {
      continue;
    }
    const policy = raw.HostConfig?.RestartPolicy;
    const current = policy?.Name ?? '';
    if (current === '' || current === 'no') continue;
    await ctx.control.setRestartPolicy(raw.Id, { name: 'no' });
    p.state.paused.push({ id: raw.Id, name, policy: { name: current, maximumRetryCount: policy?.MaximumRetryCount ?? 0 } });
    paused.push(`${name} (${current})`);
  }
  return paused.length ? `set to "no" for the restore: ${paused.join(', ')}` : 'none to pause';
}

async function putPoliciesBack(p: RestoreParams, ctx: StepContext): Promise<string> {
  const back: string[] = [];
  const failed: string[] = [];
  for (const pp of [...p.state.paused]) {
    try {
      await ctx.control.setRestartPolicy(pp.id, pp.policy);
      p.state.paused = p.state.paused.filter((x) => x !== pp);
      back.push(`${pp.name} (${pp.policy.name})`);
    } catch (e) {
      failed.push(`${pp.name}: ${(e as Error).message}`);
    }
  }
  if (failed.length) throw new Error(`could not put back the restart policy of ${failed.join('; ')}`);
  return back.length ? `put back: ${back.join(', ')}` : 'nothing to put back';
}

async function stopDependants(p: RestoreParams, ctx: StepContext): Promise<string> {
  const stopped: string[] = [];
  for (const d of p.state.dependants) {
    const raw = await ctx.docker.inspectRaw(d.id).catch(() => null);
    if (!raw?.State?.Running) continue;
    ctx.log(`stopping ${d.name}`);
    await ctx.control.stop(d.id, 10);
    p.state.stopped.push(d);
    stopped.push(d.name);
  }
  return stopped.length ? `stopped ${stopped.join(', ')}` : 'no dependants running';
}

async function startDependants(p: RestoreParams, ctx: StepContext): Promise<string> {
  const started: string[] = [];
  for (const d of [...p.state.stopped].reverse()) {
    ctx.log(`starting ${d.name}`);
    await ctx.control.start(d.id);
    await waitBack(ctx, d.id, p.healthTimeoutMs).catch((e: Error) => { throw new Error(`${d.name}: ${e.message}`); });
    p.state.stopped = p.state.stopped.filter((x) => x !== d);
    started.push(d.name);
  }
  return started.length ? `started ${started.join(', ')} (running${started.length > 1 ? ', in order' : ''})` : 'nothing to start';
}

/** The target's container and dependants run and are healthy; the target's checks pass; the data answers. */
async function verifyHealth(p: RestoreParams, ctx: StepContext): Promise<string> {
  const own = targetContainer(p.target.spec);
  const names = [...(own ? [own] : []), ...p.state.dependants.map((d) => d.name)];
  const list = await ctx.docker.listContainers();
  const mine = list.filter((c) => names.includes(c.name));
  for (const c of mine) await waitBack(ctx, c.id, p.healthTimeoutMs).catch((e: Error) => { throw new Error(`${c.name}: ${e.message}`); });
  const defs = discoverChecks(mine, p.config).filter((d) => d.container !== undefined && names.includes(d.container) && d.kind !== 'logs' && d.kind !== 'backup');
  const t0 = Date.now();
  const env = { docker: ctx.docker, host: () => Promise.reject(new Error('no host checks here')), thresholds: p.config.thresholds, config: p.config, now: Date.now, signal: ctx.signal };
  for (const def of defs) {
    for (;;) {
      const r = await runCheck(def, env);
      if (r.status === 'ok' || r.status === 'warn') break;
      if (Date.now() - t0 > p.healthTimeoutMs) throw new Error(`check ${def.name} is ${r.status}: ${r.message}`);
      if (ctx.signal.aborted) throw new Error('interrupted');
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  const after = await engineOf(p).probe(p.target, { docker: ctx.docker, signal: ctx.signal, tmpDir: '/tmp' });
  p.state.after = after;
  if (!after.ok) throw new Error(`the restored data does not answer: ${after.message}`);
  const up = mine.length ? `${mine.length} container${mine.length === 1 ? '' : 's'} up, ${defs.length} check${defs.length === 1 ? '' : 's'} ok; ` : '';
  return `${up}${after.message}`;
}

function finish(p: RestoreParams, status: Exclude<RestoreStatus, 'running'>, message: string, failedStep: string | null = null): void {
  p.state.status = status;
  p.state.message = message;
  if (p.state.recordId === undefined) return;
  finishRestore(p.db, p.state.recordId, {
    status, finishedAt: Date.now(), message, failedStep, steps: p.state.steps, safetyBackupId: p.state.safety?.id ?? null,
    details: {
      ...(p.state.before ? { before: p.state.before.counts } : {}),
      ...(p.state.after ? { after: p.state.after.counts } : {}),
      stopped: p.state.dependants.map((d) => d.name),
      paused: p.state.paused.map((x) => x.name),
    },
  });
}

// --- the restore ---------------------------------------------------------------------------------

export const restoreAction: ActionDef<RestoreParams> = {
  id: 'restore.run',
  title: 'Restore',
  done: 'restored',
  mutates: true,
  destructive: true,
  target: (p) => backupLockKey(p.target.id),
  auditParams(p) {
    return {
      target: p.target.id, kind: p.target.kind, backup: p.backup.id, file: p.backup.file, sha256: p.backup.sha256?.slice(0, 12) ?? null,
      stopped: p.state.dependants.map((d) => d.name),
      ...(p.state.safety ? { safetyBackup: p.state.safety.id } : {}),
      ...(p.state.status ? { outcome: p.state.status } : {}),
    };
  },
  async preflight(p, ctx) {
    const b = p.backup;
    const name = `backup ${b.id}`;
    if (b.status !== 'ok') throw new PreflightError(`refused to restore ${p.target.id}: ${name} did not finish (${b.status}${b.error ? `: ${b.error}` : ''})`);
    if (b.deletedAt !== null) throw new PreflightError(`refused to restore ${p.target.id}: the file of ${name} was removed by retention on ${clock(b.deletedAt)}`);
    try {
      await stat(b.file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new PreflightError(`refused to restore ${p.target.id}: the backup file is missing: ${b.file}${code && code !== 'ENOENT' ? ` (${code})` : ''}`);
    }
    const sum = await sha256File(b.file);
    if (b.sha256 && sum !== b.sha256) {
      throw new PreflightError(`refused to restore ${p.target.id}: sha256 mismatch for ${b.file}: the file is ${sum.slice(0, 12)}…, the backup recorded ${b.sha256.slice(0, 12)}… (the file changed or is corrupt)`);
    }
    if (b.verified === false) throw new PreflightError(`refused to restore ${p.target.id}: ${name} failed verification: ${b.verifyMessage ?? 'no reason recorded'}`);
    if (b.verified === null) {
      const { result, backup } = await verifyBackup(deps(p, ctx.docker), b, p.target, { signal: AbortSignal.timeout(10 * 60_000) });
      if (!result.ok) throw new PreflightError(`refused to restore ${p.target.id}: ${name} does not verify: ${result.message}`);
      p.backup = backup;
      p.state.verifiedNow = result.message;
    }
    try {
      p.state.compat = await withScratch((tmpDir) => engineOf(p).compatibility(p.backup, p.target, { docker: ctx.docker, signal: AbortSignal.timeout(60_000), tmpDir }));
    } catch (e) {
      if (e instanceof RestoreRefused) throw new PreflightError(`refused to restore ${p.target.id}: ${e.message}`);
      throw new PreflightError(`cannot restore ${p.target.id}: ${(e as Error).message.split('\n')[0]}`);
    }
    const space = await checkRestoreSpace(p, ctx.docker);
    if (!space.ok) throw new PreflightError(`refused to restore ${p.target.id}: ${space.message}`);
    p.state.space = { lines: space.lines };
    p.state.dependants = await findDependants(ctx.docker, p.target);
    const own = targetContainer(p.target.spec);
    refuseAfterInterruptedRestore(p);
    checkLocks(p, [...(own ? [own] : []), ...p.state.dependants.map((d) => d.name)]);
  },
  async confirmation(p): Promise<Confirmation> {
    const b = p.backup;
    const version = sourceVersion(b);
    const deps = p.state.dependants.map((d) => d.name);
    return {
      title: `Restore ${p.target.id} from ${b.id}?`,
      verb: 'restore',
      typeToConfirm: p.target.id,
      lines: [
        `Target ${p.target.id}: ${describeTarget(p.target)}.`,
        `Backup ${b.id}: taken ${clock(b.startedAt)} (${formatAge(b.startedAt)}), ${formatBytes(b.sizeBytes)}${version ? `, from ${version}` : ''}, ${p.state.verifiedNow ? `verified now: ${p.state.verifiedNow}` : `verified ${b.verifiedAt ? clock(b.verifiedAt) : ''}`}.`,
        ...(p.state.compat?.lines ?? []),
        ...(p.state.space?.lines ?? []),
        deps.length ? `Stops, in this order: ${deps.join(', ')}; starts them again afterwards in reverse.` : 'Stops no other container (no dependants found; `stop:` in the target\'s config names them).',
        `First takes a safety backup of the current data and verifies it; if anything fails after that, opsdeck restores the safety backup and starts everything again.`,
        `The current data of ${p.target.id} is replaced by the backup's.`,
      ],
    };
  },
  steps: () => [
    step('policies', 'Pause restart policies', async (p, ctx) => {
      p.state.recordId = insertRestore(p.db, { kind: 'restore', target: p.target.id, backupId: p.backup.id, startedAt: Date.now(), byUser: p.by, host: p.host });
      return pausePolicies(p, ctx);
    }),
    step('stop', 'Stop dependants', stopDependants),
    step('safety', 'Safety backup', async (p, ctx) => {
      try {
        p.state.before = await engineOf(p).probe(p.target, { docker: ctx.docker, signal: ctx.signal, tmpDir: '/tmp' });
      } catch {
        p.state.before = undefined;
      }
      const safety = await dumpBackup(deps(p, ctx.docker), p.target, {
        signal: ctx.signal,
        estimate: p.state.compat?.currentSizeBytes ?? null,
        details: { safetyFor: p.backup.id },
        onProgress: (d) => ctx.progress({ bytes: d.written, ...(d.estimate ? { totalBytes: d.estimate } : {}), message: `${formatBytes(d.written)} written` }),
      });
      p.state.safety = safety;
      const { result } = await verifyBackup(deps(p, ctx.docker), safety, p.target, { signal: ctx.signal });
      if (!result.ok) throw new Error(`the safety backup ${safety.id} does not verify (${result.message}); nothing was restored`);
      p.state.safety = { ...safety, verified: true };
      return `${safety.id}, ${formatBytes(safety.sizeBytes)}, verified`;
    }),
    step('restore', 'Restore', async (p, ctx) => {
      p.state.restoreBegan = true;
      return withScratch((tmpDir) => engineOf(p).restore(p.backup, p.target, engineCtx(ctx.docker, ctx.signal, tmpDir, ctx.log, (n) => ctx.progress({ bytes: n, ...(p.backup.sizeBytes ? { totalBytes: p.backup.sizeBytes } : {}) }))));
    }),
    step('start', 'Start dependants', startDependants),
    step('policies-back', 'Put restart policies back', putPoliciesBack),
    step('health', 'Verify health', verifyHealth),
    step('record', 'Record', async (p) => {
      const before = p.state.before?.message;
      const msg = `restored ${p.target.id} from ${p.backup.id}${p.state.after ? `: ${p.state.after.message}` : ''}${before ? ` (before: ${before})` : ''}; safety backup ${p.state.safety?.id ?? '–'}`;
      finish(p, 'ok', msg);
      return msg;
    }),
  ],
  async recover(p, failure, ctx) {
    return recoverRestore(p, failure, ctx);
  },
};

/** Undo after a failed or interrupted step: see the module comment. */
async function recoverRestore(p: RestoreParams, failure: StepFailure, ctx: RecoverContext): Promise<string> {
  const what = failure.interrupted ? `restore interrupted at ${failure.stepTitle}` : `restore failed at ${failure.stepTitle}: ${failure.error}`;
  const tracked2 = (id: string, title: string, fn: () => Promise<string | void>) => {
    const t = tracked(p, id, title);
    t.start();
    return ctx.step(id, title, fn).then((out) => { t.done(out); return out; }, (e: Error) => { t.fail(e.message); throw e; });
  };
  if (!p.state.restoreBegan) {
    // No data was touched: start what we stopped, put policies back.
    const problems: string[] = [];
    await tracked2('undo-start', 'Start dependants again', () => startDependants(p, ctx)).catch((e: Error) => problems.push(e.message));
    await tracked2('undo-policies', 'Put restart policies back', () => putPoliciesBack(p, ctx)).catch((e: Error) => problems.push(e.message));
    const msg = problems.length
      ? `${what} — nothing was restored, but putting things back failed: ${problems.join('; ')}`
      : `${what} — nothing was restored; everything is as before`;
    finish(p, 'failed', msg, failure.stepId);
    return msg;
  }
  const safety = p.state.safety!;
  try {
    await tracked2('rollback-stop', 'Roll back: stop dependants', () => stopDependants(p, ctx));
    await tracked2('rollback', `Roll back: restore the safety backup ${safety.id}`, () =>
      withScratch((tmpDir) => engineOf(p).restore(safety, p.target, engineCtx(ctx.docker, ctx.signal, tmpDir, ctx.log))));
  } catch (e) {
    const policies = await putPoliciesBack(p, ctx).then(() => '', (err: Error) => ` ${err.message}.`);
    const state = await describeState(p, ctx.docker);
    const msg = `${what}; the rollback failed too: ${(e as Error).message}. ${state}${policies} The safety backup of the state before the restore is ${safety.file} (id ${safety.id}); restore it with \`opsdeck restore ${p.target.id} ${safety.id}\`.`;
    finish(p, 'rollback-failed', msg, failure.stepId);
    return msg;
  }
  const problems: string[] = [];
  await tracked2('rollback-start', 'Roll back: start dependants', () => startDependants(p, ctx)).catch((e: Error) => problems.push(e.message));
  await tracked2('rollback-policies', 'Roll back: put restart policies back', () => putPoliciesBack(p, ctx)).catch((e: Error) => problems.push(e.message));
  const msg = `${what} — rolled back to the state of ${clock(safety.startedAt)} (safety backup ${safety.id})${problems.length ? `; but: ${problems.join('; ')}` : ''}`;
  finish(p, 'rolled-back', msg, failure.stepId);
  return msg;
}

/** "shop-db-1 is running; stopped: shop-api-1 (start it with `docker start …`)." */
async function describeState(p: RestoreParams, docker: DockerReader): Promise<string> {
  const own = targetContainer(p.target.spec);
  const parts: string[] = [];
  if (own) {
    const raw = await docker.inspectRaw(own).catch(() => null);
    parts.push(raw ? `${own}: ${raw.State.Running ? 'running' : await whyNotBack(docker, raw.Id)}` : `${own}: cannot inspect it`);
  }
  if (p.state.stopped.length) parts.push(`still stopped: ${p.state.stopped.map((d) => d.name).join(', ')}`);
  return parts.length ? `State now: ${parts.join('; ')}.` : '';
}

// --- the drill -----------------------------------------------------------------------------------

export interface DrillParams {
  db: DB;
  target: TargetDef;
  backup: StoredBackup;
  by: string;
  host: string;
  state: { recordId?: number; message?: string; ok?: boolean; steps: StepRecord[] };
  engine?: RestoreEngine;
}

export function drillParams(p: { db: DB; target: TargetDef; backup: StoredBackup; engine?: RestoreEngine; by?: string; host?: string }): DrillParams {
  return { ...p, by: p.by ?? currentUser(), host: p.host ?? hostname(), state: { steps: [] } };
}

export const drillAction: ActionDef<DrillParams> = {
  id: 'restore.drill',
  title: 'Restore drill',
  done: 'drilled',
  mutates: true,
  destructive: false,
  target: (p) => `drill:${p.target.id}`,
  auditParams: (p) => ({ target: p.target.id, backup: p.backup.id, ...(p.state.ok !== undefined ? { proven: p.state.ok } : {}) }),
  async preflight(p) {
    // A drill killed half-way touched nothing of the target: its lock is broken (audited), its row closed.
    breakStaleLock(p.db, `drill:${p.target.id}`, 'the drill that held it is gone; broken before a new drill');
    reconcileInterruptedRestores(p.db, p.target.id, 'drill', `drill:${p.target.id}`);
    const b = p.backup;
    if (b.status !== 'ok' || b.deletedAt !== null) throw new PreflightError(`cannot drill ${p.target.id}: backup ${b.id} has no file (${b.deletedAt !== null ? 'removed by retention' : b.status})`);
    try {
      await stat(b.file);
    } catch {
      throw new PreflightError(`cannot drill ${p.target.id}: the backup file is missing: ${b.file}`);
    }
  },
  async confirmation(p): Promise<Confirmation> {
    return {
      title: `Restore drill of ${p.target.id}?`,
      verb: 'drill',
      lines: [
        `Restores backup ${p.backup.id} (taken ${formatAge(p.backup.startedAt)}, ${formatBytes(p.backup.sizeBytes)}) into a throwaway container, checks the data, and removes the container.`,
        `${p.target.id} itself is not touched.`,
      ],
    };
  },
  steps: () => [
    {
      id: 'checksum',
      title: 'Check the file',
      async run(p) {
        p.state.recordId = insertRestore(p.db, { kind: 'drill', target: p.target.id, backupId: p.backup.id, startedAt: Date.now(), byUser: p.by, host: p.host });
        const sum = await sha256File(p.backup.file);
        if (p.backup.sha256 && sum !== p.backup.sha256) {
          const message = `sha256 mismatch: the file is ${sum.slice(0, 12)}…, the backup recorded ${p.backup.sha256.slice(0, 12)}…`;
          markUnrestorable(p, message);
          throw new Error(message);
        }
        return 'sha256 ok';
      },
    },
    {
      id: 'drill',
      title: 'Restore into a throwaway container and verify',
      async run(p, ctx) {
        let res;
        try {
          res = await withScratch((tmpDir) => engineOf(p).drill(p.backup, p.target, engineCtx(ctx.docker, ctx.signal, tmpDir, ctx.log)));
        } catch (e) {
          // The drill could not run (no image, Docker error): says nothing about the backup.
          finishDrill(p, false, `the drill could not run: ${(e as Error).message}`, false);
          throw e;
        }
        if (!res.ok) {
          markUnrestorable(p, res.message);
          throw new Error(res.message);
        }
        finishDrill(p, true, res.message, true, res.counts, res.image);
        return `${res.message} in ${formatDuration(res.durationMs)}`;
      },
    },
  ],
};

/** A drill that found the data broken: the backup stops counting as good; the drill is recorded. */
function markUnrestorable(p: DrillParams, message: string): void {
  setVerified(p.db, p.backup.id, { ok: false, message: `restore drill failed: ${message}`, at: Date.now() });
  finishDrill(p, false, message, true);
}

function finishDrill(p: DrillParams, ok: boolean, message: string, conclusive: boolean, counts?: Record<string, number>, image?: string | null): void {
  p.state.ok = ok;
  p.state.message = message;
  if (p.state.recordId === undefined) return;
  finishRestore(p.db, p.state.recordId, {
    status: ok ? 'ok' : 'failed', finishedAt: Date.now(), message, steps: [],
    details: { conclusive, ...(counts ? { counts } : {}), ...(image ? { image } : {}) },
  });
}

export type { EngineContext };
