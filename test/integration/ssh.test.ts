// Docker over SSH for real: the transport spawns the system's ssh against a local sshd
// (test/env/sshd.sh: Debian's openssh-server on 127.0.0.1:2222, key auth only, strict host key
// checking), whose `docker system dial-stdio` reaches the main engine. Nothing is mocked: the
// same engine is read through ssh and through its socket and the answers must agree.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { sshDockerOptions, type SshTarget } from '../../src/docker/sshTransport.js';
import { REPO, docker, removeTestContainers, runTestContainer, waitFor } from '../helpers/docker.js';

const run = promisify(execFile);
const CLIENT_CONFIG = '/var/lib/opsdeck-sshd/client/ssh_config';
const TARGET: SshTarget = { host: 'opsdeck-test-ssh', configFile: CLIENT_CONFIG };

/** The ssh processes this test process has running (pgrep -P: children only, so other tests' don't count). */
async function sshChildren(): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(process.pid), '-x', 'ssh']);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch (e) {
    if ((e as { code?: number }).code === 1) return []; // pgrep: nothing matched
    throw e;
  }
}

const noSshLeft = (what: string) => waitFor(what, async () => (await sshChildren()).length === 0 || null, 10_000);

/** A dockerode client through ssh, with its agent destroyed when the test ends. */
function sshClient(t: { after: (fn: () => void) => void }, target: SshTarget = TARGET): Docker {
  const opts = sshDockerOptions(target);
  t.after(() => opts.agent.destroy());
  return new Docker(opts);
}

/** p, or a rejection naming `what` after ms (the timer never outlives p: the run exits on time). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} (waited ${ms} ms)`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

interface EngineEvent { status?: string; Action?: string; id?: string }

/** Collects the newline-delimited JSON events of a stream as they come. */
function collectEvents(stream: NodeJS.ReadableStream): EngineEvent[] {
  const seen: EngineEvent[] = [];
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) seen.push(JSON.parse(l) as EngineEvent);
  });
  return seen;
}

