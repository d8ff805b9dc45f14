/**
 * The collector: every interval, one round of samples from what the live models already know (the
 * DockerModel's stats rounds, the host model or a sampler) written in one transaction; database
 * sizes and volume sizes on slower schedules of their own; compaction once a minute.
 *
 * Single writer per state file: only the holder of the lock `metrics:collector` writes. The agent
 * always wants it (it waits while a cockpit holds it, which steps aside on its next round once an
 * agent runs); a cockpit records only while no agent runs and the lock is free.
 */
import { hostname } from 'node:os';
import type { Config } from '../../config/schema.js';
import { defaultConfig } from '../../config/schema.js';
import { errorMessage } from '../checks/kinds/util.js';
import { HostSampler, type HostSnapshot } from '../host/metrics.js';
import type { ContainerRow, DockerModel } from '../model/dockerModel.js';
import type { HostModel } from '../model/hostModel.js';
import { mapLimit } from '../model/observable.js';
import type { DB } from '../store/db.js';
import { acquireLock, breakStaleLock, LockHeldError, releaseLock } from '../store/locks.js';
import { currentUser } from '../store/paths.js';
import type { BlockIoTap } from './blkio.js';
import { AGENT_LOCK, COLLECTOR_LOCK, currentCollector, lockHolder, ROLE_ACTION, runningAgent, type CollectorRole } from './lock.js';
import type { RetentionOptions } from './retention.js';
import { containerEnvOf, databaseSources, postgresSizes, redisMemory, sqliteSize, sqliteTitle, volumeSizes, type DbSource } from './sources.js';
import { MetricStore, type SampleInput } from './store.js';

export const VOLUMES_MIN_EVERY_MS = 5 * 60_000;
const COMPACT_EVERY_MS = 60_000;
const SOURCE_TIMEOUT_MS = 15_000;

export interface CollectorOptions {
  db: DB;
  docker: DockerModel;
  /** Sampling interval, ms (the agent's --interval). */
  intervalMs: number;
  /** 'agent' (default) always collects, waiting for the lock; 'cockpit' collects only while no agent runs. */
  role?: CollectorRole;
  /**
   * The host model the process already runs. With `sampleHost` the collector takes a sample on it
   * every round (the agent: its checks read the same snapshot); without, it records the model's
   * newest snapshot (the cockpit samples every refresh anyway).
   */
  host?: HostModel;
  sampleHost?: boolean;
  /** Without `host`: a sampler of our own (default: a new HostSampler). */
  hostSampler?: { sample(): Promise<HostSnapshot> };
  /** Block I/O rates (the tap on the DockerModel's reader); without it no blk.read/blk.write series. */
  blockIo?: BlockIoTap;
  /** Configured databases (checks, backup targets) and their credentials. */
  config?: Config;
  retention?: Partial<RetentionOptions>;
  /** Database sizes every … (default: six intervals, at most 1 min, at least one interval). */
  databasesEveryMs?: number;
  /** Volume sizes every … (default and minimum 5 min: /system/df walks every volume). */
  volumesEveryMs?: number;
  /** Called for each failure of a source or a write, with what failed. */
  onError?: (what: string, e: Error) => void;
  /** Called when this process starts or stops writing samples. */
  onCollectingChange?: (collecting: boolean) => void;
  now?: () => number;
}

export interface Collector {
  /** True while this process holds the lock and writes samples. */
  readonly collecting: boolean;
  /** Samples written by this collector so far. */
  readonly written: number;
  /** One round now (host and containers; starts the slower sources when due). Resolves with rows written. */
  collectNow(): Promise<number>;
  /** Waits for the database and volume polls in flight (tests). */
  idle(): Promise<void>;
  /** Stops: waits (bounded) for polls in flight, compacts once more, releases the lock. */
  stop(): Promise<void>;
}

