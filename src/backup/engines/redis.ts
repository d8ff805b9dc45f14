/**
 * `redis`: a fresh RDB snapshot. In a container: BGSAVE, wait until LASTSAVE moves (60 s at most,
 * rdb_last_bgsave_status must be ok), then the file at CONFIG GET dir + dbfilename comes out through
 * the archive API, as it is (`.rdb`). For a `url:` target this host's `redis-cli --rdb` fetches the
 * snapshot over the replication protocol. Verification: `redis-check-rdb` in the same container (the
 * file copied into its /tmp for the moment), or on this host when it has one.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BackupTargetOf } from '../../../config/schema.js';
import { NotInstalledError, runProcess, type ExecResult } from '../../checks/kinds/exec.js';
import { oneLine } from '../../checks/kinds/util.js';
import { safeText } from '../../sanitize.js';
import type { BackupEngine, DetailValue, EngineContext, VerifyResult } from '../types.js';
import {
  byteCounter, commandFailed, containerPathStat, extractSingleFile, getArchive, imageOf, readMagic, run, runningContainer, SHORT_TIMEOUT_MS,
  tmpName, verifyInContainerOrHost,
  sleep,
} from './common.js';

type RedisSpec = BackupTargetOf<'redis'>['redis'];

/** How long BGSAVE may take before the backup gives up. */
export const BGSAVE_TIMEOUT_MS = 60_000;

function specOf(target: { id: string; spec: { kind: string } }): RedisSpec {
  const spec = target.spec as BackupTargetOf<'redis'>;
  if (spec.kind !== 'redis') throw new Error(`target ${target.id} is not a redis target`);
  return spec.redis;
}

/** `INFO` output → key/value map (section headers and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

/** Keys over all databases from INFO keyspace (`db0:keys=102,expires=0,…`). */
export function keyCount(info: Map<string, string>): number {
  let n = 0;
  for (const [k, v] of info) if (/^db\d+$/.test(k)) n += Number(/keys=(\d+)/.exec(v)?.[1] ?? 0);
  return n;
}

/** Error replies redis-cli prints on stdout (its exit code is not reliable across versions). */
const ERROR_REPLY = /^(ERR|NOAUTH|WRONGPASS|NOPERM|LOADING|MISCONF|BUSY|READONLY|MASTERDOWN|Could not connect|AUTH failed)\b/m;

/** `redis-check-rdb` output → outcome. */
export function checkRdbResult(r: { exitCode: number | null; stdout: string; stderr: string }): VerifyResult {
  const text = `${r.stdout}\n${r.stderr}`;
  const keys = /(\d+)\s+keys read/.exec(text)?.[1];
  if (r.exitCode === 0 && /RDB looks OK/.test(text)) return { ok: true, message: `redis-check-rdb: RDB looks OK${keys !== undefined ? `, ${keys} keys read` : ''}` };
  const line = text.split(/\r?\n/).find((l) => /error|unexpected|invalid|wrong|fail/i.test(l) && !/ERROR DETECTED ---$/.test(l.trim()))
    ?? text.split(/\r?\n/).find((l) => l.trim() !== '') ?? `exit ${r.exitCode ?? '?'}`;
  return { ok: false, message: `redis-check-rdb: ${oneLine(line, 200)}` };
}

class RedisInContainer {
  private readonly env: Record<string, string>;
  constructor(
    private readonly ctx: EngineContext,
    readonly container: string,
    password: string | undefined,
  ) {
    this.env = password ? { REDISCLI_AUTH: password } : {};
  }

  async cli(...args: string[]): Promise<string> {
    const r: ExecResult = await run(this.ctx, this.container, ['redis-cli', ...args], { env: this.env, timeoutMs: SHORT_TIMEOUT_MS });
    const out = r.stdout.trim();
    if (r.exitCode !== 0 || ERROR_REPLY.test(out)) {
      const why = ERROR_REPLY.test(out) ? oneLine(out, 200) : commandFailed('redis-cli', r.exitCode, r.stderr, r.stdout).message;
      throw new Error(`redis-cli ${args[0]}: ${why}`);
    }
    return out;
  }

  async info(section?: string): Promise<Map<string, string>> {
    return parseInfo(await (section ? this.cli('INFO', section) : this.cli('INFO')));
  }

  async lastSave(): Promise<number> {
    return Number(await this.cli('LASTSAVE'));
  }