describe('Docker over the system ssh (local sshd, main engine behind it)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-ssh-'));
  const name = (what: string) => `opsdeck-ssh-${what}-${process.pid}`;

  before(async () => {
    await run('bash', [join(REPO, 'test/env/sshd.sh'), 'start'], { timeout: 300_000 });
  });
  after(async () => {
    await removeTestContainers();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the same containers as the engine\'s own socket', async (t) => {
    const id = await runTestContainer(name('list'), []);
    const viaSsh = await sshClient(t).listContainers({ all: true });
    const direct = (await docker('ps', '-aq', '--no-trunc')).split('\n').filter(Boolean);
    assert.deepEqual(viaSsh.map((c) => c.Id).sort(), direct.sort());
    const mine = viaSsh.find((c) => c.Id === id);
    assert.ok(mine, 'the test container is in the list read through ssh');
    assert.deepEqual(mine.Names, [`/${name('list')}`]);
    assert.equal(mine.State, 'running');
  });

  it('delivers a start event through the events stream; stopping the stream ends its ssh', async (t) => {
    assert.deepEqual(await sshChildren(), [], 'no ssh running before');
    const client = sshClient(t);
    const abort = new AbortController();
    t.after(() => abort.abort());
    const stream = (await client.getEvents({ filters: { type: ['container'], container: [name('events')] }, abortSignal: abort.signal } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    stream.on('error', () => { /* the abort below */ });
    assert.equal((await sshChildren()).length, 1, 'one ssh carries the stream');
    const seen = collectEvents(stream);
    const id = await runTestContainer(name('events'), []);
    await waitFor('the start event through ssh', () => seen.some((e) => (e.status ?? e.Action) === 'start' && e.id === id));
    abort.abort();
    await noSshLeft('the stream\'s ssh to end after the stream is stopped');
  });

  it('follows logs and streams stats through ssh, and a dozen streams do not starve short calls', async (t) => {
    const id = await runTestContainer(name('logs'), [], 'busybox:1.36', ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "ssh line $i"; sleep 0.2; done']);
    const client = sshClient(t);
    const c = client.getContainer(id);

    const logs = (await c.logs({ follow: true, stdout: true, stderr: true, tail: 0 })) as NodeJS.ReadableStream & { destroy(): void };
    t.after(() => logs.destroy());
    // Lines written after the stream opened: it follows, it is not a history dump.
    const line = await within(new Promise<string>((resolve, reject) => {
      logs.on('data', (b: Buffer) => { const m = /ssh line \d+/.exec(b.toString('utf8')); if (m) resolve(m[0]); });
      logs.on('error', reject);
    }), 10_000, 'no followed log line');
    assert.match(line, /^ssh line \d+$/);

    const stats = (await c.stats({ stream: true })) as NodeJS.ReadableStream & { destroy(): void };
    t.after(() => stats.destroy());
    const got: { read: string; memory_stats: { usage?: number } }[] = [];
    const samples = await within(new Promise<typeof got>((resolve, reject) => {
      let buf = '';
      stats.on('data', (b: Buffer) => {
        buf += b.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) got.push(JSON.parse(l));
        if (got.length >= 2) resolve(got);
      });
      stats.on('error', reject);
    }), 10_000, 'fewer than two stats samples');
    assert.notEqual(samples[0]!.read, samples[1]!.read, 'two distinct samples, a second apart');
    assert.ok((samples[1]!.memory_stats.usage ?? 0) > 0, 'memory usage reported');

    // Ten more followed logs hold ten connections; calls must still get through the pool.
    const more: (NodeJS.ReadableStream & { destroy(): void })[] = [];
    t.after(() => { for (const s of more) s.destroy(); });
    // Opened all at once, as the log view opens a project's services: the agent paces the ssh
    // handshakes, so none is dropped by sshd's MaxStartups.
    more.push(...(await Promise.all(Array.from({ length: 10 }, () => c.logs({ follow: true, stdout: true, tail: 0 })))) as (NodeJS.ReadableStream & { destroy(): void })[]);
    const calls = await within(Promise.all([client.ping(), c.inspect(), c.stats({ stream: false })]), 15_000, 'calls starved behind streams');
    assert.equal(calls[1].Id, id);
    assert.ok((await sshChildren()).length >= 12, 'each stream has an ssh of its own');

    logs.destroy(); stats.destroy();
    for (const s of more) s.destroy();
    await waitFor('only the pooled calls\' ssh connections left', async () => (await sshChildren()).length <= 3 || null, 10_000);
  });

  it('a burst of 24 streams at once: every one opens (handshakes paced under sshd\'s default MaxStartups)', async (t) => {
    const client = sshClient(t);
    const abort = new AbortController();
    t.after(() => abort.abort());
    const opened = await Promise.allSettled(Array.from({ length: 24 }, () =>
      client.getEvents({ filters: { container: [name('burst')] }, abortSignal: abort.signal } as Docker.GetEventsOptions)));
    for (const r of opened) if (r.status === 'fulfilled') (r.value as NodeJS.ReadableStream).on('error', () => { /* the abort */ });
    const failed = opened.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, [], 'no stream dropped by sshd');
    assert.equal((await sshChildren()).length, 24);
    abort.abort();
    await noSshLeft('every stream\'s ssh to end');
  });

  it('a killed ssh ends its stream with an error, not a clean end', async (t) => {
    const stream = (await sshClient(t).getEvents({ filters: { container: [name('nothing')] } } as Docker.GetEventsOptions)) as NodeJS.ReadableStream & { destroy(): void };
    t.after(() => stream.destroy());
    const ended = new Promise<string>((resolve) => {
      stream.on('error', (e: Error) => resolve(`error: ${e.message}`));
      stream.on('close', () => resolve('close'));
      stream.on('end', () => resolve('end'));
    });
    const kids = await sshChildren();
    assert.equal(kids.length, 1, 'the stream\'s ssh, alone');
    const pid = kids[0]!;
    process.kill(pid, 'SIGKILL');
    // An error, not a clean end: a clean end would look like the engine closing the stream.
    assert.match(await within(ended, 10_000, 'the stream still open after its ssh died'), /^error: /);
    await noSshLeft('nothing left after the lost connection');
  });

  it('an unknown host key is refused with ssh\'s words and code ESSH, no ssh left behind', async (t) => {
    const knownHosts = join(tmp, 'known_hosts');
    writeFileSync(knownHosts, '');
    const config = join(tmp, 'unknown_host_config');
    writeFileSync(config, readFileSync(CLIENT_CONFIG, 'utf8').replaceAll('/var/lib/opsdeck-sshd/client/known_hosts', knownHosts));
    const err = await sshClient(t, { host: 'opsdeck-test-ssh', configFile: config }).listContainers().then(
      () => assert.fail('listed containers through a host whose key is not known'),
      (e: unknown) => e as { code?: string; message: string },
    );
    assert.equal(err.code, 'ESSH');
    assert.equal(err.message, 'Host key verification failed.');
    assert.equal(readFileSync(knownHosts, 'utf8'), '', 'the unknown key was not written to known_hosts');
    await noSshLeft('no ssh left after the refusal');
  });

  it('a key the server does not accept gives Permission denied (publickey), code ESSH', async (t) => {
    const key = join(tmp, 'other_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    // The test config without its own key: only the one given as `identity` (ssh -i) is offered.
    const config = join(tmp, 'other_key_config');
    writeFileSync(config, readFileSync(CLIENT_CONFIG, 'utf8').replace(/^\s*IdentityFile .*$/m, ''));
    const err = await sshClient(t, { host: 'opsdeck-test-ssh', configFile: config, identity: key })
      .ping().then(
        () => assert.fail('pinged with a key the server does not know'),
        (e: unknown) => e as { code?: string; message: string },
      );
    assert.equal(err.code, 'ESSH');
    assert.match(err.message, /Permission denied \(publickey\)/);
    await noSshLeft('no ssh left after the refusal');
  });

  it('a port nobody listens on: Connection refused, code ESSH', async (t) => {
    const err = await sshClient(t, { host: '127.0.0.1', port: 1 }).ping().then(
      () => assert.fail('pinged through a closed port'),
      (e: unknown) => e as { code?: string; message: string },
    );
    assert.equal(err.code, 'ESSH');
    assert.match(err.message, /port 1: Connection refused/);
  });

  it('an idle pooled connection ends its ssh after idleMs; the next call dials again', async (t) => {
    const opts = sshDockerOptions(TARGET, { idleMs: 800 });
    t.after(() => opts.agent.destroy());
    const client = new Docker(opts);
    await client.ping();
    assert.equal((await sshChildren()).length, 1, 'the call\'s connection stays in the pool');
    await client.version();
    assert.equal((await sshChildren()).length, 1, 'and the next call reuses it');
    await noSshLeft('the idle ssh to end');
    assert.equal(String(await client.ping()), 'OK');
  });

  it('destroying the agent ends its pooled ssh processes', async () => {
    const opts = sshDockerOptions(TARGET);
    const client = new Docker(opts);
    await Promise.all([client.ping(), client.version(), client.listContainers()]);
    assert.ok((await sshChildren()).length >= 1, 'kept-alive connections in the pool');
    opts.agent.destroy();
    await noSshLeft('the pooled ssh processes to end');
  });
});
