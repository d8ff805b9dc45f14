/**
 * `postgres`: `pg_dump -Fc` (custom format: compressed, restorable table by table with pg_restore).
 * With `container:` it runs inside the database's own container (`docker exec`, the local socket),
 * so pg_dump's version always matches the server's; with `host:` this host's pg_dump runs (no shell),
 * after checking that it is not older than the server (an old pg_dump refuses newer servers).
 * Verification is `pg_restore --list` of the file: in the same container (the file copied into its
 * /tmp for the moment), or with this host's pg_restore for host targets.
 */
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { BackupTargetOf } from '../../../config/schema.js';
import { NotInstalledError, runProcess, type ExecResult } from '../../checks/kinds/exec.js';
import { abortError, resolveHost } from '../../checks/kinds/util.js';
import { safeText } from '../../sanitize.js';
import type { BackupEngine, DetailValue, EngineContext, EngineOutput, TargetDef, VerifyResult } from '../types.js';
import {
  byteCounter, commandFailed, hostHas, imageOf, readMagic, run, runningContainer, SHORT_TIMEOUT_MS, stderrSummary,
  verifyInContainerOrHost,
} from './common.js';
import { execStream, STDERR_CAP } from './execStream.js';

type PgSpec = BackupTargetOf<'postgres'>['postgres'];

const ROWS_QUERY =
  "SELECT COALESCE(json_object_agg(name, n ORDER BY n DESC, name), '{}') FROM (" +
  "SELECT CASE WHEN schemaname = 'public' THEN relname ELSE schemaname || '.' || relname END AS name, n_live_tup AS n " +
  'FROM pg_stat_user_tables ORDER BY n_live_tup DESC, relname LIMIT 20) t';

function specOf(target: TargetDef): PgSpec {
  if (target.spec.kind !== 'postgres') throw new Error(`target ${target.id} is not a postgres target`);
  return target.spec.postgres;
}

/** "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → "15.18". */
export function toolVersion(text: string): string | null {
  return /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? /(\d+\.\d+)/.exec(text)?.[1] ?? null;
}

/** Major version: "15.18" → 15, "9.6.24" → 9.6 (before 10 the major had two parts). */
export function pgMajor(version: string): number | null {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return null;
  const first = Number(m[1]);
  return first >= 10 ? first : Number(`${first}.${m[2] ?? 0}`);
}

/** Entries of `pg_restore --list` output (comment lines start with ';'). */
export function countListEntries(text: string): { entries: number; tableData: number } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith(';'));
  return { entries: lines.length, tableData: lines.filter((l) => /\bTABLE DATA\b/.test(l)).length };
}

interface Where {
  /** Runs a short psql/pg_dump/pg_restore command. */
  run(argv: string[]): Promise<ExecResult>;
  conn: string[];
  env: Record<string, string>;
  label: string;
  container?: string;
  image?: string;
}

async function where(target: TargetDef, ctx: EngineContext): Promise<Where> {
  const spec = specOf(target);
  const env: Record<string, string> = { PGAPPNAME: 'opsdeck-backup', PGCONNECT_TIMEOUT: '30' };
  if (spec.password !== undefined) env.PGPASSWORD = spec.password;
  const port = spec.port !== undefined ? ['-p', String(spec.port)] : [];
  if (spec.container !== undefined) {
    const container = spec.container;
    const { info, env: cenv } = await runningContainer(ctx.docker, container);
    const user = spec.user ?? (cenv.get('POSTGRES_USER') || 'postgres');
    return {
      run: (argv) => run(ctx, container, argv, { env }),
      conn: ['-U', user, '-d', spec.database, ...port],
      env,
      label: `container ${safeText(container)}`,
      container,
      image: imageOf(info),
    };
  }
  const host = spec.host ?? 'localhost';
  const resolved = await resolveHost(ctx.docker, host);
  const address = resolved?.address ?? host;
  return {
    run: ([file, ...args]) => runProcess(file!, args, { signal: ctx.signal, timeoutMs: SHORT_TIMEOUT_MS, env }),
    conn: ['-h', address, '-p', String(spec.port ?? 5432), '-U', spec.user ?? 'postgres', '-d', spec.database],
    env,
    label: `${safeText(host)}:${spec.port ?? 5432}`,
  };
}

