/**
 * The one keymap table: it drives the input handlers, the `?` overlay and the footer.
 * `scope` says where a key works; `mutates` marks keys that change something (refused read-only).
 */
export type Scope = 'global' | 'list' | 'overview' | 'logs' | 'health' | 'backups' | 'filter' | 'help' | 'dialog' | 'palette' | 'choose' | 'walkthrough' | 'timeline' | 'capacity' | 'detail' | 'hosts' | 'services' | 'scale';

export interface KeyBinding {
  /** Command id the handlers switch on. */
  command: string;
  /** Keys as shown to the operator. */
  keys: string[];
  description: string;
  scope: Scope;
  mutates: boolean;
  /** Shown in the footer (short label) when set. */
  footer?: string;
  /** How the footer names the keys, when not just the first one (e.g. "j/k"). */
  footerKeys?: string;
}

export const keymap: KeyBinding[] = [
  { command: 'help', keys: ['?'], description: 'show or hide this help', scope: 'global', mutates: false, footer: 'help' },
  { command: 'quit', keys: ['q', 'Ctrl-C'], description: 'quit (the terminal is restored)', scope: 'global', mutates: false, footer: 'quit' },
  { command: 'view', keys: ['1', '2', '3', '4', '5', '6', '7'], description: 'switch view: Overview, Logs, Health, Backups, Capacity, Timeline, Services (Swarm)', scope: 'global', mutates: false, footer: 'views', footerKeys: '1-7' },
  { command: 'hosts', keys: ['H'], description: 'switch the Docker endpoint (config endpoints:, Docker contexts), or all hosts in one Overview; also :host NAME', scope: 'global', mutates: false, footer: 'host' },
  { command: 'nextView', keys: ['Tab'], description: 'next view', scope: 'global', mutates: false },
  { command: 'prevView', keys: ['Shift-Tab'], description: 'previous view', scope: 'global', mutates: false },
  { command: 'down', keys: ['j', '↓'], description: 'move down', scope: 'list', mutates: false, footer: 'move', footerKeys: 'j/k' },
  { command: 'up', keys: ['k', '↑'], description: 'move up', scope: 'list', mutates: false },
  { command: 'top', keys: ['g'], description: 'go to the top', scope: 'list', mutates: false },
  { command: 'bottom', keys: ['G'], description: 'go to the bottom', scope: 'list', mutates: false },
  { command: 'pageDown', keys: ['PgDn'], description: 'page down', scope: 'list', mutates: false },
  { command: 'pageUp', keys: ['PgUp'], description: 'page up', scope: 'list', mutates: false },
  { command: 'filter', keys: ['/'], description: 'filter by name, service, project or image (Esc clears)', scope: 'list', mutates: false, footer: 'filter' },
  { command: 'palette', keys: [':'], description: 'command palette: restart NAME, stop NAME, start NAME, logs NAME|PROJECT, backup TARGET, restore TARGET [ID], drill TARGET, maint on [REASON]|off|run TASK, host NAME|all, scale SERVICE N, quit (Tab completes)', scope: 'global', mutates: false, footer: 'cmd' },
  { command: 'restart', keys: ['r'], description: 'restart the selected container (asks first)', scope: 'overview', mutates: true, footer: 'restart' },
  { command: 'stopStart', keys: ['s'], description: 'stop the selected container (type its name to confirm), or start it if stopped', scope: 'overview', mutates: true, footer: 'stop/start' },
  { command: 'maintenance', keys: ['m'], description: 'maintenance window on (the selected container\'s project: 503 page, stop its services; type the name to confirm) or off (start them, wait for health)', scope: 'overview', mutates: true, footer: 'maint' },
  { command: 'logs', keys: ['l'], description: 'logs of the selected container (view 2 opens the same)', scope: 'overview', mutates: false, footer: 'logs' },
  { command: 'logsProject', keys: ['L'], description: 'logs of the selected container\'s whole compose project, merged by time', scope: 'overview', mutates: false },
  { command: 'detail', keys: ['Enter'], description: 'details of the selected container: state, health log, exit code and OOM, restarts, recent events, last errors, ports, mounts, image and age, environment (secrets masked)', scope: 'overview', mutates: false, footer: 'details' },
  { command: 'diag', keys: ['d'], description: 'diagnostics bundle of the last hour (host, Docker, every container, logs, timeline, checks, database activity; secrets redacted; 0600): the path is shown', scope: 'overview', mutates: false, footer: 'diag' },
  { command: 'detailDown', keys: ['j', '↓'], description: 'scroll the details down', scope: 'detail', mutates: false, footer: 'scroll', footerKeys: 'j/k' },
  { command: 'detailUp', keys: ['k', '↑'], description: 'scroll the details up', scope: 'detail', mutates: false },
  { command: 'detailPageDown', keys: ['PgDn'], description: 'a page down', scope: 'detail', mutates: false },
  { command: 'detailPageUp', keys: ['PgUp'], description: 'a page up', scope: 'detail', mutates: false },
  { command: 'detailClose', keys: ['Esc', 'Enter', 'q'], description: 'close the details', scope: 'detail', mutates: false, footer: 'close' },
  { command: 'logFollow', keys: ['f', 'Space'], description: 'pause, or follow new lines again (paused: new lines are counted, not lost)', scope: 'logs', mutates: false, footer: 'pause/follow' },
  { command: 'logDown', keys: ['j', '↓'], description: 'scroll down a line (pauses)', scope: 'logs', mutates: false, footer: 'scroll', footerKeys: 'j/k' },
  { command: 'logUp', keys: ['k', '↑'], description: 'scroll up a line (pauses)', scope: 'logs', mutates: false },
  { command: 'logPageDown', keys: ['PgDn'], description: 'scroll down a page', scope: 'logs', mutates: false },
  { command: 'logPageUp', keys: ['PgUp'], description: 'scroll up a page', scope: 'logs', mutates: false },
  { command: 'logTop', keys: ['g'], description: 'oldest line in the buffer', scope: 'logs', mutates: false },
  { command: 'logBottom', keys: ['G'], description: 'newest line, and follow', scope: 'logs', mutates: false },
  { command: 'logFilter', keys: ['/'], description: 'filter lines: text (any case unless it has capitals) or /regex/ (/re/i: any case); matches highlighted', scope: 'logs', mutates: false, footer: 'filter' },
  { command: 'logInvert', keys: ['!'], description: 'invert the filter: lines that do not match', scope: 'logs', mutates: false },
  { command: 'logNextError', keys: ['e'], description: 'next error line', scope: 'logs', mutates: false, footer: 'errors', footerKeys: 'e/E' },
  { command: 'logPrevError', keys: ['E'], description: 'previous error line', scope: 'logs', mutates: false },
  { command: 'logNextWarn', keys: ['w'], description: 'next warning line', scope: 'logs', mutates: false },
  { command: 'logPrevWarn', keys: ['W'], description: 'previous warning line', scope: 'logs', mutates: false },
  { command: 'logTimestamps', keys: ['t'], description: 'show or hide timestamps (UTC)', scope: 'logs', mutates: false },
  { command: 'logWrap', keys: ['z'], description: 'wrap long lines, or cut them at the edge', scope: 'logs', mutates: false },
  { command: 'logPretty', keys: ['p'], description: 'pretty-print JSON lines', scope: 'logs', mutates: false },
  { command: 'logWindow', keys: ['T'], description: 'time window: last N lines, 5m, 15m, 1h', scope: 'logs', mutates: false, footer: 'window' },
  { command: 'logSave', keys: ['Ctrl-S'], description: 'save the lines in the buffer (filter applied) to a file; the path is shown', scope: 'logs', mutates: false, footer: 'save' },
  { command: 'logBack', keys: ['Esc'], description: 'clear the filter; without one, back to the Overview', scope: 'logs', mutates: false },
  { command: 'healthRun', keys: ['c'], description: 'run the selected check now', scope: 'health', mutates: false, footer: 'run now' },
  { command: 'healthDetails', keys: ['Enter'], description: 'details of the selected check: the HTTP response head, the database numbers, …', scope: 'health', mutates: false, footer: 'details' },
  { command: 'healthClose', keys: ['Esc'], description: 'close the details', scope: 'health', mutates: false },
  { command: 'backupRun', keys: ['b'], description: 'back up the selected target now (asks first: destination, size, free space), then verify it and apply retention', scope: 'backups', mutates: true, footer: 'backup' },
  { command: 'backupVerify', keys: ['v'], description: 'verify the newest backup of the selected target (checksum, then restorable)', scope: 'backups', mutates: false, footer: 'verify' },
  { command: 'backupRestore', keys: ['R'], description: 'restore the selected target: choose the backup (newest verified first), preflight, type the name; a walkthrough with a safety backup and automatic rollback', scope: 'backups', mutates: true, footer: 'restore' },
  { command: 'backupDrill', keys: ['D'], description: 'restore drill: the newest verified backup into a throwaway container, checked and recorded as proven', scope: 'backups', mutates: true, footer: 'drill' },
  { command: 'capWindow', keys: ['w'], description: 'capacity: the window of the graphs and projections: 1h, 24h, 7d, 30d', scope: 'capacity', mutates: false, footer: 'window' },
  { command: 'tlSource', keys: ['s'], description: 'timeline: cycle the source shown (all, docker, alert, check, maintenance, action)', scope: 'timeline', mutates: false, footer: 'source' },
  { command: 'tlLogs', keys: ['Enter'], description: 'timeline: the logs of the entry\'s container from a minute before it, paused at it', scope: 'timeline', mutates: false, footer: 'logs then' },
  { command: 'tlReport', keys: ['i'], description: 'timeline: write an incident report draft (Markdown) for the shown window and filter; the path is shown', scope: 'timeline', mutates: false, footer: 'report' },
  { command: 'svcScale', keys: ['S'], description: 'scale the selected service: type the number of replicas (shows current → new), then confirm', scope: 'services', mutates: true, footer: 'scale' },
  { command: 'svcForce', keys: ['F'], description: 'force update: a rolling restart of every task of the selected service (asks first); progress in the UPDATE column', scope: 'services', mutates: true, footer: 'force update' },
  { command: 'svcRollback', keys: ['B'], description: 'roll the selected service back to its previous spec (asks first)', scope: 'services', mutates: true, footer: 'rollback' },
  { command: 'svcLogs', keys: ['l'], description: 'logs of the selected service: every task merged by time, in the Logs view', scope: 'services', mutates: false, footer: 'logs' },
  { command: 'hostsDown', keys: ['j', '↓'], description: 'next endpoint', scope: 'hosts', mutates: false, footer: 'move', footerKeys: 'j/k' },
  { command: 'hostsUp', keys: ['k', '↑'], description: 'previous endpoint', scope: 'hosts', mutates: false },
  { command: 'hostsPick', keys: ['Enter'], description: 'show this endpoint (or all hosts)', scope: 'hosts', mutates: false, footer: 'show' },
  { command: 'hostsClose', keys: ['Esc'], description: 'keep the current endpoint', scope: 'hosts', mutates: false, footer: 'cancel' },
  { command: 'scaleType', keys: ['0-9'], description: 'the number of replicas', scope: 'scale', mutates: false, footer: 'replicas', footerKeys: '0-9' },
  { command: 'scaleAccept', keys: ['Enter'], description: 'go on to the confirmation (current → new)', scope: 'scale', mutates: true, footer: 'next' },
  { command: 'scaleClose', keys: ['Esc'], description: 'cancel: nothing happens', scope: 'scale', mutates: false, footer: 'cancel' },
  { command: 'chooseDown', keys: ['j', '↓'], description: 'next backup', scope: 'choose', mutates: false, footer: 'move', footerKeys: 'j/k' },
  { command: 'chooseUp', keys: ['k', '↑'], description: 'previous backup', scope: 'choose', mutates: false },
  { command: 'choosePick', keys: ['Enter'], description: 'restore this backup (preflight, then the confirmation)', scope: 'choose', mutates: true, footer: 'restore this' },
  { command: 'chooseClose', keys: ['Esc'], description: 'cancel: nothing happens', scope: 'choose', mutates: false, footer: 'cancel' },
  { command: 'walkInterrupt', keys: ['Ctrl-C'], description: 'interrupt the running restore: asks, then stops the step and rolls back to the safety backup', scope: 'walkthrough', mutates: true, footer: 'interrupt' },
  { command: 'walkClose', keys: ['Esc', 'Enter'], description: 'close the walkthrough once it has finished', scope: 'walkthrough', mutates: false, footer: 'close' },
  { command: 'confirm', keys: ['y'], description: 'confirm (destructive actions: type the name, then Enter)', scope: 'dialog', mutates: false, footer: 'confirm' },
  { command: 'cancel', keys: ['Esc', 'n', 'any other key'], description: 'cancel: nothing happens', scope: 'dialog', mutates: false, footer: 'cancel' },
  { command: 'paletteComplete', keys: ['Tab'], description: 'complete the command or container name', scope: 'palette', mutates: false, footer: 'complete' },
  { command: 'paletteRun', keys: ['Enter'], description: 'run the command', scope: 'palette', mutates: false, footer: 'run' },
  { command: 'paletteClose', keys: ['Esc'], description: 'close the palette', scope: 'palette', mutates: false, footer: 'close' },
  { command: 'filterAccept', keys: ['Enter'], description: 'keep the filter and return to the list', scope: 'filter', mutates: false, footer: 'keep' },
  { command: 'filterClear', keys: ['Esc'], description: 'clear the filter', scope: 'filter', mutates: false, footer: 'clear' },
  { command: 'helpDown', keys: ['j', '↓', 'PgDn'], description: 'scroll this help down', scope: 'help', mutates: false, footer: 'scroll', footerKeys: 'j/k' },
  { command: 'helpUp', keys: ['k', '↑', 'PgUp'], description: 'scroll this help up', scope: 'help', mutates: false },
  { command: 'closeHelp', keys: ['Esc', '?', 'q'], description: 'close this help', scope: 'help', mutates: false, footer: 'close' },
];

