// Capacity view render benchmark (issue: capacity). No Docker, no database: synthetic CapacityData for
// 7 days of 100 series (host, 40 containers × memory and CPU, databases, volumes), the shape
// loadCapacity() returns, drawn the way the cockpit draws it. Prints p50/p95 per case:
//   - the view through Ink (renderToString of <CapacityView>) at 80×24 and 200×60, for 7 days at
//     15 min resolution (672 points a series: what loadCapacity returns for 7 d) and, as a worst case,
//     at 1 min (10,080 points a series); every run gets a new data object, as every refresh does
//   - the pure layout alone (renderCapacityText), to see what Ink adds
//   baselines in the same run: Ink drawing a screen of plain text lines of the same size (the floor any
//   view pays), and the Health view with 100 rows.
// "As shipped": the view bundled the way dist/opsdeck.mjs is (esbuild, React's production build, the
// memoised string-width) — what an operator runs. Once more "as modules" (React's development build,
// plain string-width: what unit tests see) for one size, to show the difference.
// Target: query + render ≤ 100 ms; this measures the render, so it prints the budget left for the query.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type React from 'react';
import type { CapacityData, CapacitySeries, CapacityUnit } from '../src/metrics/types.js';
import type { HealthRow } from '../views/Health.js';
import { REPO } from '../test/helpers/docker.js';
import { median, percentile } from './lib.js';

interface Kit {
  React: typeof import('react');
  ink: typeof import('ink');
  capacity: typeof import('../views/Capacity.js');
  health: typeof import('../views/Health.js');
  theme: typeof import('../views/theme.js');
}

async function modulesKit(): Promise<Kit> {
  return { React: await import('react'), ink: await import('ink'), capacity: await import('../views/Capacity.js'), health: await import('../views/Health.js'), theme: await import('../views/theme.js') };
}

