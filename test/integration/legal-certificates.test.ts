import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, jpeg, SITE, transitionsAs, uploadEvidence } from '../support/cases.js';
import { localDate } from '../../enforcement-api/domain/legal-rules.js';

/**
 * Officers' certificates with a history, through the real API and database: each certificate, renewal
 * or change of domains is a version from its own first day, and an act (an arrival on site, a capture
 * of evidence) is judged by the version in force on its local day — a renewal does not cover the lapse
 * before it, a certificate issued later does not cover earlier acts, and a change of domains does not
 * rewrite them.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const { fire, ok } = transitionsAs(() => t, as);
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);

/** The district's calendar day `offset` days from today (Asia/Shanghai, the test platform's timezone). */
const day = (offset = 0) => localDate(new Date(Date.now() + offset * 86_400_000), 'Asia/Shanghai');

interface Change { entity: string; effectiveFrom: string; before: Record<string, unknown> | null; after: Record<string, unknown> }
interface Versions { inForce: { certificateNo: string } | null; history: { certificateNo: string; validFrom: string; validUntil: string; domains: string[]; recordedBy: string | null }[] }
interface ErrorBody { code: string; message: string }

let officers = 0;
/** A new officer of the East Lake team (no certificate yet; signed in as `cert.N`, with east.li's password); answers the user id. */
async function newOfficer(): Promise<string> {
  const id = `u-cert-${++officers}`;
  await sql(`INSERT INTO users (id, username, password_hash, role, team_id, display_name) SELECT $1, $2, password_hash, 'officer', 't-east', $3 FROM users WHERE id = 'u-east-li'`,
    [id, `cert.${officers}`, `Officer ${officers}`]);
  tokens[`cert.${officers}`] = await login(t, `cert.${officers}`);
  return id;
}
type Version = { certificateNo: string; validFrom?: string; validUntil: string; domains: string[] };
const certify = (userId: string, body: Version) =>
  api<Change & ErrorBody>(t, as('admin'), 'PUT', `/api/v1/catalogue/officers/${userId}/certificate`, { ...body, reason: 'issued by the district' });
/**
 * A version recorded by the administrator on its first day (SQL: the history as it was written then). The
 * API no longer takes a version that certifies days already past, so past histories are laid down here.
 */
async function recordedThen(userId: string, v: Required<Version>): Promise<void> {
  await sql(`INSERT INTO officers (id, user_id, team_id, name) VALUES ('o-' || $1::text, $1, 't-east', $1) ON CONFLICT (user_id) DO NOTHING`, [userId]);
  await sql(`INSERT INTO officer_certificates (officer_id, certificate_no, valid_from, valid_until, domains, reason, recorded_by, recorded_at)
    SELECT id, $2, $3, $4, $5, 'issued by the district', 'u-admin', $3::date FROM officers WHERE user_id = $1`, [userId, v.certificateNo, v.validFrom, v.validUntil, v.domains]);
}
const NOISE_DOMAINS = ['city_management', 'ecology'];

