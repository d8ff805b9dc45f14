// Docker Swarm against a real second engine (test/env/engine2.sh: its own dockerd in its own network
// namespace, a swarm manager; the main engine never joins a swarm). A 3-replica service from a
// locally built image: the snapshot shows 3/3; `opsdeck scale` to 5 asks first, then 5/5 and an
// audit row; `opsdeck service-update --force` goes through "updating" with progress to "completed"
// with new tasks; an image update then `opsdeck rollback` brings the old image back; the service's
// logs arrive merged from several task slots. The services are removed whatever happens.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createReader, type DockerReader } from '../../src/docker/client.js';
import { resolveEndpoint } from '../../src/docker/endpoint.js';
import { DockerModel } from '../../src/model/dockerModel.js';
import { LogModel } from '../../src/model/logModel.js';
import type { LogLine } from '../../src/logs/types.js';
import { SwarmModel } from '../../src/swarm/model.js';
import { readSwarm } from '../../src/swarm/read.js';
import type { SwarmService, SwarmSnapshot } from '../../src/swarm/types.js';
import type { AuditRecord } from '../../src/store/audit.js';
import { BIN, DOCKER, opsdeck, REPO, waitFor } from '../helpers/docker.js';

const run = promisify(execFile);
const E2 = 'unix:///run/opsdeck-e2/docker.sock';
const NAME = `opsdeck-t-swarm-${process.pid}`;
const APP = 'opsdeck-test/swarm-app';

