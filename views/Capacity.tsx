import React from 'react';
import { Box, Text } from 'ink';
import type { CapacityData, CapacitySeries, CapacityUnit, CapacityWindow, Projection } from '../src/metrics/types.js';
import { chart, type ChartStyle } from '../src/chart.js';
import { displayWidth, fit, formatAge, formatBytes, formatRate } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import { timeSparkline } from '../src/sparkline.js';
import { visibleWindow } from './overviewLayout.js';
import { useTheme, type Theme } from './theme.js';

// The Capacity view (5): a summary line; the selected series drawn large (title with now/min/max/limit,
// a labelled chart over the window, its projection); below, every series as one line (title, current
// value, sparkline over the same window, projection) grouped host / containers by memory / by CPU /
// databases / volumes. All layout is pure (capacityLines) so tests and the benchmark need no Ink.

export interface CapacityViewProps {
  data: CapacityData | null;
  /** Index into capacityOrder(data). */
  selected: number;
  /** First list line shown (keep it with capacityScroll; the view keeps the selection visible anyway). */
  scroll: number;
  width: number;
  height: number;
  ascii: boolean;
  loading?: boolean;
  error?: string;
  /** Chart style; default `ascii` with --ascii, else `braille`. Pass `block` for terminals without braille. */
  chartStyle?: ChartStyle;
  /** For "last sample 12s ago"; default data.to. */
  now?: number;
  /** Projections sooner than this many days are warn (default 14); sooner than critDays crit (default 3). */
  horizonDays?: number;
  critDays?: number;
}

export type Tone = 'ok' | 'warn' | 'crit' | 'dim' | 'accent' | 'header';
/** A run of text with one style; a line is a list of them, exactly `width` cells in all. */
export interface Seg { text: string; tone?: Tone; bold?: boolean; inverse?: boolean }
export type CapacityLine = Seg[];

const WINDOWS: CapacityWindow[] = ['1h', '24h', '7d', '30d'];
export const NO_HISTORY = 'no history yet: run `opsdeck agent` or keep the cockpit open';

type SectionId = 'host' | 'containers-mem' | 'containers-cpu' | 'containers-io' | 'databases' | 'volumes';
const SECTIONS: { id: SectionId; title: string; sorted: boolean }[] = [
  { id: 'host', title: 'HOST', sorted: false },
  { id: 'containers-mem', title: 'CONTAINERS BY MEMORY', sorted: true },
  { id: 'containers-cpu', title: 'CONTAINERS BY CPU', sorted: true },
  { id: 'containers-io', title: 'CONTAINER I/O', sorted: true },
  { id: 'databases', title: 'DATABASES', sorted: true },
  { id: 'volumes', title: 'VOLUMES', sorted: true },
];

function sectionOf(s: CapacitySeries): SectionId {
  if (s.group === 'host') return 'host';
  if (s.group === 'databases') return 'databases';
  if (s.group === 'volumes') return 'volumes';
  return s.unit === 'bytes' ? 'containers-mem' : s.unit === 'percent' ? 'containers-cpu' : 'containers-io';
}

/** One line of the list: a section heading or a series (its index in capacityOrder). */
export type ListRow = { kind: 'heading'; text: string } | { kind: 'series'; index: number; series: CapacitySeries };

interface Ordered { order: CapacitySeries[]; rows: ListRow[]; lineOf: number[] }
const orderCache = new WeakMap<CapacityData, Ordered>();

