import React, { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Text, useApp, useInput, type Key } from 'ink';
import type { DockerView } from '../src/model/dockerModel.js';
import { ALL_HOSTS, type EndpointStatus } from '../src/model/fleet.js';
import type { SwarmModel } from '../src/swarm/model.js';
import type { SwarmService, SwarmSnapshot } from '../src/swarm/types.js';
import { ServicesView, servicesOrder } from './Services.js';
import { forceUpdateAction, rollbackAction, scaleAction } from '../actions/swarm.js';
import { HostChooser } from './Hosts.js';
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
import { HelpOverlay, helpMaxOffset } from './HelpOverlay.js';
import { AttentionStrip, ContainerTable, HostStrip, hostStripHeight, type Thresholds } from './Overview.js';
import { buildLines, visibleWindow } from './overviewLayout.js';
import { useTerminalSize } from './useTerminalSize.js';
import { ThemeContext, makeTheme, useTheme } from './theme.js';
import { LOG_WINDOWS, type LogModel, type LogSnapshot } from '../src/model/logModel.js';
import { FilteredIndex, lineMatches, parseFilter, type LogFilter } from '../src/logs/filter.js';
import { describeTarget, resolveLogTarget, type LogTarget } from '../src/logs/target.js';
import { saveLogLines } from '../src/logs/save.js';
import type { LogLine } from '../src/logs/types.js';
import { applyLogCommand, initialLogView, prefixWidthFor, type LogCommand, type LogViewState } from './logView.js';
import { LogsView } from './Logs.js';
import type { CheckScheduler, ChecksSnapshot, CheckState } from '../src/checks/scheduler.js';
import { HealthDetails, HealthView, type HealthRow } from './Health.js';
import { safeText } from '../src/sanitize.js';
import type { BackupsModel, BackupsSnapshot } from '../src/model/backupsModel.js';
import type { DB } from '../src/store/db.js';
import type { StoredBackup } from '../src/store/backups.js';
import { backupAction, backupParams, verifyAction } from '../actions/backup.js';
import type { RetentionPolicy } from '../src/backup/retention.js';
import { BackupsView, type BackupTargetRow } from './Backups.js';
import type { ActionDef, RunEvent } from '../actions/types.js';
import { formatBytes, formatRate, truncate } from '../src/format.js';
import type { MaintenanceModel } from '../src/model/maintenanceModel.js';
import type { MaintenanceWindow } from '../src/store/maintenance.js';
import type { Config } from '../config/schema.js';
import { enterMaintenance, enterParams, exitMaintenance, exitParams, loadPlan, maintenanceTask, pruneParams, pruneTask, recordTaskOutcome, taskParams } from '../actions/maintenance.js';
import { configuredTasks, parseTask, resolveTask, TaskSpecError } from '../src/maintenance/tasks.js';
import { drillAction, drillParams, preselect, restoreAction, restoreCandidates, restoreParams } from '../actions/restore.js';
import { listBackups } from '../src/store/backups.js';
import type { TargetDef } from '../src/backup/types.js';
import { applyEvent, finishWalkthrough, startWalkthrough, type Walkthrough } from './walkSteps.js';
import { BackupChooser, WalkthroughView } from './Walkthrough.js';
import type { TimelineModel, TimelineSnapshot } from '../src/model/timelineModel.js';
import { clampTimeline, filterTimeline, initialTimelineCursor, moveTimeline, nextSourceFilter, timelineListRows, type TimelineCursor, type TimelineMove } from '../src/timeline/view.js';
import type { TimelineSource } from '../src/timeline/types.js';
import { writeIncidentReport } from '../src/timeline/draft.js';
import { TimelineView } from './Timeline.js';
import type { CapacityModel, CapacitySnapshot } from '../src/model/capacityModel.js';
import { CapacityView, capacityOrder, capacityScroll } from './Capacity.js';
import { ContainerDetailView, maxScroll as detailMaxScroll } from './ContainerDetail.js';
import { gatherContainerDetail, type ContainerDetail } from '../src/diag/containerDetail.js';
import { writeDiagBundle } from '../src/diag/bundle.js';

/** Several Docker endpoints in one cockpit: which is shown, their states, switching, and routing. */
export interface FleetProps {
  /** An endpoint's name, or "all" (ALL_HOSTS). */
  current: string;
  endpoints: EndpointStatus[];
  /** Shows another endpoint (or all); `then` opens a view / selects a container there. */
  switchTo(name: string, then?: InitialState): void;
  /** Where an all-hosts row's actions go: its own engine's runner and model. */
  route(endpoint: string): { runner: Runner | null; docker: Pick<DockerView, 'refreshContainer'> } | null;
  /** The rows on screen of the all-hosts Overview (only they get stats). */
  setVisible(rows: readonly ContainerRow[]): void;
}

/** Where a freshly shown endpoint starts (after H, or l / Enter on an all-hosts row). */
export interface InitialState { view?: number; selectedId?: string }

export interface AppProps {
  docker: DockerView;
  /** Several endpoints (null or absent: one engine, as always). */
  fleet?: FleetProps | null;
  initial?: InitialState;
  /** Show this machine's CPU/memory/disk strip (false for a remote endpoint: it is not that host's). */
  hostStrip?: boolean;
  /** The shown engine's Swarm services (view 7); null: none. */
  swarm?: SwarmModel | null;
  host: HostModel;
  hostname: string;
  readOnly: boolean;
  color: boolean;
  ascii: boolean;
  thresholds: Thresholds;
  /** Runs actions (read-only guard, confirmation, lock, audit); null: the cockpit only watches. */
  runner: Runner | null;
  onQuit: () => void;
  /** The Logs view's buffer and streams; null: no Logs view (component tests). */
  logs?: LogModel | null;
  /** Lines of history per container (config logs.tail), for the window label. */
  logTail?: number;
  /** Where Ctrl-S saves logs: the first writable directory. */
  saveDirs?: string[];
  /** The health checks (view 3, the header count, the attention strip); null: none. */
  checks?: CheckScheduler | null;
  /** Backup targets and history (view 4); null: none. */
  backups?: BackupsModel | null;
  /** What backups need beyond the runner: the store, the directory, retention, age thresholds. */
  backupEnv?: { db: DB | null; dir: string; retention: RetentionPolicy | null; age: { warn: number; crit: number } };
  /** The maintenance window from the store (banner, m, :maint); null: no store. */
  maintenance?: MaintenanceModel | null;
  config?: Config;
  /** The incident timeline (view 6) and the Overview's "what changed" line; null: none. */
  timeline?: TimelineModel | null;
  /** The metric history for the Capacity view (5); null: none. */
  capacity?: CapacityModel | null;
  /** Where `d` writes diagnostics bundles (the state directory's diag/), and the config's source. */
  diagEnv?: { stateDir: string; configSource: string | null };
}

type Mode = 'normal' | 'filter' | 'help' | 'dialog' | 'palette' | 'choose' | 'walkthrough' | 'detail' | 'hosts' | 'scale';
type Verb = keyof typeof containerActions;

interface DialogState { confirmation: Confirmation; resolve: (ok: boolean) => void; typed: string }

const LOG_KEYS: Record<string, string> = {
  f: 'logFollow', ' ': 'logFollow', j: 'logDown', k: 'logUp', g: 'logTop', G: 'logBottom', '!': 'logInvert',
  e: 'logNextError', E: 'logPrevError', w: 'logNextWarn', W: 'logPrevWarn', t: 'logTimestamps', z: 'logWrap',
  p: 'logPretty', T: 'logWindow', '/': 'logFilter',
};

/** Keys of the Logs view (normal mode); null: not a Logs key, the global keys apply. */
function logCommandFor(input: string, key: Key): string | null {
  if (key.ctrl) return input === 's' ? 'logSave' : null;
  if (key.escape) return 'logBack';
  if (key.downArrow) return 'logDown';
  if (key.upArrow) return 'logUp';
  if (key.pageDown) return 'logPageDown';
  if (key.pageUp) return 'logPageUp';
  if (key.meta) return null;
  return LOG_KEYS[input] ?? null;
}

