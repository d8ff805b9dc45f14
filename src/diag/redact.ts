/**
 * Secrets out of everything the diagnostics bundle writes and the container detail pane shows: one
 * module, applied to every file of the bundle (logs included, line by line) and to every value the
 * pane draws.
 *
 * Two kinds of rules:
 *
 * - **By name** (`isSecretName`): a value is masked when its name — an environment variable, a JSON
 *   or YAML key, `name=value` / `name: value` in text, a `--flag value` — has a *component* that is a
 *   secret word: PASS (passwd, password, passphrase, pwd), SECRET, TOKEN, KEY, CREDENTIAL (creds),
 *   AUTH, PRIVATE, case-insensitive. Components come from `_ - . :` separators and camelCase, and a
 *   component also counts when it *ends* in a secret word (PGPASSWORD, APIKEY, clientsecret, oauth)
 *   or *starts* with a long one (passwordFile, secretkeybase, authorization, privatekey). So
 *   `monkey`, `keyboard`, `keyspace_hits`, `author`, `passenger`, `bypass`, `tokenizer` are ordinary
 *   words and stay; `KEY`, `API_KEY`, `POSTGRES_HOST_AUTH_METHOD` are masked (erring on the side of
 *   masking). One exception keeps counters and ports readable: under a name whose only secret word is
 *   KEY(S), TOKENS or PRIVATE, a whole number stays (Redis INFO's `expired_keys:12`, `db0:keys=5`,
 *   `active_defrag_key_hits:0`, Docker's `PrivatePort`, `MAX_TOKENS=4096`); under PASS, SECRET, TOKEN,
 *   CREDENTIAL or AUTH everything is masked.
 * - **By value** (`redactLine`), wherever the value appears: credentials in URLs
 *   (`scheme://user:pass@` → `scheme://user:********@`, plus token-like query parameters and the
 *   path of webhook hosts, via config/mask.ts's maskUrl), Go/MySQL DSNs (`user:pass@tcp(…)`),
 *   `Bearer …` / `Authorization: Basic …`, cookies, JWTs, AWS access key ids (AKIA…/ASIA…) and the
 *   40-character secret after `aws_secret…`, well-known token shapes (GitHub, Slack, Stripe, Google),
 *   SQL `PASSWORD '…'` / `IDENTIFIED BY '…'`, and PEM private key blocks (across lines: LineRedactor).
 *
 * Every rule replaces with `********` (MASK) and is idempotent: redacting redacted text changes nothing.
 * config/mask.ts (the config printer's masking) came first; this module reuses its MASK and maskUrl
 * and is the superset the bundle needs (name rules that spare "monkey", streaming, argv and env).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { MASK, maskSecrets, maskUrl } from '../../config/mask.js';

export { MASK };

// --- names ---------------------------------------------------------------------------------------

/** Components that are secret words on their own. */
const STRONG = new Set([
  'pass', 'passwd', 'password', 'passwords', 'passphrase', 'pwd', 'pw', 'secret', 'secrets', 'token',
  'credential', 'credentials', 'creds', 'auth', 'privkey', 'sig', 'signature',
]);
/** Secret words that also name ordinary numbers: counters (`expired_keys`, `key_hits`), ports (`PrivatePort`). */
const WEAK = new Set(['key', 'keys', 'tokens', 'private', 'apikey']);
/** A component ending in one of these is a compound secret word: pgpassword, clientsecret, oauth, dbpass. */
const STRONG_SUFFIX = /(?:pass|passwd|password|passphrase|pwd|secret|secrets|token|credential|credentials|creds|auth)$/;
/** … or in one of these: apikey, accesskey, maxtokens. */
const WEAK_SUFFIX = /(?:key|keys|tokens)$/;
/** A component starting with one of these: passwordfile, secretkeybase, authorization, authtoken. */
const STRONG_PREFIX = /^(?:password|passwd|passphrase|secret|credential|authoriz|authent|authtoken|authkey|accesstoken)/;
const WEAK_PREFIX = /^(?:private|apikey|accesskey)/;
/** Ordinary words that end like a secret word. */
const ORDINARY = new Set([
  'monkey', 'donkey', 'turkey', 'hockey', 'jockey', 'whiskey', 'lackey', 'flunkey', 'turnkey', 'hotkey', 'hotkeys', 'nokey',
  'bypass', 'compass', 'surpass', 'overpass', 'underpass', 'trespass', 'multipass', 'firstpass', 'onepass',
]);
/** Names that look secret but are not: the shell's working directory. */
const NOT_SECRET_NAMES = new Set(['pwd', 'oldpwd']);

