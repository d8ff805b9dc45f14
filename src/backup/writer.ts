/**
 * Turns a stream into a proven file: `<dir>/<id><ext>.partial` (0600) is written while a sha256 and
 * a byte count are computed on the way, fsynced, renamed atomically to `<dir>/<id><ext>` and the
 * directory fsynced — so a backup file either exists complete with a known hash, or not at all. On
 * any error or abort the partial is removed and the error rethrown (a full disk as "disk full while
 * writing <file>: …"). A crash can still leave a partial behind: the next run's removeStalePartials
 * clears those.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const PARTIAL_SUFFIX = '.partial';

/** What writeBackup hands back once the file is in place. */
export interface WrittenBackup<T> {
  /** Absolute path of the finished file. */
  file: string;
  sizeBytes: number;
  /** Hex sha256 of the file's bytes, computed while writing. */
  sha256: string;
  /** Whatever `produce` resolved with (the engine's output). */
  result: T;
}

export interface WriteBackupOptions {
  /** Aborting removes the partial and rejects with the signal's reason. */
  signal: AbortSignal;
  /** Bytes written to the file so far (after compression), as they land. */
  onWritten?: (bytes: number) => void;
  /**
   * Wraps the file's write stream. A seam for tests (a stream that fails with ENOSPC); production
   * code leaves it alone.
   */
  wrapFileStream?: (file: Writable) => Writable;
}

/**
 * Writes what `produce` writes into `sink` to `<dir>/<id><extension>`. `produce` may end the sink
 * or leave that to the writer; it gets a signal that aborts when the caller's does *or* when the
 * file side fails (disk full), so it can stop its source early.
 */
export async function writeBackup<T>(
  dir: string,
  id: string,
  extension: string,
  produce: (sink: Writable, signal: AbortSignal) => Promise<T>,
  opts: WriteBackupOptions,
): Promise<WrittenBackup<T>> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(id)) throw new Error(`unsafe backup id ${JSON.stringify(id)} (use fileSafeId)`);
  if (extension !== '' && !/^\.[A-Za-z0-9._-]+$/.test(extension)) throw new Error(`unsafe backup file extension ${JSON.stringify(extension)}`);
  if (opts.signal.aborted) throw abortReason(opts.signal);

  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${id}${extension}`);
  const partial = `${file}${PARTIAL_SUFFIX}`;
  try {
    await fsp.access(file);
    throw new Error(`backup file already exists: ${file}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }

  // O_EXCL: never write through a symlink or into someone else's file.
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(partial, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (e) {
    throw explain(e, file, opts.signal);
  }
  let handleClosed = false;
  const closeHandle = async () => {
    if (handleClosed) return;
    handleClosed = true;
    await handle.close().catch(() => undefined);
  };

  const inner = new AbortController();
  const onAbort = () => inner.abort(abortReason(opts.signal));
  opts.signal.addEventListener('abort', onAbort, { once: true });

  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      opts.onWritten?.(size);
      cb(null, chunk);
    },
  });
  let fileStream: Writable = fileWriter(handle);
  if (opts.wrapFileStream) fileStream = opts.wrapFileStream(fileStream);

  try {
    const written = pipeline(counter, fileStream, { signal: inner.signal });
    // The file side failing (ENOSPC, EIO) must also stop the producer.
    written.catch((e: unknown) => {
      if (!inner.signal.aborted) inner.abort(e);
    });
    let result: T;
    try {
      result = await produce(counter, inner.signal);
    } catch (e) {
      // A producer that failed because the file side failed: report the cause, not the echo.
      const cause = await Promise.race([written.then(() => undefined, (w: unknown) => w), delay(50)]);
      throw cause ?? e;
    }
    if (inner.signal.aborted) throw inner.signal.reason;
    if (!counter.writableEnded) counter.end();
    await written; // final() has fsynced the file
    await closeHandle();
    await fsp.rename(partial, file);
    await syncDir(dir);
    return { file, sizeBytes: size, sha256: hash.digest('hex'), result };
  } catch (e) {
    if (!inner.signal.aborted) inner.abort(e);
    counter.destroy();
    fileStream.destroy();
    await closeHandle();
    await fsp.rm(partial, { force: true }).catch(() => undefined);
    throw explain(e, file, opts.signal);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    await closeHandle();
  }
}

/** A Writable over a FileHandle that fsyncs in final() and leaves closing to the caller. */
function fileWriter(handle: fsp.FileHandle): Writable {
  const writeAll = async (buf: Buffer) => {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await handle.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  };
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      writeAll(chunk).then(() => cb(), cb);
    },
    writev(chunks: { chunk: Buffer }[], cb) {
      writeAll(Buffer.concat(chunks.map((c) => c.chunk))).then(() => cb(), cb);
    },
    final(cb) {
      handle.sync().then(() => cb(), cb);
    },
  });
}

function delay(ms: number): Promise<undefined> {
  return new Promise((r) => setTimeout(r, ms));
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** A full disk in words; the caller's abort as the caller's reason; anything else as it is. */
function explain(e: unknown, file: string, signal: AbortSignal): unknown {
  if (signal.aborted) return abortReason(signal);
  const err = e as NodeJS.ErrnoException | null;
  if (err?.code === 'ENOSPC' || err?.code === 'EDQUOT') {
    const what = err.code === 'EDQUOT' ? 'disk quota exceeded' : 'disk full';
    return Object.assign(new Error(`${what} while writing ${file}: ${err.message}`, { cause: e }), { code: err.code });
  }
  return e;
}

/** fsync of a directory, so a rename in it survives a crash. Some filesystems refuse it: ignored. */
async function syncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await h.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP') throw e;
  } finally {
    await h?.close().catch(() => undefined);
  }
}

export interface PartialFile {
  file: string;
  sizeBytes: number;
  /** Epoch ms of its last write. */
  mtimeMs: number;
}

/** The `.partial` files left in `dir` (none when the directory does not exist). */
export async function findPartials(dir: string): Promise<PartialFile[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const found: PartialFile[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(PARTIAL_SUFFIX)) continue;
    const file = join(dir, name);
    try {
      const st = await fsp.lstat(file);
      if (st.isFile()) found.push({ file, sizeBytes: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Removes the partials a crashed or killed run left behind. `isLocked(file)` says a partial belongs
 * to a backup that is still running (kept). Returns what was removed.
 */
export async function removeStalePartials(dir: string, isLocked?: (file: string) => boolean | Promise<boolean>): Promise<PartialFile[]> {
  const removed: PartialFile[] = [];
  for (const p of await findPartials(dir)) {
    if (isLocked && (await isLocked(p.file))) continue;
    try {
      await fsp.unlink(p.file);
      removed.push(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return removed;
}

/**
 * Bytes available to this (unprivileged) user on the filesystem holding `dir`; a directory that does
 * not exist yet is measured at its nearest existing parent.
 */
export async function freeBytes(dir: string): Promise<number> {
  let at = dir;
  for (;;) {
    try {
      const st = await fsp.statfs(at);
      return Number(st.bavail) * Number(st.bsize);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = dirname(at);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== at) {
        at = parent;
        continue;
      }
      throw e;
    }
  }
}
