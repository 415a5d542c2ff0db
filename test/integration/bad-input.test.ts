import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { noiseRun } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * Bad input through the real broker and services: every kind is refused or dropped with a counter and
 * a log line, and good data before and after it still flows.
 */
let t: TestPlatform;
let dev: { id: string; secret: string; client: MqttClient };
const extra: MqttClient[] = [];

const metric = (name: string, labels: Record<string, string> = {}) => t.platform.metrics.value(name, labels);
const stored = () => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [dev.id]);

async function goodReading(seq: number) {
  const [m] = noiseRun({ deviceId: dev.id, start: new Date(Date.now() - 60_000 + seq), seconds: 1, source: 'background', laeq: 45, seed: seq, seqStart: seq });
  await dev.client.publishAsync(m!.topic, m!.payload, { qos: 1 });
}

beforeAll(async () => {
  t = await startTestPlatform();
  const admin = await login(t, 'admin');
  const d = await provision(t, admin, 'z-park-square');
  dev = { ...d, client: await connectDevice(t, d.id, d.secret) };
});

afterAll(async () => {
  await Promise.all([dev?.client, ...extra].filter(Boolean).map((c) => c!.endAsync(true)));
  await t?.stop();
});

describe('bad input', () => {
  it('drops malformed JSON and wrong schemas with a reason counter, and keeps storing good readings', async () => {
    await goodReading(1);
    await waitFor(async () => (await stored()) === 1 || undefined, 'the first good reading');
    const topic = `v1/devices/${dev.id}/telemetry/noise`;
    await dev.client.publishAsync(topic, '{"ts": "2026-', { qos: 1 });
    await dev.client.publishAsync(topic, JSON.stringify({ ts: new Date().toISOString(), seq: 99, laeq: 400, lamax: 60, bands: [] }), { qos: 1 });
    await dev.client.publishAsync(topic, JSON.stringify({ ts: new Date(Date.now() + 3_600_000).toISOString(), seq: 98, laeq: 50, lamax: 60, bands: Array(31).fill(30) }), { qos: 1 });
    await goodReading(2);
    await waitFor(async () => (await stored()) === 2 || undefined, 'the reading after the bad ones');
    expect(await metric('ingest_readings_rejected_total', { reason: 'invalid_json', device: dev.id })).toBe(1);
    expect(await metric('ingest_readings_rejected_total', { reason: 'schema', device: dev.id })).toBe(1);
    expect(await metric('ingest_readings_rejected_total', { reason: 'future_timestamp', device: dev.id })).toBe(1);
    expect(dev.client.connected).toBe(true);
  });

  it('refuses an unknown device and a wrong secret at login', async () => {
    const before = await metric('mqtt_auth_failures_total');
    await expect(connectDevice(t, 'no-such-device', 'whatever-secret')).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(connectDevice(t, dev.id, 'not-the-secret')).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(connectDevice(t, 'service', 'guess')).rejects.toThrow(/Bad username or password|Not authorized/i);
    expect(await metric('mqtt_auth_failures_total')).toBe(before + 3);
  });

  it('disconnects a device that publishes outside its own topics; the others carry on', async () => {
    const admin = await login(t, 'admin');
    const rogue = await provision(t, admin, 'z-park-square');
    const client = await connectDevice(t, rogue.id, rogue.secret);
    extra.push(client);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(`v1/devices/${dev.id}/telemetry/noise`, 'spoofed', { qos: 1 });
    await closed;
    expect(await metric('mqtt_refused_total', { action: 'publish' })).toBe(1);
    // Nothing spoofed was stored under the victim's id, and the victim still publishes.
    const before = await stored();
    await goodReading(3);
    await waitFor(async () => (await stored()) === before + 1 || undefined, 'the victim’s next reading');
  });

  it('refuses a subscription to another device’s commands without dropping the subscriber', async () => {
    // SUBACK 0x80: mqtt.js turns a refused subscription into an error.
    await expect(dev.client.subscribeAsync('v1/devices/other-device/commands/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const own = await dev.client.subscribeAsync(`v1/devices/${dev.id}/commands/#`, { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    expect(await metric('mqtt_refused_total', { action: 'subscribe' })).toBe(1);
    expect(dev.client.connected).toBe(true);
  });

  it('answers bad HTTP input with a 4xx and a stable code, and keeps serving', async () => {
    const admin = await login(t, 'admin');
    expect((await api(t, null, 'POST', '/api/v1/auth/login', { username: 'admin' })).body).toMatchObject({ code: 'VALIDATION' });
    const bad = await fetch(`${t.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(bad.status).toBe(400);
    expect((await api(t, admin, 'POST', '/api/v1/devices', { zoneId: "z'; DROP TABLE devices; --", kind: 'sound_level_meter' })).body).toMatchObject({ code: 'ZONE_NOT_FOUND' });
    expect((await api(t, admin, 'GET', '/api/v1/cases/not-a-uuid')).status).toBe(400);
    expect((await api(t, null, 'GET', '/healthz')).status).toBe(200);
    expect(await count(t, 'SELECT 1 FROM devices')).toBeGreaterThan(0);
  });
});
