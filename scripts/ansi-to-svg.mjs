#!/usr/bin/env node
// Turns a coloured terminal capture (`tmux capture-pane -e -p`) into an SVG that looks like the
// terminal it came from: a grid of fixed cells, SGR colours and attributes, a dark background.
// Used by scripts/screenshot.sh (rsvg-convert rasterises the SVG); no dependencies beyond string-width.
//
//   node scripts/ansi-to-svg.mjs [options] [capture.ansi]   (stdin when no file or "-")
//     -o, --output FILE   write the SVG here (default stdout)
//     --cols N, --rows N  grid size (default: the capture's widest line / its line count)
//     --title TEXT        text in the window's title bar
//     --no-chrome         no title bar and no rounded window, just the terminal area
//
// Understood: SGR reset, bold, dim, italic, underline, blink (ignored), inverse, hidden, strike and
// their resets; colours 30–37/90–97/40–47/100–107, 39/49, 38;5;N/48;5;N, 38;2;r;g;b/48;2;r;g;b (colon
// forms too). Other escape sequences are skipped. Attributes carry over from line to line, as in the
// tmux output (it only emits changes). Block elements, braille and light box drawing are drawn as
// shapes, like terminals do, so bars, sparklines and borders fill their cells exactly; all other
// characters are text, each run of plain ASCII in one style being one <text>.
import { readFileSync, writeFileSync } from 'node:fs';
import stringWidth from 'string-width';

// ---- geometry: DejaVu Sans Mono advances 1233/2048 em, so this font size makes a 10 px cell.
const CELL_W = 10;
const CELL_H = 20;
const FONT_SIZE = +(CELL_W / (1233 / 2048)).toFixed(3); // 16.61
const BASELINE = 14.4; // from the cell's top: half the leading + the font's ascent (0.76 em)
const PAD = 20;
const BAR_H = 32;
const FONT_FAMILY = "'DejaVu Sans Mono', 'Menlo', 'Consolas', 'Liberation Mono', monospace";

// ---- colours: a dark theme close to VS Code's integrated terminal.
const DEFAULT_FG = '#cccccc';
const DEFAULT_BG = '#1e1e1e';
const PALETTE16 = [
  '#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5',
  '#767676', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff',
];

const hex2 = (n) => n.toString(16).padStart(2, '0');
const rgb = (r, g, b) => `#${hex2(r)}${hex2(g)}${hex2(b)}`;

/** Colour N of the xterm 256-colour palette. */
function xterm256(n) {
  if (n < 16) return PALETTE16[n];
  if (n < 232) {
    const levels = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return rgb(levels[Math.floor(i / 36)], levels[Math.floor(i / 6) % 6], levels[i % 6]);
  }
  const v = 8 + (n - 232) * 10;
  return rgb(v, v, v);
}

function mix(a, b, t) { // a*(1-t) + b*t, both #rrggbb
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return rgb(...pa.map((v, i) => Math.round(v * (1 - t) + pb[i] * t)));
}

// ---- parsing

const plainStyle = () => ({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false, hidden: false, strike: false });

