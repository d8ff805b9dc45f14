/**
 * `mysql` (MySQL and MariaDB): `mysqldump --single-transaction` inside the database's container
 * (`mariadb-dump` where the image has no mysqldump), gzipped (`.sql.gz`). Credentials: the target's
 * user/password, else the image's own settings (MYSQL_ROOT_PASSWORD / MARIADB_ROOT_PASSWORD for root,
 * MYSQL_USER + MYSQL_PASSWORD otherwise), passed as MYSQL_PWD (never on the command line).
 * Verification: the gzip stream is whole and the dump ends with mysqldump's "-- Dump completed" line.
 *
 * UNTESTED against a real server: no MySQL/MariaDB image is available where this was written.
 */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BackupTargetOf } from '../../../config/schema.js';
import { oneLine } from '../../checks/kinds/util.js';
import { safeText } from '../../sanitize.js';
import type { BackupEngine, DetailValue, EngineContext, TargetDef } from '../types.js';
import { commandFailed, gzipThrough, imageOf, run, runningContainer, stderrSummary } from './common.js';
import { execStream } from './execStream.js';

type MysqlSpec = BackupTargetOf<'mysql'>['mysql'];

function specOf(target: TargetDef): MysqlSpec {
  if (target.spec.kind !== 'mysql') throw new Error(`target ${target.id} is not a mysql target`);
  return target.spec.mysql;
}

interface Conn {
  container: string;
  user: string;
  database: string | undefined;
  env: Record<string, string>;
  image: string;
  /** mysqldump or mariadb-dump; mysql or mariadb. */
  dump: string;
  client: string;
}

/** User, password and database from the spec, falling back to the image's environment. */
export function credentials(spec: Pick<MysqlSpec, 'user' | 'password' | 'database'>, env: Map<string, string>): { user: string; password: string | undefined; database: string | undefined } {
  const get = (...keys: string[]) => keys.map((k) => env.get(k)).find((v) => v !== undefined && v !== '');
  const rootPassword = get('MYSQL_ROOT_PASSWORD', 'MARIADB_ROOT_PASSWORD');
  const appUser = get('MYSQL_USER', 'MARIADB_USER');
  const user = spec.user ?? (rootPassword !== undefined ? 'root' : (appUser ?? 'root'));
  const password = spec.password ?? (user === 'root' ? rootPassword : user === appUser ? get('MYSQL_PASSWORD', 'MARIADB_PASSWORD') : undefined);
  return { user, password, database: spec.database ?? get('MYSQL_DATABASE', 'MARIADB_DATABASE') };
}

async function connect(target: TargetDef, ctx: EngineContext): Promise<Conn> {
  const spec = specOf(target);
  const { info, env } = await runningContainer(ctx.docker, spec.container);
  const { user, password, database } = credentials(spec, env);
  const tools = await run(ctx, spec.container, ['sh', '-c', 'command -v mysqldump || command -v mariadb-dump; command -v mysql || command -v mariadb']);
  const [dump, client] = tools.stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (!dump || !/dump$/.test(dump)) throw new Error(`no mysqldump or mariadb-dump in container ${safeText(spec.container)}`);
  return {
    container: spec.container,
    user,
    database,
    env: password !== undefined ? { MYSQL_PWD: password } : {},
    image: imageOf(info),
    dump,
    client: client && !/dump$/.test(client) ? client : 'mysql',
  };
}

async function query(c: Conn, ctx: EngineContext, sql: string): Promise<string | null> {
  const r = await run(ctx, c.container, [c.client, '-u', c.user, '-N', '-B', '-e', sql], { env: c.env }).catch(() => null);
  return r && r.exitCode === 0 ? r.stdout.trim() : null;
}

export const mysqlEngine: BackupEngine = {
  kind: 'mysql',
  extension: () => '.sql.gz',

  async estimate(target, ctx) {
    const c = await connect(target, ctx);
    const where = c.database ? `WHERE table_schema = '${c.database.replace(/'/g, "''")}'` : "WHERE table_schema NOT IN ('information_schema','performance_schema','sys')";
    const out = await query(c, ctx, `SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables ${where}`);
    const n = out === null ? NaN : Number(out);
    return Number.isFinite(n) ? n : null;
  },

  async run(target, sink, ctx) {
    const c = await connect(target, ctx);
    const version = await query(c, ctx, 'SELECT VERSION()');
    const details: Record<string, DetailValue> = {
      container: safeText(c.container),
      image: c.image,
      serverVersion: version ? safeText(version) : null,
      database: c.database ? safeText(c.database) : '(all databases)',
      user: safeText(c.user),
      tool: c.dump.split('/').pop() ?? c.dump,
    };
    const args = [c.dump, '-u', c.user, '--single-transaction', '--quick', '--routines', '--triggers', '--hex-blob'];
    // Events need the EVENT privilege and tablespaces PROCESS (MySQL ≥ 8.0.21): root has both.
    args.push(c.user === 'root' ? '--events' : '--no-tablespaces');
    args.push(...(c.database ? ['--databases', c.database] : ['--all-databases']));
    const res = await gzipThrough(sink, ctx, (input) => execStream(ctx.docker, c.container, args, input, { signal: ctx.signal, env: c.env }));
    if (res.exitCode !== 0) throw commandFailed(details.tool as string, res.exitCode, res.stderr);
    if (res.bytes === 0) throw new Error(`${String(details.tool)} wrote nothing${res.stderr ? `: ${stderrSummary(res.stderr)}` : ''}`);
    details.dumpBytes = res.bytes;
    return { extension: '.sql.gz', details };
  },

  async verify(file, _target, ctx) {
    let tail = '';
    let tables = 0;
    let carry = '';
    const scan = new Writable({
      write(chunk: Buffer, _enc, cb) {
        // Whole lines only: a statement split across chunks is counted once, with its next chunk.
        const text = carry + chunk.toString('latin1');
        const cut = text.lastIndexOf('\n');
        tables += (text.slice(0, cut + 1).match(/^CREATE TABLE /gm) ?? []).length;
        carry = text.slice(cut + 1);
        if (carry.length > 4096) carry = carry.slice(0, 64);
        tail = (tail + chunk.toString('latin1')).slice(-512);
        cb();
      },
    });
    try {
      await pipeline(createReadStream(file), createGunzip(), scan, { signal: ctx.signal });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      return { ok: false, message: `gunzip failed: ${oneLine((e as Error).message, 200)}` };
    }
    if (!/-- Dump completed/.test(tail)) return { ok: false, message: 'the dump is incomplete: no "-- Dump completed" line at its end' };
    return { ok: true, message: `gzip ok, dump complete (${tables} CREATE TABLE statements)` };
  },
};