function ordered(data: CapacityData): Ordered {
  const hit = orderCache.get(data);
  if (hit) return hit;
  const bySection = new Map<SectionId, CapacitySeries[]>();
  for (const s of data.series) {
    const id = sectionOf(s);
    const list = bySection.get(id) ?? [];
    list.push(s);
    bySection.set(id, list);
  }
  const order: CapacitySeries[] = [];
  const rows: ListRow[] = [];
  const lineOf: number[] = [];
  for (const sec of SECTIONS) {
    const list = bySection.get(sec.id);
    if (!list || list.length === 0) continue;
    // "Top" containers, databases and volumes: the biggest now first; no value last; then by name.
    if (sec.sorted) list.sort((a, b) => (b.current ?? Number.NEGATIVE_INFINITY) - (a.current ?? Number.NEGATIVE_INFINITY) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
    rows.push({ kind: 'heading', text: `${sec.title} (${list.length})` });
    for (const s of list) {
      lineOf.push(rows.length);
      rows.push({ kind: 'series', index: order.length, series: s });
      order.push(s);
    }
  }
  const result = { order, rows, lineOf };
  orderCache.set(data, result);
  return result;
}

/** The series in the order the view lists them: `selected` indexes this. */
export function capacityOrder(data: CapacityData | null): CapacitySeries[] {
  return data ? ordered(data).order : [];
}

export interface CapacityLayout { detail: number; chart: number; list: number }

/** Rows for the selected series' block (title + chart + projection) and for the list, in `height`. */
export function capacityLayout(listLines: number, height: number): CapacityLayout {
  const avail = Math.max(0, Math.floor(height) - 1); // the summary line
  if (avail < 7 || listLines === 0) return { detail: 0, chart: 0, list: avail };
  let detail = Math.min(24, Math.max(6, Math.floor(avail / 2)));
  // Few series: the chart takes the room the list does not need.
  detail = Math.max(detail, Math.min(30, avail - listLines));
  detail = Math.min(detail, avail - 1);
  return { detail, chart: detail - 2, list: avail - detail };
}

/** The list's first line so that the selected series (and its heading, when it is the first) shows. */
export function capacityScroll(data: CapacityData | null, selected: number, height: number, prevScroll: number): number {
  if (!data) return 0;
  const { order, rows, lineOf } = ordered(data);
  if (order.length === 0) return 0;
  const sel = clampIndex(selected, order.length);
  const { list } = capacityLayout(rows.length, height);
  return capacityScrollFor(rows, lineOf, sel, list, prevScroll);
}

// ---------------------------------------------------------------------------------------------
// Values as text.

/** A value in its unit: `42%`, `1.5 GiB`, `12 MiB/s`, `0.42`; null `–`. */
export function formatValue(unit: CapacityUnit, v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'percent': return `${v.toFixed(Math.abs(v) < 10 ? 1 : 0)}%`;
    case 'bytes': return formatBytes(v);
    case 'bytesPerSec': return formatRate(v);
    case 'load': return v.toFixed(2);
  }
}

/** Growth per day with its sign: `+1.0 GiB/day`, `+0.4 pp/day`, `-12 MiB/day`. */
export function formatGrowth(unit: CapacityUnit, perDay: number | null): string {
  if (perDay === null || !Number.isFinite(perDay)) return '';
  const sign = perDay < 0 ? '-' : '+';
  const a = Math.abs(perDay);
  const body = unit === 'percent' ? `${a.toFixed(a < 10 ? 1 : 0)} pp` : unit === 'bytes' ? formatBytes(a) : unit === 'bytesPerSec' ? formatRate(a) : a.toFixed(2);
  return `${sign}${body}/day`;
}

/** Colour of a projection: crit within `critDays`, warn within `horizonDays`; unsure ones dim. */
export function projectionTone(p: Projection | null, horizonDays = 14, critDays = 3): Tone | undefined {
  if (!p) return 'dim';
  if (p.status === 'full-in' && p.daysToFull !== null) return p.daysToFull < critDays ? 'crit' : p.daysToFull < horizonDays ? 'warn' : 'ok';
  return p.status === 'no-trend' || p.status === 'too-few-points' ? 'dim' : undefined;
}

/** How full against the limit: warn from 85 %, crit from 95 % (as memory in the Overview). */
function fillTone(s: CapacitySeries): Tone | undefined {
  if (s.limit === null || !(s.limit > 0) || s.current === null) return undefined;
  const pct = (s.current / s.limit) * 100;
  return pct >= 95 ? 'crit' : pct >= 85 ? 'warn' : undefined;
}

