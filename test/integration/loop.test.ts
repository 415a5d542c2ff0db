import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * The whole loop of DESIGN §3 through real parts: a device publishes over MQTT to the Aedes broker,
 * ingest stores the readings, the inference worker classifies them with the ONNX model and applies the
 * zone's limits, the alert becomes an incident and a case routed to the street team, which sees it
 * through the API and its live stream — and another team does not.
 */
interface CaseBody {
  id: string;
  kind: string;
  zoneId: string;
  teamId: string | null;
  state: string;
  alertCount: number;
  titleZh: string | null;
}

const TZ = 'Asia/Shanghai';
let t: TestPlatform;
let admin: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestPlatform();
  admin = await login(t, 'admin');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
});

async function device(zoneId = 'z-park-square') {
  const d = await provision(t, admin, zoneId);
  const client = await connectDevice(t, d.id, d.secret);
  clients.push(client);
  return { ...d, client };
}

async function classified(): Promise<number> {
  return t.platform.metrics.value('inference_readings_total');
}

/** Publishes a run and waits until every reading is both stored and classified. */
async function play(dev: { id: string; client: MqttClient }, run: Omit<Parameters<typeof noiseRun>[0], 'deviceId'>, stored = run.seconds) {
  const before = await classified();
  await publishAll(dev.client, noiseRun({ ...run, deviceId: dev.id }));
  await waitFor(async () => (await classified()) >= before + run.seconds, 'inference to classify the run');
  await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [dev.id])) >= stored, 'ingest to store the run');
}

describe('noise loop', () => {
  it('opens exactly one case for the street team when amplified music breaks the night limit', async () => {
    const dev = await device();
    const officer = await login(t, 'east.li');
    const otherTeam = await login(t, 'river.zhao');

    // The officer's live stream is open before the music starts.
    const events: string[] = [];
    const stream = await fetch(`${t.http}/api/v1/stream?access_token=${officer}`, { headers: { accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const pump = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        events.push(decoder.decode(value));
      }
    })().catch(() => undefined);

    // 22:30 local time: class-1 night limit is 45 dB(A); music at ~62 dB(A) for two minutes (> 60 s minimum).
    await play(dev, { start: localTime(TZ, 22, 30), seconds: 120, source: 'music', laeq: 62, seed: 1, seqStart: 1 });

    const cases = await waitFor(async () => {
      const r = await api<CaseBody[]>(t, officer, 'GET', '/api/v1/cases');
      return r.body.length > 0 ? r.body : undefined;
    }, 'the case to reach the officer');
    expect(cases).toHaveLength(1);
    const c = cases[0]!;
    expect(c).toMatchObject({ kind: 'noise', zoneId: 'z-park-square', teamId: 't-east', state: 'dispatched', alertCount: 1 });
    expect(c.titleZh).toMatch(/^扩音音乐 [\d.]+ dB\(A\)，超过夜间限值 45 dB\(A\)$/);
    expect(await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [dev.id])).toBe(1);
    expect(await count(t, 'SELECT 1 FROM incidents')).toBe(1);
    expect(await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [dev.id])).toBe(120);

    // The alert carries its evidence: the night limit applied and the model's verdict.
    const detail = await api<{ alerts: { evidence: { limit: { laeq: number; period: string }; laeq: number; scores: Record<string, number> } }[]; events: { type: string }[] }>(
      t, officer, 'GET', `/api/v1/cases/${c.id}`,
    );
    expect(detail.status).toBe(200);
    const evidence = detail.body.alerts[0]!.evidence;
    expect(evidence.limit).toMatchObject({ period: 'night', laeq: 45 });
    expect(evidence.laeq).toBeGreaterThan(58);
    expect(evidence.scores.music).toBeGreaterThan(0.6);
    expect(detail.body.events.map((e) => e.type)).toEqual(['reported', 'dispatched']);

    // Pushed on the officer's live stream.
    await waitFor(() => events.join('').includes(`"id":"${c.id}"`), 'the case on the live stream', 5000);
    expect(events.join('')).toContain('event: case.opened');
    await reader.cancel();
    await pump;

    // Another street's officer neither lists nor opens it.
    expect((await api<CaseBody[]>(t, otherTeam, 'GET', '/api/v1/cases')).body).toHaveLength(0);
    expect((await api(t, otherTeam, 'GET', `/api/v1/cases/${c.id}`)).status).toBe(404);
    // The operations view sees it.
    expect((await api<CaseBody[]>(t, admin, 'GET', '/api/v1/cases')).body.map((x) => x.id)).toContain(c.id);
  });

  it('raises nothing for the same music at 50 dB(A) at 15:00 (under the 55 dB(A) day limit)', async () => {
    const dev = await device();
    await play(dev, { start: localTime(TZ, 15, 0), seconds: 120, source: 'music', laeq: 50, seed: 2, seqStart: 1 });
    expect(await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [dev.id])).toBe(0);
  });

  it('raises nothing for loud road traffic at night: the model, not the level alone, names the source', async () => {
    const dev = await device();
    await play(dev, { start: localTime(TZ, 23, 0), seconds: 120, source: 'traffic', laeq: 62, seed: 3, seqStart: 1 });
    expect(await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [dev.id])).toBe(0);
  });

  it('treats re-delivered readings and a replayed episode idempotently', async () => {
    const dev = await device();
    const run = { start: localTime(TZ, 21, 0), seconds: 90, source: 'music' as const, laeq: 64, seed: 4, seqStart: 1 };
    await play(dev, run);
    const alerts = await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1 AND incident_id IS NOT NULL', [dev.id])) || undefined, 'the alert and its case');
    expect(alerts).toBe(1);
    const casesBefore = await count(t, 'SELECT 1 FROM cases');
    // The same readings again (a device re-sending after a reconnect): classified again but no new
    // alert, and stored once.
    await play(dev, run);
    expect(await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [dev.id])).toBe(1);
    // A second episode of the same device later in the incident window joins the same case.
    await play(dev, { ...run, start: new Date(run.start.getTime() + 10 * 60_000), seed: 5, seqStart: 1000 }, 180);
    await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [dev.id])) === 2 || undefined, 'the second alert');
    await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1 AND incident_id IS NOT NULL', [dev.id])) === 2 || undefined, 'the second alert to reach its incident');
    expect(await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [dev.id])).toBe(180);
    expect(await count(t, 'SELECT 1 FROM cases')).toBe(casesBefore);
    expect(await count(t, 'SELECT 1 FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.device_id = $1 GROUP BY i.id', [dev.id])).toBe(1);
  });
});
