/**
 * `opsdeck maintenance on|off|run|status|history`: the maintenance actions (actions/maintenance.ts)
 * through the same runner, lock and audit log as the cockpit. Results on stdout; steps, the
 * confirmation text and notes on stderr. Exit: 0 ok (also "already on" / "already off"), 1 failed,
 * refused or cancelled (a service that did not come back: still in maintenance), 2 usage.
 */
import { parseDuration } from '../../config/duration.js';
import { backupAction, backupParams } from '../../actions/backup.js';
import {
  enterMaintenance, enterParams, exitMaintenance, exitParams, loadPlan, maintenanceTask, pruneParams, pruneTask, recordTaskOutcome, taskParams,
} from '../../actions/maintenance.js';
import type { ActionDef, RunEvent } from '../../actions/types.js';
import { policyOf } from '../backup/retention.js';
import { describeWindow, flagExists, overdue, summarize } from '../maintenance/state.js';
import { configuredTasks, parseTask, resolveTask, TaskSpecError, type TaskSpec } from '../maintenance/tasks.js';
import { formatDuration, formatElapsed, padEnd } from '../format.js';
import type { Runner, RunResult } from '../run/runner.js';
import { safeText } from '../sanitize.js';
import type { DB } from '../store/db.js';
import { currentMaintenance, maintenanceHistory, setPhase, type MaintenanceWindow } from '../store/maintenance.js';
import { cliConfirm, cliRunner, NeedsConfirmation, withStore } from './actions.js';
import { backupDir, loadTargets } from './backup.js';
import { UsageError, type Context } from './context.js';

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
function note(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** "30m", "2h", "120s"; a bare number is seconds. */
export function parseCliDuration(flag: string, text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  try {
    const ms = parseDuration(t);
    if (ms <= 0) throw new Error(`expected a positive duration, got ${JSON.stringify(text)}`);
    return ms;
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

function printEvent(e: RunEvent): void {
  if (e.type === 'step') {
    if (e.status === 'running') note(`  … ${e.title}`);
    else if (e.status === 'done') note(`  ✓ ${e.title} (${formatElapsed(e.durationMs ?? 0)})${e.detail ? `: ${safeText(e.detail)}` : ''}`);
    else if (e.status === 'failed') note(`  ✗ ${e.title}: ${safeText(e.error ?? '')}`);
  } else if (e.type === 'log') {
    note(`    ${safeText(e.line)}`);
  }
}

/** Runs one action with Ctrl-C wired to its signal; a confirmation that cannot be asked is a refusal. */
async function run<P>(runner: Runner, action: ActionDef<P>, params: P, yes: boolean | undefined): Promise<RunResult> {
  const abort = new AbortController();
  const onSigint = () => {
    note('\ninterrupted: stopping after the current step');
    abort.abort(new Error('interrupted by Ctrl-C'));
  };
  process.once('SIGINT', onSigint);
  try {
    return await runner.run(action, params, { confirm: cliConfirm({ yes }), onEvent: printEvent, signal: abort.signal });
  } catch (e) {
    if (e instanceof NeedsConfirmation) return { result: 'refused', error: e.message, durationMs: 0 };
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function failure(what: string, res: RunResult): void {
  if (res.result === 'cancelled') note('cancelled: nothing was changed');
  else if (res.result === 'refused') note(`opsdeck: ${res.error}`);
  else note(`opsdeck: ${what} failed: ${res.error}`);
}

function withRunner<T>(ctx: Context, fn: (runner: Runner, db: DB) => Promise<T>): Promise<T> {
  const { runner, db } = cliRunner(ctx);
  if (!db) throw new Error(`refused: no state store, so no maintenance record and no audit log (${ctx.stateDir})`);
  return fn(runner, db).finally(() => db.close());
}

// --- on / off ------------------------------------------------------------------------------------

export async function runMaintenanceOn(ctx: Context, opts: { project?: string; reason?: string; for?: string; yes?: boolean; stopTimeout?: string }): Promise<number> {
  const forMs = opts.for !== undefined ? parseCliDuration('--for', opts.for) : null;
  const stopTimeoutSec = opts.stopTimeout !== undefined ? Math.round(parseCliDuration('--stop-timeout', opts.stopTimeout) / 1000) : 10;
  return withRunner(ctx, async (runner, db) => {
    const open = currentMaintenance(db);
    if (open) {
      out(`already ${describeWindow(open)}; nothing changed`);
      return 0;
    }
    const plan = await loadPlan(runner.ctx.docker, ctx.config, opts.project ?? null);
    if (opts.project && !(await runner.ctx.docker.listContainers()).some((c) => c.project === opts.project)) {
      throw new UsageError(`opsdeck: no compose project "${safeText(opts.project)}" on this host`);
    }
    const params = enterParams({ db, plan, reason: opts.reason ?? '', forMs, stopTimeoutSec });
    const res = await run(runner, enterMaintenance, params, opts.yes);
    if (res.result === 'ok') {
      const w = currentMaintenance(db);
      out(`maintenance on: ${w ? describeWindow(w) : 'recorded'}${params.state.stopped.length ? `; stopped ${params.state.stopped.join(', ')}` : ''}${plan.flagFile ? `; flag ${plan.flagFile}` : ''}`);
      return 0;
    }
    failure('entering maintenance', res);
    const w = params.state.window ? currentMaintenance(db) : null;
    if (w) {
      setPhase(db, w.id, w.phase === 'entering' ? 'entering' : 'on', `entering failed: ${res.error ?? res.result}`);
      note(`still in maintenance (window #${w.id}${w.stopped.length ? `, stopped: ${w.stopped.map((s) => s.name).join(', ')}` : ''}): \`opsdeck maintenance off\` starts them again and removes the flag`);
    }
    return 1;
  });
}

export async function runMaintenanceOff(ctx: Context, opts: { yes?: boolean; timeout?: string }): Promise<number> {
  const timeoutMs = opts.timeout !== undefined ? parseCliDuration('--timeout', opts.timeout) : 120_000;
  return withRunner(ctx, async (runner, db) => {
    if (!currentMaintenance(db)) {
      out('not in maintenance; nothing changed');
      return 0;
    }
    const params = exitParams({ db, config: ctx.config, timeoutMs });
    const res = await run(runner, exitMaintenance, params, opts.yes);
    if (res.result === 'ok') {
      const w = params.state.closed;
      const tasks = w?.tasks.length ? `; tasks: ${w.tasks.map((t) => `${t.task} ${t.result}`).join(', ')}` : '';
      out(`maintenance off after ${formatDuration(w?.durationMs ?? 0)}${params.state.started.length ? `; started ${params.state.started.join(', ')}` : ''}${params.state.alreadyRunning.length ? `; already running: ${params.state.alreadyRunning.join(', ')}` : ''}${tasks}`);
      return 0;
    }
    if (res.result === 'refused' && /not in maintenance/.test(res.error ?? '')) {
      out('not in maintenance; nothing changed');
      return 0;
    }
    failure('leaving maintenance', res);
    return 1;
  });
}

// --- tasks ---------------------------------------------------------------------------------------

export async function runMaintenanceTasks(ctx: Context, names: string[], opts: { yes?: boolean; timeout?: string }): Promise<number> {
  let specs: TaskSpec[];
  try {
    specs = names.length ? names.map(parseTask) : configuredTasks(ctx.config);
  } catch (e) {
    if (e instanceof TaskSpecError) throw new UsageError(`opsdeck: ${e.message}`);
    throw e;
  }
  if (!specs.length) throw new UsageError('opsdeck: no tasks: name them (vacuum:TARGET, reindex:TARGET, integrity:TARGET, bgrewriteaof:TARGET, backup:TARGET, prune:images|containers) or configure maintenance.tasks');
  const timeoutMs = opts.timeout !== undefined ? parseCliDuration('--timeout', opts.timeout) : undefined;
  return withRunner(ctx, async (runner, db) => {
    const docker = runner.ctx.docker;
    const { targets } = await loadTargets(ctx, docker);
    const containers = await docker.listContainers();
    if (!currentMaintenance(db)) note('note: not in maintenance — the tasks run anyway and are audited, but no window records them');
    let failed = 0;
    for (const spec of specs) {
      note(`${spec.label}:`);
      let res: RunResult;
      try {
        const task = resolveTask(spec, targets, containers);
        if (task.kind === 'backup') {
          res = await run(runner, backupAction, backupParams({ target: task.target, db, dir: backupDir(ctx), retention: policyOf(ctx.config.backups.retention) }), true);
        } else if (task.kind === 'prune') {
          res = await run(runner, pruneTask, pruneParams({ what: task.what, db }), opts.yes);
        } else {
          res = await run(runner, maintenanceTask, taskParams({ task, db, ...(timeoutMs ? { timeoutMs } : {}) }), opts.yes);
        }
      } catch (e) {
        if (!(e instanceof TaskSpecError)) throw e;
        res = { result: 'failed', error: e.message, durationMs: 0 };
      }
      recordTaskOutcome(db, spec.label, res);
      if (res.result === 'ok') out(`${spec.label}: ok — ${safeText(res.detail ?? 'done')}`);
      else {
        failed++;
        out(`${spec.label}: ${res.result} — ${safeText(res.error ?? res.result)}`);
      }
    }
    return failed ? 1 : 0;
  });
}

// --- status / history ----------------------------------------------------------------------------

function describeStopped(w: MaintenanceWindow): string {
  return w.stopped.map((s) => `${s.name} (${s.state === 'stopping' ? 'stopping when last seen — opsdeck was interrupted?' : s.state}${s.startedAt ? ` ${s.startedAt}` : ''})`).join(', ') || 'nothing';
}

export async function runMaintenanceStatus(ctx: Context, opts: { json?: boolean }): Promise<number> {
  return withStore(ctx, async (db) => {
    const w = currentMaintenance(db);
    const flagFile = w?.flagFile ?? ctx.config.maintenance.flagFile ?? null;
    const flag = flagFile ? { path: flagFile, exists: await flagExists(flagFile) } : null;
    if (opts.json) {
      out(JSON.stringify({ ...summarize(w), window: w, flag }, null, 2));
      return 0;
    }
    if (!w) {
      out(`maintenance: off${flag?.exists ? ` — but the flag file ${flag.path} exists (the proxy answers 503); remove it or run \`opsdeck maintenance on\` and \`off\`` : ''}`);
      return 0;
    }
    const now = Date.now();
    const lines = [
      `maintenance: ON — ${describeWindow(w, now)}, by ${safeText(w.by)} on ${safeText(w.host)}`,
      `phase: ${w.phase}${w.phase === 'entering' ? ' (entering did not finish: interrupted or failed; `opsdeck maintenance off` restores)' : ''}`,
      `planned end: ${w.plannedEnd ? `${w.plannedEnd}${overdue(w, now) ? ' — OVERDUE' : Date.parse(w.plannedEnd) < now ? ` (${formatDuration(now - Date.parse(w.plannedEnd))} ago)` : ` (in ${formatDuration(Date.parse(w.plannedEnd) - now)})`}` : 'none'}`,
      `flag file: ${flag ? `${flag.path} (${flag.exists ? 'present' : 'MISSING'})` : 'none configured'}`,
      `stopped: ${safeText(describeStopped(w))}`,
      `tasks: ${w.tasks.length ? w.tasks.map((t) => `${t.task} ${t.result} (${formatElapsed(t.durationMs)})`).join(', ') : 'none yet'}`,
    ];
    if (w.lastError) lines.push(`last error: ${safeText(w.lastError)}`);
    out(lines.join('\n'));
    return 0;
  });
}

export async function runMaintenanceHistory(ctx: Context, opts: { json?: boolean; limit?: string }): Promise<number> {
  return withStore(ctx, (db) => {
    const rows = maintenanceHistory(db, Number(opts.limit) || 50);
    if (opts.json) {
      out(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (!rows.length) {
      out('no maintenance windows yet');
      return 0;
    }
    const widths = [5, 16, 21, 21, 9, 12];
    const head = ['ID', 'SCOPE', 'STARTED', 'ENDED', 'DURATION', 'BY'].map((t, i) => padEnd(t, widths[i]!)).join(' ') + ' STOPPED / TASKS / REASON';
    const lines = rows.map((w) => {
      const cells = [String(w.id), w.scope, w.since.slice(0, 19), w.endedAt ? w.endedAt.slice(0, 19) : `(open: ${w.phase})`, w.durationMs !== null ? formatDuration(w.durationMs) : '-', w.by];
      const rest = [`stopped ${w.stopped.map((s) => s.name).join(', ') || '-'}`, `tasks ${w.tasks.map((t) => `${t.task} ${t.result}`).join(', ') || '-'}`, w.reason ? `"${w.reason}"` : ''].filter(Boolean).join('; ');
      return `${cells.map((t, i) => padEnd(safeText(t), widths[i]!)).join(' ')} ${safeText(rest)}`;
    });
    out([head, ...lines].join('\n'));
    return 0;
  });
}
