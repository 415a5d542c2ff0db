import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerService, type BrokerOptions } from '../../broker/broker.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';
import { LocalDelivery, type LocalMessage } from '../../core/local-delivery.js';
import { topics } from '../../contract/mqtt/topics.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { count, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { faultyPool, type FaultyPool } from '../support/faults.js';

/**
 * Ingest and inference in the broker's process take its publishes directly (core/local-delivery.ts):
 * every reading a device had acknowledged is stored exactly once, the PUBACK comes only once the
 * reading is durable (committed, or spooled while the database is down), inference still judges the
 * readings, and what the broker's journal held for ingest's session is handed over at start.
 */
let t: TestPlatform;
let database: FaultyPool;
const clients: MqttClient[] = [];

async function connectDevice(): Promise<{ id: string; client: MqttClient }> {
  const { device, secret } = await t.platform.devices.create({ zoneId: 'z-park-square', kind: 'sound_level_meter' });
  const client = mqtt.connect(t.mqttUrl, { username: device.id, password: secret, clientId: device.id, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return { id: device.id, client };
}

const messages = (deviceId: string, n: number, seqStart: number, seed = 1) =>
  noiseRun({ deviceId, start: new Date(Date.now() - 30 * 60_000 + seqStart * 1000), seconds: n, source: 'background', laeq: 48, seed, seqStart });

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'broker,ingest,inference' }, { ingestPool: (pool) => (database = faultyPool(pool)).pool });
});

afterAll(async () => {
  database?.set(null);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await t?.stop();
});

describe('ingest in the broker’s process', () => {
  it('takes telemetry without a connection of its own', async () => {
    expect(await t.platform.metrics.value('mqtt_connected_clients')).toBe(1); // inference's (alerts, control), no ingest session
  });

  it('stores every acknowledged reading exactly once, and inference takes each of them', async () => {
    const fleet = await Promise.all(Array.from({ length: 4 }, () => connectDevice()));
    const PER = 400;
    // Judged, or dropped for a reason of the pipeline's own: either way inference took each reading.
    const taken = async () => (await t.platform.metrics.value('inference_readings_total')) + (await t.platform.metrics.value('inference_dropped_total'));
    const before = await taken();
    await Promise.all(fleet.map(({ id, client }, i) => Promise.all(messages(id, PER, 1, i).map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })))));
    const ids = fleet.map((d) => d.id);
    // Acknowledged means durable: every row is there the moment the last PUBACK arrived.
    expect(await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = ANY($1)', [ids])).toBe(fleet.length * PER);
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [ids])).toBe(fleet.length * PER);
    await waitFor(async () => (await taken()) - before >= fleet.length * PER || undefined, 'inference took every reading');
  });

  it('acknowledges a reading only once it is committed, or spooled while the database is down', async () => {
    const { id, client } = await connectDevice();
    const [first, second] = messages(id, 2, 1);
    database.set('hang');
    let acked = false;
    const published = client.publishAsync(first!.topic, first!.payload, { qos: 1 }).then(() => (acked = true));
    await waitFor(() => database.hangingConnects > 0 || undefined, 'a write waiting for the database');
    await new Promise((r) => setTimeout(r, 300));
    expect(acked).toBe(false);
    database.set(null);
    await published;
    expect(await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [id])).toBe(1);

    database.set('fail');
    await client.publishAsync(second!.topic, second!.payload, { qos: 1 }); // spooled, then acknowledged
    expect(await t.platform.metrics.value('ingest_spool_depth')).toBeGreaterThan(0);
    database.set(null);
    await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [id])) === 2 || undefined, 'the spooled reading replayed');
  });
});

describe('the broker’s journal at start', () => {
  it('hands what it held for ingest’s session to ingest in the process, and dequeues it once durable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-direct-'));
    const password = 'ingest-direct-password';
    const broker = (opts: Partial<BrokerOptions>) =>
      new BrokerService({ port: 0, host: '127.0.0.1', journalDir: dir, ...opts }, { verifyDevice: async () => true, servicePassword: password }, createLogger('silent'), new Metrics());
    const connect = async (port: number, opts: mqtt.IClientOptions) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
      await new Promise<void>((resolve, reject) => c.once('connect', () => resolve()).once('error', reject));
      return c;
    };
    try {
      // A run over MQTT: ingest's session subscribed, then gone; a device publishes meanwhile.
      const first = broker({});
      await first.start();
      const session = await connect(first.port, { username: 'service', password, clientId: 'svc-ingest', clean: false });
      await session.subscribeAsync('v1/devices/+/telemetry/+', { qos: 1 });
      await session.endAsync();
      const device = await connect(first.port, { username: 'd-journal', password: 'x', clientId: 'd-journal' });
      const sent = messages('d-journal', 5, 1);
      for (const m of sent) await device.publishAsync(m.topic, m.payload, { qos: 1 });
      await device.endAsync();
      await first.stop();

      // In-process ingest: the backlog comes first, in order, and leaves the journal once durable.
      const local = new LocalDelivery({ ingest: true, inference: false, ingestSession: 'svc-ingest' }, { maxClockSkewS: 300, maxAgeH: 24 });
      const second = broker({ local });
      await second.start();
      const taken: { message: LocalMessage; durable: () => void }[] = [];
      local.attachIngest((message, durable) => taken.push({ message, durable }));
      expect(taken.map((x) => x.message.payload.toString())).toEqual(sent.map((m) => m.payload));
      for (const x of taken) x.durable();
      await second.stop();

      // Nothing is queued for the session any more, and no subscription queues more for it.
      const third = broker({});
      await third.start();
      const received: string[] = [];
      const again = await connect(third.port, { username: 'service', password, clientId: 'svc-ingest', clean: false });
      again.on('message', (_topic, payload) => received.push(payload.toString()));
      const late = await connect(third.port, { username: 'd-journal', password: 'x', clientId: 'd-journal' });
      await late.publishAsync(topics.telemetry('d-journal', 'noise'), sent[0]!.payload, { qos: 1 });
      await new Promise((r) => setTimeout(r, 200));
      expect(received).toEqual([]);
      await Promise.all([again.endAsync(true), late.endAsync(true)]);
      await third.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
