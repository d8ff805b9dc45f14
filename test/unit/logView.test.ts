import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBuffer } from '../../src/logs/logBuffer.js';
import { FilteredIndex, lineMatches, parseFilter } from '../../src/logs/filter.js';
import type { Level, LogLine } from '../../src/logs/types.js';
import { applyLogCommand, bottomIndex, clipLabel, initialLogView, layoutRows, lineRows, prefixWidthFor, sourceColour, type LayoutOptions, type LogViewState } from '../../views/logView.js';
import { membersOf, resolveLogTarget, sourceLabel } from '../../src/logs/target.js';
import { jsonLine, plainLine } from '../../src/logs/plain.js';
import { parseLogsOptions } from '../../src/cli/logs.js';
import { clip, wrapCells } from '../../src/format.js';

function mk(text: string, over: Partial<LogLine> = {}): LogLine {
  return { seq: 0, ts: Date.UTC(2026, 10, 23, 14, 0, 0), source: 'web', sourceId: 'c1', stream: 'stdout', text, level: null, cont: false, truncated: 0, bytes: 100, ...over };
}

/** A buffer of 100 lines: every 10th (from 5) an error head followed by one continuation, every 10th from 8 a warning. */
function fixture(): { buffer: LogBuffer; index: FilteredIndex } {
  const buffer = new LogBuffer(1000, 1 << 24);
  for (let i = 0; i < 100; i++) {
    let level: Level | null = null;
    let cont = false;
    if (i % 10 === 5) level = 'error';
    if (i % 10 === 6) { level = 'error'; cont = true; }
    if (i % 10 === 8) level = 'warn';
    buffer.push(mk(`line ${i}`, { level, cont }));
  }
  const index = new FilteredIndex(buffer);
  index.sync();
  return { buffer, index };
}

const textAt = (ctx: { buffer: LogBuffer; index: FilteredIndex }, seq: number | null) => (seq === null ? null : ctx.buffer.bySeq(seq)?.text);

test('logView: following shows the newest line; pausing keeps the view and counts what arrives', () => {
  const f = fixture();
  const ctx = { ...f, rows: 10 };
  let s = initialLogView();
  assert.equal(bottomIndex(s, ctx), 99);
  s = applyLogCommand(s, 'logFollow', ctx).state;
  assert.equal(s.follow, false);
  assert.equal(textAt(f, s.bottomSeq), 'line 99');
  for (let i = 0; i < 5; i++) f.buffer.push(mk(`new ${i}`));
  f.index.sync();
  assert.equal(bottomIndex(s, ctx), 99, 'paused: the bottom line stays');
  assert.equal(f.buffer.lastSeq - s.pausedAtSeq, 5, 'five new lines');
  s = applyLogCommand(s, 'logUp', ctx).state;
  assert.equal(textAt(f, s.bottomSeq), 'line 98');
  s = applyLogCommand(s, 'logPageUp', ctx).state;
  assert.equal(textAt(f, s.bottomSeq), 'line 89');
  s = applyLogCommand(s, 'logTop', ctx).state;
  assert.equal(bottomIndex(s, ctx), 9, 'top: the oldest page');
  assert.equal(applyLogCommand(s, 'logUp', ctx).state.bottomSeq, s.bottomSeq, 'no scrolling above the first full page');
  s = applyLogCommand(s, 'logBottom', ctx).state;
  assert.equal(s.follow, true);
  assert.equal(bottomIndex(s, ctx), 104);
});

test('logView: e/E and w/W land on head lines, never on a continuation, and say when there is none', () => {
  const f = fixture();
  const ctx = { ...f, rows: 10 };
  let s: LogViewState = applyLogCommand(initialLogView(), 'logTop', ctx).state;
  const marks: string[] = [];
  for (let i = 0; i < 3; i++) {
    s = applyLogCommand(s, 'logNextError', ctx).state;
    marks.push(textAt(f, s.markSeq)!);
  }
  assert.deepEqual(marks, ['line 5', 'line 15', 'line 25']);
  s = applyLogCommand(s, 'logPrevError', ctx).state;
  assert.equal(textAt(f, s.markSeq), 'line 15');
  s = applyLogCommand(s, 'logNextWarn', ctx).state;
  assert.equal(textAt(f, s.markSeq), 'line 18');
  // The marked line is on screen.
  const bottom = bottomIndex(s, ctx);
  const markIdx = f.index.indexAtOrBefore(s.markSeq!);
  assert.ok(markIdx <= bottom && markIdx > bottom - ctx.rows);
  // Following, E finds the newest error; e finds nothing later.
  const follow = initialLogView();
  assert.equal(textAt(f, applyLogCommand(follow, 'logPrevError', ctx).state.markSeq), 'line 95');
  const last = applyLogCommand(follow, 'logNextError', ctx).state;
  assert.equal(textAt(f, last.markSeq), 'line 95', 'e searches from the top of the screen');
  const none = applyLogCommand(last, 'logNextError', ctx);
  assert.equal(none.note, 'no later error line');
  assert.equal(none.state, last, 'nothing found: nothing changes');
});

