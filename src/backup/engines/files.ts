/**
 * `files`: a tar.gz of files and directories on this host (node-tar), paths stored relative to `/`
 * (`/etc/app/conf.yml` → `etc/app/conf.yml`), symlinks as symlinks. A listed path that does not exist
 * is refused, by name, before anything is written. Entries that cannot be archived (unreadable,
 * sockets) are skipped and counted in the details. Verification: gunzip and list the tar.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { safeText } from '../../sanitize.js';
import type { BackupEngine, DetailValue, TargetDef } from '../types.js';
import { gzipInto, verifyTarGz } from './common.js';
import { Readable } from 'node:stream';

function pathsOf(target: TargetDef): string[] {
  if (target.spec.kind !== 'files') throw new Error(`target ${target.id} is not a files target`);
  return target.spec.files;
}

/** Throws naming the first listed path that does not exist. */
async function mustExist(paths: string[]): Promise<void> {
  for (const p of paths) {
    try {
      await fsp.lstat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`no such file or directory: ${safeText(p)}`);
      throw new Error(`cannot read ${safeText(p)}: ${(e as Error).message}`);
    }
  }
}

/** Bytes of regular files under the paths; null past `limit` entries. */
async function totalSize(paths: string[], limit = 200_000): Promise<number | null> {
  let total = 0;
  let seen = 0;
  const stack = [...paths];
  while (stack.length) {
    const p = stack.pop()!;
    if (++seen > limit) return null;
    const st = await fsp.lstat(p).catch(() => null);
    if (!st) continue;
    if (st.isFile()) total += st.size;
    else if (st.isDirectory()) {
      const names = await fsp.readdir(p).catch(() => [] as string[]);
      for (const n of names) stack.push(join(p, n));
    }
  }
  return total;
}

/** `/a/b` → `a/b` (the archive's paths are relative to `/`). */
function relative(p: string): string {
  const r = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return r === '' ? '.' : r;
}

export const filesEngine: BackupEngine = {
  kind: 'files',
  extension: () => '.tar.gz',

  async estimate(target) {
    const paths = pathsOf(target);
    await mustExist(paths);
    return totalSize(paths);
  },

  async run(target, sink, ctx) {
    const paths = pathsOf(target);
    await mustExist(paths);
    let entries = 0;
    const skipped: string[] = [];
    const pack = Readable.from(tarCreate(
      {
        cwd: '/',
        portable: false,
        strict: false,
        filter: () => {
          entries++;
          return true;
        },
        onwarn: (code: string, message: string | Error) => {
          skipped.push(`${code}: ${message instanceof Error ? message.message : message}`);
        },
      },
      paths.map(relative),
    ) as unknown as AsyncIterable<Buffer>);
    const sourceBytes = await gzipInto(pack, sink, ctx);
    const details: Record<string, DetailValue> = {
      paths: safeText(paths.join(', ')),
      entries,
      sourceBytes,
      skipped: skipped.length,
    };
    if (skipped.length) details.firstSkipped = safeText(skipped[0]!.slice(0, 200));
    return { extension: '.tar.gz', details };
  },

  verify(file, _target, ctx) {
    return verifyTarGz(file, ctx.signal);
  },
};
