/**
 * The Logs view's state and layout as pure functions: which lines are on screen, how they wrap, where
 * a jump lands. The React component only draws what these return.
 */
import type { FilteredIndex, LogFilter } from '../src/logs/filter.js';
import { matchRanges } from '../src/logs/filter.js';
import type { LogBuffer } from '../src/logs/logBuffer.js';
import type { Level, LogLine } from '../src/logs/types.js';
import { clip, displayWidth, padEnd, wrapCells } from '../src/format.js';

export interface LogViewState {
  /** Stick to the newest line. */
  follow: boolean;
  /** While paused: the seq of the line drawn at the bottom. */
  bottomSeq: number;
  /** buffer.lastSeq when the operator paused: what arrived since is "new". */
  pausedAtSeq: number;
  /** The line a jump (e/E/w/W) landed on; drawn with a marker. */
  markSeq: number | null;
  filterText: string;
  invert: boolean;
  showTs: boolean;
  wrap: boolean;
  pretty: boolean;
}

export const initialLogView = (): LogViewState => ({
  follow: true, bottomSeq: 0, pausedAtSeq: 0, markSeq: null, filterText: '', invert: false, showTs: false, wrap: false, pretty: false,
});

export type LogCommand =
  | 'logFollow' | 'logDown' | 'logUp' | 'logPageDown' | 'logPageUp' | 'logTop' | 'logBottom'
  | 'logInvert' | 'logNextError' | 'logPrevError' | 'logNextWarn' | 'logPrevWarn'
  | 'logTimestamps' | 'logWrap' | 'logPretty';

export interface LogContext {
  buffer: LogBuffer;
  index: FilteredIndex;
  /** Rows available for lines. */
  rows: number;
}

const isHead = (level: Level) => (l: LogLine) => l.level === level && !l.cont && l.stream !== 'note';

/** The index (into the filtered list) of the line at the bottom of the view. */
export function bottomIndex(s: LogViewState, ctx: LogContext): number {
  const n = ctx.index.count;
  if (n === 0) return -1;
  if (s.follow) return n - 1;
  const i = ctx.index.indexAtOrBefore(s.bottomSeq);
  // The anchor was dropped from the buffer: stay at the oldest line still held.
  return i < 0 ? Math.min(n - 1, Math.max(0, ctx.rows - 1)) : i;
}

function pausedAt(s: LogViewState, ctx: LogContext, index: number): LogViewState {
  const n = ctx.index.count;
  if (n === 0) return s;
  // Never above the first full page: the view stays filled.
  const i = Math.max(Math.min(n - 1, ctx.rows - 1), Math.min(n - 1, index));
  return { ...s, follow: false, bottomSeq: ctx.index.seqAt(i), pausedAtSeq: s.follow ? ctx.buffer.lastSeq : s.pausedAtSeq };
}

function jump(s: LogViewState, ctx: LogContext, dir: 1 | -1, level: Level): { state: LogViewState; found: boolean } {
  const bottom = bottomIndex(s, ctx);
  if (bottom < 0) return { state: s, found: false };
  const mark = s.markSeq !== null ? ctx.index.indexAtOrBefore(s.markSeq) : -1;
  const markValid = mark >= 0 && ctx.index.seqAt(mark) === s.markSeq;
  // Without a mark, search from the edge of the screen the jump moves away from.
  const from = markValid ? mark : dir === 1 ? Math.max(-1, bottom - ctx.rows) : bottom + 1;
  const want = isHead(level);
  const at = dir === 1 ? ctx.index.findNext(from, want) : ctx.index.findPrev(from, want);
  if (at < 0) return { state: s, found: false };
  // The target sits in the middle of the screen, with what led up to it above and what followed below.
  const state = pausedAt(s, ctx, Math.min(ctx.index.count - 1, at + Math.floor(ctx.rows / 2)));
  return { state: { ...state, markSeq: ctx.index.seqAt(at) }, found: true };
}

/** Applies a key's command; `note` is set when something the operator asked for was not possible. */
export function applyLogCommand(s: LogViewState, cmd: LogCommand, ctx: LogContext): { state: LogViewState; note?: string } {
  const page = Math.max(1, ctx.rows - 1);
  const bottom = bottomIndex(s, ctx);
  switch (cmd) {
    case 'logFollow':
      return { state: s.follow ? pausedAt(s, ctx, bottom) : { ...s, follow: true, markSeq: null } };
    case 'logBottom': return { state: { ...s, follow: true, markSeq: null } };
    case 'logTop': return { state: pausedAt(s, ctx, page) };
    case 'logUp': return { state: pausedAt(s, ctx, bottom - 1) };
    case 'logDown': return { state: pausedAt(s, ctx, bottom + 1) };
    case 'logPageUp': return { state: pausedAt(s, ctx, bottom - page) };
    case 'logPageDown': return { state: pausedAt(s, ctx, bottom + page) };
    case 'logInvert': return { state: { ...s, invert: !s.invert } };
    case 'logTimestamps': return { state: { ...s, showTs: !s.showTs } };
    case 'logWrap': return { state: { ...s, wrap: !s.wrap } };
    case 'logPretty': return { state: { ...s, pretty: !s.pretty } };
    case 'logNextError': case 'logPrevError': case 'logNextWarn': case 'logPrevWarn': {
      const level: Level = cmd.endsWith('Error') ? 'error' : 'warn';
      const dir = cmd.startsWith('logNext') ? 1 : -1;
      const { state, found } = jump(s, ctx, dir, level);
      return found ? { state } : { state, note: `no ${dir === 1 ? 'later' : 'earlier'} ${level === 'error' ? 'error' : 'warning'} line${s.filterText ? ' matching the filter' : ''}` };
    }
  }
}

