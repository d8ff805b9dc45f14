// The config file's schema: the single source of the config types (`Config = z.infer<...>`) and of
// every default (SPEC §1). Parsing an empty object yields the complete zero-config default.
//
// Shape decisions, for the code that reads a Config:
// - Durations are written as strings ("2s", "5m", "26h") and come out as NUMBERS OF MILLISECONDS under
//   the same key: `config.refresh === 2000`, `config.thresholds.backupAge.warn === 93_600_000`.
//   `formatDuration(ms)` turns them back into text for display.
// - Byte sizes (`logs.maxBytes`) accept a number of bytes or "32MiB" and come out as bytes.
// - Items that are "exactly one of several keys" (checks, backup targets, maintenance tasks) keep the
//   key as written and gain a `kind` naming it, so code can `switch (check.kind)`:
//   `{ name: 'api', http: 'http://…' }` → `{ kind: 'http', name: 'api', http: 'http://…' }`.
//   A `kind` key in the file is accepted when it agrees (so printed configs read back).
// - Numbers and booleans also accept their string spelling ("5432", "true"): `${VAR}` substitution
//   always yields strings, and `port: ${PG_PORT}` should work.
// - Host paths accept a leading `~/` (the user's home). Paths inside containers must be absolute.
// - warn/crit pairs are checked on the effective values (file over defaults): warn must come first.
// - Every object is strict: an unknown key is a problem, with a "did you mean" when one is close.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { formatDuration, parseByteSize, parseDuration } from './duration.js';
import { closest, describeValue, unknownKeyMessage } from './problems.js';

export { formatDuration, parseByteSize, parseDuration } from './duration.js';

type Shape = z.core.$ZodLooseShape;
type RefineCtx = z.core.$RefinementCtx;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Run a cross-field rule even when a field already failed, so every problem is reported at once. */
const WHEN_OBJECT = { when: (payload: { value: unknown }) => isPlainObject(payload.value) };
const WHEN_ARRAY = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };

/** A strict object: unknown keys are problems, each with a suggestion or a hint. */
function strict<T extends Shape>(shape: T, hint?: (key: string) => string | undefined) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => unknownKeyMessage(key, known, hint)).join('\n')
        : undefined,
  });
}

// --- scalars -------------------------------------------------------------------------------------

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const fromNumericString = (value: unknown) =>
  typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value.trim()) : value;
const fromBooleanString = (value: unknown) =>
  value === 'true' ? true : value === 'false' ? false : value;

const percent = () => z.preprocess(fromNumericString, z.number().min(0).max(100));
const count = () => z.preprocess(fromNumericString, z.int().min(0));
const positiveInt = () => z.preprocess(fromNumericString, z.int().min(1));
const milliseconds = () => z.preprocess(fromNumericString, z.number().positive());
const port = () => z.preprocess(fromNumericString, z.int().min(1).max(65535));
const bool = () => z.preprocess(fromBooleanString, z.boolean());
const text = () => z.string().min(1);

const DURATION_HINT = 'expected a duration like "30s", "5m" or "1h"';

/** A duration string; the parsed value is milliseconds. */
function duration(options: { min?: number } = {}) {
  return z
    .string({
      error: (issue) =>
        issue.code === 'invalid_type' && issue.input !== undefined
          ? `${DURATION_HINT}, got ${describeValue(issue.input)}`
          : undefined,
    })
    .transform((value, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
        return z.NEVER;
      }
      if (options.min !== undefined && ms < options.min) {
        ctx.addIssue({
          code: 'custom',
          message: `must be at least ${formatDuration(options.min)}, got ${JSON.stringify(value)}`,
          input: value,
        });
        return z.NEVER;
      }
      return ms;
    });
}

/** Bytes, as a number or a size string ("32MiB"). */
const byteSize = () =>
  z.preprocess(
    (value) => (typeof value === 'string' ? (parseByteSize(value) ?? value) : value),
    z.int({
      error: (issue) =>
        issue.code === 'invalid_type' && issue.input !== undefined
          ? `expected a size like "32MiB" or a number of bytes, got ${describeValue(issue.input)}`
          : undefined,
    }).min(1),
  );

