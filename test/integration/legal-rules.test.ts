import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, partyWaived, jpeg, measurementCsv, noiseProposal, openCase, readyToPropose, uploadEvidence } from '../support/cases.js';
import { residentIdCheck } from '../../enforcement-api/legal/party-ids.js';

/**
 * The legal rules of DESIGN §3 Enforcement (issue 5), each through the real API and database: two
 * certified officers on site, evidence (files and sensor records), discretion benchmarks, review
 * routing and consultation, first minor violation, the 90-day decision deadline.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;

interface ErrorBody {
  code: string;
  message: string;
}
interface CaseDetail {
  id: string;
  state: string;
  onSiteOfficers: string[] | null;
  filedAt: string | null;
  decisionDueAt: string | null;
  decidedLate: boolean | null;
  reviewPostId: string | null;
  reviewLevel: string | null;
  events: { type: string; actor: string; data: Record<string, unknown> }[];
  proposals: { revision: number; tier: string; outsideBenchmark: boolean; reviewLevel: string; reviewReasons: string[] }[];
  consultations: { reviewer: string; opinion: string | null }[];
  benchmark: { tier: string; partyKind: string; minFineYuan: number; maxFineYuan: number }[];
  decisionDeadline: { dueAt: string; daysLeft: number; status: string; warnings: { day: number; reached: boolean }[] } | null;
  deadlines: { name: string; status: string; dueAt: string }[];
  extensions: { approvedBy: string; reason: string; newDueAt: string }[];
  actions: string[];
}

const fire = (user: string, caseId: string, body: Record<string, unknown>) =>
  api<ErrorBody & { to: string; event: { type: string; data: Record<string, unknown> } }>(t, as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
const detail = async (caseId: string, user = 'admin') => (await api<CaseDetail>(t, as(user), 'GET', `/api/v1/cases/${caseId}`)).body;
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);
/** Records the officer's latest certificate again with `until` (SQL) as its last day: with the same first day, it replaces the earlier version. */
const certificateUntil = (userId: string, until: string) => sql(
  `INSERT INTO officer_certificates (officer_id, certificate_no, valid_from, valid_until, domains, reason)
   SELECT officer_id, certificate_no, valid_from, ${until}, domains, 'test' FROM officer_certificates c JOIN officers o ON o.id = c.officer_id
   WHERE o.user_id = $1 ORDER BY c.id DESC LIMIT 1`, [userId]);

