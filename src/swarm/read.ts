/**
 * Docker API JSON (/info, /services, /tasks, /nodes) to the Swarm types: pure functions, plus
 * readSwarm, one round of reads against an engine.
 *
 * Update progress, the signal chosen: Docker 20.10 (API 1.41) does not send a task's SpecVersion,
 * and a service's Version.Index moves on every change (a scale too), so versions cannot tell an old
 * task from an updated one. What a task does carry is a copy of the task template it was made from
 * (Task.Spec). A task is "on the current spec" when its container spec, resources, placement and
 * ForceUpdate counter equal the service's TaskTemplate (compared with empty values dropped, as
 * Docker omits them): exactly what the updater changes. A forced update (ForceUpdate + 1), a new
 * image, new env or args all show; a scale does not. During a rollback the "current spec" is the
 * previous one again, so tasks never replaced count as done at once — as Docker itself sees them.
 */
import type Dockerode from 'dockerode';
import type { SwarmNode, SwarmRole, SwarmService, SwarmSnapshot, SwarmTask, SwarmUpdateStatus } from './types.js';

// --- the Docker API's shapes, as far as opsdeck reads them -------------------------------------

export interface RawVersion { Index?: number }

export interface RawTaskSpec {
  ContainerSpec?: { Image?: string; [key: string]: unknown };
  Resources?: unknown;
  Placement?: unknown;
  ForceUpdate?: number;
  [key: string]: unknown;
}

export interface RawUpdateConfig {
  Parallelism?: number;
  /** Nanoseconds. */
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: string;
}

export interface RawServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate?: RawTaskSpec;
  Mode?: {
    Replicated?: { Replicas?: number };
    Global?: Record<string, never>;
    ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
    GlobalJob?: Record<string, never>;
  };
  UpdateConfig?: RawUpdateConfig;
  RollbackConfig?: RawUpdateConfig;
  [key: string]: unknown;
}

export interface RawService {
  ID: string;
  Version?: RawVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: RawServiceSpec;
  PreviousSpec?: RawServiceSpec;
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
  /** Sent with ?status=true (API ≥ 1.41). */
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number; CompletedTasks?: number };
}

export interface RawTask {
  ID: string;
  Version?: RawVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  Spec?: RawTaskSpec;
  /** Newer engines only. */
  SpecVersion?: RawVersion;
  Status?: {
    Timestamp?: string;
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  };
  DesiredState?: string;
}

export interface RawNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Name?: string };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

export interface RawInfo {
  Swarm?: {
    NodeID?: string;
    NodeAddr?: string;
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    Error?: string;
    Nodes?: number;
    Managers?: number;
  };
}

// --- mapping ----------------------------------------------------------------------------------

/** What a user reads when the engine cannot list services (the view and the CLI say the same). */
export const NOT_MANAGER = 'this engine is not a swarm manager — services are listed on a manager (docker swarm init / join)';

const ROLE_STATES: readonly SwarmRole['state'][] = ['inactive', 'pending', 'active', 'error', 'locked'];

export function roleFromInfo(info: RawInfo): SwarmRole {
  const s = info.Swarm ?? {};
  const raw = s.LocalNodeState ?? '';
  const state = (ROLE_STATES as readonly string[]).includes(raw) ? (raw as SwarmRole['state']) : 'inactive';
  return {
    state,
    manager: state === 'active' && s.ControlAvailable === true,
    nodeId: s.NodeID || null,
    managers: state === 'active' && typeof s.Managers === 'number' ? s.Managers : null,
    nodes: state === 'active' && typeof s.Nodes === 'number' ? s.Nodes : null,
    error: s.Error || null,
  };
}

/** `nginx:1.25@sha256:…` → `nginx:1.25` (the digest is for the engine, not for reading). */
export function stripDigest(image: string): string {
  const at = image.indexOf('@');
  return at === -1 ? image : image.slice(0, at);
}

export function nodeFromRaw(n: RawNode): SwarmNode {
  const role = n.Spec?.Role === 'manager' ? 'manager' : 'worker';
  return {
    id: n.ID,
    hostname: n.Description?.Hostname || n.ID.slice(0, 12),
    role,
    leader: n.ManagerStatus?.Leader === true,
    availability: n.Spec?.Availability ?? 'unknown',
    status: n.Status?.State ?? 'unknown',
    message: n.Status?.State === 'ready' ? '' : (n.Status?.Message ?? ''),
    engineVersion: n.Description?.Engine?.EngineVersion ?? null,
    addr: n.Status?.Addr ?? null,
  };
}

