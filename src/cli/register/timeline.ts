import type { Command } from 'commander';
import type { CommandHooks } from './types.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Commands of this feature (see types.ts for the rules of a register file). */
export function register(program: Command, hooks: CommandHooks): void {
  program
    .command('timeline')
    .description('what happened, in order: Docker events, check changes and alerts, maintenance windows, operator actions')
    .option('--since <when>', 'from a duration ago ("15m", "2h", "1d") or a time (2026-11-23T14:00:00Z)', '1h')
    .option('--until <when>', 'up to a duration ago or a time (default: now)')
    .option('--source <source>', 'only these sources: docker, alert, check, maintenance, action (repeat or comma-separate)', collect, [])
    .option('--match <text>', 'only entries whose container, check or project name contains TEXT (any case)')
    .option('-n, --limit <n>', 'at most N entries, the newest (default 5000)')
    .option('--json', 'a JSON array, oldest first: { time, at, source, severity, subject, project, message, container, key, kind, exitCode }')
    .option('--no-backfill', 'do not ask Docker for the events it still holds; only what is recorded')
    .addHelpText('after', [
      '',
      'Sources: docker (create, start, die with its exit code, OOM kill, kill with the signal, restart, stop,',
      'health changes, destroy, rename; image pull, delete, tag), alert (a confirmed check change that was',
      'notified), check (a change whose notification was suppressed, e.g. during maintenance), maintenance',
      '(windows entered and ended), action (the audit log: who did what, with what result).',
      '',
      'Docker events are kept in the state store (30 days, at most 100,000) by the cockpit and the agent.',
      'Before reading, this command stores the events dockerd still holds in memory (its last 256 events,',
      'of every kind) since the last recorded one, so what happened while no opsdeck ran is there too, as',
      'long as dockerd has not dropped it. A host-wide maintenance window is shown whatever --match says.',
      '',
      'Exit status: 0 ok (also when nothing matched; Docker unreachable is a note on stderr);',
      '1 the state store cannot be opened; 2 bad option.',
      '',
      'Examples:',
      '  opsdeck timeline --since 2h --match shop',
      '  opsdeck timeline --source docker --json | jq -r \'.[] | select(.kind == "die") | "\\(.time) \\(.subject) \\(.exitCode)"\'',
    ].join('\n'))
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runTimelineCommand } = await import('../timeline.js');
      hooks.setResult(await runTimelineCommand(ctx, opts));
    });

  const incident = program.command('incident').description('incident response: the post-incident report draft');
  incident
    .command('report')
    .description('write a post-incident report draft (Markdown) pre-filled from the timeline and the audit log')
    .option('--since <when>', 'from a duration ago ("2h", "1d") or a time (2026-11-23T14:00:00Z)', '2h')
    .option('--until <when>', 'up to a duration ago or a time (default: now)')
    .option('--match <text>', 'only entries (and actions) about containers, checks or projects whose name contains TEXT')
    .option('--title <text>', 'the title (default: the first failure seen)')
    .option('-o, --out <file>', 'write to FILE (mode 0600); "-" prints the Markdown on stdout')
    .option('-f, --force', 'overwrite FILE if it exists')
    .option('--no-backfill', 'do not ask Docker for the events it still holds; only what is recorded')
    .addHelpText('after', [
      '',
      'The runbooks\' template: title, date, duration (first failure to recovery, or "ongoing"), a severity',
      'guess (P1: something still failing or 3+ services failed; P2: failures that recovered; P3: warnings),',
      'a summary placeholder with what opsdeck saw, the timeline as a table, the actions taken (audit log),',
      'the services affected, and empty Root Cause, Action Items and Lessons Learned sections.',
      '',
      'Without --out the draft goes to $XDG_DATA_HOME/opsdeck/incidents/incident-HOST-YYYYMMDD-HHMMSS.md',
      '(directory 0700, file 0600) and its path is printed. An existing file is never overwritten without',
      '--force (a draft may already hold your edits).',
      '',
      'Exit status: 0 written; 1 the file exists (without --force) or cannot be written, or the state',
      'store cannot be opened; 2 bad option.',
      '',
      'Examples:',
      '  opsdeck incident report --since 3h',
      '  opsdeck incident report --since 2026-11-23T13:40:00Z --until 2026-11-23T15:00:00Z --out incident.md',
      '  opsdeck incident report --match shop --out - | less',
    ].join('\n'))
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const ctx = hooks.ctxOf(cmd);
      const { runIncidentReportCommand } = await import('../timeline.js');
      hooks.setResult(await runIncidentReportCommand(ctx, opts));
    });
}
