// The incident timeline against the real engine: an incident (SIGKILL, OOM kill, a failing health
// check, a restart by opsdeck) shows in order with exit codes, the OOM and the operator action; it is
// in the state store after a fresh process (the CLI's backfill recorded it, no cockpit ran); the
// recorder attached to a DockerModel records live and backfills what it missed; the report draft.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerModel } from '../../src/model/dockerModel.js';
import { openState, type DB } from '../../src/store/db.js';
import { readTimeline } from '../../src/timeline/read.js';
import { startEventRecorder } from '../../src/timeline/recorder.js';
import type { TimelineEntry } from '../../src/timeline/types.js';
import { docker, endpoint, inspect, opsdeck, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';

type JsonEntry = TimelineEntry & { time: string };

const RUN = `tlC-${process.pid}`;

describe('timeline: an incident, recorded by the CLI with no cockpit running', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-timeline-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'opsdeck-timeline-data-'));
  const sd = ['--state-dir', stateDir];
  const env = { XDG_DATA_HOME: dataDir };
  const names = { kill: `${RUN}-kill`, oom: `${RUN}-oom`, health: `${RUN}-health`, restart: `${RUN}-restart` };
  const timeline = async (...args: string[]) => {
    const res = await opsdeck(['timeline', '--json', '--since', '10m', '--match', RUN, ...sd, ...args], { env });
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as JsonEntry[];
  };

  before(async () => {
    await Promise.all([
      runTestContainer(names.kill, []),
      // Allocates without bound once /tmp/go exists: the kernel kills it at the 8 MiB limit.
      runTestContainer(names.oom, ['--memory', '8m', '--memory-swap', '8m'], 'busybox:1.36', ['sh', '-c', 'while [ ! -f /tmp/go ]; do sleep 0.1; done; x=a; while true; do x=$x$x; done']),
      runTestContainer(names.health, ['--health-cmd', 'test ! -f /tmp/broken', '--health-interval', '1s', '--health-retries', '1', '--health-timeout', '2s']),
      runTestContainer(names.restart, []),
    ]);
    await waitFor(`${names.health} healthy`, async () => (await inspect(names.health)).State.Health?.Status === 'healthy', 20_000);
  });
  after(async () => {
    await removeTestContainers();
    for (const d of [stateDir, dataDir]) { chmodSync(d, 0o700); rmSync(d, { recursive: true, force: true }); }
  });

  it('SIGKILL, OOM kill, failing health check, restart by opsdeck: each in order, with exit codes, the OOM and the action', async () => {
    await docker('kill', '-s', 'KILL', names.kill);
    await waitFor(`${names.kill} exited`, async () => (await inspect(names.kill)).State.Status === 'exited');
    await docker('exec', names.oom, 'touch', '/tmp/go');
    await waitFor(`${names.oom} OOM killed`, async () => {
      const s = (await inspect(names.oom)).State as { Status: string; OOMKilled?: boolean };
      return s.Status === 'exited' && s.OOMKilled === true;
    });
    await docker('exec', names.health, 'touch', '/tmp/broken');
    await waitFor(`${names.health} unhealthy`, async () => (await inspect(names.health)).State.Health?.Status === 'unhealthy');
    const restarted = await opsdeck(['restart', names.restart, '--yes', '--timeout', '1', ...sd], { env });
    assert.equal(restarted.code, 0, restarted.stderr);

    const feed = await timeline();
    const find = (what: string, pred: (e: JsonEntry) => boolean) => {
      const i = feed.findIndex(pred);
      assert.ok(i >= 0, `${what} is on the timeline:\n${feed.map((e) => `${e.time} ${e.source} ${e.subject}: ${e.message}`).join('\n')}`);
      return i;
    };
    const killSent = find('the SIGKILL', (e) => e.subject === names.kill && e.kind === 'kill' && e.message === 'sent SIGKILL');
    const killDie = find('the killed container\'s death', (e) => e.subject === names.kill && e.kind === 'die');
    const oom = find('the OOM', (e) => e.subject === names.oom && e.kind === 'oom');
    const oomDie = find('the OOM-killed container\'s death', (e) => e.subject === names.oom && e.kind === 'die');
    const unhealthy = find('the failing health check', (e) => e.subject === names.health && e.kind === 'health_status: unhealthy');
    const action = find('the operator\'s restart', (e) => e.source === 'action' && e.subject === names.restart);
    const restartEvent = find('Docker\'s restart event', (e) => e.subject === names.restart && e.kind === 'restart');
    assert.ok(killSent < killDie && killDie < oom && oom < oomDie && oomDie < unhealthy && unhealthy < action && action < restartEvent,
      `in order: ${[killSent, killDie, oom, oomDie, unhealthy, action, restartEvent].join(' < ')}`);

    assert.equal(feed[killDie]!.exitCode, 137);
    assert.equal(feed[killDie]!.message, 'died (exit 137: SIGKILL)');
    assert.equal(feed[killDie]!.severity, 'crit');
    assert.equal(feed[oomDie]!.exitCode, 137);
    assert.equal(feed[oomDie]!.message, 'died (exit 137, OOM killed)');
    assert.equal(feed[unhealthy]!.severity, 'crit');
    assert.match(feed[action]!.message, /^restart by .+: ok \(took /);
    assert.equal(feed[action]!.container, names.restart);
    // The restart's own stop is not a crash.
    const restartDie = feed.find((e) => e.subject === names.restart && e.kind === 'die');
    assert.ok(restartDie, 'the restart\'s die is recorded');
    assert.equal(restartDie.severity, 'info');
    assert.match(restartDie.message, /^exited on stop \(exit 137\)$/);
    for (let i = 1; i < feed.length; i++) assert.ok(feed[i - 1]!.at <= feed[i]!.at, 'oldest first');
  });

  it('is still there for a fresh process that does not ask Docker: the first CLI run persisted it', async () => {
    const fresh = await timeline('--no-backfill');
    assert.ok(fresh.some((e) => e.subject === names.kill && e.kind === 'die' && e.exitCode === 137));
    assert.ok(fresh.some((e) => e.subject === names.oom && e.message === 'died (exit 137, OOM killed)'));
    assert.ok(fresh.some((e) => e.source === 'action' && e.subject === names.restart));
    // Asking Docker again adds nothing twice.
    const again = await timeline();
    assert.equal(again.length, fresh.length);
    assert.deepEqual(again.map((e) => e.key), fresh.map((e) => e.key));
  });

  it('the table for people, source filter, Docker unreachable is a note and the store is still read', async () => {
    const table = await opsdeck(['timeline', '--since', '10m', '--match', RUN, '--source', 'docker', ...sd], { env });
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^TIME \(UTC\) +SOURCE +SEV +SUBJECT +MESSAGE$/);
    assert.ok(lines.some((l) => new RegExp(`docker +CRIT ${names.kill} +died \\(exit 137: SIGKILL\\)$`).test(l)), table.stdout);
    assert.ok(!lines.some((l) => / action /.test(l)), 'only Docker events');

    const down = await opsdeck(['timeline', '--json', '--since', '10m', '--match', RUN, '--docker-host', 'unix:///nonexistent/docker.sock', ...sd], { env });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /could not read Docker's recent events \(.+\); showing what is recorded/);
    assert.ok((JSON.parse(down.stdout) as JsonEntry[]).some((e) => e.subject === names.kill && e.kind === 'die'));
  });

  it('bad options: exit 2 with the reason; --help documents the exit codes', async () => {
    const bad = await opsdeck(['timeline', '--source', 'dockr', ...sd]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--source: unknown source "dockr" \(one of: docker, alert, check, maintenance, action\)/);
    const since = await opsdeck(['timeline', '--since', 'yesterday', ...sd]);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /--since: expected a duration like "15m" or "2h"/);
    for (const cmd of [['timeline'], ['incident', 'report']]) {
      const help = await opsdeck([...cmd, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Exit status: 0 /);
    }
  });

  it('incident report: the events in order and the action taken; written 0600, never over an existing file', async () => {
    const res = await opsdeck(['incident', 'report', '--since', '10m', '--match', RUN, '--out', '-', ...sd], { env });
    assert.equal(res.code, 0, res.stderr);
    const md = res.stdout;
    assert.match(md, /^# Incident Report: /);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Time'));
    const at = (re: RegExp) => {
      const i = rows.findIndex((r) => re.test(r));
      assert.ok(i >= 0, `${re} in the report's timeline:\n${rows.join('\n')}`);
      return i;
    };
    const order = [
      at(new RegExp(`${names.kill} \\| \\*\\*died \\(exit 137: SIGKILL\\)\\*\\*`)),
      at(new RegExp(`${names.oom} \\| \\*\\*died \\(exit 137, OOM killed\\)\\*\\*`)),
      at(new RegExp(`${names.health} \\| \\*\\*health check failing: unhealthy\\*\\*`)),
      at(new RegExp(`action \\| ${names.restart} \\| restart by `)),
    ];
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'in the order they happened');
    const resolution = md.slice(md.indexOf('## Resolution'), md.indexOf('## Impact'));
    assert.match(resolution, new RegExp(`\`container\\.restart\` container/${names.restart} by .+: \\*\\*ok\\*\\*`));
    assert.match(md, /\*\*Duration:\*\* \d\d:\d\d:\d\d UTC – ongoing/, 'the killed and OOM-killed containers are still down');
    assert.match(md, /\*\*Severity:\*\* P1/);
    const impact = md.slice(md.indexOf('## Impact'));
    for (const n of [names.kill, names.oom, names.health]) assert.match(impact, new RegExp(`- ${n}: `));

    const written = await opsdeck(['incident', 'report', '--since', '10m', '--match', RUN, ...sd], { env });
    assert.equal(written.code, 0, written.stderr);
    const path = written.stdout.trim();
    assert.match(path, new RegExp(`^${dataDir}/opsdeck/incidents/incident-.+-\\d{8}-\\d{6}\\.md$`));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(readFileSync(path, 'utf8'), /## Lessons Learned/);
    const out = join(dataDir, 'report.md');
    assert.equal((await opsdeck(['incident', 'report', '--since', '10m', '--out', out, ...sd], { env })).code, 0);
    const twice = await opsdeck(['incident', 'report', '--since', '10m', '--out', out, ...sd], { env });
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already exists: choose another --out or pass --force/);
    assert.equal((await opsdeck(['incident', 'report', '--since', '10m', '--out', out, '--force', ...sd], { env })).code, 0);
  });
});

