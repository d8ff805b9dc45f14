import type { Command } from 'commander';
import { UsageError } from '../context.js';
import type { CommandHooks } from './types.js';

const CONFIRM = '-y, --yes';
const CONFIRM_HELP = 'confirm without asking (for scripts; required without a terminal)';

/** Docker Swarm commands (see types.ts for the rules of a register file). */
export function register(program: Command, hooks: CommandHooks): void {
  program
    .command('services')
    .description('Swarm services on this manager: mode, replicas running/desired, image, rolling update state; then the nodes')
    .option('--json', 'the whole snapshot as JSON: role, services (with their tasks and update progress), nodes')
    .option('--tasks', 'list each service\'s current tasks under it: slot, node, state, error')
    .addHelpText('after', [
      '',
      'REPLICAS counts tasks that run and that Docker wants running, as `docker service ls` does.',
      'UPDATE: "updating 2/5" (tasks on the new spec that run, of the desired count), "paused: <why>",',
      '"rollback_started 1/3", "completed 3m ago", "rollback_completed …".',
      '',
      'Exit status: 0 ok; 1 Docker unreachable, or this engine is not a swarm manager (the reason on',
      'stderr; with --json the snapshot is still printed); 2 bad option.',
    ].join('\n'))
    .action(async (opts: { json?: boolean; tasks?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runServicesCommand } = await import('../../swarm/cli.js');
      hooks.setResult(await runServicesCommand(ctx, opts));
    });

  program
    .command('scale <service> <replicas>')
    .description('set a replicated Swarm service\'s replica count (asks first: "web: 3 → 5 replicas"), then wait until that many run')
    .option(CONFIRM, CONFIRM_HELP)
    .addHelpText('after', [
      '',
      'Global services (one task per node) cannot be scaled. Scaling to 0 asks for the service\'s name.',
      'Waits up to 60 s for the replicas; a shortfall (no node fits, the image fails) fails with how far',
      'it got and the tasks\' errors — Docker keeps trying. Locked and audited as service/NAME.',
      '',
      'Exit status: 0 done; 1 unknown service (near names are listed), not a manager, refused, cancelled',
      'or failed; 2 bad REPLICAS or option.',
    ].join('\n'))
    .action(async (service: string, replicas: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runServiceAction } = await import('../../swarm/cli.js');
      hooks.setResult(await runServiceAction(ctx, 'scale', service, { yes: opts.yes, replicas }));
    });

  program
    .command('service-update <service>')
    .description('with --force: a rolling restart of a Swarm service (every task replaced by its update config; asks first)')
    .option('--force', 'replace every task even though the spec is unchanged (ForceUpdate + 1)')
    .option(CONFIRM, CONFIRM_HELP)
    .addHelpText('after', [
      '',
      'Only --force is supported: other changes belong in the stack file. Waits until Docker reports the',
      'update completed; fails with Docker\'s message when it pauses or rolls back (update_config.failure_action).',
      '',
      'Exit status: 0 completed; 1 unknown service, not a manager, refused (an update in progress),',
      'cancelled, paused or rolled back; 2 without --force or a bad option.',
    ].join('\n'))
    .action(async (service: string, opts: { yes?: boolean; force?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      if (!opts.force) throw new UsageError('service-update: only --force is supported (a rolling restart); e.g. opsdeck service-update web --force');
      const { runServiceAction } = await import('../../swarm/cli.js');
      hooks.setResult(await runServiceAction(ctx, 'force', service, { yes: opts.yes }));
    });

  program
    .command('rollback <service>')
    .description('roll a Swarm service back to its previous spec (asks first, listing what changes back)')
    .option(CONFIRM, CONFIRM_HELP)
    .addHelpText('after', [
      '',
      'Refused when the service has no previous spec (never updated). The spec rolled back from becomes',
      'the previous one, so a second rollback undoes the first. Waits until Docker reports it completed.',
      '',
      'Exit status: 0 rolled back; 1 unknown service, not a manager, refused, cancelled or failed; 2 bad option.',
    ].join('\n'))
    .action(async (service: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runServiceAction } = await import('../../swarm/cli.js');
      hooks.setResult(await runServiceAction(ctx, 'rollback', service, { yes: opts.yes }));
    });
}