/** The same modules bundled with the production bundle's settings (scripts/bundle.mjs). */
async function shippedKit(): Promise<Kit> {
  const { build } = await import('esbuild');
  const outfile = join(REPO, 'dist', 'bench', 'capacityRender.shipped.mjs');
  await build({
    absWorkingDir: REPO,
    stdin: {
      contents: [
        "export * as React from 'react';",
        "export * as ink from 'ink';",
        "export * as capacity from './views/Capacity.tsx';",
        "export * as health from './views/Health.tsx';",
        "export * as theme from './views/theme.ts';",
      ].join('\n'),
      resolveDir: REPO,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    jsx: 'automatic',
    alias: { 'react-devtools-core': './scripts/devtools-stub.mjs', 'is-in-ci': './scripts/not-in-ci.mjs', 'string-width': './scripts/string-width-cached.mjs' },
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    logLevel: 'warning',
  });
  return (await import(pathToFileURL(outfile).href)) as Kit;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const TARGET_MS = 100;
const DAY = 86_400_000;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A deterministic pseudo-random series generator (the same figures every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

function synth(stepMs: number): CapacityData {
  const to = Date.UTC(2025, 0, 8);
  const from = to - 7 * DAY;
  const r = rng(42);
  const series: CapacitySeries[] = [];
  const add = (id: string, title: string, group: CapacitySeries['group'], unit: CapacityUnit, base: number, growthPerDay: number, noise: number, limit: number | null) => {
    const points: CapacitySeries['points'] = [];
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let current: number | null = null;
    for (let t = from; t <= to; t += stepMs) {
      // 1 % of slots empty (agent restarts), like real history
      if (r() < 0.01) { points.push({ at: t, value: null }); continue; }
      const v = Math.max(0, base + growthPerDay * ((t - from) / DAY) + noise * (r() - 0.5));
      points.push({ at: t, value: v });
      if (v < min) min = v;
      if (v > max) max = v;
      current = v;
    }
    const daysToFull = limit !== null && growthPerDay > 0 && current !== null ? (limit - current) / growthPerDay : null;
    series.push({
      id, title, group, unit, points, current, min, max, limit,
      projection: unit === 'percent' ? null : daysToFull !== null
        ? { status: 'full-in', daysToFull, growthPerDay, confidence: 0.93, message: `full in ${daysToFull.toFixed(1)} days (r² 0.93)` }
        : { status: 'no-trend', daysToFull: null, growthPerDay: null, confidence: 0.08, message: 'no trend (r² 0.08)' },
    });
  };
  add('host.cpu', 'CPU', 'host', 'percent', 35, 0, 30, null);
  add('host.mem', 'Memory', 'host', 'bytes', 9 * GiB, 0.1 * GiB, 0.5 * GiB, 16 * GiB);
  add('host.disk:/', 'Disk /', 'host', 'bytes', 60 * GiB, 1 * GiB, 0.2 * GiB, 100 * GiB);
  add('host.disk:/var/lib/docker', 'Disk /var/lib/docker', 'host', 'bytes', 300 * GiB, 4 * GiB, 1 * GiB, 500 * GiB);
  for (let i = 0; i < 40; i++) {
    add(`container:app-${i}.mem`, `app-${i} memory`, 'containers', 'bytes', (50 + 10 * i) * MiB, i % 7 === 0 ? 20 * MiB : 0, 20 * MiB, i % 3 === 0 ? 1024 * MiB : null);
    add(`container:app-${i}.cpu`, `app-${i} CPU`, 'containers', 'percent', 2 + i, 0, 10, null);
  }
  for (let i = 0; i < 10; i++) add(`db.postgres:db-${i}/app.size`, `postgres app${i} (db-${i})`, 'databases', 'bytes', (100 + 50 * i) * MiB, 5 * MiB, 1 * MiB, null);
  for (let i = 0; i < 6; i++) add(`volume:vol-${i}.size`, `volume vol-${i}`, 'volumes', 'bytes', (1 + i) * GiB, 0.05 * GiB, 0.01 * GiB, i % 2 ? 10 * GiB : null);
  return { window: '7d', from, to, series, collector: 'agent', lastSampleAt: to - 8000 };
}

function time(fn: () => unknown): number[] {
  for (let i = 0; i < 3; i++) fn(); // warm-up (JIT, module-level caches)
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

function line(name: string, ms: number[], target?: number) {
  const p95 = percentile(ms, 95);
  const mark = target === undefined ? '' : `   target ≤ ${target} ms with the query${p95 <= target ? '  ✓' : '  ✗ MISSED'} (leaves ${(target - p95).toFixed(1)} ms for it)`;
  console.log(`${name.padEnd(68)} p50 ${median(ms).toFixed(2).padStart(7)} ms  p95 ${p95.toFixed(2).padStart(7)} ms${mark}`);
}

function cases(kit: Kit, label: string, sizes: readonly (readonly [number, number])[], dense: CapacityData, coarse: CapacityData) {
  const { React: R, ink, capacity, health, theme } = kit;
  const colours = theme.makeTheme(true);
  const draw = (node: React.ReactElement, columns: number) => ink.renderToString(R.createElement(theme.ThemeContext.Provider, { value: colours }, node), { columns });
  const plainScreen = (width: number, height: number) => {
    const rows = Array.from({ length: height }, (_, i) => `line ${i} `.padEnd(width - 1, 'x'));
    return R.createElement(ink.Box, { flexDirection: 'column', width, height }, rows.map((r, i) => R.createElement(ink.Text, { key: i, wrap: 'truncate' }, r)));
  };
  // Every run draws a fresh object, as a new query result would be (the view caches the order per object).
  const fresh = (d: CapacityData) => () => ({ ...d });
  for (const [w, h] of sizes) {
    console.log(`\n${label}: ${w}×${h + 4} terminal (view body ${w}×${h})`);
    line('baseline: Ink, a screen of plain text', time(() => draw(plainScreen(w, h), w)));
    const rows = healthRows(100);
    line('baseline: Ink, Health view with 100 checks', time(() => draw(R.createElement(health.HealthView, { rows, selected: 50, top: 40, width: w, height: h, now: 0, ascii: false }), w)));
    for (const [res, data] of [['15 min', coarse], ['1 min (worst case)', dense]] as const) {
      const next = fresh(data);
      const target = label === 'as shipped' ? TARGET_MS : undefined;
      line(`Capacity view (Ink), 7 d at ${res}, CPU selected`, time(() => draw(R.createElement(capacity.CapacityView, { data: next(), selected: 0, scroll: 0, width: w, height: h, ascii: false }), w)), target);
      line(`Capacity view (Ink), 7 d at ${res}, a container selected`, time(() => draw(R.createElement(capacity.CapacityView, { data: next(), selected: 30, scroll: 20, width: w, height: h, ascii: false }), w)), target);
      line(`  pure layout only (renderCapacityText), ${res}`, time(() => capacity.renderCapacityText(next(), w, h, false, { selected: 30, scroll: 20 })));
      line(`  pure layout, --ascii, ${res}`, time(() => capacity.renderCapacityText(next(), w, h, true, { selected: 30, scroll: 20 })));
    }
  }
}

function healthRows(n: number): HealthRow[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `check-${i}`, kind: 'http', status: i % 9 === 0 ? 'warn' : 'ok', message: `200 OK in ${i} ms`, latencyMs: i, since: 0,
    history: Array.from({ length: 20 }, (_, k) => ((i + k) % 11 === 0 ? 'warn' : 'ok')), running: false, details: {}, source: 'config',
  }));
}

async function main() {
  const t0 = performance.now();
  const dense = synth(60_000);
  const coarse = synth(15 * 60_000);
  const points = dense.series.reduce((s, x) => s + x.points.length, 0);
  console.log(`opsdeck capacity render bench — ${dense.series.length} series × 7 days: ${points.toLocaleString('en')} points at 1 min (${coarse.series[0]!.points.length} a series at 15 min); synthetic data built in ${(performance.now() - t0).toFixed(0)} ms; ${RUNS} runs each; Node ${process.version}; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
  cases(await shippedKit(), 'as shipped', [[80, 20], [200, 56]], dense, coarse);
  cases(await modulesKit(), 'as modules', [[200, 56]], dense, coarse);
}

await main();
