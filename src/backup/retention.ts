/**
 * Which backups of one target to keep: restic's `forget` policy (keep-last, keep-daily, keep-weekly,
 * keep-monthly), pure. Backups are walked newest first; each policy keeps a backup when the backup
 * opens a new bucket of that policy (a new day, ISO week, month; for keepLast every backup is its own
 * bucket) while the policy has buckets left. A day without a backup uses no bucket: keepDaily 7 keeps
 * the newest backup of each of the last 7 days *that have one*. One backup can be kept for several
 * reasons; it is removed when no policy keeps it.
 *
 * opsdeck's additions, decided for a history that also holds failures:
 * - Candidates for the policy are finished backups (status ok) not known bad: verified, or not
 *   verified yet. A backup whose verification failed is always removed ("verification failed").
 * - The newest verified backup is never removed, whatever the policy says (with keepLast 1 and an
 *   unverified newest one, the last proven one stays too).
 * - Failed runs have no file (the writer removed the partial): retention, which is about files, leaves
 *   them alone. They are kept, "failed run (history only, no file)", as the record of what went wrong;
 *   a rule like "older than the oldest kept backup" would erase an interrupted run at the very next
 *   backup whenever few backups exist. (A row is ~200 bytes.)
 * - Running backups are never touched (kept, "in progress").
 * - A policy that keeps nothing (all zero) is refused: RetentionPolicyError. Deleting every backup is
 *   not a retention policy.
 * Buckets use local time by default, as restic does; `utc` for tests and UTC-minded hosts.
 */
import type { BackupRecord } from './types.js';

export interface RetentionPolicy {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

export interface RetentionDecision {
  id: string;
  reasons: string[];
}

export interface RetentionPlan {
  keep: RetentionDecision[];
  remove: RetentionDecision[];
}

export class RetentionPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionPolicyError';
  }
}

/** The fields retention looks at (a BackupRecord has them all). */
export type RetentionInput = Pick<BackupRecord, 'id' | 'status' | 'startedAt' | 'verified'>;

/** Refuses a policy that would keep nothing, or one with a negative or fractional count. */
export function checkPolicy(p: RetentionPolicy): void {
  for (const [key, n] of Object.entries(p)) {
    if (!Number.isInteger(n) || n < 0) throw new RetentionPolicyError(`retention ${key} must be a whole number ≥ 0, got ${n}`);
  }
  if (p.keepLast + p.keepDaily + p.keepWeekly + p.keepMonthly === 0) {
    throw new RetentionPolicyError(
      'refusing to apply a retention policy that keeps nothing (keepLast, keepDaily, keepWeekly and keepMonthly are all 0); set at least one in backups.retention',
    );
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

interface Parts { year: number; month: number; day: number; weekday: number }

function parts(ms: number, utc: boolean): Parts {
  const d = new Date(ms);
  return utc
    ? { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() }
    : { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), weekday: d.getDay() };
}

/** ISO 8601 week of a calendar date: "2026-W47" (the week's Thursday decides its year). */
export function isoWeek(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  const dow = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  date.setUTCDate(date.getUTCDate() - dow + 3); // that week's Thursday
  const weekYear = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  const firstDow = (firstThursday.getUTCDay() + 6) % 7;
  firstThursday.setUTCDate(firstThursday.getUTCDate() - firstDow + 3);
  const week = 1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
  return `${weekYear}-W${pad(week)}`;
}

interface Bucket {
  count: number;
  last: string | null;
  key: (b: RetentionInput, index: number) => string;
  reason: (key: string) => string;
}

/** The plan for one target's backups (any order in, decisions newest first out). */
export function planRetention(backups: readonly RetentionInput[], policy: RetentionPolicy, opts: { utc?: boolean } = {}): RetentionPlan {
  checkPolicy(policy);
  const utc = opts.utc ?? false;
  const sorted = [...backups].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const decided = new Map<string, { keep: boolean; reasons: string[] }>();

  const day = (b: RetentionInput) => {
    const p = parts(b.startedAt, utc);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  };
  const buckets: Bucket[] = [
    { count: policy.keepLast, last: null, key: (_b, i) => String(i), reason: () => `last ${policy.keepLast}` },
    { count: policy.keepDaily, last: null, key: day, reason: (k) => `daily ${k}` },
    {
      count: policy.keepWeekly, last: null,
      key: (b) => { const p = parts(b.startedAt, utc); return isoWeek(p.year, p.month, p.day); },
      reason: (k) => `weekly ${k}`,
    },
    { count: policy.keepMonthly, last: null, key: (b) => day(b).slice(0, 7), reason: (k) => `monthly ${k}` },
  ];

  const candidates = sorted.filter((b) => b.status === 'ok' && b.verified !== false);
  candidates.forEach((b, i) => {
    const reasons: string[] = [];
    for (const bucket of buckets) {
      if (bucket.count <= 0) continue;
      const key = bucket.key(b, i);
      if (key === bucket.last) continue;
      bucket.last = key;
      bucket.count--;
      reasons.push(bucket.reason(key));
    }
    decided.set(b.id, reasons.length ? { keep: true, reasons } : { keep: false, reasons: ['not kept by the policy'] });
  });

  const newestVerified = candidates.find((b) => b.verified === true);
  if (newestVerified) {
    const d = decided.get(newestVerified.id)!;
    if (!d.keep) decided.set(newestVerified.id, { keep: true, reasons: ['newest verified backup (never removed)'] });
  }

  for (const b of sorted) {
    if (b.status === 'ok' && b.verified === false) decided.set(b.id, { keep: false, reasons: ['verification failed'] });
    else if (b.status === 'running') decided.set(b.id, { keep: true, reasons: ['in progress'] });
  }

  for (const b of sorted) if (b.status === 'failed') decided.set(b.id, { keep: true, reasons: ['failed run (history only, no file)'] });

  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const b of sorted) {
    const d = decided.get(b.id)!;
    (d.keep ? plan.keep : plan.remove).push({ id: b.id, reasons: d.reasons });
  }
  return plan;
}

/** The policy from the config's backups.retention. */
export function policyOf(retention: { keepLast: number; keepDaily: number; keepWeekly: number; keepMonthly: number }): RetentionPolicy {
  return { keepLast: retention.keepLast, keepDaily: retention.keepDaily, keepWeekly: retention.keepWeekly, keepMonthly: retention.keepMonthly };
}
