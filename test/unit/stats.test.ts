import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuPercent, memoryUsed, networkTotals, ratePerSecond, type RawStats } from '../../src/docker/stats.js';

type Cpu = RawStats['cpu_stats'];

const cpu = (total: number | undefined, system: number | undefined, online?: number, percpu?: number[]): Cpu => ({
  cpu_usage: { total_usage: total, ...(percpu ? { percpu_usage: percpu } : {}) },
  system_cpu_usage: system,
  ...(online !== undefined ? { online_cpus: online } : {}),
});

test('cpuPercent: (cpuDelta / systemDelta) × online CPUs × 100', () => {
  const cases: [string, Cpu, Cpu, number][] = [
    ['a quarter of the host on 4 cores', cpu(2_000, 8_000, 4), cpu(1_000, 4_000, 4), 100],
    ['one core busy on a 4-core host shows 100 %', cpu(1_250, 2_000, 4), cpu(1_000, 1_000, 4), 100],
    ['half of one core on a 2-core host', cpu(150, 400, 2), cpu(100, 200, 2), 50],
    ['all of 8 cores', cpu(1_800, 1_200, 8), cpu(1_000, 400, 8), 800],
    ['idle: cpuDelta 0 is 0 %, not missing', cpu(1_000, 2_000, 4), cpu(1_000, 1_000, 4), 0],
    ['single CPU', cpu(300, 1_000, 1), cpu(100, 600, 1), 50],
  ];
  for (const [name, cur, prev, want] of cases) {
    const got = cpuPercent(cur, prev);
    assert.ok(got !== null, name);
    assert.ok(Math.abs(got - want) < 1e-9, `${name}: got ${got}, want ${want}`);
  }
});

test('cpuPercent: online_cpus missing or 0 falls back to percpu_usage length, then 1', () => {
  const cases: [string, Cpu, number][] = [
    ['no online_cpus, 4 percpu entries', cpu(1_250, 2_000, undefined, [1, 2, 3, 4]), 100],
    ['online_cpus 0, 2 percpu entries', cpu(1_250, 2_000, 0, [1, 2]), 50],
    ['online_cpus wins over percpu length', cpu(1_250, 2_000, 8, [1, 2]), 200],
    ['neither: one CPU', cpu(1_250, 2_000), 25],
  ];
  for (const [name, cur, want] of cases) {
    assert.equal(cpuPercent(cur, cpu(1_000, 1_000)), want, name);
  }
});

test('cpuPercent: null without a previous sample or with zero / negative deltas', () => {
  const cases: [string, Cpu, Cpu][] = [
    ['no previous sample at all', cpu(1_000, 2_000, 4), undefined],
    ['empty precpu_stats (first docker sample)', cpu(1_000, 2_000, 4), {}],
    ['precpu with no system usage', cpu(1_000, 2_000, 4), { cpu_usage: { total_usage: 0 } }],
    ['precpu system usage 0', cpu(1_000, 2_000, 4), cpu(0, 0, 4)],
    ['no current sample', undefined, cpu(1_000, 1_000, 4)],
    ['current without total_usage', cpu(undefined, 2_000, 4), cpu(1_000, 1_000, 4)],
    ['current without system usage', cpu(2_000, undefined, 4), cpu(1_000, 1_000, 4)],
    ['system delta 0', cpu(2_000, 1_000, 4), cpu(1_000, 1_000, 4)],
    ['system delta negative', cpu(2_000, 900, 4), cpu(1_000, 1_000, 4)],
    ['cpu delta negative (counter reset)', cpu(500, 2_000, 4), cpu(1_000, 1_000, 4)],
  ];
  for (const [name, cur, prev] of cases) {
    assert.equal(cpuPercent(cur, prev), null, name);
  }
});

test('memoryUsed: usage minus the reclaimable cache, cgroup v1 and v2, never negative', () => {
  type Mem = RawStats['memory_stats'];
  const cases: [string, Mem, number | null][] = [
    ['no memory stats', undefined, null],
    ['no usage', { limit: 1_000, stats: { inactive_file: 10 } }, null],
    ['usage without stats', { usage: 1_000 }, 1_000],
    ['usage with empty stats', { usage: 1_000, stats: {} }, 1_000],
    ['cgroup v2: usage − inactive_file', { usage: 1_000, stats: { inactive_file: 300, active_file: 100, anon: 500 } }, 700],
    ['cgroup v1: usage − total_inactive_file', { usage: 1_000, stats: { total_inactive_file: 250, cache: 400, total_cache: 400 } }, 750],
    ['cgroup v1 prefers total_inactive_file over inactive_file', { usage: 1_000, stats: { total_inactive_file: 250, inactive_file: 100 } }, 750],
    ['cgroup v1 without total_inactive_file falls back to cache', { usage: 1_000, stats: { cache: 400, total_cache: 400 } }, 600],
    ['old kernels: only cache', { usage: 1_000, stats: { cache: 400 } }, 600],
    ['inactive_file larger than usage: usage, not negative', { usage: 100, stats: { inactive_file: 300 } }, 100],
    ['total_inactive_file larger than usage: usage, not negative', { usage: 100, stats: { total_inactive_file: 300 } }, 100],
    ['cache larger than usage: usage, not negative', { usage: 100, stats: { cache: 300 } }, 100],
    ['inactive_file equal to usage: usage', { usage: 100, stats: { inactive_file: 100 } }, 100],
    ['usage 0', { usage: 0, stats: { inactive_file: 0 } }, 0],
  ];
  for (const [name, mem, want] of cases) {
    const got = memoryUsed(mem);
    assert.equal(got, want, name);
    if (got !== null) assert.ok(got >= 0, `${name}: negative ${got}`);
  }
});

test('networkTotals: sums rx and tx over all interfaces', () => {
  const cases: [string, RawStats['networks'], { rx: number; tx: number }][] = [
    ['no networks (network_mode none)', undefined, { rx: 0, tx: 0 }],
    ['empty map', {}, { rx: 0, tx: 0 }],
    ['one interface', { eth0: { rx_bytes: 100, tx_bytes: 50 } }, { rx: 100, tx: 50 }],
    ['two interfaces', { eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1_000, tx_bytes: 5 } }, { rx: 1_100, tx: 55 }],
    ['missing counters count as 0', { eth0: { rx_bytes: 7 }, eth1: { tx_bytes: 9 }, eth2: {} }, { rx: 7, tx: 9 }],
  ];
  for (const [name, nets, want] of cases) {
    assert.deepEqual(networkTotals(nets), want, name);
  }
});

test('ratePerSecond: bytes per second, null across a reset or a zero interval', () => {
  const cases: [string, number, number | undefined, number, number | null][] = [
    ['1000 bytes in 1 s', 2_000, 1_000, 1_000, 1_000],
    ['1000 bytes in 2 s', 2_000, 1_000, 2_000, 500],
    ['1000 bytes in 250 ms', 2_000, 1_000, 250, 4_000],
    ['no change', 1_000, 1_000, 1_000, 0],
    ['no previous counter', 1_000, undefined, 1_000, null],
    ['counter reset (container restarted)', 10, 1_000, 1_000, null],
    ['zero interval', 2_000, 1_000, 0, null],
    ['negative interval (clock jump)', 2_000, 1_000, -5, null],
  ];
  for (const [name, cur, prev, dt, want] of cases) {
    assert.equal(ratePerSecond(cur, prev, dt), want, name);
  }
});
