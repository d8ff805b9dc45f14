// Triage from the Overview in a real terminal: Enter shows a container's details with its secrets
// masked, and `d` writes the diagnostics bundle (0600) with no seeded secret in any file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, removeTestContainers, runTestContainer } from '../helpers/docker.js';

const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-triage-'));
const NAME = `trE${process.pid}-svc`;
const SECRET = `s3cr3t-${process.pid}-value`;

describe('triage keys on the Overview in tmux', () => {
  let term: Tmux;
  before(async () => {
    await runTestContainer(NAME, ['-e', `API_TOKEN=${SECRET}`, '-e', 'MODE=triage', '--health-cmd', 'true', '--health-interval', '1s'], 'busybox:1.36',
      ['sh', '-c', `echo "ERROR: upstream refused Authorization: Bearer ${SECRET}"; sleep 100000`]);
    term = await Tmux.start(`opsdeck-e2e-triage-${process.pid}`, 140, 40);
    await term.type(`cd ${dir} && ${BIN} --state-dir ${join(dir, 'state')}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor(NAME, 20_000);
  });
  after(async () => {
    await term.kill();
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Enter shows the details: state, health, environment with the secret masked, the last error line redacted', async () => {
    await term.type(`/${NAME}`);
    await term.keys('Enter');
    await term.waitFor(`filter: ${NAME}`, 5000);
    await term.keys('Enter');
    const s = await term.waitFor((x) => x.includes('MODE') && x.includes('API_TOKEN'), 20_000);
    assert.ok(!s.includes(SECRET), `the secret is on screen:\n${s}`);
    assert.match(s, /API_TOKEN\S*\s*=?\s*\*{8}/);
    assert.match(s, /healthy|starting/);
    await term.keys('Escape');
    await term.waitFor('1 Overview');
  });

  it('d writes the diagnostics bundle: 0600, and no file in it holds the secret', async () => {
    await term.type('d');
    const s = await term.waitFor(/diagnostics bundle written: \S+\.tar\.gz/, 90_000);
    const file = /diagnostics bundle written: (\S+\.tar\.gz)/.exec(s.replace(/\n/g, ''))![1]!;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const out = join(dir, 'x');
    mkdirSync(out);
    assert.equal(spawnSync('tar', ['-xzf', file, '-C', out]).status, 0);
    const files = (readdirSync(out, { recursive: true }) as string[]).filter((f) => statSync(join(out, f)).isFile());
    assert.ok(files.some((f) => f.endsWith('SUMMARY.md')), files.join(', '));
    for (const f of files) assert.ok(!readFileSync(join(out, f), 'utf8').includes(SECRET), `${f} holds the secret`);
    await term.type('q');
    await term.waitFor('EXIT=0');
  });
});
