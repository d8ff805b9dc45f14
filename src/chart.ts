// Multi-row charts as plain strings (one display cell per character), for the Capacity view.
//
// `plot` draws only the data: `height` rows of `width` cells. `chart` adds a y axis with labels on the
// left (scale top and bottom, and the limit when one is drawn), the current value on the right at its
// own row, and an x axis row of relative times for a window ("-7d … -1d now").
//
// Styles (the same as sparklines, src/sparkline.ts):
// - braille: 2×4 dots a cell (btop, bottom): two columns of samples per cell, height·4 levels.
// - block: one sample per cell, eighth blocks (▁▂▃▄▅▆▇█) on top of full ones, height·8 levels.
// - ascii: one sample per cell, `#` full, `:` and `.` for the partly filled top cell, height·3 levels.
// Conventions: newest sample rightmost; fewer samples than columns are padded on the left; null is a
// gap (nothing drawn, never a 0); the lowest value still draws one level; empty cells are spaces.
import stringWidth from 'string-width';
import { formatDuration } from './format.js';
import { autoScale, bucketByTime, levelIn, type Aggregate, type Sample, type SparkStyle, type TimePoint } from './sparkline.js';

export type ChartStyle = SparkStyle;

export interface PlotOptions {
  /** Default braille. */
  style?: ChartStyle;
  /**
   * area (default): filled from the bottom. line: braille only — one dot per sample, joined
   * vertically to the previous one; block and ascii always draw areas.
   */
  mode?: 'area' | 'line';
  /** Fixed ends of the scale; values outside clamp. Missing ends come from the data (see `zero`). */
  min?: number;
  max?: number;
  /**
   * Auto scale: true (default) runs from 0 (or the lowest value, if negative) to the highest value,
   * as sparklines do; false fits the data tightly with 5 % room above and below (never below 0 for
   * data that is not negative), so slow growth is visible — the axis labels then say where it sits.
   */
  zero?: boolean;
  /** A horizontal dotted line at this value (disk size, memory limit), drawn when inside the scale. */
  limit?: number | null;
}

export interface Plot {
  /** Top row first; each exactly `width` cells. */
  rows: string[];
  lo: number;
  hi: number;
  /** Row (0 = top) the limit line is on, or null when none is drawn. */
  limitRow: number | null;
}

const BRAILLE_BASE = 0x2800;
// Dot bits per dot row inside a cell, top to bottom.
const LEFT_DOTS = [0x01, 0x02, 0x04, 0x40] as const;
const RIGHT_DOTS = [0x08, 0x10, 0x20, 0x80] as const;
const EIGHTHS = '▁▂▃▄▅▆▇█';
const ASCII_PARTS = '.:#';

/** How many samples a plot `width` cells wide shows in `style` (braille: two a cell). */
export function plotColumns(width: number, style: ChartStyle = 'braille'): number {
  const w = cells(width);
  return style === 'braille' ? w * 2 : w;
}