/**
 * Scales. Sparklines: percentages 0..100 (or more), 0..limit when there is one (a full cell is full),
 * else from 0. The large chart: the same, but with room above the limit so its dotted line shows, and
 * a tight scale for series without a limit (slow growth stays visible; the axis labels say where).
 */
function scaleFor(s: CapacitySeries, large = false): { min?: number; max?: number } {
  const top = s.max ?? 0;
  if (s.unit === 'percent') return { min: 0, max: Math.max(100, top) };
  if (s.limit !== null && s.limit > 0) return { min: 0, max: Math.max(large ? s.limit * 1.1 : s.limit, top) };
  return {};
}

function shortFormat(unit: CapacityUnit): (v: number) => string {
  if (unit === 'percent') return (v) => `${Math.round(v)}%`;
  return (v) => formatValue(unit, v);
}

const title = (s: CapacitySeries) => safeText(s.title);

// ---------------------------------------------------------------------------------------------
// The lines.

interface Ctx { width: number; style: ChartStyle; ascii: boolean; from: number; to: number; horizon: number; crit: number }

function line(width: number, text: string, tone?: Tone, bold?: boolean): CapacityLine {
  return [{ text: fitCells(text, width), tone, bold }];
}

function summary(p: CapacityViewProps, width: number, now: number): CapacityLine {
  const d = p.data;
  const segs: Seg[] = [{ text: ' Capacity', bold: true }];
  if (d) {
    segs.push({ text: ' · ' });
    WINDOWS.forEach((w, i) => segs.push({ text: `${i > 0 ? ' ' : ''}${w === d.window ? `[${w}]` : w}`, tone: w === d.window ? 'accent' : 'dim', bold: w === d.window }));
    segs.push({ text: ` · ${d.series.length} series` });
    if (d.collector === null) segs.push({ text: ' · not recording: run `opsdeck agent`', tone: 'warn' });
    else segs.push({ text: ` · ${d.collector === 'agent' ? 'agent' : 'this cockpit'} recording`, tone: 'dim' });
    if (d.lastSampleAt !== null) segs.push({ text: ` · last sample ${formatAge(d.lastSampleAt, now)}`, tone: 'dim' });
  }
  if (p.loading) segs.push({ text: ' · loading…', tone: 'dim' });
  return fitSegs(segs, width);
}

/** Fits a line of segments to exactly `width` cells: later segments are cut first. */
function fitSegs(segs: Seg[], width: number): CapacityLine {
  const out: Seg[] = [];
  let left = width;
  for (const s of segs) {
    if (left <= 0) break;
    const w = displayCells(s.text);
    if (w <= left) { out.push(s); left -= w; continue; }
    out.push({ ...s, text: fitCells(s.text, left) });
    left = 0;
  }
  if (left > 0) out.push({ text: ' '.repeat(left), inverse: out[out.length - 1]?.inverse });
  return out;
}

// Characters this view draws that are one cell each: printable ASCII and Latin-1 (`·`, `²`), `–`, `…`,
// box drawing and block elements, `▶` `◀`, braille. Strings of only these are measured by length:
// measuring every sparkline with string-width was the larger part of the layout's time.
const ONE_CELL = /^[\x20-\x7e\u00a0-\u00ff\u2013\u2026\u2500-\u259f\u25b6\u25c0\u2800-\u28ff]*$/;

function displayCells(s: string): number {
  return ONE_CELL.test(s) ? s.length : displayWidth(s);
}

/** fit() with a fast path for one-cell strings. */
function fitCells(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (!ONE_CELL.test(s)) return fit(s, width, align);
  if (s.length > width) return width <= 0 ? '' : `${s.slice(0, width - 1)}…`;
  const pad = ' '.repeat(width - s.length);
  return align === 'left' ? s + pad : pad + s;
}

