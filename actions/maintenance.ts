/**
 * Maintenance windows as runner actions (shared by the cockpit and the CLI: lock `maintenance`,
 * confirmation text, audit log):
 *
 * - `maintenance.enter` (destructive: it stops services; the operator types the scope — the project
 *   name, or the host name for the whole host). Steps: record the window (before anything changes,
 *   so a crash leaves a window to finish) → write the flag file → stop each planned container
 *   (dependents first), each recorded as `stopping` before the call and `stopped` after → phase on.
 * - `maintenance.exit`: start what the window stopped (dependencies first) from the recorded list —
 *   running ones are fine, a missing flag file is fine — and wait for each to run and, when it has a
 *   healthcheck, be healthy; then remove the flag and close the window. A service that does not
 *   come back stops the exit: the window stays open (phase on, lastError set), the flag stays.
 * - `maintenance.task` (vacuum, reindex, integrity, bgrewriteaof) and `maintenance.prune`
 *   (destructive: lists exactly what it removes). Backup tasks are `backup.run` (actions/backup.ts).
 *   recordTaskOutcome writes any task's runner result into the open window.
 *
 * A killed enter or exit leaves the `maintenance` lock to a dead process: the next enter or exit
 * breaks it (audited as `lock.break`), so maintenance cannot get stuck.
 */
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { parseDependsOn, plan, type MaintenancePlan, type PlanContainer } from '../src/maintenance/plan.js';
import { describeWindow, removeFlag, writeFlag } from '../src/maintenance/state.js';
import {
  describeCandidate, describeTask, pruneCandidates, runDbTask, type PruneCandidate, type ResolvedTask,
} from '../src/maintenance/tasks.js';
import type { DockerReader } from '../src/docker/client.js';
import { formatDuration } from '../src/format.js';
import { errorText, type RunResult } from '../src/run/runner.js';
import { safeText } from '../src/sanitize.js';
import type { DB } from '../src/store/db.js';
import { breakStaleLock, type LockHolder } from '../src/store/locks.js';
import {
  closeWindow, currentMaintenance, openWindow, recordStarted, recordStopped, recordTask, setPhase, type MaintenanceWindow,
} from '../src/store/maintenance.js';
import { currentUser } from '../src/store/paths.js';
import { PreflightError, type ActionContext, type ActionDef, type Confirmation, type StepContext } from './types.js';

export { currentMaintenance } from '../src/store/maintenance.js';
export { plan } from '../src/maintenance/plan.js';

/** The lock (and audit target) of entering and leaving. */
export const MAINTENANCE_LOCK = 'maintenance';

/** Breaks the `maintenance` lock when its holder is a dead process on this host (audited). */
function breakStaleMaintenanceLock(db: DB): LockHolder | null {
  return breakStaleLock(db, MAINTENANCE_LOCK, 'its holder is no longer running; broken before a new maintenance action');
}

/**
 * The containers with their compose dependencies (from inspect: the list call has no labels), for
 * plan(). Containers that cannot be inspected keep no dependencies.
 */
export async function planContainers(docker: DockerReader): Promise<PlanContainer[]> {
  const list = await docker.listContainers();
  return Promise.all(list.map(async (c): Promise<PlanContainer> => {
    try {
      const raw = await docker.inspectRaw(c.id);
      return { ...c, dependsOn: parseDependsOn(raw.Config?.Labels?.['com.docker.compose.depends_on']) };
    } catch {
      return c;
    }
  }));
}

/** The plan for a scope, from what runs now. */
export async function loadPlan(docker: DockerReader, config: Config, project?: string | null): Promise<MaintenancePlan> {
  return plan(await planContainers(docker), config, project ?? null);
}

