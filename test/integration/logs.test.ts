// Logs against the real engine: merged project history in time order, follow across restarts,
// stop/remove notes, TTY and multiplexed streams, the error-rate count, and `opsdeck logs`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerModel } from '../../src/model/dockerModel.js';
import { LogModel } from '../../src/model/logModel.js';
import { errorRate } from '../../src/logs/errorRate.js';
import type { LogLine } from '../../src/logs/types.js';
import { BIN, DOCKER, docker, endpoint, opsdeck, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';

const run = promisify(execFile);
const P = `opsdeck-logit-${process.pid}`;
const compose = (service: string) => ['--label', `com.docker.compose.project=${P}`, '--label', `com.docker.compose.service=${service}`];
const sh = (script: string) => ['sh', '-c', script];

function lines(model: LogModel): LogLine[] {
  const out: LogLine[] = [];
  for (let s = model.buffer.firstSeq; s <= model.buffer.lastSeq; s++) {
    const l = model.buffer.bySeq(s);
    if (l) out.push(l);
  }
  return out;
}
const texts = (model: LogModel) => lines(model).map((l) => l.text);

/** Docker's own view: `docker logs -t` of each container, merged by timestamp. */
async function dockerMerged(names: string[]): Promise<string[]> {
  const all: [string, string][] = [];
  for (const n of names) {
    const { stdout, stderr } = await run(DOCKER, ['logs', '-t', n]);
    for (const line of `${stdout}${stderr}`.split('\n').filter(Boolean)) {
      const sp = line.indexOf(' ');
      all.push([line.slice(0, sp), line.slice(sp + 1)]);
    }
  }
  // RFC3339Nano with a fixed width compares as text.
  return all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, t]) => t);
}

