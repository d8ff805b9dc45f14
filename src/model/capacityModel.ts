import { loadCapacity, type LoadOptions } from '../metrics/load.js';
import type { CapacityData, CapacityWindow } from '../metrics/types.js';
import type { DB } from '../store/db.js';
import { Observable } from './observable.js';

export interface CapacitySnapshot {
  window: CapacityWindow;
  data: CapacityData | null;
  loading: boolean;
  error: string | null;
}

export const CAPACITY_WINDOWS: CapacityWindow[] = ['1h', '24h', '7d', '30d'];

/**
 * The Capacity view's data: the metric history from the store (the agent or this cockpit writes
 * it), read only while the view is shown (every 10 s and at once on a window change), so an idle
 * cockpit does not query days of samples for nothing.
 */
export class CapacityModel extends Observable<CapacitySnapshot> {
  private timer: NodeJS.Timeout | null = null;
  private active = false;

  constructor(private readonly db: DB | null, private readonly load: LoadOptions = {}, private readonly everyMs = 10_000) {
    super({ window: '24h', data: null, loading: false, error: db ? null : 'no state store: no metric history' }, 0);
  }

  setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (active) this.tick();
    else this.publish({ ...this.snap, data: null });
  }

  setWindow(window: CapacityWindow): void {
    this.publish({ ...this.snap, window, loading: true });
    if (this.active) this.refresh();
  }

  nextWindow(): CapacityWindow {
    const next = CAPACITY_WINDOWS[(CAPACITY_WINDOWS.indexOf(this.snap.window) + 1) % CAPACITY_WINDOWS.length]!;
    this.setWindow(next);
    return next;
  }

  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  refresh(): void {
    if (!this.db) return;
    try {
      this.publish({ ...this.snap, data: loadCapacity(this.db, this.snap.window, Date.now(), this.load), loading: false, error: null });
    } catch (e) {
      this.publish({ ...this.snap, loading: false, error: `cannot read the metric history: ${(e as Error).message}` });
    }
  }

  private tick(): void {
    this.refresh();
    this.timer = setTimeout(() => this.tick(), this.everyMs);
    this.timer.unref?.();
  }
}
