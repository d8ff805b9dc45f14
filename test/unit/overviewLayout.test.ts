import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRow } from '../../src/model/dockerModel.js';
import {
  buildLines,
  cellFor,
  layoutColumns,
  matchesFilter,
  stateText,
  uptimeText,
  visibleWindow,
  type Column,
  type ColumnId,
  type Line,
} from '../../views/overviewLayout.js';
import { containerRow } from '../helpers/fixtures.js';

const MiB = 1024 * 1024;
const NOW = Date.parse('2024-05-01T12:00:00Z');

const row = (over: Partial<ContainerRow>): ContainerRow => containerRow(over);

const totalWidth = (cols: Column[]) => cols.reduce((s, c) => s + c.width, 0) + cols.length - 1;
const col = (id: ColumnId, width = 20): Column => ({ id, title: id.toUpperCase(), width, align: 'left' });

test('layoutColumns: which columns remain at each width', () => {
  const cases: [number, ColumnId[]][] = [
    [200, ['name', 'state', 'health', 'cpu', 'mem', 'net', 'restarts', 'uptime', 'spark']],
    [118, ['name', 'state', 'health', 'cpu', 'mem', 'net', 'restarts', 'uptime', 'spark']],
    [96, ['name', 'state', 'health', 'cpu', 'mem', 'net', 'restarts', 'uptime', 'spark']],
    [95, ['name', 'state', 'health', 'cpu', 'mem', 'restarts', 'uptime', 'spark']], // net leaves first
    [80, ['name', 'state', 'health', 'cpu', 'mem', 'restarts', 'uptime', 'spark']],
    [78, ['name', 'state', 'health', 'cpu', 'mem', 'restarts', 'uptime']], // then the sparkline
    [69, ['name', 'state', 'health', 'cpu', 'mem', 'restarts', 'uptime']],
    [60, ['name', 'state', 'cpu', 'mem', 'restarts', 'uptime']], // then health
    [50, ['name', 'state', 'cpu', 'restarts', 'uptime']], // then mem
    [40, ['name', 'state', 'cpu', 'uptime']], // then restarts
    [32, ['name', 'state', 'cpu']], // then uptime
    [20, ['name', 'state', 'cpu']], // never below the three fixed columns
  ];
  for (const [width, want] of cases) {
    assert.deepEqual(layoutColumns(width).map((c) => c.id), want, `width ${width}`);
  }
});

test('layoutColumns: the table never overflows its width when it can fit', () => {
  for (let width = 32; width <= 260; width++) {
    const cols = layoutColumns(width);
    assert.ok(totalWidth(cols) <= width, `width ${width}: total ${totalWidth(cols)}`);
  }
  // Below the minimum (name 14 + state 10 + cpu 6 + 2 gaps) it cannot, and stays at the minimum.
  for (const width of [0, 10, 20, 31]) {
    assert.equal(totalWidth(layoutColumns(width)), 32, `width ${width}`);
  }
});

test('layoutColumns: spare room goes to the name first (up to 32), then to the sparkline (up to +30)', () => {
  const widths = (w: number) => Object.fromEntries(layoutColumns(w).map((c) => [c.id, c.width]));
  const cases: [number, number, number | undefined, number][] = [
    // width, name, spark, total
    [60, 15, undefined, 60],
    [78, 23, undefined, 78],
    [96, 14, 10, 96],
    [100, 18, 10, 100],
    [114, 32, 10, 114],
    [118, 32, 14, 118],
    [144, 32, 40, 144],
    [200, 32, 40, 144], // both capped: the rest stays empty
  ];
  for (const [width, name, spark, total] of cases) {
    const w = widths(width);
    assert.equal(w.name, name, `width ${width}: name`);
    assert.equal(w.spark, spark, `width ${width}: spark`);
    assert.equal(totalWidth(layoutColumns(width)), total, `width ${width}: total`);
    for (const id of ['state', 'cpu'] as const) assert.ok(w[id] !== undefined, `width ${width}: ${id}`);
  }
  // Only name and sparkline ever grow.
  const base = Object.fromEntries(layoutColumns(96).map((c) => [c.id, c.width]));
  for (const c of layoutColumns(200)) {
    if (c.id !== 'name' && c.id !== 'spark') assert.equal(c.width, base[c.id], c.id);
  }
});