  async serverTime(): Promise<number> {
    return Number((await this.cli('TIME')).split(/\s+/)[0]);
  }

  async config(key: string): Promise<string | undefined> {
    const lines = (await this.cli('CONFIG', 'GET', key)).split(/\r?\n/);
    return lines[0] === key ? lines[1] : undefined;
  }
}


/** Waits until no BGSAVE runs (someone else's, or ours). */
async function idle(r: RedisInContainer, signal: AbortSignal, deadline: number): Promise<Map<string, string>> {
  for (;;) {
    const info = await r.info('persistence');
    if (info.get('rdb_bgsave_in_progress') !== '1') return info;
    if (Date.now() > deadline) throw new Error(`BGSAVE did not finish within ${BGSAVE_TIMEOUT_MS / 1000} s`);
    await sleep(200, signal);
  }
}

/** BGSAVE and wait for it; returns the new LASTSAVE. */
async function snapshot(r: RedisInContainer, signal: AbortSignal): Promise<number> {
  const deadline = Date.now() + BGSAVE_TIMEOUT_MS;
  await idle(r, signal, deadline);
  const before = await r.lastSave();
  // LASTSAVE has one-second resolution: a save in this very second would look like no change.
  while ((await r.serverTime()) <= before) {
    if (Date.now() > deadline) break;
    await sleep(250, signal);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await r.cli('BGSAVE', 'SCHEDULE');
      break;
    } catch (e) {
      const msg = (e as Error).message;
      if (/syntax|wrong number|unknown/i.test(msg)) {
        await r.cli('BGSAVE');
        break;
      }
      if (/already in progress/i.test(msg) && attempt < 3) {
        await idle(r, signal, deadline);
        continue;
      }
      throw e;
    }
  }
  for (;;) {
    const info = await r.info('persistence');
    const last = Number(info.get('rdb_last_save_time') ?? (await r.lastSave()));
    const running = info.get('rdb_bgsave_in_progress') === '1';
    if (last > before && !running) {
      const status = info.get('rdb_last_bgsave_status');
      if (status && status !== 'ok') throw new Error(`BGSAVE failed (rdb_last_bgsave_status:${safeText(status)}); the server's log says why (disk full? permissions on its dir?)`);
      return last;
    }
    if (!running && info.get('rdb_last_bgsave_status') === 'err' && info.get('aof_rewrite_in_progress') !== '1' && info.get('aof_rewrite_scheduled') !== '1') {
      // Finished without moving LASTSAVE, and failed.
      throw new Error("BGSAVE failed (rdb_last_bgsave_status:err); the server's log says why (disk full? permissions on its dir?)");
    }
    if (Date.now() > deadline) throw new Error(`BGSAVE did not finish within ${BGSAVE_TIMEOUT_MS / 1000} s (LASTSAVE still ${before})`);
    await sleep(200, signal);
  }
}

async function runInContainer(spec: RedisSpec, container: string, sink: NodeJS.WritableStream, ctx: EngineContext): Promise<Record<string, DetailValue>> {
  const { info: cinfo, env } = await runningContainer(ctx.docker, container);
  const r = new RedisInContainer(ctx, container, spec.password ?? (env.get('REDIS_PASSWORD') || undefined));
  const info = await r.info();
  const details: Record<string, DetailValue> = {
    container: safeText(container),
    image: imageOf(cinfo),
    redisVersion: info.get('redis_version') ?? null,
    aofEnabled: info.get('aof_enabled') === '1',
    keys: keyCount(info),
  };
  let dir: string | undefined;
  let name: string | undefined;
  try {
    dir = await r.config('dir');
    name = await r.config('dbfilename');
  } catch (e) {
    throw new Error(`cannot find the RDB file: ${(e as Error).message} (CONFIG GET dir / dbfilename)`);
  }
  if (!dir || !name) throw new Error('cannot find the RDB file: CONFIG GET dir / dbfilename returned nothing');
  const lastSave = await snapshot(r, ctx.signal);
  details.lastSave = new Date(lastSave * 1000).toISOString();
  const rdb = posix.join(dir, name);
  details.rdbFile = safeText(rdb);
  const archive = await getArchive(ctx.docker, container, rdb, ctx.signal);
  const counter = byteCounter(ctx.onProgress);
  const copied = pipeline(counter, sink, { signal: ctx.signal, end: false });
  try {
    const got = await extractSingleFile(archive, counter, ctx.signal);
    counter.end();
    await copied;
    details.rdbBytes = got.size;
  } catch (e) {
    counter.destroy();
    await copied.catch(() => undefined);
    throw e;
  }
  return details;
}

