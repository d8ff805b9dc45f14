/**
 * `postgres`: pg_isready, then one read-only query for connections, size, the longest running query,
 * recovery state and replica lag. With `container:` both run inside the container (`docker exec`,
 * the local socket; the official image trusts it), with `host:` the host's own client tools run
 * (execFile, never a shell) with PGPASSWORD in their environment when a password is configured.
 */
import type { CheckOf } from '../../../config/schema.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus, DetailValue } from '../types.js';
import { exec, execNotFound, NotInstalledError, runProcess, type ExecResult } from './exec.js';
import { containerProblem, firstLine, levelAbove } from './util.js';

/** One row, `|`-separated: 1, connections, max_connections, size, longest query s, in recovery, lag s. */
export const PG_QUERY = [
  'SELECT 1,',
  "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),",
  "current_setting('max_connections')::int,",
  'pg_database_size(current_database()),',
  "COALESCE((SELECT round(EXTRACT(EPOCH FROM max(now() - query_start)))::bigint FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()), 0),",
  'pg_is_in_recovery(),',
  'CASE WHEN pg_is_in_recovery() THEN COALESCE(round(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()))::bigint, 0) END',
].join(' ');

export interface PgStats {
  connections: number;
  maxConnections: number;
  sizeBytes: number;
  longestQuerySec: number;
  inRecovery: boolean;
  /** Seconds behind the primary; null on a primary. */
  replicationLagSec: number | null;
}

/** Parses psql -At output of PG_QUERY; undefined when it is not that row. */
export function parsePgStats(text: string): PgStats | undefined {
  const line = text.split(/\r?\n/).find((l) => l.startsWith('1|'));
  if (!line) return undefined;
  const [, conn, max, size, longest, recovery, lag] = line.split('|');
  const num = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v));
  const stats: PgStats = {
    connections: num(conn),
    maxConnections: num(max),
    sizeBytes: num(size),
    longestQuerySec: num(longest),
    inRecovery: recovery === 't',
    replicationLagSec: lag === undefined || lag === '' ? null : Number(lag),
  };
  if (![stats.connections, stats.maxConnections, stats.sizeBytes, stats.longestQuerySec].every(Number.isFinite)) return undefined;
  return stats;
}

/** Connections against max_connections: ≥ 80 % warn, ≥ 95 % crit. */
export function connectionStatus(connections: number, maxConnections: number): CheckStatus {
  if (!(maxConnections > 0)) return 'ok';
  return levelAbove((connections / maxConnections) * 100, 80, 95);
}

/** The one-line summary for a ready server. */
export function pgMessage(s: PgStats): string {
  const pct = s.maxConnections > 0 ? Math.round((s.connections / s.maxConnections) * 100) : 0;
  const parts = [`ready; connections ${s.connections}/${s.maxConnections} (${pct} %)`, `size ${formatBytes(s.sizeBytes)}`, `longest query ${s.longestQuerySec} s`];
  if (s.inRecovery) parts.push(`replica, lag ${s.replicationLagSec ?? '?'} s`);
  return parts.join(', ');
}

/** pg_isready's exit code → the outcome when it is not 0. */
function notReady(r: ExecResult): CheckOutcome {
  const said = firstLine(r.stdout) || firstLine(r.stderr);
  if (r.exitCode === 1) return { status: 'crit', message: `rejecting connections (starting up or shutting down)${said ? `: ${said}` : ''}`, latencyMs: null };
  if (r.exitCode === 2) return { status: 'crit', message: `not ready: no response${said ? ` (${said})` : ''}`, latencyMs: null };
  return { status: 'unknown', message: `pg_isready exit ${r.exitCode ?? '?'}${said ? `: ${said}` : ''}`, latencyMs: null };
}

type Runner = (argv: string[]) => Promise<ExecResult>;

