import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeText } from '../../src/sanitize.js';

const R = '\uFFFD';
const FORBIDDEN = ['\x1b', '\x07', '\x9b', '\x9d', '\x9c', '\x90', '\x00', '\x7f'];

function assertNoControls(out: string, input: string): void {
  for (const bad of FORBIDDEN) {
    assert.ok(!out.includes(bad), `safeText(${JSON.stringify(input)}) = ${JSON.stringify(out)} still contains ${JSON.stringify(bad)}`);
  }
  // No C0/C1 control at all, apart from nothing: tabs are expanded too.
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(out, /[\x00-\x1f\x7f-\x9f]/, JSON.stringify(input));
}

test('safeText: escape sequences are removed', () => {
  const cases: [string, string, string][] = [
    ['CSI erase display', 'a\x1b[2Jb', 'ab'],
    ['CSI cursor position', '\x1b[10;10Hhere', 'here'],
    ['CSI private mode (alt screen)', '\x1b[?1049hx', 'x'],
    ['SGR colour', '\x1b[31mred\x1b[0m', 'red'],
    ['SGR 256 colour', '\x1b[38;5;196mX\x1b[m', 'X'],
    ['OSC title, BEL-terminated', '\x1b]0;pwned\x07evil', 'evil'],
    ['OSC 52 clipboard write', 'a\x1b]52;c;cHduZWQ=\x07b', 'ab'],
    ['OSC title, ST-terminated', '\x1b]0;x\x1b\\y', 'y'],
    ['OSC 8 hyperlink', '\x1b]8;;https://evil.example\x07click\x1b]8;;\x07', 'click'],
    ['DCS, ST-terminated', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['APC', 'a\x1b_payload\x1b\\b', 'ab'],
    ['PM', 'a\x1b^payload\x1b\\b', 'ab'],
    ['SOS', 'a\x1bXpayload\x1b\\b', 'ab'],
    ['8-bit CSI', 'a\x9b2Jb', 'ab'],
    ['8-bit CSI with params', '\x9b31mred', 'red'],
    ['8-bit OSC, BEL-terminated', 'a\x9d0;t\x07b', 'ab'],
    ['8-bit OSC, ST-terminated', 'a\x9d0;t\x9cb', 'ab'],
    ['two-byte ESC (RIS reset)', 'a\x1bcb', `a${R}cb`],
    ['two-byte ESC (index)', 'a\x1bDb', 'ab'],
    ['two-byte ESC (keypad)', 'a\x1b=b', `a${R}=b`],
    ['several in a row', '\x1b[2J\x1b[H\x1b]0;t\x07ok\x1b[31m!', 'ok!'],
  ];
  for (const [name, input, want] of cases) {
    const out = safeText(input);
    assertNoControls(out, input);
    // ESC c / ESC = are not in the two-byte table: their ESC becomes U+FFFD, the rest is text.
    assert.equal(out, want, name);
  }
});

test('safeText: other control characters become U+FFFD, tabs become 4 spaces', () => {
  const cases: [string, string, string][] = [
    ['BEL', 'ding\x07', `ding${R}`],
    ['NUL', 'a\x00b', `a${R}b`],
    ['backspace', 'abc\x08\x08x', `abc${R}${R}x`],
    ['newline', 'line1\nline2', `line1${R}line2`],
    ['carriage return', 'progress\rdone', `progress${R}done`],
    ['form feed, vertical tab', '\x0c\x0b', `${R}${R}`],
    ['DEL', 'a\x7fb', `a${R}b`],
    ['C1 NEL', 'a\x85b', `a${R}b`],
    ['lone 8-bit ST', 'a\x9cb', `a${R}b`],
    ['8-bit DCS introducer', 'a\x90q\x9cb', `a${R}q${R}b`],
    ['lone ESC', 'a\x1b', `a${R}`],
    ['ESC [ without a final byte', 'a\x1b[', `a${R}[`],
    ['tab', 'a\tb', 'a    b'],
    ['two tabs', '\t\t', '        '],
    ['tab next to an escape', '\t\x1b[1mx', '    x'],
  ];
  for (const [name, input, want] of cases) {
    const out = safeText(input);
    assertNoControls(out, input);
    assert.equal(out, want, name);
  }
});

test('safeText: plain and unicode text is unchanged', () => {
  const cases = [
    '',
    'nginx:1.27-alpine',
    'shop-web-1',
    'Up 3 minutes (healthy)',
    'grüße, café, naïve',
    '日本語のコンテナ',
    'emoji 🐳🚀 and ZWJ 👩‍💻',
    'box ─│┌┐ and braille ⣿⡀',
    'non-breaking\u00a0space and ¢ £ ¥ (above U+009F)',
    '~!@#$%^&*()_+`-={}[]|\\:";\'<>?,./',
  ];
  for (const s of cases) {
    assert.equal(safeText(s), s, JSON.stringify(s));
  }
});

test('safeText: output never contains ESC, BEL, 8-bit CSI or OSC (fuzz)', () => {
  const alphabet = ['\x1b', '\x07', '\x9b', '\x9d', '\x9c', '[', ']', '\\', 'P', '_', '^', 'X', '0', ';', '2', 'J', 'm', 'a', 'é', '\t', '\n', '?', '1', 'h'];
  let seed = 0x2545f491;
  const rnd = (n: number) => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  for (let i = 0; i < 3000; i++) {
    let s = '';
    const len = 1 + rnd(24);
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    const out = safeText(s);
    assertNoControls(out, s);
    assert.equal(safeText(out), out, `not idempotent for ${JSON.stringify(s)}`);
  }
});
