/**
 * The joined feed: Docker events (the `events` table), check transitions (the `alerts` table),
 * maintenance windows (entered, ended) and operator actions (the audit log), one time-ordered list.
 *
 * Sources: `docker`; `alert` — a confirmed check transition that was notified (or meant to be);
 * `check` — a transition whose notification was suppressed (maintenance …), so the state change
 * shows without claiming anyone was alerted; `maintenance`; `action`. Reminders are not listed.
 */
import { formatDuration } from '../format.js';
import { safeText } from '../sanitize.js';
import type { DB } from '../store/db.js';
import { describeEvent, type EventContext, type StoredEvent } from './events.js';
import { containerProject, queryEvents } from './store.js';
import type { TimelineEntry, TimelineQuery, TimelineSeverity, TimelineSource } from './types.js';

const DEFAULT_LIMIT = 5000;
/** An `oom` this close before a `die` of the same container is its cause. */
const OOM_LINK_MS = 10_000;
/** A `stop` (or a kill before and a destroy after) this close to a `die` of the same container: the die was asked for. */
const STOP_LINK_MS = 2_000;
/** docker rm -f / stop: SIGTERM first, SIGKILL after the stop timeout (default 10 s). */
const KILL_LINK_MS = 65_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** An entry with its sort key: Docker's nanoseconds, else ms scaled; ties keep source order. */
interface Keyed { entry: TimelineEntry; ns: number; rank: number; seq: number }

const SOURCE_RANK: Record<TimelineSource, number> = { action: 0, maintenance: 1, docker: 2, alert: 3, check: 3 };

/** The joined feed, oldest first; the newest `limit` when more match. */
export function readTimeline(db: DB, q: TimelineQuery): TimelineEntry[] {
  const since = q.since;
  const until = q.until ?? Date.now();
  const limit = q.limit ?? DEFAULT_LIMIT;
  const want = (s: TimelineSource) => !q.sources || q.sources.length === 0 || q.sources.includes(s);
  const match = q.match?.trim() ? q.match.trim() : undefined;
  const needle = match?.toLowerCase();
  const matches = (subject: string, project: string | null) => !needle || subject.toLowerCase().includes(needle) || (project ?? '').toLowerCase().includes(needle);
  const projects = projectLookup(db);
  const out: Keyed[] = [];

  if (want('docker')) {
    const rows = queryEvents(db, { sinceMs: since, untilMs: until, match, limit });
    // OOM kills and stops right before/after a die, also from just outside the window.
    const links = queryEvents(db, { sinceMs: since - KILL_LINK_MS, untilMs: until + STOP_LINK_MS, match, limit: limit * 3 + 100, actions: ['oom', 'stop', 'kill', 'destroy'] });
    const byActor = new Map<string, StoredEvent[]>();
    for (const l of links) {
      const list = byActor.get(l.actorId);
      if (list) list.push(l);
      else byActor.set(l.actorId, [l]);
    }
    for (const e of rows) out.push({ entry: dockerEntry(e, byActor.get(e.actorId) ?? []), ns: Number(e.timeNano), rank: SOURCE_RANK.docker, seq: e.id });
  }

  if (want('alert') || want('check')) {
    const rows = db.prepare(
      `SELECT id, check_name, from_status, to_status, message, at, suppressed FROM alerts
        WHERE kind = 'transition' AND at >= ? AND at <= ? ORDER BY at DESC, id DESC LIMIT ?`,
    ).all(iso(since), iso(until), limit) as { id: number; check_name: string; from_status: string | null; to_status: string; message: string; at: string; suppressed: string | null }[];
    for (const r of rows) {
      const source: TimelineSource = r.suppressed ? 'check' : 'alert';
      if (!want(source)) continue;
      const subject = safeText(r.check_name);
      const container = checkContainer(r.check_name, projects);
      const project = container ? projects(container) ?? null : null;
      if (!matches(subject, project)) continue;
      const change = `${r.from_status ?? 'new'} → ${r.to_status}`;
      const message = `${change}: ${safeText(r.message)}${r.suppressed ? ` (not sent: ${safeText(r.suppressed)})` : ''}`;
      const at = Date.parse(r.at);
      out.push({
        entry: { at, source, severity: statusSeverity(r.to_status), subject, project, message: oneLine(message), ...(container ? { container } : {}), key: `alert:${r.id}`, kind: 'transition' },
        ns: at * 1e6, rank: SOURCE_RANK[source], seq: r.id,
      });
    }
  }

  if (want('maintenance')) {
    const rows = db.prepare(
      `SELECT id, scope, project, reason, by_user, started_at, ended_at, duration_ms, last_error FROM maintenance_windows
        WHERE (started_at >= ? AND started_at <= ?) OR (ended_at >= ? AND ended_at <= ?) ORDER BY id DESC LIMIT ?`,
    ).all(iso(since), iso(until), iso(since), iso(until), limit) as { id: number; scope: string; project: string | null; reason: string; by_user: string; started_at: string; ended_at: string | null; duration_ms: number | null; last_error: string | null }[];
    for (const w of rows) {
      const project = w.project ? safeText(w.project) : null;
      // A host-wide window concerns every container: it is kept whatever the filter.
      if (project && !matches('maintenance', project)) continue;
      const scope = project ? `project ${project}` : 'whole host';
      const started = Date.parse(w.started_at);
      if (started >= since && started <= until) {
        const message = `maintenance on (${scope})${w.reason ? `: ${safeText(w.reason)}` : ''} — by ${safeText(w.by_user)}`;
        out.push({ entry: { at: started, source: 'maintenance', severity: 'warn', subject: 'maintenance', project, message: oneLine(message), key: `maintenance:${w.id}:enter`, kind: 'enter' }, ns: started * 1e6, rank: SOURCE_RANK.maintenance, seq: w.id * 2 });
      }
      const ended = w.ended_at ? Date.parse(w.ended_at) : NaN;
      if (Number.isFinite(ended) && ended >= since && ended <= until) {
        const message = `maintenance off (${scope}) after ${formatDuration(w.duration_ms ?? ended - started)}`;
        out.push({ entry: { at: ended, source: 'maintenance', severity: 'ok', subject: 'maintenance', project, message, key: `maintenance:${w.id}:exit`, kind: 'exit' }, ns: ended * 1e6, rank: SOURCE_RANK.maintenance, seq: w.id * 2 + 1 });
      }
    }
  }

  if (want('action')) {
    const rows = db.prepare('SELECT id, at, user, action, target, result, error, duration_ms FROM audit WHERE at >= ? AND at <= ? ORDER BY id DESC LIMIT ?')
      .all(iso(since), iso(until), limit) as { id: number; at: string; user: string; action: string; target: string | null; result: string; error: string | null; duration_ms: number | null }[];
    for (const r of rows) {
      const { subject, container } = actionSubject(r.target);
      const project = container ? projects(container) ?? null : null;
      if (!matches(subject, project)) continue;
      const at = Date.parse(r.at);
      out.push({
        entry: {
          at, source: 'action', severity: resultSeverity(r.result), subject, project, message: actionMessage(r),
          ...(container ? { container } : {}), key: `audit:${r.id}`, kind: r.action,
        },
        ns: at * 1e6, rank: SOURCE_RANK.action, seq: r.id,
      });
    }
  }

  out.sort((a, b) => a.ns - b.ns || a.rank - b.rank || a.seq - b.seq);
  return out.slice(Math.max(0, out.length - limit)).map((k) => k.entry);
}

