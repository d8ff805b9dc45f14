/**
 * The diagnostics bundle: `opsdeck-diag-<host>-<incident id>.tar.gz` (0600) with SUMMARY.md on top,
 * errors.txt, the opsdeck version and masked config, host metrics, `docker version`/`info`, the
 * container list, every container's inspect and logs for the window, a stats snapshot, the
 * timeline, the health checks run once, PostgreSQL activity and locks, Redis INFO.
 *
 * Collection writes into a private staging directory (0700) next to the output, every file through
 * the redaction (src/diag/redact.ts); then the directory is packed with node-tar straight into
 * `<file>.partial` (0600), fsynced and renamed. Memory stays bounded: logs are streamed to disk
 * (capped per file, newest kept) and the tar streams from disk. Any collector that fails or times
 * out becomes a note (SUMMARY.md, errors.txt, the result); only a failure to write the bundle
 * itself, or the caller's abort, rejects.
 */
import { setMaxListeners } from 'node:events';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as tarCreate } from 'tar';
import type { Config } from '../../config/schema.js';
import { formatDuration as shortDuration } from '../../config/duration.js';
import type { CheckRun } from '../cli/check.js';
import type { Context } from '../cli/context.js';
import type { DockerReader } from '../docker/client.js';
import { severity, type Health } from '../docker/containers.js';
import { formatBytes, formatElapsed } from '../format.js';
import { safeText } from '../sanitize.js';
import type { DB } from '../store/db.js';
import { currentUser } from '../store/paths.js';
import type { TimelineEntry } from '../timeline/types.js';
import { VERSION } from '../version.js';
import {
  collectDatabases, collectEngine, collectHealth, collectHost, collectInspects, collectLogs, collectOpsdeck, collectStats, collectTimeline,
  DEFAULT_TIMEOUTS, describeSubject, listSubjects, type CollectEnv, type DiagTimeouts, type Note, type Subject,
} from './collectors.js';
import { DEFAULT_LOG_CAP, MIN_LOG_CAP } from './logcap.js';
import { Staging, type StagedFile } from './staging.js';
import { abortReason, fileSafe, incidentId, utcStamp } from './util.js';

export interface DiagOptions {
  docker: DockerReader;
  /** The state store (timeline); null when there is none. */
  db: DB | null;
  config: Config;
  configSource: string | null;
  stateDir: string;
  /** Start of the window, epoch ms (e.g. `Date.now() - 3_600_000` for the last hour). */
  since: number;
  /** End of the window, epoch ms; default now. */
  until?: number;
  /**
   * Where to write: a file path, or an existing directory (or one ending in "/") for the default
   * name in it. Default: `<stateDir>/diag/` (0700).
   */
  out?: string;
  /** Include every container's logs for the window. */
  logs: boolean;
  /** One line per step, for a progress line. */
  onProgress?: (msg: string) => void;
  /** Aborting stops collection, removes the partial file and the staging directory, and rejects. */
  signal?: AbortSignal;
  /** Per-step timeouts (ms); defaults DEFAULT_TIMEOUTS. */
  timeouts?: Partial<DiagTimeouts>;
  /** Cap per log file in bytes (default 10 MiB, at least 64 KiB). */
  logCap?: number;
  /** Who collected it (default $SUDO_USER/$USER). */
  user?: string;
}

export interface DiagResult {
  /** Absolute path of the bundle. */
  file: string;
  bytes: number;
  /** What could not be collected or was cut, one line each ("logs of x: removed …"). */
  notes: string[];
  /** The incident id (UTC stamp) in the name. */
  id: string;
  /** Files in the bundle. */
  files: number;
}

/** The default bundle directory: `<stateDir>/diag`. */
export function defaultDiagDir(stateDir: string): string {
  return join(stateDir, 'diag');
}

/** `opsdeck-diag-<host>-<id>.tar.gz` */
export function bundleName(host: string, id: string): string {
  return `opsdeck-diag-${fileSafe(host)}-${id}.tar.gz`;
}

