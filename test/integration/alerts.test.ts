import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/** Alerts through the API: filters and scope, officers' verdicts as labels, precision per model version. */
interface AlertBody {
  id: string;
  kind: string;
  zoneId: string;
  caseId: string | null;
  modelVersion: string;
  verdict: string | null;
  evidence: { limit: { laeq: number } };
}

let t: TestPlatform;
let admin: string;
let device: MqttClient;
let alert: AlertBody;

beforeAll(async () => {
  t = await startTestPlatform();
  admin = await login(t, 'admin');
  const d = await provision(t, admin, 'z-park-square');
  device = await connectDevice(t, d.id, d.secret);
  await publishAll(device, noiseRun({ deviceId: d.id, start: localTime('Asia/Shanghai', 22, 40), seconds: 90, source: 'music', laeq: 63, seed: 21, seqStart: 1 }));
  await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE incident_id IS NOT NULL')) === 1 || undefined, 'the alert and its case');
  alert = (await api<AlertBody[]>(t, admin, 'GET', '/api/v1/alerts')).body[0]!;
});

afterAll(async () => {
  await device?.endAsync();
  await t?.stop();
});

describe('alerts API', () => {
  it('lists alerts with evidence and case, filtered and scoped to the team', async () => {
    expect(alert).toMatchObject({ kind: 'noise', zoneId: 'z-park-square', verdict: null });
    expect(alert.caseId).toBeTruthy();
    expect(alert.evidence.limit.laeq).toBe(45);
    const officer = await login(t, 'east.li');
    expect((await api<AlertBody[]>(t, officer, 'GET', '/api/v1/alerts?kind=noise&zoneId=z-park-square')).body.map((a) => a.id)).toEqual([alert.id]);
    expect((await api<AlertBody[]>(t, admin, 'GET', '/api/v1/alerts?kind=fishing')).body).toHaveLength(0);
    expect((await api<AlertBody[]>(t, admin, 'GET', `/api/v1/alerts?before=${new Date(Date.now() - 30 * 86_400_000).toISOString()}`)).body).toHaveLength(0);
    const other = await login(t, 'river.zhao');
    expect((await api<AlertBody[]>(t, other, 'GET', '/api/v1/alerts')).body).toHaveLength(0);
    expect((await api(t, other, 'GET', `/api/v1/alerts/${alert.id}`)).status).toBe(404);
  });

  it('records a false alarm only with a reason, and counts it against the model version', async () => {
    const officer = await login(t, 'east.li');
    expect((await api(t, officer, 'POST', `/api/v1/alerts/${alert.id}/verdict`, { verdict: 'false_alarm' })).body).toMatchObject({ code: 'REASON_REQUIRED' });
    expect((await api(t, await login(t, 'river.zhao'), 'POST', `/api/v1/alerts/${alert.id}/verdict`, { verdict: 'confirmed' })).status).toBe(404);
    expect((await api(t, await login(t, 'ops'), 'POST', `/api/v1/alerts/${alert.id}/verdict`, { verdict: 'confirmed' })).status).toBe(403);
    const r = await api<AlertBody>(t, officer, 'POST', `/api/v1/alerts/${alert.id}/verdict`, { verdict: 'false_alarm', reason: 'rehearsal with a permit' });
    expect(r.body.verdict).toBe('false_alarm');
    const models = await api<{ name: string; version: string; verdicts: { confirmed: number; falseAlarms: number; precision: number | null } }[]>(t, officer, 'GET', '/api/v1/models');
    const [name, version] = alert.modelVersion.split('@');
    expect(models.body.find((m) => m.name === name && m.version === version)?.verdicts).toEqual({ confirmed: 0, falseAlarms: 1, precision: 0 });
    // Changing one's mind replaces the verdict rather than adding one.
    await api(t, officer, 'POST', `/api/v1/alerts/${alert.id}/verdict`, { verdict: 'confirmed' });
    const again = await api<typeof models.body>(t, officer, 'GET', '/api/v1/models');
    expect(again.body.find((m) => m.name === name && m.version === version)?.verdicts).toEqual({ confirmed: 1, falseAlarms: 0, precision: 1 });
  });

  it('lets only an admin roll out a model version that exists', async () => {
    const [name, version] = alert.modelVersion.split('@') as [string, string];
    expect((await api(t, await login(t, 'east.li'), 'PUT', `/api/v1/models/${name}/rollout`, { active: version })).status).toBe(403);
    expect((await api(t, admin, 'PUT', `/api/v1/models/${name}/rollout`, { active: '9.9.9' })).body).toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
    expect((await api(t, admin, 'PUT', `/api/v1/models/${name}/rollout`, { active: version, shadow: null })).body).toEqual({ name, active: version, shadow: null });
  });
});
