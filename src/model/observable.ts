/** UI-independent state that notifies subscribers; views read it with useSyncExternalStore. */
export class Observable<S> {
  private listeners = new Set<() => void>();
  private pending = false;
  private coalesceTimer: NodeJS.Timeout | null = null;

  constructor(protected snap: S, private readonly coalesceMs = 0) {}

  readonly subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  readonly getSnapshot = (): S => this.snap;

  /** Replaces the snapshot; subscribers hear of it once per coalescing window (`now`: at once). */
  protected publish(next: S, now = false): void {
    this.snap = next;
    if (now || this.coalesceMs <= 0) {
      this.cancelPending();
      this.notify();
      return;
    }
    if (this.pending) return;
    this.pending = true;
    this.coalesceTimer = setTimeout(() => {
      this.pending = false;
      this.coalesceTimer = null;
      this.notify();
    }, this.coalesceMs);
    this.coalesceTimer.unref?.();
  }

  /**
   * Replaces the snapshot without telling anyone: for a value that rides along with another
   * store's notification (useSyncExternalStore reads every store's snapshot on each render).
   */
  protected replaceQuietly(next: S): void {
    this.snap = next;
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }

  protected cancelPending(): void {
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    this.coalesceTimer = null;
    this.pending = false;
  }
}

/** Runs fn over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
