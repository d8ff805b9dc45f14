import React from 'react';
import { Box, Text } from 'ink';
import { ALL_HOSTS, type EndpointStatus } from '../src/model/fleet.js';
import { safeText } from '../src/sanitize.js';
import { truncate } from '../src/format.js';
import { useTheme } from './theme.js';

/** One chooser line's text: name, state, containers, where (pure, for the tests). */
export function hostLine(e: EndpointStatus | 'all', endpoints: readonly EndpointStatus[]): string {
  if (e === 'all') {
    const up = endpoints.filter((x) => x.conn.status === 'up').length;
    const n = endpoints.reduce((s, x) => s + x.containers, 0);
    return `all hosts — ${up}/${endpoints.length} up, ${n} container${n === 1 ? '' : 's'}, grouped by host then project`;
  }
  const state = e.conn.status === 'up'
    ? `up${e.conn.engineVersion ? ` (docker ${e.conn.engineVersion})` : ''}, ${e.running}/${e.containers} running`
    : `${e.conn.status.toUpperCase()}${e.conn.message ? `: ${e.conn.message}` : ''}`;
  return `${e.name}  ${state}  ${e.url}`;
}

/** H: the endpoints (and "all hosts"), each with its state; Enter shows the one under the cursor. */
export function HostChooser({ endpoints, current, index, width, height }: { endpoints: readonly EndpointStatus[]; current: string; index: number; width: number; height: number }) {
  const t = useTheme();
  const choices: (EndpointStatus | 'all')[] = [...endpoints, ...(endpoints.length > 1 ? ['all' as const] : [])];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={t.accent}>{truncate(' Docker endpoints — Enter shows one, Esc keeps the current', width)}</Text>
      {choices.map((c, i) => {
        const name = c === 'all' ? ALL_HOSTS : c.name;
        const down = c !== 'all' && c.conn.status !== 'up';
        const mark = name === current ? '●' : ' ';
        return (
          <Text key={name} inverse={i === index} color={i === index ? undefined : down ? t.crit : undefined} wrap="truncate">
            {truncate(`${i === index ? '›' : ' '} ${mark} ${safeText(hostLine(c, endpoints))}`, width)}
          </Text>
        );
      })}
    </Box>
  );
}
