/**
 * `postgres` restore, inside the database's own container (so pg_restore matches the server): the
 * dump is streamed in through the archive API, the database's other sessions are ended, and one
 * psql session runs BEGIN → empty the database (every user schema, extension, large object …) →
 * the pg_restore script → COMMIT. Any failure — a statement, a truncated archive, an abort — leaves
 * the database as it was; objects made after the backup are gone after a successful restore.
 *
 * Drill: a throwaway container of the source's image (entrypoint replaced by `tail -f /dev/null`),
 * a fresh cluster made with the image's own initdb as user postgres (SQL_ASCII, locale C: accepts
 * any dump's bytes), the database created, `pg_restore --no-owner --no-privileges --single-transaction
 * --exit-on-error`, then exact row counts per table.
 *
 * Targets reached over the network (postgres.host) are refused for now.
 */
import { promises as fsp } from 'node:fs';
import type { BackupTargetOf } from '../../../config/schema.js';
import { countListEntries } from '../../backup/engines/postgres.js';
import { commandFailed, imageOf, removeInContainer, run, runningContainer, stderrSummary, tmpName } from '../../backup/engines/common.js';
import { execStream } from '../../backup/engines/execStream.js';
import type { EngineContext, TargetDef } from '../../backup/types.js';
import { isAbortError } from '../../checks/kinds/util.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import type { StoredBackup } from '../../store/backups.js';
import { RestoreRefused, type Compatibility, type DrillResult, type Probe, type RestoreContext, type RestoreEngine } from '../types.js';
import { formatCount, inspectOrNull, putFile, sourceImage, tablesLine, withDrillContainer, probeFailed, drillFailed } from './common.js';
import { checkMajors, COUNT_QUERY, EMPTY_DATABASE, parseDumpHeader, RESTORE_SCRIPT, shortVersion, TERMINATE_OTHERS } from './pgDump.js';

type PgSpec = BackupTargetOf<'postgres'>['postgres'];

function specOf(target: TargetDef): PgSpec {
  if (target.spec.kind !== 'postgres') throw new Error(`target ${target.id} is not a postgres target`);
  return target.spec.postgres;
}

/** The container of a container target; a host target is refused with the reason. */
function containerOf(target: TargetDef): string {
  const spec = specOf(target);
  if (spec.container === undefined) {
    throw new RestoreRefused(
      `restoring a PostgreSQL target reached over the network (postgres.host ${safeText(spec.host ?? '')}) is not supported yet; ` +
        'give the target its container (postgres.container) so the restore runs next to the server',
    );
  }
  return spec.container;
}

interface Session {
  container: string;
  /** psql connection arguments. */
  conn: string[];
  env: Record<string, string>;
}

async function session(target: TargetDef, ctx: EngineContext, app = 'opsdeck-restore'): Promise<Session> {
  const spec = specOf(target);
  const container = containerOf(target);
  const { env: cenv } = await runningContainer(ctx.docker, container);
  const user = spec.user ?? (cenv.get('POSTGRES_USER') || 'postgres');
  // Warnings and errors only: DROP … CASCADE and IF EXISTS notices would bury the error that matters.
  const env: Record<string, string> = { PGAPPNAME: app, PGCONNECT_TIMEOUT: '30', PGOPTIONS: '-c client_min_messages=warning' };
  if (spec.password !== undefined) env.PGPASSWORD = spec.password;
  const port = spec.port !== undefined ? ['-p', String(spec.port)] : [];
  return { container, conn: ['-U', user, '-d', spec.database, ...port], env };
}

