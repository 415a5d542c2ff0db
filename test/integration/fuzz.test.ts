import net from 'node:net';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noiseRun } from '../../simulator/scenarios.js';
import { connectDevice, count, login, provision, startTestPlatform, waitFor, type Provisioned, type TestPlatform } from '../support/platform.js';

/**
 * Fuzzing the platform's edges (bounded: each property stops after FUZZ_RUNS runs or FUZZ_MS, whichever
 * comes first): random bytes before CONNECT, mutated packets after it, random telemetry payloads and
 * random HTTP parameters. Between runs a well-behaved device keeps publishing QoS 1 readings: at the end
 * every one it was acknowledged for is stored, and the platform is still ready.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const LIMIT = { numRuns: RUNS, interruptAfterTimeLimit: Number(process.env.FUZZ_MS ?? 15_000), markInterruptAsFailure: false };

let t: TestPlatform;
let fuzzer: Provisioned;
let good: Provisioned & { client: MqttClient };
let token: string;
let acknowledged = 0;

/** One good reading from the well-behaved device, counted once the broker acknowledged it. */
async function goodReading(): Promise<void> {
  const [m] = noiseRun({ deviceId: good.id, start: new Date(Date.now() - 3_600_000 + acknowledged * 1000), seconds: 1, source: 'background', laeq: 45, seed: acknowledged, seqStart: acknowledged + 1 });
  await good.client.publishAsync(m!.topic, m!.payload, { qos: 1 });
  acknowledged += 1;
}

/** Opens a raw connection, optionally logs in as the fuzzing device, writes `bytes`, and closes it. */
async function raw(bytes: Uint8Array, loggedIn: boolean): Promise<void> {
  const socket = net.connect(t.platform.broker!.port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (loggedIn) {
    const connack = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: fuzzer.id, keepalive: 30, username: fuzzer.id, password: Buffer.from(fuzzer.secret) }));
    await Promise.race([connack, closed]);
  }
  if (!socket.destroyed) socket.end(Buffer.from(bytes));
  await closed;
}

/** A valid PUBLISH of the fuzzing device, as bytes to mutate. */
const publishFrame = (payload: string, qos: 0 | 1) =>
  mqttPacket.generate({ cmd: 'publish', topic: `v1/devices/${fuzzer.id}/telemetry/noise`, payload: Buffer.from(payload), qos, messageId: qos ? 7 : undefined, dup: false, retain: false });

const validNoise = () => noiseRun({ deviceId: 'x', start: new Date(Date.now() - 60_000), seconds: 1, source: 'music', laeq: 60, seed: 1, seqStart: 1 })[0]!.payload;

/** Flips, cuts or extends a buffer at fuzzer-chosen places. */
const mutated = (base: () => Buffer) =>
  fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.option(fc.nat()), fc.uint8Array({ maxLength: 20 })).map(([flips, cut, tail]) => {
    const b = Buffer.from(base());
    for (const [at, v] of flips) b[at % b.length] = v;
    return Buffer.concat([cut === null ? b : b.subarray(0, cut % (b.length + 1)), Buffer.from(tail)]);
  });

beforeAll(async () => {
  t = await startTestPlatform();
  const admin = await login(t, 'admin');
  token = await login(t, 'east.li');
  fuzzer = await provision(t, admin, 'z-park-square');
  const g = await provision(t, admin, 'z-park-square');
  good = { ...g, client: await connectDevice(t, g.id, g.secret) };
});

afterAll(async () => {
  await good?.client.endAsync(true);
  await t?.stop();
});

