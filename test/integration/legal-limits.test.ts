import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureWebBuilt } from '../../web/scripts/ensure-built.js';
import { api, login, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { DESKTOP, hasBrowser, launch, signIn } from '../support/browser.js';
import { confirmPresence, jpeg, noiseOnSite, noiseProposal, readyToPropose, SITE, transitionsAs, uploadEvidence } from '../support/cases.js';
import { localDate } from '../../enforcement-api/domain/legal-rules.js';

/**
 * Limits the legal rules put on the people who apply them, through the real API and database: the
 * agency head's extensions of the decision deadline (one of at most 30 days, a further one only by
 * collective discussion), and the review of evidence by a person who did not collect it.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const { fire, ok } = transitionsAs(() => t, as);
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);

interface Detail {
  state: string;
  decisionDueAt: string | null;
  extensions: { approvedBy: string; previousDueAt: string; newDueAt: string; collectiveDiscussion: Record<string, unknown> | null }[];
}
const detail = async (caseId: string) => (await api<Detail>(t, as('admin'), 'GET', `/api/v1/cases/${caseId}`)).body;
const DAY = 86_400_000;
const later = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'head', 'east.li', 'east.wang', 'east.lead']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('extensions of the decision deadline', () => {
  it('grants one of at most 30 days, and a further one only with the collective discussion on record', async () => {
    const id = await noiseOnSite(t, ok);
    await readyToPropose(t, as, id);
    const due = (await detail(id)).decisionDueAt!;
    const reason = 'expert noise report from the environmental monitoring station';

    // Longer than 30 days at once: refused, whoever approves it.
    const tooLong = await fire('head', id, { event: 'extend_deadline', reason, newDueAt: later(due, 45) });
    expect(tooLong).toMatchObject({ status: 422, body: { code: 'EXTENSION_TOO_LONG', message: expect.stringContaining('45 days') } });
    expect((await detail(id)).decisionDueAt).toBe(due);

    // 30 days: the agency head's own extension.
    const first = later(due, 30);
    await ok('head', id, { event: 'extend_deadline', reason, newDueAt: first });

    // A second one, however short, needs the collective discussion of the agency's leaders.
    const second = later(first, 10);
    const alone = await fire('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: second });
    expect(alone).toMatchObject({ status: 422, body: { code: 'COLLECTIVE_DISCUSSION_REQUIRED', message: expect.stringContaining('collective discussion') } });
    const tomorrow = localDate(new Date(Date.now() + DAY), 'Asia/Shanghai');
    const today = localDate(new Date(), 'Asia/Shanghai');
    const discussion = { heldOn: today, participants: ['Director Zhou', 'Deputy Director Wu', 'Political Commissar Lin'], minutesRef: '东执纪〔2026〕12号' };
    expect((await fire('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: second, collectiveDiscussion: { ...discussion, heldOn: tomorrow } })).body)
      .toMatchObject({ code: 'COLLECTIVE_DISCUSSION_INVALID' });
    expect((await fire('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: second, collectiveDiscussion: { ...discussion, participants: ['Director Zhou'] } })).status)
      .toBe(400);
    // Still at most 30 days each.
    expect((await fire('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: later(first, 31), collectiveDiscussion: discussion })).body)
      .toMatchObject({ code: 'EXTENSION_TOO_LONG' });
    expect((await detail(id)).decisionDueAt).toBe(first);

    const extended = await ok('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: second, collectiveDiscussion: discussion });
    expect(extended.event?.data).toMatchObject({ collectiveDiscussion: discussion });
    const c = await detail(id);
    expect(c.decisionDueAt).toBe(second);
    expect(c.extensions).toEqual([
      expect.objectContaining({ approvedBy: 'u-head', previousDueAt: due, newDueAt: first, collectiveDiscussion: null }),
      expect.objectContaining({ approvedBy: 'u-head', previousDueAt: first, newDueAt: second, collectiveDiscussion: discussion }),
    ]);
  });

  it('takes each further extension from its own collective discussion: one set of minutes does not chain several', async () => {
    const id = await noiseOnSite(t, ok);
    await readyToPropose(t, as, id);
    const due = (await detail(id)).decisionDueAt!;
    const discussion = { heldOn: localDate(new Date(), 'Asia/Shanghai'), participants: ['Director Zhou', 'Deputy Director Wu'], minutesRef: '东执纪〔2026〕21号' };
    await ok('head', id, { event: 'extend_deadline', reason: 'expert noise report pending', newDueAt: later(due, 30) });
    await ok('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: later(due, 60), collectiveDiscussion: discussion });
    // The minutes that decided the second extension, again: no discussion decided a third.
    const chained = await fire('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: later(due, 90), collectiveDiscussion: { ...discussion, minutesRef: ` ${discussion.minutesRef} ` } });
    expect(chained).toMatchObject({ status: 422, body: { code: 'COLLECTIVE_DISCUSSION_REUSED', message: expect.stringContaining(discussion.minutesRef) } });
    expect((await detail(id)).decisionDueAt).toBe(later(due, 60));
    await ok('head', id, { event: 'extend_deadline', reason: 'the report is late', newDueAt: later(due, 90), collectiveDiscussion: { ...discussion, minutesRef: '东执纪〔2026〕22号' } });
  });

  it('is approved before the deadline it extends ends: a missed deadline is not revived afterwards', async () => {
    const id = await noiseOnSite(t, ok);
    await readyToPropose(t, as, id);
    // The 90 days ran out yesterday without an extension.
    await sql(`UPDATE cases SET filed_at = now() - interval '91 days', decision_due_at = now() - interval '1 day' WHERE id = $1`, [id]);
    const missed = (await detail(id)).decisionDueAt!;
    const headView = async () => (await api<{ actions: string[] }>(t, as('head'), 'GET', `/api/v1/cases/${id}`)).body.actions;
    expect(await headView()).not.toContain('extend_deadline');
    const revived = await fire('head', id, { event: 'extend_deadline', reason: 'expert noise report pending', newDueAt: later(missed, 20) });
    expect(revived).toMatchObject({ status: 422, body: { code: 'EXTENSION_AFTER_DEADLINE', message: expect.stringContaining(missed) } });
    expect(await detail(id)).toMatchObject({ decisionDueAt: missed, extensions: [] });
  });
});

describe.skipIf(!hasBrowser)('the extension form (Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    await ensureWebBuilt();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("asks the agency head for the collective discussion of a second extension, and records it", async () => {
    const id = await noiseOnSite(t, ok);
    await readyToPropose(t, as, id);
    const due = (await detail(id)).decisionDueAt!;
    await ok('head', id, { event: 'extend_deadline', reason: 'expert noise report pending', newDueAt: later(due, 20) });
    const context = await browser.newContext(DESKTOP);
    context.setDefaultTimeout(90_000);
    try {
      const page = await signIn(context, t, 'head');
      await page.goto(`${t.http}/#/case/${id}`);
      const form = page.locator('form[data-event="extend_deadline"]');
      await form.locator('fieldset.collective-discussion').waitFor();
      expect(await form.locator('input[name="heldOn"]').getAttribute('required')).not.toBeNull();
      await form.locator('textarea[name="reason"]').fill('the monitoring station asked for another week');
      await form.locator('input[name="newDueAt"]').fill(localDate(new Date(Date.parse(later(due, 27))), 'Asia/Shanghai'));
      await form.locator('input[name="heldOn"]').fill(localDate(new Date(), 'Asia/Shanghai'));
      await form.locator('textarea[name="participants"]').fill('周局长、吴副局长\n林政委');
      await form.locator('input[name="minutesRef"]').fill('东执纪〔2026〕13号');
      await form.locator('button[type=submit]').click();
      const second = await waitFor(async () => (await detail(id)).extensions[1], 'the second extension');
      expect(second.collectiveDiscussion).toEqual({ heldOn: localDate(new Date(), 'Asia/Shanghai'), participants: ['周局长', '吴副局长', '林政委'], minutesRef: '东执纪〔2026〕13号' });
    } finally {
      await context.close();
    }
  });
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
