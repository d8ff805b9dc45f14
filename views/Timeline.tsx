import React, { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import { clip, padEnd } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import type { TimelineEntry, TimelineSeverity, TimelineSource } from '../src/timeline/types.js';
import { clampTimeline, filterTimeline, timelineListRows } from '../src/timeline/view.js';
import { useTheme, type Theme } from './theme.js';

export interface TimelineViewProps {
  /** The whole feed, oldest first (readTimeline). */
  entries: readonly TimelineEntry[];
  /** Index into the filtered entries (filterTimeline with the same text and sources). */
  selected: number;
  /** First filtered entry drawn (kept so the selection is visible). */
  top: number;
  /** `/` filter: container, project, subject or message contains it (any case). */
  filterText: string;
  /** Only these sources; null: all. */
  sources: readonly TimelineSource[] | null;
  width: number;
  height: number;
  now: number;
  ascii: boolean;
  /** The filter is being typed (a cursor is drawn). */
  filtering?: boolean;
  /** What the feed covers, for the summary line ("last 24h"). */
  windowLabel?: string;
  /** Following the newest entry (new ones scroll in). */
  follow?: boolean;
  /** A note for the summary line (recording stopped, Docker unreachable …). */
  note?: string | null;
}

const SEV_LABEL: Record<TimelineSeverity, string> = { crit: 'CRIT', warn: 'WARN', ok: 'OK', info: '' };
const SOURCE_LABEL: Record<TimelineSource, string> = { docker: 'docker', alert: 'alert', check: 'check', maintenance: 'maint', action: 'action' };

export function severityColour(t: Theme, s: TimelineSeverity): string | undefined {
  return s === 'crit' ? t.crit : s === 'warn' ? t.warn : s === 'ok' ? t.ok : undefined;
}

const two = (n: number) => String(n).padStart(2, '0');
const dayOf = (ms: number) => { const d = new Date(ms); return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`; };

/** Local time: HH:MM:SS, with MM-DD in front when any visible entry is from another day than now. */
export function timelineTime(ms: number, withDate: boolean): string {
  const d = new Date(ms);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return withDate ? `${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}` : time;
}

interface Cols { time: number; source: number; sev: number; subject: number; message: number }

function columns(width: number, visible: readonly TimelineEntry[], withDate: boolean): Cols {
  const time = withDate ? 14 : 8;
  const source = 6;
  const sev = 4;
  const cap = width >= 140 ? 32 : width >= 100 ? 24 : 16;
  const subject = Math.min(cap, Math.max(10, ...visible.map((e) => e.subject.length)));
  const message = Math.max(10, width - 1 - time - 1 - source - 1 - sev - 1 - subject - 1);
  return { time, source, sev, subject, message };
}

const Row = memo(function Row({ entry, selected, cols, withDate, ascii }: { entry: TimelineEntry; selected: boolean; cols: Cols; withDate: boolean; ascii: boolean }) {
  const t = useTheme();
  const colour = severityColour(t, entry.severity);
  return (
    <Text inverse={selected} wrap="truncate">
      <Text>{selected ? (ascii ? '>' : '▶') : ' '}</Text>
      <Text color={t.dim}>{padEnd(timelineTime(entry.at, withDate), cols.time)} {padEnd(SOURCE_LABEL[entry.source], cols.source)} </Text>
      <Text color={colour} bold={entry.severity === 'crit'}>{padEnd(SEV_LABEL[entry.severity], cols.sev)} </Text>
      <Text>{padEnd(clip(safeText(entry.subject), cols.subject), cols.subject)} </Text>
      <Text color={colour}>{clip(safeText(entry.message), cols.message)}</Text>
    </Text>
  );
});

/**
 * The Timeline view: a summary line, the column heads, then the entries that fit (oldest at the
 * top, newest at the bottom), coloured by severity; the selected one inverted.
 */
export function TimelineView(props: TimelineViewProps) {
  const t = useTheme();
  const { entries, filterText, sources, width, height, now, ascii } = props;
  const shown = useMemo(() => filterTimeline(entries, filterText, sources), [entries, filterText, sources]);
  const rows = timelineListRows(height);
  const cur = clampTimeline({ selected: props.selected, top: props.top, follow: false }, shown.length, rows);
  const visible = shown.slice(cur.top, cur.top + rows);
  const today = dayOf(now);
  const withDate = visible.some((e) => dayOf(e.at) !== today);
  const cols = columns(width, visible, withDate);

  const counts = { crit: 0, warn: 0 };
  for (const e of shown) if (e.severity === 'crit') counts.crit++; else if (e.severity === 'warn') counts.warn++;
  const parts = [`${shown.length} ${shown.length === 1 ? 'entry' : 'entries'}${shown.length !== entries.length ? ` of ${entries.length}` : ''}`];
  if (props.windowLabel) parts.push(props.windowLabel);
  if (filterText || props.filtering) parts.push(`filter "${safeText(filterText)}${props.filtering ? (ascii ? '_' : '█') : ''}"`);
  parts.push(`source ${sources && sources.length ? sources.join(',') : 'all'}`);
  if (props.follow === false && shown.length > 0 && cur.selected < shown.length - 1) parts.push(`${shown.length - 1 - cur.selected} newer (G: now)`);
  const summary = ` Timeline: ${parts.join(' · ')}`;
  const tally = ` · ${counts.crit} crit · ${counts.warn} warn`;
  const note = props.note ? `  ${safeText(props.note)}` : '';

  let empty: string | null = null;
  if (shown.length === 0) {
    empty = entries.length === 0
      ? ' nothing recorded in the window yet: Docker events, check changes, maintenance and actions appear here as they happen'
      : ' no entry matches the filter (Esc clears it; the source key cycles the sources)';
  }
  const head = ` ${padEnd('TIME', cols.time)} ${padEnd('SOURCE', cols.source)} ${padEnd('SEV', cols.sev)} ${padEnd('SUBJECT', cols.subject)} MESSAGE`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{clip(summary, width)}</Text>
        <Text color={counts.crit ? t.crit : counts.warn ? t.warn : t.dim}>{clip(tally, Math.max(0, width - summary.length))}</Text>
        {note ? <Text color={t.dim}>{clip(note, Math.max(0, width - summary.length - tally.length))}</Text> : null}
      </Text>
      <Text color={t.dim} wrap="truncate">{clip(head, width)}</Text>
      {empty ? <Text color={t.dim}>{clip(empty, width)}</Text> : null}
      {visible.map((e, i) => <Row key={e.key} entry={e} selected={cur.top + i === cur.selected} cols={cols} withDate={withDate} ascii={ascii} />)}
    </Box>
  );
}
