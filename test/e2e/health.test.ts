// The Health view in a real terminal against the demo stack: what an operator sees at the start of a
// shift — failing checks first, database numbers behind Enter, a hanging endpoint that holds up
// nothing, and the Overview's alert count and strip coming from the same results.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from '../helpers/tmux.js';
import { BIN, PROJECT } from '../helpers/docker.js';

const PORT = process.env.OPSDECK_DEMO_PORT ?? '18080';
const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-health-'));
// Compose v1 names containers project_service_1, v2 project-service-1.
const name = (service: string) => new RegExp(`container:${PROJECT}[_-]${service}[_-]1`);
const selected = (screen: string) => rows(screen).find((x) => /^[▶>]/.test(x.line));

/** The check rows of the Health view: status word, check name, rest of the line. */
function rows(screen: string): { status: string; name: string; line: string }[] {
  return screen.split('\n').flatMap((l) => {
    const m = /^[ ▶>](OK|WARN|CRIT|UNKN|…|-)\s+(\S+)/.exec(l);
    return m ? [{ status: m[1]!, name: m[2]!, line: l }] : [];
  });
}

describe('the Health view in tmux', () => {
  let term: Tmux;
  let hang: Server;
  const sockets = new Set<Socket>();
  before(async () => {
    // Accepts connections and never answers: the kind of endpoint that hangs a naive checker.
    hang = createServer((s) => { sockets.add(s); s.on('error', () => undefined); });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const hangPort = (hang.address() as { port: number }).port;
    writeFileSync(join(dir, 'opsdeck.yaml'), [
      'checks:',
      `  - { name: front-health, http: "http://127.0.0.1:${PORT}/health", interval: 5s }`,
      `  - { name: hanging-api, http: "http://127.0.0.1:${hangPort}/health", timeout: 3s, interval: 5s }`,
    ].join('\n'));
    term = await Tmux.start(`opsdeck-e2e-health-${process.pid}`, 130, 60);
    await term.type(`cd ${dir} && ${BIN} --state-dir ${join(dir, 'state')}; echo "EXIT=$?"`);
    await term.keys('Enter');
    await term.waitFor('1 Overview');
  });
  after(async () => {
    await term.kill();
    for (const s of sockets) s.destroy();
    hang.close();
  });

  it('lists every check, failing first: the unhealthy and the crash-looping containers are crit', async () => {
    await term.type('3');
    const screen = await term.waitFor((s) => {
      const r = rows(s);
      return r.some((x) => name('flaky').test(x.name) && x.status === 'CRIT') && r.some((x) => name('crasher').test(x.name) && x.status === 'CRIT')
        && r.some((x) => /^postgres:/.test(x.name) && x.status === 'OK') && r.some((x) => /^redis:/.test(x.name) && x.status === 'OK')
        && r.some((x) => x.name === 'front-health' && x.status === 'OK');
    }, 30_000);
    const r = rows(screen);
    const flaky = r.find((x) => name('flaky').test(x.name))!;
    assert.match(flaky.line, /unhealthy/);
    assert.match(r.find((x) => name('crasher').test(x.name))!.line, /restart loop: \d+ restarts/);
    assert.match(r.find((x) => x.name === 'front-health')!.line, /200 OK .*\d+ms/, 'the front answers with a latency');
    assert.match(r.find((x) => /^postgres:/.test(x.name))!.line, /connections \d+\/\d+/);
    assert.match(r.find((x) => /^redis:/.test(x.name))!.line, /PONG/);
    // Failing first: no OK row above a CRIT row.
    const firstOk = r.findIndex((x) => x.status === 'OK');
    const lastCrit = r.map((x) => x.status).lastIndexOf('CRIT');
    assert.ok(lastCrit < firstOk, 'crit rows sort above ok rows');
    assert.match(screen, /Health: \d+ checks · \d+ crit/);
  });

  it('a hanging endpoint times out as UNKNOWN without holding up the others or the keys', async () => {
    const screen = await term.waitFor((s) => rows(s).some((x) => x.name === 'hanging-api' && x.status === 'UNKN'), 30_000);
    assert.match(rows(screen).find((x) => x.name === 'hanging-api')!.line, /timed out after 3s/);
    // While it hangs again, the other checks keep their fresh results and a key still answers at once.
    const before = rows(await term.screen());
    const t0 = Date.now();
    await term.keys('G');
    await term.waitFor((s) => {
      const r = rows(s);
      return r.length > 0 && selected(s)?.name === r[r.length - 1]!.name;
    }, 2000);
    const keyMs = Date.now() - t0;
    console.log(`      keypress → selection moved: ${keyMs} ms (tmux polling included)`);
    assert.ok(keyMs < 1500, `the UI answered in ${keyMs} ms`);
    assert.ok(before.filter((x) => x.status === 'OK').length >= 5, 'the other checks answered');
  });

  it('Enter shows the details of the selected check; c runs it again', async () => {
    await term.keys('g');
    // Walk down to the postgres row.
    let s = await term.screen();
    for (let i = 0; i < 40 && !/^postgres:/.test(selected(s)?.name ?? ''); i++) {
      await term.type('j');
      await new Promise((r) => setTimeout(r, 80));
      s = await term.screen();
    }
    assert.match(selected(s)?.name ?? '', /^postgres:/);
    await term.keys('Enter');
    s = await term.waitFor('Esc closes · c runs it now');
    assert.match(s, /maxConnections\s+\d+/);
    assert.match(s, /sizeBytes\s+\d+/);
    await term.type('c');
    await term.waitFor(/running postgres:\S+ now/);
    await term.keys('Escape');
    await term.waitFor(/STAT CHECK/);
  });

  it('the header count and the Overview strip come from the failing checks', async () => {
    const screen = await term.screen();
    const r = rows(screen);
    const failing = r.filter((x) => x.status === 'CRIT' || x.status === 'WARN').length;
    assert.match(screen.split('\n')[0]!, new RegExp(`alerts ${failing}\\b`));
    await term.type('1');
    const overview = await term.waitFor(/checks? failing \(3 Health\)/);
    assert.match(overview, new RegExp(`! ${failing} checks? failing`));
    assert.match(overview, /flaky[_-]1 CRIT|crasher[_-]1 CRIT/);
    await term.type('q');
    await term.waitFor('EXIT=0');
  });
});
