// The container detail pane (views/ContainerDetail.tsx) drawn with ink-testing-library: what an
// operator reads for an OOM-killed container, an unhealthy one, hostile text, and scrolling.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { render } from 'ink-testing-library';
import { ContainerDetailView, detailLines, maxScroll } from '../../views/ContainerDetail.js';
import { ThemeContext, makeTheme } from '../../views/theme.js';
import type { ContainerDetail } from '../../src/diag/containerDetail.js';

const now = Date.UTC(2026, 10, 23, 14, 41, 0);
const plain = (node: React.ReactElement) => render(<ThemeContext.Provider value={makeTheme(false)}>{node}</ThemeContext.Provider>);

function detail(over: Partial<ContainerDetail> = {}): ContainerDetail {
  return {
    id: 'abc', name: 'shop-worker-1', project: 'shop', service: 'worker', state: 'exited', running: false,
    startedAt: now - 600_000, finishedAt: now - 120_000, createdAt: now - 86_400_000,
    exitCode: 137, oomKilled: true, error: null, restartCount: 3, restartPolicy: 'on-failure:5',
    health: null,
    image: { ref: 'shop/worker:1.4', id: 'sha256:0123456789abcdef', created: now - 21 * 86_400_000, sizeBytes: 52_428_800 },
    command: 'worker --queue jobs', limits: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5 },
    ports: ['127.0.0.1:8080 → 80/tcp'], mounts: [{ type: 'volume', source: 'shop_data', destination: '/data', rw: true }],
    env: [{ name: 'QUEUE', value: 'jobs' }, { name: 'API_TOKEN', value: '********' }],
    events: [{ at: now - 130_000, source: 'docker', severity: 'crit', subject: 'shop-worker-1', project: 'shop', message: 'died (exit 137, OOM killed)', key: 'docker:1' }],
    errorLines: [{ at: now - 125_000, text: 'ERROR out of memory allocating 512 MiB' }],
    notes: [],
    gatheredAt: now,
    ...over,
  };
}

describe('container detail pane', () => {
  it('an OOM-killed container: exit code and its meaning, OOM flag, restarts, image age, limits, ports, mounts, events, errors, masked env', () => {
    const frame = plain(<ContainerDetailView detail={detail()} width={110} height={40} scroll={0} now={now} />).lastFrame() ?? '';
    assert.match(frame, /shop-worker-1 — Esc closes/);
    assert.match(frame, /state +exited 2m ago/);
    assert.match(frame, /exit +exit code 137 \(SIGKILL: killed, often out of memory\) · OOM killed \(the memory limit was hit\)/);
    assert.match(frame, /restarts +3 · policy on-failure:5/);
    assert.match(frame, /image +shop\/worker:1\.4 · built 21d ago · 50 MiB/);
    assert.match(frame, /limits +memory 64 MiB · cpus 0\.5/);
    assert.match(frame, /ports +127\.0\.0\.1:8080 → 80\/tcp/);
    assert.match(frame, /mounts +volume shop_data → \/data \(rw\)/);
    assert.match(frame, /recent events \(24 h\): 1/);
    assert.match(frame, /14:38:50 crit +died \(exit 137, OOM killed\)/);
    assert.match(frame, /14:38:55 ERROR out of memory/);
    assert.match(frame, /API_TOKEN=\*{8}/);
    assert.match(frame, /health +no healthcheck/);
  });

  it('an unhealthy container: the health log, newest first, with exit codes and output', () => {
    const d = detail({
      state: 'running', running: true, exitCode: null, oomKilled: false,
      health: {
        status: 'unhealthy', failingStreak: 7, test: 'CMD pg_isready -h 127.0.0.1',
        log: [
          { start: now - 4000, end: now - 3990, exitCode: 0, output: 'accepting connections' },
          { start: now - 2000, end: now - 1950, exitCode: 2, output: '127.0.0.1:5432 - no response\nsecond line' },
        ],
      },
    });
    const lines = detailLines(d, 100, now).map((l) => `${l.key.padEnd(11)}${l.text}`);
    const at = lines.findIndex((l) => l.startsWith('health'));
    assert.equal(lines[at], 'health     unhealthy · failing streak 7');
    assert.equal(lines[at + 1], '           test: CMD pg_isready -h 127.0.0.1');
    assert.equal(lines[at + 2], '           14:40:58 exit 2 50 ms: 127.0.0.1:5432 - no response ⏎ second line');
    assert.equal(lines[at + 3], '           14:40:56 exit 0 10 ms: accepting connections');
  });

  it('neutralises escape sequences in any text it is given', () => {
    const d = detail({ name: 'evil\x1b]0;pwned\x07', errorLines: [{ at: null, text: 'ERROR \x1b[2Jcleared' }], env: [{ name: 'X', value: 'a\x1b[31mred' }] });
    const frame = plain(<ContainerDetailView detail={d} width={100} height={60} scroll={0} now={now} />).lastFrame() ?? '';
    assert.ok(!frame.includes('\u001b]0;') && !frame.includes('\u001b[2J') && !frame.includes('\u0007') && !frame.includes('\u001b[31m'), frame);
    assert.match(frame, /ERROR cleared/);
  });

  it('scrolls: a window of lines, with the position in the title; the offset is clamped', () => {
    const env = Array.from({ length: 60 }, (_, i) => ({ name: `VAR_${i}`, value: String(i) }));
    const d = detail({ env });
    const max = maxScroll(d, 100, 20, now);
    assert.ok(max > 0);
    const top = plain(<ContainerDetailView detail={d} width={100} height={20} scroll={0} now={now} />).lastFrame() ?? '';
    assert.match(top, /lines 1–17 of \d+, ↑↓ PgUp PgDn scroll/);
    assert.doesNotMatch(top, /VAR_59=59/);
    const bottom = plain(<ContainerDetailView detail={d} width={100} height={20} scroll={max + 50} now={now} />).lastFrame() ?? '';
    assert.match(bottom, /VAR_59=59/);
  });

  it('while gathering, and when it failed', () => {
    assert.match(plain(<ContainerDetailView detail={null} name="db-1" width={80} height={6} scroll={0} now={now} />).lastFrame() ?? '', /db-1 — Esc closes[\s\S]*gathering state/);
    assert.match(plain(<ContainerDetailView detail={null} name="db-1" error="no container db-1" width={80} height={6} scroll={0} now={now} />).lastFrame() ?? '', /no container db-1/);
  });
});
