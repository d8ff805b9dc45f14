/**
 * Runs health checks on their intervals: the one loop behind the cockpit's Health view and the
 * future `opsdeck agent`. Guarantees: at most `concurrency` runs in flight; a check never runs twice
 * at once; a slow or hanging check never delays the others (runCheck enforces each timeout, and a run
 * that ignores it gives its slot back after the timeout plus a grace period); the first runs start
 * soon after start() and are spread out, so 50 checks do not all fire in the same tick.
 */
import { Observable } from '../model/observable.js';
import { Damper, DEFAULT_CONFIRM, type Confirmer } from '../alerts/transitions.js';
import { realClock, type Clock } from './clock.js';
import { runCheck } from './run.js';
import { SEVERITY, type CheckDef, type CheckEnv, type CheckResult, type CheckStatus } from './types.js';

export const HISTORY_LENGTH = 20;

export interface CheckState {
  def: CheckDef;
  last: CheckResult | null;
  /** Statuses of the last 20 results, oldest first. */
  history: CheckStatus[];
  /** When the current status began (epoch ms); when the check was added while it has no result. */
  since: number;
  running: boolean;
  /** The damped status alerts are about (see alerts/transitions.ts); null until confirmed. */
  confirmed: CheckStatus | null;
}

export interface ChecksSnapshot {
  /** Worst first (crit, unknown, warn, ok, not yet run), then by name. */
  checks: CheckState[];
  at: number;
}

/** Runs one check once; must not reject (runCheck turns every failure into `unknown`). */
export type RunCheckFn = (def: CheckDef) => Promise<CheckResult>;

export interface CheckRunEvent {
  def: CheckDef;
  result: CheckResult;
  state: CheckState;
}

export interface SchedulerOptions {
  /** How to run one check. Default: runCheck with `env`. */
  run?: RunCheckFn;
  /** What runCheck gives the kinds (required without `run`). */
  env?: Omit<CheckEnv, 'signal'>;
  /** Runs in flight at most (default 8). */
  concurrency?: number;
  clock?: Clock;
  /** Decides `confirmed` (default: a Damper with `confirm`); the alert engine is one. */
  confirmer?: Confirmer;
  /** Consecutive runs that confirm a change, when no confirmer is given (default 2). */
  confirm?: number;
  /** Subscribers hear of changes at most this often (default 100 ms). */
  coalesceMs?: number;
  /** Delay before the first run after start() (default 100 ms). */
  startDelayMs?: number;
  /** First runs are spread over up to this window (default 2 s), at most 100 ms apart. */
  spreadMs?: number;
  /** Least gap between a run's end and the next run of the same check (default 1 s). */
  minGapMs?: number;
  /** A run that outlives its timeout by this much frees its slot and counts as unknown (default 2 s). */
  graceMs?: number;
}

interface Entry {
  def: CheckDef;
  last: CheckResult | null;
  history: CheckStatus[];
  since: number;
  running: boolean;
  queued: boolean;
  /** The slot is held (false once a hung run gave it back). */
  holdsSlot: boolean;
  confirmed: CheckStatus | null;
  timer: unknown;
  /** Fires when a run outlives its timeout + grace. */
  hangTimer: unknown;
  view: CheckState;
}

const sameDef = (a: CheckDef, b: CheckDef) => JSON.stringify(a) === JSON.stringify(b);

const rank = (s: CheckState) => (s.last ? SEVERITY[s.last.status] : -1);

export function compareStates(a: CheckState, b: CheckState): number {
  return rank(b) - rank(a) || (a.def.name < b.def.name ? -1 : a.def.name > b.def.name ? 1 : 0);
}

export class CheckScheduler extends Observable<ChecksSnapshot> {
  private readonly runFn: RunCheckFn;
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly confirmer: Confirmer;
  private readonly startDelayMs: number;
  private readonly spreadMs: number;
  private readonly minGapMs: number;
  private readonly graceMs: number;
  private readonly entries = new Map<string, Entry>();
  private queue: Entry[] = [];
  private slotsUsed = 0;
  private started = false;
  private stopped = false;
  private readonly resultListeners = new Set<(e: CheckRunEvent) => void>();
  private idleWaiters: (() => void)[] = [];
  private readonly cancel = new AbortController();

