import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_SOCKET,
  EndpointError,
  explainDockerError,
  resolveEndpoint,
  type DockerEndpoint,
  type EndpointInput,
} from '../../src/docker/endpoint.js';

function withCertDir(files: string[], fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-certs-'));
  try {
    for (const f of files) writeFileSync(join(dir, f), `-----${f}-----\n`);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function errno(code: string, message = `${code} something`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

test('resolveEndpoint: precedence flag > config docker.host > DOCKER_HOST > default socket', () => {
  const cases: [string, EndpointInput, string, string][] = [
    ['all set: flag wins',
      { flag: 'unix:///flag.sock', config: { host: 'unix:///config.sock' }, env: { DOCKER_HOST: 'unix:///env.sock' } }, 'unix:///flag.sock', '--docker-host'],
    ['config over env',
      { config: { host: 'unix:///config.sock' }, env: { DOCKER_HOST: 'unix:///env.sock' } }, 'unix:///config.sock', 'config docker.host'],
    ['env only', { env: { DOCKER_HOST: 'unix:///env.sock' } }, 'unix:///env.sock', 'DOCKER_HOST'],
    ['empty flag and config fall through', { flag: '', config: { host: '' }, env: { DOCKER_HOST: 'unix:///env.sock' } }, 'unix:///env.sock', 'DOCKER_HOST'],
    ['nothing: default socket', { env: {} }, `unix://${DEFAULT_SOCKET}`, 'default'],
    ['empty DOCKER_HOST: default socket', { env: { DOCKER_HOST: '' } }, `unix://${DEFAULT_SOCKET}`, 'default'],
    ['config without host: env', { config: {}, env: { DOCKER_HOST: 'unix:///env.sock' } }, 'unix:///env.sock', 'DOCKER_HOST'],
  ];
  for (const [name, input, url, origin] of cases) {
    const ep = resolveEndpoint(input);
    assert.equal(ep.url, url, name);
    assert.equal(ep.origin, origin, name);
  }
});

test('resolveEndpoint: unix sockets, with and without the scheme', () => {
  const cases: [string, string, string][] = [
    ['unix:///var/run/docker.sock', '/var/run/docker.sock', 'unix:///var/run/docker.sock'],
    ['unix:///run/user/1000/docker.sock', '/run/user/1000/docker.sock', 'unix:///run/user/1000/docker.sock'],
    ['/run/podman/podman.sock', '/run/podman/podman.sock', 'unix:///run/podman/podman.sock'],
    ['unix:///tmp/with%20space.sock', '/tmp/with space.sock', 'unix:///tmp/with space.sock'],
  ];
  for (const [flag, socketPath, url] of cases) {
    const ep = resolveEndpoint({ flag, env: {} });
    assert.equal(ep.options.socketPath, socketPath, flag);
    assert.equal(ep.url, url, flag);
    assert.equal(ep.options.host, undefined, flag);
  }
});

test('resolveEndpoint: tcp default ports 2375 plain, 2376 with TLS', () => {
  withCertDir(['ca.pem', 'cert.pem', 'key.pem'], (certs) => {
    const cases: [string, EndpointInput, { url: string; host: string; port: number; protocol: 'http' | 'https' }][] = [
      ['tcp without port', { flag: 'tcp://docker.example', env: {} }, { url: 'tcp://docker.example:2375', host: 'docker.example', port: 2375, protocol: 'http' }],
      ['tcp with port', { flag: 'tcp://10.0.0.5:4243', env: {} }, { url: 'tcp://10.0.0.5:4243', host: '10.0.0.5', port: 4243, protocol: 'http' }],
      ['http scheme', { flag: 'http://h:2375', env: {} }, { url: 'tcp://h:2375', host: 'h', port: 2375, protocol: 'http' }],
      ['https scheme without port', { flag: 'https://h', env: {} }, { url: 'tcp://h:2376', host: 'h', port: 2376, protocol: 'https' }],
      ['DOCKER_TLS_VERIFY=1 without port', { env: { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } },
        { url: 'tcp://h:2376', host: 'h', port: 2376, protocol: 'https' }],
      ['DOCKER_TLS_VERIFY=0 is off', { env: { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '0' } }, { url: 'tcp://h:2375', host: 'h', port: 2375, protocol: 'http' }],
      ['DOCKER_TLS_VERIFY empty is off', { env: { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '' } }, { url: 'tcp://h:2375', host: 'h', port: 2375, protocol: 'http' }],
      ['cert path with port 2376 implies TLS', { env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_CERT_PATH: certs } },
        { url: 'tcp://h:2376', host: 'h', port: 2376, protocol: 'https' }],
      ['cert path with port 2375 stays plain', { env: { DOCKER_HOST: 'tcp://h:2375', DOCKER_CERT_PATH: certs } },
        { url: 'tcp://h:2375', host: 'h', port: 2375, protocol: 'http' }],
      ['config tls.verify', { config: { host: 'tcp://h', tls: { verify: true } }, env: {} }, { url: 'tcp://h:2376', host: 'h', port: 2376, protocol: 'https' }],
      ['config tls.verify false beats DOCKER_TLS_VERIFY', { config: { host: 'tcp://h', tls: { verify: false } }, env: { DOCKER_TLS_VERIFY: '1' } },
        { url: 'tcp://h:2375', host: 'h', port: 2375, protocol: 'http' }],
    ];
    for (const [name, input, want] of cases) {
      const ep = resolveEndpoint(input);
      assert.equal(ep.url, want.url, name);
      assert.equal(ep.options.host, want.host, name);
      assert.equal(ep.options.port, want.port, name);
      assert.equal(ep.options.protocol, want.protocol, name);
      assert.equal(ep.options.socketPath, undefined, name);
      assert.equal(ep.options.timeout, 0, name);
    }
  });
});

test('resolveEndpoint: TLS reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH', () => {
  withCertDir(['ca.pem', 'cert.pem', 'key.pem'], (certs) => {
    const ep = resolveEndpoint({ env: { DOCKER_HOST: 'tcp://secure.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } });
    assert.equal(ep.options.protocol, 'https');
    assert.equal(String(ep.options.ca), '-----ca.pem-----\n');
    assert.equal(String(ep.options.cert), '-----cert.pem-----\n');
    assert.equal(String(ep.options.key), '-----key.pem-----\n');
  });
});

test('resolveEndpoint: explicit config TLS files beat DOCKER_CERT_PATH', () => {
  withCertDir(['ca.pem', 'cert.pem', 'key.pem', 'my-ca.pem', 'my-cert.pem', 'my-key.pem'], (certs) => {
    const ep = resolveEndpoint({
      config: { host: 'tcp://h', tls: { ca: join(certs, 'my-ca.pem'), cert: join(certs, 'my-cert.pem'), key: join(certs, 'my-key.pem') } },
      env: { DOCKER_CERT_PATH: certs },
    });
    assert.equal(ep.options.protocol, 'https');
    assert.equal(ep.options.port, 2376);
    assert.equal(String(ep.options.ca), '-----my-ca.pem-----\n');
    assert.equal(String(ep.options.cert), '-----my-cert.pem-----\n');
    assert.equal(String(ep.options.key), '-----my-key.pem-----\n');
  });
});

test('resolveEndpoint: a missing TLS file is an EndpointError naming the path', () => {
  for (const missing of ['ca.pem', 'cert.pem', 'key.pem']) {
    withCertDir(['ca.pem', 'cert.pem', 'key.pem'].filter((f) => f !== missing), (certs) => {
      const path = join(certs, missing);
      assert.throws(
        () => resolveEndpoint({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } }),
        (e: unknown) => {
          assert.ok(e instanceof EndpointError, `not an EndpointError: ${String(e)}`);
          assert.ok(e.message.includes(path), `message does not name ${path}: ${e.message}`);
          assert.ok(e.message.includes('DOCKER_HOST'), e.message);
          assert.ok(e.message.includes('ENOENT'), e.message);
          return true;
        },
        missing,
      );
    });
  }
});

const sshTargetOf = (ep: DockerEndpoint) => (ep.options as { sshTarget: { host: string; port?: number; user?: string; configFile?: string } }).sshTarget;

test('resolveEndpoint: ssh endpoints go through the system\'s ssh (dial-stdio over an http.Agent)', () => {
  const cases: [string, { port?: number; user?: string }][] = [
    ['ssh://ops@db1', { user: 'ops' }],
    ['ssh://ops@db1:2222', { port: 2222, user: 'ops' }],
    // No port and no user: ~/.ssh/config decides, as with `ssh db1`.
    ['ssh://db1', {}],
  ];
  for (const [flag, want] of cases) {
    const ep = resolveEndpoint({ flag, env: {} });
    assert.equal(ep.url, flag);
    const o = ep.options as { protocol?: string; agent?: { sshTarget?: unknown } };
    assert.equal(o.protocol, 'http', flag);
    assert.ok(o.agent, `${flag}: an agent that spawns ssh`);
    const t = sshTargetOf(ep);
    assert.equal(t.host, 'db1', flag);
    assert.equal(t.port, want.port, flag);
    assert.equal(t.user, want.user, flag);
  }
  const withFiles = resolveEndpoint({ flag: 'ssh://db1', ssh: { configFile: '/etc/opsdeck/ssh_config', identity: '/k' }, env: {} });
  assert.deepEqual(withFiles.ssh, { configFile: '/etc/opsdeck/ssh_config', identity: '/k' });
  assert.equal(sshTargetOf(withFiles).configFile, '/etc/opsdeck/ssh_config');
});

test('resolveEndpoint: unsupported or malformed endpoints are EndpointErrors', () => {
  const cases: [string, EndpointInput, RegExp][] = [
    ['npipe', { flag: 'npipe:////./pipe/docker_engine', env: {} }, /--docker-host: unsupported scheme "npipe:"/],
    ['ftp from DOCKER_HOST', { env: { DOCKER_HOST: 'ftp://h' } }, /DOCKER_HOST: unsupported scheme "ftp:"/],
    ['fd', { config: { host: 'fd://' }, env: {} }, /config docker\.host: unsupported scheme "fd:"/],
    ['not a URL', { flag: 'docker.example:2375', env: {} }, /unsupported scheme|not a Docker endpoint/],
    ['garbage', { flag: 'not a url', env: {} }, /--docker-host: "not a url" is not a Docker endpoint/],
    ['unix without a path', { flag: 'unix://', env: {} }, /has no socket path/],
  ];
  for (const [name, input, re] of cases) {
    assert.throws(() => resolveEndpoint(input), (e: unknown) => {
      assert.ok(e instanceof EndpointError, `${name}: not an EndpointError: ${String(e)}`);
      assert.match(e.message, re, name);
      return true;
    }, name);
  }
});

test('explainDockerError: messages and hints per error code', () => {
  const def: DockerEndpoint = resolveEndpoint({ env: {} });
  const envSock: DockerEndpoint = resolveEndpoint({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } });
  const tcp: DockerEndpoint = resolveEndpoint({ env: { DOCKER_HOST: 'tcp://h:2375' } });

  const cases: [string, DockerEndpoint, unknown, RegExp, RegExp][] = [
    ['ENOENT default', def, errno('ENOENT'), /^Docker socket \/var\/run\/docker\.sock does not exist$/, /daemon installed and running.*DOCKER_HOST/],
    ['ENOENT from DOCKER_HOST', envSock, errno('ENOENT'), /^Docker socket \/run\/user\/1000\/docker\.sock does not exist$/,
      /^check DOCKER_HOST; the default is unix:\/\/\/var\/run\/docker\.sock$/],
    ['EACCES', def, errno('EACCES'), /permission denied on \/var\/run\/docker\.sock/, /docker group/],
    ['EPERM', def, errno('EPERM'), /permission denied/, /docker group/],
    ['ECONNREFUSED on a socket', def, errno('ECONNREFUSED'), /^connection refused at unix:\/\/\/var\/run\/docker\.sock \(default\)$/, /daemon is not running/],
    ['ECONNREFUSED on tcp', tcp, errno('ECONNREFUSED'), /^connection refused at tcp:\/\/h:2375 \(DOCKER_HOST\)$/, /dockerd listening/],
    ['ENOTFOUND', tcp, errno('ENOTFOUND'), /cannot resolve the host in tcp:\/\/h:2375/, /DOCKER_HOST/],
    ['ETIMEDOUT', tcp, errno('ETIMEDOUT'), /timed out talking to tcp:\/\/h:2375/, /retrying/],
    ['ECONNRESET', tcp, errno('ECONNRESET'), /was reset/, /reconnecting/],
    ['unknown error: first line of its message', def, new Error('(HTTP code 500) server error\nstack-ish detail'),
      /^cannot talk to Docker at unix:\/\/\/var\/run\/docker\.sock \(default\): \(HTTP code 500\) server error$/, /daemon runs/],
    ['unknown code', def, errno('EWHATEVER', 'odd failure'), /: odd failure$/, /DOCKER_HOST/],
    ['a string thrown', def, 'boom', /: boom$/, /daemon runs/],
    ['null thrown', def, null, /: null$/, /daemon runs/],
  ];
  for (const [name, ep, err, message, hint] of cases) {
    const got = explainDockerError(ep, err);
    assert.match(got.message, message, name);
    assert.match(got.hint, hint, name);
  }
});
