/**
 * `sqlite`: PRAGMA quick_check (integrity_check when the caller asks for the full check), file and
 * WAL sizes. A file on this host is opened read-only with better-sqlite3 in a worker thread (the
 * check can take seconds on a big database and must not stall the cockpit); a file inside a
 * container is checked by the container's own `sqlite3` (`docker exec`), sizes from the archive API.
 */
import { promises as fsp } from 'node:fs';
import type { CheckOf } from '../../../config/schema.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import { runSqliteWorker } from '../../sqlite/worker.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus, DetailValue } from '../types.js';
import { exec, execNotFound } from './exec.js';
import { containerProblem, dockerStatus, errorMessage, firstLine, oneLine } from './util.js';

/** Problems quick_check/integrity_check report at most. */
const MAX_ERRORS = 20;

/** The caller asks for the full PRAGMA integrity_check with `full: true` on the def or its spec. */
export function wantsFull(def: CheckDef): boolean {
  return Boolean((def as { full?: unknown }).full || (def.spec as { full?: unknown }).full);
}

/** The rows of quick_check / integrity_check → status; pure. "ok" alone is healthy. */
export function integrityStatus(rows: string[]): { status: CheckStatus; message: string } {
  const lines = rows.map((r) => r.trim()).filter(Boolean);
  if (lines.length === 1 && lines[0] === 'ok') return { status: 'ok', message: 'ok' };
  if (lines.length === 0) return { status: 'unknown', message: 'the integrity check returned nothing' };
  const shown = lines.filter((l) => !/^\*\*\* in database/.test(l));
  return { status: 'crit', message: `corrupt: ${oneLine(shown[0] ?? lines[0]!, 120)}${shown.length > 1 ? ` (+${shown.length - 1} more)` : ''}` };
}

