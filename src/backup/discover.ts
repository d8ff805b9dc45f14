/**
 * Which backup targets exist: the configured ones (id = the config key), then every running
 * postgres / redis / mysql / mariadb container that no configured target already covers (same
 * container), each with id `project/service` (compose labels) or the container name. Discovered
 * targets carry a config-shaped spec, with database and user from the container's environment
 * (POSTGRES_DB / POSTGRES_USER, MYSQL_DATABASE / MARIADB_DATABASE …); passwords are not copied into
 * the spec — the engines read them from the container when they run.
 */
import type { BackupTarget, Config } from '../../config/schema.js';
import { imageBase } from '../checks/discover.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { TargetDef } from './types.js';

/** A target id as a file-name part: `demo/db` → `demo_db`; anything outside [A-Za-z0-9._-] becomes `_`. */
export function fileSafeId(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z0-9_]/.test(safe) ? safe : `_${safe}`;
}

/** The container a target's data lives in, if any. */
export function targetContainer(spec: BackupTarget): string | undefined {
  switch (spec.kind) {
    case 'postgres':
      return spec.postgres.container;
    case 'sqlite':
      return spec.sqlite.container;
    case 'redis':
      return spec.redis.container;
    case 'mysql':
      return spec.mysql.container;
    default:
      return undefined;
  }
}

/** The configured targets, in the file's order. */
export function configTargets(config: Config): TargetDef[] {
  return Object.entries(config.backups.targets).map(([id, spec]): TargetDef => {
    const container = targetContainer(spec);
    return { id, kind: spec.kind, source: 'config', spec, ...(container !== undefined ? { container } : {}) };
  });
}

/** Exporters, admin UIs and backup sidecars run database images' names but hold no data. */
const SIDECAR = /exporter|insight|commander|admin|backup|bouncer|proxy|sentinel/;

/** The database kind an image is, for discovery. */
export function databaseKind(image: string): 'postgres' | 'redis' | 'mysql' | undefined {
  const base = imageBase(image);
  if (SIDECAR.test(base)) return undefined;
  if (base.startsWith('postgres') || base === 'postgis' || base.startsWith('timescaledb')) return 'postgres';
  if (base.startsWith('redis') || base.startsWith('valkey')) return 'redis';
  if (base.startsWith('mysql') || base.startsWith('mariadb') || base.startsWith('percona')) return 'mysql';
  return undefined;
}

function discoveredSpec(kind: 'postgres' | 'redis' | 'mysql', container: string, env: Record<string, string>): BackupTarget {
  const pick = (...keys: string[]) => keys.map((k) => env[k]).find((v) => v !== undefined && v !== '');
  switch (kind) {
    case 'postgres': {
      const user = pick('POSTGRES_USER');
      const database = pick('POSTGRES_DB') ?? user ?? 'postgres';
      return { kind: 'postgres', postgres: { container, database, ...(user ? { user } : {}) } };
    }
    case 'redis':
      return { kind: 'redis', redis: { container } };
    case 'mysql': {
      const database = pick('MYSQL_DATABASE', 'MARIADB_DATABASE');
      return { kind: 'mysql', mysql: { container, ...(database ? { database } : {}) } };
    }
  }
}

/**
 * Configured targets first, then the discovered ones. `envOf(name)` gives a container's environment
 * (e.g. `(name) => containerEnv(reader, name)`); without it, or when it fails, the defaults apply
 * (database `postgres`, all MySQL databases).
 */
export async function discoverTargets(
  containers: readonly ContainerInfo[],
  config: Config,
  envOf?: (name: string) => Promise<Record<string, string>>,
): Promise<TargetDef[]> {
  const configured = configTargets(config);
  const covered = new Set<string>();
  for (const t of configured) if (t.container !== undefined) covered.add(t.container);
  const ids = new Set(configured.map((t) => t.id));
  const files = new Set(configured.map((t) => fileSafeId(t.id)));

  const sorted = [...containers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const candidates = sorted.filter((c) => c.state === 'running' && databaseKind(c.image) !== undefined);
  const found: TargetDef[] = [];
  for (const c of candidates) {
    // A configured target may name the container by name, full id or short id.
    if (covered.has(c.name) || covered.has(c.id) || [...covered].some((x) => x.length >= 12 && c.id.startsWith(x))) continue;
    const kind = databaseKind(c.image)!;
    let env: Record<string, string> = {};
    if (envOf) {
      try {
        env = await envOf(c.name);
      } catch {
        env = {};
      }
    }
    const preferred = c.project && c.service ? `${c.project}/${c.service}` : c.name;
    // Two replicas of one service, or a name whose file form collides: the container name instead.
    const id = !ids.has(preferred) && !files.has(fileSafeId(preferred)) ? preferred : c.name;
    if (ids.has(id) || files.has(fileSafeId(id))) continue;
    ids.add(id);
    files.add(fileSafeId(id));
    found.push({ id, kind, source: 'discovered', spec: discoveredSpec(kind, c.name, env), container: c.name });
  }
  return [...configured, ...found];
}
