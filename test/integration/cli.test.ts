// The command line as scripts and people meet it: help, version, config errors, no TTY.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, opsdeck } from '../helpers/docker.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-cli-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('opsdeck command line', () => {
  it('--version prints the package version', async () => {
    const res = await opsdeck(['--version']);
    assert.equal(res.code, 0);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(res.stdout.trim(), pkg.version);
  });

  it('--help answers on every command', async () => {
    for (const args of [['--help'], ['status', '--help'], ['config', '--help'], ['config', 'check', '--help'], ['config', 'print', '--help']]) {
      const res = await opsdeck(args);
      assert.equal(res.code, 0, args.join(' '));
      assert.match(res.stdout, /Usage: opsdeck/);
    }
  });

  it('an unknown command or option is a usage error, exit 2', async () => {
    assert.equal((await opsdeck(['frobnicate'])).code, 2);
    assert.equal((await opsdeck(['status', '--jsno'])).code, 2);
  });

  it('a bad config file: exit 2, one line per problem with its path, no stack trace', async () => {
    const bad = file('bad.yaml', [
      'refresh: soon',
      'chekcs: []',
      'thresholds: { disk: { warn: eighty } }',
      'checks:',
      '  - { name: api, http: "http://localhost:8000/health" }',
      '  - { name: web, http: "localhost" }',
      '',
    ].join('\n'));
    const res = await opsdeck(['config', 'check', '--config', bad]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, new RegExp(bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    assert.match(res.stderr, /^.*checks\[1\]\.http: expected a URL, got "localhost"$/m);
    assert.match(res.stderr, /^.*thresholds\.disk\.warn: .*"eighty".*$/m);
    assert.match(res.stderr, /chekcs/);
    assert.match(res.stderr, /^.*refresh: .*$/m);
    assert.doesNotMatch(res.stderr, /\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    // The same file stops the cockpit and status too, before anything else happens.
    assert.equal((await opsdeck(['status', '--config', bad])).code, 2);
  });

  it('a YAML syntax error names the line', async () => {
    const bad = file('syntax.yaml', 'checks:\n  - name: a\n   http: [\n');
    const res = await opsdeck(['config', 'check', '--config', bad]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /:\d+:\d+/);
  });

  it('a missing --config file is named', async () => {
    const res = await opsdeck(['config', 'check', '--config', join(tmp, 'missing.yaml')]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /missing\.yaml/);
  });

  it('config print substitutes ${VAR} and masks secrets', async () => {
    const cfg = file('ok.yaml', [
      'alerts: { webhook: { url: "${HOOK_URL}" } }',
      'checks:',
      '  - { name: db, postgres: { host: localhost, user: shop, password: "${DB_PASS:-fallback-pw}" } }',
      '',
    ].join('\n'));
    const res = await opsdeck(['config', 'print', '--json', '--config', cfg], { env: { HOOK_URL: 'https://ops:hunter2@hooks.example.com/x' } });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /hunter2/);
    assert.doesNotMatch(res.stdout, /fallback-pw/);
    const printed = JSON.parse(res.stdout) as { thresholds: { disk: { warn: number } } };
    assert.equal(printed.thresholds.disk.warn, 80, 'defaults filled in');
    const check = await opsdeck(['config', 'check', '--config', cfg], { env: { HOOK_URL: 'https://hooks.example.com/x' } });
    assert.equal(check.code, 0, check.stderr);
    const unset = await opsdeck(['config', 'check', '--config', cfg], { env: { HOOK_URL: '' } });
    assert.equal(unset.code, 2);
  });

  it('the example config in config/ validates', async () => {
    const res = await opsdeck(['config', 'check', '--config', join(REPO, 'config/opsdeck.example.yaml')], { env: { SHOP_DB_PASSWORD: 'x', OPSDECK_WEBHOOK_URL: 'https://hooks.example.com/T/B/X' } });
    assert.equal(res.code, 0, res.stderr);
  });

  it('without a terminal the cockpit refuses with a hint to status --json', async () => {
    const res = await opsdeck([]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /needs a terminal.*opsdeck status --json/);
  });
});
