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

  start(): void {
    if (this.timer) return;
    const tick = async () => {
      try {
        const s = await this.sampler.sample();
        const hist = this.snap.cpuHistory.slice(-(this.historyLength - 1));
        hist.push(s.cpuPercent);
        this.publish({ snapshot: s, cpuHistory: hist });
      } catch (e) {
        this.publish({ ...this.snap, error: String((e as Error).message ?? e) });
      }
      if (this.timer !== null) this.timer = setTimeout(tick, this.refreshMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
