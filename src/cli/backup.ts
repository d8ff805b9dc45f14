/**
 * `opsdeck backup TARGET`, `opsdeck backups [TARGET]`, `opsdeck verify ID`, `opsdeck prune [TARGET]`:
 * the backup actions (actions/backup.ts) through the same runner, lock and audit log as the cockpit.
 * Results on stdout, progress and notes on stderr. Exit: 0 ok, 1 failed/refused/cancelled, 2 usage
 * (an unknown target or backup id, listing what exists).
 */
import {
  backupAction, backupParams, describeDecision, describePolicy, describeTarget, prunePlan, pruneAction, verifyAction,
  type BackupParams, type PruneParams, type VerifyParams,
} from '../../actions/backup.js';
import type { ActionDef, Confirmation, RunEvent } from '../../actions/types.js';
import { discoverTargets } from '../backup/discover.js';
import { checkPolicy, policyOf, RetentionPolicyError, type RetentionPolicy } from '../backup/retention.js';
import type { TargetDef } from '../backup/types.js';
import { containerEnv } from '../backup/engines/common.js';
import type { DockerReader } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { explainDockerError } from '../docker/endpoint.js';
import { formatAge, formatBytes, formatElapsed, formatRate, padEnd } from '../format.js';
import type { Runner, RunResult } from '../run/runner.js';
import { safeText } from '../sanitize.js';
import { getBackup, historyTargets, listBackups, type StoredBackup } from '../store/backups.js';
import type { DB } from '../store/db.js';
import { defaultBackupDir } from '../store/paths.js';
import { cliConfirm, cliRunner, confirmationText, NeedsConfirmation } from './actions.js';
import { UsageError, type Context } from './context.js';

const DOCKER_LIST_TIMEOUT_MS = 10_000;

/** Where backups go: backups.dir, else $XDG_DATA_HOME/opsdeck/backups. */
export function backupDir(ctx: Context): string {
  return ctx.config.backups.dir ?? defaultBackupDir(ctx.env);
}

/** Configured and discovered targets; without Docker, the configured ones and why. */
export async function loadTargets(ctx: Context, docker: DockerReader): Promise<{ targets: TargetDef[]; dockerError: string | null }> {
  let containers: ContainerInfo[] = [];
  let dockerError: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${DOCKER_LIST_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), DOCKER_LIST_TIMEOUT_MS);
    });
    containers = await Promise.race([docker.listContainers(), timeout]);
  } catch (e) {
    dockerError = explainDockerError(ctx.endpoint, e).message;
  } finally {
    clearTimeout(timer);
  }
  const targets = await discoverTargets(containers, ctx.config, (name: string) => containerEnv(docker, name));
  return { targets, dockerError };
}

function targetList(targets: readonly TargetDef[]): string {
  if (!targets.length) return 'no backup targets: configure backups.targets in the config file (see `opsdeck backup --help`)';
  return `known targets:\n${targets.map((t) => `  ${padEnd(safeText(t.id), 24)} ${safeText(describeTarget(t))}`).join('\n')}`;
}

/** The target by id; an unknown one is a usage error listing the known ones. */
export function pickTarget(targets: readonly TargetDef[], id: string, dockerError: string | null): TargetDef {
  const hit = targets.find((t) => t.id === id);
  if (hit) return hit;
  const note = dockerError ? ` (Docker is unreachable, so discovered targets are missing: ${dockerError})` : '';
  throw new UsageError(`opsdeck: no backup target "${safeText(id)}"${note}\n${targetList(targets)}`);
}

// --- progress ------------------------------------------------------------------------------------

/** Step lines on stderr; byte progress rewritten in place on a terminal, every 5 s otherwise. */
function progressPrinter(): { onEvent: (e: RunEvent) => void; finish: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  let open = false;
  // Without a terminal (cron, CI logs) a byte count every 5 s, the first after 5 s: short runs stay quiet.
  let lastPlain = Date.now();
  const clear = () => {
    if (open) process.stderr.write('\r\x1b[2K');
    open = false;
  };
  const onEvent = (e: RunEvent) => {
    if (e.type === 'progress') {
      const p = e.progress;
      const text = `    ${p.message ?? (p.bytes !== undefined ? formatBytes(p.bytes) : '')}${p.rate ? `, ${formatRate(p.rate)}` : ''}`;
      if (tty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        open = true;
      } else if (Date.now() - lastPlain >= 5000) {
        lastPlain = Date.now();
        process.stderr.write(`${text}\n`);
      }
      return;
    }
    clear();
    if (e.type === 'step') {
      if (e.status === 'running') process.stderr.write(`  … ${e.title}\n`);
      else if (e.status === 'done') process.stderr.write(`  ✓ ${e.title} (${formatElapsed(e.durationMs ?? 0)})${e.detail ? `: ${safeText(e.detail)}` : ''}\n`);
      else if (e.status === 'failed') process.stderr.write(`  ✗ ${e.title}: ${safeText(e.error ?? '')}\n`);
    } else {
      process.stderr.write(`    ${safeText(e.line)}\n`);
    }
  };
  return { onEvent, finish: clear };
}

