/**
 * Maintenance tasks: what `vacuum:shop-db` means and how it runs. Database tasks run inside the
 * database's own container (`docker exec`, no shell): PostgreSQL `VACUUM ANALYZE` / `REINDEX DATABASE`
 * / pg_amcheck, SQLite `VACUUM` / `REINDEX` / `PRAGMA integrity_check` with sqlite3, Redis
 * `BGREWRITEAOF` (waiting for the rewrite to finish). `prune` lists dangling images or stopped
 * containers (never one a maintenance window stopped) and removes exactly those; `backup` is the
 * backup action of a target.
 *
 * A task's argument is a backup target id (configured or discovered, see discoverTargets), a
 * container name (postgres / redis images), or for SQLite `CONTAINER:/path/to/file.db`.
 */
import type { Config, MaintenanceTask, MaintenanceTaskKind } from '../../config/schema.js';
import { TASK_KINDS } from '../../config/schema.js';
import { databaseKind } from '../backup/discover.js';
import { commandFailed, containerEnv, run, stderrSummary } from '../backup/engines/common.js';
import type { TargetDef } from '../backup/types.js';
import type { DockerReader } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { formatBytes } from '../format.js';
import { safeText } from '../sanitize.js';

/** A task as written: kind and argument; `label` is "kind:arg". */
export interface TaskSpec {
  kind: MaintenanceTaskKind;
  arg: string;
  label: string;
}

export class TaskSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskSpecError';
  }
}

/** "vacuum:shop-db" → { kind: 'vacuum', arg: 'shop-db' }; an unknown kind is a TaskSpecError. */
export function parseTask(text: string): TaskSpec {
  const i = text.indexOf(':');
  const kind = (i < 0 ? text : text.slice(0, i)).trim();
  const arg = i < 0 ? '' : text.slice(i + 1).trim();
  if (!(TASK_KINDS as readonly string[]).includes(kind)) {
    throw new TaskSpecError(`unknown task "${safeText(text)}": expected KIND:ARG with KIND one of ${TASK_KINDS.join(', ')} (e.g. vacuum:shop-db, prune:images)`);
  }
  if (!arg) throw new TaskSpecError(`task "${safeText(text)}" needs an argument: ${kind}:${kind === 'prune' ? 'images|containers' : 'TARGET'}`);
  if (kind === 'prune' && arg !== 'images' && arg !== 'containers') throw new TaskSpecError(`prune:${safeText(arg)}: expected prune:images or prune:containers`);
  return { kind: kind as MaintenanceTaskKind, arg, label: `${kind}:${arg}` };
}

/** A config entry ({ vacuum: 'shop-db' }) as a TaskSpec. */
export function taskFromConfig(t: MaintenanceTask): TaskSpec {
  const arg = (t as Record<string, unknown>)[t.kind] as string;
  return { kind: t.kind, arg, label: `${t.kind}:${arg}` };
}

export function configuredTasks(config: Config): TaskSpec[] {
  return config.maintenance.tasks.map(taskFromConfig);
}

export type DbEngine = 'postgres' | 'sqlite' | 'redis';

/** A task ready to run. */
export type ResolvedTask =
  | { spec: TaskSpec; kind: 'backup'; target: TargetDef }
  | { spec: TaskSpec; kind: 'prune'; what: 'images' | 'containers' }
  | {
    spec: TaskSpec;
    kind: Exclude<MaintenanceTaskKind, 'backup' | 'prune'>;
    engine: DbEngine;
    container: string;
    /** postgres: database and user (else from the container's POSTGRES_DB / POSTGRES_USER). */
    database?: string;
    user?: string;
    password?: string;
    /** sqlite: the file inside the container. */
    path?: string;
  };

const SUPPORTED: Record<Exclude<MaintenanceTaskKind, 'backup' | 'prune'>, readonly DbEngine[]> = {
  vacuum: ['postgres', 'sqlite'],
  reindex: ['postgres', 'sqlite'],
  integrity: ['sqlite', 'postgres'],
  bgrewriteaof: ['redis'],
};

