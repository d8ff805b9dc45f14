// The Logs view (view 2) in a real terminal (tmux) against real containers, used as a person would:
// merged project logs, filters, error jumps, pause, hostile escape sequences, a flood of lines, and
// closing the view. Each test asserts what is on the screen. The tests share one cockpit and run in
// order; the flood test comes last because it ends with `q`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Tmux } from '../helpers/tmux.js';
import { nodePidUnder, rssBytes } from '../helpers/proc.js';
import { BIN, docker, floodScript, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROJECT = `opsdeck-logs-${process.pid}`;
const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-logs-state-'));
// The cockpit's working directory: Ctrl-S saves here.
const workDir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-logs-cwd-'));
const launch = `cd ${workDir} && ${BIN} --state-dir ${stateDir}; echo "EXIT=$?"`;
const KNOWN_TITLE = `opsdeck-logs-e2e-${process.pid}`;
const ESC = String.fromCharCode(27);

/** Shell (busybox) that waits until the host's /proc/uptime reaches `cs` centiseconds: a clock shared by containers. */
const waitUntilUptime = (cs: number) =>
  `while :; do read u _ < /proc/uptime; n=\${u%.*}\${u#*.}; [ "$n" -ge ${cs} ] && break; usleep 10000; done; `;
const uptimeCs = () => Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);

const rowsOf = (screen: string) => screen.split('\n');
/** Row 3: ` Logs: <what> · FOLLOWING|PAUSED|LOADING · N lines · …`. */
const logHeader = (screen: string) => rowsOf(screen)[2] ?? '';
/** Row 4: the filter / pause details, an inline error, or a key hint. */
const infoRow = (screen: string) => rowsOf(screen)[3] ?? '';
/** The log rows: from row 5 down to the footer (and the flash line, if any, just above it). */
const bodyRows = (screen: string) => rowsOf(screen).slice(4).map((r) => r.trimEnd()).filter((r) => !/^ \? help /.test(r));
const footerRow = (screen: string) => rowsOf(screen).filter((r) => r.trim() !== '').at(-1) ?? '';
/** Header rows 1–2 without what legitimately changes on its own: the clock and the demo's alert count. */
const chrome = (screen: string) => rowsOf(screen).slice(0, 2).map((r) => r.replace(/\d\d:\d\d\s*$/, 'HH:MM').replace(/alerts \d+/, 'alerts N').trimEnd());
const count = (text: string, re: RegExp) => { const m = re.exec(text); return m ? Number(m[1]!.replace(/,/g, '')) : NaN; };

async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await run('tmux', args);
  return stdout;
}

/** The node process of the cockpit: a descendant of the pane's shell. */
async function cockpitPid(term: Tmux): Promise<number> {
  return nodePidUnder(Number((await tmux('display-message', '-p', '-t', term.name, '#{pane_pid}')).trim()));
}

const rssMb = (pid: number) => rssBytes(pid) / (1024 * 1024);

/** Inodes of `pid`'s unix sockets whose peer is the Docker socket (`ss -xp`). */
async function dockerSockets(pid: number): Promise<Set<string>> {
  const { stdout } = await run('ss', ['-xp'], { maxBuffer: 16 * 1024 * 1024 });
  const rows = stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  // Netid State Recv-Q Send-Q Local Inode Peer PeerInode [Process]
  const daemonSide = new Set(rows.filter((f) => /docker\.sock$/.test(f[4] ?? '')).map((f) => f[5]));
  const mine = rows.filter((f) => f.slice(8).join(' ').includes(`pid=${pid},`) && daemonSide.has(f[7]));
  return new Set(mine.map((f) => f[5]!));
}

async function tmuxBuffers(): Promise<string> {
  return (await tmux('list-buffers', '-F', '#{buffer_name}: #{buffer_sample}').catch(() => '')).trim();
}

