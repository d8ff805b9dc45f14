import type { DockerReader } from '../docker/client.js';
import { logSubject, type LogRequest } from '../docker/logs.js';
import { formatSince } from '../logs/ingest.js';
import { LogBuffer } from '../logs/logBuffer.js';
import { mergeByTime, readContainerLogs } from '../logs/read.js';
import { membersOf, sourceLabel, type LogTarget } from '../logs/target.js';
import type { LogLine } from '../logs/types.js';
import { readServiceLogs, TaskLabels } from '../swarm/logs.js';
import { swarmErrorText } from '../swarm/read.js';
import type { DockerModel, DockerSnapshot } from './dockerModel.js';
import { mapLimit, Observable } from './observable.js';

export const LOG_WINDOWS = ['tail', '5m', '15m', '1h'] as const;
export type LogWindow = (typeof LOG_WINDOWS)[number];
const WINDOW_MS: Record<Exclude<LogWindow, 'tail'>, number> = { '5m': 5 * 60_000, '15m': 15 * 60_000, '1h': 60 * 60_000 };

/** How often a followed service is looked up (its stream does not end when it is removed). */
const SERVICE_WATCH_MS = 5000;

export type MemberStatus = 'loading' | 'following' | 'done' | 'stopped' | 'removed' | 'failed';

export interface LogMember {
  id: string;
  name: string;
  source: string;
  status: MemberStatus;
}

export interface LogSnapshot {
  target: LogTarget | null;
  window: LogWindow;
  /** True until the history of every member is in the buffer. */
  loading: boolean;
  members: LogMember[];
  /** Bumped on every change of the buffer: views re-render on it and read the buffer itself. */
  version: number;
  /** A problem worth showing above the lines (the target vanished, Docker failed). */
  error: string | null;
}

export interface LogModelOptions {
  /** Lines of history per container when the window is 'tail'. */
  tail: number;
  maxLines: number;
  maxBytes: number;
  /** After the history, keep streaming new lines (false: `opsdeck logs` without --follow). */
  follow?: boolean;
  /** Longest line kept for display. */
  maxLineChars?: number;
}

interface Member extends LogMember {
  tty: boolean;
  startedAt: string | null;
  abort: AbortController | null;
  /** Timestamp of the newest line seen: a reopened stream resumes here. */
  lastTs: number;
  /** Texts of the lines at lastTs, so a resumed stream does not repeat them. */
  atLastTs: Set<string>;
  /** Skip lines up to lastTs (set while a resumed stream replays its first instant). */
  dedupe: boolean;
}

/** The one stream of a Swarm service target (every task's lines, from the manager). */
interface ServiceStream {
  id: string;
  name: string;
  tty: boolean;
  labels: TaskLabels;
  abort: AbortController | null;
  lastTs: number;
  atLastTs: Set<string>;
  /** Drop lines at or before the resume stamp that were already shown (set while a resumed stream replays). */
  dedupe: boolean;
  /** Delay before reopening a stream that ended while the service still exists (grows when it ends at once). */
  retryMs: number;
}

/**
 * The live log buffer of one target (a container, a compose project merged by time, or a Swarm
 * service's tasks merged by the manager). Owns its streams: open() cancels whatever was open,
 * close() cancels everything. Follows containers across restarts and notes in the buffer when one
 * stops, starts again, joins or is removed.
 */
