/**
 * Scheduled restore drills (`backups.drillEvery`, run by the agent): every target whose last drill
 * is older than that gets its newest verified backup drilled, one at a time, through the runner (so
 * it is locked, audited and recorded like `opsdeck drill`). Read-only agents do not drill.
 */
import type { Config } from '../../config/schema.js';
import { drillAction, drillParams, preselect, restoreCandidates } from '../../actions/restore.js';
import { discoverTargets } from '../backup/discover.js';
import { containerEnv } from '../backup/engines/common.js';
import { createControl } from '../docker/client.js';
import type { DockerModel } from '../model/dockerModel.js';
import { Runner } from '../run/runner.js';
import { listBackups } from '../store/backups.js';
import type { DB } from '../store/db.js';
import { lastDrills } from '../store/restores.js';

export interface DrillSchedule {
  stop(): void;
  /** One pass now (tests); resolves with the targets drilled. */
  runOnce(): Promise<string[]>;
}

export function startDrillSchedule(opts: {
  db: DB; docker: DockerModel; config: Config; everyMs: number; firstAfterMs?: number; onError?: (what: string, e: Error) => void;
}): DrillSchedule {
  const { db, docker, config, everyMs } = opts;
  const runner = new Runner({ ctx: { docker: docker.reader, control: createControl(docker.reader, { readOnly: Boolean(config.readOnly) }) }, db, readOnly: Boolean(config.readOnly), user: 'opsdeck agent' });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<string[]> | null = null;

  const pass = async (): Promise<string[]> => {
    const drilled: string[] = [];
    const targets = await discoverTargets(docker.getSnapshot().containers, config, (name) => containerEnv(docker.reader, name));
    const last = lastDrills(db);
    for (const t of targets) {
      if (abort.signal.aborted) break;
      const prev = last.get(t.id);
      if (prev && Date.now() - (prev.finishedAt ?? prev.startedAt) < everyMs) continue;
      const backup = preselect(restoreCandidates(listBackups(db, { target: t.id, limit: 200 })));
      if (!backup) continue;
      const res = await runner.run(drillAction, drillParams({ db, target: t, backup, by: 'opsdeck agent' }), { confirm: async () => true, signal: abort.signal });
      if (res.result !== 'ok') opts.onError?.(`drill ${t.id}`, new Error(res.error ?? res.result));
      drilled.push(t.id);
    }
    return drilled;
  };
  const runOnce = () => (running ??= pass().finally(() => { running = null; }));
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      void runOnce().catch((e: Error) => opts.onError?.('drills', e)).finally(() => { if (!abort.signal.aborted) schedule(Math.min(everyMs, 3_600_000)); });
    }, ms);
    timer.unref?.();
  };
  schedule(opts.firstAfterMs ?? 60_000);
  return {
    stop() {
      abort.abort();
      if (timer) clearTimeout(timer);
    },
    runOnce,
  };
}
