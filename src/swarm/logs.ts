/**
 * A Swarm service's logs: `GET /services/{id}/logs` on a manager merges every task's lines (on any
 * node) into one stream. Asked with `details=1`, Docker puts the task's attributes before each
 * message — `<timestamp> com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=… <text>` —
 * which is how a merged line is given its source: the task's slot ("web.1"), the way a project's
 * lines show their compose service.
 *
 * The bytes go through the same LogIngest as a container's (frames, timestamps, partial messages,
 * caps, sanitising); the attribute token is then cut off and the level and continuation worked out
 * again on the text alone, per task and stream (the ingest saw the token in front of it).
 */
import type Dockerode from 'dockerode';
import { dialLogStream, type LogRequest } from '../docker/logs.js';
import { LogIngest } from '../logs/ingest.js';
import { pumpLogStream } from '../logs/read.js';
import { detectLevel, isChainTail, isContinuation } from '../logs/level.js';
import type { Level, LogLine } from '../logs/types.js';
import { isTerminal, type RawNode, type RawTask } from './read.js';

/** Room for the attribute token in front of each message (three ids and keys: about 190 bytes). */
const DETAILS_ROOM = 512;

/**
 * The attribute token at the start of a `details=1` message: `k=v,k=v …` (keys and values
 * URL-query-escaped, so no spaces inside), then one space. Null when the text does not start so.
 */
