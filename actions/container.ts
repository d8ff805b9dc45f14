import type { ContainerInfo } from '../src/docker/containers.js';
import type { DockerReader } from '../src/docker/client.js';
import { formatDuration } from '../src/format.js';
import { PreflightError, type ActionContext, type ActionDef, type Confirmation } from './types.js';

/** Restart, stop and start of one container: the first runbook actions. */
export interface ContainerParams {
  /** As resolved by resolveContainer: the current truth from inspect. */
  container: ContainerInfo;
  /** Seconds Docker waits after SIGTERM before SIGKILL. */
  timeoutSec?: number;
}

export class UnknownContainerError extends Error {
  constructor(name: string, candidates: string[]) {
    super(candidates.length ? `no container named "${name}"; did you mean ${candidates.slice(0, 5).map((c) => `"${c}"`).join(', ')}?` : `no container named "${name}"`);
    this.name = 'UnknownContainerError';
  }
}

/** Finds a container by exact name, then by id prefix (≥ 4 chars); never guesses between several. */
export async function resolveContainer(docker: DockerReader, nameOrId: string): Promise<ContainerInfo> {
  const list = await docker.listContainers();
  const exact = list.find((c) => c.name === nameOrId.replace(/^\//, ''));
  const byId = nameOrId.length >= 4 ? list.filter((c) => c.id.startsWith(nameOrId)) : [];
  const hit = exact ?? (byId.length === 1 ? byId[0] : undefined);
  if (!hit) {
    const needle = nameOrId.toLowerCase();
    throw new UnknownContainerError(nameOrId, list.filter((c) => c.name.toLowerCase().includes(needle)).map((c) => c.name));
  }
  return docker.inspect(hit.id);
}

function describe(c: ContainerInfo, now = Date.now()): string {
  const where = c.project ? `project ${c.project}, service ${c.service ?? '?'}` : 'not in a compose project';
  let state: string;
  if (c.state === 'running') state = `running for ${c.startedAt ? formatDuration(now - Date.parse(c.startedAt)) : '?'}${c.health !== 'none' ? `, ${c.health}` : ''}`;
  else if (c.state === 'exited') state = `exited with code ${c.exitCode ?? '?'}${c.finishedAt ? ` ${formatDuration(now - Date.parse(c.finishedAt))} ago` : ''}`;
  else state = c.state;
  return `${c.name} (${where}) — currently ${state}, ${c.restartCount ?? 0} restarts`;
}

async function fresh(ctx: ActionContext, c: ContainerInfo): Promise<ContainerInfo> {
  try {
    return await ctx.docker.inspect(c.id);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) throw new PreflightError(`container ${c.name} no longer exists`);
    throw e;
  }
}

/** Waits until the container runs (and, if it has a healthcheck, is not 'starting'), or times out. */
async function waitRunning(ctx: ActionContext & { signal: AbortSignal }, id: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await ctx.docker.inspect(id);
    if (c.state === 'running' && c.health !== 'starting') return c.health === 'none' ? 'running' : `running, ${c.health}`;
    if (c.state === 'exited' || c.state === 'dead') throw new Error(`it exited with code ${c.exitCode ?? '?'} right after starting`);
    if (Date.now() > deadline) return `still ${c.state}${c.health !== 'none' ? ` (${c.health})` : ''} after ${timeoutMs / 1000}s`;
    if (ctx.signal.aborted) throw new Error('interrupted');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether stop applies (else start does): the one rule for the action and the cockpit's `s` key. */
export function isStoppable(state: ContainerInfo['state']): boolean {
  return state === 'running' || state === 'restarting' || state === 'paused';
}

const target = (p: ContainerParams) => `container/${p.container.name}`;
const auditParams = (p: ContainerParams) => ({ id: p.container.id.slice(0, 12), image: p.container.image, timeoutSec: p.timeoutSec ?? 10 });

export const restartContainer: ActionDef<ContainerParams> = {
  id: 'container.restart',
  title: 'Restart container',
  done: 'restarted',
  mutates: true,
  destructive: false,
  target,
  auditParams,
  async preflight(p, ctx) { p.container = await fresh(ctx, p.container); },
  async confirmation(p): Promise<Confirmation> {
    return {
      title: `Restart ${p.container.name}?`,
      verb: 'restart',
      lines: [
        describe(p.container),
        `Docker sends SIGTERM, waits up to ${p.timeoutSec ?? 10}s, then SIGKILL, and starts it again.`,
        'Connections to it are dropped while it restarts.',
      ],
    };
  },
  steps: () => [
    { id: 'restart', title: 'Restart', run: async (p, ctx) => { await ctx.control.restart(p.container.id, p.timeoutSec ?? 10); } },
    { id: 'verify', title: 'Wait until it runs', run: (p, ctx) => waitRunning(ctx, p.container.id) },
  ],
};

export const stopContainer: ActionDef<ContainerParams> = {
  id: 'container.stop',
  title: 'Stop container',
  done: 'stopped',
  mutates: true,
  destructive: true,
  target,
  auditParams,
  async preflight(p, ctx) {
    p.container = await fresh(ctx, p.container);
    if (!isStoppable(p.container.state)) {
      throw new PreflightError(`${p.container.name} is not running (${p.container.state}); nothing to stop`);
    }
  },
  async confirmation(p): Promise<Confirmation> {
    return {
      title: `Stop ${p.container.name}?`,
      verb: 'stop',
      typeToConfirm: p.container.name,
      lines: [
        describe(p.container),
        `Docker sends SIGTERM, waits up to ${p.timeoutSec ?? 10}s, then SIGKILL. It stays stopped until started again.`,
        'Its restart policy will not bring it back (an explicit stop).',
      ],
    };
  },
  steps: () => [
    { id: 'stop', title: 'Stop', run: async (p, ctx) => { await ctx.control.stop(p.container.id, p.timeoutSec ?? 10); } },
    {
      id: 'verify', title: 'Check it stopped', run: async (p, ctx) => {
        const c = await ctx.docker.inspect(p.container.id);
        if (c.state === 'running') throw new Error('it is still running');
        return `stopped (exit code ${c.exitCode ?? '?'})`;
      },
    },
  ],
};

export const startContainer: ActionDef<ContainerParams> = {
  id: 'container.start',
  title: 'Start container',
  done: 'started',
  mutates: true,
  destructive: false,
  target,
  auditParams,
  async preflight(p, ctx) {
    p.container = await fresh(ctx, p.container);
    if (p.container.state === 'running') throw new PreflightError(`${p.container.name} is already running`);
  },
  async confirmation(p): Promise<Confirmation> {
    return { title: `Start ${p.container.name}?`, verb: 'start', lines: [describe(p.container), 'Docker starts it with its existing configuration.'] };
  },
  steps: () => [
    { id: 'start', title: 'Start', run: async (p, ctx) => { await ctx.control.start(p.container.id); } },
    { id: 'verify', title: 'Wait until it runs', run: (p, ctx) => waitRunning(ctx, p.container.id) },
  ],
};

export const containerActions = { restart: restartContainer, stop: stopContainer, start: startContainer } as const;
