// Sparklines and small braille charts as plain strings, one display cell per character.
//
// Conventions shared by every style:
// - Right-aligned: the newest value is drawn last (rightmost). Fewer values than the chart holds are
//   padded on the left with empty space; more values keep only the newest.
// - null (and NaN/±Infinity) is a gap: an empty cell or no dots, so "no sample" never looks like 0.
//   Cells with nothing to draw are plain spaces in every style.
// - The lowest value still draws something (`▁`, `.`, one dot) for the same reason.
// - Scale: `min`/`max` when given (values outside are clamped); otherwise taken from the visible
//   values, with the floor at 0 unless some value is negative — so a CPU line at a steady 40 %
//   shows as a full bar relative to itself. Pass `{ min: 0, max: 100 }` for percentages.
//   A flat scale (max == min) draws every value at the lowest level.

export type SparkStyle = 'braille' | 'block' | 'ascii';

export interface ScaleOptions {
  min?: number;
  max?: number;
}

export interface SparklineOptions extends ScaleOptions {
  /** Default `braille` (two values per cell). */
  style?: SparkStyle;
}

type Sample = number | null;

const BLOCKS = '▁▂▃▄▅▆▇█';
const ASCII = '.:-=+*#%@'; // ` .:-=+*#%@` with the space kept for gaps
const BRAILLE_BASE = 0x2800;
// Dot bits per row, top to bottom: left column dots 1,2,3,7; right column dots 4,5,6,8.
const LEFT_DOTS = [0x01, 0x02, 0x04, 0x40] as const;
const RIGHT_DOTS = [0x08, 0x10, 0x20, 0x80] as const;

/** A single-row sparkline of exactly `width` cells. */
export function sparkline(values: readonly Sample[], width: number, opts: SparklineOptions = {}): string {
  const w = cells(width);
  if (w === 0) return '';
  switch (opts.style ?? 'braille') {
    case 'braille':
      return brailleChart(values, w, 1, opts)[0] ?? '';
    case 'block':
      return ramp(values, w, BLOCKS, opts);
    case 'ascii':
      return ramp(values, w, ASCII, opts);
  }
}

/**
 * A braille area chart: `height` rows of `width` cells; each cell shows two values (left column
 * older, right column newer) with 4 dot rows, so the chart has height·4 levels filled from the bottom.
 * Returns the rows top first.
 */
export function brailleChart(values: readonly Sample[], width: number, height: number, opts: ScaleOptions = {}): string[] {
  const w = cells(width);
  const h = cells(height);
  if (h === 0) return [];
  const data = newest(values, w * 2);
  const { lo, hi } = scaleOf(data, opts);
  const dotsTall = h * 4;
  const filled = data.map((v) => (v === null ? 0 : 1 + levelOf(v, lo, hi, dotsTall)));
  const rows: string[] = [];
  for (let row = 0; row < h; row++) {
    let line = '';
    for (let c = 0; c < w; c++) {
      const left = filled[2 * c] ?? 0;
      const right = filled[2 * c + 1] ?? 0;
      let bits = 0;
      for (let r = 0; r < 4; r++) {
        const fromBottom = (h - 1 - row) * 4 + (3 - r);
        if (fromBottom < left) bits |= LEFT_DOTS[r] ?? 0;
        if (fromBottom < right) bits |= RIGHT_DOTS[r] ?? 0;
      }
      // A cell with no dots is a plain space: U+2800 shows as a dotted box in some fonts.
      line += bits === 0 ? ' ' : String.fromCharCode(BRAILLE_BASE + bits);
    }
    rows.push(line);
  }
  return rows;
}

/** One value per cell, drawn with the characters of `chars` from lowest to highest; gaps are spaces. */
function ramp(values: readonly Sample[], w: number, chars: string, opts: ScaleOptions): string {
  const data = newest(values, w);
  const { lo, hi } = scaleOf(data, opts);
  return data.map((v) => (v === null ? ' ' : chars[levelOf(v, lo, hi, chars.length)])).join('');
}

/** The newest `n` samples, left-padded with gaps to exactly `n`; non-finite numbers become gaps. */
function newest(values: readonly Sample[], n: number): Sample[] {
  const tail = values.slice(Math.max(0, values.length - n)).map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  return [...new Array<Sample>(n - tail.length).fill(null), ...tail];
}

function scaleOf(data: readonly Sample[], opts: ScaleOptions): { lo: number; hi: number } {
  // A loop, not Math.min(...data): a week of samples would overflow the argument list.
  let min = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of data) {
    if (v === null) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lo = finite(opts.min) ?? min;
  const hi = finite(opts.max) ?? (max > Number.NEGATIVE_INFINITY ? max : lo);
  return { lo, hi: Math.max(lo, hi) };
}