test('layoutColumns: titles and alignment', () => {
  const byId = Object.fromEntries(layoutColumns(200).map((c) => [c.id, c]));
  assert.equal(byId.name!.align, 'left');
  assert.equal(byId.cpu!.align, 'right');
  assert.equal(byId.mem!.align, 'right');
  assert.equal(byId.name!.title, 'NAME');
  assert.equal(byId.spark!.title, 'CPU HISTORY');
});

const ROWS = [
  row({ name: 'shop-web-1', project: 'shop', service: 'web', image: 'nginx:1.27' }),
  row({ name: 'shop-db-1', project: 'shop', service: 'db', image: 'postgres:16', state: 'exited', exitCode: 1 }),
  row({ name: 'blog-app-1', project: 'blog', service: 'app', image: 'ghost:5' }),
  row({ name: 'Loose-Redis', image: 'redis:7' }),
];

function describe(lines: Line[]): string[] {
  return lines.map((l) => (l.kind === 'host' ? `■ ${l.name} ${l.up ? `${l.running}/${l.count}` : `down: ${l.message}`}` : l.kind === 'group' ? `# ${l.project ?? '(none)'} ${l.count}/${l.running}/${l.worst}` : `  ${l.row.name}`));
}

test('buildLines: group lines come before their rows; filter on name/service/project/image, any case', () => {
  const cases: [string, string[]][] = [
    ['', ['# blog 1/1/0', '  blog-app-1', '# shop 2/1/2', '  shop-db-1', '  shop-web-1', '# (none) 1/1/0', '  Loose-Redis']],
    ['SHOP', ['# shop 2/1/2', '  shop-db-1', '  shop-web-1']], // project (and name)
    ['web', ['# shop 1/1/0', '  shop-web-1']], // service
    ['Postgres', ['# shop 1/0/2', '  shop-db-1']], // image
    ['loose-r', ['# (none) 1/1/0', '  Loose-Redis']], // name, case-insensitive
    ['REDIS:7', ['# (none) 1/1/0', '  Loose-Redis']],
    ['app', ['# blog 1/1/0', '  blog-app-1']],
    ['-1', ['# blog 1/1/0', '  blog-app-1', '# shop 2/1/2', '  shop-db-1', '  shop-web-1']],
    ['nothing-matches', []],
  ];
  for (const [filter, want] of cases) {
    assert.deepEqual(describe(buildLines(ROWS, filter)), want, `filter ${JSON.stringify(filter)}`);
  }
});

test('matchesFilter: empty filter matches everything; null service/project do not match "null"', () => {
  const r = row({ name: 'x', image: 'i' });
  assert.equal(matchesFilter(r, ''), true);
  assert.equal(matchesFilter(r, 'null'), false);
});

