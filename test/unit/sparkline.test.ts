import { test } from 'node:test';
import assert from 'node:assert/strict';
import stringWidth from 'string-width';
import { autoScale, brailleChart, bucketByTime, levelIn, sparkline, timeSparkline } from '../../src/sparkline.js';

// Braille cell = U+2800 + bits. Rows top→bottom; left column bits 0x01 0x02 0x04 0x40,
// right column bits 0x08 0x10 0x20 0x80. So "bottom dot only" is 0x40 (left) / 0x80 (right),
// a full left column 0x47, a full right column 0xB8.
const cell = (bits: number): string => String.fromCharCode(0x2800 + bits);

test('block: one value per cell, 8 equal bins from ▁ to █', () => {
  // auto scale 0..7; value k is at k/7, bin floor(8k/7) = k (7 caps at the top bin)
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8, { style: 'block' }), '▁▂▃▄▅▆▇█');
  // fixed 0..100: 0 → bin 0, 12.5 → floor(1) = 1, 50 → 4, 99 → floor(7.92) = 7, 100 → 7
  assert.equal(sparkline([0, 12.5, 50, 99, 100], 5, { style: 'block', min: 0, max: 100 }), '▁▂▅██');
  // values outside a fixed scale clamp
  assert.equal(sparkline([-5, 20], 2, { style: 'block', min: 0, max: 10 }), '▁█');
});

test('block: right-aligned, gaps, newest kept', () => {
  // 3 values in 5 cells → 2 cells of left padding; null is a gap; auto scale 0..5 makes 5 the top
  assert.equal(sparkline([5, null, 5], 5, { style: 'block' }), '  █ █');
  // 4 values in 2 cells → the newest two, [3, 4]; scale 0..4: 3 → floor(6) = ▇, 4 → █
  assert.equal(sparkline([1, 2, 3, 4], 2, { style: 'block' }), '▇█');
  // NaN counts as a gap
  assert.equal(sparkline([Number.NaN, 1], 2, { style: 'block' }), ' █');
  assert.equal(sparkline([], 3, { style: 'block' }), '   ');
});

test('block: flat and negative scales', () => {
  // all zero: min = max = 0 → everything at the lowest level, a flat line
  assert.equal(sparkline([0, 0, 0], 3, { style: 'block' }), '▁▁▁');
  assert.equal(sparkline([5, 5], 2, { style: 'block', min: 5, max: 5 }), '▁▁');
  // auto scale with a negative value uses the data minimum: -2..2; 0 is halfway → bin 4 (▅)
  assert.equal(sparkline([-2, 0, 2], 3, { style: 'block' }), '▁▅█');
});

test('ascii: `.:-=+*#%@`, space for gaps', () => {
  // padded to [null, 0, 50, 100]; 9 bins: 50 → floor(4.5) = 4 → '+', 100 → '@'
  assert.equal(sparkline([0, 50, 100], 4, { style: 'ascii', min: 0, max: 100 }), ' .+@');
  assert.equal(sparkline([1, null, 2], 3, { style: 'ascii' }), '+ @'); // 1 of 0..2 → floor(4.5) = bin 4 = '+'
});

test('braille: two values per cell, four dot levels filled from the bottom', () => {
  // [0, 100] on 0..100: 0 → 1 dot (left bottom 0x40), 100 → 4 dots (right column 0xB8) → 0xF8
  assert.equal(sparkline([0, 100], 1, { min: 0, max: 100 }), cell(0xf8));
  assert.equal(sparkline([0, 100], 1, { min: 0, max: 100 }), '⣸');
  assert.equal(sparkline([100, 100], 1, { style: 'braille', min: 0, max: 100 }), '⣿');
  // padded to [null, 0, 25, 50, 75, 100]; levels 0 25 50 75 100 → 1 2 3 4 4 dots
  //   cell 0: left gap, right 1 dot (0x80)                       → ⢀
  //   cell 1: left 2 dots (0x40|0x04), right 3 dots (0x80|0x20|0x10) → 0xF4 ⣴
  //   cell 2: both full                                         → ⣿
  assert.equal(sparkline([0, 25, 50, 75, 100], 3, { min: 0, max: 100 }), '⢀⣴⣿');
  // auto scale 0..2: 1 → 3 dots left (0x40|0x04|0x02), 2 → full right (0xB8) → 0xFE
  assert.equal(sparkline([1, 2], 1), cell(0xfe));
});

