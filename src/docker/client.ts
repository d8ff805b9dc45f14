import Docker from 'dockerode';
import type { DockerEndpoint } from './endpoint.js';
import { fromInspect, fromListEntry, type ContainerInfo } from './containers.js';
import type { RawStats } from './stats.js';

/** Thrown by every mutating method of a read-only client: read-only is enforced here, not only in the UI. */
export class ReadOnlyError extends Error {
  constructor(what: string) {
    super(`refused: opsdeck runs read-only, so it will not ${what}`);
    this.name = 'ReadOnlyError';
  }
}

/** Read access to an engine: what the cockpit watches. Guarantees: never changes anything. */
export interface DockerReader {
  readonly endpoint: DockerEndpoint;
  ping(): Promise<void>;
  version(): Promise<{ version: string; apiVersion: string; os: string; arch: string }>;
  listContainers(): Promise<ContainerInfo[]>;
  inspect(id: string): Promise<ContainerInfo>;
  inspectRaw(id: string): Promise<Docker.ContainerInspectInfo>;
  /** One stats sample without waiting for Docker's own second sample (one-shot). */
  statsOnce(id: string, signal?: AbortSignal): Promise<RawStats>;
  /** The engine's event stream (container and image events); the caller owns it and must destroy it. */
  events(signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** The underlying dockerode handle, for read-only calls only (logs, exec inspection). */
  readonly raw: Docker;
}

/** Mutating container operations; the read-only variant throws ReadOnlyError from each. */
export interface ContainerControl {
  restart(id: string, timeoutSec?: number): Promise<void>;
  stop(id: string, timeoutSec?: number): Promise<void>;
  start(id: string): Promise<void>;
  /** Changes the restart policy in place (`docker update --restart`): a restore pauses `always`. */
  setRestartPolicy(id: string, policy: RestartPolicy): Promise<void>;
}

export interface RestartPolicy {
  /** "no", "always", "unless-stopped", "on-failure" (Docker reports "" for no). */
  name: string;
  maximumRetryCount?: number;
}

export function createReader(endpoint: DockerEndpoint): DockerReader {
  const docker = new Docker(endpoint.options);
  return {
    endpoint,
    raw: docker,
    async ping() { await docker.ping(); },
    async version() {
      const v = await docker.version();
      return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
    },
    async listContainers() {
      const list = await docker.listContainers({ all: true });
      return list.map(fromListEntry);
    },
    async inspect(id) { return fromInspect(await docker.getContainer(id).inspect()); },
    async inspectRaw(id) { return docker.getContainer(id).inspect(); },
    async statsOnce(id, signal) {
      const opts = { stream: false, 'one-shot': true, abortSignal: signal } as unknown as { stream: false };
      return (await docker.getContainer(id).stats(opts)) as unknown as RawStats;
    },
    async events(signal) {
      const opts = { filters: { type: ['container', 'image'] }, abortSignal: signal } as unknown as Record<string, unknown>;
      return (await docker.getEvents(opts)) as NodeJS.ReadableStream;
    },
  };
}

export function createControl(reader: DockerReader, opts: { readOnly: boolean }): ContainerControl {
  if (opts.readOnly) {
    return {
      restart: async (id) => { throw new ReadOnlyError(`restart container ${id.slice(0, 12)}`); },
      stop: async (id) => { throw new ReadOnlyError(`stop container ${id.slice(0, 12)}`); },
      start: async (id) => { throw new ReadOnlyError(`start container ${id.slice(0, 12)}`); },
      setRestartPolicy: async (id) => { throw new ReadOnlyError(`change the restart policy of container ${id.slice(0, 12)}`); },
    };
  }
  const docker = reader.raw;
  return {
    async restart(id, timeoutSec = 10) { await docker.getContainer(id).restart({ t: timeoutSec }); },
    async stop(id, timeoutSec = 10) { await docker.getContainer(id).stop({ t: timeoutSec }); },
    async start(id) { await docker.getContainer(id).start(); },
    async setRestartPolicy(id, policy) {
      const name = policy.name === '' ? 'no' : policy.name;
      await docker.getContainer(id).update({ RestartPolicy: { Name: name, ...(name === 'on-failure' ? { MaximumRetryCount: policy.maximumRetryCount ?? 0 } : {}) } });
    },
  };
}
