/**
 * Swarm service actions, run by the one runner like every other action (read-only guard, preflight,
 * confirmation, lock `service/NAME`, steps, audit):
 *
 * - `service.scale`: set a replicated service's replica count; waits until that many tasks run.
 * - `service.force-update`: a rolling restart — ForceUpdate + 1 with the spec otherwise unchanged,
 *   so Docker replaces every task by its update config; waits for the update to complete, and fails
 *   with Docker's own message when it pauses or rolls back.
 * - `service.rollback`: back to the PreviousSpec (Docker's rollback=previous); waits for it.
 *
 * Each change is one `POST /services/{id}/update` with the Version just read (Docker refuses a stale
 * one: "update out of sequence", retried after a fresh read). The dockerode handle comes from
 * ctx.docker.raw and is only used for writes inside steps, which the runner never reaches read-only.
 */
import type Dockerode from 'dockerode';
import { formatDuration } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import {
  isRunning, onCurrentSpec, serviceFromRaw, swarmErrorText,
  type RawService, type RawServiceSpec, type RawTask, type RawUpdateConfig,
} from '../src/swarm/read.js';
import type { SwarmService } from '../src/swarm/types.js';
import { PreflightError, type ActionContext, type ActionDef, type Confirmation, type StepContext } from './types.js';

export interface ServiceParams {
  /** The service as the view or the CLI resolved it; preflight replaces it with a fresh read. */
  service: SwarmService;
  /** The service as inspected by preflight (the confirmation reads its update config and previous spec). */
  raw?: RawService;
  /** How long the last step waits (default: from the update config, at least 60 s). */
  timeoutMs?: number;
}

export interface ScaleParams extends ServiceParams {
  replicas: number;
}

export class UnknownServiceError extends Error {
  constructor(name: string, candidates: string[]) {
    super(candidates.length ? `no swarm service named "${name}"; did you mean ${candidates.slice(0, 5).map((c) => `"${c}"`).join(', ')}?` : `no swarm service named "${name}"`);
    this.name = 'UnknownServiceError';
  }
}

/** A service by exact name, then by id prefix (≥ 4 characters); near names in the error. */
export function findService(services: readonly SwarmService[], nameOrId: string): SwarmService {
  const want = nameOrId.trim();
  const exact = services.find((s) => s.name === want);
  if (exact) return exact;
  const byId = want.length >= 4 ? services.filter((s) => s.id.startsWith(want)) : [];
  if (byId.length === 1) return byId[0]!;
  const needle = want.toLowerCase();
  throw new UnknownServiceError(want, services.filter((s) => s.name.toLowerCase().includes(needle) || needle.includes(s.name.toLowerCase())).map((s) => s.name));
}

// --- Docker calls -----------------------------------------------------------------------------

type Raw = Dockerode;

async function inspectService(docker: Raw, s: Pick<SwarmService, 'id' | 'name'>): Promise<RawService> {
  try {
    return (await docker.getService(s.id).inspect()) as RawService;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) throw new PreflightError(`service ${s.name} no longer exists`);
    throw e;
  }
}

async function serviceTasks(docker: Raw, id: string): Promise<RawTask[]> {
  return (await docker.listTasks({ filters: { service: [id] } })) as RawTask[];
}

/** The service as the types describe it, from a fresh inspect and its tasks. */
async function freshService(docker: Raw, s: SwarmService): Promise<{ raw: RawService; service: SwarmService; tasks: RawTask[] }> {
  const raw = await inspectService(docker, s);
  const tasks = await serviceTasks(docker, raw.ID);
  const nodeNames = new Map(s.tasks.filter((t) => t.nodeId && t.node).map((t) => [t.nodeId!, t.node!]));
  return { raw, service: serviceFromRaw(raw, tasks, nodeNames), tasks };
}

/**
 * One service update: `change` edits a copy of the freshly read spec; sent with that read's
 * version. Docker's "update out of sequence" (someone else changed it in between) is retried twice.
 */
