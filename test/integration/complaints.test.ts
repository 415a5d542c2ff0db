import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contract/mqtt/topics.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * Citizen complaints end to end on the real API, database and broker: fusion with sensor incidents in
 * both orders (and with none), the sensor record computed from readings sent over MQTT, the private
 * contact, the status lookup that leaks nothing, the coordination queue's escalation on a clock the
 * test moves, Open311 GeoReport v2, and the public endpoints' abuse limits.
 */

const MINUTE = 60_000;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const OPEN311_KEY = 'k'.repeat(24);
const LOOKUP_LIMIT = 14;
const PUBLIC_LIMIT = 6;
let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (u: string) => tokens[u]!;

interface Receipt { complaintId?: string; trackingNumber: string; checkCode: string; status: string; replyDueAt: string }
interface Complaint {
  id: string; trackingNumber: string; status: string; teamId: string | null; matterCode: string | null; caseId: string | null;
  coordinationReason: string | null; coordinationCode?: string | null; declineReason?: string | null; declinedByTeamId?: string | null; declinedByTeamNameZh?: string | null; escalationLevel: number; escalationDueAt: string | null; description: string;
  sensorRecord?: { verdict: string; text: string } | null; events?: { type: string; data: Record<string, unknown> }[];
}

const ago = (min: number) => new Date(Date.now() - min * MINUTE).toISOString();
const file = async (body: Record<string, unknown>, user = 'hotline') => {
  const r = await api<Receipt>(t, as(user), 'POST', '/api/v1/complaints', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const get = async (id: string, user = 'hotline') => {
  const r = await api<Complaint>(t, as(user), 'GET', `/api/v1/complaints/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};
const sensorAlert = async (kind: 'noise' | 'crowding' | 'fishing', zoneId: string, at: string) =>
  t.platform.cases.intake({ id: randomBytes(16).toString('hex'), kind, zoneId, startedAt: at, detectedAt: at, summary: `sensor ${kind}`, evidence: {} }, 30);
const bands = (level: number) => Array.from({ length: 31 }, () => level - 15);

/** Sends noise readings over MQTT from a new sound level meter in the zone, one a second, and waits until they are stored. */
async function sendNoise(zoneId: string, laeq: number, fromMinAgo: number, seconds: number): Promise<void> {
  const dev = await provision(t, as('admin'), zoneId);
  const client = await connectDevice(t, dev.id, dev.secret);
  const start = Date.now() - fromMinAgo * MINUTE;
  await publishAll(client, Array.from({ length: seconds }, (_, i) => ({
    topic: topics.telemetry(dev.id, 'noise'),
    payload: JSON.stringify({ ts: new Date(start + i * 1000).toISOString(), seq: i + 1, laeq, lamax: laeq + 3, bands: bands(laeq) }),
  })));
  await client.endAsync();
  await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [dev.id])) === seconds, `${seconds} readings of ${dev.id}`);
}

const publicPost = (url: string, body: unknown) =>
  fetch(`${t.http}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  t = await startTestPlatform({
    SERVICES: 'broker,ingest,enforcement,api', ESCALATION_INTERVAL_S: '3600', COMPLAINT_COORDINATION_MIN: '60',
    COMPLAINT_PUBLIC_PER_HOUR: String(PUBLIC_LIMIT), COMPLAINT_LOOKUP_PER_HOUR: String(LOOKUP_LIMIT), COMPLAINT_PHOTO_MAX_BYTES: '4096',
    OPEN311_API_KEYS: OPEN311_KEY,
  }, { clock });
  for (const u of ['admin', 'ops', 'hotline', 'head', 'east.li', 'east.lead', 'river.zhao', 'river.chen', 'review', 'fish.liu']) tokens[u] = await login(t, u);
}, 180_000);
afterAll(async () => t?.stop());

describe('a complaint is an alert source fused with sensor incidents', () => {
  it('joins the case of a sensor alert of the same kind, zone and window; the stored readings confirm it', async () => {
    const sensor = await sensorAlert('noise', 'z-park-square', ago(12));
    expect(sensor.outcome).toBe('opened');
    const caseId = sensor.outcome === 'opened' ? sensor.case.id : '';
    await sendNoise('z-park-square', 63, 14, 90);
    const receipt = await file({
      category: 'noise', description: 'Loud music from the square dance, every night', zoneId: 'z-park-square', occurredAt: ago(10),
      contact: { name: 'Ms Zhang', phone: '138 0000 1111' },
    });
    expect(receipt.trackingNumber).toMatch(/^C\d{8}-[0-9A-Z]{8}$/);
    expect(receipt.checkCode).toMatch(/^[0-9A-Z]{8}$/);
    expect(receipt.status).toBe('received');
    const c = await get(receipt.complaintId!);
    expect(c).toMatchObject({ caseId, teamId: 't-east', matterCode: 'NOISE-AMPLIFIED', status: 'received' });
    expect(c.events?.map((e) => e.type)).toEqual(['received', 'fused']);
    // The officer sees it on the case, with the sensor record; never the contact.
    const onCase = await api<Complaint[]>(t, as('east.li'), 'GET', `/api/v1/cases/${caseId}/complaints`);
    expect(onCase.status).toBe(200);
    expect(onCase.body).toHaveLength(1);
    expect(onCase.body[0]!.sensorRecord?.verdict).toBe('confirms');
    expect(onCase.body[0]!.sensorRecord?.text).toMatch(/^LAeq 63 dB\(A\) at \d\d:\d\d, (day|night) limit (45|50|55)$/);
    expect(JSON.stringify(onCase.body)).not.toContain('138 0000');
    const k = await api<{ alertCount: number }>(t, as('east.li'), 'GET', `/api/v1/cases/${caseId}`);
    expect(k.body.alertCount).toBe(2);
    // Another street's officer: the case and its complaints do not exist for them.
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/cases/${caseId}/complaints`)).status).toBe(404);
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/complaints/${receipt.complaintId}`)).status).toBe(404);
  });

  it('opens a case the sensor alert that follows joins', async () => {
    const receipt = await file({ category: 'crowding', description: 'Children playing in the river by the steps', zoneId: 'z-riverbank', occurredAt: ago(6) });
    const c = await get(receipt.complaintId!);
    expect(c).toMatchObject({ teamId: 't-river', matterCode: 'CROWDING', status: 'received' });
    expect(c.caseId).not.toBeNull();
    expect(c.events?.map((e) => e.type)).toEqual(['received', 'case_opened']);
    const sensor = await sensorAlert('crowding', 'z-riverbank', ago(2));
    expect(sensor).toMatchObject({ outcome: 'attached', caseId: c.caseId });
    // No people counter reported: the record has nothing to say.
    const onCase = await api<Complaint[]>(t, as('river.zhao'), 'GET', `/api/v1/cases/${c.caseId}/complaints`);
    expect(onCase.body[0]!.sensorRecord).toMatchObject({ verdict: 'no_data' });
  });

  it('with no sensor incident opens its own case, and quiet readings question it', async () => {
    await sendNoise('z-riverbank', 38, 9, 60);
    const receipt = await file({ category: 'noise', description: 'Loudspeaker of a vendor by the promenade', location: { lon: 118.752, lat: 32.062 }, occurredAt: ago(8) });
    const c = await get(receipt.complaintId!);
    expect(c).toMatchObject({ teamId: 't-river', matterCode: 'NOISE-AMPLIFIED', status: 'received' });
    expect(c.events?.map((e) => e.type)).toEqual(['received', 'case_opened']);
    expect(c.sensorRecord?.verdict).toBe('questions');
    expect(c.sensorRecord?.text).toMatch(/^no exceedance measured: highest LAeq 38 dB\(A\) at \d\d:\d\d, (day|night) limit (50|60) \(1 meter, /);
    const k = await api<{ alertCount: number; kind: string; teamId: string }>(t, as('river.zhao'), 'GET', `/api/v1/cases/${c.caseId}`);
    expect(k.body).toMatchObject({ alertCount: 1, kind: 'noise', teamId: 't-river' });
  });
});

