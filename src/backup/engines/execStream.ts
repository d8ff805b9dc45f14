/**
 * `docker exec` whose stdout is a stream of any size: the multiplexed exec stream is demultiplexed
 * here (not by modem.demuxStream, which ignores backpressure) and stdout goes into a Writable at the
 * pace it accepts; stderr is kept (capped); the exit code is read at the end. The sink is never
 * ended (the caller owns it).
 *
 * The Engine API cannot kill an exec, and a detached exec runs on (a pg_dump would keep the server
 * busy). So the program runs under `sh -c 'echo <marker> $$ >&2; exec "$@"'`: the marker gives its
 * pid inside the container, and on abort or a failing sink it gets `kill -TERM`.
 */
import { Writable } from 'node:stream';
import type { DockerReader } from '../../docker/client.js';
import { startExec } from '../../checks/kinds/exec.js';
import { abortError } from '../../checks/kinds/util.js';

/** stderr kept; the rest is counted and dropped. */
export const STDERR_CAP = 64 * 1024;
const PID_MARKER = 'opsdeck-exec-pid';

export interface ExecStreamOptions {
  signal: AbortSignal;
  /** Gives up after this long (no limit when absent: a dump takes as long as it takes). */
  timeoutMs?: number;
  env?: Record<string, string>;
  user?: string;
  /** Called with the stdout byte count so far, as it grows. */
  onData?: (bytes: number) => void;
  /** Wrap in `sh` to learn the pid and kill it on abort (default true; needs a shell in the image). */
  killable?: boolean;
}

export interface ExecStreamResult {
  /** Null when the exec's state could not be read (it did not finish normally). */
  exitCode: number | null;
  stderr: string;
  stderrTruncated: boolean;
  /** stdout bytes delivered to the sink. */
  bytes: number;
}

/** Parses Docker's stream framing (8-byte header: type, 0, 0, 0, big-endian length). */
class Demux extends Writable {
  private header = Buffer.alloc(0);
  private type = 0;
  private remaining = 0;
  private stderrChunks: Buffer[] = [];
  private stderrSize = 0;
  stderrTruncated = false;
  bytes = 0;

  constructor(
    private readonly out: Writable | null,
    private readonly onData: ((n: number) => void) | undefined,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.consume(chunk).then(() => cb(), (e: Error) => cb(e));
  }

  private async consume(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining === 0) {
        const need = 8 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(off, off + need)]);
        off += Math.min(need, chunk.length - off);
        if (this.header.length < 8) return;
        this.type = this.header[0]!;
        this.remaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - off);
      const part = chunk.subarray(off, off + n);
      off += n;
      this.remaining -= n;
      if (this.type === 1) await this.toStdout(part);
      else if (this.type === 2) this.toStderr(part);
    }
  }

  private toStderr(part: Buffer): void {
    const room = STDERR_CAP - this.stderrSize;
    if (room <= 0) {
      this.stderrTruncated = true;
      return;
    }
    const kept = part.length > room ? part.subarray(0, room) : part;
    if (kept.length < part.length) this.stderrTruncated = true;
    this.stderrChunks.push(Buffer.from(kept));
    this.stderrSize += kept.length;
  }

  private async toStdout(part: Buffer): Promise<void> {
    if (!this.out) return;
    this.bytes += part.length;
    this.onData?.(this.bytes);
    // A copy: the socket may reuse its buffer once this write's callback ran.
    if (!this.out.write(Buffer.from(part))) await drained(this.out);
  }
}

/** Resolves when `w` drains; rejects when it errors or closes first. */
export function drained(w: Writable): Promise<void> {
  if (w.destroyed) return Promise.reject(new Error('the output stream was closed'));
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      w.off('drain', onDrain);
      w.off('error', onError);
      w.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (e: Error) => done(e);
    const onClose = () => done(new Error('the output stream was closed'));
    w.on('drain', onDrain);
    w.on('error', onError);
    w.on('close', onClose);
  });
}

/**
 * Runs argv in `container` with stdout streamed into `stdout` (null: dropped). Rejects on abort,
 * timeout, a failing sink or a Docker error (404 no such container, 409 not running); a non-zero
 * exit is not an error here — the caller reads `exitCode` and `stderr`.
 */
export async function execStream(
  reader: DockerReader,
  container: string,
  argv: string[],
  sink: NodeJS.WritableStream | null,
  opts: ExecStreamOptions,
): Promise<ExecStreamResult> {
  const stdout = sink as Writable | null;
  const { signal } = opts;
  if (signal.aborted) throw abortError(signal);
  const killable = opts.killable ?? true;
  const cmd = killable ? ['sh', '-c', `echo "${PID_MARKER} $$" >&2; exec "$@"`, 'sh', ...argv] : argv;
  const { ex, stream } = await startExec(reader, container, cmd, opts);
  const demux = new Demux(stdout, opts.onData);

  const pidOf = (): string | undefined => new RegExp(`^${PID_MARKER} (\\d+)$`, 'm').exec(demux.stderr())?.[1];
  let failed = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        stdout?.off('error', onSinkError);
        stdout?.off('close', onSinkClose);
        if (e) reject(e);
        else resolve();
      };
      const onAbort = () => finish(abortError(signal));
      const onSinkError = (e: Error) => finish(e);
      const onSinkClose = () => finish(new Error('the output stream was closed before the program finished'));
      const timer = opts.timeoutMs !== undefined ? setTimeout(() => finish(new Error(`timed out after ${Math.round(opts.timeoutMs! / 1000)} s`)), opts.timeoutMs) : undefined;
      signal.addEventListener('abort', onAbort, { once: true });
      stdout?.on('error', onSinkError);
      stdout?.on('close', onSinkClose);
      demux.on('finish', () => finish());
      demux.on('error', (e: Error) => finish(e));
      stream.on('error', (e: Error) => finish(e));
      // Docker closes its side at the end; a close without an end still ends the demux (all data came).
      stream.on('close', () => {
        if (!demux.writableEnded) demux.end();
      });
      (stream as unknown as NodeJS.ReadableStream).pipe(demux);
    });
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // Docker ends its side of the hijacked connection; ours must be closed too or Node stays alive.
    stream.destroy();
    if (failed) {
      demux.destroy();
      const pid = pidOf();
      if (pid) await killInContainer(reader, container, pid);
    }
  }

  // The exec's state can lag the end of its stream by a moment.
  let exitCode: number | null = null;
  for (let i = 0; i < 40; i++) {
    const info = await ex.inspect();
    if (!info.Running) {
      exitCode = typeof info.ExitCode === 'number' ? info.ExitCode : null;
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  let stderr = demux.stderr();
  if (killable) stderr = stderr.replace(new RegExp(`^${PID_MARKER} \\d+\\n`, 'm'), '');
  return { exitCode, stderr, stderrTruncated: demux.stderrTruncated, bytes: demux.bytes };
}

/** Best effort: SIGTERM to a pid inside the container (a short exec of its own). */
async function killInContainer(reader: DockerReader, container: string, pid: string): Promise<void> {
  try {
    const ex = await reader.raw.getContainer(container).exec({ Cmd: ['kill', '-TERM', pid], AttachStdout: true, AttachStderr: true });
    const s = (await ex.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      const end = () => {
        clearTimeout(t);
        resolve();
      };
      s.on('end', end);
      s.on('close', end);
      s.on('error', end);
      s.resume();
    });
    s.destroy();
  } catch {
    // the container may be gone; nothing more to do
  }
}
