import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { crowdRun, localTime, noiseRun, trackRun } from '../../simulator/scenarios.js';
import { MODELS_DIR } from '../../platform.js';
import { api, batched, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * The three violations through the real worker: anglers vs walkers in the fishing-ban zone with the
 * loudspeaker ladder and acks, a hot Sunday crowd build-up warned before it peaks, and model hot swap
 * with a shadow version — real broker, real models, real database.
 */
const TZ = 'Asia/Shanghai';
let t: TestPlatform;
let admin: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestPlatform({ SPEAKER_COOLDOWN_S: '120', SPEAKER_EFFECT_WINDOW_S: '120', MODEL_SCAN_S: '1' });
  admin = await login(t, 'admin');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
});

async function camera(kind = 'camera', hasSpeaker = true) {
  const d = await provision(t, admin, 'z-riverbank', { kind, hasSpeaker });
  const client = await connectDevice(t, d.id, d.secret);
  clients.push(client);
  // The camera acknowledges every command it receives, as a real one does.
  const received: Record<string, unknown>[] = [];
  client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    received.push(body);
    void client.publishAsync(`${topic}/ack`, JSON.stringify({ commandId: body.commandId, played: true }), { qos: 1 });
  });
  await client.subscribeAsync(`v1/devices/${d.id}/commands/+`, { qos: 1 });
  return { id: d.id, client, received };
}

const alertsOf = (kind: string) => count(t, 'SELECT 1 FROM alerts WHERE kind = $1 AND incident_id IS NOT NULL', [kind]);

describe('fishing in the ban zone', () => {
  it('warns an angler twice over the loudspeaker, then opens a case for the fisheries team', async () => {
    const cam = await camera();
    const before = await t.platform.metrics.value('inference_readings_total', { stream: 'tracks' });
    // One continuous track (this seed's tracker keeps the angler's id; a new id would start its own ladder).
    const run = trackRun({ deviceId: cam.id, trackId: 'trk-angler', role: 'angler', start: localTime(TZ, 10, 0), seconds: 1500, stepS: 10, seed: 3, seqStart: 1 });
    await publishAll(cam.client, run);
    await waitFor(async () => (await t.platform.metrics.value('inference_readings_total', { stream: 'tracks' })) >= before + run.length, 'the track to be scored');
    await waitFor(async () => (await alertsOf('fishing')) === 1 || undefined, 'the fishing case');
    const alerts = await api<{ caseId: string; evidence: { warnings: number }; commands: { stage: string; ackedAt: string | null }[] }[]>(t, admin, 'GET', '/api/v1/alerts?kind=fishing');
    const alert = alerts.body[0]!;
    expect(alert.evidence.warnings).toBe(2);
    expect(cam.received.map((c) => [c.clip, c.stage])).toEqual([['fishing-ban', 'warning'], ['fishing-ban', 'repeat']]);
    await waitFor(async () => (await count(t, 'SELECT 1 FROM device_commands WHERE acked_at IS NOT NULL AND device_id = $1', [cam.id])) === 2 || undefined, 'the acks');
    // The case file shows the ladder: warning, repeat (both acknowledged by the camera), then the case.
    const c = await api<{ teamId: string; kind: string; title: string; titleZh: string | null; alerts: { commands: { stage: string; ackedAt: string | null; effect: { metric: string; fell: boolean } | null }[] }[] }>(t, admin, 'GET', `/api/v1/cases/${alert.caseId}`);
    expect(c.body).toMatchObject({ kind: 'fishing', teamId: 't-fisheries' });
    // The case's title in both languages, from the alert (the Chinese screens show titleZh).
    expect(c.body.title).toMatch(/^Person fishing in a fishing-ban zone for \d+ min/);
    expect(c.body.titleZh).toMatch(/^禁渔区内有人垂钓 \d+ 分钟，距水边 [\d.]+ 米，已经喇叭警告 2 次$/);
    expect(c.body.alerts[0]!.commands.map((x) => [x.stage, x.ackedAt !== null])).toEqual([['warning', true], ['repeat', true]]);
    // Each warning's effect was measured on the same track afterwards (this angler kept fishing).
    expect(c.body.alerts[0]!.commands.map((x) => x.effect?.metric)).toEqual(['p_fishing', 'p_fishing']);
  });

  it('leaves walkers and joggers alone', async () => {
    const cam = await camera();
    const before = await alertsOf('fishing');
    const runs = [
      ...trackRun({ deviceId: cam.id, trackId: 'trk-walk', role: 'walker', start: localTime(TZ, 11, 0), seconds: 900, stepS: 10, seed: 8, seqStart: 1 }),
      ...trackRun({ deviceId: cam.id, trackId: 'trk-jog', role: 'jogger', start: localTime(TZ, 11, 20), seconds: 900, stepS: 10, seed: 9, seqStart: 1000 }),
    ];
    const scored = await t.platform.metrics.value('inference_readings_total', { stream: 'tracks' });
    await publishAll(cam.client, runs);
    await waitFor(async () => (await t.platform.metrics.value('inference_readings_total', { stream: 'tracks' })) >= scored + runs.length, 'the tracks to be scored');
    expect(await alertsOf('fishing')).toBe(before);
    expect(cam.received).toHaveLength(0);
  });
});