async function updateService(
  docker: Raw, s: Pick<SwarmService, 'id' | 'name'>, signal: AbortSignal,
  change: (spec: RawServiceSpec, raw: RawService) => void, query: Record<string, string> = {},
): Promise<RawService> {
  for (let attempt = 0; ; attempt++) {
    const raw = await inspectService(docker, s);
    const spec = structuredClone(raw.Spec ?? {});
    change(spec, raw);
    try {
      // _query/_body: docker-modem would otherwise send the whole spec as the query string too.
      await docker.getService(raw.ID).update({ _query: { version: raw.Version?.Index ?? 0, ...query }, _body: spec, abortSignal: signal });
      return raw;
    } catch (e) {
      if (attempt < 2 && /out of sequence/i.test(swarmErrorText(e))) continue;
      throw e;
    }
  }
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done, { once: true });
});

/** The newest task errors (failed, rejected) since `since`, for a message: "web.4: no suitable node". */
function recentErrors(name: string, tasks: readonly RawTask[], since: number): string[] {
  return tasks
    .filter((t) => t.Status?.Err && Date.parse(t.Status.Timestamp ?? '') >= since - 1000)
    .sort((a, b) => Date.parse(b.Status?.Timestamp ?? '') - Date.parse(a.Status?.Timestamp ?? ''))
    .map((t) => `${name}.${t.Slot ?? t.NodeID?.slice(0, 12) ?? '?'}: ${safeText(t.Status!.Err!)}`)
    .filter((m, i, all) => all.indexOf(m) === i)
    .slice(0, 3);
}

function checkAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new Error(`interrupted while waiting for ${what}; Docker carries on with it (see the Services view)`);
}

/** Waits until exactly `want` tasks run (state and desired state running); progress as it goes. */
async function waitReplicas(ctx: StepContext, s: SwarmService, want: number, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  let last = -1;
  for (;;) {
    const tasks = await serviceTasks(ctx.docker.raw, s.id);
    const running = tasks.filter(isRunning).length;
    if (running !== last) {
      ctx.progress({ fraction: want === 0 ? (running === 0 ? 1 : 0) : Math.min(1, running / want), message: `${running}/${want} running` });
      last = running;
    }
    if (running === want) return `${running}/${want} running`;
    checkAborted(ctx.signal, `${want} replicas`);
    if (Date.now() - t0 > timeoutMs) {
      const errs = recentErrors(s.name, tasks, t0);
      throw new Error(`${running}/${want} running after ${formatDuration(Date.now() - t0)}${errs.length ? ` — ${errs.join('; ')}` : ''}; Docker keeps trying`);
    }
    await sleep(500, ctx.signal);
  }
}

/** The task Docker's pause message names ("… early termination of task 77g4…"), with its error: "web.1: task: non-zero exit (3)". */
function culpritOf(name: string, message: string, tasks: readonly RawTask[]): string | null {
  const id = /\btask ([a-z0-9]{12,})/.exec(message)?.[1];
  const t = id ? tasks.find((x) => x.ID === id || x.ID.startsWith(id)) : undefined;
  if (!t?.Status?.Err) return null;
  return `${name}.${t.Slot ?? t.NodeID?.slice(0, 12) ?? '?'}: ${safeText(t.Status.Err)}`;
}

type UpdateKind = 'update' | 'rollback';

/** What the update step left for the wait step (keyed by the params object of one run). */
const started = new WeakMap<object, { previousStartedAt: string | null; at: number }>();

/**
 * Waits until Docker reports this update (or rollback) finished: UpdateStatus with a StartedAt other
 * than the one before the call, in state completed (rollback_completed). Paused, or a rollback when
 * an update was asked for, fail with Docker's message. Progress: tasks on the new spec that run.
 */