/** `same`: the oom, stop, kill and destroy events of the same container around the window. */
function dockerEntry(e: StoredEvent, same: readonly StoredEvent[]): TimelineEntry {
  let ctx: EventContext = {};
  if (e.action === 'die') {
    const before = (action: string, ms: number) => same.some((l) => l.action === action && l.timeNano <= e.timeNano && e.at - l.at <= ms);
    const after = (action: string) => same.some((l) => l.action === action && l.timeNano >= e.timeNano && l.at - e.at <= STOP_LINK_MS);
    ctx = {
      oom: before('oom', OOM_LINK_MS),
      stopped: after('stop') ? 'stop' : before('kill', KILL_LINK_MS) && after('destroy') ? 'remove' : undefined,
    };
  }
  const { message, severity } = describeEvent(e, ctx);
  const subject = safeText(e.name ?? e.actorId.slice(0, 12));
  const entry: TimelineEntry = {
    at: e.at, source: 'docker', severity, subject, project: e.project ? safeText(e.project) : null, message,
    key: `docker:${e.id}`, kind: e.action,
  };
  if (e.type === 'container' && e.name) entry.container = safeText(e.name);
  if (e.action === 'die' && e.exitCode !== null) entry.exitCode = e.exitCode;
  return entry;
}

function statusSeverity(status: string): TimelineSeverity {
  return status === 'crit' ? 'crit' : status === 'warn' || status === 'unknown' ? 'warn' : status === 'ok' ? 'ok' : 'info';
}

function resultSeverity(result: string): TimelineSeverity {
  return result === 'failed' ? 'crit' : result === 'refused' ? 'warn' : 'info';
}

/** name → compose project from the events table (memoised per read); undefined: not a known container. */
function projectLookup(db: DB): (name: string) => string | null | undefined {
  const memo = new Map<string, string | null | undefined>();
  return (name) => {
    if (!memo.has(name)) {
      const p = containerProject(db, name);
      memo.set(name, p === undefined ? undefined : p === null ? null : safeText(p));
    }
    return memo.get(name);
  };
}

/** A check about a container ("container:NAME", "postgres:NAME", "http:NAME" …): that container, when the events table knows it. */
function checkContainer(check: string, projects: (name: string) => string | null | undefined): string | undefined {
  const i = check.indexOf(':');
  if (i <= 0) return undefined;
  const name = check.slice(i + 1);
  return projects(name) !== undefined ? safeText(name) : undefined;
}

function actionSubject(target: string | null): { subject: string; container?: string } {
  if (!target) return { subject: '-' };
  const t = safeText(target);
  if (t.startsWith('container/')) {
    const name = t.slice('container/'.length);
    return { subject: name, container: name };
  }
  return { subject: t };
}

const VERBS: Record<string, string> = {
  'container.restart': 'restart', 'container.stop': 'stop', 'container.start': 'start',
  'backup.run': 'backup', 'backup.verify': 'verify backup', 'backup.prune': 'prune backups',
  'maintenance.enter': 'maintenance on', 'maintenance.exit': 'maintenance off', 'maintenance.task': 'maintenance task', 'maintenance.prune': 'prune',
  'lock.break': 'break lock',
};

/** "restart by alice: ok (took 1.2s)", "stop by bob: failed — timeout". */
export function actionMessage(r: { action: string; user: string; result: string; error: string | null; duration_ms?: number | null }): string {
  const verb = VERBS[r.action] ?? safeText(r.action);
  const took = r.duration_ms !== null && r.duration_ms !== undefined && r.result === 'ok' ? ` (took ${r.duration_ms < 1000 ? `${r.duration_ms} ms` : formatDuration(r.duration_ms)})` : '';
  return oneLine(`${verb} by ${safeText(r.user)}: ${r.result}${took}${r.error ? ` — ${safeText(r.error)}` : ''}`);
}

function oneLine(s: string): string {
  return s.replace(/\uFFFD+/g, ' ').replace(/\s+/g, ' ').trim();
}
