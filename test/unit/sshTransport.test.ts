import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandshakeGate, explainSshError, isLongLived, sshArgs, sshDockerOptions } from '../../src/docker/sshTransport.js';

const BASE = ['-T', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15'];
const REMOTE = ['docker', 'system', 'dial-stdio'];

test('sshArgs: only the host — batch mode, timeouts, then -- host and dial-stdio', () => {
  assert.deepEqual(sshArgs({ host: 'db1' }), [...BASE, '--', 'db1', ...REMOTE]);
});

test('sshArgs: each field maps to its own flag, before the --', () => {
  const cases: [string, Parameters<typeof sshArgs>[0], string[]][] = [
    ['user', { host: 'db1', user: 'ops' }, ['-l', 'ops']],
    ['port', { host: 'db1', port: 2222 }, ['-p', '2222']],
    ['config file', { host: 'db1', configFile: '/etc/opsdeck/ssh_config' }, ['-F', '/etc/opsdeck/ssh_config']],
    ['identity', { host: 'db1', identity: '/home/ops/.ssh/id_ed25519' }, ['-i', '/home/ops/.ssh/id_ed25519']],
    ['extra options', { host: 'db1', extraOptions: ['ProxyJump=bastion', 'ControlMaster=auto'] }, ['-o', 'ProxyJump=bastion', '-o', 'ControlMaster=auto']],
  ];
  for (const [what, target, flags] of cases) {
    assert.deepEqual(sshArgs(target), [...BASE, ...flags, '--', 'db1', ...REMOTE], what);
  }
});

test('sshArgs: all fields together, in a fixed order', () => {
  assert.deepEqual(
    sshArgs({ host: '2001:db8::1', user: 'ops', port: 22, configFile: '/c', identity: '/k', extraOptions: ['ProxyJump=b'] }),
    [...BASE, '-F', '/c', '-i', '/k', '-p', '22', '-l', 'ops', '-o', 'ProxyJump=b', '--', '2001:db8::1', ...REMOTE],
  );
});

test('sshArgs: never weakens host key checking nor allows prompts', () => {
  const args = sshArgs({ host: 'db1', user: 'ops', port: 2200 }).join(' ');
  assert.doesNotMatch(args, /StrictHostKeyChecking|UserKnownHostsFile/);
  assert.match(args, /BatchMode=yes/);
});

test('sshArgs: a host that looks like an option stays the destination (after --)', () => {
  const args = sshArgs({ host: '-oProxyCommand=touch /tmp/pwned' });
  const dash = args.indexOf('--');
  assert.ok(dash > 0);
  assert.equal(args[dash + 1], '-oProxyCommand=touch /tmp/pwned');
  assert.ok(!args.slice(0, dash).some((a) => a.includes('ProxyCommand')));
});

test('explainSshError: the fix for what ssh said', () => {
  const cases: [string, RegExp][] = [
    ['Host key verification failed.', /known_hosts/],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.', /known_hosts/],
    ['@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @', /known_hosts/],
    ['root@127.0.0.1: Permission denied (publickey).', /ssh-add.*identity/],
    ['ops@db1: Permission denied (publickey,password).', /ssh-add.*identity/],
    ['Received disconnect from 10.0.0.5 port 22:2: Too many authentication failures', /ssh-add/],
    ['bash: line 1: docker: command not found', /remote needs the docker CLI/],
    ['sh: 1: docker: not found', /remote needs the docker CLI/],
    ['docker: \'system dial-stdio\' is not a docker command.', /remote needs the docker CLI/],
    ['failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory', /daemon on the remote is not running/],
    ['failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: permission denied', /docker group/],
    ['ssh: connect to host 127.0.0.1 port 2299: Connection refused', /no sshd answers.*port/],
    ['ssh: connect to host db1 port 22: Connection timed out', /network/],
    ['ssh: connect to host 10.9.9.9 port 22: No route to host', /network/],
    ['kex_exchange_identification: read: Connection reset by peer', /network/],
    ['Connection closed by 10.0.0.5 port 22', /network/],
    ['ssh: Could not resolve hostname db9: Name or service not known', /host name/],
    ['cannot run ssh: ENOENT', /openssh-client/],
    ['something nobody has seen before', /ssh HOST docker system dial-stdio/],
  ];
  for (const [line, hint] of cases) assert.match(explainSshError(line), hint, line);
});

test('isLongLived: streams get their own connection, calls share the pool', () => {
  const streams = [
    '/events?filters=%7B%7D',
    '/events',
    '/containers/abc/logs?stdout=true&follow=true&tail=10',
    '/containers/abc/logs?follow=1',
    '/containers/abc/stats?',
    '/containers/abc/stats?stream=true',
    '/containers/abc/attach?stream=1',
    '/containers/abc/wait?condition=not-running',
  ];
  const calls = [
    '/containers/json?all=true',
    '/containers/abc/logs?stdout=true&follow=false&tail=all',
    '/containers/abc/stats?stream=false&one-shot=true',
    '/containers/abc/json?',
    '/_ping',
    '/version',
    '/containers/events-app/json', // a container named like a route
  ];
  for (const p of streams) assert.equal(isLongLived(p), true, p);
  for (const p of calls) assert.equal(isLongLived(p), false, p);
});

test('sshDockerOptions: plain HTTP through the agent, no client-side timeout on streams', () => {
  const opts = sshDockerOptions({ host: 'db1' });
  try {
    assert.equal(opts.protocol, 'http');
    assert.equal(opts.timeout, 0);
    assert.ok(opts.agent, 'an agent that dials over ssh');
    assert.equal(opts.socketPath, undefined);
  } finally {
    opts.agent.destroy();
  }
});

test('HandshakeGate: at most `limit` at once; the rest start in order as slots free; a cancelled wait never starts', () => {
  const gate = new HandshakeGate(2);
  const started: string[] = [];
  gate.enter(() => started.push('a'));
  gate.enter(() => started.push('b'));
  gate.enter(() => started.push('c'));
  const cancelD = gate.enter(() => started.push('d'));
  gate.enter(() => started.push('e'));
  assert.deepEqual(started, ['a', 'b']);
  assert.equal(gate.queued, 3);
  cancelD();
  gate.leave();
  assert.deepEqual(started, ['a', 'b', 'c']);
  gate.leave();
  assert.deepEqual(started, ['a', 'b', 'c', 'e']);
  gate.leave();
  gate.leave();
  gate.enter(() => started.push('f'));
  assert.deepEqual(started, ['a', 'b', 'c', 'e', 'f'], 'a free slot starts at once');
});
