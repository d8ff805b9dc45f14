// The diagnostics bundle and the container detail against the real engine: secrets seeded in
// environment variables, the config, a URL and log lines never reach the bundle (every extracted
// file is searched); the file is 0600; a log over the cap is cut to its newest lines with a note;
// containers removed half-way and a daemon that answers slowly become notes, not failures; the
// detail of a container with a failing healthcheck and of an OOM-killed one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, docker, opsdeck, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';
import { parseConfigText } from '../../config/load.js';
import { createReader } from '../../src/docker/client.js';
import { resolveEndpoint } from '../../src/docker/endpoint.js';
import { writeDiagBundle } from '../../src/diag/bundle.js';
import { gatherContainerDetail } from '../../src/diag/containerDetail.js';

const mode = (file: string) => statSync(file).mode & 0o777;

/** Every file below dir (recursive), relative names. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Extracts a bundle with the system tar; returns its top directory. */
function extract(file: string, into: string): string {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', file, '-C', into]);
  const [top] = readdirSync(into);
  assert.ok(top, 'the bundle has a top directory');
  return join(into, top);
}

// Seeded secrets: none of these may appear in any file of the bundle.
const SECRETS = {
  envPassword: 'dgB-env-pass-1',
  envToken: 'dgB-env-token-2',
  envUrlPassword: 'dgB-url-pass-3',
  bearer: 'dgB-bearer-4',
  logUrlPassword: 'dgB-log-url-5',
  pemBody: 'dgBpemBody6',
  awsKey: 'AKIADGBTESTKEY000001',
  pgPassword: 'dgB-pg-pass-8',
  sqlPassword: 'dgB-sql-pass-9',
  redisPassword: 'dgB-cfg-redis-pw',
  hookPassword: 'dgB-hook-pass-7',
  hookPath: 'dgB-hook-path',
  cfgPgPassword: 'dgB-cfg-pg-pw',
  logKv: 'dgB-kv-secret-10',
  // The demo stack's (when it is up: the test suite runs it): POSTGRES_PASSWORD and DATABASE_URL.
  demoStack: 'shop-secret-pw',
};

const secretsScript = [
  'echo "GET /api request Authorization: Bearer dgB-bearer-4 from 10.0.0.1"',
  'echo "connecting to postgres://app:dgB-log-url-5@db:5432/app"',
  'echo "-----BEGIN RSA PRIVATE KEY-----"',
  'echo "dgBpemBody6"',
  'echo "-----END RSA PRIVATE KEY-----"',
  'echo "using aws key AKIADGBTESTKEY000001"',
  'echo "level=error msg=\\"login failed\\" api_secret=dgB-kv-secret-10 user=bob" >&2',
  'echo "monkey business as usual"',
  'sleep 600',
].join('; ');