describe('fuzz', () => {
  it('survives random bytes before CONNECT', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      await raw(bytes, false);
      await goodReading();
    }), LIMIT);
  });

  it('survives mutated packets after CONNECT', async () => {
    const frames = fc.oneof(
      mutated(() => publishFrame(validNoise(), 1)),
      mutated(() => publishFrame(validNoise(), 0)),
      mutated(() => mqttPacket.generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: `v1/devices/${fuzzer.id}/commands/#`, qos: 1 }] })),
      mutated(() => mqttPacket.generate({ cmd: 'pingreq' })),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(fc.asyncProperty(fc.array(frames, { minLength: 1, maxLength: 4 }), async (list) => {
      await raw(Buffer.concat(list), true);
      await goodReading();
    }), LIMIT);
  });

  it('drops random telemetry payloads without losing the good device’s readings', async () => {
    // One device of each kind, each sending the streams its kind measures (broker/policy.ts).
    const admin = await login(t, 'admin');
    const kinds = { noise: 'sound_level_meter', status: 'sound_level_meter', people: 'people_counter', tracks: 'camera', smoke: 'smoke_detector' } as const;
    const devices = new Map<string, Provisioned & { client: MqttClient }>();
    for (const kind of new Set(Object.values(kinds))) {
      const d = kind === 'sound_level_meter' ? fuzzer : await provision(t, admin, 'z-park-square', { kind });
      devices.set(kind, { ...d, client: await connectDevice(t, d.id, d.secret) });
    }
    try {
      const reading = fc.record({
        ts: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer(), fc.string(), fc.constant(null)),
        seq: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.bigInt().map(String)),
        laeq: fc.oneof(fc.double(), fc.string()),
        lamax: fc.double(),
        bands: fc.array(fc.double(), { maxLength: 40 }),
      }, { requiredKeys: [] });
      const payload = fc.oneof(
        fc.json(),
        fc.string({ unit: 'binary' }),
        reading.map((r) => JSON.stringify(r)),
        fc.array(reading, { maxLength: 5 }).map((r) => JSON.stringify(r)),
        mutated(() => Buffer.from(validNoise())).map((b) => b.toString('latin1')),
      );
      const stream = fc.constantFrom('noise', 'people', 'tracks', 'smoke', 'status');
      await fc.assert(fc.asyncProperty(stream, payload, async (s, p) => {
        const d = devices.get(kinds[s])!;
        if (!d.client.connected) return;
        await d.client.publishAsync(`v1/devices/${d.id}/telemetry/${s}`, p, { qos: 1 });
        await goodReading();
      }), LIMIT);
    } finally {
      for (const d of devices.values()) await d.client.endAsync(true);
    }
  });

  it('answers random HTTP parameters with 4xx, never 5xx', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const enc = encodeURIComponent;
    const url = fc.oneof(
      text.map((s) => `/api/v1/cases/${enc(s)}`),
      fc.tuple(text, text, text).map(([id, stream, from]) => `/api/v1/devices/${enc(id)}/readings?stream=${enc(stream)}&from=${enc(from)}`),
      fc.tuple(text, text).map(([from, to]) => `/api/v1/devices/${good.id}/readings?stream=noise&bucket=1m&from=${enc(from)}&to=${enc(to)}`),
      fc.tuple(text, text).map(([id, from]) => `/api/v1/zones/${enc(id)}/noise/hourly?from=${enc(from)}`),
      fc.tuple(text, text, text).map(([state, limit, offset]) => `/api/v1/cases?state=${enc(state)}&limit=${enc(limit)}&offset=${enc(offset)}`),
      fc.tuple(text, text).map(([cursor, limit]) => `/api/v1/devices/${good.id}/readings?stream=noise&cursor=${enc(cursor)}&limit=${enc(limit)}`),
    );
    await fc.assert(fc.asyncProperty(url, async (u) => {
      const r = await fetch(`${t.http}${u}`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      expect(r.status, u).toBeLessThan(500);
    }), LIMIT);
    await fc.assert(fc.asyncProperty(fc.json(), async (body) => {
      const r = await fetch(`${t.http}/api/v1/cases/00000000-0000-4000-8000-000000000000/transitions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      expect(r.status, body).toBeLessThan(500);
    }), LIMIT);
  });

  it('is still ready, and stored every reading it acknowledged', async () => {
    expect(acknowledged).toBeGreaterThan(0);
    await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [good.id])) === acknowledged || undefined, `${acknowledged} acknowledged readings stored`);
    expect((await fetch(`${t.http}/readyz`)).status).toBe(200);
    expect(good.client.connected).toBe(true);
  });
});
