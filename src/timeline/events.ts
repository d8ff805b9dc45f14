/**
 * Docker events as the timeline keeps them: which ones are worth a row, what of each is stored, and
 * how a stored row reads ("died (exit 137, OOM killed)"). Pure functions; the recorder and the reader
 * use them.
 */
import type { DockerEventMessage } from '../model/dockerModel.js';
import { safeText } from '../sanitize.js';
import type { TimelineSeverity } from './types.js';

/** Container actions recorded (health_status carries its new status after a colon). */
export const CONTAINER_ACTIONS = ['create', 'start', 'restart', 'die', 'oom', 'kill', 'stop', 'health_status', 'destroy', 'rename', 'pause', 'unpause'] as const;
export const IMAGE_ACTIONS = ['pull', 'delete', 'tag'] as const;

/** One row of the `events` table, as written. */
export interface EventRow {
  /** Docker's timeNano (ns since the epoch; a JS number keeps ~256 ns, the same for every copy of an event). */
  timeNano: bigint;
  type: 'container' | 'image';
  action: string;
  actorId: string;
  name: string | null;
  project: string | null;
  service: string | null;
  image: string | null;
  exitCode: number | null;
  signal: string | null;
  extra: Record<string, string>;
}

/** A stored row as read back (id and epoch ms added). */
export interface StoredEvent extends EventRow {
  id: number;
  at: number;
}

const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

function wanted(type: string, action: string): boolean {
  if (type === 'container') return (CONTAINER_ACTIONS as readonly string[]).includes(action.split(':')[0]!.trim());
  if (type === 'image') return (IMAGE_ACTIONS as readonly string[]).includes(action);
  return false;
}

/** The event as a row to store, or null when it is not worth keeping (exec_*, network, volume …). */
export function toEventRow(ev: DockerEventMessage): EventRow | null {
  const type = ev.Type ?? (ev.status ? 'container' : '');
  const action = (ev.Action ?? ev.status ?? '').trim();
  const actorId = ev.Actor?.ID ?? ev.id ?? '';
  if (!actorId || !action || !wanted(type, action)) return null;
  const attrs = ev.Actor?.Attributes ?? {};
  const nano = typeof ev.timeNano === 'number' && ev.timeNano > 0 ? ev.timeNano : typeof ev.time === 'number' ? ev.time * 1e9 : 0;
  if (!nano) return null;
  const exit = attrs.exitCode !== undefined && /^-?\d+$/.test(attrs.exitCode) ? Number(attrs.exitCode) : null;
  const extra: Record<string, string> = {};
  if (attrs.oldName) extra.oldName = attrs.oldName.replace(/^\//, '');
  let name: string | null;
  let image: string | null;
  if (type === 'container') {
    name = attrs.name ? attrs.name.replace(/^\//, '') : null;
    image = attrs.image ?? ev.from ?? null;
  } else {
    // pull: the ID is the reference ("nginx:1"; name is "nginx"); tag: the ID is the image id, name
    // the new reference; delete: both are the image id.
    const named = attrs.name && !attrs.name.startsWith('sha256:') ? attrs.name : null;
    const ref = actorId.startsWith('sha256:') ? named : actorId;
    name = ref ?? shortId(actorId);
    image = ref;
  }
  return {
    timeNano: BigInt(Math.round(nano)),
    type: type as 'container' | 'image',
    action,
    actorId,
    name,
    project: attrs[PROJECT_LABEL] || null,
    service: attrs[SERVICE_LABEL] || null,
    image,
    exitCode: exit,
    signal: attrs.signal ?? null,
    extra,
  };
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

const SIGNALS: Record<string, string> = {
  '1': 'SIGHUP', '2': 'SIGINT', '3': 'SIGQUIT', '6': 'SIGABRT', '9': 'SIGKILL', '10': 'SIGUSR1', '12': 'SIGUSR2', '15': 'SIGTERM', '19': 'SIGSTOP', '28': 'SIGWINCH',
};

/** Docker sends the signal as a number ("9") or, from `docker kill -s`, as given; both read as "SIGKILL". */
export function signalName(signal: string | null): string {
  if (!signal) return 'a signal';
  if (SIGNALS[signal]) return SIGNALS[signal];
  const s = safeText(signal).toUpperCase();
  return s.startsWith('SIG') ? s : `SIG${s}`;
}

/** Context the reader adds to a row: an OOM kill or a stop right around a `die`. */
export interface EventContext {
  /** An `oom` of the same container shortly before this `die`. */
  oom?: boolean;
  /**
   * The die was asked for: `stop` — a stop event right after it (docker stop, restart, compose down);
   * `remove` — a kill right before it and a destroy right after it (docker rm -f).
   */
  stopped?: 'stop' | 'remove';
}

/** How a stored event reads on the timeline: one line and a severity. */
export function describeEvent(e: EventRow, ctx: EventContext = {}): { message: string; severity: TimelineSeverity } {
  const action = e.action;
  if (e.type === 'image') {
    const ref = safeText(e.image ?? e.name ?? shortId(e.actorId));
    if (action === 'pull') return { message: `image pulled: ${ref}`, severity: 'info' };
    if (action === 'delete') return { message: `image deleted: ${ref}`, severity: 'info' };
    return { message: `image tagged: ${ref}`, severity: 'info' };
  }
  if (action.startsWith('health_status')) {
    const status = action.slice(action.indexOf(':') + 1).trim();
    if (status === 'unhealthy') return { message: 'health check failing: unhealthy', severity: 'crit' };
    if (status === 'healthy') return { message: 'healthy', severity: 'ok' };
    return { message: `health: ${safeText(status) || 'unknown'}`, severity: 'info' };
  }
  switch (action) {
    case 'create': return { message: `created${e.image ? ` from ${safeText(e.image)}` : ''}`, severity: 'info' };
    case 'start': return { message: 'started', severity: 'ok' };
    case 'restart': return { message: 'restarted', severity: 'warn' };
    case 'die': {
      const code = e.exitCode;
      const codeText = code === null ? 'exit code unknown' : `exit ${code}`;
      if (ctx.oom) return { message: `died (${codeText}, OOM killed)`, severity: 'crit' };
      if (ctx.stopped) return { message: `exited on ${ctx.stopped === 'remove' ? 'removal' : 'stop'} (${codeText})`, severity: 'info' };
      if (code === 0) return { message: `exited (${codeText})`, severity: 'info' };
      return { message: `died (${codeText}${code !== null && code > 128 && code < 160 ? `: ${signalName(String(code - 128))}` : ''})`, severity: 'crit' };
    }
    case 'oom': return { message: 'out of memory: the kernel killed a process (memory limit reached)', severity: 'crit' };
    case 'kill': {
      const sig = signalName(e.signal);
      return { message: `sent ${sig}`, severity: sig === 'SIGKILL' ? 'warn' : 'info' };
    }
    case 'stop': return { message: 'stopped', severity: 'info' };
    case 'destroy': return { message: 'removed', severity: 'info' };
    case 'rename': return { message: `renamed${e.extra.oldName ? ` from ${safeText(e.extra.oldName)}` : ''}`, severity: 'info' };
    case 'pause': return { message: 'paused', severity: 'warn' };
    case 'unpause': return { message: 'unpaused', severity: 'ok' };
    default: return { message: safeText(action), severity: 'info' };
  }
}
