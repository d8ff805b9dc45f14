/**
 * The slower sources of the collector: database sizes (PostgreSQL pg_database_size per database and
 * Redis used_memory/maxmemory through `docker exec` in their containers, SQLite file + WAL sizes) and
 * Docker volume sizes (`/system/df`). Which databases: running postgres/redis containers (by image,
 * as backup discovery finds them) and the configured checks and backup targets.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../../config/schema.js';
import { databaseKind } from '../backup/discover.js';
import type { DockerReader } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { exec, execNotFound } from '../checks/kinds/exec.js';
import { parseRedisInfo } from '../checks/kinds/redis.js';
import { errorMessage } from '../checks/kinds/util.js';
import { safeText } from '../sanitize.js';

export interface PgSource { kind: 'postgres'; container: string; user?: string; database?: string; password?: string }
export interface RedisSource { kind: 'redis'; container: string; password?: string }
export interface SqliteSource { kind: 'sqlite'; id: string; path: string; container?: string }
export type DbSource = PgSource | RedisSource | SqliteSource;

/**
 * The databases to measure: configured postgres/redis/sqlite checks and backup targets (with their
 * credentials), then running postgres/redis containers nothing configured covers. Containers are
 * named as Docker does; configured ones that are not running are left out.
 */
export function databaseSources(containers: readonly ContainerInfo[], config: Config): DbSource[] {
  const running = new Map<string, ContainerInfo>();
  for (const c of containers) {
    if (c.state !== 'running') continue;
    running.set(c.name, c);
    running.set(c.id, c);
    running.set(c.id.slice(0, 12), c);
  }
  const out: DbSource[] = [];
  const seen = new Set<string>();
  const addContainer = (s: PgSource | RedisSource) => {
    const c = running.get(s.container);
    if (!c) return;
    const key = `${s.kind}\u0000${c.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ ...s, container: c.name });
  };
  const sqlite = new Set<string>();
  const addSqlite = (id: string, path: string, container?: string) => {
    const key = `${container ?? ''}\u0000${path}`;
    if (sqlite.has(key)) return;
    if (container !== undefined && !running.has(container)) return;
    sqlite.add(key);
    out.push({ kind: 'sqlite', id, path, ...(container !== undefined ? { container: running.get(container)!.name } : {}) });
  };
  for (const [id, t] of Object.entries(config.backups.targets)) {
    if (t.kind === 'postgres' && t.postgres.container) addContainer({ kind: 'postgres', container: t.postgres.container, user: t.postgres.user, database: t.postgres.database, password: t.postgres.password });
    else if (t.kind === 'redis' && t.redis.container) addContainer({ kind: 'redis', container: t.redis.container, password: t.redis.password });
    else if (t.kind === 'sqlite') addSqlite(id, t.sqlite.path, t.sqlite.container);
  }
  for (const c of config.checks) {
    if (c.kind === 'postgres' && c.postgres.container) addContainer({ kind: 'postgres', container: c.postgres.container, user: c.postgres.user, database: c.postgres.database, password: c.postgres.password });
    else if (c.kind === 'redis' && c.redis.container) addContainer({ kind: 'redis', container: c.redis.container, password: c.redis.password });
    else if (c.kind === 'sqlite') addSqlite(c.name, c.sqlite.path, c.sqlite.container);
  }
  const sorted = [...containers].filter((c) => c.state === 'running').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const c of sorted) {
    const kind = databaseKind(c.image);
    if (kind === 'postgres' || kind === 'redis') addContainer({ kind, container: c.name });
  }
  return out.map((s) => (s.kind === 'postgres' || s.kind === 'redis' ? dropUndefined(s) : s));
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Every database the server lets us connect to, with its size; NULL sizes (no CONNECT) are left out. */
export const PG_SIZES_QUERY =
  "SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) END FROM pg_database WHERE NOT datistemplate ORDER BY 1";

/** psql -A -t -F '|' output of PG_SIZES_QUERY → [{ database, bytes }]. */
export function parsePgSizes(text: string): { database: string; bytes: number }[] {
  const out: { database: string; bytes: number }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const i = line.lastIndexOf('|');
    if (i <= 0) continue;
    const bytes = Number(line.slice(i + 1));
    if (line.slice(i + 1) === '' || !Number.isFinite(bytes)) continue;
    out.push({ database: line.slice(0, i), bytes });
  }
  return out;
}

export interface ExecCtx { reader: DockerReader; signal: AbortSignal; timeoutMs: number }

/** A container's environment (POSTGRES_USER …), cached by the caller. */
export async function containerEnvOf(reader: DockerReader, container: string): Promise<Map<string, string>> {
  const info = await reader.inspectRaw(container);
  const env = new Map<string, string>();
  for (const kv of info.Config?.Env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return env;
}

/** pg_database_size of every database in the container's server (psql over the local socket). */
export async function postgresSizes(ctx: ExecCtx, s: PgSource, env: Map<string, string>): Promise<{ database: string; bytes: number }[]> {
  const user = s.user ?? (env.get('POSTGRES_USER') || 'postgres');
  const database = s.database ?? (env.get('POSTGRES_DB') || user);
  const extraEnv: Record<string, string> = { PGCONNECT_TIMEOUT: String(Math.max(1, Math.floor(ctx.timeoutMs / 1000))), PGAPPNAME: 'opsdeck-metrics' };
  if (s.password !== undefined) extraEnv.PGPASSWORD = s.password;
  const r = await exec(ctx.reader, s.container, ['psql', '-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', database, '-c', PG_SIZES_QUERY], {
    signal: ctx.signal, timeoutMs: ctx.timeoutMs, env: extraEnv,
  });
  if (execNotFound(r)) throw new Error(`no psql in container ${safeText(s.container)}`);
  if (r.exitCode !== 0) throw new Error(`psql in ${safeText(s.container)} failed (exit ${r.exitCode ?? '?'}): ${safeText(firstLine(r.stderr) || firstLine(r.stdout))}`);
  return parsePgSizes(r.stdout);
}

/** used_memory and maxmemory (null when 0 = no limit) from `redis-cli INFO memory`. */
export async function redisMemory(ctx: ExecCtx, s: RedisSource): Promise<{ used: number; max: number | null }> {
  const r = await exec(ctx.reader, s.container, ['redis-cli', 'INFO', 'memory'], {
    signal: ctx.signal, timeoutMs: ctx.timeoutMs, ...(s.password !== undefined ? { env: { REDISCLI_AUTH: s.password } } : {}),
  });
  if (execNotFound(r)) throw new Error(`no redis-cli in container ${safeText(s.container)}`);
  const info = parseRedisInfo(r.exitCode === 0 ? r.stdout : '');
  const used = Number(info.used_memory);
  if (info.used_memory === undefined || !Number.isFinite(used)) {
    throw new Error(`redis-cli INFO in ${safeText(s.container)} gave no used_memory: ${safeText(firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.exitCode ?? '?'}`)}`);
  }
  const max = Number(info.maxmemory);
  return { used, max: Number.isFinite(max) && max > 0 ? max : null };
}

