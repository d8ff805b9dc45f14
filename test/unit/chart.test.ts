// Multi-row charts (src/chart.ts): known inputs → exact rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import stringWidth from 'string-width';
import { chart, chartScale, plot, plotColumns, xAxisLabels } from '../../src/chart.js';
import { brailleChart } from '../../src/sparkline.js';

// Braille cell = U+2800 + bits; left column top→bottom 0x01 0x02 0x04 0x40, right 0x08 0x10 0x20 0x80.
const cell = (bits: number): string => String.fromCharCode(0x2800 + bits);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('plot braille area: the same dots as brailleChart, height·4 levels', () => {
  // 2 rows = 8 levels on 0..100: 0 → level 0, 100 → 7, 50 → 4, 25 → 2 (filled from the bottom)
  const p = plot([0, 100, 50, 25], 2, 2, { min: 0, max: 100 });
  assert.deepEqual(p.rows, ['⢸⡀', '⣸⣷']);
  assert.deepEqual(p.rows, brailleChart([0, 100, 50, 25], 2, 2, { min: 0, max: 100 }));
  assert.equal(p.lo, 0);
  assert.equal(p.hi, 100);
  assert.equal(p.limitRow, null);
  assert.equal(plotColumns(30), 60);
  assert.equal(plotColumns(30, 'block'), 30);
});

test('plot braille line: one dot a sample, joined vertically to the previous one', () => {
  // 0..7 on 8 levels: 0 → level 0, 7 → level 7.
  // rising [0, 7]: left column only its bottom dot (0x40); right column levels 1..7 (the join):
  //   top row all four right dots 0xB8 ⢸, bottom row right levels 1..3 (0x38) + left 0x40 = 0x78 ⡸
  assert.deepEqual(plot([0, 7], 1, 2, { mode: 'line', min: 0, max: 7 }).rows, [cell(0xb8), cell(0x78)]);
  assert.deepEqual(plot([0, 7], 1, 2, { mode: 'line', min: 0, max: 7 }).rows, ['⢸', '⡸']);
  // falling [7, 0]: left only level 7 (top-left 0x01); right levels 0..6: top row 4..6 (0xB0) → 0xB1 ⢱,
  //   bottom row the full right column 0xB8 ⢸
  assert.deepEqual(plot([7, 0], 1, 2, { mode: 'line', min: 0, max: 7 }).rows, ['⢱', '⢸']);
  // flat: one dot per column at the same level; a gap breaks the line
  assert.deepEqual(plot([0, 0, null, 0], 2, 1, { mode: 'line', min: 0, max: 7 }).rows, [cell(0xc0) + cell(0x80)]);
});

test('plot block: one sample a cell, eighths on top of full blocks', () => {
  // 2 rows = 16 levels on 0..16: v → level v, lit = v + 1 eighths from the bottom
  //   0 → ▁ / ' ', 4 → ▅ / ' ', 8 → █ / ▁, 15 → █ / █
  assert.deepEqual(plot([0, 4, 8, 15], 4, 2, { style: 'block', min: 0, max: 16 }).rows, ['  ▁█', '▁▅██']);
  // gaps and left padding are spaces; a line mode request still draws an area
  assert.deepEqual(plot([5, null, 5], 4, 1, { style: 'block', mode: 'line', min: 0, max: 5 }).rows, [' █ █']);
});

test('plot ascii: `.` `:` `#`, three levels a cell', () => {
  // 2 rows = 6 levels on 0..6: lit = v + 1 → 1 '.', 2 ':', 3 '#', 4 '#' + '.', 6 '#' + '#'
  assert.deepEqual(plot([0, 1, 2, 3, 5], 5, 2, { style: 'ascii', min: 0, max: 6 }).rows, ['   .#', '.:###']);
});

test('plot limit: a dotted line where the data is not, only inside the scale', () => {
  // 1 row = 4 levels on 0..8: limit 4 → level 2 (from the bottom) → the second dot row from the top,
  // left column only (0x02): one dot a cell
  const b = plot([], 2, 1, { min: 0, max: 8, limit: 4 });
  assert.deepEqual(b.rows, [cell(0x02) + cell(0x02)]);
  assert.equal(b.limitRow, 0);
  // under data the dots merge: [8, 8] fills the cell anyway
  assert.deepEqual(plot([8, 8], 1, 1, { min: 0, max: 8, limit: 4 }).rows, ['⣿']);
  // block and ascii: '-' in the empty cells of the limit's row (2 rows, 0..16, limit 12 → top row)
  assert.deepEqual(plot([0, 15], 3, 2, { style: 'block', min: 0, max: 16, limit: 12 }).rows, ['--█', ' ▁█']);
  assert.deepEqual(plot([0, 15], 3, 2, { style: 'ascii', min: 0, max: 16, limit: 12 }).rows, ['--#', ' .#']);
  // a limit at the top of the scale (a 0..limit chart) or outside it draws nothing
  assert.equal(plot([1], 2, 2, { min: 0, max: 8, limit: 8 }).limitRow, null);
  assert.equal(plot([1], 2, 2, { min: 0, max: 8, limit: 20 }).limitRow, null);
});

