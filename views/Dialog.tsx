import React from 'react';
import { Box, Text } from 'ink';
import type { Confirmation } from '../actions/types.js';
import { safeText } from '../src/sanitize.js';
import { truncate } from '../src/format.js';
import { useTheme } from './theme.js';

/**
 * The confirmation modal: exactly what will happen to what. `y` confirms; anything else cancels
 * (focus starts on Cancel). Destructive actions ask for the target's name to be typed.
 */
export function ConfirmDialog({ confirmation: c, typed, width }: { confirmation: Confirmation; typed: string; width: number }) {
  const t = useTheme();
  const w = Math.min(width, 100);
  const inner = w - 4;
  return (
    <Box flexDirection="column" width={w} borderStyle="double" borderColor={c.typeToConfirm ? t.crit : t.warn} paddingX={1}>
      <Text bold color={c.typeToConfirm ? t.crit : t.warn}>{truncate(safeText(c.title), inner)}</Text>
      {c.lines.map((l, i) => <Text key={i}>{safeText(l)}</Text>)}
      <Text> </Text>
      {c.typeToConfirm ? (
        <>
          <Text>{truncate(`Type ${c.typeToConfirm} and press Enter to ${c.verb}. Esc cancels.`, inner)}</Text>
          <Text color={t.accent}>{truncate(`> ${typed}█`, inner)}</Text>
        </>
      ) : (
        <Box>
          <Text inverse bold>{' Cancel '}</Text>
          <Text>{'   '}</Text>
          <Text color={t.warn}>{`y = ${c.verb}`}</Text>
          <Text color={t.dim}>{'   any other key cancels'}</Text>
        </Box>
      )}
    </Box>
  );
}

export type FlashLevel = 'info' | 'warn' | 'error';
export interface FlashMessage { level: FlashLevel; text: string; until: number }

/** One line reporting the result of the last action; clears after a few seconds. */
export function Flash({ flash, width }: { flash: FlashMessage | null; width: number }) {
  const t = useTheme();
  if (!flash) return null;
  const color = flash.level === 'error' ? t.crit : flash.level === 'warn' ? t.warn : t.ok;
  const mark = flash.level === 'error' ? '✗' : flash.level === 'warn' ? '!' : '✓';
  return <Text color={color} bold wrap="truncate">{truncate(` ${mark} ${safeText(flash.text)}`, width)}</Text>;
}