/** Size of a file in a container via the archive API's stat (HEAD, no exec); null when it does not exist. */
async function containerFileSize(reader: DockerReader, container: string, path: string, signal: AbortSignal): Promise<number | null> {
  try {
    const res = (await reader.raw.getContainer(container).infoArchive({ path, abortSignal: signal } as { path: string })) as { headers?: Record<string, string | undefined>; destroy?: () => void; resume?: () => void };
    res.resume?.();
    const header = res.headers?.['x-docker-container-path-stat'];
    if (!header) return null;
    const st = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size?: number };
    return typeof st.size === 'number' ? st.size : null;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404 && !/no such container/i.test(errorMessage(e))) return null;
    throw e;
  }
}

async function hostFileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** SQLite database file + its -wal, bytes; throws when the database file itself is missing. */
export async function sqliteSize(reader: DockerReader, s: SqliteSource, signal: AbortSignal): Promise<number> {
  const size = (p: string) => (s.container !== undefined ? containerFileSize(reader, s.container, p, signal) : hostFileSize(p));
  const [db, wal] = await Promise.all([size(s.path), size(`${s.path}-wal`)]);
  if (db === null) throw new Error(`no SQLite file ${safeText(s.path)}${s.container !== undefined ? ` in container ${safeText(s.container)}` : ''}`);
  return db + (wal ?? 0);
}

export function sqliteTitle(s: SqliteSource): string {
  return `sqlite ${basename(s.path)} (${s.container ?? 'host'})`;
}

/** Docker names an anonymous volume with 64 hex digits. */
export const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/**
 * Volume sizes from `/system/df` (UsageData.Size; -1 = not computed, left out). Anonymous volumes no
 * container uses (RefCount 0: leftovers of removed containers) are left out; the ones in use count.
 */
export async function volumeSizes(reader: DockerReader, signal: AbortSignal): Promise<{ name: string; title: string; bytes: number }[]> {
  // dockerode's types give df() no options; it takes { abortSignal } like every call.
  const dfWith = reader.raw.df as unknown as (this: unknown, o: { abortSignal: AbortSignal }) => Promise<unknown>;
  const df = (await dfWith.call(reader.raw, { abortSignal: signal })) as { Volumes?: { Name?: string; UsageData?: { Size?: number; RefCount?: number } | null }[] | null };
  const out: { name: string; title: string; bytes: number }[] = [];
  for (const v of df.Volumes ?? []) {
    const size = v.UsageData?.Size;
    if (!v.Name || typeof size !== 'number' || size < 0) continue;
    const anonymous = ANONYMOUS_VOLUME.test(v.Name);
    if (anonymous && !(Number(v.UsageData?.RefCount) > 0)) continue;
    out.push({ name: v.Name, title: anonymous ? `volume ${v.Name.slice(0, 12)} (anonymous)` : `volume ${safeText(v.Name)}`, bytes: size });
  }
  return out;
}

function firstLine(s: string): string {
  return s.split(/\r?\n/).map((l) => l.trim()).find(Boolean)?.slice(0, 200) ?? '';
}