/** Task states after which a task never runs again. */
const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);
const FAILED = new Set(['failed', 'rejected']);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

export function taskFromRaw(t: RawTask, nodeNames: ReadonlyMap<string, string>): SwarmTask {
  const nodeId = t.NodeID || null;
  return {
    id: t.ID,
    slot: typeof t.Slot === 'number' && t.Slot > 0 ? t.Slot : null,
    nodeId,
    node: nodeId ? (nodeNames.get(nodeId) ?? nodeId.slice(0, 12)) : null,
    state: t.Status?.State ?? 'unknown',
    desiredState: t.DesiredState ?? 'unknown',
    message: t.Status?.Message ?? '',
    error: t.Status?.Err || null,
    since: t.Status?.Timestamp ?? t.UpdatedAt ?? null,
    containerId: t.Status?.ContainerStatus?.ContainerID || null,
    image: stripDigest(t.Spec?.ContainerSpec?.Image ?? ''),
    specVersion: typeof t.SpecVersion?.Index === 'number' ? t.SpecVersion.Index : null,
  };
}

/** A value with Docker's omitted-when-empty fields made comparable: no empty objects, arrays, strings, false or 0. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(prune).filter((x) => x !== undefined);
    return out.length ? out : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = prune((v as Record<string, unknown>)[k]);
      if (x !== undefined) out[k] = x;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === '' || v === false || v === 0 || v === null) return undefined;
  return v;
}

const canon = (v: unknown): string => JSON.stringify(prune(v) ?? null);

/** The part of a task template the updater replaces tasks for (see the note at the top). */
function specKey(s: RawTaskSpec | undefined): string {
  return canon({ c: s?.ContainerSpec, r: s?.Resources, p: s?.Placement, f: s?.ForceUpdate ?? 0 });
}

/** The task was made from the service's current task template. */
export function onCurrentSpec(task: RawTask, template: RawTaskSpec | undefined): boolean {
  return specKey(task.Spec) === specKey(template);
}

const tsOf = (t: RawTask): number => Date.parse(t.Status?.Timestamp ?? t.UpdatedAt ?? t.CreatedAt ?? '') || 0;

/**
 * The tasks worth showing for a service: per slot (per node for global services) those the
 * orchestrator still wants (desired state not shutdown) or that still run (on their way out);
 * when none of them runs, also the newest failed one, so its error shows; when a slot has nothing
 * else, its newest task. Ordered by slot (node), newest first within one.
 */
