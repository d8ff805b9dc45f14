// Docker API JSON → the Swarm types (src/swarm/read.ts), the service-log labelling (src/swarm/logs.ts)
// and the Services view's text (views/Services.tsx). The JSON has the shape Docker 20.10 sends: the
// first objects below are verbatim from a test engine (trimmed of TLS certificates and plugin lists),
// the rest are made by factories that produce the same shape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { renderToString } from 'ink';
import {
  buildSnapshot, currentTasks, nodeFromRaw, NOT_MANAGER, notManagerReason, onCurrentSpec, roleFromInfo, serviceFromRaw, stripDigest,
  type RawInfo, type RawNode, type RawService, type RawTask,
} from '../../src/swarm/read.js';
import { parseDetails, relabel, TASK_ATTR } from '../../src/swarm/logs.js';
import type { LogLine } from '../../src/logs/types.js';
import { describeTarget, resolveLogTarget } from '../../src/logs/target.js';
import { ServicesView, servicesLayout, servicesOrder, updateText, type ServicesViewProps } from '../../views/Services.js';
import { ThemeContext, makeTheme } from '../../views/theme.js';
import type { SwarmSnapshot } from '../../src/swarm/types.js';
import { SwarmModel } from '../../src/swarm/model.js';
import { createReader } from '../../src/docker/client.js';
import { resolveEndpoint } from '../../src/docker/endpoint.js';

const NODE = 'ydkpyvz0vmbp6r7j2w9bvbnz8';
const SVC = '938ds0n5beys24ujf7krm8aq8';

// --- verbatim (trimmed) ---------------------------------------------------------------------------

const INFO_MANAGER: RawInfo = {
  Swarm: {
    NodeID: NODE, NodeAddr: '127.0.0.1', LocalNodeState: 'active', ControlAvailable: true, Error: '',
    Nodes: 1, Managers: 1,
  },
};
const INFO_INACTIVE: RawInfo = { Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '' } };
const INFO_WORKER: RawInfo = { Swarm: { NodeID: 'w0rk3r', NodeAddr: '10.0.0.5', LocalNodeState: 'active', ControlAvailable: false, Error: '' } };

const NODE_RAW: RawNode = {
  ID: NODE,
  Spec: { Role: 'manager', Availability: 'active' },
  Description: { Hostname: 'vm', Engine: { EngineVersion: '20.10.24+dfsg1' } },
  Status: { State: 'ready', Addr: '127.0.0.1' },
  ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:2377' },
};

/** A service during a force update of its args that paused (failure_action pause). */
const SERVICE_PAUSED: RawService = {
  ID: SVC,
  Version: { Index: 63 },
  CreatedAt: '2026-12-04T16:58:21.622731401Z',
  UpdatedAt: '2026-12-04T17:00:01.852471324Z',
  Spec: {
    Name: 'probe',
    Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: 'opsdeck-test/swarm-app:1', Args: ['false'], Init: false, DNSConfig: {}, Isolation: 'default' },
      Resources: { Limits: {}, Reservations: {} },
      Placement: {},
      ForceUpdate: 1,
      Runtime: 'container',
    },
    Mode: { Replicated: { Replicas: 3 } },
    UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 2000000000, MaxFailureRatio: 0, Order: 'stop-first' },
    EndpointSpec: { Mode: 'vip' },
  },
  PreviousSpec: {
    Name: 'probe',
    Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: 'opsdeck-test/swarm-app:1', Init: false, DNSConfig: {}, Isolation: 'default' },
      Resources: { Limits: {}, Reservations: {} },
      Placement: {},
      ForceUpdate: 1,
      Runtime: 'container',
    },
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: { Mode: 'vip' },
  },
  UpdateStatus: {
    State: 'paused',
    StartedAt: '2026-12-04T16:59:59.926842753Z',
    Message: 'update paused due to failure or early termination of task tqyvnxb7lt7z4qygmzzfalhsn',
  },
};

