/**
 * `opsdeck agent`: what runs while nobody watches — the live Docker model, the metric collector and
 * the health checks on their schedule (alerts included), all writing to the same state file the
 * cockpit reads. One agent per state file: it holds the lock `agent` for its whole life.
 */
import { startEventRecorder } from '../timeline/recorder.js';
import { startDrillSchedule } from '../restore/schedule.js';
import type { Config } from '../../config/schema.js';
import { startLiveChecks, type LiveChecks } from '../checks/live.js';
import { createReader } from '../docker/client.js';
import type { DockerEndpoint } from '../docker/endpoint.js';
import { DockerModel } from '../model/dockerModel.js';
import { HostModel } from '../model/hostModel.js';
import { MaintenanceModel } from '../model/maintenanceModel.js';
import type { DB } from '../store/db.js';
import { acquireLock, breakStaleLock, releaseLock } from '../store/locks.js';
import { currentUser } from '../store/paths.js';
import { BlockIoTap } from './blkio.js';
import { startCollector, type Collector } from './collector.js';
import { AGENT_LOCK, ROLE_ACTION } from './lock.js';
import type { RetentionOptions } from './retention.js';

export interface AgentOptions {
  config: Config;
  endpoint: DockerEndpoint;
  db: DB;
  intervalMs: number;
  retention?: Partial<RetentionOptions>;
  /** One line for each failure worth telling (rate-limited by the caller). */
  onError?: (what: string, e: Error) => void;
}

export interface Agent {
  docker: DockerModel;
  host: HostModel;
  collector: Collector;
  checks: LiveChecks;
  /** Stops everything: checks (webhooks in flight get a few seconds), collector (last compaction), models; releases the lock. */
  stop(): Promise<void>;
}

/**
 * Starts the agent on an open state file. Throws LockHeldError (naming the holder) when another
 * agent runs on it; a lock left by a dead agent on this host is broken first (and audited).
 */
export function startAgent(opts: AgentOptions): Agent {
  const { db } = opts;
  breakStaleLock(db, AGENT_LOCK, 'the agent that held it is gone');
  acquireLock(db, AGENT_LOCK, { action: ROLE_ACTION.agent, user: currentUser() });
  try {
    return startParts(opts);
  } catch (e) {
    releaseLock(db, AGENT_LOCK);
    throw e;
  }
}

function startParts(opts: AgentOptions): Agent {
  const { db, config } = opts;
  // Block I/O rates come from the same one-shot stats samples the model takes (a tap on its reader).
  const blockIo = new BlockIoTap();
  const docker = new DockerModel(opts.endpoint, { refreshMs: opts.intervalMs }, blockIo.wrap(createReader(opts.endpoint)));
  // Sampled by the collector every round (not on a timer of its own); the checks read the same snapshots.
  const host = new HostModel(opts.intervalMs);
  const maintenance = new MaintenanceModel(db, Math.max(2000, opts.intervalMs));
  docker.start();
  maintenance.start();

  const checks = startLiveChecks({ docker, host, config, db, maintenance, onError: (e) => opts.onError?.('alerts', e) });
  const collector = startCollector({
    db, docker, intervalMs: opts.intervalMs, role: 'agent', host, sampleHost: true, blockIo, config,
    ...(opts.retention ? { retention: opts.retention } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
  });

  // The incident timeline: Docker events into the store while nobody watches (one events stream:
  // the DockerModel's), with what dockerd still holds from before the agent started backfilled.
  const recorder = startEventRecorder(db, docker, { onError: (e) => opts.onError?.('timeline', e instanceof Error ? e : new Error(String(e))) });
  // backups.drillEvery: restore drills on a schedule, each target's newest verified backup.
  const drills = config.backups.drillEvery ? startDrillSchedule({ db, docker, config, everyMs: config.backups.drillEvery, ...(opts.onError ? { onError: opts.onError } : {}) }) : null;

  let stopping: Promise<void> | null = null;
  return {
    docker,
    host,
    collector,
    checks,
    stop() {
      stopping ??= (async () => {
        await checks.stop();
        await collector.stop();
        recorder.stop();
        drills?.stop();
        maintenance.stop();
        docker.stop();
        host.stop();
        releaseLock(db, AGENT_LOCK);
      })();
      return stopping;
    },
  };
}
