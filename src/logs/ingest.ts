/**
 * Bytes from Docker's `GET /containers/{id}/logs` (requested with `timestamps=1`) to LogLines:
 * demultiplexes frames (or reads the raw stream of a TTY container), strips and parses the
 * timestamps, joins Docker's 16 KiB partial messages, splits on newlines, caps long lines, decodes
 * UTF-8, sanitises, detects levels and marks stack-trace continuation lines.
 *
 * Hot path: a typical chunk holds hundreds of whole frames; each line costs one Buffer.indexOf, one
 * UTF-8 decode straight from the chunk, a timestamp parse without strings (the date-hour-minute part
 * is cached), safeText's fast test and one or two level regexes. No per-line Buffer.concat, no
 * per-byte loop. Memory is bounded: at most maxLineChars bytes of a pending line are kept per stream.
 */
import { safeText } from '../sanitize.js';
import { detectLevel, isChainTail, isContinuation } from './level.js';
import type { Level, LogLine, LogStreamName } from './types.js';

export interface IngestOptions {
  /** Goes to LogLine.source. */
  source: string;
  /** Goes to LogLine.sourceId. */
  sourceId: string;
  /** Raw stream (TTY container) instead of multiplexed frames. */
  tty: boolean;
  /** Each message starts with Docker's RFC3339Nano timestamp and a space; default true. */
  timestamps?: boolean;
  /** Display cap in bytes of UTF-8 kept per line, default 8192; the rest is counted in `truncated`. */
  maxLineChars?: number;
}

/** Longest timestamp accepted, with its space: `2026-11-23T14:41:33.123456789+01:00 `. */
const TS_MAX = 40;
const NL = 10;
const CR = 13;
const SPACE = 32;

// --- timestamps -------------------------------------------------------------------------------

/** Date-hour-minute cache: log lines come in time order, so this almost always hits. */
let minuteKey = -1;
let minuteMs = 0;

function minuteStart(y: number, mo: number, d: number, h: number, mi: number): number {
  const key = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
  if (key === minuteKey) return minuteMs;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return NaN;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (y < 100) date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  if (date.getUTCDate() !== d) return NaN; // 2026-02-31
  minuteKey = key;
  minuteMs = date.getTime();
  return minuteMs;
}

