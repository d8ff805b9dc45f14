import { hostname as osHostname } from 'node:os';
import { createReader, type DockerReader } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { explainDockerError } from '../docker/endpoint.js';
import { cpuPercent, memoryUsed, type RawStats } from '../docker/stats.js';
import { HostSampler, type HostSnapshot } from '../host/metrics.js';
import { mapLimit } from '../model/observable.js';
import { formatBytes, formatDuration, formatPercent, padEnd, truncate } from '../format.js';
import { safeText } from '../sanitize.js';
import type { Context } from './context.js';
import { summarize, type MaintenanceSummary } from '../maintenance/state.js';

export interface StatusContainer {
  id: string;
  name: string;
  project: string | null;
  service: string | null;
  image: string;
  state: string;
  health: string;
  exitCode: number | null;
  cpuPercent: number | null;
  memBytes: number | null;
  memLimitBytes: number | null;
  memPercent: number | null;
  restartCount: number | null;
  startedAt: string | null;
}

export interface StatusSnapshot {
  at: string;
  /** The host snapshot as sampled (see HostSnapshot), without its internal timestamp. */
  host: Omit<HostSnapshot, 'at'>;
  /** The endpoint the containers and checks are of (--endpoint, else the first). */
  docker: { name: string; endpoint: string; status: 'up' | 'down'; version: string | null; error: string | null; hint: string | null };
  /** Every configured endpoint (config endpoints:, Docker contexts), each asked for its version. */
  endpoints: { name: string; endpoint: string; status: 'up' | 'down'; version: string | null; error: string | null }[];
  containers: StatusContainer[];
  checks: { name: string; status: 'ok' | 'warn' | 'crit' | 'unknown'; message: string; latencyMs: number | null }[];
  alerts: { name: string; status: string; message: string; since: string }[];
  /** The open maintenance window (src/maintenance/state.ts summarize): scope, reason, by, since, plannedEnd, stopped … */
  maintenance: MaintenanceSummary;
}

function hostPart({ at: _at, ...h }: HostSnapshot): StatusSnapshot['host'] {
  return h;
}

/**
 * Two one-shot stats rounds give CPU % for every running container. Each round asks for all
 * containers at once: dockerd's collector answers them in one pass and then sleeps a second, which
 * is also the interval the CPU delta needs.
 */
async function sampleStats(reader: DockerReader, running: ContainerInfo[]): Promise<Map<string, { cpu: number | null; mem: number | null }>> {
  const round = async () => {
    const res = await mapLimit(running, Math.max(1, running.length), (c) => reader.statsOnce(c.id));
    const m = new Map<string, RawStats>();
    res.forEach((r, i) => { if (r.status === 'fulfilled') m.set(running[i]!.id, r.value); });
    return m;
  };
  const first = await round();
  const second = await round();
  const out = new Map<string, { cpu: number | null; mem: number | null }>();
  for (const [id, s] of second) out.set(id, { cpu: cpuPercent(s.cpu_stats, first.get(id)?.cpu_stats), mem: memoryUsed(s.memory_stats) });
  return out;
}

export async function collectStatus(ctx: Context): Promise<StatusSnapshot> {
  const sampler = new HostSampler();
  const hostP = sampler.sample();
  // The checks run alongside the listing and the stats rounds.
  const checksP = import('./check.js').then(({ collectChecks }) => collectChecks(ctx));
  const reader = createReader(ctx.endpoint);
  let docker: StatusSnapshot['docker'] = { name: ctx.endpoint.name ?? 'local', endpoint: ctx.endpoint.url, status: 'up', version: null, error: null, hint: null };
  // The other endpoints: up or down, each on its own (one slow host costs at most 5 s).
  const othersP = Promise.all(ctx.endpoints.filter((e) => e !== ctx.endpoint).map(async (e): Promise<StatusSnapshot['endpoints'][number]> => {
    const r = createReader(e);
    try {
      const v = await Promise.race([r.version(), new Promise<never>((_, reject) => setTimeout(() => reject(Object.assign(new Error('no answer within 5 s'), { code: 'ETIMEDOUT' })), 5000).unref())]);
      return { name: e.name ?? '?', endpoint: e.url, status: 'up', version: v.version, error: null };
    } catch (err) {
      return { name: e.name ?? '?', endpoint: e.url, status: 'down', version: null, error: explainDockerError(e, err).message };
    }
  }));
  let containers: StatusContainer[] = [];
  try {
    const [version, list] = await Promise.all([reader.version(), reader.listContainers()]);
    docker.version = version.version;
    const inspected = await mapLimit(list, 8, (c) => reader.inspect(c.id));
    const infos = inspected.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const stats = await sampleStats(reader, infos.filter((c) => c.state === 'running'));
    containers = infos.map((c) => {
      const s = stats.get(c.id);
      const mem = s?.mem ?? null;
      return {
        id: c.id,
        name: c.name,
        project: c.project,
        service: c.service,
        image: c.image,
        state: c.state,
        health: c.health,
        exitCode: c.exitCode,
        cpuPercent: s?.cpu ?? null,
        memBytes: mem,
        memLimitBytes: c.memLimit,
        memPercent: mem !== null && c.memLimit ? (mem / c.memLimit) * 100 : null,
        restartCount: c.restartCount,
        startedAt: c.startedAt,
      };
    });
    containers.sort((a, b) => (a.project ?? '~').localeCompare(b.project ?? '~') || a.name.localeCompare(b.name));
  } catch (err) {
    const { message, hint } = explainDockerError(ctx.endpoint, err);
    docker = { ...docker, status: 'down', error: message, hint };
  }
  const host = await hostP;
  const others = await othersP;
  const endpoints = ctx.endpoints.map((e) => (e === ctx.endpoint
    ? { name: docker.name, endpoint: docker.endpoint, status: docker.status, version: docker.version, error: docker.error }
    : others.find((o) => o.name === e.name)!));
  // The same checks `opsdeck check` runs (configured + discovered), and the alerts the store holds.
  const { runs } = await checksP;
  const checks: StatusSnapshot['checks'] = runs.map((r) => ({ name: r.name, status: r.result.status, message: r.result.message, latencyMs: r.result.latencyMs }));
  let alerts: StatusSnapshot['alerts'] = [];
  let maintenance: MaintenanceSummary = { active: false };
  try {
    const { openStore } = await import('./actions.js');
    const { activeAlerts } = await import('../store/checks.js');
    const { currentMaintenance } = await import('../store/maintenance.js');
    const { db } = openStore(ctx);
    if (db) {
      try {
        maintenance = summarize(currentMaintenance(db));
        alerts = activeAlerts(db).map((a) => ({ name: a.name, status: a.status, message: a.message, since: a.since }));
      } finally {
        db.close();
      }
    }
  } catch {
    alerts = [];
  }
  return {
    at: new Date().toISOString(),
    host: { ...hostPart(host), hostname: host.hostname || osHostname() },
    docker,
    endpoints,
    containers,
    checks,
    alerts,
    maintenance,
  };
}

