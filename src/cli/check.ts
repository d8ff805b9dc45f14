import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openState } from '../store/db.js';
import { EMPTY_STORE_ENV, storeCheckEnv, type StoreCheckEnv } from '../checks/storeEnv.js';
/**
 * `opsdeck check [--json] [NAME…]`: every configured and discovered check, run once, now. A pure
 * probe: nothing is recorded and no alert is sent (that is the cockpit's and the agent's job).
 * Exit code: the worst status, Nagios style (0 ok, 1 warn, 2 crit, 3 unknown; crit > unknown > warn).
 */
import { configChecks, discoverChecks } from '../checks/discover.js';
import { runCheck } from '../checks/run.js';
import { EXIT_CODE, SEVERITY, worst, type CheckDef, type CheckEnv, type CheckResult, type CheckStatus, type DetailValue } from '../checks/types.js';
import { createReader } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { explainDockerError } from '../docker/endpoint.js';
import { formatElapsed, padEnd, truncate } from '../format.js';
import { HostSampler, type HostSnapshot } from '../host/metrics.js';
import { mapLimit } from '../model/observable.js';
import { safeText } from '../sanitize.js';
import { UsageError, type Context } from './context.js';

export const CHECK_CONCURRENCY = 8;
const DOCKER_LIST_TIMEOUT_MS = 10_000;

/** One line of `check --json`. */
export interface CheckJson {
  name: string;
  kind: string;
  status: CheckStatus;
  message: string;
  latencyMs: number | null;
  details: Record<string, DetailValue>;
  /** ISO time the run finished. */
  at: string;
}

export interface CheckRun {
  name: string;
  kind: string;
  result: CheckResult;
}

/** A check that cannot run without Docker: about a container, or running something inside one. */
export function needsDocker(def: CheckDef): boolean {
  if (def.container !== undefined || def.kind === 'container' || def.kind === 'logs') return true;
  const inner = (def.spec as Record<string, unknown>)[def.kind];
  return typeof inner === 'object' && inner !== null && (inner as { container?: unknown }).container !== undefined;
}

/**
 * NAME selects a check by its exact name, or every check starting with it when it ends in ":" or "*"
 * (`container:`, `db-*`). Unknown names are a usage error that lists what exists.
 */
export function selectChecks(defs: readonly CheckDef[], names: readonly string[], note = ''): CheckDef[] {
  if (names.length === 0) return [...defs];
  const chosen = new Set<string>();
  const unknown: string[] = [];
  for (const name of names) {
    const exact = defs.find((d) => d.name === name);
    let hits: CheckDef[] = exact ? [exact] : [];
    if (!exact && (name.endsWith(':') || name.endsWith('*'))) {
      const prefix = name.endsWith('*') ? name.slice(0, -1) : name;
      hits = defs.filter((d) => d.name.startsWith(prefix));
    }
    if (hits.length === 0) unknown.push(name);
    for (const d of hits) chosen.add(d.name);
  }
  if (unknown.length) {
    const list = defs.map((d) => `  ${safeText(d.name)}`).join('\n');
    throw new UsageError(
      `opsdeck check: no check named ${unknown.map((n) => JSON.stringify(safeText(n))).join(', ')}${note}\n` +
        (defs.length ? `available checks (a prefix ending in ":" or "*" selects several):\n${list}` : 'no checks are configured or discovered'),
    );
  }
  return defs.filter((d) => chosen.has(d.name));
}

