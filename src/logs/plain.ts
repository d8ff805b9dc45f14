import type { LogLine } from './types.js';

export interface PlainOptions {
  timestamps: boolean;
  /** Width of the source column; 0 leaves it out (a single container). */
  sourceWidth: number;
}

/** A line as text for a file or a pipe: `[timestamp ]` `[source | ]text`, stderr marked `!`. */
export function plainLine(line: LogLine, o: PlainOptions): string {
  const ts = o.timestamps ? `${Number.isFinite(line.ts) ? new Date(line.ts).toISOString() : '-'.padEnd(24)} ` : '';
  const cut = line.truncated > 0 ? ` [+${line.truncated} bytes cut]` : '';
  if (o.sourceWidth <= 0) return `${ts}${line.text}${cut}`;
  const sep = line.stream === 'stderr' ? '!' : '|';
  return `${ts}${line.source.padEnd(o.sourceWidth)} ${sep} ${line.text}${cut}`;
}

/** A line as one JSON object (`opsdeck logs --json`, one per output line). */
export function jsonLine(line: LogLine, container: string): string {
  return JSON.stringify({
    ts: Number.isFinite(line.ts) ? new Date(line.ts).toISOString() : null,
    container,
    source: line.source || container,
    stream: line.stream,
    level: line.level,
    continuation: line.cont,
    text: line.text,
    ...(line.truncated ? { truncatedBytes: line.truncated } : {}),
  });
}
