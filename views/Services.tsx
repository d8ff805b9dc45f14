import React from 'react';
import { Box, Text } from 'ink';
import { clip, formatAge, padEnd, padStart } from '../src/format.js';
import {
  nodeTone, replicasText, replicasTone, servicesOrder, taskLabel, taskStateText, taskTone, updateText, updateTone, type Tone,
} from '../src/swarm/format.js';
import { NOT_MANAGER } from '../src/swarm/read.js';
import type { SwarmService, SwarmSnapshot } from '../src/swarm/types.js';
import { safeText } from '../src/sanitize.js';
import { useTheme, type Theme } from './theme.js';

export {
  nodeTone, replicasText, replicasTone, servicesOrder, taskLabel, taskStateText, taskTone, updateText, updateTone, type Tone,
} from '../src/swarm/format.js';

function colourOf(t: Theme, tone: Tone): string | undefined {
  return tone === 'crit' ? t.crit : tone === 'warn' ? t.warn : tone === 'ok' ? t.ok : tone === 'dim' ? t.dim : undefined;
}

export interface ServicesViewProps {
  snap: SwarmSnapshot;
  /** The selected service's id; null or unknown: the first in servicesOrder. */
  selectedId: string | null;
  width: number;
  height: number;
  now: number;
  ascii: boolean;
}

export interface ServicesLayout {
  /** Rows for the service list, the task list and the node list (each without its heading). */
  services: number;
  tasks: number;
  nodes: number;
  /** First service row shown. */
  top: number;
}

/**
 * Splits the height: a summary line and an error line (when there is one), then three headed
 * sections. Nodes get what they need up to 5 rows, services up to half of the rest, tasks the remainder.
 */
export function servicesLayout(snap: SwarmSnapshot, selected: number, height: number): ServicesLayout {
  const fixed = 1 + (snap.error ? 1 : 0) + 3; // summary, error, three headings
  const avail = Math.max(0, height - fixed);
  const nodes = Math.min(snap.nodes.length, 5, Math.max(1, Math.floor(avail / 4)));
  const rest = Math.max(0, avail - nodes);
  const services = Math.max(1, Math.min(snap.services.length, Math.ceil(rest / 2)));
  const tasks = Math.max(0, rest - services);
  const top = Math.max(0, Math.min(selected - services + 1, snap.services.length - services));
  return { services, tasks, nodes, top: Math.max(0, Math.min(top, selected)) };
}

interface Cols { name: number; mode: number; replicas: number; image: number; update: number }

function columns(width: number, list: readonly SwarmService[]): Cols {
  const name = Math.min(Math.max(8, ...list.map((s) => s.name.length)), width >= 120 ? 32 : 22);
  const mode = 10;
  const replicas = 8;
  const left = Math.max(0, width - 2 - name - mode - replicas - 4);
  const image = Math.max(10, Math.min(48, Math.floor(left * 0.45)));
  const update = Math.max(8, left - image - 1);
  return { name, mode, replicas, image, update };
}

function summary(snap: SwarmSnapshot): string {
  const r = snap.role;
  if (!snap.loaded) return ' Services: reading the swarm…';
  if (!r.manager) return ` Services: swarm ${r.state}${r.nodeId ? ` (node ${r.nodeId.slice(0, 12)})` : ''}`;
  const me = snap.nodes.find((n) => n.id === r.nodeId);
  const updating = snap.services.filter((s) => s.updated).length;
  const short = snap.services.filter((s) => s.running < s.desired).length;
  return [
    ` Services: ${snap.services.length}`,
    `swarm manager${me?.leader ? ' (leader)' : ''}`,
    `${r.managers ?? '?'} manager${r.managers === 1 ? '' : 's'} of ${r.nodes ?? snap.nodes.length} node${(r.nodes ?? snap.nodes.length) === 1 ? '' : 's'}`,
    ...(short ? [`${short} short of replicas`] : []),
    ...(updating ? [`${updating} updating`] : []),
  ].join(' · ');
}

