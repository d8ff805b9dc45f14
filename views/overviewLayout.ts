import type { ContainerRow } from '../src/model/dockerModel.js';
import { groupByProject, severity } from '../src/docker/containers.js';
import { fit as fitText, formatBytes, formatPercent, formatDuration } from '../src/format.js';
import { sparkline } from '../src/sparkline.js';

/** Pure layout of the Overview's container table: which columns fit, and each row's cells. */
export type ColumnId = 'name' | 'state' | 'health' | 'cpu' | 'mem' | 'net' | 'restarts' | 'uptime' | 'spark';

interface ColumnDef { id: ColumnId; title: string; width: number; align: 'left' | 'right'; drop: number }

// drop: the order columns leave a narrow terminal (higher leaves first); 0 never leaves.
const COLUMNS: ColumnDef[] = [
  { id: 'name', title: 'NAME', width: 14, align: 'left', drop: 0 },
  { id: 'state', title: 'STATE', width: 10, align: 'left', drop: 0 },
  { id: 'health', title: 'HEALTH', width: 9, align: 'left', drop: 5 },
  { id: 'cpu', title: 'CPU', width: 6, align: 'right', drop: 0 },
  { id: 'mem', title: 'MEM', width: 14, align: 'right', drop: 4 },
  { id: 'net', title: 'NET ↓/↑', width: 15, align: 'right', drop: 7 },
  { id: 'restarts', title: 'RST', width: 3, align: 'right', drop: 3 },
  { id: 'uptime', title: 'UPTIME', width: 7, align: 'right', drop: 2 },
  { id: 'spark', title: 'CPU HISTORY', width: 10, align: 'left', drop: 6 },
];

export interface Column { id: ColumnId; title: string; width: number; align: 'left' | 'right' }

/** Columns for a table `width` cells wide (2 cells of left margin are the caller's). */
export function layoutColumns(width: number): Column[] {
  let cols = COLUMNS.slice();
  const total = (cs: ColumnDef[]) => cs.reduce((s, c) => s + c.width, 0) + (cs.length - 1);
  while (total(cols) > width) {
    const victim = cols.reduce((a, b) => (b.drop > a.drop ? b : a));
    if (victim.drop === 0) break;
    cols = cols.filter((c) => c !== victim);
  }
  const spare = Math.max(0, width - total(cols));
  // Spare room goes to the name first (up to 32), then to the sparkline.
  const nameExtra = Math.min(spare, 32 - 14);
  const sparkExtra = cols.some((c) => c.id === 'spark') ? Math.min(spare - nameExtra, 30) : 0;
  return cols.map((c) => ({
    id: c.id,
    title: c.title,
    align: c.align,
    width: c.width + (c.id === 'name' ? nameExtra : c.id === 'spark' ? sparkExtra : 0),
  }));
}

export interface Cell { text: string; level?: 0 | 1 | 2; dim?: boolean }

function rate(n: number | null): string {
  if (n === null) return '–';
  if (n < 1024) return `${Math.round(n)}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)}K`;
  return `${(n / 1024 / 1024).toFixed(1)}M`;
}

export function uptimeText(c: ContainerRow, now: number): string {
  if (c.state === 'running' && c.startedAt) return formatDuration(now - Date.parse(c.startedAt));
  if (c.state === 'exited' && c.finishedAt) return `${formatDuration(now - Date.parse(c.finishedAt))} ago`;
  return '–';
}

export function stateText(c: ContainerRow): string {
  if (c.state === 'exited') return c.exitCode === null ? 'exited' : `exited(${c.exitCode})`;
  return c.state;
}

