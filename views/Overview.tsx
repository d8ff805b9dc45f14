import React, { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import type { ContainerRow } from '../src/model/dockerModel.js';
import type { HostState } from '../src/model/hostModel.js';
import { bar, displayWidth, formatBytes, formatPercent, padEnd, truncate } from '../src/format.js';
import { severity } from '../src/docker/containers.js';
import { cellFor, fit, layoutColumns, uptimeText, type Column, type Line } from './overviewLayout.js';
import { levelColor, useTheme } from './theme.js';
import { safeText } from '../src/sanitize.js';

function pctLevel(p: number | null | undefined, warn: number, crit: number): 0 | 1 | 2 {
  if (p === null || p === undefined) return 0;
  return p >= crit ? 2 : p >= warn ? 1 : 0;
}

export interface Thresholds { disk: { warn: number; crit: number }; memory: { warn: number; crit: number }; cpu: { warn: number; crit: number } }

/** Lines the host strip needs at this width (so the caller can budget the table's height). */
export function hostStripHeight(host: HostState, width: number): number {
  const disks = host.snapshot?.disks.length ?? 0;
  if (disks === 0) return 1;
  const perLine = Math.max(1, Math.floor((width - 2) / 28));
  return 1 + Math.ceil(disks / perLine);
}

/** Host strip: CPU, memory, load, and each real disk with a bar and %. */
export function HostStrip({ host, width, thresholds, ascii }: { host: HostState; width: number; thresholds: Thresholds; ascii: boolean }) {
  const t = useTheme();
  const s = host.snapshot;
  if (!s) return <Text color={t.dim}> host: reading /proc…</Text>;
  const cpuL = pctLevel(s.cpuPercent, thresholds.cpu.warn, thresholds.cpu.crit);
  const memL = pctLevel(s.memPercent, thresholds.memory.warn, thresholds.memory.crit);
  // The first line is measured, not wrapped: segments that don't fit are cut or left out.
  const segments: { text: string; color?: string }[] = [
    { text: ' CPU ' },
    { text: `${bar(s.cpuPercent ?? 0, 10, { ascii })} ${padEnd(formatPercent(s.cpuPercent), 6)}`, color: levelColor(t, cpuL) },
    { text: ` ×${s.cpuCount}   MEM ` },
    { text: `${bar(s.memPercent, 10, { ascii })} ${padEnd(formatPercent(s.memPercent), 6)}`, color: levelColor(t, memL) },
    { text: ` ${formatBytes(s.memUsedBytes)}/${formatBytes(s.memTotalBytes)}   LOAD ${s.load1.toFixed(2)} ${s.load5.toFixed(2)} ${s.load15.toFixed(2)}` },
  ];
  const firstLine: typeof segments = [];
  let room = width;
  for (const seg of segments) {
    if (room <= 0) break;
    const text = displayWidth(seg.text) > room ? truncate(seg.text, room) : seg.text;
    firstLine.push({ ...seg, text });
    room -= displayWidth(text);
  }
  const perLine = Math.max(1, Math.floor((width - 2) / 28));
  const diskLines: (typeof s.disks)[] = [];
  s.disks.forEach((d, i) => {
    const li = Math.floor(i / perLine);
    (diskLines[li] ??= []).push(d);
  });
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        {firstLine.map((seg, i) => <Text key={i} color={seg.color}>{seg.text}</Text>)}
      </Box>
      {diskLines.map((line, li) => (
        <Box key={li}>
          {line.map((d) => {
            const l = pctLevel(d.usedPercent, thresholds.disk.warn, thresholds.disk.crit);
            return (
              <Text key={d.mount} color={levelColor(t, l)}>
                {` ${padEnd(truncate(d.mount, 10), 10)} ${bar(d.usedPercent, 8, { ascii })} ${padEnd(formatPercent(d.usedPercent, 0), 5)}`}
              </Text>
            );
          })}
        </Box>
      ))}
    </Box>
  );
}

export interface ContainerTableProps {
  lines: Line[];
  top: number;
  height: number;
  width: number;
  selectedId: string | null;
  now: number;
  sparkStyle: 'braille' | 'block' | 'ascii';
  loaded: boolean;
  filter: string;
  /** Containers with an action under way: id → what is happening ("restarting…"). */
  busy: Record<string, string>;
}