/**
 * Runs an action with Ctrl-C wired to its signal; a confirmation that cannot be asked is a refusal.
 * `onSigint` replaces the default (abort at once): it gets the function that aborts.
 */
export async function runAction<P>(
  runner: Runner,
  action: ActionDef<P>,
  params: P,
  confirm: (c: Confirmation) => Promise<boolean>,
  onSigint?: (abort: () => void) => void,
): Promise<RunResult> {
  const abort = new AbortController();
  const stop = () => abort.abort(new Error('interrupted by Ctrl-C'));
  const handler = onSigint ? () => onSigint(stop) : () => {
    process.stderr.write('\ninterrupted: stopping (the partial file is removed)\n');
    stop();
  };
  const onSigintEvent = () => handler();
  process[onSigint ? 'on' : 'once']('SIGINT', onSigintEvent);
  const printer = progressPrinter();
  try {
    return await runner.run(action, params, { confirm, onEvent: printer.onEvent, signal: abort.signal });
  } catch (e) {
    if (e instanceof NeedsConfirmation) return { result: 'refused', error: e.message, durationMs: 0 };
    throw e;
  } finally {
    printer.finish();
    process.off('SIGINT', onSigintEvent);
  }
}

export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// --- backup --------------------------------------------------------------------------------------

/** `opsdeck backup TARGET`: no question asked (not destructive); the plan is printed to stderr. */
export async function runBackupCommand(ctx: Context, targetId: string, opts: { json?: boolean }): Promise<number> {
  const { runner, db } = cliRunner(ctx);
  try {
    const { targets, dockerError } = await loadTargets(ctx, runner.ctx.docker);
    const target = pickTarget(targets, targetId, dockerError);
    if (!db) {
      process.stderr.write(`opsdeck: refused: no state store, so no history and no audit log (${ctx.stateDir})\n`);
      return 1;
    }
    const params = backupParams({ target, db, dir: backupDir(ctx), retention: policyOf(ctx.config.backups.retention) });
    const res = await runAction(runner, backupAction, params, async (c) => {
      process.stderr.write(`${confirmationText({ ...c, title: `Backing up ${target.id}:` })}\n`);
      return true;
    });
    return reportBackup(params, res, opts);
  } finally {
    db?.close();
  }
}

function reportBackup(p: BackupParams, res: RunResult, opts: { json?: boolean }): number {
  const b = p.state.backup;
  if (opts.json && b) json(b);
  if (res.result === 'ok' && b) {
    if (!opts.json) {
      process.stdout.write(
        `backed up ${p.target.id} in ${formatElapsed(res.durationMs)}: ${b.file} (${formatBytes(b.sizeBytes)}, sha256 ${b.sha256?.slice(0, 12)}…, verified: ${safeText(b.verifyMessage ?? '–')})\n`,
      );
    }
    return 0;
  }
  if (res.result === 'refused') process.stderr.write(`opsdeck: ${safeText(res.error ?? 'refused')}\n`);
  else if (res.result === 'cancelled') process.stderr.write('cancelled: nothing was changed\n');
  else process.stderr.write(`opsdeck: backup of ${p.target.id} failed: ${safeText(res.error ?? '')}${b && b.status === 'failed' ? ' (no file was kept; the run is in `opsdeck backups` as failed)' : ''}\n`);
  return 1;
}

// --- backups -------------------------------------------------------------------------------------

const yesNo = (v: boolean | null) => (v === null ? '–' : v ? 'yes' : 'NO');

