import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerService } from '../../broker/broker.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';
import { INGEST_DEFAULTS } from '../../ingest/ingest.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { batched, count, freePort, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { faultyPool, type FaultyPool } from '../support/faults.js';

/**
 * Faults around ingest in the middle of a stream of QoS 1 telemetry from several real device clients.
 *
 * The database goes away: ingest spools to disk (acknowledging only what is on disk), replays in
 * order when the database answers again, and ends with exactly one row per distinct reading. A batch
 * message is spooled as one record and replayed once; its bad elements are counted once.
 *
 * The broker restarts (same port): the devices and ingest reconnect by themselves, and every reading
 * a device had acknowledged by the broker ends up stored, once. The broker journals ingest's
 * persistent session and every message queued for it before acknowledging the device, so the
 * restarted broker holds them — and the subscription — before the first device is back, however the
 * reconnect race goes (devices here reconnect as fast as ingest does).
 *
 * Ingest connects over MQTT here (MQTT_URL names the broker in the same process): the broker is
 * replaced by one of the test's own mid-stream, which ingest must reach by itself. (In the broker's
 * process without MQTT_URL ingest takes publishes directly: ingest-direct.test.ts.)
 */
const SERVICE_PASSWORD = 'ingest-faults-test-password';
let t: TestPlatform;
/** The pool ingest writes through: the test makes the database fail or hang there. */
let database: FaultyPool;
let port: number;
let restarted: BrokerService | undefined;
const devices: { id: string; client: MqttClient }[] = [];
const clients: MqttClient[] = [];

const metric = (name: string) => t.platform.metrics.value(name);
const ids = () => devices.map((d) => d.id);
/** Rows stored for the fleet; retried once when the test's own pooled connection was just terminated. */
const stored = async () => {
  const q = () => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = ANY($1)', [ids()]);
  return q().catch(q);
};
const spoolFiles = async () => (await readdir(path.join(t.platform.config.database.dataDir, 'spool'))).filter((f) => f.endsWith('.jsonl'));

async function connectDevice(reconnectPeriod: number): Promise<{ id: string; client: MqttClient }> {
  const { device, secret } = await t.platform.devices.create({ zoneId: 'z-park-square', kind: 'sound_level_meter' });
  const client = mqtt.connect(t.mqttUrl, { username: device.id, password: secret, clientId: device.id, protocolVersion: 4, reconnectPeriod });
  clients.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return { id: device.id, client };
}

beforeAll(async () => {
  port = await freePort(); // the broker restart must come back on the same port
  t = await startTestPlatform({ SERVICES: 'broker,ingest', MQTT_PORT: String(port), MQTT_URL: `mqtt://127.0.0.1:${port}`, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD }, {
    ingestPool: (pool) => (database = faultyPool(pool)).pool,
  });
  for (let i = 0; i < 5; i++) devices.push(await connectDevice(200));
});

afterAll(async () => {
  database?.set(null);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await t?.stop();
  await restarted?.stop();
});

/** Every device publishes `n` readings as fast as the broker takes them; resolves when all are PUBACKed. */
function publish(n: number, seqStart: number): Promise<unknown> {
  const start = new Date(Date.now() - 60 * 60_000 + seqStart * 1000); // every run ends in the past
  return Promise.all(
    devices.map(({ id, client }, i) =>
      Promise.all(noiseRun({ deviceId: id, start, seconds: n, source: 'background', laeq: 48, seed: i, seqStart }).map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 }))),
    ),
  );
}

