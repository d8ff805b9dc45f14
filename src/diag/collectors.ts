/**
 * What goes into a diagnostics bundle, one collector per part. Each runs under its own timeout and
 * turns any failure — a slow daemon, a container removed half-way, a database that refuses — into a
 * note for SUMMARY.md and errors.txt; only the caller's abort propagates. Everything is written
 * through the Staging directory, which redacts it.
 */
import os from 'node:os';
import type Dockerode from 'dockerode';
import type { Config } from '../../config/schema.js';
import { maskSecrets } from '../../config/mask.js';
import { databaseKind } from '../backup/discover.js';
import { envMap } from '../backup/engines/common.js';
import { exec, execNotFound } from '../checks/kinds/exec.js';
import { firstLine } from '../checks/kinds/util.js';
import { collectChecks, formatRuns, toJson, type CheckRun } from '../cli/check.js';
import type { Context } from '../cli/context.js';
import type { DockerReader } from '../docker/client.js';
import { fromListEntry, type ContainerInfo } from '../docker/containers.js';
import { cpuPercent, memoryUsed, networkTotals, type RawStats } from '../docker/stats.js';
import { formatBytes, formatPercent, padEnd } from '../format.js';
import { HostSampler } from '../host/metrics.js';
import { formatSince } from '../logs/ingest.js';
import { readContainerLogs } from '../logs/read.js';
import { mapLimit } from '../model/observable.js';
import { safeText } from '../sanitize.js';
import type { DB } from '../store/db.js';
import { readTimeline } from '../timeline/read.js';
import { backfillEvents } from '../timeline/recorder.js';
import type { TimelineEntry } from '../timeline/types.js';
import { VERSION } from '../version.js';
import { cutNote, type CutInfo } from './logcap.js';
import type { Staging } from './staging.js';
import { formatDuration } from '../../config/duration.js';
import { abortReason, DiagTimeoutError, errorText, fileSafe, isGone, utcStamp, withTimeout } from './util.js';

/** Per-step timeouts (ms). */
export interface DiagTimeouts {
  /** One Docker API call (version, info, list, one inspect, one stats sample). */
  api: number;
  /** One command in a container (psql, redis-cli). */
  exec: number;
  /** Reading one container's logs for the window. */
  logs: number;
  /** Running every health check once. */
  checks: number;
}

export const DEFAULT_TIMEOUTS: DiagTimeouts = { api: 10_000, exec: 15_000, logs: 60_000, checks: 60_000 };

export interface Note {
  /** failed: not collected (or only partly); cut: a cap dropped something; info: worth knowing. */
  kind: 'failed' | 'cut' | 'info';
  /** What: "logs of shop-api-1", "docker info". */
  what: string;
  /** Why, one line. */
  why: string;
}

export interface CollectEnv {
  docker: DockerReader;
  staging: Staging;
  signal: AbortSignal;
  timeouts: DiagTimeouts;
  /** The window, epoch ms. */
  since: number;
  until: number;
  logCap: number;
  note(n: Note): void;
  progress(msg: string): void;
}

/** A container as the collectors see it: the list entry, and inspect once it was read. */
export interface Subject {
  info: ContainerInfo;
  /** File-safe directory name below containers/. */
  dir: string;
  inspect?: Dockerode.ContainerInspectInfo;
  /** Set when the container disappeared during collection. */
  gone?: boolean;
}

/**
 * Runs one step under its timeout; a failure becomes a `failed` note and undefined. The caller's
 * abort is rethrown.
 */
export async function step<T>(env: CollectEnv, what: string, ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  try {
    return await withTimeout(ms, env.signal, fn);
  } catch (e) {
    if (env.signal.aborted) throw abortReason(env.signal);
    env.note({ kind: 'failed', what, why: errorText(e) });
    return undefined;
  }
}

const raw = (env: CollectEnv) => env.docker.raw;
/** version/info take options (an abort signal) at runtime; the typings only know a callback. */
const engineCalls = (env: CollectEnv) => env.docker.raw as unknown as {
  version(opts: { abortSignal: AbortSignal }): Promise<Dockerode.DockerVersion>;
  info(opts: { abortSignal: AbortSignal }): Promise<Record<string, unknown>>;
};
const withSignal = <T extends object>(opts: T, signal: AbortSignal) => ({ ...opts, abortSignal: signal }) as T;

