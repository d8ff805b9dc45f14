/**
 * Which checks exist: the configured ones, then what zero-config finds on the host — a `container`
 * check per container, `postgres`/`redis` checks for containers running those images, host `disk`
 * and `memory`, a `logs` error count per running container and a `backup` check per backup target.
 * A discovered check is dropped when a configured one covers the same thing (same kind, same
 * container) or has the same name.
 */
import type { Check, Config } from '../../config/schema.js';
import type { ContainerInfo } from '../docker/containers.js';
import { DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS, type CheckDef, type CheckKindName } from './types.js';

/** Discovered log checks read a day of logs: not every 30 s, and not within 5 s. */
export const LOGS_INTERVAL_MS = 5 * 60_000;
export const LOGS_TIMEOUT_MS = 30_000;
/** Backups change a few times a day. */
export const BACKUP_INTERVAL_MS = 5 * 60_000;
/** The capacity projection moves slowly: every 5 minutes is plenty. */
export const CAPACITY_INTERVAL_MS = 5 * 60_000;

/** The container a check is about (or runs in), if any. */
export function checkContainer(spec: Check): string | undefined {
  switch (spec.kind) {
    case 'container':
      return spec.container.name;
    case 'postgres':
      return spec.postgres.container;
    case 'redis':
      return spec.redis.container;
    case 'sqlite':
      return spec.sqlite.container;
    case 'logs':
      return spec.logs.container;
    case 'memory':
      return spec.memory.container;
    case 'cpu':
      return spec.cpu.container;
    case 'command':
      return spec.command.container;
    default:
      return undefined;
  }
}

function defaultTimeout(spec: Check): number {
  if (spec.timeout !== undefined) return spec.timeout;
  // A command with a timeout of its own gets to use it, and to report it, before runCheck gives up.
  if (spec.kind === 'command' && spec.command.timeout !== undefined) return spec.command.timeout + 1000;
  if (spec.kind === 'logs') return LOGS_TIMEOUT_MS;
  return DEFAULT_TIMEOUT_MS;
}

/** The config file's checks as runnable definitions. */
export function configChecks(config: Config): CheckDef[] {
  return config.checks.map((spec): CheckDef => {
    const container = checkContainer(spec);
    return {
      name: spec.name,
      kind: spec.kind,
      source: 'config',
      intervalMs: spec.interval ?? (spec.kind === 'logs' ? LOGS_INTERVAL_MS : DEFAULT_INTERVAL_MS),
      timeoutMs: defaultTimeout(spec),
      spec,
      ...(container !== undefined ? { container } : {}),
    };
  });
}

/** The last path segment of an image reference without tag or digest: `docker.io/library/postgres:15` → `postgres`. */
export function imageBase(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const name = noDigest.slice(lastSlash + 1);
  const colon = name.indexOf(':');
  return (colon >= 0 ? name.slice(0, colon) : name).toLowerCase();
}

const SIDECAR = /exporter|insight|commander|admin|backup|bouncer|proxy/;

/** What a container's image says it is, for the database checks. */
export function imageKind(image: string): 'postgres' | 'redis' | undefined {
  const base = imageBase(image);
  if (SIDECAR.test(base)) return undefined;
  if (base.startsWith('postgres')) return 'postgres';
  if (base.startsWith('redis')) return 'redis';
  return undefined;
}

/** Containers that are meant to be up (a stopped one-shot job on a redis image is no redis server). */
const LIVE: ReadonlySet<ContainerInfo['state']> = new Set(['running', 'restarting', 'paused']);

const key = (kind: CheckKindName, container: string | undefined) => `${kind}\u0000${container ?? ''}`;

/**
 * Configured checks first, then the discovered ones they do not cover. `envOf` gives a container's
 * environment when the caller has it (POSTGRES_USER / POSTGRES_DB for the postgres check; without
 * it the check reads them from the container when it runs).
 */
export function discoverChecks(
  containers: readonly ContainerInfo[],
  config: Config,
  envOf?: (name: string) => Record<string, string> | undefined,
): CheckDef[] {
  const configured = configChecks(config);
  const names = new Set(configured.map((d) => d.name));
  const covered = new Set(configured.map((d) => key(d.kind, d.container)));
  const found: CheckDef[] = [];
  const add = (def: CheckDef) => {
    if (names.has(def.name) || covered.has(key(def.kind, def.container))) return;
    names.add(def.name);
    found.push(def);
  };
  const base = { source: 'discovered' as const, intervalMs: DEFAULT_INTERVAL_MS, timeoutMs: DEFAULT_TIMEOUT_MS };
  const sorted = [...containers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  for (const c of sorted) {
    const name = `container:${c.name}`;
    add({ ...base, name, kind: 'container', container: c.name, spec: { kind: 'container', name, container: { name: c.name } } });
    if (!LIVE.has(c.state)) continue;
    const kind = imageKind(c.image);
    if (kind === 'postgres') {
      const env = envOf?.(c.name) ?? {};
      const user = env.POSTGRES_USER || undefined;
      const database = env.POSTGRES_DB || user;
      const pgName = `postgres:${c.name}`;
      add({
        ...base,
        name: pgName,
        kind: 'postgres',
        container: c.name,
        spec: { kind: 'postgres', name: pgName, postgres: { container: c.name, ...(user ? { user } : {}), ...(database ? { database } : {}) } },
      });
    } else if (kind === 'redis') {
      const redisName = `redis:${c.name}`;
      add({ ...base, name: redisName, kind: 'redis', container: c.name, spec: { kind: 'redis', name: redisName, redis: { container: c.name } } });
    }
  }

  add({ ...base, name: 'disk', kind: 'disk', spec: { kind: 'disk', name: 'disk', disk: {} } });
  add({ ...base, name: 'memory', kind: 'memory', spec: { kind: 'memory', name: 'memory', memory: {} } });
  // One per host: ok unless a maintenance window's planned end passed 15 minutes ago.
  add({ ...base, name: 'maintenance', kind: 'maintenance', spec: { kind: 'maintenance', name: 'maintenance' } });
  // One per host: warn when the metric history projects a resource full within metrics.horizon.
  add({ ...base, name: 'capacity', kind: 'capacity', intervalMs: CAPACITY_INTERVAL_MS, spec: { kind: 'capacity', name: 'capacity' } });

  for (const c of sorted) {
    if (c.state !== 'running') continue;
    const name = `logs:${c.name}`;
    add({ ...base, name, kind: 'logs', container: c.name, intervalMs: LOGS_INTERVAL_MS, timeoutMs: LOGS_TIMEOUT_MS, spec: { kind: 'logs', name, logs: { container: c.name } } });
  }

  for (const target of Object.keys(config.backups.targets).sort()) {
    const name = `backup:${target}`;
    add({ ...base, name, kind: 'backup', intervalMs: BACKUP_INTERVAL_MS, spec: { kind: 'backup', name, target } });
  }

  return [...configured, ...found];
}
