import type { Command } from 'commander';
import type { CommandHooks } from './types.js';

/** Commands of this feature (see types.ts for the rules of a register file). */
export function register(program: Command, hooks: CommandHooks): void {
  void program;
  void hooks;
}
