// The post-incident report draft: the runbooks' template filled from the feed and the audit log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultReportName, incidentFacts, incidentReport, md, writeReportFile } from '../../src/timeline/report.js';
import type { TimelineEntry } from '../../src/timeline/types.js';
import type { AuditRecord } from '../../src/store/audit.js';

const T0 = Date.parse('2026-11-23T14:00:00Z');
let n = 0;
const e = (sec: number, source: TimelineEntry['source'], severity: TimelineEntry['severity'], subject: string, message: string, kind: string, over: Partial<TimelineEntry> = {}): TimelineEntry =>
  ({ at: T0 + sec * 1000, source, severity, subject, project: 'shop', message, key: `k${n++}`, kind, container: source === 'docker' || source === 'action' ? subject : undefined, ...over });

const incident: TimelineEntry[] = [
  e(1, 'docker', 'warn', 'shop-api-1', 'sent SIGKILL', 'kill'),
  e(2, 'docker', 'crit', 'shop-api-1', 'died (exit 137: SIGKILL)', 'die', { exitCode: 137 }),
  e(5, 'docker', 'crit', 'shop-worker-1', 'out of memory: the kernel killed a process (memory limit reached)', 'oom'),
  e(5, 'docker', 'crit', 'shop-worker-1', 'died (exit 137, OOM killed)', 'die', { exitCode: 137 }),
  e(30, 'alert', 'crit', 'http:api', 'ok → crit: HTTP 502', 'transition', { project: null }),
  e(60, 'action', 'info', 'shop-api-1', 'restart by alice: ok (took 1s)', 'container.restart'),
  e(61, 'docker', 'ok', 'shop-api-1', 'started', 'start'),
  e(62, 'docker', 'ok', 'shop-worker-1', 'started', 'start'),
  e(90, 'alert', 'ok', 'http:api', 'crit → ok: HTTP 200', 'transition', { project: null }),
];
const audit: AuditRecord[] = [
  { id: 7, at: new Date(T0 + 60_000).toISOString(), user: 'alice', host: 'web1', action: 'container.restart', target: 'container/shop-api-1', params: {}, result: 'ok', error: null, durationMs: 1200 },
  { id: 3, at: new Date(T0 - 3_600_000).toISOString(), user: 'bob', host: 'web1', action: 'container.stop', target: 'container/old', params: {}, result: 'ok', error: null, durationMs: 10 },
];
const opts = { since: T0 - 600_000, until: T0 + 600_000, host: 'web1', version: '0.1.0', generatedAt: T0 + 600_000 };

describe('incident facts', () => {
  it('duration from the first failure to the moment the last one recovered; severity P2 when all recovered', () => {
    const f = incidentFacts(incident);
    assert.equal(f.start, T0 + 2000);
    assert.equal(f.end, T0 + 90_000);
    assert.equal(f.ongoing, false);
    assert.deepEqual(f.problems.map((p) => p.subject), ['shop-api-1', 'shop-worker-1', 'http:api']);
    assert.equal(f.severity, 'P1', 'three services failed');
    assert.equal(incidentFacts(incident.filter((x) => x.subject !== 'http:api')).severity, 'P2');
  });

  it('something still failing at the end: ongoing, P1', () => {
    const f = incidentFacts(incident.slice(0, 6));
    assert.equal(f.ongoing, true);
    assert.equal(f.end, null);
    assert.equal(f.severity, 'P1');
    assert.match(f.severityWhy, /3 services still failing/);
  });

  it('warnings only: P3; nothing: P3', () => {
    assert.equal(incidentFacts([e(1, 'alert', 'warn', 'disk', 'ok → warn: 85 %', 'transition')]).severity, 'P3');
    assert.equal(incidentFacts([]).severity, 'P3');
  });
});

