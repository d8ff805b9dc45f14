import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextId, readDockerContexts, resolveEndpoints } from '../../src/docker/endpoints.js';
import { EndpointError } from '../../src/docker/endpoint.js';
import { configSchema } from '../../config/schema.js';
import { ConfigError, parseConfigText } from '../../config/load.js';

function loadConfigText(text: string): string[] {
  try {
    parseConfigText(text, { source: '/cfg/opsdeck.yaml', env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected problems');
}

/** A ~/.docker with the given contexts (as `docker context create` writes them) and current context. */
function dockerDir(contexts: { name: string; host: string; tls?: string[] }[], current?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-dockercfg-'));
  for (const c of contexts) {
    const id = contextId(c.name);
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: c.name, Metadata: { Description: `the ${c.name} box` }, Endpoints: { docker: { Host: c.host, SkipTLSVerify: false } } }));
    if (c.tls) {
      mkdirSync(join(dir, 'contexts', 'tls', id, 'docker'), { recursive: true });
      for (const f of c.tls) writeFileSync(join(dir, 'contexts', 'tls', id, 'docker', f), `-----${f}-----\n`);
    }
  }
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: current }));
  return dir;
}

const cfg = (input: Record<string, unknown> = {}) => configSchema.parse(input);

test('contextId is the sha256 the Docker CLI names a context directory by', () => {
  // `docker context create prod` makes contexts/meta/<this>/ (sha256 of "prod").
  assert.equal(contextId('prod'), '6754af9632a2745e85c293e5aac0863370d9bd3330b9938c00cadfd215227d77');
  assert.notEqual(contextId('prod'), contextId('prod2'));
});

