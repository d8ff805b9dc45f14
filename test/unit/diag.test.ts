// The diagnostics bundle's pure parts: names, the capped log writer (newest kept, note line, bound),
// timeouts, SUMMARY.md, and the CLI's options.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleName, renderSummary, type SummaryFacts } from '../../src/diag/bundle.js';
import { CappedLog, MIN_LOG_CAP } from '../../src/diag/logcap.js';
import { DiagTimeoutError, fileSafe, incidentId, withTimeout } from '../../src/diag/util.js';
import { parseDiagOptions } from '../../src/cli/diag.js';
import { UsageError } from '../../src/cli/context.js';
import type { Subject } from '../../src/diag/collectors.js';
import type { ContainerInfo } from '../../src/docker/containers.js';

const dir = mkdtempSync(join(tmpdir(), 'opsdeck-diag-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('names', () => {
  it('the incident id is the UTC time, the name carries host and id', () => {
    const at = Date.UTC(2026, 10, 23, 14, 41, 33, 512);
    assert.equal(incidentId(at), '20261123T144133Z');
    assert.equal(bundleName('db1.example.com', incidentId(at)), 'opsdeck-diag-db1.example.com-20261123T144133Z.tar.gz');
  });

  it('file-safe names: no separators, no dot-dirs, no escapes', () => {
    assert.equal(fileSafe('shop_api_1'), 'shop_api_1');
    assert.equal(fileSafe('/weird name/../x'), 'weird_name_.._x');
    assert.equal(fileSafe('..'), '_..');
    assert.equal(fileSafe('a\x1b[31mb'), 'a__31mb');
  });
});

describe('capped log file', () => {
  const read = (file: string) => readFileSync(file, 'utf8');

  it('under the cap: every line, no note, 0600', async () => {
    const file = join(dir, 'small.txt');
    const log = new CappedLog(file, MIN_LOG_CAP);
    for (let i = 0; i < 100; i++) log.line(`line ${i}`, 1000 + i);
    const r = await log.finish('64 KiB');
    assert.equal(r.cut, null);
    assert.equal(r.lines, 100);
    const text = read(file);
    assert.equal(text.split('\n').length, 101);
    assert.ok(text.startsWith('line 0\n') && text.endsWith('line 99\n'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.seg')), [], 'segments removed');
  });

  it('over the cap: the newest lines kept, the file within the cap, a note line first saying what was dropped', async () => {
    const file = join(dir, 'big.txt');
    const cap = MIN_LOG_CAP;
    const log = new CappedLog(file, cap);
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      log.line(`2026-11-23T14:00:00.000Z stdout line ${String(i).padStart(6, '0')} ${'x'.repeat(40)}`, Date.UTC(2026, 10, 23, 14, 0, 0) + i);
      if (i % 100 === 0) log.flush();
    }
    const r = await log.finish('64 KiB', ['[opsdeck] reading stopped: test']);
    const text = read(file);
    assert.ok(Buffer.byteLength(text) <= cap, `${Buffer.byteLength(text)} > ${cap}`);
    assert.equal(Buffer.byteLength(text), r.bytes);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^\[opsdeck\] cut: this file keeps the newest lines of the window up to the 64 KiB cap; \d+ earlier lines \(.+\) from 2026-11-23T14:00:00.000Z to .+ are not included$/);
    assert.ok(r.cut && r.cut.lines > 0 && r.cut.lines + r.lines === total, JSON.stringify(r));
    assert.match(lines.at(-2)!, /line 019999 /, 'the newest line is kept');
    assert.equal(lines.at(-1), '[opsdeck] reading stopped: test');
    // Kept lines are contiguous and in order.
    const nums = lines.slice(1, -1).map((l) => Number(/line (\d+)/.exec(l)![1]));
    assert.ok(nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1));
    assert.ok(nums.length > 400, `only ${nums.length} kept`);
  });

  it('discard leaves nothing behind', () => {
    const file = join(dir, 'gone.txt');
    const log = new CappedLog(file, MIN_LOG_CAP);
    log.line('a', 1);
    log.discard();
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('gone')), []);
  });
});

