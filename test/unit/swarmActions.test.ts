// The Swarm actions (actions/swarm.ts): what the confirmation says, and what is refused before
// anything changes. Run through the real runner with a real state store; the Docker client points
// at a socket that does not exist, so a refusal that needed Docker would fail differently — these
// refusals happen on the operator's input and the service as shown, before any call.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeUpdateConfig, findService, forceUpdateAction, rollbackAction, scaleAction, specChanges, UnknownServiceError, updateTimeoutMs,
  type ScaleParams, type ServiceParams,
} from '../../actions/swarm.js';
import type { ActionContext } from '../../actions/types.js';
import { createControl, createReader } from '../../src/docker/client.js';
import { resolveEndpoint } from '../../src/docker/endpoint.js';
import { Runner } from '../../src/run/runner.js';
import { listAudit } from '../../src/store/audit.js';
import { openState } from '../../src/store/db.js';
import { listLocks } from '../../src/store/locks.js';
import { serviceFromRaw, type RawService, type RawServiceSpec, type RawTask } from '../../src/swarm/read.js';
import type { SwarmService } from '../../src/swarm/types.js';

const reader = createReader(resolveEndpoint({ flag: 'unix:///nonexistent/opsdeck-swarm.sock', env: {} }));
const ctx: ActionContext = { docker: reader, control: createControl(reader, { readOnly: false }) };
const state = () => openState(mkdtempSync(join(tmpdir(), 'opsdeck-unit-swarm-'))).db;

function spec(over: Partial<RawServiceSpec> = {}, image = 'opsdeck-test/swarm-app:1', replicas = 3): RawServiceSpec {
  return {
    Name: 'web',
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: image, Init: false }, ForceUpdate: 0, Runtime: 'container' },
    Mode: { Replicated: { Replicas: replicas } },
    UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5_000_000_000, MaxFailureRatio: 0, Order: 'stop-first' },
    EndpointSpec: { Mode: 'vip' },
    ...over,
  };
}

function running(n: number, image = 'opsdeck-test/swarm-app:1'): RawTask[] {
  return Array.from({ length: n }, (_, i) => ({
    ID: `task${i + 1}`, ServiceID: 'svcid0123456789', Slot: i + 1, NodeID: 'node1',
    Spec: { ContainerSpec: { Image: image, Init: false }, ForceUpdate: 0 },
    Status: { Timestamp: '2026-12-04T17:00:00Z', State: 'running', Message: 'started' }, DesiredState: 'running',
  }));
}

function service(raw: Partial<RawService> = {}, tasks = running(3)): { service: SwarmService; raw: RawService } {
  const r: RawService = { ID: 'svcid0123456789', Version: { Index: 40 }, Spec: spec(), ...raw };
  return { service: serviceFromRaw(r, tasks, new Map([['node1', 'vm']])), raw: r };
}

describe('scale: the confirmation', () => {
  it('says current → new, what runs now, and what Docker will do', async () => {
    const p: ScaleParams = { ...service(), replicas: 5 };
    const c = await scaleAction.confirmation(p, ctx);
    assert.equal(c.title, 'Scale web?');
    assert.equal(c.verb, 'scale');
    assert.equal(c.lines[0], 'web: 3 → 5 replicas');
    assert.equal(c.lines[1], 'now 3/3 running, image opsdeck-test/swarm-app:1');
    assert.match(c.lines[2]!, /Docker starts 2 new tasks \(slots 4–5\)/);
    assert.equal(c.typeToConfirm, undefined);
    assert.equal(scaleAction.target(p), 'service/web');
    assert.deepEqual(scaleAction.auditParams!(p), { id: 'svcid0123456', from: 3, to: 5 });
  });

  it('scaling down names the tasks that stop; to 0 the name must be typed', async () => {
    const down = await scaleAction.confirmation({ ...service(), replicas: 2 }, ctx);
    assert.equal(down.lines[0], 'web: 3 → 2 replicas');
    assert.match(down.lines[2]!, /Docker stops 1 task \(the highest slots\); connections to it are dropped/);
    const zero = await scaleAction.confirmation({ ...service(), replicas: 0 }, ctx);
    assert.equal(zero.typeToConfirm, 'web');
    assert.match(zero.lines.join('\n'), /Nothing of the service runs until it is scaled up again/);
  });

  it('a service short of replicas shows it: "now 1/3 running"', async () => {
    const c = await scaleAction.confirmation({ ...service({}, running(1)), replicas: 4 }, ctx);
    assert.match(c.lines[1]!, /^now 1\/3 running/);
  });
});

