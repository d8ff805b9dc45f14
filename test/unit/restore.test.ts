// Restore pieces that need no Docker: which backups a restore may use and which it preselects, the
// walkthrough screen's state from runner events, and the backup check's drill requirement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSafetyBackup, preselect, restoreCandidates, sourceVersion } from '../../actions/restore.js';
import type { StoredBackup } from '../../src/store/backups.js';
import { applyEvent, finishWalkthrough, LOG_LIMIT, startWalkthrough } from '../../views/walkSteps.js';
import { runBackup } from '../../src/checks/kinds/backup.js';
import { parseConfigText } from '../../config/load.js';
import type { CheckDef, CheckEnv } from '../../src/checks/types.js';

const H = 3_600_000;
function b(id: string, over: Partial<StoredBackup> = {}): StoredBackup {
  return {
    id, target: 't', kind: 'postgres', file: `/b/${id}.dump`, status: 'ok', startedAt: 0, finishedAt: 1, durationMs: 1, sizeBytes: 10,
    sha256: 'x', verified: true, verifiedAt: 1, verifyMessage: 'ok', error: null, details: {}, opsdeckVersion: '0', deletedAt: null, ...over,
  };
}

describe('choosing the backup', () => {
  it('candidates: finished, file present, not failed verification; newest first', () => {
    const list = [
      b('old', { startedAt: 1 }), b('failed', { startedAt: 5, status: 'failed' }), b('pruned', { startedAt: 6, deletedAt: 7 }),
      b('bad', { startedAt: 8, verified: false }), b('unverified', { startedAt: 9, verified: null }), b('new', { startedAt: 4 }),
    ];
    assert.deepEqual(restoreCandidates(list).map((x) => x.id), ['unverified', 'new', 'old']);
  });
  it('preselects the newest verified backup that is not a safety backup', () => {
    const safety = b('safety', { startedAt: 10, details: { safetyFor: 'new' } });
    assert.equal(isSafetyBackup(safety), true);
    const c = restoreCandidates([b('old', { startedAt: 1 }), b('new', { startedAt: 4 }), safety, b('unverified', { startedAt: 9, verified: null })]);
    assert.equal(preselect(c)?.id, 'new');
    assert.equal(preselect(restoreCandidates([safety]))?.id, 'safety', 'only a safety backup: it is still offered');
    assert.equal(preselect([]), null);
  });
  it('names the source version', () => {
    assert.equal(sourceVersion(b('x', { details: { serverVersion: '15.4' } })), 'PostgreSQL 15.4');
    assert.equal(sourceVersion(b('x', { details: { redisVersion: '7.2.4' } })), 'Redis 7.2.4');
    assert.equal(sourceVersion(b('x')), null);
  });
});

describe('the walkthrough screen state', () => {
  it('steps go pending → running (progress) → done/failed/skipped; unknown steps (rollback) are appended', () => {
    let w = startWalkthrough('Restore t', 'backup:t', [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }]);
    assert.deepEqual(w.steps.map((s) => s.status), ['pending', 'pending']);
    w = applyEvent(w, { type: 'step', id: 'a', title: 'A', status: 'running' });
    w = applyEvent(w, { type: 'progress', step: 'a', progress: { bytes: 1024 * 1024, totalBytes: 4 * 1024 * 1024, rate: 1024 * 1024, etaMs: 3000 } });
    assert.match(w.steps[0]!.progress!, /1\.0 MiB of 4\.0 MiB · 1\.0 MiB\/s · ETA 3s/);
    w = applyEvent(w, { type: 'step', id: 'a', title: 'A', status: 'done', durationMs: 1200, detail: 'dumped' });
    w = applyEvent(w, { type: 'step', id: 'b', title: 'B', status: 'failed', durationMs: 5, error: 'boom\x1b[31m' });
    w = applyEvent(w, { type: 'step', id: 'rollback', title: 'Roll back', status: 'done', durationMs: 9 });
    assert.deepEqual(w.steps.map((s) => [s.id, s.status, s.note ?? '']), [['a', 'done', 'dumped'], ['b', 'failed', 'boom'], ['rollback', 'done', '']]);
    assert.ok(w.log.some((l) => l === 'B failed: boom'), 'failures go to the log pane, escapes removed');
    w = finishWalkthrough(w, false, 'restore failed at B: boom — rolled back', w.startedAt + 5000);
    assert.deepEqual(w.outcome, { ok: false, message: 'restore failed at B: boom — rolled back', durationMs: 5000 });
  });
  it('the log pane is bounded', () => {
    let w = startWalkthrough('x', 'y', []);
    for (let i = 0; i < LOG_LIMIT + 50; i++) w = applyEvent(w, { type: 'log', step: 's', line: `line ${i}` });
    assert.equal(w.log.length, LOG_LIMIT);
    assert.equal(w.log[w.log.length - 1], `line ${LOG_LIMIT + 49}`);
  });
});

describe('the backup check and backups.drillWithin', () => {
  const def: CheckDef = { name: 'backup:t', kind: 'backup', source: 'discovered', intervalMs: 1, timeoutMs: 1, spec: { kind: 'backup', name: 'backup:t', target: 't' } };
  const env = (drillWithin: string | null, lastDrill: number | null) => {
    const config = parseConfigText(drillWithin ? `backups:\n  drillWithin: ${drillWithin}\n` : '{}', { source: null, env: {} });
    return {
      config, thresholds: config.thresholds, now: () => 100 * H, latestBackup: () => b('x', { finishedAt: 99 * H }),
      lastDrill: () => lastDrill, docker: null as never, host: null as never, signal: new AbortController().signal,
    } as CheckEnv;
  };
  it('without drillWithin, drills do not matter', async () => {
    assert.equal((await runBackup(def, env(null, null))).status, 'ok');
  });
  it('a drill within the window keeps it ok and says when; none or too old is a warning naming the command', async () => {
    const ok = await runBackup(def, env('7d', 98 * H));
    assert.equal(ok.status, 'ok');
    assert.match(ok.message, /restore drill 2h ago/);
    const none = await runBackup(def, env('7d', null));
    assert.equal(none.status, 'warn');
    assert.match(none.message, /no restore drill yet .*opsdeck drill t/);
    const old = await runBackup(def, env('1d', 50 * H));
    assert.equal(old.status, 'warn');
    assert.match(old.message, /last restore drill 2d2h ago/);
  });
});
