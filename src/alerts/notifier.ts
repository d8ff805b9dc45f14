/**
 * Webhook delivery: one POST per alert, generic JSON or a Slack-compatible `{ text }`. Retries with
 * exponential back-off (1 s, 2 s, 4 s, …) on network errors, timeouts, 5xx and 429; a 4xx is the
 * receiver refusing this payload, and sending it again would not change its mind. An alert is sent at
 * most once (by id), however often deliver() is called. Never rejects: the outcome, and every
 * attempt's error, is recorded on the alert's row.
 */
import { hostname } from 'node:os';
import type { AlertsConfig } from '../../config/schema.js';
import type { CheckStatus } from '../checks/types.js';
import type { DB } from '../store/db.js';
import { getAlert, noteDelivery, type AlertRecord } from '../store/checks.js';
import { VERSION } from '../version.js';

export type WebhookConfig = NonNullable<AlertsConfig['webhook']>;

/** What the receiver gets with format json. */
export interface AlertPayload {
  host: string;
  check: string;
  kind: AlertRecord['kind'];
  from: CheckStatus | null;
  to: CheckStatus;
  message: string;
  /** ISO time of the transition or reminder. */
  at: string;
  /** The checked URL, for http checks. */
  url?: string;
}

export interface AlertExtra {
  /** The checked URL, for http checks. */
  url?: string;
}

export function alertPayload(alert: AlertRecord, host: string, extra: AlertExtra = {}): AlertPayload {
  const p: AlertPayload = { host, check: alert.check, kind: alert.kind, from: alert.from, to: alert.to, message: alert.message, at: alert.at };
  if (extra.url) p.url = extra.url;
  return p;
}

const SLACK_ICON: Record<CheckStatus, string> = { ok: ':white_check_mark:', warn: ':warning:', crit: ':red_circle:', unknown: ':grey_question:' };

/** Slack wants &, < and > escaped in text (they start links and mentions). */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One line a person reads: "CRIT api on web1: 503 Service Unavailable (was ok)". */
export function alertHeadline(alert: AlertRecord, host: string): string {
  const what =
    alert.kind === 'reminder' ? `STILL ${alert.to.toUpperCase()}`
    : alert.to === 'ok' && alert.from !== null ? 'RECOVERED'
    : alert.to.toUpperCase();
  const was = alert.kind === 'transition' && alert.from !== null ? ` (was ${alert.from})` : '';
  return `${what} ${alert.check} on ${host}: ${alert.message}${was}`;
}

export function slackPayload(alert: AlertRecord, host: string, extra: AlertExtra = {}): { text: string } {
  const head = alertHeadline(alert, host);
  const link = extra.url ? ` <${extra.url}|${slackEscape(extra.url)}>` : '';
  return { text: `${SLACK_ICON[alert.to]} ${slackEscape(head)}${link}` };
}

export function webhookBody(alert: AlertRecord, format: WebhookConfig['format'], host: string, extra: AlertExtra = {}): string {
  return JSON.stringify(format === 'slack' ? slackPayload(alert, host, extra) : alertPayload(alert, host, extra));
}

/** One HTTP POST; resolves with the status, rejects on network errors and timeouts. */
export type Post = (url: string, body: string, timeoutMs: number) => Promise<{ status: number; body?: string }>;

export const fetchPost: Post = async (url, body, timeoutMs) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': `opsdeck/${VERSION}` },
    body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'follow',
  });
  const text = await res.text().catch(() => '');
  return { status: res.status, body: text };
};

export interface Delivery {
  id: number;
  sent: boolean;
  attempts: number;
  error: string | null;
  /** It had been delivered before: nothing was sent this time. */
  duplicate?: boolean;
}

export interface NotifierOptions {
  webhook: WebhookConfig;
  /** Where attempts and results are recorded; without it only this process remembers. */
  db?: DB | null;
  host?: string;
  post?: Post;
  /** First back-off (default 1000 ms), doubled for every further retry. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Notifier {
  readonly host: string;
  private readonly post: Post;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly sent = new Set<number>();
  private readonly inflight = new Map<number, Promise<Delivery>>();

  constructor(private readonly opts: NotifierOptions) {
    this.host = opts.host ?? hostname();
    this.post = opts.post ?? fetchPost;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.sleep = opts.sleep ?? realSleep;
  }

  /** Sends the alert unless it was sent already (or is being sent: the same promise comes back). */
  deliver(alert: AlertRecord, extra: AlertExtra = {}): Promise<Delivery> {
    const running = this.inflight.get(alert.id);
    if (running) return running;
    const p = this.send(alert, extra).finally(() => this.inflight.delete(alert.id));
    this.inflight.set(alert.id, p);
    return p;
  }

  private alreadySent(alert: AlertRecord): boolean {
    if (this.sent.has(alert.id) || alert.notifiedAt !== null) return true;
    const db = this.opts.db;
    if (!db) return false;
    try {
      return getAlert(db, alert.id)?.notifiedAt != null;
    } catch {
      return false;
    }
  }

  private record(id: number, attempts: number, lastError: string | null, notifiedAt: number | null): void {
    const db = this.opts.db;
    if (!db) return;
    try {
      noteDelivery(db, id, { attempts, lastError, notifiedAt });
    } catch {
      // The store closed under us (the cockpit quit): the outcome goes unrecorded, nothing else to do.
    }
  }

  private async send(alert: AlertRecord, extra: AlertExtra): Promise<Delivery> {
    if (this.alreadySent(alert)) return { id: alert.id, sent: false, attempts: alert.attempts, error: null, duplicate: true };
    const { url, format, timeout, retries } = this.opts.webhook;
    let body: string;
    try {
      body = webhookBody(alert, format, this.host, extra);
    } catch (e) {
      const error = `cannot build the payload: ${errorText(e)}`;
      this.record(alert.id, alert.attempts, error, null);
      return { id: alert.id, sent: false, attempts: alert.attempts, error };
    }
    let attempts = alert.attempts;
    let error: string | null = null;
    for (let i = 0; i <= retries; i++) {
      if (i > 0) await this.sleep(this.backoffMs * 2 ** (i - 1));
      attempts++;
      let retry: boolean;
      try {
        const res = await this.post(url, body, timeout);
        if (res.status >= 200 && res.status < 300) {
          this.sent.add(alert.id);
          // last_error keeps the failure a retry got past: notified_at says it arrived.
          this.record(alert.id, attempts, error, Date.now());
          return { id: alert.id, sent: true, attempts, error: null };
        }
        error = `webhook answered HTTP ${res.status}${res.body ? `: ${oneLine(res.body)}` : ''}`;
        retry = res.status >= 500 || res.status === 429;
      } catch (e) {
        error = `webhook unreachable: ${errorText(e, timeout)}`;
        retry = true;
      }
      this.record(alert.id, attempts, error, null);
      if (!retry) break;
    }
    return { id: alert.id, sent: false, attempts, error };
  }
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** The error without the URL (webhook URLs carry their secret in the path). */
function errorText(e: unknown, timeoutMs?: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string }; code?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs ?? '?'} ms`;
  const cause = err?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return oneLine(cause.message);
  return oneLine(err?.message ?? String(e));
}
