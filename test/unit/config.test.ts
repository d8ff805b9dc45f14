import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { expandString, substituteEnv } from '../../config/env.js';
import {
  ConfigError,
  configSearchPath,
  findConfigFile,
  formatConfigError,
  loadConfig,
  parseConfigText,
  validateConfig,
} from '../../config/load.js';
import { MASK, SECRET_KEY_RE, maskSecrets, maskUrl, redactText } from '../../config/mask.js';
import {
  CHECK_KINDS,
  type Config,
  TARGET_KINDS,
  TASK_KINDS,
  defaultConfig,
  formatDuration,
  parseByteSize,
  parseDuration,
  parseHostPort,
} from '../../config/schema.js';

const parse = (text: string, env: Record<string, string> = {}): Config =>
  parseConfigText(text, { source: '/cfg/opsdeck.yaml', env });

/** The problem lines a text produces (fails the test when it is valid). */
function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parse(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail(`expected problems for:\n${text}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'opsdeck-config-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const HOUR = 3_600_000;

const DEFAULTS = {
  docker: { contexts: true },
  endpoints: [],
  refresh: 2000,
  readOnly: false,
  thresholds: {
    disk: { warn: 80, crit: 90 },
    memory: { warn: 85, crit: 95 },
    cpu: { warn: 80, crit: 95, for: 5 * 60_000 },
    http: { warnMs: 200, critMs: 500 },
    backupAge: { warn: 26 * HOUR, crit: 50 * HOUR },
    logErrors: { warn: 10, window: 24 * HOUR },
  },
  checks: [],
  backups: { retention: { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }, targets: {} },
  maintenance: { stop: [], tasks: [] },
  metrics: { interval: 10_000, retention: { raw: 86_400_000, tiers: [{ every: 60_000, keep: 7 * 86_400_000 }, { every: 900_000, keep: 90 * 86_400_000 }] }, horizon: 14 * 86_400_000 },
  alerts: { confirm: 2 },
  logs: { tail: 500, maxLines: 50_000, maxBytes: 32 * 1024 * 1024 },
};

describe('durations and sizes', () => {
  const good: Array<[string, number]> = [
    ['2s', 2000],
    ['500ms', 500],
    ['5m', 300_000],
    ['1h', HOUR],
    ['1d', 24 * HOUR],
    ['1w', 7 * 24 * HOUR],
    ['1h30m', 90 * 60_000],
    ['1.5h', 90 * 60_000],
    [' 26h ', 26 * HOUR],
    ['0', 0],
    ['0s', 0],
  ];
  for (const [text, ms] of good) test(`parseDuration(${JSON.stringify(text)}) = ${ms}`, () => assert.equal(parseDuration(text), ms));

  const bad: Array<[string, RegExp]> = [
    ['', /expected a duration like "30s", "5m" or "1h", got ""/],
    ['5', /got "5" \(missing unit: ms, s, m, h, d or w\)/],
    ['2 seconds', /got "2 seconds"$/],
    ['1h30', /got "1h30"$/],
    ['-5s', /got "-5s"$/],
    ['5M', /got "5M"$/],
    ['abc', /got "abc"$/],
    ['1y', /got "1y"$/],
  ];
  for (const [text, message] of bad)
    test(`parseDuration(${JSON.stringify(text)}) throws`, () => assert.throws(() => parseDuration(text), message));

  test('formatDuration is the inverse for display', () => {
    for (const [ms, text] of [
      [2000, '2s'],
      [500, '500ms'],
      [26 * HOUR, '1d2h'],
      [90 * 60_000, '1h30m'],
      [0, '0s'],
    ] as const)
      assert.equal(formatDuration(ms), text);
  });

  test('byte sizes', () => {
    assert.equal(parseByteSize('32MiB'), 32 * 1024 * 1024);
    assert.equal(parseByteSize('10MB'), 10_000_000);
    assert.equal(parseByteSize('512k'), 512 * 1024);
    assert.equal(parseByteSize('1048576'), 1_048_576);
    assert.equal(parseByteSize('32 furlongs'), undefined);
  });

  test('host:port', () => {
    assert.deepEqual(parseHostPort('db:5432'), { host: 'db', port: 5432 });
    assert.deepEqual(parseHostPort('[::1]:6379'), { host: '::1', port: 6379 });
    assert.equal(parseHostPort('localhost'), undefined);
    assert.equal(parseHostPort('db:70000'), undefined);
  });
});

describe('defaults', () => {
  test('no file anywhere: every default, source null', () => {
    const root = mkdtempSync(join(scratch, 'empty-'));
    const { config, source } = loadConfig({
      cwd: root,
      env: { HOME: root, XDG_CONFIG_HOME: join(root, 'xdg') },
      systemDir: join(root, 'etc'),
    });
    assert.equal(source, null);
    assert.deepEqual(config, DEFAULTS);
    assert.deepEqual(defaultConfig(), DEFAULTS);
  });

  for (const [label, text] of [
    ['an empty file', ''],
    ['a comment-only file', '# nothing here\n'],
    ['an empty mapping', '{}'],
  ] as const)
    test(`${label} means the defaults`, () => assert.deepEqual(parse(text), DEFAULTS));

  const overrides: Array<[string, string, (c: Config) => unknown, unknown]> = [
    ['disk warn only', 'thresholds: { disk: { warn: 70 } }', (c) => c.thresholds.disk, { warn: 70, crit: 90 }],
    ['cpu for only', 'thresholds: { cpu: { for: 10m } }', (c) => c.thresholds.cpu, { warn: 80, crit: 95, for: 600_000 }],
    ['backup age crit only', 'thresholds: { backupAge: { crit: 3d } }', (c) => c.thresholds.backupAge, { warn: 26 * HOUR, crit: 72 * HOUR }],
    ['one retention rule', 'backups: { retention: { keepLast: 10 } }', (c) => c.backups.retention, { keepLast: 10, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }],
    ['logs.maxBytes as a size', 'logs: { maxBytes: 1MiB }', (c) => c.logs, { tail: 500, maxLines: 50_000, maxBytes: 1024 * 1024 }],
    ['refresh', 'refresh: 500ms', (c) => c.refresh, 500],
    ['numbers as strings', 'thresholds: { disk: { warn: "70" } }', (c) => c.thresholds.disk.warn, 70],
  ];
  for (const [label, text, pick, expected] of overrides) {
    test(`partial override keeps the other defaults: ${label}`, () => {
      const config = parse(text);
      assert.deepEqual(pick(config), expected);
      // Every other top-level section is exactly the default.
      const topKey = text.split(':')[0] ?? '';
      for (const key of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>)
        if (key !== topKey) assert.deepEqual(config[key], DEFAULTS[key], `${key} kept its default`);
    });
  }

  test('thresholds: only disk given, every other threshold is the default', () => {
    const config = parse('thresholds:\n  disk: { warn: 70 }\n');
    assert.deepEqual(config.thresholds, { ...DEFAULTS.thresholds, disk: { warn: 70, crit: 90 } });
  });
});

describe('${VAR} substitution', () => {
  const cases: Array<[string, string, Record<string, string>, string]> = [
    ['set', 'a-${NAME}-b', { NAME: 'x' }, 'a-x-b'],
    ['default when unset', '${NAME:-fallback}', {}, 'fallback'],
    ['default when empty', '${NAME:-fallback}', { NAME: '' }, 'fallback'],
    ['value wins over default', '${NAME:-fallback}', { NAME: 'set' }, 'set'],
    ['empty default', '${NAME:-}', {}, ''],
    ['set to empty, no default', '${NAME}', { NAME: '' }, ''],
    ['$$ is a literal $', 'pa$$word', {}, 'pa$word'],
    ['$${X} is not a reference', '$${NAME}', { NAME: 'x' }, '${NAME}'],
    ['a lone $ stays', 'cost $5 and $HOME', { HOME: '/root' }, 'cost $5 and $HOME'],
    ['two references', '${A}:${B:-2}', { A: '1' }, '1:2'],
    ['default with spaces and colons', '${URL:-http://h:1/x y}', {}, 'http://h:1/x y'],
  ];
  for (const [label, input, env, expected] of cases)
    test(`expandString: ${label}`, () => assert.deepEqual(expandString(input, env), { text: expected, problems: [] }));

  test('expandString: unset without default, bad and unclosed references', () => {
    assert.deepEqual(expandString('${NOPE}', {}).problems, ['environment variable NOPE is not set']);
    assert.deepEqual(expandString('${1X}', {}).problems, ['bad variable reference "${1X}" (use ${NAME} or ${NAME:-default})']);
    assert.deepEqual(expandString('a${B', {}).problems, ['unclosed "${" in "a${B" (write $$ for a literal $)']);
  });

  test('in a config file: values substituted, numbers from strings', () => {
    const config = parse(
      [
        'docker: { host: "${DOCKER_URL:-unix:///var/run/docker.sock}" }',
        'checks:',
        '  - { name: db, postgres: { host: "${PGHOST}", port: "${PGPORT}", database: shop, password: "${PGPASS:-}" } }',
        '  - { name: price, http: "http://x/health?cost=$$5" }',
      ].join('\n'),
      { PGHOST: 'db.internal', PGPORT: '6543' },
    );
    assert.equal(config.docker.host, 'unix:///var/run/docker.sock');
    assert.deepEqual(config.checks[0], {
      kind: 'postgres',
      name: 'db',
      postgres: { host: 'db.internal', port: 6543, database: 'shop', password: '' },
    });
    assert.equal(config.checks[1]?.kind === 'http' && config.checks[1].http, 'http://x/health?cost=$5');
  });

  test('unset variable is a problem at its path, reported once', () => {
    assert.deepEqual(problemsOf('alerts: { webhook: { url: "${OPSDECK_WEBHOOK_URL}" } }'), [
      'alerts.webhook.url: environment variable OPSDECK_WEBHOOK_URL is not set',
    ]);
    assert.equal(parse('alerts: { webhook: { url: "${OPSDECK_WEBHOOK_URL}" } }', { OPSDECK_WEBHOOK_URL: 'https://h/x' }).alerts.webhook?.url, 'https://h/x');
  });

  test('a value cannot inject YAML; keys are never substituted', () => {
    const config = parse('checks: [ { name: "${EVIL}", tcp: "db:1" } ]', { EVIL: 'x\nreadOnly: true' });
    assert.equal(config.checks[0]?.name, 'x\nreadOnly: true');
    assert.equal(config.readOnly, false);
    assert.deepEqual(substituteEnv({ '${T}': ['${T}', 1, null, true] }, { T: 'tee' }), {
      value: { '${T}': ['tee', 1, null, true] },
      problems: [],
    });
  });
});

describe('checks', () => {
  const kinds: Array<[string, Record<string, unknown>]> = [
    [
      '{ name: api, http: "http://localhost:8000/health", expectStatus: 200, bodyContains: ok, warnMs: 200, critMs: 500, interval: 30s, timeout: 5s }',
      { kind: 'http', name: 'api', http: 'http://localhost:8000/health', expectStatus: 200, bodyContains: 'ok', warnMs: 200, critMs: 500, interval: 30_000, timeout: 5000 },
    ],
    ['{ name: smtp, tcp: "mail.example.com:587" }', { kind: 'tcp', name: 'smtp', tcp: 'mail.example.com:587' }],
    [
      '{ name: shop-db, postgres: { container: shop-db-1, database: shop, user: shop } }',
      { kind: 'postgres', name: 'shop-db', postgres: { container: 'shop-db-1', database: 'shop', user: 'shop' } },
    ],
    ['{ name: cache, redis: { url: "redis://localhost:6379" } }', { kind: 'redis', name: 'cache', redis: { url: 'redis://localhost:6379' } }],
    ['{ name: cache2, redis: { container: shop-cache-1 } }', { kind: 'redis', name: 'cache2', redis: { container: 'shop-cache-1' } }],
    [
      '{ name: app-db, sqlite: { container: shop-app-1, path: /app/data/app.db } }',
      { kind: 'sqlite', name: 'app-db', sqlite: { container: 'shop-app-1', path: '/app/data/app.db' } },
    ],
    [
      '{ name: site-tls, tls: { host: shop.example.com } }',
      { kind: 'tls', name: 'site-tls', tls: { host: 'shop.example.com', port: 443, warnDays: 30, critDays: 7 } },
    ],
    [
      '{ name: q, command: { argv: [check-queue, --max, "1000"], timeout: 10s } }',
      { kind: 'command', name: 'q', command: { argv: ['check-queue', '--max', '1000'], timeout: 10_000 } },
    ],
    ['{ name: w, container: { name: shop-worker-1 } }', { kind: 'container', name: 'w', container: { name: 'shop-worker-1' } }],
    ['{ name: w2, container: shop-worker-1 }', { kind: 'container', name: 'w2', container: { name: 'shop-worker-1' } }],
    [
      '{ name: errs, logs: { container: shop-worker-1, warn: 20, window: 1h, pattern: "ERROR|FATAL" } }',
      { kind: 'logs', name: 'errs', logs: { container: 'shop-worker-1', warn: 20, window: HOUR, pattern: 'ERROR|FATAL' } },
    ],
    ['{ name: root, disk: { mount: /, warn: 75 } }', { kind: 'disk', name: 'root', disk: { mount: '/', warn: 75 } }],
    ['{ name: all-disks, disk: {} }', { kind: 'disk', name: 'all-disks', disk: {} }],
    ['{ name: mem, memory: { container: api, warn: 80, crit: 90 } }', { kind: 'memory', name: 'mem', memory: { container: 'api', warn: 80, crit: 90 } }],
    ['{ name: cpu, cpu: { for: 10m } }', { kind: 'cpu', name: 'cpu', cpu: { for: 600_000 } }],
    ['{ kind: tcp, name: printed, tcp: "db:1" }', { kind: 'tcp', name: 'printed', tcp: 'db:1' }],
  ];
  for (const [yaml, expected] of kinds)
    test(`parses ${String(expected.kind)}: ${yaml}`, () => assert.deepEqual(parse(`checks:\n  - ${yaml}\n`).checks, [expected]));

  test('every check kind is covered above', () => {
    const seen = new Set(kinds.map(([, expected]) => expected.kind));
    assert.deepEqual([...CHECK_KINDS].filter((kind) => !seen.has(kind)), []);
  });

  test('backup targets of every kind, and maintenance tasks', () => {
    const config = parse(`
backups:
  targets:
    pg: { postgres: { container: db-1, database: shop, user: shop }, stop: [api, worker] }
    pg-remote: { postgres: { host: 10.0.0.5, port: 5433, database: shop } }
    lite: { sqlite: { path: /srv/app/app.db } }
    cache: { redis: { container: cache-1 } }
    legacy: { mysql: { container: legacy-1, database: legacy } }
    uploads: { volume: shop_uploads }
    settings: { files: [/srv/shop/.env] }
maintenance:
  tasks: [ { vacuum: pg }, { integrity: lite }, { reindex: pg }, { bgrewriteaof: cache }, { backup: pg }, { prune: images } ]
`);
    assert.deepEqual(config.backups.targets.pg, {
      kind: 'postgres',
      postgres: { container: 'db-1', database: 'shop', user: 'shop' },
      stop: ['api', 'worker'],
    });
    assert.deepEqual(config.backups.targets['pg-remote'], { kind: 'postgres', postgres: { host: '10.0.0.5', port: 5433, database: 'shop' } });
    assert.deepEqual(config.backups.targets.uploads, { kind: 'volume', volume: 'shop_uploads' });
    assert.deepEqual(config.backups.targets.settings, { kind: 'files', files: ['/srv/shop/.env'] });
    assert.deepEqual(new Set(Object.values(config.backups.targets).map((t) => t.kind)), new Set(TARGET_KINDS));
    assert.deepEqual(config.maintenance.tasks.map((t) => t.kind), [...TASK_KINDS]);
    assert.deepEqual(config.maintenance.tasks[5], { kind: 'prune', prune: 'images' });
  });
});

describe('the example file', () => {
  test('config/opsdeck.example.yaml validates with an empty environment', () => {
    const file = join(process.cwd(), 'config', 'opsdeck.example.yaml');
    const config = parseConfigText(readFileSync(file, 'utf8'), { source: file, env: {} });
    assert.equal(config.refresh, 2000);
    assert.equal(config.docker.host, 'unix:///var/run/docker.sock');
    assert.deepEqual(config.thresholds, DEFAULTS.thresholds);
    const kinds = new Set(config.checks.map((check) => check.kind));
    assert.deepEqual([...CHECK_KINDS].filter((kind) => !kinds.has(kind)), [], 'the example shows every check kind');
    const pg = config.backups.targets['shop-db'];
    assert.ok(pg?.kind === 'postgres');
    assert.equal(pg.postgres.password, '');
    assert.deepEqual(config.maintenance.stop, ['shop-api-1', 'shop-worker-1']);
    assert.equal(config.logs.maxBytes, 32 * 1024 * 1024);
  });

  test('its ${SHOP_DB_PASSWORD:-} picks up the environment', () => {
    const file = join(process.cwd(), 'config', 'opsdeck.example.yaml');
    const config = parseConfigText(readFileSync(file, 'utf8'), { source: file, env: { SHOP_DB_PASSWORD: 's3cret' } });
    const pg = config.backups.targets['shop-db'];
    assert.ok(pg?.kind === 'postgres');
    assert.equal(pg.postgres.password, 's3cret');
  });
});

describe('bad files: exactly the expected problems', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'type errors and unknown keys, in file order',
      `
refresh: 2 seconds
chekcs: []
readOnly: "yes"
thresholds:
  disk: { warn: eighty, crit: 90, warm: 1 }
`,
      [
        'refresh: expected a duration like "30s", "5m" or "1h", got "2 seconds"',
        '(root): unknown key "chekcs" (did you mean "checks"?)',
        'readOnly: expected true or false, got "yes"',
        'thresholds.disk.warn: expected a number, got "eighty"',
        'thresholds.disk: unknown key "warm" (did you mean "warn"?)',
      ],
    ],
    [
      'several check problems at once',
      `
checks:
  - { name: api, http: "http://localhost:8000/health" }
  - { name: web, http: localhost }
  - { name: api, tcp: "db:5432", expectStatus: 200 }
  - { name: both, tcp: "db:5432", http: "http://x" }
  - { name: none, htpp: "http://x" }
  - { http: "ftp://x/y" }
  - just-a-string
`,
      [
        'checks[1].http: expected a URL, got "localhost"',
        'checks[2].name: duplicate check name "api" (also checks[0])',
        'checks[2]: unknown key "expectStatus" (only for http checks)',
        'checks[3]: only one check kind per item, found "http" and "tcp"',
        'checks[4]: needs one check kind (http, tcp, postgres, redis, sqlite, tls, command, container, logs, disk, memory, cpu); did you mean "http" instead of "htpp"?',
        'checks[5].name: required',
        'checks[5].http: expected an http:// or https:// URL, got "ftp://x/y"',
        'checks[6]: expected a mapping, got "just-a-string"',
      ],
    ],
    [
      'check details',
      `
checks:
  - { name: pg, postgres: {} }
  - { name: pg2, postgres: { container: a, host: b, port: 99999 } }
  - { name: lite, sqlite: { path: app.db } }
  - { name: cmd, command: { argv: "pg_isready -h db" } }
  - { name: cmd2, command: { argv: [] } }
  - { name: cert, tls: { host: x, warnDays: 5 } }
  - { name: slow, http: "http://x", warnMs: 900, critMs: 500, timeout: 5 }
  - { name: port, tcp: localhost }
  - { name: r, redis: { url: "http://cache:6379" } }
  - { name: "", logs: { container: w, pattern: "([" } }
`,
      [
        'checks[0].postgres: needs "container" or "host"',
        'checks[1].postgres: give "container" or "host", not both',
        'checks[1].postgres.port: must be at most 65535, got 99999',
        'checks[2].sqlite.path: expected an absolute path, got "app.db"',
        'checks[3].command.argv: expected a list like [pg_isready, -h, db] (no shell is used), got "pg_isready -h db"',
        'checks[4].command.argv: must not be empty',
        'checks[5].tls: warnDays (5) must be greater than critDays (7)',
        'checks[6]: warnMs (900) must be less than critMs (500)',
        'checks[6].timeout: expected a duration like "30s", "5m" or "1h", got 5',
        'checks[7].tcp: expected "host:port", got "localhost"',
        'checks[8].redis.url: expected a redis:// or rediss:// URL, got "http://cache:6379"',
        'checks[9].name: must not be empty',
        'checks[9].logs.pattern: not a valid regular expression: Invalid regular expression: /([/: Unterminated character class',
      ],
    ],
    [
      'thresholds: warn must be below crit (effective values)',
      `
thresholds:
  disk: { warn: 95 }
  memory: { warn: 90, crit: 80 }
  cpu: { warn: 120 }
  backupAge: { warn: 3d }
  http: { warnMs: -1 }
`,
      [
        'thresholds.disk: warn (95) must be less than crit (90)',
        'thresholds.memory: warn (90) must be less than crit (80)',
        'thresholds.cpu.warn: must be at most 100, got 120',
        'thresholds.backupAge: warn (3d) must be less than crit (2d2h)',
        'thresholds.http.warnMs: must be greater than 0, got -1',
      ],
    ],
    [
      'backups, maintenance, alerts, logs, docker',
      `
docker: { host: "localhost:2375", tls: { verify: maybe } }
backups:
  dir: backups
  retention: { keepLast: -1, keepYearly: 1 }
  targets:
    "bad name": { volume: x }
    shop-db: { postgres: { container: a }, stop: shop-api }
    two: { volume: x, files: [/a] }
    rel: { files: [relative/path] }
maintenance: { stop: api, tasks: [ { vacuum: db }, { prune: all }, { defrag: db } ] }
alerts: { webhook: { url: "\${HOOK:-not-a-url}", format: xml }, remind: 5s }
logs: { maxBytes: 32 furlongs, tail: many }
`,
      [
        'docker.host: expected unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST, got "localhost:2375"',
        'docker.tls.verify: expected true or false, got "maybe"',
        'backups.dir: expected an absolute path, got "backups"',
        'backups.retention.keepLast: must be at least 0, got -1',
        'backups.retention: unknown key "keepYearly"',
        'backups.targets["bad name"]: a target name uses letters, digits, ".", "_" and "-" (it becomes part of file names)',
        'backups.targets.shop-db.postgres.database: required',
        'backups.targets.shop-db.stop: expected a list, got "shop-api"',
        'backups.targets.two: only one target kind per item, found "volume" and "files"',
        'backups.targets.rel.files[0]: expected an absolute path, got "relative/path"',
        'maintenance.stop: expected a list, got "api"',
        'maintenance.tasks[1].prune: expected "images" or "containers", got "all"',
        'maintenance.tasks[2]: needs one task kind (vacuum, integrity, reindex, bgrewriteaof, backup, prune)',
        'alerts.webhook.url: expected a URL, got "not-a-url"',
        'alerts.webhook.format: expected "json" or "slack", got "xml"',
        'alerts.remind: must be at least 1m, got "5s"',
        'logs.maxBytes: expected a size like "32MiB" or a number of bytes, got "32 furlongs"',
        'logs.tail: expected a whole number, got "many"',
      ],
    ],
    ['top level is not a mapping', '- a\n- b\n', ['(root): expected a mapping, got a list']],
    ['an empty value', 'checks:\n', ['checks: expected a list, got an empty value']],
    ['a __proto__ key is just unknown', '__proto__: { readOnly: true }\n', ['(root): unknown key "__proto__"']],
  ];
  for (const [label, text, expected] of cases) test(label, () => assert.deepEqual(problemsOf(text), expected));

  test('YAML syntax errors give FILE:LINE:COL lines', () => {
    const problems = problemsOf('refresh: 2s\nchecks: [ { name: a, tcp: "db:1" }\nreadOnly: true\n');
    assert.ok(problems.length >= 1);
    for (const line of problems) assert.match(line, /^\/cfg\/opsdeck\.yaml:\d+:\d+: \S/);
    assert.match(problems[0] ?? '', /^\/cfg\/opsdeck\.yaml:3:1: /);
  });

  test('duplicate keys are a YAML error with a position', () => {
    assert.deepEqual(problemsOf('refresh: 2s\nrefresh: 3s\n'), ['/cfg/opsdeck.yaml:2:1: Map keys must be unique']);
  });

  test('formatConfigError names the file first, then one line per problem, no stack trace', () => {
    try {
      parse('chekcs: []\ncheckz: []\n');
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.source, '/cfg/opsdeck.yaml');
      const text = formatConfigError(error);
      assert.deepEqual(text.split('\n'), [
        'Config file /cfg/opsdeck.yaml is not valid (2 problems):',
        '  (root): unknown key "chekcs" (did you mean "checks"?)',
        '  (root): unknown key "checkz" (did you mean "checks"?)',
      ]);
      assert.doesNotMatch(text, /\bat .*\.js:\d+/);
      assert.equal(error.message, text, 'message carries every problem too');
    }
  });

  test('anchors and merge keys work; an alias bomb is refused', () => {
    // Top-level x-* keys are ignored (as in compose files): a place for anchors.
    const config = parse('x-db: &db { container: db-1, database: shop }\nbackups: { targets: { a: { postgres: { <<: *db, user: a } } } }\n');
    assert.deepEqual(config.backups.targets.a, { kind: 'postgres', postgres: { container: 'db-1', database: 'shop', user: 'a' } });
    const merged = parse('checks:\n  - &base { name: a, tcp: "db:1", interval: 1m }\n  - { <<: *base, name: b }\n');
    assert.deepEqual(merged.checks[1], { kind: 'tcp', name: 'b', tcp: 'db:1', interval: 60_000 });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    const problems = problemsOf(bomb);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^\/cfg\/opsdeck\.yaml: .*alias/i);
  });

  test('validateConfig takes already-parsed data', () => {
    assert.equal(validateConfig({ refresh: '1m' }, { source: null, env: {} }).refresh, 60_000);
    assert.throws(
      () => validateConfig({ refresh: 5 }, { source: null, env: {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.source === null &&
        error.problems.join('\n') === 'refresh: expected a duration like "30s", "5m" or "1h", got 5',
    );
  });
});

describe('lookup order', () => {
  /** A home with a file in every place opsdeck looks. */
  function layout() {
    const root = mkdtempSync(join(scratch, 'lookup-'));
    const paths = {
      explicit: join(root, 'explicit.yaml'),
      env: join(root, 'from-env.yaml'),
      cwd: join(root, 'work', 'opsdeck.yaml'),
      xdg: join(root, 'xdg', 'opsdeck', 'config.yaml'),
      etc: join(root, 'etc', 'opsdeck', 'config.yaml'),
    };
    for (const [name, path] of Object.entries(paths)) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, `# ${name}\nrefresh: ${Object.keys(paths).indexOf(name) + 1}s\n`);
    }
    const options = {
      explicit: paths.explicit,
      env: { OPSDECK_CONFIG: paths.env, XDG_CONFIG_HOME: join(root, 'xdg'), HOME: join(root, 'home') },
      cwd: join(root, 'work'),
      systemDir: join(root, 'etc', 'opsdeck'),
    };
    return { root, paths, options };
  }

  test('explicit > $OPSDECK_CONFIG > ./opsdeck.yaml > $XDG_CONFIG_HOME > /etc', () => {
    const { paths, options } = layout();
    assert.equal(findConfigFile(options), paths.explicit);
    assert.equal(findConfigFile({ ...options, explicit: undefined }), paths.env);
    const noEnv = { ...options, explicit: undefined, env: { ...options.env, OPSDECK_CONFIG: undefined } };
    assert.equal(findConfigFile(noEnv), paths.cwd);
    rmSync(paths.cwd);
    assert.equal(findConfigFile(noEnv), paths.xdg);
    rmSync(paths.xdg);
    assert.equal(findConfigFile(noEnv), paths.etc);
    rmSync(paths.etc);
    assert.equal(findConfigFile(noEnv), null);
  });

  test('loadConfig reads the file it finds and reports it as the source', () => {
    const { paths, options } = layout();
    assert.deepEqual(
      (({ config, source }) => ({ refresh: config.refresh, source }))(loadConfig(options)),
      { refresh: 1000, source: paths.explicit },
    );
    const viaEnv = loadConfig({ ...options, explicit: undefined });
    assert.deepEqual([viaEnv.config.refresh, viaEnv.source], [2000, paths.env]);
  });

  test('XDG_CONFIG_HOME defaults to ~/.config; relative explicit paths resolve against cwd', () => {
    const { root, options } = layout();
    const home = join(root, 'home');
    mkdirSync(join(home, '.config', 'opsdeck'), { recursive: true });
    writeFileSync(join(home, '.config', 'opsdeck', 'config.yml'), 'refresh: 9s\n');
    const env = { HOME: home };
    assert.equal(findConfigFile({ env, cwd: join(root, 'nowhere'), systemDir: options.systemDir }), join(home, '.config', 'opsdeck', 'config.yml'));
    assert.equal(findConfigFile({ explicit: '../explicit.yaml', env, cwd: join(root, 'work') }), join(root, 'explicit.yaml'));
    assert.deepEqual(configSearchPath({ env, cwd: '/w', systemDir: '/etc/opsdeck' }), [
      '/w/opsdeck.yaml',
      '/w/opsdeck.yml',
      '/w/opsdeck.json',
      join(home, '.config/opsdeck/config.yaml'),
      join(home, '.config/opsdeck/config.yml'),
      join(home, '.config/opsdeck/config.json'),
      '/etc/opsdeck/config.yaml',
      '/etc/opsdeck/config.yml',
      '/etc/opsdeck/config.json',
    ]);
  });

  test('a missing --config or $OPSDECK_CONFIG file is an error, not a fall-through', () => {
    const { root, options } = layout();
    const missing = join(root, 'missing.yaml');
    for (const [given, origin] of [
      [{ ...options, explicit: missing }, '--config'],
      [{ ...options, explicit: undefined, env: { ...options.env, OPSDECK_CONFIG: missing } }, '$OPSDECK_CONFIG'],
    ] as const) {
      assert.throws(
        () => findConfigFile(given),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.source === missing &&
          error.problems[0] === `${missing}: no such file (named by ${origin})` &&
          formatConfigError(error).startsWith(`Config file ${missing} was not found`),
      );
    }
  });

  test('./opsdeck.json is read too', () => {
    const root = mkdtempSync(join(scratch, 'json-'));
    writeFileSync(join(root, 'opsdeck.json'), '{\n\t"refresh": "3s",\n\t"checks": [{"name": "db", "tcp": "db:5432"}]\n}\n');
    const { config, source } = loadConfig({ cwd: root, env: { HOME: root }, systemDir: join(root, 'etc') });
    assert.equal(source, join(root, 'opsdeck.json'));
    assert.equal(config.refresh, 3000);
    assert.equal(config.checks[0]?.kind, 'tcp');
  });

  test('an injected exists() decides what is there', () => {
    const seen: string[] = [];
    const found = findConfigFile({
      env: { HOME: '/home/u' },
      cwd: '/w',
      exists: (path) => {
        seen.push(path);
        return path === '/etc/opsdeck/config.yaml';
      },
    });
    assert.equal(found, '/etc/opsdeck/config.yaml');
    assert.equal(seen.at(-1), '/etc/opsdeck/config.yaml');
    assert.equal(seen[0], '/w/opsdeck.yaml');
  });
});

