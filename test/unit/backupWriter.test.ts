// The backup writer (hash and size while streaming, fsync + atomic rename, no partial left behind on
// error, abort or a full disk; stale partial cleanup; free space), target discovery, and the engines'
// pure helpers (output parsers, credentials, mount lookup).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configSchema } from '../../config/schema.js';
import { databaseKind, discoverTargets, fileSafeId } from '../../src/backup/discover.js';
import { countListEntries, pgMajor, toolVersion } from '../../src/backup/engines/postgres.js';
import { checkRdbResult, keyCount, parseInfo } from '../../src/backup/engines/redis.js';
import { credentials } from '../../src/backup/engines/mysql.js';
import { hostPathOf } from '../../src/backup/engines/sqlite.js';
import { stderrSummary } from '../../src/backup/engines/common.js';
import { findPartials, freeBytes, removeStalePartials, writeBackup } from '../../src/backup/writer.js';
import type { ContainerInfo } from '../../src/docker/containers.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'opsdeck-writer-'));
}

const mode = (p: string) => statSync(p).mode & 0o777;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes `chunks` into the sink, honouring backpressure, as an engine would. */
async function writeChunks(sink: Writable, chunks: Buffer[], opts: { end?: boolean; pauseMs?: number } = {}): Promise<void> {
  for (const c of chunks) {
    if (!sink.write(c)) await new Promise<void>((resolve, reject) => {
      sink.once('drain', resolve);
      sink.once('error', reject);
      sink.once('close', () => reject(new Error('closed')));
    });
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  if (opts.end) sink.end();
}

describe('writeBackup', () => {
  it('writes the file atomically with the sha256 and size of its bytes, 0600 in a new 0700 directory', async () => {
    const root = tempDir();
    try {
      const dir = join(root, 'a', 'b');
      // 8 MiB in uneven chunks: far past every high-water mark, so backpressure is exercised.
      const chunks = Array.from({ length: 64 }, (_, i) => randomBytes(100_000 + i * 2_000));
      const all = Buffer.concat(chunks);
      let lastWritten = 0;
      const out = await writeBackup(dir, 'shop-db-20261123T140000Z', '.dump', async (sink) => {
        await writeChunks(sink, chunks);
        return { details: { n: 1 } };
      }, { signal: new AbortController().signal, onWritten: (n) => { lastWritten = n; } });
      assert.equal(out.file, join(dir, 'shop-db-20261123T140000Z.dump'));
      assert.equal(out.sizeBytes, all.length);
      assert.equal(lastWritten, all.length);
      assert.equal(out.sha256, sha256(all));
      assert.deepEqual(out.result, { details: { n: 1 } });
      const onDisk = readFileSync(out.file);
      assert.equal(onDisk.length, out.sizeBytes);
      assert.equal(sha256(onDisk), out.sha256);
      assert.equal(mode(out.file), 0o600);
      assert.equal(mode(dir), 0o700);
      assert.deepEqual(readdirSync(dir), ['shop-db-20261123T140000Z.dump']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('accepts a producer that ends the sink itself, and an empty extension', async () => {
    const root = tempDir();
    try {
      const out = await writeBackup(root, 'x', '', async (sink) => {
        await writeChunks(sink, [Buffer.from('hello '), Buffer.from('world')], { end: true });
        return 42;
      }, { signal: new AbortController().signal });
      assert.equal(readFileSync(out.file, 'utf8'), 'hello world');
      assert.equal(out.sha256, sha256(Buffer.from('hello world')));
      assert.equal(out.result, 42);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('an abort mid-stream rejects with the reason and leaves nothing behind', async () => {
    const root = tempDir();
    try {
      const ac = new AbortController();
      let producerSignal: AbortSignal | undefined;
      const p = writeBackup(root, 'slow', '.rdb', async (sink, signal) => {
        producerSignal = signal;
        for (let i = 0; i < 1000; i++) {
          if (signal.aborted) throw signal.reason;
          await writeChunks(sink, [randomBytes(10_000)], { pauseMs: 5 });
          if (i === 10) ac.abort(new Error('cancelled by the operator'));
        }
        return null;
      }, { signal: ac.signal });
      await assert.rejects(p, /cancelled by the operator/);
      assert.equal(producerSignal?.aborted, true, 'the producer was told to stop');
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('an already aborted signal writes nothing', async () => {
    const root = tempDir();
    try {
      const ac = new AbortController();
      ac.abort(new Error('too late'));
      await assert.rejects(writeBackup(join(root, 'd'), 'x', '.rdb', async () => null, { signal: ac.signal }), /too late/);
      assert.equal(existsSync(join(root, 'd')), false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a full disk surfaces as "disk full while writing <file>", stops the producer and removes the partial', async () => {
    const root = tempDir();
    try {
      let accepted = 0;
      // A file stream that takes 1 MiB, then fails the way write(2) does on a full filesystem.
      const wrap = (file: Writable) =>
        new Writable({
          write(chunk: Buffer, enc, cb) {
            if (accepted + chunk.length > 1024 * 1024) {
              cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
              return;
            }
            accepted += chunk.length;
            file.write(chunk, enc, cb);
          },
          final(cb) {
            file.end(cb);
          },
        });
      let producerStopped = false;
      const p = writeBackup(root, 'big', '.tar.gz', async (sink, signal) => {
        for (let i = 0; i < 500; i++) {
          if (signal.aborted) {
            producerStopped = true;
            throw new Error('stopped');
          }
          await writeChunks(sink, [randomBytes(64 * 1024)]);
        }
        return null;
      }, { signal: new AbortController().signal, wrapFileStream: wrap });
      await assert.rejects(p, (e: Error & { code?: string }) => {
        assert.match(e.message, new RegExp(`^disk full while writing ${join(root, 'big.tar.gz').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOSPC`));
        assert.equal(e.code, 'ENOSPC');
        return true;
      });
      assert.equal(producerStopped, true);
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a producer that fails (pg_dump exit 1) removes the partial and rethrows its error', async () => {
    const root = tempDir();
    try {
      await assert.rejects(
        writeBackup(root, 'db', '.dump', async (sink) => {
          sink.write(Buffer.from('PGDMP half a dump'));
          throw new Error('pg_dump failed (exit 1): pg_dump: error: database "nope" does not exist');
        }, { signal: new AbortController().signal }),
        /pg_dump failed \(exit 1\): pg_dump: error: database "nope" does not exist/,
      );
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses to overwrite an existing backup, and ids that are not file-safe', async () => {
    const root = tempDir();
    try {
      writeFileSync(join(root, 'same.dump'), 'old');
      await assert.rejects(writeBackup(root, 'same', '.dump', async () => null, { signal: new AbortController().signal }), /already exists/);
      assert.equal(readFileSync(join(root, 'same.dump'), 'utf8'), 'old');
      await assert.rejects(writeBackup(root, 'demo/db-1', '.dump', async () => null, { signal: new AbortController().signal }), /unsafe backup id/);
      await assert.rejects(writeBackup(root, '../x', '.dump', async () => null, { signal: new AbortController().signal }), /unsafe backup id/);
      await assert.rejects(writeBackup(root, 'x', '/../y', async () => null, { signal: new AbortController().signal }), /unsafe backup file extension/);
      assert.deepEqual(readdirSync(root), ['same.dump']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('partials and free space', () => {
  it('findPartials lists .partial files; removeStalePartials removes the unlocked ones and says which', async () => {
    const root = tempDir();
    try {
      writeFileSync(join(root, 'a-1.dump.partial'), 'xx');
      writeFileSync(join(root, 'b-1.rdb.partial'), 'yyy');
      writeFileSync(join(root, 'c-1.dump'), 'done');
      const found = await findPartials(root);
      assert.deepEqual(found.map((p) => [p.file, p.sizeBytes]), [[join(root, 'a-1.dump.partial'), 2], [join(root, 'b-1.rdb.partial'), 3]]);
      const removed = await removeStalePartials(root, (f) => f.endsWith('b-1.rdb.partial'));
      assert.deepEqual(removed.map((p) => p.file), [join(root, 'a-1.dump.partial')]);
      assert.deepEqual(readdirSync(root).sort(), ['b-1.rdb.partial', 'c-1.dump']);
      assert.deepEqual(await removeStalePartials(join(root, 'missing')), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('freeBytes measures a directory that does not exist yet at its nearest parent', async () => {
    const root = tempDir();
    try {
      const here = await freeBytes(root);
      const deeper = await freeBytes(join(root, 'not', 'yet'));
      assert.ok(here > 0);
      assert.ok(Math.abs(here - deeper) < 64 * 1024 * 1024, `${here} vs ${deeper}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function container(over: Partial<ContainerInfo> & Pick<ContainerInfo, 'name' | 'image'>): ContainerInfo {
  return {
    id: `${over.name}-id`.padEnd(64, '0'),
    project: null,
    service: null,
    state: 'running',
    status: 'Up',
    health: 'none',
    restartCount: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    oomKilled: false,
    memLimit: null,
    createdAt: '2026-11-23T00:00:00Z',
    inspected: false,
    ...over,
  };
}

describe('discoverTargets', () => {
  it('configured targets first, then running databases not covered, ids project/service or the name', async () => {
    const config = configSchema.parse({
      backups: { targets: { 'shop-db': { postgres: { container: 'demo_db_1', database: 'shop' } }, uploads: { volume: 'uploads' } } },
    });
    const containers = [
      container({ name: 'demo_db_1', image: 'postgres:15', project: 'demo', service: 'db' }),
      container({ name: 'demo_cache_1', image: 'redis:7', project: 'demo', service: 'cache' }),
      container({ name: 'legacy-mysql', image: 'mysql:8.0' }),
      container({ name: 'demo_maria_1', image: 'mariadb:11', project: 'demo', service: 'maria' }),
      container({ name: 'stopped-pg', image: 'postgres:16', state: 'exited' }),
      container({ name: 'pg-exporter', image: 'prometheuscommunity/postgres-exporter' }),
      container({ name: 'demo_web_1', image: 'nginx:1', project: 'demo', service: 'web' }),
      container({ name: 'reports-pg', image: 'docker.io/library/postgres:16-alpine' }),
    ];
    const envs: Record<string, Record<string, string>> = {
      'legacy-mysql': { MYSQL_DATABASE: 'legacy', MYSQL_ROOT_PASSWORD: 'secret' },
      'demo_maria_1': { MARIADB_DATABASE: 'wiki' },
      'reports-pg': { POSTGRES_USER: 'rep', POSTGRES_PASSWORD: 'pw' },
    };
    const targets = await discoverTargets(containers, config, async (name) => {
      if (name === 'demo_cache_1') throw new Error('inspect failed');
      return envs[name] ?? {};
    });
    assert.deepEqual(targets.map((t) => [t.id, t.kind, t.source, t.container ?? null]), [
      ['shop-db', 'postgres', 'config', 'demo_db_1'],
      ['uploads', 'volume', 'config', null],
      ['demo/cache', 'redis', 'discovered', 'demo_cache_1'],
      ['demo/maria', 'mysql', 'discovered', 'demo_maria_1'],
      ['legacy-mysql', 'mysql', 'discovered', 'legacy-mysql'],
      ['reports-pg', 'postgres', 'discovered', 'reports-pg'],
    ]);
    const byId = new Map(targets.map((t) => [t.id, t]));
    assert.deepEqual(byId.get('reports-pg')!.spec, { kind: 'postgres', postgres: { container: 'reports-pg', database: 'rep', user: 'rep' } });
    assert.deepEqual(byId.get('legacy-mysql')!.spec, { kind: 'mysql', mysql: { container: 'legacy-mysql', database: 'legacy' } });
    assert.deepEqual(byId.get('demo/maria')!.spec, { kind: 'mysql', mysql: { container: 'demo_maria_1', database: 'wiki' } });
    assert.deepEqual(byId.get('demo/cache')!.spec, { kind: 'redis', redis: { container: 'demo_cache_1' } });
    assert.ok(!JSON.stringify(targets).includes('secret'), 'passwords are not copied into specs');
  });

  it('without envOf the defaults apply; a file-name collision falls back to the container name', async () => {
    const config = configSchema.parse({ backups: { targets: { demo_db: { files: ['/etc/hostname'] } } } });
    const targets = await discoverTargets([container({ name: 'demo_db_1', image: 'postgres:15', project: 'demo', service: 'db' })], config);
    assert.deepEqual(targets.map((t) => t.id), ['demo_db', 'demo_db_1']);
    assert.deepEqual(targets[1]!.spec, { kind: 'postgres', postgres: { container: 'demo_db_1', database: 'postgres' } });
  });

  it('a configured target naming the container by id covers it', async () => {
    const c = container({ name: 'demo_db_1', image: 'postgres:15', project: 'demo', service: 'db' });
    const config = configSchema.parse({ backups: { targets: { db: { postgres: { container: c.id.slice(0, 12), database: 'shop' } } } } });
    assert.deepEqual((await discoverTargets([c], config)).map((t) => t.id), ['db']);
  });

  it('fileSafeId and databaseKind', () => {
    assert.equal(fileSafeId('demo/db'), 'demo_db');
    assert.equal(fileSafeId('shop-db'), 'shop-db');
    assert.equal(fileSafeId('a b/c:d'), 'a_b_c_d');
    assert.equal(fileSafeId('.hidden'), '_.hidden');
    assert.equal(databaseKind('bitnami/postgresql:16'), 'postgres');
    assert.equal(databaseKind('redis/redis-stack:7'), 'redis');
    assert.equal(databaseKind('mariadb:11'), 'mysql');
    assert.equal(databaseKind('oliver006/redis_exporter'), undefined);
    assert.equal(databaseKind('dpage/pgadmin4'), undefined);
    assert.equal(databaseKind('nginx:1'), undefined);
  });
});

describe('engine helpers', () => {
  it('postgres: versions and pg_restore --list entries', () => {
    assert.equal(toolVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), '15.18');
    assert.equal(pgMajor('15.18'), 15);
    assert.equal(pgMajor('16.2 (Debian 16.2-1.pgdg120+2)'), 16);
    assert.equal(pgMajor('9.6.24'), 9.6);
    const list = [
      ';',
      '; Archive created at 2026-11-23 14:00:00 UTC',
      ';     dbname: shop',
      ';',
      '215; 1259 16385 TABLE public orders shop',
      '216; 1259 16384 SEQUENCE public orders_id_seq shop',
      '3340; 0 16385 TABLE DATA public orders shop',
      '',
    ].join('\n');
    assert.deepEqual(countListEntries(list), { entries: 3, tableData: 1 });
  });

  it('redis: INFO parsing, key count over databases, redis-check-rdb output', () => {
    const info = parseInfo('# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=100,expires=0,avg_ttl=0\r\ndb3:keys=2,expires=1,avg_ttl=5\r\n');
    assert.equal(info.get('redis_version'), '7.0.15');
    assert.equal(keyCount(info), 102);
    const ok = checkRdbResult({ exitCode: 0, stderr: '', stdout: "[offset 0] Checking RDB file dump.rdb\n[info] 102 keys read\n[info] 0 expires\n[offset 1877] \\o/ RDB looks OK! \\o/\n" });
    assert.deepEqual(ok, { ok: true, message: 'redis-check-rdb: RDB looks OK, 102 keys read' });
    const bad = checkRdbResult({ exitCode: 1, stderr: '', stdout: "--- RDB ERROR DETECTED ---\n[offset 1200] Unexpected EOF reading RDB file\n[additional info] Reading key 'k:9'\n" });
    assert.equal(bad.ok, false);
    assert.match(bad.message, /Unexpected EOF reading RDB file/);
  });

  it('mysql: credentials from the spec, else the image environment', () => {
    const env = new Map([['MYSQL_ROOT_PASSWORD', 'r00t'], ['MYSQL_USER', 'app'], ['MYSQL_PASSWORD', 'apppw'], ['MYSQL_DATABASE', 'shop']]);
    assert.deepEqual(credentials({}, env), { user: 'root', password: 'r00t', database: 'shop' });
    assert.deepEqual(credentials({ user: 'app' }, env), { user: 'app', password: 'apppw', database: 'shop' });
    assert.deepEqual(credentials({ user: 'other', database: 'x' }, env), { user: 'other', password: undefined, database: 'x' });
    assert.deepEqual(credentials({}, new Map([['MARIADB_USER', 'wiki'], ['MARIADB_PASSWORD', 'w']])), { user: 'wiki', password: 'w', database: undefined });
  });

  it('sqlite: the host path behind a container path, through the deepest mount', () => {
    const mounts = [
      { Type: 'volume' as const, Name: 'app-data', Source: '/var/lib/docker/volumes/app-data/_data', Destination: '/app/data', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind' as const, Source: '/srv/app', Destination: '/app', Mode: '', RW: true, Propagation: '' },
    ];
    assert.equal(hostPathOf(mounts, '/app/data/app.db'), '/var/lib/docker/volumes/app-data/_data/app.db');
    assert.equal(hostPathOf(mounts, '/app/other.db'), '/srv/app/other.db');
    assert.equal(hostPathOf(mounts, '/application/x.db'), undefined);
    assert.equal(hostPathOf(undefined, '/app/x.db'), undefined);
  });

  it('stderrSummary picks the telling line', () => {
    assert.equal(
      stderrSummary('pg_dump: warning: something\npg_dump: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "nope" does not exist\n'),
      'pg_dump: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL: database "nope" does not exist',
    );
    assert.equal(stderrSummary('first\nlast line\n'), 'last line');
  });
});
