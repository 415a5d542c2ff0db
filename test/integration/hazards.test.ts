import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { topics } from '../../contract/mqtt/topics.js';
import { localTime, type TelemetryMessage } from '../../simulator/scenarios.js';
import { edgeVisit, smokeRun, type SmokeScene } from '../../simulator/hazards.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { openCase, openStream, type LiveStream } from '../support/cases.js';
import { DESKTOP, hasBrowser, launch, signIn } from '../support/browser.js';

/**
 * Intrusion and smoke end to end through real parts: devices publish over MQTT (real mqtt.js clients
 * with their own credentials), the broker, ingest, the inference worker's rules, the loudspeaker
 * command and its acknowledgement, alert intake, the case routed by its catalogue matter, and the
 * teams' live streams.
 */
const TZ = 'Asia/Shanghai';
let t: TestPlatform;
let admin: string;
const clients: MqttClient[] = [];
const streams: LiveStream[] = [];

interface CaseBody {
  id: string;
  kind: string;
  zoneId: string;
  teamId: string | null;
  supportTeamId: string | null;
  supportTeamNameZh?: string | null;
  matterCode: string | null;
  deadlines?: { name: string; dueAt: string }[];
  createdAt: string;
}

beforeAll(async () => {
  t = await startTestPlatform({ INTRUSION_GRACE_S: '60', INTRUSION_CONFIRM_S: '10' });
  admin = await login(t, 'admin');
});
afterAll(async () => {
  for (const s of streams) s.close();
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
});

async function stream(user: string): Promise<LiveStream> {
  const s = await openStream(t, await login(t, user));
  streams.push(s);
  return s;
}

/** A device in a zone, connected as itself; a camera with a speaker acknowledges every command it gets. */
async function device(zoneId: string, kind: 'camera' | 'smoke_detector', hasSpeaker = false) {
  const d = await provision(t, admin, zoneId, { kind, hasSpeaker });
  const client = await connectDevice(t, d.id, d.secret);
  clients.push(client);
  const commands: { topic: string; body: { commandId: string; clip: string; stage: string } }[] = [];
  client.on('message', (topic, payload) => {
    // The command filter also matches the device's own acknowledgements (MQTT 3.1.1 has no no-local).
    if (topic.endsWith('/ack')) return;
    const body = JSON.parse(payload.toString('utf8')) as { commandId: string; clip: string; stage: string };
    commands.push({ topic, body });
    void client.publishAsync(`${topic}/ack`, JSON.stringify({ commandId: body.commandId, played: true }), { qos: 1 });
  });
  await client.subscribeAsync(topics.deviceCommands(d.id), { qos: 1 });
  return { ...d, client, commands };
}

/** Publishes the messages and waits until the worker has judged every reading of the stream. */
async function play(dev: { client: MqttClient }, messages: TelemetryMessage[], stream: 'tracks' | 'smoke') {
  const judged = () => t.platform.metrics.value('inference_readings_total', { stream });
  const before = await judged();
  await publishAll(dev.client, messages);
  await waitFor(async () => (await judged()) >= before + messages.length || undefined, `${messages.length} ${stream} readings judged`);
}

const alertsOf = async (deviceId: string, kind: string) =>
  (await t.platform.db.pool.query<{ id: string; started_at: Date; detected_at: Date; evidence: Record<string, unknown> }>(
    'SELECT id, started_at, detected_at, evidence FROM alerts WHERE device_id = $1 AND kind = $2 ORDER BY detected_at', [deviceId, kind])).rows;

/** Every alert the worker emitted has reached the database (so "no alert" is not "not yet"). */
async function settled(kind: string): Promise<void> {
  const emitted = await t.platform.metrics.value('inference_alerts_total', { kind });
  await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE kind = $1', [kind])) >= emitted || undefined, `${kind} alerts recorded`);
}