/** A path on this host: absolute, or starting with `~/`. */
const hostPath = () =>
  z.string().transform((value, ctx) => {
    const expanded = value === '~' ? homedir() : value.startsWith('~/') ? join(homedir(), value.slice(2)) : value;
    if (!isAbsolute(expanded)) {
      ctx.addIssue({ code: 'custom', message: `expected an absolute path, got ${JSON.stringify(value)}`, input: value });
      return z.NEVER;
    }
    return expanded;
  });

/** An absolute path, possibly inside a container (no `~` there). */
const absolutePath = () =>
  z.string().refine((value) => value.startsWith('/'), {
    error: (issue) => `expected an absolute path, got ${describeValue(issue.input)}`,
  });

export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected a URL, got ${JSON.stringify(value)}`;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.hostname ? undefined : `expected a URL with a host, got ${JSON.stringify(value)}`;
  return value.includes('://')
    ? `expected an http:// or https:// URL, got ${JSON.stringify(value)}`
    : `expected a URL, got ${JSON.stringify(value)}`;
}

const httpUrl = () =>
  z.string().superRefine((value, ctx) => {
    const problem = httpUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  });

const redisUrl = () =>
  z.string().superRefine((value, ctx) => {
    let ok = false;
    try {
      const url = new URL(value);
      ok = (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) ctx.addIssue({ code: 'custom', message: `expected a redis:// or rediss:// URL, got ${JSON.stringify(value)}`, input: value });
  });

export function dockerHostProblem(value: string): string | undefined {
  const bad = `expected unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST, got ${JSON.stringify(value)}`;
  const scheme = /^([a-z]+):\/\//.exec(value)?.[1];
  if (scheme === 'unix') return value.length > 'unix://'.length && value.startsWith('unix:///') ? undefined : bad;
  if (scheme === 'tcp' || scheme === 'ssh' || scheme === 'http' || scheme === 'https') {
    try {
      return new URL(value).hostname ? undefined : bad;
    } catch {
      return bad;
    }
  }
  return bad;
}

const dockerHost = () =>
  z.string().superRefine((value, ctx) => {
    const problem = dockerHostProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  });

/** `host:port` → its parts; `[::1]:5432` for IPv6. Undefined when the text is not of that form. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

const hostPort = () =>
  z.string().refine((value) => parseHostPort(value) !== undefined, {
    error: (issue) => `expected "host:port", got ${describeValue(issue.input)}`,
  });

const regexText = () =>
  z.string().superRefine((value, ctx) => {
    try {
      new RegExp(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}`, input: value });
    }
  });

// --- cross-field rules ---------------------------------------------------------------------------

/** True when a field of the object being refined already has a problem of its own. */
function fieldFailed(ctx: RefineCtx, key: string): boolean {
  return ctx.issues.some((issue) => issue.path?.[0] === key);
}

/** `low` must be below `high` when both are valid numbers (percentages, ms, durations). */
function ordered(low: string, high: string, show: (n: number) => string = String) {
  return (value: object, ctx: RefineCtx) => {
    const a = (value as Record<string, unknown>)[low];
    const b = (value as Record<string, unknown>)[high];
    if (fieldFailed(ctx, low) || fieldFailed(ctx, high)) return;
    if (typeof a === 'number' && typeof b === 'number' && !(a < b))
      ctx.addIssue({ code: 'custom', message: `${low} (${show(a)}) must be less than ${high} (${show(b)})`, input: value });
  };
}

/** Exactly one of `keys` must be present. */
function exactlyOne(keys: readonly string[]) {
  const list = keys.map((key) => JSON.stringify(key)).join(' or ');
  return (value: object, ctx: RefineCtx) => {
    const present = keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    if (present.length === 0) ctx.addIssue({ code: 'custom', message: `needs ${list}`, input: value });
    else if (present.length > 1) ctx.addIssue({ code: 'custom', message: `give ${list}, not both`, input: value });
  };
}

/**
 * For "exactly one of these keys" items: names the kind (adds `kind`) so a discriminated union can
 * take over, or says clearly why it can't.
 */
function tagKind(kinds: readonly string[], what: string) {
  return (value: unknown, ctx: RefineCtx): unknown => {
    if (!isPlainObject(value)) return value;
    const found = kinds.filter((kind) => Object.hasOwn(value, kind));
    const [kind] = found;
    if (found.length === 1 && kind !== undefined) {
      if (value.kind !== undefined && value.kind !== kind) {
        ctx.addIssue({
          code: 'custom',
          path: ['kind'],
          message: `${describeValue(value.kind)} does not match the ${JSON.stringify(kind)} key`,
          input: value.kind,
        });
        return value;
      }
      return { kind, ...value };
    }
    if (found.length === 0) {
      const typo = Object.keys(value)
        .map((key) => [key, closest(key, kinds)] as const)
        .find(([key, guess]) => guess !== undefined && key !== guess);
      ctx.addIssue({
        code: 'custom',
        message:
          `needs one ${what} kind (${kinds.join(', ')})` +
          (typo ? `; did you mean ${JSON.stringify(typo[1])} instead of ${JSON.stringify(typo[0])}?` : ''),
        input: value,
      });
    } else {
      ctx.addIssue({
        code: 'custom',
        message: `only one ${what} kind per item, found ${found.map((key) => JSON.stringify(key)).join(' and ')}`,
        input: value,
      });
    }
    return value;
  };
}

/** Which kinds own a key, for "unknown key "expectStatus" (only for http checks)". */
function ownerHint(owners: Record<string, readonly string[]>, what: string) {
  return (key: string) => {
    const kinds = owners[key];
    return kinds ? `only for ${kinds.join('/')} ${what}s` : undefined;
  };
}

// --- thresholds ----------------------------------------------------------------------------------

const percentPair = (warn: number, crit: number) =>
  strict({ warn: percent().default(warn), crit: percent().default(crit) }).superRefine(ordered('warn', 'crit'), WHEN_OBJECT);

export const thresholdsSchema = strict({
  disk: percentPair(80, 90).prefault({}),
  memory: percentPair(85, 95).prefault({}),
  cpu: strict({
    warn: percent().default(80),
    crit: percent().default(95),
    /** sustained for this long before it counts */
    for: duration().prefault('5m'),
  })
    .superRefine(ordered('warn', 'crit'), WHEN_OBJECT)
    .prefault({}),
  http: strict({ warnMs: milliseconds().default(200), critMs: milliseconds().default(500) })
    .superRefine(ordered('warnMs', 'critMs'), WHEN_OBJECT)
    .prefault({}),
  backupAge: strict({ warn: duration().prefault('26h'), crit: duration().prefault('50h') })
    .superRefine(ordered('warn', 'crit', formatDuration), WHEN_OBJECT)
    .prefault({}),
  logErrors: strict({ warn: count().default(10), crit: count().optional(), window: duration({ min: 1000 }).prefault('24h') })
    .superRefine(ordered('warn', 'crit'), WHEN_OBJECT)
    .prefault({}),
});

// --- checks --------------------------------------------------------------------------------------

export const CHECK_KINDS = [
  'http',
  'tcp',
  'postgres',
  'redis',
  'sqlite',
  'tls',
  'command',
  'container',
  'logs',
  'disk',
  'memory',
  'cpu',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

const checkHint = ownerHint(
  { expectStatus: ['http'], bodyContains: ['http'], warnMs: ['http'], critMs: ['http'] },
  'check',
);

const checkCommon = {
  name: text(),
  /** how often the check runs (default: the consumer's choice) */
  interval: duration({ min: 1000 }).optional(),
  timeout: duration({ min: 1 }).optional(),
};

function checkVariant<K extends CheckKind, T extends Shape>(kind: K, shape: T) {
  return strict({ kind: z.literal(kind), ...checkCommon, ...shape }, checkHint);
}

const postgresConnection = {
  /** run pg_isready / psql inside this container */
  container: text().optional(),
  /** or connect over the network */
  host: text().optional(),
  port: port().optional(),
  database: text().optional(),
  user: text().optional(),
  password: z.string().optional(),
};

const checkVariants = z.discriminatedUnion('kind', [
  checkVariant('http', {
    http: httpUrl(),
    expectStatus: z.preprocess(fromNumericString, z.int().min(100).max(599)).optional(),
    bodyContains: z.string().optional(),
    warnMs: milliseconds().optional(),
    critMs: milliseconds().optional(),
  }).superRefine(ordered('warnMs', 'critMs'), WHEN_OBJECT),
  checkVariant('tcp', { tcp: hostPort() }),
  checkVariant('postgres', {
    postgres: strict(postgresConnection).superRefine(exactlyOne(['container', 'host']), WHEN_OBJECT),
  }),
  checkVariant('redis', {
    redis: strict({ url: redisUrl().optional(), container: text().optional(), password: z.string().optional() }).superRefine(
      exactlyOne(['url', 'container']),
      WHEN_OBJECT,
    ),
  }),
  checkVariant('sqlite', {
    /** path of the database file: inside `container` when given, else on this host */
    sqlite: strict({ path: absolutePath(), container: text().optional() }),
  }),
  checkVariant('tls', {
    tls: strict({
      host: text(),
      port: port().default(443),
      warnDays: count().default(30),
      critDays: count().default(7),
    }).superRefine((value, ctx) => {
      if (fieldFailed(ctx, 'warnDays') || fieldFailed(ctx, 'critDays')) return;
      if (typeof value.warnDays === 'number' && typeof value.critDays === 'number' && !(value.warnDays > value.critDays))
        ctx.addIssue({
          code: 'custom',
          message: `warnDays (${value.warnDays}) must be greater than critDays (${value.critDays})`,
          input: value,
        });
    }, WHEN_OBJECT),
  }),
  checkVariant('command', {
    command: strict({
      /** run directly, never through a shell */
      argv: z
        .array(z.string(), {
          error: (issue) =>
            issue.code === 'invalid_type' && typeof issue.input === 'string'
              ? `expected a list like [pg_isready, -h, db] (no shell is used), got ${describeValue(issue.input)}`
              : undefined,
        })
        .min(1),
      /** run inside this container (docker exec) instead of on the host */
      container: text().optional(),
      timeout: duration({ min: 1 }).optional(),
    }),
  }),
  checkVariant('container', {
    /** `container: shop-api` is short for `container: { name: shop-api }` */
    container: z.preprocess((value) => (typeof value === 'string' ? { name: value } : value), strict({ name: text() })),
  }),
  checkVariant('logs', {
    logs: strict({
      container: text(),
      /** error lines in the window that make it warn / crit (default: thresholds.logErrors) */
      warn: count().optional(),
      crit: count().optional(),
      window: duration({ min: 1000 }).optional(),
      /** what counts as an error line (default: the level detection of the log view) */
      pattern: regexText().optional(),
    }).superRefine(ordered('warn', 'crit'), WHEN_OBJECT),
  }),
  checkVariant('disk', {
    /** one mount point, or every mount when absent; warn/crit default to thresholds.disk */
    disk: strict({ mount: absolutePath().optional(), warn: percent().optional(), crit: percent().optional() }).superRefine(
      ordered('warn', 'crit'),
      WHEN_OBJECT,
    ),
  }),
  checkVariant('memory', {
    /** the host, or one container's memory against its limit */
    memory: strict({ container: text().optional(), warn: percent().optional(), crit: percent().optional() }).superRefine(
      ordered('warn', 'crit'),
      WHEN_OBJECT,
    ),
  }),
  checkVariant('cpu', {
    cpu: strict({
      container: text().optional(),
      warn: percent().optional(),
      crit: percent().optional(),
      for: duration().optional(),
    }).superRefine(ordered('warn', 'crit'), WHEN_OBJECT),
  }),
]);

export const checkSchema = z.preprocess(tagKind(CHECK_KINDS, 'check'), checkVariants);

/** Names must be unique: they identify a check in the UI, the CLI and the store. */
function uniqueNames(what: string) {
  return (items: unknown[], ctx: RefineCtx) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      if (!isPlainObject(item) || typeof item.name !== 'string') return;
      const earlier = first.get(item.name);
      if (earlier === undefined) first.set(item.name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `duplicate ${what} name ${JSON.stringify(item.name)} (also ${what}s[${earlier}])`,
          input: item.name,
        });
    });
  };
}

