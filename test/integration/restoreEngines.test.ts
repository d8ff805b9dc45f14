// Restore engines against real servers in containers this file starts. Every backup is made by the
// real backup engine (through the writer); the restore engines then put it back and the test checks
// what an operator would: row counts per table, the table added since the backup gone, the data
// untouched after a failed restore, keys back in Redis, integrity_check and owner/mode of a SQLite
// file, refusals with their reasons, and drills in throwaway containers that are gone afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { configTargets, fileSafeId } from '../../src/backup/discover.js';
import { ENGINES } from '../../src/backup/engines/index.js';
import type { EngineContext, EngineOutput, TargetDef } from '../../src/backup/types.js';
import { writeBackup } from '../../src/backup/writer.js';
import { createReader, type DockerReader } from '../../src/docker/client.js';
import { restoreEngineFor } from '../../src/restore/engines/index.js';
import { RestoreRefused, type RestoreContext } from '../../src/restore/types.js';
import type { StoredBackup } from '../../src/store/backups.js';
import { docker, endpoint, removeTestContainers, runTestContainer, TEST_LABEL, waitFor } from '../helpers/docker.js';

const P = `rsA-${process.pid}`;
const DEBIAN = 'opsdeck-test/debian:bookworm';
const PG_ENV = ['-e', 'POSTGRES_USER=app', '-e', 'POSTGRES_DB=app', '-e', 'POSTGRES_PASSWORD=pw'];
const PG = `${P}-pg`;
const REDIS = `${P}-redis`;
const SQ = `${P}-sqlite`;
const VOL = `${P}-vol`;

type TargetInput = NonNullable<NonNullable<ConfigInput['backups']>['targets']>[string];

function target(id: string, spec: TargetInput): TargetDef {
  return configTargets(configSchema.parse({ backups: { targets: { [id]: spec } } }))[0]!;
}

