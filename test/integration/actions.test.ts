// Actions from the command line against the real engine: confirmation without a TTY, read-only,
// locks across two processes (one killed with -9), the audit log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, inspect, opsdeck, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';
import type { AuditRecord } from '../../src/store/audit.js';

describe('container actions from the command line', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-actions-'));
  const name = `opsdeck-t-act-${process.pid}`;
  const sd = ['--state-dir', stateDir];
  const audit = async () => JSON.parse((await opsdeck(['audit', '--json', ...sd])).stdout) as AuditRecord[];

  before(async () => {
    // busybox sleep as PID 1 ignores SIGTERM: a restart waits for the full timeout — a slow action.
    await runTestContainer(name, []);
  });
  after(async () => { await removeTestContainers(); });

  it('without a terminal and without --yes: refused, exit 1, nothing changed', async () => {
    const before = (await inspect(name)).State.StartedAt;
    const res = await opsdeck(['restart', name, ...sd]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`Restart ${name}\\?`), 'the same text the dialog shows');
    assert.match(res.stderr, /refusing to restart without confirmation: no terminal to ask on; pass --yes/);
    assert.equal((await inspect(name)).State.StartedAt, before);
    assert.equal((await audit()).filter((r) => r.result === 'ok').length, 0);
  });

  it('--yes restarts it: StartedAt moves, the audit row has who, what, result and duration', async () => {
    const before = (await inspect(name)).State.StartedAt;
    const res = await opsdeck(['restart', name, '--yes', '--timeout', '1', ...sd]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^restarted container/${name} in `));
    assert.notEqual((await inspect(name)).State.StartedAt, before);
    const [row] = await audit();
    assert.ok(row);
    assert.deepEqual(Object.keys(row).sort(), ['action', 'at', 'durationMs', 'endpoint', 'error', 'host', 'id', 'params', 'result', 'target', 'user']);
    assert.equal(row.endpoint, 'local', 'the one engine there is');
    assert.equal(row.action, 'container.restart');
    assert.equal(row.target, `container/${name}`);
    assert.equal(row.result, 'ok');
    assert.equal(row.params.timeoutSec, 1);
    assert.ok((row.durationMs ?? 0) >= 1000, 'the 1 s stop timeout is in the duration');
  });

  it('read-only refuses with exit 1 even with --yes, and records the refusal', async () => {
    const before = (await inspect(name)).State.StartedAt;
    const res = await opsdeck(['stop', name, '--yes', '--read-only', ...sd]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /refused: opsdeck runs read-only, so it will not stop container\//);
    assert.equal((await inspect(name)).State.StartedAt, before);
    assert.equal((await inspect(name)).State.Status, 'running');
    assert.equal((await audit())[0]?.result, 'refused');
  });

  it('an unknown container is named, exit 1', async () => {
    const res = await opsdeck(['restart', 'opsdeck-no-such-container', '--yes', ...sd]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no container named "opsdeck-no-such-container"/);
  });

  it('two processes: the second fails fast naming the holder; after kill -9 the stale lock is reported and can be broken', async () => {
    const slow = spawn(BIN, ['restart', name, '--yes', '--timeout', '20', ...sd], { stdio: 'ignore' });
    try {
      const lock = await waitFor('the first process to hold the lock', async () => {
        const res = await opsdeck(['locks', '--json', ...sd]);
        const locks = JSON.parse(res.stdout) as { target: string; pid: number; stale: boolean; action: string }[];
        return locks.find((l) => l.target === `container/${name}`);
      }, 10_000, 100);
      assert.equal(lock.pid, slow.pid);
      assert.equal(lock.stale, false);

      const t0 = Date.now();
      const second = await opsdeck(['restart', name, '--yes', ...sd]);
      assert.equal(second.code, 1);
      assert.ok(Date.now() - t0 < 5_000, 'fails fast, does not wait for the holder');
      assert.match(second.stderr, new RegExp(`container/${name} is busy: held by container.restart by \\S+ \\(pid ${slow.pid} on \\S+\\) since \\d{4}-`));

      slow.kill('SIGKILL');
      await new Promise((r) => slow.once('exit', r));
      const third = await opsdeck(['restart', name, '--yes', ...sd]);
      assert.equal(third.code, 1);
      assert.match(third.stderr, /locked by a process that no longer runs.*opsdeck unlock container\//);
      const locks = JSON.parse((await opsdeck(['locks', '--json', ...sd])).stdout) as { stale: boolean }[];
      assert.equal(locks[0]?.stale, true);

      const unlock = await opsdeck(['unlock', `container/${name}`, ...sd]);
      assert.equal(unlock.code, 0, unlock.stderr);
      assert.match(unlock.stdout, /broke the stale lock/);
      const again = await opsdeck(['restart', name, '--yes', '--timeout', '1', ...sd]);
      assert.equal(again.code, 0, again.stderr);
    } finally {
      slow.kill('SIGKILL');
    }
  });

  it('unlock refuses to break a live lock', async () => {
    const slow = spawn(BIN, ['restart', name, '--yes', '--timeout', '20', ...sd], { stdio: 'ignore' });
    try {
      await waitFor('the lock', async () => JSON.parse((await opsdeck(['locks', '--json', ...sd])).stdout).length > 0, 10_000, 100);
      const res = await opsdeck(['unlock', `container/${name}`, ...sd]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /is busy: held by/);
    } finally {
      slow.kill('SIGKILL');
      await new Promise((r) => slow.once('exit', r));
      await opsdeck(['unlock', `container/${name}`, ...sd]);
    }
  });
});
