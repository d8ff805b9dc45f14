// The Capacity view (views/Capacity.tsx): what the operator reads, as text — through the pure layout
// (renderCapacityText / capacityLines) and through Ink (renderToString) with the same props.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { renderToString } from 'ink';
import stringWidth from 'string-width';
import type { CapacityData, CapacitySeries, Projection } from '../../src/metrics/types.js';
import { CapacityView, NO_HISTORY, capacityLines, capacityOrder, capacityScroll, formatGrowth, formatValue, projectionTone, renderCapacityText, type CapacityViewProps } from '../../views/Capacity.js';
import { ThemeContext, makeTheme } from '../../views/theme.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const DAY = 86_400_000;
const TO = Date.UTC(2025, 0, 8);
const FROM = TO - 7 * DAY;
const STEP = 15 * 60_000; // the 7 d window at 15 min resolution: 673 points

function series(id: string, title: string, group: CapacitySeries['group'], unit: CapacitySeries['unit'], f: (x: number) => number | null, limit: number | null = null, projection: Projection | null = null): CapacitySeries {
  const points: CapacitySeries['points'] = [];
  for (let t = FROM; t <= TO; t += STEP) points.push({ at: t, value: f((t - FROM) / (TO - FROM)) });
  const vals = points.map((p) => p.value).filter((v): v is number => v !== null);
  return { id, title, group, unit, points, current: vals.at(-1) ?? null, min: vals.length ? Math.min(...vals) : null, max: vals.length ? Math.max(...vals) : null, limit, projection };
}

const fullIn = (days: number, r2: number, perDay: number): Projection => ({ status: 'full-in', daysToFull: days, growthPerDay: perDay, confidence: r2, message: `full in ${days} days (r² ${r2.toFixed(2)})` });
const noTrend: Projection = { status: 'no-trend', daysToFull: null, growthPerDay: 0.1, confidence: 0.12, message: 'no trend (r² 0.12)' };
const tooFew: Projection = { status: 'too-few-points', daysToFull: null, growthPerDay: null, confidence: null, message: 'too few points (3 of 10)' };

function fixture(): CapacityData {
  return {
    window: '7d',
    from: FROM,
    to: TO,
    collector: 'agent',
    lastSampleAt: TO - 12_000,
    series: [
      series('host.cpu', 'CPU', 'host', 'percent', (x) => 30 + 20 * Math.sin(x * 14 * Math.PI)),
      series('host.disk:/', 'Disk /', 'host', 'bytes', (x) => 30 * GiB + x * 7 * GiB, 50 * GiB, fullIn(9.8, 0.97, GiB)),
      series('container:shop-db-1.mem', 'shop-db-1 memory', 'containers', 'bytes', () => 200 * MiB, 512 * MiB, noTrend),
      series('container:shop-api-1.mem', 'shop-api-1 memory', 'containers', 'bytes', () => 300 * MiB, null, null),
      series('container:shop-api-1.cpu', 'shop-api-1 CPU', 'containers', 'percent', (x) => (x > 0.5 && x < 0.6 ? null : 7)),
      series('db.postgres:shop-db-1/shop.size', 'postgres shop (shop-db-1)', 'databases', 'bytes', (x) => 8 * MiB + x * 4 * MiB, null,
        { status: 'no-limit', daysToFull: null, growthPerDay: (4 * MiB) / 7, confidence: 0.99, message: 'growing, no limit (r² 0.99)' }),
      series('volume:pgdata.size', 'volume pgdata', 'volumes', 'bytes', () => 1.9 * GiB, 2 * GiB, fullIn(2.1, 0.9, 0.3 * GiB)),
      series('volume:new.size', 'volume new', 'volumes', 'bytes', (x) => (x > 0.99 ? MiB : null), null, tooFew),
    ],
  };
}

const lines = (text: string) => text.split('\n');
const BRAILLE = /[\u2801-\u28ff]/;
const BLOCKS = /[\u2580-\u259f]/;

