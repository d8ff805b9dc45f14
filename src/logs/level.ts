/**
 * Log level detection and stack-trace continuation, on the hot path of the log pipeline: every
 * ingested line goes through `detectLevel`, so each function here does at most a couple of
 * precompiled regex tests and no allocation for ordinary lines.
 */
import type { Level } from './types.js';

/** A case-insensitive spelling of a word for the regexes below (JS has no inline `(?i:…)` in Node 20). */
function ci(word: string): string {
  let out = '';
  for (const ch of word) {
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    out += lo === up ? ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `[${lo}${up}]`;
  }
  return out;
}
const anyCase = (words: string[]) => words.map(ci).join('|');

// Level words of each kind (value side of key=value pairs and JSON fields, and bracketed forms).
const ERROR_WORDS = ['error', 'err', 'eror', 'fatal', 'critical', 'crit', 'panic', 'emerg', 'emergency', 'alert', 'severe', 'ftl'];
const WARN_WORDS = ['warn', 'warning', 'wrn'];
const INFO_WORDS = ['info', 'information', 'informational', 'notice', 'inf'];
const DEBUG_WORDS = ['debug', 'dbug', 'dbg', 'trace', 'trce', 'verbose', 'vrb'];

/** key=value forms: level=error, lvl="warn", severity='info' (any case). */
const kv = (words: string[]) => `\\b(?:${anyCase(['level', 'lvl', 'severity', 'loglevel'])})=["']?(?:${anyCase(words)})\\b`;
/** nginx/Apache style brackets: [error], [crit], … (any case). */
const bracket = (words: string[]) => `\\[(?:${anyCase(words)})\\]`;

// Error or warning, in one pass: group 1 is set for error tokens, group 2 for warning tokens.
// Upper-case words only, so prose like "0 errors" or error_count=0 never counts.
const ERROR_ALT = [
  '\\b(?:ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|EMERG|EMERGENCY|ALERT|SEVERE|FTL|EROR)\\b',
  '\\[E\\]',
  bracket(['error', 'err', 'crit', 'critical', 'alert', 'emerg', 'fatal']),
  kv(ERROR_WORDS),
  '^[EF]\\d{4} \\d\\d:\\d\\d:\\d\\d', // klog: E0806 12:00:00.000000
  '^panic: ', // Go
  '^Traceback \\(most recent call last\\):', // Python
  '^Exception in thread "', // Java uncaught
].join('|');
const WARN_ALT = [
  '\\b(?:WARN|WARNING|WRN)\\b',
  '\\[W\\]',
  bracket(['warn', 'warning']),
  kv(WARN_WORDS),
  '^W\\d{4} \\d\\d:\\d\\d:\\d\\d',
].join('|');
const ERROR_OR_WARN = new RegExp(`(${ERROR_ALT})|(${WARN_ALT})`);
/** Only run on the rest of a line after a warning token (from lastIndex), to let an error token win. */
const ERROR_ONLY = new RegExp(ERROR_ALT, 'g');

const INFO_ALT = [
  '\\b(?:INFO|NOTICE|INF)\\b',
  '\\bLOG: ', // Postgres
  '\\[I\\]',
  bracket(['info', 'notice']),
  kv(INFO_WORDS),
  '^I\\d{4} \\d\\d:\\d\\d:\\d\\d',
].join('|');
const DEBUG_ALT = [
  '\\b(?:DEBUG|TRACE|DBG|VRB|VERBOSE)\\b',
  '\\[[DT]\\]',
  bracket(['debug', 'trace']),
  kv(DEBUG_WORDS),
  '^D\\d{4} \\d\\d:\\d\\d:\\d\\d',
].join('|');
// First info or debug token wins (they are rarely both present).
const INFO_OR_DEBUG = new RegExp(`(${INFO_ALT})|(${DEBUG_ALT})`);

/**
 * JSON loggers: "level", "severity", "@l" (Serilog), "lvl", "log.level" (ECS), "levelname" (Python),
 * and nested "log":{"level":…} (the inner "level" key). A string value, or pino/bunyan's number.
 */
