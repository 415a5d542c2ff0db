import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  decodeTelemetry,
  decodeTelemetryMessage,
  MAX_BATCH_PAYLOAD_BYTES,
  MAX_BATCH_READINGS,
  MAX_PAYLOAD_BYTES,
  type Decoded,
  type DecodedMessage,
} from '../../core/telemetry-decode.js';
import { PAYLOAD_SCHEMAS, STREAMS, type Stream } from '../../contract/mqtt/telemetry.js';

/**
 * Property-based fuzzing of the telemetry decoder, the first thing every byte from a device meets:
 * whatever the topic and payload, it returns a reading or a known rejection reason and never throws;
 * every payload the contract allows is accepted. The same for batches (JSON arrays of readings):
 * a batch decodes element by element exactly as each element would on its own.
 */
const now = new Date('2026-11-22T12:00:00Z');
const limits = { maxClockSkewS: 300, maxAgeH: 720 };
const ELEMENT_REASONS = new Set(['schema', 'bad_timestamp', 'future_timestamp', 'too_old']);
const REASONS = new Set([...ELEMENT_REASONS, 'bad_topic', 'oversize', 'invalid_json', 'batch_too_large']);
const RUNS = 1000;

/** Runs the decoder and checks the shape of its answer; an exception fails the property. */
function decodeChecked(topic: string, payload: Uint8Array): Decoded {
  const d = decodeTelemetry(topic, payload, now, limits);
  if (d.ok) {
    // Whatever it accepts really is a valid payload of its stream, from the topic's device.
    expect(Value.Check(PAYLOAD_SCHEMAS[d.reading.stream], d.reading.payload)).toBe(true);
    expect(Number.isFinite(d.reading.ts.getTime())).toBe(true);
    expect(topic.split('/')[2]).toBe(d.reading.deviceId);
  } else {
    expect(REASONS.has(d.reason)).toBe(true);
    expect(typeof d.detail).toBe('string');
  }
  return d;
}

/**
 * The message decoder on the same input: every element of the message ends up exactly once, as a
 * valid reading or as a rejection with a known reason, and readings keep the elements' order.
 */
function decodeMessageChecked(topic: string, payload: Uint8Array): DecodedMessage {
  const d = decodeTelemetryMessage(topic, payload, now, limits);
  if (!d.ok) {
    expect(REASONS.has(d.reason)).toBe(true);
    expect(typeof d.detail).toBe('string');
    return d;
  }
  expect(payload.byteLength).toBeLessThanOrEqual(d.batch ? MAX_BATCH_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES);
  const body = JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
  const elements = Array.isArray(body) ? body : [body];
  expect(d.batch).toBe(Array.isArray(body));
  expect(elements.length).toBeGreaterThanOrEqual(1);
  expect(elements.length).toBeLessThanOrEqual(MAX_BATCH_READINGS);
  expect(d.readings.length + d.rejected.length).toBe(elements.length);
  for (const r of d.readings) {
    expect(Value.Check(PAYLOAD_SCHEMAS[r.stream], r.payload)).toBe(true);
    expect(Number.isFinite(r.ts.getTime())).toBe(true);
    expect(r.deviceId).toBe(d.deviceId);
    expect(r.stream).toBe(d.stream);
  }
  const indices = d.rejected.map((e) => e.index);
  expect(new Set(indices).size).toBe(indices.length);
  for (const e of d.rejected) {
    expect(ELEMENT_REASONS.has(e.reason)).toBe(true);
    expect(e.index).toBeGreaterThanOrEqual(0);
    expect(e.index).toBeLessThan(elements.length);
  }
  // The readings are the accepted elements, in order.
  const accepted = elements.filter((_, i) => !indices.includes(i));
  expect(d.readings.map((r) => r.payload)).toEqual(accepted);
  return d;
}

/** Both decoders on one input. */
function decodeBoth(topic: string, payload: Uint8Array): void {
  decodeChecked(topic, payload);
  decodeMessageChecked(topic, payload);
}

const deviceId = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !s.includes('/'));
const stream = fc.constantFrom(...STREAMS);
const telemetryTopic = fc.tuple(deviceId, stream).map(([d, s]) => `v1/devices/${d}/telemetry/${s}`);
const anyTopic = fc.oneof(telemetryTopic, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('v1/devices//telemetry/noise', 'v1/devices/a/telemetry/weather', 'v1/devices/a/status'));
const bytes = (s: string) => Buffer.from(s, 'utf8');

