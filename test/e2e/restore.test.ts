// The restore walkthrough in a real terminal: R on a target opens the chooser (newest verified
// preselected), Enter runs the preflight and the typed confirmation, then every step turns done on
// the walkthrough screen, the summary says what happened, and the data is back. D drills.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, docker, opsdeck, removeTestContainers, runTestContainer } from '../helpers/docker.js';
import type { StoredBackup } from '../../src/store/backups.js';

const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-restore-'));
const dbFile = join(dir, 'notes.db');
const APP = `rsE${process.pid}-app`;
const q = (s: string) => spawnSync('sqlite3', [dbFile, s], { encoding: 'utf8' }).stdout.trim();
const startedAt = () => docker('inspect', '-f', '{{.State.StartedAt}}', APP);

describe('the restore walkthrough in tmux', () => {
  let term: Tmux;
  let backup: StoredBackup;
  let app0: string;
  const g = ['--config', join(dir, 'opsdeck.yaml'), '--state-dir', join(dir, 'state')];
  before(async () => {
    writeFileSync(join(dir, 'opsdeck.yaml'), [
      'backups:',
      `  dir: ${join(dir, 'backups')}`,
      '  targets:',
      `    notes: { sqlite: { path: ${dbFile} }, stop: [${APP}] }`,
    ].join('\n'));
    // --init: a real app stops on SIGTERM; busybox sleep as PID 1 would make every stop wait 10 s.
    await runTestContainer(APP, ['--init'], 'busybox:1.36', ['sleep', '100000']);
    q('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO notes (body) SELECT hex(randomblob(4)) FROM n;');
    const res = await opsdeck(['backup', 'notes', '--json', ...g]);
    assert.equal(res.code, 0, res.stderr);
    backup = JSON.parse(res.stdout) as StoredBackup;
    q('DELETE FROM notes WHERE id > 4;');
    assert.equal(q('SELECT count(*) FROM notes'), '4');
    app0 = await startedAt();
    term = await Tmux.start(`opsdeck-e2e-restore-${process.pid}`, 130, 36);
    await term.type(`cd ${dir} && ${BIN} ${g.join(' ')}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('1 Overview');
  });
  after(async () => {
    await term.kill();
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('R opens the chooser with the backup preselected; Enter asks for the typed name with what will happen', async () => {
    await term.type('4');
    await term.waitFor(/▶notes\s+sqlite/, 20_000);
    await term.type('R');
    const chooser = await term.waitFor('choose the backup', 10_000);
    assert.match(chooser, new RegExp(`> ${backup.id}\\s+\\S.*?\\s+[\\d.]+ \\S+\\s+verified`));
    await term.keys('Enter');
    const dialog = await term.waitFor(`Restore notes from ${backup.id}?`, 20_000);
    assert.match(dialog, new RegExp(`Stops, in this order: ${APP}`));
    assert.match(dialog, /safety backup/);
    assert.match(dialog, /Type notes and press Enter to restore/);
  });

  it('typing the name runs the walkthrough: every step turns done, then the summary', async () => {
    await term.type('notes');
    await term.keys('Enter');
    const s = await term.waitFor(/✓ restored notes in/, 60_000);
    for (const step of ['Pause restart policies', 'Stop dependants', 'Safety backup', 'Restore', 'Start dependants', 'Put restart policies back', 'Verify health', 'Record']) {
      assert.match(s, new RegExp(`✓ ${step} \\(`), `step ${step} done on screen:\n${s}`);
    }
    assert.match(s, /Esc or Enter closes/);
    assert.equal(q('SELECT count(*) FROM notes'), '10', 'the data is back');
    assert.notEqual(await startedAt(), app0, 'the dependant was stopped and started again');
    assert.equal(await docker('inspect', '-f', '{{.State.Running}}', APP), 'true');
  });

  it('Esc closes it; the Backups view shows the restore and the safety backup', async () => {
    await term.keys('Escape');
    const s = await term.waitFor(/last restore .* ok/, 10_000);
    assert.match(s, /safety backup before restoring/);
  });

  it('D drills the newest verified backup and the DRILL column says so', async () => {
    await term.type('D');
    await term.waitFor('Restore drill of notes?', 20_000);
    await term.type('y');
    await term.waitFor(/✓ drilled notes in/, 60_000);
    await term.keys('Escape');
    await term.waitFor(/▶notes\s+sqlite\s+.*✓ yes\s+\S+ ✓/, 10_000);
  });

  it('q quits cleanly', async () => {
    await term.type('q');
    await term.waitFor('EXIT=0');
  });
});
