/** `logs`: error lines a container wrote over a window (default thresholds.logErrors), against warn/crit. */
import type { CheckOf } from '../../../config/schema.js';
import { errorRate } from '../../logs/errorRate.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus } from '../types.js';
import { formatWindow, levelAbove } from './util.js';

/** Error count → status and the message "N error lines in the last 24h (threshold 10)"; pure. */
export function logErrorStatus(errors: number, windowMs: number, warn: number, crit: number | undefined): { status: CheckStatus; message: string } {
  const status = levelAbove(errors, warn, crit);
  const limits = crit !== undefined ? `warn ${warn}, crit ${crit}` : `threshold ${warn}`;
  return { status, message: `${errors} error line${errors === 1 ? '' : 's'} in the last ${formatWindow(windowMs)} (${limits})` };
}

export async function runLogs(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'logs'>).logs;
  const t = env.thresholds.logErrors;
  const windowMs = spec.window ?? t.window;
  const warn = spec.warn ?? t.warn;
  // The default crit applies only when it stays above the warn level in force.
  const crit = spec.crit ?? (t.crit !== undefined && t.crit > warn ? t.crit : undefined);
  const t0 = Date.now();
  const counts = await errorRate(env.docker, spec.container, windowMs, {
    now: env.now(),
    signal: env.signal,
    ...(spec.pattern !== undefined ? { pattern: new RegExp(spec.pattern) } : {}),
  });
  if (!counts) return { status: 'unknown', message: `no container ${safeText(spec.container)}`, latencyMs: null };
  const { status, message } = logErrorStatus(counts.errors, windowMs, warn, crit);
  return {
    status,
    message,
    latencyMs: Date.now() - t0,
    details: { errors: counts.errors, warnings: counts.warnings, lines: counts.lines, windowSec: Math.round(windowMs / 1000), warn, crit: crit ?? null, since: new Date(counts.since).toISOString() },
  };
}
