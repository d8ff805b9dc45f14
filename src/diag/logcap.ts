/**
 * A log file with a size cap that keeps the *newest* lines: two segment files of half the cap each
 * take the lines in turn (when the current one is full, the older one is emptied and becomes the
 * current), so at most `cap` bytes are on disk and nothing but one batch is in memory, however much
 * the window holds. At the end the segments are joined (older first) behind a note line that says
 * what was dropped. Writes are synchronous (one write per batch): the log reader cannot be paused,
 * and a synchronous write is what keeps memory bounded when the disk is slower than Docker.
 */
import { closeSync, constants as fsConstants, createReadStream, createWriteStream, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { formatBytes } from '../format.js';

/** Default cap per log file: 10 MiB. */
export const DEFAULT_LOG_CAP = 10 * 1024 * 1024;
/** Smallest cap accepted (a line of the log reader is at most 16 KiB plus its prefix). */
export const MIN_LOG_CAP = 64 * 1024;
/** Room kept for the note line. */
const NOTE_ROOM = 512;

interface Segment {
  path: string;
  fd: number;
  bytes: number;
  lines: number;
  firstTs: number;
  lastTs: number;
}

export interface CutInfo {
  lines: number;
  bytes: number;
  /** Epoch ms of the first and last dropped line (NaN when unknown). */
  from: number;
  to: number;
}

export interface CappedLogResult {
  bytes: number;
  lines: number;
  cut: CutInfo | null;
}

export class CappedLog {
  private readonly segCap: number;
  private segs: [Segment, Segment];
  private cur = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private readonly dropped: CutInfo = { lines: 0, bytes: 0, from: NaN, to: NaN };
  private closed = false;

  constructor(readonly file: string, readonly cap: number) {
    const usable = Math.max(MIN_LOG_CAP, cap) - NOTE_ROOM;
    this.segCap = Math.floor(usable / 2);
    const open = (path: string): Segment => ({
      path,
      fd: openSync(path, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600),
      bytes: 0,
      lines: 0,
      firstTs: NaN,
      lastTs: NaN,
    });
    this.segs = [open(`${file}.seg0`), open(`${file}.seg1`)];
  }

  /** Adds one line (without its newline); `ts` is its time, for the note. */
  line(text: string, ts: number): void {
    if (this.closed) return;
    const data = `${text}\n`;
    const n = Buffer.byteLength(data);
    let seg = this.segs[this.cur]!;
    if (seg.bytes + this.pendingBytes + n > this.segCap && seg.bytes + this.pendingBytes > 0) {
      this.flush();
      // The other segment's lines are the oldest: they go.
      this.cur = 1 - this.cur;
      seg = this.segs[this.cur]!;
      if (seg.lines > 0) {
        this.dropped.lines += seg.lines;
        this.dropped.bytes += seg.bytes;
        if (!Number.isFinite(this.dropped.from)) this.dropped.from = seg.firstTs;
        this.dropped.to = seg.lastTs;
      }
      if (seg.bytes > 0) ftruncateSync(seg.fd, 0);
      seg.bytes = 0;
      seg.lines = 0;
      seg.firstTs = NaN;
      seg.lastTs = NaN;
    }
    if (seg.lines === 0 && this.pending.length === 0) seg.firstTs = ts;
    seg.lastTs = ts;
    this.pending.push(data);
    this.pendingBytes += n;
    if (this.pendingBytes >= 256 * 1024) this.flush();
  }

  /** Writes what is buffered (call after each batch). */
  flush(): void {
    if (this.pending.length === 0) return;
    const seg = this.segs[this.cur]!;
    const buf = Buffer.from(this.pending.join(''));
    let off = 0;
    while (off < buf.length) off += writeSync(seg.fd, buf, off, buf.length - off, seg.bytes + off);
    seg.bytes += buf.length;
    seg.lines += this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  get bytes(): number {
    return this.segs[0].bytes + this.segs[1].bytes + this.pendingBytes;
  }

  /**
   * Joins the segments into `file` (0600): the cut note first when lines were dropped, then the
   * kept lines oldest first, then `tail` lines (notes such as "reading stopped: …").
   */
  async finish(capLabel: string, tail: string[] = []): Promise<CappedLogResult> {
    this.flush();
    this.closed = true;
    const older = this.segs[1 - this.cur]!;
    const newer = this.segs[this.cur]!;
    for (const s of this.segs) closeSync(s.fd);
    const cut = this.dropped.lines > 0 ? { ...this.dropped } : null;
    const head = cut ? `${cutNote(cut, capLabel)}\n` : '';
    const end = tail.map((t) => `${t}\n`).join('');
    const out = createWriteStream(this.file, { flags: 'wx', mode: 0o600 });
    try {
      if (head) await write(out, head);
      for (const s of [older, newer]) {
        if (s.bytes > 0) await pipeline(createReadStream(s.path, { start: 0, end: s.bytes - 1 }), out, { end: false });
      }
      if (end) await write(out, end);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } finally {
      out.destroy();
      for (const s of this.segs) rmSync(s.path, { force: true });
    }
    return { bytes: Buffer.byteLength(head) + older.bytes + newer.bytes + Buffer.byteLength(end), lines: older.lines + newer.lines, cut };
  }

  /** Removes the segments without producing the file (on abort). */
  discard(): void {
    if (!this.closed) for (const s of this.segs) closeSync(s.fd);
    this.closed = true;
    for (const s of this.segs) rmSync(s.path, { force: true });
  }
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : '?');

/** `[opsdeck] cut: …` — what the cap dropped, for the file's first line and SUMMARY.md. */
export function cutNote(cut: CutInfo, capLabel: string): string {
  return `[opsdeck] cut: this file keeps the newest lines of the window up to the ${capLabel} cap; `
    + `${cut.lines} earlier line${cut.lines === 1 ? '' : 's'} (${formatBytes(cut.bytes)}) from ${iso(cut.from)} to ${iso(cut.to)} are not included`;
}
