// The Backups view in a real terminal: targets discovered from the demo stack and from the config,
// `b` backs one up through the confirmation dialog, the row turns verified with the file's checksum,
// and `v` verifies it again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, PROJECT, inspect, serviceId } from '../helpers/docker.js';

const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-backups-'));
const backupDir = join(dir, 'backups');

describe('the Backups view in tmux', () => {
  let term: Tmux;
  let appName: string;
  before(async () => {
    appName = (await inspect(await serviceId('app'))).Name.replace(/^\//, '');
    writeFileSync(join(dir, 'opsdeck.yaml'), [
      'backups:',
      `  dir: ${backupDir}`,
      '  targets:',
      `    app-data: { sqlite: { container: ${appName}, path: /app/data/app.db } }`,
    ].join('\n'));
    term = await Tmux.start(`opsdeck-e2e-backups-${process.pid}`, 120, 36);
    await term.type(`cd ${dir} && ${BIN} --config ${join(dir, 'opsdeck.yaml')} --state-dir ${join(dir, 'state')}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('1 Overview');
  });
  after(async () => { await term.kill(); });

  it('lists the configured SQLite target and the discovered PostgreSQL and Redis containers, none backed up yet', async () => {
    await term.type('4');
    const s = await term.waitFor((x) => x.includes('app-data') && x.includes(`${PROJECT}/db`) && x.includes(`${PROJECT}/cache`), 20_000);
    assert.match(s, /▶app-data\s+sqlite\s+none/);
    assert.match(s, new RegExp(`${PROJECT}/db\\s+postgres\\s+none`));
    assert.match(s, new RegExp(`${PROJECT}/cache\\s+redis\\s+none`));
    assert.match(s, /no backups yet: press b/);
  });

  it('b asks first, naming target, destination and free space; y backs up, verifies, and the row says so', async () => {
    await term.type('b');
    const dialog = await term.waitFor('Back up app-data?');
    assert.match(dialog, new RegExp(`SQLite file /app/data/app\\.db in container ${appName}`));
    assert.ok(dialog.includes(backupDir), 'the destination is named');
    assert.match(dialog, /free in/);
    await term.type('y');
    const done = await term.waitFor(/✓ backed up app-data in/, 30_000);
    assert.match(done, /▶app-data\s+sqlite\s+\d+s\s+[\d.]+ \S?i?B\s+.*✓ yes/);
    const files = readdirSync(join(backupDir, 'app-data')).filter((f) => f.endsWith('.db.gz'));
    assert.equal(files.length, 1, 'one finished file, no partial');
    const file = join(backupDir, 'app-data', files[0]!);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    assert.ok(done.includes(sha.slice(0, 12)), `the history shows the file's sha256 prefix ${sha.slice(0, 12)}`);
    assert.match(done, /ok\s+yes/);
  });

  it('v verifies the newest backup again (no dialog is needed to read)', async () => {
    await term.type('v');
    const s = await term.waitFor(/Verify backup|✓ verified app-data/, 20_000);
    if (s.includes('Verify backup') && !/✓ verified app-data/.test(s)) await term.type('y');
    await term.waitFor(/✓ verified app-data/, 20_000);
  });

  it('q quits cleanly', async () => {
    await term.type('q');
    await term.waitFor('EXIT=0');
  });
});