/** Worst first, then by name. */
export function sortRuns(runs: CheckRun[]): CheckRun[] {
  return [...runs].sort((a, b) => SEVERITY[b.result.status] - SEVERITY[a.result.status] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function toJson(r: CheckRun): CheckJson {
  return {
    name: r.name,
    kind: r.kind,
    status: r.result.status,
    message: r.result.message,
    latencyMs: r.result.latencyMs,
    details: r.result.details ?? {},
    at: new Date(r.result.at).toISOString(),
  };
}

const COLOR: Record<CheckStatus, string> = { ok: '\x1b[32m', warn: '\x1b[33m', crit: '\x1b[31;1m', unknown: '\x1b[35m' };

/** `CRIT     container:demo_flaky_1    unhealthy: …   12 ms`, one per check, then the summary. */
export function formatRuns(runs: CheckRun[], opts: { width?: number; color?: boolean; elapsedMs?: number } = {}): string {
  const nameWidth = Math.min(40, Math.max(4, ...runs.map((r) => r.name.length)));
  const lines = runs.map((r) => {
    const status = padEnd(r.result.status.toUpperCase(), 8);
    const head = `${status} ${padEnd(truncate(safeText(r.name), nameWidth), nameWidth)}  `;
    let message = safeText(r.result.message).replace(/\s+/g, ' ').trim();
    const ms = r.result.latencyMs === null ? null : `${Math.round(r.result.latencyMs)} ms`;
    // "200 OK in 12 ms" already says it.
    const latency = ms === null || message.endsWith(ms) ? '' : `   ${ms}`;
    if (opts.width) message = truncate(message, Math.max(10, opts.width - head.length - latency.length));
    const line = `${head}${message}${latency}`.trimEnd();
    return opts.color ? `${COLOR[r.result.status]}${status}\x1b[0m${line.slice(status.length)}` : line;
  });
  const counts = (['crit', 'unknown', 'warn', 'ok'] as const).map((s) => `${runs.filter((r) => r.result.status === s).length} ${s}`);
  const w = worst(runs.map((r) => r.result.status));
  const took = opts.elapsedMs === undefined ? '' : ` in ${formatElapsed(opts.elapsedMs)}`;
  // Starts with the count, not a status word, so `opsdeck check | grep ^CRIT` finds only checks.
  lines.push(`${runs.length} check${runs.length === 1 ? '' : 's'}${took}: ${counts.join(', ')} — worst ${w.toUpperCase()}, exit ${EXIT_CODE[w]}`);
  return lines.join('\n');
}

async function listContainers(ctx: Context): Promise<{ containers: ContainerInfo[]; error: string | null; reader: ReturnType<typeof createReader> }> {
  const reader = createReader(ctx.endpoint);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${DOCKER_LIST_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), DOCKER_LIST_TIMEOUT_MS);
    });
    return { containers: await Promise.race([reader.listContainers(), timeout]), error: null, reader };
  } catch (e) {
    return { containers: [], error: explainDockerError(ctx.endpoint, e).message, reader };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the selected checks (all when `names` is empty) once, at most 8 at a time; worst first.
 * Never records anything. A Docker that cannot be reached makes its checks unknown and adds a
 * `docker` line (when no names were given); `dockerError` says why.
 */
export async function collectChecks(ctx: Context, names: readonly string[] = [], opts: { full?: boolean } = {}): Promise<{ runs: CheckRun[]; dockerError: string | null }> {
  const { containers, error: dockerError, reader } = await listContainers(ctx);
  // Without Docker nothing can be discovered: the configured checks run (or say why they cannot).
  const defs = dockerError ? configChecks(ctx.config) : discoverChecks(containers, ctx.config);
  const picked = selectChecks(defs, names, dockerError ? ' (Docker is unreachable, so discovered checks are missing)' : '');
  // --full: SQLite's whole integrity_check instead of quick_check (slow on big files: a minute at most).
  const selected = opts.full ? picked.map((d) => (d.kind === 'sqlite' ? { ...d, full: true, timeoutMs: Math.max(d.timeoutMs, 60_000) } : d)) : picked;

  const sampler = new HostSampler();
  let hostSample: Promise<HostSnapshot> | null = null;
  // Backup checks read the history; a store that does not exist yet means no backup was ever made.
  const store = selected.some((d) => d.kind === 'backup' || d.kind === 'maintenance' || d.kind === 'capacity') ? openHistory(ctx) : null;
  const env: Omit<CheckEnv, 'signal'> = {
    docker: reader,
    host: () => (hostSample ??= sampler.sample()),
    thresholds: ctx.config.thresholds,
    config: ctx.config,
    now: Date.now,
    ...(store ? store.env : {}),
  };
  const unknown = (def: { name: string; kind: string }, message: string): CheckRun => ({
    name: def.name, kind: def.kind, result: { status: 'unknown', message, latencyMs: null, at: Date.now() },
  });

  const settled = await mapLimit(selected, CHECK_CONCURRENCY, async (def): Promise<CheckRun> =>
    dockerError && needsDocker(def) ? unknown(def, `Docker unreachable: ${dockerError}`) : { name: def.name, kind: def.kind, result: await runCheck(def, env) },
  );
  const runs = settled.map((s, i): CheckRun =>
    s.status === 'fulfilled' ? s.value : unknown(selected[i]!, `check failed: ${(s.reason as Error)?.message ?? String(s.reason)}`),
  );
  if (dockerError && names.length === 0) runs.push(unknown({ name: 'docker', kind: 'docker' }, `Docker unreachable: ${dockerError}`));
  store?.close();
  return { runs: sortRuns(runs), dockerError };
}

/** The backup history for backup checks, without creating a store where there is none. */
function openHistory(ctx: Context): { env: StoreCheckEnv; close: () => void } | null {
  if (!existsSync(join(ctx.stateDir, 'opsdeck.db'))) return { env: EMPTY_STORE_ENV, close: () => undefined };
  try {
    const { db } = openState(ctx.stateDir);
    return { env: storeCheckEnv(db, ctx.config), close: () => db.close() };
  } catch {
    return null; // the checks say the history is not available here
  }
}

/** `opsdeck check`: runs, prints (results on stdout, notes on stderr), returns the exit code. */
export async function runCheckCommand(ctx: Context, names: string[], opts: { json?: boolean; full?: boolean }): Promise<number> {
  const started = Date.now();
  const { runs, dockerError } = await collectChecks(ctx, names, { full: opts.full });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(runs.map(toJson), null, 2)}\n`);
    if (dockerError) process.stderr.write(`opsdeck: Docker unreachable: ${dockerError}\n`);
  } else if (runs.length === 0) {
    process.stdout.write('no checks: none configured, and nothing discovered on this host\n');
  } else {
    const tty = process.stdout.isTTY;
    process.stdout.write(`${formatRuns(runs, { width: tty ? process.stdout.columns : undefined, color: tty && ctx.color, elapsedMs: Date.now() - started })}\n`);
  }
  return EXIT_CODE[worst(runs.map((r) => r.result.status))];
}
