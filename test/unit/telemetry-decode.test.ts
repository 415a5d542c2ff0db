import { describe, expect, it } from 'vitest';
import { decodeTelemetry, decodeTelemetryMessage, MAX_BATCH_PAYLOAD_BYTES, MAX_BATCH_READINGS, MAX_PAYLOAD_BYTES } from '../../core/telemetry-decode.js';

const now = new Date('2026-11-22T12:00:00Z');
const limits = { maxClockSkewS: 300, maxAgeH: 720 };
const bands = Array.from({ length: 31 }, () => 40);
const noise = (over: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ ts: '2026-11-22T11:59:00Z', seq: 7, laeq: 55.2, lamax: 60.1, bands, ...over }));
const topic = 'v1/devices/slm-1/telemetry/noise';
const decode = (t: string, p: Uint8Array) => decodeTelemetry(t, p, now, limits);

describe('telemetry decoding', () => {
  it('accepts a valid noise reading with an ISO or epoch-ms timestamp', () => {
    const r = decode(topic, noise());
    expect(r).toMatchObject({ ok: true, reading: { stream: 'noise', deviceId: 'slm-1', seq: 7 } });
    const e = decode(topic, noise({ ts: now.getTime() - 1000 }));
    expect(e.ok && e.reading.ts.getTime()).toBe(now.getTime() - 1000);
    expect(decode('v1/devices/pc-1/telemetry/people', Buffer.from(JSON.stringify({ ts: now.getTime() - 60_000, seq: 1, count: 12 }))).ok).toBe(true);
  });

  it.each([
    ['bad_topic', 'v1/devices/slm-1/telemetry/weather', noise()],
    ['bad_topic', 'v1/devices//telemetry/noise', noise()],
    ['invalid_json', topic, Buffer.from('{"ts": ')],
    ['invalid_json', topic, Buffer.from([0xff, 0xfe, 0x00])],
    ['schema', topic, Buffer.from('null')],
    ['schema', topic, Buffer.from('[1,2]')],
    ['schema', topic, noise({ laeq: 400 })],
    ['schema', topic, noise({ laeq: '55' })],
    ['schema', topic, noise({ bands: bands.slice(1) })],
    ['schema', topic, noise({ seq: -1 })],
    ['schema', topic, noise({ seq: 1.5 })],
    ['bad_timestamp', topic, noise({ ts: '2026-13-45T99:00:00Z' })],
    ['bad_timestamp', topic, noise({ ts: 'yesterday at noon' })],
    ['future_timestamp', topic, noise({ ts: '2026-11-22T12:10:00Z' })],
    ['too_old', topic, noise({ ts: '2025-01-01T00:00:00Z' })],
    ['oversize', topic, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20)],
  ])('rejects %s (%s)', (reason, t, payload) => {
    const r = decode(t, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('names the failing field', () => {
    const r = decode(topic, noise({ lamax: 999 }));
    expect(!r.ok && r.detail).toMatch(/lamax/);
  });
});

describe('batched telemetry decoding', () => {
  const decodeMessage = (t: string, p: Uint8Array) => decodeTelemetryMessage(t, p, now, limits);
  const element = (over: Record<string, unknown> = {}) => ({ ts: '2026-11-22T11:59:00Z', seq: 7, laeq: 55.2, lamax: 60.1, bands, ...over });
  const batch = (elements: unknown[], space = '') => Buffer.from(space + JSON.stringify(elements));

  it('decodes a single object exactly as decodeTelemetry does: one reading, or its rejection', () => {
    const payloads: [string, Uint8Array][] = [
      [topic, noise()],
      [topic, noise({ ts: now.getTime() - 1000 })],
      ['v1/devices/slm-1/telemetry/weather', noise()],
      [topic, Buffer.from('{"ts": ')],
      [topic, Buffer.from('null')],
      [topic, Buffer.from('"text"')],
      [topic, noise({ laeq: 400 })],
      [topic, noise({ ts: 'yesterday at noon' })],
      [topic, noise({ ts: '2026-11-22T12:10:00Z' })],
      [topic, noise({ ts: '2025-01-01T00:00:00Z' })],
      [topic, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20)],
      [topic, Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(MAX_PAYLOAD_BYTES, 0x61), Buffer.from('"}')])],
    ];
    for (const [t, p] of payloads) {
      const one = decode(t, p);
      const m = decodeMessage(t, p);
      if (one.ok) {
        expect(m).toEqual({ ok: true, deviceId: 'slm-1', stream: 'noise', batch: false, readings: [one.reading], rejected: [] });
      } else if (m.ok) {
        // A well-formed object refused for its content: the message's only element is rejected.
        expect(m.readings).toEqual([]);
        expect(m.rejected).toEqual([{ index: 0, reason: one.reason, detail: one.detail, value: JSON.parse(Buffer.from(p).toString()) }]);
        expect(m.batch).toBe(false);
      } else {
        expect(m.reason).toBe(one.reason);
        expect(m.deviceId).toBe(one.deviceId);
      }
    }
  });

  it('keeps the good readings of a batch in order and rejects each bad element alone, with its index', () => {
    const elements = [
      element({ seq: 1 }),
      element({ seq: 2, laeq: 400 }),
      element({ seq: 3, ts: now.getTime() - 30_000 }),
      element({ seq: 4, ts: '2026-11-22T13:00:00Z' }),
      42,
      element({ seq: 6, ts: '2025-01-01T00:00:00Z' }),
      element({ seq: 7, ts: 'yesterday at noon' }),
      [element({ seq: 8 })],
      element({ seq: 9 }),
    ];
    const m = decodeMessage(topic, batch(elements));
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.batch).toBe(true);
    expect(m.readings.map((r) => r.seq)).toEqual([1, 3, 9]);
    expect(m.readings.every((r) => r.deviceId === 'slm-1' && r.stream === 'noise')).toBe(true);
    expect(m.readings[1]?.ts.getTime()).toBe(now.getTime() - 30_000);
    expect(m.rejected.map((e) => [e.index, e.reason])).toEqual([
      [1, 'schema'],
      [3, 'future_timestamp'],
      [4, 'schema'],
      [5, 'too_old'],
      [6, 'bad_timestamp'],
      [7, 'schema'],
    ]);
    expect(m.rejected[0]?.detail).toMatch(/laeq/);
    expect(m.rejected[0]?.value).toEqual(elements[1]);
  });

  it('accepts a batch whose elements are all bad as a message, with no readings', () => {
    const m = decodeMessage(topic, batch([element({ laeq: -1 }), null]));
    expect(m).toMatchObject({ ok: true, readings: [], rejected: [{ index: 0, reason: 'schema' }, { index: 1, reason: 'schema' }] });
  });

  it('limits a batch to 500 readings and 256 KiB, a single object to 16 KiB, and refuses an empty one', () => {
    const full = Array.from({ length: MAX_BATCH_READINGS }, (_, i) => element({ seq: i }));
    const ok = decodeMessage(topic, batch(full));
    expect(ok.ok && ok.readings.length).toBe(MAX_BATCH_READINGS);
    expect(decodeMessage(topic, batch([...full, element()]))).toMatchObject({ ok: false, reason: 'batch_too_large', deviceId: 'slm-1' });
    expect(decodeMessage(topic, batch([]))).toMatchObject({ ok: false, reason: 'schema' });
    expect(decodeMessage(topic, Buffer.from(' \n\t[ ]'))).toMatchObject({ ok: false, reason: 'schema' });
    // Over 16 KiB is fine for a batch (leading whitespace does not hide it), not for one object.
    const big = batch(full.slice(0, 120), '\n  ');
    expect(big.byteLength).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(decodeMessage(topic, big)).toMatchObject({ ok: true, batch: true });
    const oversize = Buffer.concat([Buffer.from('['), Buffer.alloc(MAX_BATCH_PAYLOAD_BYTES, 0x20), Buffer.from(']')]);
    expect(decodeMessage(topic, oversize)).toMatchObject({ ok: false, reason: 'oversize' });
    expect(decodeMessage(topic, Buffer.from('[{"ts": '))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(decodeMessage('v1/devices/slm-1/telemetry/weather', batch([element()]))).toMatchObject({ ok: false, reason: 'bad_topic', deviceId: null });
  });

  it('is refused by decodeTelemetry, which takes one reading only', () => {
    expect(decode(topic, batch([element()]))).toMatchObject({ ok: false, reason: 'schema' });
  });
});
