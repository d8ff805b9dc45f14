/**
 * What the engines share: running short commands in a container with readable failures, copying a
 * file in and out of a container through the archive API (tar), gzip into the sink with progress,
 * and listing a tar archive for verification.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Header, Parser, type ReadEntry } from 'tar';
import type Dockerode from 'dockerode';
import type { DockerReader } from '../../docker/client.js';
import { exec, execNotFound, type ExecResult } from '../../checks/kinds/exec.js';
import { abortError, dockerStatus, errorMessage, oneLine } from '../../checks/kinds/util.js';
import { safeText } from '../../sanitize.js';
import type { EngineContext, VerifyResult } from '../types.js';

/** Short commands (versions, queries, BGSAVE, rm) get this long. */
export const SHORT_TIMEOUT_MS = 60_000;

/** A random suffix for temporary names inside containers and on the host. */
export function tmpName(prefix: string, ext = ''): string {
  return `${prefix}-${randomBytes(6).toString('hex')}${ext}`;
}

/** The error for a Docker failure about `container`, in words; other errors unchanged. */
export function containerError(e: unknown, container: string): unknown {
  const code = dockerStatus(e);
  if (code === 404 && /no such container/i.test(errorMessage(e))) return new Error(`no container ${safeText(container)}`, { cause: e });
  if (code === 409 || (code === 500 && /not running/i.test(errorMessage(e)))) return new Error(`container ${safeText(container)} is not running`, { cause: e });
  return e;
}

/** Inspects `container` and insists it is running; its environment as a map. */
export async function runningContainer(reader: DockerReader, container: string): Promise<{ info: Dockerode.ContainerInspectInfo; env: Map<string, string> }> {
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await reader.inspectRaw(container);
  } catch (e) {
    throw containerError(e, container);
  }
  if (!info.State?.Running || info.State.Restarting) throw new Error(`container ${safeText(container)} is not running`);
  return { info, env: envMap(info) };
}

export function envMap(info: Dockerode.ContainerInspectInfo): Map<string, string> {
  const env = new Map<string, string>();
  for (const kv of info.Config?.Env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return env;
}

/** A container's environment as an object (for discoverTargets' envOf). */
export async function containerEnv(reader: DockerReader, container: string): Promise<Record<string, string>> {
  return Object.fromEntries(envMap(await reader.inspectRaw(container)));
}

/** The most telling line of a tool's stderr: the first "error"/"fatal" line, else the last line. */
export function stderrSummary(text: string, max = 300): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const telling = lines.find((l) => /\b(error|fatal|failed|denied|refused|does not exist|not found)\b/i.test(l));
  return oneLine(telling ?? lines[lines.length - 1] ?? '', max);
}

/** "pg_dump failed (exit 1): pg_dump: error: …" */
export function commandFailed(program: string, exitCode: number | null, stderr: string, stdout = ''): Error {
  const why = stderrSummary(stderr) || stderrSummary(stdout);
  return new Error(`${program} failed (exit ${exitCode ?? '?'})${why ? `: ${why}` : ''}`);
}

/** Runs a short command in the container; throws on a missing program, a Docker error or a timeout. */
export async function run(
  ctx: Pick<EngineContext, 'docker' | 'signal'>,
  container: string,
  argv: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; user?: string } = {},
): Promise<ExecResult> {
  let r: ExecResult;
  try {
    r = await exec(ctx.docker, container, argv, {
      signal: ctx.signal,
      timeoutMs: opts.timeoutMs ?? SHORT_TIMEOUT_MS,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.user ? { user: opts.user } : {}),
    });
  } catch (e) {
    throw containerError(e, container);
  }
  if (execNotFound(r)) throw new Error(`no ${argv[0]} in container ${safeText(container)}`);
  return r;
}

/** Like run, but a non-zero exit is an error too; returns stdout. */
export async function runOk(
  ctx: Pick<EngineContext, 'docker' | 'signal'>,
  container: string,
  argv: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; user?: string } = {},
): Promise<string> {
  const r = await run(ctx, container, argv, opts);
  if (r.exitCode !== 0) throw commandFailed(argv[0]!, r.exitCode, r.stderr, r.stdout);
  return r.stdout;
}

/** Counts bytes passing through (for onProgress). */
export function byteCounter(onBytes?: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      n += chunk.length;
      onBytes?.(n);
      cb(null, chunk);
    },
  });
}

/**
 * gzip of `source` into `sink` (not ended). Progress counts the uncompressed bytes. Resolves once
 * every compressed byte has been accepted by the sink.
 */
export async function gzipInto(source: Readable, sink: NodeJS.WritableStream, ctx: Pick<EngineContext, 'signal' | 'onProgress'>): Promise<number> {
  let n = 0;
  await pipeline(source, byteCounter((b) => { n = b; ctx.onProgress?.(b); }), createGzip({ level: 6 }), sink, { signal: ctx.signal, end: false });
  return n;
}

/**
 * Gives `produce` a Writable that gzips into `sink` (not ended) and waits until all of it reached the
 * sink; on a failure the gzip side is torn down and the error rethrown.
 */
