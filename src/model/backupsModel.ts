import type { Config } from '../../config/schema.js';
import type { DB } from '../store/db.js';
import { discoverTargets } from '../backup/discover.js';
import type { BackupRecord, TargetDef } from '../backup/types.js';
import { latestGood, listBackups } from '../store/backups.js';
import { listRestores, type RestoreRecord } from '../store/restores.js';
import type { DockerModel } from './dockerModel.js';
import { Observable } from './observable.js';

export interface BackupTargetState {
  def: TargetDef;
  latestGood: BackupRecord | null;
  /** Newest first (at most 50). */
  history: BackupRecord[];
  /** The newest finished restore drill and restore of the target, if any. */
  lastDrill?: RestoreRecord | null;
  lastRestore?: RestoreRecord | null;
}

export interface BackupsSnapshot {
  targets: BackupTargetState[];
  /** What runs per target right now, as the progress line shows it. */
  running: Record<string, string>;
  /** Why the list may be incomplete (no state store, discovery failed). */
  note: string | null;
  at: number;
}

/**
 * The Backups view's data: targets (configured, then discovered from the running containers) and
 * each one's history from the state store. Re-reads when the container set changes and after a
 * backup or a verification (refresh()).
 */
export class BackupsModel extends Observable<BackupsSnapshot> {
  private defs: TargetDef[] = [];
  private key = '';
  private off: (() => void) | null = null;
  private discovering: Promise<void> | null = null;

  constructor(private readonly docker: DockerModel, private readonly config: Config, private readonly db: DB | null) {
    super({ targets: [], running: {}, note: db ? null : 'no state store: history unavailable', at: Date.now() }, 50);
  }

  start(): void {
    if (this.off) return;
    this.off = this.docker.subscribe(() => this.onDocker());
    this.onDocker();
  }

  stop(): void {
    this.off?.();
    this.off = null;
  }

  /** Re-reads the history from the store (after a backup, a verification, a prune). */
  refresh(): void {
    const targets = this.defs.map((def) => this.stateOf(def));
    this.publish({ ...this.snap, targets, at: Date.now() }, true);
  }

  setRunning(target: string, text: string | null): void {
    const running = { ...this.snap.running };
    if (text === null) delete running[target];
    else running[target] = text;
    this.publish({ ...this.snap, running, at: Date.now() });
  }

  private stateOf(def: TargetDef): BackupTargetState {
    if (!this.db) return { def, latestGood: null, history: [] };
    try {
      const recent = listRestores(this.db, { target: def.id, limit: 20 }).filter((r) => r.status !== 'running');
      return {
        def, latestGood: latestGood(this.db, def.id), history: listBackups(this.db, { target: def.id, limit: 50 }),
        lastDrill: recent.find((r) => r.kind === 'drill') ?? null, lastRestore: recent.find((r) => r.kind === 'restore') ?? null,
      };
    } catch {
      return { def, latestGood: null, history: [] };
    }
  }

  private onDocker(): void {
    const snap = this.docker.getSnapshot();
    if (!snap.loaded) return;
    // Only the set of running database containers matters, not their stats.
    const key = snap.containers.filter((c) => c.state === 'running').map((c) => `${c.id}:${c.image}`).sort().join(',');
    if (key === this.key || this.discovering) return;
    this.key = key;
    const reader = this.docker.reader;
    this.discovering = discoverTargets(snap.containers, this.config, async (name) => {
      const env = (await reader.inspectRaw(name)).Config?.Env ?? [];
      return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    }).then((defs) => {
      this.defs = defs;
      this.refresh();
    }, (err: unknown) => {
      this.publish({ ...this.snap, note: `target discovery failed: ${(err as Error).message}` });
    }).finally(() => {
      this.discovering = null;
    });
  }
}