/** The history for people: one line a backup, newest first. */
export function formatBackupsTable(rows: readonly StoredBackup[], now = Date.now()): string {
  const head = ['ID', 'STARTED', 'AGE', 'SIZE', 'TOOK', 'SHA256', 'STATUS', 'VERIFIED', 'NOTE'];
  const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
  const widths = [idWidth, 16, 9, 9, 6, 12, 8, 8];
  const cell = (c: string, i: number) => (i < widths.length ? padEnd(c, widths[i]!) : c);
  const lines = [head.map(cell).join('  ').trimEnd()];
  for (const r of rows) {
    const started = new Date(r.startedAt);
    const local = `${started.getFullYear()}-${String(started.getMonth() + 1).padStart(2, '0')}-${String(started.getDate()).padStart(2, '0')} ${String(started.getHours()).padStart(2, '0')}:${String(started.getMinutes()).padStart(2, '0')}`;
    const status = r.deletedAt !== null ? 'deleted' : r.status;
    const note = r.status === 'failed' ? r.error ?? '' : r.verified === false ? `verification failed: ${r.verifyMessage ?? ''}` : r.deletedAt !== null ? `removed by retention ${formatAge(r.deletedAt, now)}` : '';
    const cells = [
      safeText(r.id), local, formatAge(r.startedAt, now).replace(/ ago$/, ''), r.sizeBytes === null ? '–' : formatBytes(r.sizeBytes),
      r.durationMs === null ? '–' : formatElapsed(r.durationMs), r.sha256 ? r.sha256.slice(0, 12) : '–', status, yesNo(r.verified), safeText(note),
    ];
    lines.push(cells.map(cell).join('  ').trimEnd());
  }
  return lines.join('\n');
}