describe('the complainant follows the complaint and sees nothing else', () => {
  it('answers the right tracking number and code only, in one shape, with the reply once given', async () => {
    const mine = await file({ category: 'fishing', description: 'Two men fishing with nets under the bridge', zoneId: 'z-riverbank', contact: { phone: '139 1234 5678' } });
    const other = await file({ category: 'fishing', description: 'Someone else\'s complaint, private', zoneId: 'z-riverbank', contact: { email: 'x@example.org' } });
    const ok = await publicPost('/api/v1/public/complaints/status', { trackingNumber: mine.trackingNumber, checkCode: mine.checkCode.toLowerCase() });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['category', 'receivedAt', 'repliedAt', 'reply', 'replyDueAt', 'status', 'trackingNumber']);
    expect(body).toMatchObject({ trackingNumber: mine.trackingNumber, status: 'received', reply: null });
    // A wrong code, another complaint's code, an unknown number: the same answer.
    const answers = await Promise.all([
      { trackingNumber: mine.trackingNumber, checkCode: 'ZZZZZZZZ' },
      { trackingNumber: mine.trackingNumber, checkCode: other.checkCode },
      { trackingNumber: 'C20260101-00000000', checkCode: mine.checkCode },
    ].map(async (q) => {
      const r = await publicPost('/api/v1/public/complaints/status', q);
      return { status: r.status, body: await r.text() };
    }));
    for (const a of answers) expect(a).toEqual({ status: 404, body: JSON.stringify({ code: 'COMPLAINT_NOT_FOUND', message: 'no complaint with this tracking number and check code' }) });
    // The fisheries team replies; the complainant sees it.
    const m = await get(mine.complaintId!);
    expect(m.teamId).toBe('t-fisheries');
    const stage = await api<Complaint>(t, as('fish.liu'), 'POST', `/api/v1/complaints/${mine.complaintId}/reply`, { status: 'handled_in_stages', reply: 'Patrols added at the bridge; nets seized.' });
    expect(stage.status).toBe(200);
    const done = await api<Complaint>(t, as('fish.liu'), 'POST', `/api/v1/complaints/${mine.complaintId}/reply`, { status: 'handled', reply: 'Both fined under art. 86; the bridge is now watched by a camera.' });
    expect(done.body.status).toBe('handled');
    expect((await api<{ code: string }>(t, as('fish.liu'), 'POST', `/api/v1/complaints/${mine.complaintId}/reply`, { status: 'not_handled', reply: 'again' })).body.code).toBe('COMPLAINT_CLOSED');
    const after = (await (await publicPost('/api/v1/public/complaints/status', { trackingNumber: mine.trackingNumber, checkCode: mine.checkCode })).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ status: 'handled', reply: 'Both fined under art. 86; the bridge is now watched by a camera.' });
    expect(JSON.stringify(after)).not.toMatch(/nets under|139 1234|example\.org/);
  });

  it('keeps the contact private: only the desks and the handling team read it, every read recorded', async () => {
    const r = await file({ category: 'noise', description: 'Karaoke speaker at the pavilion', zoneId: 'z-park-square', contact: { name: 'Mr Wu', phone: '137 0000 2222' } });
    const id = r.complaintId!;
    expect(JSON.stringify(await get(id))).not.toContain('137 0000');
    const read = await api<{ contact: { phone: string }; viewRecorded: { by: string } }>(t, as('east.li'), 'GET', `/api/v1/complaints/${id}/contact`);
    expect(read.status).toBe(200);
    expect(read.body.contact.phone).toBe('137 0000 2222');
    expect((await api(t, as('hotline'), 'GET', `/api/v1/complaints/${id}/contact`)).status).toBe(200);
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/complaints/${id}/contact`)).status).toBe(404);
    expect((await api(t, as('review'), 'GET', `/api/v1/complaints/${id}/contact`)).status).toBe(403);
    const views = await t.platform.complaints.contactViews(id);
    expect(views.map((v) => [v.viewer, v.role])).toEqual([['u-east-li', 'officer'], ['u-hotline', 'hotline']]);
    // The hotline sees no case file.
    const c = await get(id);
    expect((await api(t, as('hotline'), 'GET', `/api/v1/cases/${c.caseId}`)).status).toBe(404);
  });

  it('moves with its case: a case dispatched to another team takes its complaints, their contact and replies with it', async () => {
    const r = await file({ category: 'noise', description: 'Loudspeaker on the old ferry steps', zoneId: 'z-river-steps', contact: { name: 'Ms Gao', phone: '136 0000 3333' } });
    const id = r.complaintId!;
    const before = await get(id, 'ops');
    expect(before).toMatchObject({ teamId: 't-river', status: 'received' });
    const moved = await api(t, as('ops'), 'POST', `/api/v1/cases/${before.caseId}/transitions`, { event: 'dispatch', teamId: 't-east', note: 'the steps are patrolled by East Lake this month' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);

    // The team that gave the case away no longer reads the complainant's contact or answers for it.
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/complaints/${id}/contact`)).status).toBe(404);
    expect((await api(t, as('river.zhao'), 'POST', `/api/v1/complaints/${id}/reply`, { status: 'handled', reply: 'not ours any more' })).status).toBe(404);
    // The team holding the case does.
    expect((await api(t, as('east.li'), 'GET', `/api/v1/complaints/${id}/contact`)).status).toBe(200);
    const replied = await api<Complaint>(t, as('east.li'), 'POST', `/api/v1/complaints/${id}/reply`, { status: 'handled_in_stages', reply: 'An officer is on the way.' });
    expect(replied.status, JSON.stringify(replied.body)).toBe(200);
    const after = await get(id, 'ops');
    expect(after).toMatchObject({ teamId: 't-east', status: 'handled_in_stages' });
    expect(after.events?.find((e) => e.type === 'transferred')?.data).toMatchObject({ caseId: before.caseId, fromTeamId: 't-river', teamId: 't-east' });
  });
});

