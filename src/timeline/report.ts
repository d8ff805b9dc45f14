/**
 * The post-incident report draft: Markdown in the runbooks' template (title, date, duration,
 * severity, summary, timeline, root cause, resolution, impact, action items, lessons learned), the
 * facts filled in from the timeline and the audit log, the judgement left to the humans.
 */
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../format.js';
import { safeText } from '../sanitize.js';
import type { AuditRecord } from '../store/audit.js';
import { changeParts } from './changes.js';
import type { TimelineEntry } from './types.js';

export interface ReportOptions {
  /** The window the timeline was read for (epoch ms). */
  since: number;
  until: number;
  host: string;
  /** Default: the first failure seen ("shop-api-1: died (exit 137)"). */
  title?: string;
  /** The filter the timeline was read with, for the footer. */
  match?: string;
  version?: string;
  /** When the draft was made (default until). */
  generatedAt?: number;
  /** Timeline rows at most (the newest are cut, with a note). Default 1000. */
  maxRows?: number;
}

/** A failure or a recovery of one subject, as the duration and the severity guess see them. */
interface Problem { subject: string; project: string | null; first: TimelineEntry; messages: string[]; crit: boolean; open: boolean }

const OPENS = new Set(['die', 'oom', 'pause']);
const CLOSES = new Set(['start', 'unpause', 'destroy']);

function opens(e: TimelineEntry): boolean {
  if (e.source === 'docker') {
    const k = e.kind ?? '';
    return (OPENS.has(k) && (e.severity === 'crit' || e.severity === 'warn')) || (k.startsWith('health_status') && e.severity === 'crit');
  }
  return (e.source === 'alert' || e.source === 'check') && (e.severity === 'warn' || e.severity === 'crit');
}

function closes(e: TimelineEntry): boolean {
  if (e.source === 'docker') {
    const k = e.kind ?? '';
    return CLOSES.has(k) || (k.startsWith('health_status') && e.severity === 'ok');
  }
  return (e.source === 'alert' || e.source === 'check') && e.severity === 'ok';
}

export interface IncidentFacts {
  /** First failure (epoch ms), null when nothing failed. */
  start: number | null;
  /** When the last open failure recovered; null while something is still failing (or nothing failed). */
  end: number | null;
  ongoing: boolean;
  problems: Problem[];
  severity: string;
  severityWhy: string;
}

/** Failures and recoveries by subject: start (first failure), end (all recovered), severity guess. */
export function incidentFacts(entries: readonly TimelineEntry[]): IncidentFacts {
  const bySubject = new Map<string, Problem>();
  const open = new Set<string>();
  let start: number | null = null;
  let end: number | null = null;
  for (const e of entries) {
    const who = e.container ?? e.subject;
    // A check about a container and the container are one service.
    if (opens(e)) {
      start ??= e.at;
      end = null;
      let p = bySubject.get(who);
      if (!p) {
        p = { subject: who, project: e.project, first: e, messages: [], crit: false, open: true };
        bySubject.set(who, p);
      }
      if (!p.messages.includes(e.message)) p.messages.push(e.message);
      p.crit ||= e.severity === 'crit';
      p.open = true;
      open.add(who);
    } else if (closes(e) && open.has(who)) {
      open.delete(who);
      bySubject.get(who)!.open = false;
      if (open.size === 0) end = e.at;
    }
  }
  const problems = [...bySubject.values()];
  const critServices = problems.filter((p) => p.crit);
  const openCrit = critServices.filter((p) => p.open);
  let severity: string;
  let severityWhy: string;
  const svc = (n: number) => `${n} service${n === 1 ? '' : 's'}`;
  if (problems.length === 0) {
    severity = 'P3';
    severityWhy = 'nothing failed in the window';
  } else if (openCrit.length > 0 || critServices.length >= 3) {
    severity = 'P1';
    severityWhy = openCrit.length > 0 ? `${svc(openCrit.length)} still failing at the end of the window` : `${svc(critServices.length)} failed`;
  } else if (critServices.length > 0) {
    severity = 'P2';
    severityWhy = `${svc(critServices.length)} failed and recovered`;
  } else {
    severity = 'P3';
    severityWhy = `warnings only (${svc(problems.length)})`;
  }
  return { start, end: open.size === 0 ? end : null, ongoing: open.size > 0, problems, severity, severityWhy };
}