/** Applies one SGR parameter list (already split on ';', entries may hold ':' sub-parameters). */
function applySgr(style, params) {
  if (params.length === 0) params = ['0'];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p.includes(':')) { // 38:5:N, 38:2::r:g:b, 38:2:r:g:b, 4:3 …
      const sub = p.split(':').map((s) => (s === '' ? NaN : Number(s)));
      const [code, kind] = sub;
      if (code === 38 || code === 48) {
        let color = null;
        if (kind === 5) color = xterm256(sub[2] & 255);
        else if (kind === 2) {
          const c = sub.length >= 6 ? sub.slice(3, 6) : sub.slice(2, 5); // with or without colour-space id
          color = rgb(...c.map((v) => (Number.isFinite(v) ? v & 255 : 0)));
        }
        if (color) style[code === 38 ? 'fg' : 'bg'] = color;
      } else if (code === 4) style.underline = kind !== 0;
      continue;
    }
    const n = p === '' ? 0 : Number(p);
    if (n === 38 || n === 48) {
      const key = n === 38 ? 'fg' : 'bg';
      if (params[i + 1] === '5') { style[key] = xterm256(Number(params[i + 2]) & 255); i += 2; }
      else if (params[i + 1] === '2') { style[key] = rgb(...[3, 4, 5].map((k) => Number(params[i + k - 1] ?? 0) & 255)); i += 4; }
      continue;
    }
    if (n === 58) { i += params[i + 1] === '5' ? 2 : params[i + 1] === '2' ? 4 : 0; continue; } // underline colour
    switch (true) {
      case n === 0: Object.assign(style, plainStyle()); break;
      case n === 1: style.bold = true; break;
      case n === 2: style.dim = true; break;
      case n === 3: style.italic = true; break;
      case n === 4 || n === 21: style.underline = true; break;
      case n === 7: style.inverse = true; break;
      case n === 8: style.hidden = true; break;
      case n === 9: style.strike = true; break;
      case n === 22: style.bold = false; style.dim = false; break;
      case n === 23: style.italic = false; break;
      case n === 24: style.underline = false; break;
      case n === 27: style.inverse = false; break;
      case n === 28: style.hidden = false; break;
      case n === 29: style.strike = false; break;
      case n >= 30 && n <= 37: style.fg = PALETTE16[n - 30]; break;
      case n === 39: style.fg = null; break;
      case n >= 40 && n <= 47: style.bg = PALETTE16[n - 40]; break;
      case n === 49: style.bg = null; break;
      case n >= 90 && n <= 97: style.fg = PALETTE16[n - 90 + 8]; break;
      case n >= 100 && n <= 107: style.bg = PALETTE16[n - 100 + 8]; break;
      default: break; // blink, fonts, overline … do not change the picture
    }
  }
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Parses the capture into rows of cells { ch, style, width } (width 0 marks the right half of a wide character). */
function parse(text) {
  const rows = [];
  let style = plainStyle();
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  for (const line of lines) {
    const row = [];
    let i = 0;
    let plain = '';
    const flush = () => {
      for (const { segment } of segmenter.segment(plain)) {
        if (segment === '\t') { // tmux expands tabs, but be safe
          do row.push({ ch: ' ', style, width: 1 }); while (row.length % 8 !== 0);
          continue;
        }
        const w = stringWidth(segment);
        if (w === 0) { // a lone combining mark or control character: attach it to the previous cell
          if (row.length && /\p{M}/u.test(segment)) row[row.length - 1].ch += segment;
          continue;
        }
        row.push({ ch: segment, style, width: w >= 2 ? 2 : 1 });
        if (w >= 2) row.push({ ch: '', style, width: 0 });
      }
      plain = '';
    };
    while (i < line.length) {
      const c = line[i];
      if (c === '\x1b') {
        flush();
        const next = line[i + 1];
        if (next === '[') { // CSI: parameters, intermediates, final byte
          let j = i + 2;
          while (j < line.length && !/[\x40-\x7e]/.test(line[j])) j++;
          if (line[j] === 'm') {
            style = { ...style };
            const body = line.slice(i + 2, j);
            applySgr(style, body === '' ? [] : body.split(';'));
          }
          i = j + 1;
        } else if (next === ']' || next === 'P' || next === '_' || next === '^') { // OSC, DCS, APC, PM: up to BEL or ST
          let j = i + 2;
          while (j < line.length && line[j] !== '\x07' && !(line[j] === '\x1b' && line[j + 1] === '\\')) j++;
          i = line[j] === '\x07' ? j + 1 : j + 2;
        } else {
          i += 2; // a two-byte escape (charset selection and the like)
        }
        continue;
      }
      plain += c;
      i++;
    }
    flush();
    rows.push(row);
  }
  return rows;
}

// ---- rendering

function resolve(style) {
  let fg = style.fg ?? DEFAULT_FG;
  let bg = style.bg; // null: the terminal's background shows through
  if (style.inverse) { const f = fg; fg = bg ?? DEFAULT_BG; bg = f; }
  if (style.dim) fg = mix(fg, bg ?? DEFAULT_BG, 0.45);
  return { fg, bg };
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v) => +v.toFixed(2);