/** The compact human table; lines cut to `width` when given (a terminal). Untrusted text goes through safeText. */
export function formatStatus(s: StatusSnapshot, width?: number): string {
  const h = s.host;
  const out: string[] = [];
  out.push(`host ${h.hostname}  cpu ${formatPercent(h.cpuPercent)} ×${h.cpuCount}  mem ${formatPercent(h.memPercent)} (${formatBytes(h.memUsedBytes)}/${formatBytes(h.memTotalBytes)})  load ${h.load1.toFixed(2)} ${h.load5.toFixed(2)} ${h.load15.toFixed(2)}`);
  if (h.disks.length) out.push(`disks ${h.disks.map((d) => `${safeText(d.mount)} ${formatPercent(d.usedPercent, 0)}`).join('  ')}`);
  const named = s.endpoints.length > 1 ? `${s.docker.name}: ` : '';
  if (s.docker.status === 'up') out.push(`docker ${named}${s.docker.endpoint} up (${s.docker.version ?? '?'})`);
  else out.push(`docker ${named}${s.docker.endpoint} DOWN: ${s.docker.error}`, `  fix: ${s.docker.hint}`);
  for (const e of s.endpoints) {
    if (e.name === s.docker.name) continue;
    out.push(e.status === 'up' ? `  also ${e.name}: ${e.endpoint} up (${e.version ?? '?'})` : `  also ${e.name}: ${e.endpoint} DOWN: ${safeText(e.error ?? '')}`);
  }
  if (s.docker.status === 'up') {
    const now = Date.parse(s.at);
    out.push(['PROJECT', 'NAME', 'STATE', 'HEALTH', 'CPU', 'MEM', 'RST', 'UPTIME'].map((t, i) => padEnd(t, [14, 28, 12, 10, 7, 10, 4, 8][i]!)).join(' ').trimEnd());
    for (const c of s.containers) {
      const state = c.state === 'exited' ? `exited(${c.exitCode ?? '?'})` : c.state;
      const cells = [
        safeText(c.project ?? '-'), safeText(c.name), state, c.health === 'none' ? '-' : c.health,
        c.cpuPercent === null ? '-' : formatPercent(c.cpuPercent), c.memBytes === null ? '-' : formatBytes(c.memBytes),
        c.restartCount === null ? '-' : String(c.restartCount),
        c.state === 'running' && c.startedAt ? formatDuration(now - Date.parse(c.startedAt)) : '-',
      ];
      out.push(cells.map((t, i) => padEnd(truncate(t, [14, 28, 12, 10, 7, 10, 4, 8][i]!), [14, 28, 12, 10, 7, 10, 4, 8][i]!)).join(' ').trimEnd());
    }
    if (s.containers.length === 0) out.push('(no containers)');
  }
  const failing = s.checks.filter((c) => c.status !== 'ok');
  out.push(failing.length ? `attention: ${failing.map((c) => `${safeText(c.name)} ${c.status} (${safeText(c.message)})`).join(', ')}` : 'attention: nothing');
  const m = s.maintenance;
  out.push(m.active
    ? `maintenance: ON (${safeText(m.scope ?? '?')}) since ${m.since ?? '?'} by ${safeText(m.by ?? '?')}${m.reason ? `: ${safeText(m.reason)}` : ''}${m.plannedEnd ? `; planned end ${m.plannedEnd}` : ''}${m.stopped?.length ? `; stopped ${m.stopped.map(safeText).join(', ')}` : ''}${m.lastError ? `; ${safeText(m.lastError)}` : ''}`
    : 'maintenance: off');
  return (width ? out.map((l) => truncate(l, Math.max(40, width))) : out).join('\n');
}
