import { parseDuration } from '../../config/duration.js';
import { DockerModel } from '../model/dockerModel.js';
import { LogModel } from '../model/logModel.js';
import { levelAtLeast } from '../logs/filter.js';
import { jsonLine, plainLine } from '../logs/plain.js';
import { membersOf, resolveLogTarget } from '../logs/target.js';
import type { Level, LogLine } from '../logs/types.js';
import { UsageError, type Context } from './context.js';

export interface LogsCliOptions {
  since?: string;
  tail?: string;
  grep?: string;
  level?: string;
  follow?: boolean;
  json?: boolean;
  timestamps?: boolean;
}

const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];

/** Thrown for a target that names nothing: exit 1 with the message. */
export class UnknownTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownContainerError';
  }
}

export interface ParsedLogsOptions {
  sinceMs?: number;
  tail: number | 'all';
  grep?: RegExp;
  level?: Level;
}

/** Checks the options before anything touches Docker; a bad one is a UsageError (exit 2). */
export function parseLogsOptions(o: LogsCliOptions, defaultTail: number, now = Date.now()): ParsedLogsOptions {
  const out: ParsedLogsOptions = { tail: o.since && o.tail === undefined ? 'all' : defaultTail };
  if (o.tail !== undefined) {
    if (o.tail === 'all') out.tail = 'all';
    else if (/^\d+$/.test(o.tail)) out.tail = Number(o.tail);
    else throw new UsageError(`--tail: expected a number of lines or "all", got "${o.tail}"`);
  }
  if (o.since !== undefined) {
    let ms: number;
    try {
      ms = now - parseDuration(o.since);
    } catch {
      ms = /^\d{4}-\d\d-\d\d/.test(o.since) ? Date.parse(o.since) : NaN;
    }
    if (!Number.isFinite(ms)) throw new UsageError(`--since: expected a duration like "15m" or "1h", or a time like 2026-11-23T14:00:00Z, got "${o.since}"`);
    out.sinceMs = ms;
  }
  if (o.grep !== undefined) {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(o.grep);
    try {
      out.grep = m ? new RegExp(m[1]!, m[2]) : new RegExp(o.grep);
    } catch (err) {
      throw new UsageError(`--grep: not a valid regular expression: ${(err as Error).message}`);
    }
  }
  if (o.level !== undefined) {
    const l = o.level.toLowerCase().replace(/^warning$/, 'warn') as Level;
    if (!LEVELS.includes(l)) throw new UsageError(`--level: expected one of error, warn, info, debug, got "${o.level}"`);
    out.level = l;
  }
  return out;
}

const SGR = { red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

/**
 * `opsdeck logs TARGET`: history (merged by time for a project), then with --follow new lines until
 * interrupted, following containers across restarts. Lines are sanitised; notes go to stderr.
 */
export async function runLogs(ctx: Context, targetText: string, raw: LogsCliOptions): Promise<number> {
  const o = parseLogsOptions(raw, ctx.config.logs.tail);
  const out = process.stdout;
  const colour = ctx.color && out.isTTY === true && !raw.json;
  const docker = new DockerModel(ctx.endpoint, { refreshMs: ctx.refreshMs });
  docker.setStatsPaused(true);
  docker.start();
  try {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        const s = docker.getSnapshot();
        if (s.loaded) { off(); resolve(); }
        else if (s.conn.status === 'down') { off(); reject(new Error(`Docker unreachable: ${s.conn.message ?? s.conn.endpoint}${s.conn.hint ? ` — ${s.conn.hint}` : ''}`)); }
      };
      const off = docker.subscribe(check);
      check();
    });
    const containers = docker.getSnapshot().containers;
    let found = resolveLogTarget(containers, targetText);
    if ('error' in found) {
      // Not a container, compose service or project here: on a Swarm manager, maybe a service.
      const { readSwarm } = await import('../swarm/read.js');
      const swarm = await readSwarm(docker.reader.raw).catch(() => null);
      if (swarm?.services.length) found = resolveLogTarget(containers, targetText, swarm.services);
    }
    if ('error' in found) throw new UnknownTargetError(found.error);
    const target = found.target;
    const members = membersOf(containers, target);
    const names = new Map(members.map((m) => [m.id, m.name]));
    const model = new LogModel(docker, {
      tail: typeof o.tail === 'number' ? o.tail : 0,
      // The buffer is emptied after each write, so its bound is what arrives between two writes.
      maxLines: 1_000_000,
      maxBytes: 1024 * 1024 * 1024,
      follow: raw.follow === true,
    });
    let sourceWidth = 0;
    const keep = (l: LogLine) => l.stream === 'note' || ((!o.grep || o.grep.test(l.text)) && (!o.level || levelAtLeast(l.level, o.level)));
    let printed = 0;
    const write = (text: string) => out.write(`${text}\n`);
    const drain = () => {
      const buf = model.buffer;
      if (printed && buf.firstSeq > printed + 1) process.stderr.write(`opsdeck: ${buf.firstSeq - printed - 1} lines dropped (output too slow)\n`);
      for (let seq = Math.max(printed + 1, buf.firstSeq); seq <= buf.lastSeq; seq++) {
        const l = buf.bySeq(seq);
        if (!l || !keep(l)) continue;
        if (raw.json) { write(jsonLine(l, names.get(l.sourceId) ?? l.source)); continue; }
        if (l.stream === 'note') { process.stderr.write(`opsdeck: ${l.text.replace(/^— | —$/g, '')}\n`); continue; }
        const text = plainLine(l, { timestamps: raw.timestamps === true, sourceWidth });
        if (!colour) write(text);
        else write(`${l.level === 'error' ? SGR.red : l.level === 'warn' ? SGR.yellow : ''}${text}${l.level === 'error' || l.level === 'warn' ? SGR.reset : ''}`);
      }
      printed = buf.lastSeq;
      buf.clear();
    };
    await model.open(target, 'tail', { tail: o.tail, sinceMs: o.sinceMs });
    if (target.kind !== 'container') sourceWidth = Math.min(18, Math.max(0, ...model.getSnapshot().members.map((m) => m.source.length)));
    const err = model.getSnapshot().error;
    drain();
    if (err) {
      process.stderr.write(`opsdeck: ${err}\n`);
      if (!raw.follow) return 1;
    }
    if (!raw.follow) return 0;
    const unsubscribe = model.subscribe(drain);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      out.once('error', stop); // EPIPE: the reader went away (| head)
    });
    unsubscribe();
    model.close();
    return 0;
  } finally {
    docker.stop();
  }
}