// --- opsdeck and host ----------------------------------------------------------------------------

export async function collectOpsdeck(env: CollectEnv, o: { config: Config; configSource: string | null; stateDir: string; user: string }): Promise<void> {
  const lines = [
    `opsdeck ${VERSION}`,
    `node ${process.version} on ${process.platform} ${process.arch}`,
    `config: ${o.configSource ?? 'none found: built-in defaults'}`,
    `docker endpoint: ${env.docker.endpoint.url} (${env.docker.endpoint.origin})`,
    `state directory: ${o.stateDir}`,
    `collected by: ${o.user} on ${os.hostname()}`,
    `window: ${utcStamp(env.since)} → ${utcStamp(env.until)}`,
  ];
  await env.staging.text('opsdeck/about.txt', lines.join('\n'), 'opsdeck version, config file, endpoint, window');
  // maskSecrets is what `opsdeck config print` shows; the staging's structural redaction runs on top.
  await env.staging.yaml('opsdeck/config.yaml', maskSecrets(o.config), 'the effective configuration, secrets masked');
}

export async function collectHost(env: CollectEnv): Promise<void> {
  const snap = await step(env, 'host metrics', env.timeouts.api, () => new HostSampler().sample());
  const local = env.docker.endpoint.url.startsWith('unix://');
  await env.staging.json('host/host.json', {
    ...(snap ?? {}),
    kernel: `${os.type()} ${os.release()}`,
    platform: `${process.platform} ${process.arch}`,
    cpus: os.cpus().length,
    note: local ? 'the machine opsdeck and Docker run on' : `the machine opsdeck runs on; Docker is remote (${env.docker.endpoint.url})`,
  }, 'host: uptime, load, CPU, memory, disks');
}

// --- the engine ----------------------------------------------------------------------------------

export interface EngineFacts {
  version?: Dockerode.DockerVersion;
  info?: Record<string, unknown>;
}

export async function collectEngine(env: CollectEnv): Promise<EngineFacts> {
  const version = await step(env, 'docker version', env.timeouts.api, (signal) => engineCalls(env).version({ abortSignal: signal }));
  if (version) await env.staging.json('docker/version.json', version, '`docker version`: engine, API, OS, kernel');
  const info = await step(env, 'docker info', env.timeouts.api, (signal) => engineCalls(env).info({ abortSignal: signal }));
  if (info) await env.staging.json('docker/info.json', info, '`docker info`: storage driver, cgroups, container counts, warnings');
  return { version, info };
}

/** Every container (all states). Undefined when Docker does not answer. */
export async function listSubjects(env: CollectEnv): Promise<Subject[] | undefined> {
  const list = await step(env, 'container list', env.timeouts.api, (signal) => raw(env).listContainers(withSignal({ all: true }, signal)));
  if (!list) return undefined;
  const subjects = list.map((e) => {
    const info = fromListEntry(e);
    return { info, dir: fileSafe(info.name) };
  }).sort((a, b) => (a.info.name < b.info.name ? -1 : a.info.name > b.info.name ? 1 : 0));
  await env.staging.json('docker/containers.json', list, 'the container list (`docker ps -a`), raw');
  const rows = subjects.map((s) => `${padEnd(s.info.name, 32)} ${padEnd(s.info.state, 10)} ${padEnd(s.info.status, 28)} ${s.info.image}`);
  await env.staging.text('docker/containers.txt', [`${padEnd('NAME', 32)} ${padEnd('STATE', 10)} ${padEnd('STATUS', 28)} IMAGE`, ...rows].join('\n'), 'the container list as a table');
  const images = await step(env, 'image list', env.timeouts.api, (signal) => raw(env).listImages(withSignal({}, signal)));
  if (images) {
    await env.staging.json('docker/images.json', images.map((i) => ({
      id: i.Id, tags: i.RepoTags ?? [], created: new Date(i.Created * 1000).toISOString(), size: i.Size, containers: i.Containers,
    })), 'images: tags, created, size');
  }
  return subjects;
}

