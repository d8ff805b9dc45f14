/**
 * `opsdeck agent`: runs in the foreground until SIGTERM/SIGINT (for systemd), collecting metrics and
 * running the health checks into the state file. stderr gets one line when it starts and one when
 * it stops (and failures, each at most once every 10 minutes); nothing per sample.
 * Exit: 0 stopped by a signal, 1 another agent runs on this state file (named) or the store failed,
 * 2 bad option.
 */
import { parseDuration } from '../../config/schema.js';
import { formatDuration } from '../format.js';
import { LockHeldError } from '../store/locks.js';
import { openState } from '../store/db.js';
import { metricsSettings } from '../metrics/settings.js';
import { safeText } from '../sanitize.js';
import { UsageError, type Context } from './context.js';

const ERROR_REPEAT_MS = 10 * 60_000;

/** --interval text → ms (1 s … 1 h); a UsageError otherwise. */
export function parseInterval(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    throw new UsageError(`opsdeck agent: --interval: ${(e as Error).message}`);
  }
  if (!(ms >= 1000) || ms > 3_600_000) throw new UsageError(`opsdeck agent: --interval must be between 1s and 1h, got "${text}"`);
  return ms;
}

export async function runAgentCommand(ctx: Context, opts: { interval?: string }): Promise<number> {
  let settings;
  try {
    settings = metricsSettings(ctx.config);
  } catch (e) {
    throw new UsageError(`opsdeck agent: ${(e as Error).message}`);
  }
  const intervalMs = opts.interval !== undefined ? parseInterval(opts.interval) : settings.intervalMs;
  const say = (line: string) => process.stderr.write(`opsdeck agent: ${line}\n`);
  const { db, path } = openState(ctx.stateDir);

  const lastSaid = new Map<string, number>();
  const onError = (what: string, e: Error) => {
    const line = `${what}: ${safeText(e.message.split('\n')[0] ?? '')}`;
    const t = Date.now();
    if ((lastSaid.get(line) ?? -Infinity) > t - ERROR_REPEAT_MS) return;
    lastSaid.set(line, t);
    say(line);
  };

  const { startAgent } = await import('../metrics/agent.js');
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = startAgent({ config: ctx.config, endpoint: ctx.endpoint, db, intervalMs, retention: settings.retention, onError });
  } catch (e) {
    db.close();
    if (e instanceof LockHeldError) {
      const h = e.holder;
      say(`refused: another agent runs on this state file (${path}): pid ${h.pid} on ${h.host}, by ${h.user}, since ${h.startedAt}`);
      return 1;
    }
    throw e;
  }
  const started = Date.now();
  say(`started (pid ${process.pid}, every ${formatDuration(intervalMs)}, state ${path}, Docker ${ctx.endpoint.url})`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(sig, on);
      resolve(s);
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, on);
  });
  // A second signal while stopping: stop at once.
  const force = () => {
    say('stopped at once (second signal)');
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  try {
    await agent.stop();
  } finally {
    db.close();
  }
  process.off('SIGTERM', force);
  process.off('SIGINT', force);
  say(`stopped (${signal}) after ${formatDuration(Date.now() - started)}; ${agent.collector.written} samples written`);
  return 0;
}
