// Capacity query benchmark (issue: capacity). A state file holding 7 days of 100 series as the agent
// leaves it (raw for the last day at 10 s, minutes and quarter hours made by compaction, the newest
// minutes not yet compacted), then loadCapacity() — the query, the bucketing into the window's
// points and the projections the Capacity view draws — timed for each window, BENCH_RUNS (default
// 20) runs, median / p95 / first (cold). Target for 7 d: ≤ 100 ms including the render; the render
// is the view's part, this is the data. Baseline in the same run: the bare SQL read of the rows.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '../src/store/db.js';
import { loadCapacity, WINDOWS, WINDOW_NAMES } from '../src/metrics/load.js';
import { MetricStore, tierCounts, type SeriesMeta } from '../src/metrics/store.js';
import { median, percentile } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const SERIES = 100;
const DAYS = 7;
const TARGET_MS = 100;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-bench-capacity-'));

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(52)} ${value.padStart(22)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}

function fill(store: MetricStore, now: number): number {
  const metas: SeriesMeta[] = Array.from({ length: SERIES }, (_, i) => ({
    key: i < 60 ? `container:svc-${i}.mem` : i < 80 ? `container:svc-${i}.cpu` : `host.disk:/d${i}`,
    title: `series ${i}`,
    group: i < 80 ? 'containers' : 'host',
    unit: i >= 60 && i < 80 ? 'percent' : 'bytes',
    limit: i >= 80 ? 500 * 1024 ** 3 : null,
  }));
  const start = now - DAYS * DAY - HOUR;
  let rows = 0;
  // As the agent writes: every 10 s for the last 26 h (what raw keeps), every minute before, compacted as it goes.
  for (let from = start; from < now; from += 6 * HOUR) {
    const to = Math.min(now, from + 6 * HOUR);
    rows += store.writeBulk(metas, (function* () {
      for (let t = from; t < to; t += t >= now - 26 * HOUR ? 10_000 : MIN) {
        for (let i = 0; i < SERIES; i++) yield [t, metas[i]!.key, i < 60 ? 2e8 + i * 1e6 + (t - start) / 1000 : i < 80 ? 20 + 10 * Math.sin(t / 6e5 + i) : 1e11 + (t - start) * 10] as const;
      }
    })());
    // The agent compacts once a minute: the newest minute or so is never compacted.
    store.compact(to - 40_000);
  }
  return rows;
}

function main(): void {
  const { db, path } = openState(tmp);
  const store = new MetricStore(db);
  const now = Date.now();
  const t0 = performance.now();
  const rows = fill(store, now);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const counts = tierCounts(db);
  console.log(`opsdeck capacity query bench — ${SERIES} series, ${DAYS} days of history (${rows} samples written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`state file ${(statSync(path).size / 1024 / 1024).toFixed(1)} MB; rows: raw ${counts.get(0)}, 1 min ${counts.get(60)}, 15 min ${counts.get(900)}`);

  for (const w of WINDOW_NAMES) {
    const { lengthMs, stepMs } = WINDOWS[w];
    const times: number[] = [];
    let first = 0;
    let points = 0;
    let projections = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      const t = performance.now();
      const data = loadCapacity(db, w, now);
      const ms = performance.now() - t;
      if (i === 0) first = ms;
      else times.push(ms);
      points = data.series.reduce((n, s) => n + s.points.length, 0);
      projections = data.series.filter((s) => s.projection !== null).length;
    }
    // Baseline: the bare read of the rows this window reads (the tier it bases on, no bucketing).
    const tier = w === '1h' ? 0 : w === '24h' ? 60 : 900;
    const fromSec = Math.floor((now - lengthMs) / 1000);
    const bare = db.prepare('SELECT at, series, value FROM metric_samples WHERE tier = ? AND at >= ?').raw(true);
    const baseTimes: number[] = [];
    let baseRows = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      baseRows = bare.all(tier, fromSec).length;
      baseTimes.push(performance.now() - t);
    }
    const med = median(times);
    console.log(`\nwindow ${w}: ${lengthMs / stepMs} points per series at ${stepMs / 1000} s, ${points} points and ${projections} projections in all`);
    line('baseline: bare SQL read of the base tier (median)', `${median(baseTimes).toFixed(1)} ms (${baseRows} rows)`);
    line(`loadCapacity ${w} (median of ${RUNS})`, `${med.toFixed(1)} ms`, w === '7d' ? `≤ ${TARGET_MS} ms with render` : undefined, w === '7d' ? med <= TARGET_MS : undefined);
    line('  p95 / first (cold statement cache)', `${percentile(times, 95).toFixed(1)} / ${first.toFixed(1)} ms`);
  }
  db.close();
}

try {
  main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
