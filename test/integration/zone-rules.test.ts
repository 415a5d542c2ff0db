import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * Zone rules as data, through the API and the real worker: the seeded midday rest period of the park
 * square makes music an offence that the class-1 day limit allows; a holiday-only rule applies on the
 * calendar's dates and not the day before; a change through the API applies at once.
 */
const TZ = 'Asia/Shanghai';
let t: TestPlatform;
let admin: string;
let officer: string;
let operator: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestPlatform({ ZONE_RULES_REFRESH_S: '3600' }); // only the API's announcement reloads rules
  [admin, officer, operator] = await Promise.all([login(t, 'admin'), login(t, 'east.li'), login(t, 'ops')]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
});

interface Evidence {
  limit: { laeq: number; period: string; rule?: { id: string; name: string; nameZh?: string } };
  summaryZh?: string;
}

/** Plays `seconds` of music at `laeq` on a new meter in the square; resolves with its alerts once all are scored. */
async function music(start: Date, laeq: number, seconds = 150): Promise<{ evidence: Evidence }[]> {
  const d = await provision(t, admin, 'z-park-square');
  const client = await connectDevice(t, d.id, d.secret);
  clients.push(client);
  const scored = await t.platform.metrics.value('inference_readings_total', { stream: 'noise' });
  const emitted = await t.platform.metrics.value('inference_alerts_total', { kind: 'noise' });
  await publishAll(client, noiseRun({ deviceId: d.id, start, seconds, source: 'music', laeq, seed: 5, seqStart: 1 }));
  await waitFor(async () => (await t.platform.metrics.value('inference_readings_total', { stream: 'noise' })) >= scored + seconds || undefined, 'the readings to be scored');
  // Every alert the worker emitted for these readings has reached the alerts table.
  const n = (await t.platform.metrics.value('inference_alerts_total', { kind: 'noise' })) - emitted;
  await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE device_id = $1', [d.id])) === n || undefined, 'the alerts to be recorded');
  const r = await t.platform.db.pool.query<{ evidence: Evidence }>('SELECT evidence FROM alerts WHERE device_id = $1', [d.id]);
  return r.rows;
}

const localDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

describe('zone rules', () => {
  it('are listed for everyone and replaced only by operators and admins, with clear errors', async () => {
    const listed = await api<{ rules: { id: string; kind: string; start: string; end: string; params: { laeq: number } }[] }>(t, officer, 'GET', '/api/v1/zones/z-park-square/rules');
    expect(listed.status).toBe(200);
    expect(listed.body.rules).toMatchObject([{ id: 'park-midday-rest', kind: 'noise', start: '12:00', end: '14:00', params: { laeq: 50 } }]);
    const rule = { kind: 'noise', name: 'Evening', start: '19:00', end: '21:00', params: { laeq: 50 } };
    expect((await api(t, officer, 'PUT', '/api/v1/zones/z-park-square/rules', { rules: [rule] })).status).toBe(403);
    expect((await api(t, null, 'GET', '/api/v1/zones/z-park-square/rules')).status).toBe(401);
    const unknown = await api<{ code: string }>(t, operator, 'PUT', '/api/v1/zones/z-nowhere/rules', { rules: [rule] });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'ZONE_NOT_FOUND']);
    const noLimit = await api<{ code: string; message: string }>(t, operator, 'PUT', '/api/v1/zones/z-park-square/rules', { rules: [{ ...rule, params: {} }] });
    expect([noLimit.status, noLimit.body.code]).toEqual([400, 'RULE_INVALID']);
    expect(noLimit.body.message).toMatch(/rules\[0\] \(Evening\).*laeq/);
    const badTime = await api<{ code: string }>(t, operator, 'PUT', '/api/v1/zones/z-park-square/rules', { rules: [{ ...rule, start: '7pm' }] });
    expect(badTime.status).toBe(400);
    const injection = await api<{ code: string }>(t, operator, 'PUT', "/api/v1/zones/z-park-square'; DROP TABLE zones;--/rules", { rules: [] });
    expect(injection.status).toBe(404);
    // Nothing was replaced by the refused requests.
    expect((await api<{ rules: unknown[] }>(t, officer, 'GET', '/api/v1/zones/z-park-square/rules')).body.rules).toHaveLength(1);
    const calendar = await api<{ days: { date: string; name: string }[] }>(t, officer, 'GET', '/api/v1/holidays/CN');
    expect(calendar.body.days).toContainEqual({ date: '2026-10-01', name: 'National Day' });
    expect(calendar.body.days).toHaveLength(33); // 3 + 9 + 3 + 5 + 3 + 3 + 7 days off
    expect((await api(t, operator, 'PUT', '/api/v1/holidays/CN', { days: [] })).status).toBe(403);
    expect((await api<{ code: string }>(t, admin, 'PUT', '/api/v1/holidays/TEST', { days: [{ date: '2026-02-30', name: 'x' }] })).body.code).toBe('HOLIDAY_INVALID');
  });

  it('make music in the midday rest period an offence that the day limit allows, and say so', async () => {
    const midday = await music(localTime(TZ, 12, 30, 1), 53);
    expect(midday).toHaveLength(1);
    expect(midday[0]!.evidence.limit).toEqual({ period: 'day', laeq: 50, lamax: null, rule: { id: 'park-midday-rest', name: 'Midday rest period', nameZh: '午间休息时段' } });
    expect(midday[0]!.evidence.summaryZh).toMatch(/超过“午间休息时段”限值 50 dB\(A\)$/);
    expect(await music(localTime(TZ, 15, 30, 1), 53)).toHaveLength(0);
  });

  it('apply holiday rules on the calendar dates only, and take effect as soon as they are changed', async () => {
    const holiday = localTime(TZ, 16, 0, 3);
    const ordinary = localTime(TZ, 16, 0, 4);
    expect((await api(t, admin, 'PUT', '/api/v1/holidays/CN', { days: [{ date: localDate(holiday), name: 'Test holiday' }] })).status).toBe(200);
    const put = await api<{ rules: { id: string; zoneId: string | null }[] }>(t, operator, 'PUT', '/api/v1/district/rules', {
      rules: [{ kind: 'noise', name: 'Holiday afternoons', days: ['holiday'], start: '15:00', end: '18:00', params: { laeq: 50 } }],
    });
    expect(put.status).toBe(200);
    expect(put.body.rules).toMatchObject([{ zoneId: null }]);
    // The worker reloads on the API's announcement (its own refresh is an hour away here).
    await new Promise((r) => setTimeout(r, 500));
    const onHoliday = await music(holiday, 53);
    expect(onHoliday.map((a) => a.evidence.limit.rule?.name)).toEqual(['Holiday afternoons']);
    expect(await music(ordinary, 53)).toHaveLength(0);
  });
});