async function waitUpdate(ctx: StepContext, p: ServiceParams, kind: UpdateKind, timeoutMs: number): Promise<string> {
  const mark = started.get(p) ?? { previousStartedAt: null, at: Date.now() };
  let reported = '';
  for (;;) {
    const raw = await inspectService(ctx.docker.raw, p.service);
    const tasks = await serviceTasks(ctx.docker.raw, raw.ID);
    const svc = serviceFromRaw(raw, tasks, new Map());
    const u = raw.UpdateStatus;
    const ours = Boolean(u?.State) && (u?.StartedAt ?? null) !== mark.previousStartedAt;
    const done = tasks.filter((t) => isRunning(t) && onCurrentSpec(t, raw.Spec?.TaskTemplate)).length;
    const state = ours ? u!.State! : 'waiting for Docker to start it';
    const line = `${state}: ${done}/${svc.desired} tasks on the ${kind === 'rollback' ? 'previous' : 'new'} spec`;
    if (line !== reported) {
      ctx.progress({ fraction: svc.desired ? Math.min(1, done / svc.desired) : undefined, message: line });
      if (ours && u?.Message && !reported.startsWith(state)) ctx.log(`Docker: ${safeText(u.Message)}`);
      reported = line;
    }
    const took = formatDuration(Date.now() - mark.at);
    if (ours) {
      const msg = safeText(u?.Message ?? '');
      switch (u!.State) {
        case 'completed':
        case 'rollback_completed':
          if (kind === 'update' && u!.State === 'rollback_completed') throw new Error(`Docker rolled the update back: ${msg || 'a new task failed'}`);
          if (svc.running === svc.desired || Date.now() - mark.at > timeoutMs) {
            return `${kind === 'rollback' ? 'rolled back' : 'all tasks replaced'}: ${svc.running}/${svc.desired} running`;
          }
          break; // the spec is applied; replicas still converging (a rolled-back scale)
        case 'paused':
        case 'rollback_paused': {
          const culprit = culpritOf(p.service.name, u?.Message ?? '', tasks);
          throw new Error(`Docker paused the ${u!.State === 'paused' ? 'update' : 'rollback'}: ${msg || 'a new task failed'}${culprit ? ` (${culprit})` : ''} — ${done}/${svc.desired} tasks replaced`);
        }
        default:
          break; // updating, rollback_started (its message was logged above)
      }
    } else if (done === svc.desired && svc.running === svc.desired && Date.now() - mark.at > 2000) {
      // Every wanted task already on the new spec and no update of ours reported (no replicas to
      // replace): Docker applied the spec without a rolling update.
      return `nothing to replace: ${svc.running}/${svc.desired} running`;
    }
    checkAborted(ctx.signal, `the ${kind}`);
    if (Date.now() - mark.at > timeoutMs) {
      throw new Error(`still ${ours ? u!.State : 'not started'} after ${took}: ${done}/${svc.desired} tasks on the ${kind === 'rollback' ? 'previous' : 'new'} spec; Docker carries on`);
    }
    await sleep(500, ctx.signal);
  }
}

// --- words ------------------------------------------------------------------------------------

const nsToMs = (ns: number | undefined) => (ns ?? 0) / 1e6;

/** How Docker will roll: "1 task at a time, stop-first, 5s monitor, on failure: pause". */
export function describeUpdateConfig(c: RawUpdateConfig | undefined): string {
  const parallel = c?.Parallelism ?? 1;
  const delay = nsToMs(c?.Delay);
  const monitor = c?.Monitor === undefined ? 5000 : nsToMs(c.Monitor);
  const order = c?.Order ?? 'stop-first';
  const parts = [
    parallel === 0 ? 'all tasks at once' : `${parallel} task${parallel === 1 ? '' : 's'} at a time`,
    order === 'start-first' ? 'the new task starts before the old one stops' : 'the old task stops before the new one starts',
  ];
  if (delay > 0) parts.push(`${formatDuration(delay)} between batches`);
  parts.push(`each watched ${formatDuration(monitor)}`);
  parts.push(`on failure: ${c?.FailureAction ?? 'pause'}`);
  return parts.join(', ');
}