test('braille: newest value is the rightmost dot column; empty cells are spaces', () => {
  // one value in 2 cells → [gap, gap, gap, 100]: first cell blank, second a full right column
  assert.equal(sparkline([100], 2, { min: 0, max: 100 }), ' ⢸');
  assert.equal(sparkline([null, null], 1), ' ');
  // 6 values into 2 cells keeps the newest 4: [0, 100, 100, 0] → ⣸ and (0x47|0x80) = 0xC7 ⣇
  assert.equal(sparkline([50, 50, 0, 100, 100, 0], 2, { min: 0, max: 100 }), `⣸${cell(0xc7)}`);
});

test('every style is exactly width cells', () => {
  const data = Array.from({ length: 37 }, (_, i) => (i % 5 === 0 ? null : Math.sin(i) * 50 + 50));
  for (const style of ['braille', 'block', 'ascii'] as const) {
    for (const width of [0, 1, 2, 5, 18, 19, 40]) {
      const got = sparkline(data, width, { style });
      assert.equal(stringWidth(got), width, `${style} width ${width}`);
      assert.equal([...got].length, width);
    }
  }
});

test('brailleChart: height rows, height·4 levels', () => {
  // 2 rows → 8 levels on 0..100: 0 → 1 dot, 100 → 8, 50 → floor(4) + 1 = 5, 25 → floor(2) + 1 = 3
  // top row (dots 8..5 from the bottom):  [0 | 100] → right column full 0xB8 ⢸; [50 | 25] → only
  //   the 5th dot of the left column, its bottom row 0x40 ⡀
  // bottom row (dots 4..1): [0 | 100] → 0x40|0xB8 = ⣸; [50 | 25] → left full 0x47 + right 3 dots 0xB0 = 0xF7 ⣷
  assert.deepEqual(brailleChart([0, 100, 50, 25], 2, 2, { min: 0, max: 100 }), ['⢸⡀', '⣸⣷']);
  assert.deepEqual(brailleChart([0, 100, 50, 25], 2, 2, { min: 0, max: 100 }), [
    cell(0xb8) + cell(0x40),
    cell(0xf8) + cell(0xf7),
  ]);
  // the single-row chart is the sparkline
  assert.deepEqual(brailleChart([0, 25, 50, 75, 100], 3, 1, { min: 0, max: 100 }), ['⢀⣴⣿']);
  assert.deepEqual(brailleChart([1, 2, 3], 4, 0), []);
  const rows = brailleChart([1, null, 3, 7, 2], 6, 3);
  assert.equal(rows.length, 3);
  for (const r of rows) assert.equal(stringWidth(r), 6);
});

// Samples spread over time (the Capacity view): bucketByTime and timeSparkline.
const at = (pairs: [number, number | null][]) => pairs.map(([t, value]) => ({ at: t, value }));

test('bucketByTime: equal slices of the window, highest sample by default', () => {
  // ten samples 1..10 at 0, 10, …, 90 s into a 100 s window of 5 slices of 20 s
  const pts = at(Array.from({ length: 10 }, (_, i) => [i * 10, i + 1]));
  assert.deepEqual(bucketByTime(pts, 0, 100, 5), [2, 4, 6, 8, 10]);
  assert.deepEqual(bucketByTime(pts, 0, 100, 5, 'mean'), [1.5, 3.5, 5.5, 7.5, 9.5]);
  assert.deepEqual(bucketByTime(pts, 0, 100, 5, 'last'), [2, 4, 6, 8, 10]);
  // samples outside the window are ignored; one exactly at the end goes in the last slice
  assert.deepEqual(bucketByTime(at([[-50, 99], [0, 1], [100, 7], [150, 99]]), 0, 100, 2, 'max'), [1, 7]);
  assert.deepEqual(bucketByTime([], 0, 100, 3), [null, null, null]);
  assert.deepEqual(bucketByTime(pts, 0, 100, 0), []);
});

