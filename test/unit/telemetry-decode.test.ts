import { describe, expect, it } from 'vitest';
import { decodeTelemetry, MAX_PAYLOAD_BYTES } from '../../core/telemetry-decode.js';

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
