/** The incident report from the state store: read the feed and the audit log, render, write 0600. */
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { VERSION } from '../version.js';
import { listAudit } from '../store/audit.js';
import type { DB } from '../store/db.js';
import { readTimeline } from './read.js';
import { defaultIncidentDir, defaultReportName, incidentReport, writeReportFile } from './report.js';

export interface DraftOptions {
  since: number;
  /** Default now. */
  until?: number;
  match?: string;
  title?: string;
  host?: string;
  /** Default: $XDG_DATA_HOME/opsdeck/incidents/incident-HOST-STAMP.md. */
  out?: string;
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The Markdown of the report for a window (nothing written). */
export function renderIncidentReport(db: DB, o: Omit<DraftOptions, 'out' | 'force' | 'env'>): string {
  const until = o.until ?? Date.now();
  const host = o.host ?? hostname();
  const entries = readTimeline(db, { since: o.since, until, match: o.match });
  const audit = listAudit(db, { since: new Date(o.since).toISOString(), limit: 100_000 });
  return incidentReport(entries, audit, { since: o.since, until, host, title: o.title, match: o.match, version: VERSION, generatedAt: Date.now() });
}

/** Writes the report (0600; the default directory 0700) and returns its path and text. */
export function writeIncidentReport(db: DB, o: DraftOptions): { path: string; text: string } {
  const host = o.host ?? hostname();
  const until = o.until ?? Date.now();
  const text = renderIncidentReport(db, { ...o, host, until });
  let path: string;
  let dir: string | undefined;
  if (o.out) path = isAbsolute(o.out) ? o.out : resolve(o.out);
  else {
    dir = defaultIncidentDir(o.env);
    path = join(dir, defaultReportName(host, until));
  }
  writeReportFile(path, text, { force: o.force, dir });
  return { path, text };
}
