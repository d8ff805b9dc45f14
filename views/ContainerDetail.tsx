import React from 'react';
import { Box, Text } from 'ink';
import type { ContainerDetail } from '../src/diag/containerDetail.js';
import { clip, formatAge, formatBytes, formatDuration, padEnd, wrapCells } from '../src/format.js';
import { safeText } from '../src/sanitize.js';
import { useTheme, type Theme } from './theme.js';

/** One drawn line of the pane: `key` in the label column, `text` after it, a tone for colour. */
export interface DetailLine {
  key: string;
  text: string;
  tone?: 'ok' | 'warn' | 'crit' | 'dim' | 'accent' | 'head';
}

const KEY_WIDTH = 11;
const hhmm = (ms: number | null) => (ms === null ? '--:--:--' : new Date(ms).toISOString().slice(11, 19));
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The pane's content as lines, for a given inner width (pure; the component draws a window of
 * them, the caller clamps its scroll offset with the length). Every piece of text passes safeText.
 */
export function detailLines(d: ContainerDetail, width: number, now: number): DetailLine[] {
  const s = (text: string) => safeText(text);
  const room = Math.max(10, width - KEY_WIDTH);
  const lines: DetailLine[] = [];
  const add = (key: string, text: string, tone?: DetailLine['tone']) => {
    // Long values wrap under their label.
    const pieces = wrapCells(s(text), room);
    pieces.forEach((p, i) => lines.push({ key: i === 0 ? key : '', text: p, ...(tone ? { tone } : {}) }));
  };
  const head = (title: string) => lines.push({ key: '', text: '' }, { key: s(title), text: '', tone: 'head' });

  // State
  const stateTone = d.oomKilled || (d.exitCode !== null && d.exitCode !== 0) || d.state === 'restarting' || d.state === 'dead' ? 'crit' : d.running ? 'ok' : 'warn';
  let state = d.state;
  if (d.running && d.startedAt !== null) state += ` for ${formatDuration(now - d.startedAt)} (since ${utc(d.startedAt)})`;
  if (!d.running && d.finishedAt !== null) state += ` ${formatAge(d.finishedAt, now)} (${utc(d.finishedAt)})`;
  add('state', state, stateTone);
  if (d.exitCode !== null || d.oomKilled) {
    const exit = `${d.exitCode !== null ? `exit code ${d.exitCode}${exitMeaning(d.exitCode)}` : ''}${d.oomKilled ? `${d.exitCode !== null ? ' · ' : ''}OOM killed (the memory limit was hit)` : ''}`;
    add('exit', exit, d.oomKilled || (d.exitCode ?? 0) !== 0 ? 'crit' : undefined);
  }
  if (d.error) add('error', d.error, 'crit');
  add('restarts', `${d.restartCount}${d.restartPolicy ? ` · policy ${d.restartPolicy}` : ''}`, d.restartCount > 0 ? 'warn' : undefined);
  if (d.project || d.service) add('compose', `project ${d.project ?? '–'} · service ${d.service ?? '–'}`);

  // Health
  if (d.health) {
    const tone = d.health.status === 'healthy' ? 'ok' : d.health.status === 'unhealthy' ? 'crit' : 'warn';
    add('health', `${d.health.status}${d.health.failingStreak ? ` · failing streak ${d.health.failingStreak}` : ''}`, tone);
    if (d.health.test) add('', `test: ${d.health.test}`, 'dim');
    for (const p of [...d.health.log].reverse()) {
      const took = p.start !== null && p.end !== null ? ` ${Math.max(0, p.end - p.start)} ms` : '';
      const output = p.output.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' ⏎ ') || '(no output)';
      add('', `${hhmm(p.start)} exit ${p.exitCode}${took}: ${output}`, p.exitCode === 0 ? undefined : 'crit');
    }
  } else {
    add('health', 'no healthcheck', 'dim');
  }

  // Image, command, limits
  const built = d.image.created !== null ? ` · built ${formatAge(d.image.created, now)}` : '';
  const size = d.image.sizeBytes !== null ? ` · ${formatBytes(d.image.sizeBytes)}` : '';
  add('image', `${d.image.ref}${built}${size}`);
  add('', d.image.id.replace(/^sha256:/, '').slice(0, 12), 'dim');
  if (d.command) add('command', d.command);
  add('limits', `memory ${d.limits.memoryBytes !== null ? formatBytes(d.limits.memoryBytes) : 'unlimited'} · cpus ${d.limits.cpus !== null ? String(Math.round(d.limits.cpus * 100) / 100) : 'unlimited'}`);
  add('ports', d.ports.length ? d.ports.join(', ') : 'none');
  if (d.mounts.length === 0) add('mounts', 'none');
  d.mounts.forEach((m, i) => add(i === 0 ? 'mounts' : '', `${m.type} ${m.source || '–'} → ${m.destination} (${m.rw ? 'rw' : 'ro'})`));

  head(`recent events (24 h): ${d.events.length}`);
  if (d.events.length === 0) add('', 'none recorded', 'dim');
  for (const e of d.events) {
    add('', `${hhmm(e.at)} ${padEnd(e.severity, 5)} ${e.message}`, e.severity === 'crit' ? 'crit' : e.severity === 'warn' ? 'warn' : e.severity === 'ok' ? 'ok' : undefined);
  }

  head(`last error lines: ${d.errorLines.length}`);
  if (d.errorLines.length === 0) add('', 'none in the recent logs', 'dim');
  for (const l of d.errorLines) add('', `${hhmm(l.at)} ${l.text}`, 'crit');

  head(`environment: ${d.env.length} (secrets masked)`);
  for (const e of d.env) add('', `${e.name}=${e.value}`);

  if (d.notes.length) {
    head('not available');
    for (const n of d.notes) add('', n, 'dim');
  }
  return lines;
}

