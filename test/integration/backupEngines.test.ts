// Backup engines against real servers in containers this file starts: each backup goes through the
// writer (hash, fsync, rename), is verified by its engine, and is then proven restorable by restoring
// it for real — Postgres into a fresh database of another server (row count and checksum), Redis
// loaded by a scratch server (DBSIZE), SQLite read back under continuous writes (ids 1..N, no gap),
// volume and file archives listed by the system tar. Failures leave no partial behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { configTargets, discoverTargets, fileSafeId } from '../../src/backup/discover.js';
import { containerEnv } from '../../src/backup/engines/common.js';
import { ENGINES } from '../../src/backup/engines/index.js';
import type { EngineContext, EngineOutput, TargetDef, VerifyResult } from '../../src/backup/types.js';
import { writeBackup, type WrittenBackup } from '../../src/backup/writer.js';
import { createReader, type DockerReader } from '../../src/docker/client.js';
import { docker, endpoint, PROJECT, removeTestContainers, runTestContainer, TEST_LABEL, waitFor } from '../helpers/docker.js';

const run = promisify(execFile);
const P = `opsdeck-bkit-${process.pid}`;
const DEBIAN = 'opsdeck-test/debian:bookworm';
const RUN_LABEL = `opsdeck.test.run=${process.pid}`;
const PG_ENV = ['-e', 'POSTGRES_USER=app', '-e', 'POSTGRES_DB=app', '-e', 'POSTGRES_PASSWORD=pw'];

type TargetInput = NonNullable<NonNullable<ConfigInput['backups']>['targets']>[string];

/** A target as the config file would give it, parsed by the real schema. */
function target(id: string, spec: TargetInput): TargetDef {
  return configTargets(configSchema.parse({ backups: { targets: { [id]: spec } } }))[0]!;
}

async function psql(container: string, sql: string, db = 'app'): Promise<string> {
  return docker('exec', container, 'psql', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'app', '-d', db, '-c', sql);
}

/** Waits for the entrypoint's real server (TCP), not its socket-only init server. */
async function pgReady(container: string): Promise<void> {
  await waitFor(`${container} ready`, async () => {
    await docker('exec', container, 'pg_isready', '-h', '127.0.0.1', '-U', 'app', '-d', 'app');
    return (await psql(container, 'SELECT 1')) === '1';
  }, 60_000, 300);
}

const CHECKSUM = "SELECT count(*) || ' ' || md5(string_agg(id || ':' || name || ':' || qty || ':' || price || ':' || extract(epoch FROM created), ',' ORDER BY id)) FROM items";