/** Shapes for block elements, braille and light box drawing at cell (x, y); null when the character is text. */
function glyphShapes(ch, x, y, fill) {
  const cp = ch.codePointAt(0);
  if ([...ch].length !== 1) return null;
  const W = CELL_W;
  const H = CELL_H;
  const rect = (rx, ry, rw, rh, extra = '') => `<rect x="${num(x + rx)}" y="${num(y + ry)}" width="${num(rw)}" height="${num(rh)}" fill="${fill}"${extra}/>`;
  if (cp >= 0x2580 && cp <= 0x259f) {
    if (cp === 0x2580) return rect(0, 0, W, H / 2);
    if (cp >= 0x2581 && cp <= 0x2588) { const h = (H * (cp - 0x2580)) / 8; return rect(0, H - h, W, h); }
    if (cp >= 0x2589 && cp <= 0x258f) return rect(0, 0, (W * (0x2590 - cp)) / 8, H);
    if (cp === 0x2590) return rect(W / 2, 0, W / 2, H);
    if (cp >= 0x2591 && cp <= 0x2593) return rect(0, 0, W, H, ` fill-opacity="${[0.25, 0.5, 0.75][cp - 0x2591]}"`);
    if (cp === 0x2594) return rect(0, 0, W, H / 8);
    if (cp === 0x2595) return rect((W * 7) / 8, 0, W / 8, H);
    // quadrants ▖▗▘▙▚▛▜▝▞▟: bits upper-left, upper-right, lower-left, lower-right
    const quads = { 0x2596: 0b0010, 0x2597: 0b0001, 0x2598: 0b1000, 0x2599: 0b1011, 0x259a: 0b1001, 0x259b: 0b1110, 0x259c: 0b1101, 0x259d: 0b0100, 0x259e: 0b0110, 0x259f: 0b0111 };
    const q = quads[cp];
    const out = [];
    if (q & 0b1000) out.push(rect(0, 0, W / 2, H / 2));
    if (q & 0b0100) out.push(rect(W / 2, 0, W / 2, H / 2));
    if (q & 0b0010) out.push(rect(0, H / 2, W / 2, H / 2));
    if (q & 0b0001) out.push(rect(W / 2, H / 2, W / 2, H / 2));
    return out.join('');
  }
  if (cp >= 0x2800 && cp <= 0x28ff) { // braille: dots 1-2-3-7 down the left column, 4-5-6-8 down the right
    const bits = cp - 0x2800;
    const dots = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [0, 3], [1, 3]];
    const r = Math.min(W / 2, H / 4) * 0.36;
    let out = '';
    dots.forEach(([col, row], k) => {
      if (bits & (1 << k)) out += `<circle cx="${num(x + W * (col === 0 ? 0.25 : 0.75))}" cy="${num(y + (H / 4) * (row + 0.5))}" r="${num(r)}" fill="${fill}"/>`;
    });
    return out;
  }
  // light box drawing: which arms (up, right, down, left) each character has
  const arms = {
    0x2500: 'rl', 0x2502: 'ud', 0x250c: 'rd', 0x2510: 'dl', 0x2514: 'ur', 0x2518: 'ul', 0x251c: 'udr',
    0x2524: 'udl', 0x252c: 'rdl', 0x2534: 'url', 0x253c: 'udrl', 0x256d: 'rd', 0x256e: 'dl', 0x256f: 'ul', 0x2570: 'ur',
    0x2574: 'l', 0x2575: 'u', 0x2576: 'r', 0x2577: 'd',
  }[cp];
  if (arms) {
    const t = 1.2; // line thickness
    const cx = Math.round(W / 2) - t / 2;
    const cy = Math.round(H / 2) - t / 2;
    let out = '';
    if (arms.includes('u')) out += rect(cx, 0, t, cy + t);
    if (arms.includes('d')) out += rect(cx, cy, t, H - cy);
    if (arms.includes('l')) out += rect(0, cy, cx + t, t);
    if (arms.includes('r')) out += rect(cx, cy, W - cx, t);
    return out;
  }
  return null;
}

