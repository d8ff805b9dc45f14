import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Key } from 'ink';
import { footerEntries, keymap, VIEWS, type KeyBinding, type Scope } from '../../views/keymap.js';
import { commandFor } from '../../views/App.js';

type Mode = Parameters<typeof commandFor>[2];
const MODES: Mode[] = ['normal', 'filter', 'help', 'palette', 'dialog', 'choose', 'walkthrough', 'detail', 'hosts', 'scale'];

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

const key = (over: Partial<Key> = {}): Key => ({ ...NO_KEY, ...over });

/** A key as the keymap shows it, as Ink delivers it to useInput (input text + Key flags); null for prose like "any other key". */
function press(name: string): [string, Key] | null {
  switch (name) {
    case 'Ctrl-C': return ['c', key({ ctrl: true })];
    case 'Tab': return ['', key({ tab: true })];
    case 'Shift-Tab': return ['', key({ tab: true, shift: true })];
    case 'Enter': return ['', key({ return: true })];
    // Ink reports Esc with meta set as well.
    case 'Esc': return ['', key({ escape: true, meta: true })];
    case '↓': return ['', key({ downArrow: true })];
    case '↑': return ['', key({ upArrow: true })];
    case 'PgDn': return ['', key({ pageDown: true })];
    case 'PgUp': return ['', key({ pageUp: true })];
    case 'Backspace': return ['', key({ backspace: true })];
    case 'Ctrl-S': return ['s', key({ ctrl: true })];
    case 'Space': return [' ', key()];
    default:
      if ([...name].length !== 1) return null;
      // Ink sets shift for an upper-case letter.
      return [name, key({ shift: /[A-Z]/.test(name) })];
  }
}

const modeFor = (scope: Scope): Mode => {
  switch (scope) {
    case 'global': case 'list': case 'overview': case 'logs': case 'health': case 'backups': case 'timeline': case 'capacity': case 'services': return 'normal';
    default: return scope;
  }
};

/** In a confirmation dialog every key goes to the dialog, which decides (see keymap scope 'dialog'). */
const accepts = (b: KeyBinding): string[] => (b.scope === 'dialog' ? [b.command, 'dialogKey'] : [b.command]);

test('commandFor: every key of every keymap binding gives its command in its scope', () => {
  let checked = 0;
  for (const b of keymap) {
    for (const k of b.keys) {
      const p = press(k);
      if (p === null) continue;
      const got = commandFor(p[0], p[1], modeFor(b.scope), b.scope === 'logs' ? 1 : b.scope === 'health' ? 2 : b.scope === 'backups' ? 3 : b.scope === 'timeline' ? 5 : b.scope === 'capacity' ? 4 : b.scope === 'services' ? 6 : 0);
      assert.ok(got !== null && accepts(b).includes(got), `${k} in ${b.scope}: got ${got}, want ${b.command}`);
      checked++;
    }
  }
  assert.ok(checked >= 25, `only ${checked} keys checked`);
});

test('commandFor: every keymap command is reachable', () => {
  const produced = new Set<string>();
  const inputs = ['', ' ', 'a', 'q', 'Q', '?', '/', ':', 'j', 'k', 'g', 'G', 'c', 'r', 's', 'y', 'n', 'x', '0', ...'123456789'];
  const flags: Partial<Key>[] = [
    {}, { ctrl: true }, { shift: true }, { meta: true }, { tab: true }, { tab: true, shift: true }, { return: true },
    { escape: true, meta: true }, { upArrow: true }, { downArrow: true }, { pageUp: true }, { pageDown: true },
    { backspace: true }, { delete: true }, { home: true }, { end: true }, { leftArrow: true }, { rightArrow: true },
  ];
  for (const mode of MODES) {
    for (const view of [0, 1, 2, 3, 4, 5, 6]) {
      for (const input of [...inputs, 'l', 'L', 'f', '!', 'e', 'E', 'w', 'W', 't', 'z', 'p', 'T', 'b', 'v', 'm', 'R', 'D', 'i', 'd', 'H', 'S', 'F', 'B']) {
        for (const f of flags) {
          const cmd = commandFor(input, key(f), mode, view);
          if (cmd !== null) produced.add(cmd);
        }
      }
    }
  }
  for (const b of keymap) {
    assert.ok(accepts(b).some((c) => produced.has(c)), `${b.command} (${b.scope}) is never produced`);
  }
});

