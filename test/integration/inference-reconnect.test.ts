import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTime, trackRun } from '../../simulator/scenarios.js';
import { faultyPool, tcpProxy, type FaultyPool, type Proxy } from '../support/faults.js';
import { connectDevice, count, freePort, login, provision, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * An inference worker that loses its broker connection while ingest stalls. The worker reaches the
 * broker through a proxy that is cut and later taken up again; its session is not persistent, so what
 * the angler's camera publishes in between reaches only ingest, whose database hangs meanwhile and for
 * seconds after the worker is back. Coming back, the worker rebuilds its zone from the store and must
 * not judge it before the store reaches the first reading it got live: else the readings published
 * while it was away are never judged, the episode is cut in two and its loudspeaker ladder lost.
 */
const TZ = 'Asia/Shanghai';
const LEASE_S = 4;
let t: TestPlatform;
let proxy: Proxy;
let database: FaultyPool;
let camera: MqttClient | undefined;

beforeAll(async () => {
  const port = await freePort();
  proxy = await tcpProxy(port);
  t = await startTestPlatform(
    // Every service over MQTT, as in separate processes: a stalled ingest does not hold the broker back.
    { MQTT_PORT: String(port), MQTT_URL: `mqtt://127.0.0.1:${port}`, INFERENCE_LEASE_S: String(LEASE_S), INFERENCE_REBUILD_S: String(4 * 86400), SPEAKER_COOLDOWN_S: '120', SPEAKER_EFFECT_WINDOW_S: '120' },
    { ingestPool: (pool) => (database = faultyPool(pool)).pool, inferenceUrl: proxy.url },
  );
});
afterAll(async () => {
  database?.set(null);
  await camera?.endAsync(true);
  await t?.stop();
  await proxy?.close().catch(() => undefined);
});

describe('an inference worker losing its broker connection while ingest stalls', () => {
  it('judges what was published while it was away before its live readings: the fishing episode and its ladder stay whole', async () => {
    const admin = await login(t, 'admin');
    const d = await provision(t, admin, 'z-riverbank', { kind: 'camera', hasSpeaker: true });
    const cam = await connectDevice(t, d.id, d.secret);
    camera = cam;
    // The camera plays each command once per id and acknowledges it, as real ones do.
    const received: Record<string, unknown>[] = [];
    cam.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      received.push(body);
      void cam.publishAsync(`${topic}/ack`, JSON.stringify({ commandId: body.commandId, played: true }), { qos: 1 }).catch(() => undefined);
    });
    await cam.subscribeAsync(`v1/devices/${d.id}/commands/+`, { qos: 1 });
    // One angler, one episode: warning at 770 s, repeat at 890 s, alert at 1010 s of the camera's clock;
    // the angler leaves at 1100 s and a walker passes after.
    const start = localTime(TZ, 10, 0);
    const angler = trackRun({ deviceId: d.id, trackId: 'angler', role: 'angler', start, seconds: 1100, stepS: 10, seed: 3, seqStart: 1 });
    expect(angler.length).toBe(110);
    const walker = trackRun({ deviceId: d.id, trackId: 'walker', role: 'walker', start: new Date(start.getTime() + 1_100_000), seconds: 300, stepS: 10, seed: 12, seqStart: 111 });
    expect(walker.length).toBeGreaterThan(0);
    const messages = [...angler, ...walker];
    const tsOf = (i: number) => new Date((JSON.parse(messages[i]!.payload) as { ts: string }).ts);
    const judgedTo = async () => (await t.platform.db.pool.query<{ judged_to: Date }>('SELECT judged_to FROM inference_judged WHERE device_id = $1', [d.id])).rows[0]?.judged_to.getTime() ?? 0;
    const stages = async () => (await t.platform.db.pool.query<{ id: string; stage: string }>('SELECT id, stage FROM device_commands WHERE device_id = $1 ORDER BY sent_at', [d.id])).rows;
    const inference = t.platform.inference!;

    // The first 800 s, judged (the warning sent) and marked as judged.
    for (const m of messages.slice(0, 80)) await cam.publishAsync(m.topic, m.payload, { qos: 1 });
    await waitFor(async () => (await judgedTo()) >= tsOf(79).getTime() || undefined, 'the first 800 s judged');
    expect((await stages()).map((s) => s.stage)).toEqual(['warning']);

    // Ingest's database hangs; the worker's connection is cut and stays down while the angler's
    // next 300 s are published (the repeat and the alert fall in them).
    database.set('hang');
    await proxy.cut();
    await waitFor(() => !inference.ready || undefined, 'the worker disconnected');
    const acks: Promise<unknown>[] = [];
    const publish = (from: number, to: number) => {
      for (const m of messages.slice(from, to)) acks.push(cam.publishAsync(m.topic, m.payload, { qos: 1 }));
    };
    publish(80, 110);
    await Promise.all(acks);
    // The worker comes back (to the next broker node, say) and gets the walker live, while ingest is
    // still stalled for longer than the 1 s of stillness a rebuild waits for.
    await proxy.reopen();
    await waitFor(() => inference.ready || undefined, 'the worker reconnected');
    publish(110, messages.length);
    await new Promise((r) => setTimeout(r, 4000));
    database.set(null);
    await Promise.all(acks);

    // Every reading judged, each ladder step sent once, one alert and one case.
    const last = tsOf(messages.length - 1).getTime();
    await waitFor(async () => (await judgedTo()) >= last || undefined, 'every reading judged', 60_000);
    await waitFor(async () => (await count(t, `SELECT 1 FROM alerts WHERE device_id = $1 AND kind = 'fishing'`, [d.id])) >= 1 || undefined, 'the fishing alert', 30_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    const steps = await stages();
    expect(steps.map((s) => s.stage), 'the ladder: warning before the cut, repeat while the worker was away').toEqual(['warning', 'repeat']);
    expect(await count(t, `SELECT 1 FROM alerts WHERE device_id = $1 AND kind = 'fishing'`, [d.id]), 'one fishing alert').toBe(1);
    expect(await count(t, `SELECT 1 FROM cases c JOIN incidents i ON i.id = c.incident_id WHERE i.kind = 'fishing' AND i.zone_id = 'z-riverbank'`), 'one case').toBe(1);
    const ids = new Map<string, Set<unknown>>();
    for (const r of received) {
      const key = `${String(r.alertId)}|${String(r.stage)}`;
      ids.set(key, (ids.get(key) ?? new Set()).add(r.commandId));
    }
    expect([...ids.values()].map((s) => s.size), 'one command id per alert and stage').toEqual([...ids.keys()].map(() => 1));
    expect([...new Set(received.map((r) => r.commandId))].sort()).toEqual(steps.map((s) => s.id).sort());
  }, 180_000);
});
