/**
 * `volume` restore through a helper container (busybox, never pulled; label opsdeck.helper) with the
 * volume mounted at /v: the backup (.tar.gz; the Engine's archive API unpacks gzip itself) is put
 * into an empty staging directory inside the volume (same filesystem), then the swap moves the old
 * top-level entries aside into another directory, the restored ones into place, gives the volume's
 * root the archive's owner and mode, and only then removes the old entries. When moving the old ones
 * aside fails they are moved back and nothing changed.
 *
 * Drill (volume and files): a throwaway busybox container, the archive unpacked into its /tmp by the
 * Engine, and the unpacked entries counted against the archive's own listing.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import type Dockerode from 'dockerode';
import { byteCounter, engineIsLocal, listTar, run, tmpName } from '../../backup/engines/common.js';
import { HELPER_LABEL } from '../../backup/engines/volume.js';
import type { EngineContext, TargetDef } from '../../backup/types.js';
import { abortError, dockerStatus, oneLine } from '../../checks/kinds/util.js';
import type { DockerReader } from '../../docker/client.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import type { StoredBackup } from '../../store/backups.js';
import { RestoreRefused, type Compatibility, type DrillResult, type Probe, type RestoreContext, type RestoreEngine } from '../types.js';
import { busyboxImage, formatCount, withDrillContainer, type Owner, probeFailed, drillFailed } from './common.js';

function volumeOf(target: TargetDef): string {
  if (target.spec.kind !== 'volume') throw new Error(`target ${target.id} is not a volume target`);
  return target.spec.volume;
}

async function inspectVolume(reader: DockerReader, name: string): Promise<Dockerode.VolumeInspectInfo | null> {
  try {
    return await reader.raw.getVolume(name).inspect();
  } catch (e) {
    if (dockerStatus(e) === 404) return null;
    throw e;
  }
}

/** Sum of file sizes and entry count under a host directory; null when unreadable or huge. */
async function du(dir: string, limit = 200_000): Promise<{ bytes: number; entries: number } | null> {
  let bytes = 0;
  let entries = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let list;
    try {
      list = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return null;
    }
    for (const e of list) {
      if (++entries > limit) return null;
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) bytes += (await fsp.lstat(p).catch(() => null))?.size ?? 0;
    }
  }
  return { bytes, entries };
}

/**
 * Puts a tar(.gz) file into `dir` of a container through the archive API (the Engine unpacks gzip),
 * streaming, with progress in bytes of the file.
 */
export async function putArchiveFile(reader: DockerReader, container: string, file: string, dir: string, ctx: Pick<EngineContext, 'signal' | 'onProgress'>): Promise<void> {
  const source = createReadStream(file, { highWaterMark: 256 * 1024 });
  const body = source.pipe(byteCounter(ctx.onProgress));
  source.on('error', (e) => body.destroy(e));
  try {
    await reader.raw.getContainer(container).putArchive(body, { path: dir, abortSignal: ctx.signal } as { path: string });
  } catch (e) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    throw new Error(`unpacking the archive into the container failed: ${oneLine((e as Error).message, 200)}`, { cause: e });
  } finally {
    source.destroy();
    body.destroy();
  }
}

