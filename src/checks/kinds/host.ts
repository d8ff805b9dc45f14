/**
 * `disk`, `memory`, `cpu`: the host's figures (env.host()), or one container's memory and CPU from
 * Docker's stats. CPU only warns or goes crit when every sample over the `for` duration was above
 * the threshold, so a build spiking for a minute does not page anyone.
 */
import type { CheckOf } from '../../../config/schema.js';
import { formatBytes } from '../../format.js';
import type { DiskUsage } from '../../host/metrics.js';
import { cpuPercent, memoryUsed, type RawStats } from '../../docker/stats.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus, DetailValue } from '../types.js';
import { containerProblem, formatWindow, levelAbove } from './util.js';

const pct = (v: number) => `${Math.round(v)} %`;

// --- disk ----------------------------------------------------------------------------------------

/** The fullest of the given disks and its level; pure. */
export function diskStatus(disks: readonly DiskUsage[], warn: number, crit: number): { status: CheckStatus; message: string; fullest?: DiskUsage } {
  if (disks.length === 0) return { status: 'unknown', message: 'no disks found' };
  const fullest = disks.reduce((a, b) => (b.usedPercent > a.usedPercent ? b : a));
  const status = levelAbove(fullest.usedPercent, warn, crit);
  const others = disks.length > 1 ? ` (fullest of ${disks.length})` : '';
  return {
    status,
    message: `${safeText(fullest.mount)} ${pct(fullest.usedPercent)} used, ${formatBytes(fullest.availBytes)} free${others}`,
    fullest,
  };
}

export async function runDisk(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'disk'>).disk;
  const warn = spec.warn ?? env.thresholds.disk.warn;
  const crit = spec.crit ?? env.thresholds.disk.crit;
  const snap = await env.host();
  let disks = snap.disks;
  if (spec.mount !== undefined) {
    disks = disks.filter((d) => d.mount === spec.mount);
    if (disks.length === 0) return { status: 'unknown', message: `no mounted filesystem at ${safeText(spec.mount)}`, latencyMs: null };
  }
  const { status, message } = diskStatus(disks, warn, crit);
  const details: Record<string, DetailValue> = { warn, crit };
  for (const d of disks) details[safeText(d.mount)] = Math.round(d.usedPercent * 10) / 10;
  return { status, message, latencyMs: null, details };
}

// --- memory --------------------------------------------------------------------------------------

export async function runMemory(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'memory'>).memory;
  const warn = spec.warn ?? env.thresholds.memory.warn;
  const crit = spec.crit ?? env.thresholds.memory.crit;
  if (spec.container === undefined) {
    const snap = await env.host();
    const status = levelAbove(snap.memPercent, warn, crit);
    return {
      status,
      message: `${pct(snap.memPercent)} used (${formatBytes(snap.memUsedBytes)} of ${formatBytes(snap.memTotalBytes)})`,
      latencyMs: null,
      details: { percent: Math.round(snap.memPercent * 10) / 10, usedBytes: snap.memUsedBytes, totalBytes: snap.memTotalBytes, warn, crit },
    };
  }
  const container = spec.container;
  let limit: number | null;
  let stats: RawStats;
  try {
    const info = await env.docker.inspect(container);
    if (info.state !== 'running') return { status: 'crit', message: `container ${safeText(container)} is not running`, latencyMs: null };
    limit = info.memLimit;
    stats = await env.docker.statsOnce(container, env.signal);
  } catch (e) {
    const problem = containerProblem(e, container);
    if (problem) return problem;
    throw e;
  }
  const used = memoryUsed(stats.memory_stats);
  if (used === null) return { status: 'unknown', message: 'Docker reports no memory figures for this container', latencyMs: null };
  // Without a limit of its own a container may use the host's memory: the stats' limit is that.
  const of = limit ?? stats.memory_stats?.limit ?? null;
  if (!of) return { status: 'ok', message: `${formatBytes(used)} used (no limit)`, latencyMs: null, details: { usedBytes: used } };
  const percent = (used / of) * 100;
  const status = levelAbove(percent, warn, crit);
  return {
    status,
    message: `${pct(percent)} of ${limit ? 'its limit' : 'host memory (no limit)'}: ${formatBytes(used)} of ${formatBytes(of)}`,
    latencyMs: null,
    details: { percent: Math.round(percent * 10) / 10, usedBytes: used, limitBytes: limit, ofBytes: of, warn, crit },
  };
}

// --- cpu -----------------------------------------------------------------------------------------

export interface CpuSample {
  at: number;
  percent: number;
}

/**
 * "Sustained for": warn/crit only when every sample over the last `forMs` is at or above the
 * threshold and the samples reach back the whole window. Until they do, ok with how long the level
 * has held so far. Pure; `samples` oldest first.
 */
