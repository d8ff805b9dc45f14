import { changeParts } from '../timeline/changes.js';
import { readTimeline } from '../timeline/read.js';
import type { TimelineEntry } from '../timeline/types.js';
import type { DB } from '../store/db.js';
import { Observable } from './observable.js';

export interface TimelineSnapshot {
  /** The last 24 h, oldest first (only kept fresh while the Timeline view is shown). */
  entries: readonly TimelineEntry[];
  /** The Overview's "what changed in the last hour" parts ("2 restarted (a, b)", "1 alert"); empty: nothing. */
  changes: string[];
  at: number;
  note: string | null;
}

export const TIMELINE_WINDOW_MS = 24 * 3_600_000;
const HOUR = 3_600_000;

/**
 * The incident timeline as the store has it: Docker events (the recorder writes them), check
 * transitions, alerts, maintenance and the audit log. The "what changed" line is read every 15 s;
 * the feed itself only while the Timeline view shows it (every 3 s, and soon after the recorder
 * wrote), so an idle cockpit does not query 24 h of history for nothing.
 */
export class TimelineModel extends Observable<TimelineSnapshot> {
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private active = false;
  private lastChanges = '';

  constructor(private readonly db: DB | null, private readonly opts: { windowMs?: number; changesEveryMs?: number; activeEveryMs?: number } = {}) {
    super({ entries: [], changes: [], at: Date.now(), note: db ? null : 'no state store: the timeline is unavailable' }, 0);
  }

  start(): void {
    if (this.timer || !this.db) return;
    this.tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = this.soon = null;
  }

  /** The view is shown (read the feed now and often) or left (stop reading it). */
  setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    if (active && this.db) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.tick();
    } else if (!active) {
      this.publish({ ...this.snap, entries: [] });
    }
  }

  /** The recorder stored events: read again shortly (several batches in a burst: once). */
  notifyWrite(): void {
    if (!this.db || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.refresh();
    }, 300);
    this.soon.unref?.();
  }

  refresh(): void {
    if (!this.db) return;
    const now = Date.now();
    try {
      const changes = changeParts(readTimeline(this.db, { since: now - HOUR, until: now }), now - HOUR, now);
      const key = changes.join('|');
      if (this.active) {
        const entries = readTimeline(this.db, { since: now - (this.opts.windowMs ?? TIMELINE_WINDOW_MS), until: now });
        this.lastChanges = key;
        this.publish({ entries, changes, at: now, note: null });
      } else if (key !== this.lastChanges) {
        this.lastChanges = key;
        this.publish({ ...this.snap, changes, at: now, note: null });
      }
    } catch (e) {
      this.publish({ ...this.snap, note: `cannot read the timeline: ${(e as Error).message}`, at: now });
    }
  }

  private tick(): void {
    this.refresh();
    const every = this.active ? this.opts.activeEveryMs ?? 3000 : this.opts.changesEveryMs ?? 15_000;
    this.timer = setTimeout(() => this.tick(), every);
    this.timer.unref?.();
  }
}
