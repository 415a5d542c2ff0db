import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { startPlatform, type Platform } from '../../platform.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { waitFor } from '../support/platform.js';
import { pgReachable } from '../support/reachable.js';

/**
 * Ingest scaled by a shared subscription on an external broker (INGEST_SHARED_GROUP with MQTT_URL):
 * two ingest services in one group, on the machine's Mosquitto 2 (127.0.0.1:1883, or MOSQUITTO_URL),
 * writing into one PostgreSQL database. Readings published once are each stored exactly once, and
 * both members take a share.
 *
 * Needs that Mosquitto (anonymous access, or any user name accepted) and a PostgreSQL server
 * (DATABASE_URL, else the local one): two ingest services cannot share the embedded engine. Without
 * either it is skipped with the reason.
 */
const BROKER = process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883';
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DEVICES = 4;
const PER_DEVICE = 50;

async function mosquittoReachable(): Promise<string | undefined> {
  const { hostname, port } = new URL(BROKER);
  const open = await new Promise<boolean>((resolve) => {
    const s = net.connect(Number(port || 1883), hostname, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!open) return `no MQTT broker at ${BROKER}`;
  try {
    const c = await mqtt.connectAsync(BROKER, { username: 'service', password: 'probe', clientId: `probe-${randomBytes(4).toString('hex')}`, reconnectPeriod: 0, connectTimeout: 3000 });
    await c.endAsync();
    return undefined;
  } catch (err) {
    return `the broker at ${BROKER} refuses the service account (${(err as Error).message})`;
  }
}

const why = (await mosquittoReachable()) ?? ((await pgReachable(PG)) ? undefined : `no PostgreSQL server at ${PG}`);
if (why) console.warn(`ingest-shared.test.ts skipped: ${why}`);

const run = randomBytes(3).toString('hex');
const group = `ingest-test-${run}`;
const clientIds = [`svc-ingest-shared-${run}-1`, `svc-ingest-shared-${run}-2`];
const platforms: Platform[] = [];
const dirs: string[] = [];
let db: Scratch | undefined;

async function startIngest(clientId: string): Promise<Platform> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rp-shared-'));
  dirs.push(dir);
  const config = loadConfig({
    SERVICES: 'ingest',
    MQTT_URL: BROKER,
    MQTT_SERVICE_PASSWORD: 'shared-test-service-password',
    INGEST_SHARED_GROUP: group,
    INGEST_CLIENT_ID: clientId,
    DATABASE_URL: db!.url,
    DATA_DIR: dir,
    SECRETS_KEY: 'cd'.repeat(32),
    ADMIN_PASSWORD: 'test-password-123',
    SIMULATOR: 'off',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  const p = await startPlatform(config, createLogger(config.logLevel));
  platforms.push(p);
  return p;
}

describe.skipIf(why !== undefined)('ingest split by a shared subscription on an external broker', () => {
  beforeAll(async () => {
    db = await scratchDatabase(PG, 'rp_shared');
    // One after the other: the first migrates and seeds the database.
    await startIngest(clientIds[0]!);
    await startIngest(clientIds[1]!);
  }, 120_000);

  afterAll(async () => {
    for (const p of platforms.reverse()) await p.stop();
    // The persistent sessions are ours alone: clear them from the shared broker.
    for (const clientId of clientIds) {
      const c = await mqtt.connectAsync(BROKER, { username: 'service', password: 'x', clientId, clean: true, reconnectPeriod: 0 }).catch(() => undefined);
      await c?.endAsync();
    }
    await db?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }, 60_000);

  it('stores every reading published once exactly once, the two members sharing the work', async () => {
    const [a, b] = platforms as [Platform, Platform];
    const ids: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const { device } = await a.devices.create({ id: `shr-${run}-${i}`, zoneId: 'z-park-square', kind: 'sound_level_meter', placementPublished: true, calibrationValidUntil: '2099-12-31' });
      ids.push(device.id);
    }
    const publisher = await mqtt.connectAsync(BROKER, { username: 'publisher', password: 'x', clientId: `shr-pub-${run}`, reconnectPeriod: 0 });
    try {
      const start = new Date(Date.now() - 10 * 60_000);
      const messages = ids.flatMap((id, i) => noiseRun({ deviceId: id, start, seconds: PER_DEVICE, source: 'background', laeq: 45, seed: i + 1, seqStart: 1 }));
      await Promise.all(messages.map((m) => publisher.publishAsync(m.topic, m.payload, { qos: 1 })));
    } finally {
      await publisher.endAsync();
    }
    const total = DEVICES * PER_DEVICE;
    const committed = (p: Platform) => p.metrics.value('ingest_readings_committed_total');
    await waitFor(async () => (await committed(a)) + (await committed(b)) >= total, 'both members to commit every reading', 60_000);

    const rows = await a.db.pool.query<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (device_id, seq))::int AS distinct FROM noise_readings WHERE device_id = ANY($1)',
      [ids],
    );
    expect(rows.rows[0]).toEqual({ n: total, distinct: total });
    // Each message went to one member only: what they received adds up to what was published.
    const received = [await a.metrics.value('ingest_readings_received_total'), await b.metrics.value('ingest_readings_received_total')];
    expect(received[0]! + received[1]!).toBe(total);
    expect(received[0]).toBeGreaterThan(0);
    expect(received[1]).toBeGreaterThan(0);
    expect([await committed(a), await committed(b)]).toEqual(received);
  }, 120_000);
});
