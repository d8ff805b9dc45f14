/**
 * Running a program for a check, without a shell: inside a container (`docker exec`, what the
 * postgres, redis, sqlite and command kinds use) or on this host (`runProcess`). Both collect stdout
 * and stderr up to OUTPUT_CAP bytes each and report the exit code; neither throws for a non-zero exit.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { formatDuration } from '../../../config/schema.js';
import type Dockerode from 'dockerode';
import type { DockerReader } from '../../docker/client.js';
import { abortError } from './util.js';

/** Output kept per stream; the rest is read and dropped. */
export const OUTPUT_CAP = 1024 * 1024;

export interface ExecResult {
  /** Null when the process did not finish normally (killed by a signal, exec state unknown). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** True when either stream went past OUTPUT_CAP. */
  truncated: boolean;
}

export interface ExecOptions {
  signal: AbortSignal;
  /** Gives up (throws "timed out after …") after this long; the abort signal also ends it. */
  timeoutMs: number;
  user?: string;
  /** Extra environment, `KEY=value`-style as an object. */
  env?: Record<string, string>;
}

/** Thrown when a process or exec outlives its own timeout. */
export class ExecTimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${formatDuration(ms)}`);
    this.name = 'ExecTimeoutError';
  }
}

/** Collects at most OUTPUT_CAP bytes. */
class Capped {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  push(chunk: Buffer): void {
    if (this.size >= OUTPUT_CAP) {
      this.truncated = true;
      return;
    }
    const room = OUTPUT_CAP - this.size;
    if (chunk.length > room) {
      this.truncated = true;
      chunk = chunk.subarray(0, room);
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  sink(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.push(chunk);
        cb();
      },
    });
  }
}

/** True when an exec failed because the program does not exist in the container. */
export function execNotFound(r: ExecResult): boolean {
  return (r.exitCode === 126 || r.exitCode === 127) && /not found|no such file/i.test(`${r.stdout}\n${r.stderr}`);
}

/**
 * Creates and starts (hijacked, no stdin, no TTY) an exec of argv in `container`; the caller reads
 * the multiplexed stream, destroys it, and inspects `ex` for the exit code. Docker errors are thrown
 * as they come; an abort before the start throws the abort error.
 */
export async function startExec(
  reader: DockerReader,
  container: string,
  argv: string[],
  opts: { signal: AbortSignal; user?: string; env?: Record<string, string> },
): Promise<{ ex: Dockerode.Exec; stream: NodeJS.ReadableStream & { destroy(): void } }> {
  const { signal } = opts;
  const c = reader.raw.getContainer(container);
  const ex = await c.exec({
    Cmd: argv,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    ...(opts.user ? { User: opts.user } : {}),
    ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
  });
  if (signal.aborted) throw abortError(signal);
  const stream = (await ex.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
  return { ex, stream };
}

/**
 * `docker exec` of argv (no shell) in `container`; waits for the end of its output, then reads the
 * exit code. Errors from Docker (404 no such container, 409 not running) are thrown as they come.
 * On timeout or abort the stream is closed; the process itself may run on in the container (the
 * Engine API cannot kill an exec), which is why checks run short, read-only commands only.
 */
export async function exec(reader: DockerReader, container: string, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const { signal } = opts;
  if (signal.aborted) throw abortError(signal);
  const { ex, stream } = await startExec(reader, container, argv, opts);
  const out = new Capped();
  const err = new Capped();
  reader.raw.modem.demuxStream(stream, out.sink(), err.sink());

  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // Docker ends its side of the hijacked connection; ours must be closed too or the socket lingers.
      stream.destroy();
      if (e) reject(e);
      else resolve();
    };
    const onAbort = () => finish(abortError(signal));
    const timer = setTimeout(() => finish(new ExecTimeoutError(opts.timeoutMs)), opts.timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (e: Error) => finish(e));
  });

  // The exec's state can lag the end of its stream by a moment.
  let exitCode: number | null = null;
  for (let i = 0; i < 20; i++) {
    const info = await ex.inspect();
    if (!info.Running) {
      exitCode = typeof info.ExitCode === 'number' ? info.ExitCode : null;
      break;
    }
    if (signal.aborted) throw abortError(signal);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { exitCode, stdout: out.text(), stderr: err.text(), truncated: out.truncated || err.truncated };
}

/** Thrown by runProcess when the program is missing (ENOENT). */
export class NotInstalledError extends Error {
  constructor(readonly program: string) {
    super(`${program} is not installed on this host`);
    this.name = 'NotInstalledError';
  }
}

/**
 * Runs `file` with `args` on this host (no shell), in a process group of its own. On timeout or abort
 * the whole group gets SIGTERM, then SIGKILL a second later, so a script's children go too; a timeout
 * throws ExecTimeoutError.
 */
export function runProcess(file: string, args: string[], opts: ExecOptions & { cwd?: string }): Promise<ExecResult> {
  const { signal } = opts;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      cwd: opts.cwd,
      shell: false,
      detached: true,
    });
    const out = new Capped();
    const err = new Capped();
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let failure: Error | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    const kill = (why: Error) => {
      if (failure || settled) return;
      failure = why;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), 1000);
      killTimer.unref();
    };
    const timer = setTimeout(() => kill(new ExecTimeoutError(opts.timeoutMs)), opts.timeoutMs);
    const onAbort = () => kill(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer); // killTimer stays: a grandchild that ignored SIGTERM still gets SIGKILL
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    child.on('error', (e: NodeJS.ErrnoException) => settle(() => reject(e.code === 'ENOENT' ? new NotInstalledError(file) : e)));
    const finish = (code: number | null) =>
      settle(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        if (failure) reject(failure);
        else resolve({ exitCode: code, stdout: out.text(), stderr: err.text(), truncated: out.truncated || err.truncated });
      });
    child.on('close', (code) => finish(code));
    // A child that leaves a grandchild holding its stdout open: the exit counts, output up to then.
    child.on('exit', (code) => setTimeout(() => finish(code), 200).unref());
  });
}