/** Maps a keypress to a keymap command for the current mode (and view: 1 is Logs). */
export function commandFor(input: string, key: Key, mode: Mode, view = 0): string | null {
  if (mode === 'walkthrough') {
    // A running restore is not left by accident: q does nothing here, Ctrl-C asks before interrupting.
    if (key.ctrl && input === 'c') return 'walkInterrupt';
    if (key.escape || key.return) return 'walkClose';
    return 'walkKey';
  }
  if (mode === 'detail') {
    if (key.ctrl && input === 'c') return 'quit';
    if (key.escape || key.return || input === 'q') return 'detailClose';
    if (input === 'j' || key.downArrow) return 'detailDown';
    if (input === 'k' || key.upArrow) return 'detailUp';
    if (key.pageDown) return 'detailPageDown';
    if (key.pageUp) return 'detailPageUp';
    return null;
  }
  if (mode === 'hosts') {
    if (key.escape || (key.ctrl && input === 'c') || input === 'q') return 'hostsClose';
    if (key.return) return 'hostsPick';
    if (input === 'j' || key.downArrow) return 'hostsDown';
    if (input === 'k' || key.upArrow) return 'hostsUp';
    return null;
  }
  if (mode === 'scale') {
    if (key.escape || (key.ctrl && input === 'c')) return 'scaleClose';
    if (key.return) return 'scaleAccept';
    if (key.backspace || key.delete) return 'scaleBackspace';
    if (/^[0-9]$/.test(input)) return 'scaleType';
    return null;
  }
  if (mode === 'choose') {
    if (key.escape || (key.ctrl && input === 'c')) return 'chooseClose';
    if (key.return) return 'choosePick';
    if (input === 'j' || key.downArrow) return 'chooseDown';
    if (input === 'k' || key.upArrow) return 'chooseUp';
    return null;
  }
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
  if (mode === 'help') {
    if (key.escape || input === '?' || input === 'q') return 'closeHelp';
    if (input === 'j' || key.downArrow || key.pageDown) return 'helpDown';
    if (input === 'k' || key.upArrow || key.pageUp) return 'helpUp';
    return null;
  }
  if (mode === 'filter') {
    if (key.escape) return 'filterClear';
    if (key.return) return 'filterAccept';
    if (key.backspace || key.delete) return 'filterBackspace';
    if (input && !key.ctrl && !key.meta && !key.tab) return 'filterType';
    return null;
  }
  if (input === '?') return 'help';
  if (input === 'q') return 'quit';
  if (view === 1) {
    const cmd = logCommandFor(input, key);
    if (cmd) return cmd;
  }
  if (/^[1-7]$/.test(input)) return 'view';
  if (input === 'H') return 'hosts';
  if (key.tab) return key.shift ? 'prevView' : 'nextView';
  if (input === 'j' || key.downArrow) return 'down';
  if (input === 'k' || key.upArrow) return 'up';
  if (input === 'g') return 'top';
  if (input === 'G') return 'bottom';
  if (key.pageDown) return 'pageDown';
  if (key.pageUp) return 'pageUp';
  if (input === '/') return 'filter';
  if (input === ':') return 'palette';
  if (view === 3) {
    if (input === 'b') return 'backupRun';
    if (input === 'v') return 'backupVerify';
    if (input === 'R') return 'backupRestore';
    if (input === 'D') return 'backupDrill';
  }
  if (view === 4 && input === 'w') return 'capWindow';
  if (view === 6) {
    if (input === 'S') return 'svcScale';
    if (input === 'F') return 'svcForce';
    if (input === 'B') return 'svcRollback';
    if (input === 'l') return 'svcLogs';
  }
  if (view === 5) {
    if (input === 's') return 'tlSource';
    if (input === 'i') return 'tlReport';
    if (key.return) return 'tlLogs';
  }
  if (view === 2) {
    if (input === 'c') return 'healthRun';
    if (key.return) return 'healthDetails';
    if (key.escape) return 'healthClose';
  }
  if (view === 0) {
    if (input === 'm') return 'maintenance';
    if (input === 'r') return 'restart';
    if (input === 's') return 'stopStart';
    if (input === 'l') return 'logs';
    if (input === 'L') return 'logsProject';
    if (key.return) return 'detail';
    if (input === 'd') return 'diag';
  }
  if (key.escape) return 'filterClear';
  return null;
}

const NO_CHECKS = { subscribe: () => () => undefined, getSnapshot: (): ChecksSnapshot | null => null };
const NO_MAINT = { subscribe: () => () => undefined, getSnapshot: (): MaintenanceWindow | null => null };

/** The banner every opsdeck shows while a maintenance window is open. */
function maintenanceBanner(w: MaintenanceWindow, now: number): string {
  const since = new Date(w.since);
  const end = w.plannedEnd ? Date.parse(w.plannedEnd) : null;
  const overdue = end !== null && now > end;
  const scope = w.project ? `project ${w.project}` : 'the whole host';
  const parts = [
    ` MAINTENANCE ${w.phase === 'on' ? 'ON' : w.phase.toUpperCase()}: ${scope} since ${since.toTimeString().slice(0, 5)} by ${w.by}`,
    w.reason ? `"${w.reason}"` : null,
    end !== null ? (overdue ? `planned end ${new Date(end).toTimeString().slice(0, 5)} PASSED` : `until ${new Date(end).toTimeString().slice(0, 5)}`) : null,
    `${w.stopped.length} stopped`,
    w.lastError ? `last exit failed: ${w.lastError}` : null,
    'm (Overview) or :maint off ends it',
  ];
  return parts.filter(Boolean).join(' · ');
}

const NO_CAPACITY = { subscribe: () => () => undefined, getSnapshot: (): CapacitySnapshot | null => null };
const NO_TIMELINE = { subscribe: () => () => undefined, getSnapshot: (): TimelineSnapshot | null => null };
const NO_BACKUPS = { subscribe: () => () => undefined, getSnapshot: (): BackupsSnapshot | null => null };
/** The header's endpoint part with several: "db1 · 2/3 up" (the name the operator chose, and how the rest are). */
function endpointLabel(fleet: FleetProps): string {
  const up = fleet.endpoints.filter((e) => e.conn.status === 'up').length;
  const name = fleet.current === ALL_HOSTS ? 'all hosts' : fleet.current;
  return fleet.endpoints.length > 1 ? `[${name} · ${up}/${fleet.endpoints.length} up]` : `[${name}]`;
}

const NO_SWARM = { subscribe: () => () => undefined, getSnapshot: (): SwarmSnapshot | null => null };

/** The progress line of a running action: bytes, rate, elapsed. */
function progressText(e: RunEvent, t0: number): string | null {
  if (e.type === 'step' && e.status === 'running') return `${e.title.toLowerCase()}…`;
  if (e.type !== 'progress') return null;
  const p = e.progress;
  const parts = [p.bytes !== undefined ? formatBytes(p.bytes) : null, p.rate !== undefined ? formatRate(p.rate) : null, `${Math.round((Date.now() - t0) / 1000)}s`];
  return parts.filter(Boolean).join(' · ');
}

export function healthRow(c: CheckState): HealthRow {
  return {
    name: c.def.name, kind: c.def.kind, status: c.last?.status ?? null, message: c.last ? safeText(c.last.message) : c.running ? 'running…' : 'waiting for its first run',
    latencyMs: c.last?.latencyMs ?? null, since: c.last ? c.since : null, history: c.history, running: c.running, details: c.last?.details ?? {}, source: c.def.source,
  };
}

const NO_LOGS = { subscribe: () => () => undefined, getSnapshot: (): LogSnapshot | null => null };
const containerTarget = (row: Pick<ContainerRow, 'id' | 'name'>): LogTarget => ({ kind: 'container', id: row.id, name: row.name });

export function App(props: AppProps) {
  const theme = useMemo(() => makeTheme(props.color), [props.color]);
  return (
    <ThemeContext.Provider value={theme}>
      <Cockpit {...props} />
    </ThemeContext.Provider>
  );
}

