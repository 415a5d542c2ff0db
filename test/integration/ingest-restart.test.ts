import { readdir } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { IngestService, INGEST_DEFAULTS, type IngestOptions } from '../../ingest/ingest.js';
import { ReadingRepository } from '../../ingest/repository.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { batched, count, freePort, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { faultyPool, tcpProxy, type FaultyPool, type Proxy } from '../support/faults.js';

/**
 * Ingest goes away in the middle of a stream — stopped, killed with readings unacknowledged in
 * memory, or stopped with readings in its spool — and a new instance with the same client id picks
 * up: the broker's persistent session re-delivers what was never acknowledged, the spool is replayed
 * at start, and every distinct reading published is stored exactly once — batch messages too, each
 * weighing its readings against the in-flight limit, each spooled batch replayed once.
 *
 * Ingest connects over MQTT here (MQTT_URL names the broker in the same process), as the instances
 * the test starts beside it do. (Without MQTT_URL it takes publishes from the broker directly:
 * ingest-direct.test.ts.)
 */
const SERVICE_PASSWORD = 'ingest-restart-test-password';
let t: TestPlatform;
/** Each instance with the pool it writes through (the test makes the database fail or hang there). */
const started: { ingest: IngestService; database: FaultyPool }[] = [];
/** Instances that died (their connection cut); their database calls hang until the end. */
const dead: { ingest: IngestService; database: FaultyPool; proxy: Proxy }[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  const port = await freePort();
  t = await startTestPlatform({ SERVICES: 'broker,ingest', MQTT_PORT: String(port), MQTT_URL: `mqtt://127.0.0.1:${port}`, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD });
});

afterAll(async () => {
  for (const s of [...started, ...dead]) {
    s.database.set(null);
    await s.ingest.stop();
  }
  for (const d of dead) await d.proxy.close().catch(() => undefined);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await t?.stop();
});

/**
 * A new ingest instance on the platform's broker, database and spool directory (same client id). With
 * `killable`, it reaches the broker through a proxy that `kill` cuts.
 */
async function startIngest(over: Partial<IngestOptions> = {}, killable?: Proxy): Promise<IngestService> {
  const { config, db, devices, metrics } = t.platform;
  const database = faultyPool(db.pool);
  const ingest = new IngestService(
    { url: killable?.url ?? t.mqttUrl, password: SERVICE_PASSWORD },
    new ReadingRepository(database.pool, db.engine),
    devices,
    { ...INGEST_DEFAULTS, limits: config.readings, spoolDir: path.join(config.database.dataDir, 'spool'), ...over },
    createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics,
  );
  started.push({ ingest, database });
  await ingest.start();
  return ingest;
}

const databaseOf = (ingest: IngestService) => started.find((s) => s.ingest === ingest)!.database;

/**
 * The instance dies like a killed process: its connection to the broker drops at once and never comes
 * back, so nothing it holds in memory is flushed or acknowledged (its database calls hang for good).
 */
async function kill(ingest: IngestService, proxy: Proxy): Promise<void> {
  const i = started.findIndex((s) => s.ingest === ingest);
  const [gone] = started.splice(i, 1);
  dead.push({ ...gone!, proxy });
  await proxy.cut();
}

interface Fleet {
  ids: string[];
  /** Publishes `n` readings per device at full speed; resolves once the broker acknowledged all. */
  publish(n: number, seqStart?: number): Promise<unknown>;
  /** The same as batch messages of `size` readings; `damage` may break elements (by index in the batch). */
  publishBatches(n: number, size: number, damage?: (element: Record<string, unknown>, index: number) => Record<string, unknown>): Promise<unknown>;
  stored(): Promise<number>;
}

async function fleet(size: number): Promise<Fleet> {
  const devs: { id: string; client: MqttClient }[] = [];
  for (let i = 0; i < size; i++) {
    const { device, secret } = await t.platform.devices.create({ zoneId: 'z-park-square', kind: 'sound_level_meter' });
    const client = mqtt.connect(t.mqttUrl, { username: device.id, password: secret, clientId: device.id, protocolVersion: 4, reconnectPeriod: 200 });
    clients.push(client);
    await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
    devs.push({ id: device.id, client });
  }
  const ids = devs.map((d) => d.id);
  const start = new Date(Date.now() - 20 * 60_000);
  const run = (id: string, i: number, n: number, seqStart: number) => noiseRun({ deviceId: id, start: new Date(start.getTime() + seqStart * 1000), seconds: n, source: 'background', laeq: 50, seed: i, seqStart });
  return {
    ids,
    publish(n, seqStart = 1) {
      return Promise.all(devs.map(({ id, client }, i) => Promise.all(run(id, i, n, seqStart).map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })))));
    },
    publishBatches(n, size, damage = (e) => e) {
      return Promise.all(
        devs.map(({ id, client }, i) =>
          Promise.all(
            batched(run(id, i, n, 1), size).map((m) => {
              const elements = (JSON.parse(m.payload) as Record<string, unknown>[]).map(damage);
              return client.publishAsync(m.topic, JSON.stringify(elements), { qos: 1 });
            }),
          ),
        ),
      );
    },
    stored: () => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = ANY($1)', [ids]),
  };
}

/** Waits until ingest holds `limit` readings in flight, keeps watching a little, and returns the peak. */
async function peakInFlight(ingest: IngestService, limit: number): Promise<number> {
  let peak = 0;
  await waitFor(() => {
    peak = Math.max(peak, ingest.inFlight);
    return ingest.inFlight >= limit || undefined;
  }, 'in-flight readings at the limit');
  // The devices go on publishing, yet ingest holds no more than its limit.
  for (let i = 0; i < 20; i++) {
    peak = Math.max(peak, ingest.inFlight);
    await new Promise((r) => setTimeout(r, 5));
  }
  return peak;
}