export function sustainedCpu(samples: readonly CpuSample[], now: number, forMs: number, warn: number, crit: number): { status: CheckStatus; message: string; current: number | null; heldMs: number } {
  const latest = samples[samples.length - 1];
  if (!latest) return { status: 'unknown', message: 'no CPU samples yet', current: null, heldMs: 0 };
  const current = latest.percent;
  const windowStart = now - forMs;
  // How long the current run of samples at or above warn has lasted.
  let runStart = latest.at;
  for (let i = samples.length - 1; i >= 0 && samples[i]!.percent >= warn; i--) runStart = samples[i]!.at;
  const heldMs = current >= warn ? now - runStart : 0;
  const base = `cpu ${pct(current)}`;
  if (current < warn) return { status: 'ok', message: base, current, heldMs };
  const covered = samples[0]!.at <= windowStart;
  const inWindow = samples.filter((s) => s.at >= windowStart);
  if (!covered || inWindow.length === 0) {
    return { status: 'ok', message: `${base}, above ${pct(warn)} sustained ${Math.round(heldMs / 1000)} s of ${formatWindow(forMs)}`, current, heldMs };
  }
  const min = Math.min(...inWindow.map((s) => s.percent));
  const status = levelAbove(min, warn, crit);
  if (status === 'ok') return { status, message: `${base}, above ${pct(warn)} for ${Math.round(heldMs / 1000)} s of ${formatWindow(forMs)}`, current, heldMs };
  return { status, message: `${base}, at least ${pct(min)} for ${formatWindow(forMs)} (${status} ${pct(status === 'crit' ? crit : warn)})`, current, heldMs };
}

/** Samples the checks took themselves (when env.cpuHistory is missing, and for containers), per check. */
const ownHistory = new Map<string, CpuSample[]>();
const HISTORY_CAP = 2000;

function remember(name: string, sample: CpuSample, keepMs: number): CpuSample[] {
  const list = ownHistory.get(name) ?? [];
  list.push(sample);
  const cutoff = sample.at - keepMs * 2;
  while (list.length > HISTORY_CAP || (list.length > 1 && list[0]!.at < cutoff)) list.shift();
  ownHistory.set(name, list);
  return list;
}

/** Forgets the CPU samples checks took themselves (tests). */
export function forgetCpuSamples(): void {
  ownHistory.clear();
}

const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** A container's CPU % from two one-shot stats samples `gapMs` apart. */
async function containerCpu(env: CheckEnv, container: string, gapMs: number): Promise<number | null> {
  const a = await env.docker.statsOnce(container, env.signal);
  await delay(gapMs, env.signal);
  const b = await env.docker.statsOnce(container, env.signal);
  return cpuPercent(b.cpu_stats, a.cpu_stats);
}

export async function runCpu(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'cpu'>).cpu;
  const warn = spec.warn ?? env.thresholds.cpu.warn;
  const crit = spec.crit ?? env.thresholds.cpu.crit;
  const forMs = spec.for ?? env.thresholds.cpu.for;
  const now = env.now();
  let samples: CpuSample[];
  if (spec.container !== undefined) {
    let percent: number | null;
    try {
      const info = await env.docker.inspect(spec.container);
      if (info.state !== 'running') return { status: 'crit', message: `container ${safeText(spec.container)} is not running`, latencyMs: null };
      percent = await containerCpu(env, spec.container, 500);
    } catch (e) {
      const problem = containerProblem(e, spec.container);
      if (problem) return problem;
      throw e;
    }
    if (percent === null) return { status: 'unknown', message: 'Docker reports no CPU figures for this container', latencyMs: null };
    samples = remember(def.name, { at: now, percent }, forMs);
  } else if (env.cpuHistory) {
    samples = env.cpuHistory();
    if (samples.length === 0) {
      const snap = await env.host();
      if (snap.cpuPercent !== null) samples = [{ at: snap.at, percent: snap.cpuPercent }];
    }
  } else {
    const snap = await env.host();
    if (snap.cpuPercent === null) return { status: 'unknown', message: 'no CPU figures (/proc/stat unreadable)', latencyMs: null };
    samples = remember(def.name, { at: now, percent: snap.cpuPercent }, forMs);
  }
  const r = sustainedCpu(samples, now, forMs, warn, crit);
  const details: Record<string, DetailValue> = {
    percent: r.current === null ? null : Math.round(r.current * 10) / 10,
    heldSec: Math.round(r.heldMs / 1000),
    forSec: Math.round(forMs / 1000),
    samples: samples.length,
    warn,
    crit,
  };
  if (spec.container !== undefined) details.container = safeText(spec.container);
  return { status: r.status, message: r.message, latencyMs: null, details };
}
