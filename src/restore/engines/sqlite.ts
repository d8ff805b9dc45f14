/**
 * `sqlite` restore: the backup (`.db.gz`) is gunzipped into a temp file NEXT TO the target (same
 * directory, same filesystem), its integrity_check must say ok, it gets the original's owner and
 * mode, stale `-wal`/`-shm`/`-journal` files go (a stale WAL replayed onto the new file would corrupt
 * it), and a rename(2) puts it in place — the file is the old one or the new one, never half.
 *
 * A file inside a container is reached like the backup engine reaches it: through the host side of
 * its volume or bind mount when this host can write there (local engine; works while the container is
 * stopped), else inside the running container (temp file put through the archive API with owner and
 * mode, then `rm -f` and `mv -f` there, no shell).
 *
 * Drill: a throwaway container of the source container's image (a host file: busybox), the file
 * restored into its /tmp and checked there with the image's sqlite3 — or, for an image without
 * sqlite3, read back out and checked with opsdeck's own SQLite (the message says which).
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { BackupTargetOf } from '../../../config/schema.js';
import { containerPathStat, engineIsLocal, extractSingleFile, getArchive, gunzipTo, imageOf, run, tmpName } from '../../backup/engines/common.js';
import { hostPathOf } from '../../backup/engines/sqlite.js';
import type { EngineContext, TargetDef } from '../../backup/types.js';
import { oneLine } from '../../checks/kinds/util.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import { runSqliteWorker } from '../../sqlite/worker.js';
import type { StoredBackup } from '../../store/backups.js';
import { RestoreRefused, type Compatibility, type DrillResult, type Probe, type RestoreContext, type RestoreEngine } from '../types.js';
import { busyboxImage, inspectOrNull, ownerInContainer, putFile, sourceImage, tablesLine, withDrillContainer, type Owner, probeFailed, drillFailed } from './common.js';

type SqliteSpec = BackupTargetOf<'sqlite'>['sqlite'];

function specOf(target: TargetDef): SqliteSpec {
  if (target.spec.kind !== 'sqlite') throw new Error(`target ${target.id} is not a sqlite target`);
  return target.spec.sqlite;
}

// --- checking a database file ---------------------------------------------------------------------

export interface Inspection {
  /** integrity_check's rows ("ok" alone when sound). */
  integrity: string[];
  counts: Record<string, number>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
