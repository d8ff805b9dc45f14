/**
 * `command`: a program run directly (argv, never a shell) on this host or inside a container, read
 * the Nagios way: exit 0 ok, 1 warn, 2 crit, anything else unknown; the first line of its output
 * (up to a `|` and performance data) is the message.
 */
import type { CheckOf } from '../../../config/schema.js';
import { formatDuration } from '../../../config/schema.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus, DetailValue } from '../types.js';
import { exec, ExecTimeoutError, execNotFound, NotInstalledError, runProcess, type ExecResult } from './exec.js';
import { containerProblem, firstLine, oneLine } from './util.js';

/** Nagios plugin exit code → status. */
export function nagiosStatus(exitCode: number | null): CheckStatus {
  switch (exitCode) {
    case 0:
      return 'ok';
    case 1:
      return 'warn';
    case 2:
      return 'crit';
    default:
      return 'unknown';
  }
}

/** The plugin's first output line split at `|` into the message and its performance data. */
export function pluginOutput(stdout: string): { message: string; perfdata: string | null } {
  const line = stdout.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const bar = line.indexOf('|');
  const message = oneLine(bar >= 0 ? line.slice(0, bar) : line, 200);
  const perf = bar >= 0 ? oneLine(line.slice(bar + 1), 200) : '';
  return { message, perfdata: perf || null };
}

function fromResult(r: ExecResult, argv: string[], latencyMs: number, where: string): CheckOutcome {
  const status = nagiosStatus(r.exitCode);
  const out = pluginOutput(r.stdout);
  const fallback = firstLine(r.stderr) || `${safeText(argv[0] ?? '')} exited ${r.exitCode ?? '?'}`;
  let message = out.message || fallback;
  if (status === 'unknown' && r.exitCode !== 3) message = `exit ${r.exitCode ?? '?'}: ${message}`;
  const details: Record<string, DetailValue> = { where, exitCode: r.exitCode, argv: oneLine(argv.join(' '), 200) };
  if (out.perfdata) details.perfdata = out.perfdata;
  if (r.stderr.trim()) details.stderr = firstLine(r.stderr, 200);
  if (r.truncated) details.truncated = true;
  return { status, message, latencyMs, details };
}

export async function runCommand(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'command'>).command;
  const argv = spec.argv;
  const timeoutMs = spec.timeout ?? def.timeoutMs;
  const t0 = Date.now();
  try {
    if (spec.container !== undefined) {
      const r = await exec(env.docker, spec.container, argv, { signal: env.signal, timeoutMs });
      if (execNotFound(r)) return { status: 'unknown', message: `${safeText(argv[0] ?? '')}: not found in container ${safeText(spec.container)}`, latencyMs: null };
      return fromResult(r, argv, Date.now() - t0, `container ${safeText(spec.container)}`);
    }
    const [file, ...args] = argv;
    const r = await runProcess(file!, args, { signal: env.signal, timeoutMs });
    return fromResult(r, argv, Date.now() - t0, 'host');
  } catch (e) {
    if (e instanceof ExecTimeoutError) return { status: 'unknown', message: `command timed out after ${formatDuration(timeoutMs)}`, latencyMs: null };
    if (e instanceof NotInstalledError) return { status: 'unknown', message: `command not found: ${safeText(e.program)}`, latencyMs: null };
    if (spec.container !== undefined) {
      const problem = containerProblem(e, spec.container);
      if (problem) return problem;
    }
    throw e;
  }
}