const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Host samples: CPU %, memory (of total), load1, each filesystem's used bytes (of used + available). */
export function hostSamples(s: HostSnapshot): SampleInput[] {
  const out: SampleInput[] = [];
  if (isNum(s.cpuPercent)) out.push({ key: 'host.cpu', title: 'CPU', group: 'host', unit: 'percent', limit: 100, value: s.cpuPercent });
  if (isNum(s.memUsedBytes)) out.push({ key: 'host.mem', title: 'Memory', group: 'host', unit: 'bytes', limit: s.memTotalBytes || null, value: s.memUsedBytes });
  if (isNum(s.load1)) out.push({ key: 'host.load1', title: 'Load (1 min)', group: 'host', unit: 'load', limit: null, value: s.load1 });
  for (const d of s.disks) {
    out.push({ key: `host.disk:${d.mount}`, title: `Disk ${d.mount}`, group: 'host', unit: 'bytes', limit: d.usedBytes + d.availBytes || null, value: d.usedBytes });
  }
  return out;
}

/**
 * One container's samples: CPU %, memory (of its limit), network and block I/O rates. On a named
 * endpoint (several engines; not the one "local") the series say which: container:db1/postgres.cpu.
 */
export function containerSamples(r: ContainerRow, blk: { read: number; write: number } | null, endpoint?: string): SampleInput[] {
  const out: SampleInput[] = [];
  const name = endpoint && endpoint !== 'local' ? `${endpoint}/${r.name}` : r.name;
  const base = `container:${name}`;
  const c = (key: string, title: string, unit: SampleInput['unit'], value: number | null, limit: number | null = null) => {
    if (isNum(value)) out.push({ key: `${base}.${key}`, title: `${name} ${title}`, group: 'containers', unit, limit, value });
  };
  c('cpu', 'CPU', 'percent', r.cpuPercent);
  c('mem', 'memory', 'bytes', r.memBytes, r.memLimit);
  c('net.rx', 'net rx', 'bytesPerSec', r.rxRate);
  c('net.tx', 'net tx', 'bytesPerSec', r.txRate);
  if (blk) {
    c('blk.read', 'disk read', 'bytesPerSec', blk.read);
    c('blk.write', 'disk write', 'bytesPerSec', blk.write);
  }
  return out;
}

/**
 * Starts collecting (or waiting to). The first round runs at once. Throws nothing: failures go to
 * onError and the next round tries again.
 */
