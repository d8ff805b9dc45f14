/**
 * What a maintenance window stops, and in which order (pure: the TUI shows it before asking).
 *
 * - `maintenance.stop` in the config names the containers (container name, or a compose service name
 *   within the scope's project). Without it: every running container of the scope (the project, or
 *   the whole host) except databases (postgres, redis, mysql/mariadb images: tasks run in them) and
 *   reverse proxies (nginx, traefik, caddy, haproxy, envoy: they serve the 503 page).
 * - Stop order: dependents first. Dependencies come from compose's `com.docker.compose.depends_on`
 *   label (service names of the same project) when the container has it; start order is the reverse
 *   (dependencies first). Without dependency information: stop in reverse name order, start in name
 *   order.
 */
import type { Config } from '../../config/schema.js';
import { databaseKind } from '../backup/discover.js';
import { imageBase } from '../checks/discover.js';
import type { ContainerInfo } from '../docker/containers.js';

/** What the plan needs of a container; `dependsOn` = compose service names (see parseDependsOn). */
export type PlanContainer = Pick<ContainerInfo, 'name' | 'project' | 'service' | 'image' | 'state'> & { dependsOn?: readonly string[] };

export interface MaintenancePlan {
  /** Scope: null = the whole host. */
  project: string | null;
  /** Container names, in the order they are stopped. */
  stop: string[];
  /** The same, in the order they are started again. */
  start: string[];
  flagFile: string | null;
  /** Configured names that match no container. */
  unknown: string[];
  /** Configured containers that are not running (nothing to stop; not started again on exit). */
  notRunning: string[];
}

const LIVE = new Set<ContainerInfo['state']>(['running', 'restarting', 'paused']);
const PROXY = /^(nginx|openresty|traefik|caddy|haproxy|envoy|httpd)/;

/** Whether the default selection leaves a container running (a database or the proxy). */
export function keptByDefault(image: string): boolean {
  return databaseKind(image) !== undefined || PROXY.test(imageBase(image));
}

/** `db:service_healthy:false,cache:service_started:true` → ['db', 'cache']. */
export function parseDependsOn(label: string | undefined | null): string[] {
  if (!label) return [];
  return label.split(',').map((part) => part.trim().split(':')[0] ?? '').filter((s) => s !== '');
}

/** Start order: dependencies first, ties (and cycles) by name. */
export function startOrder(containers: readonly PlanContainer[]): string[] {
  const byName = new Map(containers.map((c) => [c.name, c]));
  const names = [...byName.keys()].sort();
  // Edges within the set: a container depends on the containers of the services it names (same project).
  const deps = new Map<string, Set<string>>();
  for (const c of byName.values()) {
    const mine = new Set<string>();
    for (const svc of c.dependsOn ?? []) {
      for (const o of byName.values()) if (o !== c && o.project === c.project && o.service === svc) mine.add(o.name);
    }
    deps.set(c.name, mine);
  }
  const out: string[] = [];
  const done = new Set<string>();
  while (out.length < names.length) {
    const ready = names.find((n) => !done.has(n) && [...(deps.get(n) ?? [])].every((d) => done.has(d)));
    // A cycle: take the first remaining by name rather than never finishing.
    const next = ready ?? names.find((n) => !done.has(n))!;
    done.add(next);
    out.push(next);
  }
  return out;
}

export function plan(containers: readonly PlanContainer[], config: Config, project?: string | null): MaintenancePlan {
  const scope = project ?? null;
  const inScope = containers.filter((c) => scope === null || c.project === scope);
  const configured = config.maintenance.stop;
  const picked: PlanContainer[] = [];
  const unknown: string[] = [];
  const notRunning: string[] = [];
  if (configured.length > 0) {
    for (const name of configured) {
      const hit =
        containers.find((c) => c.name === name) ??
        inScope.find((c) => c.service === name && (scope !== null || inScope.filter((o) => o.service === name).length === 1));
      if (!hit) unknown.push(name);
      else if (!LIVE.has(hit.state)) notRunning.push(hit.name);
      else if (!picked.includes(hit)) picked.push(hit);
    }
  } else {
    for (const c of inScope) if (LIVE.has(c.state) && !keptByDefault(c.image)) picked.push(c);
  }
  const start = startOrder(picked);
  return { project: scope, stop: [...start].reverse(), start, flagFile: config.maintenance.flagFile ?? null, unknown, notRunning };
}
