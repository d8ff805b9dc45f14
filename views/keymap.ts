/**
 * The one keymap table: it drives the input handlers, the `?` overlay and the footer.
 * `scope` says where a key works; `mutates` marks keys that change something (refused read-only).
 */
export type Scope = 'global' | 'list' | 'overview' | 'filter' | 'help';

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
}

export const keymap: KeyBinding[] = [
  { command: 'help', keys: ['?'], description: 'show or hide this help', scope: 'global', mutates: false, footer: 'help' },
  { command: 'quit', keys: ['q', 'Ctrl-C'], description: 'quit (the terminal is restored)', scope: 'global', mutates: false, footer: 'quit' },
  { command: 'view', keys: ['1', '2', '3', '4', '5', '6'], description: 'switch view: Overview, Logs, Health, Backups, Capacity, Timeline', scope: 'global', mutates: false, footer: 'views' },
  { command: 'nextView', keys: ['Tab'], description: 'next view', scope: 'global', mutates: false },
  { command: 'prevView', keys: ['Shift-Tab'], description: 'previous view', scope: 'global', mutates: false },
  { command: 'down', keys: ['j', '↓'], description: 'move down', scope: 'list', mutates: false, footer: 'move' },
  { command: 'up', keys: ['k', '↑'], description: 'move up', scope: 'list', mutates: false },
  { command: 'top', keys: ['g'], description: 'go to the top', scope: 'list', mutates: false },
  { command: 'bottom', keys: ['G'], description: 'go to the bottom', scope: 'list', mutates: false },
  { command: 'pageDown', keys: ['PgDn'], description: 'page down', scope: 'list', mutates: false },
  { command: 'pageUp', keys: ['PgUp'], description: 'page up', scope: 'list', mutates: false },
  { command: 'filter', keys: ['/'], description: 'filter by name, service, project or image (Esc clears)', scope: 'list', mutates: false, footer: 'filter' },
  { command: 'filterAccept', keys: ['Enter'], description: 'keep the filter and return to the list', scope: 'filter', mutates: false, footer: 'keep' },
  { command: 'filterClear', keys: ['Esc'], description: 'clear the filter', scope: 'filter', mutates: false, footer: 'clear' },
  { command: 'closeHelp', keys: ['Esc', '?', 'q'], description: 'close this help', scope: 'help', mutates: false, footer: 'close' },
];

export const VIEWS = ['Overview', 'Logs', 'Health', 'Backups', 'Capacity', 'Timeline'] as const;
export type ViewName = (typeof VIEWS)[number];

/** The footer's entries for the given scopes, in table order. */
export function footerEntries(scopes: Scope[]): { keys: string; label: string; mutates: boolean }[] {
  return keymap
    .filter((b) => b.footer && scopes.includes(b.scope))
    .map((b) => ({ keys: b.command === 'view' ? '1-6' : b.command === 'down' ? 'j/k' : b.keys[0]!, label: b.footer!, mutates: b.mutates }));
}
