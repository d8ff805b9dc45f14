import type { ContainerInfo } from '../../src/docker/containers.js';
import type { ContainerRow } from '../../src/model/dockerModel.js';

/** A plain running container for pure-logic tests; override what the test is about. */
export function containerInfo(over: Partial<ContainerInfo> = {}): ContainerInfo {
  const name = over.name ?? 'c';
  return {
    id: `id-${name}`,
    name,
    project: null,
    service: null,
    image: 'img:latest',
    state: 'running',
    status: 'Up',
    health: 'none',
    restartCount: 0,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    oomKilled: false,
    memLimit: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    inspected: true,
    ...over,
  };
}

/** The same with empty live stats, as the model holds it. */
export function containerRow(over: Partial<ContainerRow> = {}): ContainerRow {
  return { cpuPercent: null, memBytes: null, memPercent: null, rxRate: null, txRate: null, cpuHistory: [], ...containerInfo(over), ...over };
}
