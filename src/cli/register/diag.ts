import type { Command } from 'commander';
import type { CommandHooks } from './types.js';

/** Commands of this feature (see types.ts for the rules of a register file). */
export function register(program: Command, hooks: CommandHooks): void {
  program
    .command('diag')
    .description('write a diagnostics bundle (tar.gz, 0600, secrets redacted) for an incident: state, logs, timeline, health, databases')
    .option('--since <when>', 'start of the window: a duration ago ("15m", "1h", "2d") or a time (2026-11-23T14:00:00Z)', '1h')
    .option('--out <file>', 'write here: a file name, or a directory for the default name (default: STATE_DIR/diag/)')
    .option('--no-logs', 'leave the containers\' logs out')
    .option('--json', 'print { file, bytes, id, files, notes } as JSON on stdout instead of the path')
    .addHelpText('after', [
      '',
      'The bundle is opsdeck-diag-<host>-<incident id>.tar.gz, the id being the UTC time it was started',
      '(20261123T144133Z); mode 0600, written as <file>.partial and renamed when complete. Inside:',
      '  SUMMARY.md          what is in it, the window, containers by state, those needing attention,',
      '                      failing checks, what could not be collected and what was cut',
      '  errors.txt          what could not be collected or was cut, one line each',
      '  opsdeck/            version, config file, endpoint; the effective config (secrets masked)',
      '  host/host.json      uptime, load, CPU, memory, disks of the machine opsdeck runs on',
      '  docker/             `docker version`, `docker info`, the container and image lists, a stats snapshot',
      '  containers/NAME/    inspect.json (environment values masked) and logs.txt: the window\'s log lines',
      '                      with UTC time and stream, at most 10 MiB per file (the newest lines are kept;',
      '                      a cut file starts with an "[opsdeck] cut:" line saying what was dropped)',
      '  timeline.*          Docker events, check transitions, alerts, maintenance, operator actions',
      '  health.*            every health check, run once now (as `opsdeck check`)',
      '  postgres/NAME/      pg_stat_activity and locks (psql inside each running PostgreSQL container)',
      '  redis/NAME/         INFO (redis-cli inside each running Redis container)',
      '',
      'Secrets are redacted in every file, logs included: values under names containing PASS(WORD),',
      'SECRET, TOKEN, KEY, CREDENTIAL, AUTH or PRIVATE (as a word of the name: MONKEY is not one), and',
      'credentials in URLs, Bearer/Basic headers, cookies, JWTs, AWS keys, PEM private keys, SQL',
      'PASSWORD \'…\'. Look through a bundle before you send it anywhere all the same.',
      '',
      'Every part has a timeout; a part that fails (Docker slow, a container removed meanwhile, a',
      'database refusing) is noted in SUMMARY.md and errors.txt, and the bundle is still written.',
      'Progress goes to stderr; the path of the bundle to stdout.',
      '',
      'Environment: OPSDECK_DIAG_LOG_CAP (cap per log file, e.g. 2MiB; default 10MiB),',
      'OPSDECK_DIAG_TIMEOUT (one timeout for every part, e.g. 30s; default 10 s per Docker call, 15 s',
      'per database command, 60 s per container\'s logs and for the checks).',
      '',
      'Exit status: 0 written (even with parts noted as missing); 1 not written (no space, a file',
      'already at --out, Ctrl-C); 2 bad option.',
      '',
      'Examples:',
      '  opsdeck diag',
      '  opsdeck diag --since 2h --out /tmp/',
      '  scp "$(opsdeck diag --since 30m)" support@host:',
    ].join('\n'))
    .action(async (opts: { since?: string; out?: string; logs?: boolean; json?: boolean }, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runDiagCommand } = await import('../diag.js');
      hooks.setResult(await runDiagCommand(ctx, opts));
    });
}
