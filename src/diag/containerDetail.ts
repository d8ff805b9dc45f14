/**
 * Everything the Overview's detail pane shows about one container, gathered in one call: state,
 * exit code and OOM flag, restart count and policy, the healthcheck's last outputs (inspect's
 * State.Health.Log), the image and its age, command, limits, ports, mounts, the environment with
 * secrets masked, the container's recent timeline events and its last error lines. Every string is
 * sanitised (safeText) and redacted (src/diag/redact.ts) here, so a view can draw it as it is.
 * Parts that cannot be had (no state store, logs unreadable, image removed) become notes; only a
 * container that cannot be inspected at all rejects.
 */
import type Dockerode from 'dockerode';
import type { DockerReader } from '../docker/client.js';
import { readContainerLogs } from '../logs/read.js';
import { safeText } from '../sanitize.js';
import type { DB } from '../store/db.js';
import { readTimeline } from '../timeline/read.js';
import type { TimelineEntry } from '../timeline/types.js';
import { LineRedactor, redactArgv, redactEnv, redactText } from './redact.js';
import { errorText, isGone, withTimeout } from './util.js';

export interface HealthProbe {
  /** Epoch ms the probe started / ended (null when Docker did not say). */
  start: number | null;
  end: number | null;
  exitCode: number;
  /** What the probe printed: sanitised, redacted, trimmed. */
  output: string;
}

export interface ContainerDetail {
  id: string;
  name: string;
  project: string | null;
  service: string | null;
  /** Docker's state word: running, exited, restarting, paused, created, dead, removing. */
  state: string;
  running: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: number | null;
  /** The last exit code (null while running and never exited). */
  exitCode: number | null;
  oomKilled: boolean;
  /** Docker's State.Error (e.g. "OCI runtime create failed: …"), null when empty. */
  error: string | null;
  restartCount: number;
  /** "unless-stopped", "on-failure:5", "no" … */
  restartPolicy: string | null;
  health: {
    status: string;
    failingStreak: number;
    /** The healthcheck command, redacted. */
    test: string | null;
    /** Oldest first, as Docker keeps them (the last five). */
    log: HealthProbe[];
  } | null;
  image: {
    /** What the container was created from (`postgres:15`). */
    ref: string;
    id: string;
    /** Epoch ms the image was built; null when unknown (image removed). */
    created: number | null;
    sizeBytes: number | null;
  };
  /** Entrypoint + command, redacted. */
  command: string;
  limits: { memoryBytes: number | null; cpus: number | null };
  /** "127.0.0.1:18080 → 80/tcp", "5432/tcp (not published)". */
  ports: string[];
  mounts: { type: string; source: string; destination: string; rw: boolean }[];
  /** NAME=value pairs in the container's order; secret values are `********`. */
  env: { name: string; value: string }[];
  /** The container's timeline entries of the last 24 h, oldest first, at most 20. */
  events: TimelineEntry[];
  /** The last error lines of its recent logs (level detection of the log view), oldest first, at most 10. */
  errorLines: { at: number | null; text: string }[];
  /** What could not be gathered, one line each. */
  notes: string[];
  /** Epoch ms. */
  gatheredAt: number;
}