async function psql(sql: string, container = PG): Promise<string> {
  return docker('exec', container, 'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'app', '-d', 'app', '-c', sql);
}

async function redis(...args: string[]): Promise<string> {
  return docker('exec', REDIS, 'redis-cli', ...args);
}


describe('restore engines against real servers', () => {
  let reader: DockerReader;
  const out = mkdtempSync(join(tmpdir(), 'rsA-out-'));
  const scratch = mkdtempSync(join(tmpdir(), 'rsA-tmp-'));
  const sqliteDir = mkdtempSync(join(tmpdir(), 'rsA-sqlite-'));
  const log: string[] = [];

  /** Drill containers this file's drills started (from their log lines) that still exist: none may. */
  async function leftoverDrills(): Promise<string[]> {
    const names = log.map((l) => /^drill container (opsdeck-drill-\w+-[0-9a-f]{8}) /.exec(l)?.[1]).filter((n): n is string => !!n);
    assert.ok(names.length > 0, 'the drill logged its container');
    const left: string[] = [];
    for (const n of names) if (await docker('ps', '-aq', '--filter', `name=^${n}$`)) left.push(n);
    return left;
  }

  const ctx = (signal: AbortSignal = AbortSignal.timeout(120_000)): RestoreContext => ({ docker: reader, signal, tmpDir: scratch, log: (l) => log.push(l) });

  /** A real backup through the writer, as the history would record it. */
  async function backup(t: TargetDef): Promise<StoredBackup> {
    const engine = ENGINES[t.kind];
    const c: EngineContext = ctx();
    const id = `${fileSafeId(t.id)}-${Date.now()}-${Math.random().toString(16).slice(2, 6)}`;
    const startedAt = Date.now();
    const w = await writeBackup(out, id, engine.extension(t), (sink, signal) => engine.run(t, sink, { ...c, signal }), { signal: c.signal });
    const v = await engine.verify(w.file, t, c);
    assert.equal(v.ok, true, v.message);
    return {
      id, target: t.id, kind: t.kind, file: w.file, status: 'ok', startedAt, finishedAt: Date.now(), durationMs: Date.now() - startedAt,
      sizeBytes: w.sizeBytes, sha256: w.sha256, verified: true, verifiedAt: Date.now(), verifyMessage: v.message, error: null,
      details: (w.result as EngineOutput).details, opsdeckVersion: 'test', deletedAt: null,
    };
  }

  /** A copy of a backup cut to half its size: restores fail half-way through. */
  function truncated(b: StoredBackup): StoredBackup {
    const bytes = readFileSync(b.file);
    const file = join(out, `truncated-${b.id}`);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    return { ...b, id: `${b.id}-cut`, file };
  }

  const pgT = () => target('shop-db', { postgres: { container: PG, database: 'app' } });
  const redisT = () => target('cache', { redis: { container: REDIS } });

  let pgGood: StoredBackup;
  let pgGhost: StoredBackup;
  let redisGood: StoredBackup;
  const ORIGINAL = { 'public.items': 1000, 'public.notes': 2, 'extra.audit': 5 };

  before(async () => {
    reader = createReader(endpoint());
    chmodSync(sqliteDir, 0o755);
    await Promise.all([
      // Prepared transactions: a lock no pg_terminate_backend can end (to hold a restore mid-way).
      runTestContainer(PG, PG_ENV, 'postgres:15', ['postgres', '-c', 'max_prepared_transactions=2']),
      runTestContainer(REDIS, [], 'redis:7', ['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no']),
      runTestContainer(SQ, ['-v', `${sqliteDir}:/data`], DEBIAN, ['sleep', '600']),
      docker('volume', 'create', '--label', TEST_LABEL, VOL),
    ]);
    await Promise.all([
      (async () => {
        await waitFor('postgres ready', async () => {
          await docker('exec', PG, 'pg_isready', '-h', '127.0.0.1', '-U', 'app', '-d', 'app');
          return (await psql('SELECT 1')) === '1';
        }, 60_000, 300);
        await psql([
          'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL);',
          "INSERT INTO items SELECT g, 'item-' || g, g % 97 FROM generate_series(1, 1000) g;",
          "CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('first'), ('second');",
          'CREATE SCHEMA extra; CREATE TABLE extra.audit (id int); INSERT INTO extra.audit SELECT generate_series(1, 5);',
          'CREATE VIEW big_items AS SELECT * FROM items WHERE qty > 50;',
        ].join(' '));
        pgGood = await backup(pgT());
        // A backup holding a table owned by a role that is gone by the time it is restored: its
        // restore runs the DROPs and CREATEs, then fails at ALTER … OWNER TO ghost.
        await psql("CREATE ROLE ghost; CREATE TABLE ghosted (id int); ALTER TABLE ghosted OWNER TO ghost; INSERT INTO ghosted VALUES (1);");
        pgGhost = await backup(pgT());
        await psql('DROP TABLE ghosted; DROP ROLE ghost;');
      })(),
      (async () => {
        await waitFor('redis up', async () => (await redis('ping')) === 'PONG', 20_000);
        await docker('exec', REDIS, 'sh', '-c', '{ for i in $(seq 1 300); do echo "SET k:$i v$i"; done; echo "HSET user:1 name alice"; } | redis-cli >/dev/null');
        redisGood = await backup(redisT());
      })(),
    ]);
  });

  after(async () => {
    await removeTestContainers();
    await docker('volume', 'rm', '-f', VOL).catch(() => undefined);
    for (const d of [out, scratch, sqliteDir]) rmSync(d, { recursive: true, force: true });
  });

  describe('postgres', () => {
    it('round trip: deleted rows come back, the table added since is gone, other sessions are ended', async () => {
      const engine = restoreEngineFor('postgres');
      assert.deepEqual((await engine.probe(pgT(), ctx())).counts, ORIGINAL);
      await psql('DELETE FROM items WHERE id > 400; DELETE FROM extra.audit; CREATE TABLE added (x int); INSERT INTO added VALUES (1), (2); CREATE SCHEMA newer; CREATE TABLE newer.t (y int);');
      const changed = await engine.probe(pgT(), ctx());
      assert.deepEqual(changed.counts, { 'public.items': 400, 'public.notes': 2, 'extra.audit': 0, 'public.added': 2, 'newer.t': 0 });
      assert.equal(changed.message, '5 tables, 404 rows');
      // An application session that would block the DROPs.
      const holder = docker('exec', '-e', 'PGAPPNAME=rsa-app', PG, 'psql', '-X', '-U', 'app', '-d', 'app', '-c', 'BEGIN; LOCK TABLE items IN ACCESS SHARE MODE; SELECT pg_sleep(60);').catch((e: Error) => e.message);
      await waitFor('app session', async () => (await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rsa-app'")) === '1', 15_000, 100);

      const compat = await engine.compatibility(pgGood, pgT(), ctx());
      assert.match(compat.lines[0]!, /^PostgreSQL server 15\.\d+ ≥ dump's 15\.\d+ \(same major\)$/);
      assert.match(compat.lines[1]!, /1 other session\(s\) to end/);
      assert.ok(compat.currentSizeBytes !== null && compat.currentSizeBytes > 1_000_000, `size ${compat.currentSizeBytes}`);

      const progress: number[] = [];
      const summary = await engine.restore(pgGood, pgT(), { ...ctx(), onProgress: (n) => progress.push(n) });
      assert.match(summary, /^pg_restore: \d+ objects in one transaction \(1 session\(s\) ended\)$/);
      assert.equal(progress.at(-1), pgGood.sizeBytes, 'progress reached the dump size');
      assert.match(String(await holder), /terminat/i, 'the app session was ended');

      const after = await engine.probe(pgT(), ctx());
      assert.deepEqual(after.counts, ORIGINAL);
      assert.equal(after.message, '3 tables, 1,007 rows');
      assert.equal(await psql("SELECT to_regclass('public.added') IS NULL AND to_regnamespace('newer') IS NULL"), 't', 'objects made after the backup are gone');
      assert.equal(await psql('SELECT count(*) FROM big_items'), String(await psql('SELECT count(*) FROM items WHERE qty > 50')), 'the view is back');
      assert.equal(await psql("SELECT nspowner::regrole || ' ' || nspacl::text FROM pg_namespace WHERE nspname = 'public'"), 'pg_database_owner {pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}');
      assert.equal(await psql("SELECT tableowner FROM pg_tables WHERE tablename = 'items'"), 'app');
      assert.equal(await docker('exec', PG, 'sh', '-c', 'ls /tmp | grep opsdeck || true'), '', 'the dump copy was removed');
    });

    it('a restore that fails half-way leaves the database exactly as it was (SQL error, truncated archive)', async () => {
      const engine = restoreEngineFor('postgres');
      await psql('DELETE FROM items WHERE id > 900; CREATE TABLE added_later (x int); INSERT INTO added_later VALUES (7);');
      const before = await engine.probe(pgT(), ctx());
      assert.deepEqual(before.counts, { ...ORIGINAL, 'public.items': 900, 'public.added_later': 1 });

      await assert.rejects(engine.restore(pgGhost, pgT(), ctx()), (e: Error) => {
        assert.match(e.message, /^restore failed, rolled back \(nothing changed\): .*role "ghost" does not exist/);
        return true;
      });
      assert.deepEqual((await engine.probe(pgT(), ctx())).counts, before.counts);

      await assert.rejects(engine.restore(truncated(pgGood), pgT(), ctx()), /pg_restore --list failed|restore failed, rolled back/);
      assert.deepEqual((await engine.probe(pgT(), ctx())).counts, before.counts);
      assert.equal(await psql('SELECT x FROM added_later'), '7');
    });

    it('an abort mid-restore rolls back and ends the restore inside the container', async () => {
      const engine = restoreEngineFor('postgres');
      const before = await engine.probe(pgT(), ctx());
      await psql("BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE; PREPARE TRANSACTION 'rsa-hold';");
      try {
        const ac = new AbortController();
        const p = engine.restore(pgGood, pgT(), ctx(ac.signal));
        const waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opsdeck-restore' AND wait_event_type = 'Lock'";
        await waitFor('the restore waiting for the lock', async () => (await psql(waiting)) === '1', 20_000, 100);
        ac.abort(new Error('stopped by the operator'));
        await assert.rejects(p, /^Error: stopped by the operator$/);
        await waitFor('nothing of the restore left', async () => {
          const procs = await docker('exec', PG, 'sh', '-c', 'ps -eo args | grep -E "^(pg_restore|psql)" || true');
          return procs === '' && (await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opsdeck-restore'")) === '0';
        }, 15_000, 200);
      } finally {
        await psql("ROLLBACK PREPARED 'rsa-hold'");
      }
      assert.deepEqual((await engine.probe(pgT(), ctx())).counts, before.counts);
    });

    it('refuses a dump from a newer major, naming both versions, and a missing container', async () => {
      const engine = restoreEngineFor('postgres');
      const newer = { ...pgGood, details: { ...pgGood.details, serverVersion: '16.4', pgDumpVersion: '16.4' } };
      await assert.rejects(engine.compatibility(newer, pgT(), ctx()), (e: Error) => {
        assert.ok(e instanceof RestoreRefused, String(e));
        assert.match(e.message, /^the dump is from PostgreSQL 16\.4, newer than this server's PostgreSQL 15\.\d+/);
        return true;
      });
      await assert.rejects(engine.restore(newer, pgT(), ctx()), RestoreRefused);
      const gone = target('gone', { postgres: { container: `${P}-no-such`, database: 'app' } });
      await assert.rejects(engine.compatibility(pgGood, gone, ctx()), (e: Error) => e instanceof RestoreRefused && /container rsA-\d+-no-such does not exist/.test(e.message));
    });

    it('drill: the same image in a throwaway container, row counts per table, container gone', async () => {
      const r = await restoreEngineFor('postgres').drill(pgGood, pgT(), ctx());
      assert.equal(r.ok, true, r.message);
      assert.equal(r.image, 'postgres:15');
      assert.deepEqual(r.counts, ORIGINAL);
      assert.match(r.message, /^restored into opsdeck-drill-postgres-[0-9a-f]{8} \(postgres:15\): 3 tables, 1,007 rows$/);
      assert.deepEqual(await leftoverDrills(), [], 'no drill container left');
    });

    it('drill of a corrupt backup fails with the reason, and leaves no container', async () => {
      const r = await restoreEngineFor('postgres').drill(truncated(pgGood), pgT(), ctx());
      assert.equal(r.ok, false);
      assert.match(r.message, /^drill failed: pg_restore failed \(exit 1\): .+/);
      assert.deepEqual(r.counts, {});
      assert.deepEqual(await leftoverDrills(), []);
    });

    it('an aborted drill removes its container too', async () => {
      const ac = new AbortController();
      const p = restoreEngineFor('postgres').drill(pgGood, pgT(), { ...ctx(ac.signal), log: (l) => {
        log.push(l);
        if (l.startsWith('drill container ')) setTimeout(() => ac.abort(new Error('stopped by the operator')), 300);
      } });
      await assert.rejects(p, /stopped by the operator/);
      assert.deepEqual(await leftoverDrills(), []);
    });
  });

  describe('redis', () => {
    it('round trip: the container is stopped, dump.rdb replaced, started, the keys are back', async () => {
      const engine = restoreEngineFor('redis');
      await redis('FLUSHALL');
      await redis('SET', 'only-after', '1');
      assert.deepEqual((await engine.probe(redisT(), ctx())).counts, { keys: 1 });
      const compat = await engine.compatibility(redisGood, redisT(), ctx());
      assert.match(compat.lines.join('\n'), /AOF off\nRDB version \d+ \(from Redis [\d.]+\) loads in Redis [\d.]+\n1 keys now; \/data\/dump\.rdb will be replaced/);
      const startedBefore = JSON.parse(await docker('inspect', '-f', '{{json .State.StartedAt}}', REDIS)) as string;
      const summary = await engine.restore(redisGood, redisT(), ctx());
      assert.match(summary, /^dump\.rdb replaced \(.+\), PONG, 301 keys \(the backup recorded 301\)$/);
      assert.equal(await redis('DBSIZE'), '301');
      assert.equal(await redis('HGET', 'user:1', 'name'), 'alice');
      assert.equal(await redis('EXISTS', 'only-after'), '0');
      assert.notEqual(JSON.parse(await docker('inspect', '-f', '{{json .State.StartedAt}}', REDIS)), startedBefore, 'the container was restarted');
      const probe = await engine.probe(redisT(), ctx());
      assert.equal(probe.message, 'PONG, 301 keys');
    });

    it('an abort after the stop starts Redis again with its data as it was', async () => {
      await redis('SET', 'after-abort', '1');
      const ac = new AbortController();
      const p = restoreEngineFor('redis').restore(redisGood, redisT(), { ...ctx(ac.signal), log: (l) => {
        if (l.startsWith('stopping ')) ac.abort(new Error('stopped by the operator'));
      } });
      await assert.rejects(p, /stopped by the operator/);
      await waitFor('redis back', async () => (await redis('PING').catch(() => '')) === 'PONG', 20_000);
      assert.equal(await redis('DBSIZE'), '302');
      assert.equal(await redis('GET', 'after-abort'), '1');
    });

    it('refuses a server with appendonly yes, explaining why', async () => {
      await redis('CONFIG', 'SET', 'appendonly', 'yes');
      try {
        await assert.rejects(restoreEngineFor('redis').compatibility(redisGood, redisT(), ctx()), (e: Error) => {
          assert.ok(e instanceof RestoreRefused);
          assert.match(e.message, /appendonly yes: on start it loads its append-only file and ignores dump\.rdb, so the restored snapshot would not be used/);
          return true;
        });
      } finally {
        await redis('CONFIG', 'SET', 'appendonly', 'no');
      }
    });

    it('drill: the same image loads the backup, key count reported, container gone', async () => {
      const r = await restoreEngineFor('redis').drill(redisGood, redisT(), ctx());
      assert.equal(r.ok, true, r.message);
      assert.deepEqual(r.counts, { keys: 301 });
      assert.match(r.message, /^restored into opsdeck-drill-redis-[0-9a-f]{8} \(redis:7\): PONG, 301 keys \(the backup recorded 301\)$/);
      assert.deepEqual(await leftoverDrills(), []);
    });

    it('drill of a corrupt RDB fails with Redis\'s own words', async () => {
      const r = await restoreEngineFor('redis').drill(truncated(redisGood), redisT(), ctx());
      assert.equal(r.ok, false);
      assert.match(r.message, /^drill failed: Redis in opsdeck-drill-redis-[0-9a-f]{8} exited \(code 1\): .*(Short read|Unrecoverable|unexpected EOF)/i);
      assert.deepEqual(await leftoverDrills(), []);
    });
  });

  describe('sqlite', () => {
    async function sq(sql: string, path = '/data/app.db'): Promise<string> {
      return docker('exec', SQ, 'sqlite3', path, sql);
    }

    it('round trip through the host side of the mount: integrity ok, counts back, owner/mode kept, stale WAL removed', async () => {
      await sq("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<250) INSERT INTO t(v) SELECT 'v' || x FROM c; CREATE TABLE \"odd \"\"name\" (a); INSERT INTO \"odd \"\"name\" VALUES (1);");
      const file = join(sqliteDir, 'app.db');
      chownSync(file, 1234, 2345);
      chmodSync(file, 0o640);
      const t = target('notes', { sqlite: { container: SQ, path: '/data/app.db' } });
      const b = await backup(t);
      await sq('DELETE FROM t WHERE id > 10; CREATE TABLE added (x);');
      // A stale WAL of the old file (as a crashed app leaves it).
      writeFileSync(`${file}-wal`, Buffer.alloc(4096, 1));
      const engine = restoreEngineFor('sqlite');
      const compat = await engine.compatibility(b, t, ctx());
      assert.match(compat.lines[0]!, new RegExp(`replaced through the host path ${sqliteDir}/app\\.db$`));
      const summary = await engine.restore(b, t, ctx());
      assert.match(summary, /^integrity_check ok, 2 tables, 251 rows; replaced app\.db atomically \(removed stale -wal/);
      const st = statSync(file);
      assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [1234, 2345, 0o640]);
      assert.equal(existsSync(`${file}-wal`), false);
      assert.equal(await sq('SELECT count(*) FROM t'), '250');
      assert.equal(await sq("SELECT count(*) FROM sqlite_master WHERE name = 'added'"), '0');
      const probe = await engine.probe(t, ctx());
      assert.deepEqual(probe.counts, { t: 250, 'odd "name': 1 });
      assert.equal(probe.message, 'integrity_check ok, 2 tables, 251 rows');
      assert.deepEqual((await docker('exec', SQ, 'ls', '-a', '/data')).split('\n').filter((f) => f.includes('opsdeck')), [], 'no temp file left');
    });

    it('round trip inside the container (file not on a mount): owner kept, counts back', async () => {
      await docker('exec', SQ, 'sh', '-c', 'mkdir -p /srv && sqlite3 /srv/in.db "CREATE TABLE k (id); INSERT INTO k VALUES (1),(2),(3);" && chown 4321:4321 /srv/in.db && chmod 600 /srv/in.db');
      const t = target('inside', { sqlite: { container: SQ, path: '/srv/in.db' } });
      const b = await backup(t);
      await sq('DELETE FROM k', '/srv/in.db');
      const summary = await restoreEngineFor('sqlite').restore(b, t, ctx());
      assert.match(summary, /^integrity_check ok, 1 table, 3 rows; replaced \/srv\/in\.db in rsA-\d+-sqlite atomically$/);
      assert.equal(await sq('SELECT count(*) FROM k', '/srv/in.db'), '3');
      assert.equal(await docker('exec', SQ, 'stat', '-c', '%u:%g %a', '/srv/in.db'), '4321:4321 600');
    });

    it('drill: the source image\'s sqlite3 checks the restored file; a host file drills in busybox', async () => {
      const t = target('notes', { sqlite: { container: SQ, path: '/data/app.db' } });
      const b = await backup(t);
      const r = await restoreEngineFor('sqlite').drill(b, t, ctx());
      assert.equal(r.ok, true, r.message);
      assert.equal(r.image, DEBIAN);
      assert.deepEqual(r.counts, { t: 250, 'odd "name': 1 });
      assert.match(r.message, /^restored into opsdeck-drill-sqlite-[0-9a-f]{8} \(opsdeck-test\/debian:bookworm\): integrity_check ok, 2 tables, 251 rows \(checked with the image's sqlite3\)$/);

      const hostT = target('host-notes', { sqlite: { path: join(sqliteDir, 'app.db') } });
      const hb = await backup(hostT);
      const h = await restoreEngineFor('sqlite').drill(hb, hostT, ctx());
      assert.equal(h.ok, true, h.message);
      assert.equal(h.image, 'busybox:1.36');
      assert.match(h.message, /integrity_check ok, 2 tables, 251 rows \(checked with opsdeck's SQLite \(no sqlite3 in the image\)\)$/);

      const bad = await restoreEngineFor('sqlite').drill(truncated(b), t, ctx());
      assert.equal(bad.ok, false);
      assert.match(bad.message, /^drill failed: gunzip failed/);
      assert.deepEqual(await leftoverDrills(), []);
    });
  });

  describe('volume', () => {
    it('round trip through a staging dir and swap; drill counts the entries', async () => {
      await docker('run', '--rm', '--label', TEST_LABEL, '-v', `${VOL}:/x`, 'busybox:1.36', 'sh', '-c',
        'mkdir -p /x/sub && echo hello > /x/a.txt && echo deep > /x/sub/b.txt && ln -s a.txt /x/link && echo h > /x/.hidden && chown 1000:1000 /x/a.txt && chmod 751 /x');
      const t = target('vol', { volume: VOL });
      const b = await backup(t);
      await docker('run', '--rm', '--label', TEST_LABEL, '-v', `${VOL}:/x`, 'busybox:1.36', 'sh', '-c', 'rm /x/a.txt && echo new > /x/added.txt && chmod 700 /x');
      const engine = restoreEngineFor('volume');
      const summary = await engine.restore(b, t, ctx());
      assert.equal(summary, `volume ${VOL} replaced: 5 entries restored`);
      const listing = await docker('run', '--rm', '--label', TEST_LABEL, '-v', `${VOL}:/x`, 'busybox:1.36', 'sh', '-c',
        'cd /x && find . | sort && cat a.txt && stat -c "%u %a" a.txt . && readlink link');
      assert.equal(listing, ['.', './.hidden', './a.txt', './link', './sub', './sub/b.txt', 'hello', '1000 644', '0 751', 'a.txt'].join('\n'));
      const d = await engine.drill(b, t, ctx());
      assert.equal(d.ok, true, d.message);
      assert.equal(d.counts.entries, 5);
      assert.deepEqual(await leftoverDrills(), []);
    });
  });

  describe('files', () => {
    it('round trip on this host: each path swapped in with modes and owners kept; a path not in the backup left alone', async () => {
      const root = mkdtempSync(join(tmpdir(), 'rsA-files-'));
      try {
        mkdirSync(join(root, 'conf', 'sub'), { recursive: true });
        writeFileSync(join(root, 'conf', 'app.yml'), 'a: 1\n', { mode: 0o640 });
        chownSync(join(root, 'conf', 'app.yml'), 1001, 1002);
        writeFileSync(join(root, 'conf', 'sub', 'deep.txt'), 'deep\n');
        symlinkSync('app.yml', join(root, 'conf', 'current.yml'));
        chmodSync(join(root, 'conf'), 0o750);
        writeFileSync(join(root, 'single.txt'), 'one\n', { mode: 0o600 });
        const t = target('cfg', { files: [join(root, 'conf'), join(root, 'single.txt')] });
        const b = await backup(t);
        rmSync(join(root, 'conf', 'sub'), { recursive: true });
        writeFileSync(join(root, 'conf', 'added.yml'), 'x');
        writeFileSync(join(root, 'single.txt'), 'changed\n');
        chmodSync(join(root, 'conf'), 0o777);
        writeFileSync(join(root, 'later.txt'), 'later\n');
        const later = target('cfg', { files: [join(root, 'conf'), join(root, 'single.txt'), join(root, 'later.txt')] });
        const engine = restoreEngineFor('files');
        const compat = await engine.compatibility(b, later, ctx());
        assert.match(compat.lines.join('\n'), /^2 of 3 path\(s\) in the backup; .*\nnot in the backup, left as they are: .*later\.txt$/);
        assert.equal(await engine.restore(b, later, ctx()), '2 path(s) restored, 1 not in the backup (left as they are)');
        assert.deepEqual(readdirSync(join(root, 'conf')).sort(), ['app.yml', 'current.yml', 'sub']);
        assert.equal(readFileSync(join(root, 'conf', 'sub', 'deep.txt'), 'utf8'), 'deep\n');
        assert.equal(readFileSync(join(root, 'single.txt'), 'utf8'), 'one\n');
        assert.equal(readFileSync(join(root, 'later.txt'), 'utf8'), 'later\n');
        assert.equal(readlinkSync(join(root, 'conf', 'current.yml')), 'app.yml');
        const app = statSync(join(root, 'conf', 'app.yml'));
        assert.deepEqual([app.uid, app.gid, app.mode & 0o777], [1001, 1002, 0o640]);
        assert.equal(statSync(join(root, 'conf')).mode & 0o777, 0o750);
        assert.equal(statSync(join(root, 'single.txt')).mode & 0o777, 0o600);
        assert.deepEqual(readdirSync(root).filter((n) => n.startsWith('.')), [], 'no staging or aside dirs left');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });
});
