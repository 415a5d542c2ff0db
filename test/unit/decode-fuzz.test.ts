import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { decodeTelemetry, MAX_PAYLOAD_BYTES, type Decoded } from '../../core/telemetry-decode.js';
import { PAYLOAD_SCHEMAS, STREAMS, type Stream } from '../../core/schemas/telemetry.js';

/**
 * Property-based fuzzing of the telemetry decoder, the first thing every byte from a device meets:
 * whatever the topic and payload, it returns a reading or a known rejection reason and never throws;
 * every payload the contract allows is accepted.
 */
const now = new Date('2026-11-22T12:00:00Z');
const limits = { maxClockSkewS: 300, maxAgeH: 720 };
const REASONS = new Set(['bad_topic', 'oversize', 'invalid_json', 'schema', 'bad_timestamp', 'future_timestamp', 'too_old']);
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

/** A valid message damaged in one way: a field replaced, removed or added, bytes cut or flipped, re-wrapped. */
const mutated = fc.tuple(valid, fc.nat(), fc.jsonValue(), fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 255 }), fc.nat(5)).map(([m, pick, value, key, byte, kind]) => {
  const keys = Object.keys(m.payload);
  const target = keys[pick % keys.length] ?? 'ts';
  const json = JSON.stringify(m.payload);
  const raw = bytes(json);
  switch (kind) {
    case 0:
      return { topic: m.topic, payload: bytes(JSON.stringify({ ...m.payload, [target]: value })) };
    case 1: {
      const { [target]: _removed, ...rest } = m.payload;
      return { topic: m.topic, payload: bytes(JSON.stringify(rest)) };
    }
    case 2:
      return { topic: m.topic, payload: bytes(JSON.stringify({ ...m.payload, [key]: value })) };
    case 3:
      return { topic: m.topic, payload: raw.subarray(0, pick % raw.length) };
    case 4: {
      const copy = Buffer.from(raw);
      copy[pick % copy.length] = byte;
      return { topic: m.topic, payload: copy };
    }
    default:
      return { topic: m.topic, payload: bytes(JSON.stringify(pick % 2 ? [m.payload] : { payload: m.payload })) };
  }
});

describe('telemetry decoder under fuzzing', () => {
  it('never throws on arbitrary topics and arbitrary bytes', () => {
    fc.assert(fc.property(anyTopic, fc.uint8Array({ maxLength: 512 }), (topic, payload) => void decodeChecked(topic, payload)), { numRuns: RUNS });
  });

  it('never throws on arbitrary JSON, and rejects what is not an object of the stream', () => {
    fc.assert(
      fc.property(telemetryTopic, fc.jsonValue(), (topic, value) => {
        const d = decodeChecked(topic, bytes(JSON.stringify(value) ?? 'null'));
        if (value === null || typeof value !== 'object' || Array.isArray(value)) expect(d.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every payload the contract allows, whatever its device id and stream', () => {
    fc.assert(
      fc.property(valid, ({ topic, stream: s, payload }) => {
        const d = decodeChecked(topic, bytes(JSON.stringify(payload)));
        expect(d).toMatchObject({ ok: true, reading: { stream: s, seq: payload.seq } });
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on damaged valid payloads', () => {
    fc.assert(fc.property(mutated, ({ topic, payload }) => void decodeChecked(topic, payload)), { numRuns: RUNS * 2 });
  });

  it('refuses oversize payloads before parsing them', () => {
    fc.assert(
      fc.property(telemetryTopic, fc.integer({ min: 1, max: 4096 }), (topic, extra) => {
        const d = decodeChecked(topic, Buffer.alloc(MAX_PAYLOAD_BYTES + extra, 0x7b));
        expect(d.ok || d.reason).toBe('oversize');
      }),
      { numRuns: 200 },
    );
  });
});