// Payloads the MQTT contract allows, per stream, with a timestamp inside the accepted window.
const level = (min = 0, max = 160) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const tsMs = fc.integer({ min: now.getTime() - (limits.maxAgeH * 3600 - 60) * 1000, max: now.getTime() + (limits.maxClockSkewS - 5) * 1000 });
const header = { ts: fc.oneof(tsMs, tsMs.map((ms) => new Date(ms).toISOString())), seq: fc.maxSafeNat() };
const text = (max: number) => fc.string({ maxLength: max });
const VALID: { [S in Stream]: fc.Arbitrary<Record<string, unknown>> } = {
  noise: fc.record(
    { ...header, laeq: level(), lamax: level(), intervalS: fc.double({ min: 0.001, max: 3600, noNaN: true }), bands: fc.array(level(-30, 160), { minLength: 31, maxLength: 31 }) },
    { requiredKeys: ['ts', 'seq', 'laeq', 'lamax', 'bands'] },
  ),
  people: fc.record({ ...header, count: fc.integer({ min: 0, max: 100_000 }) }),
  tracks: fc.record(
    { ...header, id: fc.string({ minLength: 1, maxLength: 64 }), dwellS: level(0, 86_400), waterlineM: level(0, 10_000), rodScore: level(0, 1), speedMps: level(0, 100), snapshot: text(512) },
    { requiredKeys: ['ts', 'seq', 'id', 'dwellS', 'waterlineM', 'rodScore', 'speedMps'] },
  ),
  smoke: fc.record({ ...header, obscuration: level(0, 100), temperatureC: level(-60, 200) }),
  status: fc.record(
    { ...header, battery: level(0, 100), signal: level(-200, 100), firmware: text(64), calibrationDue: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
    { requiredKeys: ['ts', 'seq'] },
  ),
};
const valid = fc.tuple(deviceId, stream).chain(([d, s]) => VALID[s].map((payload) => ({ topic: `v1/devices/${d}/telemetry/${s}`, stream: s, payload })));

/** A payload with one field replaced (0), removed (1) or added (2). */
function damageField(payload: Record<string, unknown>, pick: number, value: unknown, key: string, kind: number): Record<string, unknown> {
  const keys = Object.keys(payload);
  const target = keys[pick % keys.length] ?? 'ts';
  if (kind === 0) return { ...payload, [target]: value };
  if (kind === 2) return { ...payload, [key]: value };
  const { [target]: _removed, ...rest } = payload;
  return rest;
}

/** Bytes cut short, or with one byte changed. */
function damageBytes(raw: Buffer, pick: number, byte: number, cut: boolean): Buffer {
  if (cut) return raw.subarray(0, pick % raw.length);
  const copy = Buffer.from(raw);
  copy[pick % copy.length] = byte;
  return copy;
}

/** A reading of the stream damaged as a JSON value: a field replaced, removed or added, or not an object at all. */
const damagedElement = (s: Stream) =>
  fc
    .tuple(VALID[s], fc.nat(), fc.jsonValue(), fc.string({ maxLength: 12 }), fc.nat(3))
    .map(([payload, pick, value, key, kind]): unknown => (kind < 3 ? damageField(payload, pick, value, key, kind) : pick % 2 ? [payload] : value));

/** A batch on one device's stream: valid readings mixed with damaged ones. */
const mixedBatch = fc.tuple(deviceId, stream).chain(([d, s]) =>
  fc.array(fc.oneof(VALID[s], damagedElement(s)), { minLength: 1, maxLength: 25 }).map((elements) => ({ topic: `v1/devices/${d}/telemetry/${s}`, elements })),
);

/** A valid message damaged in one way: a field replaced, removed or added, bytes cut or flipped, re-wrapped. */
const mutated = fc.tuple(valid, fc.nat(), fc.jsonValue(), fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 255 }), fc.nat(5)).map(([m, pick, value, key, byte, kind]) => {
  if (kind < 3) return { topic: m.topic, payload: bytes(JSON.stringify(damageField(m.payload, pick, value, key, kind))) };
  if (kind < 5) return { topic: m.topic, payload: damageBytes(bytes(JSON.stringify(m.payload)), pick, byte, kind === 3) };
  return { topic: m.topic, payload: bytes(JSON.stringify(pick % 2 ? [m.payload] : { payload: m.payload })) };
});

