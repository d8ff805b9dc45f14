/** Small helpers of the diagnostics bundle: timeouts that abort, file-safe names, error lines. */
import { formatDuration } from '../../config/duration.js';
import { errorMessage } from '../checks/kinds/util.js';

/** Thrown when a collector step outlives its timeout. */
export class DiagTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${formatDuration(ms)}`);
    this.name = 'DiagTimeoutError';
  }
}

/**
 * Runs fn with a signal that aborts after `ms` or when `parent` aborts, and does not wait for a fn
 * that ignores its signal: the race settles at the deadline either way. A timeout rejects with
 * DiagTimeoutError; the parent's abort with the parent's reason.
 */
export async function withTimeout<T>(ms: number, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (parent.aborted) throw abortReason(parent);
  const inner = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onParent: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new DiagTimeoutError(ms);
      inner.abort(e);
      reject(e);
    }, ms);
    onParent = () => {
      inner.abort(abortReason(parent));
      reject(abortReason(parent));
    };
    parent.addEventListener('abort', onParent, { once: true });
  });
  stop.catch(() => undefined);
  try {
    return await Promise.race([fn(inner.signal), stop]);
  } finally {
    clearTimeout(timer);
    if (onParent) parent.removeEventListener('abort', onParent);
  }
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** The HTTP status of a Docker API error, if it has one. */
export function dockerStatus(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** True for Docker's "no such container" (the container was removed). */
export function isGone(e: unknown): boolean {
  return dockerStatus(e) === 404 || /no such container/i.test(String((e as Error | null)?.message ?? ''));
}

/** An error as one readable line. */
export function errorText(e: unknown): string {
  if (e instanceof DiagTimeoutError) return e.message;
  return errorMessage(e);
}

/** A name fit for a file or directory in the bundle: `[A-Za-z0-9._-]`, never `.`/`..`, at most 100 chars. */
export function fileSafe(name: string): string {
  const s = name.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return s === '' || /^\.+$/.test(s) ? `_${s}` : s;
}

/** The incident id: the UTC time as `20261123T144133Z`. */
export function incidentId(at: number): string {
  return new Date(at).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** `2026-11-23 14:41:33 UTC` */
export function utcStamp(at: number): string {
  return `${new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
}
