/**
 * "Full in N days": a linear least-squares fit over a window of samples, pure. The fit's honesty is
 * part of the answer: too few points, a poor fit (r² below the bar) or a slope too small to matter
 * say so instead of inventing a date.
 */
import { formatBytes } from '../format.js';
import type { CapacityData, CapacityUnit, Projection } from './types.js';

export interface ProjectionOptions {
  /** What the series can grow to; null: nothing to be full against (status no-limit when growing). */
  limit: number | null;
  unit: CapacityUnit;
  /** Fewer usable points than this → too-few-points (default 10). */
  minPoints?: number;
  /** r² below this → no-trend (default 0.5). */
  minR2?: number;
  /**
   * A slope whose change over the fitted span is below this share of the series' level is "tiny":
   * no-trend (default 0.001, i.e. the line moves less than 0.1 % of the values over the window).
   */
  tinyShare?: number;
}

export const DEFAULT_MIN_POINTS = 10;
export const DEFAULT_MIN_R2 = 0.5;
export const DEFAULT_TINY_SHARE = 0.001;
const DAY_MS = 86_400_000;

export interface LinearFit {
  /** Units per day. */
  slopePerDay: number;
  /** Value at the first point's time. */
  intercept: number;
  /** 0..1; null when the values do not vary (no variance to explain). */
  r2: number | null;
  n: number;
  /** Days between the first and last point. */
  spanDays: number;
  mean: number;
}

/** Ordinary least squares of value over time (days since the first point); null under 2 points or no time span. */
export function linearFit(points: readonly { at: number; value: number | null }[]): LinearFit | null {
  let n = 0;
  let t0 = 0;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) continue;
    if (n === 0) t0 = p.at;
    n++;
    sx += (p.at - t0) / DAY_MS;
    sy += p.value;
  }
  if (n < 2) return null;
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) continue;
    const x = (p.at - t0) / DAY_MS;
    if (x < first) first = x;
    if (x > last) last = x;
    const dx = x - mx;
    const dy = p.value - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  // r² = explained / total variance; 1 − SSres/SStot equals sxy²/(sxx·syy) for a least-squares line.
  const r2 = syy > 0 ? Math.min(1, Math.max(0, (sxy * sxy) / (sxx * syy))) : null;
  return { slopePerDay: slope, intercept: my - slope * mx, r2, n, spanDays: last - first, mean: my };
}

/** "1.2 GiB/day", "+0.8 pp/day", "0.03/day" (load), by unit; sign kept. */
export function formatGrowth(perDay: number, unit: CapacityUnit): string {
  const sign = perDay < 0 ? '-' : '+';
  const abs = Math.abs(perDay);
  switch (unit) {
    case 'bytes':
      return `${sign}${formatBytes(abs)}/day`;
    case 'bytesPerSec':
      return `${sign}${formatBytes(abs)}/s per day`;
    case 'percent':
      return `${sign}${round(abs)} pp/day`;
    case 'load':
      return `${sign}${round(abs)}/day`;
  }
}

function round(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** "9.8 days", "3.2 hours", "2 years". */
export function formatDays(days: number): string {
  if (days < 1) return `${(days * 24).toFixed(1)} hours`;
  if (Math.round(days * 10) < 100) return `${days.toFixed(1)} days`;
  if (days < 730) return `${Math.round(days)} days`;
  return `${Math.round(days / 365)} years`;
}

const r2Text = (r2: number | null) => (r2 === null ? '' : ` (r² ${r2.toFixed(2)})`);

/**
 * Projects `points` (epoch ms, gaps as null) against `opts.limit`. The current value is the last
 * point's value; daysToFull = (limit − current) / growth per day, 0 when already at the limit.
 */
export function project(points: readonly { at: number; value: number | null }[], opts: ProjectionOptions): Projection {
  const minPoints = opts.minPoints ?? DEFAULT_MIN_POINTS;
  const minR2 = opts.minR2 ?? DEFAULT_MIN_R2;
  const tinyShare = opts.tinyShare ?? DEFAULT_TINY_SHARE;
  let usable = 0;
  let current: number | null = null;
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) continue;
    usable++;
    current = p.value;
  }
  if (usable < minPoints) {
    return { status: 'too-few-points', daysToFull: null, growthPerDay: null, confidence: null, message: `too few points (${usable} of ${minPoints})` };
  }
  const fit = linearFit(points);
  if (!fit) {
    return { status: 'too-few-points', daysToFull: null, growthPerDay: null, confidence: null, message: 'too few points (no time span)' };
  }
  const growth = fit.slopePerDay;
  if (fit.r2 === null) {
    return { status: 'no-trend', daysToFull: null, growthPerDay: 0, confidence: null, message: 'no trend (flat)' };
  }
  const scale = Math.max(Math.abs(fit.mean), Number.MIN_VALUE);
  if (Math.abs(growth * fit.spanDays) < tinyShare * scale) {
    return { status: 'no-trend', daysToFull: null, growthPerDay: growth, confidence: fit.r2, message: `no trend (flat)${r2Text(fit.r2)}` };
  }
  if (fit.r2 < minR2) {
    return { status: 'no-trend', daysToFull: null, growthPerDay: growth, confidence: fit.r2, message: `no trend${r2Text(fit.r2)}` };
  }
  if (growth < 0) {
    return { status: 'shrinking', daysToFull: null, growthPerDay: growth, confidence: fit.r2, message: `shrinking ${formatGrowth(growth, opts.unit).slice(1)}${r2Text(fit.r2)}` };
  }
  if (opts.limit === null || !(opts.limit > 0)) {
    return { status: 'no-limit', daysToFull: null, growthPerDay: growth, confidence: fit.r2, message: `growing ${formatGrowth(growth, opts.unit).slice(1)}, no limit${r2Text(fit.r2)}` };
  }
  const left = opts.limit - (current ?? 0);
  const days = left <= 0 ? 0 : left / growth;
  return {
    status: 'full-in',
    daysToFull: days,
    growthPerDay: growth,
    confidence: fit.r2,
    message: days === 0 ? `full now${r2Text(fit.r2)}` : `full in ${formatDays(days)}${r2Text(fit.r2)}`,
  };
}

export interface CapacityWarning {
  /** The series id ("host.disk:/"). */
  series: string;
  title: string;
  daysToFull: number;
  /** "Disk / full in 9.8 days (r² 0.97)" */
  message: string;
}

/** The series projected to be full within `horizonDays` (soonest first): what the capacity check warns about. */
export function capacityWarnings(data: CapacityData, horizonDays: number): CapacityWarning[] {
  const out: CapacityWarning[] = [];
  for (const s of data.series) {
    const p = s.projection;
    if (!p || p.status !== 'full-in' || p.daysToFull === null || !(p.daysToFull < horizonDays)) continue;
    out.push({ series: s.id, title: s.title, daysToFull: p.daysToFull, message: `${s.title} ${p.message}` });
  }
  return out.sort((a, b) => a.daysToFull - b.daysToFull);
}
