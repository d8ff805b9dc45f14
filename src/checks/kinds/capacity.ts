/**
 * `capacity` (discovered, one per host): warn when a growing resource (a disk, a volume with a
 * limit, memory with a limit, Redis maxmemory) is projected to be full within `metrics.horizon`
 * (default 14 days), from the metric history of the last 7 days; ok otherwise, saying how many
 * series it looked at. The history is in the state store: whoever builds the env adds
 * `capacity()` (CapacityCheckEnv). Without it, or without history yet, the check says so (unknown /
 * ok "no history yet"), never a false warning.
 */
import { capacityWarnings } from '../../metrics/projection.js';
import { metricsSettings } from '../../metrics/settings.js';
import type { CapacityData } from '../../metrics/types.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome } from '../types.js';

export interface CapacityCheckEnv {
  /** The last 7 days of metric history (loadCapacity(db, '7d', now)), or null without a store. */
  capacity?: () => CapacityData | null;
}

export async function runCapacity(_def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const get = (env as CheckEnv & CapacityCheckEnv).capacity;
  if (!get) return { status: 'unknown', message: 'metric history not available here', latencyMs: null };
  const t0 = Date.now();
  const data = get();
  const latencyMs = Date.now() - t0;
  if (!data || data.series.length === 0) {
    return { status: 'ok', message: 'no metric history yet: run `opsdeck agent` (or keep the cockpit open) to see projections', latencyMs };
  }
  const horizon = metricsSettings(env.config).horizonDays;
  const warnings = capacityWarnings(data, horizon);
  const projected = data.series.filter((s) => s.projection?.status === 'full-in').length;
  if (!warnings.length) {
    return { status: 'ok', message: `nothing projected full within ${horizon} days (${data.series.length} series, ${projected} growing towards a limit)`, latencyMs };
  }
  const first = warnings.slice(0, 3).map((w) => safeText(w.message)).join('; ');
  return {
    status: 'warn',
    message: `${warnings.length} projected full within ${horizon} days: ${first}${warnings.length > 3 ? '; …' : ''}`,
    latencyMs,
    details: { horizonDays: horizon, warnings: warnings.map((w) => `${w.series}: ${w.daysToFull.toFixed(1)} days`).join(', ') },
  };
}
