/** `tcp`: can a connection be opened to host:port, and how long did it take. */
import net from 'node:net';
import { parseHostPort, type CheckOf } from '../../../config/schema.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome } from '../types.js';
import { abortError, errorMessage, msSince, resolveHost } from './util.js';

/** Opens a TCP connection and closes it again; resolves with the connect time in ms. */
export function tcpConnect(host: string, port: number, signal: AbortSignal): Promise<number> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const socket = net.connect({ host, port });
    const onAbort = () => {
      socket.destroy();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      const ms = msSince(t0);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ms);
    });
    socket.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(e);
    });
  });
}

export async function runTcp(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = def.spec as CheckOf<'tcp'>;
  const hp = parseHostPort(spec.tcp);
  if (!hp) return { status: 'unknown', message: `not host:port: ${safeText(spec.tcp)}`, latencyMs: null };
  const target = await resolveHost(env.docker, hp.host);
  if (!target) return { status: 'crit', message: `host not found: ${safeText(hp.host)}`, latencyMs: null };
  const details = { host: safeText(hp.host), port: hp.port, ...(target.container ? { containerAddress: target.address } : {}) };
  try {
    const ms = await tcpConnect(target.address, hp.port, env.signal);
    return { status: 'ok', message: `connected in ${Math.round(ms)} ms`, latencyMs: ms, details };
  } catch (e) {
    if (env.signal.aborted) throw e;
    return { status: 'crit', message: errorMessage(e), latencyMs: null, details };
  }
}
