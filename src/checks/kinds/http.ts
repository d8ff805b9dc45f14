/**
 * `http`: one request with Node's fetch. Expected status (default any 2xx), optional body substring,
 * latency against warnMs/critMs (default thresholds.http). A URL whose host does not resolve but
 * names a container is sent to that container's IP address.
 */
import type { CheckOf } from '../../../config/schema.js';
import { safeText } from '../../sanitize.js';
import type { CheckDef, CheckEnv, CheckOutcome, CheckStatus, DetailValue } from '../types.js';
import { errorMessage, msSince, resolveHost } from './util.js';

/** Body bytes read at most (for bodyContains and the preview). */
export const BODY_LIMIT = 256 * 1024;
const PREVIEW_BYTES = 200;

export interface HttpFacts {
  status: number;
  statusText: string;
  latencyMs: number;
  expectStatus?: number;
  /** Undefined when the check has no bodyContains. */
  bodyContains?: string;
  bodyHasIt?: boolean;
  warnMs: number;
  critMs: number;
}

/** Status and message of one response; pure. */
export function httpStatus(f: HttpFacts): { status: CheckStatus; message: string } {
  const head = `${f.status}${f.statusText ? ` ${f.statusText}` : ''}`;
  const took = `in ${Math.round(f.latencyMs)} ms`;
  const statusOk = f.expectStatus !== undefined ? f.status === f.expectStatus : f.status >= 200 && f.status < 300;
  if (!statusOk) return { status: 'crit', message: `${head} ${took} (expected ${f.expectStatus ?? '2xx'})` };
  if (f.bodyContains !== undefined && !f.bodyHasIt) return { status: 'crit', message: `${head} ${took}, body lacks ${JSON.stringify(safeText(f.bodyContains))}` };
  if (f.latencyMs >= f.critMs) return { status: 'crit', message: `${head} ${took} (slow, crit ${f.critMs} ms)` };
  if (f.latencyMs >= f.warnMs) return { status: 'warn', message: `${head} ${took} (slow, warn ${f.warnMs} ms)` };
  return { status: 'ok', message: `${head} ${took}` };
}

/** Reads up to `limit` bytes of a body and cancels the rest. */
async function readBody(res: Response, limit: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

export async function runHttp(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = def.spec as CheckOf<'http'>;
  const url = new URL(spec.http);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const target = await resolveHost(env.docker, hostname);
  if (!target) return { status: 'crit', message: `host not found: ${safeText(hostname)}`, latencyMs: null };
  if (target.container) url.hostname = target.address;

  const t0 = process.hrtime.bigint();
  let res: Response;
  try {
    res = await fetch(url, { signal: env.signal, redirect: 'follow', headers: { 'user-agent': 'opsdeck-check' } });
  } catch (e) {
    if (env.signal.aborted) throw e;
    return { status: 'crit', message: errorMessage(e), latencyMs: null, details: { url: safeText(spec.http) } };
  }
  const latencyMs = msSince(t0);
  const body = await readBody(res, spec.bodyContains !== undefined ? BODY_LIMIT : PREVIEW_BYTES);
  const text = body.toString('utf8');
  const { status, message } = httpStatus({
    status: res.status,
    statusText: safeText(res.statusText),
    latencyMs,
    expectStatus: spec.expectStatus,
    bodyContains: spec.bodyContains,
    bodyHasIt: spec.bodyContains !== undefined ? text.includes(spec.bodyContains) : undefined,
    warnMs: spec.warnMs ?? env.thresholds.http.warnMs,
    critMs: spec.critMs ?? env.thresholds.http.critMs,
  });
  const details: Record<string, DetailValue> = {
    url: safeText(spec.http),
    status: res.status,
    statusText: safeText(res.statusText),
    latencyMs,
  };
  if (target.container) details.containerAddress = target.address;
  if (res.redirected) details.finalUrl = safeText(res.url);
  for (const h of ['content-type', 'server', 'content-length']) {
    const v = res.headers.get(h);
    if (v !== null) details[h] = safeText(v);
  }
  details.body = safeText(body.subarray(0, PREVIEW_BYTES).toString('utf8'));
  return { status, message, latencyMs, details };
}
