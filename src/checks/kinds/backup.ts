/** `backup`: the age of a target's last good backup. Until the backups feature records any, unknown. */
import type { CheckDef, CheckEnv, CheckOutcome } from '../types.js';

export async function runBackup(_def: CheckDef, _env: CheckEnv): Promise<CheckOutcome> {
  return { status: 'unknown', message: 'no backups recorded', latencyMs: null };
}
