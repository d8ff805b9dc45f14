import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBuffer } from '../../src/logs/logBuffer.js';
import type { Level, LogLine } from '../../src/logs/types.js';

function mk(text: string, level: Level | null = null, cont = false, bytes = 100): LogLine {
  return { seq: 0, ts: NaN, source: '', sourceId: 'c', stream: 'stdout', text, level, cont, truncated: 0, bytes };
}

function texts(b: LogBuffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.size; i++) out.push(b.at(i)!.text);
  return out;
}

test('LogBuffer: empty buffer', () => {
  const b = new LogBuffer(10, 1000);
  assert.equal(b.size, 0);
  assert.equal(b.lastSeq, 0);
  assert.equal(b.firstSeq, 1);
  assert.equal(b.bytes, 0);
  assert.equal(b.at(0), undefined);
  assert.equal(b.bySeq(1), undefined);
  assert.equal(b.bySeq(0), undefined);
});

test('LogBuffer: seqs are assigned 1, 2, 3 and bySeq finds them', () => {
  const b = new LogBuffer(10, 1e9);
  const lines = ['a', 'b', 'c'].map((t) => mk(t));
  b.pushAll(lines);
  assert.deepEqual(lines.map((l) => l.seq), [1, 2, 3]);
  assert.equal(b.firstSeq, 1);
  assert.equal(b.lastSeq, 3);
  assert.equal(b.bySeq(2)!.text, 'b');
  assert.equal(b.bySeq(4), undefined);
  assert.equal(b.at(-1), undefined);
  assert.equal(b.at(3), undefined);
  assert.equal(b.bytes, 300);
});

test('LogBuffer: bounded by lines, oldest evicted, dropped counted, wraps many times', () => {
  const b = new LogBuffer(3, 1e9);
  for (let i = 1; i <= 10; i++) b.push(mk(`l${i}`));
  assert.equal(b.size, 3);
  assert.deepEqual(texts(b), ['l8', 'l9', 'l10']);
  assert.equal(b.firstSeq, 8);
  assert.equal(b.lastSeq, 10);
  assert.equal(b.dropped, 7);
  assert.equal(b.bytes, 300);
  assert.equal(b.bySeq(7), undefined);
  assert.equal(b.bySeq(9)!.text, 'l9');
  // Past the initial capacity, with growth and wrap-around.
  const big = new LogBuffer(5000, 1e12);
  for (let i = 1; i <= 12_345; i++) big.push(mk(String(i)));
  assert.equal(big.size, 5000);
  assert.equal(big.firstSeq, 7346);
  for (const seq of [7346, 8000, 10_000, 12_345]) assert.equal(big.bySeq(seq)!.text, String(seq));
  assert.equal(big.dropped, 7345);
});

test('LogBuffer: bounded by bytes; the newest line is always kept', () => {
  const b = new LogBuffer(100, 1000);
  for (let i = 0; i < 10; i++) b.push(mk(`s${i}`, null, false, 100));
  assert.equal(b.size, 10);
  b.push(mk('big', null, false, 450));
  assert.deepEqual(texts(b), ['s5', 's6', 's7', 's8', 's9', 'big']);
  assert.equal(b.bytes, 950);
  assert.equal(b.dropped, 5);
  b.push(mk('huge', null, false, 5000));
  assert.deepEqual(texts(b), ['huge']);
  assert.equal(b.bytes, 5000);
  b.push(mk('next', null, false, 10));
  assert.deepEqual(texts(b), ['next']);
  assert.equal(b.dropped, 12);
});

test('LogBuffer: error and warning head counts follow evictions; continuations do not count', () => {
  const b = new LogBuffer(4, 1e9);
  b.push(mk('E1', 'error'));
  b.push(mk('  at x', 'error', true));
  b.push(mk('W1', 'warn'));
  b.push(mk('I1', 'info'));
  assert.equal(b.errors, 1);
  assert.equal(b.warnings, 1);
  b.push(mk('E2', 'error')); // evicts E1
  assert.equal(b.errors, 1);
  b.push(mk('I2', 'info')); // evicts the continuation
  assert.equal(b.errors, 1);
  b.push(mk('I3', 'info')); // evicts W1
  assert.equal(b.warnings, 0);
  b.pushAll([mk('I4'), mk('I5'), mk('I6')]);
  assert.equal(b.errors, 0);
  assert.equal(b.warnings, 0);
});

test('LogBuffer: clear() empties and resets dropped; seqs keep increasing', () => {
  const b = new LogBuffer(2, 1e9);
  b.pushAll([mk('a', 'error'), mk('b', 'warn'), mk('c')]);
  assert.equal(b.dropped, 1);
  b.clear();
  assert.equal(b.size, 0);
  assert.equal(b.bytes, 0);
  assert.equal(b.dropped, 0);
  assert.equal(b.errors, 0);
  assert.equal(b.warnings, 0);
  assert.equal(b.lastSeq, 3);
  assert.equal(b.firstSeq, 4);
  assert.equal(b.bySeq(3), undefined);
  const d = mk('d');
  b.push(d);
  assert.equal(d.seq, 4);
  assert.equal(b.bySeq(4), d);
  assert.deepEqual(texts(b), ['d']);
});
