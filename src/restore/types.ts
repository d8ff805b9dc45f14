/**
 * Restores and drills: the contract between the walkthrough (actions/restore.ts, which orders the
 * steps, stops and starts dependants, takes the safety backup and rolls back) and the per-kind restore
 * engines (src/restore/engines/, one file per kind, registry in src/restore/engines/index.ts).
 *
 * An engine knows one kind of data. It never stops or starts the target's dependants (the walkthrough
 * does), but it may stop and start the target's own container when the kind requires it (Redis: stop,
 * replace dump.rdb, start). Every engine streams (never a whole dump in memory), honours ctx.signal,
 * runs no shell with untrusted text, and throws an Error with one readable line on failure.
 */
import type { BackupTargetKind, DetailValue, EngineContext, TargetDef } from '../backup/types.js';
import type { StoredBackup } from '../store/backups.js';

export interface RestoreContext extends EngineContext {
  /** One line for the walkthrough's log pane (already readable; the pane sanitises again). */
  log(line: string): void;
}

/** What the preflight learned about compatibility, for the confirmation dialog. */
export interface Compatibility {
  /** e.g. "PostgreSQL server 15.4 ≥ dump's 15 (same major)", "Redis 7.2, AOF off". */
  lines: string[];
  /** The target's current size in bytes (for the safety backup's space estimate); null: unknown. */
  currentSizeBytes: number | null;
}

/** Thrown by compatibility() when the backup cannot go into this target; the message says why. */
export class RestoreRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefused';
  }
}

/** Facts about the data as it is now: compared before/after and shown in the summary. */
export interface Probe {
  ok: boolean;
  /** One line: "12 tables, 10,482 rows", "integrity_check ok, 3 tables", "PONG, 1,204 keys". */
  message: string;
  /** Per-table row counts (PostgreSQL, SQLite: "schema.table" → rows), key count (Redis: "keys"). */
  counts: Record<string, number>;
}

export interface DrillResult {
  ok: boolean;
  /** "restored into opsdeck-drill-… (postgres:15): 12 tables, 10,482 rows" or the failure. */
  message: string;
  /** The throwaway container's image (same image as the source container). */
  image: string | null;
  counts: Record<string, number>;
  durationMs: number;
}

export interface RestoreEngine {
  kind: BackupTargetKind;
  /**
   * Changes nothing. Throws RestoreRefused when the backup cannot be restored into the target:
   * the target's container is missing; PostgreSQL server major < the dump's (details.serverVersion,
   * details.pgDumpVersion); Redis with AOF on (appendonly yes: a replaced dump.rdb would be ignored —
   * explain that and refuse); a volume that does not exist … Other errors: the check itself failed.
   */
  compatibility(backup: StoredBackup, target: TargetDef, ctx: EngineContext): Promise<Compatibility>;
  /**
   * Puts the data of `backup.file` (already sha256-checked by the walkthrough) into the target, all
   * or nothing where the kind allows it:
   * - postgres: inside the container, after terminating the database's other connections; one
   *   transaction; objects that are not in the dump (a table added since) are gone afterwards.
   * - sqlite: write to a temp file next to the target, integrity_check it, atomic rename, remove
   *   stale -wal/-shm (the app is stopped by the walkthrough).
   * - redis: stop the container, replace dump.rdb through the archive API, start, PING.
   * - volume: extract into an empty staging dir, then swap; files: to their paths, mode/owner kept.
   * Resolves to one summary line for the step ("pg_restore: 14 objects in one transaction").
   */
  restore(backup: StoredBackup, target: TargetDef, ctx: RestoreContext): Promise<string>;
  /** Reads the target's data as it is now (row counts, integrity, key count). Changes nothing. */
  probe(target: TargetDef, ctx: EngineContext): Promise<Probe>;
  /**
   * Restores `backup.file` into a throwaway container (same image as the source; label
   * `opsdeck.drill=1`, name `opsdeck-drill-<kind>-<random>`), runs the kind's verification (row counts
   * per table, integrity_check, key count), and removes the container on every path (also on abort).
   * Never touches the source container or its data.
   */
  drill(backup: StoredBackup, target: TargetDef, ctx: RestoreContext): Promise<DrillResult>;
}

/** Details a record of a restore or drill may carry. */
export type RestoreDetails = Record<string, DetailValue>;
