// The capacity check: a projection below metrics.horizon warns, naming the resource; none, no
// history or no store never warn falsely.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runCapacity } from '../../src/checks/kinds/capacity.js';
import { parseConfigText } from '../../config/load.js';
import type { CheckDef, CheckEnv } from '../../src/checks/types.js';
import type { CapacityData, CapacitySeries, Projection } from '../../src/metrics/types.js';

const def: CheckDef = { name: 'capacity', kind: 'capacity', source: 'discovered', intervalMs: 1, timeoutMs: 1, spec: { kind: 'capacity', name: 'capacity' } };
const series = (id: string, projection: Projection | null): CapacitySeries => ({
  id, title: id, group: 'host', unit: 'bytes', points: [], current: 1, min: 1, max: 1, limit: 10, projection,
});
const full = (days: number): Projection => ({ status: 'full-in', daysToFull: days, growthPerDay: 1, confidence: 0.99, message: `full in ${days} days (r² 0.99)` });
const data = (s: CapacitySeries[]): CapacityData => ({ window: '7d', from: 0, to: 1, series: s, collector: 'agent', lastSampleAt: 1 });
const env = (capacity: (() => CapacityData | null) | undefined, yaml = '{}') => {
  const config = parseConfigText(yaml, { source: null, env: {} });
  return { config, thresholds: config.thresholds, now: Date.now, ...(capacity ? { capacity } : {}), docker: null as never, host: null as never, signal: new AbortController().signal } as CheckEnv;
};

it('warns for a disk projected full within 14 days, soonest first; ok beyond the horizon', async () => {
  const r = await runCapacity(def, env(() => data([series('Disk /', full(9.8)), series('Disk /srv', full(3)), series('volume pgdata', full(40))])));
  assert.equal(r.status, 'warn');
  assert.match(r.message, /^2 projected full within 14 days: Disk \/srv full in 3 days .*; Disk \/ full in 9\.8 days/);
  const ok = await runCapacity(def, env(() => data([series('Disk /', full(40)), series('CPU', null)])));
  assert.equal(ok.status, 'ok');
  assert.match(ok.message, /nothing projected full within 14 days \(2 series, 1 growing towards a limit\)/);
});

it('metrics.horizon moves the line', async () => {
  const r = await runCapacity(def, env(() => data([series('Disk /', full(40))]), 'metrics: { horizon: 60d }'));
  assert.equal(r.status, 'warn');
});

it('no history yet is ok and says what to do; no store is unknown', async () => {
  assert.match((await runCapacity(def, env(() => null))).message, /no metric history yet: run `opsdeck agent`/);
  assert.equal((await runCapacity(def, env(undefined))).status, 'unknown');
});