// --- backups -------------------------------------------------------------------------------------

export const TARGET_KINDS = ['postgres', 'sqlite', 'redis', 'mysql', 'volume', 'files'] as const;
export type BackupTargetKind = (typeof TARGET_KINDS)[number];

const targetCommon = {
  /** containers stopped while this target is restored (its dependants) */
  stop: z.array(text()).optional(),
};

function targetVariant<K extends BackupTargetKind, T extends Shape>(kind: K, shape: T) {
  return strict({ kind: z.literal(kind), ...targetCommon, ...shape });
}

const backupTargetVariants = z.discriminatedUnion('kind', [
  targetVariant('postgres', {
    /** pg_dump runs inside `container` so its version matches the server */
    postgres: strict({ ...postgresConnection, database: text() }).superRefine(exactlyOne(['container', 'host']), WHEN_OBJECT),
  }),
  targetVariant('sqlite', {
    /** `path` is inside `container` when given, else on this host */
    sqlite: strict({ path: absolutePath(), container: text().optional() }),
  }),
  targetVariant('redis', {
    redis: strict({ container: text().optional(), url: redisUrl().optional(), password: z.string().optional() }).superRefine(
      exactlyOne(['container', 'url']),
      WHEN_OBJECT,
    ),
  }),
  targetVariant('mysql', {
    mysql: strict({ container: text(), database: text().optional(), user: text().optional(), password: z.string().optional() }),
  }),
  /** a Docker volume name */
  targetVariant('volume', { volume: text() }),
  /** files and directories on this host, archived together */
  targetVariant('files', { files: z.array(hostPath()).min(1) }),
]);

