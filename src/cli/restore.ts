/**
 * `opsdeck restore TARGET [BACKUP_ID]`, `opsdeck drill TARGET [BACKUP_ID]`, `opsdeck restores [TARGET]`:
 * the restore walkthrough and drills (actions/restore.ts) through the same runner, lock and audit log
 * as the cockpit. Steps and progress on stderr, the outcome on stdout. Exit: 0 ok; 1 failed, refused,
 * cancelled or rolled back; 2 usage (unknown target or id, several backups and none named).
 */
import { createInterface } from 'node:readline';
import {
  drillAction, drillParams, isSafetyBackup, preselect, restoreAction, restoreCandidates, restoreParams, sourceVersion,
  type RestoreParams,
} from '../../actions/restore.js';
import type { TargetDef } from '../backup/types.js';
import { formatAge, formatBytes, formatElapsed, padEnd } from '../format.js';
import { safeText } from '../sanitize.js';
import { getBackup, listBackups, type StoredBackup } from '../store/backups.js';
import type { DB } from '../store/db.js';
import { listRestores, type RestoreRecord } from '../store/restores.js';
import { cliConfirm, cliRunner, confirmationText, withStore } from './actions.js';
import { backupDir, json, loadTargets, pickTarget, runAction } from './backup.js';
import { UsageError, type Context } from './context.js';
import type { Runner } from '../run/runner.js';

const yesNo = (v: boolean | null) => (v === null ? '–' : v ? 'yes' : 'NO');

/** The candidates as a table, the preselected one marked. */
export function formatCandidates(rows: readonly StoredBackup[], chosen: StoredBackup | null, now = Date.now()): string {
  const head = `  ${padEnd('ID', 40)} ${padEnd('AGE', 8)} ${padEnd('SIZE', 10)} ${padEnd('VERIFIED', 8)} SOURCE`;
  const lines = rows.map((b) => {
    const mark = b === chosen ? '*' : ' ';
    const note = isSafetyBackup(b) ? ` (safety backup before restoring ${String(b.details.safetyFor)})` : '';
    return `${mark} ${padEnd(safeText(b.id), 40)} ${padEnd(formatAge(b.startedAt, now), 8)} ${padEnd(formatBytes(b.sizeBytes), 10)} ${padEnd(yesNo(b.verified), 8)} ${safeText(sourceVersion(b) ?? '–')}${note}`;
  });
  return [head, ...lines].join('\n');
}

/** The backup to use: the named one (of this target), else the only candidate; several → usage error listing them. */
export function chooseBackup(db: DB, target: TargetDef, id: string | undefined, verb: 'restore' | 'drill'): StoredBackup {
  if (id) {
    const b = getBackup(db, id);
    if (!b) throw new UsageError(`opsdeck: no backup "${safeText(id)}"; \`opsdeck backups ${target.id}\` lists them`);
    if (b.target !== target.id) throw new UsageError(`opsdeck: backup ${safeText(id)} belongs to ${safeText(b.target)}, not ${target.id}`);
    return b;
  }
  const candidates = restoreCandidates(listBackups(db, { target: target.id, limit: 500 }));
  if (candidates.length === 0) throw new NoBackupError(`opsdeck: no backup of ${target.id} to ${verb}: none finished with a file that did not fail verification (\`opsdeck backups ${target.id}\`)`);
  const chosen = preselect(candidates)!;
  if (verb === 'drill' || candidates.length === 1) return chosen;
  throw new UsageError([
    `opsdeck: ${target.id} has ${candidates.length} backups; name the one to restore (* = the newest verified):`,
    formatCandidates(candidates.slice(0, 20), chosen),
    ...(candidates.length > 20 ? [`  … and ${candidates.length - 20} older (\`opsdeck backups ${target.id}\`)`] : []),
    `e.g. opsdeck restore ${target.id} ${chosen.id}`,
  ].join('\n'));
}

export class NoBackupError extends Error {}

/** Ctrl-C on a terminal asks first; without one it interrupts at once. During the rollback it is ignored. */
function interruptHandler(p: RestoreParams): (abort: () => void) => void {
  let asking = false;
  let aborted = false;
  return (abort) => {
    if (aborted) {
      process.stderr.write('\nrolling back: wait for it to finish (stopping now would leave the target half-restored)\n');
      return;
    }
    const go = () => {
      aborted = true;
      process.stderr.write(p.state.restoreBegan || p.state.safety
        ? '\ninterrupting: the current step stops, then opsdeck rolls back to the safety backup\n'
        : '\ninterrupting: the current step stops; nothing was restored yet\n');
      abort();
    };
    if (!process.stdin.isTTY || !process.stderr.isTTY) return go();
    if (asking) return go(); // a second Ctrl-C while asking: yes
    asking = true;
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    rl.question('\nInterrupt the restore and roll back? [y/N] ', (answer) => {
      rl.close();
      asking = false;
      if (/^y(es)?$/i.test(answer.trim())) go();
      else process.stderr.write('going on\n');
    });
  };
}

