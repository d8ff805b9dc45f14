/**
 * The metric settings from the config file's `metrics:` section, with defaults. The section is read
 * defensively: until config/schema.ts has it, every value is the default.
 *
 *   metrics:
 *     interval: 10s              # the agent's sampling interval (--interval overrides)
 *     retention:
 *       raw: 24h                 # samples as collected
 *       tiers:                   # averages, finest first
 *         - { every: 1m, keep: 7d }
 *         - { every: 15m, keep: 90d }
 *     horizon: 14d               # "full in N days" below this raises a warn check
 *
 * Durations arrive as milliseconds (the schema's convention).
 */
import type { Config } from '../../config/schema.js';
import { DEFAULT_RETENTION, retentionOf, type RetentionOptions } from './retention.js';

export interface MetricsConfig {
  interval?: number;
  retention?: { raw?: number; tiers?: { every: number; keep: number }[] };
  horizon?: number;
}

export interface MetricsSettings {
  intervalMs: number;
  retention: RetentionOptions;
  horizonDays: number;
}

export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_HORIZON_DAYS = 14;

/** Settings from a config (defaults for what it does not say); throws a readable Error for retention tiers that cannot work. */
export function metricsSettings(config: Config | null | undefined): MetricsSettings {
  const m: MetricsConfig = config?.metrics ?? {};
  const tiers = m.retention?.tiers?.map((t) => ({ resolution: t.every, keep: t.keep }));
  return {
    intervalMs: m.interval ?? DEFAULT_INTERVAL_MS,
    retention: retentionOf({ raw: m.retention?.raw ?? DEFAULT_RETENTION.raw, tiers: tiers ?? DEFAULT_RETENTION.tiers }),
    horizonDays: m.horizon !== undefined ? m.horizon / 86_400_000 : DEFAULT_HORIZON_DAYS,
  };
}
