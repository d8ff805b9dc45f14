// Cockpit benchmarks (issue: walking skeleton). Prints figures and a baseline from the same run.
//   - launch → first frame listing containers, 40 running containers, median of N runs
//   - idle CPU of opsdeck over 30 s on the Overview, and dockerd's extra CPU caused by it
//   - resident memory after a soak (default 5 min), and its growth between minute 1 and the end
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, docker } from '../test/helpers/docker.js';
import { cpuSeconds, inPty, keyToScreen, median, nodePidUnder, percentile, pidOf, rssBytes, sleep, startLoad, stopLoad } from './lib.js';

const N = Number(process.env.BENCH_CONTAINERS ?? 40);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const SOAK_S = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const stateDir = mkdtempSync(join(tmpdir(), 'opsdeck-bench-'));
const tag = `c${process.pid}`;
const cmd = `${BIN} --state-dir ${stateDir}`;
// The bench project sorts first and svc0 first within it: the first row of the first frame.
const marker = new RegExp(`bench-${tag}-0 `);

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(52)} ${value.padStart(14)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}

async function firstFrame(): Promise<number> {
  const run = inPty(cmd, marker);
  const at = await run.seen;
  run.child.stdin!.write('q');
  await new Promise((r) => run.child.on('exit', r));
  return at - run.started;
}

async function main() {
  console.log(`opsdeck cockpit bench — ${N} running containers, Docker ${await docker('version', '--format', '{{.Server.Version}}')}, ${execFileSync('nproc').toString().trim()} cores`);
  await startLoad(N, tag);
  try {
    // Baselines from the same run: node's own start, and the docker CLI listing the containers.
    const nodeStart: number[] = [];
    const dockerPs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      nodeStart.push(performance.now() - t);
      t = performance.now();
      execFileSync('/usr/bin/docker', ['ps', '-a']);
      dockerPs.push(performance.now() - t);
    }
    const frames: number[] = [];
    await firstFrame(); // warm the page cache once, as a second launch by a person would
    for (let i = 0; i < RUNS; i++) frames.push(await firstFrame());
    console.log('\nstartup');
    line('baseline: node -e 0 (median)', `${median(nodeStart).toFixed(0)} ms`);
    line('baseline: docker ps -a (median)', `${median(dockerPs).toFixed(0)} ms`);
    line(`launch → first frame listing ${N} containers (median of ${RUNS})`, `${median(frames).toFixed(0)} ms`, '≤ 500 ms', median(frames) <= 500);
    line('  min / max', `${Math.min(...frames).toFixed(0)} / ${Math.max(...frames).toFixed(0)} ms`);

    // Idle CPU: dockerd alone for the same window first, then with opsdeck on the Overview.
    const dockerd = pidOf('dockerd');
    await sleep(2000);
    let d0 = cpuSeconds(dockerd);
    await sleep(IDLE_S * 1000);
    const dockerdAlone = ((cpuSeconds(dockerd) - d0) / IDLE_S) * 100;

    const run = inPty(cmd, marker);
    await run.seen;
    const pid = await nodePidUnder(run.child.pid!);
    await sleep(5000); // let it settle: inspect and first stats rounds done
    const o0 = cpuSeconds(pid);
    d0 = cpuSeconds(dockerd);
    await sleep(IDLE_S * 1000);
    const opsCpu = ((cpuSeconds(pid) - o0) / IDLE_S) * 100;
    const dockerdWith = ((cpuSeconds(dockerd) - d0) / IDLE_S) * 100;
    console.log(`\nidle on the Overview for ${IDLE_S} s (% of one core)`);
    line('opsdeck process CPU', `${opsCpu.toFixed(2)} %`, '≤ 3 %', opsCpu <= 3);
    line('baseline: dockerd CPU without opsdeck', `${dockerdAlone.toFixed(2)} %`);
    line('dockerd CPU with opsdeck', `${dockerdWith.toFixed(2)} %`);
    line('dockerd extra CPU caused by opsdeck', `${(dockerdWith - dockerdAlone).toFixed(2)} %`, '≤ 4 %', dockerdWith - dockerdAlone <= 4);

    // Keypress → repainted confirmation dialog, while the containers' stats keep updating
    // (issue: actions). `r` opens the dialog for the selected row, `n` cancels it.
    const DIALOGS = Number(process.env.BENCH_DIALOGS ?? 40);
    const lat: number[] = [];
    for (let i = 0; i < DIALOGS; i++) {
      const open = await keyToScreen(run, 'r', /Restart \S+\?/);
      lat.push(open.seen - open.sent);
      run.child.stdin!.write('n'); // cancels; the repeated flash may draw nothing new, so no wait on it
      await sleep(300 + (i % 5) * 137); // and spread the presses over the stats rounds
    }
    console.log(`\nkeypress → repainted confirmation dialog (${DIALOGS} presses, stats updating)`);
    line('p50', `${percentile(lat, 50).toFixed(1)} ms`);
    line('p95', `${percentile(lat, 95).toFixed(1)} ms`, '≤ 50 ms', percentile(lat, 95) <= 50);
    line('max', `${Math.max(...lat).toFixed(1)} ms`);

    // Memory soak: RSS at minute 1 and at the end.
    const startedAt = performance.now();
    const waitUntil = async (s: number) => { const left = s * 1000 - (performance.now() - startedAt); if (left > 0) await sleep(left); };
    await waitUntil(Math.min(60, SOAK_S / 5));
    const rss1 = rssBytes(pid);
    let peak = rss1;
    while (performance.now() - startedAt < SOAK_S * 1000) {
      await sleep(5000);
      peak = Math.max(peak, rssBytes(pid));
    }
    const rssEnd = rssBytes(pid);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    console.log(`\nmemory over ${SOAK_S} s with ${N} containers`);
    line('resident memory at the end', mb(rssEnd), '≤ 120 MB', rssEnd <= 120 * 1024 * 1024);
    line(`resident memory at ${Math.min(60, SOAK_S / 5).toFixed(0)} s`, mb(rss1));
    line('growth from then to the end', mb(rssEnd - rss1), 'no growth (≤ 5 MB noise)', rssEnd - rss1 <= 5 * 1024 * 1024);
    line('peak', mb(peak));
    run.child.stdin!.write('q');
    await new Promise((r) => run.child.on('exit', r));
  } finally {
    await stopLoad(tag);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); void stopLoad(tag).finally(() => process.exit(1)); });