/** The runner, the store, the target and the backup a restore or drill works on; the command's exit code. */
async function withChosenBackup(
  ctx: Context,
  targetId: string,
  backupId: string | undefined,
  verb: 'restore' | 'drill',
  fn: (runner: Runner, db: DB, target: TargetDef, backup: StoredBackup) => Promise<number>,
): Promise<number> {
  const { runner, db } = cliRunner(ctx);
  try {
    if (!db) {
      process.stderr.write(`opsdeck: refused: no state store, so no backup history and no audit log (${ctx.stateDir})\n`);
      return 1;
    }
    const { targets, dockerError } = await loadTargets(ctx, runner.ctx.docker);
    const target = pickTarget(targets, targetId, dockerError);
    let backup: StoredBackup;
    try {
      backup = chooseBackup(db, target, backupId, verb);
    } catch (e) {
      if (!(e instanceof NoBackupError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    return await fn(runner, db, target, backup);
  } finally {
    db?.close();
  }
}

export function runRestoreCommand(ctx: Context, targetId: string, backupId: string | undefined, opts: { yes?: boolean; json?: boolean }): Promise<number> {
  return withChosenBackup(ctx, targetId, backupId, 'restore', async (runner, db, target, backup) => {
    const params = restoreParams({ db, config: ctx.config, target, backup, dir: backupDir(ctx) });
    process.stderr.write(`restoring ${target.id} from ${backup.id} (taken ${formatAge(backup.startedAt)})\n`);
    const res = await runAction(runner, restoreAction, params, cliConfirm(opts), interruptHandler(params));
    const outcome = {
      result: res.result, target: target.id, backup: backup.id, status: params.state.status ?? (res.result === 'ok' ? 'ok' : res.result),
      message: params.state.message ?? res.error ?? null, safetyBackup: params.state.safety?.id ?? null, safetyFile: params.state.safety?.file ?? null,
      before: params.state.before?.counts ?? null, after: params.state.after?.counts ?? null, steps: params.state.steps, durationMs: res.durationMs,
    };
    if (opts.json) json(outcome);
    if (res.result === 'ok') {
      if (!opts.json) process.stdout.write(`${safeText(params.state.message ?? `restored ${target.id}`)} (${formatElapsed(res.durationMs)})\n`);
      return 0;
    }
    if (res.result === 'cancelled') process.stderr.write('cancelled: nothing was changed\n');
    else process.stderr.write(`opsdeck: ${safeText(res.error ?? 'restore failed')}\n`);
    return 1;
  });
}

export function runDrillCommand(ctx: Context, targetId: string, backupId: string | undefined, opts: { json?: boolean }): Promise<number> {
  return withChosenBackup(ctx, targetId, backupId, 'drill', async (runner, db, target, backup) => {
    const params = drillParams({ db, target, backup });
    // Nothing of the operator's is touched (a throwaway container), so no question: the plan is printed.
    const res = await runAction(runner, drillAction, params, async (c) => {
      process.stderr.write(`${confirmationText({ ...c, title: `Drilling ${target.id}:` })}\n`);
      return true;
    });
    if (opts.json) json({ result: res.result, target: target.id, backup: backup.id, proven: params.state.ok ?? false, message: params.state.message ?? res.error ?? null, durationMs: res.durationMs });
    if (res.result === 'ok') {
      if (!opts.json) process.stdout.write(`${target.id}: backup ${backup.id} proven restorable at ${new Date().toISOString()}: ${safeText(params.state.message ?? '')}\n`);
      return 0;
    }
    process.stderr.write(`opsdeck: drill of ${target.id} failed: ${safeText(res.error ?? '')}${params.state.ok === false ? ` — backup ${backup.id} is marked as failed verification` : ''}\n`);
    return 1;
  });
}

export function formatRestores(rows: readonly RestoreRecord[], now = Date.now()): string {
  if (!rows.length) return 'no restores or drills yet';
  const head = `${padEnd('WHEN', 8)} ${padEnd('KIND', 8)} ${padEnd('TARGET', 20)} ${padEnd('BACKUP', 40)} ${padEnd('STATUS', 16)} MESSAGE`;
  return [head, ...rows.map((r) => `${padEnd(formatAge(r.startedAt, now), 8)} ${padEnd(r.kind, 8)} ${padEnd(safeText(r.target), 20)} ${padEnd(safeText(r.backupId), 40)} ${padEnd(r.status, 16)} ${safeText(r.message ?? '')}`)].join('\n');
}

export async function runRestoresCommand(ctx: Context, target: string | undefined, opts: { json?: boolean; limit?: string }): Promise<number> {
  const limit = Number(opts.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`opsdeck: --limit must be a positive whole number, got ${JSON.stringify(opts.limit)}`);
  return withStore(ctx, (db) => {
    const rows = listRestores(db, { ...(target ? { target } : {}), limit });
    if (opts.json) json(rows);
    else process.stdout.write(`${formatRestores(rows)}\n`);
    return 0;
  });
}
