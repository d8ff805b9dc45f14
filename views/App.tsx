import React, { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Text, useApp, useInput, type Key } from 'ink';
import type { DockerModel } from '../src/model/dockerModel.js';
import type { HostModel } from '../src/model/hostModel.js';
import { severity } from '../src/docker/containers.js';
import { VIEWS, type Scope } from './keymap.js';
import { Footer, Header, DockerBanner } from './Chrome.js';
import { HelpOverlay } from './HelpOverlay.js';
import { AttentionStrip, ContainerTable, HostStrip, hostStripHeight, type Thresholds } from './Overview.js';
import { buildLines, visibleWindow } from './overviewLayout.js';
import { useTerminalSize } from './useTerminalSize.js';
import { ThemeContext, makeTheme, useTheme } from './theme.js';

export interface AppProps {
  docker: DockerModel;
  host: HostModel;
  hostname: string;
  readOnly: boolean;
  color: boolean;
  ascii: boolean;
  thresholds: Thresholds;
  onQuit: () => void;
}

type Mode = 'normal' | 'filter' | 'help';

/** Maps a keypress to a keymap command for the current mode. */
export function commandFor(input: string, key: Key, mode: Mode): string | null {
  if (key.ctrl && input === 'c') return 'quit';
  if (mode === 'help') return key.escape || input === '?' || input === 'q' ? 'closeHelp' : null;
  if (mode === 'filter') {
    if (key.escape) return 'filterClear';
    if (key.return) return 'filterAccept';
    if (key.backspace || key.delete) return 'filterBackspace';
    if (input && !key.ctrl && !key.meta && !key.tab) return 'filterType';
    return null;
  }
  if (input === '?') return 'help';
  if (input === 'q') return 'quit';
  if (/^[1-6]$/.test(input)) return 'view';
  if (key.tab) return key.shift ? 'prevView' : 'nextView';
  if (input === 'j' || key.downArrow) return 'down';
  if (input === 'k' || key.upArrow) return 'up';
  if (input === 'g') return 'top';
  if (input === 'G') return 'bottom';
  if (key.pageDown) return 'pageDown';
  if (key.pageUp) return 'pageUp';
  if (input === '/') return 'filter';
  if (key.escape) return 'filterClear';
  return null;
}

export function App(props: AppProps) {
  const theme = useMemo(() => makeTheme(props.color), [props.color]);
  return (
    <ThemeContext.Provider value={theme}>
      <Cockpit {...props} />
    </ThemeContext.Provider>
  );
}

