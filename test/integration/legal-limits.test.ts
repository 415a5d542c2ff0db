import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, jpeg, noiseOnSite, noiseProposal, SITE, transitionsAs, uploadEvidence } from '../support/cases.js';

/**
 * Limits the legal rules put on the people who apply them, through the real API and database: the
 * review of evidence by a person who did not collect it.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const { fire, ok } = transitionsAs(() => t, as);
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'head', 'east.li', 'east.wang', 'east.lead']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('evidence is reviewed by a person who did not collect it', () => {
  it('refuses the review of a co-collector, and takes that of an officer who was not on it', async () => {
    const id = await noiseOnSite(t, ok);
    expect((await confirmPresence(t, as('east.lead'), id)).status).toBe(201);
    // The two officers on site took the photo together; east.li uploads it.
    const photo = await uploadEvidence(t, as('east.li'), id, jpeg(), 'image/jpeg',
      `?type=photo&capturedAt=${encodeURIComponent(new Date().toISOString())}&lat=${SITE.lat}&lon=${SITE.lon}&collectors=u-east-li,u-east-lead`);
    expect(photo.status).toBe(201);
    const evidenceId = String(photo.body.id);
    const review = (user: string) => api<{ code?: string; valid?: boolean; problemCodes?: string[] }>(t, as(user), 'POST', `/api/v1/cases/${id}/evidence/${evidenceId}/review`, { note: 'checked' });

    expect((await review('east.li')).body).toMatchObject({ code: 'SELF_REVIEW' });
    const collector = await review('east.lead');
    expect(collector).toMatchObject({ status: 422, body: { code: 'COLLECTOR_REVIEW' } });
    const listed = async () => (await api<{ files: { id: string; valid: boolean; problemCodes: string[] }[] }>(t, as('east.li'), 'GET', `/api/v1/cases/${id}/evidence`)).body.files.find((f) => f.id === evidenceId)!;
    expect(await listed()).toMatchObject({ valid: false, problemCodes: ['not_reviewed'] });

    // A collector's review on file from before the rule proves nothing either.
    await sql(`INSERT INTO evidence_file_reviews (case_id, evidence_id, reviewer, role, note, at) VALUES ($1, $2, 'u-east-lead', 'team_lead', 'mine', now())`, [id, evidenceId]);
    expect(await listed()).toMatchObject({ valid: false, problemCodes: ['not_reviewed'] });
    await ok('east.li', id, { event: 'file' });
    expect((await fire('east.li', id, noiseProposal())).body).toMatchObject({ code: 'NO_VALID_EVIDENCE' });

    // Another officer of the team, who was not on it, reviews it: it counts.
    expect(await review('east.wang')).toMatchObject({ status: 201, body: { valid: true } });
  });
});
