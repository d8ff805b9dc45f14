/**
 * The metric store: series (id, stable key, title, group, unit, limit) and samples (series id,
 * epoch seconds, REAL value) in the state file. One writer at a time (the collector holds the lock
 * `metrics:collector`); each round is one transaction.
 */
import type { Statement } from 'better-sqlite3';
import type { DB } from '../store/db.js';
import { safeText } from '../sanitize.js';
import { compact, retentionOf, type CompactResult, type RetentionOptions } from './retention.js';
import type { CapacityGroup, CapacityUnit } from './types.js';

export interface SeriesMeta {
  /** Stable id: "host.cpu", "container:shop-db-1.mem", … */
  key: string;
  title: string;
  group: CapacityGroup;
  unit: CapacityUnit;
  /** Ceiling (disk size, memory limit, maxmemory); null: none. */
  limit: number | null;
}

export interface SampleInput extends SeriesMeta {
  value: number;
}

export interface SeriesRow extends SeriesMeta {
  id: number;
  /** Epoch ms. */
  firstAt: number;
  lastAt: number;
}

interface Cached { id: number; title: string; limit: number | null }

export class MetricStore {
  readonly retention: RetentionOptions;
  private cache = new Map<string, Cached>();
  /** Series written since the last compaction → their newest sample (epoch s). */
  private touched = new Map<number, number>();
  private readonly insertSample: Statement;
  private readonly upsertSeries: Statement;
  private readonly updateSeries: Statement;
  private samples = 0;

  constructor(private readonly db: DB, retention: Partial<RetentionOptions> = {}) {
    this.retention = retentionOf(retention);
    this.insertSample = db.prepare('INSERT OR REPLACE INTO metric_samples (tier, at, series, value) VALUES (0, ?, ?, ?)');
    this.upsertSeries = db.prepare(
      `INSERT INTO metric_series (key, title, grp, unit, limit_value, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET title = excluded.title, limit_value = excluded.limit_value RETURNING id`,
    );
    this.updateSeries = db.prepare('UPDATE metric_series SET title = ?, limit_value = ? WHERE id = ?');
    this.reload();
  }

  /** Re-reads the series table (another writer may have added series since). */
  reload(): void {
    this.cache.clear();
    for (const r of this.db.prepare('SELECT id, key, title, limit_value FROM metric_series').all() as { id: number; key: string; title: string; limit_value: number | null }[]) {
      this.cache.set(r.key, { id: r.id, title: r.title, limit: r.limit_value });
    }
  }

  /** Samples written by this store since it was made. */
  get written(): number {
    return this.samples;
  }

  private seriesId(s: SeriesMeta, atSec: number): number {
    const title = safeText(s.title);
    const limit = s.limit !== null && Number.isFinite(s.limit) && s.limit > 0 ? s.limit : null;
    const known = this.cache.get(s.key);
    if (known) {
      if (known.title !== title || known.limit !== limit) {
        this.updateSeries.run(title, limit, known.id);
        known.title = title;
        known.limit = limit;
      }
      return known.id;
    }
    const row = this.upsertSeries.get(s.key, title, s.group, s.unit, limit, atSec, atSec) as { id: number };
    this.cache.set(s.key, { id: row.id, title, limit });
    return row.id;
  }

  /** Writes one round of samples taken at `atMs`, in one transaction; non-finite values are skipped. Returns rows written. */
  write(atMs: number, samples: readonly SampleInput[]): number {
    const at = Math.floor(atMs / 1000);
    let n = 0;
    this.db.transaction(() => {
      for (const s of samples) {
        if (!Number.isFinite(s.value)) continue;
        const id = this.seriesId(s, at);
        this.insertSample.run(at, id, s.value);
        const prev = this.touched.get(id);
        if (prev === undefined || prev < at) this.touched.set(id, at);
        n++;
      }
    })();
    this.samples += n;
    return n;
  }

  /**
   * Writes many samples in one transaction (tests, imports): rows of [atMs, key, value] for the
   * series in `metas`; rows of other keys are skipped.
   */
  writeBulk(metas: readonly SeriesMeta[], rows: Iterable<readonly [atMs: number, key: string, value: number]>): number {
    let n = 0;
    this.db.transaction(() => {
      const byKey = new Map(metas.map((m) => [m.key, m]));
      const ids = new Map<string, number>();
      for (const [atMs, key, value] of rows) {
        if (!Number.isFinite(value)) continue;
        const at = Math.floor(atMs / 1000);
        let id = ids.get(key);
        if (id === undefined) {
          const meta = byKey.get(key);
          if (!meta) continue;
          id = this.seriesId(meta, at);
          ids.set(key, id);
        }
        this.insertSample.run(at, id, value);
        const prev = this.touched.get(id);
        if (prev === undefined || prev < at) this.touched.set(id, at);
        n++;
      }
    })();
    this.samples += n;
    return n;
  }

  /** Downsampling and retention at `nowMs` (see retention.ts). */
  compact(nowMs: number): CompactResult {
    const touched = this.touched;
    this.touched = new Map();
    try {
      return compact(this.db, nowMs, this.retention, touched);
    } catch (e) {
      for (const [id, at] of touched) if ((this.touched.get(id) ?? -Infinity) < at) this.touched.set(id, at);
      throw e;
    }
  }
}

/** Every series, in key order. */
export function listSeries(db: DB): SeriesRow[] {
  const rows = db.prepare('SELECT id, key, title, grp, unit, limit_value, first_at, last_at FROM metric_series ORDER BY key').all() as {
    id: number; key: string; title: string; grp: CapacityGroup; unit: CapacityUnit; limit_value: number | null; first_at: number; last_at: number;
  }[];
  return rows.map((r) => ({ id: r.id, key: r.key, title: r.title, group: r.grp, unit: r.unit, limit: r.limit_value, firstAt: r.first_at * 1000, lastAt: r.last_at * 1000 }));
}

/** Sample rows per tier (0 = raw), for tests and `opsdeck capacity --json` diagnostics. */
export function tierCounts(db: DB): Map<number, number> {
  const rows = db.prepare('SELECT tier, count(*) AS n FROM metric_samples GROUP BY tier').all() as { tier: number; n: number }[];
  return new Map(rows.map((r) => [r.tier, r.n]));
}