describe('the Logs view in tmux', () => {
  let term: Tmux;
  let clipboardBefore = '';
  let titleControl = '';
  let clipboardControl = false;

  /** Back to the Overview, then `:logs TARGET` once the Overview lists `visible`; returns the Logs screen. */
  async function openLogs(target: string, visible: string | RegExp, header: string): Promise<string> {
    await term.keys('Escape', 'Escape', 'Escape');
    await term.type('1');
    await term.waitFor((s) => s.includes('NAME') && (typeof visible === 'string' ? s.includes(visible) : visible.test(s)), 20_000);
    await term.type(`:logs ${target}`);
    await term.keys('Enter');
    return term.waitFor((s) => logHeader(s).startsWith(` Logs: ${header} `), 20_000);
  }

  before(async () => {
    await removeTestContainers();
    // 150 columns: at 120 the header's tail (window, dropped count) and the Ctrl-S path are cut off
    // for names as long as this test's (`opsdeck-logs-<pid>-flood`).
    term = await Tmux.start(`opsdeck-logs-${process.pid}`, 150, 36);
    // The server runs now (a fresh machine has none before): global options can be read and set.
    clipboardBefore = (await tmux('show-options', '-gv', 'set-clipboard').catch(() => 'external')).trim() || 'external';
    // With set-clipboard on, an OSC 52 written to the pane makes a tmux paste buffer: the hostile test checks none appears.
    await tmux('set-option', '-g', 'set-clipboard', 'on');
    // Controls: a title and an OSC 52 written by the shell do reach tmux, so their absence later means something.
    const control64 = Buffer.from(`control-${process.pid}`).toString('base64');
    await term.type(`printf '\\033]2;${KNOWN_TITLE}\\007\\033]52;c;${control64}\\007'; echo BEFORE-OPSDECK`);
    await term.keys('Enter');
    await term.waitFor('BEFORE-OPSDECK');
    titleControl = await waitFor('the pane title', async () => ((await term.title()) === KNOWN_TITLE ? KNOWN_TITLE : null), 5000, 100).catch(() => term.title());
    const control = await waitFor('the OSC 52 control buffer', async () => (await tmux('list-buffers', '-F', '#{buffer_name} #{buffer_sample}').catch(() => ''))
      .split('\n').find((l) => l.includes('control-')) ?? null, 5000, 100).catch(() => null);
    if (control) {
      clipboardControl = true;
      await tmux('delete-buffer', '-b', control.split(' ')[0]!);
    }
    await term.keys('C-l');
    await term.type(launch);
    await term.keys('Enter');
    await term.waitFor((s) => s.includes('1 Overview') && s.includes('NAME'), 20_000);
  });

  after(async () => {
    await term?.kill();
    await tmux('set-option', '-g', 'set-clipboard', clipboardBefore).catch(() => undefined);
    await removeTestContainers();
  });

  it('merges a compose project by time, each line with its service and stream', async () => {
    // Both services start printing at the same moment of a shared clock, 0.2 s apart in turn.
    const at = uptimeCs() + 600;
    const labels = (svc: string) => ['--label', `com.docker.compose.project=${PROJECT}`, '--label', `com.docker.compose.service=${svc}`];
    await runTestContainer(`${PROJECT}-alpha`, labels('alpha'), 'busybox:1.36', ['sh', '-c',
      `${waitUntilUptime(at)}echo 'step 1 from alpha'; sleep 0.4; echo 'step 3 from alpha'; sleep 0.4; echo 'step 5 from alpha on stderr' >&2; sleep 3600`]);
    await runTestContainer(`${PROJECT}-beta`, labels('beta'), 'busybox:1.36', ['sh', '-c',
      `${waitUntilUptime(at)}sleep 0.2; echo 'step 2 from beta'; sleep 0.4; echo 'step 4 from beta'; sleep 0.4; echo 'step 6 from beta'; sleep 3600`]);
    await openLogs(PROJECT, `▾ ${PROJECT}  2/2 running`, `project ${PROJECT}`);
    const screen = await term.waitFor((s) => s.includes('step 6 from beta') && s.includes('step 5 from alpha'), 20_000);
    assert.equal(logHeader(screen).trimEnd(),
      ` Logs: project ${PROJECT} (2/2 following) · FOLLOWING · 6 lines · 0 errors · 0 warnings · window last 500/container`);
    assert.deepEqual(bodyRows(screen).filter((r) => /step \d/.test(r)), [
      ' alpha │ step 1 from alpha',
      ' beta  │ step 2 from beta',
      ' alpha │ step 3 from alpha',
      ' beta  │ step 4 from beta',
      ' alpha ┃ step 5 from alpha on stderr',
      ' beta  │ step 6 from beta',
    ], 'in time order, service-prefixed; the stderr line has the heavy bar');
    assert.match(infoRow(screen), /f pause · \/ filter/);
    assert.match(footerRow(screen), /f pause\/follow/);
  });

  it('filters: substring with smart case, regex, invert, an invalid regex inline; Esc clears; Ctrl-S saves what is shown', async () => {
    const steps = (s: string) => bodyRows(s).filter((r) => /step \d/.test(r)).map((r) => r.replace(/^.*[│┃] /, ''));
    const all = ['step 1 from alpha', 'step 2 from beta', 'step 3 from alpha', 'step 4 from beta', 'step 5 from alpha on stderr', 'step 6 from beta'];

    await term.type('/alpha');
    let s = await term.waitFor((x) => infoRow(x).includes('filter "alpha": 3 matching lines'));
    assert.deepEqual(steps(s), ['step 1 from alpha', 'step 3 from alpha', 'step 5 from alpha on stderr'], 'live while typing');
    assert.match(footerRow(s), /\/alpha█/);
    await term.keys('Enter');
    s = await term.waitFor((x) => !footerRow(x).includes('█') && footerRow(x).includes('? help'));
    assert.deepEqual(steps(s), ['step 1 from alpha', 'step 3 from alpha', 'step 5 from alpha on stderr'], 'Enter keeps it');
    assert.ok(bodyRows(s).every((r) => !r.includes('beta')), 'no beta line is left');

    // Ctrl-S writes the filtered buffer to the cockpit's working directory and says where.
    await term.keys('C-s');
    s = await term.waitFor(/saved to \.\/opsdeck-logs-\S+\.log: 3 lines \(filtered\)/);
    const saved = readdirSync(workDir).filter((f) => f.startsWith('opsdeck-logs-'));
    assert.equal(saved.length, 1, `one file in ${workDir}`);
    const lines = readFileSync(join(workDir, saved[0]!), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => l.replace(/^.*(step)/, '$1')), ['step 1 from alpha', 'step 3 from alpha', 'step 5 from alpha on stderr']);
    assert.ok(s.includes(`saved to ./${saved[0]!}: 3 lines (filtered)`), 'the flash names the file, relative to the working directory');

    await term.keys('Escape');
    s = await term.waitFor((x) => steps(x).length === 6 && /f pause · \/ filter/.test(infoRow(x)));
    assert.deepEqual(steps(s), all, 'Esc clears the filter');
    assert.match(logHeader(s), /^ Logs: project /, 'Esc with a filter stays in the Logs view');

    // Smart case: a capital makes it case-sensitive.
    await term.type('/Step');
    await term.keys('Enter');
    s = await term.waitFor((x) => infoRow(x).includes('filter "Step": 0 matching lines'));
    assert.match(s, /no line matches the filter \(Esc clears it, ! inverts it\)/);
    assert.equal(steps(s).length, 0);
    await term.keys('Escape');
    await term.waitFor((x) => steps(x).length === 6);

    await term.type('//step [24]/');
    await term.keys('Enter');
    s = await term.waitFor((x) => infoRow(x).includes('filter /step [24]/: 2 matching lines') && !footerRow(x).includes('█'));
    assert.deepEqual(steps(s), ['step 2 from beta', 'step 4 from beta']);

    await term.type('!');
    s = await term.waitFor((x) => infoRow(x).includes('filter not /step [24]/: 4 matching lines'));
    assert.deepEqual(steps(s), ['step 1 from alpha', 'step 3 from alpha', 'step 5 from alpha on stderr', 'step 6 from beta']);
    await term.keys('Escape');
    s = await term.waitFor((x) => steps(x).length === 6 && /f pause · \/ filter/.test(infoRow(x)));

    // An invalid regex: said inline, nothing filtered, and the cockpit keeps working.
    await term.type('//(/');
    s = await term.waitFor((x) => infoRow(x).includes('invalid regex'));
    const invalidRow = infoRow(s).trimEnd();
    assert.match(invalidRow, /^ filter: invalid regex \/\(\/: .*Unterminated group$/);
    assert.deepEqual(steps(s), all, 'an invalid regex hides nothing');
    await term.keys('Enter');
    await term.type('f');
    s = await term.waitFor((x) => logHeader(x).includes('· PAUSED ·'));
    assert.match(infoRow(s), /invalid regex/);
    await term.keys('Escape');
    s = await term.waitFor((x) => !infoRow(x).includes('invalid regex') && infoRow(x).includes('new lines (f or G to follow)'));
    await term.type('G');
    s = await term.waitFor((x) => logHeader(x).includes('· FOLLOWING ·') && /f pause · \/ filter/.test(infoRow(x)));
    assert.deepEqual(steps(s), all);
    // Checked last so the steps above still run: the message names the regex once.
    assert.equal(invalidRow, ' filter: invalid regex /(/: Unterminated group');
  });

  it('jumps to error and warning head lines with e/E/w, never to a stack-trace continuation', async () => {
    const name = `${PROJECT}-errors`;
    const info = (from: number, to: number) => `i=${from}; while [ $i -le ${to} ]; do echo "INFO request $i ok"; i=$((i+1)); done; `;
    const script = info(1, 40)
      + `echo 'ERROR first failure: db connection refused'; `
      + `echo 'java.lang.IllegalStateException: ERROR pool exhausted'; `
      + `printf '\\tat com.example.Db.query(Db.java:42)\\n\\tat com.example.Main.main(Main.java:7)\\n'; `
      + `echo 'Caused by: java.io.IOException: ERROR disk gone'; printf '\\t... 3 more\\n'; `
      + info(41, 45) + `echo 'WARN slow request: 1.2 s'; ` + info(46, 50)
      + `echo 'time=12:00:01 level=error msg="second failure: timeout"'; echo '[warn] disk 91% full'; `
      + info(51, 90) + 'sleep 3600';
    await runTestContainer(name, [], 'busybox:1.36', ['sh', '-c', script]);
    try {
      await openLogs(name, name, name);
      let s = await term.waitFor((x) => x.includes('INFO request 90 ok'));
      assert.equal(logHeader(s).trimEnd(), ` Logs: ${name} · FOLLOWING · 99 lines · 2 errors · 2 warnings · window last 500`,
        'continuation lines are not counted as errors');
      await term.type('f');
      s = await term.waitFor((x) => logHeader(x).includes('· PAUSED ·'));
      await term.type('g');
      s = await term.waitFor((x) => bodyRows(x)[0] === ' INFO request 1 ok');
      assert.ok(!s.includes('▶'), 'no marker before a jump');

      const marked = (x: string) => bodyRows(x).filter((r) => r.includes('▶'));
      await term.type('e');
      s = await term.waitFor((x) => marked(x).length > 0);
      assert.deepEqual(marked(s), ['▶ERROR first failure: db connection refused']);
      // The trace below it stays attached and is drawn in the error colour, like its head.
      const body = bodyRows(s);
      const at = body.indexOf('▶ERROR first failure: db connection refused');
      assert.deepEqual(body.slice(at + 1, at + 6), [
        ' java.lang.IllegalStateException: ERROR pool exhausted',
        '     at com.example.Db.query(Db.java:42)',
        '     at com.example.Main.main(Main.java:7)',
        ' Caused by: java.io.IOException: ERROR disk gone',
        '     ... 3 more',
      ]);
      const styled = rowsOf(await term.screenWithStyles());
      const styledRow = (text: string) => styled.find((r) => r.includes(text)) ?? '';
      assert.match(styledRow('ERROR first failure'), new RegExp(`${ESC}\\[(31|91)m(${ESC}\\[[\\d;]*m)*ERROR first failure`), 'error line in red');
      assert.match(styledRow('Caused by: java.io'), new RegExp(`${ESC}\\[(31|91)m(${ESC}\\[[\\d;]*m)*Caused by`), 'its trace in red too');
      assert.match(styledRow('WARN slow request'), new RegExp(`${ESC}\\[(33|93)m(${ESC}\\[[\\d;]*m)*WARN slow`), 'warning in yellow');
      assert.doesNotMatch(styledRow('INFO request 41 ok'), new RegExp(`${ESC}\\[(31|91|33|93)m`), 'info not coloured as a problem');

      await term.type('e');
      s = await term.waitFor((x) => marked(x).some((r) => r.includes('second failure')));
      assert.deepEqual(marked(s), ['▶time=12:00:01 level=error msg="second failure: timeout"'], 'skips the trace lines of the first error');

      await term.type('e');
      s = await term.waitFor('no later error line');
      assert.deepEqual(marked(s), ['▶time=12:00:01 level=error msg="second failure: timeout"'], 'stays on the last error');

      await term.type('E');
      s = await term.waitFor((x) => marked(x).some((r) => r.includes('first failure')));
      assert.deepEqual(marked(s), ['▶ERROR first failure: db connection refused'], 'E goes back over the trace to the head line');

      await term.type('w');
      s = await term.waitFor((x) => marked(x).some((r) => r.includes('WARN')));
      assert.deepEqual(marked(s), ['▶WARN slow request: 1.2 s']);
      assert.match(logHeader(s), /· PAUSED ·/);
      await term.type('G');
      await term.waitFor((x) => logHeader(x).includes('· FOLLOWING ·') && !x.includes('▶'));
    } finally {
      await docker('rm', '-f', name).catch(() => undefined);
    }
  });

  it('pauses: the lines on screen stop, new lines are counted; G follows again and shows them', async () => {
    const name = `${PROJECT}-ticker`;
    await runTestContainer(name, [], 'busybox:1.36', ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done']);
    try {
      await openLogs(name, name, name);
      const ticks = (s: string) => bodyRows(s).filter((r) => /^ tick \d+$/.test(r)).map((r) => Number(r.slice(6)));
      await term.waitFor((x) => ticks(x).some((n) => n >= 5));
      await term.type('f');
      const paused = await term.waitFor((x) => logHeader(x).includes('· PAUSED ·') && /new lines? \(f or G to follow\)/.test(infoRow(x)));
      const shown = ticks(paused);
      const last = shown.at(-1)!;
      const n1 = count(infoRow(paused), /(\d[\d,]*) new lines?/);
      await sleep(1600);
      const later = await term.screen();
      assert.match(logHeader(later), /· PAUSED ·/);
      assert.deepEqual(ticks(later), shown, 'the lines on screen do not move while paused');
      const n2 = count(infoRow(later), /(\d[\d,]*) new lines?/);
      assert.ok(n2 >= n1 + 4, `the new-line count grows (${n1} → ${n2} in 1.6 s at 5 lines/s)`);
      await term.type('G');
      const followed = await term.waitFor((x) => logHeader(x).includes('· FOLLOWING ·') && ticks(x).some((n) => n > last));
      assert.ok(Math.max(...ticks(followed)) >= last + n2, `the newest line (tick ${Math.max(...ticks(followed))}) is at least ${n2} past tick ${last}`);
      assert.ok(!/new lines? \(f or G/.test(infoRow(followed)), 'no new-lines count while following');
    } finally {
      await docker('rm', '-f', name).catch(() => undefined);
    }
  });

  it('shows hostile escape sequences as harmless text: no title change, no clear, no cursor jump, no clipboard', async () => {
    assert.equal(titleControl, KNOWN_TITLE, 'control: a title set from the shell reaches tmux');
    assert.ok(clipboardControl, 'control: an OSC 52 from the shell makes a tmux buffer');
    const titleBefore = await term.title();
    const buffersBefore = await tmuxBuffers();
    const name = `${PROJECT}-hostile`;
    // Quiet for 5 s (the view opens meanwhile), then hostile lines every 200 ms.
    const script = 'sleep 5; i=0; while :; do i=$((i+1)); '
      + 'printf "user alice logged in \\033]0;pwned\\007from 10.0.0.%d\\n" $i; '
      + 'printf "wipe \\033[2Jscreen \\033[10;10Hjump n=%d\\n" $i; '
      + 'printf "clip \\033]52;c;cHduZWQ=\\007copy \\033[31mred\\033[0m end n=%d\\n" $i; sleep 0.2; done';
    await runTestContainer(name, [], 'busybox:1.36', ['sh', '-c', script]);
    try {
      const opened = await openLogs(name, name, name);
      const chromeBefore = chrome(opened);
      const footerBefore = footerRow(opened);
      assert.match(chromeBefore[0]!, /^ opsdeck {2}/);
      assert.match(chromeBefore[1]!, /^ 1 Overview {2}2 Logs /);
      // Watch the screen while the lines arrive.
      const deadline = Date.now() + 20_000;
      let s = '';
      let samples = 0;
      for (;;) {
        s = await term.screen();
        samples++;
        assert.deepEqual(chrome(s), chromeBefore, `header rows unchanged (sample ${samples})\n${s}`);
        assert.equal(footerRow(s), footerBefore, `footer unchanged (sample ${samples})\n${s}`);
        const m = /logged in from 10\.0\.0\.(\d+)/g;
        const seen = [...s.matchAll(m)].map((x) => Number(x[1]));
        if (seen.some((n) => n >= 20)) break;
        assert.ok(Date.now() < deadline, `hostile lines did not arrive\n${s}`);
        await sleep(150);
      }
      assert.notEqual(await term.title(), 'pwned');
      assert.equal(await term.title(), titleBefore, 'the pane title is unchanged');
      assert.equal(await tmuxBuffers(), buffersBefore, 'no tmux paste buffer from OSC 52');
      const body = bodyRows(s).filter((r) => r.trim() !== '' && !r.startsWith(' ✓') && !r.startsWith(' ✗'));
      assert.ok(body.length >= 20, 'the view is full of lines');
      for (const r of body) {
        assert.match(r, /^ (user alice logged in from 10\.0\.0\.\d+|wipe screen jump n=\d+|clip copy red end n=\d+)$/, `clean text: ${JSON.stringify(r)}`);
      }
      assert.doesNotMatch(s, /pwned|cHduZWQ|\]52|\[2J|\[31m/);
      // The line's own red does not reach the terminal either.
      const styled = rowsOf(await term.screenWithStyles()).filter((r) => r.includes('copy'));
      assert.ok(styled.length > 0);
      for (const r of styled) assert.doesNotMatch(r, new RegExp(`${ESC}\\[31m`), 'no red from the log line');
    } finally {
      await docker('rm', '-f', name).catch(() => undefined);
    }
  });

  it('closes the log streams when the view is left', async () => {
    const pid = await cockpitPid(term);
    await term.keys('Escape', 'Escape');
    await term.type('1');
    await term.waitFor((x) => x.includes('NAME') && x.includes(`▾ ${PROJECT}`));
    await sleep(1000);
    const overview = await dockerSockets(pid);
    await openLogs(PROJECT, `▾ ${PROJECT}`, `project ${PROJECT}`);
    await term.waitFor((x) => logHeader(x).includes('(2/2 following) · FOLLOWING'));
    // Idle keep-alive sockets of the Overview's stats close after a few seconds (stats pause here):
    // then only the events stream and one log stream per container remain.
    const streaming = await waitFor('only the events stream and the two log streams', async () => {
      const set = await dockerSockets(pid);
      return set.size === 3 ? set : null;
    }, 20_000, 250);
    await term.keys('Escape');
    await term.waitFor((x) => x.includes('NAME') && x.includes(`▾ ${PROJECT}`));
    const left = await waitFor('the log streams to close', async () => {
      const now = await dockerSockets(pid);
      const still = [...streaming].filter((i) => now.has(i));
      return still.length <= 1 ? { now, still } : null;
    }, 5000, 100);
    console.log(`# docker.sock connections of opsdeck: Overview ${overview.size}, Logs view ${streaming.size}, `
      + `after Esc ${left.now.size} (of the Logs view's ${streaming.size}, ${left.still.length} still open: the events stream)`);
    assert.equal(left.still.length, 1, 'only the events stream outlives the Logs view');
    await sleep(1500);
    const later = await dockerSockets(pid);
    assert.deepEqual([...streaming].filter((i) => later.has(i)), left.still, 'and no log stream reappears');
  });

  it('stays responsive through a flood of 20,000 lines/s, bounds its buffer and memory, then quits cleanly', async () => {
    const name = `${PROJECT}-flood`;
    await runTestContainer(name, [], 'busybox:1.36', ['sh', '-c', `echo ready; sleep 6; ${floodScript(20)}`]);
    const pid = await cockpitPid(term);
    let peak = rssMb(pid);
    const sampler = setInterval(() => { try { peak = Math.max(peak, rssMb(pid)); } catch { /* gone */ } }, 250);
    try {
      await openLogs(name, name, name);
      const opened = await term.waitFor((x) => logHeader(x).includes('· FOLLOWING ·'));
      assert.equal(count(logHeader(opened), /(\d[\d,]*) lines?\b/), 1, 'opened before the flood: the whole flood is streamed');
      await term.waitFor((x) => count(logHeader(x), /(\d[\d,]*) lines?\b/) > 5000, 20_000);
      const latencies: number[] = [];
      let want: 'PAUSED' | 'FOLLOWING' = 'PAUSED';
      for (let i = 0; i < 8; i++) {
        const t0 = performance.now();
        await term.type('f');
        for (;;) {
          if (logHeader(await term.screen()).includes(`· ${want} ·`)) break;
          assert.ok(performance.now() - t0 < 5000, `no ${want} within 5 s of f`);
          await sleep(10);
        }
        latencies.push(performance.now() - t0);
        want = want === 'PAUSED' ? 'FOLLOWING' : 'PAUSED';
        await sleep(700);
      }
      console.log(`# f → toggled state on screen during the flood (ms, incl. tmux polling): ${latencies.map((l) => l.toFixed(0)).join(' ')}`);
      for (const l of latencies) assert.ok(l < 1000, `keypress to screen ${l.toFixed(0)} ms < 1000 ms`);
      assert.match(logHeader(await term.screen()), /· FOLLOWING ·/);

      const done = await term.waitFor((x) => bodyRows(x).includes(' flood done'), 60_000);
      const shown = count(logHeader(done), /(\d[\d,]*) lines?\b/);
      const dropped = count(logHeader(done), /(\d[\d,]*) dropped \(buffer full\)/);
      const written = (await docker('logs', name)).split('\n').length;
      console.log(`# flood: ${written} lines written, ${shown} held, ${dropped} dropped; peak RSS ${peak.toFixed(1)} MB`);
      assert.equal(shown, 50_000, 'the buffer holds its bound (logs.maxLines 50000)');
      assert.ok(dropped > 0, 'the header says lines were dropped');
      assert.equal(shown + dropped, written, 'every line written is either held or counted as dropped');
      assert.deepEqual(bodyRows(done).filter((r) => r.startsWith(' flood')).slice(-2), [' flood line 400000', ' flood done']);
      assert.ok(peak < 300, `peak RSS ${peak.toFixed(1)} MB < 300 MB`);
    } finally {
      clearInterval(sampler);
      await docker('rm', '-f', name).catch(() => undefined);
    }
    await term.type('q');
    const screen = await term.waitFor('EXIT=0');
    assert.doesNotMatch(screen, /1 Overview/);
  });
});