const OLD_SPEC = { ContainerSpec: { Image: 'opsdeck-test/swarm-app:1', Init: false, DNSConfig: {}, Isolation: 'default' }, Resources: { Limits: {}, Reservations: {} }, Placement: {}, ForceUpdate: 1 };
const NEW_SPEC = { ...OLD_SPEC, ContainerSpec: { ...OLD_SPEC.ContainerSpec, Args: ['false'] } };

function task(id: string, slot: number, state: string, desired: string, at: string, spec: RawTask['Spec'] = OLD_SPEC, extra: Partial<NonNullable<RawTask['Status']>> = {}): RawTask {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, Spec: spec, ServiceID: SVC, Slot: slot, NodeID: NODE,
    Status: { Timestamp: at, State: state, Message: state === 'running' ? 'started' : state, ContainerStatus: { ContainerID: `${id}c0ffee`, PID: 0, ExitCode: 0 }, ...extra },
    DesiredState: desired,
  };
}

/** The tasks of SERVICE_PAUSED as Docker listed them (ids, slots, states, times verbatim). */
const TASKS_PAUSED: RawTask[] = [
  task('390l1gxhcngaa1jf8pnuqw2s0', 3, 'shutdown', 'shutdown', '2026-12-04T17:00:01.236534068Z'),
  task('igj7zy4xoqnmjr3depwufj089', 1, 'running', 'shutdown', '2026-12-04T17:00:02.008687904Z'),
  task('kq4r9ifvnp0uv7qvxudpez57y', 2, 'shutdown', 'shutdown', '2026-12-04T16:58:34.431760438Z', { ...OLD_SPEC, ForceUpdate: 0 }),
  task('o6nebzv0784oor7otai2cyzc4', 2, 'running', 'running', '2026-12-04T16:58:34.851247826Z'),
  task('ruzdqqyugwv1p0bu2sd3ylb0k', 1, 'ready', 'ready', '2026-12-04T17:00:02.030332433Z', NEW_SPEC, { Message: 'prepared' }),
  task('t2rxaohu07fxn5ooz8hr8zoxk', 1, 'shutdown', 'shutdown', '2026-12-04T16:58:36.125293922Z', { ...OLD_SPEC, ForceUpdate: 0 }),
  task('t3wi5vtz3lg2o5skd2xxu8fko', 3, 'shutdown', 'shutdown', '2026-12-04T16:58:37.742654486Z', { ...OLD_SPEC, ForceUpdate: 0 }),
  task('tqyvnxb7lt7z4qygmzzfalhsn', 3, 'failed', 'shutdown', '2026-12-04T17:00:01.767575869Z', NEW_SPEC, { Message: 'started', Err: 'task: non-zero exit (1)' }),
  task('x0t5tvul1thd0h3e0ygmdn0gc', 3, 'ready', 'ready', '2026-12-04T17:00:02.03028993Z', NEW_SPEC, { Message: 'prepared' }),
];

const NAMES = new Map([[NODE, 'vm']]);

// --- /info ---------------------------------------------------------------------------------------

describe('the engine\'s role from /info', () => {
  it('a manager: active, manager, its node id and the counts', () => {
    assert.deepEqual(roleFromInfo(INFO_MANAGER), { state: 'active', manager: true, nodeId: NODE, managers: 1, nodes: 1, error: null });
  });
  it('outside any swarm: inactive, not a manager, no counts, and no error (a state, not a fault)', () => {
    const r = roleFromInfo(INFO_INACTIVE);
    assert.deepEqual(r, { state: 'inactive', manager: false, nodeId: null, managers: null, nodes: null, error: null });
    assert.equal(notManagerReason(r), null);
  });
  it('a worker: in the swarm but not a manager — the reason says where services are listed', () => {
    const r = roleFromInfo(INFO_WORKER);
    assert.equal(r.state, 'active');
    assert.equal(r.manager, false);
    assert.equal(notManagerReason(r), NOT_MANAGER);
    assert.match(NOT_MANAGER, /not a swarm manager .*\(docker swarm init \/ join\)/);
  });
  it('a locked manager and an unknown state are explained, never taken for a manager', () => {
    assert.match(notManagerReason(roleFromInfo({ Swarm: { LocalNodeState: 'locked', ControlAvailable: false } }))!, /locked.*docker swarm unlock/);
    assert.equal(roleFromInfo({ Swarm: { LocalNodeState: 'weird' } }).state, 'inactive');
    assert.equal(roleFromInfo({}).manager, false);
  });
  it('a non-manager snapshot has no services and no nodes, and is loaded', () => {
    const s = buildSnapshot(INFO_WORKER, null, 5, NOT_MANAGER);
    assert.deepEqual([s.services, s.nodes, s.loaded, s.error, s.at], [[], [], true, NOT_MANAGER, 5]);
  });
});

