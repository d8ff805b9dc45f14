/**
 * `tls`: the certificate a server presents. Days until it expires against warnDays/critDays, expired
 * and hostname mismatch are crit, an untrusted chain (self-signed, unknown issuer) is a warning.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { CheckOf } from '../../../config/schema.js';
import { safeText } from '../../sanitize.js';
import { worst, type CheckDef, type CheckEnv, type CheckOutcome, type CheckStatus, type DetailValue } from '../types.js';
import { abortError, errorMessage, msSince, oneLine, resolveHost } from './util.js';

const DAY_MS = 86_400_000;

export interface TlsFacts {
  /** Whole days left (floor); negative once expired. */
  daysLeft: number;
  expired: boolean;
  notYetValid?: boolean;
  /** Undefined when the certificate matches the host name. */
  hostnameError?: string;
  /** Undefined when the chain verifies against the trusted CAs. */
  authorizationError?: string;
  warnDays: number;
  critDays: number;
  validTo: string;
}

/** Whole days from `now` to `validTo` (floor): a certificate made with -days 3 has 2 left a second later. */
export function daysUntil(validTo: Date, now: number): number {
  return Math.floor((validTo.getTime() - now) / DAY_MS);
}

/** Status and message from what the certificate says; pure. The worst problem leads the message. */
export function tlsStatus(f: TlsFacts): { status: CheckStatus; message: string } {
  const problems: { status: CheckStatus; text: string }[] = [];
  const day = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
  if (f.expired) problems.push({ status: 'crit', text: `expired ${day(-f.daysLeft)} ago (${f.validTo})` });
  else if (f.daysLeft <= f.critDays) problems.push({ status: 'crit', text: `expires in ${day(f.daysLeft)} (${f.validTo})` });
  else if (f.daysLeft <= f.warnDays) problems.push({ status: 'warn', text: `expires in ${day(f.daysLeft)} (${f.validTo})` });
  if (f.notYetValid) problems.push({ status: 'crit', text: 'not valid yet' });
  if (f.hostnameError) problems.push({ status: 'crit', text: `hostname mismatch: ${f.hostnameError}` });
  if (f.authorizationError) problems.push({ status: 'warn', text: `not trusted: ${f.authorizationError}` });
  if (problems.length === 0) return { status: 'ok', message: `valid for ${day(f.daysLeft)} (until ${f.validTo})` };
  const status = worst(problems.map((p) => p.status));
  const ordered = [...problems.filter((p) => p.status === status), ...problems.filter((p) => p.status !== status)];
  return { status, message: ordered.map((p) => p.text).join('; ') };
}

/** Friendlier words for OpenSSL's verification codes. */
const AUTH_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate (missing intermediate?)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown issuer',
  CERT_HAS_EXPIRED: 'certificate has expired',
};

interface Presented {
  cert: tls.PeerCertificate;
  authorized: boolean;
  authorizationError?: string;
  protocol: string | null;
  latencyMs: number;
}

function handshake(host: string, address: string, port: number, signal: AbortSignal): Promise<Presented> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const socket = tls.connect({
      host: address,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
    });
    const onAbort = () => {
      socket.destroy();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      const latencyMs = msSince(t0);
      const cert = socket.getPeerCertificate();
      const authError = socket.authorizationError as unknown;
      const result: Presented = {
        cert,
        authorized: socket.authorized,
        authorizationError: authError ? String((authError as Error).message ?? authError) : undefined,
        protocol: socket.getProtocol(),
        latencyMs,
      };
      socket.end();
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(e);
    });
  });
}

export async function runTls(def: CheckDef, env: CheckEnv): Promise<CheckOutcome> {
  const spec = (def.spec as CheckOf<'tls'>).tls;
  const host = spec.host;
  const port = spec.port ?? 443;
  const target = await resolveHost(env.docker, host);
  if (!target) return { status: 'crit', message: `host not found: ${safeText(host)}`, latencyMs: null };
  let p: Presented;
  try {
    p = await handshake(host, target.address, port, env.signal);
  } catch (e) {
    if (env.signal.aborted) throw e;
    return { status: 'crit', message: `TLS handshake failed: ${errorMessage(e)}`, latencyMs: null, details: { host: safeText(host), port } };
  }
  if (!p.cert || !p.cert.valid_to) return { status: 'crit', message: 'no certificate presented', latencyMs: p.latencyMs };
  const now = env.now();
  const validTo = new Date(p.cert.valid_to);
  const validFrom = new Date(p.cert.valid_from);
  const daysLeft = daysUntil(validTo, now);
  const idError = tls.checkServerIdentity(host, p.cert);
  const authCode = p.authorizationError;
  // Expiry and the name are judged on their own; the chain verdict adds "not trusted" only for other reasons.
  const authorizationError =
    p.authorized || !authCode || authCode === 'CERT_HAS_EXPIRED' || authCode === 'CERT_NOT_YET_VALID' ? undefined : (AUTH_ERRORS[authCode] ?? authCode);
  const validToText = validTo.toISOString().slice(0, 10);
  const { status, message } = tlsStatus({
    daysLeft,
    expired: validTo.getTime() <= now,
    notYetValid: validFrom.getTime() > now,
    hostnameError: idError ? oneLine(idError.message.replace(/^Hostname\/IP does not match certificate's altnames: /, ''), 120) : undefined,
    authorizationError,
    warnDays: spec.warnDays ?? 30,
    critDays: spec.critDays ?? 7,
    validTo: validToText,
  });
  const name = (v: unknown) => (Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : null);
  const details: Record<string, DetailValue> = {
    host: safeText(host),
    port,
    subject: safeText(name(p.cert.subject?.CN) ?? ''),
    issuer: safeText(name(p.cert.issuer?.CN) ?? name(p.cert.issuer?.O) ?? ''),
    subjectAltName: p.cert.subjectaltname ? safeText(p.cert.subjectaltname) : null,
    validFrom: validFrom.toISOString(),
    validTo: validTo.toISOString(),
    daysLeft,
    authorized: p.authorized,
    authorizationError: authCode ?? null,
    hostnameMatch: idError === undefined,
    protocol: p.protocol,
  };
  return { status, message, latencyMs: p.latencyMs, details };
}