export async function collectInspects(env: CollectEnv, subjects: Subject[]): Promise<void> {
  let done = 0;
  await mapLimit(subjects, 4, async (s) => {
    const what = `inspect of ${s.info.name}`;
    try {
      s.inspect = await withTimeout(env.timeouts.api, env.signal, (signal) => raw(env).getContainer(s.info.id).inspect(withSignal({}, signal)));
      await env.staging.json(`containers/${s.dir}/inspect.json`, s.inspect, `\`docker inspect ${s.info.name}\` (environment values masked)`);
    } catch (e) {
      if (env.signal.aborted) throw abortReason(env.signal);
      goneOrFailed(env, s, what, e);
    }
    if (++done === subjects.length || done % 10 === 0) env.progress(`inspected ${done}/${subjects.length} containers`);
  });
}

function goneOrFailed(env: CollectEnv, s: Subject, what: string, e: unknown): void {
  if (isGone(e)) {
    if (!s.gone) env.note({ kind: 'failed', what: `container ${s.info.name}`, why: 'removed while the bundle was being collected' });
    s.gone = true;
    return;
  }
  env.note({ kind: 'failed', what, why: errorText(e) });
}

export interface StatsRow {
  name: string;
  id: string;
  cpuPercent: number | null;
  memUsedBytes: number | null;
  memLimitBytes: number | null;
  memPercent: number | null;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number | null;
}

/** What a stats sample takes beyond an ordinary API call: Docker waits for its second reading. */
export const STATS_WAIT_MS = 3000;

/** One `docker stats --no-stream` round: every running container at once (two samples, ~1 s). */
export async function collectStats(env: CollectEnv, subjects: Subject[]): Promise<StatsRow[]> {
  const running = subjects.filter((s) => s.info.state === 'running' && !s.gone);
  const rows: StatsRow[] = [];
  await mapLimit(running, 16, async (s) => {
    try {
      // A sample without one-shot waits for Docker's second reading (1–2 s) to give CPU %.
      const st = (await withTimeout(env.timeouts.api + STATS_WAIT_MS, env.signal, (signal) =>
        raw(env).getContainer(s.info.id).stats(withSignal({ stream: false as const }, signal)) as unknown as Promise<RawStats & { pids_stats?: { current?: number } }>,
      ));
      const used = memoryUsed(st.memory_stats);
      const limit = st.memory_stats?.limit ?? null;
      const net = networkTotals(st.networks);
      let read = 0;
      let write = 0;
      for (const e of st.blkio_stats?.io_service_bytes_recursive ?? []) {
        if (/^read$/i.test(e.op)) read += e.value;
        if (/^write$/i.test(e.op)) write += e.value;
      }
      rows.push({
        name: s.info.name,
        id: s.info.id,
        cpuPercent: cpuPercent(st.cpu_stats, st.precpu_stats),
        memUsedBytes: used,
        memLimitBytes: limit,
        memPercent: used !== null && limit ? (used / limit) * 100 : null,
        netRxBytes: net.rx,
        netTxBytes: net.tx,
        blockReadBytes: read,
        blockWriteBytes: write,
        pids: st.pids_stats?.current ?? null,
      });
    } catch (e) {
      if (env.signal.aborted) throw abortReason(env.signal);
      goneOrFailed(env, s, `stats of ${s.info.name}`, e);
    }
  });
  rows.sort((a, b) => (a.name < b.name ? -1 : 1));
  await env.staging.json('docker/stats.json', { at: new Date().toISOString(), containers: rows }, 'a stats snapshot of the running containers');
  const table = rows.map((r) => [
    padEnd(r.name, 32), padEnd(formatPercent(r.cpuPercent), 8),
    padEnd(`${formatBytes(r.memUsedBytes)} / ${r.memLimitBytes ? formatBytes(r.memLimitBytes) : '–'}`, 24), padEnd(formatPercent(r.memPercent), 8),
    padEnd(`${formatBytes(r.netRxBytes)} / ${formatBytes(r.netTxBytes)}`, 22), padEnd(`${formatBytes(r.blockReadBytes)} / ${formatBytes(r.blockWriteBytes)}`, 22), r.pids ?? '–',
  ].join(' '));
  await env.staging.text('docker/stats.txt', [
    [padEnd('NAME', 32), padEnd('CPU %', 8), padEnd('MEM USAGE / LIMIT', 24), padEnd('MEM %', 8), padEnd('NET I/O', 22), padEnd('BLOCK I/O', 22), 'PIDS'].join(' '),
    ...table,
  ].join('\n'), 'the stats snapshot as `docker stats` shows it');
  return rows;
}

