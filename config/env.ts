// `${VAR}` / `${VAR:-default}` substitution, applied to string values after the file is parsed, so an
// environment variable can never inject YAML structure. `$$` is a literal `$`; any other `$` stays as is.
import type { Problem } from './problems.js';

export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** One string with its references expanded, plus what went wrong (each message fit to print). */
export function expandString(text: string, env: Env): { text: string; problems: string[] } {
  let out = '';
  const problems: string[] = [];
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) {
      problems.push(`unclosed "\${" in ${JSON.stringify(text)} (write $$ for a literal $)`);
      out += text.slice(dollar);
      break;
    }
    const body = text.slice(dollar + 2, close);
    const match = REFERENCE.exec(body);
    if (!match) {
      problems.push(`bad variable reference "\${${body}}" (use \${NAME} or \${NAME:-default})`);
      out += text.slice(dollar, close + 1);
    } else {
      const [, name = '', fallback] = match;
      const value = env[name];
      if (fallback !== undefined) out += value === undefined || value === '' ? fallback : value;
      else if (value !== undefined) out += value;
      else {
        problems.push(`environment variable ${name} is not set`);
        out += text.slice(dollar, close + 1);
      }
    }
    i = close + 1;
  }
  return { text: out, problems };
}

/** A deep copy of parsed config data with every string value expanded; keys are left alone. */
export function substituteEnv(value: unknown, env: Env): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('$')) return node;
      const expanded = expandString(node, env);
      for (const message of expanded.problems) problems.push({ path, message });
      return expanded.text;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const copy: Record<string, unknown> = {};
      // defineProperty, so a key named "__proto__" stays a plain (and then unknown) key
      for (const [key, item] of Object.entries(node))
        Object.defineProperty(copy, key, { value: walk(item, [...path, key]), enumerable: true, writable: true, configurable: true });
      return copy;
    }
    return node;
  };
  return { value: walk(value, []), problems };
}
