import React, { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Text, useApp, useInput, type Key } from 'ink';
import type { DockerModel } from '../src/model/dockerModel.js';
import type { HostModel } from '../src/model/hostModel.js';
import { severity } from '../src/docker/containers.js';
import { VIEWS, completePalette, type Scope } from './keymap.js';
import { ConfirmDialog, Flash, type FlashLevel, type FlashMessage } from './Dialog.js';
import type { Runner } from '../src/run/runner.js';
import type { Confirmation } from '../actions/types.js';
import { containerActions, isStoppable } from '../actions/container.js';
import type { ContainerRow } from '../src/model/dockerModel.js';
import { formatElapsed } from '../src/format.js';
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
  /** Runs actions (read-only guard, confirmation, lock, audit); null: the cockpit only watches. */
  runner: Runner | null;
  onQuit: () => void;
}

type Mode = 'normal' | 'filter' | 'help' | 'dialog' | 'palette';
type Verb = keyof typeof containerActions;

interface DialogState { confirmation: Confirmation; resolve: (ok: boolean) => void; typed: string }

/** Maps a keypress to a keymap command for the current mode. */
export function commandFor(input: string, key: Key, mode: Mode): string | null {
  if (key.ctrl && input === 'c') return mode === 'dialog' ? 'dialogCancel' : 'quit';
  if (mode === 'dialog') return 'dialogKey';
  if (mode === 'palette') {
    if (key.escape) return 'paletteClose';
    if (key.return) return 'paletteRun';
    if (key.tab) return 'paletteComplete';
    if (key.backspace || key.delete) return 'paletteBackspace';
    if (input && !key.ctrl && !key.meta) return 'paletteType';
    return null;
  }
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
  if (input === ':') return 'palette';
  if (input === 'r') return 'restart';
  if (input === 's') return 'stopStart';
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

function Cockpit({ docker, host, hostname, readOnly, ascii, thresholds, runner, onQuit }: AppProps) {
  const t = useTheme();
  const { exit } = useApp();
  const snap = useSyncExternalStore(docker.subscribe, docker.getSnapshot);
  const hostState = useSyncExternalStore(host.subscribe, host.getSnapshot);
  const { columns, rows } = useTerminalSize();
  const [view, setView] = useState(0);
  const [mode, setModeState] = useState<Mode>('normal');
  // The mode as of the last key, not the last render: one stdin chunk can hold several keys ("/flaky").
  const modeRef = useRef<Mode>('normal');
  const setMode = (m: Mode) => { modeRef.current = m; setModeState(m); };
  const [filter, setFilter] = useState('');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const topRef = useRef(0);
  const [dialog, setDialogState] = useState<DialogState | null>(null);
  const dialogRef = useRef<DialogState | null>(null);
  const setDialog = (d: DialogState | null) => { dialogRef.current = d; setDialogState(d); };
  const [palette, setPaletteState] = useState('');
  const paletteRef = useRef('');
  const setPalette = (p: string) => { paletteRef.current = p; setPaletteState(p); };
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [flash, setFlash] = useState<FlashMessage | null>(null);
  const say = (level: FlashLevel, text: string) => setFlash({ level, text, until: Date.now() + 6000 });
  useEffect(() => {
    if (!flash) return undefined;
    const timer = setTimeout(() => setFlash(null), Math.max(0, flash.until - Date.now()));
    return () => clearTimeout(timer);
  }, [flash]);


  const lines = useMemo(() => buildLines(snap.containers, filter), [snap.containers, filter]);
  const rowLines = useMemo(() => lines.flatMap((l, i) => (l.kind === 'row' ? [i] : [])), [lines]);
  let selectedLine = lines.findIndex((l) => l.kind === 'row' && l.row.id === selectedId);
  if (selectedLine < 0) selectedLine = rowLines[0] ?? 0;
  const selectedLineObj = lines[selectedLine];
  const selectedRow = selectedLineObj?.kind === 'row' ? selectedLineObj.row : null;
  const effectiveSelectedId = selectedRow?.id ?? null;

  // Height budget: the whole frame stays below the terminal's height (Ink clears the screen otherwise).
  const width = Math.max(20, columns);
  const frameHeight = Math.max(8, rows - 1);
  const bannerHeight = snap.conn.status === 'up' || (snap.conn.status === 'connecting' && !snap.conn.message) ? 0 : snap.conn.hint ? 4 : 3;
  const attention = snap.containers.filter((c) => severity(c) === 2).length;
  const stripHeight = view === 0 ? hostStripHeight(hostState, width) : 0;
  const attentionHeight = view === 0 && attention > 0 ? 1 : 0;
  const bodyHeight = Math.max(3, frameHeight - 2 - bannerHeight - 1 - stripHeight - attentionHeight - (flash ? 1 : 0));
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

  const runAction = async (verb: Verb, row: ContainerRow) => {
    if (!runner || readOnly) {
      say('warn', `read-only: ${verb} is unavailable — opsdeck was started with --read-only (or readOnly: true in the config)`);
      return;
    }
    if (busy[row.id]) {
      say('warn', `${row.name}: ${busy[row.id]} — wait for it to finish`);
      return;
    }
    const action = containerActions[verb];
    const res = await runner.run(action, { container: row }, {
      confirm: (confirmation) => new Promise<boolean>((resolve) => {
        setDialog({ confirmation, typed: '', resolve });
        setMode('dialog');
      }),
      onEvent: (e) => {
        if (e.type === 'step' && e.status === 'running') setBusy((b) => ({ ...b, [row.id]: `${e.title.toLowerCase()}…` }));
      },
    });
    setBusy((b) => {
      const next = { ...b };
      delete next[row.id];
      return next;
    });
    docker.refreshContainer(row.id);
    if (res.result === 'ok') say('info', `${action.done} ${row.name} in ${formatElapsed(res.durationMs)}${res.detail ? ` — ${res.detail}` : ''}`);
    else if (res.result === 'cancelled') say(cancelNote.current ? 'warn' : 'info', cancelNote.current ?? `cancelled: ${row.name} was not touched`);
    else say('error', res.error ?? `${verb} failed`);
  };

  const cancelNote = useRef<string | null>(null);
  const closeDialog = (ok: boolean, note?: string) => {
    const d = dialogRef.current;
    setDialog(null);
    setMode('normal');
    cancelNote.current = note ?? null;
    d?.resolve(ok);
  };

  const onDialogKey = (input: string, key: Key) => {
    const d = dialogRef.current;
    if (!d) return;
    const name = d.confirmation.typeToConfirm;
    if (!name) {
      closeDialog(input === 'y' && !key.ctrl && !key.meta);
      return;
    }
    if (key.escape) closeDialog(false);
    else if (key.return) closeDialog(d.typed === name, d.typed === name ? undefined : `the typed name "${d.typed}" is not "${name}": cancelled, nothing was changed`);
    else if (key.backspace || key.delete) setDialog({ ...d, typed: d.typed.slice(0, -1) });
    else if (input && !key.ctrl && !key.meta && !key.tab) setDialog({ ...d, typed: d.typed + input });
  };

  const runPalette = (text: string) => {
    const [cmd, ...rest] = text.trim().split(/\s+/);
    const arg = rest.join(' ');
    setPalette('');
    setMode('normal');
    if (!cmd) return;
    if (cmd === 'quit' || cmd === 'q') { onQuit(); exit(); return; }
    if (cmd === 'help') { setMode('help'); return; }
    if (cmd === 'restart' || cmd === 'stop' || cmd === 'start') {
      const row = snap.containers.find((c) => c.name === arg) ?? (arg ? undefined : selectedRow);
      if (!row) { say('error', arg ? `no container named "${arg}" (Tab completes names)` : `${cmd} what? e.g. :${cmd} NAME`); return; }
      void runAction(cmd, row);
      return;
    }
    say('error', `unknown command "${cmd}": try restart NAME, stop NAME, start NAME, quit`);
  };

  const dispatchControl = (ch: string, key: Key) => {
    if (ch === '\r' || ch === '\n') dispatch('', { ...key, return: true });
    else if (ch === '\t') dispatch('', { ...key, tab: true });
    else if (ch === '\x7f' || ch === '\b') dispatch('', { ...key, backspace: true });
    else if (ch === '\x1b') dispatch('', { ...key, escape: true });
    // Other control characters mean nothing here and are dropped.
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
      case 'restart':
        if (selectedRow) void runAction('restart', selectedRow);
        return;
      case 'stopStart':
        if (selectedRow) void runAction(isStoppable(selectedRow.state) ? 'stop' : 'start', selectedRow);
        return;
      case 'dialogKey': onDialogKey(input, key); return;
      case 'dialogCancel': closeDialog(false); return;
      case 'palette': setPalette(''); setMode('palette'); return;
      case 'paletteType': setPalette(paletteRef.current + input); return;
      case 'paletteBackspace': setPalette(paletteRef.current.slice(0, -1)); return;
      case 'paletteClose': setPalette(''); setMode('normal'); return;
      case 'paletteComplete': {
        const { text, options } = completePalette(paletteRef.current, snap.containers.map((c) => c.name));
        setPalette(text);
        if (options.length > 1) say('info', options.slice(0, 8).join('  '));
        return;
      }
      case 'paletteRun': runPalette(paletteRef.current); return;
      default: return;
    }
  };

  useInput((input, key) => {
    // Ink hands a fast-typed or pasted run of keys over as one string ("/worker\r"): take it key by
    // key, turning control characters into the keys they are, so none ever lands in typed text.
    const plain = !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && !key.backspace && !key.delete;
    if (!plain || input.length <= 1) {
      if (plain && input && input < ' ') dispatchControl(input, key);
      else dispatch(input, key);
      return;
    }
    for (const ch of input) {
      if (ch < ' ' || ch === '\x7f') dispatchControl(ch, key);
      else dispatch(ch, key);
    }
  });

  const scopes: Scope[] = mode === 'help' ? ['help'] : mode === 'filter' ? ['filter'] : mode === 'dialog' ? ['dialog'] : mode === 'palette' ? ['palette'] : view === 0 ? ['global', 'list', 'overview'] : ['global'];
  const footerExtra = mode === 'filter' ? `/${filter}█` : mode === 'palette' ? `:${palette}█` : filter ? `filter: ${filter}` : undefined;
  const flashHeight = flash ? 1 : 0;

  let body: React.ReactNode;
  if (mode === 'dialog' && dialog) {
    body = (
      <Box height={bodyHeight + stripHeight + attentionHeight} flexDirection="column" alignItems="center" justifyContent="center">
        <ConfirmDialog confirmation={dialog.confirmation} typed={dialog.typed} width={width} />
      </Box>
    );
  } else if (mode === 'help') {
    body = <HelpOverlay width={width} height={bodyHeight + stripHeight + attentionHeight} readOnly={readOnly} />;
  } else if (view === 0) {
    body = (
      <>
        <HostStrip host={hostState} width={width} thresholds={thresholds} ascii={ascii} />
        <AttentionStrip rows={snap.containers} width={width} />
        <ContainerTable lines={lines} top={top} height={bodyHeight} width={width} selectedId={effectiveSelectedId} now={snap.at}
          sparkStyle={ascii ? 'ascii' : 'braille'} loaded={snap.loaded} filter={filter} busy={busy} />
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
      <Header hostname={hostname} conn={snap.conn} view={view} attention={attention} readOnly={readOnly} width={width} />
      <DockerBanner conn={snap.conn} width={width} />
      <Box flexDirection="column" flexGrow={1}>{body}</Box>
      {flashHeight ? <Flash flash={flash} width={width} /> : null}
      <Footer scopes={scopes} width={width} extra={footerExtra} readOnly={readOnly} />
    </Box>
  );
}