describe('the coordination queue: never nowhere', () => {
  it('takes complaints no team takes, escalates them on the deadline, and the desk assigns them', async () => {
    offsetMs = 0;
    const other = await file({ category: 'other', description: 'Broken railing on the bridge steps', zoneId: 'z-park-square' });
    const outside = await file({ category: 'noise', description: 'Drums outside any park', location: { lon: 100, lat: 20 } });
    const fused = await file({ category: 'noise', description: 'Loud speaker near the gate', zoneId: 'z-park-square', occurredAt: ago(1) });
    const declined = await api<Complaint>(t, as('east.lead'), 'POST', `/api/v1/complaints/${fused.complaintId}/decline`, { reason: 'the gate is outside our park: city management' });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'coordination', teamId: null });
    const queue = await api<Complaint[]>(t, as('hotline'), 'GET', '/api/v1/complaints?status=coordination');
    const ids = queue.body.map((c) => c.id);
    for (const r of [other, outside, fused]) expect(ids).toContain(r.complaintId);
    expect(queue.body.find((c) => c.id === other.complaintId)?.coordinationReason).toBe('no matter in the catalogue for other complaints');
    expect(queue.body.find((c) => c.id === outside.complaintId)?.coordinationReason).toMatch(/in no zone/);
    // The same as codes the desks word in their language, and a decline with its team and words.
    expect(queue.body.find((c) => c.id === other.complaintId)?.coordinationCode).toBe('no_matter');
    expect(queue.body.find((c) => c.id === outside.complaintId)?.coordinationCode).toBe('no_zone');
    expect(queue.body.find((c) => c.id === fused.complaintId)).toMatchObject({
      coordinationCode: 'declined', declinedByTeamId: 't-east', declinedByTeamNameZh: '东湖街道综合行政执法队', declineReason: 'the gate is outside our park: city management',
    });
    // A team no longer sees what it declined.
    expect((await api(t, as('east.li'), 'GET', `/api/v1/complaints/${fused.complaintId}`)).status).toBe(404);

    expect((await t.platform.coordination!.sweep()).filter((e) => e.id === other.complaintId)).toEqual([]);
    const headSees = async () => (await api<Complaint[]>(t, as('head'), 'GET', '/api/v1/complaints')).body.map((c) => c.id);
    expect(await headSees()).toEqual([]);
    offsetMs = 61 * MINUTE;
    const first = await t.platform.coordination!.sweep();
    expect(first.filter((e) => e.id === other.complaintId)).toEqual([expect.objectContaining({ level: 1, to: 'operator' })]);
    expect((await t.platform.coordination!.sweep()).filter((e) => e.id === other.complaintId)).toEqual([]);
    offsetMs = 122 * MINUTE;
    expect((await t.platform.coordination!.sweep()).filter((e) => e.id === other.complaintId)).toEqual([expect.objectContaining({ level: 2, to: 'agency_head' })]);
    offsetMs = 600 * MINUTE;
    expect((await t.platform.coordination!.sweep()).filter((e) => e.id === other.complaintId)).toEqual([]);
    const c = await get(other.complaintId!, 'ops');
    expect(c.escalationLevel).toBe(2);
    // The agency head now has it: in their list and by its address, but not the complainant's contact.
    expect(await headSees()).toContain(other.complaintId);
    expect((await get(other.complaintId!, 'head')).id).toBe(other.complaintId);
    expect((await api(t, as('head'), 'GET', `/api/v1/complaints/${other.complaintId}/contact`)).status).toBe(403);
    expect((await api(t, as('head'), 'POST', `/api/v1/complaints/${other.complaintId}/reply`, { status: 'handled', reply: 'done' })).status).toBe(403);
    expect(c.events?.filter((e) => e.type === 'escalated').map((e) => e.data.level)).toEqual([1, 2]);
    offsetMs = 0;

    expect((await api(t, as('hotline'), 'POST', `/api/v1/complaints/${other.complaintId}/assign`, { teamId: 't-east' })).status).toBe(403);
    const assigned = await api<Complaint>(t, as('ops'), 'POST', `/api/v1/complaints/${other.complaintId}/assign`, { teamId: 't-east', note: 'railing: street team' });
    expect(assigned.body).toMatchObject({ status: 'received', teamId: 't-east', escalationDueAt: null });
    // Assigned, it leaves the queue the head watches; the head can still follow it through.
    expect((await api<Complaint[]>(t, as('head'), 'GET', '/api/v1/complaints?status=coordination')).body.map((c) => c.id)).not.toContain(other.complaintId);
    expect((await get(other.complaintId!, 'head')).status).toBe('received');
    const replied = await api<Complaint>(t, as('east.lead'), 'POST', `/api/v1/complaints/${other.complaintId}/reply`, { status: 'not_handled', reply: 'The bridge belongs to the water authority; forwarded to them.' });
    expect(replied.body.status).toBe('not_handled');
    // The declined one given back to a team no longer reads as declined.
    const regiven = await api<Complaint>(t, as('ops'), 'POST', `/api/v1/complaints/${fused.complaintId}/assign`, { teamId: 't-east', note: 'the gate is the park\'s after all' });
    expect(regiven.body).toMatchObject({ status: 'received', teamId: 't-east', coordinationCode: null, declinedByTeamId: null, declineReason: null });
  });

  it('counts on-time closure per team and matter in the figures', async () => {
    const f = await api<{ complaints: { teamId: string | null; matterCode: string | null; received: number; due: number; closedOnTime: number; onTimeRate: number | null; inCoordination: number }[] }>(t, as('ops'), 'GET', '/api/v1/figures');
    expect(f.status).toBe(200);
    const fish = f.body.complaints.find((r) => r.teamId === 't-fisheries' && r.matterCode === 'FISHING-BAN');
    expect(fish).toMatchObject({ received: 2, due: 1, closedOnTime: 1, onTimeRate: 1 });
    const queue = f.body.complaints.filter((r) => r.teamId === null).reduce((n, r) => n + r.inCoordination, 0);
    expect(queue).toBe(1);
    const lead = await api<{ complaints: { teamId: string | null }[] }>(t, as('east.lead'), 'GET', '/api/v1/figures');
    expect(new Set(lead.body.complaints.map((r) => r.teamId))).toEqual(new Set(['t-east']));
  });
});