export interface GatherOptions {
  signal?: AbortSignal;
  /** Per part (inspect, image, logs); default 8 s. */
  timeoutMs?: number;
  /** Log lines read from the end to look for errors; default 2000. */
  tail?: number;
  now?: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const DAY_MS = 24 * 3_600_000;

function time(iso: string | undefined | null): number | null {
  if (!iso || iso === ZERO_TIME || iso.startsWith('0001-')) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** Untrusted text for display: sanitised and redacted, one line. */
const clean = (text: string) => safeText(redactText(text)).replace(/\uFFFD/g, ' ').replace(/\s+/g, ' ').trim();

/** Thrown when there is no such container. */
export class NoSuchContainerError extends Error {
  constructor(what: string) {
    super(`no container ${safeText(what)}`);
    this.name = 'NoSuchContainerError';
  }
}

export async function gatherContainerDetail(docker: DockerReader, db: DB | null, idOrName: string, opts: GatherOptions = {}): Promise<ContainerDetail> {
  const signal = opts.signal ?? new AbortController().signal;
  const ms = opts.timeoutMs ?? 8000;
  const now = opts.now ?? Date.now();
  const notes: string[] = [];

  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await withTimeout(ms, signal, (s) => docker.raw.getContainer(idOrName).inspect({ abortSignal: s } as object));
  } catch (e) {
    if (isGone(e)) throw new NoSuchContainerError(idOrName);
    throw new Error(`inspect ${safeText(idOrName)}: ${errorText(e)}`, { cause: e });
  }
  const name = safeText(info.Name.replace(/^\//, ''));
  const labels = info.Config?.Labels ?? {};
  const st = info.State;

  const [image, errorLines, events] = await Promise.all([
    imageFacts(docker, info, ms, signal, notes),
    lastErrors(docker, info, ms, signal, opts.tail ?? 2000, notes),
    recentEvents(db, name, now, notes),
  ]);

  const health = st?.Health
    ? {
        status: safeText(st.Health.Status ?? ''),
        failingStreak: st.Health.FailingStreak ?? 0,
        test: info.Config?.Healthcheck?.Test ? clean(redactArgv(info.Config.Healthcheck.Test).join(' ')) : null,
        log: (st.Health.Log ?? []).map((p) => ({
          start: time(p.Start),
          end: time(p.End),
          exitCode: p.ExitCode,
          output: safeText(redactText((p.Output ?? '').trim())),
        })),
      }
    : null;
  const policy = info.HostConfig?.RestartPolicy;
  const exited = !st?.Running || st?.Restarting;
  return {
    id: info.Id,
    name,
    project: labels['com.docker.compose.project'] !== undefined ? safeText(labels['com.docker.compose.project']) : null,
    service: labels['com.docker.compose.service'] !== undefined ? safeText(labels['com.docker.compose.service']) : null,
    state: safeText(st?.Status ?? 'unknown'),
    running: Boolean(st?.Running) && !st?.Restarting,
    startedAt: time(st?.StartedAt),
    finishedAt: time(st?.FinishedAt),
    createdAt: time(info.Created),
    exitCode: exited && time(st?.FinishedAt) !== null ? (st?.ExitCode ?? null) : null,
    oomKilled: Boolean(st?.OOMKilled),
    error: st?.Error ? clean(st.Error) : null,
    restartCount: info.RestartCount ?? 0,
    restartPolicy: policy?.Name ? `${safeText(policy.Name)}${policy.Name === 'on-failure' && policy.MaximumRetryCount ? `:${policy.MaximumRetryCount}` : ''}` : null,
    health,
    image,
    command: clean(redactArgv([...asArray(info.Config?.Entrypoint), ...asArray(info.Config?.Cmd)]).join(' ')),
    limits: {
      memoryBytes: info.HostConfig?.Memory ? info.HostConfig.Memory : null,
      cpus: info.HostConfig?.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : null,
    },
    ports: portsOf(info),
    mounts: (info.Mounts ?? []).map((m) => ({
      type: safeText(m.Type ?? ''),
      source: clean(m.Type === 'volume' && m.Name ? m.Name : (m.Source ?? '')),
      destination: clean(m.Destination ?? ''),
      rw: Boolean(m.RW),
    })),
    env: redactEnv(info.Config?.Env ?? []).map((e) => ({ name: safeText(e.name), value: clean(e.value) })),
    events,
    errorLines,
    notes,
    gatheredAt: now,
  };
}

function asArray(v: string | string[] | undefined | null): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function portsOf(info: Dockerode.ContainerInspectInfo): string[] {
  const out: string[] = [];
  const live = info.NetworkSettings?.Ports as Record<string, { HostIp: string; HostPort: string }[] | null> | undefined;
  const configured = info.HostConfig?.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined;
  const exposed = Object.keys((info.Config?.ExposedPorts as Record<string, unknown> | undefined) ?? {});
  const keys = new Set([...Object.keys(live ?? {}), ...Object.keys(configured ?? {}), ...exposed]);
  for (const port of [...keys].sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b))) {
    const bindings = (live && live[port]) || (configured && configured[port]) || null;
    if (!bindings || bindings.length === 0) {
      out.push(`${safeText(port)} (not published)`);
      continue;
    }
    const seen = new Set<string>();
    for (const b of bindings) {
      const host = `${b.HostIp && b.HostIp !== '' ? (b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp) : '0.0.0.0'}:${b.HostPort ?? ''}`;
      const text = `${safeText(host)} → ${safeText(port)}`;
      if (!seen.has(text)) out.push(text);
      seen.add(text);
    }
  }
  return out;
}

async function imageFacts(docker: DockerReader, info: Dockerode.ContainerInspectInfo, ms: number, signal: AbortSignal, notes: string[]): Promise<ContainerDetail['image']> {
  const ref = safeText(info.Config?.Image ?? info.Image ?? '');
  const facts: ContainerDetail['image'] = { ref, id: safeText(info.Image ?? ''), created: null, sizeBytes: null };
  try {
    const img = await withTimeout(ms, signal, (s) => docker.raw.getImage(info.Image).inspect({ abortSignal: s } as object) as Promise<Dockerode.ImageInspectInfo>);
    facts.created = time(img.Created);
    facts.sizeBytes = typeof img.Size === 'number' ? img.Size : null;
  } catch (e) {
    if (signal.aborted) throw e;
    notes.push(dockerStatusIs404(e) ? `image ${ref}: no longer on this host (removed or re-tagged since)` : `image ${ref}: ${errorText(e)}`);
  }
  return facts;
}

function dockerStatusIs404(e: unknown): boolean {
  return (e as { statusCode?: number } | null)?.statusCode === 404;
}

async function lastErrors(docker: DockerReader, info: Dockerode.ContainerInspectInfo, ms: number, signal: AbortSignal, tail: number, notes: string[]): Promise<ContainerDetail['errorLines']> {
  const keep: ContainerDetail['errorLines'] = [];
  const redactor = new LineRedactor();
  try {
    await withTimeout(ms, signal, (s) =>
      readContainerLogs(docker, { id: info.Id, tty: Boolean(info.Config?.Tty) }, { follow: false, tail, signal: s }, { source: '', maxLineChars: 2048 }, (lines) => {
        for (const l of lines) {
          // Every line passes the redactor (a PEM block's state spans lines); error heads are kept.
          const text = redactor.line(l.text);
          if (l.level !== 'error' || l.cont) continue;
          keep.push({ at: Number.isFinite(l.ts) ? l.ts : null, text: text.replace(/\uFFFD/g, ' ').trim() });
          if (keep.length > 10) keep.shift();
        }
      }),
    );
  } catch (e) {
    if (signal.aborted) throw e;
    notes.push(`logs: ${errorText(e)}`);
  }
  return keep;
}

function recentEvents(db: DB | null, name: string, now: number, notes: string[]): TimelineEntry[] {
  if (!db) {
    notes.push('recent events: no state store here');
    return [];
  }
  try {
    return readTimeline(db, { since: now - DAY_MS, until: now, match: name, limit: 500 })
      .filter((e) => e.container === name || e.subject === name)
      .slice(-20);
  } catch (e) {
    notes.push(`recent events: ${errorText(e)}`);
    return [];
  }
}
