import { setMaxListeners } from 'node:events';
import { createReader, type DockerReader } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { explainDockerError, type DockerEndpoint } from '../docker/endpoint.js';
import { cpuPercent, memoryUsed, networkTotals, ratePerSecond, type RawStats } from '../docker/stats.js';
import { mapLimit, Observable } from './observable.js';

export interface ContainerRow extends ContainerInfo {
  cpuPercent: number | null;
  memBytes: number | null;
  /** Memory as % of the container's limit, null when it has none. */
  memPercent: number | null;
  rxRate: number | null;
  txRate: number | null;
  /** CPU % samples, oldest first, newest last; null where a sample was missed. */
  cpuHistory: (number | null)[];
  /** The endpoint's name, on rows of the all-hosts Overview (several engines); unset otherwise. */
  endpoint?: string;
}

export type ConnStatus = 'connecting' | 'up' | 'down';

export interface ConnState {
  status: ConnStatus;
  endpoint: string;
  message?: string;
  hint?: string;
  /** When the next reconnect attempt happens (epoch ms), while down. */
  retryAt?: number;
  engineVersion?: string;
  since: number;
}

export interface DockerSnapshot {
  conn: ConnState;
  containers: ContainerRow[];
  /** True once the first container list has arrived. */
  loaded: boolean;
  /** When this snapshot was made (epoch ms): uptimes are computed against it, not a ticking clock. */
  at: number;
}

/** What the cockpit reads of a model: one engine's DockerModel, or the all-hosts Overview's merge. */
export type DockerView = Pick<DockerModel, 'subscribe' | 'getSnapshot' | 'setStatsPaused' | 'refreshContainer' | 'reader'>;

/** One message of Docker's /events stream (the fields opsdeck reads). */
export interface DockerEventMessage {
  Type?: string;
  Action?: string;
  /** Old-style duplicates of Action and Actor.ID. */
  status?: string;
  id?: string;
  from?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Seconds and nanoseconds since the epoch. */
  time?: number;
  timeNano?: number;
}

interface StatMemo { cpu: RawStats['cpu_stats']; rx: number; tx: number; at: number }

export interface DockerModelOptions {
  refreshMs: number;
  /** How many CPU samples to keep per container for sparklines. */
  historyLength?: number;
  /** Default: every running container in one round (see sampleStats). */
  statsConcurrency?: number;
  reconcileMs?: number;
}

// Container actions worth a re-inspect; exec_* (healthcheck probes) and others are noise here.
const EVENT_ACTIONS = ['create', 'start', 'restart', 'die', 'stop', 'kill', 'pause', 'unpause', 'health_status', 'oom', 'destroy', 'rename', 'update'];

/**
 * The live picture of one engine: connection state, containers (list + inspect, kept current by the
 * events stream) and their stats (one-shot samples every refresh). Reconnects with back-off.
 */
export class DockerModel extends Observable<DockerSnapshot> {
  readonly reader: DockerReader;
  private rows = new Map<string, ContainerRow>();
  private memo = new Map<string, StatMemo>();
  private abort: AbortController | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 1000;
  private stopped = true;
  private inspectQueue = new Set<string>();
  private inspectTimer: NodeJS.Timeout | null = null;
  private readonly historyLength: number;
  private statsPaused = false;
  private statsScope: Set<string> | null = null;
  private rawListeners = new Set<(ev: DockerEventMessage) => void>();
  /** Awaited after each stats round, before it is published (the cockpit samples the host here). */
  beforeStatsPublish: (() => Promise<void>) | null = null;

  constructor(readonly endpoint: DockerEndpoint, private readonly opts: DockerModelOptions, reader?: DockerReader) {
    super({ conn: { status: 'connecting', endpoint: endpoint.url, since: Date.now() }, containers: [], loaded: false, at: Date.now() }, 50);
    this.reader = reader ?? createReader(endpoint);
    this.historyLength = opts.historyLength ?? 60;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.abort = null;
    for (const t of [this.statsTimer, this.reconcileTimer, this.retryTimer, this.inspectTimer]) if (t) clearTimeout(t);
    this.statsTimer = this.reconcileTimer = this.retryTimer = this.inspectTimer = null;
    this.cancelPending();
  }

  /** Stats cost the daemon work; a caller that shows no stats can pause them. */
  setStatsPaused(paused: boolean): void {
    this.statsPaused = paused;
  }

  /**
   * Sample only these containers (the rows on screen in the all-hosts Overview); null: every
   * running one. Rows outside the scope keep their last figures.
   */
  setStatsScope(ids: Set<string> | null): void {
    this.statsScope = ids;
  }