export async function gzipThrough<T>(sink: NodeJS.WritableStream, ctx: Pick<EngineContext, 'signal' | 'onProgress'>, produce: (input: Writable) => Promise<T>): Promise<T> {
  const input = byteCounter(ctx.onProgress);
  const done = pipeline(input, createGzip({ level: 6 }), sink, { signal: ctx.signal, end: false });
  try {
    const result = await produce(input);
    input.end();
    await done;
    return result;
  } catch (e) {
    input.destroy();
    await done.catch(() => undefined);
    throw e;
  }
}

/** Size of a path inside a container from the archive API's stat header; null when it does not exist. */
export async function containerPathStat(reader: DockerReader, container: string, path: string, signal: AbortSignal): Promise<{ size: number; mode: number; linkTarget: string } | null> {
  try {
    const res = (await reader.raw.getContainer(container).infoArchive({ path, abortSignal: signal })) as {
      headers?: Record<string, string | undefined>;
      destroy?: () => void;
    };
    res.destroy?.();
    const header = res.headers?.['x-docker-container-path-stat'];
    if (!header) return null;
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size?: unknown; mode?: unknown; linkTarget?: unknown };
    return {
      size: typeof stat.size === 'number' ? stat.size : 0,
      mode: typeof stat.mode === 'number' ? stat.mode : 0,
      linkTarget: typeof stat.linkTarget === 'string' ? stat.linkTarget : '',
    };
  } catch (e) {
    if (dockerStatus(e) === 404 && !/no such container/i.test(errorMessage(e))) return null;
    throw containerError(e, container);
  }
}

/** GET /containers/{id}/archive: a tar stream of `path` (the caller must consume or destroy it). */
export async function getArchive(reader: DockerReader, container: string, path: string, signal: AbortSignal): Promise<Readable> {
  try {
    return (await reader.raw.getContainer(container).getArchive({ path, abortSignal: signal } as { path: string })) as unknown as Readable;
  } catch (e) {
    if (dockerStatus(e) === 404 && !/no such container/i.test(errorMessage(e))) throw new Error(`no ${safeText(path)} in container ${safeText(container)}`, { cause: e });
    throw containerError(e, container);
  }
}

/**
 * Streams the first regular file of a tar archive into `dest` (not ended), with backpressure.
 * Rejects when the archive holds no regular file. Destroys `archive` when done or failed.
 */
export async function extractSingleFile(archive: Readable, dest: NodeJS.WritableStream, signal: AbortSignal): Promise<{ name: string; size: number }> {
  if (signal.aborted) throw abortError(signal);
  const parser = new Parser({ strict: true });
  let found: { name: string; size: number } | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (e?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        dest.removeListener('error', onDestError);
        if (e) reject(e);
        else resolve();
      };
      const onAbort = () => finish(abortError(signal));
      const onDestError = (e: Error) => finish(e);
      signal.addEventListener('abort', onAbort, { once: true });
      dest.on('error', onDestError);
      parser.on('entry', (entry: ReadEntry) => {
        if (found || entry.type !== 'File') {
          entry.resume();
          return;
        }
        found = { name: entry.path, size: entry.size ?? 0 };
        entry.pipe(dest as unknown as Writable, { end: false });
      });
      parser.on('error', (e: Error) => finish(e));
      parser.on('end', () => finish());
      archive.on('error', (e: Error) => finish(e));
      archive.pipe(parser as unknown as Writable);
    });
  } finally {
    archive.destroy();
  }
  if (!found) throw new Error('the archive holds no regular file');
  return found;
}

/** Owner and mode of a file in a tar stream. */
export interface Owner {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * A tar stream holding one file, `name`, with the bytes of the host file `local` (streamed, never
 * whole in memory), owner and mode as given (root, 0644 by default); `onBytes` counts what was sent.
 */
export function singleFileTar(local: string, name: string, size: number, owner: Owner = { uid: 0, gid: 0, mode: 0o644 }, onBytes?: (n: number) => void): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    const h = new Header({ path: name, mode: owner.mode, uid: owner.uid, gid: owner.gid, size, mtime: new Date(), type: 'File' });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    yield block;
    let sent = 0;
    for await (const chunk of createReadStream(local, { highWaterMark: 256 * 1024 })) {
      const b = chunk as Buffer;
      if (sent + b.length > size) throw new Error(`${local} grew while being copied`);
      sent += b.length;
      onBytes?.(sent);
      yield b;
    }
    if (sent !== size) throw new Error(`${local} shrank while being copied`);
    const pad = (512 - (size % 512)) % 512;
    yield Buffer.alloc(pad + 1024);
  }
  return Readable.from(gen(), { objectMode: false });
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortError(signal);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Copies a host file into `dir` of the container as `name` (PUT /containers/{id}/archive). */
export async function copyFileInto(reader: DockerReader, container: string, local: string, dir: string, name: string, signal: AbortSignal): Promise<string> {
  const { size } = await fsp.stat(local);
  const body = singleFileTar(local, name, size);
  try {
    await reader.raw.getContainer(container).putArchive(body, { path: dir, abortSignal: signal } as { path: string });
  } catch (e) {
    throw containerError(e, container);
  } finally {
    body.destroy();
  }
  return `${dir.replace(/\/$/, '')}/${name}`;
}

