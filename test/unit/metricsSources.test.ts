import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.js';
import type { ContainerInfo } from '../../src/docker/containers.js';
import type { HostSnapshot } from '../../src/host/metrics.js';
import type { ContainerRow } from '../../src/model/dockerModel.js';
import { containerSamples, hostSamples } from '../../src/metrics/collector.js';
import { ANONYMOUS_VOLUME, databaseSources, parsePgSizes, sqliteTitle } from '../../src/metrics/sources.js';
import { capacityJson, formatCapacityTable } from '../../src/cli/capacity.js';
import type { CapacityData } from '../../src/metrics/types.js';

const GiB = 1024 ** 3;

function container(name: string, image: string, state: ContainerInfo['state'] = 'running'): ContainerInfo {
  return {
    id: `${name}-id`.padEnd(64, '0'), name, project: null, service: null, image, state, status: '', health: 'none',
    restartCount: 0, startedAt: null, finishedAt: null, exitCode: null, oomKilled: false, memLimit: null, createdAt: '', inspected: true,
  };
}

test('host samples: CPU, memory of total, load, each disk against used + available', () => {
  const snap: HostSnapshot = {
    hostname: 'h', cpuPercent: 12.5, cpuCount: 2, memPercent: 50, memTotalBytes: 8 * GiB, memUsedBytes: 4 * GiB,
    load1: 0.7, load5: 0, load15: 0, uptimeSec: 1, at: 1,
    disks: [{ mount: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 100 * GiB, usedBytes: 60 * GiB, availBytes: 35 * GiB, usedPercent: 63 }],
  };
  assert.deepEqual(hostSamples(snap).map((s) => [s.key, s.value, s.limit, s.unit]), [
    ['host.cpu', 12.5, 100, 'percent'],
    ['host.mem', 4 * GiB, 8 * GiB, 'bytes'],
    ['host.load1', 0.7, null, 'load'],
    ['host.disk:/', 60 * GiB, 95 * GiB, 'bytes'],
  ]);
  assert.deepEqual(hostSamples({ ...snap, cpuPercent: null, disks: [] }).map((s) => s.key), ['host.mem', 'host.load1']);
});

test('container samples: CPU, memory against its limit, rates; nothing for missing figures', () => {
  const row: ContainerRow = { ...container('shop-db-1', 'postgres:15'), memLimit: GiB, cpuPercent: 3, memBytes: 200, memPercent: 1, rxRate: 10, txRate: null, cpuHistory: [] };
  assert.deepEqual(containerSamples(row, { read: 5, write: 6 }).map((s) => [s.key, s.title, s.value, s.limit]), [
    ['container:shop-db-1.cpu', 'shop-db-1 CPU', 3, null],
    ['container:shop-db-1.mem', 'shop-db-1 memory', 200, GiB],
    ['container:shop-db-1.net.rx', 'shop-db-1 net rx', 10, null],
    ['container:shop-db-1.blk.read', 'shop-db-1 disk read', 5, null],
    ['container:shop-db-1.blk.write', 'shop-db-1 disk write', 6, null],
  ]);
  assert.equal(containerSamples({ ...row, cpuPercent: null, memBytes: null, rxRate: null }, null).length, 0);
  // Several engines: a named endpoint's series say which (the one local engine keeps the plain keys).
  assert.deepEqual(containerSamples(row, null, 'db1').map((s) => [s.key, s.title]).slice(0, 1), [['container:db1/shop-db-1.cpu', 'db1/shop-db-1 CPU']]);
  assert.equal(containerSamples(row, null, 'local')[0]!.key, 'container:shop-db-1.cpu');
});

