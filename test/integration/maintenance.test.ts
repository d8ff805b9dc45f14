// Maintenance windows against the demo stack: enter (flag → 503 + Retry-After, services stopped,
// audited), tasks in the window, exit (services back and healthy, flag gone, window recorded), a
// service that cannot start (stay in maintenance, name it; fixed → off works), an opsdeck killed
// with -9 while stopping (the next one shows the window and finishes it), twice on / twice off.
// after() puts the demo stack back as it was, flag removed, even when a test failed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, docker, inspect, opsdeck, PROJECT, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';
import type { AuditRecord } from '../../src/store/audit.js';
import type { MaintenanceWindow } from '../../src/store/maintenance.js';

const MAINT_DIR = process.env.OPSDECK_DEMO_MAINT_DIR ?? new URL('../../../test/demo/maintenance/', import.meta.url).pathname;
const FLAG = join(MAINT_DIR, 'maintenance.flag');
const PORT = process.env.OPSDECK_DEMO_PORT ?? '18080';
const FRONT = `http://127.0.0.1:${PORT}`;
const name = (service: string) => `${PROJECT}_${service}_1`;
const APP = name('app');
const WORKER = name('worker');
const DB = name('db');

interface StatusJson { active: boolean; scope?: string; reason?: string; stopped?: string[]; phase?: string; window: MaintenanceWindow | null; flag: { path: string; exists: boolean } | null }