// --- services and tasks --------------------------------------------------------------------------

describe('a service from /services and /tasks', () => {
  it('counts running as state running AND desired running: a task being stopped does not count', () => {
    const s = serviceFromRaw(SERVICE_PAUSED, TASKS_PAUSED, NAMES);
    assert.equal(s.desired, 3);
    // igj7… runs but Docker is stopping it (desired shutdown); ready tasks wait to start.
    assert.equal(s.running, 1);
    assert.equal(s.name, 'probe');
    assert.equal(s.mode, 'replicated');
    assert.equal(s.version, 63);
    assert.equal(s.canRollback, true);
    assert.equal(s.forceUpdate, 1);
  });

  it('a paused update: state and Docker\'s message, progress 0 of 3 (no task on the new spec runs)', () => {
    const s = serviceFromRaw(SERVICE_PAUSED, TASKS_PAUSED, NAMES);
    assert.deepEqual(s.update, {
      state: 'paused', message: 'update paused due to failure or early termination of task tqyvnxb7lt7z4qygmzzfalhsn',
      startedAt: '2026-12-04T16:59:59.926842753Z', completedAt: null,
    });
    assert.deepEqual(s.updated, { done: 0, of: 3 });
  });

  it('the current tasks per slot: the ones Docker wants, the one on its way out, and the failed one (with its error)', () => {
    const s = serviceFromRaw(SERVICE_PAUSED, TASKS_PAUSED, NAMES);
    assert.deepEqual(s.tasks.map((t) => [t.slot, t.id.slice(0, 4), t.state, t.desiredState]), [
      [1, 'ruzd', 'ready', 'ready'],
      [1, 'igj7', 'running', 'shutdown'],
      [2, 'o6ne', 'running', 'running'],
      [3, 'x0t5', 'ready', 'ready'],
      [3, 'tqyv', 'failed', 'shutdown'],
    ]);
    const failed = s.tasks.find((t) => t.state === 'failed')!;
    assert.equal(failed.error, 'task: non-zero exit (1)');
    assert.equal(failed.node, 'vm');
    assert.equal(failed.containerId, 'tqyvnxb7lt7z4qygmzzfalhsnc0ffee');
    assert.equal(failed.since, '2026-12-04T17:00:01.767575869Z');
    assert.equal(failed.specVersion, null, 'Docker 20.10 sends no SpecVersion');
  });

  it('a slot with only finished tasks shows its newest one', () => {
    const ts = [task('a1', 1, 'shutdown', 'shutdown', '2026-01-01T00:00:01Z'), task('a2', 1, 'complete', 'shutdown', '2026-01-01T00:00:05Z')];
    assert.deepEqual(currentTasks(ts).map((t) => t.ID), ['a2']);
  });

  it('a healthy slot hides its failed history (the error shows only while nothing runs)', () => {
    const ts = [task('b1', 1, 'failed', 'shutdown', '2026-01-01T00:00:01Z', OLD_SPEC, { Err: 'boom' }), task('b2', 1, 'running', 'running', '2026-01-01T00:00:05Z')];
    assert.deepEqual(currentTasks(ts).map((t) => t.ID), ['b2']);
  });

  it('a rolling force update half way: progress counts running tasks on the current spec (ForceUpdate), not old ones', () => {
    const svc: RawService = { ...SERVICE_PAUSED, Spec: { ...SERVICE_PAUSED.Spec, TaskTemplate: { ...OLD_SPEC, ForceUpdate: 2, Runtime: 'container' } }, UpdateStatus: { State: 'updating', StartedAt: '2026-12-04T17:10:00Z', Message: 'update in progress' } };
    const ts = [
      task('n1', 1, 'running', 'running', '2026-12-04T17:10:02Z', { ...OLD_SPEC, ForceUpdate: 2 }),
      task('n2', 2, 'running', 'running', '2026-12-04T17:10:05Z', { ...OLD_SPEC, ForceUpdate: 2 }),
      task('o3', 3, 'running', 'running', '2026-12-04T17:00:00Z', { ...OLD_SPEC, ForceUpdate: 1 }),
      task('o4', 4, 'running', 'running', '2026-12-04T17:00:00Z', { ...OLD_SPEC, ForceUpdate: 1 }),
      task('o5', 5, 'running', 'running', '2026-12-04T17:00:00Z', { ...OLD_SPEC, ForceUpdate: 1 }),
    ];
    svc.Spec!.Mode = { Replicated: { Replicas: 5 } };
    const s = serviceFromRaw(svc, ts, NAMES);
    assert.deepEqual(s.updated, { done: 2, of: 5 });
    assert.equal(s.running, 5);
    assert.equal(updateText(s, Date.parse('2026-12-04T17:10:06Z')), 'updating 2/5');
  });

  it('spec matching ignores what Docker omits when empty (the template has Runtime, tasks have none)', () => {
    const t = task('x', 1, 'running', 'running', '2026-01-01T00:00:00Z', { ContainerSpec: { Image: 'a:1' }, ForceUpdate: 0 });
    assert.equal(onCurrentSpec(t, { ContainerSpec: { Image: 'a:1', Init: false, DNSConfig: {} }, Resources: { Limits: {}, Reservations: {} }, Placement: {}, Runtime: 'container' }), true);
    assert.equal(onCurrentSpec(t, { ContainerSpec: { Image: 'a:2' } }), false, 'a new image');
    assert.equal(onCurrentSpec(t, { ContainerSpec: { Image: 'a:1', Env: ['A=1'] } }), false, 'new env');
    assert.equal(onCurrentSpec(t, { ContainerSpec: { Image: 'a:1' }, ForceUpdate: 1 }), false, 'a forced update');
  });

  it('finished updates keep their state but no progress; a never-updated service has neither', () => {
    const done = serviceFromRaw({ ...SERVICE_PAUSED, UpdateStatus: { State: 'rollback_completed', StartedAt: '2026-12-04T17:00:12Z', CompletedAt: '2026-12-04T17:00:19Z', Message: 'rollback completed' } }, TASKS_PAUSED, NAMES);
    assert.equal(done.update?.state, 'rollback_completed');
    assert.equal(done.updated, null);
    assert.equal(updateText(done, Date.parse('2026-12-04T17:03:19Z')), 'rollback_completed 3m ago');
    const fresh = serviceFromRaw({ ...SERVICE_PAUSED, UpdateStatus: undefined, PreviousSpec: undefined }, TASKS_PAUSED, NAMES);
    assert.equal(fresh.update, null);
    assert.equal(fresh.canRollback, false);
  });

  it('images: the digest is cut for reading, the full reference kept; the stack comes from its label', () => {
    const s = serviceFromRaw({ ...SERVICE_PAUSED, Spec: { ...SERVICE_PAUSED.Spec, Labels: { 'com.docker.stack.namespace': 'shop' }, TaskTemplate: { ContainerSpec: { Image: 'nginx:1.25@sha256:0123abcd' } } } }, [], NAMES);
    assert.equal(s.image, 'nginx:1.25');
    assert.equal(s.imageRef, 'nginx:1.25@sha256:0123abcd');
    assert.equal(s.stack, 'shop');
    assert.equal(stripDigest('registry:5000/app@sha256:ff'), 'registry:5000/app');
  });

  it('a global service: desired from Docker\'s ServiceStatus when sent, else one per node with a task wanted; tasks by node', () => {
    const g: RawService = { ID: 'g1', Version: { Index: 9 }, Spec: { Name: 'agent', Mode: { Global: {} }, TaskTemplate: { ContainerSpec: { Image: 'agent:3' } } } };
    const ts: RawTask[] = [
      { ...task('gA', 0, 'running', 'running', '2026-01-01T00:00:00Z'), Slot: undefined, NodeID: NODE, ServiceID: 'g1' },
      { ...task('gB', 0, 'pending', 'running', '2026-01-01T00:00:00Z'), Slot: undefined, NodeID: 'other-node-id-xyz', ServiceID: 'g1' },
    ];
    const s = serviceFromRaw(g, ts, NAMES);
    assert.equal(s.mode, 'global');
    assert.equal(s.desired, 2);
    assert.equal(s.running, 1);
    assert.deepEqual(s.tasks.map((t) => [t.slot, t.node]), [[null, 'other-node-i'], [null, 'vm']]);
    assert.equal(serviceFromRaw({ ...g, ServiceStatus: { RunningTasks: 1, DesiredTasks: 3 } }, ts, NAMES).desired, 3);
  });
});

