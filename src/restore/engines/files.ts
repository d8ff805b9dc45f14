/**
 * `files` restore on this host: for each listed path, the archive's entries under it are unpacked
 * into a staging directory next to it (same filesystem; mode exact, owner kept when running as root,
 * mtimes kept, symlinks as symlinks), then swapped in with two renames — the current path moved
 * aside, the restored one into place (the aside one moved back if that fails) — and the old one
 * removed. A listed path the backup does not hold is left alone (and said so).
 *
 * Drill: see volume.ts (busybox container, entries counted against the listing).
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { x as tarExtract } from 'tar';
import { byteCounter, listTar, tmpName } from '../../backup/engines/common.js';
import type { TargetDef } from '../../backup/types.js';
import { abortError, oneLine } from '../../checks/kinds/util.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import { RestoreRefused, type Compatibility, type Probe, type RestoreContext, type RestoreEngine } from '../types.js';
import { formatCount } from './common.js';
import { drillArchive } from './volume.js';

function pathsOf(target: TargetDef): string[] {
  if (target.spec.kind !== 'files') throw new Error(`target ${target.id} is not a files target`);
  return target.spec.files;
}

/** `/a/b/` → `a/b` (as the backup stores it). */
export function relativeOf(p: string): string {
  const r = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return r === '' ? '.' : r;
}

/** True when archive entry `entry` is `rel` or below it. */
export function under(entry: string, rel: string): boolean {
  const e = entry.replace(/^\.\/+/, '').replace(/\/+$/, '');
  return e === rel || e.startsWith(`${rel}/`);
}

/** Entries, bytes of regular files; null past `limit` entries. */
async function measure(paths: string[], limit = 200_000): Promise<{ entries: number; bytes: number } | null> {
  let entries = 0;
  let bytes = 0;
  const stack = [...paths];
  while (stack.length) {
    const p = stack.pop()!;
    const st = await fsp.lstat(p).catch(() => null);
    if (!st) continue;
    if (++entries > limit) return null;
    if (st.isFile()) bytes += st.size;
    else if (st.isDirectory()) for (const n of await fsp.readdir(p).catch(() => [] as string[])) stack.push(join(p, n));
  }
  return { entries, bytes };
}

/** Streams the gzipped archive into node-tar's Unpack; resolves once every entry is on disk. */
async function unpackInto(file: string, unpack: ReturnType<typeof tarExtract>, ctx: RestoreContext, base: number): Promise<void> {
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  const source = createReadStream(file);
  const plain = source.pipe(byteCounter((n) => ctx.onProgress?.(base + n))).pipe(createGunzip());
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abortError(ctx.signal));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const fail = (e: Error) => {
        ctx.signal.removeEventListener('abort', onAbort);
        reject(e);
      };
      source.on('error', fail);
      plain.on('error', fail);
      (unpack as unknown as NodeJS.EventEmitter).on('error', fail);
      (unpack as unknown as NodeJS.EventEmitter).on('close', () => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve();
      });
      plain.pipe(unpack as unknown as NodeJS.WritableStream);
    });
  } finally {
    source.destroy();
    plain.destroy();
  }
}

async function restorePath(file: string, path: string, ctx: RestoreContext, progress: { base: number }): Promise<'restored' | 'absent'> {
  const rel = relativeOf(path);
  const parent = dirname(path);
  const depth = dirname(rel) === '.' ? 0 : dirname(rel).split('/').length;
  await fsp.mkdir(parent, { recursive: true });
  const stage = join(parent, `.${tmpName('opsdeck-restore')}`);
  await fsp.mkdir(stage, { mode: 0o700 });
  try {
    let matched = 0;
    const unpack = tarExtract({
      cwd: stage,
      strip: depth,
      filter: (p: string) => {
        const hit = under(p, rel);
        if (hit) matched++;
        return hit;
      },
      chmod: true,
      processUmask: 0,
      strict: true,
      preservePaths: false,
    });
    await unpackInto(file, unpack, ctx, progress.base);
    progress.base += (await fsp.stat(file)).size;
    const restored = join(stage, basename(path));
    if (matched === 0 || !(await fsp.lstat(restored).catch(() => null))) return 'absent';
    const current = await fsp.lstat(path).catch(() => null);
    const aside = join(parent, `.${tmpName('opsdeck-old')}`);
    if (current) await fsp.rename(path, aside);
    try {
      await fsp.rename(restored, path);
    } catch (e) {
      if (current) await fsp.rename(aside, path).catch(() => undefined);
      throw new Error(`cannot move the restored ${safeText(path)} into place: ${(e as Error).message}`);
    }
    if (current) await fsp.rm(aside, { recursive: true, force: true });
    return 'restored';
  } finally {
    await fsp.rm(stage, { recursive: true, force: true }).catch(() => undefined);
  }
}

export const filesRestore: RestoreEngine = {
  kind: 'files',

  async compatibility(backup, target): Promise<Compatibility> {
    const paths = pathsOf(target);
    const listing = await listTar(backup.file, new AbortController().signal).catch((e: Error) => {
      throw new RestoreRefused(`the backup cannot be read as an archive: ${oneLine(e.message, 200)}`);
    });
    const held = paths.filter((p) => listing.names.some((n) => under(n, relativeOf(p))));
    if (held.length === 0) throw new RestoreRefused(`the backup holds none of the target's paths (${safeText(paths.join(', '))})`);
    const now = await measure(paths);
    const lines = [`${formatCount(held.length)} of ${formatCount(paths.length)} path(s) in the backup; ${now ? `${formatBytes(now.bytes)} in ${formatCount(now.entries)} entries there now` : 'current size unknown'}`];
    const missing = paths.filter((p) => !held.includes(p));
    if (missing.length) lines.push(`not in the backup, left as they are: ${safeText(missing.join(', '))}`);
    if (process.getuid?.() !== 0) lines.push('not running as root: restored files will belong to this user');
    return { lines, currentSizeBytes: now?.bytes ?? null };
  },

  async restore(backup, target, ctx): Promise<string> {
    const paths = pathsOf(target);
    const progress = { base: 0 };
    const done: string[] = [];
    const absent: string[] = [];
    for (const p of paths) {
      ctx.log(`restoring ${safeText(p)} …`);
      const r = await restorePath(backup.file, p, ctx, progress);
      (r === 'restored' ? done : absent).push(p);
      if (r === 'absent') ctx.log(`${safeText(p)} is not in the backup; left as it is`);
    }
    return `${formatCount(done.length)} path(s) restored${absent.length ? `, ${formatCount(absent.length)} not in the backup (left as they are)` : ''}`;
  },

  async probe(target): Promise<Probe> {
    const paths = pathsOf(target);
    const now = await measure(paths);
    const existing = (await Promise.all(paths.map((p) => fsp.lstat(p).then(() => 1, () => 0)))).reduce<number>((a, b) => a + b, 0);
    if (!now) return { ok: false, message: 'too many entries to count', counts: {} };
    return {
      ok: existing === paths.length,
      message: `${formatCount(existing)} of ${formatCount(paths.length)} path(s) present, ${formatCount(now.entries)} entries, ${formatBytes(now.bytes)}`,
      counts: { entries: now.entries, bytes: now.bytes },
    };
  },

  drill(backup, _target, ctx) {
    return drillArchive('files', backup, ctx);
  },
};
