import { HostSampler, type HostSnapshot } from '../host/metrics.js';
import { Observable } from './observable.js';

export interface HostState {
  snapshot: HostSnapshot | null;
  cpuHistory: (number | null)[];
  error?: string;
}

/** Host CPU, memory, load and disks, sampled every refresh interval. */
export class HostModel extends Observable<HostState> {
  private timer: NodeJS.Timeout | null = null;
  private readonly sampler: HostSampler;

  constructor(private readonly refreshMs: number, sampler?: HostSampler, private readonly historyLength = 60) {
    super({ snapshot: null, cpuHistory: [] });
    this.sampler = sampler ?? new HostSampler();
  }

  private lastSample = 0;

  /**
   * Samples every refresh interval on its own timer — unless someone calls sampleNow() more often
   * (the cockpit does, right after each Docker stats round, so both land in one repaint); the own
   * timer then only covers for a Docker that is down.
   */
  start(): void {
    if (this.timer) return;
    const tick = async () => {
      if (Date.now() - this.lastSample >= this.refreshMs * 0.9) await this.sampleNow();
      if (this.timer !== null) this.timer = setTimeout(tick, this.refreshMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /**
   * Takes one sample now. `quiet`: do not notify — the caller's own store notifies right after and
   * the same repaint shows both.
   */
  async sampleNow(opts: { quiet?: boolean } = {}): Promise<void> {
    this.lastSample = Date.now();
    let next: HostState;
    try {
      const s = await this.sampler.sample();
      const hist = this.snap.cpuHistory.slice(-(this.historyLength - 1));
      hist.push(s.cpuPercent);
      next = { snapshot: s, cpuHistory: hist };
    } catch (e) {
      next = { ...this.snap, error: String((e as Error).message ?? e) };
    }
    if (opts.quiet) this.replaceQuietly(next);
    else this.publish(next);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
