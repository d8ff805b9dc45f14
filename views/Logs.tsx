import React from 'react';
import { Box, Text } from 'ink';
import type { LogSnapshot } from '../src/model/logModel.js';
import type { FilteredIndex, LogFilter } from '../src/logs/filter.js';
import { describeFilter } from '../src/logs/filter.js';
import type { LogBuffer } from '../src/logs/logBuffer.js';
import { describeTarget } from '../src/logs/target.js';
import { clip } from '../src/format.js';
import { useTheme, type Theme } from './theme.js';
import { bottomIndex, layoutRows, prefixWidthFor, sourceColour, type LogRow, type LogViewState, type Seg } from './logView.js';

export interface LogsProps {
  snap: LogSnapshot;
  buffer: LogBuffer;
  index: FilteredIndex;
  state: LogViewState;
  filter: LogFilter;
  filterError: string | null;
  width: number;
  height: number;
  ascii: boolean;
  /** The tail length, for the window label. */
  tail: number;
}

const n = (v: number) => v.toLocaleString('en-US');
const plural = (v: number, word: string) => `${n(v)} ${word}${v === 1 ? '' : 's'}`;

function windowLabel(snap: LogSnapshot, tail: number): string {
  return snap.window === 'tail' ? `last ${n(tail)}${snap.members.length > 1 ? '/container' : ''}` : `last ${snap.window}`;
}

/** Header rows of the view: what is shown, follow state, counts; then filter or pause details. */
function LogHeader({ snap, buffer, index, state, filter, filterError, width, tail }: Omit<LogsProps, 'height' | 'ascii'>) {
  const t = useTheme();
  const targetFull = snap.target ? describeTarget(snap.target) : 'nothing selected';
  const following = snap.members.filter((m) => m.status === 'following').length;
  const members = snap.members.length > 1 ? ` (${following}/${snap.members.length} following)` : snap.members[0] && snap.members[0].status !== 'following' && !snap.loading ? ` (${snap.members[0].status})` : '';
  const mode = snap.loading ? 'LOADING' : state.follow ? 'FOLLOWING' : 'PAUSED';
  const newLines = state.follow ? 0 : buffer.lastSeq - state.pausedAtSeq;
  // The parts that matter most come first; the target name gives way when the line is short.
  const counts = ` · ${plural(buffer.size, 'line')}${buffer.dropped ? ` · ${n(buffer.dropped)} dropped (buffer full)` : ''} · `;
  const tailText = ` · window ${windowLabel(snap, tail)}`;
  const fixed = ' Logs:  · '.length + mode.length + counts.length + plural(buffer.errors, 'error').length + 3 + plural(buffer.warnings, 'warning').length + members.length;
  const target = clip(targetFull, Math.max(8, width - fixed - 2));
  const left = ` Logs: ${target}${members} · `;
  // Paused on lines the buffer has since dropped: say so rather than silently showing others.
  const anchorLost = !state.follow && state.bottomSeq < buffer.firstSeq;
  let second: React.ReactNode;
  if (filterError) second = <Text color={t.crit}>{clip(` filter: ${filterError}`, width)}</Text>;
  else if (snap.error) second = <Text color={t.crit}>{clip(` ${snap.error}`, width)}</Text>;
  else {
    const parts: string[] = [];
    if (filter.kind !== 'none') parts.push(`filter ${describeFilter(filter)}: ${plural(index.count, 'matching line')}`);
    if (anchorLost) parts.push(`the lines you paused on were dropped (buffer full); showing the oldest held · ${plural(newLines, 'new line')} (G follows)`);
    else if (!state.follow) parts.push(`${plural(newLines, 'new line')} (f or G to follow)`);
    second = <Text color={anchorLost ? t.crit : parts.length ? t.warn : t.dim}>{clip(` ${parts.join(' · ') || 'f pause · / filter · e/E errors · w/W warnings · ? all keys'}`, width)}</Text>;
  }
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{left}</Text>
        <Text bold inverse={!state.follow} color={state.follow ? t.ok : t.warn}>{mode}</Text>
        <Text>{counts}</Text>
        <Text color={buffer.errors ? t.crit : undefined} bold={buffer.errors > 0}>{plural(buffer.errors, 'error')}</Text>
        <Text>{' · '}</Text>
        <Text color={buffer.warnings ? t.warn : undefined}>{plural(buffer.warnings, 'warning')}</Text>
        <Text color={t.dim}>{tailText}</Text>
      </Text>
      {second}
    </Box>
  );
}

function segProps(seg: Seg, t: Theme): { color?: string; bold?: boolean; inverse?: boolean; dimColor?: boolean; italic?: boolean } {
  switch (seg.style) {
    case 'prefix': return { color: t.color ? sourceColour(seg.source ?? '') : undefined };
    case 'sep': return { color: t.dim };
    case 'err-sep': return { color: t.color ? 'magenta' : undefined, bold: true };
    case 'ts': return { color: t.dim };
    case 'marker': return { color: t.accent, bold: true };
    case 'note': return { color: t.dim, italic: true };
    case 'match': return { inverse: true, color: seg.level === 'error' ? t.crit : seg.level === 'warn' ? t.warn : undefined };
    case 'more': return { color: t.dim };
    default: return { color: seg.level === 'error' ? t.crit : seg.level === 'warn' ? t.warn : seg.level === 'debug' ? t.dim : undefined };
  }
}

function Row({ row }: { row: LogRow }) {
  const t = useTheme();
  return (
    <Text wrap="truncate">
      {row.segs.map((s, i) => <Text key={i} {...segProps(s, t)}>{s.text}</Text>)}
    </Text>
  );
}

/** The Logs view: two header rows, then only the lines that fit. */
export function LogsView(props: LogsProps) {
  const t = useTheme();
  const { snap, buffer, index, state, filter, width, height, ascii } = props;
  const rows = Math.max(1, height - 2);
  const bottom = bottomIndex(state, { buffer, index, rows });
  const sources = [...new Set(snap.members.map((m) => m.source))];
  const laid = bottom < 0 ? [] : layoutRows(index, buffer, bottom, {
    width, rows, prefixWidth: prefixWidthFor(sources), showTs: state.showTs, wrap: state.wrap, pretty: state.pretty,
    filter, markSeq: state.markSeq, ascii,
  });
  let empty: string | null = null;
  if (laid.length === 0) {
    if (snap.loading) empty = ' loading…';
    else if (!snap.target) empty = ' no container selected: press 1, pick a container, then l (or L for its whole project)';
    else if (buffer.size > 0) empty = ' no line matches the filter (Esc clears it, ! inverts it)';
    else empty = ` no log lines in the window (${windowLabel(snap, props.tail)}); new lines appear here as they are written`;
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <LogHeader {...props} />
      {empty ? <Text color={t.dim}>{clip(empty, width)}</Text> : laid.map((r) => <Row key={r.key} row={r} />)}
    </Box>
  );
}
