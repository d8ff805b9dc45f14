// Maintenance without Docker: the plan (selection, dependency order), the window store (one open
// window, records as they happen, history), the flag file, the maintenance check, task parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config, type ConfigInput } from '../../config/schema.js';
import { startList } from '../../actions/maintenance.js';
import { runMaintenance } from '../../src/checks/kinds/maintenance.js';
import { discoverChecks } from '../../src/checks/discover.js';
import type { CheckDef, CheckEnv } from '../../src/checks/types.js';
import { keptByDefault, parseDependsOn, plan, startOrder, type PlanContainer } from '../../src/maintenance/plan.js';
import { overdue, removeFlag, summarize, writeFlag } from '../../src/maintenance/state.js';
import { parseTask, resolveTask, TaskSpecError, taskFromConfig } from '../../src/maintenance/tasks.js';
import type { TargetDef } from '../../src/backup/types.js';
import { openState } from '../../src/store/db.js';
import {
  activeMaintenance, AlreadyInMaintenanceError, closeWindow, currentMaintenance, maintenanceCovers, maintenanceHistory, openWindow, recordStarted,
  recordStopped, recordTask, setPhase, type NewWindow,
} from '../../src/store/maintenance.js';

const config = (input: ConfigInput = {}): Config => configSchema.parse(input);
const c = (name: string, over: Partial<PlanContainer> = {}): PlanContainer => ({
  name, project: 'shop', service: name.replace(/^shop_|_1$/g, ''), image: 'shop_app', state: 'running', ...over,
});

// --- plan ----------------------------------------------------------------------------------------

test('plan: default = the scope\'s running services except databases and proxies; no deps → reverse name order', () => {
  const containers = [
    c('shop_api_1'), c('shop_worker_1'), c('shop_db_1', { image: 'postgres:16' }), c('shop_cache_1', { image: 'redis:7' }),
    c('shop_front_1', { image: 'nginx:1' }), c('shop_job_1', { state: 'exited' }), c('other_web_1', { project: 'other', service: 'web' }),
  ];
  const p = plan(containers, config(), 'shop');
  assert.deepEqual(p.stop, ['shop_worker_1', 'shop_api_1']);
  assert.deepEqual(p.start, ['shop_api_1', 'shop_worker_1']);
  assert.equal(p.flagFile, null);
  assert.equal(p.project, 'shop');
  // The whole host: other projects too.
  assert.deepEqual(plan(containers, config(), null).stop, ['shop_worker_1', 'shop_api_1', 'other_web_1']);
  assert.equal(keptByDefault('mariadb:11'), true);
  assert.equal(keptByDefault('traefik:v3'), true);
  assert.equal(keptByDefault('ghcr.io/acme/api:1'), false);
});

test('plan: compose depends_on → dependents stop first, dependencies start first', () => {
  assert.deepEqual(parseDependsOn('db:service_healthy:false,cache:service_started:true'), ['db', 'cache']);
  assert.deepEqual(parseDependsOn(undefined), []);
  const containers = [
    c('shop_a_1', { service: 'a', dependsOn: [] }),
    c('shop_front_1', { service: 'front', image: 'busybox', dependsOn: ['web'] }),
    c('shop_web_1', { service: 'web', dependsOn: ['z'] }),
    c('shop_z_1', { service: 'z' }),
  ];
  const p = plan(containers, config(), 'shop');
  assert.deepEqual(p.start, ['shop_a_1', 'shop_z_1', 'shop_web_1', 'shop_front_1']);
  assert.deepEqual(p.stop, ['shop_front_1', 'shop_web_1', 'shop_z_1', 'shop_a_1']);
  // A cycle still ends.
  assert.equal(startOrder([c('x', { service: 'x', dependsOn: ['y'] }), c('y', { service: 'y', dependsOn: ['x'] })]).length, 2);
});

test('plan: maintenance.stop by container or service name; unknown and not-running ones reported', () => {
  const cfg = config({ maintenance: { stop: ['shop_api_1', 'worker', 'ghost', 'shop_job_1'], flagFile: '/srv/m/maintenance.flag' } });
  const containers = [c('shop_api_1'), c('shop_worker_1'), c('shop_job_1', { state: 'exited' }), c('shop_db_1', { image: 'postgres:16' })];
  const p = plan(containers, cfg, 'shop');
  assert.deepEqual(p.stop, ['shop_worker_1', 'shop_api_1']);
  assert.deepEqual(p.unknown, ['ghost']);
  assert.deepEqual(p.notRunning, ['shop_job_1']);
  assert.equal(p.flagFile, '/srv/m/maintenance.flag');
});

// --- store ---------------------------------------------------------------------------------------