describe('crowding', () => {
  it('warns before a hot Sunday crowd exceeds the riverbank’s capacity', async () => {
    const counter = await camera('people_counter', false);
    await camera('camera', true); // a loudspeaker in the zone
    const run = crowdRun({ deviceId: counter.id, kind: 'hot_sunday', capacity: 150, start: localTime(TZ, 12, 0), startLocalHour: 12, minutes: 300, seed: 3, seqStart: 1 });
    await publishAll(counter.client, run);
    await waitFor(async () => (await alertsOf('crowding')) === 1 || undefined, 'the crowding alert', 60_000);
    const alert = (await api<{ detectedAt: string; summary: string; summaryZh: string | null }[]>(t, admin, 'GET', '/api/v1/alerts?kind=crowding')).body[0]!;
    expect(alert.summaryZh).toMatch(/^(预计 15 分钟内人数超过容量（150 人）|人员聚集危险)：现有 \d+ 人/);
    const firstOver = run.map((m) => JSON.parse(m.payload) as { ts: string; count: number }).find((r) => r.count > 150);
    expect(firstOver, 'the scenario must exceed capacity').toBeDefined();
    expect(new Date(alert.detectedAt).getTime()).toBeLessThanOrEqual(new Date(firstOver!.ts).getTime());
  });
});

describe('noise in batches', () => {
  it('gives a batched music run the same single alert as the same readings sent one by one', async () => {
    const run = (deviceId: string) => noiseRun({ deviceId, start: localTime(TZ, 22, 10), seconds: 90, source: 'music', laeq: 62, seed: 41, seqStart: 1 });
    const [single, batch] = [await provision(t, admin, 'z-park-square'), await provision(t, admin, 'z-park-square')];
    const [a, b] = [await connectDevice(t, single.id, single.secret), await connectDevice(t, batch.id, batch.secret)];
    clients.push(a, b);
    const scored = () => t.platform.metrics.value('inference_readings_total', { stream: 'noise' });
    const before = await scored();
    await publishAll(a, run(single.id));
    const batches = batched(run(batch.id), 30);
    expect(batches).toHaveLength(3);
    await publishAll(b, batches);
    await waitFor(async () => (await scored()) >= before + 180 || undefined, 'all 180 readings scored');
    const alerts = (id: string) =>
      t.platform.db.pool.query<{ started_at: Date; detected_at: Date; model_version: string; evidence: Record<string, unknown> }>(
        'SELECT started_at, detected_at, model_version, evidence FROM alerts WHERE device_id = $1 AND incident_id IS NOT NULL', [id]);
    await waitFor(async () => ((await alerts(single.id)).rows.length === 1 && (await alerts(batch.id)).rows.length === 1) || undefined, 'one alert per device');
    const [one, many] = [(await alerts(single.id)).rows[0]!, (await alerts(batch.id)).rows[0]!];
    expect(many.started_at).toEqual(one.started_at);
    expect(many.detected_at).toEqual(one.detected_at);
    expect(many.model_version).toBe(one.model_version);
    expect(JSON.parse(JSON.stringify(many.evidence).replaceAll(batch.id, 'device'))).toEqual(JSON.parse(JSON.stringify(one.evidence).replaceAll(single.id, 'device')));
  });
});

