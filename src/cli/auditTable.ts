import type { AuditRecord } from '../store/audit.js';
import { formatDuration, padEnd } from '../format.js';
import { safeText } from '../sanitize.js';

/**
 * `opsdeck audit` for people: one line an entry, newest first. An ENDPOINT column appears once
 * the log holds actions on a named endpoint other than the one local engine.
 */
export function formatAuditTable(rows: AuditRecord[]): string {
  const withEndpoint = rows.some((r) => r.endpoint && r.endpoint !== 'local');
  const head = ['WHEN', 'USER', ...(withEndpoint ? ['ENDPOINT'] : []), 'ACTION', 'TARGET', 'RESULT', 'TOOK', 'ERROR'];
  const widths = [20, 12, ...(withEndpoint ? [12] : []), 18, 32, 9, 6];
  const lines = [head.map((h, i) => (i < widths.length ? padEnd(h, widths[i]!) : h)).join(' ')];
  for (const r of rows) {
    const cells = [
      r.at.replace('T', ' ').slice(0, 19), safeText(r.user), ...(withEndpoint ? [safeText(r.endpoint ?? '-')] : []),
      r.action, safeText(r.target ?? '-'), r.result, r.durationMs === null ? '-' : formatDuration(r.durationMs), safeText(r.error ?? ''),
    ];
    lines.push(cells.map((c, i) => (i < widths.length ? padEnd(c, widths[i]!) : c)).join(' ').trimEnd());
  }
  return lines.join('\n');
}
