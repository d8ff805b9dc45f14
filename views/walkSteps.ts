/**
 * The walkthrough screen's state (pure): the steps of a long action (restore, drill) with their
 * status, duration, detail or error and live progress, plus a bounded log pane. Runner events go in
 * with applyEvent; steps not announced in advance (a rollback's) are appended as they appear.
 */
import type { RunEvent } from '../actions/types.js';
import { formatBytes, formatRate } from '../src/format.js';
import { safeText } from '../src/sanitize.js';

export type WalkStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface WalkStep {
  id: string;
  title: string;
  status: WalkStatus;
  durationMs?: number;
  /** What a finished step reported, or the error of a failed one. */
  note?: string;
  /** Live progress of the running step: "412 MB of 1.0 GB · 85 MB/s · ETA 7s". */
  progress?: string;
}

export interface Walkthrough {
  title: string;
  /** Lock/target key the run holds (the Backups view shows it as running). */
  target: string;
  steps: WalkStep[];
  log: string[];
  startedAt: number;
  /** Set when the run returned. */
  outcome?: { ok: boolean; message: string; durationMs: number };
  /** Ctrl-C pressed: the question "interrupt and roll back?" is on screen. */
  asking: boolean;
  /** The operator confirmed the interrupt (the run is rolling back). */
  interrupted: boolean;
}

export const LOG_LIMIT = 200;

export function startWalkthrough(title: string, target: string, steps: readonly { id: string; title: string }[], now = Date.now()): Walkthrough {
  return { title, target, steps: steps.map((s) => ({ id: s.id, title: s.title, status: 'pending' })), log: [], startedAt: now, asking: false, interrupted: false };
}

function progressLine(p: Extract<RunEvent, { type: 'progress' }>['progress']): string {
  const parts: string[] = [];
  if (p.bytes !== undefined) parts.push(p.totalBytes ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.bytes));
  else if (p.message) parts.push(safeText(p.message));
  if (p.rate) parts.push(formatRate(p.rate));
  if (p.etaMs !== undefined && Number.isFinite(p.etaMs) && p.etaMs > 0) parts.push(`ETA ${Math.ceil(p.etaMs / 1000)}s`);
  return parts.join(' · ');
}

export function applyEvent(w: Walkthrough, e: RunEvent): Walkthrough {
  if (e.type === 'log') {
    const log = [...w.log, safeText(e.line)];
    return { ...w, log: log.length > LOG_LIMIT ? log.slice(log.length - LOG_LIMIT) : log };
  }
  if (e.type === 'progress') {
    return { ...w, steps: w.steps.map((s) => (s.id === e.step ? { ...s, progress: progressLine(e.progress) } : s)) };
  }
  const next: WalkStep = {
    id: e.id, title: e.title, status: e.status,
    ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
    ...(e.status === 'failed' && e.error ? { note: safeText(e.error) } : e.detail ? { note: safeText(e.detail) } : {}),
  };
  const i = w.steps.findIndex((s) => s.id === e.id);
  const steps = i >= 0 ? w.steps.map((s, j) => (j === i ? next : s)) : [...w.steps, next];
  const log = e.status === 'failed' ? [...w.log, `${e.title} failed: ${safeText(e.error ?? '')}`] : w.log;
  return { ...w, steps, log };
}

export function finishWalkthrough(w: Walkthrough, ok: boolean, message: string, now = Date.now()): Walkthrough {
  return { ...w, asking: false, outcome: { ok, message: safeText(message), durationMs: now - w.startedAt } };
}

export const STATUS_MARK: Record<WalkStatus, string> = { pending: '·', running: '…', done: '✓', failed: '✗', skipped: '–' };
