// The runner, the read-only client and the locks, with the real SQLite state store (temp dirs).
// No Docker is touched: the read-only control refuses before any call, and the test actions
// below are plain functions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControl, createReader, ReadOnlyError } from '../../src/docker/client.js';
import { resolveEndpoint } from '../../src/docker/endpoint.js';
import { Runner } from '../../src/run/runner.js';
import { openState } from '../../src/store/db.js';
import { listAudit } from '../../src/store/audit.js';
import { acquireLock, breakLock, LockHeldError, listLocks, releaseLock } from '../../src/store/locks.js';
import { PreflightError, type ActionDef } from '../../actions/types.js';

const reader = createReader(resolveEndpoint({ flag: 'unix:///nonexistent/docker.sock', env: {} }));
const state = () => openState(mkdtempSync(join(tmpdir(), 'opsdeck-unit-'))).db;

function action(over: Partial<ActionDef<{ n: number }>> & { log?: string[] } = {}): ActionDef<{ n: number }> {
  const log = over.log ?? [];
  return {
    id: 'test.thing', title: 'Poke thing', done: 'poked', mutates: true, destructive: false,
    target: (p) => `thing/${p.n}`,
    confirmation: async () => ({ title: 'Poke?', lines: [], verb: 'poke' }),
    steps: () => [
      { id: 'a', title: 'Step A', run: async () => { log.push('a'); } },
      { id: 'b', title: 'Step B', run: async () => { log.push('b'); return 'fine'; } },
    ],
    ...over,
  };
}

describe('read-only is enforced in the client layer', () => {
  it('every mutating method of a read-only control refuses without calling Docker', async () => {
    const control = createControl(reader, { readOnly: true });
    for (const m of ['restart', 'stop', 'start', 'setRestartPolicy'] as const) {
      await assert.rejects(control[m]('0123456789abcdef', { name: 'no' } as never), (e: unknown) => e instanceof ReadOnlyError && /read-only, so it will not/.test((e as Error).message));
    }
  });
});

