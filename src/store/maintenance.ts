/**
 * Maintenance windows in the state store: at most one open window (the whole host, or one compose
 * project), with who, why, since when, until when (planned), what was stopped and which tasks ran.
 * Every change is written as it happens (a container is recorded *before* it is asked to stop), so
 * an opsdeck killed half-way leaves a window that `opsdeck maintenance status` shows and
 * `opsdeck maintenance off` finishes. Closed windows stay as the history (start, end, duration).
 */
import type { DB } from './db.js';

export type MaintenancePhase = 'entering' | 'on' | 'exiting' | 'ended';

/** One container of a window: recorded as `stopping` before the stop call, `stopped` after it. */
export interface StoppedEntry {
  name: string;
  id: string;
  /** When opsdeck asked Docker to stop it (ISO). */
  at: string;
  state: 'stopping' | 'stopped' | 'started';
  /** When `off` had it running again (ISO). */
  startedAt?: string;
}

/** One task run during the window (its own runner result). */
export interface TaskEntry {
  /** As written: "vacuum:shop-db", "prune:images". */
  task: string;
  result: 'ok' | 'failed' | 'refused' | 'cancelled';
  /** What the task reported, or why it failed. */
  message: string;
  at: string;
  durationMs: number;
}

export interface MaintenanceWindow {
  id: number;
  /** `host` or `project:NAME`. */
  scope: string;
  project: string | null;
  reason: string;
  by: string;
  host: string;
  phase: MaintenancePhase;
  since: string;
  plannedEnd: string | null;
  endedAt: string | null;
  durationMs: number | null;
  flagFile: string | null;
  /** What entering meant to stop, in stop order. */
  plannedStop: string[];
  /** What it did stop (or was stopping when it died), in stop order. */
  stopped: StoppedEntry[];
  tasks: TaskEntry[];
  /** The last failure of an enter or exit (a service that did not come back). */
  lastError: string | null;
}

interface Row {
  id: number; scope: string; project: string | null; reason: string; by_user: string; host: string; phase: MaintenancePhase;
  started_at: string; planned_end: string | null; ended_at: string | null; duration_ms: number | null; flag_file: string | null;
  planned_stop: string; stopped: string; tasks: string; last_error: string | null;
}

