import { Command, CommanderError, Option } from 'commander';
import { buildContext, UsageError, type GlobalOptions } from './context.js';
import { VERSION } from '../version.js';
import type { CommandHooks } from './register/types.js';
import { register as registerRestore } from './register/restore.js';
import { register as registerDiag } from './register/diag.js';
import { register as registerTimeline } from './register/timeline.js';
import { register as registerCapacity } from './register/capacity.js';
import { register as registerSwarm } from './register/swarm.js';

/** Exit codes: 0 ok, 1 the operation failed, 2 usage or config error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

class Exit extends Error {
  constructor(readonly code: number) { super(`exit ${code}`); }
}

function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Parses argv, runs one command, returns the process exit code. Never throws for user errors. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('opsdeck');
  let result: number = EXIT.ok;
  program
    .description('A terminal operations cockpit for Docker hosts. Without a command: the interactive cockpit (needs a terminal).')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--config <file>', 'config file (else $OPSDECK_CONFIG, ./opsdeck.yaml, $XDG_CONFIG_HOME/opsdeck/config.yaml, /etc/opsdeck/config.yaml)')
    .option('--state-dir <dir>', 'state directory (else $OPSDECK_STATE_DIR, $XDG_STATE_HOME/opsdeck)')
    .option('--read-only', 'refuse every action that changes anything')
    .option('--docker-host <url>', 'Docker endpoint: unix:///path, tcp://host:2376 (TLS from DOCKER_CERT_PATH), ssh://user@host')
    .option('-E, --endpoint <name>', 'which configured endpoint (or Docker context) to act on / show first (else $OPSDECK_ENDPOINT, the first); the cockpit also takes "all"')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .addOption(new Option('--ascii', 'ASCII sparklines and bars instead of braille/blocks'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  const ctxOf = (cmd: Command) => {
    const ctx = buildContext(cmd.optsWithGlobals() as GlobalOptions);
    if (ctx.allEndpoints && cmd !== program) {
      throw new UsageError(`--endpoint all is for the cockpit; \`${cmd.name()}\` acts on one endpoint: name it (${ctx.endpoints.map((e) => e.name).join(', ')})`);
    }
    return ctx;
  };

  program.action(async (_opts, cmd: Command) => {
    const ctx = ctxOf(cmd);
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      write(process.stderr, 'opsdeck: the interactive cockpit needs a terminal; for scripts and cron use `opsdeck status --json`');
      throw new Exit(EXIT.usage);
    }
    // Colour is decided here, before chalk loads: chalk's own detection turns colours off whenever
    // CI is set (as Ink's does its frames), but this is a terminal and the operator's choice counts.
    process.env.FORCE_COLOR = ctx.color ? (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0' ? process.env.FORCE_COLOR : '1') : '0';
    // Ask Docker for the container list before the UI modules load: the request travels while Ink
    // and React evaluate (~100 ms), so the first frame can already list containers.
    const { DockerModel } = await import('../model/dockerModel.js');
    const docker = new DockerModel(ctx.endpoint, { refreshMs: ctx.refreshMs });
    docker.start();
    const { runCockpit } = await import('./cockpit.js');
    result = await runCockpit(ctx, docker);
  });

  program
    .command('status')
    .description('one snapshot: host, containers, checks, alerts, maintenance')
    .option('--json', 'machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { collectStatus, formatStatus } = await import('./status.js');
      const snap = await collectStatus(ctx);
      if (opts.json) write(process.stdout, JSON.stringify(snap, null, 2));
      else write(process.stdout, formatStatus(snap, process.stdout.isTTY ? process.stdout.columns : undefined));
      if (snap.docker.status !== 'up') {
        if (opts.json) write(process.stderr, `opsdeck: Docker unreachable: ${snap.docker.error}`);
        result = EXIT.failed;
      }
    });

  program
    .command('check')
    .description('run the health checks once (configured and discovered) and print one line each, worst first')
    .argument('[names...]', 'only these checks: exact names, or a prefix ending in ":" or "*" (container:, db-*)')
    .option('--json', 'only a JSON array on stdout: [{ name, kind, status, message, latencyMs, details, at }]')
    .option('--full', 'SQLite checks run the full PRAGMA integrity_check (slow on big files) instead of quick_check')
    .addHelpText('after', [
      '',
      'Exit status (Nagios plugin convention), the worst check wins (crit > unknown > warn > ok):',
      '  0 all ok, 1 warn, 2 crit, 3 unknown (a check could not tell, e.g. it timed out).',
      '  An unknown NAME or a bad option is a usage error: also 2, with the reason on stderr.',
      'Docker unreachable: checks that need it are unknown with the reason; host checks still run.',
      'A pure probe: nothing is recorded and no alert is sent (the cockpit and the agent do that).',
      '',
      'Examples:',
      '  opsdeck check                          every check',
      '  opsdeck check api shop-db              two checks by name',
      '  opsdeck check container:               every container check',
      '  opsdeck check --json | jq \'.[] | select(.status != "ok")\'',
    ].join('\n'))
    .action(async (names: string[], opts: { json?: boolean; full?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runCheckCommand } = await import('./check.js');
      result = await runCheckCommand(ctx, names, opts);
    });

  program
    .command('logs <target>')
    .description('print a container\'s logs, or a compose project\'s merged by time (TARGET: container, service or project)')
    .option('--since <when>', 'only lines since a duration ago ("15m", "1h", "2d") or a time (2026-11-23T14:00:00Z)')
    .option('--tail <n>', 'lines of history per container, or "all" (default: logs.tail from the config, 500; all with --since)')
    .option('--grep <re>', 'only lines matching a regular expression ("/re/i" for any case)')
    .option('--level <level>', 'only lines at this level or worse: error, warn, info, debug')
    .option('-f, --follow', 'keep printing new lines (across restarts) until Ctrl-C')
    .option('-t, --timestamps', 'prefix each line with its UTC timestamp')
    .option('--json', 'one JSON object per line: ts, container, source, stream, level, continuation, text')
    .addHelpText('after', '\nExit status: 0 ok, 1 unknown target or Docker unreachable, 2 bad option.\nNotes (a container stopped, restarted or was removed) go to stderr; with --json they are objects with stream "note".')
    .action(async (target: string, opts: Record<string, unknown>, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runLogs } = await import('./logs.js');
      result = await runLogs(ctx, target, opts);
    });

  for (const verb of ['restart', 'stop', 'start'] as const) {
    const what = { restart: 'restart a container (asks first)', stop: 'stop a container (asks for its name first)', start: 'start a stopped container (asks first)' }[verb];
    program
      .command(`${verb} <container>`)
      .description(what)
      .option('-y, --yes', 'confirm without asking (for scripts; required without a terminal)')
      .option('-t, --timeout <seconds>', 'seconds Docker waits after SIGTERM before SIGKILL', '10')
      .action(async (name: string, opts: { yes?: boolean; timeout: string }, cmd: Command) => {
        const ctx = ctxOf(cmd);
        const timeoutSec = Number(opts.timeout);
        if (!Number.isInteger(timeoutSec) || timeoutSec < 0) throw new UsageError(`--timeout: expected whole seconds, got "${opts.timeout}"`);
        const { cliRunner, runFromCli } = await import('./actions.js');
        const { containerActions, resolveContainer } = await import('../../actions/container.js');
        const { runner, db } = cliRunner(ctx);
        try {
          const container = await resolveContainer(runner.ctx.docker, name);
          result = await runFromCli(runner, containerActions[verb], { container, timeoutSec }, { yes: opts.yes });
        } finally {
          db?.close();
        }
      });
  }

  program
    .command('backup <target>')
    .description('back up one target now: dump, verify, apply retention (no question asked: nothing is overwritten)')
    .option('--json', 'print the backup record (as `backups --json` has it) on stdout')
    .addHelpText('after', [
      '',
      'TARGET is a key of backups.targets in the config, or a discovered one (project/service of a',
      'running postgres, redis or MySQL container no target covers); an unknown TARGET lists them all.',
      '',
      'Steps, printed to stderr as they run: remove stale .partial files of an interrupted run; check',
      'free space (the estimate + 10 % must fit, else refused before anything is written); dump into',
      '<dir>/<target>/<id><ext>.partial (0600), fsync, rename; verify (sha256, then pg_restore --list,',
      'PRAGMA integrity_check, redis-check-rdb or a tar listing); apply backups.retention to the target.',
      'Files go to backups.dir (default $XDG_DATA_HOME/opsdeck/backups). The run takes the lock',
      '"backup:TARGET" (shared with the cockpit) and is written to the audit log. A stale lock left by',
      'a killed backup on this host is broken (and audited) first.',
      '',
      'Exit status: 0 backed up and verified; 1 failed, refused (read-only, no space, busy) or the new',
      'backup failed verification; 2 unknown target or bad option.',
      '',
      'Examples:',
      '  opsdeck backup shop-db',
      '  opsdeck backup shop-db --json | jq -r .file',
    ].join('\n'))
    .action(async (target: string, opts: { json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runBackupCommand } = await import('./backup.js');
      result = await runBackupCommand(ctx, target, opts);
    });

  program
    .command('backups [target]')
    .description('the backup history, newest first: id, time, age, size, duration, sha256, status, verified')
    .option('--json', 'machine-readable JSON: an array of backup records')
    .option('-a, --all', 'include backups whose files retention removed')
    .option('-n, --limit <n>', 'how many entries', '50')
    .addHelpText('after', [
      '',
      'STATUS is ok, failed or running; a run whose process died (kill -9, power loss) shows as failed',
      '"interrupted". VERIFIED is yes, NO (the proof failed: never used as the latest good backup) or –',
      '(not verified). Reads only the state store: works without Docker.',
      '',
      'Examples:',
      '  opsdeck backups',
      '  opsdeck backups shop-db --json | jq \'[.[] | select(.status == "ok" and .verified)][0].file\'',
    ].join('\n'))
    .action(async (target: string | undefined, opts: { json?: boolean; all?: boolean; limit?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runBackupsCommand } = await import('./backup.js');
      result = await runBackupsCommand(ctx, target, opts);
    });

  program
    .command('verify <id>')
    .description('prove a backup restorable again: sha256 against the history, then the engine\'s check')
    .option('--json', 'print the updated backup record on stdout')
    .addHelpText('after', [
      '',
      'ID as `opsdeck backups` lists it. The outcome is recorded in the history: a failed verification',
      'takes the backup out of "latest good" (the backup:TARGET check then looks further back).',
      'Changes nothing else, so it also runs with --read-only.',
      '',
      'Exit status: 0 verified; 1 verification failed, or the backup has no file (failed, removed);',
      '2 unknown ID.',
    ].join('\n'))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runVerifyCommand } = await import('./backup.js');
      result = await runVerifyCommand(ctx, id, opts);
    });

  program
    .command('prune [target]')
    .description('apply the retention policy (backups.retention) by hand: delete the backups it does not keep')
    .option('--dry-run', 'only list what would be kept and removed, and why')
    .option('-y, --yes', 'confirm without asking (for scripts; required without a terminal)')
    .option('--json', 'with --dry-run: the plans; else the results, as JSON')
    .addHelpText('after', [
      '',
      'Without TARGET, every target in the history. The policy is restic\'s: keepLast N newest, then the',
      'newest of each of the last keepDaily days, keepWeekly ISO weeks and keepMonthly months that have',
      'a backup. Backups whose verification failed are removed; the newest verified backup is never',
      'removed; failed runs (no file) stay in the history. A policy of all zeros is refused (exit 2).',
      'Deleting asks you to type the target\'s name, per target, unless --yes.',
      '',
      'Exit status: 0 pruned (or nothing to prune); 1 refused, cancelled or a file could not be deleted;',
      '2 unknown target, empty policy or bad option.',
      '',
      'Examples:',
      '  opsdeck prune --dry-run',
      '  opsdeck prune shop-db --yes',
    ].join('\n'))
    .action(async (target: string | undefined, opts: { dryRun?: boolean; yes?: boolean; json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runPruneCommand } = await import('./backup.js');
      result = await runPruneCommand(ctx, target, opts);
    });

  program
    .command('audit')
    .description('who did what, when, with what result (newest first)')
    .option('--json', 'machine-readable JSON')
    .option('-n, --limit <n>', 'how many entries', '50')
    .option('--target <target>', 'only this target, e.g. container/shop-api-1')
    .action(async (opts: { json?: boolean; limit: string; target?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { withStore } = await import('./actions.js');
      const { listAudit } = await import('../store/audit.js');
      const { formatAuditTable } = await import('./auditTable.js');
      await withStore(ctx, (db) => {
        const rows = listAudit(db, { limit: Number(opts.limit) || 50, target: opts.target });
        if (opts.json) write(process.stdout, JSON.stringify(rows, null, 2));
        else write(process.stdout, rows.length ? formatAuditTable(rows) : 'no audit entries yet');
      });
    });

  program
    .command('locks')
    .description('actions in progress (locks held), stale ones marked')
    .option('--json', 'machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { withStore } = await import('./actions.js');
      const { listLocks, describeHolder } = await import('../store/locks.js');
      await withStore(ctx, (db) => {
        const locks = listLocks(db);
        if (opts.json) write(process.stdout, JSON.stringify(locks, null, 2));
        else write(process.stdout, locks.length ? locks.map((l) => describeHolder(l, l.stale)).join('\n') : 'no locks held');
      });
    });

  program
    .command('unlock <target>')
    .description('break a stale lock (its process is gone); a live one is refused')
    .action(async (target: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (ctx.readOnly) throw new Error('refused: opsdeck runs read-only, so it will not break a lock');
      const { withStore } = await import('./actions.js');
      const { breakLock } = await import('../store/locks.js');
      const { appendAudit } = await import('../store/audit.js');
      const { currentUser } = await import('../store/paths.js');
      const { hostname } = await import('node:os');
      await withStore(ctx, (db) => {
        const broken = breakLock(db, target);
        if (!broken) {
          write(process.stdout, `no lock held on ${target}`);
          return;
        }
        appendAudit(db, { at: new Date().toISOString(), user: currentUser(), host: hostname(), action: 'lock.break', target, params: { ...broken }, result: 'ok', error: null, durationMs: 0 });
        write(process.stdout, `broke the stale lock on ${target} (was: ${broken.action} by ${broken.user}, pid ${broken.pid}, since ${broken.startedAt})`);
      });
    });

  const maintenance = program.command('maintenance').description('maintenance windows: on (503 page, stop services), run tasks, off (start them, healthy), status, history');
  maintenance
    .command('on')
    .description('enter maintenance: write the flag file (the proxy answers 503), stop the services (asks for the scope\'s name)')
    .option('-p, --project <project>', 'only this compose project (default: the whole host)')
    .option('-r, --reason <text>', 'why (shown in status and in the flag file)')
    .option('--for <duration>', 'planned length, e.g. 30m (the maintenance check warns 15 min after it)')
    .option('--stop-timeout <duration>', 'per service: SIGTERM, then SIGKILL after this long (default 10s)')
    .option('-y, --yes', 'confirm without asking (for scripts; required without a terminal)')
    .addHelpText('after', [
      '',
      'Stops maintenance.stop from the config (container or service names), else every running service of',
      'the scope except databases (postgres, redis, mysql) and proxies (nginx, traefik, caddy, haproxy):',
      'dependents first (compose depends_on label), else in reverse name order. Each is recorded as it',
      'goes, so an interrupted run can be finished with `opsdeck maintenance off`.',
      'Already in maintenance: says since when, changes nothing, exit 0.',
      'Exit status: 0 on; 1 failed, refused or cancelled; 2 bad option.',
    ].join('\n'))
    .action(async (opts: { project?: string; reason?: string; for?: string; stopTimeout?: string; yes?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runMaintenanceOn } = await import('./maintenance.js');
      result = await runMaintenanceOn(ctx, opts);
    });
  maintenance
    .command('off')
    .description('leave maintenance: start what was stopped (dependencies first), wait until healthy, remove the flag')
    .option('--timeout <duration>', 'how long each service gets to run and be healthy (default 120s)')
    .option('-y, --yes', 'confirm without asking (for scripts; required without a terminal)')
    .addHelpText('after', [
      '',
      'Works from the recorded list: services already running and a missing flag file are fine.',
      'If a service does not come back (not running, unhealthy, timed out), maintenance stays on, the',
      'flag stays, and the service is named with its state, exit code and last health output: exit 1.',
      'Not in maintenance: says so, exit 0.',
    ].join('\n'))
    .action(async (opts: { timeout?: string; yes?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runMaintenanceOff } = await import('./maintenance.js');
      result = await runMaintenanceOff(ctx, opts);
    });
  maintenance
    .command('run')
    .description('run maintenance tasks: the named ones (KIND:ARG), else maintenance.tasks from the config')
    .argument('[tasks...]', 'vacuum:T, reindex:T, integrity:T, bgrewriteaof:T, backup:T, prune:images, prune:containers')
    .option('--timeout <duration>', 'database tasks give up after this long (default 1h)')
    .option('-y, --yes', 'confirm without asking (for scripts; required without a terminal)')
    .addHelpText('after', [
      '',
      'T is a backup target id (configured or discovered), a postgres/redis container name, or for SQLite',
      'CONTAINER:/path/file.db. Database tasks run inside the container: VACUUM ANALYZE, REINDEX DATABASE,',
      'pg_amcheck; sqlite3 VACUUM, REINDEX, PRAGMA integrity_check; redis-cli BGREWRITEAOF. prune lists',
      'what it would remove first (never a container this maintenance window stopped).',
      'Each task runs through the runner (lock, audit) and is recorded in the open window.',
      'Exit status: 0 all ok; 1 a task failed, was refused or cancelled; 2 unknown task or bad option.',
    ].join('\n'))
    .action(async (tasks: string[], opts: { timeout?: string; yes?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runMaintenanceTasks } = await import('./maintenance.js');
      result = await runMaintenanceTasks(ctx, tasks, opts);
    });
  maintenance
    .command('status')
    .description('the open maintenance window: scope, reason, who, since, planned end, flag, what was stopped, tasks')
    .option('--json', 'machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runMaintenanceStatus } = await import('./maintenance.js');
      result = await runMaintenanceStatus(ctx, opts);
    });
  maintenance
    .command('history')
    .description('past maintenance windows, newest first: start, end, duration, what was stopped, tasks')
    .option('--json', 'machine-readable JSON')
    .option('-n, --limit <n>', 'how many windows', '50')
    .action(async (opts: { json?: boolean; limit?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { runMaintenanceHistory } = await import('./maintenance.js');
      result = await runMaintenanceHistory(ctx, opts);
    });

  const hooks: CommandHooks = { ctxOf, setResult: (code) => { result = code; } };
  registerRestore(program, hooks);
  registerDiag(program, hooks);
  registerTimeline(program, hooks);
  registerCapacity(program, hooks);
  registerSwarm(program, hooks);

  const config = program.command('config').description('check, print or create the configuration');
  config
    .command('check')
    .description('validate the config file; exit 2 with one line per problem')
    .action((_o, cmd: Command) => {
      const ctx = ctxOf(cmd);
      write(process.stdout, ctx.configSource ? `${ctx.configSource}: ok` : 'no config file found: using the built-in defaults (ok)');
      // Which engines that means (config endpoints:, Docker contexts), and contexts that could not be read.
      if (ctx.endpoints.length > 1) for (const e of ctx.endpoints) write(process.stdout, `endpoint ${e.name}: ${e.url} (${e.origin})${e === ctx.endpoint ? ' — the default' : ''}`);
      for (const n of ctx.endpointNotes) write(process.stderr, `opsdeck: note: ${n}`);
    });
  config
    .command('print')
    .description('print the effective configuration, secrets masked')
    .option('--json', 'as JSON instead of YAML')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { maskSecrets } = await import('../../config/mask.js');
      const masked = maskSecrets(ctx.config);
      if (opts.json) write(process.stdout, JSON.stringify(masked, null, 2));
      else {
        const { stringify } = await import('yaml');
        write(process.stdout, `# effective configuration (${ctx.configSource ?? 'built-in defaults'}); secrets masked\n${stringify(masked)}`);
      }
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof Exit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof UsageError) {
      write(process.stderr, err.message);
      return EXIT.usage;
    }
    const e = err as Error & { name?: string };
    if (e?.name === 'StateError' || e?.name === 'ReadOnlyError' || e?.name === 'UnknownContainerError' || e?.name === 'LockHeldError') {
      write(process.stderr, `opsdeck: ${e.message}`);
      return EXIT.failed;
    }
    write(process.stderr, `opsdeck: ${e?.message ?? String(err)}`);
    return EXIT.failed;
  }
  return result;
}
