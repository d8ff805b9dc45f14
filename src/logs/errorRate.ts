import type { DockerReader } from '../docker/client.js';
import { logSubject } from '../docker/logs.js';
import { formatSince } from './ingest.js';
import { readContainerLogs } from './read.js';
import type { LogLine } from './types.js';

export interface LevelCounts {
  /** Error lines (stack-trace continuations are counted with their head, once). */
  errors: number;
  warnings: number;
  lines: number;
  /** Start of the window counted (epoch ms). */
  since: number;
}

/** Counts error and warning lines; `pattern`, when given, decides what an error line is instead. */
export function countLevels(lines: Iterable<LogLine>, pattern?: RegExp, into: LevelCounts = { errors: 0, warnings: 0, lines: 0, since: 0 }): LevelCounts {
  for (const l of lines) {
    if (l.stream === 'note') continue;
    into.lines++;
    if (pattern ? pattern.test(l.text) : l.level === 'error' && !l.cont) into.errors++;
    else if (!pattern && l.level === 'warn' && !l.cont) into.warnings++;
  }
  return into;
}

/**
 * Error and warning lines a container wrote in the last `windowMs` (the runbooks' "errors in the last
 * 24 h < 10"). Streams the logs and keeps only counts, so a chatty container costs time, not memory.
 * Null when the container does not exist.
 */
export async function errorRate(
  reader: DockerReader,
  containerId: string,
  windowMs: number,
  opts: { pattern?: RegExp; now?: number; signal?: AbortSignal } = {},
): Promise<LevelCounts | null> {
  const subject = await logSubject(reader, containerId);
  if (!subject) return null;
  const now = opts.now ?? Date.now();
  const counts: LevelCounts = { errors: 0, warnings: 0, lines: 0, since: now - windowMs };
  const signal = opts.signal ?? new AbortController().signal;
  await readContainerLogs(reader, subject, { follow: false, since: formatSince(now - windowMs), until: formatSince(now), signal }, { source: subject.name }, (batch) => {
    countLevels(batch, opts.pattern, counts);
  });
  return counts;
}