test('commandFor: normal mode', () => {
  const cases: [string, Partial<Key>, string | null][] = [
    ['?', {}, 'help'],
    ['q', {}, 'quit'],
    ['c', { ctrl: true }, 'quit'],
    ...[...'1234567'].map((n): [string, Partial<Key>, string] => [n, {}, 'view']),
    ['0', {}, null],
    ['8', {}, null],
    ['', { tab: true }, 'nextView'],
    ['', { tab: true, shift: true }, 'prevView'],
    ['j', {}, 'down'],
    ['', { downArrow: true }, 'down'],
    ['k', {}, 'up'],
    ['', { upArrow: true }, 'up'],
    ['g', {}, 'top'],
    ['G', { shift: true }, 'bottom'],
    ['', { pageDown: true }, 'pageDown'],
    ['', { pageUp: true }, 'pageUp'],
    ['/', {}, 'filter'],
    [':', {}, 'palette'],
    ['r', {}, 'restart'],
    ['s', {}, 'stopStart'],
    ['', { escape: true, meta: true }, 'filterClear'],
    ['x', {}, null],
    ['Q', { shift: true }, null],
    ['', { return: true }, 'detail'],
    ['d', {}, 'diag'],
    ['', {}, null],
  ];
  for (const [input, f, want] of cases) {
    assert.equal(commandFor(input, key(f), 'normal'), want, `${JSON.stringify(input)} ${JSON.stringify(f)}`);
  }
});

test('commandFor: filter mode types printable characters, Esc clears, Enter keeps', () => {
  const cases: [string, Partial<Key>, string | null][] = [
    ['a', {}, 'filterType'],
    ['Z', { shift: true }, 'filterType'],
    ['q', {}, 'filterType'], // not quit: the operator is typing
    ['?', {}, 'filterType'], // not help
    ['/', {}, 'filterType'],
    ['j', {}, 'filterType'],
    ['1', {}, 'filterType'],
    ['-', {}, 'filterType'],
    ['é', {}, 'filterType'],
    ['web', {}, 'filterType'], // a paste arrives as one string
    ['', { escape: true, meta: true }, 'filterClear'],
    ['', { return: true }, 'filterAccept'],
    ['', { backspace: true }, 'filterBackspace'],
    ['', { delete: true }, 'filterBackspace'],
    ['c', { ctrl: true }, 'quit'],
    ['u', { ctrl: true }, null],
    ['x', { meta: true }, null],
    ['', { tab: true }, null],
    ['', { downArrow: true }, null],
    ['', {}, null],
  ];
  for (const [input, f, want] of cases) {
    assert.equal(commandFor(input, key(f), 'filter'), want, `${JSON.stringify(input)} ${JSON.stringify(f)}`);
  }
});

test('commandFor: help mode closes only on Esc, ? and q', () => {
  const cases: [string, Partial<Key>, string | null][] = [
    ['', { escape: true, meta: true }, 'closeHelp'],
    ['?', {}, 'closeHelp'],
    ['q', {}, 'closeHelp'],
    ['c', { ctrl: true }, 'quit'],
    ['j', {}, 'helpDown'],
    ['k', {}, 'helpUp'],
    ['', { pageDown: true }, 'helpDown'],
    ['/', {}, null],
    ['1', {}, null],
    ['', { return: true }, null],
    ['', { tab: true }, null],
    ['', { downArrow: true }, 'helpDown'],
    ['Q', { shift: true }, null],
    ['x', {}, null],
  ];
  for (const [input, f, want] of cases) {
    assert.equal(commandFor(input, key(f), 'help'), want, `${JSON.stringify(input)} ${JSON.stringify(f)}`);
  }
});

test('commandFor: palette mode', () => {
  const cases: [string, Partial<Key>, string | null][] = [
    ['r', {}, 'paletteType'],
    ['q', {}, 'paletteType'],
    ['restart web', {}, 'paletteType'],
    ['', { tab: true }, 'paletteComplete'],
    ['', { return: true }, 'paletteRun'],
    ['', { escape: true, meta: true }, 'paletteClose'],
    ['', { backspace: true }, 'paletteBackspace'],
    ['c', { ctrl: true }, 'quit'],
    ['', { downArrow: true }, null],
  ];
  for (const [input, f, want] of cases) {
    assert.equal(commandFor(input, key(f), 'palette'), want, `${JSON.stringify(input)} ${JSON.stringify(f)}`);
  }
});

