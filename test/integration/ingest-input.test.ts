import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_USER } from '../../broker/policy.js';
import type { Reading } from '../../contract/mqtt/telemetry.js';
import { MAX_BATCH_PAYLOAD_BYTES, MAX_BATCH_READINGS, MAX_PAYLOAD_BYTES } from '../../core/telemetry-decode.js';
import { ReadingRepository } from '../../ingest/repository.js';
import type { WriteMethod } from '../../ingest/writers.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { count, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * What ingest does with everything that is not a plain good reading: bad input is counted per reason
 * and device and kept raw in a bounded dead-letter table (a bad element of a batch on its own); a row the database itself refuses is
 * isolated from its batch; presence messages and last wills update the registry. And its two write
 * paths store exactly what they are given.
 */
const SERVICE_PASSWORD = 'ingest-input-test-password';
let t: TestPlatform;
const clients: MqttClient[] = [];

async function connect(username: string, password: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(t.mqttUrl, { username, password, clientId: username, protocolVersion: 4, reconnectPeriod: 0, ...extra });
  clients.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return client;
}

/** A device of `kind` (a sound level meter unless said: a device publishes only its kind's streams). */
async function device(extra: mqtt.IClientOptions = {}, kind = 'sound_level_meter'): Promise<{ id: string; client: MqttClient }> {
  const { device: d, secret } = await t.platform.devices.create({ zoneId: 'z-park-square', kind });
  return { id: d.id, client: await connect(d.id, secret, extra) };
}

const rejected = (reason: string, device: string) => t.platform.metrics.value('ingest_readings_rejected_total', { reason, device });
const deadLetters = (device: string) =>
  t.platform.db.pool.query<{ reason: string; topic: string; payload: Buffer }>('SELECT reason, topic, payload FROM dead_letters WHERE device_id = $1 ORDER BY id', [device]);

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'broker,ingest', MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await t?.stop();
});