describe('Open311 GeoReport v2', () => {
  const form = (fields: Record<string, string>) => fetch(`${t.http}/open311/v2/requests.json`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
  });

  it('lists services, takes form-encoded requests with an api_key and answers their status', async () => {
    const services = (await (await fetch(`${t.http}/open311/v2/services.json`)).json()) as { service_code: string; metadata: boolean }[];
    expect(services.map((s) => s.service_code)).toEqual(['noise', 'fishing', 'crowding', 'other']);
    const def = await fetch(`${t.http}/open311/v2/services/noise.json`);
    expect(await def.json()).toEqual({ service_code: 'noise', attributes: [] });
    expect((await fetch(`${t.http}/open311/v2/services/nothing.json`)).status).toBe(404);

    const fields = { service_code: 'crowding', lat: '32.041', long: '118.781', description: 'Crowd pushing at the lantern show', email: 'c@example.org', first_name: 'Lin' };
    const noKey = await form(fields);
    expect(noKey.status).toBe(403);
    expect(await noKey.json()).toEqual([{ code: 403, description: 'api_key is missing or not valid' }]);
    const missing = await form({ api_key: OPEN311_KEY, service_code: 'crowding', description: 'no place given' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { code: number }[])[0]?.code).toBe(400);

    const created = await form({ ...fields, api_key: OPEN311_KEY, account_id: 'acc-7' });
    expect(created.status).toBe(201);
    const [req] = (await created.json()) as { service_request_id: string; service_notice: string; account_id: string }[];
    expect(req!.account_id).toBe('acc-7');
    expect(req!.service_notice).toMatch(/^Check code [0-9A-Z]{8}:/);
    const code = /Check code ([0-9A-Z]{8})/.exec(req!.service_notice)![1]!;

    const status = await fetch(`${t.http}/open311/v2/requests/${req!.service_request_id}.json`);
    expect(status.status).toBe(200);
    const [s] = (await status.json()) as Record<string, unknown>[];
    expect(s).toMatchObject({ service_request_id: req!.service_request_id, status: 'open', service_code: 'crowding', description: null, lat: null, long: null,
      agency_responsible: 'East Lake Street integrated enforcement team', address: 'East Lake Park central square' });
    expect(JSON.stringify(s)).not.toMatch(/lantern|example\.org|Lin/);

    // The same complaint on the platform: reply, then Open311 says closed with the reply as notes.
    const [c] = (await api<Complaint[]>(t, as('hotline'), 'GET', '/api/v1/complaints?limit=200')).body.filter((x) => x.trackingNumber === req!.service_request_id);
    await api(t, as('east.lead'), 'POST', `/api/v1/complaints/${c!.id}/reply`, { status: 'handled', reply: 'Stewards sent; the show ended at 21:00.' });
    const list = await fetch(`${t.http}/open311/v2/requests.json?service_request_id=${req!.service_request_id},C20260101-00000000`);
    const both = (await list.json()) as Record<string, unknown>[];
    expect(both).toHaveLength(1);
    expect(both[0]).toMatchObject({ status: 'closed', status_notes: 'Stewards sent; the show ended at 21:00.', expected_datetime: null });
    expect((await fetch(`${t.http}/open311/v2/requests/C20260101-00000000.json`)).status).toBe(404);
    expect((await fetch(`${t.http}/open311/v2/requests.json`)).status).toBe(400);
    // The complainant's page knows it too.
    const pub = await publicPost('/api/v1/public/complaints/status', { trackingNumber: req!.service_request_id, checkCode: code });
    expect(((await pub.json()) as { status: string }).status).toBe('handled');
  });
});

