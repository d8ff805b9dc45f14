/** Pure arithmetic on Docker's stats JSON, the way the docker CLI computes it. */

export interface RawStats {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: RawStats['cpu_stats'];
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
}

/**
 * CPU % as `docker stats` shows it: share of the host's CPU time over the interval, times the
 * number of online CPUs (so one busy core on a 4-core host is 100 %). Null when there is no
 * previous sample to compare with.
 */
export function cpuPercent(cur: RawStats['cpu_stats'], prev: RawStats['cpu_stats']): number | null {
  const total = cur?.cpu_usage?.total_usage;
  const prevTotal = prev?.cpu_usage?.total_usage;
  const sys = cur?.system_cpu_usage;
  const prevSys = prev?.system_cpu_usage;
  if (total === undefined || prevTotal === undefined || sys === undefined || prevSys === undefined) return null;
  if (!prevSys) return null;
  const cpuDelta = total - prevTotal;
  const sysDelta = sys - prevSys;
  if (sysDelta <= 0 || cpuDelta < 0) return null;
  const online = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 1;
  return (cpuDelta / sysDelta) * online * 100;
}

/**
 * Memory in use as `docker stats` shows it: usage minus the reclaimable page cache —
 * `inactive_file` on cgroup v2, `total_inactive_file` (else `cache`) on cgroup v1.
 */
export function memoryUsed(mem: RawStats['memory_stats']): number | null {
  if (!mem || mem.usage === undefined) return null;
  const s = mem.stats ?? {};
  const usage = mem.usage;
  const v1 = s.total_inactive_file ?? (s.total_cache !== undefined ? s.cache : undefined);
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = s.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  if (s.cache !== undefined && s.cache < usage) return usage - s.cache;
  return usage;
}

export function networkTotals(nets: RawStats['networks']): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(nets ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return { rx, tx };
}

/** Bytes per second between two counters; null across a counter reset or a zero interval. */
export function ratePerSecond(cur: number, prev: number | undefined, dtMs: number): number | null {
  if (prev === undefined || dtMs <= 0 || cur < prev) return null;
  return ((cur - prev) * 1000) / dtMs;
}