  constructor(opts: SchedulerOptions) {
    const clock = opts.clock ?? realClock;
    super({ checks: [], at: clock.now() }, opts.coalesceMs ?? 100);
    this.clock = clock;
    if (opts.run) this.runFn = opts.run;
    else if (opts.env) {
      const env = opts.env;
      // stop() cancels the runs in flight (sockets closed, child processes killed).
      this.runFn = (def) => runCheck(def, { ...env, signal: this.cancel.signal });
    } else throw new Error('CheckScheduler needs either run or env');
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.confirmer = opts.confirmer ?? new Damper(opts.confirm ?? DEFAULT_CONFIRM);
    this.startDelayMs = opts.startDelayMs ?? 100;
    this.spreadMs = opts.spreadMs ?? 2000;
    this.minGapMs = opts.minGapMs ?? 1000;
    this.graceMs = opts.graceMs ?? 2000;
  }

  /**
   * Replaces the set of checks, by name: new ones are added (and run soon when started), missing
   * ones dropped (a run in flight finishes unheard), kept ones take the new definition and keep
   * their history.
   */
  setDefs(defs: readonly CheckDef[]): void {
    const wanted = new Map(defs.map((d) => [d.name, d]));
    let changed = false;
    for (const [name, e] of this.entries) {
      if (wanted.has(name)) continue;
      this.clearTimer(e);
      this.entries.delete(name);
      changed = true;
    }
    this.queue = this.queue.filter((e) => this.entries.get(e.def.name) === e);
    const added: Entry[] = [];
    for (const def of wanted.values()) {
      const e = this.entries.get(def.name);
      if (!e) {
        const entry = this.newEntry(def);
        this.entries.set(def.name, entry);
        added.push(entry);
        changed = true;
      } else if (e.def !== def && !sameDef(e.def, def)) {
        // Rediscovery hands over equal definitions every time: those keep the old object (and the view).
        const intervalChanged = e.def.intervalMs !== def.intervalMs;
        e.def = def;
        this.refreshView(e);
        changed = true;
        if (intervalChanged && this.started && !this.stopped && e.timer !== null && e.last) {
          this.schedule(e, Math.max(this.clock.now(), e.last.at + def.intervalMs));
        }
      }
    }
    if (this.started && !this.stopped) this.scheduleFirstRuns(added);
    if (changed) this.publishNow();
  }

  /** Starts the timers: every check runs soon, then on its interval. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.scheduleFirstRuns([...this.entries.values()]);
  }

  /** Clears every timer and the queue and cancels the runs in flight; their results are dropped. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancel.abort(new Error('the scheduler stopped'));
    for (const e of this.entries.values()) {
      this.clearTimer(e);
      if (e.hangTimer !== null) this.clock.clearTimeout(e.hangTimer);
      e.hangTimer = null;
    }
    for (const e of this.queue) e.queued = false;
    this.queue = [];
    this.cancelPending();
    this.resolveIdle();
  }

  /** Runs one check as soon as a slot is free (the `c` key). False when unknown, running or queued. */
  runNow(name: string): boolean {
    const e = this.entries.get(name);
    return e ? this.enqueue(e, true) : false;
  }

  /** Runs every check `pred` selects soon (e.g. a container's checks after a Docker event). Returns how many. */
  runMatching(pred: (def: CheckDef) => boolean): number {
    let n = 0;
    for (const e of [...this.entries.values()].reverse()) if (pred(e.def) && this.enqueue(e, true)) n++;
    return n;
  }

  get(name: string): CheckState | undefined {
    return this.entries.get(name)?.view;
  }

  /** Hears every result, after the state was updated. Returns the unsubscribe function. */
  onResult(fn: (e: CheckRunEvent) => void): () => void {
    this.resultListeners.add(fn);
    return () => this.resultListeners.delete(fn);
  }

  /** Resolves when nothing is queued or running (tests, one-shot use). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs in flight right now (hung runs that gave back their slot included). */
  get inFlight(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.running) n++;
    return n;
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.slotsUsed === 0;
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private newEntry(def: CheckDef): Entry {
    const e: Entry = {
      def, last: null, history: [], since: this.clock.now(), running: false, queued: false, holdsSlot: false,
      confirmed: this.confirmer.current(def.name), timer: null, hangTimer: null, view: undefined as unknown as CheckState,
    };
    this.refreshView(e);
    return e;
  }

