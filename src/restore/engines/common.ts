/**
 * What the restore engines share on top of the backup engines' helpers (src/backup/engines/common.ts):
 * a file copied into a container with a chosen owner and mode (and progress), the owner of a path in
 * a container, waiting with abort, stopping/starting a container, and the throwaway drill container
 * (label `opsdeck.drill=1`, name `opsdeck-drill-<kind>-<random>`, never pulled, always removed).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { Parser, type ReadEntry } from 'tar';
import type { DockerReader } from '../../docker/client.js';
import { abortError, dockerStatus, errorMessage, oneLine } from '../../checks/kinds/util.js';
import { containerError, singleFileTar, sleep, type Owner } from '../../backup/engines/common.js';

export { sleep, type Owner };
import type { BackupTargetKind, EngineContext } from '../../backup/types.js';
import { safeText } from '../../sanitize.js';
import type { DrillResult, Probe } from '../types.js';

/** Label every drill container carries (a crashed drill's container can be found and removed). */
export const DRILL_LABEL = 'opsdeck.drill';

/** `opsdeck-drill-postgres-3f9a1c2b`. */
export function drillName(kind: BackupTargetKind): string {
  return `opsdeck-drill-${kind}-${randomBytes(4).toString('hex')}`;
}

/** "1,204" */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "3 tables, 10,482 rows" from per-table counts. */
export function tablesLine(counts: Record<string, number>): string {
  const tables = Object.keys(counts).length;
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  return `${formatCount(tables)} table${tables === 1 ? '' : 's'}, ${formatCount(rows)} row${rows === 1 ? '' : 's'}`;
}


/**
 * Polls `fn` until it returns a value other than undefined; a thrown error ends the wait (fn decides
 * what is fatal). After `timeoutMs` throws "<what> did not happen within N s[: last]".
 */
export async function pollUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  o: { signal: AbortSignal; timeoutMs: number; everyMs?: number; last?: () => string },
): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const last = o.last?.();
      throw new Error(`${what} within ${Math.round(o.timeoutMs / 1000)} s${last ? ` (${last})` : ''}`);
    }
    await sleep(o.everyMs ?? 250, o.signal);
  }
}

/** Inspects a container; null when it does not exist. */
export async function inspectOrNull(reader: DockerReader, container: string): Promise<Dockerode.ContainerInspectInfo | null> {
  try {
    return await reader.raw.getContainer(container).inspect();
  } catch (e) {
    if (dockerStatus(e) === 404) return null;
    throw containerError(e, container);
  }
}

/** True when the image is on this host (opsdeck never pulls one). */
export async function imageIsLocal(reader: DockerReader, image: string): Promise<boolean> {
  try {
    await reader.raw.getImage(image).inspect();
    return true;
  } catch (e) {
    if (dockerStatus(e) === 404) return false;
    throw e;
  }
}


/**
 * uid, gid and mode of a path in a container (from the first tar header of GET /archive; the
 * stream is abandoned after 512 bytes); null when the path does not exist.
 */
export async function ownerInContainer(reader: DockerReader, container: string, path: string, signal: AbortSignal): Promise<Owner | null> {
  let archive: Readable;
  try {
    archive = (await reader.raw.getContainer(container).getArchive({ path, abortSignal: signal } as { path: string })) as unknown as Readable;
  } catch (e) {
    if (dockerStatus(e) === 404 && !/no such container/i.test(errorMessage(e))) return null;
    throw containerError(e, container);
  }
  try {
    const parser = new Parser({ strict: false });
    return await new Promise<Owner | null>((resolve, reject) => {
      parser.on('entry', (entry: ReadEntry) => {
        resolve({ uid: entry.uid ?? 0, gid: entry.gid ?? 0, mode: (entry.mode ?? 0o644) & 0o7777 });
        entry.resume();
      });
      parser.on('end', () => resolve(null));
      parser.on('error', (e: Error) => reject(e));
      archive.on('error', (e: Error) => reject(e));
      archive.pipe(parser as unknown as Writable);
    });
  } finally {
    archive.destroy();
  }
}


/**
 * Copies a host file into `dir` of the container as `name` with the given owner and mode (PUT
 * /archive; works on stopped containers too). Streams; progress counts the file's bytes.
 */
export async function putFile(
  reader: DockerReader,
  container: string,
  local: string,
  dir: string,
  name: string,
  owner: Owner,
  ctx: Pick<EngineContext, 'signal' | 'onProgress'>,
): Promise<string> {
  const { size } = await fsp.stat(local);
  const body = singleFileTar(local, name, size, owner, ctx.onProgress);
  try {
    await reader.raw.getContainer(container).putArchive(body, { path: dir, abortSignal: ctx.signal } as { path: string });
  } catch (e) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    throw containerError(e, container);
  } finally {
    body.destroy();
  }
  return `${dir.replace(/\/$/, '')}/${name}`;
}

