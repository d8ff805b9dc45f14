/**
 * Untrusted text (labels, names, log lines) must never reach the terminal raw. These functions
 * neutralise escape sequences and control characters so text can be drawn as plain cells.
 */

// CSI ... final byte, OSC ... BEL/ST, DCS/SOS/PM/APC ... ST, and two-byte ESC sequences.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQ = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?/g;
// Remaining C0 controls (tab kept as it is expanded later), DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** Removes escape sequences and shows other control characters as U+FFFD; tabs become spaces. */
export function safeText(s: string): string {
  if (!s) return s;
  // Fast path: most text has nothing to do.
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f]/.test(s)) return s;
  return s.replace(ESCAPE_SEQ, '').replace(/\t/g, '    ').replace(CONTROL, '\uFFFD');
}
