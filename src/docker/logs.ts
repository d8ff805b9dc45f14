import type { DockerReader } from './client.js';
import type Dockerode from 'dockerode';

export interface LogRequest {
  follow: boolean;
  /** Lines from the end; 'all' (default) for everything the other bounds allow. */
  tail?: number | 'all';
  /** Docker `since`/`until` values: seconds since the epoch, with a fraction (see formatSince). */
  since?: string;
  until?: string;
  signal: AbortSignal;
}

/** What a container's logs need to be read right: the stream is raw for TTY containers. */
export interface LogSubject {
  id: string;
  name: string;
  tty: boolean;
  running: boolean;
  startedAt: string | null;
  exitCode: number | null;
}

/** Reads what opening a log stream needs from inspect; null when the container is gone. */
export async function logSubject(reader: DockerReader, id: string): Promise<LogSubject | null> {
  try {
    const info = await reader.inspectRaw(id);
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      tty: Boolean(info.Config?.Tty),
      running: Boolean(info.State?.Running) && !info.State?.Restarting,
      startedAt: info.State?.StartedAt ?? null,
      exitCode: info.State?.Running && !info.State?.Restarting ? null : (info.State?.ExitCode ?? null),
    };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

/**
 * Opens `GET /containers/{id}/logs` with timestamps as a byte stream (multiplexed frames, or raw for
 * TTY containers). Always a stream, follow or not, so a large history never sits in one Buffer.
 * The caller owns the stream: aborting the signal destroys it.
 */
export function openLogStream(reader: DockerReader, id: string, req: LogRequest): Promise<NodeJS.ReadableStream> {
  return dialLogStream(reader.raw, `/containers/${encodeURIComponent(id)}/logs?`, { stdout: true, stderr: true }, req, { 404: 'no such container' });
}

/**
 * A logs endpoint (a container's, a Swarm service's) as a byte stream with timestamps; `extra` adds
 * query options (details for a service), `codes` its own error statuses. Aborting the signal destroys it.
 */
export function dialLogStream(docker: Dockerode, path: string, extra: Record<string, unknown>, req: LogRequest, codes: Record<number, string>): Promise<NodeJS.ReadableStream> {
  const options: Record<string, unknown> = { ...extra, timestamps: true, follow: req.follow, tail: String(req.tail ?? 'all') };
  if (req.since) options.since = req.since;
  if (req.until) options.until = req.until;
  const modem = (docker as unknown as { modem: { dial(opts: unknown, cb: (err: unknown, data: unknown) => void): void } }).modem;
  return new Promise((resolve, reject) => {
    modem.dial({
      path,
      method: 'GET',
      isStream: true,
      abortSignal: req.signal,
      statusCodes: { 200: true, 500: 'server error', ...codes },
      options,
    }, (err, data) => {
      if (err) { reject(err); return; }
      const stream = data as NodeJS.ReadableStream & { destroy(): void };
      if (req.signal.aborted) stream.destroy();
      else req.signal.addEventListener('abort', () => stream.destroy(), { once: true });
      resolve(stream);
    });
  });
}