const newWindow = (over: Partial<NewWindow> = {}): NewWindow => ({
  project: 'shop', reason: 'db upgrade', by: 'alice', host: 'h1', since: '2026-01-01T10:00:00.000Z', plannedEnd: '2026-01-01T10:30:00.000Z',
  flagFile: '/tmp/x.flag', plannedStop: ['shop_worker_1', 'shop_api_1'], ...over,
});

test('store: one open window; records as they happen; closing keeps the history with a duration', () => {
  const { db } = openState(mkdtempSync(join(tmpdir(), 'opsdeck-maint-')));
  assert.equal(currentMaintenance(db), null);
  const w = openWindow(db, newWindow());
  assert.equal(w.phase, 'entering');
  assert.equal(w.scope, 'project:shop');
  assert.throws(() => openWindow(db, newWindow({ project: null })), (e: unknown) => e instanceof AlreadyInMaintenanceError && /already in maintenance since 2026-01-01T10:00:00.000Z/.test(e.message));

  recordStopped(db, w.id, { name: 'shop_worker_1', id: 'aaa', at: '2026-01-01T10:00:01.000Z', state: 'stopping' });
  recordStopped(db, w.id, { name: 'shop_api_1', id: 'bbb', at: '2026-01-01T10:00:02.000Z', state: 'stopping' });
  recordStopped(db, w.id, { name: 'shop_worker_1', id: 'aaa', at: '2026-01-01T10:00:03.000Z', state: 'stopped' });
  let cur = currentMaintenance(db)!;
  assert.deepEqual(cur.stopped.map((s) => `${s.name}:${s.state}`), ['shop_worker_1:stopped', 'shop_api_1:stopping'], 'order kept');
  assert.deepEqual(startList(cur).map((s) => s.name), ['shop_api_1', 'shop_worker_1']);
  assert.deepEqual(summarize(cur), {
    active: true, scope: 'project:shop', reason: 'db upgrade', by: 'alice', since: '2026-01-01T10:00:00.000Z', plannedEnd: '2026-01-01T10:30:00.000Z',
    phase: 'entering', stopped: ['shop_worker_1', 'shop_api_1'], lastError: null,
  });
  setPhase(db, w.id, 'on');
  recordTask(db, w.id, { task: 'vacuum:shop-db', result: 'ok', message: 'done', at: '2026-01-01T10:05:00.000Z', durationMs: 120 });
  recordStarted(db, w.id, 'shop_api_1', '2026-01-01T10:20:00.000Z');
  cur = activeMaintenance(db)!;
  assert.deepEqual(startList(cur).map((s) => s.name), ['shop_worker_1'], 'a started one is not started again');
  assert.equal(cur.tasks[0]?.task, 'vacuum:shop-db');
  assert.equal(maintenanceCovers(cur, { container: 'x', project: 'shop' }), true);
  assert.equal(maintenanceCovers(cur, { container: 'shop_worker_1' }), true);
  assert.equal(maintenanceCovers(cur, { container: 'elsewhere', project: 'other' }), false);
  assert.equal(maintenanceCovers(cur, {}), false);

  const closed = closeWindow(db, w.id, '2026-01-01T10:25:00.000Z');
  assert.equal(closed.durationMs, 25 * 60_000);
  assert.equal(closed.phase, 'ended');
  assert.equal(currentMaintenance(db), null);
  assert.equal(maintenanceCovers(closed, { container: 'x' }), false);
  // A new window may open now; the history has both, newest first.
  const w2 = openWindow(db, newWindow({ project: null, since: '2026-01-02T10:00:00.000Z' }));
  assert.equal(maintenanceCovers(w2, {}), true, 'a host window covers everything');
  assert.deepEqual(maintenanceHistory(db).map((h) => h.id), [w2.id, w.id]);
  db.close();
});

// --- flag file and check -------------------------------------------------------------------------

test('flag file: written atomically (no temporary left), readable JSON, mode 0644; removing twice is fine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-flag-'));
  const file = join(dir, 'sub', 'maintenance.flag');
  await writeFlag(file, { reason: 'r', since: 's', expectedEnd: null, scope: 'host', by: 'me' });
  await writeFlag(file, { reason: 'again', since: 's', expectedEnd: 'e', scope: 'host', by: 'me' });
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { reason: 'again', since: 's', expectedEnd: 'e', scope: 'host', by: 'me' });
  assert.equal(statSync(file).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['maintenance.flag']);
  assert.equal(await removeFlag(file), true);
  assert.equal(await removeFlag(file), false);
});