describe('backup engines against real servers', () => {
  let reader: DockerReader;
  const out = mkdtempSync(join(tmpdir(), 'opsdeck-bk-out-'));
  const scratch = mkdtempSync(join(tmpdir(), 'opsdeck-bk-tmp-'));
  const sqliteDir = mkdtempSync(join(tmpdir(), 'opsdeck-bk-sqlite-'));
  const filesDir = mkdtempSync(join(tmpdir(), 'opsdeck-bk-files-'));
  const volumes = [`${P}-vola`, `${P}-volb`];

  const ctx = (signal: AbortSignal = AbortSignal.timeout(120_000)): EngineContext => ({ docker: reader, signal, tmpDir: scratch });

  /** Writer + engine + verify, and the recorded sha256 checked against sha256sum. */
  async function backup(t: TargetDef, dir = out): Promise<{ written: WrittenBackup<EngineOutput>; verified: VerifyResult; produced: number }> {
    const engine = ENGINES[t.kind];
    const c = ctx();
    let produced = 0;
    const written = await writeBackup(
      dir,
      `${fileSafeId(t.id)}-${Date.now()}`,
      engine.extension(t),
      (sink, signal) => engine.run(t, sink, { ...c, signal, onProgress: (n) => { produced = n; } }),
      { signal: c.signal },
    );
    assert.ok(written.file.endsWith(engine.extension(t)));
    const { stdout } = await run('sha256sum', [written.file]);
    assert.equal(written.sha256, stdout.split(' ')[0], 'recorded sha256 = sha256sum of the file');
    const verified = await engine.verify(written.file, t, c);
    return { written, verified, produced };
  }

  before(async () => {
    reader = createReader(endpoint());
    chmodSync(sqliteDir, 0o755);
    // A live SQLite database on a bind mount: 20,000 rows, then a writer inserting thousands a second.
    const writer = [
      'sqlite3 /data/t.db "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<20000) INSERT INTO t(v) SELECT hex(randomblob(250)) FROM c;"',
      '&& touch /data/ready && while :; do echo "INSERT INTO t(v) VALUES (hex(randomblob(250)));"; done | sqlite3 /data/t.db',
    ].join(' ');
    await Promise.all([
      runTestContainer(`${P}-pg`, PG_ENV, 'postgres:15', ['postgres']),
      runTestContainer(`${P}-pg2`, PG_ENV, 'postgres:15', ['postgres']),
      runTestContainer(`${P}-redis`, [], 'redis:7', ['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no']),
      runTestContainer(`${P}-sqlite`, ['-v', `${sqliteDir}:/data`], DEBIAN, ['sh', '-c', writer]),
      ...volumes.map((v) => docker('volume', 'create', '--label', TEST_LABEL, '--label', RUN_LABEL, v)),
    ]);
    await Promise.all([
      runTestContainer(`${P}-vola-user`, ['-v', `${volumes[0]}:/srv/data`], 'busybox:1.36', [
        'sh', '-c', 'mkdir -p /srv/data/sub && echo hello > /srv/data/a.txt && echo deep > /srv/data/sub/b.txt && ln -s a.txt /srv/data/link && touch /srv/data/.ready && sleep 600',
      ]),
      // Written by a container that is gone afterwards: nobody mounts this volume during the backup.
      docker('run', '--rm', '--label', TEST_LABEL, '--label', RUN_LABEL, '-v', `${volumes[1]}:/x`, 'busybox:1.36', 'sh', '-c', 'echo only > /x/only.txt'),
      // Postgres: 100,000 rows.
      (async () => {
        await Promise.all([pgReady(`${P}-pg`), pgReady(`${P}-pg2`)]);
        await psql(`${P}-pg`, [
          'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL, price numeric(10,2), created timestamptz);',
          "INSERT INTO items SELECT g, 'item-' || g, g % 97, (g % 1000) / 10.0, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 100000) g;",
          'CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES (\'first\'), (\'second\');',
          'ANALYZE;',
        ].join(' '));
      })(),
      // Redis: 500 strings, a hash and a list.
      (async () => {
        await waitFor('redis up', async () => (await docker('exec', `${P}-redis`, 'redis-cli', 'ping')) === 'PONG', 20_000);
        await docker('exec', `${P}-redis`, 'sh', '-c',
          '{ for i in $(seq 1 500); do echo "SET k:$i v$i"; done; echo "HSET user:1 name alice"; echo "RPUSH jobs a b c"; } | redis-cli >/dev/null');
      })(),
      waitFor('sqlite writer', async () => readdirSync(sqliteDir).includes('ready'), 30_000),
    ]);
    await waitFor('volume a populated', async () => (await docker('exec', `${P}-vola-user`, 'ls', '-a', '/srv/data')).includes('.ready'));
  });

  after(async () => {
    await removeTestContainers();
    await docker('volume', 'rm', '-f', ...volumes).catch(() => undefined);
    // The SQLite files were made by root in a container: a non-root run removes them through one.
    await docker('run', '--rm', '--label', TEST_LABEL, '-v', `${sqliteDir}:/d`, 'busybox:1.36', 'sh', '-c', 'rm -rf /d/* /d/.[!.]*').catch(() => undefined);
    for (const d of [out, scratch, sqliteDir, filesDir]) rmSync(d, { recursive: true, force: true });
  });

  describe('postgres', () => {
    it('pg_dump inside the container, verified, then restored into a fresh database elsewhere: rows and checksum match', async () => {
      const t = target('pg', { postgres: { container: `${P}-pg`, database: 'app' } });
      const estimate = await ENGINES.postgres.estimate(t, ctx());
      assert.ok(estimate !== null && estimate > 1_000_000, `estimate ${estimate}`);
      const { written, verified, produced } = await backup(t);
      assert.equal(verified.ok, true, verified.message);
      assert.match(verified.message, /^pg_restore --list: \d+ entries \(2 with table data\)$/);
      assert.equal(produced, written.sizeBytes, 'progress counted every byte of the dump');
      const d = written.result.details;
      assert.equal(d.database, 'app');
      assert.equal(d.serverVersion, d.pgDumpVersion);
      assert.match(String(d.serverVersion), /^15\./);
      assert.equal(d.image, 'postgres:15');
      assert.deepEqual(JSON.parse(String(d.rowEstimates)), { items: 100000, notes: 2 });

      const before = await psql(`${P}-pg`, CHECKSUM);
      assert.match(before, /^100000 [0-9a-f]{32}$/);
      await docker('cp', written.file, `${P}-pg2:/tmp/restore.dump`);
      await docker('exec', `${P}-pg2`, 'createdb', '-U', 'app', 'restored');
      await docker('exec', `${P}-pg2`, 'pg_restore', '-U', 'app', '-d', 'restored', '--no-owner', '--exit-on-error', '/tmp/restore.dump');
      assert.equal(await psql(`${P}-pg2`, CHECKSUM, 'restored'), before);
      assert.equal(await psql(`${P}-pg2`, 'SELECT string_agg(body, \',\' ORDER BY id) FROM notes', 'restored'), 'first,second');
    });

    it('this host\'s pg_dump over the network (container name as host, password): verified with the host\'s pg_restore', async () => {
      const t = target('pg-net', { postgres: { host: `${P}-pg`, user: 'app', password: 'pw', database: 'app' } });
      const { written, verified } = await backup(t);
      assert.equal(verified.ok, true, verified.message);
      assert.match(verified.message, /\(2 with table data\)$/);
      assert.match(String(written.result.details.where), new RegExp(`^${P}-pg:5432$`));
      assert.match(String(written.result.details.pgDumpVersion), /^15\./);
    });

    it('refuses a host pg_dump older than the server, saying why', async () => {
      const bin = mkdtempSync(join(tmpdir(), 'opsdeck-bk-bin-'));
      writeFileSync(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 13.9"\n', { mode: 0o755 });
      const path = process.env.PATH;
      process.env.PATH = `${bin}:${path ?? ''}`;
      try {
        const t = target('pg-old', { postgres: { host: `${P}-pg`, user: 'app', password: 'pw', database: 'app' } });
        await assert.rejects(backup(t, join(out, 'pg-old')), /refusing: this host's pg_dump is 13\.9, older than the server \(15\.\d+\)/);
        assert.deepEqual(readdirSync(join(out, 'pg-old')), []);
      } finally {
        process.env.PATH = path;
        rmSync(bin, { recursive: true, force: true });
      }
    });

    it('a failing pg_dump (no such database) fails with pg_dump\'s own words and leaves no partial', async () => {
      const dir = join(out, 'failing');
      const t = target('pg-bad', { postgres: { container: `${P}-pg`, database: 'nope' } });
      await assert.rejects(backup(t, dir), /^Error: pg_dump failed \(exit 1\): pg_dump: error: .*database "nope" does not exist/);
      assert.deepEqual(readdirSync(dir), []);
    });

    it('an abort mid-dump ends the pg_dump inside the container (the Engine API alone would leave it running)', async () => {
      const pg = `${P}-pg`;
      // Another session holds a lock pg_dump needs: the dump waits inside the server until it is killed.
      const locker = docker('exec', '-e', 'PGAPPNAME=bk-locker', pg, 'psql', '-X', '-U', 'app', '-d', 'app', '-c',
        'BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);').catch(() => undefined);
      const sessions = (app: string, extra = '') => psql(pg, `SELECT count(*) FROM pg_stat_activity WHERE application_name = '${app}'${extra}`);
      try {
        await waitFor('the lock', async () => (await sessions('bk-locker')) === '1', 15_000, 100);
        const ac = new AbortController();
        const sink = new Writable({ write(_chunk, _enc, cb) { cb(); } });
        const p = ENGINES.postgres.run(target('pg', { postgres: { container: pg, database: 'app' } }), sink, ctx(ac.signal));
        await waitFor('pg_dump waiting for the lock', async () => (await sessions('opsdeck-backup', " AND wait_event_type = 'Lock'")) === '1', 20_000, 100);
        ac.abort(new Error('stop'));
        await assert.rejects(p, /stop/);
        await waitFor('no pg_dump left', async () => {
          const procs = await docker('exec', pg, 'sh', '-c', 'ps -eo args | grep "^pg_dump" || true');
          return procs === '' && (await sessions('opsdeck-backup')) === '0';
        }, 15_000, 200);
      } finally {
        await psql(pg, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'bk-locker'");
        await locker;
      }
    });
  });

  describe('sqlite under continuous writes', () => {
    /** The backup, gunzipped and opened: ids must be exactly 1..N. */
    function assertConsistent(file: string): number {
      const plain = join(scratch, `check-${Date.now()}.db`);
      writeFileSync(plain, gunzipSync(readFileSync(file)));
      const db = new Database(plain, { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const r = db.prepare('SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM t').get() as { n: number; lo: number; hi: number };
        assert.equal(r.lo, 1);
        assert.equal(r.hi, r.n, `ids 1..${r.hi} with ${r.n} rows: a gap means an inconsistent copy`);
        assert.ok(r.n > 20_000, `${r.n} rows`);
        return r.n;
      } finally {
        db.close();
        rmSync(plain, { force: true });
      }
    }

    it('in the container (sqlite3 .backup): integrity ok, ids a consistent prefix', async () => {
      const { written, verified } = await backup(target('sq', { sqlite: { container: `${P}-sqlite`, path: '/data/t.db' } }));
      assert.equal(verified.ok, true, verified.message);
      assert.equal(verified.message, 'integrity_check ok (1 tables)');
      assert.equal(written.result.details.method, 'sqlite3 .backup in the container');
      const n = assertConsistent(written.file);
      // The writer is still going: the source has more rows by now.
      await waitFor('more rows', async () => Number(await docker('exec', `${P}-sqlite`, 'sqlite3', '/data/t.db', 'SELECT max(id) FROM t')) > n);
      assert.deepEqual((await docker('exec', `${P}-sqlite`, 'ls', '/tmp')).split('\n').filter((f) => f.startsWith('opsdeck')), [], 'temp copy removed');
    });

    it('on this host (online backup API) while the container writes', async () => {
      const { written, verified } = await backup(target('sq-host', { sqlite: { path: join(sqliteDir, 't.db') } }));
      assert.equal(verified.ok, true, verified.message);
      assert.equal(written.result.details.method, 'online backup API');
      assertConsistent(written.file);
    });

    it('a container without sqlite3: through the host side of its mount', async () => {
      await runTestContainer(`${P}-nosqlite`, ['-v', `${sqliteDir}:/data`], 'busybox:1.36');
      const { written, verified } = await backup(target('sq-busybox', { sqlite: { container: `${P}-nosqlite`, path: '/data/t.db' } }));
      assert.equal(verified.ok, true, verified.message);
      assert.equal(written.result.details.method, 'online backup API through the host side of the mount');
      assertConsistent(written.file);
    });

    it('a missing database file is refused by name', async () => {
      const dir = join(out, 'sq-missing');
      await assert.rejects(backup(target('sq-missing', { sqlite: { container: `${P}-sqlite`, path: '/data/nope.db' } }), dir), /no such file in container .*: \/data\/nope\.db/);
      assert.deepEqual(readdirSync(dir), []);
      assert.equal((await docker('exec', `${P}-sqlite`, 'ls', '/data')).includes('nope.db'), false, 'sqlite3 did not create it');
    });
  });

  describe('redis', () => {
    it('BGSAVE snapshot, redis-check-rdb ok, and a scratch server loads the same number of keys', async () => {
      const keys = Number(await docker('exec', `${P}-redis`, 'redis-cli', 'DBSIZE'));
      assert.equal(keys, 502);
      const { written, verified } = await backup(target('cache', { redis: { container: `${P}-redis` } }));
      assert.equal(verified.ok, true, verified.message);
      assert.equal(verified.message, 'redis-check-rdb: RDB looks OK, 502 keys read');
      const d = written.result.details;
      assert.equal(d.keys, 502);
      assert.equal(d.aofEnabled, false);
      assert.equal(d.rdbFile, '/data/dump.rdb');
      assert.match(String(d.redisVersion), /^\d+\.\d+/);

      const scratchRedis = `${P}-redis-scratch`;
      await docker('create', '--name', scratchRedis, '--label', TEST_LABEL, '--label', RUN_LABEL, 'redis:7', 'redis-server', '--dir', '/data', '--dbfilename', 'dump.rdb', '--save', '');
      await docker('cp', written.file, `${scratchRedis}:/data/dump.rdb`);
      await docker('start', scratchRedis);
      const loaded = await waitFor('scratch redis loaded', async () => {
        const n = await docker('exec', scratchRedis, 'redis-cli', 'DBSIZE');
        return /^\d+$/.test(n) && Number(n) > 0 ? Number(n) : null;
      }, 20_000);
      assert.equal(loaded, keys);
      assert.equal(await docker('exec', scratchRedis, 'redis-cli', 'HGET', 'user:1', 'name'), 'alice');
    });

    it('a damaged RDB fails verification', async () => {
      const { written } = await backup(target('cache', { redis: { container: `${P}-redis` } }));
      const bytes = readFileSync(written.file);
      const damaged = join(out, 'damaged.rdb');
      writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
      const v = await ENGINES.redis.verify(damaged, target('cache', { redis: { container: `${P}-redis` } }), ctx());
      assert.equal(v.ok, false);
      assert.match(v.message, /^redis-check-rdb: /);
    });
  });

  describe('volume', () => {
    it('through the container that mounts it: the tar lists the volume\'s own paths', async () => {
      const { written, verified } = await backup(target('vola', { volume: volumes[0]! }));
      assert.equal(verified.ok, true, verified.message);
      assert.equal(written.result.details.via, `container ${P}-vola-user`);
      assert.equal(written.result.details.mountpoint, '/srv/data');
      const { stdout } = await run('tar', ['-tzvf', written.file]);
      const names = stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(5).join(' '));
      for (const want of ['./', './a.txt', './sub/', './sub/b.txt', './link -> a.txt', './.ready']) assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
      assert.match(verified.message, /^tar: 6 entries/);
    });

    it('nobody mounts it: a created (never started) helper container, removed afterwards', async () => {
      const { written, verified } = await backup(target('volb', { volume: volumes[1]! }));
      assert.equal(verified.ok, true, verified.message);
      assert.equal(written.result.details.via, 'helper container (created, never started)');
      const { stdout } = await run('tar', ['-xzOf', written.file, './only.txt']);
      assert.equal(stdout, 'only\n');
      assert.equal(await docker('ps', '-aq', '--filter', 'label=opsdeck.helper', '--filter', `volume=${volumes[1]}`), '');
      assert.equal(await docker('volume', 'inspect', '-f', '{{.Name}}', volumes[1]!), volumes[1]);
    });

    it('a volume that does not exist is refused by name', async () => {
      await assert.rejects(backup(target('nov', { volume: `${P}-no-such-volume` }), join(out, 'nov')), new RegExp(`no volume ${P}-no-such-volume`));
      assert.deepEqual(readdirSync(join(out, 'nov')), []);
    });
  });

  describe('files', () => {
    it('a tar.gz of the listed paths, relative to /, verified by listing', async () => {
      mkdirSync(join(filesDir, 'conf', 'sub'), { recursive: true });
      writeFileSync(join(filesDir, 'conf', 'app.yml'), 'a: 1\n');
      writeFileSync(join(filesDir, 'conf', 'sub', 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
      symlinkSync('app.yml', join(filesDir, 'conf', 'current.yml'));
      writeFileSync(join(filesDir, 'single.txt'), 'one\n');
      const t = target('files', { files: [join(filesDir, 'conf'), join(filesDir, 'single.txt')] });
      assert.equal(await ENGINES.files.estimate(t, ctx()), 5 + 3 * 1024 * 1024 + 4);
      const { written, verified } = await backup(t);
      assert.equal(verified.ok, true, verified.message);
      const rel = filesDir.slice(1);
      const { stdout } = await run('tar', ['-tzf', written.file]);
      const names = stdout.split('\n').filter(Boolean).sort();
      assert.deepEqual(names, [`${rel}/conf/`, `${rel}/conf/app.yml`, `${rel}/conf/current.yml`, `${rel}/conf/sub/`, `${rel}/conf/sub/big.bin`, `${rel}/single.txt`]);
      assert.equal(verified.message, `tar: 6 entries, ${3 * 1024 * 1024 + 5 + 4} bytes of file data`);
      assert.equal(written.result.details.entries, 6);
      assert.ok(written.sizeBytes < 100_000, 'compressed');
    });

    it('a listed path that does not exist is refused by name before anything is written', async () => {
      const missing = join(filesDir, 'nope');
      const t = target('files-bad', { files: [join(filesDir, 'single.txt'), missing] });
      await assert.rejects(ENGINES.files.estimate(t, ctx()), new RegExp(`no such file or directory: ${missing}`));
      await assert.rejects(backup(t, join(out, 'files-bad')), new RegExp(`no such file or directory: ${missing}`));
      assert.deepEqual(readdirSync(join(out, 'files-bad')), []);
    });
  });

  describe('discovery on the demo stack', () => {
    it('finds the demo database and cache with settings from their environment', async () => {
      const containers = (await reader.listContainers()).filter((c) => c.project === PROJECT);
      const targets = await discoverTargets(containers, configSchema.parse({}), (name) => containerEnv(reader, name));
      const byId = new Map(targets.map((t) => [t.id, t]));
      assert.deepEqual(byId.get(`${PROJECT}/db`)?.spec, { kind: 'postgres', postgres: { container: `${PROJECT}_db_1`, database: 'shop', user: 'shop' } });
      assert.deepEqual(byId.get(`${PROJECT}/cache`)?.spec, { kind: 'redis', redis: { container: `${PROJECT}_cache_1` } });
      assert.equal(byId.has(`${PROJECT}/cache-seed`), false, 'a one-shot job that exited is no database');
      assert.equal([...byId.values()].filter((t) => t.source === 'discovered' && t.container?.startsWith(PROJECT)).length, 2);
    });

    it('the demo database backs up and verifies', async () => {
      const { written, verified } = await backup(target('shop', { postgres: { container: `${PROJECT}_db_1`, database: 'shop', user: 'shop' } }));
      assert.equal(verified.ok, true, verified.message);
      assert.match(String(written.result.details.rowEstimates), /"orders":1000/);
    });
  });

});