describe('opsdeck diag', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-diag-it-'));
  const stateDir = join(root, 'state');
  const configFile = join(root, 'opsdeck.yaml');
  const g = ['--config', configFile, '--state-dir', stateDir];

  before(async () => {
    writeFileSync(configFile, [
      'alerts:',
      `  webhook: { url: "https://ops:${SECRETS.hookPassword}@hooks.example.com/services/${SECRETS.hookPath}" }`,
      'checks:',
      `  - { name: dgB-redis-check, redis: { container: dgB-redis, password: "${SECRETS.redisPassword}" } }`,
      'backups:',
      '  targets:',
      `    dgb-pg: { postgres: { container: dgB-pg, database: dgb, user: dgb, password: "${SECRETS.cfgPgPassword}" } }`,
      '',
    ].join('\n'));
    await Promise.all([
      runTestContainer('dgB-secrets', [
        '-e', `DB_PASSWORD=${SECRETS.envPassword}`, '-e', `API_TOKEN=${SECRETS.envToken}`,
        '-e', `DATABASE_URL=postgres://shop:${SECRETS.envUrlPassword}@db:5432/shop`, '-e', 'MONKEY=dgB-monkey-visible',
      ], 'busybox:1.36', ['sh', '-c', secretsScript]),
      // ~1.3 MB of log lines, then a last line: more than the 256 KiB cap of the test.
      runTestContainer('dgB-chatty', [], 'busybox:1.36', ['sh', '-c', 'seq 1 20000 | sed "s/^/dgB chatty line padding padding padding padding /"; echo dgB-chatty-last-line; sleep 600']),
      runTestContainer('dgB-redis', [], 'redis:7', ['redis-server', '--requirepass', SECRETS.redisPassword]),
      runTestContainer('dgB-pg', ['-e', 'POSTGRES_USER=dgb', '-e', 'POSTGRES_DB=dgb', '-e', `POSTGRES_PASSWORD=${SECRETS.pgPassword}`], 'postgres:15', ['postgres']),
    ]);
    await waitFor('dgB-pg ready', async () => (await docker('exec', 'dgB-pg', 'pg_isready', '-U', 'dgb', '-d', 'dgb', '-h', '127.0.0.1').catch(() => '')).includes('accepting'), 60_000, 300);
    // A session whose query text carries a password (a comment here), seen in pg_stat_activity.
    await docker('exec', '-d', 'dgB-pg', 'psql', '-U', 'dgb', '-d', 'dgb', '-c', `SELECT pg_sleep(300) -- ALTER ROLE dgb PASSWORD '${SECRETS.sqlPassword}'`);
    await waitFor('the sleeping session', async () => (await docker('exec', 'dgB-pg', 'psql', '-U', 'dgb', '-d', 'dgb', '-At', '-c', "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")) === '1', 15_000);
    await waitFor('dgB-chatty done', async () => (await docker('logs', '--tail', '1', 'dgB-chatty')).includes('dgB-chatty-last-line'), 30_000);
    await waitFor('dgB-secrets logged', async () => (await docker('logs', 'dgB-secrets')).includes('monkey business'), 15_000);
  });

  after(async () => {
    await removeTestContainers();
    rmSync(root, { recursive: true, force: true });
  });

  let top = '';
  let bundle = '';

  it('writes a 0600 tar.gz named after host and incident, prints its path, SUMMARY.md first', async () => {
    const out = join(root, 'out');
    mkdirSync(out);
    const res = await opsdeck(['diag', '--since', '10m', '--out', out, ...g], { env: { OPSDECK_DIAG_LOG_CAP: '256KiB' }, timeoutMs: 180_000 });
    assert.equal(res.code, 0, res.stderr);
    bundle = res.stdout.trim();
    assert.match(bundle, new RegExp(`^${out}/opsdeck-diag-[A-Za-z0-9._-]+-\\d{8}T\\d{6}Z\\.tar\\.gz$`));
    assert.equal(mode(bundle), 0o600);
    assert.deepEqual(readdirSync(out), [bundle.slice(out.length + 1)], 'no .partial and no staging directory left');
    assert.match(res.stderr, /… listing containers/);
    assert.match(res.stderr, /wrote \d+ files, .* compressed/);
    const listing = execFileSync('tar', ['-tvzf', bundle], { encoding: 'utf8' }).trim().split('\n');
    assert.match(listing[0]!, /^-rw------- .*\/SUMMARY\.md$/);
    assert.match(listing[1]!, /\/errors\.txt$/);
    for (const line of listing.filter((l) => l.startsWith('-'))) assert.match(line, /^-rw------- /, line);
    top = extract(bundle, join(root, 'x'));
  });

  it('holds what an incident needs', () => {
    const files = filesUnder(top);
    for (const f of [
      'SUMMARY.md', 'errors.txt', 'opsdeck/about.txt', 'opsdeck/config.yaml', 'host/host.json', 'docker/version.json', 'docker/info.json',
      'docker/containers.json', 'docker/stats.json', 'health.json', 'health.txt',
      'containers/dgB-secrets/inspect.json', 'containers/dgB-secrets/logs.txt', 'containers/dgB-chatty/logs.txt',
      'postgres/dgB-pg/pg_stat_activity.txt', 'postgres/dgB-pg/locks.txt', 'redis/dgB-redis/info.txt',
    ]) assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
    const host = JSON.parse(readFileSync(join(top, 'host/host.json'), 'utf8')) as { uptimeSec: number; memTotalBytes: number; disks: unknown[]; load1: number };
    assert.ok(host.uptimeSec > 0 && host.memTotalBytes > 0 && Array.isArray(host.disks) && typeof host.load1 === 'number');
    const stats = JSON.parse(readFileSync(join(top, 'docker/stats.json'), 'utf8')) as { containers: { name: string; memUsedBytes: number }[] };
    assert.ok(stats.containers.some((c) => c.name === 'dgB-redis' && c.memUsedBytes > 0));
    // The database state: the sleeping session, with its password masked; Redis answered INFO through the config's password.
    const activity = readFileSync(join(top, 'postgres/dgB-pg/pg_stat_activity.txt'), 'utf8');
    assert.match(activity, /SELECT pg_sleep\(300\) -- ALTER ROLE dgb PASSWORD '\*{8}'/);
    assert.match(readFileSync(join(top, 'redis/dgB-redis/info.txt'), 'utf8'), /^redis_version:7/m);
    assert.match(readFileSync(join(top, 'redis/dgB-redis/info.txt'), 'utf8'), /^connected_clients:\d+/m);
    const health = JSON.parse(readFileSync(join(top, 'health.json'), 'utf8')) as { name: string; status: string }[];
    assert.equal(health.find((h) => h.name === 'dgB-redis-check')?.status, 'ok');
    // Logs with UTC time and stream; ordinary words left alone.
    const logs = readFileSync(join(top, 'containers/dgB-secrets/logs.txt'), 'utf8');
    assert.match(logs, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stdout GET \/api request Authorization: Bearer \*{8} from 10\.0\.0\.1$/m);
    assert.match(logs, /Z stderr level=error msg="login failed" api_secret=\*{8} user=bob$/m);
    assert.match(logs, /stdout monkey business as usual$/m);
    const inspect = JSON.parse(readFileSync(join(top, 'containers/dgB-secrets/inspect.json'), 'utf8')) as { Config: { Env: string[] } };
    assert.ok(inspect.Config.Env.includes('MONKEY=dgB-monkey-visible'), 'an ordinary name is not masked');
    assert.ok(inspect.Config.Env.includes('DB_PASSWORD=********'));
    const summary = readFileSync(join(top, 'SUMMARY.md'), 'utf8');
    assert.match(summary, /\| window \| .* \(10m\) \|/);
    assert.match(summary, /- Containers: \d+ — \d+ running/);
  });

  it('no seeded secret appears in any file of the bundle', () => {
    const files = filesUnder(top);
    assert.ok(files.length > 15);
    const leaks: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(top, f), 'latin1');
      for (const [label, secret] of Object.entries(SECRETS)) if (text.includes(secret)) leaks.push(`${label} in ${f}`);
    }
    assert.deepEqual(leaks, []);
    // And the masked config still says where things are.
    const config = readFileSync(join(top, 'opsdeck/config.yaml'), 'utf8');
    assert.match(config, /url: https:\/\/ops:\*{8}@hooks\.example\.com\//);
  });

  it('a log over the cap keeps its newest lines within the cap, with a note first and in SUMMARY.md', () => {
    const file = join(top, 'containers/dgB-chatty/logs.txt');
    assert.ok(statSync(file).size <= 256 * 1024, `${statSync(file).size} bytes`);
    const text = readFileSync(file, 'utf8');
    assert.match(text.split('\n')[0]!, /^\[opsdeck\] cut: this file keeps the newest lines of the window up to the 256 KiB cap; \d+ earlier lines/);
    assert.match(text, /stdout dgB-chatty-last-line\n$/);
    assert.match(readFileSync(join(top, 'SUMMARY.md'), 'utf8'), /## Cut[\s\S]*- containers\/dgB-chatty\/logs\.txt: keeps the newest lines/);
    assert.match(readFileSync(join(top, 'errors.txt'), 'utf8'), /^cut: containers\/dgB-chatty\/logs\.txt/m);
  });

  it('exit codes: a bad --since is 2, an existing --out file is 1 and left alone', async () => {
    const bad = await opsdeck(['diag', '--since', 'yesterday', ...g]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since: expected a duration/);
    const existing = join(root, 'taken.tar.gz');
    writeFileSync(existing, 'mine');
    const taken = await opsdeck(['diag', '--no-logs', '--out', existing, ...g], { timeoutMs: 120_000 });
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already exists/);
    assert.equal(readFileSync(existing, 'utf8'), 'mine');
  });

  it('without --out: STATE_DIR/diag (0700); --json gives the result', async () => {
    const res = await opsdeck(['diag', '--no-logs', '--json', ...g], { timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr);
    const r = JSON.parse(res.stdout) as { file: string; bytes: number; id: string; files: number; notes: string[] };
    assert.equal(r.file.startsWith(join(stateDir, 'diag', 'opsdeck-diag-')), true, r.file);
    assert.ok(r.file.endsWith(`-${r.id}.tar.gz`));
    assert.equal(mode(join(stateDir, 'diag')), 0o700);
    assert.equal(mode(r.file), 0o600);
    assert.equal(statSync(r.file).size, r.bytes);
    const names = execFileSync('tar', ['-tzf', r.file], { encoding: 'utf8' });
    assert.doesNotMatch(names, /logs\.txt/);
    assert.match(names, /inspect\.json/);
  });

  it('--help says what is collected, the redaction and the exit codes', async () => {
    const res = await opsdeck(['diag', '--help']);
    assert.equal(res.code, 0);
    for (const text of ['--since', '--out', '--no-logs', 'pg_stat_activity', 'SUMMARY.md', 'OPSDECK_DIAG_LOG_CAP', 'Exit status']) assert.ok(res.stdout.includes(text), text);
  });
});

