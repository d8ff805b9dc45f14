/**
 * Check results in, alerts out: damping (transitions.ts) → the transition recorded in the store →
 * the webhook (notifier.ts), plus reminders while a check stays crit. It is the scheduler's Confirmer,
 * so the Health view's "confirmed" column and the alerts are the same decision. Never throws into its
 * caller: store and webhook failures are recorded (`last_error`) or reported to `onError`.
 */
import type { Config } from '../../config/schema.js';
import { formatDuration } from '../format.js';
import type { CheckDef, CheckResult, CheckStatus } from '../checks/types.js';
import type { DB } from '../store/db.js';
import {
  commitTransition,
  countTransitions,
  lastAlert,
  loadCheckStates,
  recordReminder,
  touchCheckState,
  type AlertRecord,
} from '../store/checks.js';
import { Notifier, type Delivery } from './notifier.js';
import { Damper, DEFAULT_CONFIRM, type Confirmer, type Transition } from './transitions.js';
import { realClock, type Clock } from '../checks/clock.js';

const HOUR = 3_600_000;
/** How often a still-confirmed state's updated_at is refreshed in the store. */
const TOUCH_EVERY_MS = 60_000;

export type SilencePredicate = (def: CheckDef) => boolean;

export interface AlertEngineOptions {
  db: DB;
  alerts: Config['alerts'];
  /** The Docker endpoint these checks run against, recorded with each alert. */
  endpoint?: string | null;
  /** Default: one built from alerts.webhook (none when no webhook is configured). */
  notifier?: Notifier | null;
  clock?: Clock;
  /** Store errors and the like (default: ignored; the cockpit shows them in its flash line). */
  onError?: (error: Error) => void;
  /** Each finished delivery (tests, a future alerts view). */
  onDelivery?: (delivery: Delivery, alert: AlertRecord) => void;
}

export class AlertEngine implements Confirmer {
  private readonly db: DB;
  private readonly damper: Damper;
  private readonly clock: Clock;
  readonly notifier: Notifier | null;
  private readonly defs = new Map<string, CheckDef>();
  private readonly lastResult = new Map<string, CheckResult>();
  private readonly touchedAt = new Map<string, number>();
  private readonly silences = new Map<number, { pred: SilencePredicate; reason: string }>();
  private nextSilence = 1;
  private readonly pending = new Set<Promise<unknown>>();
  private timer: unknown = null;

  constructor(private readonly opts: AlertEngineOptions) {
    this.db = opts.db;
    this.clock = opts.clock ?? realClock;
    let restored: [string, { status: CheckStatus; since: number }][] = [];
    try {
      restored = [...loadCheckStates(this.db)].map(([name, s]) => [name, { status: s.status, since: s.since }]);
    } catch (e) {
      this.report(e);
    }
    this.damper = new Damper(opts.alerts.confirm ?? DEFAULT_CONFIRM, restored);
    this.notifier = opts.notifier !== undefined ? opts.notifier : opts.alerts.webhook ? new Notifier({ webhook: opts.alerts.webhook, db: this.db }) : null;
  }

  current(name: string): CheckStatus | null {
    return this.damper.current(name);
  }

  /** One result of one check: damps it, records and sends any transition. Returns the confirmed status. */
  observe(def: CheckDef, result: CheckResult): CheckStatus | null {
    this.defs.set(def.name, def);
    this.lastResult.set(def.name, result);
    try {
      const t = this.damper.step(def.name, result.status, result.at);
      if (t) this.transition(def, result, t);
      else this.touch(def.name, result.at);
    } catch (e) {
      this.report(e);
    }
    return this.damper.current(def.name);
  }

  /**
   * Silences notifications for the checks `pred` selects (maintenance mode: the containers it
   * stopped). Transitions are still damped and recorded, marked `suppressed` with the reason; no
   * reminders are sent for them. Returns the function that lifts this silence.
   */
  silence(pred: SilencePredicate, reason = 'silenced'): () => void {
    const id = this.nextSilence++;
    this.silences.set(id, { pred, reason });
    return () => {
      this.silences.delete(id);
    };
  }

  /** Why alerts of this check are not sent right now, or null. */
  silencedBy(def: CheckDef): string | null {
    for (const { pred, reason } of this.silences.values()) {
      try {
        if (pred(def)) return reason;
      } catch {
        // A broken predicate silences nothing.
      }
    }
    return null;
  }

  /** Sends the reminders that are due: one every alerts.remind while a check stays crit. */
  tick(): void {
    const every = this.opts.alerts.remind;
    if (!every) return;
    const now = this.clock.now();
    for (const name of this.damper.namesIn('crit')) {
      const def = this.defs.get(name);
      if (!def) continue; // not seen since this process started: it may no longer exist
      if (this.silencedBy(def)) continue;
      try {
        const since = this.damper.state(name)?.since ?? now;
        const last = this.lastResult.get(name);
        const message = `${last?.message ?? 'crit'} (crit for ${formatDuration(now - since)})`;
        const alert = recordReminder(this.db, { check: name, status: 'crit', message, at: now, everyMs: every, endpoint: this.opts.endpoint ?? null });
        if (alert) this.send(alert, def);
      } catch (e) {
        this.report(e);
      }
    }
  }

  /** Starts the reminder clock (when alerts.remind is set). */
  start(): void {
    const every = this.opts.alerts.remind;
    if (!every || this.timer !== null) return;
    const period = Math.min(60_000, Math.max(1000, Math.floor(every / 10)));
    const loop = () => {
      this.tick();
      this.timer = this.clock.setTimeout(loop, period);
    };
    this.timer = this.clock.setTimeout(loop, period);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves when every delivery started so far has finished (retries included). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private transition(def: CheckDef, result: CheckResult, t: Transition): void {
    let suppressed = this.silencedBy(def);
    if (!suppressed && t.recovered) {
      // A recovery is announced only when the failure was: after maintenance, "recovered" alone is noise.
      const failure = lastAlert(this.db, def.name, 'transition');
      if (failure && failure.to === t.from && failure.suppressed) suppressed = `its failure was not announced (${failure.suppressed})`;
    }
    let message = result.message;
    const flapping = this.opts.alerts.flapping;
    if (flapping !== undefined) {
      const changes = countTransitions(this.db, def.name, t.at - HOUR) + 1;
      if (changes >= flapping) message += ` (flapping: ${changes} changes in the last hour)`;
    }
    const alert = commitTransition(this.db, { check: def.name, from: t.from, to: t.to, message, at: t.at, suppressed, endpoint: this.opts.endpoint ?? null });
    this.touchedAt.set(def.name, t.at);
    if (alert && !alert.suppressed) this.send(alert, def);
  }

  private touch(name: string, at: number): void {
    if (this.damper.current(name) === null) return;
    const last = this.touchedAt.get(name) ?? 0;
    if (at - last < TOUCH_EVERY_MS) return;
    this.touchedAt.set(name, at);
    touchCheckState(this.db, name, at);
  }

  private send(alert: AlertRecord, def: CheckDef): void {
    const notifier = this.notifier;
    if (!notifier) return;
    const url = def.spec.kind === 'http' ? def.spec.http : undefined;
    const p = notifier.deliver(alert, { url }).then(
      (d) => this.opts.onDelivery?.(d, alert),
      (e: unknown) => this.report(e),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private report(e: unknown): void {
    try {
      this.opts.onError?.(e instanceof Error ? e : new Error(String(e)));
    } catch {
      // the error handler's own failure has nowhere to go
    }
  }
}