describe('capacity view layout', () => {
  it('fits 80×24 exactly: every line 80 cells, 20 lines for a 20-line body', () => {
    const text = renderCapacityText(fixture(), 80, 20, false);
    const ls = lines(text);
    assert.equal(ls.length, 20);
    for (const l of ls) assert.equal(stringWidth(l), 80, JSON.stringify(l));
  });

  it('shows the window, who records, the selected series large and every group in order', () => {
    const text = renderCapacityText(fixture(), 100, 30, false, { selected: 1 });
    const ls = lines(text);
    assert.match(ls[0]!, /Capacity · 1h 24h \[7d\] 30d · 8 series · agent recording · last sample 12s ago/);
    // selected = 1 is Disk / (host keeps the data's order): title, facts, the chart with its labels
    assert.match(ls[1]!, /^ Disk \/ {2}now 37 GiB · min 30 GiB · max 37 GiB · limit 50 GiB/);
    assert.ok(ls.some((l) => /^ +50 GiB┤[⠁-⣿ ]+$/.test(l.trimEnd())), 'the limit row is labelled and dotted');
    assert.ok(ls.some((l) => /^ +0 B┤⣿+/.test(l)), 'the bottom of a 0-based scale');
    assert.ok(ls.some((l) => /◀ 37 GiB/.test(l)), 'the current value at its row');
    assert.ok(ls.some((l) => /-7d +-6d .* -1d +now/.test(l)), 'the x axis over the week');
    assert.ok(ls.some((l) => /^ full in 9\.8 days \(r² 0\.97\) · \+1\.0 GiB\/day/.test(l)), 'the projection under the chart');
    const headings = ls.filter((l) => /^ [A-Z][A-Z /]+\(\d+\)/.test(l)).map((l) => l.trim());
    assert.deepEqual(headings, ['HOST (2)', 'CONTAINERS BY MEMORY (2)', 'CONTAINERS BY CPU (1)', 'DATABASES (1)', 'VOLUMES (2)']);
    // the selected row is marked; the others are one line each with current, sparkline and projection
    assert.match(text, /▶Disk \/ +37 GiB [⠁-⣿]+ full in 9\.8 days/);
    assert.match(text, / postgres shop \(shop-db-1\) +12 MiB [⠁-⣿]+ growing, no limit/);
    assert.match(text, / volume new +1\.0 MiB +[⠁-⣿]+ too few points \(3 of 10\)/);
  });

  it('orders containers, databases and volumes biggest first; `selected` indexes that order', () => {
    const order = capacityOrder(fixture()).map((s) => s.id);
    assert.deepEqual(order, [
      'host.cpu', 'host.disk:/',
      'container:shop-api-1.mem', 'container:shop-db-1.mem',
      'container:shop-api-1.cpu',
      'db.postgres:shop-db-1/shop.size',
      'volume:pgdata.size', 'volume:new.size',
    ]);
    const text = renderCapacityText(fixture(), 100, 30, false, { selected: 3 });
    assert.match(lines(text)[1]!, /^ shop-db-1 memory {2}now 200 MiB/);
    assert.match(text, /▶shop-db-1 memory/);
    // out of range: the last one
    assert.match(lines(renderCapacityText(fixture(), 100, 30, false, { selected: 99 }))[1]!, /^ volume new/);
  });

  it('colours projections: crit below 3 days, warn below the 14-day horizon, unsure ones dim', () => {
    assert.equal(projectionTone(fullIn(2.1, 0.9, 1)), 'crit');
    assert.equal(projectionTone(fullIn(9.8, 0.97, 1)), 'warn');
    assert.equal(projectionTone(fullIn(20, 0.97, 1)), 'ok');
    assert.equal(projectionTone(fullIn(20, 0.97, 1), 30), 'warn');
    assert.equal(projectionTone(noTrend), 'dim');
    assert.equal(projectionTone(tooFew), 'dim');
    const segs = capacityLines({ data: fixture(), selected: 6, scroll: 0, width: 100, height: 30, ascii: false }).flat();
    const tone = (re: RegExp) => segs.find((s) => re.test(s.text))?.tone;
    assert.equal(tone(/full in 2\.1 days/), 'crit');
    assert.equal(tone(/full in 9\.8 days/), 'warn');
    assert.equal(tone(/no trend/), 'dim');
    // 1.9 of 2 GiB is 95 %: the current value is crit too
    assert.equal(tone(/^ +1\.9 GiB $/), 'crit');
  });

  it('formats values and growth by unit', () => {
    assert.equal(formatValue('percent', 42.4), '42%');
    assert.equal(formatValue('percent', 7.04), '7.0%');
    assert.equal(formatValue('bytes', 1.5 * GiB), '1.5 GiB');
    assert.equal(formatValue('bytesPerSec', 12 * MiB), '12 MiB/s');
    assert.equal(formatValue('load', 0.4213), '0.42');
    assert.equal(formatValue('bytes', null), '–');
    assert.equal(formatGrowth('bytes', GiB), '+1.0 GiB/day');
    assert.equal(formatGrowth('bytes', -12 * MiB), '-12 MiB/day');
    assert.equal(formatGrowth('percent', 0.42), '+0.4 pp/day');
    assert.equal(formatGrowth('bytes', null), '');
  });

  it('--ascii draws with ASCII only; block style for terminals without braille', () => {
    const ascii = renderCapacityText(fixture(), 80, 20, true, { selected: 1 });
    assert.doesNotMatch(ascii, BRAILLE);
    assert.doesNotMatch(ascii, BLOCKS);
    assert.match(ascii, /50 GiB\+-+/);
    assert.match(ascii, /\|#+/);
    assert.match(ascii, /< 37 GiB/);
    assert.match(ascii, /^>Disk \//m);
    const block = renderCapacityText(fixture(), 80, 20, false, { selected: 1, chartStyle: 'block' });
    assert.doesNotMatch(block, BRAILLE);
    assert.match(block, /┤█+/);
    assert.match(block, /▶Disk \/ +37 GiB [▁-█]+ /);
  });

  it('neutralises escape sequences in titles and messages', () => {
    const d = fixture();
    d.series[0] = { ...d.series[0]!, title: 'evil\x1b]0;pwned\x07\x1b[2Jname\nnext' };
    d.series[1] = { ...d.series[1]!, projection: { ...fullIn(9.8, 0.97, GiB), message: 'full\x1b[31m in 9.8 days' } };
    for (const selected of [0, 1]) {
      const text = renderCapacityText(d, 100, 30, false, { selected });
      assert.ok(!text.includes('\x1b') && !text.includes('\x07'), 'no escape, no BEL');
      assert.match(text, /evilname\uFFFDnext/);
      assert.match(text, /full in 9\.8 days/);
      for (const l of lines(text)) assert.equal(stringWidth(l), 100);
    }
  });

  it('says what to do without history, while loading and on errors', () => {
    assert.match(renderCapacityText(null, 80, 5, false), new RegExp(NO_HISTORY.replace(/[`.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(NO_HISTORY, /no history yet: run `opsdeck agent` or keep the cockpit open/);
    assert.match(renderCapacityText(null, 80, 5, false, { loading: true }), /loading history…/);
    const err = renderCapacityText(null, 80, 5, false, { error: 'no such table: samples\n(at migration 7)' });
    assert.match(err, /capacity history could not be read: no such table: samples \(at migration 7\)/);
    // series without a single sample are no history either; the summary says nobody records
    const empty: CapacityData = { window: '24h', from: FROM, to: TO, series: [series('host.cpu', 'CPU', 'host', 'percent', () => null)], collector: null, lastSampleAt: null };
    const text = renderCapacityText(empty, 80, 5, false);
    assert.match(text, /no history yet/);
    assert.match(text, /not recording: run `opsdeck agent`/);
    assert.match(lines(text)[0]!, /1h \[24h\] 7d 30d/);
    const recording = renderCapacityText({ ...empty, collector: 'cockpit' }, 80, 5, false);
    assert.match(recording, /recording now \(this cockpit\): the first samples show within a minute/);
    // an error with data keeps the data on screen
    assert.match(renderCapacityText(fixture(), 80, 20, false, { error: 'database is locked' }), /could not be read: database is locked[\s\S]*Disk \//);
    assert.equal(lines(renderCapacityText(null, 80, 5, false)).length, 5);
    assert.equal(renderCapacityText(fixture(), 80, 0, false), '');
  });

  it('scrolls the list so the selected series (and its heading) stay visible', () => {
    const many: CapacityData = { ...fixture(), series: Array.from({ length: 60 }, (_, i) => series(`container:c${i}.mem`, `c${String(i).padStart(2, '0')}`, 'containers', 'bytes', () => (100 - i) * MiB)) };
    for (const selected of [0, 1, 25, 59]) {
      const top = capacityScroll(many, selected, 20, 0);
      const text = renderCapacityText(many, 80, 20, false, { selected, scroll: top });
      assert.match(text, new RegExp(`▶c${String(selected).padStart(2, '0')} `), `selected ${selected} visible`);
      assert.equal(lines(text).length, 20);
    }
    // the first series brings its heading along
    assert.match(renderCapacityText(many, 80, 20, false, { selected: 0, scroll: 5 }), /CONTAINERS BY MEMORY \(60\) *\n▶c00/);
    // a stale scroll still shows the selection
    assert.match(renderCapacityText(many, 80, 20, false, { selected: 59, scroll: 0 }), /▶c59 /);
    assert.equal(capacityScroll(null, 3, 20, 7), 0);
  });

  it('scales up: a large terminal gives a taller chart and wider sparklines', () => {
    const small = lines(renderCapacityText(fixture(), 80, 20, false, { selected: 1 }));
    const large = lines(renderCapacityText(fixture(), 200, 60, false, { selected: 1 }));
    const chartRows = (ls: string[]) => ls.filter((l) => /[┤│]/.test(l)).length;
    assert.ok(chartRows(large) > chartRows(small) * 2, `${chartRows(large)} vs ${chartRows(small)}`);
    const spark = (ls: string[]) => (ls.find((l) => l.startsWith(' CPU '))!.match(/[⠁-⣿][⠁-⣿ ]*[⠁-⣿]/)?.[0] ?? '').length;
    assert.ok(spark(large) > spark(small) * 2);
    for (const l of large) assert.equal(stringWidth(l), 200);
    // and a tiny one still draws the list, nothing wider than the terminal
    const tiny = lines(renderCapacityText(fixture(), 40, 6, false));
    assert.equal(tiny.length, 6);
    for (const l of tiny) assert.equal(stringWidth(l), 40);
  });
});

describe('capacity view through Ink', () => {
  const props = (p: Partial<CapacityViewProps> = {}): CapacityViewProps => ({ data: fixture(), selected: 1, scroll: 0, width: 80, height: 20, ascii: false, ...p });
  const ink = (p: CapacityViewProps) => renderToString(React.createElement(ThemeContext.Provider, { value: makeTheme(false) }, React.createElement(CapacityView, p)), { columns: p.width });

  it('draws the same text as the pure layout', () => {
    const p = props();
    const out = lines(ink(p)).map((l) => l.trimEnd());
    const text = lines(renderCapacityText(p.data, p.width, p.height, p.ascii, p)).map((l) => l.trimEnd());
    while (out.length < text.length && text[out.length] === '') out.push('');
    assert.deepEqual(out, text);
    assert.match(out.join('\n'), /full in 9\.8 days \(r² 0\.97\)/);
  });

  it('with colours on, still no line wider than the terminal', () => {
    const out = renderToString(React.createElement(ThemeContext.Provider, { value: makeTheme(true) }, React.createElement(CapacityView, props({ width: 80 }))), { columns: 80 });
    for (const l of lines(out)) assert.ok(stringWidth(l) <= 80, JSON.stringify(l));
    assert.match(out, /no history yet|Disk \//);
  });

  it('empty data tells the operator what to do', () => {
    assert.match(ink(props({ data: null })), /no history yet: run `opsdeck agent` or keep the cockpit open/);
  });
});
