// Hiding secrets before anything is shown or written out: `opsdeck config print` masks the config,
// the diagnostics bundle redacts free text (env dumps, inspect output, logs) with redactText.

export const MASK = '********';

/** Key names that hold secrets: PASS(WORD), SECRET, TOKEN, KEY, CREDENTIAL, AUTH, PRIVATE — anywhere in the name. */
export const SECRET_KEY_RE = /pass|secret|token|key|credential|auth|private/i;

export function isSecretKey(name: string): boolean {
  return SECRET_KEY_RE.test(name);
}

// The same words as SECRET_KEY_RE, for building text patterns around them.
const SECRET_WORD = '(?:pass|secret|token|key|credential|auth|private)';

/** Hosts whose webhook URLs carry the credential in the path (Slack, Discord, Teams, Google Chat…). */
const PATH_SECRET_HOSTS = /^(?:hooks\.slack\.com|(?:[\w-]+\.)?discord(?:app)?\.com|[\w-]+\.webhook\.office\.com|outlook\.office(?:365)?\.com|chat\.googleapis\.com)$/i;

/** Query parameters that carry credentials, beyond SECRET_KEY_RE: signatures and API keys. */
const SECRET_PARAM = new RegExp(`${SECRET_WORD}|^sig$|signature|^code$|apikey|api_key`, 'i');

/**
 * One URL with its secrets masked: the password in `user:pass@`, credential-looking query values, and
 * the whole path of known webhook hosts (or of any URL when `maskPath` is set).
 */
export function maskUrl(url: string, options: { maskPath?: boolean } = {}): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return url;
  const start = schemeEnd + 3;
  const rest = url.slice(start);
  // The authority ends at the first / ? or # after the userinfo (whose '@' comes before any '/').
  const firstSlash = rest.search(/[/?#]/);
  const authorityPart = firstSlash < 0 ? rest : rest.slice(0, firstSlash);
  const at = authorityPart.lastIndexOf('@');
  let userinfo = at >= 0 ? authorityPart.slice(0, at + 1) : '';
  const host = at >= 0 ? authorityPart.slice(at + 1) : authorityPart;
  let tail = firstSlash < 0 ? '' : rest.slice(firstSlash);

  const colon = userinfo.indexOf(':');
  if (colon >= 0) userinfo = `${userinfo.slice(0, colon)}:${MASK}@`;

  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if ((options.maskPath || PATH_SECRET_HOSTS.test(hostname)) && tail !== '' && tail !== '/') {
    tail = `/${MASK}`;
  } else {
    tail = tail.replace(/([?&;])([^=&;#]+)=([^&;#]*)/g, (whole, sep: string, name: string, value: string) =>
      value !== '' && SECRET_PARAM.test(decodeSafe(name)) ? `${sep}${name}=${MASK}` : whole,
    );
  }
  return url.slice(0, start) + userinfo + host + tail;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;
const URL_IN_TEXT = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const AUTH_HEADER = /\b(Authorization\s*[:=]\s*)(Basic|Digest|Token)\s+[^\s"',;]+/gi;
const AWS_ACCESS_KEY = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g;
// "POSTGRES_PASSWORD=x" inside a JSON string (docker inspect Env): the value runs to the closing quote.
const QUOTED_ASSIGNMENT = new RegExp(`"([A-Za-z0-9_.-]*${SECRET_WORD}[A-Za-z0-9_.-]*)=([^"]*)"`, 'gi');
// "password": "x" (JSON) — the value is the quoted string.
const JSON_PAIR = new RegExp(`("[^"\\n]*${SECRET_WORD}[^"\\n]*"\\s*:\\s*)"((?:[^"\\\\\\n]|\\\\.)*)"`, 'gi');
// PASSWORD=x, token: x, --password=x — the value is one word.
const ASSIGNMENT = new RegExp(`\\b([A-Za-z0-9_.-]*${SECRET_WORD}[A-Za-z0-9_.-]*)(\\s*[=:]\\s*)(?!\\*{8})([^\\s"',;&]+)`, 'gi');

/**
 * Free text with secrets redacted: private key blocks (PEM, even cut off), credentials and tokens in
 * URLs, `Bearer …` and `Authorization: Basic …`, AWS access key ids, and `NAME=value` / `name: value`
 * / `"name": "value"` where the name looks secret (SECRET_KEY_RE).
 */
export function redactText(text: string): string {
  return text
    .replace(PEM_BLOCK, (block: string, label: string) =>
      block.includes(`-----END ${label}-----`)
        ? `-----BEGIN ${label}-----\n${MASK}\n-----END ${label}-----`
        : `-----BEGIN ${label}-----\n${MASK}`,
    )
    .replace(URL_IN_TEXT, (url) => maskUrl(url))
    .replace(BEARER, (_whole, word: string) => `${word} ${MASK}`)
    .replace(AUTH_HEADER, (_whole, head: string, scheme: string) => `${head}${scheme} ${MASK}`)
    .replace(AWS_ACCESS_KEY, MASK)
    .replace(QUOTED_ASSIGNMENT, (whole, name: string, value: string) => (value === '' ? whole : `"${name}=${MASK}"`))
    .replace(JSON_PAIR, (whole, head: string, value: string) => (value === '' ? whole : `${head}"${MASK}"`))
    .replace(ASSIGNMENT, (whole, name: string, sep: string, value: string) => {
      // leave URLs and "Authorization: Bearer ********" alone: the rules above handled them
      if (value.includes('://') || value === MASK || /^(?:Bearer|Basic|Digest|Token)$/i.test(value)) return whole;
      return `${name}${sep}${MASK}`;
    });
}

/**
 * A deep copy fit for display: values under secret-looking keys become `********` (empty strings stay
 * empty, so "not set" remains visible), every string is passed through redactText, and URLs under a
 * `webhook` key lose their path and query. The result has the input's shape but not its types:
 * masked numbers become strings.
 */
export function maskSecrets<T>(value: T): T {
  return walk(value, false, false) as T;
}

function walk(value: unknown, secret: boolean, webhook: boolean): unknown {
  if (typeof value === 'string') {
    if (secret) return value === '' ? value : MASK;
    const redacted = redactText(value);
    return webhook && /^[a-z][a-z0-9+.-]*:\/\//i.test(redacted) ? maskUrl(redacted, { maskPath: true }) : redacted;
  }
  if (typeof value === 'number' || typeof value === 'bigint') return secret ? MASK : value;
  if (Array.isArray(value)) return value.map((item) => walk(item, secret, webhook));
  if (value instanceof Date) return secret ? MASK : new Date(value.getTime());
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, {
        value: walk(item, secret || isSecretKey(key), webhook || /webhook/i.test(key)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}
