import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { containerInfo } from '../helpers/fixtures.js';
import {
  fromInspect,
  fromListEntry,
  groupByProject,
  healthFromStatus,
  severity,
  type ContainerInfo,
  type ContainerState,
  type Health,
} from '../../src/docker/containers.js';

const PROJECT = 'com.docker.compose.project';
const SERVICE = 'com.docker.compose.service';
const EVIL = '\x1b]0;pwned\x07evil';

function listEntry(over: Partial<Dockerode.ContainerInfo>): Dockerode.ContainerInfo {
  return {
    Id: 'a1b2c3d4e5f6a7b8c9d0',
    Names: ['/web-1'],
    Image: 'nginx:1.27',
    ImageID: 'sha256:0',
    Command: 'nginx',
    Created: 1_700_000_000,
    Ports: [],
    Labels: {},
    State: 'running',
    Status: 'Up 3 minutes',
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
    ...over,
  } as Dockerode.ContainerInfo;
}

interface InspectOver {
  Name?: string;
  Labels?: Record<string, string>;
  Image?: string;
  State?: Record<string, unknown>;
  Memory?: number;
  RestartCount?: number;
}

function inspect(o: InspectOver): Dockerode.ContainerInspectInfo {
  return {
    Id: 'ffeeddccbbaa99887766',
    Name: o.Name ?? '/shop-db-1',
    Created: '2024-05-01T10:00:00.000000000Z',
    Image: 'sha256:deadbeef',
    RestartCount: o.RestartCount,
    Config: { Image: o.Image ?? 'postgres:16', Labels: o.Labels ?? {} },
    HostConfig: { Memory: o.Memory ?? 0 },
    State: {
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 42,
      ExitCode: 0,
      Error: '',
      StartedAt: '2024-05-01T10:00:01.5Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      ...o.State,
    },
  } as unknown as Dockerode.ContainerInspectInfo;
}

const info = (over: Partial<ContainerInfo>): ContainerInfo => containerInfo({ id: over.name ?? 'x', name: 'x', image: 'img', ...over });

function assertClean(s: string | null, what: string): void {
  assert.ok(s !== null, `${what} is null`);
  for (const bad of ['\x1b', '\x07', '\x9b', '\x9d']) {
    assert.ok(!s.includes(bad), `${what} contains ${JSON.stringify(bad)}: ${JSON.stringify(s)}`);
  }
}

test('healthFromStatus: Docker status strings', () => {
  const cases: [string, Health][] = [
    ['Up 3 minutes (healthy)', 'healthy'],
    ['Up 10 seconds (unhealthy)', 'unhealthy'],
    ['Up 2 seconds (health: starting)', 'starting'],
    ['Up 3 minutes', 'none'],
    ['Up About an hour (Paused)', 'none'],
    ['Exited (0) 5 minutes ago', 'none'],
    ['Restarting (1) 4 seconds ago', 'none'],
    ['Created', 'none'],
    ['', 'none'],
  ];
  for (const [status, want] of cases) {
    assert.equal(healthFromStatus(status), want, status);
  }
});

test('fromListEntry: maps a GET /containers/json row', () => {
  const c = fromListEntry(listEntry({
    Names: ['/shop-web-1'],
    Labels: { [PROJECT]: 'shop', [SERVICE]: 'web', other: 'x' },
    Status: 'Up 3 minutes (healthy)',
  }));
  assert.deepEqual(c, {
    id: 'a1b2c3d4e5f6a7b8c9d0',
    name: 'shop-web-1',
    project: 'shop',
    service: 'web',
    image: 'nginx:1.27',
    state: 'running',
    status: 'Up 3 minutes (healthy)',
    health: 'healthy',
    restartCount: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    oomKilled: false,
    memLimit: null,
    createdAt: new Date(1_700_000_000_000).toISOString(),
    inspected: false,
  });
});

