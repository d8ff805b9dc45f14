import type Dockerode from 'dockerode';
import { safeText } from '../sanitize.js';

export type ContainerState = 'running' | 'exited' | 'restarting' | 'paused' | 'created' | 'dead' | 'removing';
export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** What opsdeck knows of one container, from the list call and (later) inspect. */
export interface ContainerInfo {
  id: string;
  name: string;
  project: string | null;
  service: string | null;
  image: string;
  state: ContainerState;
  /** Docker's own status text, e.g. "Up 3 minutes (healthy)". */
  status: string;
  health: Health;
  restartCount: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  /** Memory limit in bytes, null when unlimited. */
  memLimit: number | null;
  createdAt: string;
  /** True once inspect has filled restartCount, startedAt and limits. */
  inspected: boolean;
}

const STATES = new Set(['running', 'exited', 'restarting', 'paused', 'created', 'dead', 'removing']);

export function healthFromStatus(status: string): Health {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

/** Labels are anyone's text: sanitised before they can reach a terminal. */
function label(labels: Record<string, string>, key: string): string | null {
  const v = labels[key];
  return v === undefined ? null : safeText(v);
}

function exitCodeFromStatus(status: string): number | null {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : null;
}

/** From one row of GET /containers/json — enough for a first paint. */
export function fromListEntry(e: Dockerode.ContainerInfo): ContainerInfo {
  const labels = e.Labels ?? {};
  const rawName = e.Names?.[0] ?? e.Id.slice(0, 12);
  const state = (STATES.has(e.State) ? e.State : 'created') as ContainerState;
  return {
    id: e.Id,
    name: safeText(rawName.replace(/^\//, '')),
    project: label(labels, 'com.docker.compose.project'),
    service: label(labels, 'com.docker.compose.service'),
    image: safeText(e.Image),
    state,
    status: e.Status ?? '',
    health: healthFromStatus(e.Status ?? ''),
    restartCount: null,
    startedAt: null,
    finishedAt: null,
    exitCode: state === 'exited' ? exitCodeFromStatus(e.Status ?? '') : null,
    oomKilled: false,
    memLimit: null,
    createdAt: new Date(e.Created * 1000).toISOString(),
    inspected: false,
  };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** From GET /containers/{id}/json — the full truth for one container. */
export function fromInspect(i: Dockerode.ContainerInspectInfo): ContainerInfo {
  const labels = i.Config?.Labels ?? {};
  const st = i.State;
  const state = (STATES.has(st.Status) ? st.Status : 'created') as ContainerState;
  const health: Health = (st.Health?.Status as Health | undefined) || 'none';
  const mem = i.HostConfig?.Memory;
  return {
    id: i.Id,
    name: safeText(i.Name.replace(/^\//, '')),
    project: label(labels, 'com.docker.compose.project'),
    service: label(labels, 'com.docker.compose.service'),
    image: safeText(i.Config?.Image ?? i.Image),
    state,
    status: describeState(state, health, st.ExitCode),
    health,
    restartCount: i.RestartCount ?? 0,
    startedAt: st.StartedAt && st.StartedAt !== ZERO_TIME ? st.StartedAt : null,
    finishedAt: st.FinishedAt && st.FinishedAt !== ZERO_TIME ? st.FinishedAt : null,
    exitCode: state === 'running' ? null : (st.ExitCode ?? null),
    oomKilled: Boolean(st.OOMKilled),
    memLimit: mem && mem > 0 ? mem : null,
    createdAt: i.Created,
    inspected: true,
  };
}

function describeState(state: ContainerState, health: Health, exitCode: number | undefined): string {
  if (state === 'exited') return `Exited (${exitCode ?? '?'})`;
  if (state === 'running' && health !== 'none') return `Up (${health})`;
  return state[0]!.toUpperCase() + state.slice(1);
}

/** 2 = needs attention now, 1 = unusual, 0 = fine. Drives colour and in-group order. */
export function severity(c: Pick<ContainerInfo, 'state' | 'health' | 'exitCode'>): 0 | 1 | 2 {
  if (c.health === 'unhealthy' || c.state === 'restarting' || c.state === 'dead') return 2;
  if (c.state === 'exited') return c.exitCode === 0 ? 0 : 2;
  if (c.health === 'starting' || c.state === 'paused' || c.state === 'created' || c.state === 'removing') return 1;
  return 0;
}

export interface ProjectGroup<T> {
  /** Compose project name, or null for containers outside any project. */
  project: string | null;
  rows: T[];
  /** Worst severity in the group. */
  worst: 0 | 1 | 2;
}

/**
 * Groups containers by compose project: projects by name, loose containers last; inside a group,
 * containers needing attention first, then by service/name.
 */
export function groupByProject<T extends ContainerInfo>(rows: readonly T[]): ProjectGroup<T>[] {
  const byProject = new Map<string | null, T[]>();
  for (const r of rows) {
    const list = byProject.get(r.project);
    if (list) list.push(r);
    else byProject.set(r.project, [r]);
  }
  const groups: ProjectGroup<T>[] = [];
  for (const [project, list] of byProject) {
    list.sort((a, b) => severity(b) - severity(a) || (a.service ?? a.name).localeCompare(b.service ?? b.name) || a.name.localeCompare(b.name));
    const worst = list.reduce<0 | 1 | 2>((w, r) => Math.max(w, severity(r)) as 0 | 1 | 2, 0);
    groups.push({ project, rows: list, worst });
  }
  groups.sort((a, b) => (a.project === null ? 1 : 0) - (b.project === null ? 1 : 0) || (a.project ?? '').localeCompare(b.project ?? ''));
  return groups;
}