function Cockpit({ docker, fleet = null, initial, swarm = null, hostStrip = true, host, hostname, readOnly, ascii, thresholds, runner, onQuit, logs = null, logTail = 500, saveDirs, checks = null, backups = null, backupEnv, maintenance = null, config, timeline = null, capacity = null, diagEnv }: AppProps) {
  const t = useTheme();
  const { exit } = useApp();
  const snap = useSyncExternalStore(docker.subscribe, docker.getSnapshot);
  const hostState = useSyncExternalStore(host.subscribe, host.getSnapshot);
  const { columns, rows } = useTerminalSize();
  const logSnap = useSyncExternalStore(logs?.subscribe ?? NO_LOGS.subscribe, logs?.getSnapshot ?? NO_LOGS.getSnapshot);
  const checkSnap = useSyncExternalStore(checks?.subscribe ?? NO_CHECKS.subscribe, checks?.getSnapshot ?? NO_CHECKS.getSnapshot);
  const healthRows = useMemo(() => (checkSnap ? checkSnap.checks.map(healthRow) : []), [checkSnap]);
  const [healthSel, setHealthSelState] = useState<string | null>(null);
  // Read by the key handler: two keys can arrive before the next render.
  const healthSelRef = useRef<string | null>(null);
  const setHealthSel = (name: string | null) => { healthSelRef.current = name; setHealthSelState(name); };
  const healthTopRef = useRef(0);
  const [healthDetails, setHealthDetails] = useState(false);
  const backupSnap = useSyncExternalStore(backups?.subscribe ?? NO_BACKUPS.subscribe, backups?.getSnapshot ?? NO_BACKUPS.getSnapshot);
  const backupRows = useMemo((): BackupTargetRow[] => (backupSnap ? backupSnap.targets.map((t) => ({
    id: t.def.id, kind: t.def.kind, source: t.def.source, latestGood: t.latestGood, last: t.history[0] ?? null, history: t.history, running: backupSnap.running[t.def.id] ?? null,
    lastDrill: t.lastDrill ? { at: t.lastDrill.finishedAt ?? t.lastDrill.startedAt, ok: t.lastDrill.status === 'ok', message: t.lastDrill.message } : null,
    lastRestore: t.lastRestore ? { at: t.lastRestore.finishedAt ?? t.lastRestore.startedAt, status: t.lastRestore.status, message: t.lastRestore.message } : null,
  })) : []), [backupSnap]);
  const [backupSel, setBackupSelState] = useState<string | null>(null);
  const backupSelRef = useRef<string | null>(null);
  const setBackupSel = (id: string | null) => { backupSelRef.current = id; setBackupSelState(id); };
  const tlSnap = useSyncExternalStore(timeline?.subscribe ?? NO_TIMELINE.subscribe, timeline?.getSnapshot ?? NO_TIMELINE.getSnapshot);
  // The Timeline view's filter, source filter and cursor (refs: several keys can arrive in one chunk).
  const [tlFilter, setTlFilterState] = useState('');
  const tlFilterRef = useRef('');
  const setTlFilter = (f: string) => { tlFilterRef.current = f; setTlFilterState(f); };
  const [tlSources, setTlSourcesState] = useState<TimelineSource[] | null>(null);
  const tlSourcesRef = useRef<TimelineSource[] | null>(null);
  const setTlSources = (v: TimelineSource[] | null) => { tlSourcesRef.current = v; setTlSourcesState(v); };
  const [tlCursorState, setTlCursorState] = useState<TimelineCursor>(initialTimelineCursor);
  const tlCursorRef = useRef<TimelineCursor>(tlCursorState);
  const setTlCursor = (c: TimelineCursor) => { tlCursorRef.current = c; setTlCursorState(c); };
  const tlShown = useMemo(() => filterTimeline(tlSnap?.entries ?? [], tlFilter, tlSources), [tlSnap, tlFilter, tlSources]);
  const capSnap = useSyncExternalStore(capacity?.subscribe ?? NO_CAPACITY.subscribe, capacity?.getSnapshot ?? NO_CAPACITY.getSnapshot);
  const [capSel, setCapSelState] = useState(0);
  const capSelRef = useRef(0);
  const setCapSel = (i: number) => { capSelRef.current = i; setCapSelState(i); };
  const capTopRef = useRef(0);
  const maint = useSyncExternalStore(maintenance?.subscribe ?? NO_MAINT.subscribe, maintenance?.getSnapshot ?? NO_MAINT.getSnapshot);
  const maintOn = maint !== null && !maint.endedAt;
  const [view, setViewState] = useState(initial?.view ?? 0);
  const viewRef = useRef(initial?.view ?? 0);
  const allHosts = fleet?.current === ALL_HOSTS;
  // H: the endpoint chooser (its cursor), and view 7's service list and the scale prompt.
  const [hostsIndex, setHostsIndexState] = useState(0);
  const hostsIndexRef = useRef(0);
  const setHostsIndex = (i: number) => { hostsIndexRef.current = i; setHostsIndexState(i); };
  const hostChoices = useMemo(() => (fleet ? [...fleet.endpoints.map((e) => e.name), ...(fleet.endpoints.length > 1 ? [ALL_HOSTS] : [])] : []), [fleet]);
  const swarmSnap = useSyncExternalStore(swarm?.subscribe ?? NO_SWARM.subscribe, swarm?.getSnapshot ?? NO_SWARM.getSnapshot);
  const services = useMemo(() => (swarmSnap ? servicesOrder(swarmSnap) : []), [swarmSnap]);
  const [svcSel, setSvcSelState] = useState<string | null>(null);
  const svcSelRef = useRef<string | null>(null);
  const setSvcSel = (id: string | null) => { svcSelRef.current = id; setSvcSelState(id); };
  const selectedService: SwarmService | null = services.find((s) => s.id === svcSel) ?? services[0] ?? null;
  const [scaleText, setScaleTextState] = useState('');
  const scaleTextRef = useRef('');
  const setScaleText = (v: string) => { scaleTextRef.current = v; setScaleTextState(v); };
  const [helpOffset, setHelpOffset] = useState(0);
  // The Logs view's state, read through a ref by the key handler (one chunk can hold several keys).
  const [lv, setLvState] = useState<LogViewState>(initialLogView);
  const lvRef = useRef(lv);
  const setLv = (next: LogViewState) => { lvRef.current = next; setLvState(next); };
  const logTargetRef = useRef<{ target: LogTarget; origin: string | null } | null>(null);
  const logIndex = useMemo(() => (logs ? new FilteredIndex(logs.buffer) : null), [logs]);
  const logFilter = useMemo(() => parseFilter(lv.filterText, lv.invert), [lv.filterText, lv.invert]);
  const appliedFilter = useRef<LogFilter | null>(null);
  if (logIndex && appliedFilter.current !== logFilter.filter) {
    appliedFilter.current = logFilter.filter;
    const f = logFilter.filter;
    logIndex.setPredicate(f.kind === 'none' ? null : (l: LogLine) => lineMatches(f, l.text));
  }
  logIndex?.sync();
  const [mode, setModeState] = useState<Mode>('normal');
  // The mode as of the last key, not the last render: one stdin chunk can hold several keys ("/flaky").
  const modeRef = useRef<Mode>('normal');
  const setMode = (m: Mode) => { modeRef.current = m; setModeState(m); };
  const [filter, setFilter] = useState('');
  const [selectedId, setSelectedId] = useState<string | null>(initial?.selectedId ?? null);
  const topRef = useRef(0);
  const [dialog, setDialogState] = useState<DialogState | null>(null);
  const dialogRef = useRef<DialogState | null>(null);
  const setDialog = (d: DialogState | null) => { dialogRef.current = d; setDialogState(d); };
  const [palette, setPaletteState] = useState('');
  const paletteRef = useRef('');
  const setPalette = (p: string) => { paletteRef.current = p; setPaletteState(p); };
  const [busy, setBusy] = useState<Record<string, string>>({});
  // Enter on a container: its detail pane (gathered once, scrolled by the keys).
  const [detail, setDetailState] = useState<{ name: string; data: ContainerDetail | null; error: string | null; scroll: number } | null>(null);
  const detailRef = useRef<typeof detail>(null);
  const setDetail = (d: typeof detail) => { detailRef.current = d; setDetailState(d); };
  const diagRunning = useRef(false);
  // The restore chooser and the walkthrough screen (refs: the key handler reads them between renders).
  const [chooser, setChooserState] = useState<{ def: TargetDef; candidates: StoredBackup[]; index: number } | null>(null);
  const chooserRef = useRef<typeof chooser>(null);
  const setChooser = (c: typeof chooser) => { chooserRef.current = c; setChooserState(c); };
  const [walk, setWalkState] = useState<Walkthrough | null>(null);
  const walkRef = useRef<Walkthrough | null>(null);
  const setWalk = (w: Walkthrough | null) => { walkRef.current = w; setWalkState(w); };
  const walkAbortRef = useRef<AbortController | null>(null);
  // The walkthrough's clock: elapsed times tick once a second while it runs.
  const [walkNow, setWalkNow] = useState(Date.now());
  useEffect(() => {
    if (!walk || walk.outcome) return undefined;
    const timer = setInterval(() => setWalkNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [walk !== null && !walk.outcome]);
  const [flash, setFlash] = useState<FlashMessage | null>(null);
  const say = (level: FlashLevel, text: string) => setFlash({ level, text, until: Date.now() + 6000 });
  useEffect(() => {
    if (!flash) return undefined;
    const timer = setTimeout(() => setFlash(null), Math.max(0, flash.until - Date.now()));
    return () => clearTimeout(timer);
  }, [flash]);


  const hostHeadings = allHosts ? fleet!.endpoints : undefined;
  const lines = useMemo(() => buildLines(snap.containers, filter, hostHeadings), [snap.containers, filter, hostHeadings]);
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
  // Attention: failing checks once they have run; until then, containers in trouble.
  const failing = healthRows.filter((r) => r.status === 'crit' || r.status === 'warn');
  const checksRan = healthRows.some((r) => r.status !== null);
  const attention = checksRan ? failing.length : snap.containers.filter((c) => severity(c) === 2).length;
  // The host strip is this machine's: shown with a local engine, not with a remote one or all hosts.
  const showHost = hostStrip && !allHosts;
  const stripHeight = view === 0 && showHost ? hostStripHeight(hostState, width) : 0;
  const changes = tlSnap?.changes ?? [];
  // "last hour: 2 restarted (a, b), 1 died (c), 3 alerts" rides with the attention strip.
  const attentionHeight = (view === 0 && attention > 0 ? 1 : 0) + (view === 0 && changes.length ? 1 : 0);
  const maintHeight = maintOn ? 1 : 0;
  const bodyHeight = Math.max(3, frameHeight - 2 - bannerHeight - maintHeight - 1 - stripHeight - attentionHeight - (flash ? 1 : 0));
  const tableRows = bodyHeight - 1;

  // Keep the group header of the selected row in view with it.
  let anchor = selectedLine > 0 && lines[selectedLine - 1]?.kind === 'group' ? selectedLine - 1 : selectedLine;
  if (anchor > 0 && lines[anchor - 1]?.kind === 'host') anchor -= 1;
  let top = visibleWindow(lines.length, selectedLine, tableRows, topRef.current);
  if (anchor < top) top = anchor;
  topRef.current = top;
  // All hosts: stats only for the rows on screen (the rest keep their last figures).
  const visibleKey = allHosts ? lines.slice(top, top + tableRows).map((l) => (l.kind === 'row' ? l.row.id : '')).join(',') : '';
  useEffect(() => {
    if (!allHosts || !fleet) return;
    fleet.setVisible(lines.slice(top, top + tableRows).flatMap((l) => (l.kind === 'row' ? [l.row] : [])));
  }, [visibleKey]);

  const logRows = Math.max(1, bodyHeight - 2);
  const logSources = logSnap ? [...new Set(logSnap.members.map((m) => m.source))] : [];

  const openLogs = (target: LogTarget) => {
    if (!logs) return;
    setLv({ ...initialLogView(), showTs: lvRef.current.showTs, wrap: lvRef.current.wrap, pretty: lvRef.current.pretty });
    void logs.open(target, 'tail');
  };
  /** Shows the logs of `target` (or, when null, of the selected container) in view 2. */
  const showLogs = (target: LogTarget | null) => {
    if (!logs) { say('warn', 'logs are not available here'); return; }
    if (target) logTargetRef.current = { target, origin: effectiveSelectedId };
    if (viewRef.current === 1) { if (target) openLogs(target); return; }
    setView(1);
  };
  const setView = (v: number) => {
    const prev = viewRef.current;
    viewRef.current = v;
    setViewState(v);
    if (prev === v) return;
    // Stats cost dockerd work and only the Overview shows them.
    docker.setStatsPaused(v !== 0);
    if (prev === 1) logs?.close();
    timeline?.setActive(v === 5);
    capacity?.setActive(v === 4);
    swarm?.setActive(v === 6);
    if (v === 1) {
      const remembered = logTargetRef.current;
      if (remembered && remembered.origin === effectiveSelectedId) openLogs(remembered.target);
      else if (selectedRow) {
        logTargetRef.current = { target: containerTarget(selectedRow), origin: effectiveSelectedId };
        openLogs(logTargetRef.current.target);
      }
    }
  };

  // A view asked for by the switch that showed this endpoint (l on an all-hosts row opens its logs here);
  // when another endpoint is shown instead, this one's log streams close and its Swarm polling slows.
  useEffect(() => {
    const v = viewRef.current;
    if (v !== 0) { viewRef.current = 0; setView(v); }
    return () => { logs?.close(); swarm?.setActive(false); };
  }, []);

  const saveLogs = () => {
    if (!logs || !logIndex || !logSnap?.target) return;
    const index = logIndex;
    const buffer = logs.buffer;
    function* lines(): Generator<LogLine> {
      for (let i = 0; i < index.count; i++) {
        const l = buffer.bySeq(index.seqAt(i));
        if (l) yield l;
      }
    }
    try {
      const path = saveLogLines(lines(), describeTarget(logSnap.target), saveDirs ?? [process.cwd()], prefixWidthFor(logSources));
      const shown = path.startsWith(`${process.cwd()}/`) ? `./${path.slice(process.cwd().length + 1)}` : path;
      say('info', `saved to ${shown}: ${index.count.toLocaleString('en-US')} line${index.count === 1 ? '' : 's'}${logFilter.filter.kind !== 'none' ? ' (filtered)' : ''}`);
    } catch (err) {
      say('error', `could not save the logs: ${(err as Error).message}`);
    }
  };

  const logCommand = (cmd: string) => {
    if (!logs || !logIndex) return;
    if (cmd === 'logSave') { saveLogs(); return; }
    if (cmd === 'logFilter') { setMode('filter'); return; }
    if (cmd === 'logBack') {
      if (lvRef.current.filterText || lvRef.current.invert) setLv({ ...lvRef.current, filterText: '', invert: false });
      else setView(0);
      return;
    }
    if (cmd === 'logWindow') {
      const snapNow = logs.getSnapshot();
      const next = LOG_WINDOWS[(LOG_WINDOWS.indexOf(snapNow.window) + 1) % LOG_WINDOWS.length]!;
      setLv({ ...lvRef.current, follow: true, markSeq: null });
      void logs.setWindow(next);
      return;
    }
    const { state, note } = applyLogCommand(lvRef.current, cmd as LogCommand, { buffer: logs.buffer, index: logIndex, rows: logRows });
    setLv(state);
    if (note) say('info', note);
  };

  let healthIndex = Math.max(0, healthRows.findIndex((r) => r.name === healthSel));
  if (healthIndex >= healthRows.length) healthIndex = 0;
  const healthListRows = Math.max(1, bodyHeight - 2);
  const healthTop = visibleWindow(healthRows.length, healthIndex, healthListRows, healthTopRef.current);
  healthTopRef.current = healthTop;
  const moveHealth = (delta: number) => {
    if (healthRows.length === 0) return;
    const from = Math.max(0, healthRows.findIndex((r) => r.name === healthSelRef.current));
    const next = Math.min(healthRows.length - 1, Math.max(0, from + delta));
    setHealthSel(healthRows[next]!.name);
  };
  const selectedCheck = healthRows[healthIndex] ?? null;

  const backupIndex = Math.max(0, backupRows.findIndex((r) => r.id === backupSel));
  const moveBackups = (delta: number) => {
    if (backupRows.length === 0) return;
    const from = Math.max(0, backupRows.findIndex((r) => r.id === backupSelRef.current));
    setBackupSel(backupRows[Math.min(backupRows.length - 1, Math.max(0, from + delta))]!.id);
  };

  /** Runs a backup-side action through the runner: confirmation dialog, lock, progress line, audit. */
  const runTargetAction = async <P,>(action: ActionDef<P>, params: P, target: string, what: string) => {
    if (!runner || (readOnly && action.mutates)) {
      say('warn', `read-only: ${what} is unavailable — opsdeck was started with --read-only (or readOnly: true in the config)`);
      return null;
    }
    if (backupSnap?.running[target]) { say('warn', `${target}: ${backupSnap.running[target]} — wait for it to finish`); return null; }
    const t0 = Date.now();
    let last = 0;
    const res = await runner.run(action, params, {
      confirm: (confirmation) => new Promise<boolean>((resolve) => {
        setDialog({ confirmation, typed: '', resolve });
        setMode('dialog');
      }),
      onEvent: (e) => {
        const text = progressText(e, t0);
        // The progress line repaints at most 4 times a second.
        if (text && (e.type === 'step' || Date.now() - last > 250)) { last = Date.now(); backups?.setRunning(target, text); }
      },
    });
    backups?.setRunning(target, null);
    backups?.refresh();
    if (res.result === 'ok') say('info', `${action.done} ${target} in ${formatElapsed(res.durationMs)}${res.detail ? ` — ${res.detail}` : ''}`);
    else if (res.result === 'cancelled') say(cancelNote.current ? 'warn' : 'info', cancelNote.current ?? `cancelled: ${target} was not touched`);
    else say('error', res.error ?? `${what} failed`);
    return res;
  };

  /** m / :maint on|off — enter (the selected container's project) or leave the maintenance window. */
  const maintenanceCommand = async (want: 'on' | 'off' | 'toggle', reason?: string) => {
    const db = backupEnv?.db ?? null;
    if (!db || !config) { say('error', 'maintenance needs the state store, which could not be opened (see opsdeck status)'); return; }
    const on = maintenance?.getSnapshot();
    const active = Boolean(on && !on.endedAt);
    const doOn = want === 'on' || (want === 'toggle' && !active);
    if (doOn && active) { say('info', `already in maintenance since ${on!.since} (${on!.project ?? 'the whole host'})`); return; }
    if (!doOn && !active) { say('info', 'not in maintenance: nothing to end'); return; }
    let res;
    if (doOn) {
      const project = selectedRow?.project ?? null;
      let plan;
      try { plan = await loadPlan(docker.reader, config, project); } catch (e) { say('error', `cannot plan maintenance: ${(e as Error).message}`); return; }
      res = await runTargetAction(enterMaintenance, enterParams({ db, plan, reason: reason || 'maintenance from the cockpit' }), 'maintenance', 'maintenance');
    } else {
      res = await runTargetAction(exitMaintenance, exitParams({ db, config }), 'maintenance', 'ending maintenance');
    }
    void res;
    maintenance?.refresh();
  };

  /** :maint run TASK — a maintenance task (vacuum:T, reindex:T, integrity:T, bgrewriteaof:T, backup:T, prune:images). */
  const maintenanceTaskCommand = async (text: string) => {
    const db = backupEnv?.db ?? null;
    if (!db || !backups) { say('error', 'maintenance tasks need the state store'); return; }
    let task;
    try {
      task = resolveTask(parseTask(text), backupSnap?.targets.map((t) => t.def) ?? [], snap.containers);
    } catch (e) {
      say('error', e instanceof TaskSpecError ? e.message : String(e));
      return;
    }
    const res = task.kind === 'backup'
      ? await runTargetAction(backupAction, backupParams({ target: task.target, db, dir: backupEnv!.dir, retention: backupEnv!.retention }), task.target.id, 'backup')
      : task.kind === 'prune'
        ? await runTargetAction(pruneTask, pruneParams({ what: task.what, db }), 'maintenance-task', 'prune')
        : await runTargetAction(maintenanceTask, taskParams({ task, db }), 'maintenance-task', task.spec.label);
    if (res) recordTaskOutcome(db, task.spec.label, res);
    maintenance?.refresh();
  };

  const backupCommand = (cmd: 'backupRun' | 'backupVerify') => {
    // By the id the keys last chose: "jjb" in one chunk backs up the row two below.
    const row = backupRows.find((r) => r.id === backupSelRef.current) ?? backupRows[0] ?? null;
    const def = backupSnap?.targets.find((t) => t.def.id === row?.id)?.def;
    if (!row || !def) { say('info', 'no backup target selected'); return; }
    if (!backupEnv?.db) { say('error', 'backups need the state store, which could not be opened (see opsdeck status)'); return; }
    const { db, dir, retention } = backupEnv;
    if (cmd === 'backupRun') { void runTargetAction(backupAction, backupParams({ target: def, db, dir, retention }), def.id, 'backup'); return; }
    const newest = row.history.find((b) => b.status === 'ok');
    if (!newest) { say('info', `${def.id} has no finished backup to verify: press b first`); return; }
    // The history rows come from the store (listBackups): they are StoredBackups.
    void runTargetAction(verifyAction, { backup: newest as StoredBackup, target: def, db, dir, state: {} }, def.id, 'verify');
  };

  /**
   * A long action on its own screen: the confirmation dialog first, then every step with status,
   * duration and progress, the log pane and the outcome (closed with Esc/Enter). Ctrl-C asks, then
   * aborts the running step (the action's recover rolls back).
   */
  const runWalkthrough = async <P,>(action: ActionDef<P>, params: P, target: string, title: string) => {
    if (!runner || (readOnly && action.mutates)) {
      say('warn', `read-only: ${action.title.toLowerCase()} is unavailable — opsdeck was started with --read-only (or readOnly: true in the config)`);
      return;
    }
    if (backupSnap?.running[target]) { say('warn', `${target}: ${backupSnap.running[target]} — wait for it to finish`); return; }
    const abort = new AbortController();
    walkAbortRef.current = abort;
    backups?.setRunning(target, 'preflight…');
    let lastProgress = 0;
    const res = await runner.run(action, params, {
      signal: abort.signal,
      confirm: (confirmation) => new Promise<boolean>((resolve) => {
        backups?.setRunning(target, null);
        setDialog({ confirmation, typed: '', resolve });
        setMode('dialog');
      }),
      onEvent: (e) => {
        if (!walkRef.current) {
          setWalk(startWalkthrough(title, target, action.steps(params)));
          setMode('walkthrough');
        }
        // Progress repaints at most 4 times a second; steps and log lines at once.
        if (e.type === 'progress') {
          if (Date.now() - lastProgress < 250) return;
          lastProgress = Date.now();
        }
        setWalk(applyEvent(walkRef.current!, e));
        if (e.type === 'step' && e.status === 'running') backups?.setRunning(target, `${e.title.toLowerCase()}…`);
      },
    });
    walkAbortRef.current = null;
    backups?.setRunning(target, null);
    backups?.refresh();
    if (walkRef.current) {
      const message = res.result === 'ok' ? `${action.done} ${target} in ${formatElapsed(res.durationMs)}${res.detail ? ` — ${res.detail}` : ''}` : res.error ?? `${action.title.toLowerCase()} failed`;
      setWalk(finishWalkthrough(walkRef.current, res.result === 'ok', message));
      setWalkNow(Date.now());
      return;
    }
    // Refused or cancelled before any step ran: nothing changed; say so on the flash line.
    if (res.result === 'cancelled') say(cancelNote.current ? 'warn' : 'info', cancelNote.current ?? `cancelled: ${target} was not touched`);
    else if (res.result !== 'ok') say('error', res.error ?? `${action.title.toLowerCase()} failed`);
  };

  /** The selected (or named) backup target, or a flash line saying why there is none. */
  const pickTarget = (targetId?: string): TargetDef | null => {
    const row = targetId ? null : backupRows.find((r) => r.id === backupSelRef.current) ?? backupRows[0] ?? null;
    const id = targetId ?? row?.id;
    const def = backupSnap?.targets.find((t) => t.def.id === id)?.def;
    if (!def) { say(targetId ? 'error' : 'info', targetId ? `no backup target "${targetId}" (Tab completes names)` : 'no backup target selected'); return null; }
    if (!backupEnv?.db || !config) { say('error', 'restores need the state store, which could not be opened (see opsdeck status)'); return null; }
    return def;
  };

  /** R / :restore TARGET [ID] — the chooser (newest verified preselected), or straight to the preflight when an id is named. */
  const restoreCommand = (targetId?: string, backupId?: string) => {
    const def = pickTarget(targetId);
    if (!def) return;
    const candidates = restoreCandidates(listBackups(backupEnv!.db!, { target: def.id, limit: 200 }));
    if (backupId) {
      const b = candidates.find((c) => c.id === backupId);
      if (!b) { say('error', `${def.id} has no usable backup "${backupId}" (finished, file present, not failed verification)`); return; }
      void startRestore(def, b);
      return;
    }
    if (!candidates.length) { say('info', `${def.id} has no backup to restore: press b to take one`); return; }
    setChooser({ def, candidates, index: Math.max(0, candidates.indexOf(preselect(candidates)!)) });
    setMode('choose');
  };
  const startRestore = (def: TargetDef, backup: StoredBackup) =>
    runWalkthrough(restoreAction, restoreParams({ db: backupEnv!.db!, config: config!, target: def, backup, dir: backupEnv!.dir }), def.id, `Restore ${def.id} from ${backup.id}`);

  /** D / :drill TARGET — the newest verified backup into a throwaway container. */
  const drillCommand = (targetId?: string) => {
    const def = pickTarget(targetId);
    if (!def) return;
    const backup = preselect(restoreCandidates(listBackups(backupEnv!.db!, { target: def.id, limit: 200 })));
    if (!backup) { say('info', `${def.id} has no backup to drill: press b to take one`); return; }
    void runWalkthrough(drillAction, drillParams({ db: backupEnv!.db!, target: def, backup }), def.id, `Restore drill of ${def.id} (${backup.id})`);
  };

  const timelineCommand = (cmd: string) => {
    if (cmd === 'tlSource') {
      const next = nextSourceFilter(tlSourcesRef.current);
      setTlSources(next);
      say('info', `timeline: ${next ? `only ${next.join(', ')}` : 'every source'}`);
      return;
    }
    const shown = filterTimeline(timeline?.getSnapshot().entries ?? [], tlFilterRef.current, tlSourcesRef.current);
    const c = clampTimeline(tlCursorRef.current, shown.length, timelineListRows(bodyHeight));
    if (cmd === 'tlReport') {
      const db = backupEnv?.db;
      if (!db) { say('error', 'the incident report needs the state store'); return; }
      // The window: from the first shown entry (at most 24 h back), or the last 2 hours.
      const since = shown.length ? Math.min(...shown.slice(0, 1).map((e) => e.at)) - 60_000 : Date.now() - 2 * 3_600_000;
      try {
        const { path } = writeIncidentReport(db, { since, ...(tlFilterRef.current ? { match: tlFilterRef.current } : {}) });
        say('info', `incident report draft written: ${path}`);
      } catch (e) {
        say('error', `could not write the incident report: ${(e as Error).message}`);
      }
      return;
    }
    // tlLogs: the container's logs from a minute before the entry, paused at it.
    const entry = shown[c.selected];
    if (!entry?.container) { say('info', entry ? 'this entry is not about a container' : 'no entry selected'); return; }
    const row = snap.containers.find((r) => r.name === entry.container);
    if (!row || !logs) { say('warn', `${entry.container} no longer exists: its logs are gone with it`); return; }
    const target = containerTarget(row);
    logTargetRef.current = { target, origin: null };
    viewRef.current = 1;
    setViewState(1);
    docker.setStatsPaused(true);
    timeline?.setActive(false);
    setLv({ ...initialLogView(), showTs: true });
    void logs.open(target, 'tail', { tail: 'all', sinceMs: entry.at - 60_000 }).then(() => {
      const buf = logs.buffer;
      for (let seq = buf.firstSeq; seq <= buf.lastSeq; seq++) {
        const l = buf.bySeq(seq);
        if (l && l.ts >= entry.at) {
          setLv({ ...lvRef.current, follow: false, bottomSeq: Math.min(buf.lastSeq, seq + Math.floor(logRows / 2)), pausedAtSeq: buf.lastSeq, markSeq: seq });
          return;
        }
      }
    });
  };

  /** Enter on the Overview: the selected container's detail pane (state, health log, events, errors, env masked). */
  const openDetail = (row: ContainerRow) => {
    const d = { name: row.name, data: null, error: null, scroll: 0 };
    setDetail(d);
    setMode('detail');
    gatherContainerDetail(docker.reader, backupEnv?.db ?? null, row.id).then(
      (data) => { if (detailRef.current?.name === row.name) setDetail({ ...detailRef.current, data }); },
      (e: Error) => { if (detailRef.current?.name === row.name) setDetail({ ...detailRef.current, error: e.message }); },
    );
  };
  const detailCommand = (cmd: string) => {
    const d = detailRef.current;
    if (!d || cmd === 'detailClose') { setDetail(null); setMode('normal'); return; }
    const page = Math.max(1, bodyHeight - 4);
    const delta = cmd === 'detailDown' ? 1 : cmd === 'detailUp' ? -1 : cmd === 'detailPageDown' ? page : -page;
    const max = detailMaxScroll(d.data, width, bodyHeight + stripHeight + attentionHeight, Date.now());
    setDetail({ ...d, scroll: Math.min(max, Math.max(0, d.scroll + delta)) });
  };

  /** d: the diagnostics bundle of the last hour (secrets redacted, 0600); progress on the flash line. */
  const diagCommand = () => {
    if (diagRunning.current) { say('warn', 'a diagnostics bundle is already being written'); return; }
    if (!config || !diagEnv) { say('error', 'diagnostics are not available here'); return; }
    diagRunning.current = true;
    let last = 0;
    say('info', 'diagnostics: collecting the last hour…');
    void writeDiagBundle({
      docker: docker.reader, db: backupEnv?.db ?? null, config, configSource: diagEnv.configSource, stateDir: diagEnv.stateDir,
      since: Date.now() - 3_600_000, logs: true,
      onProgress: (msg) => { if (Date.now() - last > 250) { last = Date.now(); say('info', `diagnostics: ${msg}`); } },
    }).then(
      (r) => say(r.notes.length ? 'warn' : 'info', `diagnostics bundle written: ${r.file} (${formatBytes(r.bytes)}${r.notes.length ? `; ${r.notes.length} note${r.notes.length === 1 ? '' : 's'} in SUMMARY.md` : ''})`),
      (e: Error) => say('error', `diagnostics bundle failed: ${e.message}`),
    ).finally(() => { diagRunning.current = false; });
  };

  const walkCommand = (cmd: string, input: string) => {
    const w = walkRef.current;
    if (!w) { setMode('normal'); return; }
    if (cmd === 'walkClose') {
      if (w.outcome) { setWalk(null); setMode('normal'); }
      return;
    }
    if (cmd === 'walkInterrupt') {
      if (!w.outcome && !w.interrupted) setWalk({ ...w, asking: true });
      return;
    }
    if (w.asking) {
      if (input === 'y') {
        setWalk({ ...w, asking: false, interrupted: true });
        walkAbortRef.current?.abort(new Error('interrupted by the operator'));
      } else {
        setWalk({ ...w, asking: false });
      }
    }
  };

  const chooseCommand = (cmd: string) => {
    const c = chooserRef.current;
    if (!c) { setMode('normal'); return; }
    if (cmd === 'chooseClose') { setChooser(null); setMode('normal'); return; }
    if (cmd === 'chooseDown' || cmd === 'chooseUp') {
      setChooser({ ...c, index: Math.min(c.candidates.length - 1, Math.max(0, c.index + (cmd === 'chooseDown' ? 1 : -1))) });
      return;
    }
    setChooser(null);
    setMode('normal');
    void startRestore(c.def, c.candidates[c.index]!);
  };

  const move = (delta: number) => {
    if (viewRef.current === 2) { moveHealth(delta); return; }
    if (viewRef.current === 3) { moveBackups(delta); return; }
    if (viewRef.current === 4) {
      const n = capacityOrder(capacity?.getSnapshot().data ?? null).length;
      if (n) setCapSel(Math.min(n - 1, Math.max(0, capSelRef.current + (Number.isFinite(delta) ? delta : delta > 0 ? n : -n))));
      return;
    }
    if (viewRef.current === 5) {
      const m: TimelineMove = delta === Infinity ? 'bottom' : delta === -Infinity ? 'top' : delta === 1 ? 'down' : delta === -1 ? 'up' : delta > 0 ? 'pageDown' : 'pageUp';
      const shown = filterTimeline(timeline?.getSnapshot().entries ?? [], tlFilterRef.current, tlSourcesRef.current);
      setTlCursor(moveTimeline(clampTimeline(tlCursorRef.current, shown.length, timelineListRows(bodyHeight)), m, shown.length, timelineListRows(bodyHeight)));
      return;
    }
    if (viewRef.current === 6) {
      if (services.length === 0) return;
      const from = Math.max(0, services.findIndex((s) => s.id === (svcSelRef.current ?? services[0]!.id)));
      const step = Number.isFinite(delta) ? delta : delta > 0 ? services.length : -services.length;
      setSvcSel(services[Math.min(services.length - 1, Math.max(0, from + step))]!.id);
      return;
    }
    if (rowLines.length === 0) return;
    const pos = Math.max(0, rowLines.indexOf(selectedLine));
    const next = Math.min(rowLines.length - 1, Math.max(0, pos + delta));
    const line = lines[rowLines[next]!];
    if (line?.kind === 'row') setSelectedId(line.row.id);
  };

  /** H: the endpoint chooser, its cursor on the current endpoint. */
  const openHosts = () => {
    if (!fleet || fleet.endpoints.length < 2) {
      say('info', `one Docker endpoint (${snap.conn.endpoint}): list more under endpoints: in the config, or add Docker contexts (docker context create)`);
      return;
    }
    setHostsIndex(Math.max(0, hostChoices.indexOf(fleet.current)));
    setMode('hosts');
  };
  const hostsCommand = (cmd: string) => {
    if (cmd === 'hostsClose') { setMode('normal'); return; }
    if (cmd === 'hostsDown' || cmd === 'hostsUp') {
      setHostsIndex(Math.min(hostChoices.length - 1, Math.max(0, hostsIndexRef.current + (cmd === 'hostsDown' ? 1 : -1))));
      return;
    }
    const name = hostChoices[hostsIndexRef.current];
    setMode('normal');
    if (name && fleet && name !== fleet.current) fleet.switchTo(name, { view: viewRef.current === 1 ? 0 : viewRef.current });
  };
  /** An all-hosts row's logs and details live on its own endpoint: show that one, with the row selected. */
  const onItsHost = (row: ContainerRow, then: InitialState): boolean => {
    if (!allHosts || !fleet || !row.endpoint) return false;
    fleet.switchTo(row.endpoint, { ...then, selectedId: row.id });
    return true;
  };

  /** View 7: scale (typed number → confirmation current → new), force update, rollback, logs. */
  const serviceCommand = (cmd: string) => {
    const svc = selectedService;
    if (!swarm || !swarmSnap) { say('info', 'Swarm services are not available here'); return; }
    if (!svc) { say('info', swarmSnap.role.manager ? 'no services on this swarm' : 'this engine is not a swarm manager'); return; }
    if (cmd === 'svcLogs') {
      if (!logs) { say('warn', 'logs are not available here'); return; }
      showLogs({ kind: 'service', id: svc.id, name: svc.name });
      return;
    }
    if (readOnly || !runner) { say('warn', 'read-only: service changes are unavailable — opsdeck was started with --read-only (or readOnly: true in the config)'); return; }
    if (cmd === 'svcScale') {
      if (svc.mode !== 'replicated') { say('warn', `${svc.name} is a ${svc.mode} service: it runs one task per node and cannot be scaled`); return; }
      setScaleText('');
      setMode('scale');
      return;
    }
    void runServiceAction(cmd === 'svcForce' ? 'force' : 'rollback', svc);
  };
  const runServiceAction = async (what: 'scale' | 'force' | 'rollback', svc: SwarmService, replicas?: number) => {
    if (!runner) return;
    const t0 = Date.now();
    const confirm = (confirmation: Confirmation) => new Promise<boolean>((resolve) => { setDialog({ confirmation, typed: '', resolve }); setMode('dialog'); });
    const onEvent = (e: RunEvent) => {
      if (e.type === 'step' && e.status === 'running') say('info', `${svc.name}: ${e.title.toLowerCase()}…`);
      if (e.type === 'log') say('info', `${svc.name}: ${safeText(e.line)}`);
    };
    const res = what === 'scale'
      ? await runner.run(scaleAction, { service: svc, replicas: replicas! }, { confirm, onEvent })
      : what === 'force'
        ? await runner.run(forceUpdateAction, { service: svc }, { confirm, onEvent })
        : await runner.run(rollbackAction, { service: svc }, { confirm, onEvent });
    swarm?.refresh();
    const done = what === 'scale' ? `scaled ${svc.name} to ${replicas}` : what === 'force' ? `force-updated ${svc.name}` : `rolled ${svc.name} back`;
    if (res.result === 'ok') say('info', `${done} in ${formatElapsed(Date.now() - t0)}${res.detail ? ` — ${res.detail}` : ''}`);
    else if (res.result === 'cancelled') say(cancelNote.current ? 'warn' : 'info', cancelNote.current ?? `cancelled: ${svc.name} was not touched`);
    else say('error', res.error ?? `${what} failed`);
  };
  const scaleAccept = () => {
    const svc = selectedService;
    const text = scaleTextRef.current;
    setMode('normal');
    setScaleText('');
    if (!svc) return;
    if (!/^\d+$/.test(text)) { say('warn', 'scale: type the number of replicas, e.g. 5'); return; }
    void runServiceAction('scale', svc, Number(text));
  };

  const runAction = async (verb: Verb, row: ContainerRow) => {
    // All hosts: the row's own engine does it (its runner names it in the confirmation).
    const routed = row.endpoint && fleet ? fleet.route(row.endpoint) : null;
    const run = routed ? routed.runner : runner;
    const model = routed ? routed.docker : docker;
    if (!run || readOnly) {
      say('warn', `read-only: ${verb} is unavailable — opsdeck was started with --read-only (or readOnly: true in the config)`);
      return;
    }
    if (busy[row.id]) {
      say('warn', `${row.name}: ${busy[row.id]} — wait for it to finish`);
      return;
    }
    const action = containerActions[verb];
    const res = await run.run(action, { container: row }, {
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
    model.refreshContainer(row.id);
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
    if (cmd === 'help') { setHelpOffset(0); setMode('help'); return; }
    if (cmd === 'maint' || cmd === 'maintenance') {
      const [sub, ...more] = rest;
      if (sub === 'on') void maintenanceCommand('on', more.join(' '));
      else if (sub === 'off') void maintenanceCommand('off');
      else if (sub === 'run' && more.length) { for (const t of more) void maintenanceTaskCommand(t); }
      else say('error', 'maint on [REASON] | maint off | maint run TASK (vacuum:T, reindex:T, integrity:T, bgrewriteaof:T, backup:T, prune:images)');
      return;
    }
    if (cmd === 'logs') {
      const found = arg ? resolveLogTarget(snap.containers, arg, swarmSnap?.services ?? []) : selectedRow ? { target: containerTarget(selectedRow) } : { error: 'logs of what? e.g. :logs NAME, :logs SERVICE or :logs PROJECT' };
      if ('error' in found) say('error', found.error);
      else showLogs(found.target);
      return;
    }
    if (cmd === 'host' || cmd === 'hosts') {
      if (!arg) { openHosts(); return; }
      if (!fleet || !hostChoices.includes(arg)) { say('error', `no endpoint "${arg}" (known: ${hostChoices.join(', ') || snap.conn.endpoint})`); return; }
      if (arg !== fleet.current) fleet.switchTo(arg, { view: viewRef.current === 1 ? 0 : viewRef.current });
      return;
    }
    if (cmd === 'scale') {
      const svc = services.find((s) => s.name === rest[0]);
      if (!svc || !/^\d+$/.test(rest[1] ?? '')) { say('error', `scale SERVICE REPLICAS, e.g. :scale web 5${swarmSnap?.role.manager ? ` (services: ${services.map((s) => s.name).slice(0, 6).join(', ')})` : ' — this engine is not a swarm manager'}`); return; }
      if (readOnly || !runner) { say('warn', 'read-only: scale is unavailable'); return; }
      void runServiceAction('scale', svc, Number(rest[1]));
      return;
    }
    if (cmd === 'restore') { restoreCommand(rest[0], rest[1]); return; }
    if (cmd === 'drill') { drillCommand(rest[0]); return; }
    if (cmd === 'backup') {
      const def = pickTarget(rest[0]);
      if (def) void runTargetAction(backupAction, backupParams({ target: def, db: backupEnv!.db!, dir: backupEnv!.dir, retention: backupEnv!.retention }), def.id, 'backup');
      return;
    }
    if (cmd === 'restart' || cmd === 'stop' || cmd === 'start') {
      const row = snap.containers.find((c) => c.name === arg) ?? (arg ? undefined : selectedRow);
      if (!row) { say('error', arg ? `no container named "${arg}" (Tab completes names)` : `${cmd} what? e.g. :${cmd} NAME`); return; }
      void runAction(cmd, row);
      return;
    }
    say('error', `unknown command "${cmd}": try restart NAME, stop NAME, start NAME, logs NAME, backup TARGET, restore TARGET [ID], drill TARGET, maint on|off|run TASK, quit`);
  };

  const dispatchControl = (ch: string, key: Key) => {
    if (ch === '\r' || ch === '\n') dispatch('', { ...key, return: true });
    else if (ch === '\t') dispatch('', { ...key, tab: true });
    else if (ch === '\x7f' || ch === '\b') dispatch('', { ...key, backspace: true });
    else if (ch === '\x1b') dispatch('', { ...key, escape: true });
    // Other control characters mean nothing here and are dropped.
  };

  const dispatch = (input: string, key: Key) => {
    const cmd = commandFor(input, key, modeRef.current, viewRef.current);
    if (cmd?.startsWith('log') && cmd !== 'logs' && cmd !== 'logsProject') { logCommand(cmd); return; }
    const inLogs = viewRef.current === 1;
    switch (cmd) {
      case 'quit': onQuit(); exit(); return;
      case 'help': setHelpOffset(0); setMode('help'); return;
      case 'closeHelp': setMode('normal'); return;
      case 'helpDown': setHelpOffset((o) => Math.min(helpMaxOffset(bodyHeight + stripHeight + attentionHeight, readOnly), o + (key.pageDown ? bodyHeight - 4 : 1))); return;
      case 'helpUp': setHelpOffset((o) => Math.max(0, o - (key.pageUp ? bodyHeight - 4 : 1))); return;
      case 'view': setView(Number(input) - 1); return;
      case 'nextView': setView((viewRef.current + 1) % VIEWS.length); return;
      case 'prevView': setView((viewRef.current + VIEWS.length - 1) % VIEWS.length); return;
      case 'healthRun': {
        const check = healthRows.find((r) => r.name === healthSelRef.current) ?? selectedCheck;
        if (check && checks) {
          checks.runNow(check.name);
          say('info', `running ${check.name} now…`);
        }
        return;
      }
      case 'healthDetails': if (selectedCheck) { if (!healthSelRef.current) setHealthSel(selectedCheck.name); setHealthDetails(true); } return;
      case 'backupRun': backupCommand('backupRun'); return;
      case 'backupVerify': backupCommand('backupVerify'); return;
      case 'backupRestore': restoreCommand(); return;
      case 'backupDrill': drillCommand(); return;
      case 'walkInterrupt': case 'walkClose': case 'walkKey': walkCommand(cmd, input); return;
      case 'tlSource': case 'tlReport': case 'tlLogs': timelineCommand(cmd); return;
      case 'detail': if (selectedRow && !onItsHost(selectedRow, { view: 0 })) openDetail(selectedRow); return;
      case 'detailClose': case 'detailDown': case 'detailUp': case 'detailPageDown': case 'detailPageUp': detailCommand(cmd); return;
      case 'diag': if (allHosts) { say('info', 'a diagnostics bundle is of one endpoint: press H and pick it first'); return; } diagCommand(); return;
      case 'capWindow': if (capacity) say('info', `capacity: the last ${capacity.nextWindow()}`); return;
      case 'chooseDown': case 'chooseUp': case 'choosePick': case 'chooseClose': chooseCommand(cmd); return;
      case 'healthClose': setHealthDetails(false); return;
      case 'maintenance': if (allHosts) { say('info', 'maintenance is per endpoint: press H and pick it first'); return; } void maintenanceCommand('toggle'); return;
      case 'logs': if (selectedRow && !onItsHost(selectedRow, { view: 1 })) showLogs(containerTarget(selectedRow)); return;
      case 'logsProject':
        if (selectedRow && allHosts) { say('info', `project logs: press H and pick ${selectedRow.endpoint ?? 'its endpoint'}, or l for this container's`); return; }
        if (selectedRow?.project) showLogs({ kind: 'project', project: selectedRow.project });
        else if (selectedRow) { say('info', `${selectedRow.name} is not in a compose project: showing its own logs`); showLogs(containerTarget(selectedRow)); }
        return;
      case 'down': move(1); return;
      case 'up': move(-1); return;
      case 'top': move(-Infinity); return;
      case 'bottom': move(Infinity); return;
      case 'pageDown': move(Math.max(1, tableRows - 2)); return;
      case 'pageUp': move(-Math.max(1, tableRows - 2)); return;
      case 'filter': setMode('filter'); return;
      case 'filterType':
        if (inLogs) setLv({ ...lvRef.current, filterText: lvRef.current.filterText + input, markSeq: null });
        else if (viewRef.current === 5) { setTlFilter(tlFilterRef.current + input); setTlCursor(initialTimelineCursor()); }
        else setFilter((f) => f + input);
        return;
      case 'filterBackspace':
        if (inLogs) setLv({ ...lvRef.current, filterText: lvRef.current.filterText.slice(0, -1) });
        else if (viewRef.current === 5) setTlFilter(tlFilterRef.current.slice(0, -1));
        else setFilter((f) => f.slice(0, -1));
        return;
      case 'filterAccept': setMode('normal'); return;
      case 'filterClear':
        if (inLogs) setLv({ ...lvRef.current, filterText: '', invert: false });
        else if (viewRef.current === 5) { setTlFilter(''); setTlSources(null); }
        else setFilter('');
        setMode('normal');
        return;
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
        // After "maint run": the configured tasks and one of each kind per backup target (the task menu).
        const maintRun = /^(maint|maintenance) run /.test(paletteRef.current);
        const targetCmd = /^(restore|drill|backup) \S*$/.test(paletteRef.current);
        const names = targetCmd ? (backupSnap?.targets ?? []).map((t) => t.def.id) : /^(maint|maintenance) \S*$/.test(paletteRef.current) ? ['on', 'off', 'run'] : maintRun
          ? [...new Set([
            ...(config ? configuredTasks(config).map((t) => t.label) : []),
            ...(backupSnap?.targets ?? []).flatMap((t) => (t.def.kind === 'postgres' ? ['vacuum', 'reindex', 'backup'] : t.def.kind === 'sqlite' ? ['vacuum', 'integrity', 'backup'] : t.def.kind === 'redis' ? ['bgrewriteaof', 'backup'] : ['backup']).map((k) => `${k}:${t.def.id}`)),
            'prune:images', 'prune:containers',
          ])]
          : [...snap.containers.map((c) => c.name), ...new Set(snap.containers.flatMap((c) => (c.project ? [c.project] : [])))];
        const { text, options } = completePalette(paletteRef.current, names);
        setPalette(text);
        if (options.length > 1) say('info', options.slice(0, 8).join('  '));
        return;
      }
      case 'paletteRun': runPalette(paletteRef.current); return;
      case 'hosts': openHosts(); return;
      case 'hostsDown': case 'hostsUp': case 'hostsPick': case 'hostsClose': hostsCommand(cmd); return;
      case 'svcScale': case 'svcForce': case 'svcRollback': case 'svcLogs': serviceCommand(cmd); return;
      case 'scaleType': setScaleText((scaleTextRef.current + input).slice(0, 4)); return;
      case 'scaleBackspace': setScaleText(scaleTextRef.current.slice(0, -1)); return;
      case 'scaleAccept': scaleAccept(); return;
      case 'scaleClose': setScaleText(''); setMode('normal'); say('info', 'scale cancelled: nothing was changed'); return;
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

  const viewScopes: Scope[] = view === 6 ? ['services', 'global', 'list'] : view === 0 ? ['global', 'list', 'overview'] : view === 1 ? ['logs', 'global'] : view === 2 ? ['health', 'global', 'list'] : view === 3 ? ['backups', 'global', 'list'] : view === 5 ? ['timeline', 'global', 'list'] : view === 4 ? ['capacity', 'global', 'list'] : ['global'];
  const scopes: Scope[] = mode === 'help' ? ['help'] : mode === 'filter' ? ['filter'] : mode === 'dialog' ? ['dialog'] : mode === 'palette' ? ['palette'] : mode === 'choose' ? ['choose'] : mode === 'walkthrough' ? ['walkthrough'] : mode === 'detail' ? ['detail'] : mode === 'hosts' ? ['hosts'] : mode === 'scale' ? ['scale'] : viewScopes;
  const shownFilter = view === 1 ? lv.filterText : view === 5 ? tlFilter : filter;
  const footerExtra = mode === 'scale' ? `replicas of ${selectedService?.name ?? '?'} (now ${selectedService?.desired ?? '?'}): ${scaleText}█` : mode === 'filter' ? `/${shownFilter}█` : mode === 'palette' ? `:${palette}█` : view === 5 ? (tlFilter ? `filter: ${tlFilter}` : undefined) : view !== 1 && filter ? `filter: ${filter}` : undefined;
  const flashHeight = flash ? 1 : 0;

  let body: React.ReactNode;
  if (mode === 'walkthrough' && walk) {
    body = <WalkthroughView walk={walk} width={width} height={bodyHeight + stripHeight + attentionHeight} now={Math.max(walkNow, walk.startedAt)} />;
  } else if (mode === 'detail' && detail) {
    body = <ContainerDetailView detail={detail.data} name={detail.name} {...(detail.error ? { error: detail.error } : {})} width={width} height={bodyHeight + stripHeight + attentionHeight} scroll={detail.scroll} now={snap.at} />;
  } else if (mode === 'hosts' && fleet) {
    body = <HostChooser endpoints={fleet.endpoints} current={fleet.current} index={hostsIndex} width={width} height={bodyHeight + stripHeight + attentionHeight} />;
  } else if (mode === 'choose' && chooser) {
    body = <BackupChooser target={chooser.def.id} candidates={chooser.candidates} index={chooser.index} width={width} height={bodyHeight + stripHeight + attentionHeight} now={snap.at} />;
  } else if (mode === 'dialog' && dialog) {
    body = (
      <Box height={bodyHeight + stripHeight + attentionHeight} flexDirection="column" alignItems="center" justifyContent="center">
        <ConfirmDialog confirmation={dialog.confirmation} typed={dialog.typed} width={width} />
      </Box>
    );
  } else if (mode === 'help') {
    body = <HelpOverlay width={width} height={bodyHeight + stripHeight + attentionHeight} readOnly={readOnly} first={viewScopes} offset={helpOffset} />;
  } else if (view === 0) {
    body = (
      <>
        {showHost ? <HostStrip host={hostState} width={width} thresholds={thresholds} ascii={ascii} /> : null}
        <AttentionStrip rows={snap.containers} checks={checksRan ? failing : null} width={width} />
        {changes.length ? <Text color={t.warn} wrap="truncate">{truncate(` last hour: ${safeText(changes.join(', '))} — 6 shows the timeline`, width)}</Text> : null}
        <ContainerTable lines={lines} top={top} height={bodyHeight} width={width} selectedId={effectiveSelectedId} now={snap.at}
          sparkStyle={ascii ? 'ascii' : 'braille'} loaded={snap.loaded} filter={filter} busy={busy} />
      </>
    );
  } else if (view === 2 && healthDetails && selectedCheck) {
    body = <HealthDetails row={selectedCheck} width={width} height={bodyHeight} now={snap.at} />;
  } else if (view === 2) {
    body = (
      <HealthView rows={healthRows} selected={healthIndex} top={healthTop} width={width} height={bodyHeight} now={checkSnap?.at ?? snap.at} ascii={ascii}
        note={checks ? undefined : 'checks are not running in this cockpit'} />
    );
  } else if (view === 3 && backups && backupEnv) {
    body = (
      <BackupsView rows={backupRows} selected={backupIndex} width={width} height={bodyHeight} now={backupSnap?.at ?? snap.at} ascii={ascii}
        thresholds={backupEnv.age} dir={backupEnv.dir} note={backupSnap?.note} />
    );
  } else if (view === 4 && capacity) {
    const h = bodyHeight;
    capTopRef.current = capacityScroll(capSnap?.data ?? null, capSel, h, capTopRef.current);
    body = (
      <CapacityView data={capSnap?.data ?? null} selected={capSel} scroll={capTopRef.current} width={width} height={h} ascii={ascii}
        loading={capSnap?.loading ?? false} {...(capSnap?.error ? { error: capSnap.error } : {})} />
    );
  } else if (view === 5 && timeline) {
    const c = clampTimeline(tlCursorState, tlShown.length, timelineListRows(bodyHeight));
    body = (
      <TimelineView entries={tlSnap?.entries ?? []} selected={c.selected} top={c.top} filterText={tlFilter} sources={tlSources} width={width} height={bodyHeight}
        now={tlSnap?.at ?? snap.at} ascii={ascii} filtering={mode === 'filter'} windowLabel="last 24h" follow={c.follow} note={tlSnap?.note ?? null} />
    );
  } else if (view === 6) {
    body = swarmSnap
      ? <ServicesView snap={swarmSnap} selectedId={selectedService?.id ?? null} width={width} height={bodyHeight} now={swarmSnap.at} ascii={ascii} />
      : <Box height={bodyHeight} flexDirection="column"><Text color={t.dim}>{allHosts ? ' Services are per endpoint: press H and pick a swarm manager.' : ' Swarm services are not available here.'}</Text></Box>;
  } else if (view === 1 && logs && logIndex && logSnap) {
    body = (
      <LogsView snap={logSnap} buffer={logs.buffer} index={logIndex} state={lv} filter={logFilter.filter} filterError={logFilter.error ?? null}
        width={width} height={bodyHeight} ascii={ascii} tail={logTail} />
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
      <Header hostname={hostname} conn={snap.conn} view={view} attention={attention} readOnly={readOnly} width={width} endpoint={fleet ? endpointLabel(fleet) : undefined} />
      <DockerBanner conn={snap.conn} width={width} />
      {maintOn ? <Text color={t.warn} bold inverse wrap="truncate">{truncate(maintenanceBanner(maint!, snap.at), width)}</Text> : null}
      <Box flexDirection="column" flexGrow={1}>{body}</Box>
      {flashHeight ? <Flash flash={flash} width={width} /> : null}
      <Footer scopes={scopes} width={width} extra={footerExtra} readOnly={readOnly} />
    </Box>
  );
}
