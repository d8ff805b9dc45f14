// Retention: restic's forget policy, table-driven, plus opsdeck's rules for failed, unverified and
// running backups. Buckets in UTC so the tables do not depend on the machine's time zone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isoWeek, planRetention, RetentionPolicyError, type RetentionInput, type RetentionPolicy } from '../../src/backup/retention.js';

const NONE: RetentionPolicy = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 };

/** A backup at an ISO time; the id is the time, so expectations read as dates. */
function b(at: string, over: Partial<RetentionInput> = {}): RetentionInput {
  return { id: at, status: 'ok', startedAt: Date.parse(`${at}Z`), verified: true, ...over };
}

interface Case {
  name: string;
  policy: Partial<RetentionPolicy>;
  backups: RetentionInput[];
  keep: Record<string, string[]>;
  remove: Record<string, string[]>;
}

const cases: Case[] = [
  {
    name: 'keepLast: the newest N, whatever their dates',
    policy: { keepLast: 3 },
    backups: [b('2026-11-20T02:00:00'), b('2026-11-21T02:00:00'), b('2026-11-22T02:00:00'), b('2026-11-22T14:00:00'), b('2026-11-23T02:00:00')],
    keep: { '2026-11-23T02:00:00': ['last 3'], '2026-11-22T14:00:00': ['last 3'], '2026-11-22T02:00:00': ['last 3'] },
    remove: { '2026-11-21T02:00:00': ['not kept by the policy'], '2026-11-20T02:00:00': ['not kept by the policy'] },
  },
  {
    name: 'keepDaily: the newest of each day, several a day',
    policy: { keepDaily: 2 },
    backups: [b('2026-11-21T02:00:00'), b('2026-11-22T02:00:00'), b('2026-11-22T14:00:00'), b('2026-11-23T02:00:00'), b('2026-11-23T14:00:00')],
    keep: { '2026-11-23T14:00:00': ['daily 2026-11-23'], '2026-11-22T14:00:00': ['daily 2026-11-22'] },
    remove: { '2026-11-23T02:00:00': ['not kept by the policy'], '2026-11-22T02:00:00': ['not kept by the policy'], '2026-11-21T02:00:00': ['not kept by the policy'] },
  },
  {
    name: 'keepDaily counts days that have a backup, not calendar days (restic)',
    policy: { keepDaily: 3 },
    backups: [b('2026-11-01T03:00:00'), b('2026-11-05T03:00:00'), b('2026-11-08T03:00:00'), b('2026-11-10T03:00:00')],
    keep: { '2026-11-10T03:00:00': ['daily 2026-11-10'], '2026-11-08T03:00:00': ['daily 2026-11-08'], '2026-11-05T03:00:00': ['daily 2026-11-05'] },
    remove: { '2026-11-01T03:00:00': ['not kept by the policy'] },
  },
  {
    name: 'keepWeekly uses ISO weeks: Mon 2025-12-29 is in 2026-W01, Sun 2025-12-28 in 2025-W52',
    policy: { keepWeekly: 2 },
    backups: [b('2025-12-22T03:00:00'), b('2025-12-28T03:00:00'), b('2025-12-29T03:00:00'), b('2026-01-01T03:00:00')],
    keep: { '2026-01-01T03:00:00': ['weekly 2026-W01'], '2025-12-28T03:00:00': ['weekly 2025-W52'] },
    remove: { '2025-12-29T03:00:00': ['not kept by the policy'], '2025-12-22T03:00:00': ['not kept by the policy'] },
  },
  {
    name: 'keepMonthly: the newest of each month',
    policy: { keepMonthly: 2 },
    backups: [b('2026-01-31T03:00:00'), b('2026-02-28T03:00:00'), b('2026-03-01T03:00:00'), b('2026-03-15T03:00:00')],
    keep: { '2026-03-15T03:00:00': ['monthly 2026-03'], '2026-02-28T03:00:00': ['monthly 2026-02'] },
    remove: { '2026-03-01T03:00:00': ['not kept by the policy'], '2026-01-31T03:00:00': ['not kept by the policy'] },
  },
  {
    name: 'policies combine; one backup can be kept for several reasons (restic: last + daily + weekly + monthly)',
    policy: { keepLast: 1, keepDaily: 2, keepWeekly: 1, keepMonthly: 2 },
    backups: [b('2026-10-30T03:00:00'), b('2026-11-20T03:00:00'), b('2026-11-22T03:00:00'), b('2026-11-23T03:00:00'), b('2026-11-23T15:00:00')],
    keep: {
      '2026-11-23T15:00:00': ['last 1', 'daily 2026-11-23', 'weekly 2026-W48', 'monthly 2026-11'],
      '2026-11-22T03:00:00': ['daily 2026-11-22'],
      '2026-10-30T03:00:00': ['monthly 2026-10'],
    },
    remove: { '2026-11-23T03:00:00': ['not kept by the policy'], '2026-11-20T03:00:00': ['not kept by the policy'] },
  },
  {
    name: 'the newest verified backup is never removed, even when the policy would (keepLast 1, newest not verified yet)',
    policy: { keepLast: 1 },
    backups: [b('2026-11-21T03:00:00'), b('2026-11-22T03:00:00'), b('2026-11-23T03:00:00', { verified: null })],
    keep: { '2026-11-23T03:00:00': ['last 1'], '2026-11-22T03:00:00': ['newest verified backup (never removed)'] },
    remove: { '2026-11-21T03:00:00': ['not kept by the policy'] },
  },
  {
    name: 'a backup whose verification failed is removed even when it is the newest, and uses no bucket',
    policy: { keepLast: 2 },
    backups: [b('2026-11-21T03:00:00'), b('2026-11-22T03:00:00'), b('2026-11-23T03:00:00', { verified: false })],
    keep: { '2026-11-22T03:00:00': ['last 2'], '2026-11-21T03:00:00': ['last 2'] },
    remove: { '2026-11-23T03:00:00': ['verification failed'] },
  },
  {
    name: 'failed runs have no file: retention leaves them in the history, and they use no bucket',
    policy: { keepLast: 2 },
    backups: [
      b('2026-11-19T03:00:00', { status: 'failed', verified: null }),
      b('2026-11-20T03:00:00'),
      b('2026-11-21T03:00:00'),
      b('2026-11-21T15:00:00', { status: 'failed', verified: null }),
      b('2026-11-22T03:00:00'),
    ],
    keep: {
      '2026-11-22T03:00:00': ['last 2'],
      '2026-11-21T15:00:00': ['failed run (history only, no file)'],
      '2026-11-21T03:00:00': ['last 2'],
      '2026-11-19T03:00:00': ['failed run (history only, no file)'],
    },
    remove: { '2026-11-20T03:00:00': ['not kept by the policy'] },
  },
  {
    name: 'only failed runs: they stay',
    policy: { keepLast: 1 },
    backups: [b('2026-11-22T03:00:00', { status: 'failed', verified: null }), b('2026-11-23T03:00:00', { status: 'failed', verified: null })],
    keep: { '2026-11-23T03:00:00': ['failed run (history only, no file)'], '2026-11-22T03:00:00': ['failed run (history only, no file)'] },
    remove: {},
  },
  {
    name: 'a running backup is in progress: kept, and counts for no bucket',
    policy: { keepLast: 1 },
    backups: [b('2026-11-22T03:00:00'), b('2026-11-23T03:00:00', { status: 'running', verified: null })],
    keep: { '2026-11-23T03:00:00': ['in progress'], '2026-11-22T03:00:00': ['last 1'] },
    remove: {},
  },
  { name: 'no backups: nothing to do', policy: { keepLast: 3 }, backups: [], keep: {}, remove: {} },
];

