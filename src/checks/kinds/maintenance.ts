/**
 * `maintenance` (discovered, one per host): ok "not in maintenance"; ok "in maintenance since …
 * (reason)"; warn when the planned end passed more than 15 minutes ago ("maintenance planned to end
 * at … — 20m ago"): a window someone forgot to close keeps users out.
 *
 * The window is in the state store: whoever builds the env adds `maintenance()` (MaintenanceCheckEnv,
 * e.g. `() => currentMaintenance(db)`). Without it the check opens the store of the default state
 * directory (config stateDir, $OPSDECK_STATE_DIR, $XDG_STATE_HOME/opsdeck) when one exists; no store
 * at all means no window was ever opened there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeWindow, overdue } from '../../maintenance/state.js';
import { safeText } from '../../sanitize.js';
import { openState } from '../../store/db.js';
import { currentMaintenance, type MaintenanceWindow } from '../../store/maintenance.js';
import { resolveStateDir } from '../../store/paths.js';
import type { CheckDef, CheckEnv, CheckOutcome } from '../types.js';

/** What the env may add for this kind. */
export interface MaintenanceCheckEnv {
  maintenance?: () => MaintenanceWindow | null;
}

function fromDefaultStore(env: CheckEnv): MaintenanceWindow | null {
  const dir = resolveStateDir({ config: env.config.stateDir, env: process.env });
  if (!existsSync(join(dir, 'opsdeck.db'))) return null;
  const { db } = openState(dir);
  try {
    return currentMaintenance(db);
  } finally {
    db.close();
  }
}

export async function runMaintenance(_def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const t0 = Date.now();
  const get = (env as CheckEnv & MaintenanceCheckEnv).maintenance;
  const w = get ? get() : fromDefaultStore(env);
  const latencyMs = Date.now() - t0;
  if (!w) return { status: 'ok', message: 'not in maintenance', latencyMs, details: { active: false } };
  const now = env.now();
  const details = {
    active: true, scope: w.scope, reason: w.reason, by: w.by, since: w.since, plannedEnd: w.plannedEnd, phase: w.phase,
    stopped: w.stopped.filter((s) => s.state !== 'started').map((s) => s.name).join(', '), lastError: w.lastError,
  };
  const late = overdue(w, now);
  if (late) return { status: 'warn', message: safeText(late), latencyMs, details };
  return { status: 'ok', message: safeText(describeWindow(w, now)), latencyMs, details };
}