test('chartScale: from zero by default, tight with room when asked, fixed ends win', () => {
  assert.deepEqual(chartScale([10, 20]), { lo: 0, hi: 20 });
  assert.deepEqual(chartScale([-5, 20]), { lo: -5, hi: 20 });
  // tight: 5 % of the span above and below
  assert.deepEqual(chartScale([10, 20], { zero: false }), { lo: 9.5, hi: 20.5 });
  // never below 0 for data that is not negative
  assert.deepEqual(chartScale([0.1, 20], { zero: false }), { lo: 0, hi: 20.995 });
  // flat: 5 % of the value; flat at 0: ±1 (clamped at 0)
  assert.deepEqual(chartScale([100, 100], { zero: false }), { lo: 95, hi: 105 });
  assert.deepEqual(chartScale([0, 0], { zero: false }), { lo: 0, hi: 1 });
  assert.deepEqual(chartScale([10, 20], { zero: false, max: 50 }), { lo: 9.5, hi: 50 });
  assert.deepEqual(chartScale([10, 20], { min: 0, max: 100 }), { lo: 0, hi: 100 });
  // nothing to go on
  assert.deepEqual(chartScale([null, Number.NaN], { zero: false }), { lo: 0, hi: 0 });
  assert.deepEqual(chartScale([]), { lo: 0, hi: 0 });
});

test('chart: y labels at the top and bottom rows, the plot right-aligned after the axis', () => {
  // 20 wide: labels '100%' and '0%' → 4 cells + axis = 5; plot 15 cells = 30 columns, 3 rows = 12 levels.
  // [0, 50, 100, 100] are the newest 4 columns: cell 13 = (0 | 50), cell 14 = (100 | 100).
  //   top row (levels 8..11): cell 13 empty, cell 14 ⣿
  //   middle (4..7): cell 13 right levels 4..6 → 0xB0 ⢰
  //   bottom (0..3): cell 13 left level 0 (0x40) + right full (0xB8) → ⣸
  const rows = chart([0, 50, 100, 100], { width: 20, height: 3, min: 0, max: 100, format: (v) => `${v}%` });
  assert.deepEqual(rows, [
    `100%┤${' '.repeat(14)}⣿`,
    `    │${' '.repeat(13)}⢰⣿`,
    `  0%┤${' '.repeat(13)}⣸⣿`,
  ]);
  // ascii axis
  const a = chart([0, 50, 100, 100], { width: 20, height: 3, min: 0, max: 100, format: (v) => `${v}%`, style: 'ascii' });
  // one sample a cell, 9 levels: 0 → lit 1 ('.'), 50 → lit 5 (':' in the middle row), 100 → lit 9
  assert.deepEqual(a, [
    `100%+${' '.repeat(13)}##`,
    `    |${' '.repeat(12)}:##`,
    `  0%+${' '.repeat(11)}.###`,
  ]);
});

test('chart: the current value on the right, at the row it is drawn at', () => {
  // 30 wide: left 5, right ' ◀ 100%' = 7, plot 18. 100 is on the top row.
  const rows = chart([0, 50, 100, 100], { width: 30, height: 3, min: 0, max: 100, format: (v) => `${v}%`, current: 100 });
  assert.equal(rows[0], `100%┤${' '.repeat(17)}⣿ ◀ 100%`);
  assert.equal(rows[1], `    │${' '.repeat(16)}⢰⣿       `);
  // 50 → level 6 of 12 → the middle row
  const mid = chart([0, 50], { width: 30, height: 3, min: 0, max: 100, format: (v) => `${v}%`, current: 50 });
  assert.match(mid[1]!, /⢰ ◀ 50%$/); // right column levels 4..6 of this row
  assert.doesNotMatch(mid[0]!, /◀/);
  // no room: the current label goes first, then the y labels
  assert.match(chart([1, 2], { width: 12, height: 2, current: 2 }).join('\n'), /◀ 2/);
  assert.doesNotMatch(chart([1, 2], { width: 10, height: 2, current: 2 }).join('\n'), /◀/);
  const tiny = chart([1, 2], { width: 5, height: 2, format: () => 'a long label' });
  assert.ok(tiny.every((r) => !r.includes('label')));
});

