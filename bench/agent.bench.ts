// Agent benchmark (issue: capacity). `opsdeck agent --interval 10s` (the real executable, zero
// config: every discovered check runs too) with BENCH_CONTAINERS (default 40) running busybox
// containers it creates and removes: the agent's CPU averaged over BENCH_AGENT_SECONDS (default 120)
// after BENCH_SETTLE_SECONDS (default 20) of start-up, against an idle node process measured over the
// same window — target ≤ 1 % of one core — and dockerd's CPU in that window against the same length
// of time just before the agent started (the containers already running).
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, docker } from '../test/helpers/docker.js';
import { cpuSeconds, pidOf, rssBytes, sleep, startLoad, stopLoad, runBench } from './lib.js';

const N = Number(process.env.BENCH_CONTAINERS ?? 40);
const WINDOW_S = Number(process.env.BENCH_AGENT_SECONDS ?? 120);
const SETTLE_S = Number(process.env.BENCH_SETTLE_SECONDS ?? 20);
const INTERVAL = '10s';
const TARGET = 1;
const TAG = `agent${process.pid}`;
const tmp = mkdtempSync(join(tmpdir(), 'opsdeck-bench-agent-'));
const children = new Set<ChildProcess>();

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(56)} ${value.padStart(14)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}
const pct = (v: number) => `${v.toFixed(2)} %`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

function start(file: string, args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code); }));
  return { child, stderr: () => err, exit };
}

async function waitForText(get: () => string, re: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(get())) {
    if (Date.now() > deadline) throw new Error(`no ${re} within ${ms / 1000} s; stderr: ${get().slice(-2000)}`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const cores = execFileSync('nproc').toString().trim();
  console.log(`opsdeck agent bench — ${N} running containers, interval ${INTERVAL}, Docker ${await docker('version', '--format', '{{.Server.Version}}')}, ${cores} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('(figures share the host with whatever else runs: dockerd figures especially)');
  await startLoad(N, TAG);
  const running = (await docker('ps', '-q')).split('\n').filter(Boolean).length;
  const dockerd = pidOf('dockerd');

  // dockerd alone (the containers running, no agent) for the same length of time.
  const d0 = cpuSeconds(dockerd);
  await sleep(WINDOW_S * 1000);
  const dockerdIdle = ((cpuSeconds(dockerd) - d0) / WINDOW_S) * 100;

  const stateDir = join(tmp, 'state');
  const idle = start(process.execPath, ['--max-semi-space-size=1', '-e', 'setInterval(() => {}, 1 << 30)']);
  const agent = start(BIN, ['--state-dir', stateDir, 'agent', '--interval', INTERVAL]);
  await waitForText(agent.stderr, /opsdeck agent: started/, 30_000);
  const startCpu = cpuSeconds(agent.child.pid!);
  await sleep(SETTLE_S * 1000);
  const a0 = cpuSeconds(agent.child.pid!);
  const i0 = cpuSeconds(idle.child.pid!);
  const dd0 = cpuSeconds(dockerd);
  const db = new Database(join(stateDir, 'opsdeck.db'), { readonly: true });
  const count = () => (db.prepare('SELECT count(*) AS n FROM metric_samples WHERE tier = 0').get() as { n: number }).n;
  const rows0 = count();
  await sleep(WINDOW_S * 1000);
  const agentCpu = ((cpuSeconds(agent.child.pid!) - a0) / WINDOW_S) * 100;
  const idleCpu = ((cpuSeconds(idle.child.pid!) - i0) / WINDOW_S) * 100;
  const dockerdWith = ((cpuSeconds(dockerd) - dd0) / WINDOW_S) * 100;
  const rows = count() - rows0;
  const series = (db.prepare('SELECT count(*) AS n FROM metric_series').get() as { n: number }).n;
  const rss = rssBytes(agent.child.pid!);
  db.close();

  agent.child.kill('SIGTERM');
  const code = await agent.exit;
  idle.child.kill('SIGKILL');
  const size = statSync(join(stateDir, 'opsdeck.db')).size;

  console.log(`\nagent CPU over ${WINDOW_S} s after ${SETTLE_S} s settling (% of one core; ${running} containers running on the host)`);
  line('baseline: idle node process, same window', pct(idleCpu));
  line(`opsdeck agent --interval ${INTERVAL}`, pct(agentCpu), `≤ ${TARGET} %`, agentCpu <= TARGET);
  line('  above the idle node process', pct(agentCpu - idleCpu));
  line(`  start-up: from "started" to the end of settling`, `${(a0 - startCpu).toFixed(2)} s CPU`);
  line('baseline: dockerd, same length before the agent', pct(dockerdIdle));
  line('dockerd with the agent', pct(dockerdWith));
  line('  dockerd extra', pct(dockerdWith - dockerdIdle));
  line('raw samples written in the window', `${rows} (${(rows / (WINDOW_S / 10)).toFixed(0)}/round)`);
  line('series in the store', String(series));
  line('agent resident memory at the end', mb(rss));
  line('state file after the run', mb(size));
  line('agent exit status after SIGTERM', String(code));
  const last = agent.stderr().trim().split('\n').pop() ?? '';
  console.log(`  agent said: ${last}`);
}

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  try { await stopLoad(TAG); } catch (e) { console.error(`cleanup: ${(e as Error).message}`); }
  rmSync(tmp, { recursive: true, force: true });
}

runBench(main, cleanup);
