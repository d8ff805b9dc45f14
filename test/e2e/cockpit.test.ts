// The cockpit in a real terminal (tmux), used as a person would: look, filter, help, quit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, PROJECT } from '../helpers/docker.js';

const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-'));
const launch = `${BIN} --state-dir ${stateDir}; echo "EXIT=$?"`;

describe('the cockpit in tmux', () => {
  let term: Tmux;
  before(async () => {
    term = await Tmux.start(`opsdeck-e2e-${process.pid}`, 120, 36);
    await term.type('echo BEFORE-OPSDECK');
    await term.keys('Enter');
    await term.waitFor('BEFORE-OPSDECK');
  });
  after(async () => { await term.kill(); });

  it('shows the demo stack grouped by compose project, with the host strip', async () => {
    await term.type(launch);
    await term.keys('Enter');
    const screen = await term.waitFor((s) => s.includes(`${PROJECT}  `) && /db[_-]1/.test(s) && /healthy/.test(s) && /unhealthy/.test(s) && /LOAD/.test(s), 20_000);
    assert.match(screen, /opsdeck/);
    assert.match(screen, /1 Overview/);
    assert.match(screen, / CPU .*MEM .*LOAD/);
    assert.match(screen, new RegExp(`▾ ${PROJECT}  \\d+/8 running`));
    for (const s of ['app', 'cache', 'db', 'flaky', 'front', 'worker', 'crasher', 'cache-seed']) {
      assert.match(screen, new RegExp(`${PROJECT}[_-]${s}[_-]1`), `${s} is listed`);
    }
    assert.doesNotMatch(screen, /BEFORE-OPSDECK/, 'full screen: the shell is hidden');
    // The unhealthy container sorts above the healthy ones in its group.
    const lines = screen.split('\n');
    const flakyAt = lines.findIndex((l) => /flaky[_-]1/.test(l));
    const dbAt = lines.findIndex((l) => /db[_-]1 /.test(l));
    assert.ok(flakyAt < dbAt, 'flaky above db');
    assert.match(lines[flakyAt]!, /unhealthy/);
    // Live stats arrive: some row shows a CPU percentage.
    await term.waitFor(/db[_-]1 .*\d+(\.\d)?%/, 10_000);
  });

  it('filters with / and clears with Esc', async () => {
    await term.type('/');
    await term.type('flaky');
    // The container rows only: the "last hour: …" line above them may name any container.
    const table = (s: string) => s.split('\n').filter((l) => !l.includes('last hour:') && !l.startsWith(' ! ')).join('\n');
    const filtered = table(await term.waitFor((s) => s.includes('/flaky') && !/db[_-]1/.test(table(s))));
    assert.match(filtered, /flaky[_-]1/);
    assert.doesNotMatch(filtered, /worker[_-]1/);
    await term.keys('Enter');
    await term.waitFor('filter: flaky');
    await term.keys('Escape');
    await term.waitFor((s) => /db[_-]1/.test(s) && /worker[_-]1/.test(s));
  });

  it('moves the selection with j/k', async () => {
    await term.keys('g');
    const first = (await term.lines()).find((l) => l.startsWith('›'));
    assert.ok(first, 'a row is selected');
    await term.type('j');
    await term.waitFor((s) => s.split('\n').find((l) => l.startsWith('›')) !== first);
  });

  it('opens the ? help generated from the keymap, and closes it', async () => {
    await term.type('?');
    const help = await term.waitFor('Keys — Esc or ? closes');
    assert.match(help, /filter by name, service, project or image/);
    assert.match(help, /quit \(the terminal is restored\)/);
    await term.keys('Escape');
    await term.waitFor((s) => !s.includes('Keys — press Esc') && /db[_-]1/.test(s));
  });

  it('views 5 and 6 show the capacity history and the timeline', async () => {
    await term.type('5');
    await term.waitFor(/Capacity · |no history yet/);
    await term.keys('Tab');
    await term.waitFor(/ Timeline: \d+ entr/);
    await term.type('1');
    await term.waitFor(/db[_-]1/);
  });

  it('re-lays out on resize and fits 80×24', async () => {
    await term.resize(80, 24);
    const small = await term.waitFor((s) => /db[_-]1/.test(s) && /\? help/.test(s) && /…alerts/.test(s));
    const lines = small.replace(/\n$/, '').split('\n');
    assert.equal(lines.length, 24, 'tmux shows a 24-row pane');
    const footerAt = lines.findIndex((l) => /q quit/.test(l));
    assert.ok(footerAt >= 0 && footerAt <= 23, 'the footer is inside the 24 rows');
    assert.ok(lines.every((l) => [...l].length <= 80), 'no line wider than the terminal');
    assert.match(lines[0]!, /opsdeck/, 'the header is on the first line');
    assert.ok(!lines.slice(0, footerAt).some((l) => l.trim() === '' ) || lines.slice(0, 8).every((l) => l.trim() !== ''), 'no wrapped debris in the header area');
    await term.resize(120, 36);
    await term.waitFor((s) => /CPU HISTORY/.test(s));
  });

  it('quits with q and restores the terminal', async () => {
    await term.type('q');
    const screen = await term.waitFor('EXIT=0');
    assert.match(screen, /BEFORE-OPSDECK/, 'the shell screen from before is back');
    assert.doesNotMatch(screen, /1 Overview/);
  });

  it('leaves the window title alone although the worker logs an OSC title sequence', async () => {
    assert.doesNotMatch(await term.title(), /pwned/);
  });
});

describe('NO_COLOR', () => {
  let term: Tmux;
  after(async () => { await term.kill(); });

  it('draws no colours with NO_COLOR=1 (and does with colours on)', async () => {
    term = await Tmux.start(`opsdeck-nc-${process.pid}`, 120, 36, { TERM: 'xterm-256color' });
    const colour = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*(3[0-7]|9[0-7]|38;5;\\d+|38;2;[\\d;]+)m`);
    await term.type(`NO_COLOR=1 ${BIN} --state-dir ${stateDir}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor(/db[_-]1.*healthy/, 20_000);
    assert.doesNotMatch(await term.screenWithStyles(), colour, 'no foreground colour codes');
    await term.type('q');
    await term.waitFor('EXIT=0');
    await term.keys('C-l');
    await term.type(`${BIN} --state-dir ${stateDir}; echo "EXIT2=$?"`);
    await term.keys('Enter');
    await term.waitFor(/db[_-]1.*healthy/, 20_000);
    assert.match(await term.screenWithStyles(), colour, 'colours when NO_COLOR is not set');
    await term.type('q');
    await term.waitFor('EXIT2=0');
  });
});