async function findContainer(docker: DockerReader, id: string | null, name: string) {
  if (id) {
    try {
      return await docker.inspect(id);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }
  const hit = (await docker.listContainers()).find((c) => c.name === name);
  if (!hit) throw new Error(`no container named ${safeText(name)} any more`);
  return docker.inspect(hit.id);
}

// --- enter ---------------------------------------------------------------------------------------

export interface EnterState {
  window?: MaintenanceWindow;
  brokenLock?: LockHolder | null;
  stopped: string[];
  alreadyStopped: string[];
}

export interface EnterParams {
  db: DB;
  plan: MaintenancePlan;
  reason: string;
  /** The planned end (epoch ms), null when open-ended. */
  plannedEnd: number | null;
  by: string;
  host: string;
  /** Seconds Docker waits after SIGTERM before SIGKILL, per container. */
  stopTimeoutSec: number;
  state: EnterState;
  now?: () => number;
}

export function enterParams(p: { db: DB; plan: MaintenancePlan; reason?: string; forMs?: number | null; stopTimeoutSec?: number; by?: string; host?: string; now?: () => number }): EnterParams {
  const now = p.now ?? Date.now;
  return {
    db: p.db, plan: p.plan, reason: p.reason ?? '', plannedEnd: p.forMs ? now() + p.forMs : null, by: p.by ?? currentUser(), host: p.host ?? hostname(),
    stopTimeoutSec: p.stopTimeoutSec ?? 10, state: { stopped: [], alreadyStopped: [] }, ...(p.now ? { now: p.now } : {}),
  };
}

/** What the operator types to enter: the project, or this host's name for the whole host. */
export const scopeWord = (p: Pick<EnterParams, 'plan' | 'host'>) => p.plan.project ?? p.host;
const scopeText = (project: string | null) => (project ? `project ${project}` : 'the whole host');

export const enterMaintenance: ActionDef<EnterParams> = {
  id: 'maintenance.enter',
  title: 'Enter maintenance',
  done: 'entered maintenance:',
  mutates: true,
  destructive: true,
  target: () => MAINTENANCE_LOCK,
  auditParams: (p) => ({
    scope: p.plan.project ? `project:${p.plan.project}` : 'host', reason: p.reason, plannedEnd: p.plannedEnd ? new Date(p.plannedEnd).toISOString() : null,
    flagFile: p.plan.flagFile, plannedStop: p.plan.stop, stopped: p.state.stopped, ...(p.state.window ? { window: p.state.window.id } : {}),
    ...(p.state.brokenLock ? { brokeStaleLockOfPid: p.state.brokenLock.pid } : {}),
  }),
  async preflight(p) {
    p.state.brokenLock = breakStaleMaintenanceLock(p.db);
    const open = currentMaintenance(p.db);
    if (open) throw new PreflightError(`already ${describeWindow(open)}`);
    if (p.plan.unknown.length) throw new PreflightError(`maintenance.stop names ${p.plan.unknown.map((n) => `"${safeText(n)}"`).join(', ')}, which ${p.plan.unknown.length === 1 ? 'is' : 'are'} no container here`);
  },
  async confirmation(p): Promise<Confirmation> {
    const lines = [
      `Scope: ${scopeText(p.plan.project)}. Reason: ${p.reason || '(none given)'}.`,
      p.plannedEnd ? `Planned end: ${new Date(p.plannedEnd).toISOString()} (${formatDuration(p.plannedEnd - (p.now ?? Date.now)())} from now).` : 'Planned end: none given.',
      p.plan.flagFile ? `Writes the flag file ${p.plan.flagFile}: the proxy answers 503 with Retry-After while it exists.` : 'No maintenance.flagFile configured: the proxy is not told.',
      p.plan.stop.length ? `Stops, in this order: ${p.plan.stop.join(', ')} (SIGTERM, SIGKILL after ${p.stopTimeoutSec}s each).` : 'Stops nothing (no service in scope to stop).',
    ];
    if (p.plan.notRunning.length) lines.push(`Not running, left as they are: ${p.plan.notRunning.join(', ')}.`);
    lines.push('`opsdeck maintenance off` starts them again in dependency order and removes the flag.');
    return { title: `Enter maintenance for ${scopeText(p.plan.project)}?`, verb: 'enter maintenance', typeToConfirm: scopeWord(p), lines };
  },
  steps: (p) => [
    {
      id: 'record',
      title: 'Record the maintenance window',
      run: async (q) => {
        const now = (q.now ?? Date.now)();
        q.state.window = openWindow(q.db, {
          project: q.plan.project, reason: q.reason, by: q.by, host: q.host, since: new Date(now).toISOString(),
          plannedEnd: q.plannedEnd ? new Date(q.plannedEnd).toISOString() : null, flagFile: q.plan.flagFile, plannedStop: q.plan.stop,
        });
        return `window #${q.state.window.id} opened`;
      },
    },
    ...(p.plan.flagFile
      ? [{
        id: 'flag',
        title: 'Write the flag file',
        run: async (q: EnterParams) => {
          const w = q.state.window!;
          await writeFlag(q.plan.flagFile!, { reason: w.reason, since: w.since, expectedEnd: w.plannedEnd, scope: w.scope, by: w.by });
          return q.plan.flagFile!;
        },
      }]
      : []),
    ...p.plan.stop.map((name) => ({
      id: `stop:${name}`,
      title: `Stop ${name}`,
      run: async (q: EnterParams, ctx: StepContext) => {
        const w = q.state.window!;
        const c = await findContainer(ctx.docker, null, name);
        if (c.state !== 'running' && c.state !== 'restarting' && c.state !== 'paused') {
          q.state.alreadyStopped.push(name);
          return `already ${c.state}; left alone`;
        }
        // Recorded before the call: if opsdeck dies while Docker stops it, `off` still knows it.
        recordStopped(q.db, w.id, { name, id: c.id, at: new Date().toISOString(), state: 'stopping' });
        await ctx.control.stop(c.id, q.stopTimeoutSec);
        const after = await ctx.docker.inspect(c.id);
        if (after.state === 'running') throw new Error(`${name} is still running`);
        recordStopped(q.db, w.id, { name, id: c.id, at: new Date().toISOString(), state: 'stopped' });
        q.state.stopped.push(name);
        return `stopped (exit code ${after.exitCode ?? '?'})`;
      },
    })),
    {
      id: 'on',
      title: 'Maintenance on',
      run: async (q) => {
        q.state.window = setPhase(q.db, q.state.window!.id, 'on');
        return `${scopeText(q.plan.project)} in maintenance${q.state.stopped.length ? `; stopped ${q.state.stopped.join(', ')}` : ''}`;
      },
    },
  ],
};

// --- exit ----------------------------------------------------------------------------------------

export interface ExitState {
  brokenLock?: LockHolder | null;
  started: string[];
  alreadyRunning: string[];
  /** The service that did not come back, and why. */
  failed?: { name: string; why: string };
  flagRemoved?: boolean;
  closed?: MaintenanceWindow;
}

export interface ExitParams {
  db: DB;
  /** The open window (refreshed by the preflight). */
  window: MaintenanceWindow | null;
  /** The flag file to remove: the window's, else the config's. */
  flagFile: string | null;
  /** How long each service gets to run and be healthy. */
  timeoutMs: number;
  state: ExitState;
}

export function exitParams(p: { db: DB; config?: Config; timeoutMs?: number }): ExitParams {
  const window = currentMaintenance(p.db);
  return { db: p.db, window, flagFile: window?.flagFile ?? p.config?.maintenance.flagFile ?? null, timeoutMs: p.timeoutMs ?? 120_000, state: { started: [], alreadyRunning: [] } };
}

/** Start order of a window: the reverse of the order they were stopped, those not yet started. */
export function startList(w: MaintenanceWindow): { name: string; id: string }[] {
  return w.stopped.filter((s) => s.state !== 'started').map((s) => ({ name: s.name, id: s.id })).reverse();
}

/** Why a container is not back: state, exit code, Docker's error, the last health output. */
export async function whyNotBack(docker: DockerReader, id: string): Promise<string> {
  try {
    const raw = await docker.inspectRaw(id);
    const st = raw.State;
    const parts = [`state ${st.Status}`];
    if (st.Status !== 'running') parts.push(`exit code ${st.ExitCode}`);
    if (st.Error) parts.push(`error: ${st.Error}`);
    const health = st.Health;
    if (health) {
      const last = health.Log?.[health.Log.length - 1];
      parts.push(`health ${health.Status}${last ? ` (last check exit ${last.ExitCode}: ${last.Output.trim().split('\n').slice(-1)[0]?.slice(0, 200) || 'no output'})` : ''}`);
    }
    return parts.map((s) => safeText(s)).join(', ');
  } catch (e) {
    return `cannot inspect it: ${(e as Error).message}`;
  }
}

/** Waits until it runs and (with a healthcheck) is healthy; throws with the reason otherwise. */
export async function waitBack(ctx: StepContext, id: string, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const raw = await ctx.docker.inspectRaw(id);
    const st = raw.State;
    const health = st.Health?.Status;
    if (st.Running && !st.Restarting && (!health || health === 'healthy')) return health ? `running, healthy after ${formatDuration(Date.now() - t0)}` : 'running';
    if (!st.Running && !st.Restarting && (st.Status === 'exited' || st.Status === 'dead')) throw new Error(`it exited right after starting: ${await whyNotBack(ctx.docker, id)}`);
    if (health === 'unhealthy') throw new Error(`it is unhealthy: ${await whyNotBack(ctx.docker, id)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`not ${health ? 'healthy' : 'running'} after ${formatDuration(timeoutMs)}: ${await whyNotBack(ctx.docker, id)}`);
    if (ctx.signal.aborted) throw new Error('interrupted');
    await new Promise((r) => setTimeout(r, 300));
  }
}

export const exitMaintenance: ActionDef<ExitParams> = {
  id: 'maintenance.exit',
  title: 'Leave maintenance',
  done: 'left maintenance:',
  mutates: true,
  destructive: false,
  target: () => MAINTENANCE_LOCK,
  auditParams: (p) => ({
    ...(p.window ? { window: p.window.id, scope: p.window.scope, since: p.window.since } : {}),
    started: p.state.started, alreadyRunning: p.state.alreadyRunning, flagFile: p.flagFile,
    ...(p.state.failed ? { failed: p.state.failed.name } : {}),
    ...(p.state.closed ? { durationMs: p.state.closed.durationMs, tasks: p.state.closed.tasks.map((t) => `${t.task} ${t.result}`) } : {}),
    ...(p.state.brokenLock ? { brokeStaleLockOfPid: p.state.brokenLock.pid } : {}),
  }),
  async preflight(p) {
    p.state.brokenLock = breakStaleMaintenanceLock(p.db);
    p.window = currentMaintenance(p.db);
    if (!p.window) throw new PreflightError('not in maintenance');
    p.flagFile = p.window.flagFile ?? p.flagFile;
  },
  async confirmation(p): Promise<Confirmation> {
    const w = p.window!;
    const start = startList(w).map((s) => s.name);
    return {
      title: `Leave maintenance (${w.scope})?`,
      verb: 'leave maintenance',
      lines: [
        `${describeWindow(w)}${w.phase === 'entering' ? ' — entering did not finish (interrupted?)' : ''}.`,
        start.length ? `Starts, in this order: ${start.join(', ')}; each must run (and be healthy, when it has a healthcheck) within ${formatDuration(p.timeoutMs)}.` : 'Starts nothing (nothing was stopped).',
        p.flagFile ? `Then removes the flag file ${p.flagFile}.` : 'No flag file to remove.',
        'If a service does not come back, maintenance stays on and the flag stays.',
      ],
    };
  },
  steps: (p) => [
    {
      id: 'phase',
      title: 'Mark the window as exiting',
      run: async (q) => {
        q.window = setPhase(q.db, q.window!.id, 'exiting');
      },
    },
    ...(p.window ? startList(p.window) : []).map(({ name, id }) => ({
      id: `start:${name}`,
      title: `Start ${name}`,
      run: async (q: ExitParams, ctx: StepContext) => {
        const w = q.window!;
        try {
          const c = await findContainer(ctx.docker, id, name);
          let how = 'started';
          if (c.state === 'running' || c.state === 'restarting') {
            how = 'was already running';
            q.state.alreadyRunning.push(name);
          } else {
            try {
              await ctx.control.start(c.id);
            } catch (e) {
              throw new Error(`start failed: ${errorText(e)}`);
            }
          }
          const back = await waitBack(ctx, c.id, q.timeoutMs);
          q.window = recordStarted(q.db, w.id, name, new Date().toISOString());
          if (how === 'started') q.state.started.push(name);
          return `${how}; ${back}`;
        } catch (e) {
          const why = `${name} did not come back: ${safeText(errorText(e))}`;
          q.state.failed = { name, why };
          q.window = setPhase(q.db, w.id, 'on', `${why}; still in maintenance`);
          throw new Error(`${why}; still in maintenance, flag kept — fix it and run \`opsdeck maintenance off\` again`);
        }
      },
    })),
    {
      id: 'flag',
      title: 'Remove the flag file',
      run: async (q) => {
        if (!q.flagFile) return 'none configured';
        q.state.flagRemoved = await removeFlag(q.flagFile);
        return q.state.flagRemoved ? `removed ${q.flagFile}` : `${q.flagFile} was already gone`;
      },
    },
    {
      id: 'close',
      title: 'Close the window',
      run: async (q) => {
        q.state.closed = closeWindow(q.db, q.window!.id, new Date().toISOString());
        return `window #${q.state.closed.id} closed after ${formatDuration(q.state.closed.durationMs ?? 0)}`;
      },
    },
  ],
};

