import React from 'react';
import { Box, Text } from 'ink';
import type { BackupRecord } from '../src/backup/types.js';
import { clip, formatBytes, formatDuration, padEnd, padStart } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import { useTheme } from './theme.js';

/** One backup target as the Backups view shows it. */
export interface BackupTargetRow {
  id: string;
  kind: string;
  source: 'config' | 'discovered';
  /** Newest backup that finished and passed verification: the one a restore would use. */
  latestGood: BackupRecord | null;
  /** Newest backup of any outcome. */
  last: BackupRecord | null;
  /** Newest first. */
  history: BackupRecord[];
  /** What is running for this target right now ("dump 12 MiB at 40 MiB/s"), if anything. */
  running: string | null;
  /** The newest finished restore drill / restore (null: none yet). */
  lastDrill?: { at: number; ok: boolean; message: string | null } | null;
  lastRestore?: { at: number; status: string; message: string | null } | null;
}

/** "2d ago ✓", "5h ago FAILED", "never": the DRILL column. */
export function drillText(d: BackupTargetRow['lastDrill'], now: number, ascii: boolean): string {
  if (!d) return 'never';
  return `${formatDuration(now - d.at)} ${d.ok ? (ascii ? 'ok' : '✓') : 'FAILED'}`;
}

export interface AgeThresholds { warn: number; crit: number }

/** Age colour: the runbooks' "last good backup older than 26 h warn, 50 h crit". */
export function ageLevel(ageMs: number | null, t: AgeThresholds): 'ok' | 'warn' | 'crit' {
  if (ageMs === null) return 'crit';
  return ageMs >= t.crit ? 'crit' : ageMs >= t.warn ? 'warn' : 'ok';
}

function trend(row: BackupTargetRow): string {
  const good = row.history.filter((b) => b.status === 'ok' && b.sizeBytes !== null);
  if (good.length < 2) return '';
  const [a, b] = [good[0]!.sizeBytes!, good[1]!.sizeBytes!];
  if (b === 0) return '';
  const pct = ((a - b) / b) * 100;
  return Math.abs(pct) < 0.5 ? '=' : `${pct > 0 ? '+' : ''}${pct.toFixed(pct > -10 && pct < 10 ? 1 : 0)}%`;
}

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function verifiedMark(b: BackupRecord | null, ascii: boolean): string {
  if (!b) return '';
  if (b.verified === true) return ascii ? 'yes' : '✓ yes';
  if (b.verified === false) return ascii ? 'FAILED' : '✗ FAILED';
  return b.status === 'ok' ? 'not yet' : '';
}

export interface BackupsViewProps {
  rows: readonly BackupTargetRow[];
  selected: number;
  width: number;
  height: number;
  now: number;
  ascii: boolean;
  thresholds: AgeThresholds;
  /** Where backups go, for the summary line. */
  dir: string;
  note?: string | null;
}

