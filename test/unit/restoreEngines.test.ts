// Pure parts of the restore engines: the pg_dump archive header, the version rules (PostgreSQL
// majors, Redis RDB versions), SQLite count statements, archive path helpers, and the registry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkMajors, parseDumpHeader } from '../../src/restore/engines/pgDump.js';
import { checkRdb, maxRdbVersion, rdbVersion } from '../../src/restore/engines/redis.js';
import { countSql, parseCountLines, quoteIdent } from '../../src/restore/engines/sqlite.js';
import { archiveEntries } from '../../src/restore/engines/volume.js';
import { relativeOf, under } from '../../src/restore/engines/files.js';
import { tablesLine } from '../../src/restore/engines/common.js';
import { restoreEngineFor } from '../../src/restore/engines/index.js';
import { RestoreRefused } from '../../src/restore/types.js';

// The first 150 bytes of a real `pg_dump -Fc` of database "app" by PostgreSQL 15.18.
const REAL_HEAD = Buffer.from(
  'UEdETVABDgAECAEBAQAAAAAsAAAAAA8AAAAAEQAAAAAXAAAAAAoAAAAAfgAAAAAAAAAAAAMAAABhcHAAHgAAADE1LjE4IChEZWJpYW4gMTUuMTgtMCtkZWIxMnUxKQAeAAAAMTUuMTggKERlYmlhbiAxNS4xOC0wK2RlYjEydTEpAA8AAAAAQQ0AAAAAAAAAAAEAAAAw',
  'base64',
);

/** A header as pg_backup_archiver.c WriteHead writes it (intSize 4). */
function header(vmin: number, db: string, server: string, tool: string): Buffer {
  const int = (n: number) => Buffer.from([0, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff]);
  const str = (s: string) => Buffer.concat([int(Buffer.byteLength(s)), Buffer.from(s)]);
  const compression = vmin >= 15 ? Buffer.from([0]) : int(0);
  return Buffer.concat([
    Buffer.from('PGDMP'), Buffer.from([1, vmin, 0, 4, 8, 1]), compression,
    ...[0, 1, 2, 3, 4, 125, 0].map(int), str(db), str(server), str(tool),
  ]);
}

describe('pg_dump archive header', () => {
  it('reads database, server and pg_dump versions from a real archive', () => {
    assert.deepEqual(parseDumpHeader(REAL_HEAD), {
      archiveVersion: '1.14.0',
      database: 'app',
      serverVersion: '15.18 (Debian 15.18-0+deb12u1)',
      pgDumpVersion: '15.18 (Debian 15.18-0+deb12u1)',
    });
  });

  it('reads the 1.15 layout (PostgreSQL 16+: compression is one byte)', () => {
    assert.deepEqual(parseDumpHeader(header(15, 'shop', '16.4', '16.4')), { archiveVersion: '1.15.0', database: 'shop', serverVersion: '16.4', pgDumpVersion: '16.4' });
    assert.equal(parseDumpHeader(header(14, 'x', '15.2', '15.3'))?.pgDumpVersion, '15.3');
  });

  it('null for other files and for a header cut short', () => {
    assert.equal(parseDumpHeader(Buffer.from('REDIS0011........')), null);
    assert.equal(parseDumpHeader(REAL_HEAD.subarray(0, 100)), null);
    assert.equal(parseDumpHeader(Buffer.alloc(0)), null);
  });
});

describe('PostgreSQL major versions', () => {
  it('same or newer server major is fine, and says so', () => {
    assert.equal(checkMajors('15.18 (Debian 15.18-0+deb12u1)', '15.4', '15.4'), "PostgreSQL server 15.18 ≥ dump's 15.4 (same major)");
    assert.match(checkMajors('16.2', '14.9', '14.9'), /^PostgreSQL server 16\.2 ≥ dump's 14\.9 \(newer major than 14\)$/);
    assert.match(checkMajors('15.1', null, null), /version is unknown/);
  });

  it('a dump from a newer major is refused naming both versions', () => {
    assert.throws(() => checkMajors('15.18', '16.4', '16.4'), (e: Error) => {
      assert.ok(e instanceof RestoreRefused);
      assert.match(e.message, /^the dump is from PostgreSQL 16\.4, newer than this server's PostgreSQL 15\.18: a dump restores only into the same or a newer major version/);
      return true;
    });
    // A newer pg_dump than its server also makes an archive an older pg_restore cannot read.
    assert.throws(() => checkMajors('15.18', '15.2', '17.0'), /from PostgreSQL 15\.2 \(pg_dump 17\.0\), newer than this server's PostgreSQL 15\.18/);
    // Before 10 the major had two parts.
    assert.throws(() => checkMajors('9.5.3', '9.6.1', null), RestoreRefused);
  });
});

describe('Redis RDB versions', () => {
  it('reads the version from the header and knows what each release loads', () => {
    assert.equal(rdbVersion('REDIS0011'), 11);
    assert.equal(rdbVersion('PGDMP....'), null);
    assert.equal(maxRdbVersion('7.2.4'), 11);
    assert.equal(maxRdbVersion('7.0.15'), 10);
    assert.equal(maxRdbVersion('6.2.14'), 9);
    assert.equal(maxRdbVersion('7.4.1'), 12);
  });

  it('an RDB newer than the server loads is refused; older loads', () => {
    assert.equal(checkRdb('7.2.4', 11, '7.2.4'), 'RDB version 11 (from Redis 7.2.4) loads in Redis 7.2.4');
    assert.equal(checkRdb('7.2.4', 9, null), 'RDB version 9 loads in Redis 7.2.4');
    assert.throws(() => checkRdb('6.2.14', 11, '7.2.4'), /^RestoreRefused: the backup is RDB version 11 \(from Redis 7\.2\.4\), newer than Redis 6\.2\.14 can load \(up to 9\)/);
  });
});

describe('SQLite counting through the sqlite3 CLI', () => {
  it('quotes identifiers and counts every table in one statement', () => {
    assert.equal(quoteIdent('we"ird'), '"we""ird"');
    const sql = countSql(['t', 'a b']);
    assert.equal(sql, `SELECT '74', (SELECT count(*) FROM "t") UNION ALL SELECT '612062', (SELECT count(*) FROM "a b");`);
    assert.deepEqual(parseCountLines('74|12\n612062|0\n\nnoise\n'), { t: 12, 'a b': 0 });
  });
});

describe('archives and paths', () => {
  it('counts distinct entries without the root', () => {
    assert.equal(archiveEntries(['./', './a.txt', './sub/', './sub/b.txt', './sub']), 3);
  });

  it('maps listed host paths to archive entries', () => {
    assert.equal(relativeOf('/etc/app/'), 'etc/app');
    assert.equal(under('etc/app/conf.yml', 'etc/app'), true);
    assert.equal(under('etc/app/', 'etc/app'), true);
    assert.equal(under('etc/apple', 'etc/app'), false);
  });

  it('summarises counts', () => {
    assert.equal(tablesLine({ 'public.items': 10_000, 'public.notes': 482 }), '2 tables, 10,482 rows');
    assert.equal(tablesLine({ t: 1 }), '1 table, 1 row');
  });
});

describe('the registry', () => {
  it('has an engine per kind but mysql, which says so', () => {
    for (const kind of ['postgres', 'sqlite', 'redis', 'volume', 'files'] as const) assert.equal(restoreEngineFor(kind).kind, kind);
    assert.throws(() => restoreEngineFor('mysql'), /^Error: restore of mysql is not supported yet$/);
  });
});