/** Markdown text, escaped so names and messages cannot add formatting, links or table columns. */
export function md(text: string): string {
  return safeText(text).replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`);
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const utcTimeMs = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** The report as Markdown. `audit`: the audit rows of the window (any order; filtered to the window here). */
export function incidentReport(entries: readonly TimelineEntry[], audit: readonly AuditRecord[], opts: ReportOptions): string {
  const facts = incidentFacts(entries);
  const multiDay = utcDate(opts.since) !== utcDate(opts.until);
  const when = (ms: number) => (multiDay ? `${utcDate(ms)} ${utcTimeMs(ms)}` : utcTimeMs(ms));
  const first = facts.problems[0];
  const title = opts.title?.trim()
    ? safeText(opts.title.trim())
    : first ? `${first.subject}: ${first.messages[0]}${facts.problems.length > 1 ? ` (+${facts.problems.length - 1} more)` : ''}` : `${opts.host}, ${utcDate(opts.since)}`;

  let duration: string;
  if (facts.start === null) duration = `no failure in the window (${utcDate(opts.since)} ${utcTime(opts.since)} – ${utcDate(opts.until)} ${utcTime(opts.until)} UTC)`;
  else if (facts.ongoing || facts.end === null) duration = `${utcTime(facts.start)} UTC – ongoing (not recovered by ${utcTime(opts.until)} UTC, ${formatDuration(opts.until - facts.start)} so far)`;
  else duration = `${utcTime(facts.start)} – ${utcTime(facts.end)} UTC (${formatDuration(facts.end - facts.start)}, first alert to recovery)`;

  const lines: string[] = [];
  lines.push(`# Incident Report: ${md(title)}`, '');
  lines.push(`**Date:** ${utcDate(facts.start ?? opts.since)}  `);
  lines.push(`**Duration:** ${duration}  `);
  lines.push(`**Severity:** ${facts.severity} (a guess: ${facts.severityWhy}; P0 complete outage, P1 major, P2 minor, P3 low — adjust)  `);
  lines.push('**Incident Commander:** _[Name]_  ');
  lines.push(`**Host:** ${md(opts.host)}`, '');

  lines.push('## Summary', '');
  lines.push('_Brief description of what happened: what users saw, what broke, how it was fixed._', '');
  const seen = changeParts(entries, opts.since - 1, opts.until);
  lines.push(`opsdeck saw: ${seen.length ? md(seen.join(', ')) : 'no change'}.`, '');

  lines.push('## Timeline', '');
  const maxRows = opts.maxRows ?? 1000;
  if (entries.length === 0) {
    lines.push('_No events recorded in the window._', '');
  } else {
    lines.push(`| Time (UTC) | Source | Subject | Event |`, '|---|---|---|---|');
    for (const e of entries.slice(0, maxRows)) {
      const subject = e.project && !e.subject.includes(e.project) ? `${e.subject} (${e.project})` : e.subject;
      const sev = e.severity === 'crit' ? '**' : '';
      lines.push(`| ${when(e.at)} | ${e.source} | ${md(subject)} | ${sev}${md(e.message)}${sev} |`);
    }
    if (entries.length > maxRows) lines.push('', `_${entries.length - maxRows} later entries left out: \`opsdeck timeline --since ${new Date(entries[maxRows]!.at).toISOString()}\` lists them._`);
    lines.push('');
  }

  lines.push('## Root Cause', '', '_Detailed analysis of what caused the incident._', '');

  lines.push('## Resolution', '', 'Actions taken (from the opsdeck audit log):', '');
  const actions = audit
    .filter((a) => { const at = Date.parse(a.at); return at >= opts.since && at <= opts.until; })
    .filter((a) => !opts.match || (a.target ?? '').toLowerCase().includes(opts.match.toLowerCase()))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id);
  if (actions.length === 0) lines.push('- none recorded by opsdeck');
  for (const a of actions) {
    const took = a.durationMs !== null ? ` in ${a.durationMs < 1000 ? `${a.durationMs} ms` : formatDuration(a.durationMs)}` : '';
    lines.push(`- ${when(Date.parse(a.at))} \`${a.action.replace(/`/g, "'")}\` ${md(a.target ?? '')} by ${md(a.user)}@${md(a.host)}: **${a.result}**${took}${a.error ? ` — ${md(a.error)}` : ''}`);
  }
  lines.push('- _Other steps taken by hand._', '');

  lines.push('## Impact', '', '- Users affected: _[Number]_');
  if (facts.problems.length === 0) lines.push('- Services affected: none seen failing');
  else {
    lines.push('- Services affected:');
    for (const p of facts.problems) {
      const status = p.open ? 'still failing at the end of the window' : 'recovered';
      lines.push(`  - ${md(p.subject)}${p.project ? ` (project ${md(p.project)})` : ''}: ${md(p.messages.slice(0, 4).join('; '))}${p.messages.length > 4 ? ' …' : ''} — ${status}`);
    }
  }
  lines.push('- Revenue impact: _[Amount]_', '');

  lines.push('## Action Items', '', '- [ ] _Action 1_ - Owner: _[Name]_ - Due: _[Date]_', '- [ ] _Action 2_ - Owner: _[Name]_ - Due: _[Date]_', '');
  lines.push('## Lessons Learned', '', '_What we learned and how we can prevent similar incidents._', '');

  const gen = opts.generatedAt ?? opts.until;
  lines.push('---', `_Draft by opsdeck${opts.version ? ` ${opts.version}` : ''} on ${md(opts.host)} at ${new Date(gen).toISOString()}, from the timeline of ${new Date(opts.since).toISOString()} – ${new Date(opts.until).toISOString()}${opts.match ? ` (filter: ${md(opts.match)})` : ''}. Check every line before sharing._`);
  return `${lines.join('\n')}\n`;
}

/** Where reports go unless told: $XDG_DATA_HOME/opsdeck/incidents. */
export function defaultIncidentDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'opsdeck', 'incidents');
}

/** incident-HOST-YYYYMMDD-HHMMSS.md (UTC). */
export function defaultReportName(host: string, at: number): string {
  const d = new Date(at);
  const stamp = `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
  return `incident-${host.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.md`;
}

export class ReportExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists: choose another --out or pass --force to overwrite it`);
    this.name = 'ReportExistsError';
  }
}

/**
 * Writes the report with mode 0600 (the directory is made 0700 when created). An existing file is
 * refused unless `force` (a draft may hold a human's edits).
 */
export function writeReportFile(path: string, text: string, opts: { force?: boolean; dir?: string } = {}): void {
  if (opts.dir) mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, opts.force ? 'w' : 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ReportExistsError(path);
    throw e;
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
