/**
 * Backups as runner actions, so the cockpit and the CLI share the lock (`backup:<target>`), the
 * confirmation text and the audit log:
 *
 * - `backup.run` mutates (writes a file, may delete old ones by retention) but is not destructive:
 *   its confirmation states target, kind, destination, estimated size and free space; nothing to type.
 *   Steps: clean up stale partial files → dump → verify → apply retention. A stale lock on the target
 *   (its holder is a dead process on this host: a backup killed with -9) is broken by the preflight
 *   and audited as `lock.break`, so an unattended nightly backup is not blocked forever by a crash.
 * - `backup.verify` does not mutate: it reads the file and asks the engine to prove it (in the
 *   container, on a copy); no lock, no confirmation, allowed read-only. Its outcome is recorded in the
 *   backup history (verified, when, message) — opsdeck's own bookkeeping, like check states — not in
 *   the audit log. A proof that could not run ("cannot verify: container … is not running") is not
 *   recorded: a database that is down must not turn its good backups into failed ones.
 * - `backup.prune` is destructive: it deletes backup files. The confirmation lists every file with its
 *   reason and the operator types the target's name.
 *
 * The store travels in the params (steps see only the Docker context); `state` collects what the
 * steps learn, for the result line, the audit record and the cockpit.
 */
import { basename } from 'node:path';
import { RetentionPolicyError, type RetentionPlan, type RetentionPolicy } from '../src/backup/retention.js';
import {
  applyRetention, cleanupPartials, checkSpace, describeCleanup, describeRetention, dumpBackup, InsufficientSpaceError, retentionPlan, SPACE_MARGIN,
  stalePartials, targetDir, verifyBackup, type AppliedRetention, type BackupDeps, type DumpProgress, type SpaceCheck,
} from '../src/backup/run.js';
import type { TargetDef, VerifyResult } from '../src/backup/types.js';
import type { PartialFile } from '../src/backup/writer.js';
import { freeBytes } from '../src/backup/writer.js';
import type { DockerReader } from '../src/docker/client.js';
import { formatAge, formatBytes } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import { backupLockKey, type StoredBackup } from '../src/store/backups.js';
import type { DB } from '../src/store/db.js';
import { breakStaleLock, type LockHolder } from '../src/store/locks.js';
import { PreflightError, type ActionDef, type Confirmation } from './types.js';

// --- shared --------------------------------------------------------------------------------------

/** One line about what a target is: "postgres database shop in container demo_db_1". */
export function describeTarget(t: TargetDef): string {
  const s = t.spec;
  const origin = t.source === 'discovered' ? ' (discovered)' : '';
  switch (s.kind) {
    case 'postgres': {
      const where = s.postgres.container ? `in container ${s.postgres.container}` : `at ${s.postgres.host}${s.postgres.port ? `:${s.postgres.port}` : ''}`;
      return `postgres database ${s.postgres.database}${s.postgres.user ? ` as ${s.postgres.user}` : ''} ${where}${origin}`;
    }
    case 'sqlite':
      return `SQLite file ${s.sqlite.path} ${s.sqlite.container ? `in container ${s.sqlite.container}` : 'on this host'}${origin}`;
    case 'redis': {
      let where = s.redis.container ? `in container ${s.redis.container}` : 'at ?';
      if (!s.redis.container && s.redis.url) {
        try { where = `at ${new URL(s.redis.url).host}`; } catch { /* keep ? */ }
      }
      return `redis ${where}${origin}`;
    }
    case 'mysql':
      return `MySQL ${s.mysql.database ? `database ${s.mysql.database}` : 'all databases'} in container ${s.mysql.container}${origin}`;
    case 'volume':
      return `Docker volume ${s.volume}${origin}`;
    case 'files':
      return `files on this host: ${s.files.join(', ')}${origin}`;
  }
}

export function describePolicy(p: RetentionPolicy | null): string {
  if (!p) return 'no retention policy';
  return `keep last ${p.keepLast}, daily ${p.keepDaily}, weekly ${p.keepWeekly}, monthly ${p.keepMonthly}`;
}

/**
 * A backup killed with -9 leaves its lock behind. The holder is provably gone (a dead pid on this
 * host), so the next backup of the target breaks it, audited like `opsdeck unlock`. A live holder, or
 * one on another host, is left alone (the runner then refuses, naming it).
 */
function breakStaleBackupLock(db: DB, targetId: string): LockHolder | null {
  return breakStaleLock(db, backupLockKey(targetId), 'its holder is no longer running; broken before a new backup');
}

