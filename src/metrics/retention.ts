/**
 * Retention with downsampling, RRD-style: samples are kept as collected for `raw`, and every tier
 * keeps averages over `resolution` for `keep`. Each tier is made from the next finer one as its
 * buckets complete, so every tier covers its whole retention (the 15-minute tier also holds the
 * last hour): a window is read from one tier plus the finer tiers' newest minutes.
 *
 * Tier numbers in the store are the resolution in seconds; 0 is raw.
 */
import type { DB } from '../store/db.js';

export interface Tier {
  /** Bucket length, ms (a whole number of seconds, a multiple of the previous tier's). */
  resolution: number;
  /** How long this tier is kept, ms. */
  keep: number;
}

export interface RetentionOptions {
  /** How long samples are kept as collected, ms (default 24 h). */
  raw: number;
  /** Downsampled tiers, finest first (default 1 min for 7 d, 15 min for 90 d). */
  tiers: Tier[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const DEFAULT_RETENTION: RetentionOptions = {
  raw: DAY,
  tiers: [
    { resolution: MIN, keep: 7 * DAY },
    { resolution: 15 * MIN, keep: 90 * DAY },
  ],
};

/** Fills defaults and checks the shape; throws a readable Error for a tier list that cannot work. */
export function retentionOf(opts: Partial<RetentionOptions> = {}): RetentionOptions {
  const r: RetentionOptions = { raw: opts.raw ?? DEFAULT_RETENTION.raw, tiers: opts.tiers ?? DEFAULT_RETENTION.tiers };
  if (!(r.raw >= MIN)) throw new Error(`metrics retention: raw must be at least 1m, got ${r.raw} ms`);
  let prevRes = 1000;
  let prevKeep = r.raw;
  for (const [i, t] of r.tiers.entries()) {
    if (!(t.resolution >= 1000) || t.resolution % 1000 !== 0) throw new Error(`metrics retention: tier ${i + 1} resolution must be whole seconds, got ${t.resolution} ms`);
    if (t.resolution % prevRes !== 0 || t.resolution === prevRes) throw new Error(`metrics retention: tier ${i + 1} resolution (${t.resolution / 1000}s) must be a multiple of the previous one (${prevRes / 1000}s)`);
    if (!(t.keep > prevKeep)) throw new Error(`metrics retention: tier ${i + 1} must be kept longer than the tier before it`);
    if (!(t.keep >= t.resolution * 2)) throw new Error(`metrics retention: tier ${i + 1} must keep at least two buckets`);
    prevRes = t.resolution;
    prevKeep = t.keep;
  }
  return r;
}

/** The longest time anything is kept, ms. */
export function longestKeep(r: RetentionOptions): number {
  return Math.max(r.raw, ...r.tiers.map((t) => t.keep));
}

/** Start of the bucket of length `resSec` holding `atSec` (buckets are aligned to the epoch). */
export function bucketStart(atSec: number, resSec: number): number {
  return Math.floor(atSec / resSec) * resSec;
}

/**
 * Pure: averages of (at, value) samples per bucket of `resSec`, for buckets that end at or before
 * `untilSec`; what compaction does in SQL, for tests and for reasoning.
 */
export function downsample(samples: readonly { at: number; value: number }[], resSec: number, untilSec: number): { at: number; value: number }[] {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const s of samples) {
    const b = bucketStart(s.at, resSec);
    if (b + resSec > untilSec) continue;
    const acc = sums.get(b);
    if (acc) {
      acc.sum += s.value;
      acc.n++;
    } else sums.set(b, { sum: s.value, n: 1 });
  }
  return [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([at, { sum, n }]) => ({ at, value: sum / n }));
}

export interface CompactResult {
  /** Rows written per tier (resolution s → rows). */
  rolledUp: Record<number, number>;
  /** Rows removed by retention, all tiers. */
  deleted: number;
  /** Series removed because their last sample is older than the longest retention. */
  seriesExpired: number;
}

/** Where each tier's made buckets end (epoch s, exclusive); absent: nothing made yet. */
export function watermarks(db: DB): Map<number, number> {
  const rows = db.prepare('SELECT tier, done_until FROM metric_rollups').all() as { tier: number; done_until: number }[];
  return new Map(rows.map((r) => [r.tier, r.done_until]));
}

/**
 * One compaction pass at `nowMs`, in one transaction: each tier's completed buckets are made from
 * the tier below (averages), then each tier loses what is older than its retention — never what the
 * tier above has not been made from yet — and series with nothing left are removed. Tiers that are
 * no longer configured are dropped. `touched` (series id → last sample, epoch s) updates the
 * series' last_at first.
 */
export function compact(db: DB, nowMs: number, retention: RetentionOptions, touched?: ReadonlyMap<number, number>): CompactResult {
  const now = Math.floor(nowMs / 1000);
  const result: CompactResult = { rolledUp: {}, deleted: 0, seriesExpired: 0 };
  db.transaction(() => {
    if (touched && touched.size) {
      const upd = db.prepare('UPDATE metric_series SET last_at = max(last_at, ?) WHERE id = ?');
      for (const [id, at] of touched) upd.run(at, id);
    }
    const marks = watermarks(db);
    const configured = new Set(retention.tiers.map((t) => t.resolution / 1000));
    for (const tier of marks.keys()) {
      if (configured.has(tier)) continue;
      result.deleted += db.prepare('DELETE FROM metric_samples WHERE tier = ?').run(tier).changes;
      db.prepare('DELETE FROM metric_rollups WHERE tier = ?').run(tier);
      marks.delete(tier);
    }

    let src = 0;
    let srcDone = Infinity; // raw is complete up to now
    const setMark = db.prepare('INSERT INTO metric_rollups (tier, done_until) VALUES (?, ?) ON CONFLICT(tier) DO UPDATE SET done_until = excluded.done_until');
    for (const t of retention.tiers) {
      const res = t.resolution / 1000;
      if (!Number.isInteger(res)) throw new Error(`metrics retention: resolution ${t.resolution} ms is not whole seconds`);
      const cutoff = bucketStart(Math.min(now, srcDone), res);
      let start = marks.get(res);
      if (start === undefined) {
        const first = db.prepare('SELECT min(at) AS at FROM metric_samples WHERE tier = ?').get(src) as { at: number | null };
        start = first.at === null ? undefined : bucketStart(first.at, res);
      }
      if (start !== undefined && start < cutoff) {
        // The resolution is written into the SQL as an integer literal: a bound JS number is a
        // REAL to SQLite, and at / 60.0 would not make buckets.
        const info = db.prepare(
          `INSERT OR REPLACE INTO metric_samples (tier, at, series, value)
           SELECT ${res}, (at / ${res}) * ${res}, series, avg(value) FROM metric_samples
           WHERE tier = ? AND at >= ? AND at < ? GROUP BY at / ${res}, series`,
        ).run(src, start, cutoff);
        result.rolledUp[res] = info.changes;
        setMark.run(res, cutoff);
        marks.set(res, cutoff);
      } else if (start !== undefined && !marks.has(res)) {
        setMark.run(res, start);
        marks.set(res, start);
      }
      src = res;
      srcDone = marks.get(res) ?? -Infinity;
    }

    // Retention: a tier keeps what the next one up has not been made from yet.
    const del = db.prepare('DELETE FROM metric_samples WHERE tier = ? AND at < ?');
    const levels = [{ tier: 0, keep: retention.raw }, ...retention.tiers.map((t) => ({ tier: t.resolution / 1000, keep: t.keep }))];
    levels.forEach((l, i) => {
      const above = levels[i + 1];
      let before = now - Math.floor(l.keep / 1000);
      if (above) before = Math.min(before, marks.get(above.tier) ?? -Infinity);
      if (Number.isFinite(before)) result.deleted += del.run(l.tier, before).changes;
    });
    result.seriesExpired = db.prepare('DELETE FROM metric_series WHERE last_at < ?').run(now - Math.floor(longestKeep(retention) / 1000)).changes;
  })();
  return result;
}
