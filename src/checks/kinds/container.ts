/**
 * `container`: is it running, is Docker's healthcheck happy, is it in a restart loop, was it
 * OOM-killed. Exited containers of a compose project are crit unless they exited 0 (one-shot jobs).
 */
import type { CheckOf } from '../../../config/schema.js';
import { fromInspect, type ContainerInfo } from '../../docker/containers.js';
import { formatUptime } from '../../format.js';
import type { CheckDef, CheckEnv, CheckOutcome, DetailValue } from '../types.js';
import { dockerStatus, oneLine } from './util.js';

/** An exit this recent, with an always-restart policy, counts as part of a restart loop. */
export const RECENT_EXIT_MS = 5 * 60_000;
/** Running for less than this after a policy restart: "restarted N times, up 3s". */
export const JUST_RESTARTED_MS = 60_000;
/** This many policy restarts, and up less than JUST_RESTARTED_MS: a restart loop (crit). */
export const LOOP_RESTARTS = 3;

/** Last restart count seen per check (keyed by check name), to notice a rise between runs. */
const lastSeen = new Map<string, { id: string; restartCount: number }>();

/** Forgets what earlier runs saw (tests, or a check that was removed). */
export function forgetContainerRuns(name?: string): void {
  if (name === undefined) lastSeen.clear();
  else lastSeen.delete(name);
}

export interface ContainerFacts {
  info: Pick<ContainerInfo, 'state' | 'health' | 'restartCount' | 'startedAt' | 'finishedAt' | 'exitCode' | 'oomKilled' | 'project'>;
  /** HostConfig.RestartPolicy.Name: '', 'no', 'always', 'unless-stopped', 'on-failure'. */
  restartPolicy: string;
  /** Output of the last health probe (untrusted text). */
  lastHealthOutput?: string;
  lastHealthExitCode?: number;
  /** Restart count at the previous run of this check (same container), undefined on the first. */
  previousRestartCount?: number;
}

/** The status of a container from what inspect says; pure. */
export function containerStatus(f: ContainerFacts, now: number): Pick<CheckOutcome, 'status' | 'message'> {
  const { info } = f;
  const restarts = info.restartCount ?? 0;
  const rose = f.previousRestartCount !== undefined && restarts > f.previousRestartCount;
  const loop = `restart loop: ${restarts} restart${restarts === 1 ? '' : 's'}`;
  const since = rose ? ` (+${restarts - f.previousRestartCount!} since the last check)` : '';
  const always = f.restartPolicy === 'always' || f.restartPolicy === 'unless-stopped';
  const finishedMs = info.finishedAt ? Date.parse(info.finishedAt) : NaN;
  const exitedRecently = Number.isFinite(finishedMs) && now - finishedMs <= RECENT_EXIT_MS;

  if (info.state === 'restarting') return { status: 'crit', message: `${loop}${since}, last exit ${info.exitCode ?? '?'}` };
  if (info.oomKilled) return { status: 'crit', message: `OOM-killed (out of memory)${restarts ? `, ${restarts} restarts` : ''}` };
  if (rose) return { status: 'crit', message: `${loop}${since}` };

  switch (info.state) {
    case 'running': {
      const up = formatUptime(info.startedAt, now);
      const startedMs = info.startedAt ? Date.parse(info.startedAt) : NaN;
      if (info.health === 'unhealthy') {
        const why = f.lastHealthOutput ? oneLine(f.lastHealthOutput, 120) : '';
        const text = why || (f.lastHealthExitCode !== undefined ? `health check failed (exit ${f.lastHealthExitCode})` : 'health check failing');
        return { status: 'crit', message: `unhealthy: ${text}` };
      }
      if (restarts > 0 && Number.isFinite(startedMs) && now - startedMs < JUST_RESTARTED_MS) {
        // Caught in the seconds it runs between crashes: with LOOP_RESTARTS policy restarts behind it,
        // that is the restart loop, whatever the instant of the check.
        if (restarts >= LOOP_RESTARTS) return { status: 'crit', message: `${loop}, up ${up}` };
        return { status: 'warn', message: `restarted ${restarts} time${restarts === 1 ? '' : 's'}, up ${up}` };
      }
      if (info.health === 'starting') return { status: 'warn', message: `running ${up}, health: starting` };
      return { status: 'ok', message: info.health === 'healthy' ? `running ${up}, healthy` : `running ${up}` };
    }
    case 'exited': {
      const code = info.exitCode;
      if (always && restarts > 0 && exitedRecently) return { status: 'crit', message: `${loop}, exited ${code ?? '?'}` };
      if (code === 0 && !always) return { status: 'ok', message: 'exited 0 (one-shot)' };
      if (code === 0) return { status: 'crit', message: `stopped (exited 0), restart policy ${f.restartPolicy}` };
      if (info.project !== null || always) return { status: 'crit', message: `exited ${code ?? '?'}` };
      return { status: 'warn', message: `exited ${code ?? '?'}` };
    }
    case 'dead':
      return { status: 'crit', message: 'dead' };
    case 'paused':
      return { status: 'warn', message: 'paused' };
    case 'created':
      return { status: 'warn', message: 'created, never started' };
    case 'removing':
      return { status: 'warn', message: 'being removed' };
    default:
      return { status: 'unknown', message: `state ${String(info.state)}` };
  }
}

export async function runContainer(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = def.spec as CheckOf<'container'>;
  const name = spec.container.name;
  const t0 = Date.now();
  let raw;
  try {
    raw = await env.docker.inspectRaw(name);
  } catch (e) {
    if (dockerStatus(e) === 404) {
      lastSeen.delete(def.name);
      return { status: 'crit', message: `no container ${oneLine(name)}`, latencyMs: null };
    }
    throw e;
  }
  const latencyMs = Date.now() - t0;
  const info = fromInspect(raw);
  const log = raw.State?.Health?.Log ?? [];
  const last = log[log.length - 1];
  const prev = lastSeen.get(def.name);
  const facts: ContainerFacts = {
    info,
    restartPolicy: raw.HostConfig?.RestartPolicy?.Name ?? '',
    lastHealthOutput: last?.Output,
    lastHealthExitCode: last?.ExitCode,
    previousRestartCount: prev && prev.id === info.id ? prev.restartCount : undefined,
  };
  lastSeen.set(def.name, { id: info.id, restartCount: info.restartCount ?? 0 });
  const { status, message } = containerStatus(facts, env.now());
  const details: Record<string, DetailValue> = {
    state: info.state,
    health: info.health,
    restartCount: info.restartCount,
    restartPolicy: facts.restartPolicy || 'no',
    exitCode: info.exitCode,
    oomKilled: info.oomKilled,
    startedAt: info.startedAt,
    finishedAt: info.finishedAt,
    image: info.image,
  };
  if (raw.State?.Health) details.failingStreak = raw.State.Health.FailingStreak ?? null;
  if (last?.Output) details.lastHealthOutput = oneLine(last.Output, 200);
  return { status, message, latencyMs, details };
}
