/**
 * The maintenance flag file (what the proxy looks at) and the one-line descriptions of a window that
 * `opsdeck status`, `opsdeck maintenance status` and the `maintenance` check share.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatDuration } from '../format.js';
import type { MaintenanceWindow } from '../store/maintenance.js';

export interface FlagContent {
  reason: string;
  since: string;
  /** The planned end (ISO), null when open-ended. */
  expectedEnd: string | null;
  scope: string;
  by: string;
}

/**
 * Writes the flag atomically: a temporary file in the same directory (mode 0644: the proxy's worker
 * user must read it), fsync, rename over the flag. The proxy never sees a half-written file.
 */
export async function writeFlag(file: string, content: FlagContent): Promise<void> {
  const dir = dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.chmod(tmp, 0o644);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Removes the flag; true when there was one. */
export async function removeFlag(file: string): Promise<boolean> {
  try {
    await fsp.unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function flagExists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/** The status part `opsdeck status` reports (also its --json). */
export interface MaintenanceSummary {
  active: boolean;
  scope?: string;
  reason?: string;
  by?: string;
  since?: string;
  plannedEnd?: string | null;
  phase?: string;
  stopped?: string[];
  lastError?: string | null;
}

export function summarize(w: MaintenanceWindow | null): MaintenanceSummary {
  if (!w) return { active: false };
  return {
    active: true, scope: w.scope, reason: w.reason, by: w.by, since: w.since, plannedEnd: w.plannedEnd, phase: w.phase,
    stopped: w.stopped.filter((s) => s.state !== 'started').map((s) => s.name), lastError: w.lastError,
  };
}

/** A planned end passed by this much makes the `maintenance` check warn. */
export const OVERDUE_GRACE_MS = 15 * 60_000;

/** "in maintenance since 14:02Z (12m, project demo: db upgrade)". */
export function describeWindow(w: MaintenanceWindow, now = Date.now()): string {
  const ago = formatDuration(now - Date.parse(w.since));
  const parts = [`${ago}`, w.scope === 'host' ? 'whole host' : w.scope.replace(':', ' ')];
  const why = w.reason ? `: ${w.reason}` : '';
  return `in maintenance since ${w.since} (${parts.join(', ')}${why})`;
}

/** Null when the window is not overdue; else "maintenance planned to end at … — 20m ago". */
export function overdue(w: MaintenanceWindow, now = Date.now()): string | null {
  if (!w.plannedEnd) return null;
  const late = now - Date.parse(w.plannedEnd);
  if (!(late >= OVERDUE_GRACE_MS)) return null;
  return `maintenance planned to end at ${w.plannedEnd} — ${formatDuration(late)} ago`;
}