const e2 = async (...args: string[]) => (await run(DOCKER, ['-H', E2, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();

describe('Docker Swarm on a second engine', { timeout: 150_000 }, () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-swarm-'));
  const cli = (args: string[], timeoutMs = 90_000) => opsdeck(['--docker-host', E2, '--state-dir', stateDir, ...args], { timeoutMs });
  let reader: DockerReader;
  let swarm: SwarmModel;
  let dm: DockerModel | null = null;
  let logs: LogModel | null = null;
  const service = async (): Promise<SwarmService | undefined> => (await readSwarm(reader.raw)).services.find((s) => s.name === NAME);
  const logLines = (): LogLine[] => {
    const out: LogLine[] = [];
    for (let s = logs!.buffer.firstSeq; s <= logs!.buffer.lastSeq; s++) { const l = logs!.buffer.bySeq(s); if (l) out.push(l); }
    return out;
  };

  before(async () => {
    await run('bash', [join(REPO, 'test/env/engine2.sh'), 'start'], { timeout: 120_000 });
    reader = createReader(resolveEndpoint({ flag: E2, env: {} }));
    // A short monitor keeps each rolling step to a couple of seconds (Docker's default watches 5 s).
    await e2('service', 'create', '--detach', '--name', NAME, '--replicas', '3', '--label', 'opsdeck.test=1',
      '--update-monitor', '1s', '--rollback-monitor', '1s', '--update-parallelism', '2', '--rollback-parallelism', '0', '--stop-grace-period', '3s', `${APP}:1`);
    swarm = new SwarmModel(reader, { activeMs: 250, idleMs: 60_000 });
    swarm.start();
    swarm.setActive(true);
  });

  after(async () => {
    swarm?.stop();
    logs?.close();
    dm?.stop();
    await e2('service', 'rm', NAME).catch(() => undefined);
  });

  it('the snapshot of a manager shows the service 3/3, its tasks by slot and the node (leader)', async () => {
    const snap = await waitFor('3/3 in the SwarmModel', () => {
      const s = swarm.getSnapshot();
      const svc = s.services.find((x) => x.name === NAME);
      return svc && svc.running === 3 ? s : undefined;
    }, 30_000, 200) as SwarmSnapshot;
    assert.equal(snap.role.manager, true);
    assert.equal(snap.error, null);
    const svc = snap.services.find((x) => x.name === NAME)!;
    assert.deepEqual([svc.mode, svc.desired, svc.running, svc.image, svc.canRollback], ['replicated', 3, 3, `${APP}:1`, false]);
    assert.deepEqual(svc.tasks.map((t) => [t.slot, t.state, t.desiredState]), [[1, 'running', 'running'], [2, 'running', 'running'], [3, 'running', 'running']]);
    assert.equal(snap.nodes.length, 1);
    assert.equal(snap.nodes[0]!.leader, true);
    assert.equal(snap.nodes[0]!.status, 'ready');
    assert.equal(svc.tasks[0]!.node, snap.nodes[0]!.hostname);
  });

  it('the main engine is not a manager: the same read says so, with no services', async () => {
    const main = await readSwarm(createReader(resolveEndpoint({ flag: 'unix:///var/run/docker.sock', env: {} })).raw);
    assert.equal(main.role.manager, false);
    assert.deepEqual(main.services, []);
    const res = await opsdeck(['--docker-host', 'unix:///var/run/docker.sock', '--state-dir', stateDir, 'services']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /this engine is not a swarm manager — services are listed on a manager \(docker swarm init \/ join\)/);
  });

  it('service logs through the LogModel: lines of several task slots, labelled, without Docker\'s attributes; then followed', async () => {
    dm = new DockerModel(resolveEndpoint({ flag: E2, env: {} }), { refreshMs: 1000 }, reader);
    dm.setStatsPaused(true);
    dm.start();
    logs = new LogModel(dm, { tail: 50, maxLines: 10_000, maxBytes: 8 * 1024 * 1024 });
    const id = (await service())!.id;
    // Each task prints a line a second; wait until every one has printed a few.
    await waitFor('a few lines from each task', async () => {
      const out = await e2('service', 'logs', '--raw', NAME);
      return out.split('\n').filter((l) => / line 3$/.test(l)).length >= 3;
    }, 20_000, 500);
    await logs.open({ kind: 'service', id, name: NAME });
    const all = logLines;
    const history = all();
    assert.equal(logs.getSnapshot().error, null);
    assert.ok(history.length >= 9, `history: ${history.length} lines`);
    const sources = new Set(history.map((l) => l.source));
    assert.deepEqual([...sources].sort(), [`${NAME}.1`, `${NAME}.2`, `${NAME}.3`]);
    for (const l of history) {
      assert.match(l.text, /^swarm-app v1 on \w+ (starting|line \d+)$/, 'the text alone, no com.docker.swarm attributes');
      assert.ok(Number.isFinite(l.ts));
    }
    for (let i = 1; i < history.length; i++) assert.ok(history[i]!.ts >= history[i - 1]!.ts, 'merged by time');
    // The hostname in the text is the task's container: one per slot.
    const hostOf = new Map(history.map((l) => [l.source, l.text.split(' ')[3]]));
    assert.equal(new Set(hostOf.values()).size, 3);
    assert.deepEqual(logs.getSnapshot().members.map((m) => m.source).sort(), [...sources].sort());
    assert.equal(logs.openStreams, 1, 'one stream for the whole service');
    // Followed: new lines from several slots, each once.
    const last = history.at(-1)!.ts;
    const fresh = await waitFor('new lines from every slot', () => {
      const newer = all().filter((l) => l.ts > last && l.stream !== 'note');
      return new Set(newer.map((l) => l.source)).size === 3 ? newer : undefined;
    }, 15_000, 200);
    const keys = all().map((l) => `${l.source} ${l.ts} ${l.text}`);
    assert.equal(new Set(keys).size, keys.length, 'no line twice across history and follow');
    assert.ok(fresh.length >= 3);
    // It stays open: the scale below checks that new tasks' lines come labelled with their slots.
  });

  it('rollback of a service never updated is refused, exit 1, nothing asked', async () => {
    const res = await cli(['rollback', NAME, '--yes']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`${NAME} has no previous spec to roll back to`));
    assert.doesNotMatch(res.stderr, /Roll back .*\?/);
  });

  it('scale 3 → 5: without --yes and a terminal refused (the confirmation shown); with --yes 5/5 and an audit row', async () => {
    const refused = await cli(['scale', NAME, '5']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`Scale ${NAME}\\?\\n  ${NAME}: 3 → 5 replicas\\n  now 3/3 running, image ${APP}:1`));
    assert.match(refused.stderr, /refusing to scale without confirmation: no terminal to ask on; pass --yes/);
    assert.equal((await service())!.desired, 3);

    const t0 = Date.now();
    const res = await cli(['scale', NAME, '5', '--yes']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^scaled service/${NAME} in .* — 5/5 running`));
    assert.ok(Date.now() - t0 < 60_000);
    const svc = (await service())!;
    assert.deepEqual([svc.desired, svc.running], [5, 5]);
    assert.equal(svc.tasks.filter((t) => t.state === 'running').length, 5);

    const audit = JSON.parse((await cli(['audit', '--json'])).stdout) as AuditRecord[];
    const row = audit.find((r) => r.action === 'service.scale');
    assert.ok(row, JSON.stringify(audit));
    assert.equal(row.target, `service/${NAME}`);
    assert.equal(row.result, 'ok');
    assert.deepEqual([row.params.from, row.params.to], [3, 5]);

    const table = await cli(['services']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`${NAME}\\s+replicated\\s+5/5\\s+${APP}:1`));
    const json = JSON.parse((await cli(['services', '--json'])).stdout) as SwarmSnapshot;
    assert.equal(json.role.manager, true);
    assert.equal(json.services.find((s) => s.name === NAME)?.running, 5);

    // The followed logs picked up the new tasks, each line under its slot from the first one on.
    await waitFor('lines of the new slots 4 and 5 in the followed logs', () => {
      const sources = new Set(logLines().map((l) => l.source));
      return sources.has(`${NAME}.4`) && sources.has(`${NAME}.5`);
    }, 15_000, 200);
    const labels = new Set(logLines().filter((l) => l.stream !== 'note').map((l) => l.source));
    assert.deepEqual([...labels].sort(), [1, 2, 3, 4, 5].map((n) => `${NAME}.${n}`), 'never a bare task id');
  });

  it('force update: "updating" with progress, then "completed"; every task is new', async () => {
    const before = (await service())!;
    const oldIds = new Set(before.tasks.filter((t) => t.state === 'running').map((t) => t.id));
    assert.equal(oldIds.size, 5);
    const seen: string[] = [];
    const unsubscribe = swarm.subscribe(() => {
      const svc = swarm.getSnapshot().services.find((s) => s.name === NAME);
      if (svc?.update && svc.updated) seen.push(`${svc.update.state} ${svc.updated.done}/${svc.updated.of}`);
    });
    const child = spawn(BIN, ['--docker-host', E2, '--state-dir', stateDir, 'service-update', NAME, '--force', '--yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    unsubscribe();
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`Restart ${NAME} \\(force update\\)\\?`));
    assert.match(stderr, /✓ Wait for the rolling update .*: all tasks replaced: 5\/5 running/);
    assert.match(stdout, new RegExp(`^restarted service/${NAME}`));
    // Progress as the view shows it: the update in flight with some, not all, tasks replaced.
    assert.ok(seen.some((s) => /^updating [0-4]\/5$/.test(s)), `seen: ${seen.join(', ')}`);
    const after = (await service())!;
    assert.equal(after.update?.state, 'completed');
    assert.equal(after.updated, null);
    assert.equal(after.forceUpdate, before.forceUpdate + 1);
    const running = after.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
    assert.equal(running.length, 5);
    for (const t of running) assert.ok(!oldIds.has(t.id), `task ${t.id} is new`);
  });

  it('an image update to :2, then rollback: the image is back to :1 on every running task', async () => {
    await e2('service', 'update', '--detach', '--image', `${APP}:2`, NAME);
    await waitFor('the update to :2 to complete', async () => {
      const s = await service();
      return s?.image === `${APP}:2` && s.update?.state === 'completed' && s.running === 5;
    }, 60_000, 500);
    const res = await cli(['rollback', NAME, '--yes']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`Roll back ${NAME}\\?\\n.*\\n  Back to the previous spec: image ${APP}:2 → ${APP}:1`));
    assert.match(res.stdout, new RegExp(`^rolled back service/${NAME}`));
    const svc = (await service())!;
    assert.equal(svc.image, `${APP}:1`);
    assert.equal(svc.update?.state, 'rollback_completed');
    const running = svc.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
    assert.equal(running.length, 5);
    assert.ok(running.every((t) => t.image === `${APP}:1`), JSON.stringify(running.map((t) => t.image)));
    const audit = JSON.parse((await cli(['audit', '--json'])).stdout) as AuditRecord[];
    assert.deepEqual(audit.filter((r) => r.target === `service/${NAME}` && r.result === 'ok').map((r) => r.action).sort(), ['service.force-update', 'service.rollback', 'service.scale']);
  });

  it('removing the service: the followed logs say so and their stream closes (Docker\'s own stays open)', async () => {
    assert.equal(logs!.openStreams, 1);
    await e2('service', 'rm', NAME);
    await waitFor('the "removed" note', () => logLines().some((l) => l.stream === 'note' && l.text === `— service ${NAME} was removed —`), 15_000, 200);
    assert.equal(logs!.openStreams, 0);
    assert.ok(logs!.getSnapshot().members.every((m) => m.status === 'removed'));
  });
});
