/**
 * `redis` restore: Redis loads its dataset from dump.rdb only at start, so the target's own
 * container is stopped (its shutdown save writes the old data — then replaced), the backup is put at
 * CONFIG GET dir + dbfilename through the archive API (owner and mode of the file it replaces), the
 * container started, and the restore waits for PING (LOADING while a big file loads) and reports the
 * key count. If the file cannot be put, the container is started again with its old data.
 *
 * Refused: a server with `appendonly yes` (it would load the append-only file and ignore dump.rdb),
 * an RDB newer than the server can load (the RDB version in the file's header), a url: target.
 *
 * Drill: a throwaway container of the source's image running `redis-server --dir /tmp` with the
 * backup as its dbfilename, no network, no saving; PING, then the key count.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import type { BackupTargetOf } from '../../../config/schema.js';
import { containerPathStat, envMap, extractSingleFile, getArchive, imageOf, readMagic, run, SHORT_TIMEOUT_MS, tmpName } from '../../backup/engines/common.js';
import { keyCount, parseInfo } from '../../backup/engines/redis.js';
import type { EngineContext, TargetDef } from '../../backup/types.js';
import { oneLine } from '../../checks/kinds/util.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import type { StoredBackup } from '../../store/backups.js';
import { RestoreRefused, type Compatibility, type DrillResult, type Probe, type RestoreEngine } from '../types.js';
import {
  formatCount, inspectOrNull, logTail, ownerInContainer, pollUntil, putFile, sourceImage, startContainer, stopContainer, withDrillContainer, type Owner, probeFailed, drillFailed } from './common.js';

type RedisSpec = BackupTargetOf<'redis'>['redis'];

/** How long a started Redis may take to load its dataset and answer PING. */
export const LOAD_TIMEOUT_MS = 180_000;

function specOf(target: TargetDef): RedisSpec {
  if (target.spec.kind !== 'redis') throw new Error(`target ${target.id} is not a redis target`);
  return target.spec.redis;
}

function containerOf(target: TargetDef): string {
  const spec = specOf(target);
  if (spec.container === undefined) {
    throw new RestoreRefused('restoring a Redis target reached by URL is not supported: the restore replaces dump.rdb in the server\'s container (give the target redis.container)');
  }
  return spec.container;
}

/** "REDIS0011" → 11; null when not an RDB header. */
export function rdbVersion(magic: string): number | null {
  const m = /^REDIS(\d{4})$/.exec(magic);
  return m ? Number(m[1]) : null;
}

/** The newest RDB version a Redis release loads (RDB_VERSION in its rdb.h). */
export function maxRdbVersion(redisVersion: string): number | null {
  const m = /^(\d+)\.(\d+)/.exec(redisVersion.trim());
  if (!m) return null;
  const v = Number(m[1]) * 100 + Number(m[2]);
  if (v >= 704) return 12;
  if (v >= 702) return 11;
  if (v >= 700) return 10;
  if (v >= 500) return 9;
  if (v >= 400) return 8;
  if (v >= 302) return 7;
  return 6;
}

/** Throws RestoreRefused when the server cannot load an RDB of this version; else the line. */
export function checkRdb(serverVersion: string, fileRdb: number | null, backupRedis: string | null): string {
  const max = maxRdbVersion(serverVersion);
  const from = backupRedis ? ` (from Redis ${backupRedis})` : '';
  if (fileRdb === null) return `Redis ${serverVersion}; the backup's RDB version is unknown`;
  if (max !== null && fileRdb > max) {
    throw new RestoreRefused(`the backup is RDB version ${fileRdb}${from}, newer than Redis ${serverVersion} can load (up to ${max}): upgrade the server first`);
  }
  return `RDB version ${fileRdb}${from} loads in Redis ${serverVersion}`;
}

/** redis-cli in a container; an error reply or a non-zero exit throws with its words. */
async function cli(ctx: Pick<EngineContext, 'docker' | 'signal'>, container: string, password: string | undefined, ...args: string[]): Promise<string> {
  const r = await run(ctx, container, ['redis-cli', ...args], { env: password ? { REDISCLI_AUTH: password } : {}, timeoutMs: SHORT_TIMEOUT_MS });
  const out = r.stdout.trim();
  if (r.exitCode !== 0 || /^(ERR|NOAUTH|WRONGPASS|NOPERM|MISCONF|BUSY|Could not connect|AUTH failed)\b/m.test(out)) {
    throw new Error(`redis-cli ${args[0]}: ${oneLine(out || r.stderr, 200) || `exit ${r.exitCode ?? '?'}`}`);
  }
  return out;
}

async function configGet(ctx: EngineContext, container: string, password: string | undefined, key: string): Promise<string | undefined> {
  const lines = (await cli(ctx, container, password, 'CONFIG', 'GET', key)).split(/\r?\n/);
  return lines[0] === key ? lines[1] : undefined;
}

