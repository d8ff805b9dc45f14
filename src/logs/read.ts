import type { DockerReader } from '../docker/client.js';
import { openLogStream, type LogRequest, type LogSubject } from '../docker/logs.js';
import { LogIngest } from './ingest.js';
import type { LogLine } from './types.js';

export interface ReadOptions {
  /** The prefix of each line (service name in merged views). */
  source: string;
  maxLineChars?: number;
}

/**
 * Streams one container's logs through the ingest (demultiplex, split, sanitise, classify) and hands
 * over lines in batches, one batch per chunk read. Resolves when the stream ends (the container
 * stopped, a non-follow read is complete, or the signal aborted); rejects on a Docker error.
 */
export async function readContainerLogs(
  reader: DockerReader,
  subject: Pick<LogSubject, 'id' | 'tty'>,
  req: LogRequest,
  opts: ReadOptions,
  onLines: (lines: LogLine[]) => void,
): Promise<void> {
  const stream = await openLogStream(reader, subject.id, req);
  const ingest = new LogIngest({ source: opts.source, sourceId: subject.id, tty: subject.tty, maxLineChars: opts.maxLineChars });
  await pumpLogStream(stream, ingest, req.signal, onLines);
}

/**
 * Feeds a logs stream through the ingest until it ends (or errs: rejected unless the signal
 * aborted); each chunk's lines go to onLines, the rest at the end. `drained` is awaited before
 * settling, for a caller that hands lines on asynchronously.
 */
export function pumpLogStream(
  stream: NodeJS.ReadableStream,
  ingest: LogIngest,
  signal: AbortSignal,
  onLines: (lines: LogLine[]) => void,
  drained: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      const out: LogLine[] = [];
      ingest.end(out);
      if (out.length) onLines(out);
      void drained().then(() => {
        if (err && !signal.aborted) reject(err);
        else resolve();
      });
    };
    stream.on('data', (chunk: Buffer) => {
      const out: LogLine[] = [];
      ingest.push(chunk, out);
      if (out.length) onLines(out);
    });
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (err) => finish(err));
  });
}

/** Sorts lines from several containers into time order; lines without a timestamp keep their place. */
export function mergeByTime(lines: LogLine[]): LogLine[] {
  // Array.prototype.sort is stable: lines of one container with equal stamps stay in order.
  return lines.sort((a, b) => (a.ts || 0) - (b.ts || 0));
}
