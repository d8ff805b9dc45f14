/**
 * Docker events → the `events` table. Live: the DockerModel's one events stream (onRawEvent), the
 * rows worth keeping written in one transaction per 250 ms. Backfill: dockerd keeps its most recent
 * events in memory (the last 256 of every kind, healthcheck execs included), so `/events?since=&until=`
 * returns what happened while no opsdeck listened — asked at every start, after every reconnect,
 * and by the CLI's timeline and report commands before they read. Copies are dropped by the table's
 * unique key, so overlapping reads are harmless. Retention is applied as it goes.
 */
import type { DockerReader } from '../docker/client.js';
import type { DockerEventMessage, DockerModel } from '../model/dockerModel.js';
import type { DB } from '../store/db.js';
import { CONTAINER_ACTIONS, IMAGE_ACTIONS, toEventRow, type EventRow } from './events.js';
import { EVENT_RETENTION, insertEvents, lastEventNano, pruneEvents } from './store.js';

export interface RecorderOptions {
  /** How long events gather before one transaction writes them. */
  flushMs?: number;
  /** How often retention runs (at most). */
  pruneEveryMs?: number;
  retention?: { maxAgeMs: number; maxRows: number };
  /** A write failed (state store gone, disk full): the events of that batch are lost, recording goes on. */
  onError?: (err: unknown) => void;
  /** New events were stored (a batch or a backfill): a shown Timeline can read again. */
  onWrite?: (added: number) => void;
}

export interface EventRecorder {
  stop(): void;
  /** Reads what dockerd still holds since the last recorded event (the start's backfill is already running). */
  backfill(): Promise<void>;
}

/** `seconds.nanoseconds`, as Docker's since/until take it. */
export function dockerTime(nano: bigint): string {
  const s = nano / 1_000_000_000n;
  const ns = nano % 1_000_000_000n;
  return `${s}.${ns.toString().padStart(9, '0')}`;
}

/**
 * Reads the events dockerd still holds from `since` (default: the newest recorded event; none
 * recorded: the retention window) until now, and stores the ones worth keeping. Returns how many
 * were new. Throws when Docker cannot be asked (the caller decides whether that matters).
 */
export async function backfillEvents(db: DB, reader: DockerReader, opts: { sinceNano?: bigint | null; now?: number; timeoutMs?: number; retention?: { maxAgeMs: number; maxRows: number } } = {}): Promise<number> {
  const now = opts.now ?? Date.now();
  const retention = opts.retention ?? EVENT_RETENTION;
  const endpoint = reader.endpoint.name ?? null;
  const since = opts.sinceNano ?? lastEventNano(db, endpoint) ?? BigInt(now - retention.maxAgeMs) * 1_000_000n;
  const until = BigInt(now) * 1_000_000n + 999_999n;
  if (since > until) return 0;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('Docker did not send its recent events in time')), opts.timeoutMs ?? 10_000);
  let text = '';
  try {
    const stream = (await reader.raw.getEvents({
      since: dockerTime(since),
      until: dockerTime(until),
      filters: { type: ['container', 'image'], event: [...CONTAINER_ACTIONS, ...IMAGE_ACTIONS] },
      abortSignal: abort.signal,
    } as unknown as Record<string, unknown>)) as NodeJS.ReadableStream;
    text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onAbort = () => {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        reject(abort.signal.reason instanceof Error ? abort.signal.reason : new Error('aborted'));
      };
      abort.signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (c: Buffer | string) => chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  } finally {
    clearTimeout(timer);
  }
  const rows: EventRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let ev: DockerEventMessage;
    try { ev = JSON.parse(line) as DockerEventMessage; } catch { continue; }
    const row = toEventRow(ev);
    if (row) rows.push(row);
  }
  const added = insertEvents(db, rows, endpoint);
  pruneEvents(db, now, retention);
  return added;
}

/**
 * Records the model's events while it runs. Starts a backfill at once (from the newest event stored
 * before this start) and again after each reconnect (from the newest event recorded before the
 * stream dropped).
 */
export function startEventRecorder(db: DB, docker: DockerModel, opts: RecorderOptions = {}): EventRecorder {
  const flushMs = opts.flushMs ?? 250;
  const pruneEveryMs = opts.pruneEveryMs ?? 60_000;
  const retention = opts.retention ?? EVENT_RETENTION;
  const onError = opts.onError ?? (() => undefined);
  const onWrite = opts.onWrite ?? (() => undefined);
  let queue: EventRow[] = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let lastPrune = 0;
  const endpoint = docker.endpoint.name ?? null;
  let newest: bigint | null = lastEventNano(db, endpoint);
  const startSince = newest;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      const added = insertEvents(db, batch, endpoint);
      if (added > 0) onWrite(added);
      const now = Date.now();
      if (now - lastPrune >= pruneEveryMs) {
        lastPrune = now;
        pruneEvents(db, now, retention);
      }
    } catch (e) {
      onError(e);
    }
  };

  const unsubscribe = docker.onRawEvent((ev) => {
    if (stopped) return;
    const row = toEventRow(ev);
    if (!row) return;
    queue.push(row);
    if (newest === null || row.timeNano > newest) newest = row.timeNano;
    if (!timer) {
      timer = setTimeout(flush, flushMs);
      timer.unref?.();
    }
  });

  // Where a backfill still has to start: a failed one (Docker not reachable yet) or a stream that dropped.
  let pending: bigint | null | undefined;
  let running: Promise<void> = Promise.resolve();
  const backfillFrom = (since: bigint | null): Promise<void> => {
    // One at a time: a reconnect's backfill waits for the previous one.
    running = running.then(async () => {
      if (stopped) return;
      try {
        const added = await backfillEvents(db, docker.reader, { sinceNano: since, retention });
        lastPrune = Date.now();
        if (added > 0) onWrite(added);
      } catch (e) {
        if (stopped) return; // the store may be closed by now: nothing to report
        if (pending === undefined) pending = since;
        onError(e);
      }
    });
    return running;
  };

  // Reconnects: remember where recording stopped when the stream went away; read the gap once it is back.
  let wasUp = docker.getSnapshot().conn.status === 'up';
  const unwatch = docker.subscribe(() => {
    const status = docker.getSnapshot().conn.status;
    if (status !== 'up' && wasUp) {
      flush();
      if (pending === undefined) pending = newest;
    } else if (status === 'up' && !wasUp && pending !== undefined) {
      const since = pending;
      pending = undefined;
      void backfillFrom(since);
    }
    wasUp = status === 'up';
  });

  void backfillFrom(startSince);
  return {
    stop() {
      if (stopped) return;
      flush();
      stopped = true;
      unsubscribe();
      unwatch();
    },
    backfill: () => backfillFrom(newest),
  };
}