/** Two ASCII digits at b[i], b[i+1] as a number, or -1. */
function d2(b: Uint8Array, i: number): number {
  const x = b[i]! - 48;
  const y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` occupying exactly b[s, e) (no space). Returns
 * epoch ms with the fraction (nanoseconds kept as far as a double allows), NaN if it is not one.
 */
function parseTs(b: Uint8Array, s: number, e: number): number {
  if (e - s < 20 || e > b.length) return NaN;
  const y1 = d2(b, s);
  const y2 = d2(b, s + 2);
  const mo = d2(b, s + 5);
  const d = d2(b, s + 8);
  const h = d2(b, s + 11);
  const mi = d2(b, s + 14);
  const sec = d2(b, s + 17);
  if ((y1 | y2 | mo | d | h | mi | sec) < 0 || b[s + 4] !== 45 || b[s + 7] !== 45 || (b[s + 10] !== 84 && b[s + 10] !== 116)
    || b[s + 13] !== 58 || b[s + 16] !== 58 || sec > 60) return NaN;
  let i = s + 19;
  let frac = 0;
  if (b[i] === 46 /* . */) {
    i++;
    let digits = 0;
    for (; i < e; i++) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) break;
      if (digits < 9) { frac = frac * 10 + c; digits++; }
    }
    if (digits === 0) return NaN;
    for (; digits < 9; digits++) frac *= 10;
  }
  let offsetMs = 0;
  const z = b[i];
  if (z === 90 || z === 122) { // Z z
    i++;
  } else if (z === 43 || z === 45) { // + -
    const oh = d2(b, i + 1);
    const colon = b[i + 3] === 58 ? 1 : 0;
    const om = d2(b, i + 3 + colon);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return NaN;
    offsetMs = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
    i += 5 + colon;
  } else {
    return NaN;
  }
  if (i !== e) return NaN;
  const base = minuteStart(y1 * 100 + y2, mo, d, h, mi);
  return base - offsetMs + sec * 1000 + frac / 1e6;
}

/** Docker's RFC3339Nano timestamp as epoch ms with a fraction; NaN if `s` is not one. */
export function parseDockerTimestamp(s: string): number {
  if (s.length < 20 || s.length >= TS_MAX) return NaN;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return NaN;
  return parseTs(Buffer.from(s, 'latin1'), 0, s.length);
}

/**
 * A Docker API `since`/`until` value for an epoch-ms time: seconds with microseconds,
 * `1700000000.123456`. Rounded down to the microsecond, so a stream resumed from a line's stamp
 * repeats that line rather than skip anything; a double holds today's epoch ms only to ~0.24 µs,
 * so a value within 1/8 µs below a whole microsecond counts as that microsecond (a nanosecond stamp
 * at .123456999 gives .123457). Non-finite or not positive: `'0'`.
 */
export function formatSince(tsMs: number): string {
  if (!Number.isFinite(tsMs) || tsMs <= 0) return '0';
  const sec = Math.floor(tsMs / 1000);
  let us = Math.floor((tsMs - sec * 1000) * 1000 + 0.125);
  let s = sec;
  if (us >= 1_000_000) { s += 1; us -= 1_000_000; }
  return `${s}.${String(us).padStart(6, '0')}`;
}

// --- UTF-8 ------------------------------------------------------------------------------------

/** The end of b[s, e) without a trailing incomplete UTF-8 sequence (for lines cut at the cap). */
function utf8Boundary(b: Uint8Array, s: number, e: number): number {
  let k = e - 1;
  while (k >= s && e - k < 4 && (b[k]! & 0xc0) === 0x80) k--;
  if (k < s) return e;
  const lead = b[k]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return e - k < need ? k : e;
}

// Buffer#utf8Slice skips toString's argument handling; present on every Node Buffer.
type Sliceable = Buffer & { utf8Slice(start: number, end: number): string };
const decode = (b: Buffer, s: number, e: number): string => (b as Sliceable).utf8Slice(s, e);

// --- per-stream state -------------------------------------------------------------------------

class StreamState {
  /** The next bytes of this stream begin a message, which begins with a timestamp. */
  tsWant: boolean;
  /** A timestamp split across chunks or frames, collected here (at most TS_MAX bytes). */
  tsBuf: Buffer | null = null;
  tsLen = 0;
  /** Timestamp of the current message; of the first message of the pending line. */
  msgTs = NaN;
  lineTs = NaN;
  /** A line is under way (bytes of it arrived, no newline yet). */
  open = false;
  /** Its first bytes (at most the cap) and the count of bytes beyond. */
  pend: Buffer | null = null;
  pendLen = 0;
  cut = 0;
  /** Last byte appended to the pending line (to drop a final \r). */
  last = 0;
  /** Level of the trace under way (error/warn head or continuation just seen), else null. */
  chain: Level | null = null;

  constructor(readonly name: LogStreamName, timestamps: boolean) {
    this.tsWant = timestamps;
  }
}

export class LogIngest {
  private readonly source: string;
  private readonly sourceId: string;
  private readonly timestamps: boolean;
  private readonly cap: number;
  private raw: boolean;
  private readonly stdout: StreamState;
  private readonly stderr: StreamState;
  // Frame state: a header split across chunks, the payload bytes left, the stream it belongs to.
  private readonly hdr = Buffer.alloc(8);
  private hdrLen = 0;
  private left = 0;
  private cur: StreamState;
  // Memo of the last newline search in the current chunk (frames end before newlines they share a chunk with).
  private nlBuf: Buffer | null = null;
  private nlFrom = 0;
  private nlAt = -1;
  private _lastTs = NaN;

  constructor(opts: IngestOptions) {
    this.source = opts.source;
    this.sourceId = opts.sourceId;
    this.raw = opts.tty;
    this.timestamps = opts.timestamps ?? true;
    this.cap = Math.max(1, Math.floor(opts.maxLineChars ?? 8192));
    this.stdout = new StreamState('stdout', this.timestamps);
    this.stderr = new StreamState('stderr', this.timestamps);
    this.cur = this.stdout;
  }

  /** Timestamp (ms, fractional) of the last line emitted that had one; NaN if none. */
  get lastTs(): number {
    return this._lastTs;
  }

  /** Parses a chunk; complete lines are appended to `out`. Never throws on garbage. */
  push(chunk: Buffer, out: LogLine[]): void {
    if (this.raw) this.data(this.stdout, chunk, 0, chunk.length, out);
    else this.demux(chunk, out);
    this.nlBuf = null;
  }

  /** The stream ended: a pending partial line (no final \n) is emitted. */
  end(out: LogLine[]): void {
    this.left = 0;
    this.hdrLen = 0;
    for (const st of [this.stdout, this.stderr]) {
      this.endMessage(st);
      if (st.open) this.flushPending(st, out);
      st.tsWant = this.timestamps;
    }
  }

  private demux(b: Buffer, out: LogLine[]): void {
    const n = b.length;
    let i = 0;
    while (i < n) {
      if (this.left > 0) {
        const e = Math.min(n, i + this.left);
        this.data(this.cur, b, i, e, out);
        this.left -= e - i;
        i = e;
        if (this.left === 0) this.endMessage(this.cur);
        continue;
      }
      let type: number;
      let len: number;
      if (this.hdrLen === 0 && n - i >= 8) {
        type = b[i]!;
        if (type > 2 || (b[i + 1]! | b[i + 2]! | b[i + 3]!) !== 0) { this.toRaw(b, i, out); return; }
        len = b.readUInt32BE(i + 4);
        i += 8;
      } else {
        const take = Math.min(8 - this.hdrLen, n - i);
        b.copy(this.hdr, this.hdrLen, i, i + take);
        this.hdrLen += take;
        i += take;
        if (this.hdrLen < 8) return;
        const h = this.hdr;
        type = h[0]!;
        if (type > 2 || (h[1]! | h[2]! | h[3]!) !== 0) {
          // Not a Docker frame header: the stream is not multiplexed after all (or misaligned).
          // Show the bytes as raw stdout from here on, as docker-modem does.
          this.hdrLen = 0;
          this.raw = true;
          this.data(this.stdout, Buffer.from(h), 0, 8, out);
          this.data(this.stdout, b, i, n, out);
          return;
        }
        len = h.readUInt32BE(4);
        this.hdrLen = 0;
      }
      const st = type === 2 ? this.stderr : this.stdout; // 0 (stdin) shows as stdout
      this.cur = st;
      st.tsWant = this.timestamps;
      if (!this.timestamps) st.msgTs = NaN;
      this.left = len;
      if (len === 0) this.endMessage(st);
    }
  }

  private toRaw(b: Buffer, i: number, out: LogLine[]): void {
    this.raw = true;
    this.data(this.stdout, b, i, b.length, out);
  }

  /** End of a message (frame): the next one of this stream starts with its own timestamp. */
  private endMessage(st: StreamState): void {
    if (st.tsLen > 0) this.tsIsText(st);
    st.tsWant = this.timestamps;
  }

  /** Bytes b[s, e) of one stream's message(s). */
  private data(st: StreamState, b: Buffer, s: number, e: number, out: LogLine[]): void {
    while (s < e) {
      if (st.tsWant) {
        s = this.takeTs(st, b, s, e);
        continue;
      }
      let p: number;
      if (b === this.nlBuf && s >= this.nlFrom && (this.nlAt === -1 || s <= this.nlAt)) {
        p = this.nlAt;
      } else {
        p = b.indexOf(NL, s);
        this.nlBuf = b;
        this.nlFrom = s;
        this.nlAt = p;
      }
      if (p === -1 || p >= e) {
        this.append(st, b, s, e);
        return;
      }
      if (st.open) {
        this.append(st, b, s, p);
        this.flushPending(st, out);
      } else {
        // Whole line in the chunk: decode straight from it.
        let end = p;
        if (end > s && b[end - 1] === CR) end--;
        let truncated = 0;
        if (end - s > this.cap) {
          const kept = utf8Boundary(b, s, s + this.cap);
          truncated = end - kept;
          end = kept;
        }
        this.emit(st, end > s ? decode(b, s, end) : '', st.msgTs, truncated, out);
      }
      s = p + 1;
      // Raw stream: each line is a message with its own timestamp. Frames: later lines of the
      // same message share its timestamp.
      if (this.raw) st.tsWant = this.timestamps;
    }
  }

  /** At a message start: strips and parses the timestamp; returns where the text begins. */
  private takeTs(st: StreamState, b: Buffer, s: number, e: number): number {
    if (st.tsLen === 0) {
      // Docker's fixed-width form first: 2026-11-23T14:41:33.123456789Z and a space.
      if (s + 30 < e && b[s + 30] === SPACE) {
        const t = parseTs(b, s, s + 30);
        if (t === t) {
          st.tsWant = false;
          st.msgTs = t;
          return s + 31;
        }
      }
      let sp = -1;
      {
        const lim = Math.min(e, s + TS_MAX);
        let k = s;
        for (; k < lim; k++) {
          const c = b[k];
          if (c === SPACE) { sp = k; break; }
          if (c === NL) break;
        }
        if (sp === -1 && k === e && e - s < TS_MAX) {
          // Might be a timestamp continued in the next chunk or frame.
          st.tsBuf ??= Buffer.alloc(TS_MAX);
          b.copy(st.tsBuf, 0, s, e);
          st.tsLen = e - s;
          return e;
        }
      }
      st.tsWant = false;
      const t = sp === -1 ? NaN : parseTs(b, s, sp);
      if (t === t) {
        st.msgTs = t;
        return sp + 1;
      }
      st.msgTs = NaN; // no timestamp: the text starts here
      return s;
    }
    // Continuing a split timestamp.
    const tb = st.tsBuf!;
    const lim = Math.min(e, s + TS_MAX - st.tsLen);
    for (let k = s; k < lim; k++) {
      const c = b[k];
      if (c === SPACE) {
        b.copy(tb, st.tsLen, s, k);
        const t = parseTs(tb, 0, st.tsLen + (k - s));
        if (t === t) {
          st.tsLen = 0;
          st.tsWant = false;
          st.msgTs = t;
          return k + 1;
        }
        this.tsIsText(st);
        return s;
      }
      if (c === NL) { this.tsIsText(st); return s; }
    }
    if (lim === e && st.tsLen + (e - s) < TS_MAX) {
      b.copy(tb, st.tsLen, s, e);
      st.tsLen += e - s;
      return e;
    }
    this.tsIsText(st);
    return s;
  }

  /** What looked like the start of a timestamp was not one: it is the beginning of the text. */
  private tsIsText(st: StreamState): void {
    const n = st.tsLen;
    st.tsLen = 0;
    st.tsWant = false;
    st.msgTs = NaN;
    this.append(st, st.tsBuf!, 0, n);
  }

  /** Adds b[s, e) to the stream's pending line, keeping at most `cap` bytes and counting the rest. */
  private append(st: StreamState, b: Buffer, s: number, e: number): void {
    if (!st.open) {
      st.open = true;
      st.lineTs = st.msgTs;
    }
    const len = e - s;
    if (len <= 0) return;
    st.last = b[e - 1]!;
    const room = this.cap - st.pendLen;
    if (room <= 0) {
      st.cut += len;
      return;
    }
    const take = Math.min(room, len);
    const need = st.pendLen + take;
    if (!st.pend || st.pend.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(this.cap, Math.max(need, 1024, (st.pend?.length ?? 0) * 2)));
      if (st.pend) st.pend.copy(grown, 0, 0, st.pendLen);
      st.pend = grown;
    }
    b.copy(st.pend, st.pendLen, s, s + take);
    st.pendLen += take;
    st.cut += len - take;
  }

  /** The pending line is complete (newline, or end of stream). */
  private flushPending(st: StreamState, out: LogLine[]): void {
    let len = st.pendLen;
    let cut = st.cut;
    if (st.last === CR) {
      if (cut > 0) cut--;
      else len--;
    }
    let text = '';
    if (len > 0) {
      const pend = st.pend!;
      if (cut > 0) {
        const kept = utf8Boundary(pend, 0, len);
        cut += len - kept;
        len = kept;
      }
      text = decode(pend, 0, len);
    }
    const ts = st.lineTs;
    st.open = false;
    st.pendLen = 0;
    st.cut = 0;
    st.last = 0;
    st.lineTs = NaN;
    this.emit(st, text, ts, cut, out);
  }

  private emit(st: StreamState, raw: string, ts: number, truncated: number, out: LogLine[]): void {
    let text = safeText(raw);
    if (text.length > this.cap) {
      // Tabs expanded past the cap.
      let end = this.cap;
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) end--;
      truncated += Buffer.byteLength(text.slice(end));
      text = text.slice(0, end);
    }
    let level: Level | null;
    let cont = false;
    const chain = st.chain;
    if (chain !== null && (isContinuation(text) || isChainTail(text))) {
      level = chain;
      cont = true;
    } else {
      level = detectLevel(text);
      st.chain = level === 'error' || level === 'warn' ? level : null;
    }
    out.push({ seq: 0, ts, source: this.source, sourceId: this.sourceId, stream: st.name, text, level, cont, truncated, bytes: text.length * 2 + 96 });
    if (ts === ts) this._lastTs = ts;
  }
}
