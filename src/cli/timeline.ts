/** `opsdeck timeline` and `opsdeck incident report`: the joined feed and the report draft, from the state store. */
import { parseDuration } from '../../config/duration.js';
import { createReader } from '../docker/client.js';
import { explainDockerError } from '../docker/endpoint.js';
import { padEnd } from '../format.js';
import type { DB } from '../store/db.js';
import { renderIncidentReport, writeIncidentReport } from '../timeline/draft.js';
import { readTimeline } from '../timeline/read.js';
import { backfillEvents } from '../timeline/recorder.js';
import type { TimelineEntry, TimelineSource } from '../timeline/types.js';
import { TIMELINE_SOURCES } from '../timeline/view.js';
import { withStore } from './actions.js';
import { UsageError, type Context } from './context.js';

export interface TimelineCliOptions {
  since?: string;
  until?: string;
  json?: boolean;
  source?: string[];
  match?: string;
  limit?: string;
  backfill?: boolean;
}

export interface ReportCliOptions {
  since?: string;
  until?: string;
  match?: string;
  title?: string;
  out?: string;
  force?: boolean;
  backfill?: boolean;
}

/** A duration ago ("15m", "2h") or a time (2026-11-23T14:00:00Z) → epoch ms; a UsageError naming the flag otherwise. */
export function parseWhen(text: string, flag: string, now = Date.now()): number {
  let ms: number;
  try {
    ms = now - parseDuration(text);
  } catch {
    ms = /^\d{4}-\d\d-\d\d/.test(text.trim()) ? Date.parse(text.trim()) : NaN;
  }
  if (!Number.isFinite(ms)) throw new UsageError(`${flag}: expected a duration like "15m" or "2h", or a time like 2026-11-23T14:00:00Z, got "${text}"`);
  return ms;
}

/** --source docker,action --source alert → the sources; an unknown one is a usage error. */
export function parseSources(values: readonly string[] | undefined): TimelineSource[] | undefined {
  if (!values || values.length === 0) return undefined;
  const out: TimelineSource[] = [];
  for (const v of values.flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const s = v === 'maint' ? 'maintenance' : v === 'actions' ? 'action' : v === 'alerts' ? 'alert' : v === 'checks' ? 'check' : v;
    if (!(TIMELINE_SOURCES as readonly string[]).includes(s)) throw new UsageError(`--source: unknown source "${v}" (one of: ${TIMELINE_SOURCES.join(', ')})`);
    if (!out.includes(s as TimelineSource)) out.push(s as TimelineSource);
  }
  return out;
}

function window(o: { since?: string; until?: string }, defaultSince: string, now = Date.now()): { since: number; until: number } {
  const since = parseWhen(o.since ?? defaultSince, '--since', now);
  const until = o.until ? parseWhen(o.until, '--until', now) : now;
  if (since > until) throw new UsageError(`--since is after --until (${new Date(since).toISOString()} > ${new Date(until).toISOString()})`);
  return { since, until };
}

/**
 * What dockerd still holds since the last recorded event goes into the store first, so events that
 * happened while no opsdeck ran are there. Docker unreachable: a note on stderr, the store is read anyway.
 */
async function backfill(ctx: Context, db: DB): Promise<void> {
  const reader = createReader(ctx.endpoint);
  try {
    await backfillEvents(db, reader, { timeoutMs: 5000 });
  } catch (e) {
    const { message } = explainDockerError(ctx.endpoint, e);
    process.stderr.write(`opsdeck: could not read Docker's recent events (${message}); showing what is recorded\n`);
  }
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/** The feed as a table for people: TIME (UTC), SOURCE, SEV, SUBJECT, MESSAGE. */
export function formatTimelineTable(entries: readonly TimelineEntry[]): string {
  const subjectW = Math.min(32, Math.max(7, ...entries.map((e) => e.subject.length)));
  const head = `${padEnd('TIME (UTC)', 23)}  ${padEnd('SOURCE', 11)} ${padEnd('SEV', 4)} ${padEnd('SUBJECT', subjectW)} MESSAGE`;
  const sev = { crit: 'CRIT', warn: 'WARN', ok: 'ok', info: '' } as const;
  return [head, ...entries.map((e) => `${stamp(e.at)}  ${padEnd(e.source, 11)} ${padEnd(sev[e.severity], 4)} ${padEnd(e.subject, subjectW)} ${e.message}`.trimEnd())].join('\n');
}

export async function runTimelineCommand(ctx: Context, o: TimelineCliOptions): Promise<number> {
  const { since, until } = window(o, '1h');
  const sources = parseSources(o.source);
  let limit: number | undefined;
  if (o.limit !== undefined) {
    limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit: expected a positive whole number, got "${o.limit}"`);
  }
  return withStore(ctx, async (db) => {
    if (o.backfill !== false) await backfill(ctx, db);
    const entries = readTimeline(db, { since, until, match: o.match, sources, limit });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(entries.map((e) => ({ time: new Date(e.at).toISOString(), ...e })), null, 2)}\n`);
    } else if (entries.length === 0) {
      process.stdout.write(`nothing recorded between ${stamp(since)} and ${stamp(until)} UTC${o.match ? ` matching "${o.match}"` : ''}\n`);
    } else {
      process.stdout.write(`${formatTimelineTable(entries)}\n`);
    }
    return 0;
  });
}

export async function runIncidentReportCommand(ctx: Context, o: ReportCliOptions): Promise<number> {
  const { since, until } = window(o, '2h');
  if (o.out === '') throw new UsageError('--out: expected a file name, or - for stdout');
  return withStore(ctx, async (db) => {
    if (o.backfill !== false) await backfill(ctx, db);
    if (o.out === '-') {
      process.stdout.write(renderIncidentReport(db, { since, until, match: o.match, title: o.title }));
      return 0;
    }
    try {
      const { path } = writeIncidentReport(db, { since, until, match: o.match, title: o.title, out: o.out, force: o.force, env: ctx.env });
      process.stdout.write(`${path}\n`);
      return 0;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`opsdeck: cannot write the incident report: ${err.name === 'ReportExistsError' ? err.message : `${err.code ?? ''} ${err.message}`.trim()}\n`);
      return 1;
    }
  });
}
