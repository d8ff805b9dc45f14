import React from 'react';
import { Box, Text } from 'ink';
import { fit, formatAge, formatBytes, formatElapsed, truncate } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import type { StoredBackup } from '../src/store/backups.js';
import { isSafetyBackup, sourceVersion } from '../actions/restore.js';
import { visibleWindow } from './overviewLayout.js';
import { useTheme } from './theme.js';
import { STATUS_MARK, type Walkthrough } from './walkSteps.js';

/**
 * The step-by-step screen of a restore or drill: each step with its status, duration and what it
 * reported (or its error), live progress on the running one, the log pane, and the outcome.
 */
export function WalkthroughView({ walk, width, height, now }: { walk: Walkthrough; width: number; height: number; now: number }) {
  const t = useTheme();
  const inner = Math.max(20, width - 2);
  const colorOf = (s: string) => (s === 'done' ? t.ok : s === 'failed' ? t.crit : s === 'running' ? t.accent : t.dim);
  const stepLines = walk.steps.length + walk.steps.filter((s) => s.progress && s.status === 'running').length;
  const fixed = 2 + stepLines + (walk.outcome ? 2 : 0) + (walk.asking ? 1 : 0) + 2;
  const logRows = Math.max(0, height - fixed);
  const log = walk.log.slice(Math.max(0, walk.log.length - logRows));
  const elapsed = walk.outcome ? walk.outcome.durationMs : now - walk.startedAt;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={t.header}>{truncate(`${walk.title} — ${formatElapsed(elapsed)}`, inner)}</Text>
      <Text> </Text>
      {walk.steps.map((s) => (
        <Box key={s.id} flexDirection="column">
          <Text color={colorOf(s.status)} wrap="truncate">
            {truncate(`${STATUS_MARK[s.status]} ${s.title}${s.status === 'running' ? ` (${formatElapsed(now - walk.startedAt)})` : ''}${s.durationMs !== undefined && s.status !== 'running' ? ` (${formatElapsed(s.durationMs)})` : ''}${s.note ? ` — ${s.note}` : ''}`, inner)}
          </Text>
          {s.progress && s.status === 'running' ? <Text color={t.dim}>{truncate(`    ${s.progress}`, inner)}</Text> : null}
        </Box>
      ))}
      <Text color={t.dim}>{truncate(`── log ${'─'.repeat(Math.max(0, inner - 7))}`, inner)}</Text>
      {log.map((l, i) => <Text key={i} color={t.dim} wrap="truncate">{truncate(`  ${l}`, inner)}</Text>)}
      <Box flexGrow={1} />
      {walk.asking ? <Text bold color={t.warn}>{truncate('Interrupt and roll back? y = interrupt (the current step stops, then opsdeck rolls back), any other key goes on', inner)}</Text> : null}
      {walk.outcome ? (
        <>
          <Text bold color={walk.outcome.ok ? t.ok : t.crit} wrap="wrap">{`${walk.outcome.ok ? '✓' : '✗'} ${walk.outcome.message}`}</Text>
          <Text color={t.dim}>{truncate('Esc or Enter closes', inner)}</Text>
        </>
      ) : (
        <Text color={t.dim}>{truncate(walk.interrupted ? 'interrupting: rolling back…' : 'Ctrl-C interrupts (asks first, then rolls back)', inner)}</Text>
      )}
    </Box>
  );
}

/** Step 1 of a restore: the target's usable backups, newest first, the newest verified preselected. */
export function BackupChooser({ target, candidates, index, width, height, now }: { target: string; candidates: StoredBackup[]; index: number; width: number; height: number; now: number }) {
  const t = useTheme();
  const inner = Math.max(20, width - 2);
  const rows = Math.max(1, height - 4);
  const top = visibleWindow(candidates.length, index, rows, 0);
  const line = (b: StoredBackup) => {
    const verified = b.verified === true ? 'verified' : b.verified === false ? 'FAILED' : 'not verified';
    const note = isSafetyBackup(b) ? ` safety backup (before restoring ${safeText(String(b.details.safetyFor))})` : '';
    return `${fit(safeText(b.id), 40)} ${fit(formatAge(b.startedAt, now), 8, 'right')} ${fit(formatBytes(b.sizeBytes), 9, 'right')}  ${fit(verified, 12)} ${safeText(sourceVersion(b) ?? '–')}${note}`;
  };
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={t.header}>{truncate(`Restore ${safeText(target)}: choose the backup (${candidates.length} usable; the newest verified is preselected)`, inner)}</Text>
      <Text color={t.dim}>{truncate(`  ${fit('BACKUP', 40)} ${fit('AGE', 8, 'right')} ${fit('SIZE', 9, 'right')}  ${fit('VERIFIED', 12)} SOURCE`, inner)}</Text>
      {candidates.slice(top, top + rows).map((b, i) => {
        const selected = top + i === index;
        return <Text key={b.id} inverse={selected} color={b.verified === true ? undefined : t.warn} wrap="truncate">{truncate(`${selected ? '>' : ' '} ${line(b)}`, inner)}</Text>;
      })}
      <Box flexGrow={1} />
      <Text color={t.dim}>{truncate('Enter: preflight this backup, then confirm by typing the target\'s name · Esc: cancel', inner)}</Text>
    </Box>
  );
}