describe('telemetry decoder under fuzzing', () => {
  it('never throws on arbitrary topics and arbitrary bytes', () => {
    fc.assert(fc.property(anyTopic, fc.uint8Array({ maxLength: 512 }), (topic, payload) => decodeBoth(topic, payload)), { numRuns: RUNS });
  });

  it('never throws on arbitrary JSON, and rejects what is not an object of the stream', () => {
    fc.assert(
      fc.property(telemetryTopic, fc.jsonValue(), (topic, value) => {
        const payload = bytes(JSON.stringify(value) ?? 'null');
        const d = decodeChecked(topic, payload);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) expect(d.ok).toBe(false);
        // As a message: anything but an object or a batch of 1–500 elements is refused whole.
        const m = decodeMessageChecked(topic, payload);
        const shaped = Array.isArray(value) ? value.length >= 1 && value.length <= MAX_BATCH_READINGS : value !== null && typeof value === 'object';
        expect(m.ok).toBe(shaped);
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every payload the contract allows, whatever its device id and stream', () => {
    fc.assert(
      fc.property(valid, ({ topic, stream: s, payload }) => {
        const d = decodeChecked(topic, bytes(JSON.stringify(payload)));
        expect(d).toMatchObject({ ok: true, reading: { stream: s, seq: payload.seq } });
        const m = decodeMessageChecked(topic, bytes(JSON.stringify(payload)));
        expect(m.ok && m.readings.map((r) => r.payload)).toEqual([JSON.parse(JSON.stringify(payload))]);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on damaged valid payloads', () => {
    fc.assert(fc.property(mutated, ({ topic, payload }) => decodeBoth(topic, payload)), { numRuns: RUNS * 2 });
  });

  it('decodes a batch element by element exactly as each element alone, keeping every valid one', () => {
    fc.assert(
      fc.property(mixedBatch, ({ topic, elements }) => {
        const m = decodeMessageChecked(topic, bytes(JSON.stringify(elements)));
        expect(m.ok).toBe(true);
        if (!m.ok) return;
        const alone = elements.map((e) => decodeTelemetry(topic, bytes(JSON.stringify(e) ?? 'null'), now, limits));
        expect(m.readings).toEqual(alone.flatMap((d) => (d.ok ? [d.reading] : [])));
        expect(m.rejected.map((e) => [e.index, e.reason])).toEqual(alone.flatMap((d, i) => (d.ok ? [] : [[i, d.reason]])));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on damaged batches: bytes cut or flipped, elements of another stream, wrong sizes', () => {
    const damaged = fc.tuple(mixedBatch, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(3), stream).map(([b, pick, byte, kind, other]) => {
      const raw = bytes(JSON.stringify(b.elements));
      if (kind < 2) return { topic: b.topic, payload: damageBytes(raw, pick, byte, kind === 0) };
      if (kind === 2) return { topic: b.topic.replace(/[^/]+$/, other), payload: raw };
      return { topic: b.topic, payload: bytes(JSON.stringify(Array.from({ length: MAX_BATCH_READINGS + 1 - (pick % 2) }, (_, i) => b.elements[i % b.elements.length]))) };
    });
    fc.assert(fc.property(damaged, ({ topic, payload }) => decodeBoth(topic, payload)), { numRuns: RUNS / 2 });
  });

  it('never throws on deeply nested JSON, as a batch or inside a reading', () => {
    fc.assert(
      fc.property(telemetryTopic, fc.integer({ min: 1, max: 100_000 }), fc.boolean(), (topic, depth, inside) => {
        const nest = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        const payload = inside ? `[{"ts":0,"seq":1,"x":${nest}}]` : nest;
        decodeBoth(topic, bytes(payload.slice(0, MAX_BATCH_PAYLOAD_BYTES)));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses oversize payloads before parsing them', () => {
    fc.assert(
      fc.property(telemetryTopic, fc.integer({ min: 1, max: 4096 }), (topic, extra) => {
        const d = decodeChecked(topic, Buffer.alloc(MAX_PAYLOAD_BYTES + extra, 0x7b));
        expect(d.ok || d.reason).toBe('oversize');
        const m = decodeMessageChecked(topic, Buffer.alloc(MAX_PAYLOAD_BYTES + extra, 0x7b));
        expect(m.ok || m.reason).toBe('oversize');
        const batch = decodeMessageChecked(topic, Buffer.alloc(MAX_BATCH_PAYLOAD_BYTES + extra, 0x5b));
        expect(batch.ok || batch.reason).toBe('oversize');
      }),
      { numRuns: 200 },
    );
  });
});
