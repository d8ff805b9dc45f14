/**
 * `backup`: the age of a target's newest good backup (finished ok, verified, file still there) against
 * thresholds.backupAge (warn 26h, crit 50h by default). No good backup at all is crit: the runbooks
 * treat "no backup" as a failure, not as "nothing to say".
 *
 * The history is in the state store, which CheckEnv does not carry: whoever builds the env adds
 * `latestBackup(target)` (BackupCheckEnv below; the store's latestGood). Without it the check is
 * `unknown` "backup history not available here", never a false ok or crit.
 */
import type { BackupRecord } from '../../backup/types.js';
import { formatBytes, formatDuration } from '../../format.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus } from '../types.js';

/** What the env must add for this kind: the store's latestGood(db, target). */
export interface BackupCheckEnv {
  latestBackup?: (target: string) => BackupRecord | null;
}

/** Age → status against warn/crit (ms); pure. */
export function backupAgeStatus(ageMs: number, warnMs: number, critMs: number): CheckStatus {
  if (ageMs >= critMs) return 'crit';
  if (ageMs >= warnMs) return 'warn';
  return 'ok';
}

export async function runBackup(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = def.spec as { kind: 'backup'; name: string; target: string };
  const target = spec.target;
  const latest = (env as CheckEnv & BackupCheckEnv).latestBackup;
  if (!latest) return { status: 'unknown', message: 'backup history not available here', latencyMs: null };
  const { warn, crit } = env.thresholds.backupAge;
  const t0 = Date.now();
  const b = latest(target);
  const latencyMs = Date.now() - t0;
  const limits = { warnSec: Math.round(warn / 1000), critSec: Math.round(crit / 1000) };
  if (!b) {
    return {
      status: 'crit',
      message: `no verified backup of ${safeText(target)}`,
      latencyMs,
      details: { target, ...limits },
    };
  }
  const at = b.finishedAt ?? b.startedAt;
  const ageMs = Math.max(0, env.now() - at);
  let status = backupAgeStatus(ageMs, warn, crit);
  const limit = status === 'crit' ? `over ${formatDuration(crit)}` : status === 'warn' ? `over ${formatDuration(warn)}` : `warn at ${formatDuration(warn)}`;
  // backups.drillWithin: a backup nobody proved restorable lately is a warning, not a crit.
  const drillWithin = env.config.backups.drillWithin;
  let drill = '';
  if (drillWithin !== undefined) {
    const lastDrill = env.lastDrill?.(target) ?? null;
    const drillAge = lastDrill === null ? null : Math.max(0, env.now() - lastDrill);
    if (drillAge === null || drillAge > drillWithin) {
      if (status === 'ok') status = 'warn';
      drill = drillAge === null ? `; no restore drill yet (wanted every ${formatDuration(drillWithin)}: opsdeck drill ${safeText(target)})` : `; last restore drill ${formatDuration(drillAge)} ago (wanted within ${formatDuration(drillWithin)})`;
    } else {
      drill = `; restore drill ${formatDuration(drillAge)} ago`;
    }
  }
  return {
    status,
    message: `last good backup ${formatDuration(ageMs)} ago (${limit}): ${safeText(b.id)}, ${formatBytes(b.sizeBytes)}${drill}`,
    latencyMs,
    details: {
      target,
      id: b.id,
      file: b.file,
      finishedAt: new Date(at).toISOString(),
      ageSec: Math.round(ageMs / 1000),
      sizeBytes: b.sizeBytes,
      sha256: b.sha256,
      verifiedAt: b.verifiedAt === null ? null : new Date(b.verifiedAt).toISOString(),
      verifyMessage: b.verifyMessage,
      ...limits,
    },
  };
}