/** The scale a plot of `values` uses: see PlotOptions.min/max/zero. lo < hi unless everything is empty. */
export function chartScale(values: readonly Sample[], opts: Pick<PlotOptions, 'min' | 'max' | 'zero'> = {}): { lo: number; hi: number } {
  const fixedLo = finite(opts.min);
  const fixedHi = finite(opts.max);
  if (opts.zero !== false || (fixedLo !== undefined && fixedHi !== undefined)) {
    const s = autoScale(values, { min: fixedLo, max: fixedHi });
    return s;
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { lo: fixedLo ?? 0, hi: Math.max(fixedLo ?? 0, fixedHi ?? fixedLo ?? 0) };
  // Room around the data: 5 % of its span, or of its size when it is flat (1 when it is flat at 0).
  const pad = max > min ? (max - min) * 0.05 : Math.abs(max) * 0.05 || 1;
  let lo = fixedLo ?? min - pad;
  if (fixedLo === undefined && min >= 0 && lo < 0) lo = 0;
  const hi = fixedHi ?? max + pad;
  return { lo, hi: Math.max(lo, hi) };
}

/**
 * The data area only: `height` rows of exactly `width` cells. The newest `plotColumns(width, style)`
 * values are drawn, right-aligned.
 */
export function plot(values: readonly Sample[], width: number, height: number, opts: PlotOptions = {}): Plot {
  const w = cells(width);
  const h = cells(height);
  const style = opts.style ?? 'braille';
  const n = plotColumns(w, style);
  const data = newest(values, n);
  const { lo, hi } = chartScale(data, opts);
  if (h === 0 || w === 0) return { rows: new Array<string>(h).fill(''), lo, hi, limitRow: null };
  const perCell = style === 'braille' ? 4 : style === 'block' ? 8 : 3;
  const levels = h * perCell;
  // Filled levels per column (0 = gap; k = the bottom k levels), and the top level for line mode.
  const top = data.map((v) => (v === null ? -1 : levelIn(v, lo, hi, levels)));
  const limit = finite(opts.limit ?? undefined);
  // A limit exactly at the top (a 0..limit scale) or outside the scale says nothing: not drawn.
  const limitLevel = limit !== undefined && limit >= lo && limit < hi ? levelIn(limit, lo, hi, levels) : -1;
  const limitRow = limitLevel >= 0 ? h - 1 - Math.floor(limitLevel / perCell) : null;
  const rows = style === 'braille'
    ? brailleRows(top, w, h, opts.mode === 'line', limitLevel)
    : blockRows(top, w, h, style === 'block' ? EIGHTHS : ASCII_PARTS, limitLevel, limitRow);
  return { rows, lo, hi, limitRow };
}

function brailleRows(top: readonly number[], w: number, h: number, line: boolean, limitLevel: number): string[] {
  // For each dot column, the range of lit levels [from, to] (to < from: none).
  const fromL = new Int32Array(top.length);
  const toL = new Int32Array(top.length);
  for (let x = 0; x < top.length; x++) {
    const t = top[x]!;
    if (t < 0) { fromL[x] = 0; toL[x] = -1; continue; }
    if (!line) { fromL[x] = 0; toL[x] = t; continue; }
    const prev = x > 0 ? top[x - 1]! : -1;
    // A line joins the previous sample vertically, so a jump reads as a step, not as two dots.
    fromL[x] = prev < 0 ? t : Math.min(t, prev + (prev < t ? 1 : 0));
    toL[x] = prev < 0 ? t : Math.max(t, prev - (prev > t ? 1 : 0));
  }
  const rows: string[] = [];
  for (let row = 0; row < h; row++) {
    let out = '';
    for (let c = 0; c < w; c++) {
      let bits = 0;
      for (let r = 0; r < 4; r++) {
        const level = (h - 1 - row) * 4 + (3 - r);
        const lx = 2 * c;
        const rx = lx + 1;
        if (level >= fromL[lx]! && level <= toL[lx]!) bits |= LEFT_DOTS[r]!;
        if (level >= fromL[rx]! && level <= toL[rx]!) bits |= RIGHT_DOTS[r]!;
        // The limit: one dot a cell (the left column), a dotted line that data never looks like.
        if (level === limitLevel) bits |= LEFT_DOTS[r]!;
      }
      out += bits === 0 ? ' ' : String.fromCharCode(BRAILLE_BASE + bits);
    }
    rows.push(out);
  }
  return rows;
}

function blockRows(top: readonly number[], w: number, h: number, parts: string, limitLevel: number, limitRow: number | null): string[] {
  const per = parts.length;
  const full = parts[per - 1]!;
  const rows: string[] = [];
  for (let row = 0; row < h; row++) {
    const base = (h - 1 - row) * per;
    let out = '';
    for (let c = 0; c < w; c++) {
      const filled = top[c]! + 1; // levels lit from the bottom
      let ch = ' ';
      if (filled >= base + per) ch = full;
      else if (filled > base) ch = parts[filled - base - 1]!;
      else if (row === limitRow && limitLevel >= 0) ch = '-';
      out += ch;
    }
    rows.push(out);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

export interface ChartOptions extends PlotOptions {
  /** The whole chart, labels included: exactly `width` cells by `height` rows. */
  width: number;
  height: number;
  /** Labels for values (axis, limit, current). Default: up to 3 significant digits. */
  format?: (v: number) => string;
  /** Y axis labels on the left (default true). Dropped when they would take over a third of the width. */
  yLabels?: boolean;
  /** The current value as a label right of the plot, on the row it is drawn at. null/undefined: none. */
  current?: number | null;
  /**
   * The time window of the data, for the x axis row (the last row): relative labels back from `to`
   * at a round step ("-6h -4h -2h now"). Taken from time-stamped data when not given.
   */
  window?: { from: number; to: number };
  /** The x axis row (default: whenever there is a window and at least 3 rows). */
  xAxis?: boolean;
  /** How time-stamped samples sharing a column combine (default max). */
  aggregate?: Aggregate;
}

/** Evenly spaced samples (newest last) or time-stamped ones over a window (bucketed into columns). */
export type ChartData = readonly Sample[] | { points: readonly TimePoint[]; from: number; to: number };

const AXIS = { unicode: { mark: '┤', line: '│', current: '◀' }, ascii: { mark: '+', line: '|', current: '<' } } as const;

/** A labelled chart: `height` rows of exactly `width` cells (fewer labels when there is no room). */
export function chart(data: ChartData, opts: ChartOptions): string[] {
  const width = cells(opts.width);
  const height = cells(opts.height);
  if (height === 0) return [];
  const style = opts.style ?? 'braille';
  const glyph = style === 'ascii' ? AXIS.ascii : AXIS.unicode;
  const fmt = opts.format ?? defaultFormat;
  const timed = !isSampleArray(data);
  const window = opts.window ?? (timed ? { from: data.from, to: data.to } : undefined);
  const xAxis = (opts.xAxis ?? window !== undefined) && window !== undefined && height >= 3;
  const plotH = xAxis ? height - 1 : height;

  // The scale first (it does not depend on the columns), then the labels it needs, then the plot width.
  const scaleInput: readonly Sample[] = timed ? data.points.map((p) => (p.at >= data.from && p.at <= data.to ? p.value : null)) : data;
  const { lo, hi } = chartScale(scaleInput, opts);
  const limit = finite(opts.limit ?? undefined);
  const hiText = clean(fmt(hi));
  const loText = clean(fmt(lo));
  const limitText = limit !== undefined ? clean(fmt(limit)) : '';
  let labelW = Math.max(stringWidth(hiText), stringWidth(loText), stringWidth(limitText));
  if (opts.yLabels === false || labelW + 2 > width / 3) labelW = -1; // -1: no label column, no axis
  const current = finite(opts.current ?? undefined);
  const currentText = current !== undefined ? `${glyph.current} ${clean(fmt(current))}` : '';
  let rightW = currentText ? stringWidth(currentText) + 1 : 0;
  const leftW = labelW >= 0 ? labelW + 1 : 0;
  if (width - leftW - rightW < Math.max(4, Math.floor(width / 2))) rightW = 0;
  const plotW = Math.max(0, width - leftW - rightW);

  const n = plotColumns(plotW, style);
  const values = timed ? bucketByTime(data.points, data.from, data.to, n, opts.aggregate) : data;
  const p = plot(values, plotW, plotH, { ...opts, min: lo, max: hi, style });

  const labelAt = new Map<number, string>();
  if (labelW >= 0) {
    // The limit's label wins its row: "full" is the line an operator looks for.
    labelAt.set(0, hiText);
    if (plotH > 1) labelAt.set(plotH - 1, loText);
    if (p.limitRow !== null) labelAt.set(p.limitRow, limitText);
  }
  const perCell = style === 'braille' ? 4 : style === 'block' ? 8 : 3;
  const currentRow = current !== undefined && rightW > 0 && plotH > 0
    ? plotH - 1 - Math.floor(levelIn(current, lo, hi, plotH * perCell) / perCell)
    : -1;
  const currentCell = rightW > 0 ? ` ${currentText}${' '.repeat(Math.max(0, rightW - 1 - stringWidth(currentText)))}` : '';
  const blankRight = ' '.repeat(rightW);
  const blankLeft = labelW >= 0 ? ' '.repeat(labelW) + glyph.line : '';

  // Every part has its exact width already (labels are padded to the widest), so rows need no measuring.
  const out: string[] = [];
  for (let row = 0; row < plotH; row++) {
    const label = labelAt.get(row);
    const left = labelW < 0 ? '' : label !== undefined ? padStartCells(label, labelW) + glyph.mark : blankLeft;
    out.push(left + (p.rows[row] ?? '') + (row === currentRow ? currentCell : blankRight));
  }
  if (xAxis && window) out.push(' '.repeat(leftW) + xAxisLabels(window.from, window.to, plotW) + blankRight);
  if (plotW === 0) return out.map((r) => fitCells(r, width));
  return out;
}

// Round steps for the x axis, smallest first.
const MIN = 60_000;
const STEPS = [MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, 60 * MIN, 2 * 60 * MIN, 3 * 60 * MIN, 6 * 60 * MIN, 12 * 60 * MIN,
  24 * 60 * MIN, 2 * 24 * 60 * MIN, 7 * 24 * 60 * MIN, 14 * 24 * 60 * MIN, 30 * 24 * 60 * MIN];

/**
 * The x axis: `width` cells with "now" at the right end and "-<age>" labels at a round step back from
 * `to` ("-30m", "-1d", "-7d"), as many as fit with a space between them.
 */
export function xAxisLabels(from: number, to: number, width: number): string {
  const w = cells(width);
  const span = to - from;
  if (w === 0) return '';
  const line = new Array<string>(w).fill(' ');
  const put = (text: string, start: number) => { for (let i = 0; i < text.length; i++) line[start + i] = text[i]!; };
  if (!(span > 0) || w < 3) return w >= 3 ? ' '.repeat(w - 3) + 'now' : ' '.repeat(w);
  // The smallest round step whose labels fit: one label per 8 cells at most, and no more than 10.
  const maxTicks = Math.max(1, Math.min(10, Math.floor(w / 8)));
  const step = STEPS.find((s) => span / s <= maxTicks) ?? span;
  const placed: [number, number][] = []; // [start, end) of each label
  const ticks = Math.floor(span / step + 1e-9);
  for (let k = 0; k <= ticks; k++) {
    const text = k === 0 ? 'now' : `-${formatDuration(k * step)}`;
    if (text.length > w) continue;
    const x = (w - 1) * (1 - (k * step) / span);
    const start = Math.min(w - text.length, Math.max(0, Math.round(x - (k === 0 ? text.length - 1 : text.length / 2))));
    const end = start + text.length;
    if (placed.some(([s, e]) => start < e + 1 && end + 1 > s)) continue;
    placed.push([start, end]);
    put(text, start);
  }
  return line.join('');
}

function defaultFormat(v: number): string {
  const a = Math.abs(v);
  if (a >= 100 || v === Math.round(v)) return String(Math.round(v));
  return a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function isSampleArray(d: ChartData): d is readonly Sample[] {
  return Array.isArray(d);
}

/** Labels are ours, but the formatter is the caller's: keep them to one line of plain cells. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, '');
}

function padStartCells(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - stringWidth(s))) + s;
}

/** Exactly `w` cells: cut (labels are ASCII or narrow) or padded with spaces. */
function fitCells(s: string, w: number): string {
  const sw = stringWidth(s);
  if (sw === w) return s;
  if (sw < w) return s + ' '.repeat(w - sw);
  let out = '';
  let used = 0;
  for (const ch of s) {
    const cw = stringWidth(ch);
    if (used + cw > w) break;
    out += ch;
    used += cw;
  }
  return out + ' '.repeat(w - used);
}

function newest(values: readonly Sample[], n: number): Sample[] {
  const tail = values.slice(Math.max(0, values.length - n)).map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  return [...new Array<Sample>(n - tail.length).fill(null), ...tail];
}

function finite(v: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function cells(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}