  private scheduleFirstRuns(entries: Entry[]): void {
    if (entries.length === 0) return;
    const step = Math.min(100, this.spreadMs / entries.length);
    const now = this.clock.now();
    entries.forEach((e, i) => this.schedule(e, now + this.startDelayMs + Math.floor(i * step)));
  }

  private schedule(e: Entry, at: number): void {
    this.clearTimer(e);
    e.timer = this.clock.setTimeout(() => {
      e.timer = null;
      this.enqueue(e, false);
    }, Math.max(0, at - this.clock.now()));
  }

  private clearTimer(e: Entry): void {
    if (e.timer !== null) this.clock.clearTimeout(e.timer);
    e.timer = null;
  }

  private enqueue(e: Entry, front: boolean): boolean {
    if (this.stopped || e.running || e.queued || this.entries.get(e.def.name) !== e) return false;
    this.clearTimer(e);
    e.queued = true;
    if (front) this.queue.unshift(e);
    else this.queue.push(e);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.slotsUsed < this.concurrency && this.queue.length > 0) {
      const e = this.queue.shift()!;
      e.queued = false;
      if (this.entries.get(e.def.name) !== e) continue;
      this.launch(e);
    }
    if (this.isIdle()) this.resolveIdle();
  }

  private launch(e: Entry): void {
    const def = e.def;
    const startedAt = this.clock.now();
    e.running = true;
    e.holdsSlot = true;
    this.slotsUsed++;
    this.refreshView(e);
    this.publishSoon();

    const release = () => {
      if (!e.holdsSlot) return;
      e.holdsSlot = false;
      this.slotsUsed--;
    };
    // A runner that ignores its timeout gives its slot back after timeout + grace; the check stays
    // "running" (never started twice) and shows unknown until the run finally ends.
    e.hangTimer = this.clock.setTimeout(() => {
      e.hangTimer = null;
      if (!e.running || this.stopped) return;
      release();
      if (this.entries.get(def.name) === e) {
        const ms = this.clock.now() - startedAt;
        this.record(e, { status: 'unknown', message: `still running after ${Math.round(ms / 1000)} s (timeout ${Math.round(def.timeoutMs / 1000)} s)`, latencyMs: null, at: this.clock.now() });
      }
      this.pump();
    }, def.timeoutMs + this.graceMs);

    let promise: Promise<CheckResult>;
    try {
      promise = this.runFn(def);
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise
      .then(
        (result) => result,
        (err: unknown): CheckResult => ({ status: 'unknown', message: `check failed: ${(err as Error)?.message ?? String(err)}`, latencyMs: null, at: this.clock.now() }),
      )
      .then((result) => {
        if (e.hangTimer !== null) this.clock.clearTimeout(e.hangTimer);
        e.hangTimer = null;
        const hadSlot = e.holdsSlot;
        release();
        e.running = false;
        if (this.stopped) {
          // A cancelled run says nothing about the service: not recorded, not confirmed.
          this.refreshView(e);
        } else if (this.entries.get(def.name) === e) {
          if (hadSlot) this.record(e, result);
          else {
            this.refreshView(e);
            this.publishSoon();
          }
          if (this.started && !this.stopped && !e.queued) {
            const now = this.clock.now();
            this.schedule(e, Math.max(startedAt + e.def.intervalMs, now + this.minGapMs));
          }
        }
        this.pump();
      });
  }

  private record(e: Entry, result: CheckResult): void {
    if (!e.last || e.last.status !== result.status) e.since = result.at;
    e.last = result;
    e.history = [...e.history, result.status].slice(-HISTORY_LENGTH);
    try {
      e.confirmed = this.confirmer.observe(e.def, result);
    } catch {
      // A confirmer must not throw; if one does, the confirmed status simply stays.
    }
    this.refreshView(e);
    this.publishSoon();
    const event: CheckRunEvent = { def: e.def, result, state: e.view };
    for (const fn of [...this.resultListeners]) {
      try {
        fn(event);
      } catch {
        // A listener's failure is its own business.
      }
    }
  }

  private refreshView(e: Entry): void {
    e.view = { def: e.def, last: e.last, history: e.history, since: e.since, running: e.running, confirmed: e.confirmed };
  }

  private snapshot(): ChecksSnapshot {
    return { checks: [...this.entries.values()].map((e) => e.view).sort(compareStates), at: this.clock.now() };
  }

  private publishSoon(): void {
    this.publish(this.snapshot());
  }

  private publishNow(): void {
    this.publish(this.snapshot(), true);
  }
}