  /** Re-reads one container now (after an action changed it). */
  refreshContainer(id: string): void {
    this.queueInspect(id);
  }

  private emit(patch: Partial<DockerSnapshot> = {}, now = false): void {
    const rows = [...this.rows.values()];
    this.publish({ ...this.snap, ...patch, containers: rows, at: Date.now() }, now);
  }

  private setConn(conn: Partial<ConnState> & { status: ConnStatus }): void {
    const prev = this.snap.conn;
    const since = prev.status === conn.status ? prev.since : Date.now();
    this.publish({ ...this.snap, conn: { endpoint: this.endpoint.url, since, engineVersion: prev.engineVersion, ...conn } });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const abort = new AbortController();
    // One signal is shared by every request of this connection (a stats round has one per container).
    setMaxListeners(0, abort.signal);
    this.abort = abort;
    try {
      // Listing first gives the first paint; events next so nothing is missed while inspecting.
      const list = await this.reader.listContainers();
      if (abort.signal.aborted) return;
      this.replaceAll(list);
      this.emit({ loaded: true }, !this.snap.loaded); // the first list goes out at once: it is the first paint
      const events = await this.reader.events(abort.signal);
      this.watchEvents(events, abort);
      this.backoffMs = 1000;
      this.setConn({ status: 'up', engineVersion: this.snap.conn.engineVersion });
      void this.reader.version().then((v) => { if (!abort.signal.aborted) this.setConn({ status: 'up', engineVersion: v.version }); }, () => undefined);
      await mapLimit(list.map((c) => c.id), 4, (id) => this.inspectOne(id));
      this.emit();
      this.scheduleStats(0);
      this.scheduleReconcile();
    } catch (err) {
      if (abort.signal.aborted && this.stopped) return;
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    this.abort?.abort();
    this.abort = null;
    if (this.statsTimer) clearTimeout(this.statsTimer);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.statsTimer = this.reconcileTimer = null;
    const { message, hint } = explainDockerError(this.endpoint, err);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 15_000);
    this.setConn({ status: 'down', message, hint, retryAt: Date.now() + delay });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.setConn({ status: 'connecting', message, hint });
      void this.connect();
    }, delay);
  }

  private replaceAll(list: ContainerInfo[]): void {
    const next = new Map<string, ContainerRow>();
    for (const c of list) {
      const old = this.rows.get(c.id);
      // Keep what inspect and stats already know while the list's coarser view updates state.
      next.set(c.id, old ? { ...old, ...pickListFields(c), inspected: old.inspected && old.state === c.state } : blankRow(c));
    }
    for (const id of this.memo.keys()) if (!next.has(id)) this.memo.delete(id);
    this.rows = next;
  }

  private async inspectOne(id: string): Promise<void> {
    try {
      const info = await this.reader.inspect(id);
      const old = this.rows.get(id);
      const row: ContainerRow = old ? { ...old, ...info } : blankRow(info);
      if (row.state !== 'running') {
        row.cpuPercent = null; row.memBytes = null; row.memPercent = null; row.rxRate = null; row.txRate = null;
        this.memo.delete(id);
      } else if (row.memBytes !== null && row.memLimit) {
        row.memPercent = (row.memBytes / row.memLimit) * 100;
      }
      this.rows.set(id, row);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        this.rows.delete(id);
        this.memo.delete(id);
      }
    }
  }

  private queueInspect(id: string): void {
    this.inspectQueue.add(id);
    if (this.inspectTimer) return;
    this.inspectTimer = setTimeout(() => {
      this.inspectTimer = null;
      const ids = [...this.inspectQueue];
      this.inspectQueue.clear();
      void mapLimit(ids, 4, (i) => this.inspectOne(i)).then(() => this.emit());
    }, 100);
  }

  private watchEvents(stream: NodeJS.ReadableStream, abort: AbortController): void {
    let buf = '';
    stream.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.onEvent(line);
      }
    });
    const onGone = (err?: unknown) => {
      if (abort.signal.aborted || this.stopped) return;
      this.fail(err ?? Object.assign(new Error('the Docker event stream ended'), { code: 'ECONNRESET' }));
    };
    stream.on('error', onGone);
    stream.on('end', () => onGone());
    stream.on('close', () => onGone());
    abort.signal.addEventListener('abort', () => (stream as unknown as { destroy?: () => void }).destroy?.(), { once: true });
  }

  /**
   * Every event of the engine's stream (containers and images), parsed, as Docker sent it: the
   * timeline's recorder listens here, so there is one events stream per engine. Returns unsubscribe.
   */
  onRawEvent(listener: (ev: DockerEventMessage) => void): () => void {
    this.rawListeners.add(listener);
    return () => this.rawListeners.delete(listener);
  }

  private onEvent(line: string): void {
    let ev: DockerEventMessage;
    try { ev = JSON.parse(line) as DockerEventMessage; } catch { return; }
    for (const l of this.rawListeners) {
      try { l(ev); } catch { /* a listener's failure is its own */ }
    }
    if (ev.Type && ev.Type !== 'container') return;
    const action = ev.Action ?? ev.status ?? '';
    const id = ev.Actor?.ID ?? ev.id;
    if (!id || !EVENT_ACTIONS.some((a) => action === a || action.startsWith(`${a}:`))) return;
    if (action === 'destroy') {
      this.rows.delete(id);
      this.memo.delete(id);
      this.emit();
      return;
    }
    const row = this.rows.get(id);
    if (row && action.startsWith('health_status:')) {
      // A new object: rows already handed to subscribers are never changed in place.
      this.rows.set(id, { ...row, health: action.slice('health_status:'.length).trim() as ContainerRow['health'] });
      this.emit();
    }
    this.queueInspect(id);
  }

  private scheduleStats(delay: number): void {
    if (this.stopped) return;
    this.statsTimer = setTimeout(() => void this.sampleStats(), delay);
  }

  private async sampleStats(): Promise<void> {
    const abort = this.abort;
    if (!abort || this.stopped) return;
    if (!this.statsPaused) {
      const scope = this.statsScope;
      const running = [...this.rows.values()].filter((r) => r.state === 'running' && (!scope || scope.has(r.id)));
      // All at once on purpose: dockerd's stats collector serves every waiting request in one pass
      // and then sleeps a second, so requests in sequence would each wait for the next pass.
      await mapLimit(running, this.opts.statsConcurrency ?? Math.max(1, running.length), async (r) => {
        const raw = await this.reader.statsOnce(r.id, abort.signal);
        this.applyStats(r.id, raw);
      });
      if (abort.signal.aborted) return;
      await this.beforeStatsPublish?.();
      if (running.length > 0 || !scope) this.emit();
    }
    this.scheduleStats(this.opts.refreshMs);
  }

  private applyStats(id: string, raw: RawStats): void {
    const current = this.rows.get(id);
    if (!current || current.state !== 'running') return;
    // A copy: rows already handed to subscribers are never changed in place.
    const row: ContainerRow = { ...current };
    const now = raw.read ? Date.parse(raw.read) || Date.now() : Date.now();
    const prev = this.memo.get(id);
    const net = networkTotals(raw.networks);
    // One-shot samples carry no precpu: our previous sample is the baseline.
    const cpu = cpuPercent(raw.cpu_stats, prev?.cpu ?? raw.precpu_stats);
    const mem = memoryUsed(raw.memory_stats);
    const dt = prev ? now - prev.at : 0;
    row.cpuPercent = cpu;
    row.memBytes = mem;
    const limit = row.memLimit ?? null;
    row.memPercent = mem !== null && limit ? (mem / limit) * 100 : null;
    row.rxRate = ratePerSecond(net.rx, prev?.rx, dt);
    row.txRate = ratePerSecond(net.tx, prev?.tx, dt);
    if (prev || cpu !== null) {
      const hist = row.cpuHistory.length >= this.historyLength ? row.cpuHistory.slice(1) : row.cpuHistory.slice();
      hist.push(cpu);
      row.cpuHistory = hist;
    }
    this.rows.set(id, row);
    this.memo.set(id, { cpu: raw.cpu_stats, rx: net.rx, tx: net.tx, at: now });
  }

  private scheduleReconcile(): void {
    const every = this.opts.reconcileMs ?? 60_000;
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(async () => {
      const abort = this.abort;
      if (!abort || this.stopped) return;
      try {
        const list = await this.reader.listContainers();
        if (abort.signal.aborted) return;
        const known = new Set(this.rows.keys());
        this.replaceAll(list);
        for (const c of list) if (!known.has(c.id)) this.queueInspect(c.id);
        this.emit();
      } catch (err) {
        this.fail(err);
        return;
      }
      this.scheduleReconcile();
    }, every);
    this.reconcileTimer.unref?.();
  }
}

function pickListFields(c: ContainerInfo): Partial<ContainerInfo> {
  return { name: c.name, project: c.project, service: c.service, image: c.image, state: c.state, status: c.status, health: c.health };
}

function blankRow(c: ContainerInfo): ContainerRow {
  return { ...c, cpuPercent: null, memBytes: null, memPercent: null, rxRate: null, txRate: null, cpuHistory: [] };
}