// --- store, checks -------------------------------------------------------------------------------

export async function collectTimeline(env: CollectEnv, db: DB | null): Promise<TimelineEntry[] | undefined> {
  if (!db) {
    env.note({ kind: 'info', what: 'timeline', why: 'no state store is available here, so there is no recorded timeline' });
    return undefined;
  }
  // Events dockerd still holds that no opsdeck recorded yet (a bundle made from the CLI): stored first.
  await backfillEvents(db, env.docker, { timeoutMs: Math.min(5000, env.timeouts.api) }).catch(() => 0);
  const entries = await step(env, 'timeline', env.timeouts.api, async () => readTimeline(db, { since: env.since, until: env.until, limit: 20_000 }));
  if (!entries) return undefined;
  await env.staging.json('timeline.json', entries.map((e) => ({
    at: new Date(e.at).toISOString(), source: e.source, severity: e.severity, subject: e.subject, project: e.project, message: e.message,
    ...(e.container ? { container: e.container } : {}),
  })), 'the incident timeline for the window (Docker events, checks, alerts, maintenance, operator actions)');
  await env.staging.text('timeline.txt', entries.length
    ? entries.map((e) => `${new Date(e.at).toISOString()}  ${padEnd(e.severity.toUpperCase(), 5)} ${padEnd(e.source, 11)} ${e.subject}: ${e.message}`).join('\n')
    : `(no entries between ${utcStamp(env.since)} and ${utcStamp(env.until)})`, 'the timeline as text, oldest first');
  return entries;
}

export async function collectHealth(env: CollectEnv, ctx: Context): Promise<CheckRun[] | undefined> {
  const started = Date.now();
  const result = await step(env, 'health checks', env.timeouts.checks, () => collectChecks(ctx));
  if (!result) return undefined;
  await env.staging.json('health.json', result.runs.map(toJson), 'every health check, run once now (as `opsdeck check --json`)');
  await env.staging.text('health.txt', result.runs.length ? formatRuns(result.runs, { elapsedMs: Date.now() - started }) : 'no checks configured or discovered', 'the checks as `opsdeck check` prints them, worst first');
  return result.runs;
}

// --- logs ----------------------------------------------------------------------------------------

export interface LogOutcome {
  name: string;
  lines: number;
  bytes: number;
  cut: CutInfo | null;
}

/**
 * Each container's log lines in the window, `<UTC time> <stream> <text>`, to
 * containers/<name>/logs.txt: at most `logCap` bytes per file (the newest lines kept, a note line
 * first when cut), 4 containers at a time, each under the logs timeout (what was read by then stays,
 * with a note).
 */
