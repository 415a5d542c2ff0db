import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { createLogger } from '../../core/log.js';
import { startPlatform, type Platform } from '../../platform.js';
import { localTime, trackRun } from '../../simulator/scenarios.js';
import { faultyPool, tcpProxy, type FaultyPool, type Proxy } from '../support/faults.js';
import { connectDevice, count, freePort, login, provision, startTestPlatform, TEST_PASSWORD, waitFor, type TestPlatform } from '../support/platform.js';
import { pgReachable } from '../support/reachable.js';

/**
 * Inference workers that lose their broker connection while ingest stalls. A worker reaches the broker
 * through a proxy that is cut and later taken up again; its session is not persistent, so what the
 * angler's camera publishes in between reaches only ingest, whose database hangs meanwhile and for
 * seconds after the worker is back. Coming back, the worker rebuilds its zones (or takes one over) from
 * the store and must not judge it before the store reaches the first reading it got live: else the
 * readings published while it was away are never judged and the loudspeaker ladder and the alert that
 * fell in them are lost.
 */
const TZ = 'Asia/Shanghai';
const LEASE_S = 4;
const SERVICE_PASSWORD = 'reconnect-service-password-0123';
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgUp = await pgReachable(PG);

const env = (port: number) => ({
  // Every service over MQTT, as in separate processes: a stalled ingest does not hold the broker back.
  MQTT_PORT: String(port),
  MQTT_URL: `mqtt://127.0.0.1:${port}`,
  MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD,
  SECRETS_KEY: 'ab'.repeat(32),
  INFERENCE_LEASE_S: String(LEASE_S),
  INFERENCE_REBUILD_S: String(4 * 86400),
  SPEAKER_COOLDOWN_S: '120',
  SPEAKER_EFFECT_WINDOW_S: '120',
});

/**
 * A camera with a loudspeaker in the fishing-ban zone, playing each command once per id and
 * acknowledging it as real ones do. Its recording: one angler, one episode (warning at 770 s, repeat
 * at 890 s, alert at 1010 s of its clock) who leaves at 1100 s, then a walker passing.
 */
async function fishingCamera(t: TestPlatform) {
  const admin = await login(t, 'admin');
  const d = await provision(t, admin, 'z-riverbank', { kind: 'camera', hasSpeaker: true });
  const cam = await connectDevice(t, d.id, d.secret);
  const received: Record<string, unknown>[] = [];
  cam.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    received.push(body);
    void cam.publishAsync(`${topic}/ack`, JSON.stringify({ commandId: body.commandId, played: true }), { qos: 1 }).catch(() => undefined);
  });
  await cam.subscribeAsync(`v1/devices/${d.id}/commands/+`, { qos: 1 });
  const start = localTime(TZ, 10, 0);
  const angler = trackRun({ deviceId: d.id, trackId: 'angler', role: 'angler', start, seconds: 1100, stepS: 10, seed: 3, seqStart: 1 });
  expect(angler.length).toBe(110);
  const walker = trackRun({ deviceId: d.id, trackId: 'walker', role: 'walker', start: new Date(start.getTime() + 1_100_000), seconds: 300, stepS: 10, seed: 12, seqStart: 111 });
  expect(walker.length).toBeGreaterThan(0);
  const messages = [...angler, ...walker];
  const tsOf = (i: number) => new Date((JSON.parse(messages[i]!.payload) as { ts: string }).ts).getTime();
  const judgedTo = async () => (await t.platform.db.pool.query<{ judged_to: Date }>('SELECT judged_to FROM inference_judged WHERE device_id = $1', [d.id])).rows[0]?.judged_to.getTime() ?? 0;
  const stages = async () => (await t.platform.db.pool.query<{ id: string; stage: string }>('SELECT id, stage FROM device_commands WHERE device_id = $1 ORDER BY sent_at', [d.id])).rows;
  const acks: Promise<unknown>[] = [];
  return {
    id: d.id,
    client: cam,
    /** Publishes the recording's messages [from, to) without waiting for their PUBACKs (see `acked`). */
    publish(from: number, to = messages.length) {
      for (const m of messages.slice(from, to)) acks.push(cam.publishAsync(m.topic, m.payload, { qos: 1 }));
    },
    acked: () => Promise.all(acks),
    /** The angler's first 800 s, judged (the warning sent) and marked as judged. */
    async firstPart() {
      for (const m of messages.slice(0, 80)) await cam.publishAsync(m.topic, m.payload, { qos: 1 });
      await waitFor(async () => (await judgedTo()) >= tsOf(79) || undefined, 'the first 800 s judged');
      expect((await stages()).map((s) => s.stage)).toEqual(['warning']);
    },
    /** Every reading judged; each ladder step sent once, under one id; one alert. */
    async ladderKept() {
      await waitFor(async () => (await judgedTo()) >= tsOf(messages.length - 1) || undefined, 'every reading judged', 60_000);
      const alerts = () => count(t, `SELECT 1 FROM alerts WHERE device_id = $1 AND kind = 'fishing'`, [d.id]);
      await waitFor(async () => (await alerts()) >= 1 || undefined, 'the fishing alert', 30_000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1500));
      const steps = await stages();
      expect(steps.map((s) => s.stage), 'the ladder: warning before the cut, repeat while the worker was away').toEqual(['warning', 'repeat']);
      expect(await alerts(), 'one fishing alert').toBe(1);
      const ids = new Map<string, Set<unknown>>();
      for (const r of received) {
        const key = `${String(r.alertId)}|${String(r.stage)}`;
        ids.set(key, (ids.get(key) ?? new Set()).add(r.commandId));
      }
      expect([...ids.values()].map((s) => s.size), 'one command id per alert and stage').toEqual([...ids.keys()].map(() => 1));
      expect([...new Set(received.map((r) => r.commandId))].sort()).toEqual(steps.map((s) => s.id).sort());
    },
  };
}