/** A name's components: `POSTGRES_PASSWORD` → postgres, password; `clientSecret` → client, secret. */
export function nameComponents(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * How secret a name is: 'strong' (PASS, SECRET, TOKEN, CREDENTIAL, AUTH: always masked), 'weak'
 * (only KEY(S), TOKENS, PRIVATE: masked unless the value is a whole number — a counter or a port,
 * such as Redis's `active_defrag_key_hits:0` or Docker's `PrivatePort: 5432`), or null.
 */
export function secretNameKind(name: string): 'strong' | 'weak' | null {
  if (NOT_SECRET_NAMES.has(name.toLowerCase())) return null;
  const parts = nameComponents(name);
  // Exception classes: `KeyError: 'lines'`, `AuthenticationError: bad token` are messages, not secrets.
  if (parts.length > 1 && /^(?:error|errors|exception|warning|fault)$/.test(parts[parts.length - 1]!)) return null;
  let weak = false;
  for (const c of parts) {
    if (ORDINARY.has(c)) continue;
    if (STRONG.has(c) || STRONG_SUFFIX.test(c) || STRONG_PREFIX.test(c)) return 'strong';
    if (WEAK.has(c) || WEAK_SUFFIX.test(c) || WEAK_PREFIX.test(c)) weak = true;
  }
  return weak ? 'weak' : null;
}

/** True when a value under this name is a secret (at least when it is not a plain number). */
export function isSecretName(name: string): boolean {
  return secretNameKind(name) !== null;
}

/** Whether `value` under `name` must be masked: strong names always, weak names unless a whole number. */
export function shouldMask(name: string, value: string): boolean {
  const kind = secretNameKind(name);
  if (kind === null) return false;
  if (kind === 'weak' && /^\s*\d{1,15}\s*$/.test(value)) return false;
  return true;
}

const isMasked = (value: string) => value.startsWith(MASK);

// --- values: one line ----------------------------------------------------------------------------

// URLs: scheme://… up to whitespace, quotes or brackets.
const URL_IN_TEXT = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g;
// user:pass@tcp(host:3306)/db — Go's MySQL DSN (and unix(…)).
const DSN = /\b([\w.-]+):([^\s:@/'"]+)@(tcp|unix|udp)\(/g;
const BEARER = /\b(Bearer)(\s+)(?!\*{8})[A-Za-z0-9\-._~+/]+=*/gi;
const AUTH_SCHEME = /\b(Authorization\s*[:=]\s*)(Basic|Digest|Token|Negotiate|NTLM|ApiKey|AWS4-HMAC-SHA256)(\s+)(?!\*{8})[^\s"',;]+/gi;
const COOKIE = /\b((?:Set-)?Cookie\s*:)(?!\s*\*{8})(\s*)[^\n"']+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const AWS_ACCESS_KEY = /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g;
// aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (any separator, quoted or not)
const AWS_SECRET = /(aws[\w.-]{0,12}secret[\w.-]{0,20}["']?\s*[:=]?\s*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi;
const KNOWN_TOKENS = new RegExp(
  [
    '\\bgh[pousr]_[A-Za-z0-9]{30,}', // GitHub
    '\\bgithub_pat_[A-Za-z0-9_]{30,}',
    '\\bglpat-[A-Za-z0-9_-]{20,}', // GitLab
    '\\bxox[abposr]-[A-Za-z0-9-]{10,}', // Slack
    '\\b(?:sk|rk|pk)_live_[A-Za-z0-9]{16,}', // Stripe (secret, restricted)
    '\\bAIza[0-9A-Za-z_-]{35}', // Google API key
    '\\bnpm_[A-Za-z0-9]{36}', // npm
  ].join('|'),
  'g',
);
// ALTER USER x PASSWORD 'y' / WITH ENCRYPTED PASSWORD 'y' / IDENTIFIED BY 'y' (SQL in logs and pg_stat_activity).
const SQL_PASSWORD = /\b(PASSWORD|IDENTIFIED\s+BY)(\s+)'(?:[^']|'')*'/gi;
// "NAME=value" inside a JSON or shell string (docker inspect's Env): the value runs to the quote.
const QUOTED_ASSIGNMENT = /(["'])([A-Za-z_][A-Za-z0-9_.-]*)=((?:(?!\1)[^\n\\]|\\.)*)\1/g;
// "name": "value" / 'name': 'value' (JSON, Python reprs).
const QUOTED_PAIR = /(["'])([^"'\n]{1,100})\1(\s*(?:=>|[:=])\s*)(["'])((?:(?!\4)[^\\\n]|\\.)*)\4/g;
// A line that is a whole assignment: NAME=value to the end (env files, `env` output), or a YAML key.
const WHOLE_ENV_LINE = /^(\s*(?:export\s+)?)([A-Z_][A-Z0-9_]*)(=)(.*)$/;
const WHOLE_YAML_LINE = /^(\s*(?:-\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(:[ \t]+)(?![|>][-+]?\s*$)(.+)$/;
// name=value, name: value, --name=value: the value is one word (or a quoted string).
const ASSIGNMENT = /(^|[^A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.-]*)(["']?\s*(?:=>|:=|[=:])\s*)("[^"\n]*"|'[^'\n]*'|[^\s"',;&)}\]]+)/g;
// <password>x</password>
const XML_ELEMENT = /<([A-Za-z_][\w.-]*)>([^<\n]*)<\/\1>/g;
// curl -u user:pass, --user user:pass
const CURL_USER = /((?:^|\s)(?:-u|--user)[ =])([^:\s"']+):([^\s"']+)/g;
// --password hunter2, -requirepass x: a secret-named flag followed by its value.
const FLAG_VALUE = /(^|\s)(--?[A-Za-z][A-Za-z0-9_.-]*)([ \t]+)(?!-)([^\s"']+|"[^"\n]*"|'[^'\n]*')/g;

/**
 * Fast path: a line with none of these can match no rule (every name rule needs a secret word in the
 * name, every value rule one of these markers), so most log lines cost one regex test.
 */
const TRIGGER = /pass|pwd|pw|secret|token|key|cred|auth|priv|sig|bearer|cookie|eyJ|A[KS]IA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|gh[pousr]_|github_pat|glpat|xox|_live_|AIza|npm_|identified|:\/\/|@|(?:^|\s)(?:-u|--user)[ =]/i;

/** A URL's userinfo that is a bare token (`https://ghp_xxx@github.com`) rather than a user name. */
function maskUrlToken(url: string): string {
  return url.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/@:?#\s]{16,})@/, (whole, scheme: string, user: string) =>
    /\d/.test(user) && /[A-Za-z]/.test(user) && !user.includes('.') ? `${scheme}${MASK}@` : whole,
  );
}

/** A whole-line value to mask: under a secret name, not masked yet, not an auth header (the rules below keep its scheme). */
function wholeValue(name: string, value: string): boolean {
  const bare = unquoted(value.trim());
  if (bare === '' || isMasked(bare) || /^(?:Bearer|Basic|Digest|Token|Negotiate|NTLM)\s/i.test(bare) || bare.includes('://')) return false;
  // More assignments follow (`A_PASSWORD=x B_USER=y`, `token: x --flag=y`): the per-assignment rules decide.
  if (/\s-{0,2}[A-Za-z_][A-Za-z0-9_.-]*\s*[=:]/.test(value)) return false;
  return shouldMask(name, bare);
}

function unquoted(value: string): string {
  return value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!) ? value.slice(1, -1) : value;
}

/**
 * One line with every value rule and the name rules for `name=value` / `name: value` /
 * `"name": "value"` / `--name value` applied. No state: PEM blocks that span lines need LineRedactor.
 */
export function redactLine(line: string): string {
  if (line === '' || !TRIGGER.test(line)) return line;
  // A whole `NAME=value` line (env file, `env` output): the value is everything after '='.
  const env = WHOLE_ENV_LINE.exec(line);
  if (env && wholeValue(env[2]!, env[4]!)) return `${env[1]}${env[2]}${env[3]}${MASK}`;
  // A YAML `key: value` line: the rest of the line (values with spaces).
  const yaml = WHOLE_YAML_LINE.exec(line);
  if (yaml && wholeValue(yaml[2]!, yaml[4]!)) return `${yaml[1]}${yaml[2]}${yaml[3]}${MASK}`;

  let out = line;
  if (out.includes('://')) out = out.replace(URL_IN_TEXT, (url) => maskUrlToken(maskUrl(url)));
  if (out.includes('@')) out = out.replace(DSN, (_w, user: string, _pw: string, proto: string) => `${user}:${MASK}@${proto}(`);
  out = out
    .replace(BEARER, (_w, word: string, space: string) => `${word}${space}${MASK}`)
    .replace(AUTH_SCHEME, (_w, head: string, scheme: string, space: string) => `${head}${scheme}${space}${MASK}`)
    .replace(COOKIE, (_w, head: string, space: string) => `${head}${space}${MASK}`)
    .replace(JWT, MASK)
    .replace(AWS_ACCESS_KEY, MASK)
    .replace(AWS_SECRET, (_w, head: string) => `${head}${MASK}`)
    .replace(KNOWN_TOKENS, MASK)
    .replace(SQL_PASSWORD, (_w, word: string, space: string) => `${word}${space}'${MASK}'`)
    .replace(QUOTED_ASSIGNMENT, (whole, q: string, name: string, value: string) =>
      value !== '' && !isMasked(value) && shouldMask(name, value) ? `${q}${name}=${MASK}${q}` : whole,
    )
    .replace(QUOTED_PAIR, (whole, q1: string, name: string, sep: string, q2: string, value: string) =>
      value !== '' && !isMasked(value) && shouldMask(name, value) ? `${q1}${name}${q1}${sep}${q2}${MASK}${q2}` : whole,
    )
    .replace(XML_ELEMENT, (whole, name: string, value: string) =>
      value !== '' && !isMasked(value) && shouldMask(name, value) ? `<${name}>${MASK}</${name}>` : whole,
    )
    .replace(CURL_USER, (whole, head: string, user: string, pw: string) => (isMasked(pw) ? whole : `${head}${user}:${MASK}`))
    .replace(ASSIGNMENT, (whole, pre: string, name: string, sep: string, value: string) => {
      const bare = unquoted(value);
      // URLs were handled above (only their credentials are secret); "Bearer ********" too.
      if (bare === '' || isMasked(bare) || bare.includes('://') || /^(?:Bearer|Basic|Digest|Token)$/i.test(bare)) return whole;
      if (!shouldMask(name, bare)) return whole;
      // `key:users:42`, `private:x` — a bare colon after a weak word is a namespace, not an assignment.
      if (sep === ':' && secretNameKind(name) === 'weak') return whole;
      return `${pre}${name}${sep}${MASK}`;
    })
    .replace(FLAG_VALUE, (whole, pre: string, flag: string, space: string, value: string) => {
      const bare = unquoted(value);
      if (isMasked(bare) || !shouldMask(flag.replace(/^-+/, ''), bare)) return whole;
      return `${pre}${flag}${space}${MASK}`;
    });
  return out;
}

// --- values: across lines ------------------------------------------------------------------------

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----/;
/** Lines a PEM body may take before we stop masking (a 16 kbit RSA key is ~200 lines). */
const PEM_MAX_LINES = 300;

/**
 * Line-by-line redaction with the one piece of state that needs it: inside a PEM private key block
 * every line is masked until its END line (or PEM_MAX_LINES, for a block that was cut off). A block
 * on one line (a JSON string with `\n` escapes) is masked in place. Use one per file or stream.
 */
export class LineRedactor {
  private pem: string | null = null;
  private pemLines = 0;

  line(text: string): string {
    if (this.pem !== null) {
      const end = `-----END ${this.pem}-----`;
      const at = text.indexOf(end);
      if (at >= 0) {
        this.pem = null;
        return `${end}${redactLine(text.slice(at + end.length))}`;
      }
      if (++this.pemLines > PEM_MAX_LINES) this.pem = null;
      else return text.trim() === '' ? text : MASK;
    }
    const begin = PEM_BEGIN.exec(text);
    if (!begin) return redactLine(text);
    const label = begin[1]!;
    const head = text.slice(0, begin.index);
    const marker = begin[0];
    const rest = text.slice(begin.index + marker.length);
    const end = `-----END ${label}-----`;
    const endAt = rest.indexOf(end);
    if (endAt >= 0) {
      // The whole block on this line (escaped newlines in JSON, or a one-line log).
      const sep = /^\\n/.test(rest) ? '\\n' : rest.startsWith('\n') ? '\n' : ' ';
      return `${redactLine(head)}${marker}${sep}${MASK}${sep}${end}${this.line(rest.slice(endAt + end.length))}`;
    }
    if (/^["'\s,]*$/.test(rest)) {
      // Marker alone: the body follows on the next lines.
      this.pem = label;
      this.pemLines = 0;
      return `${redactLine(head)}${marker}${rest}`;
    }
    // A cut-off block on one line: everything after the marker goes.
    const sep = /^\\n/.test(rest) ? '\\n' : ' ';
    return `${redactLine(head)}${marker}${sep}${MASK}`;
  }
}

/** Multi-line text, redacted line by line (PEM blocks across lines included). */
export function redactText(text: string): string {
  if (text === '') return text;
  const r = new LineRedactor();
  return text.split('\n').map((l) => r.line(l)).join('\n');
}

/** Longest run without a newline a stream keeps before it redacts and passes it on anyway. */
export const STREAM_MAX_LINE = 1024 * 1024;

/**
 * A Transform over UTF-8 text that redacts line by line: memory is bounded by STREAM_MAX_LINE (a
 * longer "line" is redacted and passed on in pieces, so a secret straddling a cut could survive —
 * the price of a bound).
 */
export function redactStream(): Transform {
  const r = new LineRedactor();
  let pending = '';
  return new Transform({
    transform(chunk: Buffer | string, _enc, cb: TransformCallback) {
      pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      const out: string[] = [];
      while (nl >= 0) {
        out.push(r.line(pending.slice(0, nl)), '\n');
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      while (pending.length > STREAM_MAX_LINE) {
        out.push(r.line(pending.slice(0, STREAM_MAX_LINE)));
        pending = pending.slice(STREAM_MAX_LINE);
      }
      cb(null, out.join(''));
    },
    flush(cb: TransformCallback) {
      cb(null, pending === '' ? '' : r.line(pending));
    },
  });
}

// --- structures ----------------------------------------------------------------------------------

/** One `NAME=value` environment entry: the whole value masked under a secret name, else value rules. */
export function redactEnvEntry(entry: string): string {
  const i = entry.indexOf('=');
  if (i <= 0) return redactText(entry);
  const name = entry.slice(0, i);
  const value = entry.slice(i + 1);
  if (value !== '' && shouldMask(name, value)) return `${name}=${MASK}`;
  return `${name}=${redactText(value)}`;
}

/** An environment as name/value pairs, secrets masked (the detail pane's list). */
export function redactEnv(entries: readonly string[]): { name: string; value: string }[] {
  return entries.map((e) => {
    const masked = redactEnvEntry(e);
    const i = masked.indexOf('=');
    return i < 0 ? { name: masked, value: '' } : { name: masked.slice(0, i), value: masked.slice(i + 1) };
  });
}

/** An argv: `--password x` and `--password=x` with secret names, and every element's values. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(redactText(arg));
    const flag = /^--?([A-Za-z][A-Za-z0-9_.-]*)$/.exec(arg);
    const next = argv[i + 1];
    if (flag && next !== undefined && !next.startsWith('-') && shouldMask(flag[1]!, next)) {
      out.push(next === '' ? next : MASK);
      i++;
    }
  }
  return out;
}

/** Keys whose value is an environment list (`K=V` strings): Docker's Config.Env. */
const ENV_KEYS = new Set(['Env', 'env', 'Environment', 'environment']);
/** Keys whose value is an argv: Docker's Cmd, Entrypoint, Args, Healthcheck.Test, exec's arguments. */
const ARGV_KEYS = new Set(['Cmd', 'Entrypoint', 'Args', 'Test', 'arguments', 'argv', 'command']);

/**
 * A deep copy fit for a file: under a secret key name every scalar is masked (empty strings stay
 * empty so "not set" shows; whole numbers under count names such as `expired_keys` stay), Env lists
 * lose their secret values, argv lists their secret flags' values, every other string passes the
 * value rules. Key names themselves are kept.
 */
export function redactValue<T>(value: T): T {
  return walk(value, null, 'plain') as T;
}

/** plain: nothing secret above; named: this value's own key is secret; inherited: an ancestor's was. */
type Mode = 'plain' | 'named' | 'inherited';

function walk(value: unknown, key: string | null, mode: Mode): unknown {
  const masks = (text: string) => mode === 'inherited' || (mode === 'named' && key !== null && shouldMask(key, text));
  if (typeof value === 'string') {
    if (mode !== 'plain' && value !== '') return masks(value) ? MASK : value;
    return redactText(value);
  }
  if (typeof value === 'number' || typeof value === 'bigint') return mode !== 'plain' && masks(String(value)) ? MASK : value;
  if (Array.isArray(value)) {
    if (mode === 'plain' && key !== null && value.every((v) => typeof v === 'string')) {
      if (ENV_KEYS.has(key)) return (value as string[]).map(redactEnvEntry);
      if (ARGV_KEYS.has(key)) return redactArgv(value as string[]);
    }
    return value.map((item) => walk(item, key, mode));
  }
  if (value instanceof Date) return mode !== 'plain' ? MASK : new Date(value.getTime());
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(value)) {
      // Everything under a secret name (auth: { user, pass }) is secret.
      const child: Mode = mode !== 'plain' ? 'inherited' : isSecretName(k) ? 'named' : 'plain';
      Object.defineProperty(copy, k, { value: walk(item, k, child), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}

/**
 * The effective config for the bundle: config/mask.ts's maskSecrets first (what `opsdeck config
 * print` shows: its broader name match, webhook URLs without their path), then redactValue.
 */
export function redactConfig<T>(config: T): T {
  return redactValue(maskSecrets(config));
}