describe('writeDiagBundle when the world changes under it', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-diag-it2-'));
  const config = parseConfigText('', { source: 'test', env: {} });
  let proxy: net.Server | undefined;

  before(async () => {
    await Promise.all([
      runTestContainer('dgB-gone-early', [], 'busybox:1.36', ['sh', '-c', 'echo early; sleep 600']),
      runTestContainer('dgB-gone-late', [], 'busybox:1.36', ['sh', '-c', 'echo late; sleep 600']),
      runTestContainer('dgB-slowlogs', [], 'busybox:1.36', ['sh', '-c', 'echo slow; sleep 600']),
    ]);
  });

  after(async () => {
    proxy?.close();
    await removeTestContainers();
    rmSync(root, { recursive: true, force: true });
  });

  it('containers removed after the listing and during log collection are noted; the bundle is written', async () => {
    const rm = (name: string) => spawnSync(DOCKER, ['rm', '-f', name], { stdio: 'ignore' });
    const seen: string[] = [];
    const out = join(root, 'gone');
    const r = await writeDiagBundle({
      docker: createReader(resolveEndpoint({ env: process.env })), db: null, config, configSource: null, stateDir: join(root, 'state'),
      since: Date.now() - 600_000, out: `${out}/`, logs: true,
      onProgress: (msg) => {
        seen.push(msg);
        // Synchronous on purpose: the container is gone before collection goes on.
        if (msg.startsWith('found ')) rm('dgB-gone-early');
        if (msg.endsWith(': dgB-gone-late')) rm('dgB-gone-late');
      },
    });
    assert.ok(seen.some((m) => m.endsWith(': dgB-gone-late')), 'the late one reached log collection');
    assert.ok(existsSync(r.file) && mode(r.file) === 0o600);
    assert.ok(r.notes.includes('container dgB-gone-early: removed while the bundle was being collected'), r.notes.join('\n'));
    assert.ok(r.notes.includes('container dgB-gone-late: removed while the bundle was being collected'), r.notes.join('\n'));
    const top = extract(r.file, join(root, 'gone-x'));
    const summary = readFileSync(join(top, 'SUMMARY.md'), 'utf8');
    assert.match(summary, /## Not collected\n\n[\s\S]*- container dgB-gone-early: removed while the bundle was being collected/);
    assert.match(readFileSync(join(top, 'errors.txt'), 'utf8'), /not collected: container dgB-gone-late: removed/);
    // The late one's log file says so at its end.
    assert.match(readFileSync(join(top, 'containers/dgB-gone-late/logs.txt'), 'utf8'), /\[opsdeck\] the container was removed while its logs were read\n$/);
  });

  it('a daemon that answers slowly: the parts that time out are noted, the rest is collected', async () => {
    const slowId = await docker('inspect', '-f', '{{.Id}}', 'dgB-slowlogs');
    const sock = join(root, 'slow.sock');
    // A proxy in front of the real engine that holds `GET /info` and dgB-slowlogs' logs for 20 s.
    const slow = new RegExp(`^(?:GET|POST) (?:/v[\\d.]+)?(?:/info|/containers/(?:${slowId}|dgB-slowlogs)/logs)[?\\s]`);
    proxy = net.createServer((client) => {
      const upstream = net.connect('/var/run/docker.sock');
      let held = false;
      client.on('data', (chunk: Buffer) => {
        if (held) return;
        if (slow.test(chunk.toString('latin1', 0, 300))) {
          held = true;
          setTimeout(() => { if (!client.destroyed) upstream.write(chunk); }, 20_000).unref();
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      const close = () => { client.destroy(); upstream.destroy(); };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => proxy!.listen(sock, resolve));
    const started = Date.now();
    const r = await writeDiagBundle({
      docker: createReader(resolveEndpoint({ flag: `unix://${sock}`, env: {} })), db: null, config, configSource: null, stateDir: join(root, 'state'),
      since: Date.now() - 600_000, out: `${join(root, 'slow')}/`, logs: true,
      timeouts: { api: 2000, exec: 3000, logs: 3000, checks: 5000 },
    });
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
    assert.ok(r.notes.includes('docker info: no answer within 2s'), r.notes.join('\n'));
    assert.ok(r.notes.some((n) => /^logs of dgB-slowlogs: no answer within 3s \(partly collected: 0 lines\)$/.test(n)), r.notes.join('\n'));
    const top = extract(r.file, join(root, 'slow-x'));
    const files = filesUnder(top);
    assert.ok(!files.includes('docker/info.json'));
    assert.ok(files.includes('docker/version.json') && files.includes('containers/dgB-slowlogs/inspect.json'));
    assert.match(readFileSync(join(top, 'containers/dgB-slowlogs/logs.txt'), 'utf8'), /\[opsdeck\] reading stopped: no answer within 3s/);
    assert.match(readFileSync(join(top, 'SUMMARY.md'), 'utf8'), /- docker info: no answer within 2s/);
  });
});

describe('gatherContainerDetail', () => {
  after(async () => { await removeTestContainers(); });

  it('a container whose healthcheck fails: health log with outputs, state, env masked, error lines, image age', async () => {
    await runTestContainer('dgB-health', [
      '--health-cmd', 'echo dgB-probe-output; exit 1', '--health-interval', '1s', '--health-retries', '1', '--health-timeout', '2s',
      '-e', 'API_TOKEN=dgB-detail-token', '-e', 'MODE=demo', '-p', '127.0.0.1::8080',
    ], 'busybox:1.36', ['sh', '-c', 'echo "ERROR first failure"; echo "INFO fine"; echo "ERROR second failure token=dgB-detail-log"; sleep 600']);
    await waitFor('unhealthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', 'dgB-health')) === 'unhealthy', 20_000);
    const d = await gatherContainerDetail(createReader(resolveEndpoint({ env: process.env })), null, 'dgB-health');
    assert.equal(d.name, 'dgB-health');
    assert.equal(d.state, 'running');
    assert.equal(d.running, true);
    assert.equal(d.health?.status, 'unhealthy');
    assert.ok(d.health!.log.length >= 1);
    // Each probe printed its line and failed (under load one may time out instead: exit -1).
    assert.ok(d.health!.log.some((p) => p.exitCode === 1 && p.output === 'dgB-probe-output'), JSON.stringify(d.health!.log));
    assert.ok(d.health!.log.every((p) => p.exitCode !== 0 && p.start !== null && p.end !== null), JSON.stringify(d.health!.log));
    assert.match(d.health!.test ?? '', /echo dgB-probe-output/);
    // Docker does not promise the order of Config.Env: compare by name.
    const shown = d.env.filter((e) => e.name === 'API_TOKEN' || e.name === 'MODE').sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(shown, [{ name: 'API_TOKEN', value: '********' }, { name: 'MODE', value: 'demo' }]);
    assert.deepEqual(d.errorLines.map((l) => l.text), ['ERROR first failure', 'ERROR second failure token=********']);
    assert.ok(d.errorLines.every((l) => l.at !== null && l.at <= Date.now()));
    assert.match(d.ports[0] ?? '', /^127\.0\.0\.1:\d+ → 8080\/tcp$/);
    assert.equal(d.image.ref, 'busybox:1.36');
    assert.ok(d.image.created !== null && d.image.created < Date.now());
    assert.deepEqual(d.notes, ['recent events: no state store here']);
    assert.ok(!JSON.stringify(d).includes('dgB-detail-token') && !JSON.stringify(d).includes('dgB-detail-log'));
  });

  it('an OOM-killed container: exit 137, the OOM flag, the memory limit', async () => {
    await runTestContainer('dgB-oom', ['--memory', '8m', '--memory-swap', '8m'], 'busybox:1.36', ['sh', '-c', 'echo "ERROR about to allocate"; x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo never']);
    await waitFor('OOM killed', async () => (await docker('inspect', '-f', '{{.State.Status}} {{.State.OOMKilled}}', 'dgB-oom')) === 'exited true', 20_000);
    const d = await gatherContainerDetail(createReader(resolveEndpoint({ env: process.env })), null, 'dgB-oom');
    assert.equal(d.state, 'exited');
    assert.equal(d.running, false);
    assert.equal(d.exitCode, 137);
    assert.equal(d.oomKilled, true);
    assert.equal(d.limits.memoryBytes, 8 * 1024 * 1024);
    assert.equal(d.health, null);
    assert.ok(d.finishedAt !== null);
    assert.deepEqual(d.errorLines.map((l) => l.text), ['ERROR about to allocate']);
  });

  it('an unknown container is a clear error', async () => {
    await assert.rejects(gatherContainerDetail(createReader(resolveEndpoint({ env: process.env })), null, 'dgB-no-such'), /no container dgB-no-such/);
  });
});