/** SQLite errors that mean the file itself is damaged (or is no database at all). */
export function isCorruption(codeOrText: string): boolean {
  return /SQLITE_CORRUPT|SQLITE_NOTADB|malformed|not a database|corrupt/i.test(codeOrText);
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
try {
  const Database = require(workerData.module);
  db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: 2000 });
  const rows = db.pragma((workerData.full ? 'integrity_check(' : 'quick_check(') + workerData.max + ')');
  const journal = db.pragma('journal_mode', { simple: true });
  parentPort.postMessage({ ok: true, rows: rows.map((r) => String(Object.values(r)[0])), journal: String(journal) });
} catch (e) {
  parentPort.postMessage({ ok: false, code: String(e && e.code || ''), message: String(e && e.message || e) });
} finally {
  try { if (db) db.close(); } catch {}
}
`;

type WorkerReply = { ok: true; rows: string[]; journal: string } | { ok: false; code: string; message: string };

/** Runs the pragma in a worker thread; terminated on abort. */
function checkInWorker(path: string, full: boolean, signal: AbortSignal): Promise<WorkerReply> {
  return runSqliteWorker<WorkerReply>(WORKER_SOURCE, { path, full, max: MAX_ERRORS }, signal);
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await fsp.stat(path)).size;
  } catch {
    return null;
  }
}

function message(result: { status: CheckStatus; message: string }, full: boolean, size: number | null, wal: number | null): string {
  const what = full ? 'integrity_check' : 'quick_check';
  const sizes = `size ${formatBytes(size)}${wal !== null ? `, WAL ${formatBytes(wal)}` : ''}`;
  return result.status === 'ok' ? `${what} ok, ${sizes}` : `${what}: ${result.message}; ${sizes}`;
}

async function runOnHost(def: CheckDef, path: string, env: CheckEnv): Promise<CheckOutcome> {
  const full = wantsFull(def);
  const t0 = Date.now();
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'crit', message: `no such file: ${safeText(path)}`, latencyMs: null };
    return { status: 'unknown', message: `cannot read ${safeText(path)}: ${errorMessage(e)}`, latencyMs: null };
  }
  if (!st.isFile()) return { status: 'crit', message: `not a file: ${safeText(path)}`, latencyMs: null };
  const wal = await sizeOf(`${path}-wal`);
  const reply = await checkInWorker(path, full, env.signal);
  const latencyMs = Date.now() - t0;
  const details: Record<string, DetailValue> = { path: safeText(path), sizeBytes: st.size, walBytes: wal, check: full ? 'integrity_check' : 'quick_check' };
  if (!reply.ok) {
    const why = oneLine(`${reply.message}`, 160);
    details.error = reply.code || why;
    if (isCorruption(`${reply.code} ${reply.message}`)) return { status: 'crit', message: `corrupt: ${why}`, latencyMs, details };
    return { status: 'unknown', message: `cannot check ${safeText(path)}: ${why}`, latencyMs, details };
  }
  details.journalMode = reply.journal;
  details.problems = reply.rows.length === 1 && reply.rows[0] === 'ok' ? 0 : reply.rows.length;
  const result = integrityStatus(reply.rows);
  return { status: result.status, message: message(result, full, st.size, wal), latencyMs, details };
}

/** Size of a path inside a container from the archive API's stat header; null when it does not exist. */
async function containerFileSize(env: CheckEnv, container: string, path: string): Promise<number | null> {
  try {
    const res = (await env.docker.raw.getContainer(container).infoArchive({ path, abortSignal: env.signal })) as {
      headers?: Record<string, string | undefined>;
      destroy?: () => void;
    };
    // A HEAD answer with no body to read: close it, or its socket stays open.
    res.destroy?.();
    const header = res.headers?.['x-docker-container-path-stat'];
    if (!header) return null;
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size?: unknown };
    return typeof stat.size === 'number' ? stat.size : null;
  } catch (e) {
    if (dockerStatus(e) === 404) return null;
    throw e;
  }
}

async function runInContainer(def: CheckDef, container: string, path: string, env: CheckEnv): Promise<CheckOutcome> {
  const full = wantsFull(def);
  const t0 = Date.now();
  try {
    const info = await env.docker.inspectRaw(container);
    if (!info.State?.Running || info.State.Restarting) return { status: 'crit', message: `container ${safeText(container)} is not running`, latencyMs: null };
    const size = await containerFileSize(env, container, path);
    if (size === null) return { status: 'crit', message: `no such file in ${safeText(container)}: ${safeText(path)}`, latencyMs: null };
    const wal = await containerFileSize(env, container, `${path}-wal`);
    const pragma = `PRAGMA ${full ? 'integrity_check' : 'quick_check'}(${MAX_ERRORS});`;
    const r = await exec(env.docker, container, ['sqlite3', '-batch', '-readonly', path, pragma], { signal: env.signal, timeoutMs: def.timeoutMs });
    const latencyMs = Date.now() - t0;
    const details: Record<string, DetailValue> = { container: safeText(container), path: safeText(path), sizeBytes: size, walBytes: wal, check: full ? 'integrity_check' : 'quick_check' };
    if (execNotFound(r)) return { status: 'unknown', message: `no sqlite3 in container ${safeText(container)}`, latencyMs, details };
    if (r.exitCode !== 0) {
      const why = firstLine(r.stderr) || firstLine(r.stdout) || `sqlite3 exit ${r.exitCode ?? '?'}`;
      details.error = why;
      if (isCorruption(`${r.stderr} ${r.stdout}`)) return { status: 'crit', message: `corrupt: ${why}`, latencyMs, details };
      return { status: 'unknown', message: `cannot check ${safeText(path)}: ${why}`, latencyMs, details };
    }
    const rows = r.stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
    details.problems = rows.length === 1 && rows[0]!.trim() === 'ok' ? 0 : rows.length;
    const result = integrityStatus(rows);
    return { status: result.status, message: message(result, full, size, wal), latencyMs, details };
  } catch (e) {
    const problem = containerProblem(e, container);
    if (problem) return problem;
    throw e;
  }
}

export async function runSqlite(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'sqlite'>).sqlite;
  return spec.container !== undefined ? runInContainer(def, spec.container, spec.path, env) : runOnHost(def, spec.path, env);
}