describe('the runner', () => {
  const ctx = { docker: reader, control: createControl(reader, { readOnly: true }) };

  it('a failing step: the rest are shown skipped, recover runs with its own steps and a live signal, its message is the error', async () => {
    const db = state();
    const events: string[] = [];
    const outer = new AbortController();
    let recoverSignalAborted: boolean | null = null;
    const a = action({
      steps: () => [
        { id: 'a', title: 'Step A', run: async () => undefined },
        { id: 'b', title: 'Step B', run: async () => { outer.abort(); throw new Error('boom'); } },
        { id: 'c', title: 'Step C', run: async () => undefined },
      ],
      recover: async (_p, failure, rctx) => {
        recoverSignalAborted = rctx.signal.aborted;
        await rctx.step('undo', 'Undo', async () => 'undone');
        return `failed at ${failure.stepTitle}: ${failure.error} (interrupted: ${failure.interrupted}) — rolled back`;
      },
    });
    const res = await new Runner({ ctx, db, readOnly: false }).run(a, { n: 7 }, {
      confirm: async () => true, signal: outer.signal, onEvent: (e) => { if (e.type === 'step') events.push(`${e.id}:${e.status}`); },
    });
    assert.equal(res.result, 'failed');
    assert.equal(res.error, 'failed at Step B: boom (interrupted: true) — rolled back');
    assert.deepEqual(events, ['a:running', 'a:done', 'b:running', 'b:failed', 'c:skipped', 'undo:running', 'undo:done']);
    assert.equal(recoverSignalAborted, false, 'the rollback is not stopped by the interrupt');
    assert.equal(listAudit(db)[0]?.error, res.error);
    assert.deepEqual(listLocks(db), []);
  });

  it('runs steps in order after confirmation, audits ok, releases the lock', async () => {
    const db = state();
    const log: string[] = [];
    const events: string[] = [];
    const r = new Runner({ ctx, db, readOnly: false, user: 'alice', host: 'h1' });
    const res = await r.run(action({ log }), { n: 1 }, { confirm: async () => true, onEvent: (e) => { if (e.type === 'step') events.push(`${e.id}:${e.status}`); } });
    assert.equal(res.result, 'ok');
    assert.equal(res.detail, 'fine');
    assert.deepEqual(log, ['a', 'b']);
    assert.deepEqual(events, ['a:running', 'a:done', 'b:running', 'b:done']);
    const [row] = listAudit(db);
    assert.equal(row?.user, 'alice');
    assert.equal(row?.result, 'ok');
    assert.deepEqual(listLocks(db), []);
  });

  it('read-only: refused before confirmation or any step, and recorded', async () => {
    const db = state();
    const log: string[] = [];
    let asked = false;
    const res = await new Runner({ ctx, db, readOnly: true }).run(action({ log }), { n: 1 }, { confirm: async () => { asked = true; return true; } });
    assert.equal(res.result, 'refused');
    assert.equal(asked, false);
    assert.deepEqual(log, []);
    assert.equal(listAudit(db)[0]?.result, 'refused');
  });

  it('a preflight failure stops before confirmation with its own message', async () => {
    const db = state();
    let asked = false;
    const res = await new Runner({ ctx, db, readOnly: false }).run(action({ preflight: async () => { throw new PreflightError('disk too small'); } }), { n: 1 }, { confirm: async () => { asked = true; return true; } });
    assert.equal(res.result, 'refused');
    assert.equal(res.error, 'disk too small');
    assert.equal(asked, false);
  });

  it('cancelled: no steps, no audit entry, no lock', async () => {
    const db = state();
    const log: string[] = [];
    const res = await new Runner({ ctx, db, readOnly: false }).run(action({ log }), { n: 1 }, { confirm: async () => false });
    assert.equal(res.result, 'cancelled');
    assert.deepEqual(log, []);
    assert.equal(listAudit(db).length, 0);
    assert.deepEqual(listLocks(db), []);
  });

  it('a failing step: later steps do not run, the error names the step, the lock is released', async () => {
    const db = state();
    const log: string[] = [];
    const failing = action({ log, steps: () => [
      { id: 'a', title: 'Step A', run: async () => { throw new Error('boom'); } },
      { id: 'b', title: 'Step B', run: async () => { log.push('b'); } },
    ] });
    const res = await new Runner({ ctx, db, readOnly: false }).run(failing, { n: 1 }, { confirm: async () => true });
    assert.equal(res.result, 'failed');
    assert.equal(res.error, 'Step A failed: boom');
    assert.deepEqual(log, []);
    assert.equal(listAudit(db)[0]?.error, 'Step A failed: boom');
    assert.deepEqual(listLocks(db), []);
  });

  it('an abort (Ctrl-C) stops the run and still releases the lock', async () => {
    const db = state();
    const abort = new AbortController();
    const slow = action({ steps: () => [
      { id: 'a', title: 'Wait', run: (_p, c) => new Promise((_, reject) => c.signal.addEventListener('abort', () => reject(new Error('interrupted')))) },
    ] });
    const p = new Runner({ ctx, db, readOnly: false }).run(slow, { n: 1 }, { confirm: async () => true, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(listLocks(db).length, 1, 'held while running');
    abort.abort();
    const res = await p;
    assert.equal(res.result, 'failed');
    assert.deepEqual(listLocks(db), []);
  });

  it('a held lock refuses a second run of the same target, naming the holder', async () => {
    const db = state();
    acquireLock(db, 'thing/1', { action: 'other.action', user: 'bob' });
    const res = await new Runner({ ctx, db, readOnly: false }).run(action(), { n: 1 }, { confirm: async () => true });
    assert.equal(res.result, 'refused');
    assert.match(res.error ?? '', /thing\/1 is busy: held by other\.action by bob \(pid \d+ on .+\) since /);
  });

  it('without a state store, mutating actions refuse and say why', async () => {
    const res = await new Runner({ ctx, db: null, dbError: 'cannot write /x/opsdeck.db', readOnly: false }).run(action(), { n: 1 }, { confirm: async () => true });
    assert.equal(res.result, 'refused');
    assert.match(res.error ?? '', /no audit log \(cannot write \/x\/opsdeck\.db\)/);
  });
});

describe('locks across connections', () => {
  it('are atomic across two connections to one state file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-locks-'));
    const a = openState(dir).db;
    const b = openState(dir).db;
    acquireLock(a, 'db/shop', { action: 'backup', user: 'cron' });
    assert.throws(() => acquireLock(b, 'db/shop', { action: 'restore', user: 'alice' }), (e: unknown) => e instanceof LockHeldError && !e.stale);
    releaseLock(a, 'db/shop');
    acquireLock(b, 'db/shop', { action: 'restore', user: 'alice' });
  });

  it('a dead holder is stale and can be broken; a live one cannot', () => {
    const db = state();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    acquireLock(db, 't/dead', { action: 'x', user: 'u', pid: Number(dead) });
    assert.throws(() => acquireLock(db, 't/dead', { action: 'y', user: 'u' }), (e: unknown) => e instanceof LockHeldError && e.stale);
    assert.equal(listLocks(db)[0]?.stale, true);
    assert.equal(breakLock(db, 't/dead')?.pid, Number(dead));
    acquireLock(db, 't/live', { action: 'x', user: 'u' });
    assert.throws(() => breakLock(db, 't/live'), LockHeldError);
  });
});