/** psql -At of one query: its output, or null when psql failed (the dump itself will say why). */
async function query(w: Where, sql: string): Promise<string | null> {
  try {
    const r = await w.run(['psql', '-X', '-q', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', ...w.conn, '-c', sql]);
    return r.exitCode === 0 ? r.stdout.trim() : null;
  } catch (e) {
    if (e instanceof NotInstalledError || /^no psql in container/.test((e as Error).message)) return null;
    throw e;
  }
}

async function gatherDetails(w: Where, database: string): Promise<Record<string, DetailValue>> {
  const [server, dumpV, rows] = await Promise.all([
    query(w, 'show server_version'),
    w.run(['pg_dump', '--version']).then((r) => (r.exitCode === 0 ? toolVersion(r.stdout) : null), () => null),
    query(w, ROWS_QUERY),
  ]);
  const details: Record<string, DetailValue> = {
    where: w.label,
    database: safeText(database),
    serverVersion: server ? safeText(server.split(/\s/)[0] ?? server) : null,
    pgDumpVersion: dumpV,
    format: 'custom (pg_dump -Fc)',
  };
  if (rows) {
    // A compact JSON object: {"orders":1000,…}, top 20 tables by live rows (an estimate).
    try {
      details.rowEstimates = JSON.stringify(JSON.parse(rows));
    } catch {
      details.rowEstimates = null;
    }
  }
  if (w.image) details.image = w.image;
  if (w.container) details.container = safeText(w.container);
  return details;
}

async function runInContainer(target: TargetDef, w: Where, sink: NodeJS.WritableStream, ctx: EngineContext): Promise<EngineOutput> {
  const spec = specOf(target);
  const details = await gatherDetails(w, spec.database);
  const res = await execStream(ctx.docker, w.container!, ['pg_dump', '-Fc', '-w', ...w.conn], sink, {
    signal: ctx.signal,
    env: w.env,
    ...(ctx.onProgress ? { onData: ctx.onProgress } : {}),
  });
  if (res.exitCode === 127 || res.exitCode === 126) throw new Error(`no pg_dump in container ${safeText(w.container!)}: ${stderrSummary(res.stderr)}`);
  if (res.exitCode !== 0) throw commandFailed('pg_dump', res.exitCode, res.stderr);
  if (res.bytes === 0) throw new Error('pg_dump wrote nothing');
  details.dumpBytes = res.bytes;
  return { extension: '.dump', details };
}

/** The host's pg_dump into the sink: spawned without a shell in its own process group. */
function spawnDump(args: string[], env: Record<string, string>, sink: NodeJS.WritableStream, ctx: EngineContext): Promise<{ code: number | null; stderr: string; bytes: number }> {
  if (ctx.signal.aborted) return Promise.reject(abortError(ctx.signal));
  return new Promise((resolve, reject) => {
    const child = spawn('pg_dump', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, shell: false, detached: true });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < STDERR_CAP) stderr += b.toString('utf8');
    });
    let bytes = 0;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    };
    let failure: unknown;
    const copied = pipeline(child.stdout, byteCounter((n) => { bytes = n; ctx.onProgress?.(n); }), sink, { signal: ctx.signal, end: false }).catch((e: unknown) => {
      failure ??= e;
      kill();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= e.code === 'ENOENT' ? new NotInstalledError('pg_dump') : e;
      // Never started: no 'close' to wait for.
      if (child.pid === undefined) reject(failure);
    });
    child.on('close', (code) => {
      void copied.then(() => {
        if (failure) reject(failure);
        else resolve({ code, stderr, bytes });
      });
    });
  });
}