const JSON_LEVEL = /"(?:level|severity|@l|@level|lvl|log\.level|loglevel|levelname)"\s*:\s*(?:"([A-Za-z]{1,16})"|(\d{1,3})\b)/i;

const WORD_LEVEL = new Map<string, Level>();
for (const w of ERROR_WORDS) WORD_LEVEL.set(w, 'error');
for (const w of WARN_WORDS) WORD_LEVEL.set(w, 'warn');
for (const w of INFO_WORDS) WORD_LEVEL.set(w, 'info');
for (const w of DEBUG_WORDS) WORD_LEVEL.set(w, 'debug');

function jsonLevel(text: string): Level | null | undefined {
  const m = JSON_LEVEL.exec(text);
  if (!m) return undefined;
  if (m[1] !== undefined) return WORD_LEVEL.get(m[1].toLowerCase());
  const n = Number(m[2]);
  return n >= 50 ? 'error' : n >= 40 ? 'warn' : n >= 30 ? 'info' : 'debug';
}

/** The level a log line announces, or null. Error wins over warning; warning over info and debug. */
export function detectLevel(text: string): Level | null {
  // JSON line: the level field decides; without one, fall through to the words.
  let i = 0;
  let c = text.charCodeAt(0);
  while (c === 32) c = text.charCodeAt(++i);
  if (c === 123 /* { */) {
    const j = jsonLevel(text);
    if (j) return j;
  }
  const m = ERROR_OR_WARN.exec(text);
  if (m) {
    if (m[1] !== undefined) return 'error';
    ERROR_ONLY.lastIndex = m.index + m[0].length;
    return ERROR_ONLY.test(text) ? 'error' : 'warn';
  }
  const n = INFO_OR_DEBUG.exec(text);
  if (n) return n[1] !== undefined ? 'info' : 'debug';
  return null;
}

const MORE = /^\.\.\. \d+ (?:more|common frames omitted)/;
const GOROUTINE = /^goroutine \d+ \[/;

/**
 * A line that continues a stack trace: indented text (`\tat com.x…`, `  File "x.py", line 3`),
 * `Caused by: …`, `... 12 more`, `goroutine 1 [running]:`. Only meaningful after a head line;
 * the ingest decides that.
 */
export function isContinuation(text: string): boolean {
  const c = text.charCodeAt(0);
  if (c === 32 || c === 9) {
    // Leading whitespace followed by text (not a blank line).
    for (let i = 1; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d !== 32 && d !== 9) return true;
    }
    return false;
  }
  if (c === 67 /* C */) return text.startsWith('Caused by: ');
  if (c === 46 /* . */) return MORE.test(text);
  if (c === 103 /* g */) return GOROUTINE.test(text);
  return false;
}

const EXCEPTION_TAIL = /^(?:[A-Za-z_][\w.]*)?(?:Error|Exception|Warning)\b(?::|$)/;

/**
 * The last line of a Python traceback (`KeyError: 'lines'`) or the exception line of a Java trace
 * (`java.lang.IllegalStateException: boom`). A continuation only right after a head or another
 * continuation line of the same stream; on its own it is an ordinary line.
 */
export function isExceptionTail(text: string): boolean {
  return EXCEPTION_TAIL.test(text);
}

const CHAIN_TAIL = /^(?:Traceback \(most recent call last\):|During handling of the above exception|The above exception was the direct cause|created by \S|\s*$)/;
// Backtracks on long lines, so only tried on short ones (Go frames are).
const GO_FRAME = /^[\w\-./*()[\]]+\.[\w[\]]+\(.*\)$/;

/**
 * Lines that continue a trace only when one is under way (after a head or continuation line of the
 * same stream): `isExceptionTail`, a Python chained `Traceback …` and its "During handling…"
 * separator, Go frames (`main.main()`, `net/http.(*Server).Serve(0xc0001)`, `created by …`), and
 * blank lines (Go prints one between `panic:` and `goroutine 1 [running]:`).
 */
export function isChainTail(text: string): boolean {
  return EXCEPTION_TAIL.test(text) || CHAIN_TAIL.test(text) || (text.length <= 400 && GO_FRAME.test(text));
}
