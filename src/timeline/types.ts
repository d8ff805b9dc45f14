/**
 * The incident timeline: one time-ordered feed joining Docker events (persisted by the recorder in
 * the state store, so the feed survives restarts and the agent fills it), check transitions and
 * alerts, maintenance windows and operator actions from the audit log.
 *
 * Producers: src/timeline/recorder.ts (Docker events → the `events` table, bounded retention).
 * Readers: readTimeline (src/timeline/read.ts) for the Timeline view, `opsdeck timeline`, the
 * incident report, the diagnostics bundle and the Overview's "what changed" line.
 */
export type TimelineSource = 'docker' | 'check' | 'alert' | 'maintenance' | 'action';
export type TimelineSeverity = 'info' | 'ok' | 'warn' | 'crit';

export interface TimelineEntry {
  /** Epoch ms. */
  at: number;
  source: TimelineSource;
  severity: TimelineSeverity;
  /** Container name, check name, "maintenance", or the action's target. Sanitised. */
  subject: string;
  /** Compose project of the container, when known. */
  project: string | null;
  /** One readable line: "died (exit 137, OOM killed)", "crit → ok: HTTP 200 in 12 ms", "restart by alice: ok". Sanitised. */
  message: string;
  /** For `Enter` → the container's logs at that time. */
  container?: string;
  /** Stable id for de-duplication and selection ("docker:123", "audit:45", …). */
  key: string;
  /**
   * What happened, machine-readable: Docker's action ("die", "oom", "start", "health_status: unhealthy",
   * "pull" …), "transition" (a check), "enter"/"exit" (maintenance), the audit action id
   * ("container.restart"). Added by the timeline; optional so other producers need not set it.
   */
  kind?: string;
  /** A Docker `die`: the exit code. */
  exitCode?: number;
}

export interface TimelineQuery {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, inclusive; default now. */
  until?: number;
  /** Only entries whose subject or project contains this (case-insensitive). */
  match?: string;
  sources?: TimelineSource[];
  /** Newest entries kept when more match; default 5000. */
  limit?: number;
}