async function probe(run: Runner, conn: string[], where: string): Promise<CheckOutcome> {
  const t0 = Date.now();
  const ready = await run(['pg_isready', ...conn]);
  if (ready.exitCode !== 0) return notReady(ready);
  const q = await run(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...conn, '-c', PG_QUERY]);
  const latencyMs = Date.now() - t0;
  const stats = q.exitCode === 0 ? parsePgStats(q.stdout) : undefined;
  if (!stats) {
    const why = firstLine(q.stderr) || firstLine(q.stdout) || `psql exit ${q.exitCode ?? '?'}`;
    // A server that is up but out of connection slots is down for its clients.
    const status: CheckStatus = /too many clients|remaining connection slots/i.test(why) ? 'crit' : 'unknown';
    return { status, message: `ready, but the query failed: ${why}`, latencyMs, details: { where } };
  }
  const details: Record<string, DetailValue> = {
    where,
    connections: stats.connections,
    maxConnections: stats.maxConnections,
    connectionsPercent: stats.maxConnections > 0 ? Math.round((stats.connections / stats.maxConnections) * 1000) / 10 : null,
    sizeBytes: stats.sizeBytes,
    longestQuerySec: stats.longestQuerySec,
    inRecovery: stats.inRecovery,
    replicationLagSec: stats.replicationLagSec,
  };
  return { status: connectionStatus(stats.connections, stats.maxConnections), message: pgMessage(stats), latencyMs, details };
}

export async function runPostgres(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'postgres'>).postgres;
  const connectSec = String(Math.max(1, Math.floor(def.timeoutMs / 1000)));
  const extraEnv: Record<string, string> = { PGCONNECT_TIMEOUT: connectSec, PGAPPNAME: 'opsdeck-check' };
  if (spec.password !== undefined) extraEnv.PGPASSWORD = spec.password;

  if (spec.container !== undefined) {
    const container = spec.container;
    let user = spec.user;
    let database = spec.database;
    try {
      const info = await env.docker.inspectRaw(container);
      if (!info.State?.Running || info.State.Restarting) return { status: 'crit', message: `container ${safeText(container)} is not running`, latencyMs: null };
      // The official image's settings are the natural defaults for a check run inside it.
      const vars = new Map((info.Config?.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
      user ??= vars.get('POSTGRES_USER') || 'postgres';
      database ??= vars.get('POSTGRES_DB') || user;
    } catch (e) {
      const problem = containerProblem(e, container);
      if (problem) return problem;
      throw e;
    }
    const conn = ['-U', user, '-d', database, ...(spec.port !== undefined ? ['-p', String(spec.port)] : [])];
    const run: Runner = async (argv) => {
      try {
        const r = await exec(env.docker, container, argv, { signal: env.signal, timeoutMs: def.timeoutMs, env: extraEnv });
        if (execNotFound(r)) throw new Error(`no ${argv[0]} in container ${safeText(container)}`);
        return r;
      } catch (e) {
        const problem = containerProblem(e, container);
        if (problem) throw Object.assign(new Error(problem.message), { outcome: problem });
        throw e;
      }
    };
    try {
      return await probe(run, conn, `container ${safeText(container)}`);
    } catch (e) {
      const o = (e as { outcome?: CheckOutcome }).outcome;
      if (o) return o;
      throw e;
    }
  }

  const host = spec.host ?? 'localhost';
  const user = spec.user ?? 'postgres';
  const conn = ['-h', host, '-p', String(spec.port ?? 5432), '-U', user, '-d', spec.database ?? user];
  const run: Runner = ([file, ...args]) => runProcess(file!, args, { signal: env.signal, timeoutMs: def.timeoutMs, env: extraEnv });
  try {
    return await probe(run, conn, `${safeText(host)}:${spec.port ?? 5432}`);
  } catch (e) {
    if (e instanceof NotInstalledError) return { status: 'unknown', message: `${e.program} is not installed on this host (PostgreSQL client tools)`, latencyMs: null };
    throw e;
  }
}
