import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { hostAllowed, isInternalAddress, retryDelayMs, urlProblem, type BackoffOptions, type UrlPolicy } from './policy.js';
import type { ClaimedDelivery, WebhookRepository } from './repository.js';
import { signedHeaders } from './signature.js';

export interface DeliveryOptions extends BackoffOptions {
  /** How often the queue is polled for due messages (ms). */
  pollMs: number;
  /** Messages claimed (and sent concurrently) per poll. */
  batch: number;
  /** Attempts before a message goes to the dead letters. */
  maxAttempts: number;
  /** Time allowed for one HTTP attempt (ms). */
  timeoutMs: number;
  url: UrlPolicy;
}

interface AttemptResult {
  status: number | null;
  error: string | null;
}

/** The lookup used for subscribers' host names: refuses internal addresses at connect time (DNS rebinding included). */
function guardedLookup(policy: UrlPolicy, url: URL): LookupFunction {
  const free = policy.allowPrivate || hostAllowed(url, policy);
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = free ? undefined : list.find((a) => isInternalAddress(a.address));
      if (bad) return callback(Object.assign(new Error(`${hostname} resolves to internal address ${bad.address}`), { code: 'EADDRNOTALLOWED' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** One POST: the status, or why there is none. Redirects are not followed (a 3xx is a failure). */
function post(rawUrl: string, headers: Record<string, string>, body: string, policy: UrlPolicy, timeoutMs: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const problem = urlProblem(rawUrl, policy);
    if (problem) return resolve({ status: null, error: `refused: ${problem}` });
    const url = new URL(rawUrl);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'riverside-enforcement-webhooks/1' },
      timeout: timeoutMs,
      ...(isIP(literal) ? {} : { lookup: guardedLookup(policy, url) }),
    });
    req.on('response', (res) => {
      res.resume(); // the receiver's answer body is not needed
      res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
      res.on('error', () => resolve({ status: res.statusCode ?? null, error: null }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: null, error: err.code ? `${err.code}: ${err.message}` : err.message }));
    req.end(body);
  });
}

/**
 * Sends the outbox: claims due deliveries, signs each attempt with every key in force (fresh
 * webhook-timestamp, same webhook-id), posts it, and records the outcome — 2xx delivered; anything
 * else retried with exponential backoff and full jitter until `maxAttempts`, then a dead letter that
 * an operator can retry. Messages live in the database, so a restart or a subscriber down for hours
 * loses nothing; several API replicas share the queue (enforcement-api/webhooks/repository.ts).
 */
export class WebhookDeliveryWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private readonly attempts;
  private readonly retries;
  private readonly dead;

  constructor(
    private readonly repo: WebhookRepository,
    private readonly opts: DeliveryOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.attempts = metrics.counter('webhook_attempts_total', 'webhook delivery attempts, by outcome', ['outcome']);
    this.retries = metrics.counter('webhook_retries_scheduled_total', 'failed webhook attempts that will be retried');
    this.dead = metrics.counter('webhook_dead_letters_total', 'webhook messages that exhausted their attempts');
    metrics.gauge('webhook_queue', 'webhook deliveries by state (pending, dead)', ['state'], async function () {
      const c = await repo.counts().catch(() => null);
      if (!c) return;
      this.set({ state: 'pending' }, c.pending);
      this.set({ state: 'dead' }, c.dead);
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(() => undefined).finally(() => {
        this.running = undefined;
        this.schedule(this.opts.pollMs);
      });
    }, ms);
  }

  /** One poll: claims due messages and sends them; returns how many were attempted. */
  async tick(): Promise<number> {
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.repo.claim(this.opts.batch, Math.ceil(this.opts.timeoutMs / 1000) + 30);
    } catch (err) {
      this.log.warn({ err }, 'webhook queue could not be read; retrying at the next poll');
      return 0;
    }
    await Promise.all(claimed.map((d) => this.deliver(d).catch((err: unknown) => this.log.error({ err, delivery: d.id }, 'webhook delivery failed to record'))));
    // A full batch: more may be due; go again at once.
    if (claimed.length === this.opts.batch && !this.stopped) return claimed.length + (await this.tick());
    return claimed.length;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    if (!(await this.repo.subscriberActive(d.subscriberId))) return this.repo.release(d);
    const secrets = await this.repo.secretsOf(d.subscriberId);
    const result = secrets.length === 0
      ? { status: null, error: 'no signing key in force' }
      : await post(d.url, signedHeaders(secrets, d.messageId, Math.floor(Date.now() / 1000), d.body), d.body, this.opts.url, this.opts.timeoutMs);
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      this.attempts.inc({ outcome: 'delivered' });
      await this.repo.delivered(d, result.status);
      return;
    }
    const error = result.error ?? `HTTP ${result.status}`;
    const dead = d.attempts >= this.opts.maxAttempts;
    this.attempts.inc({ outcome: result.status === null ? 'network_error' : 'http_error' });
    if (dead) this.dead.inc();
    else this.retries.inc();
    const retryInMs = dead ? 0 : retryDelayMs(d.attempts, this.opts);
    this.log[dead ? 'warn' : 'debug']({ delivery: d.id, message: d.messageId, subscriber: d.subscriberId, attempt: d.attempts, error, retryInMs }, dead ? 'webhook message dead-lettered' : 'webhook attempt failed');
    await this.repo.failed(d, { status: result.status, error, dead, retryInMs });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
