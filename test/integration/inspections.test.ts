import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, decideNoiseCase, openCase, PARTY_ID, SITE } from '../support/cases.js';
import { verifyDraw, type DrawInputs, type DrawnInspection } from '../../enforcement-api/domain/draw.js';

/**
 * Inspections end to end through the real API and database (issue 17): the public checklist with its
 * history, registered inspectors and the refusals (outside the checklist, unregistered, one inspector,
 * repeat within the period), credit colours changing with their reasons as a party's record grows, a
 * random plan whose published seed reproduces its draw, results and follow-up cases, and public
 * endpoints that show no person, party identifier or position.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (u: string) => tokens[u]!;
type Body = Record<string, unknown> & { code?: string };
const call = <T = Body>(user: string | null, method: string, url: string, body?: unknown) => api<T>(t, user ? as(user) : null, method, url, body);

interface Entity { id: string; partyId: string | null; credit: { colour: string; points: number; reasons: { code: string; count: number; text: string }[] } | null }
interface Inspection { id: string; number: number; state: string; itemCode: string; assigned: { userId: string }[]; followUpCaseId: string | null; item: { checks: string[] } | null }
interface Plan { id: string; number: number; rate: number; commitment: string; seed: string | null; inputs: DrawInputs; selected: DrawnInspection[] | null; entityNames: Record<string, string> }

const step = async (user: string, caseId: string, body: Record<string, unknown>) => {
  const r = await call(user, 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  if (r.status !== 200) throw new Error(`${user} ${String(body.event)}: ${r.status} ${JSON.stringify(r.body)}`);
};
const refusalCount = async (code: string) => {
  const m = await (await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${as('admin')}` } })).text();
  const line = m.split('\n').find((l) => l.startsWith(`inspection_refusals_total{code="${code}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api', CREDIT_LOOKBACK_DAYS: '3650', INSPECTION_RED: '1/month' });
  for (const u of ['admin', 'ops', 'east.li', 'east.wang', 'east.lead', 'east.review', 'river.zhao', 'fish.liu', 'review']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('the published checklist', () => {
  it('is readable without login, with its history as admins change it', async () => {
    const list = await call<{ items: { code: string; checks: string[]; legalBasis: string; inspectorDomain: string; matterCode: string }[] }>(null, 'GET', '/api/v1/public/inspection-items');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i) => i.code)).toEqual(['INS-FISH-BOAT', 'INS-NOISE-BIZ', 'INS-NOISE-SITE']);
    expect(list.body.items[0]).toMatchObject({ matterCode: 'FISHING-BAN', inspectorDomain: 'fisheries' });
    const item = { effectiveFrom: '2027-01-01', matterCode: 'NOISE-AMPLIFIED', title: 'Amplified sound at stalls, restaurants and kiosks', checks: ['No loudspeaker used to attract customers'], legalBasis: 'Noise Law art. 64, 82', inspectorDomain: 'ecology', entityKinds: ['vendor', 'restaurant'], reason: 'kiosks added' };
    expect((await call('east.li', 'PUT', '/api/v1/inspection-items/INS-NOISE-BIZ', item)).status).toBe(403);
    expect((await call(null, 'PUT', '/api/v1/inspection-items/INS-NOISE-BIZ', item)).status).toBe(401);
    const changed = await call('admin', 'PUT', '/api/v1/inspection-items/INS-NOISE-BIZ', item);
    expect(changed).toMatchObject({ status: 200, body: { entity: 'inspection_item', effectiveFrom: '2027-01-01', before: { title: 'Amplified sound at stalls and restaurants' } } });
    expect((await call('admin', 'PUT', '/api/v1/inspection-items/INS-X', { ...item, matterCode: 'NOPE' })).body.code).toBe('MATTER_NOT_FOUND');
    // In force from its date: today the old version, next year the new one.
    const next = await call<{ items: { code: string; title: string }[] }>(null, 'GET', '/api/v1/public/inspection-items?on=2027-02-01');
    expect(next.body.items.find((i) => i.code === 'INS-NOISE-BIZ')!.title).toBe(item.title);
    const history = await call<{ versions: unknown[]; changes: Record<string, unknown>[] }>(null, 'GET', '/api/v1/public/inspection-items/INS-NOISE-BIZ/history');
    expect(history.body.versions).toHaveLength(2);
    expect(history.body.changes).toHaveLength(1);
    expect(history.body.changes[0]).not.toHaveProperty('changedBy');
    expect(JSON.stringify(history.body)).not.toContain('u-admin');
    // The catalogue's change log holds it, with who made it.
    const log = await call<{ changedBy: string }[]>('admin', 'GET', '/api/v1/catalogue/changes?entity=inspection_item');
    expect(log.body[0]).toMatchObject({ changedBy: 'u-admin' });
  });

  it('keeps each item in Chinese beside the English, and never a translation of a text that changed', async () => {
    type Item = { code: string; title: string; titleZh: string | null; checks: string[]; checksZh: string[] | null; legalBasis: string; legalBasisZh: string | null };
    const itemOn = async (code: string, on: string) => (await call<{ items: Item[] }>(null, 'GET', `/api/v1/public/inspection-items?on=${on}`)).body.items.find((i) => i.code === code)!;
    const site = await itemOn('INS-NOISE-SITE', '2026-06-01');
    expect(site).toMatchObject({ titleZh: '建筑施工噪声和作业时间', legalBasisZh: expect.stringContaining('噪声污染防治法') });
    expect(site.checksZh).toHaveLength(site.checks.length);
    expect(site.checksZh![0]).toContain('夜间施工证明');

    // A new legal basis without a Chinese one: the title and checks keep theirs, the basis has none.
    const body = { effectiveFrom: '2027-03-01', matterCode: 'NOISE-AMPLIFIED', title: site.title, checks: site.checks, legalBasis: 'Noise Law art. 40, 43, 77 (amended)', inspectorDomain: 'ecology', entityKinds: ['construction_site'], reason: 'amended law' };
    expect((await call('admin', 'PUT', '/api/v1/inspection-items/INS-NOISE-SITE', body)).status).toBe(200);
    expect(await itemOn('INS-NOISE-SITE', '2027-03-01')).toMatchObject({ titleZh: site.titleZh, checksZh: site.checksZh, legalBasisZh: null });
    // One Chinese text per check, or none.
    const short = await call<{ code: string; message: string }>('admin', 'PUT', '/api/v1/inspection-items/INS-NOISE-SITE', { ...body, checksZh: ['只有一条'] });
    expect(short).toMatchObject({ status: 400, body: { code: 'VALIDATION', message: expect.stringContaining('one Chinese text per check') } });
    // A changed check without Chinese ones: the checks have none; given ones are kept.
    await call('admin', 'PUT', '/api/v1/inspection-items/INS-NOISE-SITE', { ...body, effectiveFrom: '2027-04-01', checks: [...site.checks, 'Dust covers on spoil heaps'], legalBasisZh: '《噪声污染防治法》（修正）' });
    expect(await itemOn('INS-NOISE-SITE', '2027-04-01')).toMatchObject({ titleZh: site.titleZh, checksZh: null, legalBasisZh: '《噪声污染防治法》（修正）' });
  });
});

describe('registered inspectors and opening an inspection', () => {
  const open = (user: string, body: Record<string, unknown>) => call<Inspection & Body>(user, 'POST', '/api/v1/inspections', {
    entityId: 'me-park-tea', itemCode: 'INS-NOISE-BIZ', reason: 'complaint', complaintRef: '12345-2026-0001', secondInspectorId: 'u-east-wang', location: SITE, ...body,
  });

  it('lists inspectors with certificates and items; admins register them, on the change log', async () => {
    const list = await call<{ userId: string; certificateNo: string; items: string[]; validToday: boolean }[]>('east.li', 'GET', '/api/v1/inspectors');
    expect(list.body.find((i) => i.userId === 'u-east-li')).toMatchObject({ items: ['INS-NOISE-BIZ', 'INS-NOISE-SITE'], validToday: true });
    expect((await call('admin', 'PUT', '/api/v1/inspectors/u-admin', { certificateNo: 'JC-X', validFrom: '2026-01-01', validUntil: '2027-01-01', items: [] })).body.code).toBe('NOT_AN_OFFICER');
    expect((await call('admin', 'PUT', '/api/v1/inspectors/u-river-chen', { certificateNo: 'JC-3201-0001', validFrom: '2026-01-01', validUntil: '2027-01-01', items: [] })).body.code).toBe('CERTIFICATE_TAKEN');
    expect((await call('admin', 'PUT', '/api/v1/inspectors/u-river-chen', { certificateNo: 'JC-9', validFrom: '2026-01-01', validUntil: '2027-01-01', items: ['NOPE'] })).body.code).toBe('ITEM_NOT_LISTED');
  });

  it('refuses outside the checklist, the unregistered, one inspector, and records each refusal', async () => {
    const before = await refusalCount('ITEM_NOT_LISTED');
    expect(await open('east.li', { itemCode: 'INS-NOT-LISTED' })).toMatchObject({ status: 422, body: { code: 'ITEM_NOT_LISTED' } });
    expect(await refusalCount('ITEM_NOT_LISTED')).toBe(before + 1);
    expect((await open('east.li', { itemCode: 'INS-FISH-BOAT' })).body.code).toBe('ITEM_NOT_FOR_ENTITY');
    // east.li may inspect noise, not fishing at a boat operator.
    expect((await open('east.li', { entityId: 'me-river-boat1', itemCode: 'INS-FISH-BOAT', secondInspectorId: 'u-fish-liu' })).body.code).toBe('ITEM_NOT_PERMITTED');
    // east.review is not an officer: the route refuses; an officer without registration is refused by the rule.
    expect((await open('review', {})).status).toBe(403);
    await call('admin', 'PUT', '/api/v1/inspectors/u-river-zhao', { certificateNo: 'JC-3201-0004', validFrom: '2026-01-01', validUntil: '2026-01-31', items: ['INS-NOISE-BIZ', 'INS-FISH-BOAT'], reason: 'certificate lapsed' });
    expect((await open('river.zhao', {})).body.code).toBe('CERTIFICATE_NOT_VALID');
    expect((await open('east.li', { secondInspectorId: 'u-east-li' })).body.code).toBe('SECOND_INSPECTOR_REQUIRED');
    expect((await open('east.li', { secondInspectorId: 'u-river-zhao' })).body.code).toBe('SECOND_INSPECTOR_NOT_CERTIFIED');
    expect((await open('east.li', { secondInspectorId: 'u-fish-liu' })).body.code).toBe('SECOND_INSPECTOR_NOT_CERTIFIED');
    expect((await open('east.li', { reason: 'complaint', complaintRef: undefined })).body.code).toBe('COMPLAINT_REF_REQUIRED');
    const refusals = await call<{ code: string; userId: string; entityId: string }[]>('ops', 'GET', '/api/v1/inspection-refusals');
    expect(refusals.body.map((r) => r.code)).toEqual(expect.arrayContaining(['ITEM_NOT_LISTED', 'ITEM_NOT_FOR_ENTITY', 'ITEM_NOT_PERMITTED', 'CERTIFICATE_NOT_VALID', 'SECOND_INSPECTOR_REQUIRED', 'SECOND_INSPECTOR_NOT_CERTIFIED']));
    expect(refusals.body.find((r) => r.code === 'CERTIFICATE_NOT_VALID')).toMatchObject({ userId: 'u-river-zhao', entityId: 'me-park-tea' });
    expect((await call('east.li', 'GET', '/api/v1/inspection-refusals')).status).toBe(403);
  });

  it('refuses an officer who is not a registered inspector', async () => {
    await call('admin', 'PUT', '/api/v1/inspectors/u-river-zhao', { certificateNo: 'JC-3201-0004', validFrom: '2026-01-01', validUntil: '2028-12-31', items: ['INS-NOISE-BIZ', 'INS-FISH-BOAT'] });
    // A new officer of the team, with a login but never registered as an inspector.
    await t.platform.db.pool.query(`INSERT INTO users (id, username, password_hash, role, team_id, display_name) SELECT 'u-new', 'east.new', password_hash, 'officer', 't-east', 'New Officer' FROM users WHERE id = 'u-east-li'`);
    tokens['east.new'] = await login(t, 'east.new');
    expect(await open('east.new', {})).toMatchObject({ status: 403, body: { code: 'INSPECTOR_NOT_REGISTERED' } });
    expect((await open('east.li', { secondInspectorId: 'u-new' })).body.code).toBe('SECOND_INSPECTOR_NOT_CERTIFIED');
  });

  it('appends a renewal recorded ahead of its first day: the registration of today stays in force until then', async () => {
    const soon = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const renewal = await call<{ effectiveFrom: string; before: Record<string, unknown>; after: Record<string, unknown> }>('admin', 'PUT', '/api/v1/inspectors/u-river-zhao', {
      certificateNo: 'JC-3201-0104', validFrom: soon, validUntil: '2030-12-31', items: ['INS-FISH-BOAT'], reason: 'renewed, fishing only',
    });
    expect(renewal.body).toMatchObject({ effectiveFrom: soon, before: { certificateNo: 'JC-3201-0004', validUntil: '2028-12-31' }, after: { certificateNo: 'JC-3201-0104', validFrom: soon } });
    const list = await call<{ userId: string; certificateNo: string; items: string[]; validToday: boolean }[]>('east.li', 'GET', '/api/v1/inspectors');
    expect(list.body.find((i) => i.userId === 'u-river-zhao')).toMatchObject({ certificateNo: 'JC-3201-0004', items: ['INS-NOISE-BIZ', 'INS-FISH-BOAT'], validToday: true });
    // Its number stays its own; the history cannot be rewritten.
    expect((await call('admin', 'PUT', '/api/v1/inspectors/u-east-li', { certificateNo: 'JC-3201-0104', validFrom: '2026-01-01', validUntil: '2028-12-31', items: [] })).body.code).toBe('CERTIFICATE_TAKEN');
    await expect(t.platform.db.pool.query(`DELETE FROM inspector_registrations WHERE user_id = 'u-river-zhao'`)).rejects.toThrow(/append-only/);
  });

  it('takes two inspectors each from their own session, then a result, a follow-up case, and refuses a repeat within the period', async () => {
    const opened = await open('east.li', {});
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expect(opened.body).toMatchObject({ state: 'opened', itemCode: 'INS-NOISE-BIZ', item: { checks: expect.arrayContaining(['No loudspeaker or amplifier used to attract customers']) } });
    const id = opened.body.id;
    const finding = { outcome: 'violations', findings: [{ check: 'No loudspeaker or amplifier used to attract customers', compliant: false, note: 'loudspeaker on the counter at 19:40' }] };
    // One inspector is not enough: the result waits for the second's confirmation.
    expect((await call('east.li', 'POST', `/api/v1/inspections/${id}/result`, finding)).body.code).toBe('TWO_INSPECTORS_REQUIRED');
    // The lead cannot confirm for the second; the second confirms from their own session.
    expect((await call('east.li', 'POST', `/api/v1/inspections/${id}/presence`, { location: SITE })).status).toBe(404);
    expect((await call('east.wang', 'POST', `/api/v1/inspections/${id}/presence`, { location: { lat: 32.1, lon: 118.9 } })).body.code).toBe('TOO_FAR_FROM_OPENING');
    const confirmed = await call<Inspection>('east.wang', 'POST', `/api/v1/inspections/${id}/presence`, { location: SITE });
    expect(confirmed.body.state).toBe('in_progress');
    expect((await call('east.wang', 'POST', `/api/v1/inspections/${id}/result`, { ...finding, outcome: 'compliant' })).body.code).toBe('OUTCOME_CONTRADICTS_FINDINGS');
    expect((await call('east.wang', 'POST', `/api/v1/inspections/${id}/result`, finding)).body).toMatchObject({ state: 'closed', outcome: 'violations' });
    const followUp = await call<{ caseId: string; number: number; teamId: string }>('east.li', 'POST', `/api/v1/inspections/${id}/case`, { note: 'owner refused to switch off' });
    expect(followUp).toMatchObject({ status: 201, body: { teamId: 't-east' } });
    expect((await call('east.li', 'POST', `/api/v1/inspections/${id}/case`, {})).body.code).toBe('CASE_ALREADY_OPENED');
    // The case is on the team's tablets, its party the entity's, its first evidence the findings.
    const c = await call<{ kind: string; partyId: string; matterCode: string; state: string; alerts: { evidence: { findings: { note: string }[] } }[] }>('east.li', 'GET', `/api/v1/cases/${followUp.body.caseId}`);
    expect(c.body).toMatchObject({ kind: 'inspection', matterCode: 'NOISE-AMPLIFIED', state: 'dispatched' });
    const tea = await call<Entity>('admin', 'GET', '/api/v1/market-entities').then((r) => (r.body as unknown as Entity[]).find((e) => e.id === 'me-park-tea')!);
    expect(c.body.partyId).toBe(tea.partyId);
    expect(c.body.alerts[0]!.evidence.findings[0]!.note).toBe('loudspeaker on the counter at 19:40');

    // A repeat for the same entity and item within INSPECTION_REPEAT_DAYS is refused …
    expect((await open('east.lead', { secondInspectorId: 'u-east-li' })).body.code).toBe('REPEAT_INSPECTION');
    // … unless a case about the entity's party justifies it (the follow-up case does; another party's case does not).
    const other = await openCase(t, 'noise');
    expect((await open('east.lead', { secondInspectorId: 'u-east-li', reason: 'case', justifyingCaseId: other })).body.code).toBe('CASE_DOES_NOT_JUSTIFY');
    const again = await open('east.lead', { secondInspectorId: 'u-east-li', reason: 'case', justifyingCaseId: followUp.body.caseId });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const refusals = await call<{ code: string }[]>('admin', 'GET', '/api/v1/inspection-refusals?limit=5');
    expect(refusals.body.map((r) => r.code)).toContain('REPEAT_INSPECTION');
    expect(await refusalCount('REPEAT_INSPECTION')).toBeGreaterThanOrEqual(1);

    // Officers see only their own inspections.
    const mine = await call<Inspection[]>('east.wang', 'GET', '/api/v1/inspections');
    expect(mine.body.map((s) => s.id)).toContain(id);
    expect((await call<Inspection[]>('fish.liu', 'GET', '/api/v1/inspections')).body.map((s) => s.id)).not.toContain(id);
    expect((await call('fish.liu', 'GET', `/api/v1/inspections/${id}`)).status).toBe(404);
  });

  it('answers a justifying case of another team exactly as one that does not exist', async () => {
    // A case on the river street's tablets: east's officers do not see it.
    const foreign = await openCase(t, 'noise', 'z-riverbank');
    expect((await call('east.lead', 'GET', `/api/v1/cases/${foreign}`)).status).toBe(404);
    const naming = async (caseId: string) => {
      const r = await open('east.lead', { secondInspectorId: 'u-east-li', reason: 'case', justifyingCaseId: caseId });
      return { status: r.status, code: r.body.code, message: r.body.message };
    };
    const missing = await naming(randomUUID());
    expect(missing).toMatchObject({ status: 422, code: 'CASE_NOT_FOUND' });
    expect(await naming(foreign)).toEqual(missing);
    // The id given is not echoed either: the two answers are the same to the byte.
    expect(missing.message).not.toMatch(/[0-9a-f]{8}-/);
  });
});

describe('market entities in Chinese', () => {
  type Named = { id: string; name: string; nameZh: string | null; address: string | null; addressZh: string | null; zoneNameZh: string | null };
  it('keeps a name and address in Chinese beside the English, and never a translation of a text that changed', async () => {
    const tea = ((await call<Named[]>('ops', 'GET', '/api/v1/market-entities')).body).find((e) => e.id === 'me-park-tea');
    expect(tea).toMatchObject({ name: 'Lakeside tea stall', nameZh: '湖畔茶摊', address: 'East Lake Park, north gate', addressZh: '东湖公园北门', zoneNameZh: '东湖公园中心广场' });
    const made = await call<Named>('ops', 'POST', '/api/v1/market-entities', { name: 'Willow bank fruit stall', nameZh: '柳岸水果摊', kind: 'vendor', zoneId: 'z-park-square', address: 'East gate', addressZh: '东门' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const put = (body: Record<string, unknown>) => call<Named>('ops', 'PUT', `/api/v1/market-entities/${made.body.id}`, { kind: 'vendor', zoneId: 'z-park-square', ...body });
    // The same English without the Chinese: the Chinese stays.
    expect((await put({ name: 'Willow bank fruit stall', address: 'East gate' })).body).toMatchObject({ nameZh: '柳岸水果摊', addressZh: '东门' });
    // A new English name without a new Chinese one: the old translation no longer holds; the address's still does.
    expect((await put({ name: 'Willow bank fruit and tea stall', address: 'East gate' })).body).toMatchObject({ nameZh: null, addressZh: '东门' });
    expect((await put({ name: 'Willow bank fruit and tea stall', nameZh: '柳岸水果茶摊' })).body).toMatchObject({ nameZh: '柳岸水果茶摊', address: null, addressZh: null });
  });
});

describe('credit colours', () => {
  let entityId = '';
  const colourOf = async () => (await call<Entity>('ops', 'GET', '/api/v1/market-entities')).body as unknown as Entity[];

  it('changes with the reasons as the party\'s record grows, recomputed on demand, with history', async () => {
    const created = await call<Entity>('ops', 'POST', '/api/v1/market-entities', { name: 'Zhang San amplifier stall', kind: 'vendor', zoneId: 'z-park-square', partyId: PARTY_ID.toLowerCase() });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    entityId = created.body.id;
    expect(created.body).toMatchObject({ partyId: PARTY_ID, credit: { colour: 'green', reasons: [{ code: 'CLEAN_RECORD' }] } });
    expect((await call('ops', 'POST', '/api/v1/market-entities', { name: 'x', kind: 'vendor', zoneId: 'z-park-square', partyId: '320102198805050012' })).body.code).toBe('INVALID_PARTY_ID');

    // A sensor-recorded violation, warned on site: yellow.
    const at = new Date().toISOString();
    const r = await t.platform.cases.intake({ id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: 'z-park-square', deviceId: 'slm-park-1', startedAt: at, detectedAt: at, summary: 'loudspeaker', evidence: { laeq: 71 } }, 0);
    if (r.outcome !== 'opened') throw new Error(r.outcome);
    await step('east.li', r.case.id, { event: 'accept' });
    await step('east.li', r.case.id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    expect((await confirmPresence(t, as('east.lead'), r.case.id)).status).toBe(201);
    await step('east.li', r.case.id, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'warned, turned down', partyId: PARTY_ID });
    expect((await call('ops', 'POST', `/api/v1/market-entities/${entityId}/credit`)).body).toMatchObject({ computed: 1, changed: 1 });
    let e = (await colourOf()).find((x) => x.id === entityId)!;
    expect(e.credit).toMatchObject({ colour: 'yellow', points: 1, reasons: [{ code: 'SENSOR_VIOLATIONS', count: 1 }] });

    // Two decided cases with fines: red, the reasons listing both.
    for (const n of [1, 2]) await decideNoiseCase(t, step, as('east.li'), await openCase(t, 'noise'), { tier: 'normal', fineYuan: 500, decisionNo: `东执罚决字〔2026〕第9${n}号` });
    await call('admin', 'POST', '/api/v1/market-entities/credit');
    e = (await colourOf()).find((x) => x.id === entityId)!;
    expect(e.credit).toMatchObject({ colour: 'red', points: 7 });
    expect(e.credit!.reasons.map((x) => [x.code, x.count])).toEqual([['DECIDED_CASES', 2], ['SENSOR_VIOLATIONS', 1]]);

    const history = await call<{ colour: string; trigger: string }[]>('east.li', 'GET', `/api/v1/market-entities/${entityId}/credit`);
    expect(history.body.map((h) => h.colour)).toEqual(['red', 'yellow', 'green']);
    expect(history.body.every((h) => h.trigger === 'demand')).toBe(true);
    expect((await call('east.li', 'POST', `/api/v1/market-entities/${entityId}/credit`)).status).toBe(403);
  });

  it('is recomputed on schedule once per period', async () => {
    const first = await t.platform.inspections.recompute(null, 'schedule', null, new Date('2030-02-01T00:00:00Z'));
    expect(first.period).toBe('2030-Q1');
    expect(first.computed).toBeGreaterThan(8);
    expect((await t.platform.inspections.recompute(null, 'schedule', null, new Date('2030-03-30T00:00:00Z'))).computed).toBe(0);
    // 31 March 17:00 UTC is 1 April 01:00 in the district: the second quarter has begun there.
    expect((await t.platform.inspections.recompute(null, 'schedule', null, new Date('2030-03-31T17:00:00Z'))).period).toBe('2030-Q2');
    expect((await t.platform.inspections.recompute(null, 'schedule', null, new Date('2030-04-01T00:00:00Z'))).computed).toBe(0);
  });
});

describe('random inspection plans', () => {
  it('publishes the seed commitment first, then a seed that reproduces the draw; green entities are exempt', async () => {
    await call('admin', 'POST', '/api/v1/market-entities/credit');
    const entities = (await call<Entity[]>('ops', 'GET', '/api/v1/market-entities')).body;
    const red = entities.filter((x) => x.credit?.colour === 'red').map((x) => x.id);
    const green = entities.filter((x) => x.credit?.colour === 'green').map((x) => x.id);
    expect(red.length).toBeGreaterThan(0);
    expect(green.length).toBeGreaterThan(0);

    // Yellow: 2 % per quarter by default; nobody green is in its population.
    const yellowPlan = await call<Plan>('ops', 'POST', '/api/v1/inspection-plans', { colour: 'yellow' });
    expect(yellowPlan.body).toMatchObject({ rate: 0.02 });
    for (const g of green) expect(yellowPlan.body.inputs.population.map((p) => p.id)).not.toContain(g);

    // Red at INSPECTION_RED=1/month (this test's setting): every red entity is drawn.
    const created = await call<Plan>('ops', 'POST', '/api/v1/inspection-plans', { colour: 'red' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const plan = created.body;
    expect(plan).toMatchObject({ rate: 1, seed: null, selected: null });
    expect(plan.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.inputs.population.map((p) => p.id).sort()).toEqual(red.sort());
    for (const g of green) expect(plan.inputs.population.map((p) => p.id)).not.toContain(g);
    expect((await call('ops', 'POST', '/api/v1/inspection-plans', { colour: 'red' })).body.code).toBe('PLAN_EXISTS');
    expect((await call('east.li', 'POST', '/api/v1/inspection-plans', { colour: 'red', on: '2027-01-05' })).status).toBe(403);
    const publicBefore = await call<Plan>(null, 'GET', `/api/v1/public/inspection-plans/${plan.id}`);
    expect(publicBefore.body.seed).toBeNull();

    const drawn = await call<Plan>('ops', 'POST', `/api/v1/inspection-plans/${plan.id}/draw`);
    expect(drawn.status).toBe(200);
    expect((await call('ops', 'POST', `/api/v1/inspection-plans/${plan.id}/draw`)).body.code).toBe('PLAN_DRAWN');
    const published = (await call<Plan>(null, 'GET', `/api/v1/public/inspection-plans/${plan.id}`)).body;
    expect(published.commitment).toBe(plan.commitment);
    // Anyone can check: the seed hashes to the commitment published before, and reproduces the draw.
    expect(verifyDraw({ id: published.id, rate: published.rate, inputs: published.inputs, commitment: plan.commitment, seed: published.seed!, selected: published.selected! })).toEqual({ ok: true, problems: [] });
    expect(verifyDraw({ id: published.id, rate: published.rate, inputs: published.inputs, commitment: plan.commitment, seed: 'f'.repeat(64), selected: published.selected! }).ok).toBe(false);
    expect(published.selected!.map((s) => s.entityId).sort()).toEqual(red.sort());
    // The drawn inspections are on the drawn inspectors' tablets.
    const all = (await call<(Inspection & { planId: string; entityId: string })[]>('admin', 'GET', '/api/v1/inspections')).body.filter((s) => s.planId === plan.id);
    expect(all).toHaveLength(published.selected!.filter((s) => !s.unstaffed).length);
    expect(all.length).toBeGreaterThan(0);
    const certs = new Map((await call<{ userId: string; certificateNo: string }[]>('admin', 'GET', '/api/v1/inspectors')).body.map((i) => [i.userId, i.certificateNo]));
    for (const s of all) {
      const d = published.selected!.find((x) => x.entityId === s.entityId)!;
      expect(s.itemCode).toBe(d.itemCode);
      expect(s.assigned.map((a) => certs.get(a.userId))).toEqual(d.inspectors);
      expect(s.state).toBe('planned');
      // Only a drawn inspector sees it and may open it.
      const [first, second] = s.assigned.map((a) => a.userId);
      const outsider = ['u-east-li', 'u-east-wang', 'u-east-lead'].find((u) => u !== first && u !== second)!;
      const byUser: Record<string, string> = { 'u-east-li': 'east.li', 'u-east-wang': 'east.wang', 'u-east-lead': 'east.lead', 'u-river-zhao': 'river.zhao' };
      // An officer not drawn does not see it (404); a team lead sees it but may not open it (NOT_ASSIGNED).
      const tried = await call(byUser[outsider]!, 'POST', `/api/v1/inspections/${s.id}/open`, { secondInspectorId: first, location: SITE });
      expect(tried.body.code).toBe(outsider === 'u-east-lead' ? 'NOT_ASSIGNED' : 'INSPECTION_NOT_FOUND');
    }
  });

  it('publishes results without persons, party identifiers or positions', async () => {
    const results = await call<{ entityName: string; outcome: string; followUpCaseNumber: number | null; findings: unknown[] }[]>(null, 'GET', '/api/v1/public/inspection-results');
    expect(results.status).toBe(200);
    expect(results.body.length).toBeGreaterThan(0);
    expect(results.body.find((r) => r.outcome === 'violations')).toMatchObject({ entityName: 'Lakeside tea stall', entityNameZh: '湖畔茶摊', itemTitleZh: expect.stringMatching(/[\u4e00-\u9fff]/), followUpCaseNumber: expect.any(Number) });
    const everything = JSON.stringify([
      results.body,
      (await call(null, 'GET', '/api/v1/public/inspection-plans')).body,
      (await call(null, 'GET', '/api/v1/public/inspection-items')).body,
    ]);
    const entities = (await call<Entity[]>('admin', 'GET', '/api/v1/market-entities')).body;
    for (const e of entities) if (e.partyId) expect(everything).not.toContain(e.partyId);
    for (const secret of ['u-east-li', 'u-east-wang', 'east.li', 'Li Wei', 'Wang Fang', '李伟', '王芳', String(SITE.lat), 'u-admin', 'u-ops']) expect(everything).not.toContain(secret);
  });
});
