import { test } from 'node:test';
import assert from 'node:assert/strict';
import stringWidth from 'string-width';
import {
  bar,
  fit,
  formatAge,
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate,
  formatUptime,
  level,
  padEnd,
  padStart,
  truncate,
} from '../../src/format.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

test('formatBytes: IEC, one decimal below 10, whole numbers from 10', () => {
  const cases: [number | null, string][] = [
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1023.6, '1.0 KiB'], // rounds to 1024 B → next unit
    [KiB, '1.0 KiB'],
    [1.5 * KiB, '1.5 KiB'],
    [9.94 * KiB, '9.9 KiB'],
    [10239, '10 KiB'], // 9.999 KiB: "10.0" loses its .0
    [10 * KiB, '10 KiB'],
    [123.4 * KiB, '123 KiB'],
    [1023.7 * KiB, '1.0 MiB'], // 1024 KiB after rounding
    [12 * MiB, '12 MiB'],
    [1.2 * GiB, '1.2 GiB'],
    [5 * TiB, '5.0 TiB'],
    [-1.5 * KiB, '-1.5 KiB'],
    [Number.NaN, '–'],
    [null, '–'],
  ];
  for (const [n, want] of cases) assert.equal(formatBytes(n), want, `formatBytes(${n})`);
});

test('formatRate', () => {
  assert.equal(formatRate(1.2 * MiB), '1.2 MiB/s');
  assert.equal(formatRate(0), '0 B/s');
  assert.equal(formatRate(null), '–');
});

test('formatPercent', () => {
  const cases: [number | null, number | undefined, string][] = [
    [7.3, undefined, '7.3%'],
    [7.25, 0, '7%'],
    [0.04, undefined, '0.0%'],
    [100, undefined, '100.0%'],
    [12.3456, 2, '12.35%'],
    [null, undefined, '–'],
    [Number.NaN, undefined, '–'],
  ];
  for (const [p, digits, want] of cases) assert.equal(formatPercent(p, digits), want, `formatPercent(${p}, ${digits})`);
});

test('formatDuration: compact, two units at most, rounded down', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [number | null, string][] = [
    [0, '0s'],
    [999, '0s'],
    [45 * s, '45s'],
    [59_999, '59s'],
    [m, '1m'],
    [3 * m + 59 * s, '3m'],
    [h, '1h'],
    [2 * h + 5 * m + 30 * s, '2h5m'],
    [d, '1d'],
    [3 * d + 4 * h + 59 * m, '3d4h'],
    [365 * d, '1y'],
    [400 * d + 5 * h, '1y35d'],
    [-5 * s, '0s'],
    [null, '–'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, `formatDuration(${ms})`);
});

test('formatAge', () => {
  const now = 1_700_000_000_000;
  const cases: [number, string][] = [
    [now - 180_000, '3m ago'],
    [now - 45_000, '45s ago'],
    [now - 500, 'just now'],
    [now + 500, 'just now'], // small clock skew
    [now + 120_000, 'in 2m'],
  ];
  for (const [from, want] of cases) assert.equal(formatAge(from, now), want);
});

test('formatUptime: from an ISO start time; Docker zero time and junk → –', () => {
  const now = Date.parse('2024-01-01T02:05:30Z');
  assert.equal(formatUptime('2024-01-01T00:00:00Z', now), '2h5m');
  assert.equal(formatUptime('2024-01-01T02:05:00.123456789Z', now), '29s'); // Docker's nanosecond timestamps
  assert.equal(formatUptime('0001-01-01T00:00:00Z', now), '–');
  assert.equal(formatUptime('not a date', now), '–');
  assert.equal(formatUptime('', now), '–');
});

test('truncate: by display width, never splitting wide characters or emoji', () => {
  const cases: [string, number, string][] = [
    ['hello', 10, 'hello'],
    ['hello', 5, 'hello'],
    ['hello world', 5, 'hell…'],
    ['hello', 1, '…'],
    ['hello', 0, ''],
    // each CJK character is 2 cells: 4 cells of text + the ellipsis = 5
    ['日本語テキスト', 5, '日本…'],
    // 5 cells of room for text, but the third character would need 6: one cell short
    ['日本語テキスト', 6, '日本…'],
    // 👍🏽 is one grapheme (emoji + skin tone), 2 cells wide
    ['👍🏽👍🏽👍🏽', 4, '👍🏽…'],
    ['👨‍👩‍👧 family', 5, '👨‍👩‍👧 f…'],
  ];
  for (const [text, width, want] of cases) {
    const got = truncate(text, width);
    assert.equal(got, want, `truncate(${JSON.stringify(text)}, ${width})`);
    assert.ok(stringWidth(got) <= width);
  }
});

test('padEnd / padStart / fit count display cells', () => {
  assert.equal(padEnd('日本', 6), '日本  ');
  assert.equal(padStart('ab', 4), '  ab');
  assert.equal(padStart('7', 3, '0'), '007');
  assert.equal(padEnd('toolong', 3), 'toolong'); // padding never cuts
  assert.equal(fit('hello world', 5), 'hell…');
  assert.equal(fit('日本語', 4), '日… '); // truncated one short, then padded back to 4
  assert.equal(fit('ab', 4, 'right'), '  ab');
  for (const w of [0, 1, 3, 7]) assert.equal(stringWidth(fit('日本語テキスト', w)), w);
});

test('level: thresholds, including lower-is-worse', () => {
  const up = { warn: 70, crit: 90 };
  const down = { warn: 20, crit: 10 }; // e.g. free disk %
  const cases: [number | null, { warn: number; crit: number }, string][] = [
    [50, up, 'ok'],
    [70, up, 'warn'],
    [89.9, up, 'warn'],
    [90, up, 'crit'],
    [100, up, 'crit'],
    [null, up, 'ok'],
    [50, down, 'ok'],
    [20, down, 'warn'],
    [15, down, 'warn'],
    [10, down, 'crit'],
    [5, down, 'crit'],
  ];
  for (const [v, t, want] of cases) assert.equal(level(v, t), want, `level(${v}, ${JSON.stringify(t)})`);
});

test('bar: 1/8 block steps and an ASCII fallback, always exactly width cells', () => {
  const cases: [number | null, number, boolean, string][] = [
    [0, 5, false, '     '],
    [100, 5, false, '█████'],
    [50, 5, false, '██▌  '], // 0.5·5·8 = 20 eighths = 2 full + 4/8
    [10, 4, false, '▍   '], // 0.1·4·8 = 3.2 → 3 eighths
    [99, 4, false, '████'], // 31.68 → 32 eighths
    [1, 10, false, '▏         '], // 0.8 → 1 eighth
    [150, 3, false, '███'],
    [-5, 3, false, '   '],
    [null, 3, false, '   '],
    [50, 0, false, ''],
    [50, 10, true, '#####.....'],
    [33, 10, true, '###.......'],
    [100, 4, true, '####'],
    [null, 4, true, '....'],
  ];
  for (const [p, w, ascii, want] of cases) {
    const got = bar(p, w, { ascii });
    assert.equal(got, want, `bar(${p}, ${w}, ascii=${ascii})`);
    assert.equal(stringWidth(got), w);
  }
  for (let p = 0; p <= 100; p += 0.7) assert.equal(stringWidth(bar(p, 7)), 7);
});