describe('timeline: the recorder attached to a DockerModel', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-recorder-'));
  let db: DB;
  let model: DockerModel;
  const name = `${RUN}-live`;
  const t0 = Date.now();
  const recorded = () => readTimeline(db, { since: t0 - 1000, match: name }).filter((e) => e.source === 'docker');

  before(async () => {
    db = openState(stateDir).db;
    model = new DockerModel(endpoint(), { refreshMs: 60_000 });
    model.setStatsPaused(true);
    model.start();
    await waitFor('the model to connect', () => model.getSnapshot().conn.status === 'up');
  });
  after(async () => {
    model.stop();
    db.close();
    await removeTestContainers();
    chmodSync(stateDir, 0o700);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('records events live (batched), and a new recorder backfills what happened while none ran, without duplicates', async () => {
    const errors: unknown[] = [];
    const recorder = startEventRecorder(db, model, { flushMs: 100, onError: (e) => errors.push(e) });
    try {
      await runTestContainer(name, []);
      await waitFor('create and start recorded live', () => {
        const kinds = recorded().map((e) => e.kind);
        return kinds.includes('create') && kinds.includes('start');
      }, 10_000, 50);
      await docker('kill', '-s', 'KILL', name);
      const die = await waitFor('the die recorded live', () => recorded().find((e) => e.kind === 'die'), 10_000, 50);
      assert.equal(die.exitCode, 137);
      assert.equal(die.message, 'died (exit 137: SIGKILL)');
    } finally {
      recorder.stop();
    }
    assert.equal(errors.length, 0, errors.map(String).join("; "));

    // Nobody records now: start it again and remove it.
    await docker('start', name);
    await waitFor(`${name} running`, async () => (await inspect(name)).State.Status === 'running');
    await docker('rm', '-f', name);
    assert.equal(recorded().filter((e) => e.kind === 'destroy').length, 0, 'not recorded yet');

    const next = startEventRecorder(db, model, { flushMs: 100, onError: (e) => errors.push(e) });
    try {
      await next.backfill();
      const kinds = recorded().map((e) => e.kind);
      assert.deepEqual(kinds.filter((k) => k !== 'kill'), ['create', 'start', 'die', 'start', 'die', 'destroy']);
      assert.equal(new Set(recorded().map((e) => e.key)).size, kinds.length);
    } finally {
      next.stop();
    }
    assert.equal(errors.length, 0, errors.map(String).join("; "));
  });
});