/** Best-effort `rm -f` inside a container (cleanup must not mask the real outcome). */
export async function removeInContainer(reader: DockerReader, container: string, path: string): Promise<void> {
  try {
    await exec(reader, container, ['rm', '-f', path], { signal: new AbortController().signal, timeoutMs: 15_000 });
  } catch {
    // the container may be gone
  }
}

/** The first `n` bytes of a host file as latin1 (zero bytes past the end of a shorter file). */
export async function readMagic(file: string, n: number): Promise<string> {
  const head = Buffer.alloc(n);
  const h = await fsp.open(file, 'r');
  try {
    await h.read(head, 0, n, 0);
  } finally {
    await h.close();
  }
  return head.toString('latin1');
}

/**
 * Verification with a tool that runs in the target's container: no container → `onHost()`; a
 * container that does not run → `onHost(why)` when this host has `hostTool`, else "cannot verify";
 * otherwise the file is copied into the container's /tmp (as `opsdeck-verify-…<ext>`), handed to
 * `inContainer`, and removed again however that ends.
 */
export async function verifyInContainerOrHost(
  file: string,
  container: string | undefined,
  ctx: Pick<EngineContext, 'docker' | 'signal'>,
  o: { hostTool: string; ext: string; onHost: (why?: string) => Promise<VerifyResult>; inContainer: (inside: string, container: string) => Promise<VerifyResult> },
): Promise<VerifyResult> {
  if (container === undefined) return o.onHost();
  try {
    await runningContainer(ctx.docker, container);
  } catch (e) {
    if (await hostHas(o.hostTool)) return o.onHost((e as Error).message);
    return { ok: false, message: `cannot verify: ${(e as Error).message}` };
  }
  const inside = await copyFileInto(ctx.docker, container, file, '/tmp', tmpName('opsdeck-verify', o.ext), ctx.signal);
  try {
    return await o.inContainer(inside, container);
  } finally {
    await removeInContainer(ctx.docker, container, inside);
  }
}

/** Lists a tar (gzip or not): entry count, or throws for a damaged or truncated archive. */
export async function listTar(file: string, signal: AbortSignal, gzip = true): Promise<{ entries: number; bytes: number; names: string[] }> {
  if (signal.aborted) throw abortError(signal);
  const parser = new Parser({ strict: true });
  let entries = 0;
  let bytes = 0;
  const names: string[] = [];
  parser.on('entry', (e: ReadEntry) => {
    entries++;
    bytes += e.size ?? 0;
    if (names.length < 10_000) names.push(e.path);
    e.resume();
  });
  const source = createReadStream(file);
  // gunzip here rather than in the parser: its decompression-ratio guard would refuse a tar of zeros.
  const plain: Readable = gzip ? source.pipe(createGunzip()) : source;
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      const fail = (e: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      };
      source.on('error', fail);
      plain.on('error', fail);
      parser.on('error', fail);
      parser.on('end', () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      plain.pipe(parser as unknown as Writable);
    });
  } finally {
    source.destroy();
    plain.destroy();
  }
  return { entries, bytes, names };
}

/** Verifies a .tar.gz by listing it: ok with its entry count, not ok when empty or unreadable. */
export async function verifyTarGz(file: string, signal: AbortSignal): Promise<VerifyResult> {
    try {
      const { entries, bytes } = await listTar(file, signal);
      if (entries === 0) return { ok: false, message: 'tar: the archive is empty' };
      return { ok: true, message: `tar: ${entries} entries, ${bytes} bytes of file data` };
    } catch (e) {
      if (signal.aborted) throw e;
      return { ok: false, message: `tar listing failed: ${(e as Error).message}` };
    }
}

/** gunzips a host file into a new host file (0600). */
export async function gunzipTo(file: string, out: string, signal: AbortSignal): Promise<void> {
  await pipeline(createReadStream(file), createGunzip(), createWriteStream(out, { flags: 'wx', mode: 0o600 }), { signal });
}

/** True when `file` exists on this host's PATH (absolute paths checked as they are). */
export async function hostHas(program: string): Promise<boolean> {
  const dirs = program.includes('/') ? [''] : (process.env.PATH ?? '/usr/bin:/bin').split(':');
  for (const d of dirs) {
    try {
      await fsp.access(d ? `${d}/${program}` : program, fsConstants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/** The image a container runs, for the record. */
export function imageOf(info: Dockerode.ContainerInspectInfo): string {
  return safeText(info.Config?.Image ?? info.Image ?? '');
}

/** True when this client talks to the engine on this machine (so host paths of mounts are ours). */
export function engineIsLocal(reader: DockerReader): boolean {
  return reader.endpoint.url.startsWith('unix://');
}