/** The Services view (Swarm): services, the selected one's tasks, the nodes. */
export function ServicesView({ snap, selectedId, width, height, now, ascii }: ServicesViewProps) {
  const t = useTheme();
  const list = servicesOrder(snap);
  const found = list.findIndex((s) => s.id === selectedId);
  const selected = found === -1 ? 0 : found;
  const sel = list[selected] ?? null;
  const mark = ascii ? '>' : '▶';

  if (snap.loaded && !snap.role.manager) {
    const reason = snap.error ?? NOT_MANAGER;
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text wrap="truncate" bold>{clip(summary(snap), width)}</Text>
        <Text wrap="truncate" color={snap.role.state === 'inactive' || snap.role.state === 'active' ? t.dim : t.warn}>{clip(` ${safeText(reason === NOT_MANAGER || snap.role.state === 'inactive' ? NOT_MANAGER : reason)}`, width)}</Text>
        {snap.role.state === 'inactive' ? <Text wrap="truncate" color={t.dim}>{clip(' (this engine is not in a swarm at all; the other views work as usual)', width)}</Text> : null}
      </Box>
    );
  }

  const lay = servicesLayout(snap, selected, height);
  const cols = columns(width, list);
  const taskW = Math.min(Math.max(8, ...(sel?.tasks ?? []).map((x) => taskLabel(sel!, x).length)), 28);
  const nodeW = Math.min(Math.max(8, ...(sel?.tasks ?? []).map((x) => (x.node ?? '').length), ...snap.nodes.map((n) => n.hostname.length)), 24);
  const hostW = Math.min(Math.max(8, ...snap.nodes.map((n) => n.hostname.length)), 28);
  const stateW = 22;
  const sinceW = 9;
  const tasks = sel?.tasks.slice(0, lay.tasks) ?? [];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate" bold>{clip(safeText(summary(snap)), width)}</Text>
      {snap.error ? <Text wrap="truncate" color={t.crit}>{clip(` ${safeText(snap.error)}${snap.services.length ? ' (the lists below may be old)' : ''}`, width)}</Text> : null}
      <Text color={t.dim} wrap="truncate">{clip(` ${padEnd('SERVICE', cols.name)} ${padEnd('MODE', cols.mode)} ${padStart('REPLICAS', cols.replicas)}  ${padEnd('IMAGE', cols.image)} UPDATE`, width)}</Text>
      {snap.loaded && list.length === 0 ? <Text color={t.dim}>{clip(' no services on this swarm (docker service create …)', width)}</Text> : null}
      {list.slice(lay.top, lay.top + lay.services).map((s, i) => {
        const isSel = lay.top + i === selected;
        return (
          <Text key={s.id} inverse={isSel} wrap="truncate">
            <Text>{isSel ? mark : ' '}</Text>
            <Text>{padEnd(clip(safeText(s.name), cols.name), cols.name)} {padEnd(clip(s.mode, cols.mode), cols.mode)} </Text>
            <Text color={colourOf(t, replicasTone(s))} bold={replicasTone(s) === 'crit'}>{padStart(replicasText(s), cols.replicas)}</Text>
            <Text>  {padEnd(clip(safeText(s.image), cols.image), cols.image)} </Text>
            <Text color={colourOf(t, updateTone(s))}>{clip(updateText(s, now), cols.update)}</Text>
          </Text>
        );
      })}
      <Text color={t.dim} wrap="truncate">{clip(`  ${padEnd('TASK', taskW)} ${padEnd('NODE', nodeW)} ${padEnd('STATE', stateW)} ${padStart('SINCE', sinceW)} ERROR / MESSAGE`, width)}</Text>
      {tasks.length === 0 && sel ? <Text color={t.dim}>{clip('  no tasks', width)}</Text> : null}
      {tasks.map((x) => {
        const tone = taskTone(x);
        const since = x.since ? formatAge(Date.parse(x.since), now) : '–';
        const detail = x.error ? safeText(x.error) : safeText(x.message);
        return (
          <Text key={x.id} wrap="truncate">
            <Text>{'  '}{padEnd(clip(safeText(taskLabel(sel!, x)), taskW), taskW)} {padEnd(clip(safeText(x.node ?? '–'), nodeW), nodeW)} </Text>
            <Text color={colourOf(t, tone)} bold={tone === 'crit'}>{padEnd(clip(taskStateText(x), stateW), stateW)}</Text>
            <Text color={t.dim}> {padStart(since, sinceW)} </Text>
            <Text color={x.error ? t.crit : t.dim}>{clip(detail, Math.max(0, width - 2 - taskW - nodeW - stateW - sinceW - 5))}</Text>
          </Text>
        );
      })}
      <Text color={t.dim} wrap="truncate">{clip(`  ${padEnd('NODE', hostW)} ${padEnd('ROLE', 15)} ${padEnd('AVAILABILITY', 12)} ${padEnd('STATUS', 12)} ENGINE`, width)}</Text>
      {snap.nodes.slice(0, lay.nodes).map((n) => {
        const tone = nodeTone(n);
        return (
          <Text key={n.id} wrap="truncate">
            <Text>{'  '}{padEnd(clip(safeText(n.hostname), hostW), hostW)} {padEnd(n.role === 'manager' ? (n.leader ? 'manager, leader' : 'manager') : 'worker', 15)} </Text>
            <Text color={n.availability === 'active' ? undefined : t.warn}>{padEnd(clip(n.availability, 12), 12)} </Text>
            <Text color={colourOf(t, tone)} bold={tone === 'crit'}>{padEnd(clip(n.status, 12), 12)}</Text>
            <Text color={t.dim}> {clip(`${safeText(n.engineVersion ?? '')}${n.message ? `  ${safeText(n.message)}` : ''}`, Math.max(0, width - 2 - hostW - 43))}</Text>
          </Text>
        );
      })}
      {snap.nodes.length > lay.nodes ? <Text color={t.dim}>{clip(`  … ${snap.nodes.length - lay.nodes} more nodes`, width)}</Text> : null}
    </Box>
  );
}
