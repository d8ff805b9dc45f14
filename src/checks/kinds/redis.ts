/**
 * `redis`: PING and INFO. With `container:` through `redis-cli` inside it (`docker exec`), with
 * `url:` through a minimal RESP client on a socket (AUTH when there is a password). Memory ≥ 90 % of
 * maxmemory warns, a failed last RDB save is crit, no PONG is crit.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { CheckOf } from '../../../config/schema.js';
import { formatBytes } from '../../format.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus, DetailValue } from '../types.js';
import { exec, execNotFound } from './exec.js';
import { abortError, containerProblem, errorMessage, firstLine, levelAbove, resolveHost } from './util.js';

// --- RESP ----------------------------------------------------------------------------------------

export type RespValue = string | number | null | RespError | RespValue[];

export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

/** Largest bulk string or array accepted (INFO is a few KiB; anything bigger is not a reply we asked for). */
const RESP_MAX = 16 * 1024 * 1024;

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Parses one RESP2 value from `buf` at `offset`. Returns the value and the offset after it, or
 * undefined when the buffer does not hold a whole value yet. Throws on a malformed stream.
 */
export function parseResp(buf: Buffer, offset = 0): { value: RespValue; next: number } | undefined {
  if (offset >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) {
    if (buf.length - offset > 64 * 1024) throw new Error('RESP: line too long');
    return undefined;
  }
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':': {
      const n = Number(line);
      if (!/^-?\d+$/.test(line)) throw new Error(`RESP: bad integer ${JSON.stringify(line.slice(0, 20))}`);
      return { value: n, next: after };
    }
    case '$': {
      const len = lengthOf(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      if (buf.toString('latin1', after + len, after + len + 2) !== '\r\n') throw new Error('RESP: bulk string not terminated');
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const len = lengthOf(line);
      if (len < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let at = after;
      for (let i = 0; i < len; i++) {
        const item = parseResp(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      throw new Error(`RESP: unexpected type byte ${JSON.stringify(type)}`);
  }
}

function lengthOf(line: string): number {
  if (!/^-?\d+$/.test(line)) throw new Error(`RESP: bad length ${JSON.stringify(line.slice(0, 20))}`);
  const n = Number(line);
  if (n > RESP_MAX) throw new Error(`RESP: length ${n} too large`);
  return n;
}

/**
 * Sends the commands one after another on one connection and returns their replies (error replies
 * as RespError values, not thrown). Closes the connection afterwards.
 */
export function redisCommands(
  opts: { host: string; port: number; tls?: boolean; servername?: string },
  commands: string[][],
  signal: AbortSignal,
): Promise<RespValue[]> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    // rediss: the certificate is verified, since the password goes over this connection.
    const socket = opts.tls
      ? tls.connect({ host: opts.host, port: opts.port, ...(opts.servername && !net.isIP(opts.servername) ? { servername: opts.servername } : {}) })
      : net.connect({ host: opts.host, port: opts.port });
    let buf: Buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (e) reject(e);
      else resolve(replies);
    };
    const onAbort = () => finish(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      socket.write(Buffer.concat(commands.map(encodeCommand)));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        for (;;) {
          const r = parseResp(buf);
          if (!r) break;
          replies.push(r.value);
          buf = buf.subarray(r.next);
          if (replies.length === commands.length) return finish();
        }
      } catch (e) {
        finish(e as Error);
      }
    });
    socket.once('error', (e) => finish(e));
    socket.once('close', () => finish(new Error(`connection closed after ${replies.length} of ${commands.length} replies`)));
  });
}

// --- INFO ----------------------------------------------------------------------------------------

/** INFO's `key:value` lines (sections and comments skipped). */
export function parseRedisInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface RedisFacts {
  pong: boolean;
  usedMemory: number | null;
  maxMemory: number | null;
  bgsaveStatus: string | null;
  connectedClients: number | null;
  hits: number | null;
  misses: number | null;
}

export function redisFacts(pong: boolean, info: Record<string, string>): RedisFacts {
  const num = (k: string) => (info[k] !== undefined && info[k] !== '' && Number.isFinite(Number(info[k])) ? Number(info[k]) : null);
  return {
    pong,
    usedMemory: num('used_memory'),
    maxMemory: num('maxmemory'),
    bgsaveStatus: info.rdb_last_bgsave_status ?? null,
    connectedClients: num('connected_clients'),
    hits: num('keyspace_hits'),
    misses: num('keyspace_misses'),
  };
}

