// `opsdeck agent` against the demo stack: for about a minute at a 2 s interval it writes samples
// for the host, every running container, the PostgreSQL database sizes (rising while a table grows),
// Redis memory, a configured SQLite file and the volumes; `opsdeck capacity` reads them back; a
// second agent is refused naming the first; SIGTERM stops it with exit 0 and releases its locks.
// Then the hand-over between a cockpit's collector and the agent, in-process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, PROJECT, docker, endpoint, opsdeck, waitFor } from '../helpers/docker.js';
import { createReader } from '../../src/docker/client.js';
import { DockerModel } from '../../src/model/dockerModel.js';
import { openState } from '../../src/store/db.js';
import { startCollector, tryStartCollector } from '../../src/metrics/collector.js';
import { currentCollector } from '../../src/metrics/lock.js';
import { listSeries } from '../../src/metrics/store.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-agent-'));
const c = (service: string) => `${PROJECT}_${service}_1`;
const GROWTH_TABLE = 'opsdeck_agent_growth';
const children = new Set<ChildProcess>();

const cfgFile = join(tmp, 'opsdeck.yaml');
writeFileSync(cfgFile, `
backups:
  targets:
    app-sqlite: { sqlite: { path: /app/data/app.db, container: ${c('app')} } }
`);

interface Agent { child: ChildProcess; stderr: () => string; exit: Promise<number | null> }

function startAgent(stateDir: string, interval = '2s'): Agent {
  const child = spawn(BIN, ['--config', cfgFile, '--state-dir', stateDir, 'agent', '--interval', interval], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code); }));
  return { child, stderr: () => err, exit };
}

function psql(sql: string): Promise<string> {
  return docker('exec', c('db'), 'psql', '-X', '-q', '-A', '-t', '-U', 'shop', '-d', 'shop', '-v', 'ON_ERROR_STOP=1', '-c', sql);
}

/** Samples of one series (raw tier), oldest first, read from the state file as the cockpit would. */
function samples(dbPath: string, key: string): { at: number; value: number }[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT s.at, s.value FROM metric_samples s JOIN metric_series m ON m.id = s.series WHERE s.tier = 0 AND m.key = ? ORDER BY s.at').all(key) as { at: number; value: number }[];
  } finally {
    db.close();
  }
}

function keys(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT key FROM metric_series ORDER BY key').all() as { key: string }[]).map((r) => r.key);
  } finally {
    db.close();
  }
}

before(async () => {
  await psql(`DROP TABLE IF EXISTS ${GROWTH_TABLE}; CREATE TABLE ${GROWTH_TABLE} (id serial PRIMARY KEY, pad text NOT NULL)`);
});