test('maintenance check: discovered once; ok off, ok on, warn 15 min after the planned end', async () => {
  const defs = discoverChecks([], config());
  const def = defs.find((d) => d.kind === 'maintenance') as CheckDef;
  assert.ok(def);
  assert.equal(def.name, 'maintenance');
  const { db } = openState(mkdtempSync(join(tmpdir(), 'opsdeck-maint-check-')));
  const since = Date.parse('2026-01-01T10:00:00.000Z');
  let now = since + 60_000;
  const env = { config: config(), thresholds: config().thresholds, now: () => now, maintenance: () => currentMaintenance(db) } as unknown as CheckEnv;
  assert.deepEqual([(await runMaintenance(def, env)).status, (await runMaintenance(def, env)).message], ['ok', 'not in maintenance']);
  openWindow(db, newWindow({ since: new Date(since).toISOString(), plannedEnd: new Date(since + 30 * 60_000).toISOString() }));
  let r = await runMaintenance(def, env);
  assert.equal(r.status, 'ok');
  assert.match(r.message, /^in maintenance since 2026-01-01T10:00:00.000Z \(1m, project shop: db upgrade\)$/);
  now = since + 44 * 60_000; // 14 min late: still ok
  assert.equal((await runMaintenance(def, env)).status, 'ok');
  now = since + 50 * 60_000;
  r = await runMaintenance(def, env);
  assert.equal(r.status, 'warn');
  assert.equal(r.message, 'maintenance planned to end at 2026-01-01T10:30:00.000Z — 20m ago');
  assert.equal(overdue({ ...currentMaintenance(db)!, plannedEnd: null }, now), null, 'no planned end: never overdue');
  db.close();
});

// --- tasks ---------------------------------------------------------------------------------------

test('tasks: parsing, config entries, resolution against targets and containers', () => {
  assert.deepEqual(parseTask('vacuum:shop-db'), { kind: 'vacuum', arg: 'shop-db', label: 'vacuum:shop-db' });
  assert.deepEqual(parseTask('integrity:app:/data/app.db'), { kind: 'integrity', arg: 'app:/data/app.db', label: 'integrity:app:/data/app.db' });
  assert.throws(() => parseTask('vacum:x'), /unknown task "vacum:x"/);
  assert.throws(() => parseTask('vacuum'), /needs an argument/);
  assert.throws(() => parseTask('prune:volumes'), /prune:images or prune:containers/);
  const cfg = config({ maintenance: { tasks: [{ vacuum: 'shop-db' }, { prune: 'images' }] } });
  assert.deepEqual(cfg.maintenance.tasks.map(taskFromConfig).map((t) => t.label), ['vacuum:shop-db', 'prune:images']);

  const targets: TargetDef[] = [
    { id: 'shop-db', kind: 'postgres', source: 'config', spec: { kind: 'postgres', postgres: { container: 'shop_db_1', database: 'shop', user: 'shop' } }, container: 'shop_db_1' },
    { id: 'appdb', kind: 'sqlite', source: 'config', spec: { kind: 'sqlite', sqlite: { container: 'shop_api_1', path: '/data/app.db' } }, container: 'shop_api_1' },
    { id: 'files', kind: 'files', source: 'config', spec: { kind: 'files', files: ['/etc'] } },
  ];
  const containers = [{ name: 'shop_cache_1', image: 'redis:7' }, { name: 'shop_pg_1', image: 'postgres:16' }, { name: 'shop_api_1', image: 'shop_api' }];
  const vac = resolveTask(parseTask('vacuum:shop-db'), targets, containers);
  assert.deepEqual(vac, { spec: parseTask('vacuum:shop-db'), kind: 'vacuum', engine: 'postgres', container: 'shop_db_1', database: 'shop', user: 'shop' });
  assert.equal((resolveTask(parseTask('integrity:appdb'), targets, containers) as { path?: string }).path, '/data/app.db');
  assert.equal((resolveTask(parseTask('vacuum:shop_api_1:/x.db'), targets, containers) as { engine?: string }).engine, 'sqlite');
  assert.equal((resolveTask(parseTask('bgrewriteaof:shop_cache_1'), targets, containers) as { engine?: string }).engine, 'redis');
  assert.equal((resolveTask(parseTask('reindex:shop_pg_1'), targets, containers) as { engine?: string }).engine, 'postgres');
  assert.equal(resolveTask(parseTask('backup:files'), targets, containers).kind, 'backup');
  assert.equal(resolveTask(parseTask('prune:containers'), targets, containers).kind, 'prune');
  assert.throws(() => resolveTask(parseTask('bgrewriteaof:shop-db'), targets, containers), (e: unknown) => e instanceof TaskSpecError && /does not apply to postgres/.test(e.message));
  assert.throws(() => resolveTask(parseTask('vacuum:shop_api_1'), targets, containers), /not a postgres or redis container/);
  assert.throws(() => resolveTask(parseTask('vacuum:nope'), targets, containers), /neither a backup target nor a container/);
  assert.throws(() => resolveTask(parseTask('vacuum:files'), targets, containers), /files target/);
  assert.throws(() => resolveTask(parseTask('backup:nope'), targets, containers), /no backup target "nope"/);
});
