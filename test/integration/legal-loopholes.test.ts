import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, partyWaived, noiseProposal, openCase, PARTY_ID, readyToPropose, SITE, uploadEvidence } from '../support/cases.js';

/**
 * Issue 13: each way round the legal rules found through the API, tried again as a careless officer
 * or a reviewer would, and refused now. Each test failed on the code before the issue.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);

interface Reply {
  code?: string;
  message?: string;
  to?: string;
  event?: { type: string; data: Record<string, unknown> };
}
const fire = (user: string, caseId: string, body: Record<string, unknown>) => api<Reply>(t, as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
async function ok(user: string, caseId: string, body: Record<string, unknown>) {
  const r = await fire(user, caseId, body);
  expect(r.status, `${user} ${String(body.event)}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}
const detail = async (caseId: string) => (await api<Record<string, unknown> & { deadlines: { name: string }[]; actions: string[] }>(t, as('admin'), 'GET', `/api/v1/cases/${caseId}`)).body;

const arrive = (second?: string) => ({ event: 'arrive', location: SITE, ...(second ? { secondOfficerId: second } : {}) });

/** Noise, on site with east.li and a confirmed east.lead, filed, a reviewed photo on file. */
async function noiseReady(): Promise<string> {
  const id = await openCase(t);
  await ok('east.li', id, { event: 'accept' });
  await ok('east.li', id, arrive('u-east-lead'));
  await readyToPropose(t, as, id);
  return id;
}

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  await sql(`INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone) VALUES ('z-park-lawn', 'site-park', 'East Lake Park lawn', '{}', '1', 'Asia/Shanghai')`);
  for (const u of ['admin', 'ops', 'head', 'review', 'centre.sun', 'centre.qian', 'east.review', 'east.li', 'east.wang', 'east.lead', 'river.zhao', 'fish.liu', 'fish.sun', 'emerg.ma']) {
    tokens[u] = await login(t, u);
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('statutory bounds are hard limits', () => {
  it('refuses a ¥5,000 noise fine on an individual (the law: ¥200–1,000), which used to reach a decision', async () => {
    const id = await noiseReady();
    const r = await fire('east.li', id, noiseProposal({ fineYuan: 5000, tier: 'aggravated', deviationReason: 'very loud' }));
    expect(r).toMatchObject({ status: 422, body: { code: 'OUTSIDE_STATUTORY_BOUNDS' } });
    expect(r.body.message).toContain('¥200–¥1,000');
    expect((await detail(id)).state).toBe('on_site');
  });

  it('refuses a ¥100 fine in the mitigated tier, which the tier used to admit below the statutory minimum', async () => {
    const tiers = await api<{ partyKind: string; tier: string; minFineYuan: number }[]>(t, as('east.li'), 'GET', '/api/v1/benchmarks?matter=NOISE-AMPLIFIED');
    expect(tiers.body.filter((b) => b.tier === 'mitigated').map((b) => [b.partyKind, b.minFineYuan])).toEqual([['individual', 200], ['unit', 2000]]);
    const id = await noiseReady();
    expect((await fire('east.li', id, noiseProposal({ fineYuan: 100, tier: 'mitigated' }))).body).toMatchObject({ code: 'OUTSIDE_STATUTORY_BOUNDS' });
    await ok('east.li', id, noiseProposal({ fineYuan: 300, tier: 'mitigated' }));
  });

  it('refuses a ¥9,999 fishing fine, and one without the confiscation the law requires', async () => {
    const id = await openCase(t, 'fishing', 'z-riverbank');
    await ok('fish.liu', id, { event: 'accept' });
    await ok('fish.liu', id, arrive('u-fish-sun'));
    await readyToPropose(t, as, id, 'fish.liu', 'fish.sun');
    const fishing = (over: Record<string, unknown>) => ({
      event: 'propose_decision', party: 'Wang Wu', partyId: PARTY_ID, facts: 'rod fishing in the ban zone', legalBasis: 'Yangtze River Protection Law art. 86',
      penalties: ['fine'], fineYuan: 9999, tier: 'mitigated', ...over,
    });
    expect((await fire('fish.liu', id, fishing({}))).body).toMatchObject({ code: 'OUTSIDE_STATUTORY_BOUNDS' });
    expect((await fire('fish.liu', id, fishing({ fineYuan: 10000 }))).body).toMatchObject({ code: 'MANDATORY_MEASURE_MISSING', message: expect.stringContaining('confiscation') });
    expect((await fire('fish.liu', id, fishing({ penalties: ['confiscation'], fineYuan: undefined }))).body).toMatchObject({ code: 'MANDATORY_MEASURE_MISSING', message: expect.stringContaining('fine') });
    await ok('fish.liu', id, fishing({ penalties: ['confiscation', 'fine'], fineYuan: 10000 }));
  });

  it('allows a fine outside the benchmark but inside the law only with a written reason, then always at the centre', async () => {
    const id = await noiseReady();
    // ¥900 is in the aggravated tier's range, not the normal one's.
    expect((await fire('east.li', id, noiseProposal({ fineYuan: 900 }))).body).toMatchObject({ code: 'BENCHMARK_DEVIATION_UNREASONED' });
    const proposed = await ok('east.li', id, noiseProposal({ fineYuan: 900, deviationReason: 'refused three times, complaints from the school' }));
    expect(proposed.event?.data).toMatchObject({ outsideBenchmark: true, reviewLevel: 'major', deviationReason: expect.stringContaining('school') });
    await ok('east.li', id, { event: 'submit_for_review' });
    expect(await detail(id)).toMatchObject({ reviewPostId: 'rp-centre' });
  });
});

describe('evidence that means something', () => {
  it('does not let an 18-byte JSON note carry a case from a meter with expired calibration to a decision', async () => {
    // The meter's calibration expired before the measurement.
    await sql(`UPDATE devices SET calibration_valid_until = '2024-05-31' WHERE id = 'slm-park-2'`);
    const at = '2024-06-01T12:00:00.000Z';
    const alertId = randomBytes(16).toString('hex');
    const r = await t.platform.cases.intake({ id: alertId, kind: 'noise', zoneId: 'z-park-lawn', deviceId: 'slm-park-2', startedAt: at, detectedAt: at, summary: 'noise', evidence: { laeq: 68 } }, 0);
    if (r.outcome !== 'opened') throw new Error(r.outcome);
    const id = r.case.id;
    await ok('east.li', id, { event: 'accept' });
    await ok('east.li', id, arrive('u-east-lead'));
    expect((await confirmPresence(t, as('east.lead'), id)).status).toBe(201);
    await ok('east.li', id, { event: 'file' });
    expect((await api(t, as('east.li'), 'POST', `/api/v1/cases/${id}/evidence/sensor/${alertId}/review`, { note: 'looks loud' })).status).toBe(201);
    const note = Buffer.from('{"note":"loud!!"} ');
    expect(note.length).toBe(18);
    const upload = await uploadEvidence(t, as('east.li'), id, note, 'application/json', '');
    expect(upload).toMatchObject({ status: 201, body: { valid: false } });
    expect((await api(t, as('east.lead'), 'POST', `/api/v1/cases/${id}/evidence/${String(upload.body.id)}/review`, {})).body).toMatchObject({ valid: false });
    expect((await fire('east.li', id, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
  });

  it('puts who added, viewed and exported an item on the case record', async () => {
    const id = await noiseReady();
    const files = await api<{ files: { id: string; sha256: string }[] }>(t, as('east.wang'), 'GET', `/api/v1/cases/${id}/evidence`);
    const file = files.body.files[0]!;
    const get = (user: string, q = '') => fetch(`${t.http}/api/v1/cases/${id}/evidence/${file.id}${q}`, { headers: { authorization: `Bearer ${as(user)}` } });
    expect((await get('east.wang')).status).toBe(200);
    expect((await get('admin', '?purpose=export')).status).toBe(200);
    expect((await get('river.zhao')).status).toBe(404);
    const events = (await detail(id)).events as { type: string; actor: string; data: { evidenceId?: string; sha256?: string } }[];
    const custody = events.filter((e) => e.data.evidenceId === file.id).map((e) => [e.type, e.actor]);
    expect(custody).toEqual([['evidence_added', 'u-east-li'], ['evidence_file_reviewed', 'u-east-lead'], ['evidence_viewed', 'u-east-wang'], ['evidence_exported', 'u-admin']]);
    const audit = await api<{ verification: { ok: boolean } }>(t, as('admin'), 'GET', `/api/v1/cases/${id}/audit`);
    expect(audit.body.verification.ok).toBe(true);
  });
});

describe('parties are identified', () => {
  it('finds a known offender under the lower-case form of the id, and refuses a penalty without one', async () => {
    const offender = '11010519491231002X';
    const first = await noiseReady();
    // A fine without a party id, invisible to later checks before.
    expect((await fire('east.li', first, noiseProposal({ partyId: undefined }))).body).toMatchObject({ code: 'PARTY_ID_REQUIRED' });
    expect((await fire('east.li', first, noiseProposal({ partyId: '110105194912310021' }))).body).toMatchObject({ code: 'INVALID_PARTY_ID', message: expect.stringContaining('GB 11643') });
    expect((await fire('east.li', first, noiseProposal({ partyId: offender, partyKind: 'unit', party: 'x' }))).body).toMatchObject({ code: 'INVALID_PARTY_ID' });
    const proposed = await ok('east.li', first, noiseProposal({ partyId: ` ${offender.toLowerCase()} ` }));
    expect(proposed.event?.data).toMatchObject({ partyId: offender, partyIdType: 'resident_id' });

    const second = await openCase(t);
    await ok('east.li', second, { event: 'accept' });
    await ok('east.li', second, arrive('u-east-lead'));
    expect((await confirmPresence(t, as('east.lead'), second)).status).toBe(201);
    const corrected = { event: 'resolve_on_site', outcome: 'corrected', summary: 'turned off', correction: 'switched off at once' };
    expect((await fire('east.li', second, { ...corrected, partyId: offender.toLowerCase() })).body).toMatchObject({ code: 'NOT_FIRST_VIOLATION' });
    // A warning on site is a penalty too.
    expect((await fire('east.li', second, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'warned' })).body).toMatchObject({ code: 'PARTY_ID_REQUIRED' });
    await ok('east.li', second, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'warned', partyId: `${offender.slice(0, 6)} ${offender.slice(6)}` });

    // The party's history across cases, by any spelling of the id.
    const history = await api<{ party: { id: string; kind: string; name: string }; cases: { caseId: string; outcome: string }[] }>(t, as('east.li'), 'GET', `/api/v1/parties/${offender.toLowerCase()}?caseId=${second}`);
    expect(history).toMatchObject({ status: 200, body: { party: { id: offender, kind: 'individual', name: 'Zhang San' } } });
    expect(history.body.cases.map((c) => [c.caseId, c.outcome])).toEqual([[first, 'warning,fine'], [second, 'warning_issued']]);
    expect((await api(t, as('east.li'), 'GET', `/api/v1/parties/320102198805050012?caseId=${first}`)).status).toBe(404);
  });
});

describe('a unit is fined as a unit', () => {
  it('refuses a unit\'s credit code as an individual\'s passport number, which put a unit under an individual\'s bounds', async () => {
    const unit = '91350100M000100Y43';
    const registered = await api(t, as('admin'), 'POST', '/api/v1/market-entities', { name: 'Lakeside karaoke bar', kind: 'restaurant', zoneId: 'z-park-square', partyId: unit, partyKind: 'unit' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const id = await noiseReady();
    // ¥500 is below a unit's ¥2,000 minimum (Noise Law art. 82): named as an individual it used to pass, at the street post.
    const asIndividual = noiseProposal({ party: 'Lakeside karaoke bar', partyId: unit, partyKind: 'individual', partyIdType: 'passport' });
    expect((await fire('east.li', id, asIndividual)).body).toMatchObject({ code: 'INVALID_PARTY_ID' });
    // As the unit it is, the law's bounds for units apply.
    expect((await fire('east.li', id, noiseProposal({ party: 'Lakeside karaoke bar', partyId: unit, partyKind: 'unit', fineYuan: 500 }))).body).toMatchObject({ code: 'OUTSIDE_STATUTORY_BOUNDS' });
    // A real passport number still names an individual.
    expect((await fire('east.li', id, noiseProposal({ partyId: 'E12345678', partyIdType: 'passport' }))).status).toBe(200);
  });
});

describe('a decision number names one decision', () => {
  it('refuses a second case decided under a decision number already given, also when both are decided at once', async () => {
    const approved = async () => {
      const id = await noiseReady();
      await ok('east.li', id, noiseProposal());
      await ok('east.li', id, { event: 'submit_for_review' });
      await ok('east.review', id, { event: 'approve' });
      await partyWaived(ok, 'east.li', id);
      return id;
    };
    const [first, second, third, fourth] = [await approved(), await approved(), await approved(), await approved()];
    const no = '东执罚决字〔2026〕第31号';
    await ok('east.li', first, { event: 'decide', decisionNo: no });
    expect((await fire('east.li', second, { event: 'decide', decisionNo: no })).body).toMatchObject({ code: 'DECISION_NO_TAKEN' });
    expect((await detail(second)).state).toBe('approved');
    await ok('east.li', second, { event: 'decide', decisionNo: '东执罚决字〔2026〕第32号' });
    // Two cases decided at the same moment under one new number: exactly one gets it.
    const race = await Promise.all([third, fourth].map((id) => fire('east.li', id, { event: 'decide', decisionNo: '东执罚决字〔2026〕第33号' })));
    expect(race.map((r) => r.status).sort()).toEqual([200, 409]);
  });
});

describe('every case has a matter before enforcement', () => {
  it.each(['complaint'] as const)('makes a %s case be classified before any enforcement step, then applies every rule', async (kind) => {
    const id = await openCase(t, kind);
    expect(await detail(id)).toMatchObject({ matterCode: null, state: 'dispatched', teamId: 't-east', deadlines: [] });
    await ok('east.li', id, { event: 'accept' });
    // A one-officer warning used to be recorded on such a case.
    expect((await fire('east.li', id, arrive())).body).toMatchObject({ code: 'MATTER_REQUIRED' });
    expect((await detail(id)).actions).toContain('classify');
    expect((await fire('east.li', id, { event: 'classify', matterCode: 'NOPE' })).body).toMatchObject({ code: 'UNKNOWN_MATTER' });
    expect((await fire('review', id, { event: 'classify', matterCode: 'NOISE-AMPLIFIED' })).status).toBe(403);
    const classified = await ok('ops', id, { event: 'classify', matterCode: 'NOISE-AMPLIFIED', note: 'the caller describes a loudspeaker' });
    expect(classified).toMatchObject({ to: 'accepted', event: { type: 'classified', data: { matterCode: 'NOISE-AMPLIFIED' } } });
    expect((await fire('east.li', id, { event: 'classify', matterCode: 'CROWDING' })).body).toMatchObject({ code: 'ALREADY_CLASSIFIED' });
    const c = await detail(id);
    expect(c.matterCode).toBe('NOISE-AMPLIFIED');
    expect(c.deadlines.map((d) => d.name)).toEqual(expect.arrayContaining(['accept', 'on_site']));
    expect(c.slaDueAt).not.toBeNull();
    // Now the two-officer rule applies.
    expect((await fire('east.li', id, arrive())).body).toMatchObject({ code: 'SECOND_OFFICER_REQUIRED' });
    await ok('east.li', id, arrive('u-east-wang'));
  });
});

describe('intrusion and smoke have their safety matters', () => {
  it('routes them with their SLAs; no second officer on arrival and no penalty', async () => {
    const intrusion = await openCase(t, 'intrusion', 'z-riverbank');
    const c = await detail(intrusion);
    expect(c).toMatchObject({ matterCode: 'INTRUSION-WATER-EDGE', state: 'dispatched', teamId: 't-river', supportTeamId: 't-emergency' });
    expect(c.deadlines.map((d) => d.name)).toEqual(expect.arrayContaining(['accept', 'on_site']));
    // Emergency management works it beside the street team; East Lake does not see it.
    expect((await api(t, as('east.li'), 'GET', `/api/v1/cases/${intrusion}`)).status).toBe(404);
    await ok('emerg.ma', intrusion, { event: 'accept' });
    await ok('river.zhao', intrusion, arrive());
    expect((await fire('river.zhao', intrusion, { event: 'file' })).body).toMatchObject({ code: 'NO_PENALTY_MATTER' });

    const smoke = await openCase(t, 'smoke');
    expect(await detail(smoke)).toMatchObject({ matterCode: 'SMOKE-FIRE', teamId: 't-emergency', supportTeamId: null });
    expect((await api(t, as('east.li'), 'GET', `/api/v1/cases/${smoke}`)).status).toBe(404);
    await ok('emerg.ma', smoke, { event: 'accept' });
    await ok('emerg.ma', smoke, arrive());
  });
});

describe('two officers, both present', () => {
  it('does not count the second officer until they confirm from their own session, near the arrival, in time', async () => {
    const id = await openCase(t);
    await ok('east.li', id, { event: 'accept' });
    // The second officer may be of another team.
    await ok('east.li', id, arrive('u-river-zhao'));
    // They cannot list the East Lake case, but they find the request.
    const requests = () => api<{ caseId: string; firstOfficer: string }[]>(t, as('river.zhao'), 'GET', '/api/v1/presence-requests');
    expect((await requests()).body.filter((r) => r.caseId === id)).toEqual([expect.objectContaining({ caseId: id, firstOfficer: 'u-east-li' })]);
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/cases/${id}`)).status).toBe(404);
    expect((await fire('east.li', id, { event: 'file' })).body).toMatchObject({ code: 'SECOND_OFFICER_UNCONFIRMED' });
    expect((await fire('east.li', id, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'w', partyId: PARTY_ID })).body).toMatchObject({ code: 'SECOND_OFFICER_UNCONFIRMED' });
    // Not the first officer for them, nor anyone else.
    expect((await confirmPresence(t, as('east.li'), id)).body).toMatchObject({ code: 'NOT_SECOND_OFFICER' });
    expect((await confirmPresence(t, as('east.wang'), id)).body).toMatchObject({ code: 'NOT_SECOND_OFFICER' });
    expect((await confirmPresence(t, as('fish.liu'), id)).status).toBe(404);
    expect((await confirmPresence(t, as('river.zhao'), id, { lat: 32.06, lon: 118.75 })).body).toMatchObject({ code: 'TOO_FAR_FROM_ARRIVAL' });
    const confirmed = await confirmPresence(t, as('river.zhao'), id, { lat: 32.0406, lon: 118.7806 });
    expect(confirmed).toMatchObject({ status: 201, body: { distanceM: expect.any(Number) } });
    expect((await confirmPresence(t, as('river.zhao'), id)).status).toBe(200);
    expect((await requests()).body.filter((r) => r.caseId === id)).toEqual([]);
    const events = (await detail(id)).events as { type: string; actor: string }[];
    expect(events.filter((e) => e.type === 'presence_confirmed').map((e) => e.actor)).toEqual(['u-river-zhao']);
    await ok('east.li', id, { event: 'file' });

    // Too late: the window (PRESENCE_CONFIRM_MIN) passed since the arrival.
    const late = await openCase(t);
    await ok('east.li', late, { event: 'accept' });
    await ok('east.li', late, arrive('u-east-lead'));
    await sql(`UPDATE cases SET arrived_at = now() - interval '31 minutes' WHERE id = $1`, [late]);
    expect((await confirmPresence(t, as('east.lead'), late)).body).toMatchObject({ code: 'PRESENCE_WINDOW_PASSED' });
  });
});

describe('a filed case is no false alarm', () => {
  it('keeps the operations centre (or anyone) from dismissing a case the two officers on site filed', async () => {
    const id = await noiseReady();
    expect((await detail(id)).actions).not.toContain('dismiss');
    for (const user of ['ops', 'admin', 'east.li']) {
      expect((await fire(user, id, { event: 'dismiss', reason: 'false alarm', falseAlarm: true })).body, user).toMatchObject({ code: 'CASE_FILED' });
    }
    expect((await detail(id)).state).toBe('on_site');
    // Before filing, dismissal stays open to the operations centre.
    const early = await openCase(t);
    expect((await detail(early)).actions).toContain('dismiss');
    await ok('ops', early, { event: 'dismiss', reason: 'a parked car\'s alarm, not music' });
  });

  it('ends a filed case on site only with no violation found: a warning, or sparing a first violation, is a decision', async () => {
    const id = await noiseReady();
    // Even past its decision deadline, when a decision would be refused as overdue.
    await sql(`UPDATE cases SET decision_due_at = now() - interval '1 day' WHERE id = $1`, [id]);
    for (const outcome of ['warning_issued', 'corrected'] as const) {
      expect((await fire('east.li', id, { event: 'resolve_on_site', outcome, summary: 'music turned down', partyId: PARTY_ID })).body, outcome).toMatchObject({ code: 'CASE_FILED' });
    }
    expect((await detail(id)).state).toBe('on_site');
    await ok('east.li', id, { event: 'resolve_on_site', outcome: 'no_violation_found', summary: 'the reading was a rehearsal with a permit' });
    expect((await detail(id)).state).toBe('resolved_on_site');
    // Before filing, a warning on site stays the simple procedure.
    const early = await openCase(t);
    await ok('east.li', early, { event: 'accept' });
    await ok('east.li', early, arrive('u-east-lead'));
    expect((await confirmPresence(t, as('east.lead'), early)).status).toBe(201);
    await ok('east.li', early, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'music turned down after a warning', partyId: PARTY_ID });
  });
});

describe('major decisions get consultation', () => {
  it('keeps the centre from approving a major decision on one reviewer\'s say', async () => {
    const id = await noiseReady();
    await ok('east.li', id, noiseProposal({ partyKind: 'unit', party: 'Lakeside Tea House Ltd', partyId: '91350100M000100Y43', fineYuan: 12000 }));
    await ok('east.li', id, { event: 'submit_for_review' });
    expect((await fire('review', id, { event: 'approve' })).body).toMatchObject({ code: 'CONSULTATION_REQUIRED' });
    await ok('review', id, { event: 'request_opinions', reviewers: ['u-centre-sun'], question: 'is ¥12,000 proportionate?' });
    await ok('centre.sun', id, { event: 'give_opinion', opinion: 'yes' });
    expect((await fire('review', id, { event: 'approve' })).body).toMatchObject({ code: 'CONSULTATION_REQUIRED', message: expect.stringContaining('1 given') });
    await ok('review', id, { event: 'request_opinions', reviewers: ['u-centre-qian'], question: 'second opinion' });
    await ok('centre.qian', id, { event: 'give_opinion', opinion: 'agree' });
    await ok('review', id, { event: 'approve' });
  });
});

describe('device registration', () => {
  it('refuses a device whose calibration has already expired', async () => {
    const r = await api<Reply>(t, as('admin'), 'POST', '/api/v1/devices', {
      id: 'slm-expired', zoneId: 'z-park-square', kind: 'sound_level_meter', placementPublished: true, calibrationValidUntil: '2020-01-01',
    });
    expect(r).toMatchObject({ status: 422, body: { code: 'CALIBRATION_EXPIRED' } });
    expect((await api(t, as('admin'), 'POST', '/api/v1/devices', {
      id: 'slm-fresh', zoneId: 'z-park-square', kind: 'sound_level_meter', placementPublished: true, calibrationValidUntil: '2099-01-01',
    })).status).toBe(201);
  });
});