/** On a PostgreSQL server, also cut every connection of the platform's database (as a server restart would). */
async function terminateBackends(): Promise<number> {
  if (t.platform.db.engine !== 'server') return 0;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    const r = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [
      new URL(t.platform.config.database.url ?? '').pathname.slice(1),
    ]);
    return r.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('database outage mid-stream', () => {
  it('spools while the database is down, replays in order when it returns, and loses or duplicates nothing', async () => {
    const ingest = t.platform.ingest!;
    // Readings per device before, during and just after the outage; the outage's readings must be more
    // than one replay transaction takes, so that C arrives while some are still spooled.
    const [A, B, C] = [100, Math.ceil(INGEST_DEFAULTS.batchSize / devices.length) + 100, 100];
    const total = devices.length * (A + B + C);

    // A: written directly.
    const a = publish(A, 1);
    await waitFor(async () => (await stored()) >= 200 || undefined, 'the first committed readings');

    // B: the database fails mid-stream (on a server, its connections are cut too): spooled.
    await terminateBackends();
    database.set('fail');
    await Promise.all([a, publish(B, A + 1)]);
    await waitFor(async () => (await metric('ingest_spool_depth')) >= devices.length * B || undefined, 'the outage’s readings spooled');
    await terminateBackends();
    expect(await spoolFiles()).not.toHaveLength(0);
    expect(await stored()).toBeLessThan(devices.length * (A + B));

    // The database answers again but slowly: the first replay batch is under way when C arrives …
    database.set('hang');
    // (A transaction: ingest's single statements, such as its devices' last-seen times, are queries.)
    await waitFor(() => database.hangingConnects > 0 || undefined, 'a replay attempt');
    const c = publish(C, A + B + 1);
    await waitFor(() => ingest.inFlight >= devices.length * C || undefined, 'the next readings received');
    // … and must queue behind what is still spooled (B is larger than one replay batch).
    database.set(null);
    await c;
    await waitFor(async () => (await stored()) === total || undefined, `all ${total} readings committed`);
    await waitFor(async () => (await metric('ingest_spool_depth')) === 0 || undefined, 'the spool drained');

    // In order: per device, a later reading was never committed in an earlier transaction.
    expect(await count(t, `SELECT 1 FROM (SELECT received_at < lag(received_at) OVER (PARTITION BY device_id ORDER BY seq) AS back
      FROM noise_readings WHERE device_id = ANY($1)) q WHERE back`, [ids()])).toBe(0);
    expect(await metric('ingest_spooled_total')).toBeGreaterThanOrEqual(devices.length * (B + C));
    expect(await metric('ingest_replayed_total')).toBeGreaterThanOrEqual(devices.length * (B + C));
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [ids()])).toBe(total);
    expect(await spoolFiles()).toEqual([]);
    expect(await metric('ingest_unacked')).toBe(0);
    // Every device's last_seen_at comes to be its newest reading (written apart, about once a second).
    const seen = async () =>
      (await t.platform.db.pool.query<{ ok: boolean }>(
        `SELECT d.last_seen_at = (SELECT max(ts) FROM noise_readings n WHERE n.device_id = d.id) AS ok FROM devices d WHERE d.id = ANY($1)`,
        [ids()],
      )).rows.every((r) => r.ok) || undefined;
    await waitFor(seen, 'every last_seen_at = its newest reading');
  });
});

