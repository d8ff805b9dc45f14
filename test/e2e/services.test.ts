// The Services view (7) in a real terminal against a real Swarm (engine2, a manager): a 3-replica
// service from a locally built image shows 3/3; S scales it to 5 after the confirmation (current →
// new); F force-updates it with the progress in the UPDATE column; B rolls it back; l shows its logs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Tmux } from '../helpers/tmux.js';
import { BIN, DOCKER, REPO, opsdeck, waitFor } from '../helpers/docker.js';
import type { AuditRecord } from '../../src/store/audit.js';

const run = promisify(execFile);
const E2 = 'unix:///run/opsdeck-e2/docker.sock';
const e2 = async (...args: string[]) => (await run(DOCKER, ['-H', E2, ...args])).stdout.trim();

/** The running tasks' image and their ids, as Docker has them. */
async function tasks(service: string): Promise<{ ids: string[]; images: string[] }> {
  const lines = (await e2('service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.ID}} {{.Image}}')).split('\n').filter(Boolean);
  return { ids: lines.map((l) => l.split(' ')[0]!).sort(), images: [...new Set(lines.map((l) => l.split(' ')[1]!))] };
}

describe('the Services view on a Swarm manager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-services-'));
  const stateDir = join(dir, 'state');
  const config = join(dir, 'opsdeck.yaml');
  const svc = `opsdeck-svc-${process.pid}`;
  let term: Tmux;

  before(async () => {
    await run('bash', [join(REPO, 'test/env/engine2.sh'), 'start'], { timeout: 180_000 });
    await e2('service', 'create', '-d', '--name', svc, '--replicas', '3', '--label', 'opsdeck.test=1',
      '--update-parallelism', '2', '--update-delay', '1s', '--rollback-parallelism', '0', '--stop-grace-period', '2s', 'opsdeck-test/swarm-app:1');
    writeFileSync(config, `endpoints:\n  - { name: main, host: "unix:///var/run/docker.sock" }\n  - { name: swarm, host: "${E2}" }\n`);
    term = await Tmux.start(`opsdeck-svc-${process.pid}`, 140, 40);
    await term.type(`${BIN} --config ${config} --state-dir ${stateDir} -E swarm; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('[swarm · 2/2 up]', 30_000);
  });
  after(async () => {
    await term?.type('q');
    await term?.waitFor('EXIT=0').catch(() => undefined);
    await term?.kill();
    await e2('service', 'rm', svc).catch(() => undefined);
  });

  const row = (screen: string) => screen.split('\n').find((l) => l.includes(svc) && /replicated/.test(l)) ?? '';

  it('7 lists the service with 3/3 replicas, its image, its tasks per node and the node', async () => {
    await term.type('7');
    const screen = await term.waitFor((s) => /replicated\s+3\/3\s+opsdeck-test\/swarm-app:1/.test(row(s)), 30_000);
    assert.match(screen, /swarm manager \(leader\)/);
    assert.equal(screen.split('\n').filter((l) => new RegExp(`^\\s+${svc}\\.[123]\\s+\\S+\\s+running`).test(l)).length, 3, screen);
    assert.match(screen, /manager, leader\s+active\s+ready/);
  });

  it('S asks for the number, shows current → new, and scales to 5/5', async () => {
    await term.type('S');
    await term.waitFor(`replicas of ${svc} (now 3):`);
    await term.type('5');
    await term.keys('Enter');
    const dialog = await term.waitFor(`Scale ${svc}?`);
    assert.match(dialog, new RegExp(`${svc}: 3 → 5 replicas`));
    assert.match(dialog, /on endpoint swarm \(unix:\/\/\/run\/opsdeck-e2\/docker\.sock\)/);
    await term.type('y');
    await term.waitFor((s) => /5\/5/.test(row(s)) && s.includes(`scaled ${svc} to 5`), 60_000);
    assert.equal((await tasks(svc)).ids.length, 5);
  });

  it('F force-updates: the UPDATE column shows the rolling progress, then every task is new', async () => {
    const before = await tasks(svc);
    await term.type('F');
    await term.waitFor(`Restart ${svc} (force update)?`);
    await term.type('y');
    await term.waitFor((s) => /updating \d\/5/.test(row(s)), 30_000);
    await term.waitFor((s) => s.includes(`force-updated ${svc}`), 120_000);
    const afterIds = (await tasks(svc)).ids;
    assert.equal(afterIds.length, 5);
    assert.ok(afterIds.every((id) => !before.ids.includes(id)), 'every task replaced');
  });

  it('B rolls back to the previous spec; the audit names the endpoint', async () => {
    // A real change to roll back: the image goes to :2 (by the docker CLI, as a deploy would).
    await e2('service', 'update', '-d', '--image', 'opsdeck-test/swarm-app:2', svc);
    await term.waitFor((s) => row(s).includes('opsdeck-test/swarm-app:2'), 30_000);
    await waitFor('the update to :2 to finish', async () => (await tasks(svc)).images.join() === 'opsdeck-test/swarm-app:2' || null, 120_000, 1000);
    await term.type('B');
    await term.waitFor(`Roll back ${svc}?`);
    await term.type('y');
    await term.waitFor((s) => s.includes(`rolled ${svc} back`), 120_000);
    await waitFor('every task back on :1', async () => (await tasks(svc)).images.join() === 'opsdeck-test/swarm-app:1' || null, 60_000, 1000);
    await term.waitFor((s) => row(s).includes('opsdeck-test/swarm-app:1'), 20_000);
    const rows = JSON.parse((await opsdeck(['audit', '--json', '--state-dir', stateDir])).stdout) as AuditRecord[];
    assert.deepEqual(rows.slice(0, 3).map((r) => [r.target, r.result, r.endpoint]), [
      [`service/${svc}`, 'ok', 'swarm'], [`service/${svc}`, 'ok', 'swarm'], [`service/${svc}`, 'ok', 'swarm'],
    ]);
  });

  it('l shows the service\'s logs, every task merged, in the Logs view', async () => {
    await term.type('l');
    // Each line carries its task's slot (a long service name gives way in the middle: "opsdeck-svc-123….3").
    const screen = await term.waitFor((s) => s.includes(`Logs: service ${svc}`) && /\.\d\s+│ swarm-app v1 on/.test(s), 20_000);
    const slots = new Set([...screen.matchAll(/(\.\d)\s+│ swarm-app v1 on/g)].map((m) => m[1]));
    assert.ok(slots.size >= 2, `lines from several tasks: ${[...slots].join(', ')}`);
  });
});
