// The Capacity view in a real terminal, on history the agent wrote: `opsdeck agent` samples the host
// and the containers every second for a while, then the cockpit (same state file; the agent still
// runs, so the cockpit does not record too) shows view 5 with graphs, who records, and an honest
// projection line for every series.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, opsdeck, waitFor } from '../helpers/docker.js';

const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-capacity-'));
const state = join(dir, 'state');

describe('the Capacity view in tmux', () => {
  let term: Tmux;
  let agent: ChildProcess;
  let agentErr = '';
  before(async () => {
    agent = spawn(BIN, ['agent', '--interval', '1s', '--state-dir', state], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr!.on('data', (d: Buffer) => { agentErr += d.toString(); });
    // 15 rounds: enough points in the 1h window (10 s steps) for a fit to be attempted.
    let last = '';
    await waitFor('the agent to write 15 rounds of samples', async () => {
      const res = await opsdeck(['capacity', '--json', '--window', '1h', '--state-dir', state]);
      last = `exit ${res.code}: ${res.stdout.slice(0, 300)} ${res.stderr.slice(0, 500)}`;
      if (res.code !== 0) return false;
      const rows = JSON.parse(res.stdout) as { id: string }[];
      return rows.some((r) => r.id === 'host.cpu') && Date.now() - started > 20_000;
    }, 90_000, 1000).catch((e: Error) => {
      throw new Error(`${e.message}\nlast opsdeck capacity: ${last}\nthe agent's stderr: ${agentErr}`);
    });
    term = await Tmux.start(`opsdeck-e2e-capacity-${process.pid}`, 120, 40);
    await term.type(`cd ${dir} && ${BIN} --state-dir ${state}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('1 Overview');
  });
  const started = Date.now();
  after(async () => {
    await term?.kill();
    agent?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('view 5 shows the agent recording, graphs of the host and containers, and a projection line per series', async () => {
    await term.type('5');
    await term.waitFor(/Capacity · .*agent/, 20_000);
    // The 1h window: w cycles 24h → 7d → 30d → 1h.
    await term.type('www');
    const s = await term.waitFor((x) => /\[1h\]/.test(x) && /[⡀-⣿]/.test(x) && /CPU/.test(x), 20_000);
    assert.match(s, /too few points|no trend|full in|shrinking|growing/, 'every growing series gets an honest projection');
    assert.match(s, /CONTAINERS/);
    assert.ok(!/no history yet/.test(s), s);
  });

  it('opsdeck capacity prints the same history; the agent stops cleanly on SIGTERM', async () => {
    const res = await opsdeck(['capacity', '--window', '1h', '--state-dir', state]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /collecting: agent/);
    await term.type('q');
    await term.waitFor('EXIT=0');
    const code = await new Promise<number | null>((resolve) => { agent.once('exit', resolve); agent.kill('SIGTERM'); });
    assert.equal(code, 0, agentErr);
  });
});