/** The Backups view: targets with the age of their last good backup, then the selected one's history. */
export function BackupsView({ rows, selected, width, height, now, ascii, thresholds, dir, note }: BackupsViewProps) {
  const t = useTheme();
  const nameW = Math.min(Math.max(10, ...rows.map((r) => r.id.length)), 28);
  const targetRows = Math.max(1, Math.min(rows.length, Math.floor((height - 4) / 2)));
  const top = Math.max(0, Math.min(selected - targetRows + 1, rows.length - targetRows));
  const sel = rows[selected] ?? null;
  const histRows = Math.max(0, height - 4 - targetRows - 1);
  const colour = (l: 'ok' | 'warn' | 'crit') => (l === 'crit' ? t.crit : l === 'warn' ? t.warn : t.ok);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate" bold>{clip(` Backups: ${rows.length} target${rows.length === 1 ? '' : 's'} · into ${dir}${note ? ` · ${note}` : ''}`, width)}</Text>
      <Text color={t.dim} wrap="truncate">{clip(` ${padEnd('TARGET', nameW)} ${padEnd('KIND', 8)} ${padStart('LAST GOOD', 10)} ${padStart('SIZE', 9)} ${padStart('TREND', 6)} ${padEnd(' VERIFIED', 10)} ${padEnd('DRILL', 11)} LAST RUN`, width)}</Text>
      {rows.length === 0 ? <Text color={t.dim}>{clip(' no targets: PostgreSQL, Redis and MySQL containers appear here on their own; SQLite files, volumes and files come from the config (backups.targets)', width)}</Text> : null}
      {rows.slice(top, top + targetRows).map((r, i) => {
        const age = r.latestGood?.finishedAt ? now - r.latestGood.finishedAt : null;
        const level = ageLevel(age, thresholds);
        const lastRun = r.running
          ? `running: ${r.running}`
          : r.last ? `${r.last.status === 'failed' ? 'FAILED' : r.last.status} ${formatDuration(now - r.last.startedAt)} ago${r.last.error ? `: ${safeText(r.last.error)}` : ''}` : 'never';
        const isSel = top + i === selected;
        return (
          <Text key={r.id} inverse={isSel} wrap="truncate">
            <Text>{isSel ? (ascii ? '>' : '▶') : ' '}</Text>
            <Text>{padEnd(clip(r.id, nameW), nameW)} {padEnd(r.kind, 8)} </Text>
            <Text color={colour(level)} bold={level === 'crit'}>{padStart(age === null ? 'none' : formatDuration(age), 10)}</Text>
            <Text> {padStart(r.latestGood?.sizeBytes != null ? formatBytes(r.latestGood.sizeBytes) : '–', 9)} {padStart(trend(r), 6)} </Text>
            <Text color={r.latestGood ? t.ok : t.dim}>{padEnd(` ${verifiedMark(r.latestGood, ascii)}`, 10)}</Text>
            <Text color={r.lastDrill ? (r.lastDrill.ok ? t.ok : t.crit) : t.dim}> {padEnd(drillText(r.lastDrill, now, ascii), 11)}</Text>
            <Text color={r.running ? t.accent : r.last?.status === 'failed' ? t.crit : t.dim}> {clip(lastRun, Math.max(0, width - nameW - 62))}</Text>
          </Text>
        );
      })}
      <Text color={sel?.lastRestore && sel.lastRestore.status !== 'ok' ? t.warn : t.dim} wrap="truncate">{clip(sel ? ` history of ${sel.id} (newest first): b backs up · v verifies · R restores · D drills${sel.lastRestore ? ` · last restore ${formatDuration(now - sel.lastRestore.at)} ago: ${sel.lastRestore.status}` : ''}` : '', width)}</Text>
      <Text color={t.dim} wrap="truncate">{clip(`  ${padEnd('TIME (UTC)', 17)} ${padStart('SIZE', 9)} ${padStart('TOOK', 7)} ${padEnd('SHA256', 12)} ${padEnd('STATUS', 7)} ${padEnd('VERIFIED', 9)} ERROR`, width)}</Text>
      {sel && sel.history.length === 0 ? <Text color={t.dim}>{clip('  no backups yet: press b', width)}</Text> : null}
      {(sel?.history ?? []).slice(0, histRows).map((b) => (
        <Text key={b.id} wrap="truncate" color={b.status === 'failed' || b.verified === false ? t.crit : undefined}>
          {clip(`  ${padEnd(stamp(b.startedAt), 17)} ${padStart(b.sizeBytes != null ? formatBytes(b.sizeBytes) : '–', 9)} ${padStart(b.durationMs != null ? formatDuration(b.durationMs) : '–', 7)} ${padEnd(b.sha256 ? b.sha256.slice(0, 12) : '–', 12)} ${padEnd(b.status, 7)} ${padEnd(verifiedMark(b, true) || '–', 9)} ${b.error ? safeText(b.error) : b.verified === false ? safeText(b.verifyMessage ?? '') : typeof b.details.safetyFor === 'string' ? `safety backup before restoring ${safeText(b.details.safetyFor)}` : ''}`, width)}
        </Text>
      ))}
    </Box>
  );
}