export function startCollector(opts: CollectorOptions): Collector {
  const { db, docker } = opts;
  const role = opts.role ?? 'agent';
  const now = opts.now ?? Date.now;
  const interval = Math.max(100, opts.intervalMs);
  const dbEvery = opts.databasesEveryMs ?? Math.max(interval, Math.min(60_000, 6 * interval));
  const volEvery = Math.max(VOLUMES_MIN_EVERY_MS, opts.volumesEveryMs ?? VOLUMES_MIN_EVERY_MS);
  const config = opts.config ?? defaultConfig();
  const sampler = opts.host ? null : (opts.hostSampler ?? new HostSampler());
  const user = currentUser();
  const me = { pid: process.pid, host: hostname() };
  const abort = new AbortController();
  const report = (what: string, e: unknown) => opts.onError?.(what, e instanceof Error ? e : new Error(String(e)));

  let store: MetricStore | null = null;
  let collecting = false;
  let stopping = false;
  let stopped = false;
  let written = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastHostAt = 0;
  let lastCompact = 0;
  let lastDb = -Infinity;
  let lastVol = -Infinity;
  let round: Promise<number> | null = null;
  const pending = new Set<Promise<void>>();
  const seenRows = new Map<string, ContainerRow>();
  const envCache = new Map<string, Map<string, string>>();

  const setCollecting = (v: boolean) => {
    if (collecting === v) return;
    collecting = v;
    opts.onCollectingChange?.(v);
  };

  const holdsLock = () => {
    const h = lockHolder(db, COLLECTOR_LOCK);
    return h !== null && h.pid === me.pid && h.host === me.host;
  };

  /** Takes, keeps or gives up the lock as the role says; true when this round may write. */
  const claim = (): boolean => {
    if (collecting) {
      if (role === 'cockpit' && runningAgent(db)) {
        releaseLock(db, COLLECTOR_LOCK);
        store = null;
        setCollecting(false);
        return false;
      }
      if (holdsLock()) return true;
      store = null;
      setCollecting(false);
    }
    if (role === 'cockpit' && runningAgent(db)) return false;
    breakStaleLock(db, COLLECTOR_LOCK, 'the process that collected metrics is gone');
    try {
      acquireLock(db, COLLECTOR_LOCK, { action: ROLE_ACTION[role], user });
    } catch (e) {
      if (e instanceof LockHeldError) return false;
      throw e;
    }
    store = new MetricStore(db, opts.retention);
    lastCompact = 0;
    setCollecting(true);
    return true;
  };

  const write = (at: number, samples: SampleInput[]): number => {
    if (!store || !collecting || samples.length === 0) return 0;
    const n = store.write(at, samples);
    written += n;
    return n;
  };

  const hostRound = async (): Promise<SampleInput[]> => {
    let snap: HostSnapshot | null = null;
    if (opts.host) {
      // Published (not quiet): the health checks keep their CPU history from these samples.
      if (opts.sampleHost) await opts.host.sampleNow();
      snap = opts.host.getSnapshot().snapshot;
    } else if (sampler) {
      snap = await sampler.sample();
    }
    if (!snap || snap.at === lastHostAt) return [];
    lastHostAt = snap.at;
    return hostSamples(snap);
  };

  const containerRound = (): SampleInput[] => {
    const snap = docker.getSnapshot();
    if (snap.conn.status !== 'up' || !snap.loaded) return [];
    const out: SampleInput[] = [];
    const live = new Set<string>();
    for (const r of snap.containers) {
      live.add(r.id);
      if (r.state !== 'running') continue;
      // Rows are replaced, never changed, on each stats round: the same object means no new sample
      // (stats paused, or not yet round) — nothing is recorded twice.
      if (seenRows.get(r.id) === r) continue;
      seenRows.set(r.id, r);
      out.push(...containerSamples(r, opts.blockIo?.rates(r.id) ?? null, docker.endpoint.name));
    }
    for (const id of seenRows.keys()) if (!live.has(id)) seenRows.delete(id);
    for (const id of envCache.keys()) if (!live.has(id)) envCache.delete(id);
    opts.blockIo?.retain(live);
    return out;
  };

  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const pollDatabases = async (): Promise<void> => {
    const snap = docker.getSnapshot();
    if (snap.conn.status !== 'up') return;
    const sources = databaseSources(snap.containers, config);
    const ctx = { reader: docker.reader, signal: abort.signal, timeoutMs: SOURCE_TIMEOUT_MS };
    const out: SampleInput[] = [];
    await mapLimit(sources, 2, async (s: DbSource) => {
      try {
        if (s.kind === 'postgres') {
          const c = snap.containers.find((x) => x.name === s.container);
          const id = c?.id ?? s.container;
          let env = envCache.get(id);
          if (!env) {
            env = await containerEnvOf(docker.reader, s.container);
            envCache.set(id, env);
          }
          for (const d of await postgresSizes(ctx, s, env)) {
            out.push({ key: `db.postgres:${s.container}/${d.database}.size`, title: `postgres ${d.database} (${s.container})`, group: 'databases', unit: 'bytes', limit: null, value: d.bytes });
          }
        } else if (s.kind === 'redis') {
          const m = await redisMemory(ctx, s);
          out.push({ key: `db.redis:${s.container}.mem`, title: `redis ${s.container} memory`, group: 'databases', unit: 'bytes', limit: m.max, value: m.used });
        } else {
          const bytes = await sqliteSize(docker.reader, s, abort.signal);
          out.push({ key: `db.sqlite:${s.id}.size`, title: sqliteTitle(s), group: 'databases', unit: 'bytes', limit: null, value: bytes });
        }
      } catch (e) {
        if (!abort.signal.aborted) report(`${s.kind} size of ${s.kind === 'sqlite' ? s.id : s.container}`, new Error(errorMessage(e)));
      }
    });
    if (abort.signal.aborted) return;
    try {
      write(now(), out);
    } catch (e) {
      report('writing database sizes', e);
    }
  };

  const pollVolumes = async (): Promise<void> => {
    if (docker.getSnapshot().conn.status !== 'up') return;
    try {
      const vols = await volumeSizes(docker.reader, abort.signal);
      if (abort.signal.aborted) return;
      write(now(), vols.map((v) => ({ key: `volume:${v.name}.size`, title: v.title, group: 'volumes' as const, unit: 'bytes' as const, limit: null, value: v.bytes })));
    } catch (e) {
      if (!abort.signal.aborted) report('volume sizes (docker system df)', new Error(errorMessage(e)));
    }
  };

  const runRound = async (): Promise<number> => {
    if (stopped) return 0;
    let may: boolean;
    try {
      may = claim();
    } catch (e) {
      report('the metrics lock', e);
      return 0;
    }
    if (!may) return 0;
    let n = 0;
    try {
      const samples = [...(await hostRound()), ...containerRound()];
      if (stopped) return 0;
      n = write(now(), samples);
    } catch (e) {
      report('writing samples', e);
    }
    const t = now();
    if (t - lastDb >= dbEvery) {
      lastDb = t;
      track(pollDatabases());
    }
    if (t - lastVol >= volEvery) {
      lastVol = t;
      track(pollVolumes());
    }
    if (t - lastCompact >= COMPACT_EVERY_MS && store) {
      lastCompact = t;
      try {
        store.compact(t);
      } catch (e) {
        report('compacting metric history', e);
      }
    }
    return n;
  };

  const collectNow = (): Promise<number> => {
    if (stopping) return Promise.resolve(0);
    if (!round) round = runRound().finally(() => { round = null; });
    return round;
  };

  const schedule = () => {
    if (stopping) return;
    timer = setTimeout(() => {
      void collectNow().finally(schedule);
    }, interval);
  };
  void collectNow().finally(schedule);

  const idle = async () => {
    while (round || pending.size) {
      if (round) await round.catch(() => undefined);
      await Promise.allSettled([...pending]);
    }
  };

  return {
    get collecting() { return collecting; },
    get written() { return written; },
    collectNow,
    idle,
    async stop() {
      if (stopping) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      // A round in progress finishes its write; polls in flight get a few seconds, then are cut off.
      if (round) await round.catch(() => undefined);
      stopped = true;
      const inFlight = Promise.allSettled([...pending]);
      const cut = setTimeout(() => abort.abort(new Error('the collector stopped')), 5_000);
      await inFlight;
      clearTimeout(cut);
      abort.abort(new Error('the collector stopped'));
      if (collecting && store) {
        try {
          store.compact(now());
        } catch (e) {
          report('compacting metric history', e);
        }
      }
      if (collecting) {
        try { releaseLock(db, COLLECTOR_LOCK); } catch (e) { report('releasing the metrics lock', e); }
      }
      store = null;
      setCollecting(false);
    },
  };
}

/**
 * For the cockpit: null when someone collects now (the agent, another cockpit, or a collector this
 * process already runs); otherwise a cockpit collector, which steps aside when an agent starts later
 * and takes over again when it stops.
 */
export function tryStartCollector(opts: Omit<CollectorOptions, 'role'>): Collector | null {
  if (currentCollector(opts.db) || runningAgent(opts.db)) return null;
  return startCollector({ ...opts, role: 'cockpit' });
}

export { AGENT_LOCK, COLLECTOR_LOCK, currentCollector, runningAgent };
