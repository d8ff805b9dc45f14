import React from 'react';
import { Box, Text } from 'ink';
import { keymap, type Scope } from './keymap.js';
import { useTheme } from './theme.js';
import { padEnd, truncate } from '../src/format.js';

const SCOPE_TITLE: Record<Scope, string> = {
  global: 'Everywhere',
  list: 'Lists',
  overview: 'Overview',
  logs: 'Logs',
  health: 'Health',
  backups: 'Backups',
  filter: 'While filtering',
  help: 'This help',
  dialog: 'In a confirmation dialog',
  palette: 'In the command palette (:)',
  choose: 'Choosing the backup to restore',
  walkthrough: 'During a restore or drill',
  timeline: 'Timeline',
  capacity: 'Capacity',
  detail: 'Container details',
  hosts: 'Choosing the endpoint (H)',
  services: 'Services (Swarm)',
  scale: 'Typing the number of replicas',
};

interface HelpLine { key: string; text: string; title?: boolean; off?: boolean }

/** Every key from the keymap table, grouped by where it works, the scopes in `first` at the top. */
export function helpLines(readOnly: boolean, first: Scope[] = []): HelpLine[] {
  const all = [...new Set(keymap.map((k) => k.scope))];
  const scopes = [...first.filter((s) => all.includes(s)), ...all.filter((s) => !first.includes(s))];
  const lines: HelpLine[] = [];
  for (const scope of scopes) {
    lines.push({ key: `h-${scope}`, text: SCOPE_TITLE[scope], title: true });
    for (const b of keymap.filter((k) => k.scope === scope)) {
      const mark = b.mutates ? (readOnly ? ' [changes things — unavailable: read-only]' : ' [changes things: asks first]') : '';
      lines.push({ key: `${scope}-${b.command}`, text: `  ${padEnd(b.keys.join(' '), 16)} ${b.description}${mark}`, off: b.mutates && readOnly });
    }
  }
  return lines;
}

/** The `?` overlay: every key, the current view's first; scrolls with j/k when it does not fit. */
export function HelpOverlay({ width, height, readOnly, first, offset = 0 }: { width: number; height: number; readOnly: boolean; first?: Scope[]; offset?: number }) {
  const t = useTheme();
  const lines = helpLines(readOnly, first);
  const room = Math.max(1, height - 3);
  const top = Math.max(0, Math.min(offset, lines.length - room));
  const shown = lines.slice(top, top + room);
  const more = top + room < lines.length;
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={t.accent} paddingX={1}>
      <Text bold>{truncate(`Keys — Esc or ? closes${more || top > 0 ? ` · j/k scroll (${top + 1}–${top + shown.length} of ${lines.length})` : ''}`, width - 4)}</Text>
      {shown.map((l) => (
        <Text key={l.key} bold={l.title} color={l.title ? t.accent : l.off ? t.dim : undefined}>{truncate(l.text, width - 4)}</Text>
      ))}
    </Box>
  );
}

/** How far the help can scroll at this height. */
export function helpMaxOffset(height: number, readOnly: boolean): number {
  return Math.max(0, helpLines(readOnly).length - Math.max(1, height - 3));
}