/** `opsdeck backups [TARGET]`: the history (no Docker needed). */
export async function runBackupsCommand(ctx: Context, target: string | undefined, opts: { json?: boolean; all?: boolean; limit?: string }): Promise<number> {
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a whole number ≥ 1, got "${opts.limit}"`);
  const { withStore } = await import('./actions.js');
  return withStore(ctx, (db) => {
    const rows = listBackups(db, { target, limit, includeDeleted: opts.all });
    if (opts.json) json(rows);
    else if (!rows.length) {
      const known = historyTargets(db);
      process.stdout.write(target
        ? `no backups of ${safeText(target)} recorded${known.length ? ` (the history has: ${known.map(safeText).join(', ')})` : ''}\n`
        : 'no backups recorded yet: `opsdeck backup TARGET` makes one\n');
    } else process.stdout.write(`${formatBackupsTable(rows)}\n`);
    return 0;
  });
}

// --- verify --------------------------------------------------------------------------------------

/** `opsdeck verify ID`: sha256, then the engine's proof; the outcome is recorded in the history. */
export async function runVerifyCommand(ctx: Context, id: string, opts: { json?: boolean }): Promise<number> {
  const { runner, db } = cliRunner(ctx);
  try {
    if (!db) {
      process.stderr.write(`opsdeck: cannot open the state store (${ctx.stateDir}), where the backup history is\n`);
      return 1;
    }
    const backup = getBackup(db, id);
    if (!backup) {
      const recent = listBackups(db, { limit: 5 }).map((b) => `  ${b.id}`);
      throw new UsageError(`opsdeck: no backup "${safeText(id)}"${recent.length ? `; the newest are:\n${recent.join('\n')}\n(\`opsdeck backups\` lists them all)` : '; none are recorded yet'}`);
    }
    const { targets, dockerError } = await loadTargets(ctx, runner.ctx.docker);
    const target = targets.find((t) => t.id === backup.target) ?? null;
    if (!target && dockerError) process.stderr.write(`opsdeck: Docker is unreachable (${dockerError}), so discovered targets are missing\n`);
    const params: VerifyParams = { backup, target, db, dir: backupDir(ctx), state: {} };
    const res = await runAction(runner, verifyAction, params, async () => true);
    const after = params.state.backup ?? getBackup(db, id)!;
    if (opts.json) json(after);
    if (res.result === 'ok') {
      if (!opts.json) process.stdout.write(`verified ${after.id}: ${safeText(after.verifyMessage ?? '')}\n`);
      return 0;
    }
    process.stderr.write(`opsdeck: ${res.result === 'refused' ? '' : `verification of ${id} failed: `}${safeText(res.error ?? '')}\n`);
    return 1;
  } finally {
    db?.close();
  }
}

// --- prune ---------------------------------------------------------------------------------------

function policyOrUsage(ctx: Context): RetentionPolicy {
  const policy = policyOf(ctx.config.backups.retention);
  try {
    checkPolicy(policy);
  } catch (e) {
    if (e instanceof RetentionPolicyError) throw new UsageError(`opsdeck: ${e.message}`);
    throw e;
  }
  return policy;
}

interface PruneJson {
  target: string;
  policy: RetentionPolicy;
  keep: PruneEntry[];
  remove: PruneEntry[];
}
interface PruneEntry { id: string; reasons: string[]; status: string; file: string | null; sizeBytes: number | null; startedAt: string | null }

function pruneJson(db: DB, targetId: string, policy: RetentionPolicy): PruneJson {
  const { plan, backups } = prunePlan(db, targetId, policy);
  const entry = (d: { id: string; reasons: string[] }): PruneEntry => {
    const b = backups.get(d.id);
    return { id: d.id, reasons: d.reasons, status: b?.status ?? '?', file: b?.status === 'ok' ? b.file : null, sizeBytes: b?.sizeBytes ?? null, startedAt: b ? new Date(b.startedAt).toISOString() : null };
  };
  return { target: targetId, policy, keep: plan.keep.map(entry), remove: plan.remove.map(entry) };
}

/** `opsdeck prune [TARGET] [--dry-run] [--yes]`: retention by hand, per target. */
export async function runPruneCommand(ctx: Context, target: string | undefined, opts: { dryRun?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  const policy = policyOrUsage(ctx);
  const { runner, db } = cliRunner(ctx);
  try {
    if (!db) {
      process.stderr.write(`opsdeck: cannot open the state store (${ctx.stateDir}), where the backup history is\n`);
      return 1;
    }
    const inHistory = historyTargets(db);
    let ids: string[];
    if (target !== undefined) {
      if (!inHistory.includes(target)) {
        const { targets, dockerError } = await loadTargets(ctx, runner.ctx.docker);
        pickTarget(targets, target, dockerError); // unknown anywhere: usage error listing the targets
      }
      ids = [target];
    } else ids = inHistory;

    if (opts.dryRun) {
      const plans = ids.map((id) => pruneJson(db, id, policy));
      if (opts.json) json(plans);
      else if (!plans.length) process.stdout.write('no backups recorded: nothing to prune\n');
      else process.stdout.write(`${plans.map((p) => formatPlan(db, p, policy)).join('\n\n')}\n`);
      return 0;
    }

    let code = 0;
    const results: { target: string; result: string; removed: string[]; error: string | null }[] = [];
    if (!ids.length && !opts.json) process.stdout.write('no backups recorded: nothing to prune\n');
    for (const id of ids) {
      const { plan } = prunePlan(db, id, policy);
      if (!plan.remove.length) {
        results.push({ target: id, result: 'nothing to prune', removed: [], error: null });
        if (!opts.json) process.stdout.write(`${id}: nothing to prune (the policy keeps all ${plan.keep.length})\n`);
        continue;
      }
      const params: PruneParams = { targetId: id, db, dir: backupDir(ctx), policy, state: {} };
      const res = await runAction(runner, pruneAction, params, cliConfirm({ yes: opts.yes }));
      results.push({ target: id, result: res.result, removed: params.state.applied?.removed.map((b) => b.id) ?? [], error: res.error ?? null });
      if (res.result === 'ok') {
        if (!opts.json) process.stdout.write(`pruned ${id}: ${safeText(res.detail ?? '')}\n`);
      } else {
        code = 1;
        if (res.result === 'cancelled') process.stderr.write(`${id}: cancelled, nothing was deleted\n`);
        else process.stderr.write(`opsdeck: prune of ${id} ${res.result === 'refused' ? 'refused' : 'failed'}: ${safeText(res.error ?? '')}\n`);
      }
    }
    if (opts.json) json(results);
    return code;
  } finally {
    db?.close();
  }
}

function formatPlan(db: DB, p: PruneJson, policy: RetentionPolicy): string {
  const now = Date.now();
  const backups = new Map(listBackups(db, { target: p.target }).map((b) => [b.id, b]));
  const lines = [`${safeText(p.target)} (${describePolicy(policy)}): keep ${p.keep.length}, remove ${p.remove.length}`];
  for (const d of p.keep) lines.push(`  keep    ${safeText(describeDecision(backups.get(d.id), d.id, d.reasons, now))}`);
  for (const d of p.remove) lines.push(`  remove  ${safeText(describeDecision(backups.get(d.id), d.id, d.reasons, now))}`);
  return lines.join('\n');
}

