// Guided restore and drills from the command line against the real engine: a PostgreSQL database
// with an app container of the same compose project (its dependant, restart policies set), a Redis
// and a SQLite file. Happy path, a restore that fails half-way and rolls back, every preflight
// refusal (containers untouched: StartedAt and restart policies unchanged), drills with proof.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, docker, endpoint, opsdeck, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';
import type { StoredBackup } from '../../src/store/backups.js';
import type { AuditRecord } from '../../src/store/audit.js';
import type { RestoreRecord } from '../../src/store/restores.js';
import { openState } from '../../src/store/db.js';

const P = `rst${process.pid}`;
const PG = `${P}-db`;
const APP = `${P}-app`;
const REDIS = `${P}-cache`;
const AOF = `${P}-aof`;
const compose = (service: string) => ['--label', `com.docker.compose.project=${P}`, '--label', `com.docker.compose.service=${service}`];

const sql = (q: string) => docker('exec', PG, 'psql', '-U', 'shop', '-d', 'shop', '-Atqc', q);
const count = async (table: string) => Number(await sql(`SELECT count(*) FROM ${table}`));
const tables = async () => (await sql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"));

interface Snapshot { started: string; policy: string; running: boolean }
async function snapshot(name: string): Promise<Snapshot> {
  const [started, policy, running] = (await docker('inspect', '-f', '{{.State.StartedAt}}|{{.HostConfig.RestartPolicy.Name}}|{{.State.Running}}', name)).split('|');
  return { started: started!, policy: policy!, running: running === 'true' };
}

describe('restore and drill from the command line', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-restore-cli-'));
  const stateDir = join(root, 'state');
  const dir = join(root, 'backups');
  const sqlitePath = join(root, 'data', 'app.db');
  const config = join(root, 'opsdeck.yaml');
  const g = ['--config', config, '--state-dir', stateDir];
  const backup = async (target: string, cfg = g) => {
    const res = await opsdeck(['backup', target, '--json', ...cfg]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as StoredBackup;
  };
  const history = async (target: string) => JSON.parse((await opsdeck(['backups', target, '--json', ...g])).stdout) as StoredBackup[];
  const restores = async () => JSON.parse((await opsdeck(['restores', '--json', ...g])).stdout) as RestoreRecord[];
  const audit = async () => JSON.parse((await opsdeck(['audit', '--json', '-n', '500', ...g])).stdout) as AuditRecord[];
  const setRecord = (id: string, set: string, ...args: unknown[]) => {
    const { db } = openState(stateDir);
    try {
      db.prepare(`UPDATE backups SET ${set} WHERE id = ?`).run(...args, id);
    } finally {
      db.close();
    }
  };
  let b1: StoredBackup;

  before(async () => {
    mkdirSync(join(root, 'data'));
    writeFileSync(config, [
      'backups:',
      `  dir: ${dir}`,
      '  drillWithin: 7d',
      '  retention: { keepLast: 50 }',
      '  targets:',
      `    shop-db: { postgres: { container: ${PG}, database: shop, user: shop } }`,
      `    cache: { redis: { container: ${REDIS} } }`,
      `    aof-cache: { redis: { container: ${AOF} } }`,
      `    app-data: { sqlite: { path: ${sqlitePath} } }`,
      '',
    ].join('\n'));
    await Promise.all([
      runTestContainer(PG, [...compose('db'), '--restart', 'always', '-e', 'POSTGRES_USER=shop', '-e', 'POSTGRES_PASSWORD=shop', '-e', 'POSTGRES_DB=shop'], 'postgres:15', []),
      runTestContainer(APP, [...compose('app'), '--init', '--restart', 'unless-stopped', '--health-cmd', 'true', '--health-interval', '1s'], 'busybox:1.36', ['sleep', '100000']),
      runTestContainer(REDIS, [], 'redis:7', ['redis-server', '--save', '', '--appendonly', 'no']),
      runTestContainer(AOF, [], 'redis:7', ['redis-server', '--appendonly', 'yes']),
    ]);
    // The official image runs a temporary server for its init scripts, then restarts: wait for the real one.
    await waitFor('postgres to finish its init', async () => /init process complete/.test(spawnSync('/usr/bin/docker', ['logs', PG], { encoding: 'utf8' }).stdout), 60_000, 500);
    await waitFor('postgres to accept queries', async () => (await sql('select 1').catch(() => '')) === '1', 60_000, 500);
    await sql('CREATE TABLE orders (id serial PRIMARY KEY, total int); INSERT INTO orders (total) SELECT g FROM generate_series(1, 100) g;'
      + ' CREATE TABLE items (id serial PRIMARY KEY, name text); INSERT INTO items (name) SELECT md5(g::text) FROM generate_series(1, 50) g;');
    await waitFor('redis to answer', async () => (await docker('exec', REDIS, 'redis-cli', 'PING').catch(() => '')) === 'PONG', 30_000);
    await waitFor('the AOF redis to answer', async () => (await docker('exec', AOF, 'redis-cli', 'PING').catch(() => '')) === 'PONG', 30_000);
    await waitFor('the app to be healthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', APP)) === 'healthy', 30_000);
    spawnSync('sqlite3', [sqlitePath, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25) INSERT INTO notes (body) SELECT hex(randomblob(8)) FROM n;']);
    b1 = await backup('shop-db');
    assert.equal(b1.verified, true);
  });

  after(async () => {
    await removeTestContainers();
    spawnSync('umount', [join(root, 'tiny')]);
    rmSync(root, { recursive: true, force: true });
  });

  describe('preflight refusals change nothing', () => {
    let b2: StoredBackup;
    let db0: Snapshot;
    let app0: Snapshot;
    const untouched = async () => {
      assert.deepEqual(await snapshot(PG), db0, 'the database container was not touched');
      assert.deepEqual(await snapshot(APP), app0, 'the app container was not touched');
      assert.equal(await count('orders'), 100);
    };
    before(async () => {
      b2 = await backup('shop-db');
      db0 = await snapshot(PG);
      app0 = await snapshot(APP);
      assert.deepEqual([db0.policy, app0.policy, db0.running, app0.running], ['always', 'unless-stopped', true, true]);
    });

    it('several backups and none named: lists them (newest verified marked) and exits 2', async () => {
      const res = await opsdeck(['restore', 'shop-db', '--yes', ...g]);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /shop-db has 2 backups; name the one to restore/);
      assert.match(res.stderr, new RegExp(`\\* ${b2.id}`));
      assert.match(res.stderr, new RegExp(`  ${b1.id}`));
      await untouched();
    });

    it('without a terminal and without --yes: refused', async () => {
      const res = await opsdeck(['restore', 'shop-db', b1.id, ...g]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /no terminal to ask on; pass --yes/);
      await untouched();
    });

    it('a missing file', async () => {
      const moved = `${b2.file}.moved`;
      copyFileSync(b2.file, moved);
      rmSync(b2.file);
      try {
        const res = await opsdeck(['restore', 'shop-db', b2.id, '--yes', ...g]);
        assert.equal(res.code, 1);
        assert.match(res.stderr, new RegExp(`refused to restore shop-db: the backup file is missing: ${b2.file}`));
        await untouched();
      } finally {
        copyFileSync(moved, b2.file);
      }
    });

    it('a checksum mismatch (one flipped byte)', async () => {
      const original = readFileSync(b2.file);
      const bytes = Buffer.from(original);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      writeFileSync(b2.file, bytes);
      try {
        const res = await opsdeck(['restore', 'shop-db', b2.id, '--yes', ...g]);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /refused to restore shop-db: sha256 mismatch for .*: the file is [0-9a-f]{12}…, the backup recorded [0-9a-f]{12}…/);
        await untouched();
      } finally {
        writeFileSync(b2.file, original);
      }
    });

    it('a dump from a newer PostgreSQL major', async () => {
      const details = JSON.stringify({ ...b2.details, serverVersion: '99.1', pgDumpVersion: '99.1' });
      setRecord(b2.id, 'details = ?', details);
      try {
        const res = await opsdeck(['restore', 'shop-db', b2.id, '--yes', ...g]);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /refused to restore shop-db: .*99/);
        assert.match(res.stderr, /15/);
        await untouched();
      } finally {
        setRecord(b2.id, 'details = ?', JSON.stringify(b2.details));
      }
    });

    it('Redis with AOF on: explained and refused', async () => {
      const before0 = await snapshot(AOF);
      const b = await backup('aof-cache');
      const res = await opsdeck(['restore', 'aof-cache', b.id, '--yes', ...g]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /refused to restore aof-cache: .*(AOF|appendonly)/i);
      assert.deepEqual(await snapshot(AOF), before0);
    });

    it('too little space: a backups directory on a nearly full tmpfs', async () => {
      const tiny = join(root, 'tiny');
      mkdirSync(tiny);
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', tiny], { encoding: 'utf8' });
      assert.equal(m.status, 0, `cannot mount a tmpfs: ${m.stderr}`);
      const tinyConfig = join(root, 'tiny.yaml');
      writeFileSync(tinyConfig, readFileSync(config, 'utf8').replace(`dir: ${dir}`, `dir: ${tiny}`));
      const tg = ['--config', tinyConfig, '--state-dir', stateDir];
      const b = await backup('shop-db', tg);
      // Fill the rest: 2 × the backup + a safety backup cannot fit any more.
      const free = Number(spawnSync('df', ['--output=avail', '-B1', tiny], { encoding: 'utf8' }).stdout.split('\n')[1]);
      spawnSync('fallocate', ['-l', String(Math.max(0, free - 4096)), join(tiny, 'filler')]);
      const res = await opsdeck(['restore', 'shop-db', b.id, '--yes', ...tg]);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, /refused to restore shop-db: not enough free space/);
      await untouched();
      assert.ok(statSync(b.file).size > 0);
    });

    it('every refusal is in the audit log as refused', async () => {
      const refused = (await audit()).filter((a) => a.action === 'restore.run' && a.result === 'refused');
      assert.ok(refused.length >= 5, `only ${refused.length} refusals audited`);
    });
  });

  it('happy path: changed data comes back, the added table is gone, the app was restarted and is healthy, a safety backup exists', async () => {
    const app0 = await snapshot(APP);
    await sql('DELETE FROM orders WHERE id > 60; CREATE TABLE added_later (x int); INSERT INTO added_later VALUES (1);');
    assert.equal(await count('orders'), 60);

    const res = await opsdeck(['restore', 'shop-db', b1.id, '--yes', '--json', ...g]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { status: string; safetyBackup: string; steps: { id: string; status: string }[] };
    assert.equal(out.status, 'ok');
    // Every step shown, in order, done.
    for (const s of ['Pause restart policies', 'Stop dependants', 'Safety backup', 'Restore', 'Start dependants', 'Put restart policies back', 'Verify health', 'Record']) {
      assert.match(res.stderr, new RegExp(`✓ ${s} \\(`), `step ${s}:\n${res.stderr}`);
    }
    assert.equal(await count('orders'), 100);
    assert.equal(await count('items'), 50);
    assert.equal(await tables(), 'items,orders', 'the table added after the backup is gone');

    const app1 = await snapshot(APP);
    assert.notEqual(app1.started, app0.started, 'the app was stopped and started again');
    assert.equal(app1.running, true);
    assert.equal(await docker('inspect', '-f', '{{.State.Health.Status}}', APP).then(async (h) => h === 'healthy' ? h : waitFor('app healthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', APP)) === 'healthy' && 'healthy', 20_000)), 'healthy');
    assert.equal(app1.policy, 'unless-stopped', 'restart policy put back');
    assert.equal((await snapshot(PG)).policy, 'always', 'restart policy put back');

    const safety = (await history('shop-db')).find((b) => b.id === out.safetyBackup);
    assert.ok(safety, 'the safety backup is in the history');
    assert.equal(safety.status, 'ok');
    assert.equal(safety.verified, true);
    assert.equal(safety.details.safetyFor, b1.id);

    const [rec] = await restores();
    assert.equal(rec?.kind, 'restore');
    assert.equal(rec?.status, 'ok');
    assert.equal(rec?.safetyBackupId, out.safetyBackup);
    const a = (await audit()).find((x) => x.action === 'restore.run' && x.result === 'ok');
    assert.ok(a, 'audited');
    assert.equal(a.target, 'backup:shop-db');
    assert.equal(a.params.backup, b1.id);
  });

  it('a restore that fails half-way rolls back: the data is as before, everything started, the message names the step', async () => {
    // A schema whose dump cannot be restored: a domain CHECK calls a function reading another
    // table, and pg_restore loads "lines" before "skus" — a classic real-world restore failure.
    await sql(`CREATE TABLE skus (sku text PRIMARY KEY); INSERT INTO skus VALUES ('a');
      CREATE FUNCTION sku_exists(s text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM public.skus WHERE sku = s) $$;
      CREATE DOMAIN valid_sku AS text CHECK (public.sku_exists(VALUE));
      CREATE TABLE lines (id serial PRIMARY KEY, sku valid_sku); INSERT INTO lines (sku) VALUES ('a');`);
    const bad = await backup('shop-db');
    await sql('DROP TABLE lines; DROP DOMAIN valid_sku; DROP FUNCTION sku_exists; DROP TABLE skus; DELETE FROM orders WHERE id > 90;');
    assert.equal(await count('orders'), 90);

    const res = await opsdeck(['restore', 'shop-db', bad.id, '--yes', '--json', ...g]);
    assert.equal(res.code, 1, res.stdout);
    const out = JSON.parse(res.stdout) as { status: string; message: string };
    assert.equal(out.status, 'rolled-back', out.message);
    assert.match(out.message, /^restore failed at Restore: .* — rolled back to the state of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.match(res.stderr, /✓ Roll back: restore the safety backup/);
    assert.equal(await count('orders'), 90, 'the data equals the pre-restore state');
    assert.equal(await tables(), 'items,orders');
    assert.equal((await snapshot(APP)).running, true, 'the app runs again');
    assert.equal((await snapshot(APP)).policy, 'unless-stopped');
    const [rec] = await restores();
    assert.equal(rec?.status, 'rolled-back');
    assert.equal(rec?.failedStep, 'restore');
  });

  it('SQLite round trip on a host file', async () => {
    const b = await backup('app-data');
    spawnSync('sqlite3', [sqlitePath, 'DELETE FROM notes WHERE id > 5; CREATE TABLE junk (x);']);
    const res = await opsdeck(['restore', 'app-data', b.id, '--yes', ...g]);
    assert.equal(res.code, 0, res.stderr);
    const q = (s: string) => spawnSync('sqlite3', [sqlitePath, s], { encoding: 'utf8' }).stdout.trim();
    assert.equal(q('SELECT count(*) FROM notes'), '25');
    assert.equal(q("SELECT count(*) FROM sqlite_master WHERE name = 'junk'"), '0');
    assert.equal(q('PRAGMA integrity_check'), 'ok');
  });

  it('Redis round trip: the key count comes back', async () => {
    await docker('exec', REDIS, 'redis-cli', 'EVAL', "for i = 1, 40 do redis.call('SET', 'k' .. i, i) end return 1", '0');
    const b = await backup('cache');
    await docker('exec', REDIS, 'redis-cli', 'FLUSHALL');
    await docker('exec', REDIS, 'redis-cli', 'SET', 'stray', '1');
    const res = await opsdeck(['restore', 'cache', b.id, '--yes', ...g]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await docker('exec', REDIS, 'redis-cli', 'DBSIZE'), '40');
    assert.equal(await docker('exec', REDIS, 'redis-cli', 'GET', 'k7'), '7');
  });

  describe('drills', () => {
    it('a drill per kind proves and records, and the backup check sees it', async () => {
      // shop-db: b1 by id (newer ones include the unrestorable schema of the rollback test).
      for (const [target, id] of [['shop-db', b1.id], ['app-data'], ['cache']] as [string, string?][]) {
        const res = await opsdeck(['drill', target, ...(id ? [id] : []), '--json', ...g]);
        assert.equal(res.code, 0, `${target}: ${res.stderr}`);
        const out = JSON.parse(res.stdout) as { proven: boolean; message: string };
        assert.equal(out.proven, true, out.message);
      }
      const drills = (await restores()).filter((r) => r.kind === 'drill');
      assert.deepEqual(drills.map((d) => [d.target, d.status]).sort(), [['app-data', 'ok'], ['cache', 'ok'], ['shop-db', 'ok']]);
      const pgDrill = drills.find((d) => d.target === 'shop-db')!;
      assert.equal((pgDrill.details.counts as Record<string, number>)['public.orders'] ?? (pgDrill.details.counts as Record<string, number>).orders, 100);
      // No throwaway container is left.
      assert.equal(await docker('ps', '-aq', '--filter', 'label=opsdeck.drill=1'), '');
      const check = await opsdeck(['check', 'backup:shop-db', ...g]);
      assert.match(check.stdout, /restore drill .* ago/);
    });

    it('the agent\'s schedule (backups.drillEvery) drills every target that is due, recorded as the agent', async () => {
      const { DockerModel } = await import('../../src/model/dockerModel.js');
      const { startDrillSchedule } = await import('../../src/restore/schedule.js');
      const { loadConfig } = await import('../../config/load.js');
      const { config: cfg } = loadConfig({ explicit: config, env: process.env, cwd: root });
      const model = new DockerModel(endpoint(), { refreshMs: 60_000 });
      model.start();
      const { db } = openState(stateDir);
      try {
        await waitFor('the model to list containers', () => model.getSnapshot().loaded, 20_000);
        const schedule = startDrillSchedule({ db, docker: model, config: cfg, everyMs: 1, firstAfterMs: 3_600_000 });
        const drilled = await schedule.runOnce();
        schedule.stop();
        for (const t of ['app-data', 'cache']) assert.ok(drilled.includes(t), `${t} drilled: ${drilled.join(', ')}`);
        const byAgent = (await restores()).filter((r) => r.kind === 'drill' && r.byUser === 'opsdeck agent');
        assert.ok(byAgent.some((r) => r.target === 'app-data' && r.status === 'ok'));
      } finally {
        db.close();
        model.stop();
      }
    });

    it('a drill on a corrupt backup fails and marks it', async () => {
      const b = await backup('shop-db');
      // Corrupt at write time: half the file, with the record describing that half (checksum matches).
      const half = readFileSync(b.file).subarray(0, Math.floor(b.sizeBytes! / 2));
      writeFileSync(b.file, half);
      const sum = spawnSync('sha256sum', [b.file], { encoding: 'utf8' }).stdout.split(' ')[0];
      setRecord(b.id, 'sha256 = ?, size_bytes = ?', sum, half.length);
      const res = await opsdeck(['drill', 'shop-db', b.id, ...g]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /drill of shop-db failed: .* — backup .* is marked as failed verification/);
      const row = (await history('shop-db')).find((x) => x.id === b.id)!;
      assert.equal(row.verified, false);
      assert.match(row.verifyMessage ?? '', /restore drill failed/);
      assert.equal(await docker('ps', '-aq', '--filter', 'label=opsdeck.drill=1'), '');
    });
  });

  it('a restore killed with -9: the next one refuses, naming the step it died in and the safety backup; after unlock it works', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(BIN, ['restore', 'shop-db', b1.id, '--yes', ...g], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('✓ Safety backup')) { child.kill('SIGKILL'); resolve(); }
      });
      child.on('exit', () => reject(new Error(`the restore ended before it could be killed:\n${err}`)));
    });
    await new Promise((r) => child.once('exit', r));

    const refused = await opsdeck(['restore', 'shop-db', b1.id, '--yes', ...g]);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /refused to restore shop-db: the restore of .* was interrupted during "[^"]+": its process is gone/);
    assert.match(refused.stderr, /Its safety backup of the state before is shop-db-\d{8}T\d{6}Z/);
    assert.match(refused.stderr, /`opsdeck unlock backup:shop-db`/);
    const killed = (await restores()).find((r) => r.kind === 'restore' && /interrupted/.test(r.message ?? ''));
    assert.equal(killed?.status, 'failed');

    const unlock = await opsdeck(['unlock', 'backup:shop-db', ...g]);
    assert.equal(unlock.code, 0, unlock.stderr);
    // What the killed run may have left: the app stopped, restart policies paused.
    await docker('start', APP);
    await docker('update', '--restart', 'unless-stopped', APP);
    await docker('update', '--restart', 'always', PG);
    const again = await opsdeck(['restore', 'shop-db', b1.id, '--yes', ...g]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await count('orders'), 100);
  });
});
