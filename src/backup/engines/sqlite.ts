/**
 * `sqlite`: an online backup (SQLite's backup API: a consistent copy while writers carry on), gzipped
 * (`.db.gz`). A file on this host is copied by better-sqlite3 in a worker thread (a big database must
 * not stall the cockpit). A file inside a container is copied by the container's own `sqlite3`
 * (`.backup` into /tmp, fetched through the archive API, then removed); a container without sqlite3
 * is served from the host side of its volume or bind mount when that is readable here (local engine).
 * Verification: gunzip to scratch, PRAGMA integrity_check.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import type { BackupTargetOf } from '../../../config/schema.js';
import { oneLine } from '../../checks/kinds/util.js';
import { safeText } from '../../sanitize.js';
import { runSqliteWorker } from '../../sqlite/worker.js';
import type { BackupEngine, DetailValue, EngineContext, EngineOutput, TargetDef } from '../types.js';
import {
  containerPathStat, engineIsLocal, extractSingleFile, getArchive, gunzipTo, gzipInto, gzipThrough, imageOf, removeInContainer,
  run, runningContainer, stderrSummary, tmpName,
} from './common.js';
import { execStream } from './execStream.js';
import type Dockerode from 'dockerode';

type SqliteSpec = BackupTargetOf<'sqlite'>['sqlite'];

function specOf(target: TargetDef): SqliteSpec {
  if (target.spec.kind !== 'sqlite') throw new Error(`target ${target.id} is not a sqlite target`);
  return target.spec.sqlite;
}

// --- the worker ----------------------------------------------------------------------------------

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let db;
  try {
    const Database = require(workerData.module);
    if (workerData.op === 'backup') {
      db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: 10000 });
      const journal = String(db.pragma('journal_mode', { simple: true }));
      const version = String(db.prepare('SELECT sqlite_version() AS v').get().v);
      // After the first step, everything in one step: one read transaction, so writers elsewhere
      // cannot make the copy restart again and again.
      const r = await db.backup(workerData.dest, { progress: () => 0x7fffffff });
      parentPort.postMessage({ ok: true, journal, version, pages: r.totalPages });
    } else {
      db = new Database(workerData.path, { readonly: true, fileMustExist: true });
      const rows = db.pragma('integrity_check(20)').map((r) => String(Object.values(r)[0]));
      const tables = Number(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get().n);
      parentPort.postMessage({ ok: true, rows, tables });
    }
  } catch (e) {
    parentPort.postMessage({ ok: false, code: String((e && e.code) || ''), message: String((e && e.message) || e) });
  } finally {
    try { if (db) db.close(); } catch {}
  }
})();
`;

type WorkerReply =
  | { ok: true; journal?: string; version?: string; pages?: number; rows?: string[]; tables?: number }
  | { ok: false; code: string; message: string };

function inWorker(data: { op: 'backup'; path: string; dest: string } | { op: 'integrity'; path: string }, signal: AbortSignal): Promise<WorkerReply> {
  return runSqliteWorker<WorkerReply>(WORKER_SOURCE, data, signal);
}

// --- backup --------------------------------------------------------------------------------------

/** Online backup of a host file into scratch, then gzip into the sink. */
async function backupHostFile(path: string, sink: NodeJS.WritableStream, ctx: EngineContext, details: Record<string, DetailValue>): Promise<void> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no such file: ${safeText(path)}`);
    throw e;
  }
  if (!st.isFile()) throw new Error(`not a file: ${safeText(path)}`);
  const copy = join(ctx.tmpDir, tmpName('sqlite-backup', '.db'));
  try {
    const reply = await inWorker({ op: 'backup', path, dest: copy }, ctx.signal);
    if (!reply.ok) throw new Error(`SQLite backup of ${safeText(path)} failed: ${oneLine(reply.message, 200)}${reply.code ? ` (${reply.code})` : ''}`);
    details.sourceBytes = st.size;
    details.journalMode = reply.journal ?? null;
    details.sqliteVersion = reply.version ?? null;
    details.backupBytes = (await fsp.stat(copy)).size;
    await gzipInto(createReadStream(copy), sink, ctx);
  } finally {
    await fsp.rm(copy, { force: true });
  }
}

/** The host path of a container path, through the mount that holds it; undefined when none does. */
export function hostPathOf(mounts: Dockerode.ContainerInspectInfo['Mounts'] | undefined, path: string): string | undefined {
  let best: { dest: string; source: string } | undefined;
  for (const m of mounts ?? []) {
    const dest = m.Destination.replace(/\/+$/, '') || '/';
    const inside = dest === '/' ? path.startsWith('/') : path === dest || path.startsWith(`${dest}/`);
    if (!inside || !m.Source) continue;
    if (!best || dest.length > best.dest.length) best = { dest, source: m.Source };
  }
  if (!best) return undefined;
  const rest = best.dest === '/' ? path.slice(1) : path.slice(best.dest.length + 1);
  return rest ? posix.join(best.source, rest) : best.source;
}

async function backupInContainer(container: string, path: string, sink: NodeJS.WritableStream, ctx: EngineContext, details: Record<string, DetailValue>): Promise<void> {
  const { info } = await runningContainer(ctx.docker, container);
  details.container = safeText(container);
  details.image = imageOf(info);
  const st = await containerPathStat(ctx.docker, container, path, ctx.signal);
  if (!st) throw new Error(`no such file in container ${safeText(container)}: ${safeText(path)}`);
  details.sourceBytes = st.size;
  const tmp = `/tmp/${tmpName('opsdeck-backup', '.db')}`;
  try {
    // An open read transaction first: the copy is then one snapshot. Without it `.backup` copies 100
    // pages a step and starts over whenever another process writes in between (for ever, on a busy
    // database).
    const argv = ['sqlite3', '-bail', '-cmd', '.timeout 10000', '-cmd', 'BEGIN', '-cmd', 'SELECT count(*) FROM sqlite_master', path, `.backup '${tmp}'`];
    const r = await execStream(ctx.docker, container, argv, null, { signal: ctx.signal });
    if (r.exitCode === 126 || r.exitCode === 127) {
      // No sqlite3 in there: the file may still be reachable from this host through its mount.
      const onHost = engineIsLocal(ctx.docker) ? hostPathOf(info.Mounts, path) : undefined;
      const readable = onHost ? await fsp.access(onHost).then(() => true, () => false) : false;
      if (!onHost || !readable) {
        throw new Error(
          `no sqlite3 in container ${safeText(container)}, and ${safeText(path)} is not on a volume or bind mount readable from this host` +
            (onHost ? ` (${safeText(onHost)})` : ''),
        );
      }
      details.method = 'online backup API through the host side of the mount';
      details.hostPath = safeText(onHost);
      await backupHostFile(onHost, sink, ctx, details);
      return;
    }
    if (r.exitCode !== 0) throw new Error(`sqlite3 .backup failed (exit ${r.exitCode ?? '?'}): ${stderrSummary(r.stderr) || 'no message'}`);
    details.method = 'sqlite3 .backup in the container';
    const version = await run(ctx, container, ['sqlite3', '--version'], { timeoutMs: 30_000 }).catch(() => null);
    details.sqliteVersion = version?.exitCode === 0 ? safeText(version.stdout.trim().split(/\s/)[0] ?? '') || null : null;
    const archive = await getArchive(ctx.docker, container, tmp, ctx.signal);
    const got = await gzipThrough(sink, ctx, (input) => extractSingleFile(archive, input, ctx.signal));
    details.backupBytes = got.size;
  } finally {
    await removeInContainer(ctx.docker, container, tmp);
  }
}

export const sqliteEngine: BackupEngine = {
  kind: 'sqlite',
  extension: () => '.db.gz',

  async estimate(target, ctx) {
    const spec = specOf(target);
    if (spec.container === undefined) {
      const st = await fsp.stat(spec.path).catch(() => null);
      if (!st) throw new Error(`no such file: ${safeText(spec.path)}`);
      return st.size;
    }
    await runningContainer(ctx.docker, spec.container);
    const st = await containerPathStat(ctx.docker, spec.container, spec.path, ctx.signal);
    if (!st) throw new Error(`no such file in container ${safeText(spec.container)}: ${safeText(spec.path)}`);
    const wal = await containerPathStat(ctx.docker, spec.container, `${spec.path}-wal`, ctx.signal);
    return st.size + (wal?.size ?? 0);
  },

  async run(target, sink, ctx): Promise<EngineOutput> {
    const spec = specOf(target);
    const details: Record<string, DetailValue> = { path: safeText(spec.path) };
    if (spec.container === undefined) {
      details.method = 'online backup API';
      await backupHostFile(spec.path, sink, ctx, details);
    } else {
      await backupInContainer(spec.container, spec.path, sink, ctx, details);
    }
    return { extension: '.db.gz', details };
  },

  async verify(file, _target, ctx) {
    const plain = join(ctx.tmpDir, tmpName('sqlite-verify', '.db'));
    try {
      try {
        await gunzipTo(file, plain, ctx.signal);
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        return { ok: false, message: `gunzip failed: ${oneLine((e as Error).message, 200)}` };
      }
      const reply = await inWorker({ op: 'integrity', path: plain }, ctx.signal);
      if (!reply.ok) return { ok: false, message: `cannot open the backup as SQLite: ${oneLine(reply.message, 200)}` };
      const rows = (reply.rows ?? []).map((r) => r.trim()).filter(Boolean);
      if (rows.length === 1 && rows[0] === 'ok') return { ok: true, message: `integrity_check ok (${reply.tables ?? 0} tables)` };
      return { ok: false, message: `integrity_check: ${oneLine(rows[0] ?? 'no answer', 160)}${rows.length > 1 ? ` (+${rows.length - 1} more)` : ''}` };
    } finally {
      await fsp.rm(plain, { force: true });
    }
  },
};