// --- layout --------------------------------------------------------------------------------------

export type SegStyle = 'prefix' | 'sep' | 'err-sep' | 'ts' | 'text' | 'match' | 'note' | 'marker' | 'more';

export interface Seg { text: string; style: SegStyle; level?: Level | null; source?: string }

export interface LogRow { key: string; segs: Seg[] }

export interface LayoutOptions {
  width: number;
  rows: number;
  /** Width of the source column (0: a single container, no prefix). */
  prefixWidth: number;
  showTs: boolean;
  wrap: boolean;
  pretty: boolean;
  filter: LogFilter;
  markSeq: number | null;
  ascii: boolean;
}

/** HH:MM:SS.mmm in UTC (Docker's clock): short, and comparable with other servers' logs. */
export function formatLogTime(ts: number): string {
  if (!Number.isFinite(ts)) return '            ';
  return `${new Date(ts).toISOString().slice(11, 23)}Z`;
}

function prettyJson(text: string): string[] | null {
  if (text.charCodeAt(0) !== 123 /* { */) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? JSON.stringify(v, null, 2).split('\n') : null;
  } catch {
    return null;
  }
}

function textSegs(text: string, line: LogLine, filter: LogFilter): Seg[] {
  if (line.stream === 'note') return [{ text, style: 'note' }];
  const ranges = matchRanges(filter, text);
  if (ranges.length === 0) return [{ text, style: 'text', level: line.level }];
  const segs: Seg[] = [];
  let at = 0;
  for (const [a, b] of ranges) {
    if (a > at) segs.push({ text: text.slice(at, a), style: 'text', level: line.level });
    segs.push({ text: text.slice(a, b), style: 'match', level: line.level });
    at = b;
  }
  if (at < text.length) segs.push({ text: text.slice(at), style: 'text', level: line.level });
  return segs;
}

/** The rows of one line: its prefix, then its text clipped, wrapped or pretty-printed. */
export function lineRows(line: LogLine, o: LayoutOptions): LogRow[] {
  const marker = line.seq === o.markSeq ? (o.ascii ? '>' : '▶') : ' ';
  const sep = line.stream === 'stderr' ? (o.ascii ? '!' : '┃') : (o.ascii ? '|' : '│');
  const ts = o.showTs ? `${formatLogTime(line.ts)} ` : '';
  const head: Seg[] = [{ text: marker, style: 'marker' }];
  if (o.prefixWidth > 0) head.push({ text: padEnd(clipLabel(line.source, o.prefixWidth), o.prefixWidth), style: 'prefix', source: line.source });
  if (o.prefixWidth > 0 || line.stream === 'stderr') head.push({ text: ` ${sep} `, style: line.stream === 'stderr' ? 'err-sep' : 'sep' });
  if (ts) head.push({ text: ts, style: 'ts' });
  const used = head.reduce((n, s) => n + displayWidth(s.text), 0);
  const room = Math.max(4, o.width - used);
  const blank: Seg = { text: ' '.repeat(used), style: 'sep' };
  const more = line.truncated > 0 ? ` [+${line.truncated} bytes cut]` : '';
  let pieces: string[];
  const pretty = o.pretty ? prettyJson(line.text) : null;
  if (pretty) pieces = o.wrap ? pretty.flatMap((p) => wrapCells(p, room)) : pretty.map((p) => clip(p, room));
  else if (o.wrap) pieces = wrapCells(line.text + more, room);
  else pieces = [clip(line.text + more, room)];
  return pieces.map((p, i) => ({ key: `${line.seq}:${i}`, segs: [...(i === 0 ? head : [blank]), ...textSegs(p, line, o.filter)] }));
}

/**
 * The rows on screen: lines from `bottom` upwards until `rows` rows are filled (a wrapped line may
 * show only its last rows at the top edge). Only visible lines are laid out.
 */
export function layoutRows(index: FilteredIndex, buffer: LogBuffer, bottom: number, o: LayoutOptions): LogRow[] {
  const out: LogRow[][] = [];
  let filled = 0;
  for (let i = bottom; i >= 0 && filled < o.rows; i--) {
    const line = buffer.bySeq(index.seqAt(i));
    if (!line) continue;
    const rows = lineRows(line, o);
    const keep = rows.length > o.rows - filled ? rows.slice(rows.length - (o.rows - filled)) : rows;
    out.push(keep);
    filled += keep.length;
  }
  return out.reverse().flat();
}

/**
 * A source label cut to the column: a Swarm task's slot (".3" of "web.3") is what tells merged
 * lines apart, so a long service name gives way in the middle and the slot stays.
 */
export function clipLabel(source: string, width: number): string {
  if (displayWidth(source) <= width) return source;
  const slot = /\.[^.]{1,12}$/.exec(source)?.[0];
  if (!slot || slot.length + 2 > width) return clip(source, width);
  return clip(source.slice(0, -slot.length), width - slot.length) + slot;
}

/** Width of the source column for a merged view: the longest service name, within reason. */
export function prefixWidthFor(sources: readonly string[]): number {
  if (sources.length <= 1) return 0;
  return Math.min(18, Math.max(...sources.map((s) => displayWidth(s))));
}

const SOURCE_COLOURS = ['cyan', 'magenta', 'blue', 'green', 'cyanBright', 'magentaBright', 'blueBright', 'greenBright'] as const;

/** A service keeps its colour across sessions and machines: it is a hash of its name. */
export function sourceColour(source: string): string {
  let h = 2166136261;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 16777619);
  return SOURCE_COLOURS[(h >>> 0) % SOURCE_COLOURS.length]!;
}
