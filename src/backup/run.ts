/**
 * One backup of one target, in the order the runbooks want it: stale partials of an earlier crash
 * removed → enough free space (estimate × 1.1) → a `running` history row → the engine's stream through
 * the writer (hashed, fsynced, renamed) → `ok` → verified (sha256 of the file, then the engine's own
 * proof) → retention for the target. Each phase is a function of its own so the action
 * (actions/backup.ts) can run them as the runner's steps; runBackup chains them for callers without a
 * runner (tests, maintenance tasks). Locking is the caller's: every function here that writes assumes
 * the target's lock (`backupLockKey`) is held.
 *
 * Files live in `<dir>/<fileSafeId(target)>/<id><ext>`: one directory per target, so removing stale
 * partials under the target's lock never touches another target's backup in progress.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DockerReader } from '../docker/client.js';
import { formatBytes } from '../format.js';
import {
  finishFailed, finishOk, insertRunning, listBackups, markDeleted, reconcileInterrupted, setVerified, uniqueBackupId,
  type StoredBackup,
} from '../store/backups.js';
import type { DB } from '../store/db.js';
import { fileSafeId } from './discover.js';
import { ENGINES } from './engines/index.js';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './retention.js';
import type { BackupEngine, DetailValue, EngineContext, TargetDef, VerifyResult } from './types.js';
import { findPartials, freeBytes, removeStalePartials, writeBackup, type PartialFile } from './writer.js';

/** What every phase needs. */
export interface BackupDeps {
  docker: DockerReader;
  db: DB;
  /** The backups root: config.backups.dir ?? defaultBackupDir(env). */
  dir: string;
  now?: () => number;
}

/** Free space wanted on top of the estimate. */
export const SPACE_MARGIN = 1.1;

export class InsufficientSpaceError extends Error {
  constructor(readonly space: SpaceCheck) {
    super(space.message);
    this.name = 'InsufficientSpaceError';
  }
}

/** A failed run: the error as recorded, with the history row (when one was written). */
export class BackupFailedError extends Error {
  constructor(message: string, readonly record: StoredBackup | null) {
    super(message);
    this.name = 'BackupFailedError';
  }
}

export function engineOf(kind: TargetDef['kind']): BackupEngine {
  const engine = (ENGINES as Partial<Record<TargetDef['kind'], BackupEngine>>)[kind];
  if (!engine) throw new Error(`no backup engine for ${kind} targets yet`);
  return engine;
}

/** Where a target's files go. */
export function targetDir(root: string, targetId: string): string {
  return join(root, fileSafeId(targetId));
}

