// Container actions from the cockpit in a real terminal: the dialog, y, cancel paths, read-only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, inspect, opsdeck, serviceId } from '../helpers/docker.js';
import type { AuditRecord } from '../../src/store/audit.js';

const expectedUser = process.env.SUDO_USER || process.env.USER || process.env.LOGNAME || userInfo().username;

async function auditRows(stateDir: string): Promise<AuditRecord[]> {
  const res = await opsdeck(['audit', '--json', '--state-dir', stateDir]);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as AuditRecord[];
}

describe('container actions in the cockpit', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-actions-'));
  let term: Tmux;
  let workerId: string;
  let workerName: string;

  before(async () => {
    workerId = await serviceId('worker');
    workerName = (await inspect(workerId)).Name.replace(/^\//, '');
    term = await Tmux.start(`opsdeck-act-${process.pid}`, 120, 36);
    await term.type(`${BIN} --state-dir ${stateDir}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor(workerName, 20_000);
    // The full name: another compose stack on the machine may have a worker too.
    await term.type(`/${workerName}`);
    await term.keys('Enter');
    await term.waitFor((s) => s.includes(`filter: ${workerName}`) && s.split('\n').some((l) => l.startsWith('›') && l.includes(workerName)));
  });
  after(async () => {
    await term.type('q');
    await term.waitFor('EXIT=0').catch(() => undefined);
    await term.kill();
  });

  it('r asks first, naming the container and its project; y restarts it and the audit says so', async () => {
    const before = (await inspect(workerId)).State.StartedAt;
    await term.type('r');
    const dialog = await term.waitFor(`Restart ${workerName}?`);
    assert.match(dialog, new RegExp(`${workerName} \\(project \\S+, service worker\\) — currently running for`));
    assert.match(dialog, /y = restart/);
    await term.type('y');
    await term.waitFor(`restarted ${workerName}`, 30_000);
    const afterStart = (await inspect(workerId)).State.StartedAt;
    assert.notEqual(afterStart, before, 'StartedAt changed');
    const [row] = await auditRows(stateDir);
    assert.equal(row?.action, 'container.restart');
    assert.equal(row?.target, `container/${workerName}`);
    assert.equal(row?.result, 'ok');
    assert.equal(row?.user, expectedUser);
  });

  it('n, Esc and a wrong typed name cancel: nothing changes, nothing is audited as done', async () => {
    const before = (await inspect(workerId)).State.StartedAt;
    const auditBefore = (await auditRows(stateDir)).length;

    await term.type('r');
    await term.waitFor(`Restart ${workerName}?`);
    await term.type('n');
    await term.waitFor(`cancelled: ${workerName} was not touched`);

    await term.type('r');
    await term.waitFor(`Restart ${workerName}?`);
    await term.keys('Escape');
    await term.waitFor((s) => !s.includes(`Restart ${workerName}?`) && s.includes('cancelled'));

    await term.type('s');
    const stopDialog = await term.waitFor(`Stop ${workerName}?`);
    assert.match(stopDialog, new RegExp(`Type ${workerName} and press Enter to stop`));
    await term.type('opsdeck-wrong');
    await term.waitFor('> opsdeck-wrong');
    await term.keys('Enter');
    await term.waitFor(`is not "${workerName}": cancelled`);

    assert.equal((await inspect(workerId)).State.StartedAt, before, 'StartedAt unchanged');
    assert.equal((await inspect(workerId)).State.Status, 'running');
    assert.equal((await auditRows(stateDir)).length, auditBefore, 'no audit entry for cancelled dialogs');
  });

  it(': opens the palette; Tab completes; the command runs through the same dialog', async () => {
    await term.type(':rest');
    await term.keys('Tab');
    await term.waitFor(':restart █');
    await term.type(workerName.slice(0, workerName.length - 3));
    await term.keys('Tab');
    await term.waitFor(`:restart ${workerName} █`);
    await term.keys('Enter');
    await term.waitFor(`Restart ${workerName}?`);
    await term.keys('Escape');
    await term.waitFor('cancelled');
  });
});

describe('read-only cockpit', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-ro-'));
  let term: Tmux;
  after(async () => { await term.kill(); });

  it('shows the badge, marks mutating keys unavailable, explains on r, and changes nothing', async () => {
    const workerId = await serviceId('worker');
    const workerName = (await inspect(workerId)).Name.replace(/^\//, '');
    const before = (await inspect(workerId)).State.StartedAt;
    term = await Tmux.start(`opsdeck-ro-${process.pid}`, 140, 36);
    await term.type(`${BIN} --read-only --state-dir ${stateDir}; echo "EXIT=$?"`);
    await term.keys('Enter');
    const screen = await term.waitFor(workerName, 20_000);
    assert.match(screen, /\[READ-ONLY\]/);
    assert.match(screen, /r restart \(read-only\)/);
    await term.type(`/${workerName}`);
    await term.keys('Enter');
    await term.type('r');
    await term.waitFor('read-only: restart is unavailable');
    await term.type('s');
    await term.waitFor('read-only: stop is unavailable');
    await term.type('?');
    await term.waitFor('[changes things — unavailable: read-only]');
    await term.keys('Escape');
    // Esc and q sent together read as Alt-q: wait for the help to close first.
    await term.waitFor((x) => !x.includes('Keys — Esc or ? closes') && x.includes('NAME'));
    await term.type('q');
    await term.waitFor('EXIT=0');
    assert.equal((await inspect(workerId)).State.StartedAt, before);
  });
});

describe('the command line asks on a terminal', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-cli-'));
  let term: Tmux;
  after(async () => { await term.kill(); });

  it('restart prompts [y/N]; stop wants the exact name; a wrong answer changes nothing', async () => {
    const workerId = await serviceId('worker');
    const workerName = (await inspect(workerId)).Name.replace(/^\//, '');
    term = await Tmux.start(`opsdeck-cli-${process.pid}`, 140, 30);
    const before = (await inspect(workerId)).State.StartedAt;

    await term.type(`${BIN} stop ${workerName} --state-dir ${stateDir}; echo "STOP-EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor(`Type the name (${workerName}) to stop, anything else cancels:`);
    await term.type('y');
    await term.keys('Enter');
    await term.waitFor('STOP-EXIT=1');
    assert.match(await term.screen(), /cancelled: nothing was changed/);
    assert.equal((await inspect(workerId)).State.Status, 'running');

    await term.type(`${BIN} restart ${workerName} --timeout 1 --state-dir ${stateDir}; echo "RESTART-EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('restart? [y/N]');
    await term.type('y');
    await term.keys('Enter');
    await term.waitFor('RESTART-EXIT=0', 30_000);
    assert.notEqual((await inspect(workerId)).State.StartedAt, before);
    const [row] = await auditRows(stateDir);
    assert.equal(row?.result, 'ok');
  });
});
