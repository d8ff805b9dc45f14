import { hostname } from 'node:os';
import { setMaxListeners } from 'node:events';
import type { ActionContext, ActionDef, Confirmation, Progress, RunEvent } from '../../actions/types.js';
import { ReadOnlyError } from '../docker/client.js';
import { appendAudit, type AuditResult } from '../store/audit.js';
import type { DB } from '../store/db.js';
import { acquireLock, releaseLock } from '../store/locks.js';
import { currentUser } from '../store/paths.js';

export interface RunOptions {
  /** Asks the operator; resolves true to go ahead. Not called for actions that change nothing. */
  confirm: (c: Confirmation) => Promise<boolean>;
  onEvent?: (e: RunEvent) => void;
  /** Aborting (Ctrl-C) stops the running step; the lock is released and the run audited as failed. */
  signal?: AbortSignal;
}

export interface RunResult {
  result: AuditResult;
  error?: string;
  durationMs: number;
  /** What the last step reported, for a flash line. */
  detail?: string;
}

export interface RunnerDeps {
  ctx: ActionContext;
  /** The state store; null when it could not be opened (mutating actions then refuse). */
  db: DB | null;
  dbError?: string;
  readOnly: boolean;
  user?: string;
  host?: string;
  /** Several endpoints are configured: confirmations name the engine and locks are per engine. */
  multiEndpoint?: boolean;
}

/**
 * The one runner. Order: read-only guard → preflight → confirmation → lock → steps → audit → unlock.
 * Any failure before the steps changes nothing. The lock is released on every path.
 */
export class Runner {
  readonly user: string;
  readonly host: string;

  constructor(private readonly deps: RunnerDeps) {
    this.user = deps.user ?? currentUser();
    this.host = deps.host ?? hostname();
  }

  /** What actions may touch (the Docker reader and the read-only-aware control). */
  get ctx(): ActionContext {
    return this.deps.ctx;
  }

  get readOnly(): boolean {
    return this.deps.readOnly;
  }

