import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PAYLOAD_SCHEMAS, STREAMS, type Reading, type Stream } from './schemas/telemetry.js';

/**
 * Decodes one telemetry message (topic + raw payload) into a validated Reading, or a rejection with a
 * stable reason. Pure and total: no input makes it throw.
 */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export type RejectReason =
  | 'bad_topic'
  | 'oversize'
  | 'invalid_json'
  | 'schema'
  | 'bad_timestamp'
  | 'future_timestamp'
  | 'too_old';

export type Decoded =
  | { ok: true; reading: Reading }
  | { ok: false; reason: RejectReason; deviceId: string | null; detail: string };

export interface DecodeLimits {
  maxClockSkewS: number;
  maxAgeH: number;
}

const CHECKERS = Object.fromEntries(STREAMS.map((s) => [s, TypeCompiler.Compile(PAYLOAD_SCHEMAS[s])])) as {
  [S in Stream]: ReturnType<typeof TypeCompiler.Compile<(typeof PAYLOAD_SCHEMAS)[S]>>;
};
const STREAM_SET = new Set<string>(STREAMS);

/** `v1/devices/{deviceId}/telemetry/{stream}` → its parts, or null. */
export function parseTelemetryTopic(topic: string): { deviceId: string; stream: Stream } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'v1' || parts[1] !== 'devices' || parts[3] !== 'telemetry') return null;
  const deviceId = parts[2] ?? '';
  const stream = parts[4] ?? '';
  if (!deviceId || !STREAM_SET.has(stream)) return null;
  return { deviceId, stream: stream as Stream };
}

function parseTs(ts: string | number): Date | null {
  const d = typeof ts === 'number' ? new Date(ts) : /^\d{4}-\d{2}-\d{2}T/.test(ts) ? new Date(ts) : null;
  return d && Number.isFinite(d.getTime()) ? d : null;
}

export function decodeTelemetry(topic: string, payload: Uint8Array, now: Date, limits: DecodeLimits): Decoded {
  const t = parseTelemetryTopic(topic);
  if (!t) return { ok: false, reason: 'bad_topic', deviceId: null, detail: `not a telemetry topic: ${topic.slice(0, 120)}` };
  const { deviceId, stream } = t;
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: 'oversize', deviceId, detail: `${payload.byteLength} bytes > ${MAX_PAYLOAD_BYTES}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', deviceId, detail: (err as Error).message };
  }
  const checker = CHECKERS[stream];
  if (!checker.Check(body)) {
    const first = checker.Errors(body).First();
    return { ok: false, reason: 'schema', deviceId, detail: first ? `${first.path || '/'}: ${first.message}` : 'invalid' };
  }
  const ts = parseTs(body.ts);
  if (!ts) return { ok: false, reason: 'bad_timestamp', deviceId, detail: `unparseable ts ${JSON.stringify(body.ts)}` };
  const aheadS = (ts.getTime() - now.getTime()) / 1000;
  if (aheadS > limits.maxClockSkewS) {
    return { ok: false, reason: 'future_timestamp', deviceId, detail: `ts ${Math.round(aheadS)} s ahead of the server clock` };
  }
  if (-aheadS > limits.maxAgeH * 3600) {
    return { ok: false, reason: 'too_old', deviceId, detail: `ts older than ${limits.maxAgeH} h` };
  }
  // The checker proved the payload matches the stream's schema.
  const reading = { stream, deviceId, ts, seq: body.seq, payload: body } as Reading;
  return { ok: true, reading };
}
