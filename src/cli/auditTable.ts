import type { AuditRecord } from '../store/audit.js';
import { formatDuration, padEnd } from '../format.js';
import { safeText } from '../sanitize.js';

/** `opsdeck audit` for people: one line an entry, newest first. */
export function formatAuditTable(rows: AuditRecord[]): string {
  const head = ['WHEN', 'USER', 'ACTION', 'TARGET', 'RESULT', 'TOOK', 'ERROR'];
  const widths = [20, 12, 18, 32, 9, 6];
  const lines = [head.map((h, i) => (i < widths.length ? padEnd(h, widths[i]!) : h)).join(' ')];
  for (const r of rows) {
    const cells = [r.at.replace('T', ' ').slice(0, 19), safeText(r.user), r.action, safeText(r.target ?? '-'), r.result, r.durationMs === null ? '-' : formatDuration(r.durationMs), safeText(r.error ?? '')];
    lines.push(cells.map((c, i) => (i < widths.length ? padEnd(c, widths[i]!) : c)).join(' ').trimEnd());
  }
  return lines.join('\n');
}