describe('the public form has its own abuse limits', () => {
  const png = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(n)]).toString('base64');
  const refused = async () => {
    const r = await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${as('admin')}` } });
    const text = await r.text();
    return Object.fromEntries([...text.matchAll(/^complaints_public_refused_total\{code="([A-Z_]+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
  };

  it('refuses bad photos and oversized bodies with stable codes, and counts them', async () => {
    const base = { category: 'noise', description: 'Music far too loud at night', zoneId: 'z-park-square' };
    const big = await publicPost('/api/v1/public/complaints', { ...base, photos: [{ contentType: 'image/png', dataBase64: png(5000) }] });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe('PHOTO_TOO_LARGE');
    const fake = await publicPost('/api/v1/public/complaints', { ...base, photos: [{ contentType: 'image/jpeg', dataBase64: png(100) }] });
    expect(fake.status).toBe(400);
    expect(((await fake.json()) as { code: string }).code).toBe('PHOTO_INVALID');
    const huge = await publicPost('/api/v1/public/complaints', { ...base, description: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    const counted = await refused();
    expect(counted.PHOTO_TOO_LARGE).toBe(1);
    expect(counted.PHOTO_INVALID).toBe(1);
    expect(counted.PAYLOAD_TOO_LARGE).toBe(1);
  });

  it('limits filings and lookups per client address', async () => {
    const body = { category: 'other', description: 'Overflowing bins near the gate', zoneId: 'z-park-square', photos: [{ contentType: 'image/png', dataBase64: png(200) }] };
    const statuses: number[] = [];
    for (let i = 0; i <= PUBLIC_LIMIT; i++) {
      const r = await publicPost('/api/v1/public/complaints', body);
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(((await r.json()) as { code: string }).code).toBe('RATE_LIMITED');
        break;
      }
      expect(r.status).toBe(201);
    }
    expect(statuses.at(-1)).toBe(429);
    const lookups: number[] = [];
    for (let i = 0; i <= LOOKUP_LIMIT && lookups.at(-1) !== 429; i++) {
      lookups.push((await publicPost('/api/v1/public/complaints/status', { trackingNumber: `C20260101-${String(i).padStart(8, '0')}`, checkCode: 'AAAAAAAA' })).status);
    }
    expect(lookups.at(-1)).toBe(429);
    expect(lookups.slice(0, -1).every((s) => s === 404)).toBe(true);
    expect((await refused()).RATE_LIMITED).toBeGreaterThanOrEqual(2);
    // The hotline's own endpoint is not the public budget.
    await file({ category: 'other', description: 'Phone call: graffiti on the pavilion', zoneId: 'z-park-square' });
  });
});
