// The live model against the real engine and the demo stack: discovery, grouping, health,
// stats and events. Run by test/run.sh after it has brought the demo stack up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DockerModel } from '../../src/model/dockerModel.js';
import { groupByProject } from '../../src/docker/containers.js';
import { PROJECT, docker, endpoint, inspect, removeTestContainers, runTestContainer, serviceId, waitFor } from '../helpers/docker.js';

const SERVICES = ['app', 'cache', 'cache-seed', 'crasher', 'db', 'flaky', 'front', 'worker'];

describe('DockerModel against the real engine', () => {
  let model: DockerModel;
  const rows = () => model.getSnapshot().containers;
  const byName = (name: string) => rows().find((c) => c.name === name);

  before(async () => {
    model = new DockerModel(endpoint(), { refreshMs: 1000 });
    model.start();
    await waitFor('the model to load', () => model.getSnapshot().loaded && model.getSnapshot().conn.status === 'up');
  });
  after(async () => {
    model.stop();
    await removeTestContainers();
  });

  it('discovers every demo container and groups them under their compose project', async () => {
    const group = await waitFor('the demo project group', () => groupByProject(rows()).find((g) => g.project === PROJECT));
    assert.deepEqual([...new Set(group.rows.map((r) => r.service))].sort(), SERVICES);
    const ids = (await docker('ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`)).split('\n').sort();
    assert.deepEqual(group.rows.map((r) => r.id).sort(), ids);
  });

  it('knows health, restart counts and start times as docker inspect does', async () => {
    for (const service of ['app', 'db', 'cache']) {
      const id = await serviceId(service);
      await waitFor(`${service} healthy in the model`, () => rows().find((r) => r.id === id)?.health === 'healthy');
    }
    const flaky = await serviceId('flaky');
    await waitFor('flaky unhealthy in the model', () => rows().find((r) => r.id === flaky)?.health === 'unhealthy');
    const crasher = await serviceId('crasher');
    await waitFor('crasher restarting more than once', () => (rows().find((r) => r.id === crasher)?.restartCount ?? 0) >= 1, 30_000);
    const app = await serviceId('app');
    const truth = await inspect(app);
    const row = rows().find((r) => r.id === app)!;
    assert.equal(row.startedAt, truth.State.StartedAt);
    assert.equal(row.restartCount, truth.RestartCount);
    assert.equal(row.state, truth.State.Status);
  });

  it('sorts the containers that need attention to the top of their group', async () => {
    const flaky = await serviceId('flaky');
    await waitFor('flaky unhealthy', () => rows().find((r) => r.id === flaky)?.health === 'unhealthy');
    const group = groupByProject(rows()).find((g) => g.project === PROJECT)!;
    const firstOk = group.rows.findIndex((r) => r.health === 'healthy');
    const flakyAt = group.rows.findIndex((r) => r.id === flaky);
    assert.ok(flakyAt < firstOk, `flaky (${flakyAt}) sorts before the first healthy row (${firstOk})`);
    assert.equal(group.worst, 2);
  });

  it('reports live CPU and memory for a busy container', async () => {
    const name = `opsdeck-t-busy-${process.pid}`;
    await runTestContainer(name, ['--memory', '64m'], 'busybox:1.36', ['sh', '-c', 'while :; do :; done']);
    const row = await waitFor('CPU of the busy loop above 50 %', () => {
      const r = byName(name);
      return r && (r.cpuPercent ?? 0) > 50 ? r : null;
    }, 20_000);
    assert.ok((row.memBytes ?? 0) > 0, 'memory is measured');
    assert.equal(row.memLimit, 64 * 1024 * 1024);
    assert.ok(row.memPercent !== null && row.memPercent > 0 && row.memPercent < 100);
    assert.ok(row.cpuHistory.length >= 1);
  });

  it('follows events: a container that starts, turns unhealthy and dies shows up within seconds', async () => {
    const name = `opsdeck-t-events-${process.pid}`;
    await runTestContainer(name, ['--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1']);
    await waitFor('the new container in the model', () => byName(name)?.state === 'running', 5_000);
    await waitFor('it to turn unhealthy', () => byName(name)?.health === 'unhealthy', 10_000);
    await docker('kill', name);
    const dead = await waitFor('it to be exited with 137', () => (byName(name)?.state === 'exited' ? byName(name) : null), 5_000);
    assert.equal(dead.exitCode, 137);
    await docker('rm', name);
    await waitFor('it to leave the model', () => !byName(name), 5_000);
  });
});
