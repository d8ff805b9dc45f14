// Logs view benchmarks (issue: logs), end to end: the cockpit in a pty following a container that
// writes ~20,000 lines/s for ~20 s. Prints figures against targets and same-run baselines:
//   - keypress (f: pause/follow) → repainted header, p50/p95/max during the flood   target p95 ≤ 100 ms
//       baselines: the same with no flood (Logs view idle), and ? on the idle Overview
//   - resident memory peak of the cockpit during the flood (sampled every 250 ms)     target ≤ 200 MB
//   - lines dropped (from the screen) against lines the container wrote (docker logs | wc -l)
//   - CPU of the cockpit during the flood; reference: `docker logs -f NAME > /dev/null` on the same flood
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, DOCKER, docker, floodScript } from '../test/helpers/docker.js';
import { cpuSeconds, inPty, keyToScreen, median, nodePidUnder, percentile, pidOf, rssBytes, sleep, stopLoad, type PtyRun } from './lib.js';

const PRESSES = Number(process.env.BENCH_PRESSES ?? 20);
const FLOOD_S = Number(process.env.BENCH_FLOOD_SECONDS ?? 20);
const MAX_LINES = Number(process.env.BENCH_MAX_LINES ?? 50_000);
const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-bench-'));
// The buffer bound (default: the built-in default), and no developer's own config file.
const configFile = join(stateDir, 'opsdeck.yaml');
writeFileSync(configFile, `logs:\n  maxLines: ${MAX_LINES}\n`);
const tag = `l${process.pid}`;
// Short names: the Logs header (` · N dropped (buffer full)` comes last) must fit 120 columns.
const NAME = `lb${process.pid}`;
const REF = `lr${process.pid}`;
const cmd = `${BIN} --config ${configFile} --state-dir ${stateDir}`;
const GO = '/tmp/go';

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(52)} ${value.padStart(14)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const num = (s: string | undefined) => Number((s ?? 'NaN').replace(/,/g, ''));

/** A labelled container that prints `ready`, waits for GO to exist (docker exec touch), then floods. */
async function floodContainer(name: string): Promise<void> {
  await docker('run', '-d', '--name', name, '--label', 'opsdeck.test=1', '--label', `opsdeck.bench=${tag}`, 'busybox:1.36',
    'sh', '-c', `echo ready; while [ ! -e ${GO} ]; do usleep 20000; done; ${floodScript(FLOOD_S)}`);
}
const startFlood = (name: string) => docker('exec', name, 'touch', GO);

/** Presses `key` `n` times, alternating the regexes the screen must show next; returns the latencies (ms). */
async function toggles(run: PtyRun, n: number, key: string, states: RegExp[], gapMs: number, back?: { key: string; re: RegExp }): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const { sent, seen } = await keyToScreen(run, key, states[i % states.length]!);
    lat.push(seen - sent);
    if (back) await keyToScreen(run, back.key, back.re);
    await sleep(gapMs + (i % 5) * 37);
  }
  return lat;
}

function report(title: string, lat: number[], target?: { p95: number }) {
  console.log(`\n${title}`);
  line('p50', `${percentile(lat, 50).toFixed(1)} ms`);
  const p95 = percentile(lat, 95);
  line('p95', `${p95.toFixed(1)} ms`, target ? `≤ ${target.p95} ms` : undefined, target ? p95 <= target.p95 : undefined);
  line('max', `${Math.max(...lat).toFixed(1)} ms`);
}

/** Resolves when the pty output (since now) contains `re`. */
function outputShows(run: PtyRun, re: RegExp, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4096);
      if (re.test(seen)) { run.child.stdout!.off('data', onData); clearTimeout(timer); resolve(performance.now()); }
    };
    const timer = setTimeout(() => { run.child.stdout!.off('data', onData); reject(new Error(`no ${re} within ${timeoutMs} ms`)); }, timeoutMs);
    run.child.stdout!.on('data', onData);
  });
}

let cockpit: PtyRun | null = null;
let follower: ChildProcess | null = null;

