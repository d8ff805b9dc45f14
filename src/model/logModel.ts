import type { DockerReader } from '../docker/client.js';
import { logSubject, type LogRequest } from '../docker/logs.js';
import { formatSince } from '../logs/ingest.js';
import { LogBuffer } from '../logs/logBuffer.js';
import { mergeByTime, readContainerLogs } from '../logs/read.js';
import { membersOf, sourceLabel, type LogTarget } from '../logs/target.js';
import type { LogLine } from '../logs/types.js';
import type { DockerModel, DockerSnapshot } from './dockerModel.js';
import { mapLimit, Observable } from './observable.js';

export const LOG_WINDOWS = ['tail', '5m', '15m', '1h'] as const;
export type LogWindow = (typeof LOG_WINDOWS)[number];
const WINDOW_MS: Record<Exclude<LogWindow, 'tail'>, number> = { '5m': 5 * 60_000, '15m': 15 * 60_000, '1h': 60 * 60_000 };

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

/**
 * The live log buffer of one target (a container, or a compose project merged by time). Owns its
 * streams: open() cancels whatever was open, close() cancels everything. Follows containers across
 * restarts and notes in the buffer when one stops, starts again, joins or is removed.
 */
export class LogModel extends Observable<LogSnapshot> {
  readonly buffer: LogBuffer;
  private gen = 0;
  private members = new Map<string, Member>();
  private staging: LogLine[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastRows: DockerSnapshot['containers'] | null = null;

  constructor(private readonly docker: Pick<DockerModel, 'subscribe' | 'getSnapshot'> & { reader: DockerReader }, private readonly opts: LogModelOptions) {
    super({ target: null, window: 'tail', loading: false, members: [], version: 0, error: null }, 100);
    this.buffer = new LogBuffer(opts.maxLines, opts.maxBytes);
  }

  private get reader(): DockerReader { return this.docker.reader; }

  /**
   * Starts showing `target` (cancelling the previous streams); resolves once the history is loaded.
   * `range` overrides the window's history (the CLI's --tail and --since).
   */
  async open(target: LogTarget, window: LogWindow = 'tail', range?: { tail: number | 'all'; sinceMs?: number }): Promise<void> {
    this.cancelStreams();
    const gen = ++this.gen;
    this.buffer.clear();
    this.staging = [];
    this.members.clear();
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
      const sinceMs = range ? range.sinceMs : window === 'tail' ? undefined : started - WINDOW_MS[window];
      const req: LogRequest = {
        follow: false,
        tail: range ? range.tail : window === 'tail' ? this.opts.tail : this.opts.maxLines,
        since: sinceMs === undefined ? undefined : formatSince(sinceMs),
        signal: abort.signal,
      };
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
    this.staging = [];
    this.publishNow({ target: null, loading: false, error: null });
  }

  /** How many streams are open right now (tests and the bench check that nothing leaks). */
  get openStreams(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.abort) n++;
    return n;
  }

  private newMember(id: string, name: string, source: string): Member {
    return { id, name, source, status: 'loading', tty: false, startedAt: null, abort: null, lastTs: NaN, atLastTs: new Set(), dedupe: false };
  }

  /** Notes the newest timestamp of a batch and the texts written at it (one pass, no per-line sets). */
  private remember(m: Member, lines: LogLine[]): void {
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
    if (snap.containers === this.lastRows || this.snap.loading || !this.snap.target) return;
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
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private publishMembers(): void {
    this.publish({ ...this.snap, members: [...this.members.values()].map(({ id, name, source, status }) => ({ id, name, source, status })) });
  }

  private publishNow(patch: Partial<LogSnapshot>): void {
    const members = [...this.members.values()].map(({ id, name, source, status }) => ({ id, name, source, status }));
    this.publish({ ...this.snap, members, ...patch, version: this.snap.version + 1 }, true);
  }
}
