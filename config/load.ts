// Finding, reading and validating the config file. A bad file becomes a ConfigError holding one
// printable line per problem (`checks[1].http: expected a URL, got "localhost"`), never a stack trace.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { substituteEnv, type Env } from './env.js';
import { type ConfigPath, issueMessage, issuesToProblems, type Problem, problemLine } from './problems.js';
import { type Config, configSchema } from './schema.js';

export type { Env } from './env.js';

export class ConfigError extends Error {
  /** The file at fault; null when there was none (built-in defaults, or data handed in directly). */
  readonly source: string | null;
  /** One line per problem: `PATH: message`, or `FILE:LINE:COL: message` for YAML syntax. */
  readonly problems: string[];
  /** What went wrong, as a whole: "is not valid", "was not found". */
  readonly summary: string;

  constructor(source: string | null, problems: string[], summary = 'is not valid') {
    // The whole text, so even a caller that only prints `message` shows every problem.
    super(render(source, problems, summary));
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
    this.summary = summary;
  }
}

function headline(source: string | null, problems: readonly string[], summary: string): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `${source === null ? 'Config' : `Config file ${source}`} ${summary} (${count}):`;
}

function render(source: string | null, problems: readonly string[], summary: string): string {
  return [headline(source, problems, summary), ...problems.map((line) => `  ${line}`)].join('\n');
}

/** The lines to print for a ConfigError: a first line naming the file, then one indented line per problem. */
export function formatConfigError(err: ConfigError): string {
  return render(err.source, err.problems, err.summary);
}

// --- lookup --------------------------------------------------------------------------------------

export interface FindConfigOptions {
  /** `--config FILE` (relative to cwd); must exist. */
  explicit?: string;
  env: Env;
  cwd: string;
  /** default /etc/opsdeck; for tests */
  systemDir?: string;
  /** default: a regular file exists at the path; for tests */
  exists?: (path: string) => boolean;
}

const LOCAL_NAMES = ['opsdeck.yaml', 'opsdeck.yml', 'opsdeck.json'];
const DIR_NAMES = ['config.yaml', 'config.yml', 'config.json'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `$XDG_CONFIG_HOME/opsdeck` (a relative XDG_CONFIG_HOME is ignored, as the XDG spec says), else `~/.config/opsdeck`. */
export function userConfigDir(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'opsdeck');
}

/** Where a config file is looked for when neither --config nor $OPSDECK_CONFIG names one, in order. */
export function configSearchPath(options: Pick<FindConfigOptions, 'env' | 'cwd' | 'systemDir'>): string[] {
  const systemDir = options.systemDir ?? '/etc/opsdeck';
  return [
    ...LOCAL_NAMES.map((name) => resolve(options.cwd, name)),
    ...DIR_NAMES.map((name) => join(userConfigDir(options.env), name)),
    ...DIR_NAMES.map((name) => join(systemDir, name)),
  ];
}

/**
 * The config file to use, or null for none (then the built-in defaults apply). Order: `--config FILE`,
 * `$OPSDECK_CONFIG`, `./opsdeck.{yaml,yml,json}`, `$XDG_CONFIG_HOME/opsdeck/config.{yaml,yml,json}`,
 * `/etc/opsdeck/config.{yaml,yml,json}`. A file named by --config or $OPSDECK_CONFIG that does not
 * exist is an error (ConfigError) rather than a silent fall-through to another file.
 */
export function findConfigFile(options: FindConfigOptions): string | null {
  const exists = options.exists ?? isFile;
  const named: Array<[string | undefined, string]> = [
    [options.explicit, '--config'],
    [options.env.OPSDECK_CONFIG, '$OPSDECK_CONFIG'],
  ];
  for (const [given, origin] of named) {
    if (given === undefined || given === '') continue;
    const path = resolve(options.cwd, given);
    if (!exists(path)) throw new ConfigError(path, [`${path}: no such file (named by ${origin})`], 'was not found');
    return path;
  }
  return configSearchPath(options).find((path) => exists(path)) ?? null;
}

// --- parsing and validation ----------------------------------------------------------------------

export interface ParseOptions {
  /** the file name used in messages; null for text that came from elsewhere */
  source: string | null;
  env: Env;
}

/** Where a path points in the document (for ordering problems as they appear in the file). */
function offsetOf(doc: Document, path: ConfigPath): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(segment));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!item) break;
      const range = (item as { range?: [number, number, number] }).range;
      offset = range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/** Top-level `x-…` keys are ignored, as in compose files: a place for YAML anchors shared below. */
function withoutExtensions(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('x-')));
}

/**
 * Substitute `${VAR}` in string values, then validate. Throws ConfigError with every problem found;
 * a value whose substitution failed is not reported a second time by the schema.
 */
function evaluate(raw: unknown, options: ParseOptions, doc?: Document): Config {
  const substituted = substituteEnv(withoutExtensions(raw ?? {}), options.env);
  const result = configSchema.safeParse(substituted.value, { error: issueMessage });
  const problems: Problem[] = [...substituted.problems];
  if (!result.success) {
    for (const problem of issuesToProblems(result.error.issues))
      if (!substituted.problems.some((failed) => startsWith(problem.path, failed.path))) problems.push(problem);
  }
  if (problems.length > 0 || !result.success) {
    const ordered = doc
      ? problems
          .map((problem, index) => ({ problem, index, offset: offsetOf(doc, problem.at ?? problem.path) }))
          .sort((a, b) => a.offset - b.offset || a.index - b.index)
          .map(({ problem }) => problem)
      : problems;
    throw new ConfigError(options.source, ordered.map(problemLine));
  }
  return result.data;
}

/** Validate config data that is already parsed (an object from YAML or JSON). */
export function validateConfig(raw: unknown, options: ParseOptions): Config {
  return evaluate(raw, options);
}

/** Parse YAML (or JSON, which is YAML) text and validate it. */
export function parseConfigText(text: string, options: ParseOptions): Config {
  const lineCounter = new LineCounter();
  // merge: YAML's `<<: *anchor` lets a file share settings between checks or targets.
  const doc = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true, merge: true });
  const where = options.source ?? '<config>';
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `${where}:${line}:${col}: ${error.message.split('\n')[0]}`;
    });
    throw new ConfigError(options.source, [...new Set(lines)], 'is not valid YAML');
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(options.source, [`${where}: ${(error as Error).message}`], 'is not valid YAML');
  }
  return evaluate(raw, options, doc);
}

// --- loading -------------------------------------------------------------------------------------

export interface LoadConfigOptions {
  /** `--config FILE` */
  explicit?: string;
  /** default process.env */
  env?: Env;
  /** default process.cwd() */
  cwd?: string;
  systemDir?: string;
  exists?: (path: string) => boolean;
}

export interface LoadedConfig {
  config: Config;
  /** the file read, or null when none was found and the built-in defaults apply */
  source: string | null;
}

function readProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return error.message;
  }
}

/** Find, read and validate the config; with no file, the defaults. Throws ConfigError. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const source = findConfigFile({ explicit: options.explicit, env, cwd, systemDir: options.systemDir, exists: options.exists });
  if (source === null) return { config: evaluate({}, { source: null, env }), source: null };
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new ConfigError(source, [`${source}: cannot read: ${readProblem(error as NodeJS.ErrnoException)}`], 'cannot be read');
  }
  const config = parseConfigText(text, { source, env });
  return { config, source };
}
