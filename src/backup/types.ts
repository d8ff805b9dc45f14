/**
 * Backups: what a target is, what an engine does, what a backup record holds. Engines live in
 * src/backup/engines/ (one file per kind); writer.ts turns a stream into a proven file; the history
 * lives in the state store (src/store/backups.ts); actions/backup.ts runs it all through the runner.
 */
import type { BackupTarget, BackupTargetKind } from '../../config/schema.js';
import type { DockerReader } from '../docker/client.js';

export type { BackupTargetKind };

/** A target from the config (id = its key) or discovered (id = project/service, or the container name). */
export interface TargetDef {
  id: string;
  kind: BackupTargetKind;
  source: 'config' | 'discovered';
  /** The config entry (discovered targets get one of the same shape). */
  spec: BackupTarget;
  /** The container the data lives in, when there is one. */
  container?: string;
}

export type DetailValue = string | number | boolean | null;

export interface EngineContext {
  docker: DockerReader;
  signal: AbortSignal;
  /** Bytes produced so far (before compression), for the progress line. */
  onProgress?: (bytes: number) => void;
  /** A scratch directory on the host, removed by the caller afterwards. */
  tmpDir: string;
}

export interface EngineOutput {
  /** File name extension of what the engine writes, e.g. ".dump", ".db.gz", ".rdb", ".tar.gz". */
  extension: string;
  /** Versions, database name, row estimates, AOF on/off, source image … (goes into the record). */
  details: Record<string, DetailValue>;
}

export interface VerifyResult {
  ok: boolean;
  /** One line: "pg_restore --list: 14 entries", "integrity_check ok", the error otherwise. */
  message: string;
}

/** One kind of backup. Guarantees: streams (never the whole dump in memory), honours the signal. */
export interface BackupEngine {
  kind: BackupTargetKind;
  /** Extension of the file this target will produce (known before the run, for the .partial name). */
  extension(target: TargetDef): string;
  /** Rough size of the backup in bytes for the free-space check; null when unknown. */
  estimate(target: TargetDef, ctx: EngineContext): Promise<number | null>;
  /** Writes the backup into `sink` (the writer hashes, counts and fsyncs it). */
  run(target: TargetDef, sink: NodeJS.WritableStream, ctx: EngineContext): Promise<EngineOutput>;
  /** Proves a finished file restorable: pg_restore --list, integrity_check, redis-check-rdb, tar listing. */
  verify(file: string, target: TargetDef, ctx: EngineContext): Promise<VerifyResult>;
}

export type BackupStatus = 'running' | 'ok' | 'failed';

/** One backup as the history keeps it. */
export interface BackupRecord {
  /** `<target>-<UTC stamp>` e.g. shop-db-20261123T140000Z; also the file's base name. */
  id: string;
  target: string;
  kind: BackupTargetKind;
  /** Absolute path of the finished file (never a .partial). */
  file: string;
  status: BackupStatus;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  sizeBytes: number | null;
  sha256: string | null;
  /** null: not verified yet; true/false: the verification's outcome. */
  verified: boolean | null;
  verifiedAt: number | null;
  verifyMessage: string | null;
  error: string | null;
  details: Record<string, DetailValue>;
  opsdeckVersion: string;
}