describe('scale: refused before anything changes (and audited as refused)', () => {
  const refused = async (p: ScaleParams) => {
    const db = state();
    let asked = false;
    const res = await new Runner({ ctx, db, readOnly: false }).run(scaleAction, p, { confirm: async () => { asked = true; return true; } });
    assert.equal(res.result, 'refused');
    assert.equal(asked, false, 'no confirmation for a refused action');
    const audit = listAudit(db);
    assert.equal(audit[0]?.result, 'refused');
    assert.equal(audit[0]?.target, 'service/web');
    assert.deepEqual(listLocks(db), []);
    return res.error ?? '';
  };

  it('negative, fractional or not a number', async () => {
    assert.match(await refused({ ...service(), replicas: -1 }), /replicas must be a whole number, 0 or more \(got -1\)/);
    assert.match(await refused({ ...service(), replicas: 2.5 }), /whole number.*got 2\.5/);
    assert.match(await refused({ ...service(), replicas: Number('five') }), /whole number.*got NaN/);
  });

  it('a global service: no replica count to scale', async () => {
    const g = service({ Spec: spec({ Mode: { Global: {} } }) });
    assert.equal(g.service.mode, 'global');
    assert.match(await refused({ ...g, replicas: 3 }), /web is a global service: it runs one task on every eligible node and has no replica count to scale/);
  });

  it('a replicated job is not scaled either', async () => {
    const j = service({ Spec: spec({ Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 4 } } }) });
    assert.match(await refused({ ...j, replicas: 3 }), /replicated-job service: only replicated services scale/);
  });

  it('read-only: refused by the runner itself, whatever the parameters', async () => {
    const db = state();
    const res = await new Runner({ ctx, db, readOnly: true }).run(scaleAction, { ...service(), replicas: 5 }, { confirm: async () => true });
    assert.equal(res.result, 'refused');
    assert.match(res.error!, /read-only, so it will not scale service\/web/);
    assert.equal(listAudit(db)[0]?.result, 'refused');
  });
});

describe('force update (rolling restart): the confirmation', () => {
  it('states the rolling restart, the counter, and how Docker rolls (update config)', async () => {
    const p: ServiceParams = service();
    const c = await forceUpdateAction.confirmation(p, ctx);
    assert.equal(c.title, 'Restart web (force update)?');
    assert.equal(c.verb, 'restart');
    assert.equal(c.lines[0], 'web — 3/3 running, image opsdeck-test/swarm-app:1');
    assert.match(c.lines[1]!, /replaces each of its 3 tasks by a new one, same image and settings \(force-update counter 0 → 1\)/);
    assert.equal(c.lines[2], 'How: 1 task at a time, the old task stops before the new one starts, each watched 5s, on failure: pause.');
    assert.match(c.lines[3]!, /connections are dropped \(stop-first\)/);
    assert.equal(forceUpdateAction.target(p), 'service/web');
    assert.deepEqual(forceUpdateAction.auditParams!(p), { id: 'svcid0123456', image: 'opsdeck-test/swarm-app:1', forceUpdate: 1 });
  });

  it('one replica, stop-first: the service is down meanwhile — said so', async () => {
    const c = await forceUpdateAction.confirmation(service({ Spec: spec({}, undefined, 1) }, running(1)), ctx);
    assert.match(c.lines.join('\n'), /The service is down while its tasks are replaced/);
  });

  it('describeUpdateConfig and the default wait follow the update config', () => {
    assert.equal(describeUpdateConfig({ Parallelism: 2, Delay: 10_000_000_000, Order: 'start-first', FailureAction: 'rollback', Monitor: 0 }),
      '2 tasks at a time, the new task starts before the old one stops, 10s between batches, each watched 0s, on failure: rollback');
    assert.equal(describeUpdateConfig(undefined), '1 task at a time, the old task stops before the new one starts, each watched 5s, on failure: pause');
    assert.equal(updateTimeoutMs(undefined, 3), 60_000);
    assert.equal(updateTimeoutMs({ Parallelism: 1, Monitor: 5e9 }, 10), 200_000);
    assert.equal(updateTimeoutMs({ Parallelism: 1, Monitor: 5e9 }, 1000), 15 * 60_000);
  });
});