export class LogModel extends Observable<LogSnapshot> {
  readonly buffer: LogBuffer;
  private gen = 0;
  private members = new Map<string, Member>();
  private staging: LogLine[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastRows: DockerSnapshot['containers'] | null = null;
  private svc: ServiceStream | null = null;

  constructor(private readonly docker: Pick<DockerModel, 'subscribe' | 'getSnapshot'> & { reader: DockerReader }, private readonly opts: LogModelOptions) {
    super({ target: null, window: 'tail', loading: false, members: [], version: 0, error: null }, 100);
    this.buffer = new LogBuffer(opts.maxLines, opts.maxBytes);
  }

  private get reader(): DockerReader { return this.docker.reader; }

  /**
   * Starts showing `target` (cancelling the previous streams); resolves once the history is loaded.
   * `range` overrides the window's history (the CLI's --tail and --since).
   */
  /** The history read of a window (or an explicit range), as of `started`. */
  private historyRequest(window: LogWindow, range: { tail: number | 'all'; sinceMs?: number } | undefined, started: number, signal: AbortSignal): LogRequest {
    const sinceMs = range ? range.sinceMs : window === 'tail' ? undefined : started - WINDOW_MS[window];
    return {
      follow: false,
      tail: range ? range.tail : window === 'tail' ? this.opts.tail : this.opts.maxLines,
      since: sinceMs === undefined ? undefined : formatSince(sinceMs),
      signal,
    };
  }

  async open(target: LogTarget, window: LogWindow = 'tail', range?: { tail: number | 'all'; sinceMs?: number }): Promise<void> {
    this.cancelStreams();
    const gen = ++this.gen;
    this.buffer.clear();
    this.staging = [];
    this.members.clear();
    this.svc = null;
    if (target.kind === 'service') return this.openService(target, window, range, gen);
    const rows = this.docker.getSnapshot().containers;
    const found = membersOf(rows, target);
    if (target.kind === 'container' && found.length === 0) {
      // Not in the live list (yet): still try by id, Docker will say if it is gone.
      found.push({ ...({} as DockerSnapshot['containers'][number]), id: target.id, name: target.name, project: null, service: null });
    }
    for (const c of found) this.members.set(c.id, this.newMember(c.id, c.name, target.kind === 'project' ? sourceLabel(c, found) : ''));
    this.publishNow({ target, window, loading: true, error: found.length ? null : `no containers in ${target.kind === 'project' ? `project ${target.project}` : target.name}` });
    if (this.opts.follow !== false && !this.unsubscribe) {
      this.unsubscribe = this.docker.subscribe(() => this.onDocker());
    }
    this.lastRows = rows;

    const started = Date.now();
    const history: LogLine[][] = [];
    await mapLimit([...this.members.values()], 4, async (m) => {
      const abort = new AbortController();
      m.abort = abort;
      const subject = await logSubject(this.reader, m.id);
      if (gen !== this.gen) return;
      if (!subject) { m.status = 'removed'; return; }
      m.tty = subject.tty;
      m.startedAt = subject.startedAt;
      const lines: LogLine[] = [];
      const req = this.historyRequest(window, range, started, abort.signal);
      await readContainerLogs(this.reader, subject, req, { source: m.source, maxLineChars: this.opts.maxLineChars }, (batch) => {
        for (const l of batch) lines.push(l);
      });
      if (gen !== this.gen) return;
      this.remember(m, lines);
      history.push(lines);
      m.abort = null;
      m.status = subject.running ? 'loading' : 'stopped';
    }).then((results) => {
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed && gen === this.gen) this.publishNow({ error: `could not read logs: ${(failed.reason as Error)?.message ?? String(failed.reason)}` });
    });
    if (gen !== this.gen) return;
    this.buffer.pushAll(history.length > 1 ? mergeByTime(history.flat()) : (history[0] ?? []));
    for (const m of this.members.values()) {
      if (m.status === 'loading') {
        if (this.opts.follow === false) m.status = 'done';
        else this.follow(m, gen, started);
      } else if (m.status === 'stopped' && this.opts.follow === false) m.status = 'done';
    }
    this.publishNow({ loading: false });
  }

  /** Re-opens the current target with another time window. */
  setWindow(window: LogWindow): Promise<void> {
    const target = this.snap.target;
    return target ? this.open(target, window) : Promise.resolve();
  }

  /** Cancels every stream and stops watching Docker. */
  close(): void {
    this.gen++;
    this.cancelStreams();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.members.clear();
    this.svc = null;
    this.staging = [];
    this.publishNow({ target: null, loading: false, error: null });
  }