describe('intrusion at the water\'s edge of a closed zone', () => {
  let camera: Awaited<ReturnType<typeof device>>;
  const zone = 'z-hz-river';

  beforeAll(async () => {
    // A riverside zone of Riverbank Street without a fishing ban, closed at night by a closure rule
    // set through the API (the worker reloads its rules when the API announces the change).
    await t.platform.db.pool.query(
      `INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone, capacity, fishing_ban)
       SELECT $1, site_id, 'Test riverside steps', geometry, noise_class, timezone, NULL, false FROM zones WHERE id = 'z-riverbank'`, [zone]);
    const ops = await login(t, 'ops');
    const put = await api(t, ops, 'PUT', `/api/v1/zones/${zone}/rules`, { rules: [{ kind: 'closure', name: 'Closed at night', nameZh: '夜间关闭', start: '22:00', end: '06:00', params: { closed: true } }] });
    expect(put.status).toBe(200);
    const bad = await api<{ code: string }>(t, ops, 'PUT', `/api/v1/zones/${zone}/rules`, { rules: [{ kind: 'closure', name: 'No answer', params: {} }] });
    expect(bad.body.code).toBe('RULE_INVALID');
    camera = await device(zone, 'camera', true);
  });

  it('warns a person at the edge in closed hours and raises nothing when they leave within the grace time', async () => {
    const start = localTime(TZ, 23, 0);
    await play(camera, edgeVisit({ deviceId: camera.id, trackId: 'left-1', start, approachS: 20, stayS: 40, leaveS: 30, stepS: 5, seed: 1, seqStart: 1 }), 'tracks');
    await waitFor(() => camera.commands.length >= 1 || undefined, 'the loudspeaker warning');
    expect(camera.commands[0]?.body).toMatchObject({ clip: 'anti-drowning', stage: 'warning' });
    expect(camera.commands[0]?.topic).toBe(topics.command(camera.id, 'speaker.play'));
    // The acknowledgement is recorded against the command (the command/ack contract of the ladder).
    await waitFor(async () => (await count(t, 'SELECT 1 FROM device_commands WHERE device_id = $1 AND acked_at IS NOT NULL', [camera.id])) === 1 || undefined, 'the ack recorded');
    await settled('intrusion');
    expect(await alertsOf(camera.id, 'intrusion')).toHaveLength(0);
  });

  it('raises nothing in open hours', async () => {
    const start = localTime(TZ, 15, 0);
    await play(camera, edgeVisit({ deviceId: camera.id, trackId: 'day-1', start, approachS: 20, stayS: 300, leaveS: 20, stepS: 5, seed: 2, seqStart: 1000 }), 'tracks');
    await settled('intrusion');
    expect(await alertsOf(camera.id, 'intrusion')).toHaveLength(0);
    expect(camera.commands).toHaveLength(1); // only the night's warning
  });

  it('alerts when the person stays past the grace time: a case for the street team and emergency management, with its SLA', async () => {
    const river = await stream('river.zhao');
    const emergency = await stream('emerg.ma');
    const east = await stream('east.li');
    const start = localTime(TZ, 23, 40);
    await play(camera, edgeVisit({ deviceId: camera.id, trackId: 'stay-1', start, approachS: 20, stayS: 150, leaveS: 20, stepS: 5, seed: 3, seqStart: 2000 }), 'tracks');
    const opened = await river.next((m) => m.event === 'case.opened' && (m.data.case as CaseBody).kind === 'intrusion', 30_000);
    const c = opened.data.case as CaseBody;
    expect(c).toMatchObject({ zoneId: zone, teamId: 't-river', supportTeamId: 't-emergency', supportTeamNameZh: '区应急管理综合行政执法队', matterCode: 'INTRUSION-WATER-EDGE' });
    await emergency.next((m) => m.event === 'case.opened' && (m.data.case as CaseBody).id === c.id, 10_000);

    const alerts = await alertsOf(camera.id, 'intrusion');
    expect(alerts).toHaveLength(1);
    const warning = camera.commands.at(-1)?.body;
    expect(warning).toMatchObject({ clip: 'anti-drowning', alertId: alerts[0]!.id });
    // Warned 10 s after reaching the edge, alerted at the first observation 60 s after the warning.
    const reachedEdge = alerts[0]!.started_at.getTime();
    expect(alerts[0]!.evidence).toMatchObject({ trackId: 'stay-1', warning: 'played', closureRule: { name: 'Closed at night', nameZh: '夜间关闭' } });
    // The Chinese summary names the rule by its Chinese name.
    expect(String(alerts[0]!.evidence.summaryZh)).toMatch(/^有人在封闭区域（夜间关闭）水边停留/);
    expect(alerts[0]!.detected_at.getTime() - reachedEdge).toBe(70_000);

    // Both teams see it and the emergency officer may act on it; another street does not see it.
    const emergencyToken = await login(t, 'emerg.ma');
    const detail = await api<CaseBody & { actions: string[] }>(t, emergencyToken, 'GET', `/api/v1/cases/${c.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.actions).toContain('accept');
    expect((await api(t, await login(t, 'east.li'), 'GET', `/api/v1/cases/${c.id}`)).status).toBe(404);
    expect(east.received.some((m) => JSON.stringify(m.data).includes(c.id))).toBe(false);
    // The matter's own SLA: accepted within 2 minutes, on site within 10 of the report.
    const deadlines = await t.platform.db.pool.query<{ name: string; minutes: number }>(
      `SELECT d.name, round(extract(epoch FROM d.due_at - c.created_at) / 60)::int AS minutes FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.case_id = $1 ORDER BY d.name`, [c.id]);
    expect(deadlines.rows).toEqual([{ name: 'accept', minutes: 2 }, { name: 'on_site', minutes: 10 }]);
    // The emergency officer accepts; the street team hears of it on its stream.
    const accepted = await api(t, emergencyToken, 'POST', `/api/v1/cases/${c.id}/transitions`, { event: 'accept' });
    expect(accepted.status).toBe(200);
    await river.next((m) => m.event === 'case.updated' && m.data.caseId === c.id && m.data.state === 'accepted', 10_000);
  });

  it('lets the supporting team work the case, but not give it to another team or dismiss it: that stays the holding team\'s call', async () => {
    const id = await openCase(t, 'intrusion', 'z-river-steps');
    const holding = async () => (await t.platform.db.pool.query<{ state: string; team: string }>('SELECT state, team_id AS team FROM cases WHERE id = $1', [id])).rows[0];
    expect(await holding()).toEqual({ state: 'dispatched', team: 't-river' });
    const lead = await login(t, 'emerg.lead');
    const officer = await login(t, 'emerg.ma');
    expect((await api<{ actions: string[] }>(t, lead, 'GET', `/api/v1/cases/${id}`)).body.actions).toEqual(['accept']);
    for (const [token, body] of [[lead, { event: 'dispatch', teamId: 't-emergency' }], [lead, { event: 'dispatch', teamId: 't-east' }], [officer, { event: 'dismiss', reason: 'nobody there', falseAlarm: true }]] as const) {
      const r = await api<{ code: string }>(t, token, 'POST', `/api/v1/cases/${id}/transitions`, body);
      expect(r.status, JSON.stringify(body)).toBe(403);
      expect(r.body.code).toBe('HOLDING_TEAM_ONLY');
    }
    expect(await holding()).toEqual({ state: 'dispatched', team: 't-river' });
    // It works the case beside the street team; the street team still decides where it goes.
    expect((await api(t, officer, 'POST', `/api/v1/cases/${id}/transitions`, { event: 'accept' })).status).toBe(200);
    expect((await api(t, await login(t, 'river.zhao'), 'POST', `/api/v1/cases/${id}/transitions`, { event: 'dismiss', reason: 'a heron', falseAlarm: true })).status).toBe(200);
  });
});

describe('smoke and fire', () => {
  let detector: Awaited<ReturnType<typeof device>>;
  let seq = 1;
  const scene = (scene: SmokeScene, start: Date, seconds: number, eventAtS: number, seed: number) => {
    const m = smokeRun({ deviceId: detector.id, start, scene, seconds, stepS: 5, eventAtS, ambientC: 22, seed, seqStart: seq });
    seq += m.length;
    return m;
  };

  beforeAll(async () => {
    detector = await device('z-park-square', 'smoke_detector');
  });

  it('raises nothing for a puff of dust or a cloud of steam', async () => {
    const base = localTime(TZ, 10, 0);
    await play(detector, [
      ...scene('dust', base, 120, 60, 11),
      ...scene('steam', new Date(base.getTime() + 120_000), 120, 30, 12),
    ], 'smoke');
    await settled('smoke');
    expect(await alertsOf(detector.id, 'smoke')).toHaveLength(0);
  });

  it('raises a fire within seconds of device time, routed to emergency management only, with the shortest SLA', async () => {
    const emergency = await stream('emerg.ma');
    const east = await stream('east.li');
    const start = localTime(TZ, 12, 0);
    const fire = scene('fire', start, 180, 60, 13);
    await play(detector, fire, 'smoke');
    const opened = await emergency.next((m) => m.event === 'case.opened' && (m.data.case as CaseBody).kind === 'smoke', 30_000);
    const c = opened.data.case as CaseBody;
    expect(c).toMatchObject({ zoneId: 'z-park-square', teamId: 't-emergency', supportTeamId: null, matterCode: 'SMOKE-FIRE' });
    const alerts = await alertsOf(detector.id, 'smoke');
    expect(alerts).toHaveLength(1);
    // Seconds: from the first reading over the smoke threshold to the alert, on the device's clock.
    const firstSmoke = fire.map((m) => JSON.parse(m.payload) as { ts: string; obscuration: number }).find((r) => r.obscuration >= 10)!;
    const lag = alerts[0]!.detected_at.getTime() - Date.parse(firstSmoke.ts);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(10_000);
    expect(alerts[0]!.evidence).toMatchObject({ basis: 'smoke_and_heat' });
    const deadlines = await t.platform.db.pool.query<{ name: string; minutes: number }>(
      `SELECT d.name, round(extract(epoch FROM d.due_at - c.created_at) / 60)::int AS minutes FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.case_id = $1 ORDER BY d.name`, [c.id]);
    expect(deadlines.rows).toEqual([{ name: 'accept', minutes: 1 }, { name: 'on_site', minutes: 5 }]);
    expect(east.received.some((m) => JSON.stringify(m.data).includes(c.id))).toBe(false);
    expect((await api(t, await login(t, 'east.li'), 'GET', `/api/v1/cases/${c.id}`)).status).toBe(404);
  });

  it('keeps one alarm while the smoke thins and thickens, and alarms again only after it cleared', async () => {
    const before = (await alertsOf(detector.id, 'smoke')).length;
    const start = localTime(TZ, 14, 0);
    // A smouldering fire (persistent smoke, little heat), then the smoke wavers between 5 and 15 %/m.
    const smoulder = scene('smoulder', start, 240, 30, 14);
    const waver = Array.from({ length: 24 }, (_, i) => ({
      topic: topics.telemetry(detector.id, 'smoke'),
      payload: JSON.stringify({ ts: new Date(start.getTime() + (240 + i * 5) * 1000).toISOString(), seq: seq++, obscuration: i % 6 < 3 ? 5 : 15, temperatureC: 24 }),
    }));
    await play(detector, [...smoulder, ...waver], 'smoke');
    await settled('smoke');
    expect((await alertsOf(detector.id, 'smoke')).length - before, 'one alarm through the wavering smoke').toBe(1);
    // It clears (three readings below 3 %/m), then smoke rises again: a second alarm.
    const clearAt = new Date(start.getTime() + 360_000);
    await play(detector, [...scene('clean', clearAt, 30, 0, 15), ...scene('smoulder', new Date(clearAt.getTime() + 30_000), 240, 0, 16)], 'smoke');
    await settled('smoke');
    const after = await alertsOf(detector.id, 'smoke');
    expect(after.length - before).toBe(2);
    expect(after.at(-1)!.evidence).toMatchObject({ basis: 'persistent_smoke' });
  });
});

describe.skipIf(!hasBrowser)('the web app shows both kinds', () => {
  it('lists the smoke and intrusion cases in the emergency officer\'s inbox with their labels, and their evidence in the case view', async () => {
    const browser = await launch();
    try {
      const page = await signIn(await browser.newContext(DESKTOP), t, 'emerg.ma');
      // The Chinese screens show the case's Chinese title (the alert's summaryZh).
      const smokeCard = page.locator('#cases li.kind-smoke', { hasText: '（温度上升）' }).first();
      await smokeCard.waitFor({ timeout: 30_000 });
      expect(await smokeCard.locator('.card-title').innerText()).toContain('烟火');
      expect(await page.locator('#cases li.kind-intrusion .card-title').first().innerText()).toContain('区域入侵');
      expect(await page.locator('#cases li.kind-intrusion .card-sub').first().innerText()).toMatch(/^有人在封闭区域.*水边停留 \d+ 秒/);
      await smokeCard.locator('a').click();
      // The smoke alert's evidence: obscuration and temperature charts, and why it alarmed.
      await page.locator('.alert-evidence', { hasText: '烟雾且温度快速上升' }).waitFor({ timeout: 30_000 });
      expect(await page.locator('.alert-evidence figure').count()).toBeGreaterThanOrEqual(2);
      await page.goto(`${t.http}/#/inbox`);
      await page.locator('#cases li.kind-intrusion a').first().click();
      const evidence = page.locator('.alert-evidence .intrusion');
      await evidence.waitFor({ timeout: 30_000 });
      expect(await evidence.innerText()).toMatch(/防溺水广播后仍停留 \d+ 秒/);
      expect(await page.locator('#d-facts').innerText()).toContain('区应急管理综合行政执法队'); // working with the street team, by its name
    } finally {
      await browser.close();
    }
  });
});