function Cockpit({ docker, host, hostname, readOnly, ascii, thresholds, onQuit }: AppProps) {
  const t = useTheme();
  const { exit } = useApp();
  const snap = useSyncExternalStore(docker.subscribe, docker.getSnapshot);
  const hostState = useSyncExternalStore(host.subscribe, host.getSnapshot);
  const { columns, rows } = useTerminalSize();
  const [now, setNow] = useState(() => Date.now());
  const [view, setView] = useState(0);
  const [mode, setModeState] = useState<Mode>('normal');
  // The mode as of the last key, not the last render: one stdin chunk can hold several keys ("/flaky").
  const modeRef = useRef<Mode>('normal');
  const setMode = (m: Mode) => { modeRef.current = m; setModeState(m); };
  const [filter, setFilter] = useState('');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const topRef = useRef(0);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const lines = useMemo(() => buildLines(snap.containers, filter), [snap.containers, filter]);
  const rowLines = useMemo(() => lines.flatMap((l, i) => (l.kind === 'row' ? [i] : [])), [lines]);
  let selectedLine = lines.findIndex((l) => l.kind === 'row' && l.row.id === selectedId);
  if (selectedLine < 0) selectedLine = rowLines[0] ?? 0;
  const effectiveSelectedId = lines[selectedLine]?.kind === 'row' ? (lines[selectedLine] as { row: { id: string } }).row.id : null;

  // Height budget: the whole frame stays below the terminal's height (Ink clears the screen otherwise).
  const width = Math.max(20, columns);
  const frameHeight = Math.max(8, rows - 1);
  const bannerHeight = snap.conn.status === 'up' || (snap.conn.status === 'connecting' && !snap.conn.message) ? 0 : snap.conn.hint ? 4 : 3;
  const attention = snap.containers.filter((c) => severity(c) === 2).length;
  const stripHeight = view === 0 ? hostStripHeight(hostState, width) : 0;
  const attentionHeight = view === 0 && attention > 0 ? 1 : 0;
  const bodyHeight = Math.max(3, frameHeight - 2 - bannerHeight - 1 - stripHeight - attentionHeight);
  const tableRows = bodyHeight - 1;

  // Keep the group header of the selected row in view with it.
  const anchor = selectedLine > 0 && lines[selectedLine - 1]?.kind === 'group' ? selectedLine - 1 : selectedLine;
  let top = visibleWindow(lines.length, selectedLine, tableRows, topRef.current);
  if (anchor < top) top = anchor;
  topRef.current = top;

  const move = (delta: number) => {
    if (rowLines.length === 0) return;
    const pos = Math.max(0, rowLines.indexOf(selectedLine));
    const next = Math.min(rowLines.length - 1, Math.max(0, pos + delta));
    const line = lines[rowLines[next]!];
    if (line?.kind === 'row') setSelectedId(line.row.id);
  };

  const dispatch = (input: string, key: Key) => {
    const cmd = commandFor(input, key, modeRef.current);
    switch (cmd) {
      case 'quit': onQuit(); exit(); return;
      case 'help': setMode('help'); return;
      case 'closeHelp': setMode('normal'); return;
      case 'view': setView(Number(input) - 1); return;
      case 'nextView': setView((v) => (v + 1) % VIEWS.length); return;
      case 'prevView': setView((v) => (v + VIEWS.length - 1) % VIEWS.length); return;
      case 'down': move(1); return;
      case 'up': move(-1); return;
      case 'top': move(-Infinity); return;
      case 'bottom': move(Infinity); return;
      case 'pageDown': move(Math.max(1, tableRows - 2)); return;
      case 'pageUp': move(-Math.max(1, tableRows - 2)); return;
      case 'filter': setMode('filter'); return;
      case 'filterType': setFilter((f) => f + input); return;
      case 'filterBackspace': setFilter((f) => f.slice(0, -1)); return;
      case 'filterAccept': setMode('normal'); return;
      case 'filterClear': setFilter(''); setMode('normal'); return;
      default: return;
    }
  };

  useInput((input, key) => {
    // Ink hands a fast-typed or pasted run of plain characters over as one string: take it key by key.
    const plain = !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && !key.backspace && !key.delete;
    if (plain && input.length > 1) {
      for (const ch of input) dispatch(ch, key);
    } else {
      dispatch(input, key);
    }
  });

  const scopes: Scope[] = mode === 'help' ? ['help'] : mode === 'filter' ? ['filter'] : view === 0 ? ['global', 'list'] : ['global'];
  const footerExtra = mode === 'filter' ? `/${filter}█` : filter ? `filter: ${filter}` : undefined;

  let body: React.ReactNode;
  if (mode === 'help') {
    body = <HelpOverlay width={width} height={bodyHeight + stripHeight + attentionHeight} readOnly={readOnly} />;
  } else if (view === 0) {
    body = (
      <>
        <HostStrip host={hostState} width={width} thresholds={thresholds} ascii={ascii} />
        <AttentionStrip rows={snap.containers} width={width} />
        <ContainerTable lines={lines} top={top} height={bodyHeight} width={width} selectedId={effectiveSelectedId} now={now}
          sparkStyle={ascii ? 'ascii' : 'braille'} loaded={snap.loaded} filter={filter} />
      </>
    );
  } else {
    body = (
      <Box height={bodyHeight + stripHeight + attentionHeight} flexDirection="column">
        <Text color={t.dim}>{` ${VIEWS[view]} — coming in a later release. Press 1 for the Overview.`}</Text>
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={width} height={frameHeight}>
      <Header hostname={hostname} conn={snap.conn} view={view} attention={attention} readOnly={readOnly} now={now} width={width} />
      <DockerBanner conn={snap.conn} now={now} width={width} />
      <Box flexDirection="column" flexGrow={1}>{body}</Box>
      <Footer scopes={scopes} width={width} extra={footerExtra} />
    </Box>
  );
}
