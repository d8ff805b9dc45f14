import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFilter, FilteredIndex, levelAtLeast, lineMatches, matchRanges, parseFilter, type LogFilter } from '../../src/logs/filter.js';
import { LogBuffer } from '../../src/logs/logBuffer.js';
import type { Level, LogLine } from '../../src/logs/types.js';

function mk(text: string, level: Level | null = null, cont = false): LogLine {
  return { seq: 0, ts: NaN, source: '', sourceId: 'c', stream: 'stdout', text, level, cont, truncated: 0, bytes: 100 };
}
const f = (input: string, invert = false): LogFilter => {
  const r = parseFilter(input, invert);
  assert.equal(r.error, undefined, input);
  return r.filter;
};

test('parseFilter: empty, substring with smart case, regex, invalid regex', () => {
  assert.deepEqual(parseFilter('', false), { filter: { kind: 'none' } });
  assert.deepEqual(parseFilter('', true), { filter: { kind: 'none' } });
  assert.deepEqual(f('timeout'), { kind: 'text', text: 'timeout', invert: false, caseSensitive: false });
  assert.deepEqual(f('Timeout', true), { kind: 'text', text: 'Timeout', invert: true, caseSensitive: true });
  const re = f('/time(out)?/i');
  assert.equal(re.kind, 'regex');
  if (re.kind === 'regex') {
    assert.equal(re.source, 'time(out)?');
    assert.equal(re.re.flags, 'i');
  }
  assert.equal(f('/x/').kind, 'regex');
  // Not regex syntax: a path or a lone slash is a substring.
  assert.equal(f('/api/v1/users').kind, 'text');
  assert.equal(f('/').kind, 'text');
  assert.equal(f('//').kind, 'text');
  assert.equal(f('/a/g').kind, 'text');
  const bad = parseFilter('/(unclosed/', false);
  assert.deepEqual(bad.filter, { kind: 'none' });
  assert.match(bad.error!, /^invalid regex \/\(unclosed\/: .*(unterminated|group)/i);
  assert.match(parseFilter('/a{2,1}/', false).error!, /invalid regex/);
});

test('lineMatches: substring smart case, regex, invert', () => {
  assert.equal(lineMatches({ kind: 'none' }, 'anything'), true);
  assert.equal(lineMatches(f('timeout'), 'upstream TIMEOUT after 3s'), true);
  assert.equal(lineMatches(f('Timeout'), 'upstream TIMEOUT after 3s'), false);
  assert.equal(lineMatches(f('Timeout'), 'Timeout after 3s'), true);
  assert.equal(lineMatches(f('timeout', true), 'upstream TIMEOUT'), false);
  assert.equal(lineMatches(f('timeout', true), 'all good'), true);
  assert.equal(lineMatches(f('a.b'), 'aXb'), false, 'substring, not a regex');
  assert.equal(lineMatches(f('a.b'), 'a.b'), true);
  const re = f('/time(out)?/i');
  for (let i = 0; i < 3; i++) assert.equal(lineMatches(re, 'TIME is up'), true, 'no lastIndex state between calls');
  assert.equal(lineMatches(f('/^GET \\/api/'), 'GET /api/items'), true);
  assert.equal(lineMatches(f('/^GET \\/api/'), 'POST /api/items'), false);
  assert.equal(lineMatches(f('/^GET/', true), 'POST /api/items'), true);
});

test('matchRanges: every occurrence, case-insensitive positions, caps, zero-length matches', () => {
  assert.deepEqual(matchRanges(f('err'), 'ERR: err and Err'), [[0, 3], [5, 8], [13, 16]]);
  assert.deepEqual(matchRanges(f('Err'), 'ERR: err and Err'), [[13, 16]]);
  assert.deepEqual(matchRanges(f('aa'), 'aaaaa'), [[0, 2], [2, 4]]);
  assert.deepEqual(matchRanges(f('/time(out)?/i'), 'Timeout, time, TIMEOUT'), [[0, 7], [9, 13], [15, 22]]);
  assert.deepEqual(matchRanges(f('x', true), 'xxx'), [], 'inverted: nothing to highlight');
  assert.deepEqual(matchRanges({ kind: 'none' }, 'xxx'), []);
  assert.deepEqual(matchRanges(f('x'), ''), []);
  assert.deepEqual(matchRanges(f('/x*/'), 'abxxc'), [[2, 4]], 'zero-length matches skipped');
  assert.deepEqual(matchRanges(f('/^/'), 'abc'), []);
  assert.deepEqual(matchRanges(f('/\\b/'), 'a b c'), []);
  assert.equal(matchRanges(f('a'), 'a'.repeat(1000)).length, 64);
  assert.equal(matchRanges(f('/a/'), 'a'.repeat(1000)).length, 64);
  // A filter built by hand with a non-global regex works too.
  assert.deepEqual(matchRanges({ kind: 'regex', re: /o/, source: 'o', invert: false }, 'foo'), [[1, 2], [2, 3]]);
  // Surrogate pairs: ranges are in UTF-16 code units of the text.
  assert.deepEqual(matchRanges(f('b'), '🐳b'), [[2, 3]]);
});

test('describeFilter', () => {
  assert.equal(describeFilter(f('timeout')), '"timeout"');
  assert.equal(describeFilter(f('/time(out)?/i')), '/time(out)?/i');
  assert.equal(describeFilter(f('/x/')), '/x/');
  assert.equal(describeFilter(f('x', true)), 'not "x"');
  assert.equal(describeFilter(f('/x/', true)), 'not /x/');
  assert.equal(describeFilter(f('say "hi"')), '"say \\"hi\\""');
  assert.equal(describeFilter({ kind: 'none' }), 'none');
});

test('levelAtLeast', () => {
  assert.equal(levelAtLeast('error', 'warn'), true);
  assert.equal(levelAtLeast('warn', 'warn'), true);
  assert.equal(levelAtLeast('info', 'warn'), false);
  assert.equal(levelAtLeast('debug', 'debug'), true);
  assert.equal(levelAtLeast('debug', 'info'), false);
  assert.equal(levelAtLeast(null, 'debug'), false);
});

const isErrorHead = (l: LogLine) => l.level === 'error' && !l.cont;

test('FilteredIndex: no predicate maps indexes to seqs without copying', () => {
  const b = new LogBuffer(5, 1e9);
  const ix = new FilteredIndex(b);
  assert.equal(ix.count, 0);
  assert.equal(ix.indexAtOrBefore(10), -1);
  for (let i = 1; i <= 8; i++) b.push(mk(`l${i}`, i === 6 ? 'error' : null));
  assert.equal(ix.count, 0, 'reads reflect the last sync');
  ix.sync();
  assert.equal(ix.count, 5);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => ix.seqAt(i)), [4, 5, 6, 7, 8]);
  assert.equal(ix.indexAtOrBefore(3), -1);
  assert.equal(ix.indexAtOrBefore(6), 2);
  assert.equal(ix.indexAtOrBefore(100), 4);
  assert.equal(ix.findNext(0, isErrorHead), 2);
  assert.equal(ix.findNext(2, isErrorHead), -1);
  assert.equal(ix.findPrev(4, isErrorHead), 2);
  assert.equal(ix.findPrev(2, isErrorHead), -1);
  assert.equal(ix.findNext(-1, isErrorHead), 2);
  assert.equal(ix.findPrev(ix.count, isErrorHead), 2);
});