  /** How many streams are open right now (tests and the bench check that nothing leaks). */
  get openStreams(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.abort) n++;
    return n + (this.svc?.abort ? 1 : 0);
  }

  private newMember(id: string, name: string, source: string): Member {
    return { id, name, source, status: 'loading', tty: false, startedAt: null, abort: null, lastTs: NaN, atLastTs: new Set(), dedupe: false };
  }

  /** Notes the newest timestamp of a batch and the texts written at it (one pass, no per-line sets). */
  private remember(m: Pick<Member, 'lastTs' | 'atLastTs'>, lines: LogLine[]): void {
    let max = NaN;
    for (const l of lines) if (l.ts > max || (Number.isNaN(max) && !Number.isNaN(l.ts))) max = l.ts;
    if (Number.isNaN(max) || max < m.lastTs) return;
    if (!(max === m.lastTs)) m.atLastTs = new Set();
    m.lastTs = max;
    for (const l of lines) if (l.ts === max) m.atLastTs.add(l.text);
  }

  /** Streams new lines of a running container from where its history ended. */
  private follow(m: Member, gen: number, fallbackSince: number): void {
    const abort = new AbortController();
    m.abort = abort;
    m.status = 'following';
    m.dedupe = !Number.isNaN(m.lastTs);
    // Docker's `since` is inclusive: resume at the last stamp and drop the lines already shown.
    const since = m.dedupe ? m.lastTs : fallbackSince - 1000;
    const req: LogRequest = { follow: true, since: formatSince(since), signal: abort.signal };
    readContainerLogs(this.reader, m, req, { source: m.source, maxLineChars: this.opts.maxLineChars }, (batch) => {
      if (gen !== this.gen) return;
      this.take(m, batch);
    }).then(
      () => { if (gen === this.gen && m.abort === abort) void this.ended(m, gen); },
      (err: unknown) => { if (gen === this.gen && m.abort === abort) void this.ended(m, gen, err); },
    );
    this.publishMembers();
  }

  private take(m: Member, batch: LogLine[]): void {
    if (m.dedupe) {
      const fresh: LogLine[] = [];
      for (const l of batch) {
        if (m.dedupe && (l.ts < m.lastTs || (l.ts === m.lastTs && m.atLastTs.has(l.text)))) continue;
        m.dedupe = false;
        fresh.push(l);
      }
      batch = fresh;
    }
    if (batch.length === 0) return;
    this.remember(m, batch);
    for (const l of batch) this.staging.push(l);
    this.scheduleFlush();
  }

  private note(m: Pick<Member, 'id' | 'source' | 'name'>, text: string): void {
    this.staging.push({ seq: 0, ts: Date.now(), source: m.source, sourceId: m.id, stream: 'note', text: `— ${text} —`, level: null, cont: false, truncated: 0, bytes: text.length * 2 + 96 });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), 30);
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.staging.length === 0) return;
    const lines = this.members.size > 1 ? mergeByTime(this.staging) : this.staging;
    this.staging = [];
    this.buffer.pushAll(lines);
    this.publish({ ...this.snap, version: this.snap.version + 1 });
  }

  /** A follow stream ended: the container stopped, restarted, was removed, or Docker failed. */
  private async ended(m: Member, gen: number, err?: unknown): Promise<void> {
    m.abort = null;
    let subject;
    try {
      subject = await logSubject(this.reader, m.id);
    } catch (e) {
      if (gen !== this.gen) return;
      m.status = 'failed';
      this.note(m, `${m.name}: lost the log stream (${(err as Error)?.message ?? (e as Error).message}); resuming when Docker is back`);
      this.publishMembers();
      return;
    }
    if (gen !== this.gen) return;
    if (!subject) {
      m.status = 'removed';
      this.note(m, `${m.name} was removed`);
    } else if (subject.running && subject.startedAt !== m.startedAt) {
      this.note(m, `${m.name} restarted`);
      m.startedAt = subject.startedAt;
      this.follow(m, gen, Date.now());
      return;
    } else if (subject.running) {
      // Docker closed a stream of a container that still runs (engine restart, log rotation): reopen.
      setTimeout(() => { if (gen === this.gen && !m.abort) this.follow(m, gen, Date.now()); }, 1000);
      return;
    } else {
      m.status = 'stopped';
      this.note(m, `${m.name} stopped${subject.exitCode !== null ? ` (exit code ${subject.exitCode})` : ''}; following again when it starts`);
    }
    this.publishMembers();
  }

  /** Docker's container list changed: resume stopped members that run again, pick up new project members. */
  private onDocker(): void {
    const snap = this.docker.getSnapshot();
    if (snap.containers === this.lastRows || this.snap.loading || !this.snap.target || this.snap.target.kind === 'service') return;
    this.lastRows = snap.containers;
    if (snap.conn.status !== 'up') return;
    const gen = this.gen;
    const target = this.snap.target;
    const byId = new Map(snap.containers.map((c) => [c.id, c]));
    for (const m of this.members.values()) {
      if (m.abort || m.status === 'removed' || m.status === 'done') continue;
      const row = byId.get(m.id);
      if (!row) {
        if (m.status === 'stopped' || m.status === 'failed') { m.status = 'removed'; this.note(m, `${m.name} was removed`); }
        continue;
      }
      if (row.state === 'running' && (m.status === 'stopped' || m.status === 'failed')) {
        if (m.status === 'stopped') this.note(m, `${m.name} started again`);
        m.startedAt = row.startedAt;
        this.follow(m, gen, Date.now());
      }
    }
    if (target.kind === 'project') {
      const all = membersOf(snap.containers, target);
      for (const c of all) {
        if (this.members.has(c.id)) continue;
        const m = this.newMember(c.id, c.name, sourceLabel(c, all));
        this.members.set(c.id, m);
        this.note(m, `${c.name} joined ${target.project}`);
        void logSubject(this.reader, c.id).then((subject) => {
          if (gen !== this.gen || !subject) return;
          m.tty = subject.tty;
          m.startedAt = subject.startedAt;
          if (subject.running) this.follow(m, gen, Date.parse(c.createdAt) || Date.now());
          else m.status = 'stopped';
          this.publishMembers();
        }, () => undefined);
      }
    }
    this.publishMembers();
  }

  private cancelStreams(): void {
    for (const m of this.members.values()) {
      m.abort?.abort();
      m.abort = null;
    }
    if (this.svc) {
      this.svc.abort?.abort();
      this.svc.abort = null;
    }
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  // --- Swarm services ---------------------------------------------------------------------------

  /**
   * A service: one stream from the manager (history, then follow) whose lines carry their task;
   * the members are the task labels seen ("web.1", "web.2"), so merged lines get their prefix.
   */
  private async openService(target: Extract<LogTarget, { kind: 'service' }>, window: LogWindow, range: { tail: number | 'all'; sinceMs?: number } | undefined, gen: number): Promise<void> {
    const raw = this.reader.raw;
    const svc: ServiceStream = {
      id: target.id, name: target.name, tty: false, labels: new TaskLabels(raw, target.id, target.name),
      abort: null, lastTs: NaN, atLastTs: new Set(), dedupe: false, retryMs: 1000,
    };
    this.svc = svc;
    this.publishNow({ target, window, loading: true, error: null });
    const started = Date.now();
    try {
      const info = (await raw.getService(target.id).inspect()) as { Spec?: { TaskTemplate?: { ContainerSpec?: { TTY?: boolean } } } };
      svc.tty = Boolean(info.Spec?.TaskTemplate?.ContainerSpec?.TTY);
      await svc.labels.refresh();
    } catch (e) {
      if (gen !== this.gen) return;
      const gone = (e as { statusCode?: number }).statusCode === 404;
      this.publishNow({ loading: false, error: gone ? `service ${target.name} no longer exists` : `could not read logs of service ${target.name}: ${swarmErrorText(e)}` });
      return;
    }
    if (gen !== this.gen) return;
    for (const t of svc.labels.current()) this.serviceMember(t.label, t.containerId ?? t.taskId);
    const lines: LogLine[] = [];
    const abort = new AbortController();
    svc.abort = abort;
    const req = this.historyRequest(window, range, started, abort.signal);
    let error: string | null = null;
    try {
      await readServiceLogs(raw, svc, svc.labels, req, { maxLineChars: this.opts.maxLineChars }, (batch) => { for (const l of batch) lines.push(l); });
    } catch (e) {
      error = `could not read logs of service ${target.name}: ${swarmErrorText(e)}`;
    }
    if (gen !== this.gen) return;
    svc.abort = null;
    for (const l of lines) this.serviceMember(l.source, l.sourceId);
    this.remember(svc, lines);
    this.buffer.pushAll(mergeByTime(lines));
    if (this.opts.follow === false || error) {
      for (const m of this.members.values()) m.status = error ? 'failed' : 'done';
    } else {
      this.followService(svc, gen, started);
    }
    this.publishNow({ loading: false, error });
  }

  /** The member for a task label (one per label: a replaced task keeps its slot's prefix). */
  private serviceMember(label: string, id: string): Member {
    let m = this.members.get(label);
    if (!m) {
      m = this.newMember(id, label, label);
      m.status = this.svc?.abort || this.snap.loading ? 'following' : 'done';
      this.members.set(label, m);
    } else if (id) {
      m.id = id;
    }
    return m;
  }

  private followService(svc: ServiceStream, gen: number, fallbackSince: number): void {
    const abort = new AbortController();
    svc.abort = abort;
    svc.dedupe = !Number.isNaN(svc.lastTs);
    const opened = Date.now();
    for (const m of this.members.values()) m.status = 'following';
    const since = svc.dedupe ? svc.lastTs : fallbackSince - 1000;
    const req: LogRequest = { follow: true, since: formatSince(since), signal: abort.signal };
    const ended = (err?: unknown) => {
      if (gen !== this.gen || svc.abort !== abort) return;
      svc.abort = null;
      void this.serviceEnded(svc, gen, Date.now() - opened, err);
    };
    readServiceLogs(this.reader.raw, svc, svc.labels, req, { maxLineChars: this.opts.maxLineChars }, (batch) => {
      if (gen !== this.gen) return;
      this.takeService(svc, batch);
    }).then(() => ended(), ended);
    this.watchService(svc, gen, abort);
    this.publishMembers();
  }

  /**
   * Docker keeps a service's follow stream open after the service is removed (nothing more comes):
   * while it follows, the service is looked up every few seconds, and the stream closed when it is gone.
   */
  private watchService(svc: ServiceStream, gen: number, abort: AbortController): void {
    const timer = setInterval(() => {
      if (gen !== this.gen || svc.abort !== abort || abort.signal.aborted) { clearInterval(timer); return; }
      this.reader.raw.getService(svc.id).inspect().catch((e: unknown) => {
        if ((e as { statusCode?: number }).statusCode === 404 && svc.abort === abort) abort.abort();
      });
    }, SERVICE_WATCH_MS);
    timer.unref?.();
    abort.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  private takeService(svc: ServiceStream, batch: LogLine[]): void {
    if (svc.dedupe) {
      // Docker's `since` is inclusive: lines at the resume stamp that were shown come again.
      const resume = svc.lastTs;
      batch = batch.filter((l) => !(l.ts < resume || (l.ts === resume && svc.atLastTs.has(l.text))));
    }
    if (batch.length === 0) return;
    let joined = false;
    for (const l of batch) {
      if (!this.members.has(l.source)) joined = true;
      this.serviceMember(l.source, l.sourceId).status = 'following';
    }
    this.remember(svc, batch);
    for (const l of batch) this.staging.push(l);
    this.scheduleFlush();
    if (joined) this.publishMembers();
  }

  /** The follow stream ended: the service was removed, or Docker closed it (reopened, from the last line). */
  private async serviceEnded(svc: ServiceStream, gen: number, lastedMs: number, err?: unknown): Promise<void> {
    let exists = true;
    try {
      await this.reader.raw.getService(svc.id).inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) exists = false;
    }
    if (gen !== this.gen) return;
    const any = [...this.members.values()][0] ?? this.newMember(svc.id, svc.name, '');
    if (!exists) {
      for (const m of this.members.values()) m.status = 'removed';
      this.note({ id: svc.id, name: svc.name, source: any.source }, `service ${svc.name} was removed`);
      this.publishMembers();
      return;
    }
    svc.retryMs = lastedMs < 2000 ? Math.min(svc.retryMs * 2, 15_000) : 1000;
    if (err) {
      for (const m of this.members.values()) m.status = 'failed';
      this.note({ id: svc.id, name: svc.name, source: any.source }, `${svc.name}: lost the log stream (${swarmErrorText(err)}); retrying`);
      this.publishMembers();
    }
    setTimeout(() => { if (gen === this.gen && this.svc === svc && !svc.abort) this.followService(svc, gen, Date.now()); }, svc.retryMs).unref?.();
  }

  private publishMembers(): void {
    this.publish({ ...this.snap, members: [...this.members.values()].map(({ id, name, source, status }) => ({ id, name, source, status })) });
  }

  private publishNow(patch: Partial<LogSnapshot>): void {
    const members = [...this.members.values()].map(({ id, name, source, status }) => ({ id, name, source, status }));
    this.publish({ ...this.snap, members, ...patch, version: this.snap.version + 1 }, true);
  }
}