test('commandFor: a confirmation dialog gets every key; Ctrl-C cancels it', () => {
  for (const [input, f] of [['y', {}], ['n', {}], ['q', {}], ['', { escape: true, meta: true }], ['', { return: true }]] as [string, Partial<Key>][]) {
    assert.equal(commandFor(input, key(f), 'dialog'), 'dialogKey', `${JSON.stringify(input)} ${JSON.stringify(f)}`);
  }
  assert.equal(commandFor('c', key({ ctrl: true }), 'dialog'), 'dialogCancel');
});

test('commandFor: Ctrl-C quits from every mode outside a dialog, the chooser and a walkthrough', () => {
  for (const mode of MODES.filter((m) => m !== 'dialog' && m !== 'choose' && m !== 'walkthrough' && m !== 'hosts' && m !== 'scale')) {
    assert.equal(commandFor('c', key({ ctrl: true }), mode), 'quit', mode);
  }
  // The endpoint chooser and the replicas prompt close: nothing happens.
  assert.equal(commandFor('c', key({ ctrl: true }), 'hosts'), 'hostsClose');
  assert.equal(commandFor('c', key({ ctrl: true }), 'scale'), 'scaleClose');
  assert.equal(commandFor('7', key(), 'scale'), 'scaleType');
  assert.equal(commandFor('x', key(), 'scale'), null);
  // The chooser closes; a running restore is never left by accident: Ctrl-C asks, q does nothing.
  assert.equal(commandFor('c', key({ ctrl: true }), 'choose'), 'chooseClose');
  assert.equal(commandFor('c', key({ ctrl: true }), 'walkthrough'), 'walkInterrupt');
  assert.equal(commandFor('q', key(), 'walkthrough'), 'walkKey');
});

test('footerEntries: global + list includes help, quit and filter, in table order, nothing from other scopes', () => {
  const entries = footerEntries(['global', 'list']);
  const byLabel = new Map(entries.map((e) => [e.label, e.keys]));
  assert.equal(byLabel.get('help'), '?');
  assert.equal(byLabel.get('quit'), 'q');
  assert.equal(byLabel.get('filter'), '/');
  assert.equal(byLabel.get('views'), '1-7');
  assert.equal(byLabel.get('move'), 'j/k');
  const want = keymap.filter((b) => b.footer && (b.scope === 'global' || b.scope === 'list')).map((b) => b.footer);
  assert.deepEqual(entries.map((e) => e.label), want);
  for (const l of ['keep', 'clear', 'close']) assert.ok(!byLabel.has(l), `${l} leaked into the list footer`);
});

test('footerEntries: per scope', () => {
  const cases: [Scope[], string[]][] = [
    [['filter'], ['keep', 'clear']],
    [['help'], ['scroll', 'close']],
    [[], []],
  ];
  for (const [scopes, labels] of cases) {
    assert.deepEqual(footerEntries(scopes).map((e) => e.label), labels, scopes.join('+'));
  }
  const global = footerEntries(['global']).map((e) => e.label);
  for (const l of ['help', 'quit', 'views']) assert.ok(global.includes(l), `${l} missing from ${global.join(', ')}`);
  // mutates is carried through from the table.
  for (const e of footerEntries(['global', 'list', 'overview'])) {
    const b = keymap.find((x) => x.footer === e.label)!;
    assert.equal(e.mutates, b.mutates, e.label);
  }
});

test('keymap: table sanity', () => {
  const seen = new Set<string>();
  for (const b of keymap) {
    assert.ok(!seen.has(b.command), `duplicate command ${b.command}`);
    seen.add(b.command);
    assert.ok(b.keys.length > 0, b.command);
    assert.ok(b.description.length > 0, b.command);
  }
  // "1"-"6" cover exactly the views.
  assert.deepEqual(keymap.find((b) => b.command === 'view')!.keys, VIEWS.map((_, i) => String(i + 1)));
  // Within a mode a key means one thing; normal mode is two places, the Overview and the Logs view.
  const places: Scope[][] = [['global', 'list', 'overview'], ['global', 'logs'], ['global', 'list', 'health'], ['global', 'list', 'backups'], ...MODES.filter((m) => m !== 'normal').map((m) => [m as Scope])];
  for (const place of places) {
    const owner = new Map<string, string>();
    for (const b of keymap.filter((x) => place.includes(x.scope))) {
      for (const k of b.keys) {
        assert.ok(!owner.has(k), `${k} bound twice in ${place.join('+')}: ${owner.get(k)} and ${b.command}`);
        owner.set(k, b.command);
      }
    }
  }
});
