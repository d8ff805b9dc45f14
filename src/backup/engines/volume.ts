/**
 * `volume`: a tar.gz of a Docker volume's contents, taken through the archive API of a container
 * that mounts it (the contents of the mount, entries `./…`, so the layout is the volume's own no
 * matter where it is mounted). When no container mounts it, a helper container is *created* (never
 * started: the archive API works on created containers) from a local image — busybox when there is
 * one, else the image of an existing container — with the volume mounted read-only at /v, and
 * removed afterwards. Nothing is pulled. Verification: gunzip and list the tar.
 *
 * A volume in use is archived as it is at that moment: for a live database, back up the database
 * (postgres/mysql/redis/sqlite targets) rather than its volume.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { DockerReader } from '../../docker/client.js';
import { dockerStatus, errorMessage } from '../../checks/kinds/util.js';
import { safeText } from '../../sanitize.js';
import type { BackupEngine, DetailValue, TargetDef } from '../types.js';
import { engineIsLocal, getArchive, gzipInto, tmpName, verifyTarGz } from './common.js';

function volumeOf(target: TargetDef): string {
  if (target.spec.kind !== 'volume') throw new Error(`target ${target.id} is not a volume target`);
  return target.spec.volume;
}

/** Label on helper containers, so a crashed run's helper can be recognised and removed. */
export const HELPER_LABEL = 'opsdeck.helper';

async function inspectVolume(reader: DockerReader, name: string): Promise<Dockerode.VolumeInspectInfo> {
  try {
    return await reader.raw.getVolume(name).inspect();
  } catch (e) {
    if (dockerStatus(e) === 404) throw new Error(`no volume ${safeText(name)}`, { cause: e });
    throw e;
  }
}

/** A container mounting the volume (running ones first) and where; undefined when none does. */
async function mountingContainer(reader: DockerReader, volume: string): Promise<{ id: string; name: string; destination: string } | undefined> {
  const list = await reader.raw.listContainers({ all: true, filters: { volume: [volume] } });
  const sorted = [...list].sort((a, b) => Number(b.State === 'running') - Number(a.State === 'running'));
  for (const c of sorted) {
    const m = (c.Mounts ?? []).find((x) => x.Type === 'volume' && x.Name === volume);
    if (m?.Destination) return { id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), destination: m.Destination };
  }
  return undefined;
}

/** A local image to create the helper from: busybox if present, else the image of any container. */
async function helperImage(reader: DockerReader): Promise<string> {
  const images = await reader.raw.listImages();
  const busybox = images.flatMap((i) => i.RepoTags ?? []).find((t) => /^(docker\.io\/)?(library\/)?busybox:/.test(t));
  if (busybox) return busybox;
  const containers = await reader.raw.listContainers({ all: true });
  const any = containers.find((c) => c.ImageID);
  if (any) return any.ImageID;
  const first = images.find((i) => i.Id);
  if (first) return first.Id;
  throw new Error('no local image to create a helper container from (opsdeck never pulls one); start any container that mounts the volume');
}

async function withHelper<T>(reader: DockerReader, volume: string, fn: (container: string) => Promise<T>): Promise<T> {
  const image = await helperImage(reader);
  const created = await reader.raw.createContainer({
    name: tmpName('opsdeck-backup-helper'),
    Image: image,
    Cmd: ['true'],
    Labels: { [HELPER_LABEL]: 'volume-backup' },
    NetworkDisabled: true,
    HostConfig: { Binds: [`${volume}:/v:ro`], NetworkMode: 'none' },
  });
  try {
    return await fn(created.id);
  } finally {
    // v: false — the helper's removal must never take the volume with it.
    await created.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/** Sum of file sizes under a host directory; null past `limit` entries or when unreadable. */
async function du(dir: string, limit = 200_000): Promise<number | null> {
  let total = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return null;
    }
    for (const e of entries) {
      if (++seen > limit) return null;
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += (await fsp.lstat(p).catch(() => null))?.size ?? 0;
    }
  }
  return total;
}

export const volumeEngine: BackupEngine = {
  kind: 'volume',
  extension: () => '.tar.gz',

  async estimate(target, ctx) {
    const info = await inspectVolume(ctx.docker, volumeOf(target));
    if (!engineIsLocal(ctx.docker) || !info.Mountpoint) return null;
    return du(info.Mountpoint);
  },

  async run(target, sink, ctx) {
    const volume = volumeOf(target);
    const vinfo = await inspectVolume(ctx.docker, volume);
    const details: Record<string, DetailValue> = { volume: safeText(volume), driver: safeText(vinfo.Driver ?? '') };
    const archiveFrom = async (container: string, dir: string) => {
      // `<dir>/.`: the directory's contents as `./…`, whatever the mount point is called.
      const archive = await getArchive(ctx.docker, container, `${dir.replace(/\/+$/, '')}/.`, ctx.signal);
      details.sourceBytes = await gzipInto(archive, sink, ctx);
    };
    const using = await mountingContainer(ctx.docker, volume);
    try {
      if (using) {
        details.via = `container ${safeText(using.name)}`;
        details.mountpoint = safeText(using.destination);
        await archiveFrom(using.id, using.destination);
      } else {
        details.via = 'helper container (created, never started)';
        await withHelper(ctx.docker, volume, (helper) => archiveFrom(helper, '/v'));
      }
    } catch (e) {
      if (dockerStatus(e) === 404 && /no such container/i.test(errorMessage(e))) throw new Error(`the container mounting ${safeText(volume)} went away during the backup`, { cause: e });
      throw e;
    }
    return { extension: '.tar.gz', details };
  },

  verify(file, _target, ctx) {
    return verifyTarGz(file, ctx.signal);
  },
};