export async function collectLogs(env: CollectEnv, subjects: Subject[], capLabel: string): Promise<LogOutcome[]> {
  const out: LogOutcome[] = [];
  const targets = subjects.filter((s) => s.info.state !== 'created' && !s.gone);
  let done = 0;
  await mapLimit(targets, 4, async (s) => {
    env.progress(`logs ${++done}/${targets.length}: ${s.info.name}`);
    const file = await env.staging.log(`containers/${s.dir}/logs.txt`, `logs of ${s.info.name} in the window (newest ${capLabel} at most)`, env.logCap, capLabel);
    const tail: string[] = [];
    try {
      await withTimeout(env.timeouts.logs, env.signal, (signal) =>
        readContainerLogs(
          env.docker,
          { id: s.info.id, tty: Boolean(s.inspect?.Config?.Tty) },
          { follow: false, tail: 'all', since: formatSince(env.since), until: formatSince(env.until), signal },
          { source: s.info.name, maxLineChars: 16 * 1024 },
          (lines) => {
            for (const l of lines) {
              const ts = Number.isFinite(l.ts) ? new Date(l.ts).toISOString() : '-';
              const cut = l.truncated > 0 ? ` [+${l.truncated} bytes cut]` : '';
              file.line(`${ts} ${l.stream} `, `${l.text}${cut}`, l.ts);
            }
            file.flush();
          },
        ),
      );
    } catch (e) {
      if (env.signal.aborted) {
        file.discard();
        throw abortReason(env.signal);
      }
      if (isGone(e)) {
        tail.push('[opsdeck] the container was removed while its logs were read');
        goneOrFailed(env, s, `logs of ${s.info.name}`, e);
      } else {
        // A log still streaming at the deadline is slow, not silent: say so.
        const why = e instanceof DiagTimeoutError && file.lines > 0 ? `not read completely within ${formatDuration(e.ms)}` : errorText(e);
        tail.push(`[opsdeck] reading stopped: ${why}; the lines above are what was read by then`);
        env.note({ kind: 'failed', what: `logs of ${s.info.name}`, why: `${why} (partly collected: ${file.lines} lines)` });
      }
    }
    const r = await file.finish(tail);
    if (r.cut) env.note({ kind: 'cut', what: `containers/${s.dir}/logs.txt`, why: cutNote(r.cut, capLabel).replace(/^\[opsdeck\] cut: this file /, '') });
    out.push({ name: s.info.name, lines: file.lines, bytes: r.bytes, cut: r.cut });
  });
  return out;
}

// --- databases -----------------------------------------------------------------------------------

const PG_ACTIVITY = [
  'SELECT pid, usename, datname, application_name, client_addr, backend_type, state, wait_event_type, wait_event,',
  "date_trunc('second', backend_start) AS backend_start, date_trunc('second', xact_start) AS xact_start,",
  "date_trunc('second', now() - query_start) AS running_for, left(regexp_replace(query, '\\s+', ' ', 'g'), 1000) AS query",
  'FROM pg_stat_activity ORDER BY query_start NULLS LAST',
].join(' ');

const PG_LOCKS = [
  'SELECT l.locktype, l.relation::regclass AS relation, l.mode, l.granted, l.pid, pg_blocking_pids(l.pid) AS blocked_by,',
  "a.state, date_trunc('second', now() - a.query_start) AS running_for, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 300) AS query",
  'FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid',
  "WHERE l.pid IS DISTINCT FROM pg_backend_pid() ORDER BY l.granted, l.pid",
].join(' ');

/** A password for `container` from the config (a check or backup target that names it), if any. */
export function configPassword(config: Config, kind: 'postgres' | 'redis', container: string): string | undefined {
  for (const c of config.checks) {
    if (c.kind === kind && kind === 'postgres' && c.kind === 'postgres' && c.postgres.container === container && c.postgres.password) return c.postgres.password;
    if (c.kind === kind && kind === 'redis' && c.kind === 'redis' && c.redis.container === container && c.redis.password) return c.redis.password;
  }
  for (const t of Object.values(config.backups.targets)) {
    if (t.kind === 'postgres' && kind === 'postgres' && t.postgres.container === container && t.postgres.password) return t.postgres.password;
    if (t.kind === 'redis' && kind === 'redis' && t.redis.container === container && t.redis.password) return t.redis.password;
  }
  return undefined;
}

/** `--requirepass X` in a redis container's command line. */
function requirepassOf(inspect: Dockerode.ContainerInspectInfo | undefined): string | undefined {
  const argv = [...(inspect?.Config?.Entrypoint ? ([] as string[]).concat(inspect.Config.Entrypoint) : []), ...(inspect?.Config?.Cmd ?? [])];
  const i = argv.indexOf('--requirepass');
  return i >= 0 ? argv[i + 1] : undefined;
}

export interface DbOutcome {
  container: string;
  kind: 'postgres' | 'redis';
  ok: boolean;
}

/**
 * PostgreSQL `pg_stat_activity` and locks (psql inside each running postgres container, as the
 * postgres check does) and Redis `INFO` (redis-cli inside each running redis container).
 */
