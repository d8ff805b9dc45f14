/**
 * `opsdeck services`, `scale`, `service-update --force`, `rollback`: the Swarm commands. The changes
 * go through the same runner and actions as the cockpit's keys (confirmation on a terminal, --yes
 * for scripts, lock, audit), exactly as `opsdeck restart` does for a container.
 */
import { findService, forceUpdateAction, rollbackAction, scaleAction, UnknownServiceError } from '../../actions/swarm.js';
import type { ActionDef } from '../../actions/types.js';
import { cliRunner, runFromCli } from '../cli/actions.js';
import { UsageError, type Context } from '../cli/context.js';
import { explainDockerError } from '../docker/endpoint.js';
import { clip, padEnd, padStart } from '../format.js';
import { safeText } from '../sanitize.js';
import type { Runner } from '../run/runner.js';
import { NOT_MANAGER, readSwarm } from './read.js';
import type { SwarmService, SwarmSnapshot } from './types.js';
import { replicasText, servicesOrder, taskLabel, taskStateText, updateText } from './format.js';

const err = (text: string) => process.stderr.write(`opsdeck: ${text}\n`);

/** The snapshot, or the exit code after saying why there is none (Docker unreachable). */
async function snapshot(ctx: Context, runner?: Runner): Promise<SwarmSnapshot | number> {
  const docker = runner ? runner.ctx.docker.raw : (await import('../docker/client.js')).createReader(ctx.endpoint).raw;
  try {
    return await readSwarm(docker);
  } catch (e) {
    const { message, hint } = explainDockerError(ctx.endpoint, e);
    err(`Docker unreachable: ${message}${hint ? ` (${hint})` : ''}`);
    return 1;
  }
}

/** Non-manager, or a manager that could not list: the reason, else null. */
function unavailable(snap: SwarmSnapshot): string | null {
  if (!snap.role.manager) return snap.error ?? NOT_MANAGER;
  return snap.error;
}

/** The services table (and with `tasks`, each service's tasks), plain text for a terminal or a pipe. */
export function formatServices(snap: SwarmSnapshot, opts: { tasks?: boolean; width?: number } = {}): string {
  const list = servicesOrder(snap);
  const width = opts.width ?? 160;
  const name = Math.min(Math.max(7, ...list.map((s) => safeText(s.name).length)), 40);
  const image = Math.min(Math.max(5, ...list.map((s) => safeText(s.image).length)), 48);
  const lines = [`${padEnd('SERVICE', name)}  ${padEnd('MODE', 10)}  ${padStart('REPLICAS', 8)}  ${padEnd('IMAGE', image)}  UPDATE`];
  for (const s of list) {
    lines.push(clip(`${padEnd(clip(safeText(s.name), name), name)}  ${padEnd(s.mode, 10)}  ${padStart(replicasText(s), 8)}  ${padEnd(clip(safeText(s.image), image), image)}  ${updateText(s, snap.at)}`, width));
    if (opts.tasks) {
      for (const t of s.tasks) {
        const detail = t.error ? safeText(t.error) : safeText(t.message);
        lines.push(clip(`    ${padEnd(safeText(taskLabel(s, t)), name)}  ${padEnd(safeText(t.node ?? '–'), 16)}  ${padEnd(taskStateText(t), 22)}  ${detail}`, width));
      }
    }
  }
  if (list.length === 0) lines.push('(no services)');
  lines.push('');
  lines.push(`${padEnd('NODE', 20)}  ${padEnd('ROLE', 15)}  ${padEnd('AVAILABILITY', 12)}  STATUS`);
  for (const n of snap.nodes) {
    lines.push(clip(`${padEnd(clip(safeText(n.hostname), 20), 20)}  ${padEnd(n.role === 'manager' ? (n.leader ? 'manager, leader' : 'manager') : 'worker', 15)}  ${padEnd(n.availability, 12)}  ${n.status}${n.message ? ` (${safeText(n.message)})` : ''}`, width));
  }
  return lines.map((l) => l.trimEnd()).join('\n');
}

export async function runServicesCommand(ctx: Context, opts: { json?: boolean; tasks?: boolean }): Promise<number> {
  const snap = await snapshot(ctx);
  if (typeof snap === 'number') return snap;
  const why = unavailable(snap);
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...snap, services: servicesOrder(snap) }, null, 2)}\n`);
  else if (!why || snap.services.length) process.stdout.write(`${formatServices(snap, { tasks: opts.tasks, width: process.stdout.isTTY ? process.stdout.columns : undefined })}\n`);
  if (why) {
    err(why);
    return 1;
  }
  return 0;
}

type Which = 'scale' | 'force' | 'rollback';

/** Resolves the service on a manager and runs one action through the runner; the exit code. */
export async function runServiceAction(ctx: Context, which: Which, name: string, opts: { yes?: boolean; replicas?: string }): Promise<number> {
  let replicas = NaN;
  if (which === 'scale') {
    if (!/^\d+$/.test(opts.replicas ?? '')) throw new UsageError(`REPLICAS: expected a whole number, 0 or more (got "${opts.replicas ?? ''}")`);
    replicas = Number(opts.replicas);
  }
  const { runner, db } = cliRunner(ctx);
  try {
    const snap = await snapshot(ctx, runner);
    if (typeof snap === 'number') return snap;
    const why = unavailable(snap);
    if (why) {
      err(why);
      return 1;
    }
    let service: SwarmService;
    try {
      service = findService(snap.services, name);
    } catch (e) {
      if (e instanceof UnknownServiceError) {
        err(e.message);
        return 1;
      }
      throw e;
    }
    const yes = { yes: opts.yes };
    if (which === 'scale') return await runFromCli(runner, scaleAction, { service, replicas }, yes);
    const action: ActionDef<{ service: SwarmService }> = which === 'force' ? forceUpdateAction : rollbackAction;
    return await runFromCli(runner, action, { service }, yes);
  } finally {
    db?.close();
  }
}