describe('ingest of bad input, refused rows and presence', () => {
  it('dead-letters every kind of bad telemetry with its raw payload and carries on storing good readings', async () => {
    const { id, client } = await device();
    const topic = `v1/devices/${id}/telemetry/noise`;
    const good = (seq: number, ts = new Date(Date.now() - 60_000)) => noiseRun({ deviceId: id, start: ts, seconds: 1, source: 'background', laeq: 45, seed: seq, seqStart: seq })[0]!.payload;
    const oversize = Buffer.alloc(MAX_PAYLOAD_BYTES + 4000, 0x20);
    const bad: [string, string | Buffer][] = [
      ['invalid_json', '{"ts": "2026-'],
      ['schema', good(2).replace(/"laeq":[\d.]+/, '"laeq":400')],
      ['future_timestamp', good(3, new Date(Date.now() + 3_600_000))],
      ['too_old', good(4, new Date(Date.now() - 40 * 86_400_000))],
      ['oversize', oversize],
    ];
    await client.publishAsync(topic, good(1), { qos: 1 });
    for (const [, payload] of bad) await client.publishAsync(topic, payload, { qos: 1 });
    await client.publishAsync(`v1/devices/${id}/status`, 'maybe', { qos: 1 });
    await client.publishAsync(topic, good(5), { qos: 1 });

    await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [id])) === 2 || undefined, 'the good readings');
    await waitFor(async () => (await deadLetters(id)).rows.length === bad.length + 1 || undefined, 'a dead letter per bad message');
    const rows = (await deadLetters(id)).rows;
    expect(rows.map((r) => r.reason)).toEqual([...bad.map(([reason]) => reason), 'bad_status']);
    bad.forEach(([reason, payload], i) => {
      const raw = Buffer.from(payload);
      expect(rows[i]?.payload.equals(raw.subarray(0, MAX_PAYLOAD_BYTES)), reason).toBe(true);
    });
    expect(rows[bad.length]?.topic).toBe(`v1/devices/${id}/status`);
    for (const [reason] of bad) expect(await rejected(reason, id), reason).toBe(1);
    expect(await t.platform.metrics.value('ingest_unacked')).toBe(0);
    expect(client.connected).toBe(true);
  });

  it('stores the good readings of a batch once, dead-letters each bad element with its reason, refuses whole batches past the limits', async () => {
    const { id, client } = await device();
    const topic = `v1/devices/${id}/telemetry/noise`;
    const start = Date.now() - 120_000;
    const run = (seconds: number, seqStart: number) =>
      noiseRun({ deviceId: id, start: new Date(start + (seqStart - 1) * 1000), seconds, source: 'background', laeq: 45, seed: seqStart, seqStart }).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    const first = run(12, 1);
    const bad: Record<number, [string, Record<string, unknown>]> = {
      2: ['schema', { laeq: 400 }],
      5: ['future_timestamp', { ts: new Date(Date.now() + 3_600_000).toISOString() }],
      9: ['bad_timestamp', { ts: 'yesterday at noon' }],
    };
    const elements = first.map((r, i) => (bad[i] ? { ...r, ...bad[i][1] } : r));
    const received = () => t.platform.metrics.value('ingest_readings_received_total', { stream: 'noise' });
    const committed = () => t.platform.metrics.value('ingest_readings_committed_total', { stream: 'noise' });
    const [received0, committed0] = [await received(), await committed()];

    await client.publishAsync(topic, JSON.stringify(elements), { qos: 1 });
    // Sent again with newer readings (a store-and-forward device whose PUBACK was lost): the overlap is skipped.
    await client.publishAsync(topic, JSON.stringify([...first.slice(10), ...run(4, 13)]), { qos: 1 });
    // Whole batches refused: empty, over 500 readings, over 256 KiB.
    const tooMany = JSON.stringify(Array.from({ length: MAX_BATCH_READINGS + 1 }, (_, i) => ({ ...first[0], seq: 100 + i })));
    const tooBig = `[${' '.repeat(MAX_BATCH_PAYLOAD_BYTES)}]`;
    await client.publishAsync(topic, '[]', { qos: 1 });
    await client.publishAsync(topic, tooMany, { qos: 1 });
    await client.publishAsync(topic, tooBig, { qos: 1 });

    const good = 12 - 3 + 4;
    await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [id])) === good || undefined, 'the good readings of both batches');
    await waitFor(async () => (await deadLetters(id)).rows.length === 6 || undefined, 'a dead letter per bad element and per refused batch');
    const rows = (await deadLetters(id)).rows;
    expect(rows.map((r) => r.reason)).toEqual(['schema', 'future_timestamp', 'bad_timestamp', 'schema', 'batch_too_large', 'oversize']);
    // An element's dead letter holds that element, and says which it was.
    const details = await t.platform.db.pool.query<{ detail: string }>('SELECT detail FROM dead_letters WHERE device_id = $1 ORDER BY id', [id]);
    expect(details.rows.slice(0, 3).map((r) => r.detail.split(':')[0])).toEqual(['reading 2', 'reading 5', 'reading 9']);
    [2, 5, 9].forEach((i, k) => expect(JSON.parse(rows[k]!.payload.toString('utf8'))).toEqual(elements[i]));
    expect(rows[4]?.payload.equals(Buffer.from(tooMany).subarray(0, MAX_PAYLOAD_BYTES))).toBe(true);
    // The stored rows are exactly the good readings, once each.
    const seqs = await t.platform.db.pool.query<{ seq: number }>('SELECT seq FROM noise_readings WHERE device_id = $1 ORDER BY seq', [id]);
    expect(seqs.rows.map((r) => Number(r.seq))).toEqual([1, 2, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15, 16]);
    expect(await committed()).toBe(committed0 + good);
    expect(await received()).toBe(received0 + 9 + 6); // readings, not messages (the 2 re-sent ones too)
    expect(await rejected('schema', id)).toBe(2);
    for (const reason of ['future_timestamp', 'bad_timestamp', 'batch_too_large', 'oversize']) expect(await rejected(reason, id), reason).toBe(1);
    await waitFor(async () => (await t.platform.metrics.value('ingest_unacked')) === 0 || undefined, 'every message acknowledged');
    expect(client.connected).toBe(true);
  });

  it('dead-letters telemetry of a device the registry does not know', async () => {
    const service = await connect(SERVICE_USER, SERVICE_PASSWORD);
    const ghost = 'ghost-device-1';
    const [m] = noiseRun({ deviceId: ghost, start: new Date(Date.now() - 60_000), seconds: 1, source: 'background', laeq: 45, seed: 1, seqStart: 1 });
    await service.publishAsync(m!.topic, m!.payload, { qos: 1 });
    await waitFor(async () => (await deadLetters(ghost)).rows.length === 1 || undefined, 'the unknown device’s dead letter');
    expect((await deadLetters(ghost)).rows[0]?.reason).toBe('unknown_device');
    expect(await rejected('unknown_device', ghost)).toBe(1);
    expect(await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [ghost])).toBe(0);
  });

  it('isolates a row the database refuses (text with NUL) and stores the rest of its batch', async () => {
    const { id, client } = await device({}, 'camera');
    const topic = `v1/devices/${id}/telemetry/tracks`;
    const track = (seq: number, trackId: string) =>
      JSON.stringify({ ts: Date.now() - 30_000 + seq, seq, id: trackId, dwellS: 10, waterlineM: 2, rodScore: 0.1, speedMps: 0.5 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => client.publishAsync(topic, track(i + 1, i === 20 ? 'bad\u0000id' : `t-${i}`), { qos: 1 })));
    await waitFor(async () => (await count(t, 'SELECT 1 FROM track_observations WHERE device_id = $1', [id])) === 39 || undefined, 'the 39 good track readings');
    await waitFor(async () => (await deadLetters(id)).rows.length === 1 || undefined, 'the refused row dead-lettered');
    expect((await deadLetters(id)).rows[0]?.reason).toBe('db_rejected');
    expect(await rejected('db_rejected', id)).toBe(1);
  });

  it('isolates a refused row inside a batch: the other readings of the same message are stored', async () => {
    const { id, client } = await device({}, 'camera');
    const topic = `v1/devices/${id}/telemetry/tracks`;
    const tracks = Array.from({ length: 40 }, (_, i) => ({ ts: Date.now() - 30_000 + i, seq: i + 1, id: i === 20 ? 'bad\u0000id' : `t-${i}`, dwellS: 10, waterlineM: 2, rodScore: 0.1, speedMps: 0.5 }));
    await client.publishAsync(topic, JSON.stringify(tracks.slice(0, 25)), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(tracks.slice(25)), { qos: 1 });
    await waitFor(async () => (await count(t, 'SELECT 1 FROM track_observations WHERE device_id = $1', [id])) === 39 || undefined, 'the 39 good track readings');
    await waitFor(async () => (await deadLetters(id)).rows.length === 1 || undefined, 'the refused row dead-lettered');
    const [row] = (await deadLetters(id)).rows;
    expect(row?.reason).toBe('db_rejected');
    expect(JSON.parse(row!.payload.toString('utf8'))).toEqual(tracks[20]);
    expect(await rejected('db_rejected', id)).toBe(1);
  });

  it('keeps the dead-letter table bounded to the newest rows', async () => {
    const repo = new ReadingRepository(t.platform.db.pool, t.platform.db.engine);
    const rows = Array.from({ length: 30 }, (_, i) => ({ deviceId: 'trim-test', topic: 't', reason: 'schema', detail: String(i), payload: Buffer.from([i]) }));
    await repo.insertDeadLetters(rows, MAX_PAYLOAD_BYTES);
    const before = await count(t, 'SELECT 1 FROM dead_letters');
    await repo.trimDeadLetters(10);
    expect(await count(t, 'SELECT 1 FROM dead_letters')).toBe(10);
    const kept = await t.platform.db.pool.query<{ detail: string }>(`SELECT detail FROM dead_letters WHERE device_id = 'trim-test' ORDER BY id`);
    expect(kept.rows.map((r) => r.detail)).toEqual(Array.from({ length: 10 }, (_, i) => String(20 + i)));
    expect(before).toBeGreaterThan(10);
  });

  it('tracks presence from the retained status topic and the last will, and last_seen_at from readings', async () => {
    const will = { topic: '', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const { device: d, secret } = await t.platform.devices.create({ zoneId: 'z-park-square', kind: 'sound_level_meter' });
    will.topic = `v1/devices/${d.id}/status`;
    const client = await connect(d.id, secret, { will });
    const presence = async () =>
      (await t.platform.db.pool.query<{ online: boolean; changed: Date | null; seen: Date | null }>(
        'SELECT online, presence_changed_at AS changed, last_seen_at AS seen FROM devices WHERE id = $1', [d.id])).rows[0];
    await client.publishAsync(will.topic, 'online', { qos: 1, retain: true });
    await waitFor(async () => (await presence())?.online === true || undefined, 'the device online');
    const online = await presence();
    expect(online?.changed).toBeInstanceOf(Date);

    const ts = new Date(Date.now() - 5000);
    const [m] = noiseRun({ deviceId: d.id, start: ts, seconds: 1, source: 'background', laeq: 45, seed: 1, seqStart: 1 });
    await client.publishAsync(m!.topic, m!.payload, { qos: 1 });
    await waitFor(async () => (await presence())?.seen?.getTime() === ts.getTime() || undefined, 'last_seen_at = the reading’s timestamp');

    client.stream.destroy(); // dropped without DISCONNECT: the broker publishes the last will
    await waitFor(async () => (await presence())?.online === false || undefined, 'the device offline by its last will');
    expect((await presence())?.changed?.getTime()).toBeGreaterThanOrEqual(online?.changed?.getTime() ?? Infinity);
    expect(await t.platform.metrics.value('ingest_presence_total', { state: 'offline' })).toBeGreaterThanOrEqual(1);
  });

  it('serves its batch, latency, spool and in-flight figures at /metrics', async () => {
    const text = await t.platform.metrics.registry.metrics();
    for (const name of ['ingest_batch_size_bucket', 'ingest_insert_duration_seconds_bucket', 'ingest_commit_latency_seconds_bucket', 'ingest_spool_depth', 'ingest_spool_alarm', 'ingest_unacked']) {
      expect(text, name).toContain(name);
    }
    expect(await t.platform.metrics.value('ingest_readings_committed_total')).toBeGreaterThan(0);
  });
});