function detailBlock(s: CapacitySeries, c: Ctx, rows: number): CapacityLine[] {
  const out: CapacityLine[] = [];
  const facts = [`now ${formatValue(s.unit, s.current)}`, `min ${formatValue(s.unit, s.min)}`, `max ${formatValue(s.unit, s.max)}`];
  if (s.limit !== null) facts.push(`limit ${formatValue(s.unit, s.limit)}`);
  out.push(fitSegs([
    { text: ' ' },
    { text: title(s), tone: 'accent', bold: true },
    { text: `  ${facts.join(' · ')}`, tone: fillTone(s) },
  ], c.width));
  if (rows > 0) {
    const scale = scaleFor(s, true);
    const chartRows = chart({ points: s.points, from: c.from, to: c.to }, {
      width: c.width - 1,
      height: rows,
      style: c.style,
      ...scale,
      zero: scale.max === undefined ? false : true,
      limit: s.limit,
      current: s.current,
      format: shortFormat(s.unit),
    });
    for (const r of chartRows) out.push([{ text: ` ${r}`, tone: 'accent' }]);
  }
  const p = s.projection;
  if (p) {
    const growth = p.status === 'full-in' || p.status === 'no-limit' || p.status === 'shrinking' ? formatGrowth(s.unit, p.growthPerDay) : '';
    out.push(fitSegs([
      { text: ' ' },
      { text: safeText(p.message), tone: projectionTone(p, c.horizon, c.crit), bold: projectionTone(p, c.horizon, c.crit) === 'crit' },
      { text: growth ? ` · ${growth}` : '', tone: 'dim' },
    ], c.width));
  } else {
    out.push(line(c.width, ' no projection: nothing here fills up', 'dim'));
  }
  return out;
}

interface Cols { name: number; current: number; spark: number; proj: number }

function listColumns(width: number): Cols {
  const name = Math.min(32, Math.max(12, Math.floor(width * 0.25)));
  const current = 10;
  let proj = width >= 60 ? Math.min(34, Math.max(16, Math.floor(width * 0.33))) : 0;
  let spark = width - 1 - name - 1 - current - 1 - (proj > 0 ? proj + 1 : 0);
  if (spark < 6 && proj > 0) { spark += proj + 1; proj = 0; }
  return { name, current, spark: Math.max(0, Math.min(spark, 120)), proj: proj > 0 ? proj + Math.max(0, spark - 120) : 0 };
}

function seriesLine(s: CapacitySeries, selected: boolean, cols: Cols, c: Ctx): CapacityLine {
  const inv = selected || undefined;
  const scale = scaleFor(s);
  const spark = cols.spark > 0 ? timeSparkline(s.points, c.from, c.to, cols.spark, { style: c.style, ...scale }) : '';
  const mark = selected ? (c.ascii ? '>' : '▶') : ' ';
  const segs: Seg[] = [
    { text: mark + fitCells(title(s), cols.name), bold: selected, inverse: inv },
    { text: ` ${fitCells(formatValue(s.unit, s.current), cols.current, 'right')} `, tone: fillTone(s), inverse: inv },
  ];
  if (cols.spark > 0) segs.push({ text: spark, tone: 'accent', inverse: inv });
  if (cols.proj > 0) {
    const p = s.projection;
    segs.push({ text: ` ${fitCells(p ? safeText(p.message) : '', cols.proj)}`, tone: projectionTone(p, c.horizon, c.crit), inverse: inv });
  }
  return fitSegs(segs, c.width);
}