try {
  const Database = require(workerData.module);
  db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: 10000 });
  const integrity = db.pragma('integrity_check(20)').map((r) => String(Object.values(r)[0]));
  const counts = {};
  if (integrity.length === 1 && integrity[0] === 'ok') {
    const names = db.prepare(${JSON.stringify(tablesSql())}).all().map((r) => r.name);
    for (const n of names) counts[n] = Number(db.prepare('SELECT count(*) AS n FROM "' + n.replace(/"/g, '""') + '"').get().n);
  }
  parentPort.postMessage({ ok: true, integrity, counts });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String((e && e.message) || e) });
} finally {
  try { if (db) db.close(); } catch {}
}
`;

/** User tables (not sqlite_*, not virtual: their module may be missing), in name order. */
function tablesSql(): string {
  return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name";
}

/** integrity_check and row counts of a file on this host, read-only, in a worker thread. */
export async function inspectHostFile(path: string, signal: AbortSignal): Promise<Inspection> {
  const reply = await runSqliteWorker<{ ok: true; integrity: string[]; counts: Record<string, number> } | { ok: false; message: string }>(WORKER_SOURCE, { path }, signal);
  if (!reply.ok) throw new Error(`cannot open ${safeText(path)} as SQLite: ${oneLine(reply.message, 200)}`);
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(reply.counts)) counts[safeText(k)] = v;
  return { integrity: reply.integrity.map((r) => r.trim()).filter(Boolean), counts };
}

/** `"a""b"` */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** One statement counting every table: `SELECT 'hex', (SELECT count(*) FROM "t") UNION ALL …`. */
export function countSql(names: string[]): string {
  return names.map((n) => `SELECT '${Buffer.from(n, 'utf8').toString('hex')}', (SELECT count(*) FROM ${quoteIdent(n)})`).join(' UNION ALL ') + ';';
}

/** `hex|count` lines → counts. */
export function parseCountLines(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]*)\|(\d+)$/.exec(line.trim());
    if (m) counts[safeText(Buffer.from(m[1]!, 'hex').toString('utf8'))] = Number(m[2]);
  }
  return counts;
}

/** integrity_check and row counts with the container's own sqlite3 (read-only). */
export async function inspectWithCli(ctx: Pick<EngineContext, 'docker' | 'signal'>, container: string, path: string): Promise<Inspection> {
  const cli = async (sql: string): Promise<string> => {
    const r = await run(ctx, container, ['sqlite3', '-readonly', '-bail', '-cmd', '.timeout 10000', path, sql], { timeoutMs: 10 * 60_000 });
    if (r.exitCode !== 0) throw new Error(`sqlite3 failed (exit ${r.exitCode ?? '?'}): ${oneLine(r.stderr || r.stdout, 200) || 'no message'}`);
    return r.stdout;
  };
  const integrity = (await cli('PRAGMA integrity_check(20);')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (!(integrity.length === 1 && integrity[0] === 'ok')) return { integrity, counts: {} };
  const names = (await cli(tablesSql().replace('SELECT name', 'SELECT hex(name)') + ';'))
    .split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((h) => Buffer.from(h, 'hex').toString('utf8'));
  const counts = names.length ? parseCountLines(await cli(countSql(names))) : {};
  return { integrity, counts };
}

function integrityOk(i: Inspection): boolean {
  return i.integrity.length === 1 && i.integrity[0] === 'ok';
}

function integrityLine(i: Inspection): string {
  if (integrityOk(i)) return `integrity_check ok, ${tablesLine(i.counts)}`;
  return `integrity_check: ${oneLine(i.integrity[0] ?? 'no answer', 160)}${i.integrity.length > 1 ? ` (+${i.integrity.length - 1} more)` : ''}`;
}

// --- restoring --------------------------------------------------------------------------------------

const SIDE_FILES = ['-wal', '-shm', '-journal'];

/** fsync of a directory (the rename is then durable); best effort where the platform refuses. */
async function syncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r').catch(() => null);
  if (!h) return;
  try {
    await h.sync().catch(() => undefined);
  } finally {
    await h.close();
  }
}

/** Gunzip next to `path`, check, owner/mode of the original, remove stale side files, rename. */
async function restoreHostFile(backup: StoredBackup, target: string, ctx: RestoreContext): Promise<string> {
  // A symlink to the database: the file it points to is replaced, the link stays.
  const path = await fsp.realpath(target).catch(() => target);
  const dir = dirname(path);
  const original = await fsp.stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  const dirStat = await fsp.stat(dir).catch(() => null);
  if (!dirStat?.isDirectory()) throw new Error(`no such directory: ${safeText(dir)}`);
  const tmp = join(dir, `.${basename(path)}.${tmpName('opsdeck-restore')}`);
  try {
    try {
      await gunzipTo(backup.file, tmp, ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new Error(`gunzip of the backup into ${safeText(dir)} failed: ${oneLine((e as Error).message, 200)}`);
    }
    const h = await fsp.open(tmp, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    const check = await inspectHostFile(tmp, ctx.signal);
    await removeSideFiles(tmp);
    if (!integrityOk(check)) throw new Error(`the restored copy fails its check: ${integrityLine(check)}`);
    ctx.log(`temp copy checked: ${integrityLine(check)}`);
    const owner = original ?? dirStat;
    try {
      await fsp.chown(tmp, owner.uid, owner.gid);
    } catch (e) {
      if (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.()) {
        throw new Error(`cannot give the restored file the owner ${owner.uid}:${owner.gid} of ${safeText(path)}: ${(e as Error).message}`);
      }
    }
    await fsp.chmod(tmp, original ? original.mode & 0o7777 : 0o644);
    // The stale WAL (or hot journal) first: replayed onto the new file it would corrupt it.
    const removed = await removeSideFiles(path);
    await fsp.rename(tmp, path);
    await syncDir(dir);
    return `${integrityLine(check)}; replaced ${safeText(basename(path))} atomically${removed.length ? ` (removed stale ${removed.join(', ')})` : ''}`;
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    await removeSideFiles(tmp).catch(() => undefined);
  }
}

async function removeSideFiles(path: string): Promise<string[]> {
  const removed: string[] = [];
  for (const s of SIDE_FILES) {
    try {
      await fsp.unlink(`${path}${s}`);
      removed.push(s);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return removed;
}

/** The host path of the container's file when this host can write to its directory; else undefined. */
async function writableHostPath(ctx: EngineContext, container: string, path: string): Promise<string | undefined> {
  if (!engineIsLocal(ctx.docker)) return undefined;
  const info = await inspectOrNull(ctx.docker, container);
  const onHost = info ? hostPathOf(info.Mounts, path) : undefined;
  if (!onHost) return undefined;
  try {
    await fsp.access(dirname(onHost), fsp.constants.W_OK);
    return onHost;
  } catch {
    return undefined;
  }
}

async function restoreInContainer(backup: StoredBackup, container: string, path: string, ctx: RestoreContext): Promise<string> {
  const plain = join(ctx.tmpDir, tmpName('sqlite-restore', '.db'));
  const dir = posix.dirname(path);
  const tmpBase = `.${posix.basename(path)}.${tmpName('opsdeck-restore')}`;
  let put: string | undefined;
  try {
    await gunzipTo(backup.file, plain, ctx.signal);
    const check = await inspectHostFile(plain, ctx.signal);
    await removeSideFiles(plain);
    if (!integrityOk(check)) throw new Error(`the backup fails its check: ${integrityLine(check)}`);
    const owner: Owner = (await ownerInContainer(ctx.docker, container, path, ctx.signal))
      ?? { ...((await ownerInContainer(ctx.docker, container, dir, ctx.signal)) ?? { uid: 0, gid: 0 }), mode: 0o644 };
    put = await putFile(ctx.docker, container, plain, dir, tmpBase, owner, ctx);
    ctx.log(`temp copy ${safeText(put)} in ${safeText(container)}: ${integrityLine(check)}`);
    const ok = async (argv: string[]) => {
      const r = await run(ctx, container, argv, { timeoutMs: 60_000 });
      if (r.exitCode !== 0) throw new Error(`${argv[0]} in ${safeText(container)} failed (exit ${r.exitCode ?? '?'}): ${oneLine(r.stderr || r.stdout, 200)}`);
    };
    await ok(['rm', '-f', '--', ...SIDE_FILES.map((s) => `${path}${s}`)]);
    await ok(['mv', '-f', '--', put, path]);
    put = undefined;
    return `${integrityLine(check)}; replaced ${safeText(path)} in ${safeText(container)} atomically`;
  } finally {
    await fsp.rm(plain, { force: true }).catch(() => undefined);
    if (put) await run({ docker: ctx.docker, signal: AbortSignal.timeout(15_000) }, container, ['rm', '-f', '--', put]).catch(() => undefined);
  }
}

// --- drill -------------------------------------------------------------------------------------------

async function drillIn(backup: StoredBackup, image: string, ctx: RestoreContext, started: number): Promise<DrillResult> {
  const plain = join(ctx.tmpDir, tmpName('sqlite-drill', '.db'));
  try {
    try {
      await gunzipTo(backup.file, plain, ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new Error(`gunzip failed: ${oneLine((e as Error).message, 200)}`);
    }
    return await withDrillContainer(ctx.docker, { kind: 'sqlite', image, entrypoint: ['tail'], cmd: ['-f', '/dev/null'] }, ctx.signal, async (c) => {
      ctx.log(`drill container ${c.name} (${safeText(image)}) started`);
      const inside = await putFile(ctx.docker, c.id, plain, '/tmp', 'opsdeck-drill.db', { uid: 0, gid: 0, mode: 0o644 }, ctx);
      let check: Inspection;
      let how: string;
      try {
        check = await inspectWithCli(ctx, c.id, inside);
        how = "the image's sqlite3";
      } catch (e) {
        if (!/^no sqlite3 in container/.test((e as Error).message)) throw e;
        // No sqlite3 in this image: the restored file comes back out and opsdeck's SQLite checks it.
        const back = join(ctx.tmpDir, tmpName('sqlite-drill-back', '.db'));
        const out = await fsp.open(back, 'wx', 0o600);
        try {
          const ws = out.createWriteStream();
          await extractSingleFile(await getArchive(ctx.docker, c.id, inside, ctx.signal), ws, ctx.signal);
          await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
          check = await inspectHostFile(back, ctx.signal);
          how = "opsdeck's SQLite (no sqlite3 in the image)";
        } finally {
          await out.close().catch(() => undefined);
          await fsp.rm(back, { force: true });
          await removeSideFiles(back).catch(() => undefined);
        }
      }
      const ok = integrityOk(check);
      return {
        ok,
        message: `${ok ? 'restored into' : 'drill failed in'} ${c.name} (${safeText(image)}): ${integrityLine(check)} (checked with ${how})`,
        image,
        counts: check.counts,
        durationMs: Date.now() - started,
      };
    });
  } finally {
    await fsp.rm(plain, { force: true }).catch(() => undefined);
    await removeSideFiles(plain).catch(() => undefined);
  }
}

export const sqliteRestore: RestoreEngine = {
  kind: 'sqlite',

  async compatibility(_backup, target, ctx): Promise<Compatibility> {
    const spec = specOf(target);
    if (spec.container === undefined) {
      const st = await fsp.stat(spec.path).catch(() => null);
      const dir = await fsp.stat(dirname(spec.path)).catch(() => null);
      if (!dir?.isDirectory()) throw new RestoreRefused(`the directory of ${safeText(spec.path)} does not exist`);
      return {
        lines: [st ? `SQLite file ${safeText(spec.path)}: ${formatBytes(st.size)} now` : `SQLite file ${safeText(spec.path)} does not exist yet (it will be created)`],
        currentSizeBytes: st?.size ?? 0,
      };
    }
    const info = await inspectOrNull(ctx.docker, spec.container);
    if (!info) throw new RestoreRefused(`the target's container ${safeText(spec.container)} does not exist`);
    const onHost = await writableHostPath(ctx, spec.container, spec.path);
    if (!onHost && !info.State?.Running) {
      throw new RestoreRefused(`${safeText(spec.path)} is not on a volume or bind mount writable from this host, and container ${safeText(spec.container)} is not running (start it, so the file can be replaced inside it)`);
    }
    const st = onHost ? await fsp.stat(onHost).catch(() => null) : null;
    let size = st?.size ?? null;
    if (size === null && info.State?.Running) {
      size = (await containerPathStat(ctx.docker, spec.container, spec.path, ctx.signal))?.size ?? null;
    }
    return {
      lines: [`SQLite file ${safeText(spec.path)} in ${safeText(spec.container)} (${imageOf(info)}): ${formatBytes(size)} now; replaced ${onHost ? `through the host path ${safeText(onHost)}` : 'inside the container'}`],
      currentSizeBytes: size,
    };
  },

  async restore(backup, target, ctx): Promise<string> {
    const spec = specOf(target);
    if (spec.container === undefined) return restoreHostFile(backup, spec.path, ctx);
    const onHost = await writableHostPath(ctx, spec.container, spec.path);
    if (onHost) {
      ctx.log(`${safeText(spec.path)} is ${safeText(onHost)} on this host`);
      return restoreHostFile(backup, onHost, ctx);
    }
    const info = await inspectOrNull(ctx.docker, spec.container);
    if (!info) throw new Error(`no container ${safeText(spec.container)}`);
    if (!info.State?.Running) throw new Error(`${safeText(spec.path)} is not on a mount writable from this host, and container ${safeText(spec.container)} is not running`);
    return restoreInContainer(backup, spec.container, spec.path, ctx);
  },

  async probe(target, ctx): Promise<Probe> {
    const spec = specOf(target);
    try {
      let check: Inspection;
      if (spec.container === undefined) check = await inspectHostFile(spec.path, ctx.signal);
      else {
        const info = await inspectOrNull(ctx.docker, spec.container);
        const onHost = info && engineIsLocal(ctx.docker) ? hostPathOf(info.Mounts, spec.path) : undefined;
        const readable = onHost ? await fsp.access(onHost).then(() => true, () => false) : false;
        if (onHost && readable) check = await inspectHostFile(onHost, ctx.signal);
        else if (info?.State?.Running) check = await inspectWithCli(ctx, spec.container, spec.path);
        else throw new Error(info ? `container ${safeText(spec.container)} is not running and the file is not reachable from this host` : `no container ${safeText(spec.container)}`);
      }
      return { ok: integrityOk(check), message: integrityLine(check), counts: check.counts };
    } catch (e) {
      return probeFailed(e, ctx.signal);
    }
  },

  async drill(backup, target, ctx): Promise<DrillResult> {
    const started = Date.now();
    let image: string | null = null;
    try {
      const spec = specOf(target);
      image = spec.container !== undefined ? await sourceImage(ctx.docker, spec.container, backup.details.image) : await busyboxImage(ctx.docker);
      return await drillIn(backup, image, ctx, started);
    } catch (e) {
      return drillFailed(e, ctx.signal, image, started);
    }
  },
};
