// The Timeline view: what the operator reads (rows, filter, sources, selection, colours) and the
// pure cursor logic behind the keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { render } from 'ink-testing-library';
import { TimelineView, severityColour } from '../../views/Timeline.js';
import { ThemeContext, makeTheme } from '../../views/theme.js';
import type { TimelineEntry } from '../../src/timeline/types.js';
import { clampTimeline, filterTimeline, moveTimeline, nextSourceFilter } from '../../src/timeline/view.js';

const NOW = new Date(2026, 10, 23, 15, 0, 0).getTime();
const entry = (i: number, over: Partial<TimelineEntry> = {}): TimelineEntry => ({
  at: NOW - (100 - i) * 1000, source: 'docker', severity: 'info', subject: `app-${i}`, project: 'shop', message: `event ${i}`, key: `k${i}`, container: `app-${i}`, ...over,
});
const feed: TimelineEntry[] = [
  entry(1, { severity: 'crit', message: 'died (exit 137, OOM killed)', subject: 'shop-worker-1', kind: 'die' }),
  entry(2, { source: 'alert', severity: 'warn', subject: 'http:api', project: null, message: 'ok → warn: slow', container: undefined }),
  entry(3, { source: 'action', subject: 'shop-api-1', message: 'restart by alice: ok' }),
  entry(4, { severity: 'ok', subject: 'shop-api-1', message: 'started' }),
  entry(5, { source: 'maintenance', subject: 'maintenance', project: 'other', message: 'maintenance on (project other)', container: undefined }),
];

const draw = (props: Partial<React.ComponentProps<typeof TimelineView>> = {}, color = false) => render(
  <ThemeContext.Provider value={makeTheme(color)}>
    <TimelineView entries={feed} selected={4} top={0} filterText="" sources={null} width={100} height={10} now={NOW} ascii={false} {...props} />
  </ThemeContext.Provider>,
).lastFrame() ?? '';

describe('Timeline view', () => {
  it('a summary, the column heads, the entries oldest first with time, source, severity, subject and message', () => {
    const lines = draw({ windowLabel: 'last 24h' }).split('\n');
    assert.match(lines[0]!, /Timeline: 5 entries · last 24h · source all · 1 crit · 1 warn/);
    assert.match(lines[1]!, /TIME +SOURCE +SEV +SUBJECT +MESSAGE/);
    assert.match(lines[2]!, /^ 14:58:21 docker CRIT shop-worker-1 +died \(exit 137, OOM killed\)/);
    assert.match(lines[3]!, /alert +WARN http:api +ok → warn: slow/);
    assert.match(lines[4]!, /action +shop-api-1 +restart by alice: ok/);
    assert.match(lines[6]!, /^▶.*maint +maintenance +maintenance on \(project other\)/, 'the selection is marked');
  });

  it('the filter matches subject, project, container or message; sources narrow it; counts say "of"', () => {
    const f = draw({ filterText: 'SHOP-API', selected: 0 });
    assert.match(f, /2 entries of 5 · filter "SHOP-API"/);
    assert.doesNotMatch(f, /worker/);
    assert.match(draw({ sources: ['alert', 'maintenance'], selected: 0 }), /2 entries of 5 · source alert,maintenance/);
    assert.match(draw({ filterText: 'nothing-like-it' }), /no entry matches the filter \(Esc clears it/);
    assert.match(draw({ entries: [] }), /nothing recorded in the window yet/);
    assert.match(draw({ filterText: 'ab', filtering: true }), /filter "ab█"/);
  });

  it('only the rows that fit are drawn, the window following the selection', () => {
    const many = Array.from({ length: 50 }, (_, i) => entry(i + 1));
    const frame = draw({ entries: many, selected: 49, top: 0, height: 6 });
    const rows = frame.split('\n').slice(2);
    assert.equal(rows.length, 4);
    assert.match(rows[3]!, /^▶.*app-50 +event 50/);
    assert.match(rows[0]!, /app-47/);
  });

  it('colours by severity: crit red, warn yellow, ok green, info plain; without colour the SEV column carries it', () => {
    const t = makeTheme(true);
    assert.deepEqual((['crit', 'warn', 'ok', 'info'] as const).map((s) => severityColour(t, s)), ['red', 'yellow', 'green', undefined]);
    assert.deepEqual((['crit', 'warn', 'ok', 'info'] as const).map((s) => severityColour(makeTheme(false), s)), [undefined, undefined, undefined, undefined]);
    assert.match(draw(), /CRIT shop-worker-1/);
  });

  it('entries from another day show the date', () => {
    assert.match(draw({ entries: [entry(1, { at: NOW - 86_400_000 * 2 })], selected: 0 }), /11-21 15:00:00 docker/);
  });

  it('escape sequences in a subject or message are not drawn', () => {
    const frame = draw({ entries: [entry(1, { subject: 'x\x1b]0;pwned\x07y', message: 'a\x1b[2Jb' })], selected: 0 });
    assert.match(frame, /xy +ab/);
  });
});

describe('timeline cursor', () => {
  it('follows the newest entry until moved; G (bottom) follows again', () => {
    let c = clampTimeline({ selected: -1, top: 0, follow: true }, 100, 10);
    assert.deepEqual(c, { selected: 99, top: 90, follow: true });
    c = moveTimeline(c, 'up', 100, 10);
    assert.deepEqual(c, { selected: 98, top: 90, follow: false });
    c = moveTimeline(c, 'pageUp', 100, 10);
    assert.deepEqual(c, { selected: 89, top: 89, follow: false });
    assert.deepEqual(clampTimeline(c, 120, 10), { selected: 89, top: 89, follow: false }, 'new entries do not move a paused cursor');
    c = moveTimeline(c, 'top', 100, 10);
    assert.deepEqual(c, { selected: 0, top: 0, follow: false });
    c = moveTimeline(c, 'bottom', 100, 10);
    assert.deepEqual(c, { selected: 99, top: 90, follow: true });
    assert.deepEqual(clampTimeline(c, 120, 10), { selected: 119, top: 110, follow: true });
    assert.deepEqual(moveTimeline(c, 'down', 0, 10), { selected: -1, top: 0, follow: true });
  });

  it('source filter cycles all → each source → all', () => {
    const seen: string[] = [];
    let s = null as ReturnType<typeof nextSourceFilter>;
    for (let i = 0; i < 6; i++) { s = nextSourceFilter(s); seen.push(s ? s.join() : 'all'); }
    assert.deepEqual(seen, ['docker', 'alert', 'check', 'maintenance', 'action', 'all']);
  });

  it('filterTimeline returns the same array when nothing filters', () => {
    assert.equal(filterTimeline(feed, ' ', null), feed);
    assert.equal(filterTimeline(feed, '', ['docker']).length, 2);
  });
});
