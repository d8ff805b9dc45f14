/** Small helpers shared by the check kinds: one-line messages, threshold levels, container lookups. */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatDuration } from '../../../config/schema.js';
import type { DockerReader } from '../../docker/client.js';
import { safeText } from '../../sanitize.js';
import type { CheckOutcome, CheckStatus } from '../types.js';

/** Untrusted text as one short line: escapes removed, whitespace collapsed, capped at `max` chars. */
export function oneLine(text: string, max = 160): string {
  const line = safeText(text).replace(/\uFFFD/g, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The first non-empty line of some output, sanitised. */
export function firstLine(text: string, max = 160): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return oneLine(line, max);
}

/** An error as one line without a stack: Docker's "(HTTP code 404) no such container - " prefix and Node's "fetch failed" unwrapped. */
export function errorMessage(e: unknown): string {
  if (e === null || e === undefined) return 'unknown error';
  if (typeof e !== 'object') return oneLine(String(e));
  const err = e as { message?: unknown; json?: { message?: unknown }; cause?: unknown; code?: unknown };
  let msg = typeof err.json?.message === 'string' ? err.json.message : typeof err.message === 'string' ? err.message : String(e);
  msg = msg.split('\n')[0]!.replace(/^\(HTTP code \d+\) [a-z/ ]+ - /, '');
  if (msg === 'fetch failed' && err.cause) return errorMessage(err.cause);
  const code = typeof err.code === 'string' ? err.code : undefined;
  const friendly = code ? NETWORK_ERRORS[code] : undefined;
  if (friendly) return oneLine(`${friendly} (${msg.replace(/^\w+: /, '')})`);
  return oneLine(msg || code || 'unknown error');
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
};

/** True for the errors an AbortSignal produces (fetch, child processes, dockerode). */
export function isAbortError(e: unknown): boolean {
  const err = e as { name?: string; code?: string; type?: string } | null;
  return err?.name === 'AbortError' || err?.code === 'ABORT_ERR' || err?.type === 'aborted';
}

/** "higher is worse": value ≥ crit → crit, ≥ warn → warn, else ok. An undefined crit never fires. */
export function levelAbove(value: number, warn: number | undefined, crit: number | undefined): CheckStatus {
  if (crit !== undefined && value >= crit) return 'crit';
  if (warn !== undefined && value >= warn) return 'warn';
  return 'ok';
}

/** Milliseconds between two high-resolution readings, one decimal. */
export function msSince(startNs: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - startNs) / 1e5) / 10;
}

/** A window as people say it: 24h, 90m, 30s (formatDuration of the config otherwise). */
export function formatWindow(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return formatDuration(ms);
}

export function outcome(status: CheckStatus, message: string, latencyMs: number | null = null, details?: CheckOutcome['details']): CheckOutcome {
  return details ? { status, message, latencyMs, details } : { status, message, latencyMs };
}

/** Docker's status code on an error from dockerode (404 no such container, 409 not running…). */
export function dockerStatus(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The outcome for "the container this check needs is missing or stopped", or undefined for other errors. */
export function containerProblem(e: unknown, container: string): CheckOutcome | undefined {
  const code = dockerStatus(e);
  if (code === 404) return outcome('crit', `no container ${safeText(container)}`);
  if (code === 409 || (code === 500 && /not running/i.test(errorMessage(e)))) return outcome('crit', `container ${safeText(container)} is not running`);
  return undefined;
}

/**
 * Where to connect for `host`: the host itself when it resolves (or is an IP address), else, when a
 * container of that name exists, its IP address on its first network (the cockpit runs on the Docker
 * host, which reaches bridge networks directly). Undefined when neither works.
 */
export async function resolveHost(reader: DockerReader | undefined, host: string): Promise<{ address: string; container?: string } | undefined> {
  if (isIP(host)) return { address: host };
  try {
    await lookup(host);
    return { address: host };
  } catch {
    // fall through to a container of that name
  }
  if (!reader) return undefined;
  try {
    const info = await reader.inspectRaw(host);
    const nets = Object.values(info.NetworkSettings?.Networks ?? {});
    const ip = nets.map((n) => n?.IPAddress).find((a) => typeof a === 'string' && a !== '') ?? (info.NetworkSettings as { IPAddress?: string } | undefined)?.IPAddress;
    return ip ? { address: ip, container: host } : undefined;
  } catch {
    return undefined;
  }
}

/** Rejects when the signal aborts; for awaiting things that take no signal. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}