// --- tasks ---------------------------------------------------------------------------------------

export type DbTask = Extract<ResolvedTask, { engine: unknown }>;

export interface TaskParams {
  task: DbTask;
  /** Where the window is recorded (null: outside a store; the runner refuses anyway). */
  db: DB | null;
  timeoutMs?: number;
  state: { message?: string };
}

export function taskParams(p: { task: DbTask; db: DB | null; timeoutMs?: number }): TaskParams {
  return { ...p, state: {} };
}

export const maintenanceTask: ActionDef<TaskParams> = {
  id: 'maintenance.task',
  title: 'Maintenance task',
  done: 'ran',
  mutates: true,
  destructive: false,
  target: (p) => `maintenance/${p.task.spec.label}`,
  auditParams: (p) => ({
    task: p.task.spec.label, engine: p.task.engine, container: p.task.container, ...(p.task.database ? { database: p.task.database } : {}),
    ...(p.task.path ? { path: p.task.path } : {}), ...(p.state.message ? { message: p.state.message } : {}),
    ...(p.db ? { window: currentMaintenance(p.db)?.id ?? null } : {}),
  }),
  async preflight(p, ctx: ActionContext) {
    let c;
    try {
      c = await ctx.docker.inspect(p.task.container);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) throw new PreflightError(`${p.task.spec.label}: no container ${safeText(p.task.container)}`);
      throw e;
    }
    if (c.state !== 'running') throw new PreflightError(`${p.task.spec.label}: container ${safeText(p.task.container)} is not running (${c.state})`);
  },
  async confirmation(p): Promise<Confirmation> {
    const w = p.db ? currentMaintenance(p.db) : null;
    return {
      title: `Run ${p.task.spec.label}?`,
      verb: 'run',
      lines: [
        `${describeTask(p.task)}.`,
        p.task.kind === 'reindex' || p.task.kind === 'vacuum' ? 'It takes locks and I/O: queries may wait while it runs.' : p.task.kind === 'bgrewriteaof' ? 'Redis rewrites its append-only file in the background; opsdeck waits until it is done.' : 'Reads the data; changes nothing.',
        w ? `Recorded in the maintenance window #${w.id} (${w.scope}).` : 'Not in maintenance: it runs anyway (the audit log has it).',
      ],
    };
  },
  steps: (p) => [
    {
      id: p.task.kind,
      title: describeTask(p.task),
      run: async (q, ctx) => {
        q.state.message = await runDbTask(q.task, { docker: ctx.docker, signal: ctx.signal, log: ctx.log, ...(q.timeoutMs ? { timeoutMs: q.timeoutMs } : {}) });
        return q.state.message;
      },
    },
  ],
};