export function currentTasks(tasks: readonly RawTask[]): RawTask[] {
  const groups = new Map<string, RawTask[]>();
  for (const t of tasks) {
    const key = typeof t.Slot === 'number' && t.Slot > 0 ? `s${String(t.Slot).padStart(8, '0')}` : `n${t.NodeID ?? ''}`;
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  const out: RawTask[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!.sort((a, b) => tsOf(b) - tsOf(a));
    const live = g.filter((t) => !['shutdown', 'remove'].includes(t.DesiredState ?? 'shutdown') || !isTerminal(t.Status?.State ?? 'shutdown'));
    const running = live.some((t) => t.Status?.State === 'running' && t.DesiredState === 'running');
    const failed = running ? undefined : g.find((t) => FAILED.has(t.Status?.State ?? ''));
    const chosen = live.length ? live : [g[0]!];
    if (failed && !chosen.includes(failed)) chosen.push(failed);
    out.push(...chosen.sort((a, b) => tsOf(b) - tsOf(a)));
  }
  return out;
}

const UPDATING = new Set(['updating', 'paused', 'rollback_started', 'rollback_paused']);

export function modeOf(spec: RawServiceSpec | undefined): string {
  const m = spec?.Mode ?? {};
  if (m.Global) return 'global';
  if (m.ReplicatedJob) return 'replicated-job';
  if (m.GlobalJob) return 'global-job';
  return 'replicated';
}

/** Running: tasks in state running that the orchestrator wants running — what `docker service ls` counts. */
export function isRunning(t: RawTask): boolean {
  return t.Status?.State === 'running' && t.DesiredState === 'running';
}

/** One service with its own tasks (any order; only this service's). */
export function serviceFromRaw(s: RawService, tasks: readonly RawTask[], nodeNames: ReadonlyMap<string, string>): SwarmService {
  const spec = s.Spec ?? {};
  const mode = modeOf(spec);
  const running = tasks.filter(isRunning);
  let desired: number;
  if (mode === 'replicated') desired = spec.Mode?.Replicated?.Replicas ?? 1;
  else if (typeof s.ServiceStatus?.DesiredTasks === 'number') desired = s.ServiceStatus.DesiredTasks;
  else if (mode === 'replicated-job') desired = spec.Mode?.ReplicatedJob?.MaxConcurrent ?? 1;
  else desired = new Set(tasks.filter((t) => t.DesiredState === 'running' && t.NodeID).map((t) => t.NodeID)).size;
  const u = s.UpdateStatus;
  const update: SwarmUpdateStatus | null = u?.State
    ? { state: u.State, message: u.Message ?? '', startedAt: u.StartedAt ?? null, completedAt: u.CompletedAt ?? null }
    : null;
  const template = spec.TaskTemplate;
  const imageRef = template?.ContainerSpec?.Image ?? '';
  return {
    id: s.ID,
    name: spec.Name ?? s.ID.slice(0, 12),
    mode,
    desired,
    running: running.length,
    image: stripDigest(imageRef),
    imageRef,
    stack: spec.Labels?.['com.docker.stack.namespace'] ?? null,
    update,
    updated: update && UPDATING.has(update.state)
      ? { done: running.filter((t) => onCurrentSpec(t, template)).length, of: desired }
      : null,
    canRollback: Boolean(s.PreviousSpec),
    forceUpdate: template?.ForceUpdate ?? 0,
    version: s.Version?.Index ?? 0,
    createdAt: s.CreatedAt ?? null,
    updatedAt: s.UpdatedAt ?? null,
    tasks: currentTasks(tasks).map((t) => taskFromRaw(t, nodeNames)),
  };
}

/** Services (by stack, then name), their tasks and the nodes (managers first, then by hostname). */
export function buildSnapshot(
  info: RawInfo,
  lists: { services: readonly RawService[]; tasks: readonly RawTask[]; nodes: readonly RawNode[] } | null,
  at: number,
  error: string | null = null,
): SwarmSnapshot {
  const role = roleFromInfo(info);
  if (!lists) return { role, services: [], nodes: [], loaded: true, error, at };
  const nodes = lists.nodes.map(nodeFromRaw)
    .sort((a, b) => Number(b.role === 'manager') - Number(a.role === 'manager') || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  const nodeNames = new Map(nodes.map((n) => [n.id, n.hostname]));
  const byService = new Map<string, RawTask[]>();
  for (const t of lists.tasks) {
    if (!t.ServiceID) continue;
    const g = byService.get(t.ServiceID);
    if (g) g.push(t);
    else byService.set(t.ServiceID, [t]);
  }
  const services = lists.services.map((s) => serviceFromRaw(s, byService.get(s.ID) ?? [], nodeNames))
    .sort((a, b) => (a.stack ?? '').localeCompare(b.stack ?? '') || a.name.localeCompare(b.name));
  return { role, services, nodes, loaded: true, error, at };
}

/** Why services cannot be listed here; null for an engine outside any swarm (a state, not an error). */
export function notManagerReason(role: SwarmRole): string | null {
  switch (role.state) {
    case 'inactive': return null;
    case 'active': return role.manager ? null : NOT_MANAGER;
    case 'locked': return 'this swarm manager is locked: unlock it with docker swarm unlock';
    case 'pending': return 'this engine is joining a swarm (pending)';
    default: return `swarm error on this engine: ${role.error ?? 'unknown'}`;
  }
}

/** A Docker error as one line ("(HTTP code 503) unexpected - This node is not…" → "This node is not…"). */
export function swarmErrorText(e: unknown): string {
  const err = e as { message?: string; json?: { message?: string } | null };
  const msg = err?.json?.message ?? err?.message ?? String(e);
  return msg.split('\n')[0]!.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

/**
 * One round against an engine: /info; when it is a manager, /services (with their status), /tasks
 * and /nodes in parallel. Docker unreachable rejects; a manager that cannot list (no leader, lost
 * quorum, demoted meanwhile) resolves with the role and `error` set.
 */
export async function readSwarm(docker: Dockerode, now: () => number = Date.now): Promise<SwarmSnapshot> {
  const info = (await docker.info()) as RawInfo;
  const role = roleFromInfo(info);
  if (!role.manager) return buildSnapshot(info, null, now(), notManagerReason(role));
  try {
    const [services, tasks, nodes] = await Promise.all([
      docker.listServices({ status: true } as Dockerode.ServiceListOptions) as Promise<RawService[]>,
      docker.listTasks() as Promise<RawTask[]>,
      docker.listNodes() as Promise<RawNode[]>,
    ]);
    return buildSnapshot(info, { services, tasks, nodes }, now());
  } catch (e) {
    return buildSnapshot(info, null, now(), swarmErrorText(e));
  }
}
