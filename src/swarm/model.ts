import type { DockerReader } from '../docker/client.js';
import { Observable } from '../model/observable.js';
import { readSwarm, swarmErrorText } from './read.js';
import type { SwarmSnapshot } from './types.js';

export interface SwarmModelOptions {
  /** Poll interval while the Services view is shown (default 1 s): replica counts and rolling updates move. */
  activeMs?: number;
  /** Poll interval otherwise (default 15 s): enough for the header and to notice swarm mode at all. */
  idleMs?: number;
}

export function emptySwarmSnapshot(at = Date.now()): SwarmSnapshot {
  return {
    role: { state: 'inactive', manager: false, nodeId: null, managers: null, nodes: null, error: null },
    services: [],
    nodes: [],
    loaded: false,
    error: null,
    at,
  };
}

/**
 * The swarm as one engine sees it, polled: Docker has no event for "task 3 of 5 is running" that
 * would be cheaper than listing tasks, and one round is three small requests. Fast only while
 * someone looks (setActive), slow otherwise. Never throws: a failed read keeps the last lists and
 * sets `error`; a non-manager has role.manager false and no services.
 */
export class SwarmModel extends Observable<SwarmSnapshot> {
  private readonly activeMs: number;
  private readonly idleMs: number;
  private active = false;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  /** A refresh asked for while a read was under way: one more read follows it. */
  private again: Promise<void> | null = null;
  /** The read under way was started by the timer, not asked for. */
  private polled = false;

  constructor(private readonly reader: DockerReader, opts: SwarmModelOptions = {}) {
    super(emptySwarmSnapshot(), 0);
    this.activeMs = opts.activeMs ?? 1000;
    this.idleMs = opts.idleMs ?? 15_000;
  }

  /** Starts polling (the first read at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.refresh();
  }

  stop(): void {
    this.running = false;
    this.clearTimer();
  }

  /** The Services view is shown (fast polling, and a read now) or hidden (slow polling). */
  setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    if (!this.running) return;
    if (active) void this.refresh();
    else this.schedule();
  }

  /**
   * Reads now (after an action, or on demand); resolves when the new snapshot is published. While a
   * read is under way, one more is made after it, so what an action changed is always seen.
   */
  refresh(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.readOnce().finally(() => { this.inFlight = null; });
      return this.inFlight;
    }
    this.again ??= this.inFlight.then(() => {
      this.again = null;
      return this.refresh();
    });
    return this.again;
  }

  private async readOnce(): Promise<void> {
    this.clearTimer();
    const quietIfSame = this.polled && !this.active;
    this.polled = false;
    try {
      const snap = await readSwarm(this.reader.raw);
      // A manager whose lists failed (no leader for a moment) keeps what was known; the error line
      // says the lists may be old. Anything else replaces the snapshot (a demoted node has no services).
      const listsFailed = snap.role.manager && snap.error !== null;
      this.publishChanged(listsFailed ? { ...this.snap, role: snap.role, error: snap.error, loaded: true, at: snap.at } : snap, quietIfSame);
    } catch (e) {
      this.publishChanged({ ...this.snap, loaded: true, error: `cannot read the swarm: ${swarmErrorText(e)}`, at: Date.now() }, quietIfSame);
    } finally {
      this.schedule();
    }
  }

  /**
   * The cockpit repaints on every new snapshot: while the Services view is hidden, a timed poll that
   * found the same swarm (only `at` moved) tells no one. Shown, or asked for (refresh after an action),
   * every read goes out (its "ago" times move).
   */
  private publishChanged(next: SwarmSnapshot, quietIfSame: boolean): void {
    if (quietIfSame && this.snap.loaded && sameSwarm(this.snap, next)) return;
    this.publish(next);
  }

  private schedule(): void {
    this.clearTimer();
    if (!this.running) return;
    this.timer = setTimeout(() => { this.timer = null; this.polled = true; void this.refresh(); }, this.active ? this.activeMs : this.idleMs);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The same swarm, whenever read. */
function sameSwarm(a: SwarmSnapshot, b: SwarmSnapshot): boolean {
  return JSON.stringify({ ...a, at: 0 }) === JSON.stringify({ ...b, at: 0 });
}