test('visibleWindow: keeps the selected line in view scrolling down and up', () => {
  const total = 20;
  const height = 5;
  let top = 0;
  const downTops: number[] = [];
  for (let sel = 0; sel < total; sel++) {
    top = visibleWindow(total, sel, height, top);
    assert.ok(sel >= top && sel < top + height, `down: sel ${sel} outside [${top}, ${top + height})`);
    downTops.push(top);
  }
  assert.deepEqual(downTops, [0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  const upTops: number[] = [];
  for (let sel = total - 1; sel >= 0; sel--) {
    top = visibleWindow(total, sel, height, top);
    assert.ok(sel >= top && sel < top + height, `up: sel ${sel} outside [${top}, ${top + height})`);
    upTops.push(top);
  }
  assert.deepEqual(upTops, [15, 15, 15, 15, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test('visibleWindow: edge cases', () => {
  const cases: [string, number, number, number, number, number][] = [
    // name, total, selected, height, prevTop, want
    ['everything fits', 4, 3, 10, 2, 0],
    ['exactly fits', 5, 4, 5, 3, 0],
    ['zero height', 50, 10, 0, 5, 0],
    ['selection inside the window keeps top', 50, 12, 10, 8, 8],
    ['jump to the bottom', 50, 49, 10, 0, 40],
    ['jump to the top', 50, 0, 10, 40, 0],
    ['list shrank under a stale top', 12, 11, 10, 30, 2],
  ];
  for (const [name, total, selected, height, prevTop, want] of cases) {
    assert.equal(visibleWindow(total, selected, height, prevTop), want, name);
  }
});

test('cellFor: state and uptime', () => {
  const started = new Date(NOW - (2 * 3600 + 5 * 60) * 1000).toISOString();
  const finished = new Date(NOW - 3 * 60 * 1000).toISOString();
  const cases: [string, Partial<ContainerRow>, string, string, boolean][] = [
    // name, row, state text, uptime text, uptime dim
    ['running', { state: 'running', startedAt: started }, 'running', '2h5m', false],
    ['running, not inspected yet', { state: 'running', startedAt: null }, 'running', '–', false],
    ['exited 3', { state: 'exited', exitCode: 3, startedAt: started, finishedAt: finished }, 'exited(3)', '3m ago', true],
    ['exited 0', { state: 'exited', exitCode: 0, finishedAt: finished }, 'exited(0)', '3m ago', true],
    ['exited, code unknown', { state: 'exited', exitCode: null }, 'exited', '–', true],
    ['restarting', { state: 'restarting', startedAt: started }, 'restarting', '–', true],
    ['paused', { state: 'paused', startedAt: started }, 'paused', '–', true],
  ];
  for (const [name, over, state, uptime, dim] of cases) {
    const r = row(over);
    assert.equal(stateText(r), state, name);
    assert.equal(cellFor(col('state'), r, NOW, 'ascii').text, state, name);
    assert.equal(uptimeText(r, NOW), uptime, name);
    const u = cellFor(col('uptime'), r, NOW, 'ascii');
    assert.equal(u.text, uptime, name);
    assert.equal(u.dim, dim, name);
  }
});

test('cellFor: state level follows severity, running is always level 0', () => {
  const cases: [Partial<ContainerRow>, 0 | 1 | 2][] = [
    [{ state: 'running' }, 0],
    [{ state: 'running', health: 'unhealthy' }, 0],
    [{ state: 'exited', exitCode: 0 }, 0],
    [{ state: 'exited', exitCode: 2 }, 2],
    [{ state: 'restarting' }, 2],
    [{ state: 'paused' }, 1],
  ];
  for (const [over, level] of cases) {
    assert.equal(cellFor(col('state'), row(over), NOW, 'ascii').level, level, JSON.stringify(over));
  }
});

test('cellFor: memory with % of the limit, and its level', () => {
  const cases: [string, Partial<ContainerRow>, string, 0 | 1 | 2 | undefined][] = [
    ['no sample', { memBytes: null }, '–', undefined],
    ['no limit', { memBytes: 12 * MiB, memPercent: null }, '12 MiB', 0],
    ['with limit', { memBytes: 256 * MiB, memPercent: 50 }, '256 MiB 50%', 0],
    ['rounded percent', { memBytes: 1.5 * MiB, memPercent: 12.6 }, '1.5 MiB 13%', 0],
    ['85 % warns', { memBytes: 435 * MiB, memPercent: 85 }, '435 MiB 85%', 1],
    ['95 % is critical', { memBytes: 487 * MiB, memPercent: 95.2 }, '487 MiB 95%', 2],
  ];
  for (const [name, over, text, level] of cases) {
    const c = cellFor(col('mem'), row(over), NOW, 'ascii');
    assert.equal(c.text, text, name);
    assert.equal(c.level, level, name);
  }
});

test('cellFor: cpu, health, net, restarts, name, spark', () => {
  const cases: [string, ColumnId, Partial<ContainerRow>, string][] = [
    ['cpu missing', 'cpu', { cpuPercent: null }, '–'],
    ['cpu small: one decimal', 'cpu', { cpuPercent: 3.14159 }, '3.1%'],
    ['cpu large: whole', 'cpu', { cpuPercent: 123.6 }, '124%'],
    ['health none', 'health', { health: 'none' }, '–'],
    ['health healthy', 'health', { health: 'healthy' }, 'healthy'],
    ['net missing', 'net', { rxRate: null, txRate: null }, '–'],
    ['net bytes', 'net', { rxRate: 500, txRate: 2048 }, '500B/2.0K'],
    ['net large', 'net', { rxRate: 20 * 1024, txRate: 3 * MiB }, '20K/3.0M'],
    ['net one side', 'net', { rxRate: 10, txRate: null }, '10B/–'],
    ['restarts unknown', 'restarts', { restartCount: null }, ''],
    ['restarts', 'restarts', { restartCount: 4 }, '4'],
    ['name', 'name', { name: 'shop-web-1' }, 'shop-web-1'],
    ['spark for a stopped container is empty', 'spark', { state: 'exited', exitCode: 0, cpuHistory: [1, 2, 3] }, ''],
  ];
  for (const [name, id, over, text] of cases) {
    assert.equal(cellFor(col(id), row(over), NOW, 'ascii').text, text, name);
  }
  assert.equal(cellFor(col('health'), row({ health: 'unhealthy' }), NOW, 'ascii').level, 2);
  assert.equal(cellFor(col('health'), row({ health: 'starting' }), NOW, 'ascii').level, 1);
  assert.equal(cellFor(col('restarts'), row({ state: 'restarting', restartCount: 3 }), NOW, 'ascii').level, 2);
  assert.equal(cellFor(col('restarts'), row({ state: 'running', restartCount: 3 }), NOW, 'ascii').level, 0);
  const spark = cellFor(col('spark', 10), row({ cpuHistory: [0, 5, 10, 50] }), NOW, 'ascii');
  assert.ok(spark.text.length > 0 && spark.text.length <= 10, JSON.stringify(spark.text));
});

test('buildLines with hosts: each endpoint heads its projects in the configured order; a down host keeps its heading', () => {
  const rows = [
    row({ id: 'b1', name: 'db', project: 'data', endpoint: 'db1' }),
    row({ id: 'a1', name: 'web', project: 'shop', endpoint: 'app1' }),
    row({ id: 'a2', name: 'loose', project: null, endpoint: 'app1' }),
    row({ id: 'a3', name: 'crashy', project: 'shop', endpoint: 'app1', state: 'exited', exitCode: 1 }),
  ];
  const hosts = [
    { name: 'app1', url: 'unix:///var/run/docker.sock', conn: { status: 'up' } },
    { name: 'db1', url: 'ssh://ops@db1', conn: { status: 'up' } },
    { name: 'edge', url: 'tcp://edge:2376', conn: { status: 'down', message: 'connection refused at tcp://edge:2376' } },
  ];
  assert.deepEqual(describe(buildLines(rows, '', hosts)), [
    '■ app1 2/3',
    '# shop 2/1/2',
    '  crashy',
    '  web',
    '# (none) 1/1/0',
    '  loose',
    '■ db1 1/1',
    '# data 1/1/0',
    '  db',
    '■ edge down: connection refused at tcp://edge:2376',
  ]);
  // A filter drops the hosts that are up and have nothing matching; a down host stays visible.
  assert.deepEqual(describe(buildLines(rows, 'db', hosts)), ['■ db1 1/1', '# data 1/1/0', '  db', '■ edge down: connection refused at tcp://edge:2376']);
});
