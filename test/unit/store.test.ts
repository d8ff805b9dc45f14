import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState, StateError, migrate, schemaVersion } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations.js';
import { currentUser, resolveStateDir } from '../../src/store/paths.js';

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-store-'));
  try {
    fn(dir);
  } finally {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = (p: string) => statSync(p).mode & 0o777;
const isRoot = process.getuid?.() === 0;

function insertAudit(db: ReturnType<typeof openState>['db'], action = 'restart'): void {
  db.prepare("INSERT INTO audit (at, user, host, action, target, result) VALUES (?, 'ops', 'h1', ?, 'shop-web-1', 'ok')")
    .run(new Date().toISOString(), action);
}

function assertStateError(fn: () => unknown, path: string, mention: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StateError, `not a StateError: ${String(e)}`);
    assert.equal(e.name, 'StateError');
    assert.equal(e.path, path);
    assert.ok(e.message.includes(mention), `message does not name ${mention}: ${e.message}`);
    return true;
  });
}

test('openState: creates the directory 0700 and the file 0600, WAL on', () => {
  withTemp((tmp) => {
    const dir = join(tmp, 'nested', 'state');
    const { db, path } = openState(dir);
    try {
      assert.equal(path, join(dir, 'opsdeck.db'));
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(path), 0o600);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      insertAudit(db);
      // SQLite gives the -wal file the database file's mode.
      assert.ok(existsSync(`${path}-wal`));
      assert.equal(mode(`${path}-wal`), 0o600);
    } finally {
      db.close();
    }
  });
});

test('openState: an existing directory that is too open is tightened to 0700', () => {
  withTemp((tmp) => {
    const dir = join(tmp, 'state');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const { db } = openState(dir);
    db.close();
    assert.equal(mode(dir), 0o700);
  });
});