describe('an inference worker losing its broker connection while ingest stalls', () => {
  let t: TestPlatform;
  let proxy: Proxy;
  let database: FaultyPool;
  let camera: MqttClient | undefined;

  beforeAll(async () => {
    const port = await freePort();
    proxy = await tcpProxy(port);
    t = await startTestPlatform(env(port), { ingestPool: (pool) => (database = faultyPool(pool)).pool, inferenceUrl: proxy.url });
  });
  afterAll(async () => {
    database?.set(null);
    await camera?.endAsync(true);
    await t?.stop();
    await proxy?.close().catch(() => undefined);
  });

  it('judges what was published while it was away before its live readings: the fishing episode and its ladder stay whole', async () => {
    const cam = await fishingCamera(t);
    camera = cam.client;
    const inference = t.platform.inference!;
    await cam.firstPart();

    // Ingest's database hangs; the worker's connection is cut and stays down while the angler's
    // next 300 s are published (the repeat and the alert fall in them).
    database.set('hang');
    await proxy.cut();
    await waitFor(() => !inference.ready || undefined, 'the worker disconnected');
    cam.publish(80, 110);
    await cam.acked();
    // The worker comes back (to the next broker node, say) and gets the walker live, while ingest is
    // still stalled for longer than the 1 s of stillness a rebuild waits for.
    await proxy.reopen();
    await waitFor(() => inference.ready || undefined, 'the worker reconnected');
    cam.publish(110);
    await new Promise((r) => setTimeout(r, 4000));
    database.set(null);
    await cam.acked();

    await cam.ladderKept();
    expect(await count(t, `SELECT 1 FROM cases c JOIN incidents i ON i.id = c.incident_id WHERE i.kind = 'fishing' AND i.zone_id = 'z-riverbank'`), 'one case').toBe(1);
  }, 180_000);
});

// Two workers on one database: a PostgreSQL server (the embedded engine is one process's).
describe.skipIf(!pgUp)('an inference worker taking a zone over right after its own reconnect', () => {
  let t: TestPlatform;
  let other: Platform | undefined;
  let otherDir: string | undefined;
  let scratch: Scratch;
  const proxies: Proxy[] = [];
  let database: FaultyPool;
  let camera: MqttClient | undefined;

  beforeAll(async () => {
    const port = await freePort();
    scratch = await scratchDatabase(PG, 'rp_reconnect');
    for (let i = 0; i < 2; i++) proxies.push(await tcpProxy(port));
    t = await startTestPlatform({ ...env(port), DATABASE_URL: scratch.url }, { ingestPool: (pool) => (database = faultyPool(pool)).pool, inferenceUrl: proxies[0]!.url });
    // The second worker joins: the first gives the fishing-ban zone up (its share is two of three zones).
    otherDir = await mkdtemp(path.join(os.tmpdir(), 'rp-reconnect-'));
    const config = loadConfig({ ...env(port), MQTT_URL: proxies[1]!.url, SERVICES: 'inference', DATABASE_URL: scratch.url, DATA_DIR: otherDir, ADMIN_PASSWORD: TEST_PASSWORD, SIMULATOR: 'off', MQTT_HOST: '127.0.0.1', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    other = await startPlatform(config, createLogger(config.logLevel));
  });
  afterAll(async () => {
    database?.set(null);
    await camera?.endAsync(true);
    await other?.stop();
    await t?.stop();
    for (const p of proxies) await p.close().catch(() => undefined);
    await scratch?.drop();
    if (otherDir) await rm(otherDir, { recursive: true, force: true });
  });

  it('waits for the store to reach the first readings it got live before judging the zone', async () => {
    const owner = async (zone: string) => (await t.platform.db.pool.query<{ owner: string }>('SELECT owner FROM inference_leases WHERE zone_id = $1 AND expires_at > now()', [zone])).rows[0]?.owner;
    const riverbankOwnedBy = async (self: boolean) => {
      const [river, square] = [await owner('z-riverbank'), await owner('z-park-square')];
      return river !== undefined && square !== undefined && (river === square) === self;
    };
    await waitFor(async () => (await riverbankOwnedBy(false)) || undefined, 'the fishing-ban zone held by the second worker', 60_000);
    const cam = await fishingCamera(t);
    camera = cam.client;
    await cam.firstPart();

    // A partition: both workers lose the broker while ingest's database hangs; the angler's next
    // 300 s are published meanwhile.
    database.set('hang');
    for (const p of proxies) await p.cut();
    await waitFor(() => (!t.platform.inference!.ready && !other!.inference!.ready) || undefined, 'both workers disconnected');
    cam.publish(80, 110);
    await cam.acked();
    // The first worker comes back; the second never does (it stops, giving its leases back), and the
    // first takes the fishing-ban zone over while the walker's readings arrive live and ingest is still
    // stalled for longer than the 1 s of stillness.
    await proxies[0]!.reopen();
    await waitFor(() => t.platform.inference!.ready || undefined, 'the first worker reconnected');
    await other!.stop();
    other = undefined;
    await waitFor(async () => (await riverbankOwnedBy(true)) || undefined, 'the fishing-ban zone taken over', 30_000);
    cam.publish(110);
    await new Promise((r) => setTimeout(r, 4000));
    database.set(null);
    await cam.acked();

    await cam.ladderKept();
  }, 180_000);
});
