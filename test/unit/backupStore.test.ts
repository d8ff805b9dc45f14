// The backup history in the state store: life of a row, verification, latest good, deletion, and
// interrupted runs (a `running` row whose process is gone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState, type DB } from '../../src/store/db.js';
import { acquireLock } from '../../src/store/locks.js';
import {
  backupLockKey, finishFailed, finishOk, getBackup, insertRunning, INTERRUPTED, latestGood, listBackups, markDeleted,
  reconcileInterrupted, setVerified, uniqueBackupId,
} from '../../src/store/backups.js';
import { VERSION } from '../../src/version.js';
import { runBackup as runBackupCheck } from '../../src/checks/kinds/backup.js';
import type { CheckDef, CheckEnv } from '../../src/checks/types.js';
import { defaultConfig } from '../../config/schema.js';
import { BackupFailedError, runBackup } from '../../src/backup/run.js';
import type { TargetDef } from '../../src/backup/types.js';
import type { DockerReader } from '../../src/docker/client.js';

async function withDb(fn: (db: DB) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-bstore-'));
  const { db } = openState(dir);
  try {
    await fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const T0 = Date.parse('2026-11-23T14:00:00Z');
const HASH = 'ab'.repeat(32);

function good(db: DB, id: string, at: number, target = 'shop-db'): void {
  insertRunning(db, { id, target, kind: 'postgres', file: `/b/${target}/${id}.dump`, startedAt: at });
  finishOk(db, id, { finishedAt: at + 1500, sizeBytes: 2048, sha256: HASH, details: { server: '15.4' } });
  setVerified(db, id, { ok: true, message: 'pg_restore --list: 14 entries', at: at + 2000 });
}

/** A pid that certainly is not running: a child that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('a run: running → ok → verified, every field round-trips', async () => {
  await withDb((db) => {
    // The runner takes the target's lock first; while we (alive) hold it the row reads as running.
    acquireLock(db, backupLockKey('shop-db'), { action: 'backup', user: 't' });
    const r = insertRunning(db, { id: 'shop-db-20261123T140000Z', target: 'shop-db', kind: 'postgres', file: '/b/shop-db/shop-db-20261123T140000Z.dump', startedAt: T0 });
    assert.equal(r.status, 'running');
    assert.equal(r.opsdeckVersion, VERSION);
    assert.equal(r.verified, null);
    assert.equal(r.deletedAt, null);
    assert.equal(getBackup(db, r.id)?.status, 'running');

    const ok = finishOk(db, r.id, { finishedAt: T0 + 4200, sizeBytes: 123_456, sha256: HASH, details: { server: '15.4', tables: 3, aof: false, note: null } });
    assert.equal(ok.status, 'ok');
    assert.equal(ok.durationMs, 4200);
    assert.equal(ok.finishedAt, T0 + 4200);
    assert.equal(ok.sizeBytes, 123_456);
    assert.deepEqual(ok.details, { server: '15.4', tables: 3, aof: false, note: null });
    assert.equal(latestGood(db, 'shop-db'), null, 'not good before it is verified');

    const v = setVerified(db, r.id, { ok: true, message: 'pg_restore --list: 14 entries', at: T0 + 5000 });
    assert.equal(v.verified, true);
    assert.equal(v.verifiedAt, T0 + 5000);
    assert.equal(v.verifyMessage, 'pg_restore --list: 14 entries');
    assert.deepEqual(latestGood(db, 'shop-db'), v);
    assert.deepEqual(Object.keys(v).sort(), [
      'deletedAt', 'details', 'durationMs', 'error', 'file', 'finishedAt', 'id', 'kind', 'opsdeckVersion', 'sha256', 'sizeBytes',
      'startedAt', 'status', 'target', 'verified', 'verifiedAt', 'verifyMessage',
    ]);
  });
});

test('failed runs and failed verifications are never latest good', async () => {
  await withDb((db) => {
    good(db, 'a', T0);
    insertRunning(db, { id: 'b', target: 'shop-db', kind: 'postgres', file: '/b/b.dump', startedAt: T0 + 60_000 });
    const f = finishFailed(db, 'b', { finishedAt: T0 + 61_000, error: 'disk full (ENOSPC) writing /b' });
    assert.equal(f.status, 'failed');
    assert.equal(f.error, 'disk full (ENOSPC) writing /b');
    assert.equal(f.durationMs, 1000);
    assert.equal(latestGood(db, 'shop-db')?.id, 'a');

    good(db, 'c', T0 + 120_000);
    assert.equal(latestGood(db, 'shop-db')?.id, 'c');
    setVerified(db, 'c', { ok: false, message: 'sha256 mismatch', at: T0 + 200_000 });
    assert.equal(latestGood(db, 'shop-db')?.id, 'a', 'a failed verification takes it out');
    assert.equal(latestGood(db, 'other'), null);
  });
});

test('listBackups: newest first, per target, limit, deleted hidden unless asked', async () => {
  await withDb((db) => {
    good(db, 'shop-db-1', T0);
    good(db, 'shop-db-2', T0 + 1000);
    good(db, 'cache-1', T0 + 500, 'cache');
    assert.deepEqual(listBackups(db).map((r) => r.id), ['shop-db-2', 'cache-1', 'shop-db-1']);
    assert.deepEqual(listBackups(db, { target: 'shop-db' }).map((r) => r.id), ['shop-db-2', 'shop-db-1']);
    assert.deepEqual(listBackups(db, { limit: 1 }).map((r) => r.id), ['shop-db-2']);

    markDeleted(db, 'shop-db-2', T0 + 9000);
    assert.deepEqual(listBackups(db, { target: 'shop-db' }).map((r) => r.id), ['shop-db-1']);
    const all = listBackups(db, { target: 'shop-db', includeDeleted: true });
    assert.deepEqual(all.map((r) => [r.id, r.deletedAt]), [['shop-db-2', T0 + 9000], ['shop-db-1', null]]);
    assert.equal(latestGood(db, 'shop-db')?.id, 'shop-db-1', 'a deleted file is no good backup');
    markDeleted(db, 'shop-db-2', T0 + 99_000);
    assert.equal(getBackup(db, 'shop-db-2')?.deletedAt, T0 + 9000, 'the first deletion time stays');
  });
});

test('a running row whose process is gone reads as failed "interrupted"; reconcile makes it so', async () => {
  await withDb((db) => {
    insertRunning(db, { id: 'x', target: 'shop-db', kind: 'postgres', file: '/b/x.dump', startedAt: T0 });
    // No lock at all: nobody runs it.
    assert.equal(getBackup(db, 'x')?.status, 'failed');
    assert.equal(getBackup(db, 'x')?.error, INTERRUPTED);
    assert.equal(listBackups(db)[0]?.status, 'failed');

    // A lock held by a dead process on this host (kill -9): still interrupted.
    acquireLock(db, backupLockKey('shop-db'), { action: 'backup', user: 't', pid: deadPid(), host: hostname() });
    assert.equal(getBackup(db, 'x')?.status, 'failed');
    // The raw row is still running until reconciled.
    assert.equal((db.prepare('SELECT status FROM backups WHERE id = ?').get('x') as { status: string }).status, 'running');

    // Without ownLock, reconcile touches only rows nobody live holds: this one.
    const done = reconcileInterrupted(db, { at: T0 + 10_000 });
    assert.deepEqual(done.map((r) => [r.id, r.status, r.error, r.finishedAt]), [['x', 'failed', INTERRUPTED, T0 + 10_000]]);
    assert.equal((db.prepare('SELECT status FROM backups WHERE id = ?').get('x') as { status: string }).status, 'failed');
  });
});

test('reconcile leaves a live run alone unless the caller holds the lock itself', async () => {
  await withDb((db) => {
    insertRunning(db, { id: 'old', target: 'shop-db', kind: 'postgres', file: '/b/old.dump', startedAt: T0 });
    acquireLock(db, backupLockKey('shop-db'), { action: 'backup', user: 't' }); // us, alive
    assert.equal(getBackup(db, 'old')?.status, 'running');
    assert.deepEqual(reconcileInterrupted(db), []);
    // We hold the lock and have not started our row: 'old' belongs to a run that ended.
    assert.deepEqual(reconcileInterrupted(db, { target: 'shop-db', ownLock: true }).map((r) => r.id), ['old']);
    assert.equal(getBackup(db, 'old')?.error, INTERRUPTED);
  });
});

test('uniqueBackupId: a second run in the same second gets a suffix', async () => {
  await withDb((db) => {
    assert.equal(uniqueBackupId(db, 'shop-db-20261123T140000Z'), 'shop-db-20261123T140000Z');
    good(db, 'shop-db-20261123T140000Z', T0);
    assert.equal(uniqueBackupId(db, 'shop-db-20261123T140000Z'), 'shop-db-20261123T140000Z-2');
    good(db, 'shop-db-20261123T140000Z-2', T0);
    assert.equal(uniqueBackupId(db, 'shop-db-20261123T140000Z'), 'shop-db-20261123T140000Z-3');
  });
});

test('the table refuses a status outside running/ok/failed', async () => {
  await withDb((db) => {
    assert.throws(() => db.prepare("INSERT INTO backups (id, target, kind, file, status, started_at, opsdeck_version) VALUES ('z', 't', 'files', '/f', 'done', '2026-01-01T00:00:00Z', '0')").run(), /CHECK constraint/);
  });
});

// --- the backup check kind, fed by latestGood -------------------------------------------------------


function checkEnv(db: DB | null, now: number): CheckEnv {
  const config = defaultConfig();
  const env = {
    docker: null as never, host: async () => { throw new Error('no host'); }, thresholds: config.thresholds, config,
    signal: new AbortController().signal, now: () => now,
  };
  return (db ? { ...env, latestBackup: (t: string) => latestGood(db, t) } : env) as CheckEnv;
}
const def: CheckDef = { name: 'backup:shop-db', kind: 'backup', source: 'discovered', intervalMs: 300_000, timeoutMs: 5000, spec: { kind: 'backup', name: 'backup:shop-db', target: 'shop-db' } };

test('backup check: no history accessor → unknown; no good backup → crit; age against 26h/50h', async () => {
  assert.deepEqual(await runBackupCheck(def, checkEnv(null, T0)), { status: 'unknown', message: 'backup history not available here', latencyMs: null });
  await withDb(async (db) => {
    const none = await runBackupCheck(def, checkEnv(db, T0));
    assert.equal(none.status, 'crit');
    assert.equal(none.message, 'no verified backup of shop-db');

    // A failed run and an unverified one do not count.
    insertRunning(db, { id: 'f', target: 'shop-db', kind: 'postgres', file: '/b/f.dump', startedAt: T0 - 1000 });
    finishFailed(db, 'f', { finishedAt: T0, error: 'disk full' });
    insertRunning(db, { id: 'u', target: 'shop-db', kind: 'postgres', file: '/b/u.dump', startedAt: T0 - 1000 });
    finishOk(db, 'u', { finishedAt: T0, sizeBytes: 1, sha256: HASH, details: {} });
    assert.equal((await runBackupCheck(def, checkEnv(db, T0))).status, 'crit');

    good(db, 'g', T0 - 1500); // finished at T0
    const fresh = await runBackupCheck(def, checkEnv(db, T0 + 3 * 3600_000));
    assert.equal(fresh.status, 'ok');
    assert.match(fresh.message, /^last good backup 3h ago \(warn at 1d2h\): g, 2\.0 KiB$/);
    assert.equal(fresh.details?.id, 'g');
    assert.equal((await runBackupCheck(def, checkEnv(db, T0 + 26 * 3600_000))).status, 'warn');
    const old = await runBackupCheck(def, checkEnv(db, T0 + 51 * 3600_000));
    assert.equal(old.status, 'crit');
    assert.match(old.message, /^last good backup 2d3h ago \(over 2d2h\)/);
  });
});

// --- runBackup without the runner: a host `files` target, no Docker ----------------------------------

test('runBackup: stale partial and interrupted row cleaned, dump, verify, retention; an aborted run leaves a failed row and no file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-brun-'));
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'alpha\n'.repeat(1000));
    writeFileSync(join(src, 'b.txt'), 'beta\n');
    const dir = join(root, 'backups');
    const target: TargetDef = { id: 'notes', kind: 'files', source: 'config', spec: { kind: 'files', files: [src] } };
    const docker = { endpoint: { name: 'local' } } as DockerReader; // the files engine never asks Docker
    const policy = { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 };
    await withDb(async (db) => {
      let t = T0;
      const base = { docker, db, dir, now: () => t, signal: new AbortController().signal, retention: policy };
      acquireLock(db, backupLockKey('notes'), { action: 'backup.run', user: 't' }); // the caller holds it
      // What a kill -9 leaves: a partial and a running row.
      mkdirSync(join(dir, 'notes'), { recursive: true });
      writeFileSync(join(dir, 'notes', 'notes-20261123T130000Z.tar.gz.partial'), 'half a backup');
      insertRunning(db, { id: 'notes-20261123T130000Z', target: 'notes', kind: 'files', file: join(dir, 'notes', 'notes-20261123T130000Z.tar.gz'), startedAt: T0 - 3600_000 });

      const r1 = await runBackup(target, base);
      assert.deepEqual(r1.cleanup.partials.map((p) => p.sizeBytes), [13]);
      assert.deepEqual(r1.cleanup.interrupted.map((r) => [r.id, r.status, r.error]), [['notes-20261123T130000Z', 'failed', INTERRUPTED]]);
      assert.equal(r1.backup.id, 'notes-20261123T140000Z');
      assert.equal(r1.backup.file, join(dir, 'notes', 'notes-20261123T140000Z.tar.gz'));
      assert.equal(r1.backup.status, 'ok');
      assert.equal(r1.backup.verified, true);
      assert.match(r1.backup.verifyMessage ?? '', /^sha256 ok; tar: \d+ entries/);
      assert.equal(r1.backup.sha256, createHash('sha256').update(readFileSync(r1.backup.file)).digest('hex'));
      assert.equal(r1.space.ok, true);
      assert.equal(r1.space.estimate, 6005, 'the files engine: bytes of the regular files');
      assert.deepEqual(r1.retention?.removed, []);
      assert.deepEqual(readdirSync(join(dir, 'notes')), ['notes-20261123T140000Z.tar.gz']);

      t += 60_000;
      const r2 = await runBackup(target, base);
      assert.equal(r2.backup.id, 'notes-20261123T140100Z');
      assert.deepEqual(r2.retention?.removed.map((b) => b.id), ['notes-20261123T140000Z'], 'keepLast 1: the older one goes');
      assert.ok(!existsSync(r1.backup.file));
      assert.deepEqual(listBackups(db, { target: 'notes' }).map((b) => [b.id, b.status]), [
        ['notes-20261123T140100Z', 'ok'],
        ['notes-20261123T130000Z', 'failed'], // the interrupted run stays in the history
      ]);
      assert.equal(latestGood(db, 'notes')?.id, 'notes-20261123T140100Z');

      t += 60_000;
      const aborted = runBackup(target, { ...base, signal: AbortSignal.abort(new Error('interrupted by the test')) });
      await assert.rejects(aborted, (e: unknown) => {
        assert.ok(e instanceof BackupFailedError);
        assert.equal(e.record?.status, 'failed');
        assert.equal(e.record?.error, 'interrupted by the test');
        return true;
      });
      assert.deepEqual(readdirSync(join(dir, 'notes')), ['notes-20261123T140100Z.tar.gz'], 'no partial, no new file');

      const missing: TargetDef = { ...target, spec: { kind: 'files', files: [join(root, 'nope')] } };
      await assert.rejects(runBackup(missing, base), /no such file or directory/);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