describe('incidentReport', () => {
  const text = incidentReport(incident, audit, opts);

  it('has the runbooks\' sections in their order', () => {
    const heads = text.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/:.*/, ''));
    assert.deepEqual(heads, ['# Incident Report', '## Summary', '## Timeline', '## Root Cause', '## Resolution', '## Impact', '## Action Items', '## Lessons Learned']);
    assert.match(text, /^# Incident Report: shop-api-1: died \(exit 137: SIGKILL\) \(\+2 more\)$/m);
    assert.match(text, /^\*\*Date:\*\* 2026-11-23 {2}$/m);
    assert.match(text, /^\*\*Duration:\*\* 14:00:02 – 14:01:30 UTC \(1m, first alert to recovery\) {2}$/m);
    assert.match(text, /^\*\*Severity:\*\* P1 \(a guess: 3 services failed;/m);
    assert.match(text, /^\*\*Incident Commander:\*\* _\[Name\]_/m);
    assert.match(text, /^_Brief description of what happened/m);
    assert.match(text, /^opsdeck saw: 2 restarted \(shop-api-1, shop-worker-1\), 1 died \(shop-api-1\), 1 OOM killed \(shop-worker-1\), 1 alert, 1 action\.$/m);
  });

  it('the timeline table lists every entry in order, failures in bold', () => {
    const rows = text.split('\n').filter((l) => /^\| \d\d:/.test(l));
    assert.equal(rows.length, incident.length);
    assert.equal(rows[0], '| 14:00:01.000 | docker | shop-api-1 | sent SIGKILL |');
    assert.equal(rows[1], '| 14:00:02.000 | docker | shop-api-1 | **died (exit 137: SIGKILL)** |');
    assert.equal(rows[3], '| 14:00:05.000 | docker | shop-worker-1 | **died (exit 137, OOM killed)** |');
    assert.equal(rows[5], '| 14:01:00.000 | action | shop-api-1 | restart by alice: ok (took 1s) |');
  });

  it('actions taken from the audit log (only the window\'s), the services affected, empty sections for the humans', () => {
    const resolution = text.slice(text.indexOf('## Resolution'), text.indexOf('## Impact'));
    assert.match(resolution, /^- 14:01:00\.000 `container\.restart` container\/shop-api-1 by alice@web1: \*\*ok\*\* in 1s$/m);
    assert.doesNotMatch(resolution, /container\/old/);
    const impact = text.slice(text.indexOf('## Impact'), text.indexOf('## Action Items'));
    assert.match(impact, /^ {2}- shop-api-1 \(project shop\): died \(exit 137: SIGKILL\) — recovered$/m);
    assert.match(impact, /^ {2}- shop-worker-1 \(project shop\): out of memory: .*; died \(exit 137, OOM killed\) — recovered$/m);
    assert.match(impact, /^ {2}- http:api: ok → crit: HTTP 502 — recovered$/m);
    assert.match(text, /## Root Cause\n\n_Detailed analysis of what caused the incident\._\n/);
    assert.match(text, /## Action Items\n\n- \[ \] _Action 1_ - Owner: _\[Name\]_ - Due: _\[Date\]_/);
    assert.match(text, /## Lessons Learned\n\n_What we learned/);
  });

  it('names and messages cannot add Markdown: pipes, links, emphasis and escapes are escaped', () => {
    assert.equal(md('a|b [x](http://e) *y* `z` <b> \x1b[31mred'), 'a\\|b \\[x\\](http://e) \\*y\\* \\`z\\` \\<b\\> red');
    const evil = incidentReport([e(1, 'docker', 'crit', 'x|y', 'died | injected', 'die', { project: 'p' })], [], opts);
    assert.match(evil, /^\| 14:00:01\.000 \| docker \| x\\\|y \(p\) \| \*\*died \\\| injected\*\* \|$/m);
  });

  it('no entries: says so, still a complete template', () => {
    const empty = incidentReport([], [], opts);
    assert.match(empty, /_No events recorded in the window\._/);
    assert.match(empty, /\*\*Duration:\*\* no failure in the window/);
    assert.match(empty, /- none recorded by opsdeck/);
    assert.match(empty, /## Lessons Learned/);
  });

  it('a long timeline is cut with a note saying how to see the rest', () => {
    const many = Array.from({ length: 30 }, (_, i) => e(i, 'docker', 'ok', 'a', 'started', 'start'));
    const cut = incidentReport(many, [], { ...opts, maxRows: 10 });
    assert.equal(cut.split('\n').filter((l) => /^\| \d\d:/.test(l)).length, 10);
    assert.match(cut, /_20 later entries left out: `opsdeck timeline --since 2026-11-23T14:00:10\.000Z` lists them\._/);
  });
});

describe('the report file', () => {
  it('is written 0600, refuses to overwrite without force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-report-'));
    const path = join(dir, 'sub', defaultReportName('web 1/x', T0));
    assert.match(path, /incident-web_1_x-20261123-140000\.md$/);
    writeReportFile(path, 'one\n', { dir: join(dir, 'sub') });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
    assert.throws(() => writeReportFile(path, 'two\n'), /already exists: choose another --out or pass --force/);
    const loose = join(dir, 'loose.md');
    writeFileSync(loose, 'old', { mode: 0o644 });
    writeReportFile(loose, 'new\n', { force: true });
    assert.equal(readFileSync(loose, 'utf8'), 'new\n');
    assert.equal(statSync(loose).mode & 0o777, 0o600);
  });
});