test('logView: jumps honour the filter', () => {
  const f = fixture();
  const { filter } = parseFilter('/line [0-9]*5$/', false);
  f.index.setPredicate((l) => lineMatches(filter, l.text));
  const ctx = { ...f, rows: 5 };
  assert.equal(f.index.count, 10);
  const s = applyLogCommand(applyLogCommand(initialLogView(), 'logTop', ctx).state, 'logNextError', ctx).state;
  assert.equal(textAt(f, s.markSeq), 'line 5');
  const w = applyLogCommand(s, 'logNextWarn', ctx);
  assert.equal(w.note, 'no later warning line');
});

const opts = (over: Partial<LayoutOptions> = {}): LayoutOptions => ({
  width: 40, rows: 5, prefixWidth: 0, showTs: false, wrap: false, pretty: false, filter: { kind: 'none' }, markSeq: null, ascii: false, ...over,
});
const rowText = (r: { segs: { text: string }[] }) => r.segs.map((s) => s.text).join('');

test('layout: prefix, stderr mark, timestamps, clipping and wrapping', () => {
  const line = mk('x'.repeat(60), { seq: 3, source: 'api', stream: 'stderr' });
  assert.deepEqual(lineRows(line, opts()).map(rowText), [`  ┃ ${'x'.repeat(35)}…`]);
  assert.deepEqual(lineRows(line, opts({ prefixWidth: 5 })).map(rowText), [` api   ┃ ${'x'.repeat(30)}…`]);
  assert.deepEqual(lineRows(mk('hello', { seq: 4 }), opts({ showTs: true, ascii: true, markSeq: 4 })).map(rowText), ['>14:00:00.000Z hello']);
  const wrapped = lineRows(line, opts({ prefixWidth: 5, wrap: true })).map(rowText);
  assert.deepEqual(wrapped, [` api   ┃ ${'x'.repeat(31)}`, `         ${'x'.repeat(29)}`]);
  for (const r of wrapped) assert.ok(r.length <= 40);
  assert.deepEqual(lineRows(mk('{"a":1,"b":"c"}', { seq: 5 }), opts({ pretty: true })).map(rowText), [' {', '   "a": 1,', '   "b": "c"', ' }']);
  assert.deepEqual(lineRows(mk('cut here', { seq: 6, truncated: 1000 }), opts()).map(rowText), [' cut here [+1000 bytes cut]']);
});

test('layout: matches are highlighted as their own segments; only the visible rows are built, newest at the bottom', () => {
  const { filter } = parseFilter('line 9', false);
  const rows = lineRows(mk('line 9 and line 99', { seq: 1 }), opts({ filter }));
  assert.deepEqual(rows[0]!.segs.filter((s) => s.style === 'match').map((s) => s.text), ['line 9', 'line 9']);
  const f = fixture();
  const laid = layoutRows(f.index, f.buffer, 99, opts({ rows: 4 }));
  assert.deepEqual(laid.map(rowText), [' line 96', ' line 97', ' line 98', ' line 99']);
  const wrappedTop = layoutRows(f.index, f.buffer, 1, opts({ rows: 3, wrap: true, width: 5 }));
  assert.equal(wrappedTop.length, 3, 'a wrapped line at the top edge shows only its last rows');
  assert.deepEqual(wrappedTop.map(rowText), ['  0', ' line', '  1']);
});

test('sources: prefix width and colours are stable', () => {
  assert.equal(prefixWidthFor(['web']), 0, 'one container: no prefix column');
  assert.equal(prefixWidthFor(['web', 'worker']), 6);
  assert.equal(prefixWidthFor(['a', 'x'.repeat(40)]), 18);
  assert.equal(sourceColour('worker'), sourceColour('worker'));
  assert.notEqual(new Set(['web', 'worker', 'db', 'cache', 'front', 'app'].map(sourceColour)).size, 1);
});