/*
 * Both write paths store exactly what they are given — edge values, text that needs escaping, NULLs,
 * dates and timestamps on both sides of 2000-01-01 (the binary COPY epoch), the largest seq — and
 * both skip duplicates. The COPY path exists on a PostgreSQL server only.
 */
const bands = Array.from({ length: 31 }, (_, i) => [-30, 0, 42.123, 159.9][i % 4]!);
const at = (iso: string) => new Date(iso);

function readings(device: string): Reading[] {
  const ts = at('2026-03-01T08:00:00.123Z');
  return [
    { stream: 'noise', deviceId: device, ts, seq: 0, payload: { ts: 0, seq: 0, laeq: 0, lamax: 160, intervalS: 0.5, bands } },
    { stream: 'noise', deviceId: device, ts: at('1999-12-31T23:59:59.999Z'), seq: Number.MAX_SAFE_INTEGER, payload: { ts: 0, seq: 0, laeq: 61.7, lamax: 70.2, bands } },
    { stream: 'people', deviceId: device, ts, seq: 1, payload: { ts: 0, seq: 1, count: 100_000 } },
    { stream: 'tracks', deviceId: device, ts, seq: 2, payload: { ts: 0, seq: 2, id: 'tab\there new\nline cr\rback\\slash', dwellS: 86_400, waterlineM: 0, rodScore: 1, speedMps: 0.25, snapshot: 'ünïcode 中文 😀 \\N' } },
    { stream: 'tracks', deviceId: device, ts, seq: 3, payload: { ts: 0, seq: 3, id: 'x', dwellS: 0, waterlineM: 10_000, rodScore: 0, speedMps: 100 } },
    { stream: 'smoke', deviceId: device, ts, seq: 4, payload: { ts: 0, seq: 4, obscuration: 0, temperatureC: -60 } },
    { stream: 'status', deviceId: device, ts, seq: 5, payload: { ts: 0, seq: 5 } },
    { stream: 'status', deviceId: device, ts, seq: 6, payload: { ts: 0, seq: 6, battery: 50, signal: -120.5, firmware: 'v1.2\t3', calibrationDue: '1999-12-31' } },
    { stream: 'status', deviceId: device, ts, seq: 7, payload: { ts: 0, seq: 7, calibrationDue: '2027-02-28' } },
  ];
}

