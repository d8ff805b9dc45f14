import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState, type DB } from '../../src/store/db.js';
import { acquireLock } from '../../src/store/locks.js';
import { bucketStart, downsample, retentionOf, watermarks } from '../../src/metrics/retention.js';
import { listSeries, MetricStore, tierCounts, type SeriesMeta } from '../../src/metrics/store.js';
import { loadCapacity, parseWindow, WINDOWS } from '../../src/metrics/load.js';
import { COLLECTOR_LOCK, currentCollector, ROLE_ACTION } from '../../src/metrics/lock.js';
import { blockIoTotals, BlockIoTap } from '../../src/metrics/blkio.js';
import { metricsSettings } from '../../src/metrics/settings.js';
import { defaultConfig } from '../../config/schema.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A fixed "now" on a 15-minute boundary. */
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);

function withStore(fn: (db: DB) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-metrics-'));
  const { db } = openState(dir);
  try {
    fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const disk: SeriesMeta = { key: 'host.disk:/', title: 'Disk /', group: 'host', unit: 'bytes', limit: 1000 };
const cpu: SeriesMeta = { key: 'host.cpu', title: 'CPU', group: 'host', unit: 'percent', limit: null };

function rows(meta: SeriesMeta, from: number, to: number, everyMs: number, f: (at: number) => number): [number, string, number][] {
  const out: [number, string, number][] = [];
  for (let t = from; t < to; t += everyMs) out.push([t, meta.key, f(t)]);
  return out;
}

function samplesOf(db: DB, tier: number, key: string): { at: number; value: number }[] {
  return db.prepare('SELECT s.at, s.value FROM metric_samples s JOIN metric_series m ON m.id = s.series WHERE s.tier = ? AND m.key = ? ORDER BY s.at').all(tier, key) as { at: number; value: number }[];
}

test('downsample (pure): averages per bucket, only buckets that have ended', () => {
  const s = [{ at: 0, value: 1 }, { at: 10, value: 3 }, { at: 59, value: 5 }, { at: 60, value: 10 }, { at: 130, value: 7 }];
  assert.deepEqual(downsample(s, 60, 120), [{ at: 0, value: 3 }, { at: 60, value: 10 }]);
  assert.deepEqual(downsample(s, 60, 119), [{ at: 0, value: 3 }]);
  assert.equal(bucketStart(899, 900), 0);
  assert.equal(bucketStart(1800, 900), 1800);
});

test('retention options: defaults, and tier lists that cannot work are refused', () => {
  const r = retentionOf();
  assert.equal(r.raw, DAY);
  assert.deepEqual(r.tiers, [{ resolution: MIN, keep: 7 * DAY }, { resolution: 15 * MIN, keep: 90 * DAY }]);
  assert.throws(() => retentionOf({ tiers: [{ resolution: MIN, keep: 7 * DAY }, { resolution: 90_000, keep: 90 * DAY }] }), /multiple of the previous/);
  assert.throws(() => retentionOf({ tiers: [{ resolution: MIN, keep: HOUR }] }), /kept longer/);
  assert.throws(() => retentionOf({ tiers: [{ resolution: 1500, keep: 7 * DAY }] }), /whole seconds/);
  assert.throws(() => retentionOf({ raw: 1000 }), /at least 1m/);
});

test('compaction: raw → 1 min → 15 min averages; raw older than its retention removed', () => {
  withStore((db) => {
    const store = new MetricStore(db, { raw: HOUR, tiers: [{ resolution: MIN, keep: 6 * HOUR }, { resolution: 15 * MIN, keep: 2 * DAY }] });
    // 3 hours at 10 s; the value is the minute of the hour, so every 1-min bucket is constant and
    // every 15-min bucket averages 15 consecutive minutes.
    const from = NOW - 3 * HOUR;
    store.writeBulk([disk], rows(disk, from, NOW, 10_000, (t) => Math.floor((t % HOUR) / MIN)));
    const r = store.compact(NOW);
    assert.equal(r.rolledUp[60], 180);
    assert.equal(r.rolledUp[900], 12);
    const counts = tierCounts(db);
    assert.equal(counts.get(0), 360, 'raw kept for the last hour only');
    assert.equal(counts.get(60), 180);
    assert.equal(counts.get(900), 12);
    const q = samplesOf(db, 900, disk.key);
    assert.deepEqual(q.slice(0, 4).map((s) => s.value), [7, 22, 37, 52]); // mean of 0..14, 15..29, …
    assert.equal(q[0]!.at, from / 1000);
    assert.deepEqual(watermarks(db), new Map([[60, NOW / 1000], [900, NOW / 1000]]));
    // A second pass has nothing new; more samples later extend each tier by whole buckets.
    assert.deepEqual(store.compact(NOW).rolledUp, {});
    store.write(NOW + 5_000, [{ ...disk, value: 99 }]);
    store.write(NOW + 65_000, [{ ...disk, value: 1 }]);
    assert.deepEqual(store.compact(NOW + 70_000).rolledUp, { 60: 1 });
    assert.equal(samplesOf(db, 60, disk.key).at(-1)!.value, 99);
  });
});

test('compaction never drops raw samples the minute tier has not been made from', () => {
  withStore((db) => {
    const store = new MetricStore(db, { raw: HOUR, tiers: [{ resolution: MIN, keep: 6 * HOUR }, { resolution: 15 * MIN, keep: 2 * DAY }] });
    // Samples from three hours ago, compaction first runs now: made first, then dropped.
    store.writeBulk([cpu], rows(cpu, NOW - 3 * HOUR, NOW - 2 * HOUR, 10_000, () => 50));
    store.compact(NOW);
    assert.equal(tierCounts(db).get(0), undefined);
    assert.equal(tierCounts(db).get(60), 60);
    assert.equal(tierCounts(db).get(900), 4);
  });
});

test('series of a removed container stay until retention expires them', () => {
  withStore((db) => {
    const store = new MetricStore(db);
    const gone: SeriesMeta = { key: 'container:old-1.mem', title: 'old-1 memory', group: 'containers', unit: 'bytes', limit: null };
    store.write(NOW - 10 * DAY, [{ ...gone, value: 5 }]);
    store.compact(NOW - 10 * DAY + MIN);
    store.write(NOW, [{ ...cpu, value: 1 }]);
    store.compact(NOW);
    assert.deepEqual(listSeries(db).map((s) => s.key).sort(), ['container:old-1.mem', 'host.cpu']);
    // Its minute is past the minute tier's 7 days; the 15-minute tier still holds it.
    assert.equal(samplesOf(db, 60, gone.key).length, 0);
    assert.deepEqual(samplesOf(db, 900, gone.key).map((x) => x.value), [5]);
    store.compact(NOW + 91 * DAY);
    assert.deepEqual(listSeries(db).map((s) => s.key), []);
  });
});

test('store: title and limit follow the newest sample; values are written as given; NaN skipped', () => {
  withStore((db) => {
    const store = new MetricStore(db);
    assert.equal(store.write(NOW, [{ ...disk, value: 10 }, { ...cpu, value: NaN }]), 1);
    store.write(NOW + 10_000, [{ ...disk, title: 'Disk /\x1b[31m', limit: 2000, value: 11.5 }]);
    const [s] = listSeries(db);
    assert.equal(s!.title, 'Disk /');
    assert.equal(s!.limit, 2000);
    assert.deepEqual(samplesOf(db, 0, disk.key).map((x) => x.value), [10, 11.5]);
    // A second store on the same file (another writer later) finds the series.
    const again = new MetricStore(db);
    again.write(NOW + 20_000, [{ ...disk, limit: 2000, value: 12 }]);
    assert.equal(listSeries(db).length, 1);
  });
});

test('loadCapacity: 1 h from raw samples, gaps as null, current is the newest sample', () => {
  withStore((db) => {
    const store = new MetricStore(db);
    // Raw every 10 s for the last 30 min, except a 5-minute hole.
    store.writeBulk([disk, cpu], [
      ...rows(disk, NOW - 30 * MIN, NOW + 1000, 10_000, (t) => 100 + (t - (NOW - 30 * MIN)) / 10_000).filter(([t]) => t < NOW - 20 * MIN || t >= NOW - 15 * MIN),
      ...rows(cpu, NOW - 30 * MIN, NOW + 1000, 10_000, () => 12.5),
    ]);
    const data = loadCapacity(db, '1h', NOW);
    assert.equal(data.window, '1h');
    assert.equal(data.from, NOW - HOUR + 10_000);
    assert.equal(data.collector, null);
    assert.equal(data.lastSampleAt, NOW);
    assert.deepEqual(data.series.map((s) => s.id), ['host.cpu', 'host.disk:/']);
    const d = data.series[1]!;
    assert.equal(d.points.length, 360);
    assert.equal(d.points.at(-1)!.at, NOW);
    assert.equal(d.points.filter((p) => p.value !== null).length, 181 - 30);
    assert.equal(d.points[250]!.value, null);
    assert.notEqual(d.points[200]!.value, null);
    assert.equal(d.current, 280);
    assert.equal(d.min, 100);
    assert.equal(d.max, 280);
    assert.equal(d.limit, 1000);
    assert.equal(d.projection?.status, 'full-in');
    assert.equal(data.series[0]!.projection, null, 'CPU has no "full"');
  });
});

test('loadCapacity: 7 d from the 15-min tier plus the newest minutes from the finer tiers', () => {
  withStore((db) => {
    const store = new MetricStore(db);
    // 8 days of one sample a minute growing 1 per minute, compacted as the agent would.
    const start = NOW - 8 * DAY;
    for (let day = 0; day < 8; day++) {
      const d0 = start + day * DAY;
      store.writeBulk([disk], rows(disk, d0, d0 + DAY, MIN, (t) => (t - start) / MIN));
      store.compact(d0 + DAY);
    }
    // and the last 7 minutes at 10 s, not compacted yet
    store.writeBulk([disk], rows(disk, NOW, NOW + 7 * MIN, 10_000, (t) => (t - start) / MIN));
    const now = NOW + 7 * MIN;
    const data = loadCapacity(db, '7d', now);
    const s = data.series[0]!;
    assert.equal(s.points.length, WINDOWS['7d'].lengthMs / WINDOWS['7d'].stepMs);
    assert.equal(s.points.filter((p) => p.value === null).length, 0);
    // The last slot holds the 7 raw minutes (not in any tier yet): their mean.
    const last = s.points.at(-1)!;
    assert.equal(last.at, NOW);
    const expected = (8 * 1440 + (8 * 1440 + 6.8333)) / 2;
    assert.ok(Math.abs(last.value! - expected) < 0.01, `${last.value} vs ${expected}`);
    assert.ok(Math.abs(s.current! - (8 * 1440 + 6 + 50 / 60)) < 1e-9);
    // 1440 per day, exactly
    assert.ok(Math.abs(s.projection!.growthPerDay! - 1440) < 1, String(s.projection!.growthPerDay));
    // 24 h reads the minute tier: 720 slots of two minutes each
    const day = loadCapacity(db, '24h', now).series[0]!;
    assert.equal(day.points.length, 720);
    assert.equal(day.points.filter((p) => p.value === null).length, 0);
  });
});

test('loadCapacity: who collects comes from the lock', () => {
  withStore((db) => {
    assert.equal(currentCollector(db), null);
    acquireLock(db, COLLECTOR_LOCK, { action: ROLE_ACTION.cockpit, user: 'ops' });
    assert.equal(loadCapacity(db, '1h', NOW).collector, 'cockpit');
    db.prepare('DELETE FROM locks').run();
    acquireLock(db, COLLECTOR_LOCK, { action: ROLE_ACTION.agent, user: 'ops' });
    assert.equal(loadCapacity(db, '1h', NOW).collector, 'agent');
    // A holder that is gone (dead pid on this host) collects nothing.
    db.prepare('UPDATE locks SET pid = 2147483646').run();
    assert.equal(loadCapacity(db, '1h', NOW).collector, null);
  });
});

test('parseWindow', () => {
  assert.equal(parseWindow('7d'), '7d');
  assert.equal(parseWindow('1D'), '24h');
  assert.equal(parseWindow('30d'), '30d');
  assert.equal(parseWindow('2d'), undefined);
});

test('block I/O: totals from cgroup v1 and v2 stats, rates between samples', () => {
  assert.deepEqual(blockIoTotals({ blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 100 }, { op: 'Write', value: 50 }, { op: 'Total', value: 150 }, { op: 'Read', value: 1 }] } }), { read: 101, write: 50 });
  assert.deepEqual(blockIoTotals({ blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 7 }, { op: 'write', value: 9 }] } }), { read: 7, write: 9 });
  assert.equal(blockIoTotals({ blkio_stats: { io_service_bytes_recursive: null } }), null);
  const tap = new BlockIoTap();
  tap.observe('a', { read: '2026-01-01T00:00:00Z', blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 1000 }, { op: 'Write', value: 0 }] } });
  assert.equal(tap.rates('a'), null);
  tap.observe('a', { read: '2026-01-01T00:00:10Z', blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 6000 }, { op: 'Write', value: 100 }] } });
  assert.deepEqual(tap.rates('a'), { read: 500, write: 10 });
  tap.retain(new Set());
  assert.equal(tap.rates('a'), null);
});

test('metric settings: defaults without a metrics section; the section\'s values when present', () => {
  const d = metricsSettings(defaultConfig());
  assert.equal(d.intervalMs, 10_000);
  assert.equal(d.horizonDays, 14);
  assert.deepEqual(d.retention, retentionOf());
  const custom = { ...defaultConfig(), metrics: { interval: 30_000, horizon: 7 * DAY, retention: { raw: 2 * DAY, tiers: [{ every: 5 * MIN, keep: 30 * DAY }] } } } as ReturnType<typeof defaultConfig>;
  const c = metricsSettings(custom);
  assert.equal(c.intervalMs, 30_000);
  assert.equal(c.horizonDays, 7);
  assert.deepEqual(c.retention, { raw: 2 * DAY, tiers: [{ resolution: 5 * MIN, keep: 30 * DAY }] });
  const bad = { ...defaultConfig(), metrics: { retention: { tiers: [{ every: 5 * MIN, keep: HOUR }] } } } as ReturnType<typeof defaultConfig>;
  assert.throws(() => metricsSettings(bad), /kept longer than the tier before it/);
});