/** Where the bundle goes: an explicit file, or a directory for the default name. */
export async function resolveOut(out: string | undefined, stateDir: string): Promise<{ dir: string; file?: string }> {
  if (out === undefined || out === '') {
    const dir = defaultDiagDir(stateDir);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await fsp.stat(dir);
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) await fsp.chmod(dir, 0o700);
    return { dir };
  }
  const abs = resolve(out);
  const st = await fsp.stat(abs).catch(() => null);
  if (st?.isDirectory() || out.endsWith('/')) {
    if (!st) await fsp.mkdir(abs, { recursive: true, mode: 0o700 });
    return { dir: abs };
  }
  if (st) throw new Error(`${abs} already exists: choose another name (a bundle is never written over a file)`);
  await fsp.mkdir(dirname(abs), { recursive: true, mode: 0o700 });
  return { dir: dirname(abs), file: abs };
}

/** Writes the bundle; resolves with its path, size and notes. See the module comment. */
export async function writeDiagBundle(opts: DiagOptions): Promise<DiagResult> {
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  // One signal for every step: many listen at once (16 stats samples, 4 log readers, execs).
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const signal = ac.signal;
  const onAbort = () => ac.abort(opts.signal!.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const started = Date.now();
  const until = opts.until ?? started;
  const id = incidentId(started);
  const timeouts: DiagTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const logCap = Math.max(MIN_LOG_CAP, opts.logCap ?? DEFAULT_LOG_CAP);
  const capLabel = formatBytes(logCap);
  const progress = (msg: string) => opts.onProgress?.(msg);
  const notes: Note[] = [];
  const user = opts.user ?? currentUser();

  const where = await resolveOut(opts.out, opts.stateDir);
  const local = opts.docker.endpoint.url.startsWith('unix://');
  // The top directory's name needs the host, which for a remote engine comes from `docker info`;
  // staging starts under a neutral name and the tar entries are renamed on the way out.
  const staging = await Staging.create(where.dir, 'bundle');
  let partial: string | null = null;
  try {
    const env: CollectEnv = {
      docker: opts.docker, staging, signal, timeouts, since: opts.since, until, logCap,
      note: (n) => notes.push({ kind: n.kind, what: safeText(n.what), why: safeText(n.why) }),
      progress,
    };

    progress('opsdeck, config and host');
    await collectOpsdeck(env, { config: opts.config, configSource: opts.configSource, stateDir: opts.stateDir, user });
    progress('docker version and info');
    const [, engine] = await Promise.all([collectHost(env), collectEngine(env)]);
    const host = local ? os.hostname() : (typeof engine.info?.Name === 'string' ? engine.info.Name : hostOf(opts.docker.endpoint.url));

    progress('listing containers');
    const subjects = (await listSubjects(env)) ?? [];
    if (subjects.length === 0 && notes.some((n) => n.what === 'container list')) {
      notes.push({ kind: 'failed', what: 'containers', why: 'Docker did not list its containers: no inspect, stats, logs or database state' });
    }
    progress(`found ${subjects.length} containers`);

    // The checks take longest (one exec or request each): they run while the rest is collected.
    const ctx: Context = {
      config: opts.config, configSource: opts.configSource, endpoint: opts.docker.endpoint, endpoints: [opts.docker.endpoint], endpointNotes: [], allEndpoints: false, stateDir: opts.stateDir,
      readOnly: true, color: false, ascii: true, refreshMs: opts.config.refresh, env: process.env,
    };
    const health = collectHealth(env, ctx);
    health.catch(() => undefined);

    if (subjects.length) {
      progress(`inspecting ${subjects.length} containers`);
      await collectInspects(env, subjects);
      progress('stats snapshot');
      await collectStats(env, subjects);
    }
    progress('timeline');
    const timeline = await collectTimeline(env, opts.db);
    if (opts.logs && subjects.length) {
      await collectLogs(env, subjects, capLabel);
    } else if (!opts.logs) {
      notes.push({ kind: 'info', what: 'logs', why: 'left out on request (--no-logs)' });
    }
    if (subjects.length) await collectDatabases(env, subjects, opts.config);
    progress('health checks');
    const runs = await health;

    progress('SUMMARY.md');
    const errorsText = notes.filter((n) => n.kind !== 'info').map((n) => `${n.kind === 'cut' ? 'cut' : 'not collected'}: ${n.what}: ${n.why}`);
    await staging.text('errors.txt', errorsText.length ? errorsText.join('\n') : 'nothing failed and nothing was cut', 'what could not be collected and what was cut, one line each');
    const finishedCollecting = Date.now();
    const summaryFiles: StagedFile[] = [{ path: 'SUMMARY.md', bytes: 0, what: 'this summary' }, ...staging.files.values()];
    await staging.text('SUMMARY.md', renderSummary({
      host, id, started, finished: finishedCollecting, since: opts.since, until, user, endpoint: opts.docker.endpoint.url,
      engine: engine.version ? { version: engine.version.Version, api: engine.version.ApiVersion } : null,
      subjects, runs: runs ?? null, timeline: timeline ?? null, notes, files: summaryFiles, logs: opts.logs, capLabel,
    }), 'this summary');

    // Pack: SUMMARY.md and errors.txt first, then the rest.
    const top = `opsdeck-diag-${fileSafe(host)}-${id}`;
    await fsp.rename(join(staging.root, 'bundle'), join(staging.root, top));
    const children = (await fsp.readdir(join(staging.root, top))).filter((n) => n !== 'SUMMARY.md' && n !== 'errors.txt').sort();
    const entries = ['SUMMARY.md', 'errors.txt', ...children].map((n) => `${top}/${n}`);

    let file = where.file ?? join(where.dir, bundleName(host, id));
    if (!where.file) {
      for (let n = 2; await exists(file); n++) file = join(where.dir, bundleName(host, `${id}-${n}`));
    }
    partial = `${file}.partial`;
    progress(`packing ${staging.files.size} files (${formatBytes([...staging.files.values()].reduce((a, f) => a + f.bytes, 0))})`);
    const bytes = await packInto(partial, staging.root, entries, signal);
    await fsp.rename(partial, file);
    partial = null;
    await syncDir(dirname(file));
    return {
      file,
      bytes,
      notes: notes.filter((n) => n.kind !== 'info').map((n) => `${n.what}: ${n.why}`),
      id,
      files: staging.files.size,
    };
  } catch (e) {
    if (signal.aborted) throw abortReason(signal);
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (partial) await fsp.rm(partial, { force: true }).catch(() => undefined);
    await staging.remove().catch(() => undefined);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname || 'docker';
  } catch {
    return 'docker';
  }
}

async function exists(path: string): Promise<boolean> {
  return fsp.access(path).then(() => true, () => false);
}

/** tar.gz of `entries` (relative to cwd) into a new file `target` (0600, O_EXCL), fsynced; its size. */
async function packInto(target: string, cwd: string, entries: string[], signal: AbortSignal): Promise<number> {
  const handle = await fsp.open(target, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  let size = 0;
  try {
    const sink = new Writable({
      highWaterMark: 1024 * 1024,
      write(chunk: Buffer, _enc, cb) {
        const writeAll = async () => {
          let off = 0;
          while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
          size += chunk.length;
        };
        writeAll().then(() => cb(), cb);
      },
      final(cb) {
        handle.sync().then(() => cb(), cb);
      },
    });
    const pack = tarCreate({ gzip: { level: 6 }, cwd, portable: true, strict: true }, entries) as unknown as AsyncIterable<Buffer>;
    await pipeline(Readable.from(pack), sink, { signal });
    return size;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await h.sync();
  } catch {
    // some filesystems refuse to fsync a directory
  } finally {
    await h?.close().catch(() => undefined);
  }
}

// --- SUMMARY.md ----------------------------------------------------------------------------------

export interface SummaryFacts {
  host: string;
  id: string;
  started: number;
  finished: number;
  since: number;
  until: number;
  user: string;
  endpoint: string;
  engine: { version: string; api: string } | null;
  subjects: Subject[];
  runs: CheckRun[] | null;
  timeline: TimelineEntry[] | null;
  notes: Note[];
  files: StagedFile[];
  logs: boolean;
  capLabel: string;
}

/** Markdown-safe table cell / list text: sanitised, one line, pipes escaped. */
function md(text: string): string {
  return safeText(text).replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

/** SUMMARY.md: what is in the bundle, the state at a glance, what failed and what was cut. Pure. */
export function renderSummary(f: SummaryFacts): string {
  const out: string[] = [];
  out.push(`# opsdeck diagnostics: ${md(f.host)}, incident ${f.id}`, '');
  out.push('| | |', '|---|---|');
  out.push(`| collected | ${utcStamp(f.started)}, in ${formatElapsed(f.finished - f.started)}, by ${md(f.user)} with opsdeck ${VERSION} |`);
  out.push(`| window | ${utcStamp(f.since)} → ${utcStamp(f.until)} (${shortDuration(Math.max(0, Math.round((f.until - f.since) / 1000) * 1000))}) |`);
  out.push(`| Docker | ${md(f.endpoint)}${f.engine ? ` — engine ${md(f.engine.version)} (API ${md(f.engine.api)})` : ' — did not answer'} |`);
  out.push('| secrets | masked as `********` in every file, by name (PASS, SECRET, TOKEN, KEY, CREDENTIAL, AUTH, PRIVATE) and by value (URL credentials, Bearer/Basic, AWS keys, PEM private keys, tokens); look before you share |');
  out.push('');

  out.push('## State at collection', '');
  const byState = new Map<string, number>();
  for (const s of f.subjects) byState.set(s.info.state, (byState.get(s.info.state) ?? 0) + 1);
  const states = [...byState.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ');
  out.push(`- Containers: ${f.subjects.length}${states ? ` — ${states}` : ''}`);
  const attention = f.subjects.filter((s) => {
    const inspected = s.inspect ? { state: s.info.state, health: (s.inspect.State?.Health?.Status ?? 'none') as Health, exitCode: s.inspect.State?.ExitCode ?? null } : s.info;
    return severity(inspected) === 2 || s.inspect?.State?.OOMKilled || (s.inspect?.RestartCount ?? 0) > 0;
  });
  out.push(`- Need attention: ${attention.length ? attention.map((s) => `${md(s.info.name)} (${md(describeSubject(s))})`).join('; ') : 'none'}`);
  if (f.runs === null) out.push('- Health checks: not run (see below)');
  else {
    const failing = f.runs.filter((r) => r.result.status !== 'ok');
    const count = (st: string) => f.runs!.filter((r) => r.result.status === st).length;
    out.push(`- Health checks: ${f.runs.length} — ${count('crit')} crit, ${count('unknown')} unknown, ${count('warn')} warn, ${count('ok')} ok`);
    for (const r of failing.slice(0, 30)) out.push(`  - ${r.result.status.toUpperCase()} ${md(r.name)}: ${md(r.result.message)}`);
    if (failing.length > 30) out.push(`  - … and ${failing.length - 30} more in health.txt`);
  }
  if (f.timeline === null) out.push('- Timeline: not available');
  else {
    const sev = (s: string) => f.timeline!.filter((e) => e.severity === s).length;
    out.push(`- Timeline: ${f.timeline.length} entries in the window (${sev('crit')} crit, ${sev('warn')} warn) — timeline.txt`);
  }
  out.push('');

  const failed = f.notes.filter((n) => n.kind === 'failed');
  const cut = f.notes.filter((n) => n.kind === 'cut');
  const info = f.notes.filter((n) => n.kind === 'info');
  out.push('## Not collected', '');
  if (failed.length === 0) out.push('Everything was collected.');
  for (const n of failed) out.push(`- ${md(n.what)}: ${md(n.why)}`);
  out.push('');
  out.push('## Cut', '');
  out.push(`Each log file keeps at most ${f.capLabel}, the newest lines of the window; a cut file starts with a \`[opsdeck] cut:\` line.`);
  if (!f.logs) out.push('Container logs were left out (--no-logs).');
  if (cut.length === 0) out.push('', 'Nothing was cut.');
  else out.push('', ...cut.map((n) => `- ${md(n.what)}: ${md(n.why)}`));
  out.push('');
  if (info.length) {
    out.push('## Notes', '', ...info.map((n) => `- ${md(n.what)}: ${md(n.why)}`), '');
  }

  out.push('## Contents', '', '| file | size | what |', '|---|---:|---|');
  const order = (p: string) => (p === 'SUMMARY.md' ? 0 : p === 'errors.txt' ? 1 : 2);
  const files = [...f.files].sort((a, b) => order(a.path) - order(b.path) || (a.path < b.path ? -1 : 1));
  for (const file of files) out.push(`| ${md(file.path)} | ${file.path === 'SUMMARY.md' ? '' : formatBytes(file.bytes)} | ${md(file.what)} |`);
  out.push('');
  return out.join('\n');
}

/** Re-exported for callers that only import the bundle. */
export { DEFAULT_TIMEOUTS, type DiagTimeouts };