/** Stops a container (SIGTERM, then SIGKILL after `timeoutSec`); one already stopped is fine. */
export async function stopContainer(reader: DockerReader, container: string, timeoutSec = 30): Promise<void> {
  try {
    await reader.raw.getContainer(container).stop({ t: timeoutSec });
  } catch (e) {
    if (dockerStatus(e) === 304) return;
    throw new Error(`cannot stop container ${safeText(container)}: ${errorMessage(e)}`, { cause: e });
  }
}

/** Starts a container; one already running is fine. */
export async function startContainer(reader: DockerReader, container: string): Promise<void> {
  try {
    await reader.raw.getContainer(container).start();
  } catch (e) {
    if (dockerStatus(e) === 304) return;
    throw new Error(`cannot start container ${safeText(container)}: ${errorMessage(e)}`, { cause: e });
  }
}

/** The last lines of a container's log, one line (for "the drill container exited: …"). */
export async function logTail(reader: DockerReader, container: string, lines = 40): Promise<string> {
  try {
    const buf = (await reader.raw.getContainer(container).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    // Multiplexed frames: drop the 8-byte headers.
    const parts: string[] = [];
    let off = 0;
    while (off + 8 <= buf.length) {
      const len = buf.readUInt32BE(off + 4);
      parts.push(buf.subarray(off + 8, off + 8 + len).toString('utf8'));
      off += 8 + len;
    }
    const text = off === 0 ? buf.toString('utf8') : parts.join('');
    const useful = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const telling = useful.filter((l) => /error|fatal|fail|bad|corrupt|short read|invalid|unexpected/i.test(l));
    return oneLine((telling.length ? telling : useful).slice(-2).join(' | '), 300);
  } catch {
    return '';
  }
}

export interface DrillContainerSpec {
  kind: BackupTargetKind;
  image: string;
  cmd: string[];
  entrypoint?: string[];
  env?: string[];
  user?: string;
  /** Runs on the created container before it starts (put files in through the archive API). */
  prepare?: (id: string) => Promise<void>;
}

/**
 * Creates and starts a throwaway container (no network, label opsdeck.drill=1, never pulled), hands
 * it to `fn`, and removes it with its anonymous volumes on every path — success, failure, abort.
 */
export async function withDrillContainer<T>(
  reader: DockerReader,
  spec: DrillContainerSpec,
  signal: AbortSignal,
  fn: (container: { id: string; name: string }) => Promise<T>,
): Promise<T> {
  if (signal.aborted) throw abortError(signal);
  if (!(await imageIsLocal(reader, spec.image))) throw new Error(`image ${safeText(spec.image)} is not on this host (opsdeck never pulls images)`);
  const name = drillName(spec.kind);
  let created: Dockerode.Container | undefined;
  try {
    created = await reader.raw.createContainer({
      name,
      Image: spec.image,
      Cmd: spec.cmd,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.env ? { Env: spec.env } : {}),
      ...(spec.user ? { User: spec.user } : {}),
      Labels: { [DRILL_LABEL]: '1', 'opsdeck.drill.kind': spec.kind },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    if (spec.prepare) await spec.prepare(created.id);
    await created.start();
    return await fn({ id: created.id, name });
  } finally {
    // v: true — the image's anonymous volumes (PGDATA …) go with it; it has no named ones.
    await reader.raw.getContainer(created?.id ?? name).remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** Image for helper and file-level drill containers: busybox when present (never pulled). */
export async function busyboxImage(reader: DockerReader, fallback?: string): Promise<string> {
  const images = await reader.raw.listImages();
  const tags = images.flatMap((i) => i.RepoTags ?? []);
  const busybox = tags.find((t) => /^(docker\.io\/)?(library\/)?busybox:/.test(t));
  if (busybox) return busybox;
  if (fallback) return fallback;
  throw new Error('no busybox image on this host for the helper container (opsdeck never pulls one)');
}

/** The image of the source container, else the one the backup recorded; throws when neither is local. */
export async function sourceImage(reader: DockerReader, container: string | undefined, recorded: unknown): Promise<string> {
  let image: string | undefined;
  if (container !== undefined) {
    const info = await inspectOrNull(reader, container);
    image = info?.Config?.Image;
  }
  if (!image && typeof recorded === 'string' && recorded) image = recorded;
  if (!image) throw new Error('cannot tell which image to drill in: the source container is gone and the backup recorded no image');
  return image;
}

/** A probe that could not read the data: not ok, with the reason; an abort is passed on. */
export function probeFailed(e: unknown, signal: AbortSignal): Probe {
  if (signal.aborted) throw e;
  return { ok: false, message: oneLine((e as Error).message, 300), counts: {} };
}

/** A drill that failed (the container, the restore or the check): not ok, with the reason; an abort is passed on. */
export function drillFailed(e: unknown, signal: AbortSignal, image: string | null, started: number): DrillResult {
  if (signal.aborted) throw abortError(signal);
  return { ok: false, message: `drill failed: ${oneLine((e as Error).message, 300)}`, image, counts: {}, durationMs: Date.now() - started };
}