interface Live {
  container: string;
  password: string | undefined;
  version: string;
  aof: boolean;
  rdbPath: string | undefined;
  keys: number;
  usedMemory: number | null;
  image: string;
  running: boolean;
}

/** What a running server says about itself; a stopped one only what its container tells. */
async function live(target: TargetDef, ctx: EngineContext): Promise<Live> {
  const container = containerOf(target);
  const info = await inspectOrNull(ctx.docker, container);
  if (!info) throw new RestoreRefused(`the target's container ${safeText(container)} does not exist`);
  const password = specOf(target).password ?? (envMap(info).get('REDIS_PASSWORD') || undefined);
  const base = { container, password, image: imageOf(info) };
  if (!info.State?.Running) return { ...base, version: '', aof: false, rdbPath: undefined, keys: 0, usedMemory: null, running: false };
  const inf = parseInfo(await cli(ctx, container, password, 'INFO'));
  const dir = await configGet(ctx, container, password, 'dir');
  const name = await configGet(ctx, container, password, 'dbfilename');
  const aof = (await configGet(ctx, container, password, 'appendonly')) === 'yes' || inf.get('aof_enabled') === '1';
  const mem = Number(inf.get('used_memory'));
  return {
    ...base,
    version: inf.get('redis_version') ?? '',
    aof,
    rdbPath: dir && name ? posix.join(dir, name) : undefined,
    keys: keyCount(inf),
    usedMemory: Number.isFinite(mem) ? mem : null,
    running: true,
  };
}

function aofRefusal(container: string): RestoreRefused {
  return new RestoreRefused(
    `Redis in ${safeText(container)} runs with appendonly yes: on start it loads its append-only file and ignores dump.rdb, so the restored snapshot would not be used. ` +
      'Turn AOF off for the restore (appendonly no in its config or command line), or back up and restore its data directory as a volume target',
  );
}

/** Waits until Redis answers PONG (not LOADING); a container that exits ends the wait with its log. */
async function waitForPong(ctx: EngineContext, container: string, password: string | undefined, timeoutMs: number, label = container): Promise<void> {
  let last = '';
  await pollUntil('Redis did not answer PING', async () => {
    const info = await inspectOrNull(ctx.docker, container);
    if (!info?.State?.Running) {
      const why = await logTail(ctx.docker, container);
      throw new Error(`Redis in ${safeText(label)} exited (code ${info?.State?.ExitCode ?? '?'})${why ? `: ${why}` : ''}`);
    }
    const r = await run(ctx, container, ['redis-cli', 'PING'], { env: password ? { REDISCLI_AUTH: password } : {}, timeoutMs: 10_000 }).catch((e: Error) => ({ stdout: e.message, stderr: '', exitCode: 1 }));
    last = oneLine(`${r.stdout} ${r.stderr}`, 120);
    return r.stdout.trim() === 'PONG' ? true : undefined;
  }, { signal: ctx.signal, timeoutMs, everyMs: 200, last: () => last });
}

async function keysOf(ctx: EngineContext, container: string, password: string | undefined): Promise<number> {
  return keyCount(parseInfo(await cli(ctx, container, password, 'INFO', 'keyspace')));
}

/** Copies the container's current RDB to a host file; false when there is none. */
async function saveAside(ctx: EngineContext, container: string, rdbPath: string, to: string): Promise<boolean> {
  const archive = await getArchive(ctx.docker, container, rdbPath, ctx.signal).catch(() => null);
  if (!archive) return false;
  const out = createWriteStream(to, { flags: 'wx', mode: 0o600 });
  try {
    await extractSingleFile(archive, out, ctx.signal);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return true;
  } catch (e) {
    out.destroy();
    throw e;
  }
}

function recordedKeys(backup: StoredBackup): number | null {
  return typeof backup.details.keys === 'number' ? backup.details.keys : null;
}

