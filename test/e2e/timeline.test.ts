// The Timeline view in a real terminal: Docker events arrive live (a SIGKILL shows its exit code),
// the Overview says what changed in the last hour, `/` filters, Enter opens the container's logs at
// that time, and the feed survives a restart of opsdeck (it is in the state store).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, docker, removeTestContainers, runTestContainer } from '../helpers/docker.js';

const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-timeline-'));
const NAME = `tlE${process.pid}-victim`;

describe('the Timeline view in tmux', () => {
  let term: Tmux;
  const start = async () => {
    await term.type(`cd ${dir} && ${BIN} --state-dir ${join(dir, 'state')}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('1 Overview');
  };
  before(async () => {
    await runTestContainer(NAME, [], 'busybox:1.36', ['sh', '-c', 'echo hello-from-the-victim; sleep 100000']);
    term = await Tmux.start(`opsdeck-e2e-timeline-${process.pid}`, 140, 36);
    await start();
  });
  after(async () => {
    await term.kill();
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a SIGKILL appears live in view 6 with its exit code; the Overview says what changed', async () => {
    await term.type('6');
    await term.waitFor(new RegExp(`${NAME}.*start`), 20_000);
    await docker('kill', '-s', 'KILL', NAME);
    const s = await term.waitFor(new RegExp(`${NAME}.*died \\(exit 137`), 20_000);
    assert.match(s, /CRIT|WARN/);
    await term.type('1');
    await term.waitFor(new RegExp(`last hour: .*\\d+ died \\([^)]*${NAME}`), 30_000);
  });

  it('/ filters by container; Enter opens its logs from a minute before the event', async () => {
    await docker('start', NAME);
    await term.type('6');
    await term.waitFor(new RegExp(`${NAME}.*died \\(exit 137`), 10_000);
    await term.type(`/${NAME}`);
    await term.keys('Enter');
    await term.waitFor(`filter: ${NAME}`, 5000);
    await term.type('G');
    await term.keys('Enter');
    const s = await term.waitFor('hello-from-the-victim', 20_000);
    assert.match(s, /2 Logs/);
  });

  it('the feed survives a restart of opsdeck', async () => {
    await term.type('q');
    await term.waitFor('EXIT=0');
    await start();
    await term.type('6');
    await term.waitFor(new RegExp(`${NAME}.*died \\(exit 137`), 20_000);
    await term.type('q');
    await term.waitFor(/EXIT=0[\s\S]*EXIT=0/);
  });
});