const spoolFiles = async () => (await readdir(path.join(t.platform.config.database.dataDir, 'spool'))).filter((f) => f.endsWith('.jsonl'));
const current = () => started.at(-1)?.ingest ?? t.platform.ingest!;

describe('ingest restart mid-stream', () => {
  it('stopped and started again with the same client id: the broker kept the session, nothing is lost', async () => {
    const f = await fleet(4);
    const total = 4 * 600;
    const first = f.publish(300);
    await waitFor(async () => (await f.stored()) >= 100 || undefined, 'the first committed readings');
    await current().stop();
    await first;
    await f.publish(300, 301); // while no ingest is connected: the broker queues them in the session
    expect(await f.stored()).toBeLessThanOrEqual(total / 2);
    await startIngest();
    await waitFor(async () => (await f.stored()) === total || undefined, `all ${total} readings after the restart`);
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [f.ids])).toBe(total);
  });

  // A batch weighs its readings: ten batches of 40 fill a limit of 400, not 400 messages.
  it.each([
    ['single readings', 300, 1],
    ['batches of 40 readings', 400, 40],
  ])('holds acknowledgements while the database hangs (bounded memory), and a crash loses nothing: %s', async (_, maxInFlight, size) => {
    // What the previous case left on its way (re-deliveries of what a killed instance had taken, after
    // their readings were stored by the next) settles first: it would count against this limit.
    await waitFor(async () => (current().inFlight === 0 && (await t.platform.metrics.value('mqtt_queued_messages')) === 0) || undefined, 'the previous case settled');
    await current().stop();
    const proxy = await tcpProxy(new URL(t.mqttUrl).port === '' ? 1883 : Number(new URL(t.mqttUrl).port));
    const ingest = await startIngest({ maxInFlight }, proxy);
    const f = await fleet(3);
    const total = 3 * 600;
    databaseOf(ingest).set('hang');
    const published = size === 1 ? f.publish(600) : f.publishBatches(600, size);
    expect(await peakInFlight(ingest, maxInFlight)).toBe(maxInFlight);
    expect(await f.stored()).toBe(0);

    // Nothing was committed or acknowledged: the broker must re-deliver all of it. The dead instance's
    // database calls stay hung for good, as a killed process's would never complete.
    await kill(ingest, proxy);
    await startIngest();
    await published;
    await waitFor(async () => (await f.stored()) === total || undefined, `all ${total} readings after the crash`);
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [f.ids])).toBe(total);
  });

  it('replays at start what a stopped instance left in its spool', async () => {
    await current().stop();
    const ingest = await startIngest();
    const f = await fleet(3);
    const total = 3 * 400;
    databaseOf(ingest).set('fail');
    await f.publish(400);
    // At least this fleet's readings (a message the previous instance left unacknowledged may join them).
    await waitFor(async () => (await t.platform.metrics.value('ingest_spool_depth')) >= total || undefined, 'every reading spooled');
    await ingest.stop();
    expect(await spoolFiles()).not.toHaveLength(0);
    expect(await f.stored()).toBe(0);

    await startIngest(); // a new repository: the database is back
    await waitFor(async () => (await f.stored()) === total || undefined, `all ${total} spooled readings replayed`);
    await waitFor(async () => ((await spoolFiles()).length === 0 ? true : undefined), 'the spool files deleted');
    await waitFor(async () => (await t.platform.metrics.value('ingest_spool_depth')) === 0 || undefined, 'spool depth 0');
  });

  it('batches left in the spool by a stopped instance are replayed once by the next, their bad elements counted once', async () => {
    await current().stop();
    const ingest = await startIngest();
    const f = await fleet(3);
    const [N, SIZE] = [300, 30];
    const good = 3 * (N - N / SIZE);
    const metric = (name: string, labels?: Record<string, string>) => t.platform.metrics.value(name, labels);
    const [spooled0, replayed0] = [await metric('ingest_spooled_total'), await metric('ingest_replayed_total')];
    databaseOf(ingest).set('fail');
    // The first reading of every batch is stamped an hour ahead: rejected on its own.
    await f.publishBatches(N, SIZE, (e, i) => (i === 0 ? { ...e, ts: new Date(Date.now() + 3_600_000).toISOString() } : e));
    await waitFor(async () => (await metric('ingest_spooled_total')) - spooled0 >= good || undefined, 'every good reading spooled');
    await ingest.stop();
    expect(await spoolFiles()).not.toHaveLength(0);
    expect(await f.stored()).toBe(0);

    await startIngest();
    await waitFor(async () => (await f.stored()) === good || undefined, `all ${good} spooled readings replayed`);
    await waitFor(async () => (await metric('ingest_spool_depth')) === 0 || undefined, 'spool depth 0');
    expect(await count(t, 'SELECT DISTINCT device_id, seq FROM noise_readings WHERE device_id = ANY($1)', [f.ids])).toBe(good);
    expect((await metric('ingest_spooled_total')) - spooled0).toBe(good);
    expect((await metric('ingest_replayed_total')) - replayed0).toBe(good);
    // Counted when they arrived, not again when the next instance replayed their batches. (Their dead
    // letters waited in the stopped instance's memory for the database and went with it.)
    for (const id of f.ids) expect(await metric('ingest_readings_rejected_total', { reason: 'future_timestamp', device: id })).toBe(N / SIZE);
  });
});