test('fromListEntry: names, labels, states and exit codes', () => {
  const cases: [string, Partial<Dockerode.ContainerInfo>, Partial<ContainerInfo>][] = [
    ['leading slash dropped', { Names: ['/db'] }, { name: 'db' }],
    ['only the leading slash', { Names: ['/a/b'] }, { name: 'a/b' }],
    ['no names: short id', { Names: [] }, { name: 'a1b2c3d4e5f6' }],
    ['no compose labels', { Labels: {} }, { project: null, service: null }],
    ['project without service', { Labels: { [PROJECT]: 'p' } }, { project: 'p', service: null }],
    ['exited with code', { State: 'exited', Status: 'Exited (3) 2 minutes ago' }, { state: 'exited', exitCode: 3 }],
    ['exited 0', { State: 'exited', Status: 'Exited (0) 1 hour ago' }, { state: 'exited', exitCode: 0 }],
    ['exited 137 (killed)', { State: 'exited', Status: 'Exited (137) 5 seconds ago' }, { state: 'exited', exitCode: 137 }],
    ['exited, status unparsable', { State: 'exited', Status: 'weird' }, { state: 'exited', exitCode: null }],
    ['running has no exit code', { State: 'running', Status: 'Up 1 second' }, { state: 'running', exitCode: null }],
    ['restarting has no exit code', { State: 'restarting', Status: 'Restarting (1) 3 seconds ago' }, { state: 'restarting', exitCode: null }],
    ['health starting', { Status: 'Up 2 seconds (health: starting)' }, { health: 'starting' }],
    ['unknown state → created', { State: 'bogus' }, { state: 'created' }],
    ['paused', { State: 'paused', Status: 'Up 1 minute (Paused)' }, { state: 'paused' }],
    ['dead', { State: 'dead', Status: 'Dead' }, { state: 'dead' }],
  ];
  for (const [name, over, want] of cases) {
    const got = fromListEntry(listEntry(over));
    for (const [k, v] of Object.entries(want)) {
      assert.deepEqual(got[k as keyof ContainerInfo], v, `${name}: ${k}`);
    }
  }
});

test('fromListEntry: untrusted labels, names and image lose their escape sequences', () => {
  const c = fromListEntry(listEntry({
    Names: [`/${EVIL}`],
    Image: EVIL,
    Labels: { [PROJECT]: EVIL, [SERVICE]: `\x1b[2J${EVIL}` },
  }));
  for (const [what, v] of [['name', c.name], ['image', c.image], ['project', c.project], ['service', c.service]] as const) {
    assertClean(v, what);
    assert.equal(v, 'evil', what);
  }
});

test('fromInspect: maps GET /containers/{id}/json', () => {
  const c = fromInspect(inspect({
    Labels: { [PROJECT]: 'shop', [SERVICE]: 'db' },
    Memory: 512 * 1024 * 1024,
    RestartCount: 2,
    State: { Health: { Status: 'healthy', FailingStreak: 0, Log: [] } },
  }));
  assert.deepEqual(c, {
    id: 'ffeeddccbbaa99887766',
    name: 'shop-db-1',
    project: 'shop',
    service: 'db',
    image: 'postgres:16',
    state: 'running',
    status: 'Up (healthy)',
    health: 'healthy',
    restartCount: 2,
    startedAt: '2024-05-01T10:00:01.5Z',
    finishedAt: null,
    exitCode: null,
    oomKilled: false,
    memLimit: 512 * 1024 * 1024,
    createdAt: '2024-05-01T10:00:00.000000000Z',
    inspected: true,
  });
});

test('fromInspect: zero times, memory limits, exit codes, OOM', () => {
  const ZERO = '0001-01-01T00:00:00Z';
  const cases: [string, InspectOver, Partial<ContainerInfo>][] = [
    ['never started: zero times → null', { State: { Status: 'created', Running: false, StartedAt: ZERO, FinishedAt: ZERO } },
      { state: 'created', startedAt: null, finishedAt: null, status: 'Created' }],
    ['empty times → null', { State: { StartedAt: '', FinishedAt: '' } }, { startedAt: null, finishedAt: null }],
    ['exited: finishedAt kept, exit code', { State: { Status: 'exited', Running: false, ExitCode: 3, FinishedAt: '2024-05-01T11:00:00Z' } },
      { state: 'exited', exitCode: 3, finishedAt: '2024-05-01T11:00:00Z', status: 'Exited (3)' }],
    ['exited 0', { State: { Status: 'exited', Running: false, ExitCode: 0 } }, { exitCode: 0, status: 'Exited (0)' }],
    ['running: exit code null even if set', { State: { ExitCode: 1 } }, { exitCode: null, status: 'Running' }],
    ['OOM killed', { State: { Status: 'exited', ExitCode: 137, OOMKilled: true } }, { oomKilled: true, exitCode: 137 }],
    ['Memory 0 → no limit', { Memory: 0 }, { memLimit: null }],
    ['Memory set', { Memory: 1024 }, { memLimit: 1024 }],
    ['no health check', {}, { health: 'none' }],
    ['unhealthy', { State: { Health: { Status: 'unhealthy' } } }, { health: 'unhealthy', status: 'Up (unhealthy)' }],
    ['starting', { State: { Health: { Status: 'starting' } } }, { health: 'starting' }],
    ['RestartCount missing → 0', {}, { restartCount: 0 }],
    ['unknown state → created', { State: { Status: 'weird' } }, { state: 'created' }],
    ['restarting', { State: { Status: 'restarting', ExitCode: 1 } }, { state: 'restarting', exitCode: 1, status: 'Restarting' }],
  ];
  for (const [name, over, want] of cases) {
    const got = fromInspect(inspect(over));
    for (const [k, v] of Object.entries(want)) {
      assert.deepEqual(got[k as keyof ContainerInfo], v, `${name}: ${k}`);
    }
  }
});