function exitMeaning(code: number): string {
  if (code === 0) return ' (clean exit)';
  if (code === 137) return ' (SIGKILL: killed, often out of memory)';
  if (code === 143) return ' (SIGTERM: stopped)';
  if (code === 139) return ' (SIGSEGV: crashed)';
  if (code === 126 || code === 127) return ' (command not runnable / not found)';
  if (code > 128 && code < 160) return ` (signal ${code - 128})`;
  return '';
}

function toneColour(t: Theme, tone: DetailLine['tone']): string | undefined {
  switch (tone) {
    case 'ok': return t.ok;
    case 'warn': return t.warn;
    case 'crit': return t.crit;
    case 'dim': return t.dim;
    case 'accent':
    case 'head': return t.accent;
    default: return undefined;
  }
}

export interface ContainerDetailProps {
  /** The gathered detail; null while it is being gathered (or when it failed: see error). */
  detail: ContainerDetail | null;
  /** The container's name, for the title while loading. */
  name?: string;
  error?: string;
  width: number;
  height: number;
  /** First content line shown (the caller clamps it with maxScroll). */
  scroll: number;
  now: number;
}

/** Lines of content that fit: the box's border and title take three rows. */
export function visibleRows(height: number): number {
  return Math.max(1, height - 3);
}

/** The largest useful scroll offset for this detail and size. */
export function maxScroll(detail: ContainerDetail | null, width: number, height: number, now: number): number {
  if (!detail) return 0;
  return Math.max(0, detailLines(detail, width - 4, now).length - visibleRows(height));
}

/** Enter on a container: the detail pane (a bordered box, scrolled by the caller). */
export function ContainerDetailView({ detail, name, error, width, height, scroll, now }: ContainerDetailProps) {
  const t = useTheme();
  const inner = Math.max(10, width - 4);
  const rows = visibleRows(height);
  const title = safeText(detail?.name ?? name ?? 'container');
  if (!detail) {
    return (
      <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={error ? t.crit : t.dim} paddingX={1}>
        <Text bold>{clip(`${title} — Esc closes`, inner)}</Text>
        <Text color={error ? t.crit : t.dim}>{clip(error ? safeText(error) : 'gathering state, health log, events, error lines…', inner)}</Text>
      </Box>
    );
  }
  const lines = detailLines(detail, inner, now);
  const top = Math.max(0, Math.min(scroll, Math.max(0, lines.length - rows)));
  const shown = lines.slice(top, top + rows);
  const more = lines.length > rows ? ` · lines ${top + 1}–${Math.min(lines.length, top + rows)} of ${lines.length}, ↑↓ PgUp PgDn scroll` : '';
  const border = detail.oomKilled || detail.health?.status === 'unhealthy' || (detail.exitCode ?? 0) !== 0 ? t.crit : detail.running ? t.ok : t.warn;
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={border} paddingX={1}>
      <Text bold wrap="truncate">{clip(`${title} — Esc closes${more}`, inner)}</Text>
      {shown.map((l, i) => (
        <Text key={top + i} wrap="truncate">
          <Text color={l.tone === 'head' ? t.accent : t.dim} bold={l.tone === 'head'}>{l.tone === 'head' ? clip(l.key, inner) : padEnd(l.key, KEY_WIDTH)}</Text>
          {l.tone === 'head' ? null : <Text color={toneColour(t, l.tone)}>{clip(l.text, inner - KEY_WIDTH)}</Text>}
        </Text>
      ))}
    </Box>
  );
}
