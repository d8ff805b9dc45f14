import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityWarnings, formatDays, formatGrowth, linearFit, project } from '../../src/metrics/projection.js';
import type { CapacityData, CapacitySeries } from '../../src/metrics/types.js';

const GB = 1024 ** 3;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** One point an hour for `days` days from f(days since start). */
function series(days: number, f: (d: number, i: number) => number | null, everyHours = 1): { at: number; value: number | null }[] {
  const out: { at: number; value: number | null }[] = [];
  for (let i = 0; i <= days * 24; i += everyHours) out.push({ at: T0 + i * 3_600_000, value: f(i / 24, i) });
  return out;
}

/** Deterministic noise in [-1, 1). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

test('a disk growing 1 GB/day with 10 GB free is full in 10 days', () => {
  const size = 100 * GB;
  const pts = series(7, (d) => 83 * GB + d * GB); // ends at 90 GB used: 10 GB free
  const p = project(pts, { limit: size, unit: 'bytes' });
  assert.equal(p.status, 'full-in');
  assert.ok(Math.abs(p.daysToFull! - 10) < 1e-6, String(p.daysToFull));
  assert.ok(Math.abs(p.growthPerDay! - GB) < 1, String(p.growthPerDay));
  assert.equal(p.confidence, 1);
  assert.equal(p.message, 'full in 10 days (r² 1.00)');
});

test('growth with noise still projects, with the fit\'s r² shown', () => {
  const pts = series(7, (d, i) => 50 * GB + d * 2 * GB + noise(i) * 0.5 * GB);
  const p = project(pts, { limit: 100 * GB, unit: 'bytes' });
  assert.equal(p.status, 'full-in');
  assert.ok(p.confidence! > 0.9 && p.confidence! < 1, String(p.confidence));
  assert.ok(Math.abs(p.growthPerDay! / GB - 2) < 0.1, String(p.growthPerDay! / GB));
  assert.match(p.message, /^full in \d+(\.\d)? days \(r² 0\.9\d\)$/);
});

test('noise without a trend: no-trend with a low r², no date', () => {
  const pts = series(7, (_d, i) => 40 * GB + noise(i) * 5 * GB);
  const p = project(pts, { limit: 100 * GB, unit: 'bytes' });
  assert.equal(p.status, 'no-trend');
  assert.equal(p.daysToFull, null);
  assert.ok(p.confidence! < 0.5);
  assert.match(p.message, /^no trend \(r² 0\.\d\d\)$/);
});

test('a flat line is no trend (flat); a tiny slope too', () => {
  const flat = project(series(2, () => 5 * GB), { limit: 10 * GB, unit: 'bytes' });
  assert.equal(flat.status, 'no-trend');
  assert.equal(flat.message, 'no trend (flat)');
  assert.equal(flat.confidence, null);
  // 1 KiB a day on 50 GiB: a perfect fit, but it moves nothing.
  const tiny = project(series(7, (d) => 50 * GB + d * 1024), { limit: 100 * GB, unit: 'bytes' });
  assert.equal(tiny.status, 'no-trend');
  assert.match(tiny.message, /^no trend \(flat\)/);
});

test('too few points: says how many of how many; gaps do not count', () => {
  const three = [0, 1, 2].map((i) => ({ at: T0 + i * DAY, value: i * GB }));
  const p = project(three, { limit: 10 * GB, unit: 'bytes' });
  assert.equal(p.status, 'too-few-points');
  assert.equal(p.message, 'too few points (3 of 10)');
  assert.equal(p.growthPerDay, null);
  const gappy = series(1, (_d, i) => (i % 4 === 0 ? i * GB : null)); // 7 of 25 present
  assert.equal(project(gappy, { limit: null, unit: 'bytes' }).message, 'too few points (7 of 10)');
  assert.equal(project(three, { limit: 10 * GB, unit: 'bytes', minPoints: 3 }).status, 'full-in');
});

test('shrinking and growing without a limit', () => {
  const down = project(series(3, (d) => 10 * GB - d * GB), { limit: 20 * GB, unit: 'bytes' });
  assert.equal(down.status, 'shrinking');
  assert.equal(down.message, 'shrinking 1.0 GiB/day (r² 1.00)');
  assert.ok(down.growthPerDay! < 0);
  const up = project(series(3, (d) => 1 * GB + d * 512 * 1024 ** 2), { limit: null, unit: 'bytes' });
  assert.equal(up.status, 'no-limit');
  assert.equal(up.message, 'growing 512 MiB/day, no limit (r² 1.00)');
  assert.equal(up.daysToFull, null);
});

test('already at the limit: full now', () => {
  const p = project(series(2, (d) => 9 * GB + d * GB), { limit: 10 * GB, unit: 'bytes' });
  assert.equal(p.status, 'full-in');
  assert.equal(p.daysToFull, 0);
  assert.equal(p.message, 'full now (r² 1.00)');
});

test('linearFit: slope per day, r²; null without a time span', () => {
  const fit = linearFit([{ at: T0, value: 1 }, { at: T0 + DAY, value: 3 }, { at: T0 + 2 * DAY, value: 5 }]);
  assert.ok(fit);
  assert.equal(fit.slopePerDay, 2);
  assert.equal(fit.intercept, 1);
  assert.equal(fit.r2, 1);
  assert.equal(fit.spanDays, 2);
  assert.equal(linearFit([{ at: T0, value: 1 }, { at: T0, value: 2 }]), null);
  assert.equal(linearFit([{ at: T0, value: 1 }]), null);
});

test('formatting of growth and days', () => {
  assert.equal(formatGrowth(1.5 * GB, 'bytes'), '+1.5 GiB/day');
  assert.equal(formatGrowth(-0.25, 'percent'), '-0.25 pp/day');
  assert.equal(formatDays(0.5), '12.0 hours');
  assert.equal(formatDays(9.84), '9.8 days');
  assert.equal(formatDays(123.4), '123 days');
  assert.equal(formatDays(3650), '10 years');
});

test('capacityWarnings: what is full within the horizon, soonest first', () => {
  const mk = (id: string, title: string, days: number | null, status: 'full-in' | 'no-trend' = 'full-in'): CapacitySeries => ({
    id, title, group: 'host', unit: 'bytes', points: [], current: 1, min: 1, max: 1, limit: 2,
    projection: { status, daysToFull: days, growthPerDay: 1, confidence: 0.9, message: days === null ? 'no trend (r² 0.20)' : `full in ${formatDays(days)} (r² 0.90)` },
  });
  const data: CapacityData = {
    window: '7d', from: 0, to: 1, collector: null, lastSampleAt: 1,
    series: [mk('host.disk:/', 'Disk /', 9.8), mk('host.disk:/data', 'Disk /data', 30), mk('volume:pg.size', 'volume pg', 2), mk('x', 'X', null, 'no-trend')],
  };
  const w = capacityWarnings(data, 14);
  assert.deepEqual(w.map((x) => x.series), ['volume:pg.size', 'host.disk:/']);
  assert.equal(w[1]!.message, 'Disk / full in 9.8 days (r² 0.90)');
  assert.equal(capacityWarnings(data, 1).length, 0);
});