test('openState: migrations are recorded in schema_migrations and idempotent across re-open', () => {
  withTemp((tmp) => {
    const latest = Math.max(...migrations.map((m) => m.version));
    const first = openState(tmp);
    const rows1 = first.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as
      { version: number; name: string; applied_at: string }[];
    assert.deepEqual(rows1.map((r) => [r.version, r.name]), migrations.map((m) => [m.version, m.name]));
    for (const r of rows1) assert.ok(!Number.isNaN(Date.parse(r.applied_at)), r.applied_at);
    assert.equal(schemaVersion(first.db), latest);
    const tables = (first.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    for (const t of ['audit', 'locks', 'schema_migrations']) assert.ok(tables.includes(t), `${t} missing: ${tables.join(', ')}`);
    insertAudit(first.db, 'backup');
    first.db.close();

    for (let i = 0; i < 2; i++) {
      const again = openState(tmp);
      try {
        const rows = again.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
        assert.deepEqual(rows, rows1, `re-open ${i + 1}`);
        assert.equal(migrate(again.db), latest);
        assert.equal((again.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, migrations.length);
        // Data survives re-opening.
        assert.deepEqual(again.db.prepare('SELECT action FROM audit').all(), [{ action: 'backup' }]);
      } finally {
        again.db.close();
      }
    }
  });
});

test('openState: the audit table is append-only', () => {
  withTemp((tmp) => {
    const { db } = openState(tmp);
    try {
      insertAudit(db, 'restart');
      insertAudit(db, 'stop');
      const cases: [string, string][] = [
        ['UPDATE one row', "UPDATE audit SET result = 'failed' WHERE action = 'restart'"],
        ['UPDATE all rows', "UPDATE audit SET user = 'someone-else'"],
        ['DELETE one row', "DELETE FROM audit WHERE action = 'stop'"],
        ['DELETE all rows', 'DELETE FROM audit'],
      ];
      for (const [name, sql] of cases) {
        assert.throws(() => db.exec(sql), /append-only/, name);
      }
      assert.deepEqual(db.prepare('SELECT action, result, user FROM audit ORDER BY id').all(), [
        { action: 'restart', result: 'ok', user: 'ops' },
        { action: 'stop', result: 'ok', user: 'ops' },
      ]);
      // The result column is constrained.
      assert.throws(() => db.prepare("INSERT INTO audit (at, user, host, action, result) VALUES ('t', 'u', 'h', 'a', 'maybe')").run(), /CHECK constraint/);
    } finally {
      db.close();
    }
  });
});

test('openState: a file that is not SQLite gives a StateError naming the path', () => {
  withTemp((tmp) => {
    const path = join(tmp, 'opsdeck.db');
    writeFileSync(path, Buffer.alloc(8192, 'this is definitely not an sqlite database\n'));
    assertStateError(() => openState(tmp), path, path);
    assert.throws(() => openState(tmp), /not a valid opsdeck database/);
  });
});

test('openState: an unusable directory gives a StateError naming the path', () => {
  withTemp((tmp) => {
    let dir: string;
    if (isRoot) {
      // root ignores directory modes: put the state directory under a regular file, so mkdir fails.
      const file = join(tmp, 'a-file');
      writeFileSync(file, 'x');
      dir = join(file, 'state');
    } else {
      const locked = join(tmp, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      dir = join(locked, 'state');
    }
    assertStateError(() => openState(dir), join(dir, 'opsdeck.db'), dir);
  });
});

test('openState: an existing but unwritable state directory (not root only) gives a StateError naming the path', { skip: isRoot ? 'root bypasses file modes' : false }, () => {
  withTemp((tmp) => {
    const dir = join(tmp, 'state');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o500);
    try {
      assertStateError(() => openState(dir), join(dir, 'opsdeck.db'), join(dir, 'opsdeck.db'));
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});

test('resolveStateDir: flag > config > OPSDECK_STATE_DIR > XDG_STATE_HOME/opsdeck > HOME/.local/state/opsdeck', () => {
  const env = { OPSDECK_STATE_DIR: '/env/state', XDG_STATE_HOME: '/xdg', HOME: '/home/ops' };
  const cases: [string, Parameters<typeof resolveStateDir>[0], string][] = [
    ['flag wins', { flag: '/flag', config: '/config', env }, '/flag'],
    ['config next', { config: '/config', env }, '/config'],
    ['OPSDECK_STATE_DIR next', { env }, '/env/state'],
    ['XDG_STATE_HOME next', { env: { XDG_STATE_HOME: '/xdg', HOME: '/home/ops' } }, '/xdg/opsdeck'],
    ['HOME last', { env: { HOME: '/home/ops' } }, '/home/ops/.local/state/opsdeck'],
    ['empty values are skipped', { flag: '', config: '', env: { OPSDECK_STATE_DIR: '', XDG_STATE_HOME: '', HOME: '/home/ops' } }, '/home/ops/.local/state/opsdeck'],
    ['no HOME: the OS home directory', { env: {} }, join(homedir(), '.local', 'state', 'opsdeck')],
  ];
  for (const [name, input, want] of cases) {
    assert.equal(resolveStateDir(input), want, name);
  }
});

test('currentUser: SUDO_USER, then USER, then LOGNAME, then something non-empty', () => {
  const cases: [NodeJS.ProcessEnv, string][] = [
    [{ SUDO_USER: 'alice', USER: 'root', LOGNAME: 'root' }, 'alice'],
    [{ USER: 'bob', LOGNAME: 'robert' }, 'bob'],
    [{ LOGNAME: 'carol' }, 'carol'],
    [{ SUDO_USER: '', USER: 'dave' }, 'dave'],
  ];
  for (const [env, want] of cases) {
    assert.equal(currentUser(env), want, JSON.stringify(env));
  }
  // Nothing in the environment: still some non-empty name for the audit log.
  const fallback = currentUser({});
  assert.equal(typeof fallback, 'string');
  assert.ok(fallback.length > 0);
});