const PROGRESS_EVERY_MS = 200;

// --- backup --------------------------------------------------------------------------------------

export interface BackupState {
  /** Stale partials seen by the preflight (removed by the first step). */
  partials?: PartialFile[];
  brokenLock?: LockHolder | null;
  space?: SpaceCheck;
  cleanup?: { partials: PartialFile[]; interrupted: StoredBackup[] };
  /** The finished backup (verified or not), or the failed run's row. */
  backup?: StoredBackup;
  verification?: VerifyResult;
  retention?: AppliedRetention | null;
  retentionSkipped?: string;
}

export interface BackupParams {
  target: TargetDef;
  /** The state store the runner audits to; the history lives there. */
  db: DB;
  /** The backups root: config.backups.dir ?? defaultBackupDir(env). */
  dir: string;
  /** config.backups.retention; null: none applied. */
  retention: RetentionPolicy | null;
  /** Filled in by the preflight and the steps. */
  state: BackupState;
  /** For tests: the clock of the history rows. */
  now?: () => number;
}

export function backupParams(p: Omit<BackupParams, 'state'>): BackupParams {
  return { ...p, state: {} };
}

const deps = (p: { db: DB; dir: string; now?: () => number }, docker: DockerReader): BackupDeps => ({ docker, db: p.db, dir: p.dir, ...(p.now ? { now: p.now } : {}) });