export const redisRestore: RestoreEngine = {
  kind: 'redis',

  async compatibility(backup, target, ctx): Promise<Compatibility> {
    const l = await live(target, ctx);
    if (!l.running) throw new RestoreRefused(`the target's container ${safeText(l.container)} is not running: start it so its settings (dir, dbfilename, appendonly) can be read`);
    if (l.aof) throw aofRefusal(l.container);
    const magic = await readMagic(backup.file, 9);
    const line = checkRdb(l.version, rdbVersion(magic), typeof backup.details.redisVersion === 'string' ? backup.details.redisVersion : null);
    let size: number | null = null;
    if (l.rdbPath) {
      size = (await containerPathStat(ctx.docker, l.container, l.rdbPath, ctx.signal))?.size ?? null;
    }
    return {
      lines: [`Redis ${l.version} in ${safeText(l.container)} (${l.image}), AOF off`, line, `${formatCount(l.keys)} keys now; ${safeText(l.rdbPath ?? '?')} will be replaced`],
      currentSizeBytes: size ?? l.usedMemory,
    };
  },

  async restore(backup, target, ctx): Promise<string> {
    const l = await live(target, ctx);
    if (l.aof) throw aofRefusal(l.container);
    const rdbPath = l.rdbPath ?? (typeof backup.details.rdbFile === 'string' && backup.details.rdbFile ? backup.details.rdbFile : undefined);
    if (!rdbPath) throw new Error(`cannot tell where ${safeText(l.container)} keeps dump.rdb: the container is stopped and the backup recorded no rdbFile`);
    if (l.running) {
      const line = checkRdb(l.version, rdbVersion(await readMagic(backup.file, 9)), typeof backup.details.redisVersion === 'string' ? backup.details.redisVersion : null);
      ctx.log(line);
    }
    const dir = posix.dirname(rdbPath);
    const name = posix.basename(rdbPath);
    const size = (await fsp.stat(backup.file)).size;
    ctx.log(`stopping ${safeText(l.container)} (Redis reads dump.rdb only at start) …`);
    await stopContainer(ctx.docker, l.container);
    // The file its shutdown just saved is kept aside: a put that fails half-way (or an abort) would
    // leave a truncated dump.rdb that Redis refuses to load, so the old one goes back in that case.
    const aside = join(ctx.tmpDir, tmpName('redis-before', '.rdb'));
    let owner: Owner | null = null;
    let hadOld = false;
    try {
      owner = await ownerInContainer(ctx.docker, l.container, rdbPath, ctx.signal);
      hadOld = owner !== null && (await saveAside(ctx, l.container, rdbPath, aside));
      owner ??= { ...((await ownerInContainer(ctx.docker, l.container, dir, ctx.signal)) ?? { uid: 0, gid: 0 }), mode: 0o644 };
      await putFile(ctx.docker, l.container, backup.file, dir, name, { ...owner, mode: owner.mode & 0o777 }, ctx);
      ctx.log(`${safeText(rdbPath)} replaced (${formatBytes(size)})`);
    } catch (e) {
      // Bring the server back with its old data before failing.
      if (hadOld && owner) {
        const quiet = { signal: AbortSignal.timeout(10 * 60_000) };
        await putFile(ctx.docker, l.container, aside, dir, name, { ...owner, mode: owner.mode & 0o777 }, quiet).catch(() => undefined);
      }
      await startContainer(ctx.docker, l.container).catch(() => undefined);
      throw e;
    } finally {
      await fsp.rm(aside, { force: true }).catch(() => undefined);
    }
    await startContainer(ctx.docker, l.container);
    ctx.log(`started ${safeText(l.container)}; waiting for Redis to load …`);
    await waitForPong(ctx, l.container, l.password, LOAD_TIMEOUT_MS);
    const keys = await keysOf(ctx, l.container, l.password);
    const recorded = recordedKeys(backup);
    return `dump.rdb replaced (${formatBytes(size)}), PONG, ${formatCount(keys)} keys${recorded !== null ? ` (the backup recorded ${formatCount(recorded)})` : ''}`;
  },

  async probe(target, ctx): Promise<Probe> {
    try {
      const l = await live(target, ctx);
      if (!l.running) return { ok: false, message: `container ${safeText(l.container)} is not running`, counts: {} };
      const pong = await cli(ctx, l.container, l.password, 'PING');
      return { ok: pong === 'PONG', message: `${oneLine(pong, 40)}, ${formatCount(l.keys)} keys`, counts: { keys: l.keys } };
    } catch (e) {
      return probeFailed(e, ctx.signal);
    }
  },

  async drill(backup, target, ctx): Promise<DrillResult> {
    const started = Date.now();
    let image: string | null = null;
    try {
      image = await sourceImage(ctx.docker, specOf(target).container, backup.details.image);
      const img = image;
      const dbfile = 'opsdeck-drill.rdb';
      return await withDrillContainer(ctx.docker, {
        kind: 'redis',
        image: img,
        cmd: ['redis-server', '--dir', '/tmp', '--dbfilename', dbfile, '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--port', '6379', '--protected-mode', 'no'],
        prepare: async (id) => {
          await putFile(ctx.docker, id, backup.file, '/tmp', dbfile, { uid: 0, gid: 0, mode: 0o644 }, ctx);
        },
      }, ctx.signal, async (c) => {
        ctx.log(`drill container ${c.name} (${safeText(img)}) started; waiting for Redis to load the backup …`);
        await waitForPong(ctx, c.id, undefined, LOAD_TIMEOUT_MS, c.name);
        const keys = await keysOf(ctx, c.id, undefined);
        const recorded = recordedKeys(backup);
        const lost = recorded !== null && recorded > 0 && keys === 0;
        return {
          ok: !lost,
          message: `${lost ? 'drill failed: ' : ''}restored into ${c.name} (${safeText(img)}): PONG, ${formatCount(keys)} keys${recorded !== null ? ` (the backup recorded ${formatCount(recorded)})` : ''}`,
          image: img,
          counts: { keys },
          durationMs: Date.now() - started,
        };
      });
    } catch (e) {
      return drillFailed(e, ctx.signal, image, started);
    }
  },
};