  async run<P>(action: ActionDef<P>, params: P, opts: RunOptions): Promise<RunResult> {
    const started = Date.now();
    const target = action.target(params);
    const emit = opts.onEvent ?? (() => undefined);
    const endpoint = this.deps.ctx.docker.endpoint;
    // With several engines, the same container name can live on two: the lock is per engine.
    const lockKey = this.deps.multiEndpoint && endpoint.name ? `${endpoint.name}:${target}` : target;
    const audit = (result: AuditResult, error?: string, durationMs?: number) => {
      if (!action.mutates || !this.deps.db) return;
      appendAudit(this.deps.db, {
        at: new Date(started).toISOString(), user: this.user, host: this.host, action: action.id, target,
        params: action.auditParams?.(params) ?? {}, result, error: error ?? null, durationMs: durationMs ?? null,
        endpoint: endpoint.name ?? null,
      });
    };

    if (action.mutates && this.deps.readOnly) {
      const err = new ReadOnlyError(`${action.title.toLowerCase().split(' ')[0]} ${target}`);
      audit('refused', err.message, 0);
      return { result: 'refused', error: err.message, durationMs: 0 };
    }
    if (action.mutates && !this.deps.db) {
      return { result: 'refused', error: `refused: no audit log (${this.deps.dbError ?? 'state store unavailable'}), so opsdeck will not ${action.title.toLowerCase().split(' ')[0]} ${target}`, durationMs: 0 };
    }
    try {
      await action.preflight?.(params, this.deps.ctx);
    } catch (e) {
      const message = errorText(e);
      audit('refused', message, Date.now() - started);
      return { result: 'refused', error: message, durationMs: Date.now() - started };
    }
    if (action.mutates) {
      const confirmation = await action.confirmation(params, this.deps.ctx);
      // Which engine it goes to is part of "exactly what will happen to what".
      if (this.deps.multiEndpoint) confirmation.lines = [`on endpoint ${endpoint.name ?? '?'} (${endpoint.url})`, ...confirmation.lines];
      const ok = await opts.confirm(confirmation);
      if (!ok) return { result: 'cancelled', durationMs: Date.now() - started };
    }

    let locked = false;
    if (action.mutates) {
      try {
        acquireLock(this.deps.db!, lockKey, { action: action.id, user: this.user, host: this.host });
        locked = true;
      } catch (e) {
        const message = errorText(e);
        audit('refused', message, Date.now() - started);
        return { result: 'refused', error: message, durationMs: Date.now() - started };
      }
    }

    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const onOuterAbort = () => abort.abort(opts.signal?.reason ?? new Error('interrupted'));
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let detail: string | undefined;
    const stepCtx = (stepId: string, t0: number, signal: AbortSignal) => ({
      ...this.deps.ctx,
      signal,
      progress: (p: Progress) => emit({ type: 'progress', step: stepId, progress: withRate(p, t0) }),
      log: (line: string) => emit({ type: 'log', step: stepId, line }),
    });
    try {
      const steps = action.steps(params);
      for (const [i, step] of steps.entries()) {
        const t0 = Date.now();
        try {
          if (abort.signal.aborted) throw new Error(`interrupted before "${step.title}"`);
          emit({ type: 'step', id: step.id, title: step.title, status: 'running' });
          const out = await step.run(params, stepCtx(step.id, t0, abort.signal));
          if (typeof out === 'string') detail = out;
          emit({ type: 'step', id: step.id, title: step.title, status: 'done', durationMs: Date.now() - t0, detail: out ?? undefined });
        } catch (e) {
          const message = errorText(e);
          emit({ type: 'step', id: step.id, title: step.title, status: 'failed', durationMs: Date.now() - t0, error: message });
          for (const rest of steps.slice(i + 1)) emit({ type: 'step', id: rest.id, title: rest.title, status: 'skipped' });
          if (!action.recover) throw new Error(`${step.title} failed: ${message}`);
          const failure = { stepId: step.id, stepTitle: step.title, error: message, interrupted: abort.signal.aborted };
          const undo = new AbortController();
          setMaxListeners(0, undo.signal);
          throw new Error(await action.recover(params, failure, {
            ...stepCtx(step.id, Date.now(), undo.signal),
            step: async (id, title, fn) => {
              const s0 = Date.now();
              emit({ type: 'step', id, title, status: 'running' });
              try {
                const out = await fn();
                emit({ type: 'step', id, title, status: 'done', durationMs: Date.now() - s0, detail: out ?? undefined });
                return out;
              } catch (err) {
                emit({ type: 'step', id, title, status: 'failed', durationMs: Date.now() - s0, error: errorText(err) });
                throw err;
              }
            },
          }));
        }
      }
      const durationMs = Date.now() - started;
      audit('ok', undefined, durationMs);
      return { result: 'ok', durationMs, detail };
    } catch (e) {
      const durationMs = Date.now() - started;
      const message = errorText(e);
      audit('failed', message, durationMs);
      return { result: 'failed', error: message, durationMs };
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
      if (locked) releaseLock(this.deps.db!, lockKey, process.pid, this.host);
    }
  }
}

/** Adds bytes/second and an ETA where the step reports bytes. */
function withRate(p: Progress, t0: number): Progress & { rate?: number; etaMs?: number } {
  const elapsed = Date.now() - t0;
  const rate = p.bytes !== undefined && elapsed > 0 ? (p.bytes * 1000) / elapsed : undefined;
  const etaMs = rate && p.totalBytes !== undefined && p.bytes !== undefined ? ((p.totalBytes - p.bytes) / rate) * 1000 : undefined;
  return { ...p, rate, etaMs };
}

export function errorText(e: unknown): string {
  const err = e as { message?: string; json?: { message?: string }; reason?: string };
  const msg = err?.json?.message ?? err?.message ?? String(e);
  return msg.split('\n')[0]!.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '');
}
