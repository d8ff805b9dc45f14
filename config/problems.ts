// Turning validation issues into the one-line, human problems a config check prints:
// `checks[1].http: expected a URL, got "localhost"`.
import type { z } from 'zod';

export type ConfigPath = readonly PropertyKey[];

/** One problem: where (`path`), what (`message`), and the node to point at when ordering by file position. */
export interface Problem {
  path: ConfigPath;
  message: string;
  /** Defaults to `path`; an unknown key points at the key itself. */
  at?: ConfigPath;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `checks[2].http`, `backups.targets.shop-db`, `(root)` for the top level. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(root)' : out;
}

export function problemLine(problem: Problem): string {
  return `${formatPath(problem.path)}: ${problem.message}`;
}

/** How a value reads in a message: strings quoted, collections by their kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    const text = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(text);
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  null: 'an empty value',
};

/** Edit distance with adjacent transpositions (so "chekcs" is one edit from "checks"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known name closest to a misspelt one, if it is close enough to be a likely typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(2, Math.floor(name.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

export function unknownKeyMessage(key: string, known: readonly string[], hint?: (key: string) => string | undefined): string {
  const extra = hint?.(key);
  if (extra) return `unknown key ${JSON.stringify(key)} (${extra})`;
  const guess = closest(key, known);
  return guess ? `unknown key ${JSON.stringify(key)} (did you mean ${JSON.stringify(guess)}?)` : `unknown key ${JSON.stringify(key)}`;
}

/**
 * The error map handed to zod: every message a person reads about a config value is phrased here,
 * unless a schema phrases its own (durations, URLs, unknown keys with suggestions).
 */
export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      // z.int() reports a non-number as expecting "number"; its def names the integer format.
      const format = (issue.inst?._zod.def as { format?: unknown } | undefined)?.format;
      const expected = typeof format === 'string' && format.includes('int') ? 'int' : issue.expected;
      return `expected ${EXPECTED[expected] ?? expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set')
        return min <= 1 ? 'must not be empty' : `needs at least ${min} items`;
      if (issue.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters long`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${min}, got ${describeValue(issue.input)}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${max} items`;
      if (issue.origin === 'string') return `must be at most ${max} characters long`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${max}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return issue.keys.map((key) => `unknown key ${JSON.stringify(key)}`).join('\n');
    case 'invalid_format':
      return `expected ${issue.format}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `${describeValue(issue.input)} does not match any allowed form`;
    case 'invalid_key':
      return `invalid name ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};

function samePath(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}

/**
 * Zod issues as problems: one per unknown key (their messages arrive joined by newlines), and no
 * "must not be empty" echo for a value that already has the wrong type.
 */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const wrongType = issues.filter((issue) => issue.code === 'invalid_type').map((issue) => issue.path);
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' && wrongType.some((path) => samePath(path, issue.path))) continue;
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      issue.keys.forEach((key, i) => {
        problems.push({ path: issue.path, message: lines[i] ?? `unknown key ${JSON.stringify(key)}`, at: [...issue.path, key] });
      });
      continue;
    }
    problems.push({ path: issue.path, message: issue.message });
  }
  return problems;
}