/** Everything stored for a device, table by table, without the device id and arrival time. */
async function stored(device: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of ['noise_readings', 'people_counts', 'track_observations', 'smoke_readings', 'device_status']) {
    const r = await t.platform.db.pool.query(`SELECT * FROM ${table} WHERE device_id = $1 ORDER BY seq`, [device]);
    out[table] = r.rows.map(({ device_id: _d, received_at: _r, ...row }: Record<string, unknown>) => ({ ...row, ts: (row.ts as Date).toISOString() }));
  }
  return out;
}

/** A clean batch, the same again with an in-batch duplicate, then one new reading among duplicates. */
async function writeThrice(method: WriteMethod, device: string) {
  const repo = new ReadingRepository(t.platform.db.pool, t.platform.db.engine, method);
  const batch = readings(device);
  const extra: Reading = { stream: 'people', deviceId: device, ts: at('2026-03-01T08:00:01Z'), seq: 100, payload: { ts: 0, seq: 100, count: 3 } };
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return [
    sum(await repo.write({ readings: batch, presence: [] })),
    sum(await repo.write({ readings: [...batch, batch[2]!], presence: [] })),
    sum(await repo.write({ readings: [extra, extra, batch[2]!], presence: [] })),
  ];
}

describe('ingest write paths', () => {
  it('unnest stores every value as given and skips duplicates', async () => {
    expect(await writeThrice('unnest', 'w-unnest')).toEqual([9, 0, 1]);
    const rows = await stored('w-unnest');
    expect(rows.noise_readings).toHaveLength(2);
    expect(rows.noise_readings?.[1]).toMatchObject({ seq: Number.MAX_SAFE_INTEGER, ts: '1999-12-31T23:59:59.999Z', laeq: 61.7 });
    expect(rows.track_observations?.[0]).toMatchObject({ track_id: 'tab\there new\nline cr\rback\\slash', snapshot: 'ünïcode 中文 😀 \\N' });
    expect(rows.device_status?.[0]).toMatchObject({ battery: null, signal: null, firmware: null, calibration_due: null });
    expect(rows.people_counts?.map((r) => (r as { count: number }).count)).toEqual([100_000, 3]);
  });

  it.skipIf(!process.env.DATABASE_URL)('COPY (binary) stores exactly what unnest stores, and skips duplicates', async () => {
    await writeThrice('unnest', 'w-ref');
    expect(await writeThrice('copy', 'w-copy')).toEqual([9, 0, 1]);
    expect(await stored('w-copy')).toEqual(await stored('w-ref'));
  });
});