export const VIEWS = ['Overview', 'Logs', 'Health', 'Backups', 'Capacity', 'Timeline', 'Services'] as const;
export type ViewName = (typeof VIEWS)[number];

/** The footer's entries for the given scopes, in table order. */
export function footerEntries(scopes: Scope[]): { keys: string; label: string; mutates: boolean }[] {
  return keymap
    .filter((b) => b.footer && scopes.includes(b.scope))
    .map((b) => ({ keys: b.footerKeys ?? b.keys[0]!, label: b.footer!, mutates: b.mutates }));
}

/** Palette commands and what they take. */
export const PALETTE_COMMANDS = ['restart', 'stop', 'start', 'logs', 'maint', 'quit', 'help'] as const;

/**
 * Tab completion for the palette: the command word first, then a container name. Returns the new
 * text, or the same text when nothing (or nothing unambiguous) completes.
 */
export function completePalette(text: string, names: readonly string[]): { text: string; options: string[] } {
  const parts = text.split(' ');
  const pool = parts.length <= 1 ? PALETTE_COMMANDS : names;
  const word = parts[parts.length - 1] ?? '';
  const options = pool.filter((o) => o.startsWith(word));
  if (options.length === 0) return { text, options };
  let common = options[0]!;
  for (const o of options) while (!o.startsWith(common)) common = common.slice(0, -1);
  const done = options.length === 1;
  parts[parts.length - 1] = done ? options[0]! : common;
  return { text: parts.join(' ') + (done ? ' ' : ''), options };
}