describe('nodes and the whole snapshot', () => {
  it('a node: hostname, manager and leader, availability, status, engine', () => {
    assert.deepEqual(nodeFromRaw(NODE_RAW), { id: NODE, hostname: 'vm', role: 'manager', leader: true, availability: 'active', status: 'ready', message: '', engineVersion: '20.10.24+dfsg1', addr: '127.0.0.1' });
    const down = nodeFromRaw({ ID: 'abcdefabcdef0123', Spec: { Role: 'worker', Availability: 'drain' }, Status: { State: 'down', Message: 'heartbeat failure' } });
    assert.deepEqual([down.hostname, down.role, down.leader, down.availability, down.status, down.message], ['abcdefabcdef', 'worker', false, 'drain', 'down', 'heartbeat failure']);
  });

  it('buildSnapshot: tasks go to their service, node names to tasks, services by stack then name, managers first', () => {
    const other: RawService = { ID: 'zz', Version: { Index: 2 }, Spec: { Name: 'api', Labels: { 'com.docker.stack.namespace': 'b' }, Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: { ContainerSpec: { Image: 'api:1' } } } };
    const third: RawService = { ID: 'yy', Version: { Index: 2 }, Spec: { Name: 'web', Labels: { 'com.docker.stack.namespace': 'a' }, Mode: { Replicated: { Replicas: 0 } }, TaskTemplate: { ContainerSpec: { Image: 'web:1' } } } };
    const worker: RawNode = { ID: 'wk', Spec: { Role: 'worker', Availability: 'active' }, Description: { Hostname: 'aaa-worker' }, Status: { State: 'ready' } };
    const snap = buildSnapshot(INFO_MANAGER, { services: [other, SERVICE_PAUSED, third], tasks: TASKS_PAUSED, nodes: [worker, NODE_RAW] }, 42);
    assert.deepEqual(snap.services.map((s) => s.name), ['probe', 'web', 'api']);
    assert.deepEqual(snap.nodes.map((n) => n.hostname), ['vm', 'aaa-worker']);
    assert.equal(snap.services[0]!.tasks.length, 5);
    assert.equal(snap.services[2]!.tasks.length, 0);
    assert.equal(snap.error, null);
    assert.equal(snap.loaded, true);
  });
});

