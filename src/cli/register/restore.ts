import type { Command } from 'commander';
import type { CommandHooks } from './types.js';

/** `restore`, `drill` and `restores` (see types.ts for the rules of a register file). */
export function register(program: Command, hooks: CommandHooks): void {
  program
    .command('restore <target> [backup-id]')
    .description('guided restore with a safety backup and automatic rollback')
    .option('-y, --yes', 'confirm without asking (scripts; there is no terminal to type the name on)')
    .option('--json', 'print the outcome (steps, safety backup, row counts before/after) as JSON on stdout')
    .addHelpText('after', [
      '',
      'BACKUP-ID as `opsdeck backups TARGET` lists it. Without it: the only usable backup; when there are',
      'several, they are listed (newest verified marked *) and nothing is done: name one.',
      '',
      'Preflight (nothing is changed when any fails, each with its own message): the backup finished and',
      'its file exists; its sha256 matches the record; it verified (or verifies now); the engine accepts',
      'it (PostgreSQL: the server major >= the dump\'s; Redis: refused with appendonly on, the AOF would',
      'win over the restored dump.rdb); free space >= 2x its size plus the safety backup; no other action',
      'holds the target\'s or a dependant\'s lock; the dependants to stop are known (`stop:` of the target',
      'in the config, else the other running non-database services of its compose project).',
      '',
      'Then, shown step by step: pause restart policies (always/unless-stopped/on-failure) -> stop the',
      'dependants -> safety backup of the current data, verified -> restore (PostgreSQL in one transaction;',
      'SQLite to a temp file, integrity_check, atomic rename; Redis stop/replace dump.rdb/start) -> start',
      'the dependants in their original order -> put the policies back -> verify health (running, healthy,',
      'the target\'s checks, row/key counts) -> record. If anything fails after the safety backup, opsdeck',
      'restores the safety backup the same way and starts everything again ("rolled back to the state',
      'of TIME"); if that fails too it says what state things are in and where the safety backup is.',
      'Ctrl-C asks, then rolls back the same way.',
      '',
      'Confirmation: type the target\'s name; without a terminal --yes is required.',
      'Exit status: 0 restored and healthy; 1 refused, cancelled, failed (rolled back or not); 2 unknown',
      'target or backup id, or several backups and none named.',
      '',
      'Examples:',
      '  opsdeck restore shop-db',
      '  opsdeck restore shop-db shop-db-20261123T020000Z --yes',
    ].join('\n'))
    .action(async (target: string, backupId: string | undefined, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runRestoreCommand } = await import('../restore.js');
      hooks.setResult(await runRestoreCommand(ctx, target, backupId, opts));
    });

  program
    .command('drill <target> [backup-id]')
    .description('restore drill: the newest verified backup into a throwaway container, proved and recorded')
    .option('--json', 'print the outcome as JSON on stdout')
    .addHelpText('after', [
      '',
      'Restores the backup (default: the newest verified one) into a new container of the same image as',
      'the source (label opsdeck.drill=1), checks the data (row counts per table, integrity_check, key',
      'count), removes the container, and records "proven restorable" (shown in the Backups view and',
      'usable by the backup check: `drillWithin`). The target itself is not touched, so nothing is asked.',
      'A drill that finds the data broken marks the backup as failed verification.',
      '',
      'Exit status: 0 proven; 1 the drill failed (or could not run); 2 unknown target or backup id.',
    ].join('\n'))
    .action(async (target: string, backupId: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runDrillCommand } = await import('../restore.js');
      hooks.setResult(await runDrillCommand(ctx, target, backupId, opts));
    });

  program
    .command('restores [target]')
    .description('the history of restores and drills, newest first')
    .option('--json', 'machine-readable JSON')
    .option('-n, --limit <n>', 'how many entries', '50')
    .action(async (target: string | undefined, opts: { json?: boolean; limit?: string }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runRestoresCommand } = await import('../restore.js');
      hooks.setResult(await runRestoresCommand(ctx, target, opts));
    });
}