let opened = 0;
/** A noise case accepted by east.li, not yet on site; `at`: the time of its act (one hour after the previous one, in 2025, when omitted). */
async function accepted(at = new Date(Date.UTC(2025, 5, 1) + ++opened * 3_600_000).toISOString()): Promise<string> {
  const r = await t.platform.cases.intake({ id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: 'z-park-square', startedAt: at, detectedAt: at, summary: 'noise', evidence: { laeq: 70 } }, 30);
  if (r.outcome !== 'opened') throw new Error(r.outcome);
  await ok('east.li', r.case.id, { event: 'accept' });
  return r.case.id;
}
const arrive = (second: string) => ({ event: 'arrive', location: SITE, secondOfficerId: second });
/** A photo of the case captured at `capturedAt` (local time in the query), collected by east.li and `collector`. */
const photo = (caseId: string, collector: string, capturedAt: string) =>
  uploadEvidence(t, as('east.li'), caseId, jpeg(), 'image/jpeg',
    `?type=photo&capturedAt=${encodeURIComponent(capturedAt)}&lat=${SITE.lat}&lon=${SITE.lon}&collectors=u-east-li,${collector}`);

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'east.li', 'east.lead']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('on site: the certificates in force on the day of the arrival', () => {
  it('does not count a renewal for the lapse before it', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-L-1', validFrom: '2024-01-01', validUntil: day(-1), domains: NOISE_DOMAINS });
    // Renewed from tomorrow: recorded, but today is in the lapse.
    const renewal = await certify(officer, { certificateNo: 'ZF-L-2', validFrom: day(1), validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    expect(renewal.body).toMatchObject({ entity: 'officer_certificate', effectiveFrom: day(1), before: { certificateNo: 'ZF-L-1', validUntil: day(-1) }, after: { certificateNo: 'ZF-L-2', validFrom: day(1) } });
    const caseId = await accepted();
    const refused = await fire('east.li', caseId, arrive(officer));
    expect(refused).toMatchObject({ status: 422, body: { code: 'OFFICER_NOT_CERTIFIED' } });
    expect(refused.body.message).toContain(`expired on ${day(-1)}`);
    // Both versions are kept, in the order recorded; none is in force today.
    const versions = await api<Versions>(t, as('east.li'), 'GET', `/api/v1/catalogue/officers/${officer}/certificates`);
    expect(versions.body.inForce).toBeNull();
    expect(versions.body.history.map((v) => [v.certificateNo, v.validFrom, v.validUntil, v.recordedBy])).toEqual([
      ['ZF-L-1', '2024-01-01', day(-1), 'u-admin'], ['ZF-L-2', day(1), '2030-12-31', 'u-admin'],
    ]);
    expect((await api<Versions>(t, as('east.li'), 'GET', `/api/v1/catalogue/officers/${officer}/certificates?on=${day(1)}`)).body.inForce).toMatchObject({ certificateNo: 'ZF-L-2' });
    // The team's list shows the certificate of today: expired.
    const team = await api<{ userId: string; certificateNo: string | null; certificateValidUntil: string | null }[]>(t, as('east.li'), 'GET', '/api/v1/team/members');
    expect(team.body.find((m) => m.userId === officer)).toMatchObject({ certificateNo: 'ZF-L-1', certificateValidUntil: day(-1) });
  });

  it('does not count a certificate issued after the day', async () => {
    const officer = await newOfficer();
    await certify(officer, { certificateNo: 'ZF-N-1', validFrom: day(1), validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    const caseId = await accepted();
    const refused = await fire('east.li', caseId, arrive(officer));
    expect(refused.body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED', message: expect.stringContaining(`valid only from ${day(1)}`) });
    const team = await api<{ userId: string; certificateValidFrom: string | null }[]>(t, as('east.li'), 'GET', '/api/v1/team/members');
    expect(team.body.find((m) => m.userId === officer)).toMatchObject({ certificateValidFrom: day(1) });
  });

  it('keeps the domains of the day when they change later, and applies the change from its day', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-D-1', validFrom: '2024-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    // Moved to fisheries from tomorrow: today's arrival on a noise case is still theirs to make.
    await certify(officer, { certificateNo: 'ZF-D-1', validFrom: day(1), validUntil: '2030-12-31', domains: ['fisheries'] });
    const caseId = await accepted();
    const arrived = await ok('east.li', caseId, arrive(officer));
    expect(arrived.event?.data).toMatchObject({ onSiteOfficers: ['u-east-li', officer], certificates: [expect.stringMatching(/^ZF-/), 'ZF-D-1'] });
    // Moved from today: refused for the noise matter's domain.
    const other = await newOfficer();
    await recordedThen(other, { certificateNo: 'ZF-D-2', validFrom: '2024-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    await certify(other, { certificateNo: 'ZF-D-2', validFrom: day(0), validUntil: '2030-12-31', domains: ['fisheries'] });
    expect((await fire('east.li', await accepted(), arrive(other))).body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED', message: expect.stringContaining('does not cover ecology') });
  });

  it('lets two officers certified that day arrive, confirm and file', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-OK-1', validFrom: day(-30), validUntil: day(30), domains: NOISE_DOMAINS });
    const caseId = await accepted();
    await ok('east.li', caseId, arrive('u-east-lead'));
    expect((await confirmPresence(t, as('east.lead'), caseId)).status).toBe(201);
    await ok('east.li', caseId, { event: 'file' });
    expect((await photo(caseId, officer, new Date().toISOString())).status).toBe(201);
  });

  it("refuses the second officer's confirmation once their certificate no longer holds on its day", async () => {
    const officer = await newOfficer();
    const username = `cert.${officers}`;
    await recordedThen(officer, { certificateNo: 'ZF-P-1', validFrom: '2024-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    const caseId = await accepted();
    await ok('east.li', caseId, arrive(officer));
    // Cut short after the arrival (the same first day, recorded later): it ended yesterday. A correction
    // from a past day that certifies nothing new on the days past is taken.
    await certify(officer, { certificateNo: 'ZF-P-1', validFrom: '2024-01-01', validUntil: day(-1), domains: NOISE_DOMAINS });
    expect((await confirmPresence(t, as(username), caseId)).body).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED', message: expect.stringContaining(`expired on ${day(-1)}`) });
    // Recorded again in full, it holds.
    await certify(officer, { certificateNo: 'ZF-P-1', validFrom: '2024-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    expect((await confirmPresence(t, as(username), caseId)).status).toBe(201);
  });

  it('refuses a version that ends before it begins, and a number another officer holds', async () => {
    const officer = await newOfficer();
    expect((await certify(officer, { certificateNo: 'ZF-V-1', validFrom: day(10), validUntil: day(9), domains: NOISE_DOMAINS })).body).toMatchObject({ code: 'VALIDATION' });
    expect((await certify(officer, { certificateNo: 'ZF-V-1', validFrom: day(10), validUntil: day(40), domains: NOISE_DOMAINS })).status).toBe(200);
    expect((await certify(await newOfficer(), { certificateNo: 'ZF-V-1', validUntil: '2030-12-31', domains: NOISE_DOMAINS })).body).toMatchObject({ code: 'CERTIFICATE_TAKEN' });
    // The history is append-only.
    await expect(sql('UPDATE officer_certificates SET valid_until = $1', ['2040-01-01'])).rejects.toThrow(/append-only/);
  });
});

describe('evidence collectors: the certificate in force on the day of the capture', () => {
  it('refuses a collector in the lapse between a certificate and its renewal, not before or after it', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-C-1', validFrom: '2025-04-01', validUntil: '2026-03-31', domains: NOISE_DOMAINS });
    await recordedThen(officer, { certificateNo: 'ZF-C-2', validFrom: '2026-05-01', validUntil: '2029-04-30', domains: NOISE_DOMAINS });
    const caseId = await accepted('2026-03-20T02:00:00.000Z');
    await ok('east.li', caseId, arrive('u-east-lead'));
    expect((await photo(caseId, officer, '2026-03-31T20:00:00+08:00')).status).toBe(201);
    const lapse = await photo(caseId, officer, '2026-04-15T10:00:00+08:00');
    expect(lapse.body).toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED', message: expect.stringContaining('expired on 2026-03-31') });
    // 30 April, 23:30 in the district is still the lapse (15:30 UTC).
    expect((await photo(caseId, officer, '2026-04-30T15:30:00Z')).body).toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED' });
    expect((await photo(caseId, officer, '2026-04-30T16:30:00Z')).status).toBe(201);
  });

  it('refuses a collector whose certificate was issued after the capture', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-C-3', validFrom: '2026-06-01', validUntil: '2029-05-31', domains: NOISE_DOMAINS });
    const caseId = await accepted('2026-01-10T02:00:00.000Z');
    await ok('east.li', caseId, arrive('u-east-lead'));
    expect((await photo(caseId, officer, '2026-01-10T11:00:00+08:00')).body)
      .toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED', message: expect.stringContaining('valid only from 2026-06-01') });
    expect((await photo(caseId, officer, '2026-06-02T11:00:00+08:00')).status).toBe(201);
  });

  it('judges a capture by the domains of its day, not by a later change', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-C-4', validFrom: '2025-01-01', validUntil: '2029-12-31', domains: NOISE_DOMAINS });
    await recordedThen(officer, { certificateNo: 'ZF-C-4', validFrom: '2026-06-01', validUntil: '2029-12-31', domains: ['fisheries'] });
    const caseId = await accepted('2026-05-10T02:00:00.000Z');
    await ok('east.li', caseId, arrive('u-east-lead'));
    expect((await photo(caseId, officer, '2026-05-20T11:00:00+08:00')).status).toBe(201);
    expect((await photo(caseId, officer, '2026-06-10T11:00:00+08:00')).body)
      .toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED', message: expect.stringContaining('does not cover ecology') });
  });
});

describe('no backdated certificates', () => {
  it('refuses a version that would certify, after the fact, a capture made without a certificate for the matter', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-B-1', validFrom: '2025-01-01', validUntil: '2030-12-31', domains: ['fisheries'] });
    // Five days ago the fisheries officer photographed loud music with east.li: not theirs to collect.
    const caseId = await accepted(new Date(Date.now() - 10 * 86_400_000).toISOString());
    await ok('east.li', caseId, arrive('u-east-lead'));
    const capturedAt = new Date(Date.now() - 5 * 86_400_000).toISOString();
    expect((await photo(caseId, officer, capturedAt)).body).toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED', message: expect.stringContaining('does not cover') });
    // The noise domains added from a week ago would have made that capture lawful.
    const backdated = await certify(officer, { certificateNo: 'ZF-B-1', validFrom: day(-7), validUntil: '2030-12-31', domains: ['fisheries', ...NOISE_DOMAINS] });
    expect(backdated).toMatchObject({ status: 422, body: { code: 'CERTIFICATE_BACKDATED', message: expect.stringContaining(`on ${day(-7)}`) } });
    expect((await photo(caseId, officer, capturedAt)).body).toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED' });
    // From the day it is recorded: today's captures are theirs, the one of five days ago still is not.
    expect((await certify(officer, { certificateNo: 'ZF-B-1', validUntil: '2030-12-31', domains: ['fisheries', ...NOISE_DOMAINS] })).body).toMatchObject({ effectiveFrom: day(0) });
    expect((await photo(caseId, officer, capturedAt)).body).toMatchObject({ code: 'COLLECTOR_NOT_CERTIFIED' });
    expect((await photo(caseId, officer, new Date().toISOString())).status).toBe(201);
  });

  it('records a certificate entered late from the day it is recorded, not from the day it was issued', async () => {
    const officer = await newOfficer();
    expect((await certify(officer, { certificateNo: 'ZF-B-2', validFrom: day(-1), validUntil: '2030-12-31', domains: NOISE_DOMAINS })).body)
      .toMatchObject({ code: 'CERTIFICATE_BACKDATED' });
    expect((await certify(officer, { certificateNo: 'ZF-B-2', validFrom: day(0), validUntil: '2030-12-31', domains: NOISE_DOMAINS })).status).toBe(200);
    // Nor does a renewal reach back over a lapse.
    const lapsed = await newOfficer();
    await recordedThen(lapsed, { certificateNo: 'ZF-B-3', validFrom: '2024-01-01', validUntil: day(-20), domains: NOISE_DOMAINS });
    expect((await certify(lapsed, { certificateNo: 'ZF-B-3', validFrom: '2024-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS })).body)
      .toMatchObject({ code: 'CERTIFICATE_BACKDATED', message: expect.stringContaining(`on ${day(-19)}`) });
  });

  it('keeps correcting a mistyped number possible, from the version\'s own first day', async () => {
    const officer = await newOfficer();
    await recordedThen(officer, { certificateNo: 'ZF-B-4O', validFrom: '2025-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    const fixed = await certify(officer, { certificateNo: 'ZF-B-40', validFrom: '2025-01-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS });
    expect(fixed).toMatchObject({ status: 200, body: { before: { certificateNo: 'ZF-B-4O' }, after: { certificateNo: 'ZF-B-40', validFrom: '2025-01-01' } } });
    const versions = await api<Versions>(t, as('east.li'), 'GET', `/api/v1/catalogue/officers/${officer}/certificates?on=2025-06-01`);
    expect(versions.body.inForce).toMatchObject({ certificateNo: 'ZF-B-40' });
    // The correction may not reach further back than the version it corrects.
    expect((await certify(officer, { certificateNo: 'ZF-B-40', validFrom: '2024-06-01', validUntil: '2030-12-31', domains: NOISE_DOMAINS })).body)
      .toMatchObject({ code: 'CERTIFICATE_BACKDATED', message: expect.stringContaining('on 2024-06-01') });
  });
});