/** Every line of the view, exactly `height` lines of exactly `width` cells (0 lines for height 0). */
export function capacityLines(p: CapacityViewProps): CapacityLine[] {
  const width = Math.max(0, Math.floor(p.width));
  const height = Math.max(0, Math.floor(p.height));
  if (height === 0 || width === 0) return new Array<CapacityLine>(height).fill([]);
  const d = p.data;
  const now = p.now ?? d?.to ?? Date.now();
  const lines: CapacityLine[] = [summary(p, width, now)];
  const pad = () => { while (lines.length < height) lines.push(line(width, '')); return lines.slice(0, height); };

  if (p.error) lines.push(line(width, ` capacity history could not be read: ${safeText(p.error.replace(/\s+/g, ' '))}`, 'crit'));
  if (!d) {
    if (!p.error) lines.push(line(width, p.loading ? ' loading history…' : ` ${NO_HISTORY}`, 'dim'));
    return pad();
  }
  const { order, rows, lineOf } = ordered(d);
  const hasSamples = order.some((s) => s.current !== null || s.points.some((pt) => pt.value !== null));
  if (!hasSamples) {
    lines.push(line(width, ` ${NO_HISTORY}`, 'dim'));
    if (d.collector !== null) lines.push(line(width, ` recording now (${d.collector === 'agent' ? 'the agent' : 'this cockpit'}): the first samples show within a minute`, 'dim'));
    return pad();
  }

  const c: Ctx = {
    width,
    style: p.chartStyle ?? (p.ascii ? 'ascii' : 'braille'),
    ascii: p.ascii,
    from: d.from,
    to: d.to,
    horizon: p.horizonDays ?? 14,
    crit: p.critDays ?? 3,
  };
  const body = height - lines.length + 1; // capacityLayout counts the summary line itself
  const layout = capacityLayout(rows.length, body);
  const sel = clampIndex(p.selected, order.length);
  const selected = order[sel]!;
  if (layout.detail > 0) lines.push(...detailBlock(selected, c, layout.chart));

  const cols = listColumns(width);
  const top = capacityScrollFor(rows, lineOf, sel, layout.list, p.scroll);
  for (const r of rows.slice(top, top + layout.list)) {
    if (r.kind === 'heading') lines.push(line(width, ` ${r.text}`, 'header', true));
    else lines.push(seriesLine(r.series, r.index === sel, cols, c));
  }
  return pad();
}

function capacityScrollFor(rows: ListRow[], lineOf: number[], sel: number, list: number, prev: number): number {
  const line = lineOf[sel] ?? 0;
  let top = visibleWindow(rows.length, line, list, Math.max(0, Math.floor(prev) || 0));
  if (top === line && line > 0 && rows[line - 1]?.kind === 'heading' && list >= 2) top = line - 1;
  return top;
}

/** The view as plain text (no colour): for tests, the benchmark and `opsdeck capacity`-style output. */
export function renderCapacityText(data: CapacityData | null, width: number, height: number, ascii: boolean, opts: Partial<CapacityViewProps> = {}): string {
  return capacityLines({ data, selected: 0, scroll: 0, width, height, ascii, ...opts })
    .map((l) => l.map((s) => s.text).join(''))
    .join('\n');
}

function toneColour(t: Theme, tone: Tone | undefined): string | undefined {
  switch (tone) {
    case 'ok': return t.ok;
    case 'warn': return t.warn;
    case 'crit': return t.crit;
    case 'dim': return t.dim;
    case 'accent': return t.accent;
    case 'header': return t.header;
    default: return undefined;
  }
}

interface Run { text: string; color?: string; bold?: boolean; inverse?: boolean }

/** Adjacent segments that look the same become one Text: Ink's cost grows with the runs it styles. */
function runs(line: CapacityLine, t: Theme): Run[] {
  const out: Run[] = [];
  for (const s of line) {
    const color = toneColour(t, s.tone);
    const bold = s.bold || undefined;
    const inverse = s.inverse || undefined;
    const last = out[out.length - 1];
    if (last && last.color === color && last.bold === bold && last.inverse === inverse) last.text += s.text;
    else out.push({ text: s.text, color, bold, inverse });
  }
  return out;
}

/** The Capacity view: pure drawing of what loadCapacity() returned. */
export function CapacityView(props: CapacityViewProps) {
  const t = useTheme();
  const lines = capacityLines(props);
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {runs(l, t).map((r, j) => <Text key={j} color={r.color} bold={r.bold} inverse={r.inverse}>{r.text}</Text>)}
        </Text>
      ))}
    </Box>
  );
}

function clampIndex(i: number, n: number): number {
  if (n === 0) return 0;
  const k = Number.isFinite(i) ? Math.floor(i) : 0;
  return Math.min(n - 1, Math.max(0, k));
}