async function ok(user: string, caseId: string, body: Record<string, unknown>) {
  const r = await fire(user, caseId, body);
  expect(r.status, `${user} ${String(body.event)}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

const LOCATION = { lat: 32.0405, lon: 118.7805 };
const arrive = (second?: string) => ({ event: 'arrive', location: LOCATION, ...(second ? { secondOfficerId: second } : {}) });

/** A noise case of the East Lake team, accepted and on site with east.li and east.lead (who confirmed); `actAt`: its alert's time. */
async function noiseOnSite(actAt?: string): Promise<string> {
  const caseId = actAt === undefined ? await openCase(t) : await openCaseAt(actAt);
  await ok('east.li', caseId, { event: 'accept' });
  await ok('east.li', caseId, arrive('u-east-lead'));
  expect((await confirmPresence(t, as('east.lead'), caseId)).status).toBe(201);
  return caseId;
}

/** On site, filed, with a reviewed photo, a proposal, and submitted for review. */
async function submitted(proposal: Record<string, unknown>, caseId?: string): Promise<string> {
  const id = caseId ?? (await noiseOnSite());
  await readyToPropose(t, as, id);
  await ok('east.li', id, proposal);
  await ok('east.li', id, { event: 'submit_for_review' });
  return id;
}

/** A fresh, valid resident identity number (GB 11643), ending in X when asked. */
function residentId(endsInX = false): string {
  for (;;) {
    const born = new Date(Date.UTC(1960, 0, 1) + (randomBytes(4).readUInt32BE() % 14_600) * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    const body = `320102${born}${String(randomBytes(2).readUInt16BE() % 1000).padStart(3, '0')}`;
    const id = body + residentIdCheck(body);
    if (!endsInX || id.endsWith('X')) return id;
  }
}

/** The centre's consultation: two reviewers give their opinions (MAJOR_REVIEW_OPINIONS = 2). */
async function consult(caseId: string) {
  await ok('review', caseId, { event: 'request_opinions', reviewers: ['u-centre-sun', 'u-centre-qian'], question: 'proportionate?' });
  await ok('centre.sun', caseId, { event: 'give_opinion', opinion: 'yes' });
  await ok('centre.qian', caseId, { event: 'give_opinion', opinion: 'yes' });
}

/** A noise case whose act (its alert) happened at `at`, in a zone of its own so it never merges. */
async function openCaseAt(at: string): Promise<string> {
  const r = await t.platform.cases.intake(
    { id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: 'z-park-lawn', startedAt: at, detectedAt: at, summary: `noise at ${at}`, evidence: { laeq: 66 } },
    0,
  );
  if (r.outcome !== 'opened') throw new Error(`expected a new case, got ${r.outcome}`);
  return r.case.id;
}

let sensorCases = 0;
/** A case opened from an alert of a real device (a sensor record), measured in 2024 (before openCase's cases). */
async function sensorCase(deviceId: string, zoneId = 'z-park-lawn'): Promise<{ caseId: string; alertId: string }> {
  const at = new Date(Date.UTC(2024, 5, 1) + ++sensorCases * 3_600_000).toISOString();
  const alertId = randomBytes(16).toString('hex');
  const r = await t.platform.cases.intake(
    { id: alertId, kind: 'noise', zoneId, deviceId, startedAt: at, detectedAt: at, summary: `noise from ${deviceId}`, evidence: { laeq: 68 } },
    0,
  );
  if (r.outcome !== 'opened') throw new Error(`expected a new case, got ${r.outcome}`);
  return { caseId: r.case.id, alertId };
}

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api', EVIDENCE_MAX_BYTES: '4096', MAJOR_FINE_YUAN: '10000' });
  // A zone of its own (East Lake Park, so the East Lake team) for the sensor-record cases.
  await sql(`INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone) VALUES ('z-park-lawn', 'site-park', 'East Lake Park lawn', '{}', '1', 'Asia/Shanghai')`);
  for (const u of ['admin', 'head', 'review', 'centre.sun', 'centre.qian', 'east.review', 'river.review', 'east.li', 'east.wang', 'east.lead', 'river.zhao', 'fish.liu', 'fish.sun']) {
    tokens[u] = await login(t, u);
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('on-site enforcement: two officers with valid certificates for the matter', () => {
  it('refuses an arrival without a second certified officer of the domain, and records the pair', async () => {
    const caseId = await openCase(t);
    await ok('east.li', caseId, { event: 'accept' });
    expect((await fire('east.li', caseId, arrive())).body).toMatchObject({ code: 'SECOND_OFFICER_REQUIRED' });
    expect((await fire('east.li', caseId, arrive('u-east-li'))).body).toMatchObject({ code: 'NOT_TWO_OFFICERS' });
    // Fisheries certificate only: does not cover the noise matter's domain (ecology).
    const fish = await fire('east.li', caseId, arrive('u-fish-liu'));
    expect(fish.body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED' });
    expect(fish.body.message).toContain('does not cover ecology');
    // A reviewer holds no enforcement certificate.
    expect((await fire('east.li', caseId, arrive('u-east-review'))).body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED' });
    // An expired certificate, the second officer's or the caller's own.
    await certificateUntil('u-east-wang', 'current_date - 1');
    try {
      const expired = await fire('east.li', caseId, arrive('u-east-wang'));
      expect(expired).toMatchObject({ status: 422, body: { code: 'OFFICER_NOT_CERTIFIED' } });
      expect(expired.body.message).toContain('expired');
      expect((await fire('east.wang', caseId, arrive('u-east-li'))).body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED' });
    } finally {
      await certificateUntil('u-east-wang', `DATE '2028-12-31'`);
    }
    expect((await detail(caseId)).state).toBe('accepted');
    // An officer of another team may be the second one when certified for the domain.
    const arrived = await ok('east.li', caseId, arrive('u-river-zhao'));
    expect(arrived.event.data).toMatchObject({ onSiteOfficers: ['u-east-li', 'u-river-zhao'], certificates: [expect.stringMatching(/^ZF-/), expect.stringMatching(/^ZF-/)] });
    expect((await detail(caseId)).onSiteOfficers).toEqual(['u-east-li', 'u-river-zhao']);
  });

  it('lets only the officers on site record findings, while both certificates are still valid', async () => {
    const caseId = await noiseOnSite();
    await readyToPropose(t, as, caseId);
    expect((await fire('east.wang', caseId, noiseProposal())).body).toMatchObject({ code: 'NOT_ON_SITE_OFFICER' });
    expect((await fire('east.wang', caseId, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'x' })).body).toMatchObject({ code: 'NOT_ON_SITE_OFFICER' });
    await certificateUntil('u-east-lead', 'current_date - 1');
    try {
      expect((await fire('east.li', caseId, noiseProposal())).body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED' });
    } finally {
      await certificateUntil('u-east-lead', `DATE '2028-12-31'`);
    }
    await ok('east.lead', caseId, noiseProposal());
  });

  it('does not apply to a safety incident (crowding is not a penalty matter), which cannot take a penalty either', async () => {
    const caseId = await openCase(t, 'crowding');
    await ok('east.li', caseId, { event: 'accept' });
    await ok('east.li', caseId, arrive());
    expect((await uploadEvidence(t, as('east.li'), caseId)).status).toBe(201);
    expect((await fire('east.li', caseId, noiseProposal({ tier: 'normal' }))).body).toMatchObject({ code: 'NO_PENALTY_MATTER' });
    await ok('east.li', caseId, { event: 'resolve_on_site', outcome: 'hazard_cleared', summary: 'crowd moved back from the water' });
  });
});

describe('evidence', () => {
  it('stores files by SHA-256, once, immutable, with type and size limits', async () => {
    const caseId = await noiseOnSite();
    const photo = jpeg('evidence-1');
    const sha = createHash('sha256').update(photo).digest('hex');
    const first = await uploadEvidence(t, as('east.li'), caseId, photo, 'image/jpeg', '?filename=stage.jpg&description=speaker%20on%20the%20stage');
    expect(first).toMatchObject({ status: 201, body: { sha256: sha, sizeBytes: photo.length, contentType: 'image/jpeg', filename: 'stage.jpg', uploadedBy: 'u-east-li' } });
    expect(await uploadEvidence(t, as('east.wang'), caseId, photo)).toMatchObject({ status: 200, body: { id: first.body.id, sha256: sha } });
    const csv = await uploadEvidence(t, as('east.li'), caseId, Buffer.from('ts,laeq\n2026-03-01T21:00:00Z,68.2\n'), 'text/csv; charset=utf-8');
    expect(csv.status).toBe(201);

    expect(await uploadEvidence(t, as('east.li'), caseId, Buffer.from('hello'), 'text/plain')).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await uploadEvidence(t, as('east.li'), caseId, Buffer.from('MZ\x90\x00 not a picture'), 'image/png')).toMatchObject({ status: 422, body: { code: 'CONTENT_MISMATCH' } });
    expect(await uploadEvidence(t, as('east.li'), caseId, Buffer.from('{"broken":'), 'application/json')).toMatchObject({ status: 422, body: { code: 'CONTENT_MISMATCH' } });
    const big = Buffer.concat([jpeg('big'), Buffer.alloc(5000, 1)]);
    expect(await uploadEvidence(t, as('east.li'), caseId, big)).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    // Another team's officer, and a role that takes no evidence.
    expect((await uploadEvidence(t, as('river.zhao'), caseId)).status).toBe(404);
    expect((await uploadEvidence(t, as('admin'), caseId)).status).toBe(403);

    const list = await api<{ files: { id: string; sha256: string }[] }>(t, as('east.wang'), 'GET', `/api/v1/cases/${caseId}/evidence`);
    expect(list.body.files.map((f) => f.sha256)).toEqual([sha, expect.stringMatching(/^[0-9a-f]{64}$/)]);
    const res = await fetch(`${t.http}/api/v1/cases/${caseId}/evidence/${String(first.body.id)}`, { headers: { authorization: `Bearer ${as('east.li')}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-sha256')).toBe(sha);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/cases/${caseId}/evidence/${String(first.body.id)}`)).status).toBe(404);

    // The database refuses to change or remove evidence; the event chain recorded each upload.
    await expect(sql(`UPDATE case_evidence SET content = 'x'::bytea WHERE case_id = $1`, [caseId])).rejects.toThrow(/append-only/);
    await expect(sql(`DELETE FROM case_evidence WHERE case_id = $1`, [caseId])).rejects.toThrow(/append-only/);
    const events = (await detail(caseId)).events.filter((e) => e.type === 'evidence_added');
    expect(events.map((e) => e.data.sha256)).toEqual([sha, csv.body.sha256]);
  });

  it('needs at least one valid evidence item before a decision is proposed: typed, dated, placed, collected and reviewed', async () => {
    const caseId = await noiseOnSite();
    await ok('east.li', caseId, { event: 'file' });
    expect((await fire('east.li', caseId, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    // A file without its metadata is stored, but is no evidence, reviewed or not.
    const bare = await uploadEvidence(t, as('east.li'), caseId, jpeg('bare'), 'image/jpeg', '');
    expect(bare).toMatchObject({ status: 201, body: { valid: false, problems: expect.arrayContaining(['no evidence type (photo, video, audio, document, measurement)']) } });
    expect((await api(t, as('east.lead'), 'POST', `/api/v1/cases/${caseId}/evidence/${String(bare.body.id)}/review`, {})).body).toMatchObject({ valid: false });
    expect((await fire('east.li', caseId, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    // Metadata that does not fit the file, or half of it, is refused.
    expect((await uploadEvidence(t, as('east.li'), caseId, jpeg('v'), 'image/jpeg', '?type=video&capturedAt=2025-01-01T00:00:00Z&lat=32&lon=118&collectors=u-east-li')).body).toMatchObject({ code: 'TYPE_MISMATCH' });
    expect((await uploadEvidence(t, as('east.li'), caseId, jpeg('h'), 'image/jpeg', '?type=photo')).body).toMatchObject({ code: 'EVIDENCE_METADATA_INCOMPLETE' });
    expect((await uploadEvidence(t, as('east.li'), caseId, jpeg('c'), 'image/jpeg', '?type=photo&capturedAt=2025-01-01T00:00:00Z&lat=32&lon=118&collectors=u-admin')).body).toMatchObject({ code: 'UNKNOWN_COLLECTOR' });
    // Complete metadata, but only a person other than the uploader makes it count.
    const photo = await uploadEvidence(t, as('east.li'), caseId);
    expect(photo).toMatchObject({ status: 201, body: { evidenceType: 'photo', collectors: ['u-east-li'], valid: false, problems: [expect.stringContaining('reviewed')] } });
    const review = (user: string) => api<{ valid: boolean; code?: string }>(t, as(user), 'POST', `/api/v1/cases/${caseId}/evidence/${String(photo.body.id)}/review`, { note: 'shows the speaker' });
    expect((await review('east.li')).body).toMatchObject({ code: 'SELF_REVIEW' });
    expect((await fire('east.li', caseId, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    expect(await review('east.lead')).toMatchObject({ status: 201, body: { valid: true } });
    // A noise fine does not rest on a photo alone: it needs a sound level (the matter's decision evidence).
    expect((await fire('east.li', caseId, noiseProposal())).body).toMatchObject({ code: 'REQUIRED_EVIDENCE_MISSING', message: expect.stringContaining('measurement, audio') });
    const levels = await uploadEvidence(t, as('east.li'), caseId, measurementCsv(), 'text/csv');
    expect(levels).toMatchObject({ status: 201, body: { evidenceType: 'measurement' } });
    await api(t, as('east.lead'), 'POST', `/api/v1/cases/${caseId}/evidence/${String(levels.body.id)}/review`, { note: 'LAeq over the limit' });
    await ok('east.li', caseId, noiseProposal());
  });

  it('counts a sensor record only when calibrated at measurement time, placed publicly and reviewed by a person', async () => {
    const record = async (caseId: string) =>
      (await api<{ sensorRecords: { alertId: string; valid: boolean; problems: string[] }[] }>(t, as('east.li'), 'GET', `/api/v1/cases/${caseId}/evidence`)).body.sensorRecords[0]!;
    const review = (user: string, caseId: string, alertId: string) =>
      api<{ valid: boolean; problems: string[] }>(t, as(user), 'POST', `/api/v1/cases/${caseId}/evidence/sensor/${alertId}/review`, { note: 'spectrum shows amplified music' });

    // A calibrated, published meter: valid once a person has reviewed the record.
    const good = await sensorCase('slm-park-1');
    await ok('east.li', good.caseId, { event: 'accept' });
    await ok('east.li', good.caseId, arrive('u-east-lead'));
    expect((await confirmPresence(t, as('east.lead'), good.caseId)).status).toBe(201);
    await ok('east.li', good.caseId, { event: 'file' });
    expect(await record(good.caseId)).toMatchObject({ valid: false, problems: ['not yet reviewed by an officer or reviewer'] });
    expect((await fire('east.li', good.caseId, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    expect((await review('river.zhao', good.caseId, good.alertId)).status).toBe(404);
    expect((await review('admin', good.caseId, good.alertId)).status).toBe(403);
    expect(await review('east.wang', good.caseId, good.alertId)).toMatchObject({ status: 201, body: { valid: true, problems: [] } });
    expect((await review('east.wang', good.caseId, good.alertId)).status).toBe(200);
    await ok('east.li', good.caseId, noiseProposal());
    expect((await detail(good.caseId)).events.map((e) => e.type)).toContain('evidence_reviewed');

    // Calibration expired before the measurement: reviewing does not make it evidence. Renewing the
    // calibration afterwards does not either: validity is as it stood when the record was made.
    await sql(`UPDATE devices SET calibration_valid_until = '2024-05-31' WHERE id = 'slm-park-2'`);
    const stale = await sensorCase('slm-park-2');
    await sql(`UPDATE devices SET calibration_valid_until = '2027-06-30' WHERE id = 'slm-park-2'`);
    await ok('east.li', stale.caseId, { event: 'accept' });
    await ok('east.li', stale.caseId, arrive('u-east-lead'));
    expect((await confirmPresence(t, as('east.lead'), stale.caseId)).status).toBe(201);
    await ok('east.li', stale.caseId, { event: 'file' });
    expect((await review('east.li', stale.caseId, stale.alertId)).body).toMatchObject({ valid: false, problems: [expect.stringContaining('calibration expired on 2024-05-31')] });
    expect((await fire('east.li', stale.caseId, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });

    // Placement not published.
    await sql(`UPDATE devices SET placement_published = false WHERE id = 'pc-park-1'`);
    const hidden = await sensorCase('pc-park-1');
    await ok('east.li', hidden.caseId, { event: 'accept' });
    expect((await review('east.li', hidden.caseId, hidden.alertId)).body).toMatchObject({ valid: false, problems: [expect.stringContaining('not published')] });
  });
});

describe('discretion benchmarks and legal review routing', () => {
  it('publishes the benchmarks of the seeded matters with their legal bases', async () => {
    const noise = await api<{ partyKind: string; tier: string; minFineYuan: number; maxFineYuan: number; legalBasis: string }[]>(t, as('east.li'), 'GET', '/api/v1/benchmarks?matter=NOISE-AMPLIFIED');
    const individual = noise.body.filter((b) => b.partyKind === 'individual');
    expect(individual.map((b) => b.tier)).toEqual(['no_penalty', 'mitigated', 'normal', 'aggravated']);
    expect(Math.max(...individual.map((b) => b.maxFineYuan))).toBe(1000);
    expect(Math.max(...noise.body.filter((b) => b.partyKind === 'unit').map((b) => b.maxFineYuan))).toBe(20000);
    expect(individual[0]!.legalBasis).toContain('art. 82');
    const fishing = await api<{ legalBasis: string; minFineYuan: number }[]>(t, as('east.li'), 'GET', '/api/v1/benchmarks?matter=FISHING-BAN');
    expect(fishing.body[0]!.legalBasis).toContain('Yangtze River Protection Law art. 86');
    expect((await api<unknown[]>(t, as('east.li'), 'GET', '/api/v1/benchmarks?matter=CROWDING')).body).toEqual([]);
  });

  it('sends a routine decision to the street post and a fine outside its tier to the district centre, flagged', async () => {
    const routine = await submitted(noiseProposal());
    expect(await detail(routine)).toMatchObject({ reviewPostId: 'rp-east', reviewLevel: 'routine' });
    expect((await api(t, as('review'), 'GET', `/api/v1/cases/${routine}`)).status).toBe(404);
    expect((await api(t, as('river.review'), 'GET', `/api/v1/cases/${routine}`)).status).toBe(404);
    expect((await fire('review', routine, { event: 'approve' })).status).toBe(404);
    const queue = await api<{ id: string }[]>(t, as('east.review'), 'GET', '/api/v1/cases?state=under_review');
    expect(queue.body.map((c) => c.id)).toContain(routine);
    expect((await api<{ id: string }[]>(t, as('review'), 'GET', '/api/v1/cases?state=under_review')).body.map((c) => c.id)).not.toContain(routine);
    // The street post does not hold consultations.
    expect((await fire('east.review', routine, { event: 'request_opinions', reviewers: ['u-centre-sun'], question: 'fine ok?' })).body).toMatchObject({ code: 'CONSULTATION_CENTRE_ONLY' });
    await ok('east.review', routine, { event: 'approve' });

    // ¥1,000 is within the law (¥200–1,000) but outside the normal tier (¥400–700).
    const outside = await submitted(noiseProposal({ fineYuan: 1000, deviationReason: 'third refusal this month, at night' }));
    const c = await detail(outside, 'review');
    expect(c).toMatchObject({ reviewPostId: 'rp-centre', reviewLevel: 'major' });
    expect(c.proposals.at(-1)).toMatchObject({ tier: 'normal', outsideBenchmark: true, reviewLevel: 'major', reviewReasons: ['outside the discretion benchmark'] });
    expect(c.benchmark.find((b) => b.tier === 'normal' && b.partyKind === 'individual')).toMatchObject({ minFineYuan: 400, maxFineYuan: 700 });
    expect((await api(t, as('east.review'), 'GET', `/api/v1/cases/${outside}`)).status).toBe(404);
    expect((await fire('east.review', outside, { event: 'approve' })).status).toBe(404);
    // Even if the case were put back at the street post, the street post could not approve it.
    await sql(`UPDATE cases SET review_post_id = 'rp-east' WHERE id = $1`, [outside]);
    expect((await fire('east.review', outside, { event: 'approve' })).body).toMatchObject({ code: 'MAJOR_DECISION_NEEDS_CENTRE' });
    await sql(`UPDATE cases SET review_post_id = 'rp-centre' WHERE id = $1`, [outside]);
    await consult(outside);
    await ok('review', outside, { event: 'approve' });
  });

  it('treats a fine at or above MAJOR_FINE_YUAN, confiscation or a hearing as major', async () => {
    // A unit: ¥12,000 is inside its normal tier (¥8,000–14,000) but at or above the ¥10,000 threshold.
    const big = await submitted(noiseProposal({ partyKind: 'unit', party: 'Lakeside Tea House Ltd', partyId: '91320102MA1NXQ8K29', fineYuan: 12000 }));
    expect((await detail(big)).proposals.at(-1)).toMatchObject({ outsideBenchmark: false, reviewLevel: 'major', reviewReasons: ['fine of ¥12000 at or above ¥10000'] });
    expect((await detail(big)).reviewPostId).toBe('rp-centre');
    const hearing = await submitted(noiseProposal({ hearingRequired: true }));
    expect((await detail(hearing)).reviewPostId).toBe('rp-centre');
    // No such tier for the matter → refused, nothing written.
    const caseId = await noiseOnSite();
    await readyToPropose(t, as, caseId);
    expect((await fire('east.li', caseId, noiseProposal({ tier: 'no_penalty' }))).body).toMatchObject({ code: 'TIER_MISMATCH' });
  });

  it('lets the centre consult several reviewers before one final approval, each opinion on record', async () => {
    // Illegal fishing: the district fisheries team, confiscation and a fine → the centre.
    const caseId = await openCase(t, 'fishing', 'z-riverbank');
    expect(await detail(caseId)).toMatchObject({ state: 'dispatched', teamId: 't-fisheries' });
    await ok('fish.liu', caseId, { event: 'accept' });
    await ok('fish.liu', caseId, arrive('u-fish-sun'));
    await readyToPropose(t, as, caseId, 'fish.liu', 'fish.sun');
    await ok('fish.sun', caseId, {
      event: 'propose_decision', party: 'Wang Wu', partyId: residentId(), facts: 'rod fishing in the ban zone, 3 kg catch, continued after two loudspeaker warnings',
      legalBasis: 'Yangtze River Protection Law art. 86', penalties: ['confiscation', 'fine'], fineYuan: 20000, tier: 'normal',
    });
    await ok('fish.liu', caseId, { event: 'submit_for_review' });
    expect(await detail(caseId, 'review')).toMatchObject({ reviewPostId: 'rp-centre', reviewLevel: 'major' });

    expect((await fire('review', caseId, { event: 'request_opinions', reviewers: ['u-east-review'], question: 'q' })).body).toMatchObject({ code: 'UNKNOWN_REVIEWER' });
    expect((await fire('review', caseId, { event: 'request_opinions', reviewers: ['u-review'], question: 'q' })).body).toMatchObject({ code: 'UNKNOWN_REVIEWER' });
    await ok('review', caseId, { event: 'request_opinions', reviewers: ['u-centre-sun', 'u-centre-qian'], question: 'Is ¥20,000 with confiscation proportionate for a first offence with catch?' });
    expect((await fire('centre.sun', caseId, { event: 'approve' })).body).toMatchObject({ code: 'CONSULTATION_PENDING' });
    expect((await fire('review', caseId, { event: 'give_opinion', opinion: 'mine' })).body).toMatchObject({ code: 'NO_OPINION_REQUESTED' });
    await ok('centre.sun', caseId, { event: 'give_opinion', opinion: 'Proportionate: the catch and the ignored warnings select the normal tier.' });
    expect((await fire('centre.sun', caseId, { event: 'give_opinion', opinion: 'again' })).body).toMatchObject({ code: 'NO_OPINION_REQUESTED' });
    expect((await fire('review', caseId, { event: 'approve' })).body).toMatchObject({ code: 'CONSULTATION_PENDING' });
    await ok('centre.qian', caseId, { event: 'give_opinion', opinion: 'Agree; record the gear confiscated by item.' });
    await ok('review', caseId, { event: 'approve', opinion: 'approved after consultation' });
    const c = await detail(caseId);
    expect(c.state).toBe('approved');
    expect(c.consultations.map((k) => [k.reviewer, k.opinion !== null])).toEqual([['u-centre-sun', true], ['u-centre-qian', true]]);
    expect(c.events.filter((e) => e.type === 'opinion_given').map((e) => e.actor)).toEqual(['u-centre-sun', 'u-centre-qian']);
    expect(c.events.filter((e) => e.type === 'approved')).toHaveLength(1);
  });
});

describe('first minor violation corrected in time', () => {
  it('closes with no penalty, recorded as such, only for a party without an earlier case of the matter', async () => {
    const party = residentId();
    const first = await noiseOnSite();
    const corrected = { event: 'resolve_on_site', outcome: 'corrected', summary: 'first time; turned the speaker off when ordered' };
    expect((await fire('east.li', first, corrected)).body).toMatchObject({ code: 'FIRST_VIOLATION_UNPROVEN' });
    const done = await ok('east.li', first, { ...corrected, partyId: party, correction: 'speaker switched off at 21:12 in front of the officers' });
    expect(done.event.data).toMatchObject({ outcome: 'corrected', noPenalty: expect.stringContaining('art. 33'), priorCasesOfParty: 0, partyId: party });
    await ok('east.li', first, { event: 'close' });

    const second = await noiseOnSite();
    expect((await fire('east.li', second, { ...corrected, partyId: party, correction: 'switched off again' })).body).toMatchObject({ code: 'NOT_FIRST_VIOLATION' });
    await readyToPropose(t, as, second);
    const noPenalty = noiseProposal({ penalties: ['no_penalty'], fineYuan: undefined, tier: 'no_penalty', partyId: party, correction: 'switched off again' });
    expect((await fire('east.li', second, noPenalty)).body).toMatchObject({ code: 'NOT_FIRST_VIOLATION' });
    // A fine for the repeat; the no-penalty proposal works for a new party.
    const third = await noiseOnSite();
    await readyToPropose(t, as, third);
    const proposed = await ok('east.li', third, { ...noPenalty, partyId: residentId() });
    expect(proposed.event.data).toMatchObject({ tier: 'no_penalty', reviewLevel: 'routine', noPenalty: expect.stringContaining('art. 33') });
  });

  it('counts an earlier act of the party whatever the order in which the cases were reported or named the party', async () => {
    const corrected = { event: 'resolve_on_site', outcome: 'corrected', summary: 'turned the speaker off when ordered' };
    // Reported first, the act of 10 May; reported second, an earlier act (1 May) by the same party.
    const party = residentId();
    const later = await noiseOnSite('2025-05-10T12:00:00Z');
    const earlier = await noiseOnSite('2025-05-01T12:00:00Z');
    await ok('east.li', earlier, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'warned for the loudspeaker', partyId: party });
    expect((await fire('east.li', later, { ...corrected, partyId: party, correction: 'switched off' })).body)
      .toMatchObject({ code: 'NOT_FIRST_VIOLATION', message: expect.stringContaining('1 earlier case') });

    // The party named first in the case of the later act, spared there: the earlier act's case, named
    // afterwards, cannot spare a first violation again.
    const other = residentId();
    const first = await noiseOnSite('2025-05-03T12:00:00Z');
    const second = await noiseOnSite('2025-05-20T12:00:00Z');
    await ok('east.li', second, { ...corrected, partyId: other, correction: 'switched off' });
    const refused = await fire('east.li', first, { ...corrected, partyId: other, correction: 'switched off' });
    expect(refused.body).toMatchObject({ code: 'NOT_FIRST_VIOLATION', message: expect.stringContaining('already spared') });
    // A case closed as no violation found is no earlier violation.
    const third = residentId();
    const none = await noiseOnSite('2025-05-05T12:00:00Z');
    await ok('east.li', none, { event: 'resolve_on_site', outcome: 'no_violation_found', summary: 'the music came from elsewhere', partyId: third });
    await ok('east.li', await noiseOnSite('2025-05-06T12:00:00Z'), { ...corrected, partyId: third, correction: 'switched off' });
  });
});

describe('90-day decision deadline of general-procedure cases', () => {
  it('runs from filing, warns before it, and refuses a late decision without the agency head\'s extension', async () => {
    const caseId = await noiseOnSite();
    // Accepting is not filing: no clock yet.
    expect(await detail(caseId)).toMatchObject({ filedAt: null, decisionDueAt: null, decisionDeadline: null });
    expect((await detail(caseId, 'east.li')).actions).toContain('file');
    expect((await fire('east.li', caseId, noiseProposal())).body).toMatchObject({ code: 'NOT_FILED' });
    await submitted(noiseProposal(), caseId);
    let c = await detail(caseId);
    expect(c.events.find((e) => e.type === 'filed')).toMatchObject({ actor: 'u-east-li' });
    // To the end of the 90th calendar day of the district (Asia/Shanghai) after the filing date.
    const shanghai = (at: string) => new Date(Date.parse(at) + 8 * 3_600_000).toISOString();
    const filedOn = shanghai(c.filedAt!).slice(0, 10);
    expect(shanghai(c.decisionDueAt!)).toBe(`${new Date(Date.parse(filedOn) + 90 * 86_400_000).toISOString().slice(0, 10)}T23:59:59.999Z`);
    expect(c.decisionDeadline).toMatchObject({ status: 'on_time', daysLeft: 90, warnings: [{ day: 60, reached: false }, { day: 80, reached: false }] });
    expect((await fire('east.li', caseId, { event: 'file' })).status).toBe(409);

    await sql(`UPDATE cases SET filed_at = now() - interval '61 days', decision_due_at = now() + interval '29 days' WHERE id = $1`, [caseId]);
    c = await detail(caseId);
    expect(c.decisionDeadline).toMatchObject({ status: 'warning', daysLeft: 29, warnings: [{ day: 60, reached: true }, { day: 80, reached: false }] });

    await ok('east.review', caseId, { event: 'approve' });
    await partyWaived(ok, 'east.li', caseId);
    await sql(`UPDATE cases SET filed_at = now() - interval '91 days', decision_due_at = now() - interval '1 day' WHERE id = $1`, [caseId]);
    await sql(`UPDATE case_deadlines SET due_at = now() - interval '1 day' WHERE case_id = $1 AND name = 'decision'`, [caseId]);
    expect((await detail(caseId)).decisionDeadline).toMatchObject({ status: 'overdue', daysLeft: -1 });
    const decide = { event: 'decide', decisionNo: '东执罚决字〔2026〕第7号' };
    expect((await fire('east.li', caseId, decide)).body).toMatchObject({ code: 'DECISION_OVERDUE' });
    // Any text no longer does it ("x" passed before).
    expect((await fire('east.li', caseId, { ...decide, overdueReason: 'x' })).status).toBe(400);
    // Nor does an extension approved once the deadline has passed (it would revive a missed deadline).
    const revived = { event: 'extend_deadline', reason: 'expert noise report from the environmental monitoring station', newDueAt: new Date(Date.now() + 20 * 86_400_000).toISOString() };
    expect((await fire('head', caseId, revived)).body).toMatchObject({ code: 'EXTENSION_AFTER_DEADLINE' });
    // Approved while the deadline ran (its last day, past the 90 days counted from an earlier filing)…
    await sql(`UPDATE cases SET decision_due_at = now() + interval '1 hour' WHERE id = $1`, [caseId]);
    await sql(`UPDATE case_deadlines SET due_at = now() + interval '1 hour' WHERE case_id = $1 AND name = 'decision'`, [caseId]);
    // Only the agency head extends, to a later date, with a reason.
    const newDueAt = new Date(Date.now() + 20 * 86_400_000).toISOString();
    const extension = { event: 'extend_deadline', reason: 'expert noise report from the environmental monitoring station', newDueAt };
    expect((await fire('east.lead', caseId, extension)).status).toBe(403);
    expect((await fire('admin', caseId, extension)).status).toBe(403);
    expect((await fire('head', caseId, { ...extension, newDueAt: new Date(Date.now() - 2 * 86_400_000).toISOString() })).body).toMatchObject({ code: 'EXTENSION_NOT_LATER' });
    const extended = await ok('head', caseId, extension);
    expect(extended.event.data).toMatchObject({ reason: expect.stringContaining('expert'), newDueAt });
    c = await detail(caseId);
    expect(c).toMatchObject({ decisionDueAt: newDueAt, extensions: [{ approvedBy: 'u-head', reason: expect.stringContaining('expert') }] });
    expect(c.deadlines.find((d) => d.name === 'decision')).toMatchObject({ status: 'open', dueAt: newDueAt });
    const late = await ok('east.li', caseId, decide);
    expect(late.event.data).toMatchObject({ late: true, extendedTo: newDueAt });
    c = await detail(caseId);
    expect(c).toMatchObject({ state: 'decided', decidedLate: true, decisionDeadline: { status: 'decided_late' } });
  });
});
