import type { Command } from 'commander';
import type { CommandHooks } from './types.js';

/** Commands of this feature (see types.ts for the rules of a register file). */
export function register(program: Command, hooks: CommandHooks): void {
  program
    .command('capacity')
    .description('per resource: current value, growth per day and "full in N days", from the metric history')
    .option('--json', 'a JSON array: [{ id, title, group, unit, window, current, min, max, limit, samples, projection }]')
    .option('-w, --window <window>', 'the window the trend is fitted over: 1h, 24h, 7d or 30d', '7d')
    .option('-a, --all', 'also per-container CPU and network/disk I/O rates in the table (JSON always has them)')
    .addHelpText('after', [
      '',
      'Reads the metric history in the state file only (no Docker needed): what `opsdeck agent` records,',
      'or a cockpit while no agent runs. Resources: host CPU, memory, load and each filesystem; per',
      'container memory (and with --all CPU, net rx/tx, disk read/write); PostgreSQL database sizes,',
      'Redis memory, SQLite file + WAL sizes; Docker volume sizes.',
      '',
      'PROJECTION is a linear least-squares fit over the window, stated with its r²:',
      '  full in N days (r² 0.97)   growing towards a limit (disk size, memory limit, Redis maxmemory)',
      '  growing X/day, no limit    growing, nothing to be full against (database and volume sizes)',
      '  shrinking X/day            falling',
      '  no trend (r² 0.12)         the line explains too little (r² < 0.5), or it is flat',
      '  too few points (3 of 10)   not enough samples in the window yet',
      'CPU, load and I/O rates have no projection.',
      '',
      'Exit status: 0 ok (also when there is no history yet); 1 the state file cannot be read;',
      '2 bad option.',
      '',
      'Examples:',
      '  opsdeck capacity',
      '  opsdeck capacity --window 30d',
      '  opsdeck capacity --json | jq \'.[] | select(.projection.status == "full-in") | {title, days: .projection.daysToFull}\'',
    ].join('\n'))
    .action(async (opts: { json?: boolean; window?: string; all?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runCapacityCommand } = await import('../capacity.js');
      hooks.setResult(await runCapacityCommand(ctx, opts));
    });

  program
    .command('agent')
    .description('run in the foreground (for systemd): collect metric history and run the health checks into the state file')
    .option('-i, --interval <duration>', 'sampling interval for host and container metrics, 1s … 1h (default: metrics.interval from the config, else 10s)')
    .addHelpText('after', [
      '',
      'Every interval: host CPU, memory, load and filesystems, and each running container\'s CPU,',
      'memory, network and disk I/O (from one stats sample per container). Every six intervals or',
      'every minute, whichever comes first: PostgreSQL database sizes (psql in the container), Redis',
      'used_memory and maxmemory (redis-cli in the container), SQLite file + WAL sizes of configured',
      'targets and checks. Every 5 minutes: Docker volume sizes (docker system df). Samples are kept',
      'as taken for 24 h, as 1-minute averages for 7 days and 15-minute averages for 90 days.',
      '',
      'The health checks run on their intervals as in the cockpit, with alerts (state, webhook).',
      'A cockpit opened meanwhile reads this history and does not record itself; without an agent',
      'the cockpit records while it runs.',
      '',
      'One agent per state file: a second one is refused, naming the first (pid, host, user, since).',
      'A lock left by an agent that was killed is broken (and audited) on start.',
      'SIGTERM or SIGINT: finishes the current round, compacts, releases its locks, exits 0.',
      'stderr: one line when it starts and one when it stops, failures at most once per 10 min.',
      '',
      'Exit status: 0 stopped by a signal; 1 another agent runs, or the state file cannot be used;',
      '2 bad option.',
      '',
      'Example systemd unit (/etc/systemd/system/opsdeck-agent.service):',
      '  [Service]',
      '  ExecStart=/usr/local/bin/opsdeck agent',
      '  Restart=on-failure',
    ].join('\n'))
    .action(async (opts: { interval?: string }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runAgentCommand } = await import('../agent.js');
      hooks.setResult(await runAgentCommand(ctx, opts));
    });
}