/** Status and message; pure. */
export function redisStatus(f: RedisFacts): { status: CheckStatus; message: string } {
  if (!f.pong) return { status: 'crit', message: 'no PONG' };
  const parts: string[] = ['PONG'];
  let status: CheckStatus = 'ok';
  const problems: string[] = [];
  if (f.usedMemory !== null) {
    if (f.maxMemory && f.maxMemory > 0) {
      const pct = (f.usedMemory / f.maxMemory) * 100;
      parts.push(`memory ${formatBytes(f.usedMemory)}/${formatBytes(f.maxMemory)} (${Math.round(pct)} %)`);
      if (levelAbove(pct, 90, undefined) === 'warn') {
        status = 'warn';
        problems.push(`memory at ${Math.round(pct)} % of maxmemory`);
      }
    } else parts.push(`memory ${formatBytes(f.usedMemory)} (no maxmemory)`);
  }
  if (f.connectedClients !== null) parts.push(`clients ${f.connectedClients}`);
  const rate = hitRate(f);
  if (rate !== null) parts.push(`hit rate ${Math.round(rate)} %`);
  if (f.bgsaveStatus !== null && f.bgsaveStatus !== 'ok') {
    status = 'crit';
    problems.unshift(`last RDB save ${safeText(f.bgsaveStatus)}`);
  }
  return { status, message: problems.length ? `${problems.join('; ')}; ${parts.join(', ')}` : parts.join(', ') };
}

export function hitRate(f: Pick<RedisFacts, 'hits' | 'misses'>): number | null {
  if (f.hits === null || f.misses === null || f.hits + f.misses === 0) return null;
  return (f.hits / (f.hits + f.misses)) * 100;
}

function redisDetails(f: RedisFacts, info: Record<string, string>, where: string): Record<string, DetailValue> {
  const rate = hitRate(f);
  return {
    where,
    used_memory: f.usedMemory,
    maxmemory: f.maxMemory,
    used_memory_human: info.used_memory_human ?? null,
    keyspace_hits: f.hits,
    keyspace_misses: f.misses,
    hitRatePercent: rate === null ? null : Math.round(rate * 10) / 10,
    rdb_last_bgsave_status: f.bgsaveStatus,
    connected_clients: f.connectedClients,
    redis_version: info.redis_version ?? null,
    role: info.role ?? null,
  };
}

// --- the check -----------------------------------------------------------------------------------

export async function runRedis(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'redis'>).redis;
  const t0 = Date.now();
  if (spec.container !== undefined) {
    const container = spec.container;
    const extraEnv = spec.password !== undefined ? { REDISCLI_AUTH: spec.password } : undefined;
    const cli = (args: string[]) => exec(env.docker, container, ['redis-cli', ...args], { signal: env.signal, timeoutMs: def.timeoutMs, env: extraEnv });
    try {
      const ping = await cli(['PING']);
      if (execNotFound(ping)) return { status: 'unknown', message: `no redis-cli in container ${safeText(container)}`, latencyMs: null };
      const pong = ping.exitCode === 0 && ping.stdout.trim() === 'PONG';
      if (!pong) return { status: 'crit', message: `no PONG: ${firstLine(ping.stdout) || firstLine(ping.stderr) || `redis-cli exit ${ping.exitCode ?? '?'}`}`, latencyMs: null };
      const latencyMs = Date.now() - t0;
      const infoRun = await cli(['INFO']);
      const info = parseRedisInfo(infoRun.exitCode === 0 ? infoRun.stdout : '');
      const facts = redisFacts(true, info);
      return { ...redisStatus(facts), latencyMs, details: redisDetails(facts, info, `container ${safeText(container)}`) };
    } catch (e) {
      const problem = containerProblem(e, container);
      if (problem) return problem;
      throw e;
    }
  }

  const url = new URL(spec.url!);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 6379;
  const target = await resolveHost(env.docker, host);
  if (!target) return { status: 'crit', message: `host not found: ${safeText(host)}`, latencyMs: null };
  const password = spec.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const commands: string[][] = [];
  if (password !== undefined) commands.push(user ? ['AUTH', user, password] : ['AUTH', password]);
  commands.push(['PING'], ['INFO']);
  let replies: RespValue[];
  try {
    replies = await redisCommands({ host: target.address, port, tls: url.protocol === 'rediss:', servername: host }, commands, env.signal);
  } catch (e) {
    if (env.signal.aborted) throw e;
    return { status: 'crit', message: errorMessage(e), latencyMs: null, details: { where: `${safeText(host)}:${port}` } };
  }
  const latencyMs = Date.now() - t0;
  if (password !== undefined) {
    const auth = replies.shift();
    if (auth instanceof RespError) return { status: 'crit', message: `AUTH failed: ${firstLine(auth.message)}`, latencyMs };
  }
  const [ping, infoReply] = replies;
  if (ping !== 'PONG') {
    const said = ping instanceof RespError ? ping.message : String(ping);
    return { status: 'crit', message: `no PONG: ${firstLine(said)}`, latencyMs };
  }
  const info = parseRedisInfo(typeof infoReply === 'string' ? infoReply : '');
  const facts = redisFacts(true, info);
  return { ...redisStatus(facts), latencyMs, details: redisDetails(facts, info, `${safeText(host)}:${port}`) };
}
