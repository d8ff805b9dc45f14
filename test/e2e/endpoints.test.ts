// Several Docker endpoints in one cockpit, against two real engines (the main one and engine2,
// a second dockerd with its own socket, data root and network namespace — test/env/engine2.sh):
// both listed, switching, the all-hosts Overview, a restart that goes to the right engine, and one
// engine going away while the other keeps updating.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Tmux } from '../helpers/tmux.js';
import { BIN, DOCKER, REPO, TEST_LABEL, docker, inspect, opsdeck, removeTestContainers, runTestContainer } from '../helpers/docker.js';
import type { AuditRecord } from '../../src/store/audit.js';

const run = promisify(execFile);
const E2 = 'unix:///run/opsdeck-e2/docker.sock';
const e2 = async (...args: string[]) => (await run(DOCKER, ['-H', E2, ...args])).stdout.trim();
const engine2 = (verb: 'start' | 'stop') => run('bash', [join(REPO, 'test/env/engine2.sh'), verb], { timeout: 180_000 });

describe('two Docker engines in one cockpit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-endpoints-'));
  const stateDir = join(dir, 'state');
  const config = join(dir, 'opsdeck.yaml');
  const a = `opsdeck-mh-a-${process.pid}`;
  const b = `opsdeck-mh-b-${process.pid}`;
  let term: Tmux;

  before(async () => {
    await engine2('start');
    await runTestContainer(a, ['--init']);
    await e2('run', '-d', '--init', '--name', b, '--label', TEST_LABEL, 'busybox:1.36', 'sleep', '600');
    writeFileSync(config, [
      'endpoints:',
      '  - name: main',
      '    host: unix:///var/run/docker.sock',
      '  - name: second',
      `    host: ${E2}`,
      '',
    ].join('\n'));
    term = await Tmux.start(`opsdeck-mh-${process.pid}`, 140, 40);
    await term.type(`${BIN} --config ${config} --state-dir ${stateDir}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor((s) => s.includes('[main · 2/2 up]') && s.includes(a), 30_000);
  });
  after(async () => {
    await term?.type('q');
    await term?.waitFor('EXIT=0').catch(() => undefined);
    await term?.kill();
    await engine2('start').catch(() => undefined);
    await e2('rm', '-f', b).catch(() => undefined);
    await removeTestContainers();
  });

  it('shows the first endpoint, without the other engine\'s containers', async () => {
    const screen = await term.screen();
    assert.ok(!screen.includes(b), 'the second engine\'s container is not on the first one\'s Overview');
  });

  it('H lists both endpoints and "all hosts"; picking second shows its containers only', async () => {
    await term.type('H');
    const chooser = await term.waitFor('Docker endpoints');
    assert.match(chooser, /● main {2}up \(docker [\d.]+[^)]*\), \d+\/\d+ running {2}unix:\/\/\/var\/run\/docker\.sock/);
    assert.match(chooser, /second {2}up .* unix:\/\/\/run\/opsdeck-e2\/docker\.sock/);
    assert.match(chooser, /all hosts — 2\/2 up/);
    await term.type('j');
    await term.keys('Enter');
    const screen = await term.waitFor((s) => s.includes('[second · 2/2 up]') && s.includes(b));
    assert.ok(!screen.includes(a), 'the first engine\'s container is gone from the second one\'s Overview');
    assert.match(screen, /docker unix:\/\/\/run\/opsdeck-e2\/docker\.sock/);
  });

  it('the all-hosts Overview groups by host then project', async () => {
    await term.type(':host all');
    await term.keys('Enter');
    const screen = await term.waitFor((s) => s.includes('[all hosts · 2/2 up]') && s.includes(a) && s.includes(b), 20_000);
    const lines = screen.split('\n');
    const at = (pred: (l: string) => boolean) => lines.findIndex(pred);
    const mainHead = at((l) => /■ main {2}unix:\/\/\/var\/run\/docker\.sock {2}\d+\/\d+ running/.test(l));
    const secondHead = at((l) => /■ second {2}unix:\/\/\/run\/opsdeck-e2\/docker\.sock {2}\d+\/\d+ running/.test(l));
    assert.ok(mainHead >= 0 && secondHead > mainHead, screen);
    // Filtered to our two containers so both fit on one screen: each under its own host.
    await term.type(`/opsdeck-mh-`);
    await term.keys('Enter');
    const filtered = (await term.waitFor((s) => s.includes('filter: opsdeck-mh-') && s.includes(a) && s.includes(b))).split('\n');
    const fm = filtered.findIndex((l) => l.includes('■ main'));
    const fa = filtered.findIndex((l) => l.includes(a));
    const fs = filtered.findIndex((l) => l.includes('■ second'));
    const fb = filtered.findIndex((l) => l.includes(b));
    assert.ok(fm >= 0 && fm < fa && fa < fs && fs < fb, filtered.join('\n'));
    assert.ok(filtered.slice(fs, fb).some((l) => l.includes('▾ (no compose project)')), 'a project line under the host');
  });

  it('a restart of the second engine\'s container goes to the second engine, and the audit says which', async () => {
    const startedA = (await inspect(a)).State.StartedAt;
    const startedB = JSON.parse(await e2('inspect', b))[0].State.StartedAt as string;
    // Select b: move down until the selection marker is on its line.
    for (let i = 0; i < 6; i++) {
      const sel = (await term.lines()).find((l) => l.startsWith('›'));
      if (sel?.includes(b)) break;
      await term.type('j');
      await new Promise((r) => setTimeout(r, 150));
    }
    await term.waitFor((s) => s.split('\n').some((l) => l.startsWith('›') && l.includes(b)));
    await term.type('r');
    const dialog = await term.waitFor(`Restart ${b}?`);
    assert.match(dialog, /on endpoint second \(unix:\/\/\/run\/opsdeck-e2\/docker\.sock\)/);
    await term.type('y');
    await term.waitFor(`restarted ${b}`, 30_000);
    const afterB = JSON.parse(await e2('inspect', b))[0].State.StartedAt as string;
    assert.notEqual(afterB, startedB, 'the second engine\'s container restarted');
    assert.equal((await inspect(a)).State.StartedAt, startedA, 'the first engine\'s container was not touched');
    const res = await opsdeck(['audit', '--json', '--state-dir', stateDir]);
    const [row] = JSON.parse(res.stdout) as AuditRecord[];
    assert.equal(row?.action, 'container.restart');
    assert.equal(row?.target, `container/${b}`);
    assert.equal(row?.endpoint, 'second');
    assert.equal(row?.result, 'ok');
  });

  it('the second engine going away shows its banner while the first keeps updating; it comes back by itself', async () => {
    await engine2('stop');
    await term.waitFor((s) => s.includes('[all hosts · 1/2 up]') && /■ second .*UNREACHABLE/.test(s), 30_000);
    // The first engine's rows still follow Docker: a stop there shows.
    await docker('stop', '-t', '1', a);
    await term.waitFor((s) => s.split('\n').some((l) => l.includes(a) && /exited/.test(l)), 20_000);
    // On the second endpoint itself: the banner with what was tried.
    await term.type(':host second');
    await term.keys('Enter');
    await term.waitFor((s) => s.includes('[second · 1/2 up]') && /Docker unreachable: .*\/run\/opsdeck-e2\/docker\.sock/.test(s), 20_000);
    await engine2('start');
    await term.waitFor((s) => s.includes('[second · 2/2 up]') && !s.includes('Docker unreachable') && s.includes(b), 45_000);
  });
});

describe('--endpoint on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-endpoint-cli-'));
  const config = join(dir, 'opsdeck.yaml');
  const b = `opsdeck-mh-cli-${process.pid}`;
  before(async () => {
    await engine2('start');
    await e2('run', '-d', '--init', '--name', b, '--label', TEST_LABEL, 'busybox:1.36', 'sleep', '600');
    writeFileSync(config, `endpoints:\n  - { name: main, host: "unix:///var/run/docker.sock" }\n  - { name: second, host: "${E2}" }\n`);
  });
  after(async () => { await e2('rm', '-f', b).catch(() => undefined); });

  it('restart -E second acts on the second engine; an unknown endpoint is exit 2 with the known ones', async () => {
    const before = JSON.parse(await e2('inspect', b))[0].State.StartedAt as string;
    const res = await opsdeck(['--config', config, '--state-dir', join(dir, 'state'), '-E', 'second', 'restart', b, '--yes']);
    assert.equal(res.code, 0, res.stderr);
    assert.notEqual(JSON.parse(await e2('inspect', b))[0].State.StartedAt, before);
    const onMain = await opsdeck(['--config', config, '--state-dir', join(dir, 'state'), 'restart', b, '--yes']);
    assert.equal(onMain.code, 1, 'the first endpoint has no such container');
    assert.match(onMain.stderr, new RegExp(`no container named "${b}"`));
    const bad = await opsdeck(['--config', config, '-E', 'nope', 'status']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown endpoint "nope" \(known: main, second\)/);
  });
});

describe('an ssh:// endpoint (the system\'s ssh to a local sshd, forwarding to engine2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-ssh-'));
  const stateDir = join(dir, 'state');
  const config = join(dir, 'opsdeck.yaml');
  const c = `opsdeck-mh-ssh-${process.pid}`;
  let term: Tmux;
  before(async () => {
    await engine2('start');
    await run('bash', [join(REPO, 'test/env/sshd.sh'), 'start'], { timeout: 300_000 });
    await e2('run', '-d', '--init', '--name', c, '--label', TEST_LABEL, 'busybox:1.36', 'sleep', '600');
    writeFileSync(config, [
      'endpoints:',
      '  - name: main',
      '    host: unix:///var/run/docker.sock',
      '  - name: viassh',
      '    host: ssh://opsdeck-test-ssh-e2',
      '    ssh: { config: /var/lib/opsdeck-sshd/client/ssh_config }',
      '',
    ].join('\n'));
  });
  after(async () => {
    await term?.type('q');
    await term?.waitFor('EXIT=0').catch(() => undefined);
    await term?.kill();
    await e2('rm', '-f', c).catch(() => undefined);
  });

  it('status and a restart go through ssh to the engine behind it', async () => {
    const status = await opsdeck(['--config', config, '--state-dir', stateDir, '-E', 'viassh', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const snap = JSON.parse(status.stdout) as { docker: { name: string; endpoint: string; status: string }; endpoints: { name: string; status: string }[]; containers: { name: string }[] };
    assert.deepEqual([snap.docker.name, snap.docker.endpoint, snap.docker.status], ['viassh', 'ssh://opsdeck-test-ssh-e2', 'up']);
    assert.deepEqual(snap.endpoints.map((e) => [e.name, e.status]), [['main', 'up'], ['viassh', 'up']]);
    assert.ok(snap.containers.some((x) => x.name === c), 'engine2\'s container, seen through ssh');
    const before = JSON.parse(await e2('inspect', c))[0].State.StartedAt as string;
    const res = await opsdeck(['--config', config, '--state-dir', stateDir, '-E', 'viassh', 'restart', c, '--yes']);
    assert.equal(res.code, 0, res.stderr);
    assert.notEqual(JSON.parse(await e2('inspect', c))[0].State.StartedAt, before);
  });

  it('the cockpit shows the ssh endpoint\'s containers and follows them', async () => {
    term = await Tmux.start(`opsdeck-ssh-${process.pid}`, 140, 40);
    await term.type(`${BIN} --config ${config} --state-dir ${stateDir} -E viassh; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor((s) => s.includes('[viassh · 2/2 up]') && s.includes('docker ssh://opsdeck-test-ssh-e2') && s.includes(c), 30_000);
    // Events come through ssh too: a stop on the engine shows.
    await e2('stop', '-t', '1', c);
    await term.waitFor((s) => s.split('\n').some((l) => l.includes(c) && /exited/.test(l)), 20_000);
  });

  it('an ssh endpoint that cannot log in shows ssh\'s own words and what to do', async () => {
    const bad = join(dir, 'bad.yaml');
    const badKnown = join(dir, 'known_hosts');
    writeFileSync(badKnown, '');
    const badCfg = join(dir, 'ssh_config');
    writeFileSync(badCfg, `Host opsdeck-test-ssh\n  HostName 127.0.0.1\n  Port 2222\n  User root\n  IdentityFile /var/lib/opsdeck-sshd/client/id_ed25519\n  UserKnownHostsFile ${badKnown}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n`);
    writeFileSync(bad, `endpoints:\n  - { name: nokey, host: "ssh://opsdeck-test-ssh", ssh: { config: "${badCfg}" } }\n`);
    const res = await opsdeck(['--config', bad, '--state-dir', stateDir, 'status']);
    assert.notEqual(res.code, 0);
    assert.match(res.stdout + res.stderr, /ssh to ssh:\/\/opsdeck-test-ssh .*failed: Host key verification failed\./);
    assert.match(res.stdout + res.stderr, /known_hosts/);
  });
});
