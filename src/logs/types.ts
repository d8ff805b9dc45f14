/** A log line as the cockpit and the CLI see it: already sanitised, bounded and classified. */
export type Level = 'error' | 'warn' | 'info' | 'debug';
export type LogStreamName = 'stdout' | 'stderr';

export interface LogLine {
  /** Position in its LogBuffer (assigned on insert, contiguous); 0 before insertion. */
  seq: number;
  /** Docker's timestamp as epoch milliseconds with a microsecond fraction; NaN when there was none. */
  ts: number;
  /** The prefix shown for merged views: compose service (or container name); '' for a lone container. */
  source: string;
  /** Container id the line came from ('' for notes). */
  sourceId: string;
  /** stdout or stderr; 'note' for lines opsdeck itself adds (stream ended, container restarted). */
  stream: LogStreamName | 'note';
  /** Display text: escape sequences removed, control characters neutralised, tabs expanded, capped. */
  text: string;
  /** Detected level; continuation lines carry the level of their head line. */
  level: Level | null;
  /** A continuation of the line above from the same container and stream (stack trace, traceback). */
  cont: boolean;
  /** Bytes of the original line that were cut for display (0: the whole line is here). */
  truncated: number;
  /** Approximate memory held by this line, used for the buffer's byte bound. */
  bytes: number;
}