describe('timeouts', () => {
  it('gives up at the deadline even when the step ignores its signal, and aborts that signal', async () => {
    let inner: AbortSignal | undefined;
    const t0 = Date.now();
    await assert.rejects(
      withTimeout(50, new AbortController().signal, (signal) => {
        inner = signal;
        return new Promise(() => undefined);
      }),
      (e: unknown) => e instanceof DiagTimeoutError && /no answer within 50ms/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(inner?.aborted, true);
  });

  it('the caller\'s abort wins with its own reason', async () => {
    const ac = new AbortController();
    const p = withTimeout(10_000, ac.signal, () => new Promise(() => undefined));
    ac.abort(new Error('stop now'));
    await assert.rejects(p, /stop now/);
  });
});

function subject(name: string, state: ContainerInfo['state'], status: string, extra: Partial<Subject> = {}): Subject {
  const info: ContainerInfo = {
    id: `${name}-id`, name, project: null, service: null, image: 'busybox', state, status, health: 'none', restartCount: null,
    startedAt: null, finishedAt: null, exitCode: null, oomKilled: false, memLimit: null, createdAt: '', inspected: false,
  };
  return { info, dir: name, ...extra };
}

describe('SUMMARY.md', () => {
  const base: SummaryFacts = {
    host: 'db1', id: '20261123T144133Z', started: Date.UTC(2026, 10, 23, 14, 41, 33), finished: Date.UTC(2026, 10, 23, 14, 41, 45),
    since: Date.UTC(2026, 10, 23, 13, 41, 33), until: Date.UTC(2026, 10, 23, 14, 41, 33), user: 'alice', endpoint: 'unix:///var/run/docker.sock',
    engine: { version: '20.10.24', api: '1.41' },
    subjects: [
      subject('api', 'running', 'Up 3 hours'),
      subject('oom', 'exited', 'Exited (137)', { inspect: { State: { OOMKilled: true, ExitCode: 137, Status: 'exited' }, RestartCount: 0 } as never }),
      subject('flaky|x', 'running', 'Up (unhealthy)', { inspect: { State: { Health: { Status: 'unhealthy' }, Status: 'running' }, RestartCount: 2 } as never }),
    ],
    runs: [
      { name: 'container:flaky|x', kind: 'container', result: { status: 'crit', message: 'unhealthy: exit 1', latencyMs: 3, at: 0 } },
      { name: 'disk', kind: 'disk', result: { status: 'ok', message: 'fine', latencyMs: 1, at: 0 } },
    ],
    timeline: [],
    notes: [
      { kind: 'failed', what: 'logs of gone-1', why: 'removed while the bundle was being collected' },
      { kind: 'cut', what: 'containers/chatty/logs.txt', why: 'keeps the newest lines …' },
    ],
    files: [{ path: 'SUMMARY.md', bytes: 0, what: 'this summary' }, { path: 'containers/api/logs.txt', bytes: 2048, what: 'logs of api' }],
    logs: true,
    capLabel: '10 MiB',
  };

  it('has the window, counts by state, what needs attention, failing checks, what failed and what was cut', () => {
    const md = renderSummary(base);
    assert.match(md, /^# opsdeck diagnostics: db1, incident 20261123T144133Z/);
    assert.match(md, /\| window \| 2026-11-23 13:41:33 UTC → 2026-11-23 14:41:33 UTC \(1h\) \|/);
    assert.match(md, /- Containers: 3 — 2 running, 1 exited/);
    assert.match(md, /- Need attention: oom \(Exited \(137\), OOM killed\); flaky\\\|x \(Up \(unhealthy\), 2 restarts\)/);
    assert.match(md, /- Health checks: 2 — 1 crit, 0 unknown, 0 warn, 1 ok\n {2}- CRIT container:flaky\\\|x: unhealthy: exit 1/);
    assert.match(md, /## Not collected\n\n- logs of gone-1: removed while the bundle was being collected/);
    assert.match(md, /## Cut\n\nEach log file keeps at most 10 MiB[^\n]*\n\n- containers\/chatty\/logs.txt: keeps the newest lines/);
    assert.match(md, /\| containers\/api\/logs.txt \| 2.0 KiB \| logs of api \|/);
  });

  it('says so when everything was collected and nothing cut', () => {
    const md = renderSummary({ ...base, notes: [] });
    assert.match(md, /Everything was collected\./);
    assert.match(md, /Nothing was cut\./);
  });
});

describe('opsdeck diag options', () => {
  const now = Date.UTC(2026, 10, 23, 14, 0, 0);
  it('--since takes a duration or a time; default 1h', () => {
    assert.equal(parseDiagOptions({}, {}, now).since, now - 3_600_000);
    assert.equal(parseDiagOptions({ since: '10m' }, {}, now).since, now - 600_000);
    assert.equal(parseDiagOptions({ since: '2026-11-23T13:30:00Z' }, {}, now).since, Date.UTC(2026, 10, 23, 13, 30));
    assert.equal(parseDiagOptions({ logs: false }, {}, now).logs, false);
  });

  it('bad values are usage errors naming the option', () => {
    assert.throws(() => parseDiagOptions({ since: 'yesterday' }, {}, now), (e: unknown) => e instanceof UsageError && /--since/.test(e.message));
    assert.throws(() => parseDiagOptions({ since: '2027-01-01T00:00:00Z' }, {}, now), UsageError);
    assert.throws(() => parseDiagOptions({}, { OPSDECK_DIAG_LOG_CAP: 'lots' }, now), /OPSDECK_DIAG_LOG_CAP/);
    assert.throws(() => parseDiagOptions({}, { OPSDECK_DIAG_TIMEOUT: '5' }, now), /OPSDECK_DIAG_TIMEOUT/);
  });

  it('the environment knobs', () => {
    assert.equal(parseDiagOptions({}, { OPSDECK_DIAG_LOG_CAP: '2MiB' }, now).logCap, 2 * 1024 * 1024);
    assert.equal(parseDiagOptions({}, { OPSDECK_DIAG_LOG_CAP: '300000' }, now).logCap, 300000);
    assert.deepEqual(parseDiagOptions({}, { OPSDECK_DIAG_TIMEOUT: '2s' }, now).timeouts, { api: 2000, exec: 2000, logs: 2000, checks: 2000 });
  });
});