test('bucketByTime: a coarse series holds its value for 1.5 steps; nulls and silence are gaps', () => {
  // one sample a minute into 30 s slices: every other slice repeats the sample before it
  assert.deepEqual(bucketByTime(at([[0, 1], [60, 2], [120, 3]]), 0, 180, 6), [1, 1, 2, 2, 3, 3]);
  // an explicit null (no sample in that slot) is a gap, and nothing is held over it
  assert.deepEqual(bucketByTime(at([[0, 1], [60, null], [120, 3]]), 0, 180, 6), [1, 1, null, null, 3, 3]);
  // NaN counts as a null
  assert.deepEqual(bucketByTime(at([[0, 1], [60, Number.NaN], [120, 3]]), 0, 180, 6), [1, 1, null, null, 3, 3]);
  // a series that stopped (a removed container): held 1.5 steps (90 s), then gaps
  assert.deepEqual(bucketByTime(at([[0, 1], [60, 2]]), 0, 600, 10), [1, 2, 2, null, null, null, null, null, null, null]);
  // a zero-width window: the newest value in the last column
  assert.deepEqual(bucketByTime(at([[5, 1], [5, 2], [5, null]]), 5, 5, 3), [null, null, 2]);
});

test('timeSparkline: bucketed into the cells first (two a cell in braille)', () => {
  const pts = at(Array.from({ length: 10 }, (_, i) => [i * 10, i + 1]));
  // block: [2, 4, 6, 8, 10] on 0..10 → bins floor(1.6)=1 ▂, floor(3.2)=3 ▄, floor(4.8)=4 ▅, floor(6.4)=6 ▇, █
  assert.equal(timeSparkline(pts, 0, 100, 5, { style: 'block' }), '▂▄▅▇█');
  // mean: [1.5, 3.5, 5.5, 7.5, 9.5] on 0..9.5 → bins 1, 2, 4, 6, 7
  assert.equal(timeSparkline(pts, 0, 100, 5, { style: 'block', aggregate: 'mean' }), '▂▃▅▇█');
  // braille: 10 columns of one sample each in 5 cells, 1..10 on 0..10 (4 levels):
  //   levels floor(0.4·k): 1→0 2→0 | 3→1 4→1 | 5→2 6→2 | 7→2 8→3 | 9→3 10→3
  //   one dot each 0xC0 ⣀, two each 0xE4 ⣤, three each 0xF6 ⣶, three | four 0x46|0xB8 = 0xFE ⣾, full ⣿
  assert.equal(timeSparkline(pts, 0, 100, 5), [0xc0, 0xe4, 0xf6, 0xfe, 0xff].map(cell).join(''));
  assert.equal(timeSparkline(pts, 0, 100, 5), '⣀⣤⣶⣾⣿');
  assert.equal(timeSparkline(pts, 0, 100, 5, { style: 'ascii', min: 0, max: 10 }), ':=*%@');
  assert.equal(timeSparkline([], 0, 100, 4, { style: 'block' }), '    ');
});

test('autoScale and levelIn: the scale the charts share', () => {
  assert.deepEqual(autoScale([3, null, 7]), { lo: 0, hi: 7 });
  assert.deepEqual(autoScale([-3, Number.NaN, 7]), { lo: -3, hi: 7 });
  assert.deepEqual(autoScale([3, 7], { min: 5 }), { lo: 5, hi: 7 });
  assert.deepEqual(autoScale([]), { lo: 0, hi: 0 });
  assert.equal(levelIn(50, 0, 100, 8), 4);
  assert.equal(levelIn(100, 0, 100, 8), 7);
  assert.equal(levelIn(-1, 0, 100, 8), 0);
  assert.equal(levelIn(5, 5, 5, 8), 0);
  // a week of 10 s samples (60,480) must not overflow Math.min's argument list
  const week = Array.from({ length: 300_000 }, (_, i) => i % 1000);
  assert.deepEqual(autoScale(week), { lo: 0, hi: 999 });
});