export const backupAction: ActionDef<BackupParams> = {
  id: 'backup.run',
  title: 'Backup',
  done: 'backed up',
  mutates: true,
  destructive: false,
  target: (p) => backupLockKey(p.target.id),
  auditParams(p) {
    const b = p.state.backup;
    return {
      target: p.target.id,
      kind: p.target.kind,
      ...(b ? { id: b.id, file: b.file, sizeBytes: b.sizeBytes, sha256: b.sha256 ? b.sha256.slice(0, 12) : null, verified: b.verified } : { dir: targetDir(p.dir, p.target.id) }),
      ...(p.state.space ? { estimateBytes: p.state.space.estimate, freeBytes: p.state.space.free } : {}),
      ...(p.state.cleanup?.partials.length ? { partialsRemoved: p.state.cleanup.partials.map((f) => basename(f.file)) } : {}),
      ...(p.state.retention?.removed.length ? { pruned: p.state.retention.removed.map((r) => r.id) } : {}),
      ...(p.state.brokenLock ? { brokeStaleLockOfPid: p.state.brokenLock.pid } : {}),
    };
  },
  async preflight(p, ctx) {
    p.state.brokenLock = breakStaleBackupLock(p.db, p.target.id);
    p.state.partials = await stalePartials(p.dir, p.target.id);
    const reclaimable = p.state.partials.reduce((n, f) => n + f.sizeBytes, 0);
    try {
      p.state.space = await checkSpace(deps(p, ctx.docker), p.target, { signal: AbortSignal.timeout(60_000), reclaimable });
    } catch (e) {
      throw new PreflightError(`cannot back up ${p.target.id}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!p.state.space.ok) throw new PreflightError(`refused to back up ${p.target.id}: ${p.state.space.message}`);
  },
  async confirmation(p): Promise<Confirmation> {
    const lines = [
      `Target ${p.target.id}: ${describeTarget(p.target)}.`,
      `Writes a ${p.target.kind} backup into ${targetDir(p.dir, p.target.id)}/ (file mode 0600), then verifies it.`,
      p.state.space ? `Size: ${p.state.space.message}.` : 'Size: unknown.',
    ];
    if (p.state.partials?.length) {
      lines.push(`First removes ${p.state.partials.length} stale partial file${p.state.partials.length === 1 ? '' : 's'} of an interrupted run: ${p.state.partials.map((f) => `${basename(f.file)} (${formatBytes(f.sizeBytes)})`).join(', ')}.`);
    }
    if (p.state.brokenLock) lines.push(`Broke the stale lock of pid ${p.state.brokenLock.pid} (${p.state.brokenLock.action} since ${p.state.brokenLock.startedAt}, no longer running).`);
    lines.push(p.retention ? `Afterwards applies retention (${describePolicy(p.retention)}); the newest verified backup is never deleted.` : 'No retention is applied afterwards.');
    return { title: `Back up ${p.target.id}?`, verb: 'back up', lines };
  },
  steps: (p) => [
    {
      id: 'cleanup',
      title: 'Clean up stale partial files',
      run: async (q, ctx) => {
        q.state.cleanup = await cleanupPartials(deps(q, ctx.docker), q.target.id);
        return describeCleanup(q.state.cleanup);
      },
    },
    {
      id: 'dump',
      title: `Dump ${p.target.kind}`,
      run: async (q, ctx) => {
        // The preflight's estimate against the space now (partials are gone, others may have written).
        const estimate = q.state.space?.estimate ?? null;
        if (estimate !== null) {
          const free = await freeBytes(targetDir(q.dir, q.target.id));
          const needed = Math.ceil(estimate * SPACE_MARGIN);
          if (needed > free) {
            throw new InsufficientSpaceError({ ...q.state.space!, free, reclaimable: 0, ok: false, message: `not enough free space: needs about ${formatBytes(needed)} (${needed} bytes), only ${formatBytes(free)} free in ${q.dir} (${free} bytes)` });
          }
        }
        let last = 0;
        const onProgress = (d: DumpProgress) => {
          const t = Date.now();
          if (t - last < PROGRESS_EVERY_MS) return;
          last = t;
          // "(N read)" only when the engine's bytes differ from the file's (it compresses, or buffers).
          const read = d.produced !== undefined && formatBytes(d.produced) !== formatBytes(d.written) ? ` (${formatBytes(d.produced)} read)` : '';
          ctx.progress({ bytes: d.written, message: `${formatBytes(d.written)} written${read}` });
        };
        try {
          q.state.backup = await dumpBackup(deps(q, ctx.docker), q.target, { signal: ctx.signal, onProgress, estimate });
        } catch (e) {
          const failed = (e as { record?: StoredBackup | null }).record;
          if (failed) q.state.backup = failed;
          throw e;
        }
        const b = q.state.backup;
        return `${basename(b.file)}, ${formatBytes(b.sizeBytes)}, sha256 ${b.sha256?.slice(0, 12) ?? '?'}`;
      },
    },
    {
      id: 'verify',
      title: 'Verify',
      run: async (q, ctx) => {
        const { result, backup, recorded } = await verifyBackup(deps(q, ctx.docker), q.state.backup!, q.target, { signal: ctx.signal });
        q.state.backup = backup;
        q.state.verification = result;
        // Unproven is not good: the run fails either way; only a real failure is recorded as one.
        if (!result.ok) throw new Error(recorded ? `the new backup failed verification: ${result.message}` : `the new backup could not be verified (it stays unverified): ${result.message}`);
        return result.message;
      },
    },
    {
      id: 'retention',
      title: 'Apply retention',
      run: async (q, ctx) => {
        if (!q.retention) {
          q.state.retention = null;
          q.state.retentionSkipped = 'no retention policy';
          return 'skipped: no retention policy';
        }
        try {
          q.state.retention = await applyRetention(deps(q, ctx.docker), q.target.id, q.retention);
        } catch (e) {
          if (!(e instanceof RetentionPolicyError)) throw e;
          q.state.retention = null;
          q.state.retentionSkipped = e.message;
          return `skipped: ${e.message}`;
        }
        return describeRetention(q.state.retention);
      },
    },
  ],
};

// --- verify --------------------------------------------------------------------------------------

export interface VerifyParams {
  backup: StoredBackup;
  /** Null when the target is no longer configured or discovered (only the checksum can be checked). */
  target: TargetDef | null;
  db: DB;
  dir: string;
  state: { result?: VerifyResult; backup?: StoredBackup };
  now?: () => number;
}

export const verifyAction: ActionDef<VerifyParams> = {
  id: 'backup.verify',
  title: 'Verify backup',
  done: 'verified',
  mutates: false,
  destructive: false,
  target: (p) => backupLockKey(p.backup.target),
  auditParams: (p) => ({ id: p.backup.id, file: p.backup.file, sha256: p.backup.sha256?.slice(0, 12) ?? null }),
  async preflight(p) {
    if (p.backup.status === 'running') throw new PreflightError(`backup ${p.backup.id} is still running`);
    if (p.backup.status === 'failed') throw new PreflightError(`backup ${p.backup.id} failed (${p.backup.error ?? 'no reason recorded'}); there is no file to verify`);
    if (p.backup.deletedAt !== null) throw new PreflightError(`backup ${p.backup.id} was removed by retention ${formatAge(p.backup.deletedAt)}; there is no file to verify`);
  },
  async confirmation(p): Promise<Confirmation> {
    return { title: `Verify ${p.backup.id}?`, verb: 'verify', lines: [`${p.backup.file}: sha256 against the history, then the ${p.backup.kind} check.`] };
  },
  steps: () => [
    {
      id: 'verify',
      title: 'Verify',
      run: async (q, ctx) => {
        const { result, backup, recorded } = await verifyBackup(deps(q, ctx.docker), q.backup, q.target, { signal: ctx.signal });
        q.state.result = result;
        q.state.backup = backup;
        if (!result.ok) throw new Error(recorded ? result.message : `${result.message}; nothing recorded, the previous verification stands`);
        return result.message;
      },
    },
  ],
};

// --- prune ---------------------------------------------------------------------------------------

export interface PruneParams {
  /** A target id as the history knows it (it need not be configured any more). */
  targetId: string;
  db: DB;
  dir: string;
  policy: RetentionPolicy;
  state: { plan?: RetentionPlan; backups?: Map<string, StoredBackup>; applied?: AppliedRetention };
  now?: () => number;
}

/** The plan with the history rows, for a dry run and the confirmation. Throws RetentionPolicyError. */
export function prunePlan(db: DB, targetId: string, policy: RetentionPolicy): { plan: RetentionPlan; backups: Map<string, StoredBackup> } {
  return retentionPlan(db, targetId, policy);
}

/** "shop-db-20261120T020000Z  12 KiB  3d ago  not kept by the policy". */
export function describeDecision(b: StoredBackup | undefined, id: string, reasons: string[], now = Date.now()): string {
  if (!b) return `${id}: ${reasons.join(', ')}`;
  const what = b.status === 'ok' ? `${formatBytes(b.sizeBytes)}, ${formatAge(b.startedAt, now)}` : `${b.status} run, ${formatAge(b.startedAt, now)}`;
  return `${id} (${what}): ${reasons.join(', ')}`;
}

export const pruneAction: ActionDef<PruneParams> = {
  id: 'backup.prune',
  title: 'Prune backups',
  done: 'pruned',
  mutates: true,
  destructive: true,
  target: (p) => backupLockKey(p.targetId),
  auditParams: (p) => ({
    target: p.targetId,
    policy: p.policy,
    ...(p.state.applied ? { removed: p.state.applied.removed.map((b) => b.id), errors: p.state.applied.errors } : { planned: p.state.plan?.remove.map((d) => d.id) ?? [] }),
  }),
  async preflight(p) {
    try {
      const { plan, backups } = prunePlan(p.db, p.targetId, p.policy);
      p.state.plan = plan;
      p.state.backups = backups;
    } catch (e) {
      if (e instanceof RetentionPolicyError) throw new PreflightError(e.message);
      throw e;
    }
    if (!p.state.plan.remove.length) throw new PreflightError(`nothing to prune for ${p.targetId}: the policy keeps all ${p.state.plan.keep.length}`);
  },
  async confirmation(p): Promise<Confirmation> {
    const plan = p.state.plan!;
    const backups = p.state.backups!;
    const files = plan.remove.filter((d) => backups.get(d.id)?.status === 'ok');
    const bytes = files.reduce((n, d) => n + (backups.get(d.id)?.sizeBytes ?? 0), 0);
    const lines = [
      `Policy: ${describePolicy(p.policy)}.`,
      `Deletes ${files.length} backup file${files.length === 1 ? '' : 's'} of ${p.targetId} (${formatBytes(bytes)}) for good:`,
      ...plan.remove.map((d) => `  delete ${safeText(describeDecision(backups.get(d.id), d.id, d.reasons))}`),
      `Keeps ${plan.keep.length}:`,
      ...plan.keep.map((d) => `  keep ${safeText(describeDecision(backups.get(d.id), d.id, d.reasons))}`),
    ];
    return { title: `Prune backups of ${p.targetId}?`, verb: 'prune', typeToConfirm: p.targetId, lines };
  },
  steps: () => [
    {
      id: 'delete',
      title: 'Delete backup files',
      run: async (q, ctx) => {
        // Only what was confirmed, and only what a fresh plan (under the lock) still removes.
        const only = new Set(q.state.plan?.remove.map((d) => d.id) ?? []);
        q.state.applied = await applyRetention(deps(q, ctx.docker), q.targetId, q.policy, { only });
        if (q.state.applied.errors.length) throw new Error(describeRetention(q.state.applied));
        return describeRetention(q.state.applied);
      },
    },
  ],
};