/** A default wait: what the update config makes Docker take for `tasks`, with room; at least 60 s. */
export function updateTimeoutMs(c: RawUpdateConfig | undefined, tasks: number): number {
  const parallel = Math.max(1, c?.Parallelism || tasks || 1);
  const batches = Math.ceil(Math.max(1, tasks) / parallel);
  const perBatch = nsToMs(c?.Delay) + (c?.Monitor === undefined ? 5000 : nsToMs(c.Monitor)) + 15_000;
  return Math.min(15 * 60_000, Math.max(60_000, batches * perBatch));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function statusLine(s: SwarmService): string {
  const where = s.stack ? `, stack ${s.stack}` : '';
  const upd = s.update && s.updated ? `; ${s.update.state} ${s.updated.done}/${s.updated.of}` : s.update?.state === 'paused' ? '; update paused' : '';
  return `${s.running}/${s.desired} running, image ${s.image}${where}${upd}`;
}

/** What differs between two specs, as an operator reads it: image, replicas, env, args … */
export function specChanges(from: RawServiceSpec | undefined, to: RawServiceSpec | undefined): string[] {
  const out: string[] = [];
  const c1 = from?.TaskTemplate?.ContainerSpec ?? {};
  const c2 = to?.TaskTemplate?.ContainerSpec ?? {};
  const str = (v: unknown) => (Array.isArray(v) ? v.join(' ') : v === undefined ? '' : String(v));
  if ((c1.Image ?? '') !== (c2.Image ?? '')) out.push(`image ${safeText(str(c1.Image)) || '–'} → ${safeText(str(c2.Image)) || '–'}`);
  const r1 = from?.Mode?.Replicated?.Replicas;
  const r2 = to?.Mode?.Replicated?.Replicas;
  if (r1 !== r2 && (r1 !== undefined || r2 !== undefined)) out.push(`replicas ${r1 ?? '–'} → ${r2 ?? '–'}`);
  for (const [key, label] of [['Command', 'command'], ['Args', 'args'], ['User', 'user'], ['Dir', 'working dir']] as const) {
    if (str(c1[key]) !== str(c2[key])) out.push(`${label} "${safeText(str(c1[key]))}" → "${safeText(str(c2[key]))}"`);
  }
  const env = (c: Record<string, unknown>) => new Map(((c.Env as string[] | undefined) ?? []).map((e) => [e.split('=')[0]!, e]));
  const e1 = env(c1);
  const e2 = env(c2);
  const envChanged = [...new Set([...e1.keys(), ...e2.keys()])].filter((k) => e1.get(k) !== e2.get(k));
  // Names only: values may be secrets.
  if (envChanged.length) out.push(`environment: ${envChanged.slice(0, 6).map((k) => safeText(k)).join(', ')}${envChanged.length > 6 ? ` and ${envChanged.length - 6} more` : ''} differ`);
  const f1 = from?.TaskTemplate?.ForceUpdate ?? 0;
  const f2 = to?.TaskTemplate?.ForceUpdate ?? 0;
  if (f1 !== f2) out.push(`force-update counter ${f1} → ${f2}`);
  return out;
}

// --- the actions ------------------------------------------------------------------------------

const target = (p: ServiceParams) => `service/${p.service.name}`;

/** Checks the operator's number before anything is read: whole, not negative. */
function checkReplicas(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new PreflightError(`replicas must be a whole number, 0 or more (got ${Number.isFinite(n) ? n : String(n)})`);
}

function checkScalable(s: SwarmService): void {
  if (s.mode === 'global') throw new PreflightError(`${s.name} is a global service: it runs one task on every eligible node and has no replica count to scale`);
  if (s.mode !== 'replicated') throw new PreflightError(`${s.name} is a ${s.mode} service: only replicated services scale`);
}

async function refresh(p: ServiceParams, ctx: ActionContext): Promise<void> {
  const fresh = await freshService(ctx.docker.raw, p.service);
  p.service = fresh.service;
  p.raw = fresh.raw;
}

export const scaleAction: ActionDef<ScaleParams> = {
  id: 'service.scale',
  title: 'Scale service',
  done: 'scaled',
  mutates: true,
  destructive: false,
  target,
  auditParams: (p) => ({ id: p.service.id.slice(0, 12), from: p.service.desired, to: p.replicas }),
  async preflight(p, ctx) {
    // The operator's input and what the view already knows first: no Docker call for a typo.
    checkReplicas(p.replicas);
    checkScalable(p.service);
    await refresh(p, ctx);
    checkScalable(p.service);
    if (p.service.desired === p.replicas) throw new PreflightError(`${p.service.name} already has ${plural(p.replicas, 'replica')} (${p.service.running} running); nothing to change`);
  },
  async confirmation(p): Promise<Confirmation> {
    const s = p.service;
    const from = s.desired;
    const to = p.replicas;
    const lines = [`${s.name}: ${from} → ${plural(to, 'replica')}`, `now ${statusLine(s)}`];
    if (to > from) lines.push(`Docker starts ${plural(to - from, 'new task')} (slot${to - from === 1 ? '' : 's'} ${from + 1}${to - from > 1 ? `–${to}` : ''}) on the nodes that fit, with the current spec.`);
    else lines.push(`Docker stops ${plural(from - to, 'task')} (the highest slots); connections to ${from - to === 1 ? 'it' : 'them'} are dropped.`);
    if (to === 0) lines.push('Nothing of the service runs until it is scaled up again (its definition stays).');
    if (s.update && s.updated) lines.push(`An ${s.update.state.replace('_', ' ')} is under way (${s.updated.done}/${s.updated.of}); scaling does not stop it.`);
    return { title: `Scale ${s.name}?`, verb: 'scale', lines, ...(to === 0 ? { typeToConfirm: s.name } : {}) };
  },
  steps: () => [
    {
      id: 'update', title: 'Set the replica count', run: async (p, ctx) => {
        await updateService(ctx.docker.raw, p.service, ctx.signal, (spec) => {
          if (!spec.Mode?.Replicated) throw new Error(`${p.service.name} is no longer a replicated service`);
          spec.Mode.Replicated.Replicas = p.replicas;
        });
        return `${p.service.name}: ${p.service.desired} → ${p.replicas}`;
      },
    },
    { id: 'wait', title: 'Wait for the replicas', run: (p, ctx) => waitReplicas(ctx, p.service, p.replicas, p.timeoutMs ?? 60_000) },
  ],
};

/** The update status's StartedAt before our call: the wait step tells Docker's new status from the old. */
function markStart(p: ServiceParams, raw: RawService): void {
  started.set(p, { previousStartedAt: raw.UpdateStatus?.StartedAt ?? null, at: Date.now() });
}

const IN_FLIGHT = new Set(['updating', 'rollback_started']);

export const forceUpdateAction: ActionDef<ServiceParams> = {
  id: 'service.force-update',
  title: 'Restart service (force update)',
  done: 'restarted',
  mutates: true,
  destructive: false,
  target,
  auditParams: (p) => ({ id: p.service.id.slice(0, 12), image: p.service.image, forceUpdate: p.service.forceUpdate + 1 }),
  async preflight(p, ctx) {
    await refresh(p, ctx);
    const u = p.service.update;
    if (u && IN_FLIGHT.has(u.state)) {
      throw new PreflightError(`${p.service.name} is already ${u.state === 'updating' ? 'updating' : 'rolling back'}${p.service.updated ? ` (${p.service.updated.done}/${p.service.updated.of})` : ''}; wait for it to finish`);
    }
  },
  async confirmation(p): Promise<Confirmation> {
    const s = p.service;
    const cfg = p.raw?.Spec?.UpdateConfig;
    const lines = [
      `${s.name} — ${statusLine(s)}`,
      `Rolling restart: Docker replaces each of its ${plural(s.desired, 'task')} by a new one, same image and settings (force-update counter ${s.forceUpdate} → ${s.forceUpdate + 1}).`,
      `How: ${describeUpdateConfig(cfg)}.`,
    ];
    if ((cfg?.Order ?? 'stop-first') === 'stop-first') {
      lines.push(s.desired <= (cfg?.Parallelism || 1) ? 'The service is down while its tasks are replaced (stop-first).' : 'While a task is replaced, its connections are dropped (stop-first).');
    }
    if (s.update?.state === 'paused') lines.push(`The paused update (${safeText(s.update.message)}) is replaced by this one.`);
    return { title: `Restart ${s.name} (force update)?`, verb: 'restart', lines };
  },
  steps: () => [
    {
      id: 'update', title: 'Request the rolling restart', run: async (p, ctx) => {
        const raw = await updateService(ctx.docker.raw, p.service, ctx.signal, (spec) => {
          spec.TaskTemplate = { ...(spec.TaskTemplate ?? {}), ForceUpdate: (spec.TaskTemplate?.ForceUpdate ?? 0) + 1 };
        });
        markStart(p, raw);
        return `force-update counter ${raw.Spec?.TaskTemplate?.ForceUpdate ?? 0} → ${(raw.Spec?.TaskTemplate?.ForceUpdate ?? 0) + 1}`;
      },
    },
    {
      id: 'wait', title: 'Wait for the rolling update',
      run: (p, ctx) => waitUpdate(ctx, p, 'update', p.timeoutMs ?? updateTimeoutMs(p.raw?.Spec?.UpdateConfig, p.service.desired)),
    },
  ],
};

const noPrevious = (name: string) => `${name} has no previous spec to roll back to (it has not been updated since it was created)`;

export const rollbackAction: ActionDef<ServiceParams> = {
  id: 'service.rollback',
  title: 'Rollback service',
  done: 'rolled back',
  mutates: true,
  destructive: false,
  target,
  auditParams: (p) => ({ id: p.service.id.slice(0, 12), changes: specChanges(p.raw?.Spec, p.raw?.PreviousSpec) }),
  async preflight(p, ctx) {
    if (!p.service.canRollback) throw new PreflightError(noPrevious(p.service.name));
    await refresh(p, ctx);
    if (!p.raw?.PreviousSpec) throw new PreflightError(noPrevious(p.service.name));
    const u = p.service.update;
    if (u?.state === 'rollback_started') throw new PreflightError(`${p.service.name} is already rolling back${p.service.updated ? ` (${p.service.updated.done}/${p.service.updated.of})` : ''}`);
  },
  async confirmation(p): Promise<Confirmation> {
    const s = p.service;
    const changes = specChanges(p.raw?.Spec, p.raw?.PreviousSpec);
    const cfg = p.raw?.Spec?.RollbackConfig;
    const lines = [
      `${s.name} — ${statusLine(s)}`,
      changes.length ? `Back to the previous spec: ${changes.join('; ')}.` : 'Back to the previous spec (it differs in settings not listed here).',
      `How: ${describeUpdateConfig(cfg)} (rollback config).`,
    ];
    if (s.update?.state === 'updating' || s.update?.state === 'paused') lines.push(`The ${s.update.state === 'paused' ? 'paused ' : ''}update in progress is abandoned.`);
    lines.push('The spec rolled back from becomes the previous one: a second rollback undoes this one.');
    return { title: `Roll back ${s.name}?`, verb: 'roll back', lines };
  },
  steps: () => [
    {
      id: 'update', title: 'Request the rollback', run: async (p, ctx) => {
        const raw = await updateService(ctx.docker.raw, p.service, ctx.signal, (_spec, current) => {
          if (!current.PreviousSpec) throw new Error(`${p.service.name} has no previous spec any more`);
        }, { rollback: 'previous' });
        markStart(p, raw);
        const changes = specChanges(raw.Spec, raw.PreviousSpec);
        return changes.length ? changes.join('; ') : 'previous spec requested';
      },
    },
    {
      id: 'wait', title: 'Wait for the rollback',
      run: (p, ctx) => waitUpdate(ctx, p, 'rollback', p.timeoutMs ?? updateTimeoutMs(p.raw?.Spec?.RollbackConfig, Math.max(p.service.desired, p.raw?.PreviousSpec?.Mode?.Replicated?.Replicas ?? 0))),
    },
  ],
};

export const swarmActions = { scale: scaleAction, forceUpdate: forceUpdateAction, rollback: rollbackAction } as const;