test('FilteredIndex: a predicate, incremental sync, eviction, clear', () => {
  const b = new LogBuffer(10, 1e9);
  const ix = new FilteredIndex(b);
  const flt = f('match');
  for (let i = 1; i <= 6; i++) b.push(mk(i % 2 ? `match ${i}` : `other ${i}`, i === 5 ? 'error' : null));
  ix.setPredicate((l) => lineMatches(flt, l.text));
  assert.equal(ix.count, 3);
  assert.deepEqual([0, 1, 2].map((i) => ix.seqAt(i)), [1, 3, 5]);
  assert.ok(Number.isNaN(ix.seqAt(3)));
  assert.equal(ix.indexAtOrBefore(0), -1);
  assert.equal(ix.indexAtOrBefore(1), 0);
  assert.equal(ix.indexAtOrBefore(4), 1);
  assert.equal(ix.indexAtOrBefore(99), 2);
  assert.equal(ix.findNext(0, isErrorHead), 2);
  assert.equal(ix.findPrev(2, isErrorHead), -1);

  // Appends past the bound: seqs 1–6 evicted by 7–16 (only 7..16 held).
  let tested = 0;
  ix.setPredicate((l) => { tested++; return lineMatches(flt, l.text); });
  tested = 0;
  for (let i = 7; i <= 16; i++) b.push(mk(i % 2 ? `match ${i}` : `other ${i}`));
  ix.sync();
  assert.equal(tested, 10, 'only the new lines are tested');
  assert.deepEqual(Array.from({ length: ix.count }, (_, i) => ix.seqAt(i)), [7, 9, 11, 13, 15]);
  tested = 0;
  ix.sync();
  assert.equal(tested, 0, 'nothing new, nothing tested');

  // Partial eviction between syncs.
  b.pushAll([mk('match 17'), mk('other 18'), mk('other 19')]);
  ix.sync();
  assert.deepEqual(Array.from({ length: ix.count }, (_, i) => ix.seqAt(i)), [11, 13, 15, 17]);
  assert.equal(ix.indexAtOrBefore(10), -1);
  assert.equal(ix.indexAtOrBefore(12), 0);

  // Back to every line.
  ix.setPredicate(null);
  assert.equal(ix.count, 10);
  assert.equal(ix.seqAt(0), 10);

  // Clear: nothing left, seqs continue.
  ix.setPredicate((l) => lineMatches(flt, l.text));
  b.clear();
  ix.sync();
  assert.equal(ix.count, 0);
  b.push(mk('match again'));
  ix.sync();
  assert.equal(ix.count, 1);
  assert.equal(ix.seqAt(0), 20);
});

test('FilteredIndex: a long run with eviction stays consistent with a rescan', () => {
  const b = new LogBuffer(1000, 1e12);
  const ix = new FilteredIndex(b);
  const pred = (l: LogLine) => l.text.endsWith('7') || l.text.endsWith('3');
  ix.setPredicate(pred);
  let n = 0;
  for (let round = 0; round < 60; round++) {
    for (let k = 0; k < 1 + ((round * 37) % 250); k++) b.push(mk(String(++n)));
    ix.sync();
    const want: number[] = [];
    for (let i = 0; i < b.size; i++) if (pred(b.at(i)!)) want.push(b.at(i)!.seq);
    assert.equal(ix.count, want.length);
    assert.deepEqual(Array.from({ length: ix.count }, (_, i) => ix.seqAt(i)), want, `round ${round}`);
  }
});