test('resolveEndpoints: zero config is the one local engine, named "local"', () => {
  const dir = dockerDir([]);
  try {
    const r = resolveEndpoints({ config: cfg(), env: { DOCKER_CONFIG: dir } });
    assert.deepEqual(r.endpoints.map((e) => [e.name, e.url, e.origin]), [['local', 'unix:///var/run/docker.sock', 'default']]);
    assert.equal(r.current, 'local');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('resolveEndpoints: config endpoints in order, the first is current; --endpoint picks another', () => {
  const dir = dockerDir([]);
  try {
    const config = cfg({ endpoints: [
      { name: 'app1', host: 'unix:///run/app1.sock' },
      { name: 'db1', host: 'ssh://ops@db1.example.com:2222', ssh: { config: '/etc/opsdeck/ssh_config' } },
      { name: 'edge', host: 'tcp://10.0.0.9:2375' },
    ] });
    const r = resolveEndpoints({ config, env: { DOCKER_CONFIG: dir } });
    assert.deepEqual(r.endpoints.map((e) => e.name), ['app1', 'db1', 'edge']);
    assert.equal(r.current, 'app1');
    assert.equal(r.endpoints[1]!.origin, 'config endpoints.db1');
    assert.deepEqual(r.endpoints[1]!.ssh, { configFile: '/etc/opsdeck/ssh_config', identity: undefined });
    assert.equal(r.endpoints[2]!.url, 'tcp://10.0.0.9:2375');
    assert.equal(resolveEndpoints({ config, select: 'db1', env: { DOCKER_CONFIG: dir } }).current, 'db1');
    assert.equal(resolveEndpoints({ config, env: { DOCKER_CONFIG: dir, OPSDECK_ENDPOINT: 'edge' } }).current, 'edge');
    assert.throws(() => resolveEndpoints({ config, select: 'db2', env: { DOCKER_CONFIG: dir } }), (e: Error) => e instanceof EndpointError && /unknown endpoint "db2" \(known: app1, db1, edge\)/.test(e.message));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('resolveEndpoints: Docker contexts join the list (not "default", not a configured name); the CLI\'s current context is current', () => {
  const dir = dockerDir([
    { name: 'default', host: 'unix:///var/run/docker.sock' },
    { name: 'staging', host: 'tcp://staging:2376', tls: ['ca.pem', 'cert.pem', 'key.pem'] },
    { name: 'build', host: 'ssh://ci@build' },
  ], 'staging');
  try {
    const r = resolveEndpoints({ config: cfg(), env: { DOCKER_CONFIG: dir } });
    assert.deepEqual(r.endpoints.map((e) => e.name).sort(), ['build', 'local', 'staging']);
    assert.equal(r.endpoints[0]!.name, 'local');
    assert.equal(r.current, 'staging');
    const staging = r.endpoints.find((e) => e.name === 'staging')!;
    assert.equal(staging.origin, 'docker context staging');
    assert.equal(staging.options.protocol, 'https');
    assert.equal(String(staging.options.ca), '-----ca.pem-----\n');
    // DOCKER_HOST says where commands go, as with the docker CLI: the context is listed, not current.
    assert.equal(resolveEndpoints({ config: cfg(), env: { DOCKER_CONFIG: dir, DOCKER_HOST: 'unix:///tmp/x.sock' } }).current, 'local');
    // docker.contexts: false leaves them out.
    assert.deepEqual(resolveEndpoints({ config: cfg({ docker: { contexts: false } }), env: { DOCKER_CONFIG: dir } }).endpoints.map((e) => e.name), ['local']);
    // A configured endpoint of the same name wins.
    const both = resolveEndpoints({ config: cfg({ endpoints: [{ name: 'build', host: 'unix:///run/b.sock' }] }), env: { DOCKER_CONFIG: dir } });
    assert.equal(both.endpoints.find((e) => e.name === 'build')!.url, 'unix:///run/b.sock');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('readDockerContexts: a broken meta.json is a note, not a failure', () => {
  const dir = dockerDir([{ name: 'ok', host: 'tcp://ok:2375' }]);
  try {
    mkdirSync(join(dir, 'contexts', 'meta', 'broken'), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', 'broken', 'meta.json'), '{ not json');
    const r = readDockerContexts(dir);
    assert.deepEqual(r.contexts.map((c) => c.name), ['ok']);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0]!, /broken\/meta\.json/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('resolveEndpoints: --docker-host is one endpoint, whatever the config lists', () => {
  const r = resolveEndpoints({ flag: 'unix:///tmp/one.sock', config: cfg({ endpoints: [{ name: 'a', host: 'unix:///a.sock' }] }), env: {} });
  assert.deepEqual(r.endpoints.map((e) => [e.name, e.url]), [['local', 'unix:///tmp/one.sock']]);
  assert.throws(() => resolveEndpoints({ flag: 'unix:///tmp/one.sock', select: 'a', config: cfg(), env: {} }), /with --docker-host there is one endpoint/);
});

test('config: endpoints are checked, one line per problem with its path', () => {
  const problems = loadConfigText([
    'endpoints:',
    '  - name: app1',
    '    host: unix:///run/a.sock',
    '  - name: db',
    '    host: ftp://nope',
    '  - name: "bad name"',
    '    host: tcp://h:2375',
  ].join('\n'));
  assert.ok(problems.some((p) => /endpoints\[1\]\.host.*expected unix:\/\/\/path/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /endpoints\[2\]\.name/.test(p)), problems.join('\n'));
  const dup = loadConfigText('endpoints:\n  - { name: app1, host: "unix:///a.sock" }\n  - { name: app1, host: "unix:///b.sock", colour: red }\n');
  assert.ok(dup.some((p) => /endpoints\[1\]: unknown key "colour"/.test(p)), dup.join('\n'));
  const dup2 = loadConfigText('endpoints:\n  - { name: app1, host: "unix:///a.sock" }\n  - { name: app1, host: "unix:///b.sock" }\n');
  assert.ok(dup2.some((p) => /endpoints\[1\]\.name.*duplicate endpoint name "app1"/.test(p)), dup2.join('\n'));
});