test('targets: container names, projects, services, id prefixes; ambiguity and typos explained', () => {
  const cs = [
    { id: 'aaaa1111', name: 'shop-web-1', project: 'shop', service: 'web' },
    { id: 'bbbb2222', name: 'shop-worker-1', project: 'shop', service: 'worker' },
    { id: 'cccc3333', name: 'shop-worker-2', project: 'shop', service: 'worker' },
    { id: 'dddd4444', name: 'lonely', project: null, service: null },
  ];
  assert.deepEqual(resolveLogTarget(cs, 'lonely'), { target: { kind: 'container', id: 'dddd4444', name: 'lonely' } });
  assert.deepEqual(resolveLogTarget(cs, 'shop'), { target: { kind: 'project', project: 'shop' } });
  assert.deepEqual(resolveLogTarget(cs, 'web'), { target: { kind: 'container', id: 'aaaa1111', name: 'shop-web-1' } });
  assert.deepEqual(resolveLogTarget(cs, 'cccc'), { target: { kind: 'container', id: 'cccc3333', name: 'shop-worker-2' } });
  assert.match((resolveLogTarget(cs, 'worker') as { error: string }).error, /service of several containers \(shop-worker-1, shop-worker-2\)/);
  assert.equal((resolveLogTarget(cs, 'lone') as { error: string }).error, 'no container, compose service or project named "lone" — did you mean lonely?');
  assert.deepEqual(membersOf(cs, { kind: 'project', project: 'shop' }).map((c) => c.name), ['shop-web-1', 'shop-worker-1', 'shop-worker-2']);
  assert.equal(sourceLabel(cs[0]!, cs), 'web');
  assert.equal(sourceLabel(cs[1]!, cs), 'shop-worker-1', 'a scaled service shows container names');
});

test('plain and JSON lines for files and pipes', () => {
  const l = mk('boom', { source: 'api', stream: 'stderr', level: 'error', truncated: 5 });
  assert.equal(plainLine(l, { timestamps: false, sourceWidth: 0 }), 'boom [+5 bytes cut]');
  assert.equal(plainLine(l, { timestamps: true, sourceWidth: 4 }), '2026-11-23T14:00:00.000Z api  ! boom [+5 bytes cut]');
  assert.deepEqual(JSON.parse(jsonLine(l, 'shop-api-1')), {
    ts: '2026-11-23T14:00:00.000Z', container: 'shop-api-1', source: 'api', stream: 'stderr', level: 'error', continuation: false, text: 'boom', truncatedBytes: 5,
  });
});

test('opsdeck logs options: parsed, or a clear usage error', () => {
  const now = Date.UTC(2026, 10, 23, 12);
  assert.deepEqual(parseLogsOptions({}, 500, now), { tail: 500 });
  assert.deepEqual(parseLogsOptions({ since: '1h' }, 500, now), { tail: 'all', sinceMs: now - 3_600_000 });
  assert.deepEqual(parseLogsOptions({ since: '2026-11-23T10:00:00Z', tail: '20' }, 500, now), { tail: 20, sinceMs: Date.UTC(2026, 10, 23, 10) });
  assert.equal(parseLogsOptions({ level: 'WARNING' }, 500, now).level, 'warn');
  assert.equal(parseLogsOptions({ grep: '/TimeOut/i' }, 500, now).grep!.test('timeout'), true);
  for (const bad of [{ tail: '-1' }, { tail: 'lots' }, { since: 'soon' }, { grep: '[' }, { level: 'loud' }]) {
    assert.throws(() => parseLogsOptions(bad, 500, now), (e: Error) => e.name === 'UsageError' || e.constructor.name === 'UsageError', JSON.stringify(bad));
  }
});

test('wrapCells and clip: by cells, never splitting a wide character', () => {
  assert.deepEqual(wrapCells('abcdefg', 3), ['abc', 'def', 'g']);
  assert.deepEqual(wrapCells('', 3), ['']);
  assert.deepEqual(wrapCells('日本語テキスト', 4), ['日本', '語テ', 'キス', 'ト']);
  assert.equal(clip('abcdef', 4), 'abc…');
  assert.equal(clip('abc', 4), 'abc');
  assert.equal(clip('日本語テキスト', 5), '日本…');
});

test('clipLabel: a Swarm task\'s slot survives a long service name; other labels are clipped at the end', () => {
  assert.equal(clipLabel('web.3', 18), 'web.3');
  assert.equal(clipLabel('opsdeck-svc-16748.3', 18), 'opsdeck-svc-167….3');
  assert.equal(clipLabel('a-very-long-service-name.12', 10), 'a-very….12');
  assert.equal(clipLabel('shop-api-with-a-long-name-1', 10), 'shop-api-…');
});