async function runOnHost(target: TargetDef, w: Where, sink: NodeJS.WritableStream, ctx: EngineContext): Promise<EngineOutput> {
  const spec = specOf(target);
  let dumpVersion: string | null;
  try {
    const r = await runProcess('pg_dump', ['--version'], { signal: ctx.signal, timeoutMs: SHORT_TIMEOUT_MS });
    dumpVersion = toolVersion(r.stdout);
  } catch (e) {
    if (e instanceof NotInstalledError) throw new Error('pg_dump is not installed on this host (PostgreSQL client tools); or back up through the container (postgres.container)');
    throw e;
  }
  const details = await gatherDetails(w, spec.database);
  const server = typeof details.serverVersion === 'string' ? details.serverVersion : null;
  const dumpMajor = dumpVersion ? pgMajor(dumpVersion) : null;
  const serverMajor = server ? pgMajor(server) : null;
  if (dumpMajor !== null && serverMajor !== null && dumpMajor < serverMajor) {
    throw new Error(
      `refusing: this host's pg_dump is ${dumpVersion}, older than the server (${server}); pg_dump must be at least the server's major version ` +
        `(install the PostgreSQL ${serverMajor} client tools, or back up through the container with postgres.container)`,
    );
  }
  const res = await spawnDump(['-Fc', '-w', ...w.conn], w.env, sink, ctx);
  if (res.code !== 0) throw commandFailed('pg_dump', res.code, res.stderr);
  if (res.bytes === 0) throw new Error('pg_dump wrote nothing');
  details.dumpBytes = res.bytes;
  return { extension: '.dump', details };
}

async function verifyWithHost(file: string, ctx: EngineContext, why?: string): Promise<VerifyResult> {
  const r = await runProcess('pg_restore', ['--list', file], { signal: ctx.signal, timeoutMs: 10 * 60_000 }).catch((e: unknown) => {
    if (e instanceof NotInstalledError) return null;
    throw e;
  });
  if (!r) return { ok: false, message: `cannot verify: ${why ? `${why}, and ` : ''}pg_restore is not installed on this host` };
  return listResult(r);
}

function listResult(r: ExecResult): VerifyResult {
  if (r.exitCode !== 0) return { ok: false, message: `pg_restore --list failed: ${stderrSummary(r.stderr) || `exit ${r.exitCode ?? '?'}`}` };
  const { entries, tableData } = countListEntries(r.stdout);
  if (entries === 0) return { ok: false, message: 'pg_restore --list: the archive lists no entries' };
  return { ok: true, message: `pg_restore --list: ${entries} entries (${tableData} with table data)` };
}

export const postgresEngine: BackupEngine = {
  kind: 'postgres',
  extension: () => '.dump',

  async estimate(target, ctx) {
    const w = await where(target, ctx);
    const out = await query(w, 'SELECT pg_database_size(current_database())');
    const n = out === null ? NaN : Number(out);
    return Number.isFinite(n) ? n : null;
  },

  async run(target, sink, ctx) {
    const w = await where(target, ctx);
    return w.container !== undefined ? runInContainer(target, w, sink, ctx) : runOnHost(target, w, sink, ctx);
  },

  async verify(file, target, ctx) {
    if ((await readMagic(file, 5)) !== 'PGDMP') return { ok: false, message: 'not a pg_dump custom-format archive (no PGDMP header)' };
    return verifyInContainerOrHost(file, specOf(target).container, ctx, {
      hostTool: 'pg_restore',
      ext: '.dump',
      onHost: (why) => verifyWithHost(file, ctx, why),
      inContainer: async (inside, container) => {
        try {
          const r = await run(ctx, container, ['pg_restore', '--list', inside], { timeoutMs: 10 * 60_000 });
          return listResult(r);
        } catch (e) {
          if (/^no pg_restore in container/.test((e as Error).message) && (await hostHas('pg_restore'))) return verifyWithHost(file, ctx, (e as Error).message);
          throw e;
        }
      },
    });
  },
};
