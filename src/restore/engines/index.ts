/** The restore engines by target kind (one file per kind; see ../types.ts for the contract). */
import type { BackupTargetKind } from '../../backup/types.js';
import { abortError } from '../../checks/kinds/util.js';
import type { RestoreEngine } from '../types.js';
import { filesRestore } from './files.js';
import { postgresRestore } from './postgres.js';
import { redisRestore } from './redis.js';
import { sqliteRestore } from './sqlite.js';
import { volumeRestore } from './volume.js';

/**
 * An engine whose calls, once the signal has fired, reject with the signal's own reason (Docker,
 * stream and child-process layers each throw their own "AbortError" otherwise).
 */
function abortReasoned(engine: RestoreEngine): RestoreEngine {
  const wrap = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, signalOf: (...a: A) => AbortSignal) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (e) {
        const signal = signalOf(...a);
        if (signal.aborted) throw abortError(signal);
        throw e;
      }
    };
  return {
    kind: engine.kind,
    compatibility: wrap(engine.compatibility.bind(engine), (_b, _t, ctx) => ctx.signal),
    restore: wrap(engine.restore.bind(engine), (_b, _t, ctx) => ctx.signal),
    probe: wrap(engine.probe.bind(engine), (_t, ctx) => ctx.signal),
    drill: wrap(engine.drill.bind(engine), (_b, _t, ctx) => ctx.signal),
  };
}

export const RESTORE_ENGINES: Partial<Record<BackupTargetKind, RestoreEngine>> = {
  postgres: abortReasoned(postgresRestore),
  sqlite: abortReasoned(sqliteRestore),
  redis: abortReasoned(redisRestore),
  volume: abortReasoned(volumeRestore),
  files: abortReasoned(filesRestore),
};

/** The engine for a kind; a kind without one throws a readable error. */
export function restoreEngineFor(kind: BackupTargetKind): RestoreEngine {
  const engine = RESTORE_ENGINES[kind];
  if (engine) return engine;
  if (kind === 'mysql') throw new Error('restore of mysql is not supported yet');
  throw new Error(`restore of ${String(kind)} targets is not supported`);
}

export { filesRestore, postgresRestore, redisRestore, sqliteRestore, volumeRestore };
