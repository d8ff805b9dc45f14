import type { DB } from '../store/db.js';
import { currentMaintenance, type MaintenanceWindow } from '../store/maintenance.js';
import { Observable } from './observable.js';

/**
 * The maintenance window as the store has it, read every few seconds: another opsdeck (or the CLI)
 * may start or end one, and every process shows the banner while it is on.
 */
export class MaintenanceModel extends Observable<MaintenanceWindow | null> {
  private timer: NodeJS.Timeout | null = null;
  private last = '';

  constructor(private readonly db: DB | null, private readonly everyMs = 2000) {
    super(null, 0);
  }

  start(): void {
    if (this.timer || !this.db) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the store now (after an action changed it); subscribers hear only of real changes. */
  refresh(): void {
    if (!this.db) return;
    let w: MaintenanceWindow | null;
    try {
      w = currentMaintenance(this.db);
    } catch {
      return;
    }
    const key = JSON.stringify(w);
    if (key === this.last) return;
    this.last = key;
    this.publish(w, true);
  }
}