after(async () => {
  for (const ch of children) ch.kill('SIGKILL');
  await psql(`DROP TABLE IF EXISTS ${GROWTH_TABLE}`).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe('opsdeck agent', () => {
  const stateDir = join(tmp, 'state');
  const dbPath = join(stateDir, 'opsdeck.db');

  it('collects host, containers, database and volume sizes for a minute; one agent per state file; SIGTERM → exit 0', async () => {
    const started = Date.now();
    const agent = startAgent(stateDir);
    await waitFor('the agent to say it started', () => /opsdeck agent: started \(pid \d+, every 2s/.test(agent.stderr()), 20_000);

    // A second agent on the same state file is refused, naming the first.
    const second = await opsdeck(['--config', cfgFile, '--state-dir', stateDir, 'agent', '--interval', '2s'], { timeoutMs: 20_000 });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`refused: another agent runs on this state file \\(${dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): pid ${agent.child.pid} on `));

    // Grow the shop database by ~4 MB every 8 s while the agent samples it (every 12 s at this interval).
    const grow = async () => psql(`INSERT INTO ${GROWTH_TABLE} (pad) SELECT repeat(md5(g::text), 30) FROM generate_series(1, 3000) g`);
    const pgKey = `db.postgres:${c('db')}/shop.size`;
    await waitFor('a first shop size sample', () => samples(dbPath, pgKey).length >= 1, 30_000);
    const first = samples(dbPath, pgKey)[0]!.value;
    while (Date.now() - started < 56_000) {
      await grow();
      await new Promise((r) => setTimeout(r, 8_000));
    }
    const pg = await waitFor('five shop size samples, the last one after the growth', () => {
      const s = samples(dbPath, pgKey);
      return s.length >= 5 && s.at(-1)!.value > first + 15 * 1024 * 1024 ? s : null;
    }, 30_000);
    for (let i = 1; i < pg.length; i++) assert.ok(pg[i]!.value >= pg[i - 1]!.value, `the size never shrinks while the table grows: ${pg.map((s) => s.value).join(', ')}`);
    assert.ok(Date.now() - started >= 55_000, 'ran for about a minute');

    // Every running container of the demo stack, the host, Redis, the SQLite file, the volumes.
    const all = keys(dbPath);
    for (const k of ['host.cpu', 'host.mem', 'host.load1', 'host.disk:/']) assert.ok(samples(dbPath, k).length >= 20, `${k}: ${samples(dbPath, k).length} samples`);
    const running = (await docker('ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'status=running', '--format', '{{.Names}}')).split('\n').filter((n) => n && n !== c('crasher'));
    assert.ok(running.length >= 6, running.join(' '));
    for (const name of running) {
      for (const m of ['cpu', 'mem', 'net.rx', 'net.tx']) {
        const n = samples(dbPath, `container:${name}.${m}`).length;
        assert.ok(n >= 10, `container:${name}.${m}: ${n} samples`);
      }
    }
    // Block I/O comes from the same stats; only engines that account it (cgroup blkio) report any.
    const raw = await createReader(endpoint()).statsOnce(c('db'));
    const accounted = (raw.blkio_stats?.io_service_bytes_recursive ?? []).length > 0;
    assert.equal(all.includes(`container:${c('db')}.blk.read`), accounted, `block I/O series exist exactly when the engine accounts block I/O (${accounted})`);
    const redis = samples(dbPath, `db.redis:${c('cache')}.mem`);
    assert.ok(redis.length >= 3 && redis.at(-1)!.value > 100_000, JSON.stringify(redis));
    const sqlite = samples(dbPath, 'db.sqlite:app-sqlite.size');
    assert.ok(sqlite.length >= 3 && sqlite.at(-1)!.value > 0, JSON.stringify(sqlite));
    for (const v of ['db-data', 'app-data', 'cache-data']) assert.ok(all.includes(`volume:${PROJECT}_${v}.size`), `volume ${v}: ${all.filter((k) => k.startsWith('volume:')).join(' ')}`);
    assert.ok(samples(dbPath, `volume:${PROJECT}_db-data.size`)[0]!.value > 1024 * 1024);

    // `opsdeck capacity` reads it back while the agent runs.
    const table = await opsdeck(['--config', cfgFile, '--state-dir', stateDir, 'capacity', '--window', '1h']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`collecting: agent \\(pid ${agent.child.pid} on `));
    assert.match(table.stdout, new RegExp(`postgres shop \\(${c('db')}\\)\\s+\\d+(\\.\\d)? MiB`));
    assert.match(table.stdout, /^ {2}Disk \/ .*(full in|no trend|shrinking|too few points)/m);
    const json = await opsdeck(['--state-dir', stateDir, 'capacity', '--json', '--window', '1h']);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { id: string; current: number; projection: { status: string; growthPerDay: number | null } | null }[];
    const shop = rows.find((r) => r.id === pgKey);
    assert.ok(shop, json.stdout.slice(0, 500));
    assert.ok(shop.current >= pg.at(-1)!.value);
    assert.ok(shop.projection && ['no-limit', 'too-few-points'].includes(shop.projection.status), JSON.stringify(shop.projection));

    // SIGTERM: flush, close, exit 0; its locks are gone.
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exit, 0, agent.stderr());
    assert.match(agent.stderr(), /opsdeck agent: stopped \(SIGTERM\) after \d+[smhd]\w*; \d+ samples written\n$/);
    assert.equal(agent.stderr().trim().split('\n').filter((l) => !/^opsdeck agent: (started|stopped)/.test(l)).length, 0, `only the start and stop lines:\n${agent.stderr()}`);
    const locks = await opsdeck(['--state-dir', stateDir, 'locks']);
    assert.equal(locks.stdout.trim(), 'no locks held');
    const afterStop = await opsdeck(['--state-dir', stateDir, 'capacity']);
    assert.match(afterStop.stdout, /nobody collects now \(history only\)/);
  });

  it('a cockpit collects only while no agent runs, and steps aside when one starts', async () => {
    const dir = join(tmp, 'handover');
    const { db } = openState(dir);
    const model = new DockerModel(endpoint(), { refreshMs: 1000 });
    model.start();
    const cockpit = startCollector({ db, docker: model, intervalMs: 1000, role: 'cockpit', volumesEveryMs: 3_600_000 });
    try {
      await waitFor('the cockpit to collect', () => cockpit.collecting && cockpit.written > 0, 15_000);
      assert.equal(currentCollector(db)?.role, 'cockpit');
      // Another cockpit in this state file finds it busy.
      assert.equal(tryStartCollector({ db, docker: model, intervalMs: 1000 }), null);

      const agent = startAgent(dir, '1s');
      await waitFor('the agent to take over', () => currentCollector(db)?.role === 'agent' && currentCollector(db)?.holder.pid === agent.child.pid, 20_000);
      assert.equal(cockpit.collecting, false);
      const before = cockpit.written;
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(cockpit.written, before, 'the cockpit wrote nothing while the agent ran');

      agent.child.kill('SIGTERM');
      assert.equal(await agent.exit, 0, agent.stderr());
      await waitFor('the cockpit to resume', () => cockpit.collecting && cockpit.written > before, 15_000);
      assert.ok(listSeries(db).some((s) => s.key === 'host.cpu'));
    } finally {
      await cockpit.stop();
      model.stop();
      db.close();
    }
    const { db: again } = openState(dir);
    assert.equal(currentCollector(again), null, 'the lock is released on stop');
    again.close();
  });
});
