/**
 * Log filters as an operator types them (`timeout`, `/time(out)?/i`), matching, highlight ranges,
 * and an incremental index of the buffer's lines that pass a predicate.
 */
import type { LogBuffer } from './logBuffer.js';
import type { Level, LogLine } from './types.js';

export type LogFilter =
  | { kind: 'none' }
  | { kind: 'text'; text: string; invert: boolean; caseSensitive: boolean }
  | { kind: 'regex'; re: RegExp; source: string; invert: boolean };

const NONE: LogFilter = { kind: 'none' };
const REGEX_INPUT = /^\/(.+)\/(i?)$/s;

/**
 * `/re/` or `/re/i` → regex (invalid → an error message and no filter); anything else → a
 * substring, smart-case (case-insensitive unless it has an upper-case letter). `""` → no filter.
 */
export function parseFilter(input: string, invert: boolean): { filter: LogFilter; error?: string } {
  if (input === '') return { filter: NONE };
  const m = REGEX_INPUT.exec(input);
  if (m) {
    const source = m[1]!;
    try {
      return { filter: { kind: 'regex', re: new RegExp(source, m[2]), source, invert } };
    } catch (err) {
      const why = (err as Error).message.replace(/^Invalid regular expression: /, '').replace(/^\/.*\/[a-z]*: /s, '');
      return { filter: NONE, error: `invalid regex /${source}/: ${why}` };
    }
  }
  return { filter: { kind: 'text', text: input, invert, caseSensitive: input !== input.toLowerCase() } };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Global regexes for matching and ranges, one per filter (the filter objects are immutable). */
const compiled = new WeakMap<LogFilter, RegExp>();
function globalRe(f: LogFilter & { kind: 'text' | 'regex' }): RegExp {
  let re = compiled.get(f);
  if (!re) {
    re = f.kind === 'regex'
      ? new RegExp(f.re.source, f.re.flags.includes('g') ? f.re.flags : `${f.re.flags}g`)
      : new RegExp(escapeRe(f.text), f.caseSensitive ? 'g' : 'gi');
    compiled.set(f, re);
  }
  return re;
}

function rawMatch(f: LogFilter & { kind: 'text' | 'regex' }, text: string): boolean {
  if (f.kind === 'text' && f.caseSensitive) return text.includes(f.text);
  const re = globalRe(f);
  re.lastIndex = 0;
  return re.test(text);
}

/** Whether a line's text passes the filter (an inverted filter passes what does not match). */
export function lineMatches(f: LogFilter, text: string): boolean {
  if (f.kind === 'none') return true;
  return rawMatch(f, text) !== f.invert;
}

const MAX_RANGES = 64;

/** [start, end) ranges of `text` to highlight: none for no filter or an inverted one; at most 64. */
export function matchRanges(f: LogFilter, text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  if (f.kind === 'none' || f.invert || !text) return ranges;
  if (f.kind === 'text' && f.caseSensitive) {
    const n = f.text.length;
    for (let i = text.indexOf(f.text); i !== -1 && ranges.length < MAX_RANGES; i = text.indexOf(f.text, i + n)) ranges.push([i, i + n]);
    return ranges;
  }
  const re = globalRe(f);
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (ranges.length < MAX_RANGES && (m = re.exec(text)) !== null) {
    const len = m[0].length;
    if (len === 0) {
      // Zero-length match (/x*/, /^/): nothing to show; step past it so the loop ends.
      re.lastIndex = m.index + 1;
      if (re.lastIndex > text.length) break;
      continue;
    }
    ranges.push([m.index, m.index + len]);
  }
  return ranges;
}

/** How the filter reads in a header: `"timeout"`, `/time(out)?/i`, `not "x"`. */
export function describeFilter(f: LogFilter): string {
  if (f.kind === 'none') return 'none';
  const what = f.kind === 'text' ? JSON.stringify(f.text) : `/${f.source}/${f.re.flags.replace('g', '')}`;
  return f.invert ? `not ${what}` : what;
}

const LEVEL_RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a line's level is at least `min` (debug < info < warn < error); no level never is. */
export function levelAtLeast(level: Level | null, min: Level): boolean {
  return level !== null && LEVEL_RANK[level] >= LEVEL_RANK[min];
}

/**
 * The seqs of a LogBuffer's lines that pass a predicate, kept up to date incrementally: sync()
 * tests only lines appended since the last sync and forgets evicted ones. With no predicate it
 * holds nothing and maps indexes to seqs directly. Reads reflect the buffer as of the last
 * sync() or setPredicate().
 */
export class FilteredIndex {
  private pred: ((line: LogLine) => boolean) | null = null;
  // Matching seqs in [head, head + len) of a growable array (doubles beyond 2^31 seqs are fine).
  private seqs = new Float64Array(256);
  private head = 0;
  private len = 0;
  /** Last buffer seq tested. */
  private synced = 0;
  /** With no predicate: the buffer's range at the last sync. */
  private first = 1;
  private last = 0;

  constructor(private readonly buffer: LogBuffer) {
    this.sync();
  }

  /** null = every line. Rescans the buffer. */
  setPredicate(p: ((line: LogLine) => boolean) | null): void {
    this.pred = p;
    this.head = 0;
    this.len = 0;
    this.synced = this.buffer.firstSeq - 1;
    if (!p) this.seqs = new Float64Array(256);
    this.sync();
  }

  /** Catches up with the buffer: tests lines appended since the last sync, forgets evicted ones. */
  sync(): void {
    const buf = this.buffer;
    const first = buf.firstSeq;
    const last = buf.lastSeq;
    this.first = first;
    this.last = last;
    const pred = this.pred;
    if (!pred) {
      this.synced = last;
      return;
    }
    // Forget evicted lines (seqs are increasing, so they are at the front).
    const seqs = this.seqs;
    while (this.len > 0 && seqs[this.head]! < first) {
      this.head++;
      this.len--;
    }
    if (this.len === 0) this.head = 0;
    for (let seq = Math.max(this.synced + 1, first); seq <= last; seq++) {
      const line = buf.bySeq(seq);
      if (line && pred(line)) this.add(seq);
    }
    this.synced = last;
  }

  get count(): number {
    return this.pred ? this.len : this.last - this.first + 1;
  }

  /** The seq of entry i, i in [0, count). */
  seqAt(i: number): number {
    if (!this.pred) return this.first + i;
    return i >= 0 && i < this.len ? this.seqs[this.head + i]! : NaN;
  }

  /** Index of the last entry with seq <= `seq`, -1 if none. */
  indexAtOrBefore(seq: number): number {
    if (!this.pred) {
      if (seq < this.first) return -1;
      return Math.min(seq, this.last) - this.first;
    }
    const seqs = this.seqs;
    let lo = 0;
    let hi = this.len - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[this.head + mid]! <= seq) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The next entry index after i whose line satisfies `want`, or -1. */
  findNext(i: number, want: (l: LogLine) => boolean): number {
    const n = this.count;
    for (let j = Math.max(-1, i) + 1; j < n; j++) {
      const line = this.buffer.bySeq(this.seqAt(j));
      if (line && want(line)) return j;
    }
    return -1;
  }

  /** The previous entry index before i whose line satisfies `want`, or -1. */
  findPrev(i: number, want: (l: LogLine) => boolean): number {
    for (let j = Math.min(i, this.count) - 1; j >= 0; j--) {
      const line = this.buffer.bySeq(this.seqAt(j));
      if (line && want(line)) return j;
    }
    return -1;
  }

  private add(seq: number): void {
    let seqs = this.seqs;
    if (this.head + this.len === seqs.length) {
      if (this.head > 0 && this.len <= seqs.length / 2) {
        // Enough room freed at the front by evictions: slide down instead of growing.
        seqs.copyWithin(0, this.head, this.head + this.len);
      } else {
        const grown = new Float64Array(seqs.length * 2);
        grown.set(seqs.subarray(this.head, this.head + this.len));
        this.seqs = seqs = grown;
      }
      this.head = 0;
    }
    seqs[this.head + this.len++] = seq;
  }
}
