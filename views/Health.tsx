import React from 'react';
import { Box, Text } from 'ink';
import type { CheckStatus, DetailValue } from '../src/checks/types.js';
import { clip, formatDuration, padEnd, padStart } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import { useTheme, type Theme } from './theme.js';

/** One check as the Health view shows it. */
export interface HealthRow {
  name: string;
  kind: string;
  /** null: not run yet. */
  status: CheckStatus | null;
  message: string;
  latencyMs: number | null;
  /** Since when the check has had this status (epoch ms). */
  since: number | null;
  /** Last results, oldest first. */
  history: CheckStatus[];
  running: boolean;
  details: Record<string, DetailValue>;
  source: 'config' | 'discovered';
}

const LABEL: Record<CheckStatus, string> = { ok: 'OK', warn: 'WARN', crit: 'CRIT', unknown: 'UNKN' };
const STRIP_CHAR: Record<CheckStatus, [string, string]> = { ok: ['▁', '.'], warn: ['▄', 'w'], crit: ['█', 'C'], unknown: ['▒', '?'] };

export function statusColour(t: Theme, s: CheckStatus | null): string | undefined {
  return s === 'crit' ? t.crit : s === 'warn' ? t.warn : s === 'ok' ? t.ok : s === 'unknown' ? t.accent : t.dim;
}

/** The last results as a strip: one cell a run, its height (or letter) the status. */
export function historyStrip(history: readonly CheckStatus[], width: number, ascii: boolean): string {
  const shown = history.slice(-width);
  return padStart(shown.map((s) => STRIP_CHAR[s][ascii ? 1 : 0]).join(''), width);
}

export interface HealthColumns { name: number; message: number; latency: number; since: number; strip: number }

/** Column widths: the message takes what is left; the strip shrinks on narrow terminals. */
export function healthColumns(width: number, rows: readonly HealthRow[]): HealthColumns {
  const strip = width >= 120 ? 20 : width >= 90 ? 12 : 6;
  const name = Math.min(Math.max(12, ...rows.map((r) => r.name.length)), width >= 120 ? 36 : 24);
  const latency = 7;
  const since = 7;
  const message = Math.max(10, width - 1 - 5 - name - 1 - latency - since - strip - 4);
  return { name, message, latency, since, strip };
}

function Line({ row, selected, cols, now, ascii }: { row: HealthRow; selected: boolean; cols: HealthColumns; now: number; ascii: boolean }) {
  const t = useTheme();
  const label = row.status ? LABEL[row.status] : row.running ? '…' : '-';
  const lat = row.latencyMs === null ? '' : row.latencyMs < 1000 ? `${Math.round(row.latencyMs)}ms` : `${(row.latencyMs / 1000).toFixed(1)}s`;
  const since = row.since === null ? '' : formatDuration(Math.max(0, now - row.since));
  return (
    <Text inverse={selected} wrap="truncate">
      <Text>{selected ? (ascii ? '>' : '▶') : ' '}</Text>
      <Text color={statusColour(t, row.status)} bold={row.status === 'crit'}>{padEnd(label, 5)}</Text>
      <Text>{padEnd(clip(row.name, cols.name), cols.name)} </Text>
      <Text color={row.status === 'crit' ? t.crit : row.status === 'warn' ? t.warn : undefined}>{padEnd(clip(row.message, cols.message), cols.message)} </Text>
      <Text color={t.dim}>{padStart(lat, cols.latency)} {padStart(since, cols.since)} </Text>
      <Text color={statusColour(t, row.history[row.history.length - 1] ?? null)}>{historyStrip(row.history, cols.strip, ascii)}</Text>
    </Text>
  );
}

export interface HealthViewProps {
  rows: readonly HealthRow[];
  selected: number;
  top: number;
  width: number;
  height: number;
  now: number;
  ascii: boolean;
  /** A note above the table: checks not configured yet, or why there are none. */
  note?: string;
}

/** The Health view: a summary line, the column heads, then the checks that fit (failing first). */
export function HealthView({ rows, selected, top, width, height, now, ascii, note }: HealthViewProps) {
  const t = useTheme();
  const cols = healthColumns(width, rows);
  const counts: Record<string, number> = { crit: 0, warn: 0, unknown: 0, ok: 0 };
  for (const r of rows) if (r.status) counts[r.status]!++;
  const pending = rows.filter((r) => !r.status).length;
  const summary = ` Health: ${rows.length} checks · ${counts.crit} crit · ${counts.warn} warn · ${counts.unknown} unknown · ${counts.ok} ok${pending ? ` · ${pending} not run yet` : ''}`;
  const listRows = Math.max(1, height - 2);
  const visible = rows.slice(top, top + listRows);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{clip(summary, width)}</Text>
        {note ? <Text color={t.dim}>{clip(`  ${note}`, Math.max(0, width - summary.length))}</Text> : null}
      </Text>
      <Text color={t.dim} wrap="truncate">{` ${padEnd('STAT', 5)}${padEnd('CHECK', cols.name)} ${padEnd('MESSAGE', cols.message)} ${padStart('LATENCY', cols.latency)} ${padStart('SINCE', cols.since)} ${padStart('LAST RUNS', cols.strip)}`}</Text>
      {rows.length === 0 ? <Text color={t.dim}>{clip(' no checks yet: they appear as soon as Docker answers (config: checks:)', width)}</Text> : null}
      {visible.map((r, i) => <Line key={r.name} row={r} selected={top + i === selected} cols={cols} now={now} ascii={ascii} />)}
    </Box>
  );
}

/** Enter on a check: everything its last run reported. */
export function HealthDetails({ row, width, height, now }: { row: HealthRow; width: number; height: number; now: number }) {
  const t = useTheme();
  const lines: [string, string][] = [
    ['status', row.status ? `${LABEL[row.status]}${row.since ? ` for ${formatDuration(now - row.since)}` : ''}` : 'not run yet'],
    ['kind', `${row.kind} (${row.source === 'config' ? 'from the config file' : 'discovered'})`],
    ['message', row.message],
    ['latency', row.latencyMs === null ? '–' : `${Math.round(row.latencyMs)} ms`],
    ['last runs', row.history.map((s) => LABEL[s]).join(' ') || '–'],
  ];
  for (const [k, v] of Object.entries(row.details)) lines.push([k, v === null ? '–' : safeText(String(v)).replace(/\s+/g, ' ')]);
  const keyWidth = Math.min(20, Math.max(...lines.map(([k]) => k.length)) + 1);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={statusColour(t, row.status)} paddingX={1}>
      <Text bold>{clip(`${row.name} — Esc closes · c runs it now`, width - 4)}</Text>
      {lines.slice(0, Math.max(0, height - 3)).map(([k, v]) => (
        <Text key={k} wrap="truncate"><Text color={t.dim}>{padEnd(k, keyWidth)}</Text>{clip(v, width - 4 - keyWidth)}</Text>
      ))}
    </Box>
  );
}