export async function collectDatabases(env: CollectEnv, subjects: Subject[], config: Config): Promise<DbOutcome[]> {
  const dbs = subjects.filter((s) => s.info.state === 'running' && !s.gone && (databaseKind(s.info.image) === 'postgres' || databaseKind(s.info.image) === 'redis'));
  const out: DbOutcome[] = [];
  for (const s of dbs) {
    const kind = databaseKind(s.info.image) as 'postgres' | 'redis';
    const vars = s.inspect ? envMap(s.inspect) : new Map<string, string>();
    env.progress(`${kind === 'postgres' ? 'PostgreSQL activity and locks' : 'Redis INFO'}: ${s.info.name}`);
    const run = async (what: string, argv: string[], extraEnv: Record<string, string>): Promise<string | undefined> => {
      try {
        const r = await withTimeout(env.timeouts.exec + 1000, env.signal, (signal) => exec(env.docker, s.info.id, argv, { signal, timeoutMs: env.timeouts.exec, env: extraEnv }));
        if (execNotFound(r)) throw new Error(`no ${argv[0]} in the container`);
        const refused = kind === 'redis' && /^(?:NOAUTH|WRONGPASS|ERR)/m.test(r.stdout) ? firstLine(r.stdout) : '';
        if (r.exitCode !== 0 || refused) {
          env.note({ kind: 'failed', what, why: refused || firstLine(r.stderr) || firstLine(r.stdout) || `${argv[0]} exit ${r.exitCode ?? '?'}` });
          return `${r.stdout}${r.stderr ? `\n--- stderr ---\n${r.stderr}` : ''}`;
        }
        return r.stdout + (r.truncated ? '\n[opsdeck] cut: output longer than 1 MiB' : '');
      } catch (e) {
        if (env.signal.aborted) throw abortReason(env.signal);
        goneOrFailed(env, s, what, e);
        return undefined;
      }
    };
    if (kind === 'postgres') {
      const user = vars.get('POSTGRES_USER') || 'postgres';
      const database = vars.get('POSTGRES_DB') || user;
      const password = configPassword(config, 'postgres', s.info.name) ?? vars.get('POSTGRES_PASSWORD');
      const pgEnv: Record<string, string> = { PGCONNECT_TIMEOUT: String(Math.max(1, Math.floor(env.timeouts.exec / 1000))), PGAPPNAME: 'opsdeck-diag', ...(password ? { PGPASSWORD: password } : {}) };
      const psql = (q: string) => ['psql', '-X', '-P', 'pager=off', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', database, '-c', q];
      const activity = await run(`pg_stat_activity of ${s.info.name}`, psql(PG_ACTIVITY), pgEnv);
      if (activity !== undefined) await env.staging.text(`postgres/${s.dir}/pg_stat_activity.txt`, activity, `PostgreSQL sessions of ${s.info.name} (pg_stat_activity)`);
      const locks = s.gone ? undefined : await run(`locks of ${s.info.name}`, psql(PG_LOCKS), pgEnv);
      if (locks !== undefined) await env.staging.text(`postgres/${s.dir}/locks.txt`, locks, `PostgreSQL locks of ${s.info.name}, who blocks whom`);
      out.push({ container: s.info.name, kind, ok: activity !== undefined && locks !== undefined });
    } else {
      const password = configPassword(config, 'redis', s.info.name) ?? vars.get('REDIS_PASSWORD') ?? requirepassOf(s.inspect);
      const info = await run(`Redis INFO of ${s.info.name}`, ['redis-cli', 'INFO'], password ? { REDISCLI_AUTH: password } : {});
      if (info !== undefined) await env.staging.text(`redis/${s.dir}/info.txt`, info.replace(/\r\n/g, '\n'), `Redis INFO of ${s.info.name}`);
      out.push({ container: s.info.name, kind, ok: info !== undefined });
    }
  }
  return out;
}

/** A container's one-line state for SUMMARY.md. */
export function describeSubject(s: Subject): string {
  const i = s.inspect;
  const parts = [safeText(s.info.status || s.info.state)];
  if (i?.State?.OOMKilled) parts.push('OOM killed');
  if ((i?.RestartCount ?? 0) > 0) parts.push(`${i!.RestartCount} restarts`);
  return parts.join(', ');
}