export const backupTargetSchema = z.preprocess(tagKind(TARGET_KINDS, 'target'), backupTargetVariants);

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const backupsSchema = strict({
  /** default: $XDG_DATA_HOME/opsdeck/backups (resolved by the backup code) */
  dir: hostPath().optional(),
  retention: strict({
    keepLast: count().default(3),
    keepDaily: count().default(7),
    keepWeekly: count().default(4),
    keepMonthly: count().default(6),
  }).prefault({}),
  /** the backup check warns when a target has no successful restore drill within this long */
  drillWithin: duration().optional(),
  /** the agent drills each target's newest verified backup this often (off when unset) */
  drillEvery: duration().optional(),
  targets: z
    .record(z.string(), backupTargetSchema)
    .superRefine((targets, ctx) => {
      for (const name of Object.keys(targets))
        if (!TARGET_NAME.test(name))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'a target name uses letters, digits, ".", "_" and "-" (it becomes part of file names)',
            input: name,
          });
    }, WHEN_OBJECT)
    .default({}),
});

// --- maintenance ---------------------------------------------------------------------------------

export const TASK_KINDS = ['vacuum', 'integrity', 'reindex', 'bgrewriteaof', 'backup', 'prune'] as const;
export type MaintenanceTaskKind = (typeof TASK_KINDS)[number];

