import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"): the
 * signed content is `${webhook-id}.${webhook-timestamp}.${body}`, signed with HMAC-SHA256 under the
 * base64-decoded part of a `whsec_` secret; `webhook-signature` holds one or more space-separated
 * `v1,<base64 signature>` (several while a key is rotated; other version prefixes such as `v1a` are
 * ignored). A receiver refuses a timestamp further than its tolerance from its own clock (replay
 * window) and may dedupe on webhook-id, which stays the same on every retry of one message.
 */

const PREFIX = 'whsec_';

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The HMAC key of a secret: the base64 after `whsec_` (the prefix is optional, as in the reference libraries). */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new RangeError('a webhook secret is whsec_ followed by base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length < 16 || key.length > 64) throw new RangeError('a webhook secret holds 16 to 64 bytes');
  return key;
}

/** `v1,<base64>` for one key. `timestamp` is in whole seconds. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery attempt, signed with every key in force (space-separated). */
export function signedHeaders(secrets: readonly string[], id: string, timestamp: number, body: string): Record<string, string> {
  if (secrets.length === 0) throw new RangeError('no signing key');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}

export type VerifyFailure = 'headers_missing' | 'timestamp_invalid' | 'timestamp_expired' | 'signature_invalid';
export type Verified = { ok: true; id: string; timestamp: number } | { ok: false; reason: VerifyFailure };

export interface VerifyInput {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/**
 * Checks a received message against the receiver's secrets (two while the sender rotates): the
 * timestamp within `toleranceS` of `nowS` on either side, then any `v1` signature matching any key,
 * compared in constant time. Replays (a webhook-id seen before) are the caller's check: it needs state.
 */
export function verify(secrets: readonly string[], msg: VerifyInput, nowS: number, toleranceS: number): Verified {
  if (!msg.id || !msg.timestamp || !msg.signature) return { ok: false, reason: 'headers_missing' };
  if (!/^\d{1,12}$/.test(msg.timestamp)) return { ok: false, reason: 'timestamp_invalid' };
  const timestamp = Number(msg.timestamp);
  if (Math.abs(nowS - timestamp) > toleranceS) return { ok: false, reason: 'timestamp_expired' };
  const given = msg.signature
    .split(' ')
    .map((part) => part.split(','))
    .filter(([version, sig]) => version === 'v1' && sig)
    .map(([, sig]) => Buffer.from(sig!, 'base64'));
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, msg.id, timestamp, msg.body).slice(3), 'base64');
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { ok: true, id: msg.id, timestamp };
  }
  return { ok: false, reason: 'signature_invalid' };
}
