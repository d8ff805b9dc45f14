/**
 * The lines a log view holds: a ring buffer bounded by a line count and by approximate bytes.
 * Lines get contiguous sequence numbers on insert, so lookup by seq is O(1); error and warning
 * head counts are kept as lines come and go.
 */
import type { LogLine } from './types.js';

const INITIAL_CAPACITY = 1024;

export class LogBuffer {
  private ring: (LogLine | undefined)[];
  /** Ring index of the oldest held line. */
  private head = 0;
  private _size = 0;
  private _bytes = 0;
  private _lastSeq = 0;
  private _dropped = 0;
  private _errors = 0;
  private _warnings = 0;
  readonly maxLines: number;
  readonly maxBytes: number;

  constructor(maxLines: number, maxBytes: number) {
    this.maxLines = Math.max(1, Math.floor(maxLines));
    this.maxBytes = Math.max(0, maxBytes);
    // Grows by doubling up to maxLines, so many small buffers stay small.
    this.ring = new Array<LogLine | undefined>(Math.min(this.maxLines, INITIAL_CAPACITY));
  }

  get size(): number { return this._size; }
  get bytes(): number { return this._bytes; }
  get lastSeq(): number { return this._lastSeq; }
  /** Seq of the oldest held line; lastSeq + 1 when empty. */
  get firstSeq(): number { return this._lastSeq - this._size + 1; }
  /** Lines evicted since creation or the last clear(). */
  get dropped(): number { return this._dropped; }
  /** Error head lines (not continuations) currently held. */
  get errors(): number { return this._errors; }
  /** Warning head lines (not continuations) currently held. */
  get warnings(): number { return this._warnings; }

  /**
   * Appends a line and assigns its seq; evicts the oldest lines past either bound. The newest line
   * is always kept, even when it alone is over the byte bound.
   */
  push(line: LogLine): void {
    if (this._size === this.maxLines) this.evictOldest();
    else if (this._size === this.ring.length) this.grow();
    line.seq = ++this._lastSeq;
    const ring = this.ring;
    let at = this.head + this._size;
    if (at >= ring.length) at -= ring.length;
    ring[at] = line;
    this._size++;
    this._bytes += line.bytes;
    if (!line.cont) {
      if (line.level === 'error') this._errors++;
      else if (line.level === 'warn') this._warnings++;
    }
    while (this._bytes > this.maxBytes && this._size > 1) this.evictOldest();
  }

  pushAll(lines: readonly LogLine[]): void {
    for (let i = 0; i < lines.length; i++) this.push(lines[i]!);
  }

  /** The line at `index` (0 = oldest held). */
  at(index: number): LogLine | undefined {
    if (!(index >= 0 && index < this._size)) return undefined;
    let i = this.head + Math.floor(index);
    if (i >= this.ring.length) i -= this.ring.length;
    return this.ring[i];
  }

  bySeq(seq: number): LogLine | undefined {
    return this.at(seq - this.firstSeq);
  }

  /** Empties the buffer and resets `dropped`; seqs continue from where they were (never reused). */
  clear(): void {
    for (let k = 0; k < this._size; k++) {
      let i = this.head + k;
      if (i >= this.ring.length) i -= this.ring.length;
      this.ring[i] = undefined;
    }
    this.head = 0;
    this._size = 0;
    this._bytes = 0;
    this._dropped = 0;
    this._errors = 0;
    this._warnings = 0;
  }

  private evictOldest(): void {
    const ring = this.ring;
    const line = ring[this.head]!;
    ring[this.head] = undefined;
    this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
    this._size--;
    this._bytes -= line.bytes;
    this._dropped++;
    if (!line.cont) {
      if (line.level === 'error') this._errors--;
      else if (line.level === 'warn') this._warnings--;
    }
  }

  private grow(): void {
    const old = this.ring;
    const next = new Array<LogLine | undefined>(Math.min(this.maxLines, old.length * 2));
    for (let k = 0; k < this._size; k++) {
      let i = this.head + k;
      if (i >= old.length) i -= old.length;
      next[k] = old[i];
    }
    this.ring = next;
    this.head = 0;
  }
}
