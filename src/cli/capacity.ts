/**
 * `opsdeck capacity [--json] [--window 7d] [--all]`: per resource the current value, growth per day
 * and the projection, from the metric history alone (what the agent, or a cockpit, recorded).
 * Exit: 0 ok (also with no history yet), 1 the state store failed, 2 bad option.
 */
import { displayWidth, fit, formatAge, formatBytes, formatPercent, formatRate, MISSING, padStart, truncate } from '../format.js';
import { loadCapacity, parseWindow, WINDOW_NAMES } from '../metrics/load.js';
import { currentCollector } from '../metrics/lock.js';
import { formatGrowth } from '../metrics/projection.js';
import { metricsSettings } from '../metrics/settings.js';
import type { CapacityData, CapacityGroup, CapacitySeries, CapacityUnit } from '../metrics/types.js';
import { openState } from '../store/db.js';
import { safeText } from '../sanitize.js';
import { UsageError, type Context } from './context.js';

export interface CapacityOptions { json?: boolean; window?: string; all?: boolean }

export function formatValue(v: number | null, unit: CapacityUnit): string {
  if (v === null) return MISSING;
  switch (unit) {
    case 'percent':
      return formatPercent(v);
    case 'bytes':
      return formatBytes(v);
    case 'bytesPerSec':
      return formatRate(v);
    case 'load':
      return v.toFixed(2);
  }
}

const GROUP_TITLE: Record<CapacityGroup, string> = { host: 'Host', containers: 'Containers', databases: 'Databases', volumes: 'Volumes' };

/** Without --all the table leaves out per-container CPU and I/O rates (they have no "full"); JSON has everything. */
export function tableSeries(data: CapacityData, all: boolean): CapacitySeries[] {
  return all ? data.series : data.series.filter((s) => s.group !== 'containers' || s.unit === 'bytes');
}

/** The table for people: a header line, then per group its series. */
export function formatCapacityTable(data: CapacityData, opts: { all?: boolean; width?: number; now?: number; collectorText?: string } = {}): string {
  const now = opts.now ?? data.to;
  const rows = tableSeries(data, Boolean(opts.all));
  const head = [
    `capacity over ${data.window}`,
    opts.collectorText ?? (data.collector ? `collecting: ${data.collector}` : 'nobody collects now'),
    data.lastSampleAt === null ? 'no samples yet' : `newest sample ${formatAge(data.lastSampleAt, now)}`,
  ].join(' · ');
  if (rows.length === 0) return `${head}\nno samples in this window`;
  const titleW = Math.min(44, Math.max(8, ...rows.map((s) => displayWidth(safeText(s.title)) + 2)));
  const cols = ['RESOURCE', 'CURRENT', 'LIMIT', 'GROWTH/DAY', 'PROJECTION'];
  const w = [titleW, 11, 11, 16];
  const line = (cells: string[]) =>
    [fit(cells[0]!, w[0]!), padStart(cells[1]!, w[1]!), padStart(cells[2]!, w[2]!), padStart(cells[3]!, w[3]!), cells[4]!].join('  ').trimEnd();
  const out = [head, line(cols)];
  let group: CapacityGroup | null = null;
  for (const s of rows) {
    if (s.group !== group) {
      group = s.group;
      out.push(GROUP_TITLE[group]);
    }
    const p = s.projection;
    // Growth only where the fit means something (no trend: the slope is noise).
    const growth = p && p.growthPerDay !== null && (p.status === 'full-in' || p.status === 'no-limit' || p.status === 'shrinking') ? formatGrowth(p.growthPerDay, s.unit) : MISSING;
    const limit = s.unit === 'percent' ? MISSING : formatValue(s.limit, s.unit);
    out.push(line([`  ${safeText(s.title)}`, formatValue(s.current, s.unit), limit, growth, p ? safeText(p.message) : MISSING]));
  }
  const width = opts.width;
  return width ? out.map((l) => (displayWidth(l) > width ? truncate(l, width) : l)).join('\n') : out.join('\n');
}

/** JSON rows: the series without their points (current, min, max, limit, projection). */
export function capacityJson(data: CapacityData): object[] {
  return data.series.map((s) => ({
    id: s.id, title: s.title, group: s.group, unit: s.unit, window: data.window,
    current: s.current, min: s.min, max: s.max, limit: s.limit,
    samples: s.points.reduce((n, p) => n + (p.value === null ? 0 : 1), 0),
    projection: s.projection,
  }));
}

export async function runCapacityCommand(ctx: Context, opts: CapacityOptions): Promise<number> {
  const window = parseWindow(opts.window ?? '7d');
  if (!window) throw new UsageError(`opsdeck capacity: --window must be one of ${WINDOW_NAMES.join(', ')}, got "${opts.window}"`);
  let retention;
  try {
    retention = metricsSettings(ctx.config).retention;
  } catch (e) {
    throw new UsageError(`opsdeck capacity: ${(e as Error).message}`);
  }
  const { db, path } = openState(ctx.stateDir);
  try {
    const now = Date.now();
    const data = loadCapacity(db, window, now, { retention });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(capacityJson(data), null, 2)}\n`);
      return 0;
    }
    if (data.lastSampleAt === null) {
      process.stdout.write(`no metric history yet in ${path}: run \`opsdeck agent\` (or keep the cockpit open) to collect samples\n`);
      return 0;
    }
    const who = currentCollector(db);
    const collectorText = who ? `collecting: ${who.role} (pid ${who.holder.pid} on ${safeText(who.holder.host)})` : 'nobody collects now (history only)';
    process.stdout.write(`${formatCapacityTable(data, { all: opts.all, width: process.stdout.isTTY ? process.stdout.columns : undefined, now, collectorText })}\n`);
    return 0;
  } finally {
    db.close();
  }
}