describe('planRetention', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRetention(c.backups, { ...NONE, ...c.policy }, { utc: true });
      assert.deepEqual(Object.fromEntries(plan.keep.map((d) => [d.id, d.reasons])), c.keep);
      assert.deepEqual(Object.fromEntries(plan.remove.map((d) => [d.id, d.reasons])), c.remove);
      assert.equal(plan.keep.length + plan.remove.length, c.backups.length, 'every backup is decided once');
    });
  }

  it('decisions come newest first, whatever the input order', () => {
    const plan = planRetention([b('2026-11-21T03:00:00'), b('2026-11-23T03:00:00'), b('2026-11-22T03:00:00')], { ...NONE, keepLast: 1 }, { utc: true });
    assert.deepEqual(plan.remove.map((d) => d.id), ['2026-11-22T03:00:00', '2026-11-21T03:00:00']);
  });

  it('an all-zero policy is refused, naming the settings', () => {
    assert.throws(() => planRetention([b('2026-11-23T03:00:00')], NONE), (e: unknown) => {
      assert.ok(e instanceof RetentionPolicyError);
      assert.match(e.message, /keeps nothing/);
      assert.match(e.message, /backups\.retention/);
      return true;
    });
  });

  it('negative or fractional counts are refused', () => {
    assert.throws(() => planRetention([], { ...NONE, keepLast: -1 }), RetentionPolicyError);
    assert.throws(() => planRetention([], { ...NONE, keepDaily: 1.5 }), RetentionPolicyError);
  });
});

describe('isoWeek', () => {
  const table: [string, string][] = [
    ['2026-01-01', '2026-W01'],
    ['2025-12-29', '2026-W01'],
    ['2025-12-28', '2025-W52'],
    ['2021-01-03', '2020-W53'],
    ['2024-12-30', '2025-W01'],
    ['2026-11-23', '2026-W48'],
    ['2026-12-31', '2026-W53'],
  ];
  for (const [date, week] of table) {
    it(`${date} → ${week}`, () => {
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      assert.equal(isoWeek(y, m, d), week);
    });
  }
});
