import type { Config } from '../../config/schema.js';
import type { DB } from '../store/db.js';
import type { DockerModel, ContainerRow } from '../model/dockerModel.js';
import type { HostModel } from '../model/hostModel.js';
import { HostSampler, type HostSnapshot } from '../host/metrics.js';
import { AlertEngine } from '../alerts/engine.js';
import { CheckScheduler } from './scheduler.js';
import { discoverChecks } from './discover.js';
import { storeCheckEnv } from './storeEnv.js';
import type { MaintenanceModel } from '../model/maintenanceModel.js';

/** How often a container check of a secondary endpoint runs without an event asking for it. */
export const SECONDARY_CONTAINER_EVERY_MS = 120_000;

export interface LiveChecks {
  scheduler: CheckScheduler;
  /** Null without a state store: no alert history, no webhook. */
  engine: AlertEngine | null;
  /** Stops the scheduler and the engine; waits (bounded) for webhook deliveries in flight. */
  stop(): Promise<void>;
}

/**
 * Health checks kept running against the live models: the set of checks follows the containers
 * (configured first, then discovered), a container check re-runs as soon as Docker reports a change
 * to its container, and results feed the alert engine (store + webhook) when a store is open.
 * The cockpit uses it; the agent will too.
 */
export function startLiveChecks(opts: {
  docker: DockerModel; host: HostModel; config: Config; db: DB | null; maintenance?: MaintenanceModel; onError?: (e: Error) => void;
  /**
   * Another endpoint than the default one (several engines in one cockpit): only the checks found
   * on its containers run here, named "ENDPOINT/container:web" so that each engine's are its own;
   * the configured checks run against the default endpoint.
   */
  secondary?: { name: string };
}): LiveChecks {
  const { docker, host, config } = opts;
  const engine = opts.db ? new AlertEngine({ db: opts.db, alerts: config.alerts, onError: opts.onError, endpoint: docker.endpoint.name ?? null }) : null;
  // CPU samples with their times, for "sustained for" (an hour at most).
  const cpu: { at: number; percent: number }[] = [];
  let lastHost: HostSnapshot | null = null;
  const offHost = host.subscribe(() => {
    const s = host.getSnapshot().snapshot;
    if (!s || s === lastHost) return;
    lastHost = s;
    if (s.cpuPercent !== null) cpu.push({ at: s.at, percent: s.cpuPercent });
    while (cpu.length > 0 && cpu[0]!.at < s.at - 3_600_000) cpu.shift();
  });
  const sampler = new HostSampler();
  const scheduler = new CheckScheduler({
    env: {
      docker: docker.reader,
      host: async () => host.getSnapshot().snapshot ?? sampler.sample(),
      cpuHistory: () => cpu,
      thresholds: config.thresholds,
      config,
      now: Date.now,
      ...(opts.db ? storeCheckEnv(opts.db, config) : {}),
    },
    confirmer: engine ?? undefined,
    confirm: config.alerts.confirm,
  });

  // Container checks re-run when their container changes; the set of checks when the list does.
  let known = new Map<string, string>();
  const fingerprint = (c: ContainerRow) => `${c.state}|${c.health}|${c.restartCount ?? ''}|${c.startedAt ?? ''}|${c.oomKilled}`;
  // Discovery depends on which containers exist, their images and states — not on stats, which
  // change every refresh: re-discover only when that set changes.
  let discovered = '';
  const sync = () => {
    const snap = docker.getSnapshot();
    if (!snap.loaded) return;
    const key = snap.containers.map((c) => `${c.id}|${c.name}|${c.image}|${c.state}`).sort().join(',');
    if (key !== discovered) {
      discovered = key;
      const defs = opts.secondary ? discoverChecks(snap.containers, { ...config, checks: [] }) : discoverChecks(snap.containers, config);
      const prefix = opts.secondary ? `${opts.secondary.name}/` : '';
      // Another engine's container checks re-run on its events anyway: their timed run is only the
      // safety net, so every 2 minutes (with 5 engines × 100 containers, every 30 s is 17 inspects a second).
      scheduler.setDefs(prefix ? defs.map((d) => ({
        ...d, name: prefix + d.name, spec: { ...d.spec, name: prefix + d.spec.name },
        intervalMs: d.kind === 'container' ? Math.max(d.intervalMs, SECONDARY_CONTAINER_EVERY_MS) : d.intervalMs,
      })) : defs);
    }
    const next = new Map(snap.containers.map((c) => [c.name, fingerprint(c)]));
    const changed = new Set<string>();
    for (const [name, f] of next) if (known.has(name) && known.get(name) !== f) changed.add(name);
    known = next;
    if (changed.size) scheduler.runMatching((d) => d.kind === 'container' && changed.has(d.container ?? ''));
  };
  let lastRows: unknown = null;
  const offDocker = docker.subscribe(() => {
    const rows = docker.getSnapshot().containers;
    if (rows === lastRows) return;
    lastRows = rows;
    sync();
  });
  sync();
  scheduler.start();
  engine?.start();

  // Maintenance silences the alerts of the services it stopped, whichever opsdeck started it.
  let unsilence: (() => void) | null = null;
  const onMaintenance = () => {
    unsilence?.();
    unsilence = null;
    const w = opts.maintenance?.getSnapshot();
    if (!engine || !w || w.endedAt) return;
    const names = new Set([...w.plannedStop, ...w.stopped.map((s) => s.name)]);
    unsilence = engine.silence((d) => Boolean(d.container && names.has(d.container)), 'maintenance');
  };
  const offMaintenance = opts.maintenance?.subscribe(onMaintenance);
  onMaintenance();

  return {
    scheduler,
    engine,
    async stop() {
      offDocker();
      offHost();
      offMaintenance?.();
      scheduler.stop();
      engine?.stop();
      if (engine) await Promise.race([engine.flush(), new Promise((r) => setTimeout(r, 3000).unref())]);
    },
  };
}