describe('masking secrets', () => {
  test('secret key names', () => {
    for (const key of ['password', 'PGPASSWORD', 'pass', 'secret', 'clientSecret', 'token', 'api_key', 'key', 'credentials', 'auth', 'authorization', 'privateKey'])
      assert.match(key, SECRET_KEY_RE, key);
    for (const key of ['name', 'host', 'user', 'database', 'keepLast', 'url', 'container', 'port']) assert.doesNotMatch(key, SECRET_KEY_RE, key);
  });

  test('maskSecrets masks by key name and inside URLs, and copies', () => {
    const input = {
      postgres: { host: 'db', user: 'shop', password: 'hunter2', port: 5432 },
      docker: { host: 'ssh://ops@db1', tls: { key: '/etc/certs/key.pem', verify: true } },
      redis: { url: 'redis://default:s3cret@cache:6379/0' },
      alerts: { webhook: { url: 'https://hooks.example.com/T000/B000/XXXX?x=1', format: 'slack' } },
      list: [{ token: 12345 }, { apiKey: '' }, 'postgres://u:p@h/db'],
      auth: { user: 'bob', extra: 'x' },
      missing: null,
    };
    const snapshot = structuredClone(input);
    const masked = maskSecrets(input);
    assert.deepEqual(input, snapshot, 'the input is not modified');
    assert.deepEqual(masked, {
      postgres: { host: 'db', user: 'shop', password: MASK, port: 5432 },
      docker: { host: 'ssh://ops@db1', tls: { key: MASK, verify: true } },
      redis: { url: `redis://default:${MASK}@cache:6379/0` },
      alerts: { webhook: { url: `https://hooks.example.com/${MASK}`, format: 'slack' } },
      list: [{ token: MASK }, { apiKey: '' }, `postgres://u:${MASK}@h/db`],
      auth: { user: MASK, extra: MASK },
      missing: null,
    });
  });

  test('maskSecrets on a parsed config', () => {
    const config = parse(
      'backups: { targets: { db: { postgres: { container: c, database: d, password: "${PW}" } } } }\nalerts: { webhook: { url: "https://hooks.slack.com/services/T0/B0/abc" } }',
      { PW: 'pw' },
    );
    const masked = maskSecrets(config);
    assert.deepEqual(masked.backups.targets.db, { kind: 'postgres', postgres: { container: 'c', database: 'd', password: MASK } });
    assert.equal(masked.alerts.webhook?.url, `https://hooks.slack.com/${MASK}`);
    assert.equal(masked.refresh, 2000);
  });

  const urls: Array<[string, string]> = [
    ['postgres://shop:hunter2@db:5432/shop', `postgres://shop:${MASK}@db:5432/shop`],
    ['redis://:s3cret@cache:6379', `redis://:${MASK}@cache:6379`],
    ['https://user:p%40ss@example.com/x?y=1', `https://user:${MASK}@example.com/x?y=1`],
    ['https://hooks.slack.com/services/T000/B000/XXXX', `https://hooks.slack.com/${MASK}`],
    ['https://discord.com/api/webhooks/1/abc', `https://discord.com/${MASK}`],
    ['https://api.example.com/v1?token=abc&page=2&api_key=k', `https://api.example.com/v1?token=${MASK}&page=2&api_key=${MASK}`],
    ['ssh://ops@db1', 'ssh://ops@db1'],
    ['http://localhost:8000/health', 'http://localhost:8000/health'],
  ];
  for (const [input, expected] of urls) test(`maskUrl ${input}`, () => assert.equal(maskUrl(input), expected));

  const texts: Array<[string, string, string]> = [
    ['URL credentials in a sentence', 'connecting to postgres://shop:hunter2@db/shop failed', `connecting to postgres://shop:${MASK}@db/shop failed`],
    ['Bearer token', 'Authorization: Bearer eyJhbGciOi.J9.abc-def_ghi', `Authorization: Bearer ${MASK}`],
    ['Basic auth header', 'Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${MASK}`],
    ['AWS access key id', 'aws key AKIAIOSFODNN7EXAMPLE in env', `aws key ${MASK} in env`],
    [
      'PEM private key block',
      'before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nafter',
      `before\n-----BEGIN RSA PRIVATE KEY-----\n${MASK}\n-----END RSA PRIVATE KEY-----\nafter`,
    ],
    ['cut-off PEM block', 'x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg', `x\n-----BEGIN PRIVATE KEY-----\n${MASK}`],
    ['env assignments', 'POSTGRES_PASSWORD=hunter2 POSTGRES_USER=shop', `POSTGRES_PASSWORD=${MASK} POSTGRES_USER=shop`],
    ['docker inspect Env', '"Env": ["POSTGRES_PASSWORD=two words", "PATH=/usr/bin"]', `"Env": ["POSTGRES_PASSWORD=${MASK}", "PATH=/usr/bin"]`],
    ['JSON pair', '{"password": "hunter2", "user": "shop"}', `{"password": "${MASK}", "user": "shop"}`],
    ['YAML-ish pair and flag', 'token: abc123 --db-password=xyz', `token: ${MASK} --db-password=${MASK}`],
    ['nothing secret', 'GET /health 200 in 12ms', 'GET /health 200 in 12ms'],
    ['password prose is left alone', 'password authentication failed for user "shop"', 'password authentication failed for user "shop"'],
  ];
  for (const [label, input, expected] of texts) test(`redactText: ${label}`, () => assert.equal(redactText(input), expected));

  test('redactText is idempotent', () => {
    for (const [, input] of texts) assert.equal(redactText(redactText(input)), redactText(input));
  });
});
