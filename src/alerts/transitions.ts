/**
 * Damping: a check's *confirmed* status, the one alerts are about, moves only after `confirm`
 * consecutive runs disagreed with it. One slow response or one refused connection is not an
 * incident; two in a row (the default) are. Pure: no clock, no I/O.
 */
import { SEVERITY, type CheckStatus } from '../checks/types.js';

export interface DampState {
  /** What alerts last said; null before the check has been confirmed at all. */
  confirmed: CheckStatus | null;
  /** When `confirmed` began (epoch ms), null while unconfirmed. */
  since: number | null;
  /** Consecutive results that disagreed with `confirmed`, oldest first (at most `confirm`). */
  streak: CheckStatus[];
}

export interface Transition {
  check: string;
  /** null: the first status ever confirmed for this check. */
  from: CheckStatus | null;
  to: CheckStatus;
  /** Epoch ms of the run that confirmed it. */
  at: number;
  /** A failure (warn, crit or unknown) ended: `to` is ok and `from` was not. */
  recovered: boolean;
}

export const DEFAULT_CONFIRM = 2;

export const initialDamp = (confirmed: CheckStatus | null = null, since: number | null = null): DampState => ({
  confirmed,
  since: confirmed === null ? null : since,
  streak: [],
});

/**
 * One result through the damper. When the last `confirm` results all disagree with the confirmed
 * status, the new one is the status among them *closest* to the old one (ties: the latest): ok, warn,
 * crit confirms warn (it held for two runs; crit held for one), and a check swinging between warn and
 * crit still leaves ok. When they agree (the common case) that is simply "the new status held for
 * `confirm` runs". Before anything is confirmed the mildest of the first `confirm` results counts.
 */
export function damp(state: DampState, status: CheckStatus, at: number, confirm: number): { state: DampState; changed: boolean } {
  const need = Math.max(1, Math.floor(confirm));
  if (status === state.confirmed) {
    return { state: state.streak.length ? { ...state, streak: [] } : state, changed: false };
  }
  const streak = [...state.streak, status].slice(-need);
  if (streak.length < need) return { state: { ...state, streak }, changed: false };
  const next = pick(streak, state.confirmed);
  return { state: { confirmed: next, since: at, streak: [] }, changed: true };
}

function pick(streak: CheckStatus[], confirmed: CheckStatus | null): CheckStatus {
  let best = streak[streak.length - 1]!;
  const distance = (s: CheckStatus) => (confirmed === null ? SEVERITY[s] : Math.abs(SEVERITY[s] - SEVERITY[confirmed]));
  for (let i = streak.length - 2; i >= 0; i--) {
    const s = streak[i]!;
    if (distance(s) < distance(best)) best = s;
  }
  return best;
}

/** Who decides a check's confirmed status: the scheduler asks after every result. */
export interface Confirmer {
  /** The confirmed status before this run (restored from the store by the alert engine). */
  current(name: string): CheckStatus | null;
  /** Takes one result; returns the confirmed status after it. */
  observe(def: { name: string }, result: { status: CheckStatus; at: number }): CheckStatus | null;
}

/** Damping state for many checks, by name. */
export class Damper implements Confirmer {
  private readonly states = new Map<string, DampState>();

  constructor(readonly confirm: number = DEFAULT_CONFIRM, initial?: Iterable<[string, { status: CheckStatus; since: number }]>) {
    for (const [name, s] of initial ?? []) this.states.set(name, initialDamp(s.status, s.since));
  }

  /** One result; the transition when it changed the confirmed status. */
  step(name: string, status: CheckStatus, at: number): Transition | null {
    const prev = this.states.get(name) ?? initialDamp();
    const { state, changed } = damp(prev, status, at, this.confirm);
    this.states.set(name, state);
    if (!changed || state.confirmed === null) return null;
    return { check: name, from: prev.confirmed, to: state.confirmed, at, recovered: state.confirmed === 'ok' && prev.confirmed !== null };
  }

  current(name: string): CheckStatus | null {
    return this.states.get(name)?.confirmed ?? null;
  }

  state(name: string): DampState | undefined {
    return this.states.get(name);
  }

  observe(def: { name: string }, result: { status: CheckStatus; at: number }): CheckStatus | null {
    this.step(def.name, result.status, result.at);
    return this.current(def.name);
  }

  /** Names whose confirmed status is `status`. */
  namesIn(status: CheckStatus): string[] {
    return [...this.states].filter(([, s]) => s.confirmed === status).map(([name]) => name);
  }

  forget(name: string): void {
    this.states.delete(name);
  }
}
