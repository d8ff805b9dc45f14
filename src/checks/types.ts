/**
 * Health checks: what a check is, what one run produces, and what a check runner may use. Every kind
 * lives in its own file under src/checks/kinds/; runCheck (run.ts) adds the timeout and turns any
 * error into `unknown` with the reason.
 */
import type { Check, Config, Thresholds } from '../../config/schema.js';
import type { DockerReader } from '../docker/client.js';
import type { HostSnapshot } from '../host/metrics.js';
import type { BackupRecord } from '../backup/types.js';

export type CheckStatus = 'ok' | 'warn' | 'crit' | 'unknown';

/** Nagios plugin exit codes. */
export const EXIT_CODE: Record<CheckStatus, number> = { ok: 0, warn: 1, crit: 2, unknown: 3 };
/** Severity for "the worst wins": crit > unknown > warn > ok. */
export const SEVERITY: Record<CheckStatus, number> = { ok: 0, warn: 1, unknown: 2, crit: 3 };

export function worst(statuses: Iterable<CheckStatus>): CheckStatus {
  let w: CheckStatus = 'ok';
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[w]) w = s;
  return w;
}

export type DetailValue = string | number | boolean | null;

/** What a check kind returns for one run (runCheck adds `at` and enforces the timeout). */
export interface CheckOutcome {
  status: CheckStatus;
  /** One line for the table and the CLI, e.g. "200 OK in 12 ms" or "connections 8/100 (8 %)". */
  message: string;
  /** How long the probe took (the HTTP request, the query), null when not meaningful. */
  latencyMs: number | null;
  /** Shown by Enter in the Health view and in --json: response head, Postgres numbers, … */
  details?: Record<string, DetailValue>;
}

export interface CheckResult extends CheckOutcome {
  /** When the run finished (epoch ms). */
  at: number;
}

/** Discovered checks carry a synthetic config entry of the same shape as a configured one. */
export type CheckKindName = Check['kind'] | 'backup' | 'maintenance' | 'capacity';

/** A runnable check: from the config file, or discovered from what runs on the host. */
export interface CheckDef {
  name: string;
  kind: CheckKindName;
  source: 'config' | 'discovered';
  intervalMs: number;
  timeoutMs: number;
  /** The config entry (for 'backup': { kind: 'backup', name, target }). */
  spec: Check | { kind: 'backup'; name: string; target: string } | { kind: 'maintenance'; name: string } | { kind: 'capacity'; name: string };
  /** The container it is about, when there is one (grouping, maintenance silencing). */
  container?: string;
}

/** What a check kind may use. Nothing here mutates anything. */
export interface CheckEnv {
  docker: DockerReader;
  /** The latest host sample (disk, memory, CPU checks), taken fresh by the caller when null. */
  host: () => Promise<HostSnapshot>;
  /** CPU samples, oldest first, for "sustained for" (epoch ms, percent). */
  cpuHistory?: () => { at: number; percent: number }[];
  thresholds: Thresholds;
  config: Config;
  /** The newest good (finished + verified) backup of a target, from the state store (backup checks). */
  latestBackup?: (target: string) => BackupRecord | null;
  /** When a target was last proven restorable by a drill (epoch ms), for backups.drillWithin. */
  lastDrill?: (target: string) => number | null;
  /** Aborted when the check's timeout passes: kinds pass it on to sockets and child processes. */
  signal: AbortSignal;
  now: () => number;
}

export type CheckKindRunner = (def: CheckDef, env: CheckEnv) => Promise<CheckOutcome>;

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 5_000;