async function runOverNetwork(spec: RedisSpec, sink: NodeJS.WritableStream, ctx: EngineContext): Promise<Record<string, DetailValue>> {
  // A password in the URL moves to REDISCLI_AUTH: not on a command line other users can read.
  let url = spec.url!;
  let password = spec.password;
  try {
    const u = new URL(url);
    if (u.password) {
      password ??= decodeURIComponent(u.password);
      u.password = '';
      url = u.toString();
    }
  } catch {
    // the schema checked it already
  }
  const env: Record<string, string> = password ? { REDISCLI_AUTH: password } : {};
  const file = join(ctx.tmpDir, tmpName('redis', '.rdb'));
  let r: ExecResult;
  try {
    r = await runProcess('redis-cli', ['-u', url, '--rdb', file], { signal: ctx.signal, timeoutMs: 60 * 60_000, env });
  } catch (e) {
    if (e instanceof NotInstalledError) throw new Error('redis-cli is not installed on this host (needed for a url: redis target); or back up through the container (redis.container)');
    throw e;
  }
  if (r.exitCode !== 0) throw commandFailed('redis-cli --rdb', r.exitCode, r.stderr, r.stdout);
  const size = (await fsp.stat(file)).size;
  await pipeline(createReadStream(file), byteCounter(ctx.onProgress), sink, { signal: ctx.signal, end: false });
  await fsp.rm(file, { force: true });
  // The URL may hold a password: only host and port go into the record.
  let where = 'network';
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || 6379}`;
  } catch {
    // keep 'network'
  }
  return { where: safeText(where), method: 'redis-cli --rdb (replication snapshot)', rdbBytes: size };
}

async function verifyOnHost(file: string, ctx: EngineContext, why?: string): Promise<VerifyResult> {
  try {
    const r = await runProcess('redis-check-rdb', [file], { signal: ctx.signal, timeoutMs: 10 * 60_000 });
    return checkRdbResult(r);
  } catch (e) {
    if (e instanceof NotInstalledError) return { ok: false, message: `cannot verify: ${why ? `${why}, and ` : ''}redis-check-rdb is not installed on this host` };
    throw e;
  }
}

export const redisEngine: BackupEngine = {
  kind: 'redis',
  extension: () => '.rdb',

  async estimate(target, ctx) {
    const spec = specOf(target);
    if (spec.container === undefined) return null;
    const { env } = await runningContainer(ctx.docker, spec.container);
    const r = new RedisInContainer(ctx, spec.container, spec.password ?? (env.get('REDIS_PASSWORD') || undefined));
    try {
      const [dir, name] = [await r.config('dir'), await r.config('dbfilename')];
      if (dir && name) {
        const st = await containerPathStat(ctx.docker, spec.container, posix.join(dir, name), ctx.signal);
        if (st && st.size > 0) return st.size;
      }
      const mem = Number((await r.info('memory')).get('used_memory'));
      return Number.isFinite(mem) ? mem : null;
    } catch {
      return null;
    }
  },

  async run(target, sink, ctx) {
    const spec = specOf(target);
    const details = spec.container !== undefined ? await runInContainer(spec, spec.container, sink, ctx) : await runOverNetwork(spec, sink, ctx);
    return { extension: '.rdb', details };
  },

  async verify(file, target, ctx) {
    if ((await readMagic(file, 5)) !== 'REDIS') return { ok: false, message: 'not an RDB file (no REDIS header)' };
    return verifyInContainerOrHost(file, specOf(target).container, ctx, {
      hostTool: 'redis-check-rdb',
      ext: '.rdb',
      onHost: (why) => verifyOnHost(file, ctx, why),
      inContainer: async (inside, container) => {
        try {
          const r = await run(ctx, container, ['redis-check-rdb', inside], { timeoutMs: 10 * 60_000 });
          return checkRdbResult(r);
        } catch (e) {
          if (/^no redis-check-rdb in container/.test((e as Error).message)) return verifyOnHost(file, ctx, (e as Error).message);
          throw e;
        }
      },
    });
  },
};