/** A started helper (busybox) with the volume at /v; removed (never the volume) afterwards. */
async function withVolumeHelper<T>(reader: DockerReader, volume: string, fn: (id: string) => Promise<T>): Promise<T> {
  const image = await busyboxImage(reader);
  const created = await reader.raw.createContainer({
    name: tmpName('opsdeck-restore-helper'),
    Image: image,
    Cmd: ['sleep', '86400'],
    Labels: { [HELPER_LABEL]: 'volume-restore' },
    NetworkDisabled: true,
    HostConfig: { Binds: [`${volume}:/v`], NetworkMode: 'none' },
  });
  try {
    await created.start();
    return await fn(created.id);
  } finally {
    await created.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/**
 * The swap inside the helper (busybox sh; constant text, the two names are arguments):
 * old entries → $old, staged entries → /v, the root's owner and mode from the archive's `./` entry
 * ($3 uid:gid, $4 octal mode; the Engine does not apply that entry to the staging dir), then $old
 * removed.
 */
export const SWAP_SCRIPT = [
  'set -u',
  'cd /v || exit 1',
  'stage=$1; old=$2',
  'mkdir "$old" || exit 1',
  'ok=1',
  'for e in * .[!.]* ..?*; do',
  '  [ -e "$e" ] || [ -L "$e" ] || continue',
  '  if [ "$e" = "$stage" ] || [ "$e" = "$old" ]; then continue; fi',
  '  mv -- "$e" "$old/" || { ok=0; break; }',
  'done',
  'if [ $ok -eq 0 ]; then',
  '  for e in "$old"/* "$old"/.[!.]* "$old"/..?*; do [ -e "$e" ] || [ -L "$e" ] || continue; mv -- "$e" ./; done',
  '  rmdir "$old"; rm -rf -- "$stage"',
  '  echo "opsdeck: could not move the current contents aside; nothing changed" >&2; exit 2',
  'fi',
  'for e in "$stage"/* "$stage"/.[!.]* "$stage"/..?*; do',
  '  [ -e "$e" ] || [ -L "$e" ] || continue',
  '  mv -- "$e" ./ || { echo "opsdeck: moving the restored entries into place failed; the previous contents are in $old" >&2; exit 3; }',
  'done',
  'if [ -n "${3:-}" ]; then chown "$3" . && chmod "$4" . || echo "opsdeck: could not set the owner/mode of the volume root" >&2; fi',
  'rmdir "$stage"',
  'rm -rf -- "$old"',
  'find . -mindepth 1 | wc -l',
].join('\n');

/** Owner and mode of the archive's root entry (`./`), read from its first entries; null when absent. */
export async function archiveRoot(file: string, signal: AbortSignal): Promise<Owner | null> {
  const source = createReadStream(file);
  const plain = source.pipe(createGunzip());
  const parser = new Parser({ strict: false });
  try {
    return await new Promise<Owner | null>((resolve, reject) => {
      let seen = 0;
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (v: Owner | null) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      parser.on('entry', (e: ReadEntry) => {
        const p = e.path.replace(/\/+$/, '');
        if (e.type === 'Directory' && (p === '.' || p === '')) done({ uid: e.uid ?? 0, gid: e.gid ?? 0, mode: e.mode ?? 0o755 });
        else if (++seen > 16) done(null);
        e.resume();
      });
      parser.on('end', () => done(null));
      parser.on('error', (e: Error) => reject(e));
      plain.on('error', (e: Error) => reject(e));
      source.on('error', (e: Error) => reject(e));
      plain.pipe(parser as unknown as Writable);
    });
  } finally {
    source.destroy();
    plain.destroy();
  }
}

/** Distinct entries of an archive listing, without the root (`./`). */
export function archiveEntries(names: string[]): number {
  const set = new Set<string>();
  for (const n of names) {
    const p = n.replace(/^\.\/+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
    if (p && p !== '.') set.add(p);
  }
  return set.size;
}

/** Drill of an archive (volume, files): unpacked into a throwaway busybox container, entries counted. */
export async function drillArchive(kind: 'volume' | 'files', backup: StoredBackup, ctx: RestoreContext): Promise<DrillResult> {
  const started = Date.now();
  let image: string | null = null;
  try {
    const listing = await listTar(backup.file, ctx.signal).catch((e: Error) => {
      throw new Error(`the archive cannot be read: ${oneLine(e.message, 200)}`);
    });
    const expected = listing.names.length < 10_000 ? archiveEntries(listing.names) : null;
    image = await busyboxImage(ctx.docker);
    const img = image;
    return await withDrillContainer(ctx.docker, { kind, image: img, cmd: ['sleep', '86400'] }, ctx.signal, async (c) => {
      ctx.log(`drill container ${c.name} (${safeText(img)}) started`);
      const r0 = await run(ctx, c.id, ['mkdir', '-p', '/tmp/opsdeck-drill']);
      if (r0.exitCode !== 0) throw new Error(`mkdir failed in ${c.name}: ${oneLine(r0.stderr, 200)}`);
      await putArchiveFile(ctx.docker, c.id, backup.file, '/tmp/opsdeck-drill', ctx);
      const r = await run(ctx, c.id, ['find', '/tmp/opsdeck-drill', '-mindepth', '1'], { timeoutMs: 10 * 60_000 });
      if (r.exitCode !== 0) throw new Error(`find failed in ${c.name}: ${oneLine(r.stderr, 200)}`);
      const found = r.stdout.split('\n').filter(Boolean).length;
      const counts = { entries: found, bytes: listing.bytes };
      const summary = `restored into ${c.name} (${safeText(img)}): ${formatCount(found)} entries, ${formatBytes(listing.bytes)} of file data`;
      if (expected !== null && !r.truncated && found !== expected) {
        return { ok: false, message: `drill failed: ${summary}, but the archive lists ${formatCount(expected)}`, image: img, counts, durationMs: Date.now() - started };
      }
      return { ok: true, message: summary, image: img, counts, durationMs: Date.now() - started };
    });
  } catch (e) {
    return drillFailed(e, ctx.signal, image, started);
  }
}

export const volumeRestore: RestoreEngine = {
  kind: 'volume',

  async compatibility(_backup, target, ctx): Promise<Compatibility> {
    const volume = volumeOf(target);
    const info = await inspectVolume(ctx.docker, volume);
    if (!info) throw new RestoreRefused(`volume ${safeText(volume)} does not exist`);
    await busyboxImage(ctx.docker).catch((e: Error) => {
      throw new RestoreRefused(e.message);
    });
    const size = engineIsLocal(ctx.docker) && info.Mountpoint ? await du(info.Mountpoint) : null;
    const users = await ctx.docker.raw.listContainers({ all: true, filters: { volume: [volume] } });
    const running = users.filter((c) => c.State === 'running').map((c) => safeText((c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')));
    const lines = [`volume ${safeText(volume)} (${safeText(info.Driver ?? '')}): ${size ? `${formatBytes(size.bytes)} in ${formatCount(size.entries)} entries now` : 'size unknown'}`];
    if (running.length) lines.push(`still mounted by running container(s): ${running.join(', ')}`);
    return { lines, currentSizeBytes: size?.bytes ?? null };
  },

  async restore(backup, target, ctx): Promise<string> {
    const volume = volumeOf(target);
    if (!(await inspectVolume(ctx.docker, volume))) throw new Error(`no volume ${safeText(volume)}`);
    const stage = `.${tmpName('opsdeck-restore')}`;
    const old = `.${tmpName('opsdeck-old')}`;
    return withVolumeHelper(ctx.docker, volume, async (helper) => {
      const mk = await run(ctx, helper, ['mkdir', '-m', '700', `/v/${stage}`]);
      if (mk.exitCode !== 0) throw new Error(`cannot make the staging directory in ${safeText(volume)}: ${oneLine(mk.stderr, 200)}`);
      try {
        ctx.log(`unpacking into the staging directory ${stage} of ${safeText(volume)} …`);
        await putArchiveFile(ctx.docker, helper, backup.file, `/v/${stage}`, ctx);
        if (ctx.signal.aborted) throw abortError(ctx.signal);
      } catch (e) {
        await run({ docker: ctx.docker, signal: AbortSignal.timeout(60_000) }, helper, ['rm', '-rf', '--', `/v/${stage}`]).catch(() => undefined);
        throw e;
      }
      ctx.log('swapping the restored contents in …');
      const root = await archiveRoot(backup.file, ctx.signal);
      const rootArgs = root ? [`${root.uid}:${root.gid}`, (root.mode & 0o7777).toString(8)] : [];
      // Renames only, and not abortable: a swap cut off half-way would leave the volume half old, half new.
      const r = await run({ docker: ctx.docker, signal: AbortSignal.timeout(30 * 60_000) }, helper, ['sh', '-c', SWAP_SCRIPT, 'sh', stage, old, ...rootArgs], { timeoutMs: 30 * 60_000 });
      if (r.exitCode !== 0) throw new Error(`swap failed (exit ${r.exitCode ?? '?'}): ${oneLine(r.stderr, 300) || 'no message'}`);
      const entries = Number(r.stdout.trim().split('\n').pop());
      return `volume ${safeText(volume)} replaced: ${Number.isFinite(entries) ? formatCount(entries) : '?'} entries restored`;
    });
  },

  async probe(target, ctx): Promise<Probe> {
    const volume = volumeOf(target);
    try {
      const info = await inspectVolume(ctx.docker, volume);
      if (!info) return { ok: false, message: `no volume ${safeText(volume)}`, counts: {} };
      if (engineIsLocal(ctx.docker) && info.Mountpoint) {
        const size = await du(info.Mountpoint);
        if (size) return { ok: true, message: `${formatCount(size.entries)} entries, ${formatBytes(size.bytes)}`, counts: { entries: size.entries, bytes: size.bytes } };
      }
      const n = await withVolumeHelper(ctx.docker, volume, async (helper) => {
        const r = await run(ctx, helper, ['find', '/v', '-mindepth', '1'], { timeoutMs: 10 * 60_000 });
        return r.stdout.split('\n').filter(Boolean).length;
      });
      return { ok: true, message: `${formatCount(n)} entries`, counts: { entries: n } };
    } catch (e) {
      return probeFailed(e, ctx.signal);
    }
  },

  drill(backup, _target, ctx) {
    return drillArchive('volume', backup, ctx);
  },
};