async function main() {
  console.log(`opsdeck logs bench — a container writing ~20,000 lines/s for ${FLOOD_S} s, Docker ${await docker('version', '--format', '{{.Server.Version}}')}, ${execFileSync('nproc').toString().trim()} cores`);
  await floodContainer(NAME);
  const dockerd = pidOf('dockerd');

  // The cockpit, idle on the Overview (the flood container is listed and still quiet).
  const run = inPty(cmd, new RegExp(`${NAME} `));
  cockpit = run;
  await run.seen;
  const pid = await nodePidUnder(run.child.pid!);
  await sleep(3000);
  const rssOverview = rssBytes(pid);
  const overview = await toggles(run, PRESSES, '?', [/Keys — Esc or \? closes/], 250, { key: '\x1b', re: / NAME +STATE/ });

  // Its logs, no flood yet: the same f presses as during the flood.
  run.child.stdin!.write(`:logs ${NAME}\r`);
  await outputShows(run, new RegExp(`Logs: ${NAME}`), 10_000);
  await sleep(1500);
  const FLIP = [/PAUSED/, /FOLLOWING/];
  const idle = await toggles(run, PRESSES, 'f', FLIP, 250);

  // The flood: f presses while it runs, memory sampled, CPU over the whole flood.
  const rssBefore = rssBytes(pid);
  let peak = rssBefore;
  const sampler = setInterval(() => { try { peak = Math.max(peak, rssBytes(pid)); } catch { /* gone */ } }, 250);
  const doneSeen = outputShows(run, /flood done/, (FLOOD_S + 60) * 1000);
  doneSeen.catch(() => undefined);
  let finished = false;
  void doneSeen.then(() => { finished = true; });
  const cpu0 = cpuSeconds(pid);
  const d0 = cpuSeconds(dockerd);
  await startFlood(NAME);
  const t0 = performance.now();
  await sleep(1500);
  const flood = await toggles(run, PRESSES, 'f', FLIP, 400);
  const pressesInFlood = finished ? 'some after the flood ended' : 'all during the flood';
  const t1 = await doneSeen;
  const floodS = (t1 - t0) / 1000;
  const opsCpu = ((cpuSeconds(pid) - cpu0) / floodS) * 100;
  const dockerdCpu = ((cpuSeconds(dockerd) - d0) / floodS) * 100;
  await sleep(5000);
  clearInterval(sampler);
  const rssAfter = rssBytes(pid);
  const out = run.output();
  const dropped = num([...out.matchAll(/([\d,]+) dropped \(buffer full\)/g)].at(-1)?.[1]);
  const held = num([...out.matchAll(/([\d,]+) lines · /g)].at(-1)?.[1]);
  const written = (await docker('logs', NAME)).split('\n').length;
  run.child.stdin!.write('q');
  await new Promise((r) => run.child.on('exit', r));
  cockpit = null;

  // Reference: the docker CLI following the same flood into /dev/null (the cockpit has quit).
  await floodContainer(REF);
  follower = spawn(DOCKER, ['logs', '-f', REF], { stdio: 'ignore' });
  await sleep(1000);
  const f0 = cpuSeconds(follower.pid!);
  const rd0 = cpuSeconds(dockerd);
  await startFlood(REF);
  const r0 = performance.now();
  for (;;) {
    await sleep(500);
    if ((await docker('logs', '--tail', '1', REF)).includes('flood done')) break;
    if (performance.now() - r0 > (FLOOD_S + 60) * 1000) throw new Error('reference flood did not finish');
  }
  const refS = (performance.now() - r0) / 1000;
  const refCpu = ((cpuSeconds(follower.pid!) - f0) / refS) * 100;
  const refDockerd = ((cpuSeconds(dockerd) - rd0) / refS) * 100;
  const refWritten = (await docker('logs', REF)).split('\n').length;
  follower.kill();
  follower = null;

  report(`keypress (f) → repainted Logs header, during the flood (${PRESSES} presses, ${pressesInFlood})`, flood, { p95: 100 });
  report(`baseline: the same, Logs view with no flood (${PRESSES} presses)`, idle);
  report(`baseline: ? → help overlay on the idle Overview (${PRESSES} presses)`, overview);
  console.log(`  medians: flood ${median(flood).toFixed(1)} ms, no flood ${median(idle).toFixed(1)} ms, Overview ${median(overview).toFixed(1)} ms`);

  console.log(`\nthe flood: ${written.toLocaleString('en-US')} lines in ${floodS.toFixed(1)} s (${Math.round((written - 1) / floodS).toLocaleString('en-US')} lines/s), logs.maxLines ${MAX_LINES.toLocaleString('en-US')}`);
  line('resident memory peak of the cockpit', mb(peak), '≤ 200 MB', peak <= 200 * 1024 * 1024);
  line('baseline: resident memory on the idle Overview', mb(rssOverview));
  line('baseline: resident memory just before the flood', mb(rssBefore));
  line('resident memory 5 s after the flood', mb(rssAfter));
  line('lines the container wrote (docker logs | wc -l)', written.toLocaleString('en-US'));
  line('lines held (header)', Number.isNaN(held) ? 'not shown' : held.toLocaleString('en-US'));
  line('lines dropped, buffer full (header)', Number.isNaN(dropped) ? 'not shown' : dropped.toLocaleString('en-US'),
    'held + dropped = written', held + dropped === written);
  line('opsdeck CPU during the flood (% of one core)', `${opsCpu.toFixed(1)} %`);
  line('dockerd CPU meanwhile', `${dockerdCpu.toFixed(1)} %`);
  line('reference: docker logs -f > /dev/null CPU', `${refCpu.toFixed(1)} %`);
  line('reference: dockerd CPU meanwhile', `${refDockerd.toFixed(1)} %`);
  line('reference flood', `${refWritten.toLocaleString('en-US')} lines in ${refS.toFixed(1)} s`);
}

async function cleanup() {
  if (cockpit && cockpit.child.exitCode === null) cockpit.child.kill();
  follower?.kill();
  await stopLoad(tag);
}

main().then(
  () => cleanup().then(() => process.exit(0)),
  (e) => { console.error(e); void cleanup().finally(() => process.exit(1)); },
);
