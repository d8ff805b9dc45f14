import React from 'react';
import { Box, Text } from 'ink';
import { keymap, type Scope } from './keymap.js';
import { useTheme } from './theme.js';
import { padEnd, truncate } from '../src/format.js';

const SCOPE_TITLE: Record<Scope, string> = {
  global: 'Everywhere',
  list: 'Lists',
  overview: 'Overview',
  filter: 'While filtering',
  help: 'This help',
  dialog: 'In a confirmation dialog',
  palette: 'In the command palette (:)',
};

/** The `?` overlay: every key from the keymap table, by where it works; mutating ones marked. */
export function HelpOverlay({ width, height, readOnly }: { width: number; height: number; readOnly: boolean }) {
  const t = useTheme();
  const lines: React.ReactNode[] = [];
  const scopes = [...new Set(keymap.map((k) => k.scope))];
  for (const scope of scopes) {
    lines.push(<Text key={`h-${scope}`} bold color={t.accent}>{SCOPE_TITLE[scope]}</Text>);
    for (const b of keymap.filter((k) => k.scope === scope)) {
      const mark = b.mutates ? (readOnly ? ' [changes things — unavailable: read-only]' : ' [changes things: asks first]') : '';
      lines.push(
        <Text key={`${scope}-${b.command}`} color={b.mutates && readOnly ? t.dim : undefined}>
          {truncate(`  ${padEnd(b.keys.join(' '), 16)} ${b.description}${mark}`, width - 4)}
        </Text>,
      );
    }
  }
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={t.accent} paddingX={1}>
      <Text bold>Keys — press Esc or ? to close</Text>
      {lines.slice(0, Math.max(0, height - 3))}
    </Box>
  );
}
