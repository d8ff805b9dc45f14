import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import type { ActionDef, Confirmation, RunEvent } from '../../actions/types.js';
import { createControl, createReader } from '../docker/client.js';
import { formatElapsed } from '../format.js';
import { Runner, type RunResult } from '../run/runner.js';
import { safeText } from '../sanitize.js';
import { openState, StateError, type DB } from '../store/db.js';
import type { Context } from './context.js';

/** The state store for a command, or the reason it could not be opened. */
export function openStore(ctx: Context): { db: DB | null; error?: string } {
  try {
    return { db: openState(ctx.stateDir).db };
  } catch (e) {
    if (e instanceof StateError) return { db: null, error: e.message };
    throw e;
  }
}

/** Runs fn with the state store open, closing it afterwards; a store that cannot open is an error. */
export async function withStore<T>(ctx: Context, fn: (db: DB) => T | Promise<T>): Promise<T> {
  const { db, error } = openStore(ctx);
  if (!db) throw new StateError(join(ctx.stateDir, 'opsdeck.db'), error ?? 'the state store is unavailable');
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

export function cliRunner(ctx: Context): { runner: Runner; db: DB | null } {
  const docker = createReader(ctx.endpoint);
  const { db, error } = openStore(ctx);
  const runner = new Runner({ ctx: { docker, control: createControl(docker, { readOnly: ctx.readOnly }) }, db, dbError: error, readOnly: ctx.readOnly });
  return { runner, db };
}

/** The confirmation as text: the same words the TUI dialog shows. */
export function confirmationText(c: Confirmation): string {
  return [c.title, ...c.lines.map((l) => `  ${safeText(l)}`)].join('\n');
}

/**
 * Asks on the terminal; without one, refuses unless --yes. Typed confirmation for destructive
 * actions: the exact name, nothing else.
 */
export function cliConfirm(opts: { yes?: boolean }): (c: Confirmation) => Promise<boolean> {
  return async (c) => {
    process.stderr.write(`${confirmationText(c)}\n`);
    if (opts.yes) {
      process.stderr.write('confirmed by --yes\n');
      return true;
    }
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new NeedsConfirmation(`refusing to ${c.verb} without confirmation: no terminal to ask on; pass --yes to confirm in scripts`);
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const question = c.typeToConfirm ? `Type the name (${c.typeToConfirm}) to ${c.verb}, anything else cancels: ` : `${c.verb}? [y/N] `;
      const answer = (await rl.question(question)).trim();
      return c.typeToConfirm ? answer === c.typeToConfirm : /^y(es)?$/i.test(answer);
    } finally {
      rl.close();
    }
  };
}

export class NeedsConfirmation extends Error {}

function printEvent(e: RunEvent): void {
  if (e.type === 'step') {
    if (e.status === 'running') process.stderr.write(`  … ${e.title}\n`);
    else if (e.status === 'done') process.stderr.write(`  ✓ ${e.title} (${formatElapsed(e.durationMs ?? 0)})${e.detail ? `: ${safeText(e.detail)}` : ''}\n`);
    else if (e.status === 'failed') process.stderr.write(`  ✗ ${e.title}: ${safeText(e.error ?? '')}\n`);
  } else if (e.type === 'log') {
    process.stderr.write(`    ${safeText(e.line)}\n`);
  }
}

/** Runs an action from the command line; returns the exit code (0 ok, 1 failed/refused/cancelled). */
export async function runFromCli<P>(runner: Runner, action: ActionDef<P>, params: P, opts: { yes?: boolean }): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ninterrupted: stopping after the current call\n');
    abort.abort(new Error('interrupted by Ctrl-C'));
  };
  process.once('SIGINT', onSigint);
  let res: RunResult;
  try {
    res = await runner.run(action, params, { confirm: cliConfirm(opts), onEvent: printEvent, signal: abort.signal });
  } catch (e) {
    if (e instanceof NeedsConfirmation) {
      process.stderr.write(`opsdeck: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  switch (res.result) {
    case 'ok':
      process.stdout.write(`${action.done} ${action.target(params)} in ${formatElapsed(res.durationMs)}${res.detail ? ` — ${safeText(res.detail)}` : ''}\n`);
      return 0;
    case 'cancelled':
      process.stderr.write('cancelled: nothing was changed\n');
      return 1;
    case 'refused':
      process.stderr.write(`opsdeck: ${res.error}\n`);
      return 1;
    default:
      process.stderr.write(`opsdeck: ${action.title.toLowerCase()} failed: ${res.error}\n`);
      return 1;
  }
}
