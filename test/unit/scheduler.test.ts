// The check scheduler with fake runners on a manual clock: concurrency bound, never twice at once,
// a hanging check does not block the others, spread first runs, history, sort order, setDefs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckScheduler, HISTORY_LENGTH, type RunCheckFn } from '../../src/checks/scheduler.js';
import type { CheckDef, CheckResult, CheckStatus } from '../../src/checks/types.js';
import { ManualClock } from '../helpers/clock.js';

function def(name: string, intervalMs = 10_000, timeoutMs = 1_000, container?: string): CheckDef {
  return {
    name, kind: 'command', source: 'config', intervalMs, timeoutMs, container,
    spec: { kind: 'command', name, command: { argv: ['true'] } },
  };
}

interface Deferred { resolve: (s: CheckStatus) => void; def: CheckDef }

/** A runner whose runs finish only when the test says so; it records every start. */
function controlledRunner(clock: ManualClock) {
  const open: Deferred[] = [];
  const starts: { name: string; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const run: RunCheckFn = (d) => {
    starts.push({ name: d.name, at: clock.now() });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<CheckResult>((res) => {
      open.push({
        def: d,
        resolve: (status) => {
          inFlight--;
          res({ status, message: status, latencyMs: 1, at: clock.now() });
        },
      });
    });
  };
  return {
    run, open, starts,
    get maxInFlight() { return maxInFlight; },
    /** Finishes every open run with `status` (or what `statusOf` says). */
    finishAll(statusOf: (name: string) => CheckStatus = () => 'ok') {
      for (const d of open.splice(0)) d.resolve(statusOf(d.def.name));
    },
  };
}

/** A runner that answers at once with the status `statusOf` gives. */
function instantRunner(clock: ManualClock, statusOf: (name: string, n: number) => CheckStatus = () => 'ok') {
  const counts = new Map<string, number>();
  const run: RunCheckFn = async (d) => {
    const n = (counts.get(d.name) ?? 0) + 1;
    counts.set(d.name, n);
    const status = statusOf(d.name, n);
    return { status, message: `${d.name} run ${n}`, latencyMs: 2, at: clock.now() };
  };
  return { run, counts };
}

describe('CheckScheduler', () => {
  it('never has more than `concurrency` runs in flight, and every check gets its turn', async () => {
    const clock = new ManualClock();
    const r = controlledRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, concurrency: 3, coalesceMs: 0 });
    s.setDefs(Array.from({ length: 20 }, (_, i) => def(`c${String(i).padStart(2, '0')}`)));
    s.start();
    await clock.advance(3000);
    assert.equal(r.starts.length, 3);
    assert.equal(s.inFlight, 3);
    assert.equal(s.getSnapshot().checks.filter((c) => c.running).length, 3);
    for (let round = 0; round < 10 && r.open.length; round++) {
      r.finishAll();
      await clock.advance(1);
      assert.ok(r.open.length <= 3);
    }
    assert.equal(r.maxInFlight, 3);
    assert.equal(new Set(r.starts.map((x) => x.name)).size, 20, 'every check ran');
    assert.equal(r.starts.length, 20, 'and each once (next runs are 10 s away)');
    s.stop();
  });

  it('never runs the same check twice at once: a long run holds it, runNow says no', async () => {
    const clock = new ManualClock();
    const r = controlledRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, graceMs: 60_000 });
    s.setDefs([def('slow', 1000, 50_000)]);
    s.start();
    await clock.advance(20_000); // twenty intervals pass while the first run is still going
    assert.equal(r.starts.length, 1);
    assert.equal(s.runNow('slow'), false);
    assert.equal(s.get('slow')?.running, true);
    r.finishAll(() => 'warn');
    await clock.advance(0);
    assert.equal(s.get('slow')?.running, false);
    assert.equal(s.get('slow')?.last?.status, 'warn');
    // The next run keeps a gap after the long one, then the interval rules again.
    await clock.advance(999);
    assert.equal(r.starts.length, 1);
    await clock.advance(1);
    assert.equal(r.starts.length, 2);
    s.stop();
  });

  it('a hanging check does not delay the others; after timeout + grace it shows unknown and frees its slot', async () => {
    const clock = new ManualClock();
    let hangCalls = 0;
    const counts = new Map<string, number>();
    const run: RunCheckFn = (d) => {
      if (d.name === 'hang') {
        hangCalls++;
        return new Promise<CheckResult>(() => {}); // ignores its timeout, never settles
      }
      counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
      return Promise.resolve({ status: 'ok', message: 'fine', latencyMs: 1, at: clock.now() });
    };
    // One slot only: the hang holds it until timeout + grace, then the others flow again.
    const s = new CheckScheduler({ run, clock, concurrency: 1, coalesceMs: 0, graceMs: 500, minGapMs: 100 });
    s.setDefs([def('hang', 2000, 1000), def('a', 2000), def('b', 2000)]);
    s.start();
    await clock.advance(1000);
    assert.equal(hangCalls, 1);
    assert.equal(counts.get('a') ?? 0, 0, 'blocked while the hang holds the only slot');
    await clock.advance(600); // past timeout 1000 + grace 500 since it started
    const hang = s.get('hang')!;
    assert.equal(hang.last?.status, 'unknown');
    assert.match(hang.last?.message ?? '', /still running after 2 s \(timeout 1 s\)/);
    assert.equal(hang.running, true, 'still counted as running: it is never started twice');
    assert.ok((counts.get('a') ?? 0) >= 1 && (counts.get('b') ?? 0) >= 1);
    await clock.advance(20_000);
    assert.equal(hangCalls, 1);
    assert.equal(s.runNow('hang'), false);
    assert.ok((counts.get('a') ?? 0) >= 10, `a ran ${counts.get('a')} times`);
    s.stop();
  });

  it('with a bigger pool, a hanging check never delays the others at all', async () => {
    const clock = new ManualClock();
    const counts = new Map<string, number>();
    const run: RunCheckFn = (d) => {
      counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
      if (d.name === 'hang') return new Promise<CheckResult>(() => {});
      return Promise.resolve({ status: 'ok', message: 'fine', latencyMs: 1, at: clock.now() });
    };
    const s = new CheckScheduler({ run, clock, concurrency: 2, coalesceMs: 0 });
    s.setDefs([def('hang', 1000, 60_000), def('a', 1000), def('b', 1000)]);
    s.start();
    await clock.advance(10_150);
    assert.equal(counts.get('hang'), 1);
    assert.equal(counts.get('a'), 10);
    assert.equal(counts.get('b'), 10);
    s.stop();
  });

  it('spreads the first runs: 50 checks start soon but not in one tick', async () => {
    const clock = new ManualClock();
    const r = controlledRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, concurrency: 50, coalesceMs: 0 });
    const t0 = clock.now();
    s.setDefs(Array.from({ length: 50 }, (_, i) => def(`c${i}`)));
    s.start();
    await clock.advance(2500);
    assert.equal(r.starts.length, 50);
    const times = r.starts.map((x) => x.at - t0);
    assert.ok(Math.min(...times) >= 50 && Math.min(...times) <= 200, `first at ${Math.min(...times)} ms`);
    assert.ok(Math.max(...times) <= 2200, `last at ${Math.max(...times)} ms`);
    assert.ok(new Set(times).size >= 40, 'spread over many distinct instants');
    s.stop();
  });

  it('runs each check on its own interval', async () => {
    const clock = new ManualClock();
    const r = instantRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, startDelayMs: 0 });
    s.setDefs([def('fast', 1000), def('slow', 5000)]);
    s.start();
    await clock.advance(10_150);
    assert.equal(r.counts.get('fast'), 11);
    assert.equal(r.counts.get('slow'), 3);
    s.stop();
    await clock.advance(10_000);
    assert.equal(r.counts.get('fast'), 11, 'stop() clears the timers');
    assert.equal(clock.pendingTimers, 0);
  });

  it(`keeps the last ${HISTORY_LENGTH} statuses, oldest first; since marks the status change`, async () => {
    const clock = new ManualClock();
    const seq: CheckStatus[] = ['ok', 'warn', 'crit', 'unknown'];
    const r = instantRunner(clock, (_name, n) => (n <= 30 ? seq[(n - 1) % 4]! : 'crit'));
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, startDelayMs: 0, minGapMs: 0 });
    s.setDefs([def('x', 1000)]);
    s.start();
    await clock.advance(29_500); // runs 1..30
    const st = s.get('x')!;
    assert.equal(r.counts.get('x'), 30);
    assert.equal(st.history.length, HISTORY_LENGTH);
    const expected = Array.from({ length: 30 }, (_, i) => seq[i % 4]!).slice(-HISTORY_LENGTH);
    assert.deepEqual(st.history, expected);
    assert.equal(st.last?.status, 'warn'); // run 30
    await clock.advance(1000); // run 31: crit
    await clock.advance(1000); // run 32: still crit
    const crit = s.get('x')!;
    assert.equal(crit.last?.status, 'crit');
    assert.equal(crit.since, crit.last!.at - 1000, 'since: when crit began, not the latest run');
    s.stop();
  });

  it('sorts worst first (crit, unknown, warn, ok, not run yet), then by name', async () => {
    const clock = new ManualClock();
    const statusOf: Record<string, CheckStatus> = { b: 'ok', a: 'ok', w: 'warn', u: 'unknown', c2: 'crit', c1: 'crit' };
    const r = instantRunner(clock, (name) => statusOf[name] ?? 'ok');
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0 });
    s.setDefs([...Object.keys(statusOf).map((n) => def(n)), def('later', 10_000)]);
    s.start();
    // Let all but "later" run: run them by hand, before the timers fire.
    for (const n of Object.keys(statusOf)) s.runNow(n);
    await clock.advance(0);
    assert.deepEqual(s.getSnapshot().checks.map((c) => c.def.name), ['c1', 'c2', 'u', 'w', 'a', 'b', 'later']);
    s.stop();
  });

  it('confirmed follows the damping (2 runs by default)', async () => {
    const clock = new ManualClock();
    const r = instantRunner(clock, (_n, i) => (i <= 2 ? 'ok' : 'crit'));
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, startDelayMs: 0, minGapMs: 0 });
    s.setDefs([def('x', 1000)]);
    s.start();
    await clock.advance(0);
    assert.equal(s.get('x')?.confirmed, null);
    await clock.advance(1000);
    assert.equal(s.get('x')?.confirmed, 'ok');
    await clock.advance(1000);
    assert.equal(s.get('x')?.last?.status, 'crit');
    assert.equal(s.get('x')?.confirmed, 'ok', 'one crit is not enough');
    await clock.advance(1000);
    assert.equal(s.get('x')?.confirmed, 'crit');
    s.stop();
  });

  it('runNow and runMatching jump the queue; results reach onResult listeners', async () => {
    const clock = new ManualClock();
    const r = controlledRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, concurrency: 1, coalesceMs: 0 });
    s.setDefs([def('q1'), def('q2'), def('q3'), def('web-a', 10_000, 1000, 'web'), def('web-b', 10_000, 1000, 'web')]);
    const heard: string[] = [];
    s.onResult((e) => heard.push(`${e.def.name}:${e.result.status}`));
    s.start();
    await clock.advance(350); // q1 starts (first in line); q2 and q3 fall due and wait in the queue
    assert.deepEqual(r.starts.map((x) => x.name), ['q1']);
    assert.equal(s.runMatching((d) => d.container === 'web'), 2);
    assert.equal(s.runNow('q3'), false, 'already queued');
    assert.equal(s.runNow('nope'), false);
    await clock.advance(2000);
    for (let i = 0; i < 5; i++) {
      r.finishAll();
      await clock.advance(0);
    }
    assert.deepEqual(r.starts.map((x) => x.name), ['q1', 'web-a', 'web-b', 'q2', 'q3']);
    assert.deepEqual(heard.slice(0, 3), ['q1:ok', 'web-a:ok', 'web-b:ok']);
    s.stop();
  });

  it('setDefs adds, drops and keeps by name; kept checks keep their history', async () => {
    const clock = new ManualClock();
    const r = instantRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, startDelayMs: 0 });
    s.setDefs([def('keep', 1000), def('drop', 1000)]);
    s.start();
    await clock.advance(3050);
    assert.equal(s.get('keep')?.history.length, 4);
    const changed = { ...def('keep', 1000), timeoutMs: 2000 };
    s.setDefs([changed, def('new', 1000)]);
    assert.equal(s.get('drop'), undefined);
    assert.equal(s.get('keep')?.def, changed);
    assert.equal(s.get('keep')?.history.length, 4);
    assert.equal(s.get('new')?.last, null);
    await clock.advance(200);
    assert.equal(s.get('new')?.history.length, 1, 'a new check runs soon after it is added');
    const dropRuns = r.counts.get('drop');
    await clock.advance(5000);
    assert.equal(r.counts.get('drop'), dropRuns, 'a dropped check no longer runs');
    assert.deepEqual(s.getSnapshot().checks.map((c) => c.def.name).sort(), ['keep', 'new']);
    // Rediscovery hands over equal definitions: nothing changes, nobody is told.
    let calls = 0;
    const unsubscribe = s.subscribe(() => calls++);
    s.setDefs([{ ...changed }, def('new', 1000)]);
    assert.equal(s.get('keep')?.def, changed);
    assert.equal(calls, 0);
    unsubscribe();
    s.stop();
  });

  it('a runner that throws or rejects gives unknown, and the check keeps its schedule', async () => {
    const clock = new ManualClock();
    let n = 0;
    const run: RunCheckFn = (d) => {
      n++;
      if (n === 1) throw new Error('sync boom');
      if (n === 2) return Promise.reject(new Error('async boom'));
      return Promise.resolve({ status: 'ok', message: d.name, latencyMs: 1, at: clock.now() });
    };
    const s = new CheckScheduler({ run, clock, coalesceMs: 0, startDelayMs: 0, minGapMs: 0 });
    s.setDefs([def('x', 1000)]);
    s.start();
    await clock.advance(0);
    assert.match(s.get('x')?.last?.message ?? '', /sync boom/);
    await clock.advance(1000);
    assert.match(s.get('x')?.last?.message ?? '', /async boom/);
    assert.equal(s.get('x')?.last?.status, 'unknown');
    await clock.advance(1000);
    assert.equal(s.get('x')?.last?.status, 'ok');
    s.stop();
  });

  it('stop() drops the results of runs still in flight (a cancelled run says nothing)', async () => {
    const clock = new ManualClock();
    const r = controlledRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, startDelayMs: 0 });
    const heard: string[] = [];
    s.onResult((e) => heard.push(e.def.name));
    s.setDefs([def('x')]);
    s.start();
    await clock.advance(0);
    assert.equal(r.open.length, 1);
    s.stop();
    r.finishAll(() => 'unknown');
    await clock.advance(0);
    assert.deepEqual(heard, []);
    assert.equal(s.get('x')?.last, null);
    assert.equal(s.get('x')?.running, false);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(s.runNow('x'), false);
  });

  it('notifies subscribers, and never mutates a published CheckState', async () => {
    const clock = new ManualClock();
    const r = instantRunner(clock);
    const s = new CheckScheduler({ run: r.run, clock, coalesceMs: 0, startDelayMs: 0 });
    let calls = 0;
    s.subscribe(() => calls++);
    s.setDefs([def('x', 1000)]);
    const before = s.getSnapshot().checks[0]!;
    s.start();
    await clock.advance(0);
    assert.ok(calls >= 2);
    assert.equal(before.last, null);
    assert.equal(before.running, false);
    assert.notEqual(s.getSnapshot().checks[0], before);
    s.stop();
  });
});
