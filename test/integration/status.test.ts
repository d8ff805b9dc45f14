// `opsdeck status --json` checked field by field against `docker inspect` and /proc.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROJECT, docker, inspect, opsdeck } from '../helpers/docker.js';
import type { StatusSnapshot } from '../../src/cli/status.js';

describe('opsdeck status', () => {
  it('--json carries host, containers, checks, alerts and maintenance, matching docker inspect', async () => {
    const res = await opsdeck(['status', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const s = JSON.parse(res.stdout) as StatusSnapshot;

    assert.equal(typeof s.host.cpuPercent, 'number');
    assert.ok(s.host.memPercent > 0 && s.host.memPercent < 100);
    assert.equal(typeof s.host.load1, 'number');
    assert.ok(s.host.disks.some((d) => d.mount === '/'), 'the root filesystem is listed');
    for (const d of s.host.disks) assert.ok(d.usedPercent >= 0 && d.usedPercent <= 100);
    assert.ok(Array.isArray(s.checks) && Array.isArray(s.alerts));
    assert.equal(s.maintenance.active, false);
    assert.equal(s.docker.status, 'up');

    const ids = (await docker('ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`)).split('\n');
    assert.ok(ids.length >= 8);
    for (const id of ids) {
      const c = s.containers.find((x) => x.id === id);
      assert.ok(c, `container ${id} is in status --json`);
      const truth = await inspect(id);
      assert.equal(c.name, truth.Name.replace(/^\//, ''));
      assert.equal(c.project, truth.Config.Labels['com.docker.compose.project']);
      assert.equal(c.service, truth.Config.Labels['com.docker.compose.service']);
      assert.equal(c.image, truth.Config.Image);
      // State and restart count can move between the two reads for the crash-looping container.
      if (c.service !== 'crasher') {
        assert.equal(c.state, truth.State.Status, `${c.name} state`);
        assert.equal(c.startedAt, truth.State.StartedAt, `${c.name} startedAt`);
        assert.equal(c.restartCount, truth.RestartCount, `${c.name} restartCount`);
        assert.equal(c.health, truth.State.Health?.Status ?? 'none', `${c.name} health`);
      }
      if (c.state === 'running' && c.service !== 'crasher') {
        assert.equal(typeof c.cpuPercent, 'number', `${c.name} cpuPercent`);
        assert.ok((c.memBytes ?? 0) > 0, `${c.name} memBytes`);
      }
    }
    const flaky = s.checks.find((k) => k.name.includes('flaky'));
    assert.equal(flaky?.status, 'crit');
  });

  it('prints a compact table for people', async () => {
    const res = await opsdeck(['status'], { env: { COLUMNS: '120' } });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^host \S+ +cpu /m);
    assert.match(res.stdout, /^PROJECT +NAME +STATE +HEALTH/m);
    assert.match(res.stdout, new RegExp(`^${PROJECT} +${PROJECT}[_-]db[_-]1 +running +healthy`, 'm'));
    assert.match(res.stdout, /attention: .*flaky.* crit/);
  });
});