test('database sources: configured first (with credentials), then running postgres/redis containers', () => {
  const config = configSchema.parse({
    checks: [
      { name: 'shop', postgres: { container: 'shop-db-1', user: 'shop', database: 'shop', password: 'pw' } },
      { name: 'app-db', sqlite: { path: '/data/app.db', container: 'app-1' } },
      { name: 'gone-db', sqlite: { path: '/data/x.db', container: 'stopped-1' } },
    ],
    backups: { targets: { local: { sqlite: { path: '/srv/app.db' } }, cache: { redis: { container: 'cache-1', password: 'r' } } } },
  });
  const containers = [
    container('shop-db-1', 'postgres:15'), container('cache-1', 'redis:7'), container('other-pg', 'docker.io/library/postgres:16-alpine'),
    container('pg-exporter', 'prometheuscommunity/postgres-exporter'), container('old-redis', 'redis:7', 'exited'), container('app-1', 'app:latest'),
    container('stopped-1', 'app:latest', 'exited'),
  ];
  assert.deepEqual(databaseSources(containers, config), [
    { kind: 'sqlite', id: 'local', path: '/srv/app.db' },
    { kind: 'redis', container: 'cache-1', password: 'r' },
    { kind: 'postgres', container: 'shop-db-1', user: 'shop', database: 'shop', password: 'pw' },
    { kind: 'sqlite', id: 'app-db', path: '/data/app.db', container: 'app-1' },
    { kind: 'postgres', container: 'other-pg' },
  ]);
  assert.equal(sqliteTitle({ kind: 'sqlite', id: 'x', path: '/data/app.db', container: 'app-1' }), 'sqlite app.db (app-1)');
});

test('psql size rows; anonymous volume names', () => {
  assert.deepEqual(parsePgSizes('postgres|7454255\nshop|8012345\nlocked|\nweird|name|42\n'), [
    { database: 'postgres', bytes: 7454255 }, { database: 'shop', bytes: 8012345 }, { database: 'weird|name', bytes: 42 },
  ]);
  assert.ok(ANONYMOUS_VOLUME.test('01652af78f1da00f3f8518a8cc7a28377c1b0c5f2c2d2e7f4b9d1f5e6a7b8c9d'));
  assert.ok(!ANONYMOUS_VOLUME.test('shop_db-data'));
});

test('opsdeck capacity table and JSON', () => {
  const now = Date.UTC(2026, 2, 10, 12);
  const data: CapacityData = {
    window: '7d', from: now - 7 * 86_400_000, to: now, collector: 'agent', lastSampleAt: now - 120_000,
    series: [
      { id: 'host.cpu', title: 'CPU', group: 'host', unit: 'percent', points: [{ at: now, value: 12 }], current: 12.34, min: 1, max: 90, limit: 100, projection: null },
      { id: 'host.disk:/', title: 'Disk /', group: 'host', unit: 'bytes', points: [{ at: now, value: 90 * GiB }], current: 90 * GiB, min: 83 * GiB, max: 90 * GiB, limit: 100 * GiB,
        projection: { status: 'full-in', daysToFull: 10, growthPerDay: GiB, confidence: 0.99, message: 'full in 10 days (r² 0.99)' } },
      { id: 'container:a.cpu', title: 'a CPU', group: 'containers', unit: 'percent', points: [], current: 1, min: 1, max: 1, limit: null, projection: null },
      { id: 'container:a.mem', title: 'a memory', group: 'containers', unit: 'bytes', points: [], current: 5 * 1024 ** 2, min: 1, max: 1, limit: null,
        projection: { status: 'too-few-points', daysToFull: null, growthPerDay: null, confidence: null, message: 'too few points (3 of 10)' } },
      { id: 'volume:v.size', title: 'volume v\x1b[2J', group: 'volumes', unit: 'bytes', points: [], current: 1024, min: 1, max: 1, limit: null,
        projection: { status: 'no-trend', daysToFull: null, growthPerDay: 0, confidence: null, message: 'no trend (flat)' } },
    ],
  };
  assert.equal(formatCapacityTable(data, { now }), [
    'capacity over 7d · collecting: agent · newest sample 2m ago',
    'RESOURCE        CURRENT        LIMIT        GROWTH/DAY  PROJECTION',
    'Host',
    '  CPU             12.3%            –                 –  –',
    '  Disk /         90 GiB      100 GiB      +1.0 GiB/day  full in 10 days (r² 0.99)',
    'Containers',
    '  a memory      5.0 MiB            –                 –  too few points (3 of 10)',
    'Volumes',
    '  volume v      1.0 KiB            –                 –  no trend (flat)',
  ].join('\n'));
  assert.match(formatCapacityTable(data, { now, all: true }), /\n {2}a CPU\s+1\.0%/);
  const json = capacityJson(data) as { id: string; samples: number; projection: unknown }[];
  assert.equal(json.length, 5);
  assert.deepEqual(json[1], { id: 'host.disk:/', title: 'Disk /', group: 'host', unit: 'bytes', window: '7d', current: 90 * GiB, min: 83 * GiB, max: 90 * GiB, limit: 100 * GiB, samples: 1, projection: data.series[1]!.projection });
});