// --- service logs -------------------------------------------------------------------------------

const ATTRS = `com.docker.swarm.node.id=${NODE},com.docker.swarm.service.id=${SVC},com.docker.swarm.task.id=`;

function ingested(text: string, stream: 'stdout' | 'stderr' = 'stdout', ts = 1): LogLine {
  return { seq: 0, ts, source: 'probe', sourceId: SVC, stream, text, level: null, cont: false, truncated: 0, bytes: 0 };
}

describe('service log lines (details=1)', () => {
  it('parseDetails: the attribute token (query-escaped), then the text', () => {
    const d = parseDetails(`${ATTRS}o6nebzv0784oor7otai2cyzc4 swarm-app v1 on a5c482123eb3 line 58`)!;
    assert.equal(d.attrs[TASK_ATTR], 'o6nebzv0784oor7otai2cyzc4');
    assert.equal(d.attrs['com.docker.swarm.node.id'], NODE);
    assert.equal(d.rest, 'swarm-app v1 on a5c482123eb3 line 58');
    assert.deepEqual(parseDetails('a%20b=c+d x'), { attrs: { 'a b': 'c d' }, rest: 'x' });
    assert.equal(parseDetails('plain text without attributes'), null);
    assert.deepEqual(parseDetails(' no attributes at all'), { attrs: {}, rest: 'no attributes at all' });
  });

  it('relabel: source is the task\'s slot, sourceId its container, levels and traces from the text alone, per task', () => {
    const labels = {
      serviceName: 'probe',
      get: (id: string) => ({ t1: { label: 'probe.1', containerId: 'c1', slot: 1, running: true }, t2: { label: 'probe.2', containerId: 'c2', slot: 2, running: true } } as Record<string, { label: string; containerId: string | null; slot: number | null; running: boolean }>)[id],
    };
    const chains = new Map();
    const out = relabel([
      ingested(`${ATTRS}t1 ERROR boom`, 'stderr'),
      ingested(`${ATTRS}t2 hello`, 'stderr'),
      ingested(`${ATTRS}t1     at Foo.bar(Foo.java:1)`, 'stderr'),
      ingested(`${ATTRS}t2     indented but no trace before`, 'stderr'),
      ingested(`${ATTRS}t9 from a task not known yet`),
    ], labels, chains);
    assert.deepEqual(out.map((l) => [l.source, l.sourceId, l.text, l.level, l.cont]), [
      ['probe.1', 'c1', 'ERROR boom', 'error', false],
      ['probe.2', 'c2', 'hello', null, false],
      ['probe.1', 'c1', '    at Foo.bar(Foo.java:1)', 'error', true],
      ['probe.2', 'c2', '    indented but no trace before', null, false],
      ['probe.t9', 't9', 'from a task not known yet', null, false],
    ]);
  });

  it('relabel caps the text after the token is cut, counting what was cut', () => {
    const out = relabel([ingested(`${ATTRS}t1 ${'x'.repeat(50)}`)], { serviceName: 's', get: () => undefined }, new Map(), 20);
    assert.equal(out[0]!.text, 'x'.repeat(20));
    assert.equal(out[0]!.truncated, 30);
  });

  it('a service is a log target: described as such, resolved by name when nothing else has the name', () => {
    assert.equal(describeTarget({ kind: 'service', id: SVC, name: 'probe' }), 'service probe');
    const cs = [{ id: 'aaaa1111', name: 'probe', project: null, service: null }];
    assert.deepEqual(resolveLogTarget([], 'probe', [{ id: SVC, name: 'probe' }]), { target: { kind: 'service', id: SVC, name: 'probe' } });
    assert.equal((resolveLogTarget(cs, 'probe', [{ id: SVC, name: 'probe' }]) as { target: { kind: string } }).target.kind, 'container', 'a container of that name wins');
    assert.match((resolveLogTarget([], 'prob', [{ id: SVC, name: 'probe' }]) as { error: string }).error, /swarm service named "prob" — did you mean probe/);
  });
});