test('fromInspect: untrusted name, image and labels lose their escape sequences', () => {
  const c = fromInspect(inspect({ Name: `/${EVIL}`, Image: EVIL, Labels: { [PROJECT]: EVIL, [SERVICE]: EVIL } }));
  for (const [what, v] of [['name', c.name], ['image', c.image], ['project', c.project], ['service', c.service]] as const) {
    assertClean(v, what);
    assert.equal(v, 'evil', what);
  }
});

test('severity: 2 needs attention, 1 unusual, 0 fine', () => {
  const cases: [ContainerState, Health, number | null, 0 | 1 | 2][] = [
    ['running', 'none', null, 0],
    ['running', 'healthy', null, 0],
    ['running', 'unhealthy', null, 2],
    ['running', 'starting', null, 1],
    ['restarting', 'none', 1, 2],
    ['dead', 'none', null, 2],
    ['exited', 'none', 0, 0],
    ['exited', 'none', 1, 2],
    ['exited', 'none', 137, 2],
    ['exited', 'none', null, 2],
    ['paused', 'none', null, 1],
    ['created', 'none', null, 1],
    ['removing', 'none', null, 1],
    ['paused', 'unhealthy', null, 2],
  ];
  for (const [state, health, exitCode, want] of cases) {
    assert.equal(severity({ state, health, exitCode }), want, `${state}/${health}/${exitCode}`);
  }
});

test('groupByProject: projects by name, loose containers last, attention first inside a group', () => {
  const rows = [
    info({ name: 'loose-b' }),
    info({ name: 'shop-web-1', project: 'shop', service: 'web' }),
    info({ name: 'shop-db-1', project: 'shop', service: 'db' }),
    info({ name: 'shop-worker-1', project: 'shop', service: 'worker', state: 'exited', exitCode: 1 }),
    info({ name: 'shop-cache-1', project: 'shop', service: 'cache', health: 'unhealthy' }),
    info({ name: 'shop-job-1', project: 'shop', service: 'job', state: 'exited', exitCode: 0 }),
    info({ name: 'shop-api-1', project: 'shop', service: 'api', state: 'restarting' }),
    info({ name: 'shop-api-2', project: 'shop', service: 'api', health: 'starting' }),
    info({ name: 'loose-a' }),
    info({ name: 'blog-app-1', project: 'blog', service: 'app' }),
    info({ name: 'zeta-x-1', project: 'zeta', service: 'x' }),
    info({ name: 'admin-ui-1', project: 'admin', service: 'ui' }),
  ];
  const groups = groupByProject(rows);
  assert.deepEqual(groups.map((g) => g.project), ['admin', 'blog', 'shop', 'zeta', null]);
  assert.deepEqual(groups.map((g) => g.worst), [0, 0, 2, 0, 0]);
  const shop = groups.find((g) => g.project === 'shop')!;
  assert.deepEqual(shop.rows.map((r) => r.name), [
    // severity 2, by service
    'shop-api-1', 'shop-cache-1', 'shop-worker-1',
    // severity 1
    'shop-api-2',
    // severity 0, by service
    'shop-db-1', 'shop-job-1', 'shop-web-1',
  ]);
  const loose = groups.at(-1)!;
  assert.deepEqual(loose.rows.map((r) => r.name), ['loose-a', 'loose-b']);
  assert.equal(rows.length, groups.reduce((n, g) => n + g.rows.length, 0));
});

test('groupByProject: same service sorts by name; empty input; only loose containers', () => {
  const g = groupByProject([
    info({ name: 'p-web-2', project: 'p', service: 'web' }),
    info({ name: 'p-web-1', project: 'p', service: 'web' }),
  ]);
  assert.deepEqual(g[0]!.rows.map((r) => r.name), ['p-web-1', 'p-web-2']);
  assert.deepEqual(groupByProject([]), []);
  const loose = groupByProject([info({ name: 'b' }), info({ name: 'a', state: 'dead' })]);
  assert.equal(loose.length, 1);
  assert.equal(loose[0]!.project, null);
  assert.equal(loose[0]!.worst, 2);
  assert.deepEqual(loose[0]!.rows.map((r) => r.name), ['a', 'b']);
});
