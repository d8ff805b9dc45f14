// Pure presentation helpers (lazydocker's pkg/gui/presentation): numbers in, short strings out.
// Missing values (null, undefined, NaN) render as an en dash everywhere, so a table cell never says "NaN".
import stringWidth from 'string-width';

export const MISSING = '–';

const IEC_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * IEC sizes with about three significant digits: `0 B`, `512 B`, `1.5 KiB`, `9.9 MiB`, `12 MiB`, `1.2 GiB`.
 * Below 10 one decimal is kept (`1.0 KiB`), from 10 up the value is a whole number; a value that
 * rounds to 1024 moves to the next unit.
 */
export function formatBytes(n: number | null | undefined): string {
  if (!isNum(n)) return MISSING;
  if (n < 0) return `-${formatBytes(-n)}`;
  let unit = 0;
  let v = n;
  while (v >= 1024 && unit < IEC_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  let text = unit === 0 || v >= 10 ? String(Math.round(v)) : v.toFixed(1);
  if (text === '10.0') text = '10';
  if (Number(text) >= 1024 && unit < IEC_UNITS.length - 1) {
    unit++;
    text = '1.0';
  }
  return `${text} ${IEC_UNITS[unit]}`;
}

/** Bytes per second: `1.2 MiB/s`. */
export function formatRate(bytesPerSec: number | null | undefined): string {
  return isNum(bytesPerSec) ? `${formatBytes(bytesPerSec)}/s` : MISSING;
}

/** `7.3%` (one decimal unless told otherwise); null → `–`. */
export function formatPercent(p: number | null | undefined, digits = 1): string {
  return isNum(p) ? `${p.toFixed(digits)}%` : MISSING;
}

/**
 * Compact duration, two units at most, rounded down: `45s`, `3m`, `2h5m`, `2h`, `3d4h`, `1y35d`.
 * Minutes drop the seconds, because at that scale they are noise in a table. Negative → `0s`.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (!isNum(ms)) return MISSING;
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return two(h, 'h', m % 60, 'm');
  const d = Math.floor(h / 24);
  if (d < 365) return two(d, 'd', h % 24, 'h');
  return two(Math.floor(d / 365), 'y', d % 365, 'd');
}

function two(a: number, ua: string, b: number, ub: string): string {
  return b > 0 ? `${a}${ua}${b}${ub}` : `${a}${ua}`;
}

/** `3m ago`; under a second (either way, clocks skew) `just now`; future times `in 3m`. */
export function formatAge(fromMs: number | null | undefined, nowMs: number = Date.now()): string {
  if (!isNum(fromMs) || !isNum(nowMs)) return MISSING;
  const diff = nowMs - fromMs;
  if (Math.abs(diff) < 1000) return 'just now';
  return diff > 0 ? `${formatDuration(diff)} ago` : `in ${formatDuration(-diff)}`;
}

/**
 * How long something has run, from an ISO timestamp (Docker's `State.StartedAt`). Docker's zero time
 * (`0001-01-01T00:00:00Z`, never started) and unparsable input give `–`.
 */
export function formatUptime(startedAt: string | null | undefined, nowMs: number = Date.now()): string {
  if (!startedAt) return MISSING;
  const started = Date.parse(startedAt);
  if (!Number.isFinite(started) || started <= 0) return MISSING;
  return formatDuration(nowMs - started);
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Display width in terminal cells (wide CJK and emoji count 2; ANSI escapes count 0). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/**
 * Cut `text` to at most `width` cells, ending in `…` when something was cut. Works on grapheme
 * clusters, so an emoji or a wide character is never split; when a wide character does not fit,
 * the result is one cell short (padEnd/fit fill it). Expects plain text: sanitise escapes first.
 */
export function truncate(text: string, width: number): string {
  const w = Math.floor(width);
  if (w <= 0) return '';
  if (stringWidth(text) <= w) return text;
  if (w === 1) return '…';
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const sw = stringWidth(segment);
    if (used + sw > w - 1) break;
    out += segment;
    used += sw;
  }
  return `${out}…`;
}

/** Pad on the right to `width` display cells (never truncates). */
export function padEnd(text: string, width: number, fill = ' '): string {
  return text + fill.repeat(Math.max(0, Math.floor(width) - stringWidth(text)));
}

/** Pad on the left to `width` display cells (never truncates). */
export function padStart(text: string, width: number, fill = ' '): string {
  return fill.repeat(Math.max(0, Math.floor(width) - stringWidth(text))) + text;
}

/** Exactly `width` cells: truncated with `…` if too long, padded otherwise (`align` picks the side). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  return align === 'left' ? padEnd(cut, width) : padStart(cut, width);
}

export type Level = 'ok' | 'warn' | 'crit';

export interface Thresholds {
  warn: number;
  crit: number;
}

/**
 * Colour level of a value: `crit` at or past `crit`, `warn` at or past `warn`, else `ok`.
 * When crit < warn, lower is worse (free space, remaining days): the comparisons flip.
 * A missing value is `ok` — absence is shown by the `–`, not by colour.
 */
export function level(value: number | null | undefined, t: Thresholds): Level {
  if (!isNum(value)) return 'ok';
  const worse = t.crit >= t.warn ? (a: number, b: number) => a >= b : (a: number, b: number) => a <= b;
  if (worse(value, t.crit)) return 'crit';
  if (worse(value, t.warn)) return 'warn';
  return 'ok';
}

// Index i = i eighths of a cell.
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;

/**
 * A horizontal bar of exactly `width` cells for 0–100 (clamped). Unicode: full blocks plus one
 * partial block in 1/8 steps, the rest spaces. ASCII (`{ ascii: true }`): `#` filled, `.` empty,
 * rounded to whole cells. A missing value draws an empty bar.
 */
export function bar(percent: number | null | undefined, width: number, opts: { ascii?: boolean } = {}): string {
  const w = Math.max(0, Math.floor(width));
  const p = isNum(percent) ? Math.min(100, Math.max(0, percent)) : 0;
  if (opts.ascii) {
    const filled = Math.round((p / 100) * w);
    return '#'.repeat(filled) + '.'.repeat(w - filled);
  }
  const eighths = Math.round((p / 100) * w * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8] ?? '';
  const drawn = full + (part === '' ? 0 : 1);
  return '█'.repeat(full) + part + ' '.repeat(w - drawn);
}

/** Durations of actions: "840 ms" below a second, else as formatDuration. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Splits `text` into pieces of at most `width` cells (for wrapped log lines). Printable ASCII is cut
 * by length; anything else by grapheme, so a wide character or an emoji is never split.
 */
export function wrapCells(text: string, width: number): string[] {
  const w = Math.max(1, Math.floor(width));
  if (text.length === 0) return [''];
  if (PRINTABLE_ASCII.test(text)) {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += w) out.push(text.slice(i, i + w));
    return out;
  }
  const out: string[] = [];
  let cur = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const sw = stringWidth(segment);
    if (used + sw > w && cur) { out.push(cur); cur = ''; used = 0; }
    cur += segment;
    used += sw;
  }
  out.push(cur);
  return out;
}

/** `truncate` with a fast path for printable ASCII, for long lines drawn many times a second. */
export function clip(text: string, width: number): string {
  const w = Math.floor(width);
  if (w <= 0) return '';
  if (PRINTABLE_ASCII.test(text)) return text.length <= w ? text : `${text.slice(0, w - 1)}…`;
  return truncate(text, w);
}
