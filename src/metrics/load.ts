/**
 * The read side: a window of every series at the window's resolution, with projections — what the
 * Capacity view draws and `opsdeck capacity` prints. Reads one downsampled tier for the bulk of the
 * window and the finer tiers for its newest minutes (the part not yet downsampled).
 */
import type { DB } from '../store/db.js';
import { currentCollector } from './lock.js';
import { project } from './projection.js';
import { bucketStart, retentionOf, watermarks, type RetentionOptions } from './retention.js';
import { listSeries, type SeriesRow } from './store.js';
import type { CapacityData, CapacityGroup, CapacitySeries, CapacityWindow } from './types.js';

/** Length and point spacing of each window (≤ 720 points: more than any chart is wide). */
export const WINDOWS: Record<CapacityWindow, { lengthMs: number; stepMs: number }> = {
  '1h': { lengthMs: 3_600_000, stepMs: 10_000 },
  '24h': { lengthMs: 86_400_000, stepMs: 120_000 },
  '7d': { lengthMs: 7 * 86_400_000, stepMs: 900_000 },
  '30d': { lengthMs: 30 * 86_400_000, stepMs: 3_600_000 },
};

export const WINDOW_NAMES = Object.keys(WINDOWS) as CapacityWindow[];

/** "7d" → '7d'; also "1d" and "60m" for their windows; undefined for anything else. */
export function parseWindow(text: string): CapacityWindow | undefined {
  const t = text.trim().toLowerCase();
  if ((WINDOW_NAMES as string[]).includes(t)) return t as CapacityWindow;
  const alias: Record<string, CapacityWindow> = { '60m': '1h', '1d': '24h', '168h': '7d', '1w': '7d', '720h': '30d' };
  return alias[t];
}

export interface LoadOptions {
  retention?: Partial<RetentionOptions>;
  /** Projection knobs (see projection.ts). */
  minPoints?: number;
  minR2?: number;
}

const GROUP_ORDER: CapacityGroup[] = ['host', 'containers', 'databases', 'volumes'];
const METRIC_ORDER = ['.cpu', '.mem', '.load1', '.net.rx', '.net.tx', '.blk.read', '.blk.write', '.size'];

/** Sort key: group, then the subject (container, database, mount), then the metric. */
function sortKey(s: SeriesRow): [number, string, number] {
  const g = GROUP_ORDER.indexOf(s.group);
  if (s.group === 'host') {
    const rank = ['host.cpu', 'host.mem', 'host.load1'].indexOf(s.key);
    return [g, rank >= 0 ? String(rank) : `9${s.key}`, 0];
  }
  const m = METRIC_ORDER.findIndex((suffix) => s.key.endsWith(suffix));
  const subject = m >= 0 ? s.key.slice(0, s.key.length - METRIC_ORDER[m]!.length) : s.key;
  return [g, subject, m >= 0 ? m : 99];
}

function compareSeries(a: SeriesRow, b: SeriesRow): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0) || ka[2] - kb[2];
}

interface Acc { sum: Float64Array; n: Uint32Array; lastAt: number; last: number }

/** Which series get a projection: sizes (bytes), which fill up. CPU, load and rates do not. */
export function projects(s: Pick<SeriesRow, 'unit'>): boolean {
  return s.unit === 'bytes';
}

/**
 * Every series with samples in `window` ending at `now` (epoch ms), at the window's resolution
 * (slot averages; null where there was none), with current/min/max, limit and projection.
 */
export function loadCapacity(db: DB, window: CapacityWindow, now: number, opts: LoadOptions = {}): CapacityData {
  const { lengthMs, stepMs } = WINDOWS[window];
  const step = stepMs / 1000;
  const slots = lengthMs / stepMs;
  const toSec = Math.floor(now / 1000);
  const lastSlot = bucketStart(toSec, step);
  const fromSec = lastSlot - (slots - 1) * step;
  const retention = retentionOf(opts.retention);

  const marks = watermarks(db);
  const levels = [
    { tier: 0, keep: retention.raw / 1000, done: toSec + 1 },
    ...retention.tiers.map((t) => ({ tier: t.resolution / 1000, keep: t.keep / 1000, done: marks.get(t.resolution / 1000) ?? -Infinity })),
  ];
  // The coarsest tier that is fine enough for the slots and kept long enough for the window;
  // failing that, the longest-kept one.
  const lengthSec = lengthMs / 1000;
  let base = -1;
  levels.forEach((l, i) => {
    if (l.tier <= step && l.keep >= lengthSec) base = i;
  });
  if (base < 0) base = levels.length - 1;

  const acc = new Map<number, Acc>();
  const add = (at: number, series: number, value: number) => {
    const slot = Math.floor((at - fromSec) / step);
    if (slot < 0 || slot >= slots) return;
    let a = acc.get(series);
    if (!a) {
      a = { sum: new Float64Array(slots), n: new Uint32Array(slots), lastAt: -Infinity, last: 0 };
      acc.set(series, a);
    }
    a.sum[slot]! += value;
    a.n[slot]! += 1;
    if (at >= a.lastAt) {
      a.lastAt = at;
      a.last = value;
    }
  };
  const read = db.prepare('SELECT at, series, value FROM metric_samples WHERE tier = ? AND at >= ? AND at < ?').raw(true);
  let start = fromSec;
  for (let i = base; i >= 0; i--) {
    const l = levels[i]!;
    const end = Math.min(l.done, toSec + 1);
    if (end > start) {
      for (const row of read.all(l.tier, start, end) as [number, number, number][]) add(row[0], row[1], row[2]);
      start = end;
    }
  }

  const series: CapacitySeries[] = [];
  for (const s of listSeries(db).sort(compareSeries)) {
    const a = acc.get(s.id);
    if (!a) continue;
    const points: CapacitySeries['points'] = new Array(slots);
    let min: number | null = null;
    let max: number | null = null;
    for (let i = 0; i < slots; i++) {
      const n = a.n[i]!;
      const value = n ? a.sum[i]! / n : null;
      points[i] = { at: (fromSec + i * step) * 1000, value };
      if (value !== null) {
        if (min === null || value < min) min = value;
        if (max === null || value > max) max = value;
      }
    }
    series.push({
      id: s.key,
      title: s.title,
      group: s.group,
      unit: s.unit,
      points,
      current: a.last,
      min,
      max,
      limit: s.limit,
      projection: projects(s) ? project(points, { limit: s.limit, unit: s.unit, minPoints: opts.minPoints, minR2: opts.minR2 }) : null,
    });
  }

  const newest = db.prepare('SELECT max(at) AS at FROM metric_samples WHERE tier = 0').get() as { at: number | null };
  return {
    window,
    from: fromSec * 1000,
    to: now,
    series,
    collector: currentCollector(db)?.role ?? null,
    lastSampleAt: newest.at === null ? null : newest.at * 1000,
  };
}