test('chart: the limit gets its label and a dotted line', () => {
  // 0..10, limit 8 on 2 rows (8 levels): level floor(0.8·8) = 6 → top row
  const rows = chart([2, 2], { width: 12, height: 2, min: 0, max: 10, limit: 8, format: (v) => String(v) });
  assert.equal(rows[0], ` 8┤${cell(0x02).repeat(9)}`);
  // 2 → level 1: the two bottom dot rows of both columns (0x40|0x04|0x80|0x20) ⣤
  assert.equal(rows[1], ` 0┤${' '.repeat(8)}${cell(0xe4)}`);
});

test('xAxisLabels: "now" at the right, round steps back, as many as fit', () => {
  // 20 cells for an hour: at most 2 ticks → 30 min steps: -1h, -30m, now
  assert.equal(xAxisLabels(0, HOUR, 20), '-1h     -30m     now');
  // a week in 63 cells: one label a day
  assert.equal(xAxisLabels(0, 7 * DAY, 63), '-7d    -6d      -5d      -4d      -3d      -2d      -1d     now');
  // a day in 40 cells: 6 h steps
  assert.equal(xAxisLabels(0, DAY, 40), '-1d     -18h      -12h      -6h      now');
  // 30 days in 40 cells: 7 d steps (the leftmost label is at -28d)
  assert.equal(xAxisLabels(0, 30 * DAY, 40), ' -28d     -21d     -14d     -7d      now');
  assert.equal(xAxisLabels(0, DAY, 3), 'now');
  assert.equal(xAxisLabels(0, DAY, 2), '  ');
  assert.equal(xAxisLabels(5, 5, 6), '   now');
  for (const w of [0, 1, 4, 9, 17, 33, 80, 200]) {
    for (const span of [HOUR, DAY, 7 * DAY, 30 * DAY]) assert.equal(xAxisLabels(0, span, w).length, w, `w ${w} span ${span}`);
  }
});

test('chart over a time window: bucketed into columns, x axis in the last row', () => {
  // A 1 h window, one sample a minute rising 0..60; 24 cells, 4 rows (3 plot + axis).
  const points = Array.from({ length: 61 }, (_, i) => ({ at: i * 60_000, value: i }));
  const rows = chart({ points, from: 0, to: HOUR }, { width: 24, height: 4, min: 0, max: 60, format: (v) => String(v) });
  assert.equal(rows.length, 4);
  assert.equal(rows[3], '   -1h     -30m      now');
  // 42 columns of ~86 s, each the highest sample in it: a rising ramp reaching the top at the right
  assert.deepEqual(rows.slice(0, 3), [
    '60┤              ⣀⣠⣤⣴⣶⣿⣿',
    '  │       ⣀⣠⣤⣴⣶⣿⣿⣿⣿⣿⣿⣿⣿⣿',
    ' 0┤⣀⣠⣤⣴⣶⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿',
  ]);
  // gaps: an hour with no samples in the middle half stays empty there
  const gappy = points.map((p) => (p.at > 15 * 60_000 && p.at < 45 * 60_000 ? { at: p.at, value: null } : p));
  const g = chart({ points: gappy, from: 0, to: HOUR }, { width: 24, height: 4, min: 0, max: 60, format: (v) => String(v) });
  // the half hour without samples is empty (explicit nulls end the line; nothing is held over them)
  assert.equal(g[2], ' 0┤⣀⣠⣤⣴⣶⡇         ⢸⣿⣿⣿⣿⣿');
});

test('every chart is exactly width × height, in every style', () => {
  const values = Array.from({ length: 500 }, (_, i) => (i % 17 === 0 ? null : 50 + 40 * Math.sin(i / 20)));
  const points = values.map((value, i) => ({ at: i * 10_000, value }));
  for (const style of ['braille', 'block', 'ascii'] as const) {
    for (const width of [0, 1, 3, 8, 20, 41, 80, 237]) {
      for (const height of [0, 1, 2, 3, 7, 20]) {
        for (const data of [values, { points, from: 0, to: 5_000_000 }]) {
          const rows = chart(data, { width, height, style, current: 42, limit: 80, format: (v) => `${v.toFixed(0)} MiB` });
          assert.equal(rows.length, height, `${style} ${width}×${height}`);
          for (const r of rows) assert.equal(stringWidth(r), width, `${style} ${width}×${height}: ${JSON.stringify(r)}`);
        }
      }
    }
  }
});
