/**
 * The Timeline view's state as pure functions: what the filter keeps, where the selection and the
 * window are after a key. The component (views/Timeline.tsx) only draws what these return.
 */
import type { TimelineEntry, TimelineSource } from './types.js';

export const TIMELINE_SOURCES: readonly TimelineSource[] = ['docker', 'alert', 'check', 'maintenance', 'action'];

/**
 * Entries the view shows: `text` (any case) in the subject, project, container or message;
 * `sources` null or empty: every source.
 */
export function filterTimeline(entries: readonly TimelineEntry[], text: string, sources: readonly TimelineSource[] | null): readonly TimelineEntry[] {
  const needle = text.trim().toLowerCase();
  const all = !sources || sources.length === 0;
  if (!needle && all) return entries;
  return entries.filter((e) => (all || sources.includes(e.source))
    && (!needle || e.subject.toLowerCase().includes(needle) || (e.project ?? '').toLowerCase().includes(needle)
      || (e.container ?? '').toLowerCase().includes(needle) || e.message.toLowerCase().includes(needle)));
}

/** The source filter's next step (a key cycles it): all → docker → alert → … → action → all. */
export function nextSourceFilter(current: readonly TimelineSource[] | null): TimelineSource[] | null {
  if (!current || current.length !== 1) return [TIMELINE_SOURCES[0]!];
  const i = TIMELINE_SOURCES.indexOf(current[0]!);
  return i < 0 || i === TIMELINE_SOURCES.length - 1 ? null : [TIMELINE_SOURCES[i + 1]!];
}

/** Rows of entries the view has at `height` (a summary line and the column heads above them). */
export const timelineListRows = (height: number): number => Math.max(1, height - 2);

export interface TimelineCursor {
  /** Index into the filtered entries (oldest first); the newest is count − 1. */
  selected: number;
  /** First entry drawn. */
  top: number;
  /** Stick to the newest entry as new ones arrive (like the Logs view's follow). */
  follow: boolean;
}

export const initialTimelineCursor = (): TimelineCursor => ({ selected: -1, top: 0, follow: true });

export type TimelineMove = 'down' | 'up' | 'pageDown' | 'pageUp' | 'top' | 'bottom';

/** The cursor kept valid for `count` entries and `rows` visible rows: following pins it to now. */
export function clampTimeline(c: TimelineCursor, count: number, rows: number): TimelineCursor {
  if (count === 0) return { selected: -1, top: 0, follow: c.follow };
  const selected = c.follow ? count - 1 : Math.min(count - 1, Math.max(0, c.selected));
  let top = c.follow ? count - rows : c.top;
  if (selected < top) top = selected;
  if (selected >= top + rows) top = selected - rows + 1;
  top = Math.max(0, Math.min(top, count - rows));
  return { selected, top, follow: c.follow };
}

/** A key's effect; reaching the newest entry (`bottom`: "jump to now") follows again, leaving it stops following. */
export function moveTimeline(c: TimelineCursor, move: TimelineMove, count: number, rows: number): TimelineCursor {
  const cur = clampTimeline(c, count, rows);
  if (count === 0) return cur;
  const page = Math.max(1, rows - 1);
  let sel = cur.selected;
  switch (move) {
    case 'down': sel += 1; break;
    case 'up': sel -= 1; break;
    case 'pageDown': sel += page; break;
    case 'pageUp': sel -= page; break;
    case 'top': sel = 0; break;
    case 'bottom': sel = count - 1; break;
  }
  sel = Math.max(0, Math.min(count - 1, sel));
  return clampTimeline({ selected: sel, top: cur.top, follow: sel === count - 1 }, count, rows);
}
