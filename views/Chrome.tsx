import React, { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { VIEWS, footerEntries, type Scope } from './keymap.js';
import { useTheme } from './theme.js';
import type { ConnState } from '../src/model/dockerModel.js';
import { truncate } from '../src/format.js';

export interface HeaderProps {
  hostname: string;
  conn: ConnState;
  view: number;
  attention: number;
  readOnly: boolean;
  width: number;
  /** With several Docker endpoints: which one is shown ("[db1 · 2/3 up]"). */
  endpoint?: string;
}

/** Ticks on its own, so the clock repaints one line a second rather than the whole cockpit. */
export function useNow(everyMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, active]);
  return now;
}

/**
 * HH:MM, repainted when the minute turns: Ink regenerates the whole frame on any change, so a
 * seconds clock alone would cost a full repaint every second. Liveness shows in the live stats.
 */
function Clock() {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let timer: NodeJS.Timeout;
    const arm = () => { timer = setTimeout(() => { setNow(Date.now()); arm(); }, 60_000 - (Date.now() % 60_000) + 50); };
    arm();
    return () => clearTimeout(timer);
  }, []);
  return <Text>{` ${new Date(now).toTimeString().slice(0, 5)} `}</Text>;
}

/** Header: host, Docker endpoint, clock, alert count, read-only badge; then the view tabs. */
export function Header({ hostname, conn, view, attention, readOnly, width, endpoint }: HeaderProps) {
  const t = useTheme();
  const clock = '00:00';
  const engine = conn.status === 'up' ? `${conn.endpoint}${conn.engineVersion ? ` (${conn.engineVersion})` : ''}` : `${conn.endpoint} — ${conn.status}`;
  const right = `${readOnly ? '[READ-ONLY] ' : ''}${clock}`;
  const left = ` opsdeck  ${hostname}  ${endpoint ? `${endpoint}  ` : ''}docker ${engine}  `;
  const alerts = `alerts ${attention}`;
  const room = Math.max(0, width - right.length - alerts.length - 2);
  return (
    <Box flexDirection="column" width={width}>
      <Box width={width}>
        <Text bold color={t.accent}>{truncate(left, room)}</Text>
        <Text color={attention > 0 ? t.crit : t.ok} bold={attention > 0}>{alerts}</Text>
        <Box flexGrow={1} />
        {readOnly ? <Text color={t.warn} bold inverse={!t.color}>[READ-ONLY]</Text> : null}
        <Clock />
      </Box>
      <Box width={width}>
        {VIEWS.map((name, i) => (
          <Text key={name} inverse={i === view} color={i === view ? t.accent : t.dim}>{` ${i + 1} ${name} `}</Text>
        ))}
      </Box>
    </Box>
  );
}

/** Banner for a Docker engine that is down: what was tried and the likely fix. */
export function DockerBanner({ conn, width }: { conn: ConnState; width: number }) {
  const t = useTheme();
  const shown = !(conn.status === 'up' || (conn.status === 'connecting' && !conn.message));
  const now = useNow(1000, shown);
  if (!shown) return null;
  const retry = conn.status === 'connecting' ? 'reconnecting now…' : conn.retryAt ? `retrying in ${Math.max(0, Math.ceil((conn.retryAt - now) / 1000))}s` : '';
  return (
    <Box flexDirection="column" width={width} borderStyle="single" borderColor={t.crit}>
      <Text color={t.crit} bold>{truncate(`Docker unreachable: ${conn.message ?? 'not connected'} — ${retry}`, width - 2)}</Text>
      {conn.hint ? <Text>{truncate(`fix: ${conn.hint}`, width - 2)}</Text> : null}
    </Box>
  );
}

/** Footer: the keys that work here, from the keymap table; read-only shows mutating keys as unavailable. */
export function Footer({ scopes, width, extra, readOnly }: { scopes: Scope[]; width: number; extra?: string; readOnly?: boolean }) {
  const t = useTheme();
  const entries = footerEntries(scopes);
  let room = Math.max(0, width - (extra ? extra.length + 2 : 0));
  const parts: React.ReactNode[] = [];
  for (const [i, e] of entries.entries()) {
    const off = e.mutates && readOnly;
    const text = ` ${e.keys} ${e.label}${off ? ' (read-only)' : ''} `;
    if (text.length > room) break;
    room -= text.length;
    parts.push(<Text key={i} color={off ? t.dim : e.mutates ? t.warn : t.dim} strikethrough={off && t.color}>{text}</Text>);
  }
  return (
    <Box width={width}>
      {extra ? <Text color={t.accent}>{truncate(`${extra}  `, width)}</Text> : null}
      {parts}
    </Box>
  );
}