export function parseDetails(text: string): { attrs: Record<string, string>; rest: string } | null {
  const sp = text.indexOf(' ');
  const token = sp === -1 ? text : text.slice(0, sp);
  if (!token.includes('=')) return sp === 0 ? { attrs: {}, rest: text.slice(1) } : null;
  const attrs: Record<string, string> = {};
  for (const pair of token.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    attrs[unescape(pair.slice(0, eq))] = unescape(pair.slice(eq + 1));
  }
  return { attrs, rest: sp === -1 ? '' : text.slice(sp + 1) };
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export const TASK_ATTR = 'com.docker.swarm.task.id';

interface TaskInfo { label: string; containerId: string | null; slot: number | null; running: boolean }

/**
 * Task id → label ("web.1"; "web.<hostname>" for a global service's task), read from /tasks (and
 * /nodes for global services). Refreshed when a line names a task not seen yet (a scale-up, a
 * replaced task).
 */
export class TaskLabels {
  private byTask = new Map<string, TaskInfo>();
  private nodes = new Map<string, string>();
  private missing = new Map<string, number>();
  private pending: Promise<void> | null = null;

  constructor(private readonly docker: Dockerode, readonly serviceId: string, readonly serviceName: string) {}

  get(taskId: string): TaskInfo | undefined {
    return this.byTask.get(taskId);
  }

  /** Labels of the tasks Docker still runs or wants running, by slot. */
  current(): { taskId: string; label: string; containerId: string | null }[] {
    return [...this.byTask.entries()].filter(([, t]) => t.running)
      .sort((a, b) => (a[1].slot ?? 0) - (b[1].slot ?? 0) || a[1].label.localeCompare(b[1].label))
      .map(([taskId, t]) => ({ taskId, label: t.label, containerId: t.containerId }));
  }

  /** Reads the service's tasks now (calls made while one read is under way share it). */
  refresh(): Promise<void> {
    this.pending ??= this.read().finally(() => { this.pending = null; });
    return this.pending;
  }

  /**
   * Reads again when one of `ids` is unknown (a task that just started), so its first line already
   * gets its slot. An id a fresh read did not know either is not asked about again for 2 s.
   */
  async ensure(ids: Iterable<string>): Promise<void> {
    const now = Date.now();
    const unknown = [...ids].filter((id) => !this.byTask.has(id) && !((this.missing.get(id) ?? 0) > now - 2000));
    if (unknown.length === 0) return;
    // A read under way may have started before these tasks existed: wait for it, then read if need be.
    if (this.pending) await this.pending;
    if (unknown.some((id) => !this.byTask.has(id))) await this.refresh();
    for (const id of unknown) if (!this.byTask.has(id)) this.missing.set(id, Date.now());
  }

  private async read(): Promise<void> {
    const tasks = (await this.docker.listTasks({ filters: { service: [this.serviceId] } })) as RawTask[];
    if (tasks.some((t) => !(typeof t.Slot === 'number' && t.Slot > 0) && t.NodeID && !this.nodes.has(t.NodeID))) {
      const nodes = (await this.docker.listNodes()) as RawNode[];
      for (const n of nodes) this.nodes.set(n.ID, n.Description?.Hostname || n.ID.slice(0, 12));
    }
    for (const t of tasks) {
      const slot = typeof t.Slot === 'number' && t.Slot > 0 ? t.Slot : null;
      const where = slot ?? (t.NodeID ? (this.nodes.get(t.NodeID) ?? t.NodeID.slice(0, 12)) : t.ID.slice(0, 12));
      this.byTask.set(t.ID, {
        label: `${this.serviceName}.${where}`,
        containerId: t.Status?.ContainerStatus?.ContainerID || null,
        slot,
        running: t.DesiredState === 'running' || !isTerminal(t.Status?.State ?? 'shutdown'),
      });
    }
  }
}

/**
 * Opens `GET /services/{id}/logs` (timestamps, details) as a byte stream; the caller owns it and
 * aborting the signal destroys it. Docker sends frames unless the service's tasks have a TTY.
 */
export function openServiceLogStream(docker: Dockerode, id: string, req: LogRequest): Promise<NodeJS.ReadableStream> {
  return dialLogStream(docker, `/services/${encodeURIComponent(id)}/logs?`, { stdout: true, stderr: true, details: true }, req,
    { 404: 'no such service', 503: 'node is not part of a swarm' });
}

/**
 * Turns ingested lines (text still led by the attribute token) into a service's lines: token cut,
 * source = the task's label, sourceId = its container (else task) id, level and continuation from
 * the text alone with a trace chain per task and stream. Pure apart from `chains`, which it updates.
 */
export function relabel(lines: readonly LogLine[], labels: Pick<TaskLabels, 'get' | 'serviceName'>, chains: Map<string, Level | null>, maxLineChars = 8192): LogLine[] {
  const out: LogLine[] = [];
  for (const l of lines) {
    const d = parseDetails(l.text);
    const taskId = d?.attrs[TASK_ATTR] ?? '';
    const task = taskId ? labels.get(taskId) : undefined;
    let text = d ? d.rest : l.text;
    let truncated = l.truncated;
    if (text.length > maxLineChars) {
      truncated += Buffer.byteLength(text.slice(maxLineChars));
      text = text.slice(0, maxLineChars);
    }
    const key = `${taskId}/${l.stream}`;
    const chain = chains.get(key) ?? null;
    let level: Level | null;
    let cont = false;
    if (chain !== null && (isContinuation(text) || isChainTail(text))) {
      level = chain;
      cont = true;
    } else {
      level = detectLevel(text);
      chains.set(key, level === 'error' || level === 'warn' ? level : null);
    }
    out.push({
      ...l,
      source: task?.label ?? (taskId ? `${labels.serviceName}.${taskId.slice(0, 12)}` : labels.serviceName),
      sourceId: task?.containerId ?? (taskId || l.sourceId),
      text,
      level,
      cont,
      truncated,
      bytes: text.length * 2 + 96,
    });
  }
  return out;
}

export interface ServiceLogSubject {
  id: string;
  /** The service's tasks have a TTY: the stream is raw, not framed. */
  tty: boolean;
}

/**
 * Streams a service's logs and hands over lines in batches, in order, each labelled with its task.
 * A batch naming an unknown task waits for one refresh of the labels (a new task after a scale).
 * Resolves when the stream ends (non-follow read complete, service removed, signal aborted);
 * rejects on a Docker error.
 */
export async function readServiceLogs(
  docker: Dockerode,
  subject: ServiceLogSubject,
  labels: TaskLabels,
  req: LogRequest,
  opts: { maxLineChars?: number },
  onLines: (lines: LogLine[]) => void,
): Promise<void> {
  const stream = await openServiceLogStream(docker, subject.id, req);
  const cap = Math.max(1, Math.floor(opts.maxLineChars ?? 8192));
  const ingest = new LogIngest({ source: labels.serviceName, sourceId: subject.id, tty: subject.tty, maxLineChars: cap + DETAILS_ROOM });
  const chains = new Map<string, Level | null>();
  let queue = Promise.resolve();
  const hand = (batch: LogLine[]) => {
    if (batch.length === 0) return;
    queue = queue.then(async () => {
      const ids = new Set<string>();
      for (const l of batch) {
        const id = parseDetails(l.text)?.attrs[TASK_ATTR];
        if (id) ids.add(id);
      }
      await labels.ensure(ids).catch(() => undefined);
      const out = relabel(batch, labels, chains, cap);
      if (out.length) onLines(out);
    });
  };
  await pumpLogStream(stream, ingest, req.signal, hand, () => queue);
}
