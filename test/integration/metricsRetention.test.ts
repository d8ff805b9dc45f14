// Retention with downsampling at full scale: 92 days of synthetic samples for 100 series, written
// directly through the store a day at a time and compacted after each day as the collector would,
// end up at the downsampled resolutions (raw 24 h, 1 min for 7 d, 15 min for 90 d) with the right
// averages, and the state file stays under 150 MB (printed). Series of removed containers stay
// until retention expires them.
//
// Density: the last 26 h at 10 s (what raw keeps), the week before at one sample a minute (what the
// minute tier keeps), older days at one sample every 5 minutes — so each 15-minute average is made
// from three minutes, and the run takes seconds instead of writing 78 M raw rows that compaction
// would reduce to the same 15-minute rows.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '../../src/store/db.js';
import { downsample } from '../../src/metrics/retention.js';
import { listSeries, MetricStore, tierCounts, type SeriesMeta } from '../../src/metrics/store.js';
import { loadCapacity } from '../../src/metrics/load.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const DAYS = 92;
const SERIES = 100;
const BOUND = 150 * 1024 * 1024;
const NOW = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN;
const START = NOW - DAYS * DAY;

const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-retention-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const meta = (i: number): SeriesMeta => ({ key: `container:svc-${i}.mem`, title: `svc-${i} memory`, group: 'containers', unit: 'bytes', limit: 1e9 });
const regular = Array.from({ length: SERIES }, (_, i) => meta(i));
/** Containers removed early: 5 gone after the first day (expired by the end), 5 after day 46 (kept). */
const goneEarly = Array.from({ length: 5 }, (_, i) => meta(1000 + i));
const goneMid = Array.from({ length: 5 }, (_, i) => meta(2000 + i));

/** Deterministic values: series i at t (ms). */
const value = (i: number, t: number) => i * 1_000_000 + ((t / 1000) % 97) * 1000 + Math.floor(t / DAY);
const indexOf = (key: string) => Number(/svc-(\d+)/.exec(key)![1]);

function spacingAt(t: number): number {
  if (t >= NOW - 26 * HOUR) return 10_000;
  if (t >= NOW - 8 * DAY) return MIN;
  return 5 * MIN;
}

function* day(from: number, to: number): Generator<[number, string, number]> {
  for (let t = from; t < to; t += spacingAt(t)) {
    for (const m of regular) yield [t, m.key, value(indexOf(m.key), t)];
    if (t < START + DAY) for (const m of goneEarly) yield [t, m.key, value(indexOf(m.key), t)];
    if (t < START + 46 * DAY) for (const m of goneMid) yield [t, m.key, value(indexOf(m.key), t)];
  }
}

/** The samples written for one series in [from, to), as the generator makes them. */
function written(i: number, from: number, to: number): { at: number; value: number }[] {
  const out: { at: number; value: number }[] = [];
  for (let t = START; t < to; t += spacingAt(t)) if (t >= from) out.push({ at: t / 1000, value: value(i, t) });
  return out;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

describe('metric retention', () => {
  it(`${DAYS} days of ${SERIES} series compact to 24 h raw, 7 d of minutes, 90 d of quarter hours; the file stays < 150 MB`, () => {
    const { db, path } = openState(tmp);
    const store = new MetricStore(db);
    const size = () => statSync(path).size + (() => { try { return statSync(`${path}-wal`).size; } catch { return 0; } })();
    let peak = 0;
    let rows = 0;
    const t0 = performance.now();
    for (let d = 0; d < DAYS; d++) {
      const from = START + d * DAY;
      rows += store.writeBulk([...regular, ...goneEarly, ...goneMid], day(from, from + DAY));
      store.compact(from + DAY);
      peak = Math.max(peak, size());
    }
    const took = performance.now() - t0;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const file = statSync(path).size;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const counts = tierCounts(db);
    console.log(`# ${rows} samples written in ${(took / 1000).toFixed(1)} s (compacted daily); rows now: raw ${counts.get(0)}, 1 min ${counts.get(60)}, 15 min ${counts.get(900)}`);
    console.log(`# state file after compaction: ${mb(file)} (${mb((pages - free) * pageSize)} in use, ${mb(free * pageSize)} free pages kept for reuse); largest during the run (with WAL): ${mb(peak)}; bound ${mb(BOUND)}`);

    // The resolutions: every series of the 100 has exactly what each tier keeps.
    assert.equal(counts.get(0), SERIES * (24 * 360), 'raw: 24 h at 10 s');
    assert.equal(counts.get(60), SERIES * (7 * 1440), 'minutes: 7 days');
    assert.equal(counts.get(900), SERIES * (90 * 96) + goneMid.length * (46 - 2) * 96, '15 minutes: 90 days (and what is left of the removed containers)');

    // Averages: a quarter hour 30 days ago (three 5-minute samples), one 3 days ago (fifteen minutes),
    // a minute 10 hours ago (six 10-s samples).
    const q = db.prepare('SELECT value FROM metric_samples s JOIN metric_series m ON m.id = s.series WHERE s.tier = ? AND s.at = ? AND m.key = ?');
    const check = (tier: number, atMs: number, i: number) => {
      const expected = downsample(written(i, atMs, atMs + tier * 1000), tier, (atMs + tier * 1000) / 1000)[0]!.value;
      const got = (q.get(tier, atMs / 1000, meta(i).key) as { value: number } | undefined)?.value;
      assert.ok(got !== undefined && Math.abs(got - expected) < 1e-6, `tier ${tier} at ${new Date(atMs).toISOString()} series ${i}: ${got} vs ${expected}`);
    };
    check(900, NOW - 30 * DAY, 7);
    check(900, NOW - 3 * DAY + 15 * MIN, 42);
    check(60, NOW - 10 * HOUR, 99);

    // Removed containers: kept while anything of them is within retention, then gone.
    const keys = new Set(listSeries(db).map((s) => s.key));
    for (const m of goneMid) assert.ok(keys.has(m.key), `${m.key} kept`);
    for (const m of goneEarly) assert.ok(!keys.has(m.key), `${m.key} expired`);
    assert.equal(keys.size, SERIES + goneMid.length);

    // The read side over the whole history, at the newest sample: no gaps in 30 d and 7 d.
    const newest = NOW - 10_000;
    const month = loadCapacity(db, '30d', newest);
    assert.equal(month.series.length, SERIES, 'the removed containers have nothing in the last 30 days');
    const s7 = month.series.find((s) => s.id === meta(7).key)!;
    assert.equal(s7.points.filter((p) => p.value === null).length, 0);
    const week = loadCapacity(db, '7d', newest).series.find((s) => s.id === meta(7).key)!;
    assert.equal(week.points.filter((p) => p.value === null).length, 0);

    db.close();
    assert.ok(file < BOUND, `state file ${mb(file)} ≥ ${mb(BOUND)}`);
    assert.ok(peak < BOUND, `state file peaked at ${mb(peak)}`);
  });
});