export function cellFor(col: Column, c: ContainerRow, now: number, sparkStyle: 'braille' | 'block' | 'ascii', busy?: string): Cell {
  const sev = severity(c);
  switch (col.id) {
    case 'name': return { text: c.name };
    case 'state': return busy ? { text: busy, level: 1 } : { text: stateText(c), level: c.state === 'running' ? 0 : sev };
    case 'health': return { text: c.health === 'none' ? '–' : c.health, level: c.health === 'unhealthy' ? 2 : c.health === 'starting' ? 1 : 0, dim: c.health === 'none' };
    case 'cpu': return { text: c.cpuPercent === null ? '–' : formatPercent(c.cpuPercent, c.cpuPercent < 10 ? 1 : 0) };
    case 'mem': {
      if (c.memBytes === null) return { text: '–' };
      const pct = c.memPercent !== null ? ` ${Math.round(c.memPercent)}%` : '';
      return { text: `${formatBytes(c.memBytes)}${pct}`, level: c.memPercent !== null && c.memPercent >= 95 ? 2 : c.memPercent !== null && c.memPercent >= 85 ? 1 : 0 };
    }
    case 'net': return { text: c.rxRate === null && c.txRate === null ? '–' : `${rate(c.rxRate)}/${rate(c.txRate)}` };
    case 'restarts': return { text: c.restartCount === null ? '' : String(c.restartCount), level: (c.restartCount ?? 0) > 0 && c.state === 'restarting' ? 2 : 0 };
    case 'uptime': return { text: uptimeText(c, now), dim: c.state !== 'running' };
    // Scale floor of 10 %: an idle container's 1 % must not draw as a full bar.
    case 'spark': return { text: c.state === 'running' ? sparkline(c.cpuHistory, col.width, { style: sparkStyle, min: 0, max: Math.max(10, ...c.cpuHistory.map((v) => v ?? 0)) }) : '', dim: false };
  }
}

export function fit(text: string, col: Column): string {
  return fitText(text, col.width, col.align);
}

/** One visual line of the table: a project header or a container. */
export type Line =
  | { kind: 'host'; name: string; url: string; up: boolean; message: string | null; count: number; running: number; worst: 0 | 1 | 2 }
  | { kind: 'group'; project: string | null; count: number; worst: 0 | 1 | 2; running: number; host?: string }
  | { kind: 'row'; row: ContainerRow };

/** An endpoint as the all-hosts Overview heads its section. */
export interface HostHeading { name: string; url: string; conn: { status: string; message?: string } }

export function matchesFilter(c: ContainerRow, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [c.name, c.service ?? '', c.project ?? '', c.image].some((s) => s.toLowerCase().includes(f));
}

/** Groups, filters and flattens the containers into the lines the table shows. */
export function buildLines(rows: readonly ContainerRow[], filter: string, hosts?: readonly HostHeading[]): Line[] {
  const lines: Line[] = [];
  const shown = rows.filter((r) => matchesFilter(r, filter));
  const projects = (list: readonly ContainerRow[], host?: string) => {
    for (const g of groupByProject(list)) {
      lines.push({ kind: 'group', project: g.project, count: g.rows.length, worst: g.worst, running: g.rows.filter((r) => r.state === 'running').length, host });
      for (const row of g.rows) lines.push({ kind: 'row', row });
    }
  };
  if (!hosts) { projects(shown); return lines; }
  // All hosts: each endpoint heads its projects, in the configured order; a host that is down
  // still has its heading (with why), so it is never silently missing from the list.
  const byHost = new Map<string, ContainerRow[]>();
  for (const r of shown) {
    const list = byHost.get(r.endpoint ?? '');
    if (list) list.push(r); else byHost.set(r.endpoint ?? '', [r]);
  }
  for (const h of hosts) {
    const list = byHost.get(h.name) ?? [];
    if (filter && list.length === 0 && h.conn.status === 'up') continue;
    const worst = list.reduce<0 | 1 | 2>((w, r) => Math.max(w, severity(r)) as 0 | 1 | 2, 0);
    lines.push({
      kind: 'host', name: h.name, url: h.url, up: h.conn.status === 'up', message: h.conn.status === 'up' ? null : h.conn.message ?? h.conn.status,
      count: list.length, running: list.filter((r) => r.state === 'running').length, worst,
    });
    projects(list, h.name);
  }
  return lines;
}

/** The slice of lines to draw so that the selected line is visible; a virtualised window. */
export function visibleWindow(total: number, selected: number, height: number, prevTop: number): number {
  if (height <= 0 || total <= height) return 0;
  let top = Math.min(prevTop, total - height);
  if (selected < top) top = selected;
  if (selected >= top + height) top = selected - height + 1;
  return Math.max(0, top);
}