const taskVariant = <K extends MaintenanceTaskKind, V extends z.ZodType>(kind: K, value: V) =>
  strict({ kind: z.literal(kind), [kind]: value } as { kind: z.ZodLiteral<K> } & { [P in K]: V });

const maintenanceTaskVariants = z.discriminatedUnion('kind', [
  /** VACUUM ANALYZE a PostgreSQL (or VACUUM a SQLite) target */
  taskVariant('vacuum', text()),
  /** integrity check (PRAGMA integrity_check, pg_amcheck where available) */
  taskVariant('integrity', text()),
  taskVariant('reindex', text()),
  taskVariant('bgrewriteaof', text()),
  taskVariant('backup', text()),
  taskVariant('prune', z.enum(['images', 'containers'])),
]);

export const maintenanceTaskSchema = z.preprocess(tagKind(TASK_KINDS, 'task'), maintenanceTaskVariants);

export const maintenanceSchema = strict({
  /** containers stopped for the window */
  stop: z.array(text()).default([]),
  /** created while in maintenance (the proxy answers 503 + Retry-After while it exists) */
  flagFile: hostPath().optional(),
  tasks: z.array(maintenanceTaskSchema).default([]),
});

// --- alerts, logs, docker ------------------------------------------------------------------------

export const alertsSchema = strict({
  webhook: strict({
    url: httpUrl(),
    /** generic JSON, or a Slack-compatible payload */
    format: z.enum(['json', 'slack']).default('json'),
    timeout: duration({ min: 100 }).prefault('10s'),
    retries: z.preprocess(fromNumericString, z.int().min(0).max(10)).default(3),
  }).optional(),
  /**
   * consecutive runs that must report a change before a check's confirmed status (the one alerts
   * are about) changes: 2 ignores a single slow response or refused connection; 1 alerts at once
   */
  confirm: z.preprocess(fromNumericString, z.int().min(1).max(20)).default(2),
  /** state changes within an hour after which a check counts as flapping */
  flapping: positiveInt().optional(),
  /** repeat the alert of a check that stays crit this often (default: no reminders) */
  remind: duration({ min: 60_000 }).optional(),
});

