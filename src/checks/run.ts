/**
 * One run of one check: picks the kind's runner, gives it an AbortSignal that fires at the check's
 * timeout, and never waits past that timeout (a runner that ignores the signal is abandoned, its
 * late answer dropped). Never rejects: a timeout is `unknown` "timed out after 5s", any error is
 * `unknown` with a one-line reason.
 */
import { formatDuration } from '../../config/schema.js';
import { KINDS } from './kinds/index.js';
import { errorMessage } from './kinds/util.js';
import type { CheckDef, CheckEnv, CheckKindName, CheckKindRunner, CheckOutcome, CheckResult, CheckStatus } from './types.js';

const STATUSES: ReadonlySet<CheckStatus> = new Set(['ok', 'warn', 'crit', 'unknown']);

export interface RunCheckOptions {
  /** The kind runners (tests pass fakes); default KINDS. */
  kinds?: Partial<Record<CheckKindName, CheckKindRunner>>;
}

/**
 * Runs `def` once. `env.signal`, when given, cancels the run from outside (the result is then
 * `unknown` "cancelled"); the check's own timeout is always enforced.
 */
export async function runCheck(
  def: CheckDef,
  env: Omit<CheckEnv, 'signal'> & { signal?: AbortSignal },
  opts: RunCheckOptions = {},
): Promise<CheckResult> {
  const now = typeof env.now === 'function' ? env.now : Date.now;
  const finish = (o: CheckOutcome): CheckResult => ({ ...o, at: now() });
  const runner = (opts.kinds ?? KINDS)[def.kind];
  if (!runner) return finish({ status: 'unknown', message: `no runner for check kind ${JSON.stringify(def.kind)}`, latencyMs: null });

  const controller = new AbortController();
  const timeoutMs = Number.isFinite(def.timeoutMs) && def.timeoutMs > 0 ? def.timeoutMs : 5000;
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const stop = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      resolve({ status: 'unknown', message: `timed out after ${formatDuration(timeoutMs)}`, latencyMs: null });
      controller.abort(Object.assign(new Error(`timed out after ${formatDuration(timeoutMs)}`), { name: 'TimeoutError' }));
    }, timeoutMs);
    const outer = env.signal;
    if (outer) {
      onOuterAbort = () => {
        resolve({ status: 'unknown', message: 'cancelled', latencyMs: null });
        controller.abort(outer.reason);
      };
      if (outer.aborted) onOuterAbort();
      else outer.addEventListener('abort', onOuterAbort, { once: true });
    }
  });

  try {
    const kindEnv: CheckEnv = { ...env, signal: controller.signal };
    // Through a then() so a runner that throws synchronously is caught like one that rejects.
    const run = Promise.resolve().then(() => runner(def, kindEnv));
    const o = await Promise.race([run, stop]);
    return finish(normalise(o));
  } catch (e) {
    return finish({ status: 'unknown', message: errorMessage(e), latencyMs: null });
  } finally {
    clearTimeout(timer);
    if (onOuterAbort) env.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Guards the contract against a runner's slip: a known status, a one-line message. */
function normalise(o: CheckOutcome): CheckOutcome {
  if (!o || typeof o !== 'object') return { status: 'unknown', message: 'the check returned nothing', latencyMs: null };
  const status: CheckStatus = STATUSES.has(o.status) ? o.status : 'unknown';
  const message = typeof o.message === 'string' ? o.message.replace(/\s*\n\s*/g, ' ').trim() : String(o.message);
  const latencyMs = typeof o.latencyMs === 'number' && Number.isFinite(o.latencyMs) ? o.latencyMs : null;
  return o.details ? { status, message, latencyMs, details: o.details } : { status, message, latencyMs };
}