/** Which of `levels` equal-width bins `v` falls in (0 = lowest); a flat scale is level 0. */
function levelOf(v: number, lo: number, hi: number, levels: number): number {
  if (!(hi > lo)) return 0;
  const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
  return Math.min(levels - 1, Math.floor(t * levels));
}

function finite(v: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function cells(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

// ---------------------------------------------------------------------------------------------
// Shared by sparklines and the multi-row charts of src/chart.ts.

export type { Sample };

/** A time-stamped sample, as the metric store returns them (null: no sample in that slot). */
export interface TimePoint {
  at: number;
  value: number | null;
}

/** How the samples that fall into one column are combined. */
export type Aggregate = 'max' | 'mean' | 'last';

/**
 * Spreads time-stamped samples over `n` equal slices of [from, to] (oldest slice first): each slice
 * gets the aggregate of the samples in it — by default the highest, so a short peak is not averaged
 * away when a week is squeezed into 60 cells. A slice without a sample repeats the previous sample
 * while that is at most 1.5 sampling steps old (so a series coarser than the chart draws as a line,
 * not as dots); an explicit null sample, or a longer silence, is a gap. Samples outside the window
 * and non-finite values are ignored (non-finite ones count as gaps). Expects `points` time-ordered.
 */
export function bucketByTime(points: readonly TimePoint[], from: number, to: number, n: number, agg: Aggregate = 'max'): Sample[] {
  const cols = cells(n);
  const out = new Array<Sample>(cols).fill(null);
  if (cols === 0 || points.length === 0) return out;
  const span = to - from;
  if (!(span > 0)) {
    // A zero-width window: the newest value, if any, in the last column.
    for (let i = points.length - 1; i >= 0; i--) {
      const v = points[i]!.value;
      if (isFiniteNum(v)) { out[cols - 1] = v; break; }
    }
    return out;
  }
  const first = points[0]!.at;
  const last = points[points.length - 1]!.at;
  // The sampling step: the window's resolution, from the spacing of the points (gaps are null slots).
  const step = points.length > 1 ? (last - first) / (points.length - 1) : span;
  const hold = step * 1.5;
  const sum = new Float64Array(cols);
  const count = new Uint32Array(cols);
  // Per column: the newest sample before the column's end that was seen (value or explicit gap).
  const lastAt = new Float64Array(cols).fill(Number.NaN);
  const lastVal = new Array<Sample>(cols).fill(null);
  for (const p of points) {
    if (!(p.at >= from) || p.at > to) continue;
    const i = Math.min(cols - 1, Math.floor(((p.at - from) / span) * cols));
    const v = isFiniteNum(p.value) ? p.value : null;
    lastAt[i] = p.at;
    lastVal[i] = v;
    if (v === null) continue;
    const prev = out[i];
    if (agg === 'max') out[i] = prev === null || prev === undefined || v > prev ? v : prev;
    else if (agg === 'last') out[i] = v;
    else { sum[i] = sum[i]! + v; count[i] = count[i]! + 1; }
  }
  if (agg === 'mean') for (let i = 0; i < cols; i++) out[i] = count[i]! > 0 ? sum[i]! / count[i]! : null;
  // Fill empty columns from the newest earlier sample while it is fresh enough.
  let heldAt = Number.NaN;
  let held: Sample = null;
  for (let i = 0; i < cols; i++) {
    if (!Number.isNaN(lastAt[i]!)) {
      heldAt = lastAt[i]!;
      held = lastVal[i]!;
      continue;
    }
    const colStart = from + (span * i) / cols;
    if (held !== null && colStart - heldAt < hold) out[i] = held;
  }
  return out;
}

/**
 * The scale sparklines and charts use when none is given: 0 (or the lowest value, if negative) to the
 * highest value; `min`/`max` override either end. With nothing to go on, lo = hi.
 */
export function autoScale(values: readonly Sample[], opts: ScaleOptions = {}): { lo: number; hi: number } {
  return scaleOf(values.map((v) => (isFiniteNum(v) ? v : null)), opts);
}

/** Which of `levels` equal bins `v` falls into on lo..hi (0 = lowest; clamped; a flat scale is 0). */
export function levelIn(v: number, lo: number, hi: number, levels: number): number {
  return levelOf(v, lo, hi, levels);
}

/** `sparkline` of time-stamped samples over a window: the samples are bucketed into the columns first. */
export function timeSparkline(points: readonly TimePoint[], from: number, to: number, width: number, opts: SparklineOptions & { aggregate?: Aggregate } = {}): string {
  const w = cells(width);
  const style = opts.style ?? 'braille';
  return sparkline(bucketByTime(points, from, to, style === 'braille' ? w * 2 : w, opts.aggregate), w, opts);
}

function isFiniteNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