export const logsSchema = strict({
  /** lines fetched when a log view opens */
  tail: count().default(500),
  /** cap of a log buffer, in lines and in bytes */
  maxLines: positiveInt().default(50_000),
  maxBytes: byteSize().default(32 * 1024 * 1024),
});

const tlsSchema = () => strict({
  ca: hostPath().optional(),
  cert: hostPath().optional(),
  key: hostPath().optional(),
  verify: bool().optional(),
});

export const dockerSchema = strict({
  /** default: $DOCKER_HOST, else unix:///var/run/docker.sock */
  host: dockerHost().optional(),
  tls: tlsSchema().optional(),
  /** also list the Docker CLI's contexts ($DOCKER_CONFIG or ~/.docker/contexts) as endpoints */
  contexts: bool().default(true),
});

/** A name for an endpoint: shown in the header, given to --endpoint, recorded with audit rows. */
const endpointName = () =>
  z.string().refine((v) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(v) && v !== 'all', {
    error: (issue) => `expected a name of letters, digits, ".", "_" or "-" (at most 40, not "all"), got ${describeValue(issue.input)}`,
  });

/** One Docker engine among several (issue: several endpoints in one cockpit). */
export const endpointSchema = strict({
  name: endpointName(),
  /** unix:///path, tcp://HOST:PORT (TLS with tls:), ssh://[USER@]HOST[:PORT] (the system's ssh) */
  host: dockerHost(),
  tls: tlsSchema().optional(),
  /** for ssh:// — the ssh client config file (-F) and key (-i); default: ~/.ssh/config and the agent */
  ssh: strict({ config: hostPath().optional(), identity: hostPath().optional() }).optional(),
});

// --- the whole file ------------------------------------------------------------------------------

export const configSchema = strict({
  docker: dockerSchema.prefault({}),
  /** several Docker engines in one cockpit; the first is the default (--endpoint picks another) */
  endpoints: z.array(endpointSchema).superRefine(uniqueNames('endpoint'), WHEN_ARRAY).default([]),
  /** how often live data refreshes; milliseconds once parsed */
  refresh: duration({ min: 100 }).prefault('2s'),
  readOnly: bool().default(false),
  /** default: $OPSDECK_STATE_DIR, else $XDG_STATE_HOME/opsdeck (resolved by the store) */
  stateDir: hostPath().optional(),
  thresholds: thresholdsSchema.prefault({}),
  checks: z.array(checkSchema).superRefine(uniqueNames('check'), WHEN_ARRAY).default([]),
  backups: backupsSchema.prefault({}),
  /** metric history (the agent, the Capacity view) */
  metrics: strict({
    /** the agent's sampling interval (--interval overrides) */
    interval: duration({ min: 1000 }).prefault('10s'),
    retention: strict({
      /** samples as collected are kept this long */
      raw: duration({ min: 60_000 }).prefault('24h'),
      /** then averages, finest first */
      tiers: z.array(strict({ every: duration({ min: 1000 }), keep: duration({ min: 60_000 }) }))
        .prefault([{ every: '1m', keep: '7d' }, { every: '15m', keep: '90d' }]),
    }).prefault({}),
    /** a projection "full in N days" below this raises the capacity check to warn */
    horizon: duration({ min: 86_400_000 }).prefault('14d'),
  }).prefault({}),
  maintenance: maintenanceSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
  logs: logsSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
/** What a file may contain (before defaults and conversions). */
export type ConfigInput = z.input<typeof configSchema>;
export type Thresholds = Config['thresholds'];
export type Check = Config['checks'][number];
export type CheckOf<K extends CheckKind> = Extract<Check, { kind: K }>;
export type BackupTarget = Config['backups']['targets'][string];
export type BackupTargetOf<K extends BackupTargetKind> = Extract<BackupTarget, { kind: K }>;
export type MaintenanceTask = Config['maintenance']['tasks'][number];
export type AlertsConfig = Config['alerts'];
export type DockerConfig = Config['docker'];
export type EndpointConfig = Config['endpoints'][number];

/** The zero-config default (SPEC §1): what an empty file means. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
