import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { Webhook } from 'standardwebhooks';
import { localTime, trackRun } from '../../simulator/scenarios.js';
import { newWebhookSecret } from '../../enforcement-api/webhooks/signature.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { Receiver } from '../support/receiver.js';

/**
 * The fishing-ban system posts ban notices to a signed endpoint: signatures checked the Standard
 * Webhooks way (valid, tampered, replayed, expired, the second key of a rotation), and a notice
 * changes what the real worker detects from a camera's MQTT readings — no restart — with the rule
 * history on record and the resulting case sent back out as a signed webhook.
 */
const TZ = 'Asia/Shanghai';
const [OLD_SECRET, NEW_SECRET] = [newWebhookSecret(), newWebhookSecret()];
let t: TestPlatform;
let admin: string;
const clients: MqttClient[] = [];
const receiver = new Receiver();
let seq = 0;

beforeAll(async () => {
  t = await startTestPlatform({
    FISHING_BAN_INBOUND_SECRETS: `${OLD_SECRET},${NEW_SECRET}`,
    FISHING_WARNINGS: '0',
    ZONE_RULES_REFRESH_S: '3600', // only the announcement after a notice reloads the rules
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  admin = await login(t, 'admin');
  await receiver.up();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
  await receiver.down();
});

interface Signed {
  id?: string;
  secret?: string;
  at?: Date;
}

/** Posts a message to the inbound endpoint as the fishing-ban system would, signed with the reference library. */
async function post(message: unknown, o: Signed = {}, tamper?: (body: string) => string): Promise<{ status: number; body: { code?: string; zoneIds?: string[]; rules?: string[] } }> {
  const body = JSON.stringify(message);
  const id = o.id ?? `msg_fb_${++seq}_${Date.now()}`;
  const signature = new Webhook(o.secret ?? NEW_SECRET).sign(id, o.at ?? new Date(), body);
  const res = await fetch(`${t.http}/api/v1/exchange/fishing-ban`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor((o.at ?? new Date()).getTime() / 1000)), 'webhook-signature': signature },
    body: tamper ? tamper(body) : body,
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

const upsert = (data: Record<string, unknown>) => ({ type: 'ban.upserted', timestamp: new Date().toISOString(), data });
const inbound = (outcome: string) => t.platform.metrics.value('webhook_inbound_total', { outcome });
const localDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const square = (lon: number, lat: number, d: number) => ({ type: 'Polygon', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] });

describe('the inbound fishing-ban endpoint', () => {
  it('takes a signed notice once, and refuses tampered, replayed, expired and unsigned ones with clear codes', async () => {
    const notice = upsert({ id: 'YZ-riverbank-standing', kind: 'closed_stretch', name: 'North bank closed stretch', zoneIds: ['z-riverbank'], from: null, until: null });
    const id = 'msg_fb_first';
    const ok = await post(notice, { id });
    expect([ok.status, ok.body.zoneIds, ok.body.rules]).toEqual([200, ['z-riverbank'], ['fishing-ban:YZ-riverbank-standing@z-riverbank']]);
    expect(await inbound('accepted')).toBe(1);
    // The rule it set is named in both languages (an alert citing it, and the Chinese screens, use the Chinese).
    const rules = await api<{ rules: { id: string; name: string; nameZh: string | null }[] }>(t, admin, 'GET', '/api/v1/zones/z-riverbank/rules');
    expect(rules.body.rules.find((r) => r.id === 'fishing-ban:YZ-riverbank-standing@z-riverbank')).toMatchObject({
      name: 'North bank closed stretch (closed stretch, fishing-ban system)', nameZh: 'North bank closed stretch（禁渔水域，禁渔平台）',
    });

    const replayed = await post(notice, { id });
    expect([replayed.status, replayed.body.code]).toEqual([409, 'WEBHOOK_REPLAYED']);
    const tampered = await post(notice, {}, (b) => b.replace('North bank', 'Whole river'));
    expect([tampered.status, tampered.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    const stranger = await post(notice, { secret: newWebhookSecret() });
    expect([stranger.status, stranger.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    const expired = await post(notice, { at: new Date(Date.now() - 10 * 60_000) });
    expect([expired.status, expired.body.code]).toEqual([401, 'WEBHOOK_TIMESTAMP_EXPIRED']);
    const future = await post(notice, { at: new Date(Date.now() + 10 * 60_000) });
    expect([future.status, future.body.code]).toEqual([401, 'WEBHOOK_TIMESTAMP_EXPIRED']);
    const unsigned = await fetch(`${t.http}/api/v1/exchange/fishing-ban`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notice) });
    expect([unsigned.status, ((await unsigned.json()) as { code: string }).code]).toEqual([400, 'WEBHOOK_HEADERS_MISSING']);
    expect([await inbound('replayed'), await inbound('signature_invalid'), await inbound('timestamp_expired'), await inbound('headers_missing')]).toEqual([1, 2, 2, 1]);

    // The sender's key before its rotation still verifies (both are configured meanwhile).
    expect((await post(notice, { secret: OLD_SECRET })).status).toBe(200);
    // Signed but wrong: the schema, an unknown zone, dates the wrong way round.
    expect((await post({ type: 'ban.upserted', timestamp: 'x', data: { id: 'x' } })).body.code).toBe('VALIDATION');
    expect((await post(upsert({ id: 'bad-zone', kind: 'ban_season', name: 'x', zoneIds: ['z-nowhere'], from: null, until: null }))).body.code).toBe('BAN_NOTICE_INVALID');
    expect((await post(upsert({ id: 'bad-dates', kind: 'ban_season', name: 'x', zoneIds: ['z-riverbank'], from: '2026-07-01', until: '2026-03-01' }))).body.code).toBe('BAN_NOTICE_INVALID');
    expect((await post({ type: 'ban.withdrawn', timestamp: new Date().toISOString(), data: { id: 'never-sent' } })).body.code).toBe('BAN_NOTICE_NOT_FOUND');
    expect(await count(t, `SELECT 1 FROM zone_rules WHERE source = 'fishing-ban'`)).toBe(1);
  });
});

describe('a ban notice and detection', () => {
  async function angler(start: Date, trackId: string): Promise<number> {
    const cam = await provision(t, admin, 'z-park-square', { kind: 'camera', hasSpeaker: false });
    const client = await connectDevice(t, cam.id, cam.secret);
    clients.push(client);
    const before = await t.platform.metrics.value('inference_readings_total', { stream: 'tracks' });
    const alerts = await t.platform.metrics.value('inference_alerts_total', { kind: 'fishing' });
    const run = trackRun({ deviceId: cam.id, trackId, role: 'angler', start, seconds: 1500, stepS: 10, seed: 3, seqStart: 1 });
    await publishAll(client, run);
    await waitFor(async () => (await t.platform.metrics.value('inference_readings_total', { stream: 'tracks' })) >= before + run.length || undefined, 'the track to be scored');
    return (await t.platform.metrics.value('inference_alerts_total', { kind: 'fishing' })) - alerts;
  }

  async function announced(send: () => Promise<{ status: number }>): Promise<void> {
    const reloads = await t.platform.metrics.value('inference_rules_reloaded_total');
    expect((await send()).status).toBe(200);
    await waitFor(async () => (await t.platform.metrics.value('inference_rules_reloaded_total')) > reloads || undefined, 'inference to reload the rules');
  }

  it('makes an angler in a zone without a standing ban an offence for the season, and not after it is withdrawn', async () => {
    const sub = await api<{ secret: string }>(t, admin, 'POST', '/api/v1/webhooks/subscribers', { name: 'Fishing-ban platform', url: receiver.url, eventTypes: ['case.opened'], caseKinds: ['fishing'] });
    expect(sub.status).toBe(201);
    const first = localTime(TZ, 10, 0);
    // A closed stretch drawn along the park's lake shore: a geometry, not zone ids.
    const notice = upsert({ id: 'YZ-2026-lake', kind: 'ban_season', name: 'East Lake spawning season', geometry: square(118.781, 32.041, 0.0015), from: localDate(first), until: localDate(first) });
    await announced(() => post(notice));
    const ruleId = 'fishing-ban:YZ-2026-lake@z-park-square';
    const rules = await api<{ rules: { id: string; source: string; from: string }[] }>(t, admin, 'GET', '/api/v1/zones/z-park-square/rules');
    expect(rules.body.rules.find((r) => r.id === ruleId)).toMatchObject({ source: 'fishing-ban', from: localDate(first) });
    // An operator replacing the zone's own rules keeps the fishing-ban system's.
    expect((await api(t, admin, 'PUT', '/api/v1/zones/z-park-square/rules', { rules: [{ id: 'park-midday-rest', kind: 'noise', name: 'Midday rest period', start: '12:00', end: '14:00', params: { laeq: 50 } }] })).status).toBe(200);
    expect((await api<{ rules: { id: string }[] }>(t, admin, 'GET', '/api/v1/zones/z-park-square/rules')).body.rules.map((r) => r.id)).toContain(ruleId);

    expect(await angler(first, 'trk-lake-1')).toBe(1);
    const alert = await waitFor(async () => (await t.platform.db.pool.query<{ evidence: { banRule: { id: string } } }>(`SELECT evidence FROM alerts WHERE kind = 'fishing' AND zone_id = 'z-park-square'`)).rows[0], 'the alert');
    expect(alert.evidence.banRule.id).toBe(ruleId);
    // The case it opened goes out to the subscriber, signed.
    await waitFor(() => receiver.received.length >= 1 || undefined, 'the case.opened webhook');
    const sent = new Webhook(sub.body.secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers) as { type: string; data: { case: { zoneId: string; kind: string }; evidence: { alerts: { summary: string }[] } } };
    expect(sent).toMatchObject({ type: 'case.opened', data: { case: { zoneId: 'z-park-square', kind: 'fishing' } } });
    expect(sent.data.evidence.alerts[0]!.summary).toMatch(/fishing/i);

    await announced(() => post({ type: 'ban.withdrawn', timestamp: new Date().toISOString(), data: { id: 'YZ-2026-lake' } }));
    expect(await angler(localTime(TZ, 11, 0), 'trk-lake-2')).toBe(0);
    const history = await api<{ changes: { ruleId: string; action: string; source: string; actor: string }[] }>(t, admin, 'GET', '/api/v1/zones/z-park-square/rules/history');
    expect(history.body.changes.filter((c) => c.ruleId === ruleId).map((c) => [c.action, c.source])).toEqual([['set', 'fishing-ban'], ['removed', 'fishing-ban']]);
    expect(history.body.changes.find((c) => c.ruleId === ruleId)!.actor).toMatch(/^fishing-ban:msg_fb_/);
  });
});
