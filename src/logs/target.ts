import type { ContainerInfo } from '../docker/containers.js';

/**
 * What a log view or `opsdeck logs` follows: one container, every container of a compose project,
 * or a Swarm service (every task of it, through the manager's `GET /services/{id}/logs`).
 */
export type LogTarget =
  | { kind: 'container'; id: string; name: string }
  | { kind: 'project'; project: string }
  | { kind: 'service'; id: string; name: string };

export type TargetLookup = { target: LogTarget } | { error: string };

/**
 * Resolves what an operator typed: a container name or id prefix, a compose project, or a compose
 * service (when only one container has that service name, or all of them share one project).
 */
export function resolveLogTarget(
  containers: readonly Pick<ContainerInfo, 'id' | 'name' | 'project' | 'service'>[],
  text: string,
  /** Swarm services (on a manager): a name no container, compose service or project has. */
  swarmServices: readonly { id: string; name: string }[] = [],
): TargetLookup {
  const want = text.trim().replace(/^\//, '');
  if (!want) return { error: 'no target given: name a container, a compose service or a compose project' };
  const byName = containers.find((c) => c.name === want);
  if (byName) return { target: { kind: 'container', id: byName.id, name: byName.name } };
  if (containers.some((c) => c.project === want)) return { target: { kind: 'project', project: want } };
  const byService = containers.filter((c) => c.service === want);
  if (byService.length === 1) return { target: { kind: 'container', id: byService[0]!.id, name: byService[0]!.name } };
  if (byService.length > 1) {
    const names = byService.map((c) => c.name).join(', ');
    return { error: `"${want}" is a service of several containers (${names}): name one of them` };
  }
  const byId = want.length >= 4 ? containers.filter((c) => c.id.startsWith(want)) : [];
  if (byId.length === 1) return { target: { kind: 'container', id: byId[0]!.id, name: byId[0]!.name } };
  const swarm = swarmServices.find((s) => s.name === want);
  if (swarm) return { target: { kind: 'service', id: swarm.id, name: swarm.name } };
  const needle = want.toLowerCase();
  const near = [...new Set([...containers.flatMap((c) => [c.name, c.project ?? '']), ...swarmServices.map((s) => s.name)].filter((n) => n && n.toLowerCase().includes(needle)))];
  const kinds = swarmServices.length ? 'container, compose service, project or swarm service' : 'container, compose service or project';
  return { error: `no ${kinds} named "${want}"${near.length ? ` — did you mean ${near.slice(0, 5).join(', ')}?` : ''}` };
}

/** The containers a target covers, in a stable order (service, then name). */
export function membersOf<C extends Pick<ContainerInfo, 'id' | 'name' | 'project' | 'service'>>(containers: readonly C[], target: LogTarget): C[] {
  if (target.kind === 'container') return containers.filter((c) => c.id === target.id);
  // A service's tasks may run on other nodes: its lines come from the manager, not from containers here.
  if (target.kind === 'service') return [];
  return containers
    .filter((c) => c.project === target.project)
    .sort((a, b) => (a.service ?? a.name).localeCompare(b.service ?? b.name) || a.name.localeCompare(b.name));
}

/** The prefix of a container's lines in a merged view: its service, or its name when services repeat. */
export function sourceLabel(c: Pick<ContainerInfo, 'name' | 'service'>, siblings: readonly Pick<ContainerInfo, 'name' | 'service'>[]): string {
  if (!c.service) return c.name;
  return siblings.filter((s) => s.service === c.service).length > 1 ? c.name : c.service;
}

export function describeTarget(target: LogTarget): string {
  if (target.kind === 'service') return `service ${target.name}`;
  return target.kind === 'container' ? target.name : `project ${target.project}`;
}
