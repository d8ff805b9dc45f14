/**
 * What the check kinds read from the state store (backup history, drills, the maintenance window,
 * the metric history), as CheckEnv fields: one place for the cockpit, the agent and `opsdeck check`.
 */
import type { Config } from '../../config/schema.js';
import { loadCapacity } from '../metrics/load.js';
import { metricsSettings } from '../metrics/settings.js';
import { latestGood } from '../store/backups.js';
import type { DB } from '../store/db.js';
import { currentMaintenance } from '../store/maintenance.js';
import { lastGoodDrillAt } from '../store/restores.js';
import type { CheckEnv } from './types.js';
import type { CapacityCheckEnv } from './kinds/capacity.js';
import type { MaintenanceCheckEnv } from './kinds/maintenance.js';

export type StoreCheckEnv = Pick<CheckEnv, 'latestBackup' | 'lastDrill'> & MaintenanceCheckEnv & CapacityCheckEnv;

export function storeCheckEnv(db: DB, config: Config): StoreCheckEnv {
  const retention = metricsSettings(config).retention;
  return {
    latestBackup: (target) => latestGood(db, target),
    lastDrill: (target) => lastGoodDrillAt(db, target),
    maintenance: () => currentMaintenance(db),
    capacity: () => loadCapacity(db, '7d', Date.now(), { retention }),
  };
}

/** For a process without a store yet: nothing was ever backed up, drilled, opened or recorded. */
export const EMPTY_STORE_ENV: StoreCheckEnv = { latestBackup: () => null, lastDrill: () => null, maintenance: () => null, capacity: () => null };
