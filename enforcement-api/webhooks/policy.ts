import { BlockList, isIP } from 'node:net';

/** Pure rules of the webhook exchange: retry delays, which addresses a subscriber may point at, what a case event is called outside. */

export interface BackoffOptions {
  /** First retry's ceiling (ms). */
  baseMs: number;
  /** Largest ceiling (ms): the exponential stops growing here. */
  maxMs: number;
}

/**
 * "Full jitter" exponential backoff: after the n-th failed attempt (n ≥ 1) wait a uniformly random
 * time in [0, min(max, base·2^(n-1))). Random spreading keeps many messages that failed together
 * (a subscriber down for hours) from retrying in lock-step when it comes back.
 */
export function retryDelayMs(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.floor(random() * ceiling);
}

/** Addresses no subscriber may reach unless allowed: loopback, private, link-local (cloud metadata), CGNAT, unspecified, multicast, reserved. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is private, loopback or otherwise internal (IPv4-mapped IPv6 judged as IPv4). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address: refuse
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface UrlPolicy {
  /** Hosts (names or addresses, optionally host:port) always allowed, even when internal or over plain http. */
  allowedHosts: readonly string[];
  /** Allow internal addresses for every host (tests, closed networks). */
  allowPrivate: boolean;
}

/** Why a subscriber URL is refused before any lookup, or null. Addresses a name resolves to are checked when connecting. */
export function urlProblem(raw: string, policy: UrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http and https URLs';
  if (url.username || url.password) return 'credentials in the URL are not accepted (the signature authenticates us)';
  const allowed = hostAllowed(url, policy);
  if (url.protocol === 'http:' && !allowed && !policy.allowPrivate) return 'plain http is accepted only for hosts in WEBHOOK_ALLOWED_HOSTS';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isInternalAddress(host) && !allowed && !policy.allowPrivate) return `${host} is an internal address (allow it with WEBHOOK_ALLOWED_HOSTS)`;
  if (/^(localhost|.*\.localhost|.*\.internal|.*\.local)$/i.test(host) && !allowed && !policy.allowPrivate) return `${host} is an internal name`;
  return null;
}

/** Whether the URL's host (or host:port) is on the allow-list. */
export function hostAllowed(url: URL, policy: UrlPolicy): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return policy.allowedHosts.some((h) => {
    const entry = h.toLowerCase();
    return entry === host || entry === `${host}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  });
}

/**
 * Case events that stay inside: who looked at which evidence is an access log, not news for a partner;
 * the party's statement and defence and the hearing's transcript are the party's own words in the case file.
 */
const INTERNAL_EVENTS = new Set(['evidence_viewed', 'evidence_exported', 'statement_recorded', 'hearing_held']);
const EVIDENCE_EVENTS = new Set(['evidence_added', 'evidence_reviewed', 'evidence_file_reviewed']);

/** The webhook event type of a case event, or null when it is not sent out. */
export function webhookEventType(caseEventType: string): string | null {
  if (INTERNAL_EVENTS.has(caseEventType)) return null;
  if (caseEventType === 'reported') return 'case.opened';
  if (EVIDENCE_EVENTS.has(caseEventType)) return 'case.evidence';
  return `case.${caseEventType.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}

/** Whether a subscriber's event list takes this type (`case.*` takes every case event). */
export function wants(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.includes(type) || (type.startsWith('case.') && eventTypes.includes('case.*'));
}

const PERSONAL = /party|identity|idnumber|phone|mobile|contact|address|complainant/i;

/** A copy without personal data (parties' identifiers, contacts): partners get the facts of the case, not who. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!PERSONAL.test(k)) out[k] = redact(v);
    return out;
  }
  return value;
}

/** The webhook-id of one case event: stable, so every attempt and every replica sends the same one. */
export const messageIdOf = (caseId: string, seq: number) => `msg_${caseId.replace(/-/g, '')}_${seq}`;