describe('rollback', () => {
  it('refused when the service has no previous spec (audited as refused, nothing asked)', async () => {
    const db = state();
    const p = service();
    assert.equal(p.service.canRollback, false);
    const res = await new Runner({ ctx, db, readOnly: false }).run(rollbackAction, { service: p.service }, { confirm: async () => assert.fail('not asked') });
    assert.equal(res.result, 'refused');
    assert.equal(res.error, 'web has no previous spec to roll back to (it has not been updated since it was created)');
    assert.equal(listAudit(db)[0]?.action, 'service.rollback');
  });

  it('the confirmation lists what goes back: image, replicas, env names (never values)', async () => {
    const raw: Partial<RawService> = {
      Spec: spec({ TaskTemplate: { ContainerSpec: { Image: 'opsdeck-test/swarm-app:2', Env: ['TOKEN=s3cret', 'MODE=fast'] }, ForceUpdate: 0 } }, undefined, 5),
      PreviousSpec: spec({ TaskTemplate: { ContainerSpec: { Image: 'opsdeck-test/swarm-app:1', Env: ['TOKEN=pr3vious', 'MODE=fast'] }, ForceUpdate: 0 } }, undefined, 3),
      UpdateStatus: { State: 'completed', StartedAt: '2026-12-04T17:00:00Z', CompletedAt: '2026-12-04T17:00:20Z', Message: 'update completed' },
    };
    const p = service(raw, running(5, 'opsdeck-test/swarm-app:2'));
    const c = await rollbackAction.confirmation(p, ctx);
    assert.equal(c.title, 'Roll back web?');
    assert.equal(c.verb, 'roll back');
    assert.equal(c.lines[0], 'web — 5/5 running, image opsdeck-test/swarm-app:2');
    assert.equal(c.lines[1], 'Back to the previous spec: image opsdeck-test/swarm-app:2 → opsdeck-test/swarm-app:1; replicas 5 → 3; environment: TOKEN differ.');
    assert.doesNotMatch(c.lines.join('\n'), /s3cret|pr3vious/);
    assert.match(c.lines.join('\n'), /a second rollback undoes this one/);
  });

  it('specChanges: args, command and the force-update counter', () => {
    const a = spec({ TaskTemplate: { ContainerSpec: { Image: 'x:1', Args: ['false'] }, ForceUpdate: 2 } });
    const b = spec({ TaskTemplate: { ContainerSpec: { Image: 'x:1' }, ForceUpdate: 1 } });
    assert.deepEqual(specChanges(a, b), ['args "false" → ""', 'force-update counter 2 → 1']);
    assert.deepEqual(specChanges(a, a), []);
  });
});

describe('finding a service by what the operator typed', () => {
  const list = [service().service, { ...service().service, id: 'abcdef987654', name: 'web-admin' }, { ...service().service, id: 'fff000111222', name: 'worker' }];
  it('exact name first, then an id prefix of 4+ characters', () => {
    assert.equal(findService(list, 'web').name, 'web');
    assert.equal(findService(list, 'abcdef').name, 'web-admin');
  });
  it('unknown: near names in the message', () => {
    assert.throws(() => findService(list, 'we'), (e: unknown) => e instanceof UnknownServiceError && /no swarm service named "we"; did you mean "web", "web-admin"\?/.test((e as Error).message));
    assert.throws(() => findService(list, 'zzz'), /^UnknownServiceError: no swarm service named "zzz"$/);
  });
});