/** Resolves a task's argument against the backup targets and the containers; TaskSpecError if it cannot. */
export function resolveTask(spec: TaskSpec, targets: readonly TargetDef[], containers: readonly Pick<ContainerInfo, 'name' | 'image'>[]): ResolvedTask {
  if (spec.kind === 'prune') return { spec, kind: 'prune', what: spec.arg as 'images' | 'containers' };
  const target = targets.find((t) => t.id === spec.arg);
  if (spec.kind === 'backup') {
    if (!target) throw new TaskSpecError(`${spec.label}: no backup target "${safeText(spec.arg)}"${targets.length ? ` (known: ${targets.map((t) => t.id).join(', ')})` : ''}`);
    return { spec, kind: 'backup', target };
  }
  const kind = spec.kind;
  let db: { engine: DbEngine; container: string; database?: string; user?: string; password?: string; path?: string } | undefined;
  if (target) {
    const s = target.spec;
    if (s.kind === 'postgres' && s.postgres.container) db = { engine: 'postgres', container: s.postgres.container, database: s.postgres.database, ...(s.postgres.user ? { user: s.postgres.user } : {}), ...(s.postgres.password !== undefined ? { password: s.postgres.password } : {}) };
    else if (s.kind === 'sqlite' && s.sqlite.container) db = { engine: 'sqlite', container: s.sqlite.container, path: s.sqlite.path };
    else if (s.kind === 'redis' && s.redis.container) db = { engine: 'redis', container: s.redis.container, ...(s.redis.password !== undefined ? { password: s.redis.password } : {}) };
    else throw new TaskSpecError(`${spec.label}: target ${safeText(target.id)} is a ${target.kind} target ${target.container ? '' : 'outside any container '}— ${kind} runs inside a postgres, sqlite or redis container`);
  } else {
    const m = /^([^:/]+):(\/.+)$/.exec(spec.arg);
    if (m) {
      db = { engine: 'sqlite', container: m[1]!, path: m[2]! };
    } else {
      const c = containers.find((x) => x.name === spec.arg);
      if (!c) throw new TaskSpecError(`${spec.label}: "${safeText(spec.arg)}" is neither a backup target nor a container (SQLite: CONTAINER:/path/file.db)`);
      const k = databaseKind(c.image);
      if (k !== 'postgres' && k !== 'redis') throw new TaskSpecError(`${spec.label}: container ${safeText(c.name)} (${safeText(c.image)}) is not a postgres or redis container (SQLite: ${c.name}:/path/file.db)`);
      db = { engine: k, container: c.name };
    }
  }
  if (!SUPPORTED[kind].includes(db.engine)) throw new TaskSpecError(`${spec.label}: ${kind} does not apply to ${db.engine} (it does to ${SUPPORTED[kind].join(', ')})`);
  return { spec, kind, ...db };
}

/** What a task does, in one line (for confirmations). */
export function describeTask(t: ResolvedTask): string {
  switch (t.kind) {
    case 'backup':
      return `back up target ${t.target.id}`;
    case 'prune':
      return t.what === 'images' ? 'remove dangling images' : 'remove stopped containers (not those this maintenance window stopped)';
    default: {
      const where = `in container ${t.container}`;
      if (t.engine === 'postgres') {
        const db = t.database ?? '(POSTGRES_DB)';
        const sql = t.kind === 'vacuum' ? 'VACUUM ANALYZE' : t.kind === 'reindex' ? `REINDEX DATABASE ${db}` : 'pg_amcheck';
        return `${sql} on PostgreSQL database ${db} ${where}`;
      }
      if (t.engine === 'sqlite') {
        const sql = t.kind === 'vacuum' ? 'VACUUM' : t.kind === 'reindex' ? 'REINDEX' : 'PRAGMA integrity_check';
        return `${sql} on SQLite file ${t.path} ${where}`;
      }
      return `BGREWRITEAOF on Redis ${where}`;
    }
  }
}

