/**
 * `opsdeck diag [--since 1h] [--out FILE] [--no-logs] [--json]`: the diagnostics bundle
 * (src/diag/bundle.ts). Progress on stderr, the path on stdout at the end (or the result as JSON).
 * Exit: 0 the bundle was written (notes about parts that could not be collected do not change that),
 * 1 it could not be written (or Ctrl-C), 2 a bad option.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseByteSize, parseDuration } from '../../config/duration.js';
import { createReader } from '../docker/client.js';
import { writeDiagBundle, type DiagTimeouts } from '../diag/bundle.js';
import { formatBytes, formatElapsed } from '../format.js';
import { safeText } from '../sanitize.js';
import { openState, StateError, type DB } from '../store/db.js';
import { UsageError, type Context } from './context.js';

export interface DiagCliOptions {
  since?: string;
  out?: string;
  /** commander's --no-logs sets logs=false */
  logs?: boolean;
  json?: boolean;
}

export interface ParsedDiagOptions {
  since: number;
  until: number;
  out?: string;
  logs: boolean;
  logCap?: number;
  timeouts?: Partial<DiagTimeouts>;
}

/** Options and the two environment knobs, checked before anything touches Docker (UsageError: exit 2). */
export function parseDiagOptions(o: DiagCliOptions, env: NodeJS.ProcessEnv = process.env, now = Date.now()): ParsedDiagOptions {
  const sinceText = o.since ?? '1h';
  let since: number;
  try {
    since = now - parseDuration(sinceText);
  } catch {
    since = /^\d{4}-\d\d-\d\d/.test(sinceText) ? Date.parse(sinceText) : NaN;
  }
  if (!Number.isFinite(since) || since > now) throw new UsageError(`--since: expected a duration like "15m" or "1h", or a past time like 2026-11-23T14:00:00Z, got "${sinceText}"`);
  const out: ParsedDiagOptions = { since, until: now, logs: o.logs !== false };
  if (o.out !== undefined) {
    if (o.out.trim() === '') throw new UsageError('--out: expected a file or directory, got ""');
    out.out = o.out;
  }
  const cap = env.OPSDECK_DIAG_LOG_CAP;
  if (cap !== undefined && cap !== '') {
    const bytes = /^\d+$/.test(cap) ? Number(cap) : parseByteSize(cap);
    if (bytes === undefined || !(bytes > 0)) throw new UsageError(`OPSDECK_DIAG_LOG_CAP: expected a size like "10MiB" or a number of bytes, got "${cap}"`);
    out.logCap = bytes;
  }
  const timeout = env.OPSDECK_DIAG_TIMEOUT;
  if (timeout !== undefined && timeout !== '') {
    let ms: number;
    try {
      ms = parseDuration(timeout);
    } catch (e) {
      throw new UsageError(`OPSDECK_DIAG_TIMEOUT: ${(e as Error).message}`);
    }
    if (!(ms > 0)) throw new UsageError(`OPSDECK_DIAG_TIMEOUT: must be more than 0, got "${timeout}"`);
    out.timeouts = { api: ms, exec: ms, logs: ms, checks: ms };
  }
  return out;
}

/** The state store when one exists (never creates one); null with the reason otherwise. */
function openExistingStore(ctx: Context): { db: DB | null; why?: string } {
  if (!existsSync(join(ctx.stateDir, 'opsdeck.db'))) return { db: null, why: `no state store in ${ctx.stateDir} yet` };
  try {
    return { db: openState(ctx.stateDir).db };
  } catch (e) {
    if (e instanceof StateError) return { db: null, why: e.message };
    throw e;
  }
}

export async function runDiagCommand(ctx: Context, o: DiagCliOptions): Promise<number> {
  const parsed = parseDiagOptions(o, ctx.env);
  const tty = Boolean(process.stderr.isTTY);
  let open = false;
  const clear = () => {
    if (open) process.stderr.write('\r\x1b[2K');
    open = false;
  };
  const onProgress = (msg: string) => {
    const line = `  … ${safeText(msg)}`;
    if (tty) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(10, (process.stderr.columns ?? 80) - 1))}`);
      open = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  };

  const { db, why } = openExistingStore(ctx);
  if (!db && why && !o.json) process.stderr.write(`note: the timeline is left out: ${safeText(why)}\n`);
  const abort = new AbortController();
  const onSigint = () => {
    clear();
    process.stderr.write('\ninterrupted: stopping (nothing is left behind)\n');
    abort.abort(new Error('interrupted by Ctrl-C'));
  };
  process.once('SIGINT', onSigint);
  const started = Date.now();
  try {
    const r = await writeDiagBundle({
      docker: createReader(ctx.endpoint),
      db,
      config: ctx.config,
      configSource: ctx.configSource,
      stateDir: ctx.stateDir,
      since: parsed.since,
      until: parsed.until,
      ...(parsed.out !== undefined ? { out: parsed.out } : {}),
      logs: parsed.logs,
      onProgress,
      signal: abort.signal,
      ...(parsed.timeouts ? { timeouts: parsed.timeouts } : {}),
      ...(parsed.logCap !== undefined ? { logCap: parsed.logCap } : {}),
    });
    clear();
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ file: r.file, bytes: r.bytes, id: r.id, files: r.files, notes: r.notes }, null, 2)}\n`);
      return 0;
    }
    process.stderr.write(`wrote ${r.files} files, ${formatBytes(r.bytes)} compressed, in ${formatElapsed(Date.now() - started)} (mode 0600)\n`);
    if (r.notes.length) {
      process.stderr.write(`${r.notes.length} part${r.notes.length === 1 ? '' : 's'} could not be collected or ${r.notes.length === 1 ? 'was' : 'were'} cut (SUMMARY.md lists ${r.notes.length === 1 ? 'it' : 'them'}):\n`);
      for (const n of r.notes.slice(0, 20)) process.stderr.write(`  - ${safeText(n)}\n`);
      if (r.notes.length > 20) process.stderr.write(`  - … and ${r.notes.length - 20} more\n`);
    }
    process.stdout.write(`${r.file}\n`);
    return 0;
  } catch (e) {
    clear();
    process.stderr.write(`opsdeck: the diagnostics bundle was not written: ${safeText((e as Error)?.message ?? String(e))}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    db?.close();
  }
}