function render(rows, { cols, rowsN, title, chrome }) {
  const termW = cols * CELL_W;
  const termH = rowsN * CELL_H;
  const top = chrome ? BAR_H : 0;
  const width = termW + 2 * PAD;
  const height = top + termH + 2 * PAD;
  const ox = PAD;
  const oy = top + PAD;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  if (chrome) {
    out.push(`<defs><clipPath id="win"><rect width="${width}" height="${height}" rx="8"/></clipPath></defs>`);
    out.push('<g clip-path="url(#win)">');
    out.push(`<rect width="${width}" height="${height}" fill="${DEFAULT_BG}"/>`);
    out.push(`<rect width="${width}" height="${BAR_H}" fill="#2d2d2d"/><rect y="${BAR_H - 1}" width="${width}" height="1" fill="#3c3c3c"/>`);
    ['#ff5f57', '#febc2e', '#28c840'].forEach((c, k) => out.push(`<circle cx="${20 + k * 20}" cy="${BAR_H / 2}" r="6" fill="${c}"/>`));
    if (title) out.push(`<text x="${width / 2}" y="${BAR_H / 2 + 5}" text-anchor="middle" font-family="${esc(FONT_FAMILY)}" font-size="13" fill="#9d9d9d">${esc(title)}</text>`);
  } else {
    out.push(`<rect width="${width}" height="${height}" fill="${DEFAULT_BG}"/>`);
  }

  const bgs = [];
  const shapes = [];
  const texts = [];
  rows.slice(0, rowsN).forEach((row, r) => {
    const y = oy + r * CELL_H;
    // backgrounds, merged along the row
    let c = 0;
    while (c < Math.min(row.length, cols)) {
      const { bg } = resolve(row[c].style);
      let e = c + 1;
      while (e < Math.min(row.length, cols) && resolve(row[e].style).bg === bg) e++;
      if (bg) bgs.push(`<rect x="${ox + c * CELL_W}" y="${y}" width="${(e - c) * CELL_W}" height="${CELL_H}" fill="${bg}"/>`);
      c = e;
    }
    // foreground: shapes, runs of ASCII text, single positioned non-ASCII characters
    let run = null; // { col, text, style, fg }
    const endRun = () => {
      if (!run) return;
      const t = run.text.replace(/ +$/, '');
      if (t.trim()) {
        const s = run.style;
        const attrs = [`x="${ox + run.col * CELL_W}"`, `y="${num(y + BASELINE)}"`, `fill="${run.fg}"`];
        if (s.bold) attrs.push('font-weight="bold"');
        if (s.italic) attrs.push('font-style="italic"');
        texts.push(`<text ${attrs.join(' ')}>${esc(t)}</text>`);
      }
      run = null;
    };
    for (let col = 0; col < Math.min(row.length, cols); col++) {
      const cell = row[col];
      if (cell.width === 0) continue;
      const { fg } = resolve(cell.style);
      const s = cell.style;
      const x = ox + col * CELL_W;
      if (s.underline && cell.ch !== '') shapes.push(`<rect x="${x}" y="${num(y + BASELINE + 2)}" width="${CELL_W * cell.width}" height="1" fill="${fg}"/>`);
      if (s.strike) shapes.push(`<rect x="${x}" y="${num(y + CELL_H / 2)}" width="${CELL_W * cell.width}" height="1" fill="${fg}"/>`);
      if (s.hidden || cell.ch === ' ') {
        if (run && run.style === s && !s.hidden) run.text += ' ';
        else endRun();
        continue;
      }
      const shape = glyphShapes(cell.ch, x, y, fg);
      if (shape !== null) { endRun(); shapes.push(shape); continue; }
      if (/^[\x21-\x7e]$/.test(cell.ch)) {
        if (run && run.style === s) run.text += cell.ch;
        else { endRun(); run = { col, text: cell.ch, style: s, fg }; }
        continue;
      }
      // Anything else sits alone at its cell, so a glyph from a fallback font cannot shift the row.
      endRun();
      const attrs = [`x="${x + (cell.width * CELL_W) / 2}"`, `y="${num(y + BASELINE)}"`, 'text-anchor="middle"', `fill="${fg}"`];
      if (s.bold) attrs.push('font-weight="bold"');
      if (s.italic) attrs.push('font-style="italic"');
      texts.push(`<text ${attrs.join(' ')}>${esc(cell.ch)}</text>`);
    }
    endRun();
  });
  out.push(...bgs, ...shapes);
  out.push(`<g font-family="${esc(FONT_FAMILY)}" font-size="${FONT_SIZE}" xml:space="preserve">`, ...texts, '</g>');
  if (chrome) out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---- command line

function main(argv) {
  const opts = { output: null, cols: null, rows: null, title: '', chrome: true, input: '-' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '-o' || a === '--output') opts.output = value();
    else if (a === '--cols') opts.cols = Number(value());
    else if (a === '--rows') opts.rows = Number(value());
    else if (a === '--title') opts.title = value();
    else if (a === '--no-chrome') opts.chrome = false;
    else if (a === '-h' || a === '--help') { process.stdout.write('usage: ansi-to-svg.mjs [-o out.svg] [--cols N] [--rows N] [--title T] [--no-chrome] [capture.ansi|-]\n'); return; }
    else if (a.startsWith('-') && a !== '-') throw new Error(`unknown option ${a}`);
    else opts.input = a;
  }
  const text = readFileSync(opts.input === '-' ? 0 : opts.input, 'utf8');
  const rows = parse(text);
  const cols = opts.cols ?? Math.max(1, ...rows.map((r) => r.length));
  const rowsN = opts.rows ?? rows.length;
  const svg = render(rows, { cols, rowsN, title: opts.title, chrome: opts.chrome });
  if (opts.output) writeFileSync(opts.output, svg);
  else process.stdout.write(svg);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`ansi-to-svg: ${e.message}\n`);
  process.exit(1);
}
