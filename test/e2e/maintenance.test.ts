// Maintenance from the cockpit in a real terminal: m asks for the project's name, the banner and the
// 503 page appear, the services stop; m again starts them, waits for health, and the site answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, PROJECT, docker, inspect, serviceId, waitFor } from '../helpers/docker.js';

const PORT = process.env.OPSDECK_DEMO_PORT ?? '18080';
const MAINT_DIR = process.env.OPSDECK_DEMO_MAINT_DIR ?? '';
const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-maint-'));
const flag = join(MAINT_DIR, 'maintenance.flag');
const front = async () => {
  const r = await fetch(`http://127.0.0.1:${PORT}/`, { signal: AbortSignal.timeout(5000) });
  await r.arrayBuffer();
  return { status: r.status, retryAfter: r.headers.get('retry-after') };
};

describe('maintenance from the cockpit in tmux', { skip: !MAINT_DIR && 'OPSDECK_DEMO_MAINT_DIR is not set (test/run.sh sets it)' }, () => {
  let term: Tmux;
  let app: string;
  let worker: string;
  before(async () => {
    app = (await inspect(await serviceId('app'))).Name.replace(/^\//, '');
    worker = (await inspect(await serviceId('worker'))).Name.replace(/^\//, '');
    writeFileSync(join(dir, 'opsdeck.yaml'), `maintenance:\n  flagFile: ${flag}\n  stop: [${app}, ${worker}]\n`);
    term = await Tmux.start(`opsdeck-e2e-maint-${process.pid}`, 130, 36);
    await term.type(`cd ${dir} && ${BIN} --config ${join(dir, 'opsdeck.yaml')} --state-dir ${join(dir, 'state')}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor(app, 20_000);
  });
  after(async () => {
    await term.kill();
    // Whatever happened, the demo stack is left as it was found.
    if (existsSync(flag)) await docker('run', '--rm', '-v', `${MAINT_DIR}:/m`, 'busybox:1.36', 'rm', '-f', '/m/maintenance.flag').catch(() => undefined);
    await docker('start', app, worker).catch(() => undefined);
  });

  it('m asks for the project name, then shows the banner, serves 503 and stops the services', async () => {
    await term.type(`/${app}`);
    await term.keys('Enter');
    await term.waitFor((s) => s.split('\n').some((l) => l.startsWith('›') && l.includes(app)));
    await term.type('m');
    const dialog = await term.waitFor(`Enter maintenance for project ${PROJECT}?`);
    assert.match(dialog, new RegExp(`Stops, in this order: ${worker}, ${app}`));
    assert.match(dialog, new RegExp(`Type ${PROJECT} and press Enter`));
    await term.type(PROJECT);
    await term.keys('Enter');
    const s = await term.waitFor(new RegExp(`MAINTENANCE ON: project ${PROJECT} since \\d\\d:\\d\\d`), 60_000);
    assert.match(s, /2 stopped/);
    assert.ok(existsSync(flag), 'the flag file exists');
    const r = await front();
    assert.equal(r.status, 503);
    assert.equal(r.retryAfter, '300');
    assert.equal((await inspect(app)).State.Status, 'exited');
    assert.equal((await inspect(worker)).State.Status, 'exited');
  });

  it('m again starts the services, waits for health, removes the page; the banner goes', async () => {
    await term.type('m');
    await term.waitFor(/Leave maintenance/);
    await term.type('y');
    await term.waitFor((s) => !s.includes(' MAINTENANCE ') && s.includes('NAME'), 120_000);
    await waitFor('app running and healthy', async () => ((await inspect(app)).State.Health?.Status === 'healthy' ? true : null), 60_000);
    assert.equal((await inspect(worker)).State.Status, 'running');
    assert.ok(!existsSync(flag), 'the flag file is gone');
    assert.equal((await front()).status, 200);
    await term.type('q');
    await term.waitFor('EXIT=0');
  });
});
