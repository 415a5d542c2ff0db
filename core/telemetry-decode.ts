import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PAYLOAD_SCHEMAS, STREAMS, type Reading, type Stream } from '../contract/mqtt/telemetry.js';
import { parseTelemetryTopic } from '../contract/mqtt/topics.js';

/**
 * Decodes telemetry messages (topic + raw payload). The payload is one reading (a JSON object) or a
 * batch: a JSON array of readings of the topic's stream, as store-and-forward devices and gateways
 * send them. Pure and total: no input makes these functions throw.
 *
 * - `decodeTelemetryMessage`: either form → the valid readings and, per bad element, why it was
 *   rejected (a bad element never costs the good ones), or a rejection of the whole message
 *   (topic, size, JSON, not an object or array, empty or too long a batch).
 * - `decodeTelemetry`: one reading only (an array is a schema violation), for callers that build
 *   single messages themselves.
 */
export const MAX_PAYLOAD_BYTES = 16 * 1024;
/** A batch (JSON array) may be this large and hold this many readings. */
export const MAX_BATCH_PAYLOAD_BYTES = 256 * 1024;
export const MAX_BATCH_READINGS = 500;

/** Why one reading is refused: its own content. */
export type ReadingRejectReason = 'schema' | 'bad_timestamp' | 'future_timestamp' | 'too_old';
/** Why a whole message is refused. */
export type RejectReason = ReadingRejectReason | 'bad_topic' | 'oversize' | 'invalid_json' | 'batch_too_large';

export type Decoded =
  | { ok: true; reading: Reading }
  | { ok: false; reason: RejectReason; deviceId: string | null; detail: string };

/** One element of a message refused on its own (for a single-object message, index 0). */
export interface ElementRejection {
  index: number;
  reason: ReadingRejectReason;
  detail: string;
  /** The element as parsed, for the dead-letter record. */
  value: unknown;
}

export type DecodedMessage =
  | { ok: true; deviceId: string; stream: Stream; batch: boolean; readings: Reading[]; rejected: ElementRejection[] }
  | { ok: false; reason: RejectReason; deviceId: string | null; detail: string };

export interface DecodeLimits {
  maxClockSkewS: number;
  maxAgeH: number;
}

const CHECKERS = Object.fromEntries(STREAMS.map((s) => [s, TypeCompiler.Compile(PAYLOAD_SCHEMAS[s])])) as {
  [S in Stream]: ReturnType<typeof TypeCompiler.Compile<(typeof PAYLOAD_SCHEMAS)[S]>>;
};


function parseTs(ts: string | number): Date | null {
  const d = typeof ts === 'number' ? new Date(ts) : /^\d{4}-\d{2}-\d{2}T/.test(ts) ? new Date(ts) : null;
  return d && Number.isFinite(d.getTime()) ? d : null;
}

type Rejection<R> = { ok: false; reason: R; deviceId: string | null; detail: string };
const refuse = <R>(reason: R, deviceId: string | null, detail: string): Rejection<R> => ({ ok: false, reason, deviceId, detail });

/** One parsed JSON value → a reading of the stream, or why not. */
function decodeReading(body: unknown, deviceId: string, stream: Stream, now: Date, limits: DecodeLimits): { ok: true; reading: Reading } | Rejection<ReadingRejectReason> {
  const checker = CHECKERS[stream];
  if (!checker.Check(body)) {
    const first = checker.Errors(body).First();
    return refuse('schema', deviceId, first ? `${first.path || '/'}: ${first.message}` : 'invalid');
  }
  const ts = parseTs(body.ts);
  if (!ts) return refuse('bad_timestamp', deviceId, `unparseable ts ${JSON.stringify(body.ts)}`);
  const aheadS = (ts.getTime() - now.getTime()) / 1000;
  if (aheadS > limits.maxClockSkewS) return refuse('future_timestamp', deviceId, `ts ${Math.round(aheadS)} s ahead of the server clock`);
  if (-aheadS > limits.maxAgeH * 3600) return refuse('too_old', deviceId, `ts older than ${limits.maxAgeH} h`);
  // The checker proved the payload matches the stream's schema.
  return { ok: true, reading: { stream, deviceId, ts, seq: body.seq, payload: body } as Reading };
}

/** Whether the payload's first non-whitespace byte opens a JSON array (a batch). */
function opensArray(payload: Uint8Array): boolean {
  for (const b of payload) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x5b;
  }
  return false;
}

/**
 * Telemetry topics already taken apart: fan-in traffic is a few thousand device topics published over
 * and over, and splitting each again was 4% of the process's CPU. Bounded: past it, it starts again.
 */
const TOPICS = new Map<string, { deviceId: string; stream: Stream } | null>();
const MAX_TOPICS = 50_000;

function telemetryTopic(topic: string): { deviceId: string; stream: Stream } | null {
  let t = TOPICS.get(topic);
  if (t === undefined) {
    t = parseTelemetryTopic(topic);
    if (TOPICS.size >= MAX_TOPICS) TOPICS.clear();
    TOPICS.set(topic, t);
  }
  return t;
}

type Opened = { deviceId: string; stream: Stream; body: unknown };

/** Topic, size and JSON: the message's device, stream and parsed body, or the message's rejection. */
function open(topic: string, payload: Uint8Array, maxBytes: number): Opened | Rejection<RejectReason> {
  const t = telemetryTopic(topic);
  if (!t) return refuse('bad_topic', null, `not a telemetry topic: ${topic.slice(0, 120)}`);
  if (payload.byteLength > maxBytes) return refuse('oversize', t.deviceId, `${payload.byteLength} bytes > ${maxBytes}`);
  try {
    const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    return { deviceId: t.deviceId, stream: t.stream, body: JSON.parse(text) as unknown };
  } catch (err) {
    return refuse('invalid_json', t.deviceId, (err as Error).message);
  }
}

/** One reading; a batch (array) is refused as a schema violation. */
export function decodeTelemetry(topic: string, payload: Uint8Array, now: Date, limits: DecodeLimits): Decoded {
  const m = open(topic, payload, MAX_PAYLOAD_BYTES);
  return 'ok' in m ? m : decodeReading(m.body, m.deviceId, m.stream, now, limits);
}

/** One reading or a batch of them → the valid readings and the refused elements, or the message's rejection. */
export function decodeTelemetryMessage(topic: string, payload: Uint8Array, now: Date, limits: DecodeLimits): DecodedMessage {
  const batch = opensArray(payload);
  const m = open(topic, payload, batch ? MAX_BATCH_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES);
  if ('ok' in m) return m;
  const { deviceId, stream, body } = m;
  const elements: unknown[] = Array.isArray(body) ? body : [body];
  if (Array.isArray(body)) {
    if (body.length === 0) return refuse('schema', deviceId, 'an empty batch: expected 1 to 500 readings');
    if (body.length > MAX_BATCH_READINGS) return refuse('batch_too_large', deviceId, `${body.length} readings > ${MAX_BATCH_READINGS}`);
  } else if (body === null || typeof body !== 'object') {
    return refuse('schema', deviceId, 'expected a reading (JSON object) or a batch of them (JSON array)');
  }
  const readings: Reading[] = [];
  const rejected: ElementRejection[] = [];
  for (let index = 0; index < elements.length; index++) {
    const value = elements[index];
    const d = decodeReading(value, deviceId, stream, now, limits);
    if (d.ok) readings.push(d.reading);
    else rejected.push({ index, reason: d.reason, detail: d.detail, value });
  }
  return { ok: true, deviceId, stream, batch: Array.isArray(body), readings, rejected };
}
