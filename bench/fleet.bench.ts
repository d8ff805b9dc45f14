// Several endpoints in one cockpit (issue: beyond one host). Prints, beside the single-host figures
// of the same run:
//   - launch → first frame with 5 endpoints × 100 containers, on the all-hosts Overview
//   - idle CPU of opsdeck on that Overview, and on one endpoint of the five
// The 500 rows come from two real engines: 100 containers on the main engine and 100 on engine2
// (test/env/engine2.sh). Five endpoints are five sockets, each its own connection: the engines'
// own sockets, and three unix-socket relays to them (a byte pipe each, in this process) — to opsdeck
// five engines of 100 containers, the way five hosts behind ssh or tcp would be.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, DOCKER, REPO } from '../test/helpers/docker.js';
import { cpuSeconds, inPty, median, nodePidUnder, runBench, sleep } from './lib.js';

const N = Number(process.env.BENCH_FLEET_CONTAINERS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const MAIN = 'unix:///var/run/docker.sock';
const E2 = 'unix:///run/opsdeck-e2/docker.sock';
const dir = mkdtempSync(join(tmpdir(), 'opsdeck-bench-fleet-'));
const tag = `f${process.pid}`;
const relays: Server[] = [];
const run = promisify(execFile);

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(60)} ${value.padStart(12)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}

const dockerOn = (host: string, ...args: string[]) => execFileSync(DOCKER, ['-H', host, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();

/** n idle containers in one compose-labelled project on an engine, created ten at a time. */
async function load(host: string, project: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => run(DOCKER, ['-H', host, 'run', '-d', '--network', 'none',
      '--label', 'opsdeck.test=1', '--label', `opsdeck.bench=${tag}`, '--label', `com.docker.compose.project=${project}`,
      '--label', `com.docker.compose.service=svc${i + k}`, '--name', `${project}-${i + k}`, 'busybox:1.36', 'sleep', '3600'])));
  }
}

function unload(host: string): void {
  const ids = dockerOn(host, 'ps', '-aq', '--filter', `label=opsdeck.bench=${tag}`);
  if (ids) dockerOn(host, 'rm', '-f', '-v', ...ids.split('\n'));
}

/** A unix socket that relays every connection to `target`'s socket: one more endpoint to opsdeck. */
function relay(path: string, target: string): Promise<void> {
  const server = createServer((c) => {
    const up = createConnection(target.replace('unix://', ''));
    c.pipe(up).pipe(c);
    const end = () => { c.destroy(); up.destroy(); };
    c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
  });
  relays.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve()));
}

async function firstFrame(cmd: string, marker: RegExp): Promise<number> {
  const run = inPty(cmd, marker);
  const at = await run.seen;
  run.child.stdin!.write('q');
  await new Promise((r) => run.child.on('exit', r));
  return at - run.started;
}

async function idleCpu(cmd: string, marker: RegExp, keys?: string): Promise<number> {
  const run = inPty(cmd, marker);
  await run.seen;
  const pid = await nodePidUnder(run.child.pid!);
  if (keys) run.child.stdin!.write(keys);
  await sleep(8000); // inspect of every container and the first stats rounds done
  const c0 = cpuSeconds(pid);
  await sleep(IDLE_S * 1000);
  const pct = ((cpuSeconds(pid) - c0) / IDLE_S) * 100;
  run.child.stdin!.write('q');
  await new Promise((r) => run.child.on('exit', r));
  return pct;
}

async function main() {
  execFileSync('bash', [join(REPO, 'test/env/engine2.sh'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`opsdeck fleet bench — 5 endpoints × ${N} containers over 2 engines (Docker ${dockerOn(MAIN, 'version', '--format', '{{.Server.Version}}')}), ${execFileSync('nproc').toString().trim()} cores`);
  const t = performance.now();
  await load(MAIN, `fa-${tag}`, N);
  await load(E2, `fb-${tag}`, N);
  console.log(`(created ${2 * N} containers in ${((performance.now() - t) / 1000).toFixed(0)} s)`);

  const sockets = [MAIN, E2];
  for (const [i, target] of [[3, MAIN], [4, E2], [5, E2]] as const) {
    const path = join(dir, `relay${i}.sock`);
    await relay(path, target);
    sockets.push(`unix://${path}`);
  }
  const fleetCfg = join(dir, 'fleet.yaml');
  writeFileSync(fleetCfg, `endpoints:\n${sockets.map((s, i) => `  - { name: host${i + 1}, host: "${s}" }`).join('\n')}\n`);
  const single = `${BIN} --state-dir ${join(dir, 'state1')} --docker-host ${MAIN}`;
  const fleetAll = `${BIN} --state-dir ${join(dir, 'state5')} --config ${fleetCfg} --endpoint all`;
  const fleetOne = `${BIN} --state-dir ${join(dir, 'state5')} --config ${fleetCfg}`;
  const firstRow = new RegExp(`fa-${tag}-0 `);
  // The all-hosts Overview's first frame: the first endpoint's heading and its first row.
  const allMarker = new RegExp(`■ host1[\\s\\S]*fa-${tag}-0 `);

  const singleFrames: number[] = [];
  const fleetFrames: number[] = [];
  await firstFrame(single, firstRow); // warm the page cache once
  for (let i = 0; i < RUNS; i++) {
    singleFrames.push(await firstFrame(single, firstRow));
    fleetFrames.push(await firstFrame(fleetAll, allMarker));
  }
  console.log('\nlaunch → first frame (median of ' + RUNS + ')');
  line(`single host, ${N} containers`, `${median(singleFrames).toFixed(0)} ms`, '≤ 500 ms', median(singleFrames) <= 500);
  line(`5 endpoints × ${N} containers, all-hosts Overview`, `${median(fleetFrames).toFixed(0)} ms`, '≤ 500 ms', median(fleetFrames) <= 500);
  line('  min / max (5 endpoints)', `${Math.min(...fleetFrames).toFixed(0)} / ${Math.max(...fleetFrames).toFixed(0)} ms`);

  console.log(`\nidle for ${IDLE_S} s (% of one core)`);
  const cSingle = await idleCpu(single, firstRow);
  line(`single host, ${N} containers, Overview`, `${cSingle.toFixed(2)} %`);
  const cAll = await idleCpu(fleetAll, allMarker);
  line(`5 endpoints × ${N}, all-hosts Overview (stats: rows on screen)`, `${cAll.toFixed(2)} %`);
  const cOne = await idleCpu(fleetOne, firstRow);
  line(`5 endpoints × ${N}, one endpoint's Overview`, `${cOne.toFixed(2)} %`);
}

runBench(main, async () => {
  for (const r of relays) r.close();
  try { unload(MAIN); } catch { /* engine gone */ }
  try { unload(E2); } catch { /* engine gone */ }
  rmSync(dir, { recursive: true, force: true });
});