interface RunCtx {
  docker: DockerReader;
  signal: AbortSignal;
  log?: (line: string) => void;
  /** Long-running statements get this long (default an hour). */
  timeoutMs?: number;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Runs a database task; resolves with what it reported, throws with why it failed. */
export async function runDbTask(t: Extract<ResolvedTask, { engine: DbEngine }>, ctx: RunCtx): Promise<string> {
  const timeoutMs = ctx.timeoutMs ?? 3_600_000;
  const t0 = Date.now();
  const took = () => `${Date.now() - t0} ms`;
  if (t.engine === 'postgres') {
    const env = await containerEnv(ctx.docker, t.container).catch(() => ({} as Record<string, string>));
    const user = t.user ?? (env.POSTGRES_USER || 'postgres');
    const database = t.database ?? (env.POSTGRES_DB || user);
    const pgEnv: Record<string, string> = { PGAPPNAME: 'opsdeck-maintenance', PGCONNECT_TIMEOUT: '30', ...(t.password !== undefined ? { PGPASSWORD: t.password } : {}) };
    if (t.kind === 'integrity') {
      const r = await run(ctx, t.container, ['pg_amcheck', '-U', user, '-d', database], { env: pgEnv, timeoutMs });
      if (r.exitCode !== 0) throw commandFailed('pg_amcheck', r.exitCode, r.stderr, r.stdout);
      return `pg_amcheck of ${database}: no corruption found (${took()})`;
    }
    const sql = t.kind === 'vacuum' ? 'VACUUM ANALYZE' : `REINDEX DATABASE ${quoteIdent(database)}`;
    const r = await run(ctx, t.container, ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', database, '-c', sql], { env: pgEnv, timeoutMs });
    if (r.exitCode !== 0) throw commandFailed('psql', r.exitCode, r.stderr, r.stdout);
    for (const line of r.stderr.split('\n').filter(Boolean).slice(0, 20)) ctx.log?.(line);
    return `${sql.split(' ').slice(0, 2).join(' ')} of ${database} in ${t.container}: done in ${took()}`;
  }
  if (t.engine === 'sqlite') {
    const path = t.path!;
    if (t.kind === 'integrity') {
      const r = await run(ctx, t.container, ['sqlite3', '-bail', path, 'PRAGMA integrity_check;'], { timeoutMs });
      if (r.exitCode !== 0) throw commandFailed('sqlite3', r.exitCode, r.stderr, r.stdout);
      const out = r.stdout.trim();
      if (out !== 'ok') throw new Error(`integrity_check of ${path} found problems: ${stderrSummary(out)}`);
      return `integrity_check of ${path} in ${t.container}: ok (${took()})`;
    }
    const sql = t.kind === 'vacuum' ? 'VACUUM;' : 'REINDEX;';
    const r = await run(ctx, t.container, ['sqlite3', '-bail', path, sql], { timeoutMs });
    if (r.exitCode !== 0) throw commandFailed('sqlite3', r.exitCode, r.stderr, r.stdout);
    return `${sql.slice(0, -1)} of ${path} in ${t.container}: done in ${took()}`;
  }
  // redis
  const env = await containerEnv(ctx.docker, t.container).catch(() => ({} as Record<string, string>));
  const password = t.password ?? env.REDIS_PASSWORD;
  const redisEnv = password ? { REDISCLI_AUTH: password } : undefined;
  const cli = (args: string[]) => run(ctx, t.container, ['redis-cli', ...args], { ...(redisEnv ? { env: redisEnv } : {}), timeoutMs: 60_000 });
  const r = await cli(['BGREWRITEAOF']);
  if (r.exitCode !== 0 || /^(ERR|NOAUTH|WRONGPASS)/m.test(r.stdout)) throw commandFailed('redis-cli BGREWRITEAOF', r.exitCode, r.stderr, r.stdout);
  ctx.log?.(r.stdout.trim());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = (await cli(['INFO', 'persistence'])).stdout;
    const field = (k: string) => new RegExp(`^${k}:(\\S*)`, 'm').exec(info)?.[1];
    if (field('aof_rewrite_in_progress') === '0' && field('aof_rewrite_scheduled') === '0') {
      const status = field('aof_last_bgrewrite_status') ?? '?';
      if (status !== 'ok') throw new Error(`BGREWRITEAOF in ${t.container} finished with status ${status}`);
      return `BGREWRITEAOF in ${t.container}: ${status} (${took()})`;
    }
    if (Date.now() > deadline) throw new Error(`BGREWRITEAOF in ${t.container} still running after ${Math.round(timeoutMs / 1000)}s`);
    if (ctx.signal.aborted) throw new Error('interrupted');
    await new Promise((res) => setTimeout(res, 250));
  }
}

// --- prune ---------------------------------------------------------------------------------------

export interface PruneCandidate {
  id: string;
  /** Image tags or `<none>`; the container's name. */
  name: string;
  detail: string;
  sizeBytes: number | null;
}

/**
 * What `prune` would remove: dangling images, or stopped containers (exited, created, dead) except
 * those named in `keep` (the open window's stopped containers: they must come back).
 */
export async function pruneCandidates(docker: DockerReader, what: 'images' | 'containers', keep: ReadonlySet<string> = new Set()): Promise<PruneCandidate[]> {
  if (what === 'images') {
    const images = await docker.raw.listImages({ filters: { dangling: ['true'] } } as unknown as Record<string, unknown>);
    return images
      .map((i) => ({ id: i.Id, name: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').join(', ') || '<none>', detail: `created ${new Date(i.Created * 1000).toISOString()}`, sizeBytes: i.Size ?? null }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
  const list = await docker.listContainers();
  return list
    .filter((c) => (c.state === 'exited' || c.state === 'created' || c.state === 'dead') && !keep.has(c.name) && !keep.has(c.id))
    .map((c) => ({ id: c.id, name: c.name, detail: `${c.image}, ${c.status || c.state}`, sizeBytes: null }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function describeCandidate(c: PruneCandidate): string {
  return `${safeText(c.name)} (${c.id.replace(/^sha256:/, '').slice(0, 12)}; ${safeText(c.detail)}${c.sizeBytes !== null ? `; ${formatBytes(c.sizeBytes)}` : ''})`;
}
