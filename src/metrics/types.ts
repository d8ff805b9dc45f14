/**
 * Capacity: what the Capacity view (views/Capacity.tsx) and `opsdeck capacity` are given. The metric
 * store and collector (src/metrics/) produce it with loadCapacity(); the view only draws it.
 */
export type CapacityWindow = '1h' | '24h' | '7d' | '30d';
export type CapacityGroup = 'host' | 'containers' | 'databases' | 'volumes';
export type CapacityUnit = 'percent' | 'bytes' | 'bytesPerSec' | 'load';

export interface Projection {
  /**
   * full-in: growing towards `limit`, daysToFull set. no-trend: the fit explains too little (low r²)
   * or the slope is ~0. too-few-points: not enough samples in the window. shrinking: falling.
   * no-limit: growing but nothing to be full against (growthPerDay still set).
   */
  status: 'full-in' | 'no-trend' | 'too-few-points' | 'shrinking' | 'no-limit';
  daysToFull: number | null;
  /** Units per day (bytes/day, percentage points/day). */
  growthPerDay: number | null;
  /** r² of the linear fit, 0..1; null when there was no fit. */
  confidence: number | null;
  /** One honest line: "full in 9.8 days (r² 0.97)", "no trend (r² 0.12)", "too few points (3 of 10)". */
  message: string;
}

export interface CapacitySeries {
  /** Stable id: "host.cpu", "host.disk:/", "container:shop-db-1.mem", "db.postgres:shop-db-1/shop.size", "volume:pgdata.size". */
  id: string;
  /** "CPU", "Disk /", "shop-db-1 memory", "postgres shop (shop-db-1)", "volume pgdata". Sanitised. */
  title: string;
  group: CapacityGroup;
  unit: CapacityUnit;
  /** Time-ordered at the window's resolution (at: epoch ms, the slot's start); null = no sample in that slot (a gap). */
  points: { at: number; value: number | null }[];
  current: number | null;
  min: number | null;
  max: number | null;
  /** What the series can grow to (disk size, memory limit, Redis maxmemory); null: none. */
  limit: number | null;
  /** Only for series with a meaning of "full" or growth; null otherwise (CPU). */
  projection: Projection | null;
}

export interface CapacityData {
  window: CapacityWindow;
  /** Epoch ms: the first slot's start, and now. */
  from: number;
  to: number;
  series: CapacitySeries[];
  /** Who is writing samples now: the agent, this cockpit, or nobody (history only). */
  collector: 'agent' | 'cockpit' | null;
  /** Epoch ms of the newest sample in the store (any series); null: none yet. */
  lastSampleAt: number | null;
}