function list<T>(text: string): T[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

function toWindow(r: Row): MaintenanceWindow {
  return {
    id: r.id, scope: r.scope, project: r.project, reason: r.reason, by: r.by_user, host: r.host, phase: r.phase,
    since: r.started_at, plannedEnd: r.planned_end, endedAt: r.ended_at, durationMs: r.duration_ms, flagFile: r.flag_file,
    plannedStop: list<string>(r.planned_stop), stopped: list<StoppedEntry>(r.stopped), tasks: list<TaskEntry>(r.tasks), lastError: r.last_error,
  };
}

export function scopeOf(project: string | null | undefined): string {
  return project ? `project:${project}` : 'host';
}

/** The open window, or null when not in maintenance. Cheap: one indexed row. */
export function currentMaintenance(db: DB): MaintenanceWindow | null {
  const row = db.prepare('SELECT * FROM maintenance_windows WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1').get() as Row | undefined;
  return row ? toWindow(row) : null;
}

/**
 * For the alert engine (any process): the open window, or null. The same as currentMaintenance; use
 * maintenanceCovers to ask whether it covers a check's container.
 */
export function activeMaintenance(db: DB): MaintenanceWindow | null {
  return currentMaintenance(db);
}

/**
 * Whether a window silences something about `container` (a host window covers everything; a project
 * window covers its project's containers, the containers it stopped, and nothing without a container).
 */
export function maintenanceCovers(w: MaintenanceWindow | null, about: { container?: string | null; project?: string | null }): boolean {
  if (!w || w.endedAt) return false;
  if (!w.project) return true;
  if (about.project && about.project === w.project) return true;
  return Boolean(about.container && (w.stopped.some((s) => s.name === about.container) || w.plannedStop.includes(about.container)));
}

export class AlreadyInMaintenanceError extends Error {
  constructor(readonly window: MaintenanceWindow) {
    super(`already in maintenance since ${window.since} (${window.scope}${window.reason ? `: ${window.reason}` : ''})`);
    this.name = 'AlreadyInMaintenanceError';
  }
}

export interface NewWindow {
  project: string | null;
  reason: string;
  by: string;
  host: string;
  since: string;
  plannedEnd: string | null;
  flagFile: string | null;
  plannedStop: string[];
}

/** Opens the window (phase `entering`); throws AlreadyInMaintenanceError when one is open. */
export function openWindow(db: DB, w: NewWindow): MaintenanceWindow {
  try {
    const info = db
      .prepare(`INSERT INTO maintenance_windows (scope, project, reason, by_user, host, phase, started_at, planned_end, flag_file, planned_stop)
                VALUES (?, ?, ?, ?, ?, 'entering', ?, ?, ?, ?)`)
      .run(scopeOf(w.project), w.project, w.reason, w.by, w.host, w.since, w.plannedEnd, w.flagFile, JSON.stringify(w.plannedStop));
    return getWindow(db, Number(info.lastInsertRowid))!;
  } catch (e) {
    const open = currentMaintenance(db);
    if (open && (e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new AlreadyInMaintenanceError(open);
    throw e;
  }
}

export function getWindow(db: DB, id: number): MaintenanceWindow | null {
  const row = db.prepare('SELECT * FROM maintenance_windows WHERE id = ?').get(id) as Row | undefined;
  return row ? toWindow(row) : null;
}

/** Read-modify-write of one window in one transaction. */
function update(db: DB, id: number, fn: (w: MaintenanceWindow) => Partial<MaintenanceWindow>): MaintenanceWindow {
  return db.transaction(() => {
    const w = getWindow(db, id);
    if (!w) throw new Error(`maintenance window ${id} is gone from the state store`);
    const n = { ...w, ...fn(w) };
    db.prepare(`UPDATE maintenance_windows SET phase = ?, planned_end = ?, ended_at = ?, duration_ms = ?, flag_file = ?, stopped = ?, tasks = ?, last_error = ?
                WHERE id = ?`)
      .run(n.phase, n.plannedEnd, n.endedAt, n.durationMs, n.flagFile, JSON.stringify(n.stopped), JSON.stringify(n.tasks), n.lastError, id);
    return n;
  }).immediate();
}

/** Records a container as stopping (before the call) or stopped (after it). */
export function recordStopped(db: DB, id: number, entry: StoppedEntry): MaintenanceWindow {
  return update(db, id, (w) => {
    const stopped = w.stopped.filter((s) => s.name !== entry.name);
    const i = w.stopped.findIndex((s) => s.name === entry.name);
    if (i >= 0) stopped.splice(i, 0, entry);
    else stopped.push(entry);
    return { stopped };
  });
}

export function recordStarted(db: DB, id: number, name: string, at: string): MaintenanceWindow {
  return update(db, id, (w) => ({ stopped: w.stopped.map((s) => (s.name === name ? { ...s, state: 'started', startedAt: at } : s)) }));
}

export function recordTask(db: DB, id: number, task: TaskEntry): MaintenanceWindow {
  return update(db, id, (w) => ({ tasks: [...w.tasks, task] }));
}

export function setPhase(db: DB, id: number, phase: Exclude<MaintenancePhase, 'ended'>, lastError: string | null = null): MaintenanceWindow {
  return update(db, id, () => ({ phase, lastError }));
}

/** Ends the window: end time and duration; it becomes history. */
export function closeWindow(db: DB, id: number, endedAt: string): MaintenanceWindow {
  return update(db, id, (w) => ({ phase: 'ended', endedAt, durationMs: Math.max(0, Date.parse(endedAt) - Date.parse(w.since)), lastError: null }));
}

/** Newest first, open window included. */
export function maintenanceHistory(db: DB, limit = 50): MaintenanceWindow[] {
  return (db.prepare('SELECT * FROM maintenance_windows ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(toWindow);
}