/** `20261123T140000Z`. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Runs fn with a scratch directory (the engine's tmpDir), removed afterwards. */
export async function withScratch<T>(fn: (tmpDir: string) => Promise<T>): Promise<T> {
  const tmpDir = await fsp.mkdtemp(join(tmpdir(), 'opsdeck-backup-'));
  try {
    return await fn(tmpDir);
  } finally {
    await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

// --- partials ------------------------------------------------------------------------------------

/** Partials a crashed run of this target left (nothing removed: for the confirmation). */
export function stalePartials(root: string, targetId: string): Promise<PartialFile[]> {
  return findPartials(targetDir(root, targetId));
}

/**
 * Under the target's lock: removes its stale partials and turns its `running` rows (runs whose
 * process died) into failed "interrupted" ones. Both are reported.
 */
export async function cleanupPartials(deps: BackupDeps, targetId: string): Promise<{ partials: PartialFile[]; interrupted: StoredBackup[] }> {
  const interrupted = reconcileInterrupted(deps.db, { target: targetId, ownLock: true, at: now(deps) });
  const partials = await removeStalePartials(targetDir(deps.dir, targetId));
  return { partials, interrupted };
}

export function describeCleanup(c: { partials: PartialFile[]; interrupted: StoredBackup[] }): string {
  const parts: string[] = [];
  if (c.partials.length) {
    const bytes = c.partials.reduce((n, p) => n + p.sizeBytes, 0);
    parts.push(`removed ${c.partials.length} partial file${c.partials.length === 1 ? '' : 's'} of an interrupted run (${formatBytes(bytes)}): ${c.partials.map((p) => basename(p.file)).join(', ')}`);
  }
  if (c.interrupted.length) parts.push(`marked ${c.interrupted.length} interrupted run${c.interrupted.length === 1 ? '' : 's'} failed: ${c.interrupted.map((r) => r.id).join(', ')}`);
  return parts.length ? parts.join('; ') : 'none found';
}

// --- space ---------------------------------------------------------------------------------------

export interface SpaceCheck {
  /** The engine's estimate in bytes; null when it cannot tell (then the check passes). */
  estimate: number | null;
  /** estimate × SPACE_MARGIN. */
  needed: number | null;
  /** Free bytes where the file goes, plus `reclaimable`. */
  free: number;
  /** Bytes of stale partials that the run removes first. */
  reclaimable: number;
  ok: boolean;
  /** "needs about 12 MiB (estimate 11 MiB + 10 %), 2.0 GiB free in /var/backups/opsdeck". */
  message: string;
}

/** Estimate × 1.1 against the free space of the target's directory (stale partials count as free). */
export async function checkSpace(deps: BackupDeps, target: TargetDef, opts: { signal: AbortSignal; reclaimable?: number }): Promise<SpaceCheck> {
  const engine = engineOf(target.kind);
  const dir = targetDir(deps.dir, target.id);
  const estimate = await withScratch((tmpDir) => engine.estimate(target, { docker: deps.docker, signal: opts.signal, tmpDir }));
  const reclaimable = opts.reclaimable ?? 0;
  const free = (await freeBytes(dir)) + reclaimable;
  const needed = estimate === null ? null : Math.ceil(estimate * SPACE_MARGIN);
  const ok = needed === null || needed <= free;
  const where = `${formatBytes(free)} free in ${deps.dir}${reclaimable ? ` (counting ${formatBytes(reclaimable)} of stale partials)` : ''}`;
  const message = needed === null
    ? `size unknown in advance; ${where}`
    : ok
      ? `needs about ${formatBytes(needed)} (estimate ${formatBytes(estimate)} + 10 %), ${where}`
      : `not enough free space: needs about ${formatBytes(needed)} (estimate ${formatBytes(estimate)} + 10 %; ${needed} bytes), only ${where} (${free} bytes)`;
  return { estimate, needed, free, reclaimable, ok, message };
}

// --- dump ----------------------------------------------------------------------------------------

export interface DumpProgress {
  /** Bytes written to the file so far (after compression). */
  written: number;
  /** Bytes the engine produced so far (before compression), when it says. */
  produced?: number;
  /** The estimate, for a fraction. */
  estimate: number | null;
}

/**
 * Under the target's lock: a `running` row, the engine's stream into the writer, then `ok` with size,
 * sha256 and details. On any failure the row becomes `failed` with the error (the writer has removed
 * the partial) and BackupFailedError is thrown carrying it.
 */
export async function dumpBackup(
  deps: BackupDeps,
  target: TargetDef,
  opts: { signal: AbortSignal; onProgress?: (p: DumpProgress) => void; estimate?: number | null; details?: Record<string, DetailValue> },
): Promise<StoredBackup> {
  const engine = engineOf(target.kind);
  const dir = targetDir(deps.dir, target.id);
  const startedAt = now(deps);
  const extension = engine.extension(target);
  const id = uniqueBackupId(deps.db, `${fileSafeId(target.id)}-${stamp(startedAt)}`);
  const file = join(dir, `${id}${extension}`);
  const running = insertRunning(deps.db, { id, target: target.id, kind: target.kind, file, startedAt, endpoint: deps.docker.endpoint.name ?? null });
  const estimate = opts.estimate ?? null;
  let produced: number | undefined;
  let written = 0;
  const report = () => opts.onProgress?.({ written, produced, estimate });
  try {
    const out = await withScratch((tmpDir) =>
      writeBackup(
        dir,
        id,
        extension,
        (sink, signal) => {
          const ctx: EngineContext = { docker: deps.docker, signal, tmpDir, onProgress: (n) => { produced = n; report(); } };
          return engine.run(target, sink, ctx);
        },
        { signal: opts.signal, onWritten: (n) => { written = n; report(); } },
      ),
    );
    return finishOk(deps.db, id, { finishedAt: now(deps), sizeBytes: out.sizeBytes, sha256: out.sha256, details: { ...out.result.details, ...opts.details }, file: out.file });
  } catch (e) {
    const message = describeFailure(e);
    const failed = finishFailed(deps.db, running.id, { finishedAt: now(deps), error: message });
    throw new BackupFailedError(message, failed);
  }
}

/** One line for the history: the writer's "disk full while writing …", an abort's reason, the rest as is. */
function describeFailure(e: unknown): string {
  const err = e as (Error & { code?: string }) | undefined;
  const text = (err?.message ?? String(e)).split('\n')[0]!.trim();
  if (err?.name === 'AbortError' && !/interrupt|abort|cancel/i.test(text)) return `interrupted: ${text}`;
  return text || 'failed without a message';
}

// --- verify --------------------------------------------------------------------------------------

/** sha256 of a file, streamed. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A proof that could not run (the container is down, no pg_restore anywhere, the target is gone) says
 * nothing about the file. Engines word it "cannot verify: …" (the VerifyResult contract has no flag).
 */
export function isInconclusive(r: VerifyResult): boolean {
  return !r.ok && /^cannot verify\b/.test(r.message);
}

/**
 * Proves a backup: the file exists with the recorded sha256, then the engine's verify (pg_restore
 * --list, integrity_check, redis-check-rdb, tar listing); the first failing proof is the message.
 * The outcome is recorded (setVerified) unless `record: false` or it is inconclusive: a database that
 * is down for a moment must not turn its backups into failed ones (`recorded` says which).
 */
export async function verifyBackup(
  deps: BackupDeps,
  backup: StoredBackup,
  target: TargetDef | null,
  opts: { signal: AbortSignal; record?: boolean },
): Promise<{ result: VerifyResult; backup: StoredBackup; recorded: boolean }> {
  const result = await proveBackup(deps, backup, target, opts.signal);
  if (opts.record === false || isInconclusive(result)) return { result, backup, recorded: false };
  return { result, backup: setVerified(deps.db, backup.id, { ok: result.ok, message: result.message, at: now(deps) }), recorded: true };
}

async function proveBackup(deps: BackupDeps, backup: StoredBackup, target: TargetDef | null, signal: AbortSignal): Promise<VerifyResult> {
  if (backup.status !== 'ok') return { ok: false, message: `the run did not finish (${backup.status}${backup.error ? `: ${backup.error}` : ''}); there is no file to verify` };
  if (backup.deletedAt !== null) return { ok: false, message: `the file was removed by retention on ${new Date(backup.deletedAt).toISOString()}` };
  let size: number;
  try {
    size = (await fsp.stat(backup.file)).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'ENOENT' ? `the file is missing: ${backup.file}` : `cannot read ${backup.file}: ${(e as Error).message}` };
  }
  if (backup.sizeBytes !== null && size !== backup.sizeBytes) {
    return { ok: false, message: `size mismatch: the file has ${size} bytes, the backup wrote ${backup.sizeBytes}` };
  }
  const actual = await sha256File(backup.file, signal);
  if (backup.sha256 && actual !== backup.sha256) {
    return { ok: false, message: `sha256 mismatch: the file is ${actual.slice(0, 12)}…, the backup wrote ${backup.sha256.slice(0, 12)}… (the file changed or is corrupt)` };
  }
  if (!target) return { ok: false, message: `cannot verify: sha256 ok, but target ${backup.target} is no longer configured or discovered, so its ${backup.kind} check cannot run` };
  const engine = engineOf(target.kind);
  const res = await withScratch((tmpDir) => engine.verify(backup.file, target, { docker: deps.docker, signal, tmpDir }));
  return { ok: res.ok, message: res.ok ? `sha256 ok; ${res.message}` : isInconclusive(res) ? `${res.message} (sha256 ok)` : res.message };
}

// --- retention -----------------------------------------------------------------------------------

export interface AppliedRetention {
  plan: RetentionPlan;
  /** Backups whose file was deleted (rows now marked deleted), as they were. */
  removed: StoredBackup[];
  /** Files that could not be deleted: left in the history, with the reason. */
  errors: { id: string; error: string }[];
}

/** The plan for a target's current history (deleted backups are out of it already). */
export function retentionPlan(db: DB, targetId: string, policy: RetentionPolicy, opts: { utc?: boolean } = {}): { plan: RetentionPlan; backups: Map<string, StoredBackup> } {
  const backups = listBackups(db, { target: targetId });
  return { plan: planRetention(backups, policy, opts), backups: new Map(backups.map((b) => [b.id, b])) };
}

/**
 * Under the target's lock: deletes what the policy removes (files, then the rows marked deleted).
 * `only`: delete no more than these ids (what an operator confirmed); a fresh plan decides the rest.
 */
export async function applyRetention(
  deps: BackupDeps,
  targetId: string,
  policy: RetentionPolicy,
  opts: { only?: ReadonlySet<string>; utc?: boolean } = {},
): Promise<AppliedRetention> {
  const { plan, backups } = retentionPlan(deps.db, targetId, policy, { utc: opts.utc });
  const removed: StoredBackup[] = [];
  const errors: { id: string; error: string }[] = [];
  for (const d of plan.remove) {
    if (opts.only && !opts.only.has(d.id)) continue;
    const b = backups.get(d.id)!;
    if (b.status === 'ok') {
      // A row pointing at a file that is not its own is not followed (a hand-edited store).
      if (!basename(b.file).startsWith(b.id)) {
        errors.push({ id: b.id, error: `refusing to delete ${b.file}: not a file of backup ${b.id}` });
        continue;
      }
      try {
        await fsp.unlink(b.file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          errors.push({ id: b.id, error: `cannot delete ${b.file}: ${(e as Error).message}` });
          continue;
        }
      }
    }
    markDeleted(deps.db, b.id, now(deps));
    removed.push(b);
  }
  return { plan, removed, errors };
}

export function describeRetention(r: AppliedRetention): string {
  const files = r.removed;
  const bytes = files.reduce((n, b) => n + (b.sizeBytes ?? 0), 0);
  // Failed runs are history, not backups: not counted as kept.
  const parts = [`kept ${r.plan.keep.filter((d) => !d.reasons[0]?.startsWith('failed run')).length}`];
  parts.push(files.length ? `deleted ${files.length} (${formatBytes(bytes)}): ${files.map((b) => b.id).join(', ')}` : 'deleted none');
  if (r.errors.length) parts.push(`could not delete: ${r.errors.map((e) => e.error).join('; ')}`);
  return parts.join(', ');
}

// --- all of it -----------------------------------------------------------------------------------

export interface BackupRun {
  backup: StoredBackup;
  cleanup: { partials: PartialFile[]; interrupted: StoredBackup[] };
  space: SpaceCheck;
  verification: VerifyResult;
  /** null when no policy was given or it was refused (then `retentionSkipped` says why). */
  retention: AppliedRetention | null;
  retentionSkipped?: string;
}

/**
 * The whole backup without the runner (the caller holds the target's lock). Throws
 * InsufficientSpaceError before anything is written, BackupFailedError after (the row says why).
 * A failed verification is not thrown: `verification.ok` is false and retention is not applied.
 */
export async function runBackup(
  target: TargetDef,
  opts: BackupDeps & { signal: AbortSignal; onProgress?: (p: DumpProgress) => void; retention?: RetentionPolicy },
): Promise<BackupRun> {
  const cleanup = await cleanupPartials(opts, target.id);
  const space = await checkSpace(opts, target, { signal: opts.signal });
  if (!space.ok) throw new InsufficientSpaceError(space);
  const dumped = await dumpBackup(opts, target, { signal: opts.signal, onProgress: opts.onProgress, estimate: space.estimate });
  const { result: verification, backup } = await verifyBackup(opts, dumped, target, { signal: opts.signal });
  let retention: AppliedRetention | null = null;
  let retentionSkipped: string | undefined;
  if (!verification.ok) retentionSkipped = 'the new backup failed verification';
  else if (!opts.retention) retentionSkipped = 'no retention policy given';
  else {
    try {
      retention = await applyRetention(opts, target.id, opts.retention);
    } catch (e) {
      retentionSkipped = (e as Error).message;
    }
  }
  return { backup, cleanup, space, verification, retention, ...(retentionSkipped ? { retentionSkipped } : {}) };
}

function now(deps: { now?: () => number }): number {
  return deps.now ? deps.now() : Date.now();
}