describe('logs against the real engine', () => {
  let dm: DockerModel;
  const models: LogModel[] = [];
  const newModel = (opts: Partial<ConstructorParameters<typeof LogModel>[1]> = {}) => {
    const m = new LogModel(dm, { tail: 500, maxLines: 50_000, maxBytes: 32 * 1024 * 1024, ...opts });
    models.push(m);
    return m;
  };
  const seen = (name: string) => waitFor(`${name} in the model`, () => dm.getSnapshot().containers.find((c) => c.name === name));

  before(async () => {
    dm = new DockerModel(endpoint(), { refreshMs: 1000 });
    dm.setStatsPaused(true);
    dm.start();
    await waitFor('docker model', () => dm.getSnapshot().loaded && dm.getSnapshot().conn.status === 'up');
    // Two services of one project taking turns (a shared folder passes the baton), so the order
    // of their lines is known: ant writes the odd steps, bee the even ones.
    const baton = mkdtempSync(join(tmpdir(), 'opsdeck-baton-'));
    const waitBaton = (n: string) => `while [ ! -f /s/${n} ]; do sleep 0.02; done`;
    await runTestContainer(`${P}-ant`, [...compose('ant'), '-v', `${baton}:/s`], 'busybox:1.36',
      sh(`for i in 1 3 5 7; do [ $i -gt 1 ] && ${waitBaton('$((i-1))')}; echo "step $i"; sleep 0.05; touch /s/$i; done; ${waitBaton('8')}; echo "ant oops" >&2; sleep 600`));
    await runTestContainer(`${P}-bee`, [...compose('bee'), '-v', `${baton}:/s`], 'busybox:1.36',
      sh(`for i in 2 4 6 8; do ${waitBaton('$((i-1))')}; echo "step $i"; sleep 0.05; touch /s/$i; done; sleep 600`));
    await seen(`${P}-ant`);
    await seen(`${P}-bee`);
    // A container whose output has known error and warning lines (the error lines all on stderr:
    // Docker reads stdout and stderr separately, so their relative order is not the written one).
    const script = [
      'echo "INFO ready"', 'echo "ERROR one failed" >&2', 'echo "WARN slow"', 'echo "Exception in thread \\"main\\" java.lang.IllegalStateException: boom" >&2',
      'printf "\\tat a.b.C.d(C.java:1)\\n\\tat a.b.C.e(C.java:2)\\n" >&2', 'echo \'{"level":"error","msg":"json failure"}\' >&2', 'echo "level=warn msg=\\"disk filling\\""',
      'echo "0 errors so far"', 'sleep 600',
    ].join('; ');
    await runTestContainer(`${P}-errs`, [], 'busybox:1.36', sh(script));
    await waitFor('errs output', async () => (await docker('logs', `${P}-errs`)).includes('0 errors'));
    await waitFor('both wrote everything', async () => (await docker('logs', `${P}-bee`)).includes('step 8'));
    await new Promise((r) => setTimeout(r, 500));
  });
  after(async () => {
    for (const m of models) m.close();
    dm.stop();
    await removeTestContainers();
  });

  it('merges a project\'s containers by time, as docker logs -t does, each line with its service', async () => {
    const m = newModel({ follow: false });
    await m.open({ kind: 'project', project: P });
    const got = lines(m);
    const want = await dockerMerged([`${P}-ant`, `${P}-bee`]);
    assert.deepEqual(got.map((l) => l.text), want);
    assert.deepEqual(got.filter((l) => l.text.startsWith('step')).map((l) => l.text), ['step 1', 'step 2', 'step 3', 'step 4', 'step 5', 'step 6', 'step 7', 'step 8']);
    for (const l of got) assert.equal(l.source, l.text.startsWith('step') ? (Number(l.text.slice(5)) % 2 ? 'ant' : 'bee') : 'ant');
    const oops = got.find((l) => l.text === 'ant oops')!;
    assert.equal(oops.stream, 'stderr');
    assert.equal(got.find((l) => l.text === 'step 1')!.stream, 'stdout');
    assert.equal(m.openStreams, 0, 'no follow: nothing left open');
  });

  it('follows new lines, then notes a restart and resumes without repeating a line', async () => {
    const name = `${P}-phoenix`;
    await runTestContainer(name, [], 'busybox:1.36', sh('echo "boot $(date +%s%N)"; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'));
    const row = await seen(name);
    const m = newModel();
    await m.open({ kind: 'container', id: row.id, name });
    await waitFor('ticks arrive while following', () => texts(m).includes('tick 5') && texts(m).some((t) => t.startsWith('tick 8')));
    assert.equal(m.openStreams, 1);
    await docker('restart', '-t', '1', name);
    await waitFor('the restart note and the new boot', () => {
      const t = texts(m);
      const note = t.findIndex((x) => x === `— ${name} restarted —` || x === `— ${name} started again —`);
      return note >= 0 && t.slice(note).some((x) => x.startsWith('boot ')) && t.slice(note).includes('tick 3');
    }, 20_000);
    const t = texts(m);
    const boots = t.filter((x) => x.startsWith('boot '));
    assert.equal(boots.length, 2, 'each boot line once');
    assert.equal(new Set(boots).size, 2);
    // Within one run, ticks are consecutive: nothing repeated, nothing lost at the seam.
    const firstRun = t.slice(0, t.indexOf(boots[1]!)).filter((x) => x.startsWith('tick ')).map((x) => Number(x.slice(5)));
    firstRun.forEach((n, i) => assert.equal(n, i + 1, `tick ${i + 1} of the first run in place (got ${n})`));
    m.close();
    assert.equal(m.openStreams, 0, 'close cancels the stream');
  });

  it('notes a stop with its exit code, follows again on start, notes a removal', async () => {
    const name = `${P}-sleeper`;
    await runTestContainer(name, [], 'busybox:1.36', sh('trap "echo bye; exit 7" TERM; echo "up $(date +%s%N)"; while :; do sleep 0.1; done'));
    const row = await seen(name);
    const m = newModel();
    await m.open({ kind: 'container', id: row.id, name });
    await waitFor('first up line', () => texts(m).some((x) => x.startsWith('up ')));
    await docker('stop', '-t', '5', name);
    await waitFor('stop note', () => texts(m).includes(`— ${name} stopped (exit code 7); following again when it starts —`));
    assert.ok(texts(m).includes('bye'));
    assert.equal(m.getSnapshot().members[0]!.status, 'stopped');
    await docker('start', name);
    await waitFor('start note and the new run', () => {
      const t = texts(m);
      const at = t.indexOf(`— ${name} started again —`);
      return at >= 0 && t.slice(at).some((x) => x.startsWith('up ')) ? true : null;
    }, 20_000);
    await docker('rm', '-f', name);
    await waitFor('removal note', () => texts(m).some((x) => x === `— ${name} was removed —`), 20_000);
    assert.equal(m.openStreams, 0);
  });

  it('reads a TTY container\'s raw stream: lines without carriage returns, all stdout', async () => {
    const name = `${P}-tty`;
    await runTestContainer(name, ['-t'], 'busybox:1.36', sh('echo "tty one"; echo "tty two" >&2; printf "tty \\033[31mred\\033[0m three\\n"; sleep 600'));
    const row = await seen(name);
    await waitFor('tty output', async () => (await docker('logs', name)).includes('three'));
    const m = newModel({ follow: false });
    await m.open({ kind: 'container', id: row.id, name });
    assert.deepEqual(texts(m), ['tty one', 'tty two', 'tty red three']);
    for (const l of lines(m)) assert.equal(l.stream, 'stdout');
  });

  it('counts error and warning lines over a window for the health checks (a stack trace counts once)', async () => {
    const row = await seen(`${P}-errs`);
    const counts = await errorRate(dm.reader, row.id, 60 * 60_000);
    assert.ok(counts);
    assert.equal(counts.errors, 3, 'ERROR line, exception head, JSON error');
    assert.equal(counts.warnings, 2);
    assert.equal(counts.lines, 9);
    const none = await errorRate(dm.reader, row.id, 60 * 60_000, { now: Date.now() - 2 * 60 * 60_000 });
    assert.deepEqual([none?.errors, none?.lines], [0, 0], 'a window before the container existed counts nothing');
    const custom = await errorRate(dm.reader, row.id, 60 * 60_000, { pattern: /failed|failure/ });
    assert.equal(custom?.errors, 2);
    assert.equal(await errorRate(dm.reader, 'f'.repeat(64), 60_000), null, 'an unknown container is null, not an error');
  });

  describe('opsdeck logs', () => {
    it('prints a project merged by time with service prefixes, stderr marked', async () => {
      const r = await opsdeck(['logs', P, '--tail', 'all']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        'ant | step 1', 'bee | step 2', 'ant | step 3', 'bee | step 4', 'ant | step 5', 'bee | step 6', 'ant | step 7', 'bee | step 8', 'ant ! ant oops',
      ]);
    });

    it('filters with --grep and --level, prints --json objects, and honours --tail', async () => {
      const g = await opsdeck(['logs', `${P}-ant`, '--grep', 'step [37]']);
      assert.deepEqual(g.stdout.trim().split('\n'), ['step 3', 'step 7']);
      const e = await opsdeck(['logs', `${P}-errs`, '--level', 'error']);
      assert.deepEqual(e.stdout.trim().split('\n'), [
        'ERROR one failed', 'Exception in thread "main" java.lang.IllegalStateException: boom', '    at a.b.C.d(C.java:1)', '    at a.b.C.e(C.java:2)', '{"level":"error","msg":"json failure"}',
      ]);
      const j = await opsdeck(['logs', `${P}-ant`, '--json', '--tail', '2']);
      const objs = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(objs.length, 2);
      assert.deepEqual(objs.map((o) => [o.text, o.stream, o.level, o.container]), [['step 7', 'stdout', null, `${P}-ant`], ['ant oops', 'stderr', null, `${P}-ant`]]);
      assert.match(String(objs[0]!.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const t = await opsdeck(['logs', 'ant', '--timestamps', '--tail', '1']);
      assert.match(t.stdout.trim(), /^\d{4}-\d\d-\d\dT[\d:.]+Z ant oops$/, 'a service name resolves to its container');
    });

    it('sanitises escape sequences in what it prints', async () => {
      const name = `${P}-hostile`;
      await runTestContainer(name, [], 'busybox:1.36', sh('printf "a \\033]0;pwned\\007 b \\033[2J c \\033]52;c;cHduZWQ=\\007 d\\n"; sleep 600'));
      await waitFor('hostile output', async () => (await docker('logs', name)).includes(' d'));
      const r = await opsdeck(['logs', name]);
      assert.equal(r.stdout, 'a  b  c  d\n');
      assert.ok(!r.stdout.includes('\x1b') && !r.stdout.includes('\x07'), 'no ESC or BEL reaches the output');
    });

    it('refuses an unknown target with exit 1 and bad options with exit 2, each with one clear line', async () => {
      const u = await opsdeck(['logs', 'no-such-thing-here']);
      assert.equal(u.code, 1);
      assert.equal(u.stderr.trim(), 'opsdeck: no container, compose service or project named "no-such-thing-here"');
      for (const [args, msg] of [
        [['--tail', 'lots'], /--tail: expected a number of lines or "all"/],
        [['--grep', '('], /--grep: not a valid regular expression/],
        [['--level', 'loud'], /--level: expected one of error, warn, info, debug/],
        [['--since', 'yesterday'], /--since: expected a duration/],
      ] as [string[], RegExp][]) {
        const r = await opsdeck(['logs', `${P}-ant`, ...args]);
        assert.equal(r.code, 2, args.join(' '));
        assert.match(r.stderr, msg);
      }
    });

    it('--follow prints new lines as they come and exits 0 on Ctrl-C', async () => {
      const name = `${P}-follow`;
      await runTestContainer(name, [], 'busybox:1.36', sh('i=0; while :; do i=$((i+1)); echo "beat $i"; sleep 0.2; done'));
      await waitFor('beats', async () => (await docker('logs', name)).includes('beat 2'));
      const child = spawn(BIN, ['logs', name, '--follow', '--tail', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      await waitFor('five new beats', () => {
        const beats = out.trim().split('\n').filter((l) => l.startsWith('beat ')).map((l) => Number(l.slice(5)));
        return beats.length >= 6 ? beats : null;
      }, 15_000);
      const code = await new Promise<number | null>((resolve) => { child.on('exit', (c) => resolve(c)); child.kill('SIGINT'); });
      assert.equal(code, 0);
      const beats = out.trim().split('\n').map((l) => Number(l.slice(5)));
      beats.forEach((n, i) => assert.equal(n, beats[0]! + i, 'consecutive, no gap or repeat at the history/follow seam'));
    });
  });
});