// --- the view ------------------------------------------------------------------------------------

function snap(services: RawService[], tasks: RawTask[], info: RawInfo = INFO_MANAGER): SwarmSnapshot {
  return buildSnapshot(info, { services, tasks, nodes: [NODE_RAW] }, Date.parse('2026-12-04T17:00:05Z'));
}

function render(props: Partial<ServicesViewProps> & { snap: SwarmSnapshot }): string {
  const p: ServicesViewProps = { selectedId: null, width: 120, height: 20, now: props.snap.at, ascii: true, ...props };
  return renderToString(React.createElement(ThemeContext.Provider, { value: makeTheme(false) }, React.createElement(ServicesView, p)), { columns: p.width });
}

describe('the Services view', () => {
  it('the table: service, mode, replicas running/desired, image, update; the selected one\'s tasks with errors; the nodes', () => {
    const text = render({ snap: snap([SERVICE_PAUSED], TASKS_PAUSED) });
    assert.match(text, /Services: 1 · swarm manager \(leader\) · 1 manager of 1 node · 1 short of replicas · 1 updating/);
    assert.match(text, /SERVICE\s+MODE\s+REPLICAS\s+IMAGE\s+UPDATE/);
    assert.match(text, />probe\s+replicated\s+1\/3\s+opsdeck-test\/swarm-app:1\s+paused: update paused due to failure/);
    assert.match(text, /probe\.3\s+vm\s+failed → shutdown\s+\S+ ago task: non-zero exit \(1\)/);
    assert.match(text, /probe\.1\s+vm\s+running → shutdown/);
    assert.match(text, /NODE\s+ROLE\s+AVAILABILITY\s+STATUS\s+ENGINE/);
    assert.match(text, /vm\s+manager, leader\s+active\s+ready\s+20\.10\.24/);
    for (const line of text.split('\n')) assert.ok(line.length <= 120, `fits the width: ${line}`);
  });

  it('not a manager: one clear line, no table', () => {
    const text = render({ snap: buildSnapshot(INFO_WORKER, null, 1, NOT_MANAGER) });
    assert.match(text, /this engine is not a swarm manager — services are listed on a manager \(docker swarm init \/ join\)/);
    assert.doesNotMatch(text, /REPLICAS/);
    const inactive = render({ snap: buildSnapshot(INFO_INACTIVE, null, 1, null) });
    assert.match(inactive, /not a swarm manager/);
  });

  it('j/k order is stable (stack, then name) and the selection scrolls into view', () => {
    const many: RawService[] = Array.from({ length: 30 }, (_, i) => ({ ID: `id${i}`, Version: { Index: 1 }, Spec: { Name: `svc-${String(i).padStart(2, '0')}`, Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: { ContainerSpec: { Image: 'x:1' } } } }));
    const s = snap(many.reverse(), []);
    assert.deepEqual(servicesOrder(s).slice(0, 3).map((x) => x.name), ['svc-00', 'svc-01', 'svc-02']);
    const text = render({ snap: s, selectedId: 'id25', height: 16 });
    assert.match(text, />svc-25 /);
    const lay = servicesLayout(s, 25, 16);
    assert.ok(lay.top <= 25 && 25 < lay.top + lay.services);
    assert.ok(text.split('\n').length <= 16);
  });

  it('untrusted names and messages cannot reach the terminal raw', () => {
    const evil: RawService = { ...SERVICE_PAUSED, Spec: { ...SERVICE_PAUSED.Spec, Name: 'web\x1b[2J\x07' }, UpdateStatus: { State: 'paused', Message: 'bad\x1b]0;pwned\x07 news' } };
    const text = render({ snap: snap([evil], []) });
    // eslint-disable-next-line no-control-regex -- the point: no control character gets through
    assert.doesNotMatch(text, /\x1b|\x07/);
    assert.match(text, /web/);
  });
});

describe('the SwarmModel', () => {
  it('never throws: Docker unreachable is an error in the snapshot (loaded, not a manager, no services)', async () => {
    const m = new SwarmModel(createReader(resolveEndpoint({ flag: 'unix:///nonexistent/opsdeck-swarm.sock', env: {} })), { activeMs: 10, idleMs: 10 });
    let heard = 0;
    const off = m.subscribe(() => { heard++; });
    assert.equal(m.getSnapshot().loaded, false);
    await m.refresh();
    const s = m.getSnapshot();
    assert.equal(s.loaded, true);
    assert.match(s.error ?? '', /^cannot read the swarm: .*ENOENT/);
    assert.equal(s.role.manager, false);
    assert.deepEqual(s.services, []);
    assert.equal(heard, 1);
    // Two refreshes asked while one runs: both resolve, after a read that started later.
    await Promise.all([m.refresh(), m.refresh(), m.refresh()]);
    assert.ok(heard >= 2);
    off();
    m.stop();
  });
});
