import type { Command } from 'commander';
import type { Context } from '../context.js';

/**
 * What a feature's command registration gets from main.ts. A register file only declares commands
 * (options, help text) and lazily `await import()`s its implementation inside the action, so
 * `opsdeck --version` and other commands do not pay for modules they never run.
 */
export interface CommandHooks {
  /** The resolved context (config, endpoint, state dir …) for a command's action. */
  ctxOf(cmd: Command): Context;
  /** The process exit code of the command (0 ok, 1 failed, 2 usage). */
  setResult(code: number): void;
}