export interface PruneParams {
  what: 'images' | 'containers';
  db: DB | null;
  state: { candidates?: PruneCandidate[]; removed: string[]; skipped: string[] };
}

export function pruneParams(p: { what: 'images' | 'containers'; db: DB | null }): PruneParams {
  return { ...p, state: { removed: [], skipped: [] } };
}

export const pruneTask: ActionDef<PruneParams> = {
  id: 'maintenance.prune',
  title: 'Prune',
  done: 'pruned',
  mutates: true,
  destructive: true,
  target: (p) => `maintenance/prune:${p.what}`,
  auditParams: (p) => ({ what: p.what, removed: p.state.removed, skipped: p.state.skipped }),
  async preflight(p, ctx) {
    const w = p.db ? currentMaintenance(p.db) : null;
    const keep = new Set(w ? w.stopped.flatMap((s) => [s.name, s.id]) : []);
    p.state.candidates = await pruneCandidates(ctx.docker, p.what, keep);
  },
  async confirmation(p): Promise<Confirmation> {
    const list = p.state.candidates ?? [];
    const what = p.what === 'images' ? 'dangling image' : 'stopped container';
    if (!list.length) return { title: `Prune ${p.what}?`, verb: 'prune', lines: [`No ${what}s: nothing to remove.`] };
    return {
      title: `Remove ${list.length} ${what}${list.length === 1 ? '' : 's'}?`,
      verb: 'prune',
      typeToConfirm: p.what,
      lines: [
        ...list.slice(0, 30).map((c) => `- ${describeCandidate(c)}`),
        ...(list.length > 30 ? [`… and ${list.length - 30} more`] : []),
        p.what === 'containers' ? 'Containers this maintenance window stopped are kept. Removal cannot be undone.' : 'Removal cannot be undone.',
      ],
    };
  },
  steps: () => [
    {
      id: 'prune',
      title: 'Remove',
      run: async (q, ctx) => {
        for (const c of q.state.candidates ?? []) {
          if (ctx.signal.aborted) throw new Error('interrupted');
          try {
            if (q.what === 'images') await ctx.docker.raw.getImage(c.id).remove();
            else {
              const now = await ctx.docker.inspect(c.id);
              if (now.state === 'running' || now.state === 'restarting' || now.state === 'paused') {
                q.state.skipped.push(c.name);
                continue;
              }
              await ctx.docker.raw.getContainer(c.id).remove();
            }
            q.state.removed.push(c.name === '<none>' ? c.id.replace(/^sha256:/, '').slice(0, 12) : c.name);
            ctx.log(`removed ${describeCandidate(c)}`);
          } catch (e) {
            q.state.skipped.push(c.name);
            ctx.log(`kept ${safeText(c.name)}: ${(e as Error).message.split('\n')[0]}`);
          }
        }
        return `removed ${q.state.removed.length}${q.state.skipped.length ? `, kept ${q.state.skipped.length} (in use or running)` : ''}`;
      },
    },
  ],
};

/** Writes a task's runner result into the open window (no window: nothing). */
export function recordTaskOutcome(db: DB, label: string, res: RunResult, at = new Date().toISOString()): MaintenanceWindow | null {
  const w = currentMaintenance(db);
  if (!w) return null;
  return recordTask(db, w.id, { task: label, result: res.result, message: res.result === 'ok' ? (res.detail ?? 'ok') : (res.error ?? res.result), at, durationMs: res.durationMs });
}

export const maintenanceActions = { enter: enterMaintenance, exit: exitMaintenance, task: maintenanceTask, prune: pruneTask } as const;