describe('maintenance windows against the demo stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-maint-'));
  const stateDir = join(dir, 'state');
  const bad = `opsdeck-t-maint-bad-${process.pid}`;
  const slow = `opsdeck-t-maint-slow-${process.pid}`;
  const badMount = join(dir, 'bad-mount');
  const writeConfig = (file: string, stop: string[]) => {
    writeFileSync(join(dir, file), [
      'maintenance:',
      `  flagFile: ${FLAG}`,
      `  stop: [${stop.join(', ')}]`,
      'backups:',
      '  targets:',
      `    shopdb: { postgres: { container: ${DB}, database: shop, user: shop } }`,
      `    appdb: { sqlite: { container: ${APP}, path: /app/data/app.db } }`,
      '',
    ].join('\n'));
    return ['--config', join(dir, file), '--state-dir', stateDir];
  };
  const main = writeConfig('main.yaml', [APP, WORKER]);
  const badCfg = writeConfig('bad.yaml', [bad]);
  const slowCfg = writeConfig('slow.yaml', [slow]);
  const status = async (args: string[]) => {
    const res = await opsdeck(['maintenance', 'status', '--json', ...args]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as StatusJson;
  };
  const state = async (c: string) => (await inspect(c)).State;
  let initiallyRunning: string[] = [];

  before(async () => {
    initiallyRunning = [];
    for (const c of [APP, WORKER]) if ((await state(c)).Status === 'running') initiallyRunning.push(c);
    assert.equal(existsSync(FLAG), false, `no flag file at ${FLAG} before the tests`);
    mkdirSync(badMount);
    // A bind mount (--mount does not create a missing source): once its directory is gone, start fails.
    await runTestContainer(bad, ['--mount', `type=bind,src=${badMount},dst=/data`]);
    // Takes ~5 s to stop after SIGTERM: time to kill opsdeck while it waits.
    await runTestContainer(slow, [], 'busybox:1.36', ['sh', '-c', 'trap "sleep 5; exit 0" TERM; while :; do sleep 1 & wait $!; done']);
  });

  after(async () => {
    rmSync(FLAG, { force: true });
    await removeTestContainers();
    for (const c of initiallyRunning) if ((await state(c)).Status !== 'running') await docker('start', c);
    if (initiallyRunning.includes(APP)) await waitFor(`${APP} healthy again`, async () => (await state(APP)).Health?.Status === 'healthy', 30_000, 250);
    rmSync(dir, { recursive: true, force: true });
  });

  it('before: the SQLite integrity task on the app (it is stopped in this window)', async () => {
    const res = await opsdeck(['maintenance', 'run', 'integrity:appdb', '--yes', ...main]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^integrity:appdb: ok — integrity_check of \/app\/data\/app\.db in .*: ok/m);
  });

  it('on: flag with the reason, 503 + Retry-After for GET and POST, services stopped, audited, status says so; twice is harmless', async () => {
    const res = await opsdeck(['maintenance', 'on', '--reason', 'db upgrade', '--for', '30m', '--yes', ...main]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`Stops, in this order: ${WORKER}, ${APP}`));
    const flag = JSON.parse(readFileSync(FLAG, 'utf8')) as { reason: string; since: string; expectedEnd: string };
    assert.equal(flag.reason, 'db upgrade');
    assert.ok(Date.parse(flag.expectedEnd) - Date.parse(flag.since) >= 30 * 60_000 - 1000);
    for (const method of ['GET', 'POST']) {
      const r = await fetch(`${FRONT}/`, { method, ...(method === 'POST' ? { body: 'x=1' } : {}) });
      assert.equal(r.status, 503, method);
      assert.equal(r.headers.get('retry-after'), '300', method);
      await r.text();
    }
    assert.equal((await state(APP)).Status, 'exited');
    assert.equal((await state(WORKER)).Status, 'exited');
    const audit = JSON.parse((await opsdeck(['audit', '--json', ...main])).stdout) as AuditRecord[];
    const entry = audit.find((a) => a.action === 'maintenance.enter');
    assert.equal(entry?.result, 'ok');
    assert.deepEqual(entry?.params.stopped, [WORKER, APP]);
    const s = await status(main);
    assert.equal(s.active, true);
    assert.equal(s.reason, 'db upgrade');
    assert.equal(s.phase, 'on');
    assert.deepEqual(s.stopped, [WORKER, APP]);
    const full = await opsdeck(['status', '--json', ...main]);
    const snap = JSON.parse(full.stdout) as { maintenance: { active: boolean; scope: string; reason: string; by: string; since: string; plannedEnd: string; stopped: string[] } };
    assert.equal(snap.maintenance.active, true);
    assert.equal(snap.maintenance.scope, 'host');
    assert.deepEqual(snap.maintenance.stopped, [WORKER, APP]);
    assert.ok(snap.maintenance.plannedEnd && snap.maintenance.since && snap.maintenance.by);

    const again = await opsdeck(['maintenance', 'on', '--yes', ...main]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^already in maintenance since .*db upgrade/);
  });

  it('tasks in the window: VACUUM ANALYZE and REINDEX DATABASE on the demo database, recorded', async () => {
    const res = await opsdeck(['maintenance', 'run', 'vacuum:shopdb', 'reindex:shopdb', '--yes', ...main]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^vacuum:shopdb: ok — VACUUM ANALYZE of shop/m);
    assert.match(res.stdout, /^reindex:shopdb: ok — REINDEX DATABASE of shop/m);
    const s = await status(main);
    assert.deepEqual(s.window?.tasks.map((t) => `${t.task} ${t.result}`), ['vacuum:shopdb ok', 'reindex:shopdb ok']);
  });

  it('off: services back and healthy, flag gone, the front answers 200, the window recorded with a duration; twice is harmless', async () => {
    const res = await opsdeck(['maintenance', 'off', '--yes', '--timeout', '60s', ...main]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`Starts, in this order: ${APP}, ${WORKER}`));
    assert.equal((await state(APP)).Health?.Status, 'healthy');
    assert.equal((await state(WORKER)).Status, 'running');
    assert.equal(existsSync(FLAG), false);
    await waitFor('the front to answer 200', async () => (await fetch(`${FRONT}/`).then(async (r) => { await r.text(); return r.status; })) === 200, 20_000, 250);
    const history = JSON.parse((await opsdeck(['maintenance', 'history', '--json', ...main])).stdout) as MaintenanceWindow[];
    const w = history[0]!;
    assert.equal(w.phase, 'ended');
    assert.ok(w.endedAt);
    assert.ok((w.durationMs ?? 0) > 0);
    assert.deepEqual(w.tasks.map((t) => t.task), ['vacuum:shopdb', 'reindex:shopdb']);
    assert.ok(w.stopped.every((x) => x.state === 'started'));
    assert.equal((await status(main)).active, false);

    const again = await opsdeck(['maintenance', 'off', '--yes', ...main]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^not in maintenance/);
  });

  it('a service that cannot start: off exits 1 naming it, stays in maintenance with the flag; fixed, off succeeds', async () => {
    const on = await opsdeck(['maintenance', 'on', '--stop-timeout', '1s', '--yes', ...badCfg]);
    assert.equal(on.code, 0, on.stderr);
    assert.equal((await state(bad)).Status, 'exited');
    rmSync(badMount, { recursive: true });
    const off = await opsdeck(['maintenance', 'off', '--yes', '--timeout', '20s', ...badCfg]);
    assert.equal(off.code, 1);
    assert.match(off.stderr, new RegExp(`${bad} did not come back: .*still in maintenance`));
    const s = await status(badCfg);
    assert.equal(s.active, true);
    assert.match(s.window?.lastError ?? '', new RegExp(bad));
    assert.equal(existsSync(FLAG), true, 'the flag stays');

    mkdirSync(badMount);
    const retry = await opsdeck(['maintenance', 'off', '--yes', ...badCfg]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal((await state(bad)).Status, 'running');
    assert.equal(existsSync(FLAG), false);
  });

  it('opsdeck killed (-9) while stopping: the next one shows the window and what was stopped, tasks still run, off finishes', async () => {
    const child = spawn(BIN, ['maintenance', 'on', '--reason', 'killed', '--stop-timeout', '20s', '--yes', ...slowCfg], { stdio: 'ignore' });
    try {
      await waitFor('opsdeck to record the slow container as stopping', async () => {
        const s = await status(slowCfg);
        return s.window?.stopped.some((x) => x.name === slow && x.state === 'stopping');
      }, 10_000, 100);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      child.kill('SIGKILL');
    }
    const s = await status(slowCfg);
    assert.equal(s.active, true);
    assert.equal(s.phase, 'entering');
    assert.deepEqual(s.stopped, [slow]);
    const text = await opsdeck(['maintenance', 'status', ...slowCfg]);
    assert.match(text.stdout, /^maintenance: ON .*killed/m);
    assert.match(text.stdout, new RegExp(`^stopped: ${slow} \\(stopping when last seen`, 'm'));

    // The app keeps running in this window: its SQLite task runs here and is recorded.
    const task = await opsdeck(['maintenance', 'run', 'integrity:appdb', '--yes', ...slowCfg]);
    assert.equal(task.code, 0, task.stderr);

    await waitFor('Docker to finish stopping it', async () => (await state(slow)).Status === 'exited', 20_000, 250);
    const off = await opsdeck(['maintenance', 'off', '--yes', ...slowCfg]);
    assert.equal(off.code, 0, off.stderr);
    assert.equal((await state(slow)).Status, 'running');
    assert.equal(existsSync(FLAG), false);
    const audit = JSON.parse((await opsdeck(['audit', '--json', ...slowCfg])).stdout) as AuditRecord[];
    assert.ok(audit.some((a) => a.action === 'lock.break' && a.target === 'maintenance'), 'the dead process\'s lock was broken, audited');
    const [w] = JSON.parse((await opsdeck(['maintenance', 'history', '--json', ...slowCfg])).stdout) as MaintenanceWindow[];
    assert.equal(w?.phase, 'ended');
    assert.deepEqual(w?.tasks.map((t) => `${t.task} ${t.result}`), ['integrity:appdb ok']);
  });
});