/** One query through psql -At; throws with psql's words on failure. */
async function query(s: Session, ctx: EngineContext, sql: string): Promise<string> {
  const r = await run(ctx, s.container, ['psql', '-X', '-q', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', ...s.conn, '-c', sql], { env: s.env });
  if (r.exitCode !== 0) throw commandFailed('psql', r.exitCode, r.stderr, r.stdout);
  return r.stdout.trim();
}

function parseCounts(json: string): Record<string, number> {
  const raw = JSON.parse(json || '{}') as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) out[safeText(k)] = Number(v);
  return out;
}

/** The dump's server and pg_dump versions: the record's details first, else the archive header. */
async function dumpVersions(backup: StoredBackup): Promise<{ server: string | null; tool: string | null }> {
  const d = backup.details;
  let server = typeof d.serverVersion === 'string' && d.serverVersion ? d.serverVersion : null;
  let tool = typeof d.pgDumpVersion === 'string' && d.pgDumpVersion ? d.pgDumpVersion : null;
  if (server === null || tool === null) {
    const head = Buffer.alloc(4096);
    const h = await fsp.open(backup.file, 'r').catch(() => null);
    if (h) {
      try {
        const { bytesRead } = await h.read(head, 0, head.length, 0);
        const parsed = parseDumpHeader(head.subarray(0, bytesRead));
        server ??= parsed?.serverVersion ? shortVersion(parsed.serverVersion) : null;
        tool ??= parsed?.pgDumpVersion ? shortVersion(parsed.pgDumpVersion) : null;
      } finally {
        await h.close();
      }
    }
  }
  return { server, tool };
}

/** The archive's entry count by the container's pg_restore (also proves it can read it). */
async function listEntries(ctx: EngineContext, container: string, inside: string): Promise<number> {
  const r = await run(ctx, container, ['pg_restore', '--list', inside], { timeoutMs: 10 * 60_000 });
  if (r.exitCode !== 0) throw commandFailed('pg_restore --list', r.exitCode, r.stderr);
  return countListEntries(r.stdout).entries;
}

/** On abort the backend may still be busy with one statement: end it (it then rolls back). */
async function endRestoreSessions(s: Session, ctx: EngineContext): Promise<void> {
  const quiet: EngineContext = { ...ctx, signal: AbortSignal.timeout(15_000) };
  await query(s, quiet, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'opsdeck-restore' AND pid <> pg_backend_pid()").catch(() => undefined);
}

async function drillInContainer(backup: StoredBackup, image: string, ctx: RestoreContext, started: number): Promise<DrillResult> {
  const database = typeof backup.details.database === 'string' && backup.details.database ? backup.details.database : 'restored';
  const pgdata = '/tmp/opsdeck-drill-pgdata';
  const asPg = { user: 'postgres', timeoutMs: 120_000 };
  return withDrillContainer(ctx.docker, { kind: 'postgres', image, entrypoint: ['tail'], cmd: ['-f', '/dev/null'] }, ctx.signal, async (c) => {
    ctx.log(`drill container ${c.name} (${safeText(image)}) started`);
    // The image's own server binaries: on PATH, else Debian's versioned directory.
    let path: string | undefined;
    const which = await run(ctx, c.id, ['sh', '-c', 'command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1'], { timeoutMs: 30_000 });
    const initdb = which.stdout.trim().split('\n').pop() ?? '';
    if (!initdb) throw new Error(`no initdb in image ${safeText(image)}`);
    if (initdb.includes('/usr/lib/postgresql/')) path = `${initdb.replace(/\/initdb$/, '')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    const env = { ...(path ? { PATH: path } : {}), PGHOST: '/tmp', PGUSER: 'postgres' };
    const step = async (argv: string[], what: string, timeoutMs = 120_000) => {
      const r = await run(ctx, c.id, argv, { ...asPg, env, timeoutMs });
      if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode ?? '?'}): ${stderrSummary(r.stderr) || stderrSummary(r.stdout) || 'no message'}`);
      return r.stdout;
    };
    await step(['initdb', '--no-sync', '-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'SQL_ASCII', '--locale=C'], 'initdb');
    await step(['pg_ctl', '-D', pgdata, '-w', '-t', '60', '-l', '/tmp/opsdeck-drill-pg.log', '-o', "-c listen_addresses='' -k /tmp -c fsync=off", 'start'], 'starting the drill server');
    await step(['pg_isready', '-h', '/tmp'], 'pg_isready');
    await step(['createdb', '-T', 'template0', '--', database], 'createdb');
    const inside = await putFile(ctx.docker, c.id, backup.file, '/tmp', 'opsdeck-drill.dump', { uid: 0, gid: 0, mode: 0o644 }, ctx);
    ctx.log('dump copied into the drill container; pg_restore …');
    const res = await execStream(ctx.docker, c.id, ['pg_restore', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '-d', database, inside], null, {
      signal: ctx.signal,
      env,
      user: 'postgres',
    });
    if (res.exitCode !== 0) throw commandFailed('pg_restore', res.exitCode, res.stderr);
    const out = await step(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', COUNT_QUERY], 'counting rows', 10 * 60_000);
    const counts = parseCounts(out.trim());
    // Tables the backup recorded (the top 20 by size) must all be there.
    let missing: string[] = [];
    if (typeof backup.details.rowEstimates === 'string') {
      try {
        const recorded = Object.keys(JSON.parse(backup.details.rowEstimates) as Record<string, unknown>);
        missing = recorded.filter((t) => !(t in counts) && !(`public.${t}` in counts));
      } catch {
        // an unreadable record is no proof either way
      }
    }
    const summary = `restored into ${c.name} (${safeText(image)}): ${tablesLine(counts)}`;
    if (missing.length) {
      return { ok: false, message: `${summary}, but ${missing.length} table(s) the backup recorded are missing: ${safeText(missing.slice(0, 3).join(', '))}`, image, counts, durationMs: Date.now() - started };
    }
    return { ok: true, message: summary, image, counts, durationMs: Date.now() - started };
  });
}

export const postgresRestore: RestoreEngine = {
  kind: 'postgres',

  async compatibility(backup, target, ctx): Promise<Compatibility> {
    const container = containerOf(target);
    const info = await inspectOrNull(ctx.docker, container);
    if (!info) throw new RestoreRefused(`the target's container ${safeText(container)} does not exist`);
    if (!info.State?.Running) throw new RestoreRefused(`the target's container ${safeText(container)} is not running; the restore runs inside it (start it first)`);
    const s = await session(target, ctx);
    const server = await query(s, ctx, 'show server_version');
    const { server: dumpServer, tool: dumpTool } = await dumpVersions(backup);
    const lines = [checkMajors(server, dumpServer, dumpTool)];
    const [size, others] = (await query(s, ctx, "SELECT pg_database_size(current_database()) || ' ' || (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid())")).split(' ');
    const currentSizeBytes = Number.isFinite(Number(size)) ? Number(size) : null;
    lines.push(`database ${safeText(specOf(target).database)} in ${safeText(container)} (${imageOf(info)}): ${formatBytes(currentSizeBytes)} now, ${formatCount(Number(others) || 0)} other session(s) to end`);
    return { lines, currentSizeBytes };
  },

  async restore(backup, target, ctx): Promise<string> {
    const s = await session(target, ctx);
    const { server: dumpServer, tool: dumpTool } = await dumpVersions(backup);
    checkMajors(await query(s, ctx, 'show server_version'), dumpServer, dumpTool);
    ctx.log(`copying the dump into ${safeText(s.container)} …`);
    const inside = await putFile(ctx.docker, s.container, backup.file, '/tmp', tmpName('opsdeck-restore', '.dump'), { uid: 0, gid: 0, mode: 0o644 }, ctx);
    try {
      const entries = await listEntries(ctx, s.container, inside);
      const ended = Number(await query(s, ctx, TERMINATE_OTHERS)) || 0;
      ctx.log(`ended ${formatCount(ended)} other session(s) of ${safeText(specOf(target).database)}`);
      ctx.log(`restoring ${formatCount(entries)} objects in one transaction …`);
      const psql = ['psql', '-X', '-q', '-w', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1', ...s.conn,
        '-c', TERMINATE_OTHERS, '-c', 'BEGIN', '-c', "SET LOCAL lock_timeout = '60s'", '-c', EMPTY_DATABASE];
      let res;
      try {
        res = await execStream(ctx.docker, s.container, ['sh', '-c', RESTORE_SCRIPT, 'sh', inside, `${inside}.fifo`, ...psql], null, { signal: ctx.signal, env: s.env });
      } catch (e) {
        if (ctx.signal.aborted || isAbortError(e)) await endRestoreSessions(s, ctx);
        throw e;
      }
      if (res.exitCode !== 0) {
        const why = stderrSummary(res.stderr.replace(/^.*there is already a transaction in progress.*$/gm, ''));
        throw new Error(`restore failed, rolled back (nothing changed): ${why || `exit ${res.exitCode ?? '?'}`}`);
      }
      return `pg_restore: ${formatCount(entries)} objects in one transaction (${formatCount(ended)} session(s) ended)`;
    } finally {
      await removeInContainer(ctx.docker, s.container, inside);
      await removeInContainer(ctx.docker, s.container, `${inside}.fifo`);
    }
  },

  async probe(target, ctx): Promise<Probe> {
    try {
      const s = await session(target, ctx, 'opsdeck-probe');
      const counts = parseCounts(await query(s, ctx, COUNT_QUERY));
      return { ok: true, message: tablesLine(counts), counts };
    } catch (e) {
      return probeFailed(e, ctx.signal);
    }
  },

  async drill(backup, target, ctx): Promise<DrillResult> {
    const started = Date.now();
    let image: string | null = null;
    try {
      const spec = specOf(target);
      image = await sourceImage(ctx.docker, spec.container, backup.details.image);
      return await drillInContainer(backup, image, ctx, started);
    } catch (e) {
      return drillFailed(e, ctx.signal, image, started);
    }
  },
};
