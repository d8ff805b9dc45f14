// Backups from the command line against the real engine: the demo stack's postgres and SQLite, a
// corrupted file, a disk that fills up (a 64 KiB tmpfs), a backup killed with -9 mid-dump (a
// throwaway postgres with a big table), retention and prune, unknown targets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, docker, opsdeck, PROJECT, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';
import type { StoredBackup } from '../../src/store/backups.js';
import { INTERRUPTED, latestGood } from '../../src/store/backups.js';
import type { AuditRecord } from '../../src/store/audit.js';
import { openState } from '../../src/store/db.js';

const demo = (service: string) => `${PROJECT}_${service}_1`;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const mode = (file: string) => statSync(file).mode & 0o777;

/** Every file below dir (recursive), relative names. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

function yaml(dir: string, targets: string, retention = ''): string {
  return `backups:\n  dir: ${dir}\n${retention}  targets:\n${targets}`;
}

describe('backups from the command line', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-backup-cli-'));
  const stateDir = join(root, 'state');
  const dir = join(root, 'backups');
  const config = join(root, 'opsdeck.yaml');
  writeFileSync(config, yaml(dir, [
    `    shop-db: { postgres: { container: ${demo('db')}, database: shop, user: shop } }`,
    `    app-data: { sqlite: { container: ${demo('app')}, path: /app/data/app.db } }`,
    '',
  ].join('\n'), '  retention: { keepLast: 2, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }\n'));
  const g = ['--config', config, '--state-dir', stateDir];
  const history = async (...args: string[]) => {
    const res = await opsdeck(['backups', '--json', ...args, ...g]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as StoredBackup[];
  };
  const audit = async () => JSON.parse((await opsdeck(['audit', '--json', '-n', '200', ...g])).stdout) as AuditRecord[];
  const good = (target: string) => {
    const { db } = openState(stateDir);
    try {
      return latestGood(db, target);
    } finally {
      db.close();
    }
  };
  let first: StoredBackup;

  after(() => { rmSync(root, { recursive: true, force: true }); });

  it('backup shop-db: exit 0, a 0600 file whose sha256 the history holds, ok and verified, audited', async () => {
    const res = await opsdeck(['backup', 'shop-db', '--json', ...g]);
    assert.equal(res.code, 0, res.stderr);
    first = JSON.parse(res.stdout) as StoredBackup;
    assert.equal(first.status, 'ok');
    assert.equal(first.verified, true);
    assert.match(first.id, /^shop-db-\d{8}T\d{6}Z$/);
    assert.equal(first.file, join(dir, 'shop-db', `${first.id}.dump`));
    assert.ok(existsSync(first.file));
    assert.equal(mode(first.file), 0o600);
    assert.equal(statSync(first.file).size, first.sizeBytes);
    assert.match(first.verifyMessage ?? '', /pg_restore --list/);
    // Steps on stderr, in order.
    const steps = ['Clean up stale partial files', 'Dump postgres', 'Verify', 'Apply retention'].map((s) => res.stderr.indexOf(`✓ ${s}`));
    assert.ok(steps.every((i, k) => i >= 0 && (k === 0 || i > steps[k - 1]!)), res.stderr);

    const [row] = await history('shop-db');
    assert.ok(row);
    assert.equal(row.id, first.id);
    assert.equal(row.status, 'ok');
    assert.equal(row.verified, true);
    assert.equal(row.sha256, sha256(first.file));
    assert.equal(good('shop-db')?.id, first.id);

    const rec = (await audit()).find((a) => a.action === 'backup.run');
    assert.ok(rec);
    assert.equal(rec.target, 'backup:shop-db');
    assert.equal(rec.result, 'ok');
    assert.equal(rec.params.file, first.file);
    assert.equal(rec.params.sha256, first.sha256!.slice(0, 12));
    assert.equal(rec.params.sizeBytes, first.sizeBytes);
  });

  it('the human table lists it; verify ID: exit 0 and recorded', async () => {
    const table = await opsdeck(['backups', ...g]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+STARTED\s+AGE\s+SIZE\s+TOOK\s+SHA256\s+STATUS\s+VERIFIED/);
    assert.match(table.stdout, new RegExp(`${first.id}.*${first.sha256!.slice(0, 12)}\\s+ok\\s+yes`));

    const res = await opsdeck(['verify', first.id, '--json', ...g]);
    assert.equal(res.code, 0, res.stderr);
    const v = JSON.parse(res.stdout) as StoredBackup;
    assert.equal(v.verified, true);
    assert.ok((v.verifiedAt ?? 0) > (first.verifiedAt ?? 0));
  });

  it('a corrupted file fails verification: exit 1, recorded, never latest good', async () => {
    const second = JSON.parse((await opsdeck(['backup', 'shop-db', '--json', ...g])).stdout) as StoredBackup;
    assert.equal(second.verified, true);
    assert.equal(good('shop-db')?.id, second.id);
    // Flip bytes in the middle of the file (same size: only the hash can tell).
    const bytes = readFileSync(second.file);
    for (let i = 0; i < 16; i++) bytes[Math.floor(bytes.length / 2) + i]! ^= 0xff;
    writeFileSync(second.file, bytes);

    const res = await opsdeck(['verify', second.id, ...g]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /sha256 mismatch/);
    const row = (await history('shop-db')).find((b) => b.id === second.id)!;
    assert.equal(row.verified, false);
    assert.match(row.verifyMessage ?? '', /sha256 mismatch/);
    assert.equal(good('shop-db')?.id, first.id, 'the older, intact backup is the latest good one again');
    const table = await opsdeck(['backups', 'shop-db', ...g]);
    assert.match(table.stdout, new RegExp(`${second.id}.*ok\\s+NO\\s+verification failed: sha256 mismatch`));
  });

  it('prune --dry-run lists keeps and removes with reasons; prune asks, --yes deletes', async () => {
    const bad = (await history('shop-db')).find((b) => b.verified === false)!;
    const dry = await opsdeck(['prune', '--dry-run', ...g]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /shop-db \(keep last 2, daily 0, weekly 0, monthly 0\): keep 1, remove 1/);
    assert.match(dry.stdout, new RegExp(`keep    ${first.id} \\(.*\\): last 2`));
    assert.match(dry.stdout, new RegExp(`remove  ${bad.id} \\(.*\\): verification failed`));
    const plan = JSON.parse((await opsdeck(['prune', '--dry-run', '--json', ...g])).stdout) as { target: string; remove: { id: string; reasons: string[] }[] }[];
    assert.deepEqual(plan.find((p) => p.target === 'shop-db')?.remove.map((d) => [d.id, d.reasons]), [[bad.id, ['verification failed']]]);
    assert.ok(existsSync(bad.file), 'a dry run deletes nothing');

    const asked = await opsdeck(['prune', 'shop-db', ...g]);
    assert.equal(asked.code, 1);
    assert.match(asked.stderr, /Prune backups of shop-db\?/);
    assert.match(asked.stderr, new RegExp(`delete ${bad.id}`));
    assert.match(asked.stderr, /refusing to prune without confirmation/);
    assert.ok(existsSync(bad.file));

    const res = await opsdeck(['prune', 'shop-db', '--yes', ...g]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!existsSync(bad.file));
    assert.ok(existsSync(first.file));
    assert.deepEqual((await history('shop-db')).map((b) => b.id), [first.id]);
    assert.ok((await history('shop-db', '--all')).find((b) => b.id === bad.id)?.deletedAt);
    const rec = (await audit()).find((a) => a.action === 'backup.prune');
    assert.equal(rec?.result, 'ok');
    assert.deepEqual(rec?.params.removed, [bad.id]);
  });

  it('retention runs after each backup: keepLast 2 deletes the oldest SQLite backup on the third run', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await opsdeck(['backup', 'app-data', '--json', ...g]);
      assert.equal(res.code, 0, res.stderr);
      const b = JSON.parse(res.stdout) as StoredBackup;
      assert.match(b.file, /\.db\.gz$/);
      assert.match(b.verifyMessage ?? '', /integrity_check ok/);
      ids.push(b.id);
      if (i === 2) assert.match(res.stderr, new RegExp(`Apply retention .*deleted 1 .*${ids[0]}`));
    }
    assert.deepEqual(filesUnder(join(dir, 'app-data')), [`${ids[2]}.db.gz`, `${ids[1]}.db.gz`].sort());
    assert.deepEqual((await history('app-data')).map((b) => b.id), [ids[2], ids[1]]);
    const rec = (await audit()).find((a) => a.action === 'backup.run' && a.params.id === ids[2]);
    assert.deepEqual(rec?.params.pruned, [ids[0]]);
  });

  it('an unknown target: exit 2, the known ones listed; an unknown id: exit 2', async () => {
    const res = await opsdeck(['backup', 'no-such-target', ...g]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /no backup target "no-such-target"/);
    assert.match(res.stderr, /known targets:\n\s+shop-db\s+postgres database shop/);
    assert.match(res.stderr, /app-data\s+SQLite file \/app\/data\/app\.db/);
    const v = await opsdeck(['verify', 'shop-db-19990101T000000Z', ...g]);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /no backup "shop-db-19990101T000000Z"/);
  });

  it('read-only refuses a backup (exit 1), still allows verify', async () => {
    const res = await opsdeck(['backup', 'shop-db', '--read-only', ...g]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /refused: opsdeck runs read-only/);
    assert.equal((await opsdeck(['verify', first.id, '--read-only', ...g])).code, 0);
  });
});

describe('backups that go wrong', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-backup-fail-'));
  const stateDir = join(root, 'state');
  const tiny = join(root, 'tiny');
  const dir = join(root, 'backups');
  const redis = `opsdeck-t-fatredis-${process.pid}`;
  const pg = `opsdeck-t-bigpg-${process.pid}`;
  let mounted = false;
  let mountError = '';

  before(async () => {
    mkdirSync(tiny);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', tiny], { encoding: 'utf8' });
    mounted = m.status === 0;
    mountError = m.stderr || m.error?.message || `exit ${m.status}`;
    // Redis without automatic saves: its RDB on disk stays the empty one of the first SAVE, so the
    // backup's size estimate (that file) is tiny while the real snapshot is megabytes.
    await runTestContainer(redis, [], 'redis:7', ['redis-server', '--save', '', '--appendonly', 'no']);
    await runTestContainer(pg, ['-e', 'POSTGRES_USER=big', '-e', 'POSTGRES_PASSWORD=big', '-e', 'POSTGRES_DB=big'], 'postgres:15', []);
    await waitFor('redis to answer', async () => (await docker('exec', redis, 'redis-cli', 'PING')) === 'PONG', 30_000);
    await docker('exec', redis, 'redis-cli', 'SAVE');
    // 30,000 keys of random hex: an RDB of ~1.3 MB. (redis-cli prints an error reply and exits 0.)
    const seeded = await docker('exec', redis, 'redis-cli', 'EVAL',
      "for i = 1, 30000 do redis.call('SET', 'key:' .. i, string.format('%07x%07x%07x%07x', math.random(0, 268435455), math.random(0, 268435455), math.random(0, 268435455), math.random(0, 268435455)) .. i) end return 1", '0');
    assert.equal(seeded, '1', `seeding redis failed: ${seeded}`);
    // The official image restarts the server after init: wait for a real query over the socket.
    await waitFor('postgres to accept queries', async () => (await docker('exec', pg, 'psql', '-U', 'big', '-d', 'big', '-Atc', 'select 1').catch(() => '')) === '1', 60_000, 500);
    // 1M rows of random hex: a dump of ~57 MB that takes seconds to compress.
    await docker('exec', pg, 'psql', '-U', 'big', '-d', 'big', '-qc',
      'CREATE TABLE big AS SELECT g AS id, md5(random()::text) || md5(random()::text) || md5(random()::text) AS payload FROM generate_series(1, 1000000) g');
  });

  after(async () => {
    if (mounted) spawnSync('umount', [tiny]);
    await removeTestContainers();
    rmSync(root, { recursive: true, force: true });
  });

  it('disk full: a clean failure, exit 1, no partial left, the history says "disk full"', async (t) => {
    if (!mounted) {
      if (process.env.CI) assert.fail(`cannot mount a tmpfs for the disk-full test: ${mountError}`);
      t.skip(`cannot mount a tmpfs here (${mountError.trim()}); runs in CI`);
      return;
    }
    const config = join(root, 'tiny.yaml');
    writeFileSync(config, yaml(tiny, `    fat-cache: { redis: { container: ${redis} } }\n`));
    const g = ['--config', config, '--state-dir', stateDir];
    const res = await opsdeck(['backup', 'fat-cache', ...g]);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr, /✗ Dump redis: disk full while writing /);
    assert.match(res.stderr, /backup of fat-cache failed: .*disk full/);
    assert.deepEqual(filesUnder(tiny), [], 'no partial and no file left on the full disk');
    const rows = JSON.parse((await opsdeck(['backups', '--json', 'fat-cache', ...g])).stdout) as StoredBackup[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'failed');
    assert.match(rows[0]!.error ?? '', /^disk full while writing /);
    assert.equal(rows[0]!.verified, null);
  });

  it('an estimate that does not fit is refused before anything is written, with the numbers', async (t) => {
    if (!mounted) {
      t.skip(`cannot mount a tmpfs here (${mountError.trim()})`);
      return;
    }
    const config = join(root, 'tiny-pg.yaml');
    writeFileSync(config, yaml(tiny, `    shop-db: { postgres: { container: ${demo('db')}, database: shop, user: shop } }\n`));
    const g = ['--config', config, '--state-dir', stateDir];
    const res = await opsdeck(['backup', 'shop-db', ...g]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /refused to back up shop-db: not enough free space: needs about .* \(estimate .* \+ 10 %; \d+ bytes\), only .* free in .* \(\d+ bytes\)/);
    assert.deepEqual(filesUnder(tiny), []);
    assert.deepEqual(JSON.parse((await opsdeck(['backups', '--json', 'shop-db', ...g])).stdout), [], 'no history row: nothing was started');
    const [rec] = JSON.parse((await opsdeck(['audit', '--json', ...g])).stdout) as AuditRecord[];
    assert.equal(rec?.result, 'refused');
    assert.equal(rec?.target, 'backup:shop-db');
  });

  it('kill -9 mid-dump: the run shows as interrupted, the next backup removes the partial and breaks the stale lock', async () => {
    const config = join(root, 'big.yaml');
    writeFileSync(config, yaml(dir, `    big-db: { postgres: { container: ${pg}, database: big, user: big } }\n`));
    const g = ['--config', config, '--state-dir', stateDir];
    const child = spawn(BIN, ['backup', 'big-db', ...g], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const partial = await waitFor('a growing .partial file', () =>
      filesUnder(join(dir, 'big-db')).find((f) => f.endsWith('.partial') && statSync(join(dir, 'big-db', f)).size > 1024 * 1024), 60_000, 20);
    child.kill('SIGKILL');
    await exited;
    assert.ok(existsSync(join(dir, 'big-db', partial)), 'kill -9 leaves the partial behind');

    const before = JSON.parse((await opsdeck(['backups', '--json', 'big-db', ...g])).stdout) as StoredBackup[];
    assert.equal(before.length, 1);
    assert.equal(before[0]!.status, 'failed', 'a running row whose process is gone reads as failed');
    assert.equal(before[0]!.error, INTERRUPTED);
    const locks = JSON.parse((await opsdeck(['locks', '--json', ...g])).stdout) as { target: string; stale: boolean }[];
    assert.deepEqual(locks.map((l) => [l.target, l.stale]), [['backup:big-db', true]]);

    // Make the next dump quick: the point is what it finds, not the size. The killed run's pg_dump
    // still runs in the container (nobody is left to stop it) and holds a lock on the table: end it.
    // (One small table stays: the engine counts an archive without entries as a failed proof.)
    await docker('exec', pg, 'psql', '-U', 'big', '-d', 'big', '-qc',
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opsdeck-backup'; DROP TABLE big; CREATE TABLE small AS SELECT 1 AS id");
    const res = await opsdeck(['backup', 'big-db', ...g]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /Broke the stale lock of pid \d+/);
    assert.match(res.stderr, new RegExp(`✓ Clean up stale partial files .*removed 1 partial file of an interrupted run \\(.*\\): ${partial.replace(/[.]/g, '\\.')}`));
    assert.match(res.stderr, new RegExp(`marked 1 interrupted run failed: ${before[0]!.id}`));
    const files = filesUnder(join(dir, 'big-db'));
    assert.equal(files.filter((f) => f.endsWith('.partial')).length, 0);
    assert.equal(files.length, 1);

    const after = JSON.parse((await opsdeck(['backups', '--json', 'big-db', ...g])).stdout) as StoredBackup[];
    assert.deepEqual(after.map((b) => [b.status, b.verified]), [['ok', true], ['failed', null]]);
    assert.equal(after[1]!.id, before[0]!.id);
    assert.equal(after[1]!.error, INTERRUPTED);
    const audits = JSON.parse((await opsdeck(['audit', '--json', ...g])).stdout) as AuditRecord[];
    assert.ok(audits.some((a) => a.action === 'lock.break' && a.target === 'backup:big-db'));
  });
  it('a proof that cannot run (the container is down) is reported, exit 1, and not recorded: the backup stays good', async () => {
    const config = join(root, 'cache.yaml');
    writeFileSync(config, yaml(dir, `    fat-cache: { redis: { container: ${redis} } }\n`));
    const g = ['--config', config, '--state-dir', stateDir];
    const made = await opsdeck(['backup', 'fat-cache', '--json', ...g]);
    assert.equal(made.code, 0, made.stderr);
    const b = JSON.parse(made.stdout) as StoredBackup;
    assert.equal(b.verified, true);
    assert.match(b.verifyMessage ?? '', /redis-check-rdb: RDB looks OK, 30000 keys read/);
    await docker('kill', redis);
    const res = await opsdeck(['verify', b.id, ...g]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cannot verify: .*not running.*nothing recorded, the previous verification stands/);
    const row = JSON.parse((await opsdeck(['backups', '--json', 'fat-cache', ...g])).stdout) as StoredBackup[];
    assert.equal(row.find((r) => r.id === b.id)?.verified, true);
    assert.equal(row.find((r) => r.id === b.id)?.verifiedAt, b.verifiedAt);
  });
});