describe('model rollout', () => {
  it('runs a new version in shadow (recorded, not alerting), then hot-swaps it in', async () => {
    // A "field-trained" copy of the noise model as version 2.0.1-field under DATA_DIR/models.
    const card = JSON.parse(await readFile(path.join(MODELS_DIR, 'noise-window.card.json'), 'utf8')) as { version: string; file: string };
    const dir = path.join(t.platform.config.database.dataDir, 'models', 'noise-window-field');
    await mkdir(dir, { recursive: true });
    await cp(path.join(MODELS_DIR, card.file), path.join(dir, card.file));
    await writeFile(path.join(dir, 'noise-window.card.json'), JSON.stringify({ ...card, version: '2.0.1-field' }));
    // Inference registers the versions it finds; the API rolls out registered versions only.
    await waitFor(async () => (await api<{ version: string }[]>(t, admin, 'GET', '/api/v1/models')).body.some((m) => m.version === '2.0.1-field') || undefined, 'the new version to be registered');
    const r = await api(t, admin, 'PUT', '/api/v1/models/noise-window/rollout', { active: card.version, shadow: '2.0.1-field' });
    expect(r.status).toBe(200);
    await waitFor(() => t.platform.inference!.models()['noise-window']?.shadow === '2.0.1-field' || undefined, 'the shadow version to load');

    const d = await provision(t, admin, 'z-park-square');
    const slm = await connectDevice(t, d.id, d.secret);
    clients.push(slm);
    await publishAll(slm, noiseRun({ deviceId: d.id, start: localTime(TZ, 22, 30), seconds: 90, source: 'music', laeq: 62, seed: 31, seqStart: 1 }));
    await waitFor(async () => (await count(t, 'SELECT 1 FROM shadow_alerts WHERE device_id = $1', [d.id])) === 1 || undefined, 'the shadow result');
    await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [d.id])) === 1 || undefined, 'the active alert');
    const shadow = await t.platform.db.pool.query('SELECT model_version FROM shadow_alerts WHERE device_id = $1', [d.id]);
    expect(shadow.rows[0].model_version).toBe('noise-window@2.0.1-field');
    // The officer confirms the active alert; the API compares the shadow with the active version.
    const active = await t.platform.db.pool.query<{ id: string }>('SELECT id FROM alerts WHERE device_id = $1', [d.id]);
    expect((await api(t, admin, 'POST', `/api/v1/alerts/${active.rows[0]!.id}/verdict`, { verdict: 'confirmed' })).status).toBe(200);
    const cmp = await api<{ shadowVersion: string; activeVersions: string[]; both: number; onlyShadow: number; agreement: number; shadow: { confirmed: number; precision: number | null }; active: { precision: number | null } }[]>(t, admin, 'GET', '/api/v1/models/noise-window/shadow');
    expect(cmp.status).toBe(200);
    expect(cmp.body).toHaveLength(1);
    expect(cmp.body[0]).toMatchObject({ shadowVersion: '2.0.1-field', activeVersions: [card.version], both: 1, onlyShadow: 0, agreement: 1, shadow: { confirmed: 1, precision: 1 }, active: { precision: 1 } });

    await api(t, admin, 'PUT', '/api/v1/models/noise-window/rollout', { active: '2.0.1-field', shadow: null });
    await waitFor(() => t.platform.inference!.models()['noise-window']?.active === '2.0.1-field' || undefined, 'the hot swap');
    expect(t.platform.inference!.models()['noise-window']?.shadow).toBeNull();
  });
});