describe('database outage with batched telemetry', () => {
  it('spools each batch message once, replays its readings once, and counts its bad elements once', async () => {
    const fleet = [await connectDevice(200), await connectDevice(200), await connectDevice(200)];
    const fleetIds = fleet.map((d) => d.id);
    const [BATCHES, SIZE, BAD] = [10, 50, 7]; // per device; element BAD of every batch breaks the schema
    const good = fleet.length * BATCHES * (SIZE - 1);
    const rows = () => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = ANY($1)', [fleetIds]);
    const [spooled0, replayed0] = [await metric('ingest_spooled_total'), await metric('ingest_replayed_total')];

    database.set('fail');
    const start = new Date(Date.now() - 20 * 60_000);
    await Promise.all(
      fleet.map(({ id, client }, i) => {
        const messages = batched(noiseRun({ deviceId: id, start, seconds: BATCHES * SIZE, source: 'background', laeq: 48, seed: 100 + i, seqStart: 1 }), SIZE);
        return Promise.all(
          messages.map((m) => {
            const elements = JSON.parse(m.payload) as Record<string, unknown>[];
            elements[BAD] = { ...elements[BAD], laeq: 400 };
            return client.publishAsync(m.topic, JSON.stringify(elements), { qos: 1 });
          }),
        );
      }),
    );
    await waitFor(async () => (await metric('ingest_spooled_total')) - spooled0 >= good || undefined, 'the batches spooled');
    expect(await metric('ingest_spool_depth')).toBe(fleet.length * BATCHES); // one record per message
    expect(await rows()).toBe(0);

    database.set(null);
    await waitFor(async () => (await rows()) === good || undefined, `all ${good} good readings committed`);
    await waitFor(async () => (await metric('ingest_spool_depth')) === 0 || undefined, 'the spool drained');
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [fleetIds])).toBe(good);
    expect((await metric('ingest_spooled_total')) - spooled0).toBe(good);
    expect((await metric('ingest_replayed_total')) - replayed0).toBe(good);
    // The bad elements were counted and dead-lettered when they arrived, and not again on replay.
    await waitFor(async () => (await count(t, 'SELECT 1 FROM dead_letters WHERE device_id = ANY($1)', [fleetIds])) === fleet.length * BATCHES || undefined, 'the dead letters');
    for (const id of fleetIds) expect(await t.platform.metrics.value('ingest_readings_rejected_total', { reason: 'schema', device: id })).toBe(BATCHES);
    expect(await count(t, `SELECT 1 FROM dead_letters WHERE device_id = ANY($1) AND reason = 'schema' AND detail LIKE 'reading ${BAD}:%'`, [fleetIds])).toBe(fleet.length * BATCHES);
    expect(await metric('ingest_unacked')).toBe(0);
  });
});

describe('broker restart mid-stream', () => {
  it('devices and ingest reconnect; every reading acknowledged to a device is stored once', async () => {
    const fleet: { id: string; client: MqttClient }[] = [];
    for (let i = 0; i < 4; i++) fleet.push(await connectDevice(250));
    const ids = fleet.map((d) => d.id);
    const stored = () => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = ANY($1)', [ids]);
    const PER_DEVICE = 600;
    const total = fleet.length * PER_DEVICE;
    const start = new Date(Date.now() - 20 * 60_000);
    // Each device keeps at most WINDOW publishes unacknowledged (as a real device would), so the
    // stream spans the restart; the broker goes down once a quarter of it is acknowledged.
    const WINDOW = 50;
    const acked = new Set<string>();
    let quarter = () => {};
    const quarterAcked = new Promise<void>((resolve) => (quarter = resolve));
    const publishAll = async (id: string, client: MqttClient, i: number) => {
      const window = new Set<Promise<unknown>>();
      for (const [k, m] of noiseRun({ deviceId: id, start, seconds: PER_DEVICE, source: 'background', laeq: 50, seed: i, seqStart: 1 }).entries()) {
        if (window.size >= WINDOW) await Promise.race(window);
        const p: Promise<unknown> = client.publishAsync(m.topic, m.payload, { qos: 1 }).then(() => {
          window.delete(p);
          acked.add(`${id}/${k + 1}`);
          if (acked.size === total / 4) quarter();
        });
        window.add(p);
      }
      await Promise.all(window);
    };
    const published = Promise.all(fleet.map(({ id, client }, i) => publishAll(id, client, i)));
    await quarterAcked;

    await t.platform.broker!.stop();
    const ackedBeforeRestart = acked.size;
    expect(ackedBeforeRestart).toBeLessThan(total);
    restarted = new BrokerService(
      { port, host: '127.0.0.1', journalDir: path.join(t.platform.config.database.dataDir, 'broker') },
      { verifyDevice: (id, secret) => t.platform.devices.verify(id, secret), servicePassword: SERVICE_PASSWORD },
      createLogger('silent'),
      new Metrics(),
    );
    await restarted.start();

    await published; // the devices re-sent whatever the old broker had not acknowledged
    await waitFor(async () => (await stored()) === total || undefined, `all ${total} readings stored`);
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [ids])).toBe(total);
    expect(fleet.every((d) => d.client.connected)).toBe(true);
  });
});