/** The grouped container table; draws only the visible window of lines. */
export function ContainerTable({ lines, top, height, width, selectedId, now, sparkStyle, loaded, filter, busy }: ContainerTableProps) {
  const t = useTheme();
  const cols = useMemo(() => layoutColumns(width - 2), [width]);
  const header = cols.map((c) => fit(c.title, c)).join(' ');
  const body = lines.slice(top, top + Math.max(0, height - 1));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={t.dim}>{`  ${header}`}</Text>
      {!loaded ? <Text color={t.dim}>  listing containers…</Text> : null}
      {loaded && lines.length === 0 ? <Text color={t.dim}>{filter ? `  no container matches "${filter}" (Esc clears the filter)` : '  no containers on this engine'}</Text> : null}
      {body.map((line) => {
        if (line.kind === 'host') {
          const text = line.up ? `${line.name}  ${line.url}  ${line.running}/${line.count} running` : `${line.name}  ${line.url}  UNREACHABLE: ${line.message ?? ''}`;
          return <Text key={`h-${line.name}`} bold inverse color={line.up ? levelColor(t, line.worst) ?? t.accent : t.crit}>{truncate(`■ ${safeText(text)}`, width)}</Text>;
        }
        if (line.kind === 'group') {
          const title = line.project ?? '(no compose project)';
          const text = `${title}  ${line.running}/${line.count} running`;
          return <Text key={`g-${line.host ?? ''}-${line.project ?? ''}`} bold color={levelColor(t, line.worst) ?? t.accent}>{truncate(`${line.host ? '  ' : ''}▾ ${text}`, width)}</Text>;
        }
        return (
          <ContainerLine key={line.row.id} row={line.row} cols={cols} selected={line.row.id === selectedId} at={now} sparkStyle={sparkStyle} busy={busy[line.row.id]} width={width} />
        );
      })}
    </Box>
  );
}

interface LineProps { row: ContainerRow; cols: Column[]; selected: boolean; at: number; sparkStyle: 'braille' | 'block' | 'ascii'; busy?: string; width: number }

/**
 * One container row: a single Ink text node (nested <Text> only colours it), memoised so the rows
 * that did not change cost nothing when something else repaints.
 */
const ContainerLine = memo(function ContainerLine({ row: c, cols, selected, at, sparkStyle, busy }: LineProps) {
  const t = useTheme();
  const sev = severity(c);
  return (
    <Text wrap="truncate" inverse={selected}>
      <Text color={selected ? undefined : levelColor(t, sev)}>{selected ? '› ' : '  '}</Text>
      {cols.map((col, i) => {
        const cell = cellFor(col, c, at, sparkStyle, busy);
        const color = selected ? undefined : col.id === 'name' ? levelColor(t, sev) : cell.level ? levelColor(t, cell.level) : cell.dim ? t.dim : col.id === 'spark' ? t.accent : undefined;
        return <Text key={col.id} color={color}>{`${fit(cell.text, col)}${i < cols.length - 1 ? ' ' : ''}`}</Text>;
      })}
    </Text>
  );
}, (a, b) => a.row === b.row && a.cols === b.cols && a.selected === b.selected && a.sparkStyle === b.sparkStyle && a.busy === b.busy && a.width === b.width
  && (a.at === b.at || uptimeText(a.row, a.at) === uptimeText(b.row, b.at)));

/** The one-line "needs attention" strip shown when something is unhealthy, restarting or exited badly. */
/** What needs attention: the failing checks once they have run, else the containers in trouble. */
export function AttentionStrip({ rows, checks, width }: { rows: readonly ContainerRow[]; checks?: readonly { name: string; status: string | null; message: string }[] | null; width: number }) {
  const t = useTheme();
  if (checks) {
    if (checks.length === 0) return null;
    const crit = checks.filter((c) => c.status === 'crit');
    const ordered = [...crit, ...checks.filter((c) => c.status !== 'crit')];
    const what = ordered.map((c) => `${c.name} ${c.status === 'crit' ? 'CRIT' : 'WARN'}: ${c.message}`).join(' · ');
    return <Text color={crit.length ? t.crit : t.warn} bold wrap="truncate">{truncate(` ! ${checks.length} check${checks.length === 1 ? '' : 's'} failing (3 Health): ${what}`, width)}</Text>;
  }
  const bad = rows.filter((r) => severity(r) === 2);
  if (bad.length === 0) return null;
  const what = bad.map((r) => `${r.name} ${r.health === 'unhealthy' ? 'unhealthy' : r.state === 'exited' ? `exited(${r.exitCode ?? '?'})` : r.state}`).join(', ');
  return <Text color={t.crit} bold wrap="truncate">{truncate(` ! ${bad.length} need${bad.length === 1 ? 's' : ''} attention: ${what}`, width)}</Text>;
}
