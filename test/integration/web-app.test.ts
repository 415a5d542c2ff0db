import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { ensureWebBuilt } from '../../web/scripts/ensure-built.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { confirmPresence, evidenceMeta, jpeg, noiseProposal, openCase, PLACE_IN, readyToPropose, SITE, uploadEvidence } from '../support/cases.js';
import { DESKTOP, hasBrowser, launch, signIn, TABLET } from '../support/browser.js';

/**
 * The web app in headless Chromium, as its users work: an officer's tablet receives a live alert from a
 * simulated sensor and takes the case through its steps, part of them offline; a reviewer approves a
 * major decision after consultation; operations provision a device. The server is checked directly.
 */
let t: TestPlatform;
let browser: Browser;
const contexts: BrowserContext[] = [];
const devices: MqttClient[] = [];
const context = async (options = TABLET) => {
  const c = await browser.newContext(options);
  // A limit that catches a hang, not a budget: each wait ends as soon as the page shows what it waits for.
  c.setDefaultTimeout(90_000);
  contexts.push(c);
  return c;
};
const sql = async <T>(text: string, params: unknown[] = []) => (await t.platform.db.pool.query(text, params)).rows as T[];

/** On a case's page: accepts it, then asks to dismiss it without a reason, which the server refuses. */
async function acceptThenDismissBlank(page: Page): Promise<void> {
  await page.click('form[data-event="accept"] button[type=submit]');
  await page.locator('#d-state[data-state="accepted"]').waitFor();
  const dismiss = page.locator('form[data-event="dismiss"]');
  await dismiss.locator('textarea[name="reason"]').fill('   ');
  await dismiss.locator('button[type=submit]').click();
  // The field the server refused, by the label the form shows for it (not the schema's pattern).
  await page.locator('#d-error', { hasText: '请填写或更正「撤销理由' }).waitFor();
}

/** What an officer must never be shown: error codes, API paths, schema patterns. */
const TECHNICAL = /[A-Z]{3,}_[A-Z_]+|\/api\/v1|must match pattern|body\//;

describe.skipIf(!hasBrowser)('web app (Chromium, tablet viewport)', () => {
  beforeAll(async () => {
    await ensureWebBuilt();
    t = await startTestPlatform();
    browser = await launch();
  });

  afterAll(async () => {
    for (const d of devices) await d.endAsync();
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.stop();
  });

  // Each test's pages close with it: left open, every later test's live updates reached them all.
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });

  let caseId = '';

  it('brings a sensor’s alert to the officer live; accept, arrive, then offline: a photo and the disposal, each on the server once after reconnecting', async () => {
    const officer = await context();
    const page = await officer.newPage();
    await page.goto(`${t.http}/`);
    await page.fill('#username', 'east.li');
    await page.fill('#password', 'wrong');
    await page.click('#login button[type=submit]');
    await page.locator('#login-error', { hasText: 'wrong username or password' }).waitFor();
    await page.fill('#password', 'test-password-123');
    await page.click('#login button[type=submit]');
    await page.locator('#live.live').waitFor({ timeout: 30_000 });
    // The officer's own name, in the UI's language (Chinese by default).
    expect(await page.textContent('#who')).toBe('李伟');
    expect(await page.locator('#cases li').count()).toBe(0);
    await page.locator('#empty').waitFor();

    // A real sound level meter: provisioned, connected over MQTT, playing amplified music at night.
    const dev = await provision(t, await login(t, 'admin'), 'z-park-square');
    const device = await connectDevice(t, dev.id, dev.secret);
    devices.push(device);
    await publishAll(device, noiseRun({ deviceId: dev.id, start: localTime('Asia/Shanghai', 22, 30), seconds: 90, source: 'music', laeq: 62, seed: 11, seqStart: 1 }));

    const card = page.locator('#cases li.case-card.fresh');
    await card.waitFor({ timeout: 120_000 });
    expect(await page.locator('#cases li').count()).toBe(1);
    // The alert's summary in Chinese is the card's title in the Chinese UI.
    expect(await card.textContent()).toMatch(/东湖公园中心广场[\s\S]*扩音音乐 [\d.]+ dB\(A\)，超过夜间限值 45 dB\(A\)[\s\S]*已派遣/);
    expect(await card.locator('.countdown').textContent()).toMatch(/剩余 \d+:\d\d/);
    caseId = (await card.getAttribute('data-id'))!;

    await card.locator('a').click();
    await page.locator('#d-state[data-state="dispatched"]').waitFor();
    // The evidence as a picture: the levels against the night limit line.
    await page.locator('#d-evidence svg.chart').first().waitFor();
    expect(await page.locator('#d-evidence svg.chart').first().textContent()).toContain('夜间限值 45 dB(A)');
    await page.click('form[data-event="accept"] button[type=submit]');
    await page.locator('#d-state[data-state="accepted"]').waitFor();

    // Arrival: the tablet's position and the second certified officer of the team.
    await page.locator('#f-second option[value="u-east-wang"]').waitFor({ state: 'attached' });
    await page.selectOption('#f-second', 'u-east-wang');
    await page.locator('#f-location', { hasText: '32.04080' }).waitFor();
    await page.click('form[data-event="arrive"] button[type=submit]');
    await page.locator('#d-state[data-state="on_site"]').waitFor();
    const arrived = await sql<{ data: { location: { lat: number; lon: number }; onSiteOfficers: string[] } }>(`SELECT data FROM case_events WHERE case_id = $1 AND type = 'arrived'`, [caseId]);
    expect(arrived[0]?.data.location).toMatchObject({ lat: 32.0408, lon: 118.781 });
    expect(arrived[0]?.data.onSiteOfficers).toEqual(['u-east-li', 'u-east-wang']);

    // The officer picks a photo and describes it; the second officer's confirmation then refreshes the
    // case live, and the photo picked is still there to be sent.
    const photo = jpeg('loudspeaker on the square');
    await page.setInputFiles('#d-file', { name: 'loudspeaker.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.fill('#d-photo-desc', 'Loudspeaker on a trolley by the fountain');
    await page.locator('#d-upload .preview img').waitFor();

    // The second officer confirms on their own tablet, with its position: until then the case does not
    // count as two officers on site, and the disposal would be refused.
    const second = await signIn(await context(), t, 'east.wang');
    await second.goto(`${t.http}/#/case/${caseId}`);
    const presence = second.locator('form[data-event="presence"]');
    await presence.locator('#f-presence-location', { hasText: '32.04080' }).waitFor();
    await presence.locator('button[type=submit]').click();
    await second.locator('#d-events', { hasText: '第二名执法人员确认到场' }).waitFor();
    expect(await second.locator('form[data-event="presence"]').count()).toBe(0);
    const confirmed = await sql<{ actor: string }>(`SELECT actor FROM case_events WHERE case_id = $1 AND type = 'presence_confirmed'`, [caseId]);
    expect(confirmed.map((r) => r.actor)).toEqual(['u-east-wang']);
    await page.locator('#d-events', { hasText: '第二名执法人员确认到场' }).waitFor();
    expect(await page.locator('#d-file').evaluate((el) => (el as unknown as { files: ArrayLike<{ name: string }> | null }).files?.[0]?.name), 'the photo picked, after the refresh').toBe('loudspeaker.jpg');
    expect(await page.inputValue('#d-photo-desc')).toBe('Loudspeaker on a trolley by the fountain');
    expect(await page.locator('#d-upload .preview img').count(), 'its preview').toBe(1);

    // The connection drops: the photo and the on-site disposal wait on the tablet.
    await officer.setOffline(true);
    await page.locator('#live.offline').waitFor();
    await page.click('#d-upload button[type=submit]');
    await page.locator('#d-notice', { hasText: '已保存在本机' }).waitFor();
    const resolve = page.locator('form[data-event="resolve_on_site"]');
    await resolve.locator('input[value="warning_issued"]').check();
    await resolve.locator('textarea[name="summary"]').fill('Music stopped after the order to correct; warning issued to the organiser');
    // A warning is a penalty: the party is identified (resident identity number, its check digit valid).
    await resolve.locator('input[name="partyId"]').fill('320102198805050013');
    await resolve.locator('button[type=submit]').click();
    await page.locator('#pending', { hasText: '2' }).waitFor();
    await page.locator('#d-pending li.pending').nth(1).waitFor();
    expect(await count(t, 'SELECT 1 FROM case_evidence WHERE case_id = $1', [caseId])).toBe(0);
    expect((await sql<{ state: string }>('SELECT state FROM cases WHERE id = $1', [caseId]))[0]?.state).toBe('on_site');

    // Back online, the first answer is lost on the way (the server stored the photo, the tablet never
    // heard): the outbox keeps it, and the retry with the same key gets the first answer.
    let dropped = 0;
    await page.route('**/api/v1/cases/*/evidence?*', async (route) => {
      if (dropped++ === 0) {
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await officer.setOffline(false);
    await waitFor(async () => (await count(t, 'SELECT 1 FROM case_evidence WHERE case_id = $1', [caseId])) === 1, 'the photo on the server');
    await page.click('nav a[href="#/outbox"]');
    await page.locator('#outbox li[data-status="pending"]').first().waitFor();
    await page.click('#sync-now');
    await page.locator('#outbox li.muted').waitFor();
    await waitFor(async () => (await sql<{ state: string }>('SELECT state FROM cases WHERE id = $1', [caseId]))[0]?.state === 'resolved_on_site', 'the disposal on the server');
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(await count(t, 'SELECT 1 FROM case_evidence WHERE case_id = $1', [caseId])).toBe(1);
    expect(await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'evidence_added'`, [caseId])).toBe(1);
    expect(await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'resolved_on_site'`, [caseId])).toBe(1);
    const stored = await sql<{ sha256: string }>('SELECT sha256 FROM case_evidence WHERE case_id = $1', [caseId]);
    expect(stored.map((r) => r.sha256)).toEqual([createHash('sha256').update(photo).digest('hex')]);
    // Taken on site by both officers: its type, capture time and place and collectors travel with it.
    const files = (await api<{ files: { evidenceType: string; capturedAt: string | null; captureLocation: unknown; collectors: string[] }[] }>(t, await login(t, 'east.li'), 'GET', `/api/v1/cases/${caseId}/evidence`)).body.files;
    expect(files[0]).toMatchObject({ evidenceType: 'photo', captureLocation: { lat: 32.0408, lon: 118.781 }, collectors: ['u-east-li', 'u-east-wang'] });
    expect(files[0]?.capturedAt).not.toBeNull();
    // In order: the photo went before the disposal, as taken.
    const order = await sql<{ type: string }>(`SELECT type FROM case_events WHERE case_id = $1 AND type IN ('evidence_added', 'resolved_on_site') ORDER BY seq`, [caseId]);
    expect(order.map((r) => r.type)).toEqual(['evidence_added', 'resolved_on_site']);
    await page.unroute('**/api/v1/cases/*/evidence?*');

    // The case shows its new state and the photo as a picture.
    await page.goto(`${t.http}/#/case/${caseId}`);
    await page.locator('#d-state[data-state="resolved_on_site"]').waitFor();
    await page.locator('#d-files img').waitFor();
    expect(await page.locator('#no-actions, form[data-event="close"]').count()).toBeGreaterThan(0);
  });

  it('shows the second officer the case on their own tablet, and the team lead, who was not on site, reviews the photo', async () => {
    const page = await signIn(await context(), t, 'east.wang');
    await page.check('#show-closed');
    const card = page.locator(`#cases li[data-id="${caseId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('现场处置完毕');
    await card.locator('a').click();
    await page.locator('#d-events', { hasText: '到场' }).waitFor();
    expect(await page.textContent('#d-facts')).toContain('王芳');
    // The second officer collected the photo with their colleague: not theirs to review.
    await page.locator('#d-files figure.photo').waitFor();
    expect(await page.locator('#d-files button[data-review]').count()).toBe(0);
    // A person who neither uploaded nor collected it reviews the photo; then it counts as evidence.
    const lead = await signIn(await context(), t, 'east.lead');
    await lead.goto(`${t.http}/#/case/${caseId}`);
    await lead.locator('#d-files button[data-review]').click();
    await waitFor(async () => (await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'evidence_file_reviewed'`, [caseId])) === 1, 'the photo reviewed');
    await lead.locator('#d-files button[data-review]').waitFor({ state: 'detached' });
  });

  it('keeps the officer signed in past an expired access token, and signs out for good', async () => {
    const page = await signIn(await context(), t, 'east.wang');
    // The access token goes bad (as an expired one does); the app renews it with its refresh token.
    await page.evaluate("(() => { const s = JSON.parse(localStorage.getItem('rp.session')); s.token = 'expired'; localStorage.setItem('rp.session', JSON.stringify(s)); })()");
    await page.reload();
    await page.locator('#live.live').waitFor();
    expect(await page.textContent('#who')).toBe('王芳');
    const refresh = await page.evaluate<string>("JSON.parse(localStorage.getItem('rp.session')).refresh");
    await page.click('#logout');
    await page.locator('#login').waitFor();
    // Logging out revoked the session on the server too (checked without spending the token).
    const hash = createHash('sha256').update(refresh).digest('hex');
    await waitFor(async () => (await sql<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE token_hash = $1', [hash]))[0]?.revoked, 'the session revoked');
  });

  it('shows a refusal in the officer’s words, and dismisses a false alarm with its reason', async () => {
    const crowd = await openCase(t, 'crowding');
    const page = await signIn(await context(), t, 'east.li');
    await page.locator(`#cases li[data-id="${crowd}"] a`).click();
    await acceptThenDismissBlank(page);
    expect(await page.getAttribute('#d-state', 'data-state')).toBe('accepted');
    await page.click('nav a[href="#/outbox"]');
    await page.locator('#outbox li[data-status="refused"]', { hasText: '撤销理由' }).waitFor();
    expect(await page.textContent('#outbox')).not.toMatch(TECHNICAL);
    await page.locator('#outbox li[data-status="refused"] button').click();
    await page.locator('#outbox li.muted').waitFor();
    await page.goto(`${t.http}/#/case/${crowd}`);
    await page.locator('form[data-event="dismiss"] textarea[name="reason"]').fill('Nobody there: a car radio passing by');
    await page.locator('form[data-event="dismiss"] input[name="falseAlarm"]').check();
    await page.locator('form[data-event="dismiss"] button[type=submit]').click();
    await page.locator('#d-state[data-state="dismissed"]').waitFor();
    expect(await page.textContent('#d-events')).toMatch(/接单[\s\S]*撤销/);
    await page.locator('#no-actions').waitFor();
    const row = (await sql<{ state: string; reason: string }>('SELECT state, dismissal_reason AS reason FROM cases WHERE id = $1', [crowd]))[0];
    expect(row).toEqual({ state: 'dismissed', reason: 'Nobody there: a car radio passing by' });
  });

  it('tells the officer why a disposal is refused, and what to do, without codes or API paths', async () => {
    const noise = await openCase(t, 'noise');
    const li = await login(t, 'east.li');
    expect((await api(t, li, 'POST', `/api/v1/cases/${noise}/transitions`, { event: 'accept' })).status).toBe(200);
    expect((await api(t, li, 'POST', `/api/v1/cases/${noise}/transitions`, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-wang' })).status).toBe(200);
    const page = await signIn(await context(), t, 'east.li');
    await page.goto(`${t.http}/#/case/${noise}`);
    // Until the second officer confirms on their own tablet, no disposal is offered at all.
    await page.locator('form[data-event="dismiss"]').waitFor();
    expect(await page.locator('form[data-event="resolve_on_site"]').count()).toBe(0);
    expect((await confirmPresence(t, await login(t, 'east.wang'), noise)).status).toBe(201);
    // A warning without the party identified: the server refuses it, and says what to do.
    const resolve = page.locator('form[data-event="resolve_on_site"]');
    await resolve.locator('input[value="warning_issued"]').check();
    await resolve.locator('textarea[name="summary"]').fill('Music turned down after the order to correct');
    await resolve.locator('button[type=submit]').click();
    await page.locator('#d-error', { hasText: '给予处罚（含警告）须确认当事人身份' }).waitFor();
    expect(await page.textContent('#d-error')).not.toMatch(TECHNICAL);
    expect(await page.textContent('#d-pending')).not.toMatch(TECHNICAL);
    await page.click('nav a[href="#/outbox"]');
    await page.locator('#outbox li[data-status="refused"]', { hasText: '当事人证件号' }).waitFor();
    expect(await page.textContent('#outbox')).not.toMatch(TECHNICAL);
    await page.locator('#outbox li[data-status="refused"] button').click();
    await page.locator('#outbox li.muted').waitFor();
  });

  // A refresh used to put the case's panels back into the page, and Chromium drops a click whose button
  // left the document between press and release: a tap during a live update did nothing (these tests
  // then waited for an answer to a form that was never sent).
  it('takes a tap on a step that a live update of the case interrupts', async () => {
    const at = '2025-06-01T12:00:00.000Z';
    const alert = { kind: 'noise' as const, zoneId: 'z-park-square', startedAt: at, detectedAt: at, summary: 'music by the fountain', evidence: { laeq: 70 } };
    const first = await t.platform.cases.intake({ ...alert, id: randomBytes(16).toString('hex') }, 30);
    if (first.outcome !== 'opened') throw new Error(`expected a new case, got ${first.outcome}`);
    const page = await signIn(await context(), t, 'east.li');
    await page.goto(`${t.http}/#/case/${first.case.id}`);
    await page.locator('form[data-event="accept"] button[type=submit]').hover();
    await page.mouse.down();
    // While the button is held, a second alert joins the incident and the case is shown again.
    expect((await t.platform.cases.intake({ ...alert, id: randomBytes(16).toString('hex') }, 30)).outcome).toBe('attached');
    await page.locator('#d-events', { hasText: '追加告警' }).waitFor();
    await page.mouse.up();
    await page.locator('#d-state[data-state="accepted"]').waitFor();
  });

  it('takes a tap on a photo’s review that a live update of the evidence interrupts', async () => {
    const noise = await openCase(t);
    const li = await login(t, 'east.li');
    expect((await api(t, li, 'POST', `/api/v1/cases/${noise}/transitions`, { event: 'accept' })).status).toBe(200);
    expect((await api(t, li, 'POST', `/api/v1/cases/${noise}/transitions`, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-wang' })).status).toBe(200);
    const photo = await uploadEvidence(t, li, noise);
    expect(photo.status).toBe(201);
    // A large landscape screen: the evidence column beside the steps does not move when the steps offered
    // change with the confirmation (the disposal forms appear), nothing scrolls, and the button stays
    // under the finger.
    const page = await signIn(await context({ ...TABLET, viewport: { width: 1800, height: 1400 } }), t, 'east.wang');
    await page.goto(`${t.http}/#/case/${noise}`);
    await page.locator('#d-files img').waitFor({ state: 'attached' });
    await page.locator('form[data-event="presence"]').waitFor();
    await page.locator(`#d-files button[data-review="${String(photo.body.id)}"]`).hover();
    await page.mouse.down();
    // While the button is held, the officer's presence is confirmed (from another of their devices) and
    // the case is shown again.
    expect((await confirmPresence(t, await login(t, 'east.wang'), noise)).status).toBe(201);
    await page.locator('form[data-event="presence"]').waitFor({ state: 'detached' });
    await page.mouse.up();

    await waitFor(async () => (await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'evidence_file_reviewed'`, [noise])) === 1, 'the photo reviewed');
  });

  it('takes a tap on a photo’s review while the case changes to the wide layout of a proposal', async () => {
    const fishing = await openCase(t, 'fishing', 'z-riverbank');
    const liu = await login(t, 'fish.liu');
    const site = { lat: 32.062, lon: 118.752 };
    expect((await api(t, liu, 'POST', `/api/v1/cases/${fishing}/transitions`, { event: 'accept' })).status).toBe(200);
    expect((await api(t, liu, 'POST', `/api/v1/cases/${fishing}/transitions`, { event: 'arrive', location: site, secondOfficerId: 'u-fish-sun' })).status).toBe(200);
    expect((await confirmPresence(t, await login(t, 'fish.sun'), fishing, site)).status).toBe(201);
    const photo = await uploadEvidence(t, liu, fishing, jpeg(), 'image/jpeg', `?${evidenceMeta('image/jpeg', 'u-fish-liu', PLACE_IN['z-riverbank'])}`);
    expect(photo.status).toBe(201);
    const page = await signIn(await context({ ...TABLET, viewport: { width: 1280, height: 1800 } }), t, 'fish.sun');
    await page.goto(`${t.http}/#/case/${fishing}`);
    await page.locator('.tablet-grid').waitFor();
    await page.locator(`#d-files button[data-review="${String(photo.body.id)}"]`).hover();
    await page.mouse.down();
    // While the button is held, the colleague files the case: a proposal may now be made, which takes the
    // screen's width, so the case's panels change places once the button is let go.
    // (The case's last read after the update is of its complaints; the screen would be redrawn right after.)
    const reread = page.waitForResponse((r) => r.url().endsWith(`/api/v1/cases/${fishing}/complaints`));
    expect((await api(t, liu, 'POST', `/api/v1/cases/${fishing}/transitions`, { event: 'file' })).status).toBe(200);
    await reread;
    await page.waitForTimeout(300);
    await page.mouse.up();
    await page.locator('form[data-event="propose_decision"]').waitFor();
    await waitFor(async () => (await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'evidence_file_reviewed'`, [fishing])) === 1, 'the photo reviewed');
  });

  it('takes a tap on clearing a refused step while the outbox sends another', async () => {
    const crowd = await openCase(t, 'crowding');
    const later = await openCase(t, 'crowding');
    const tablet = await context();
    const page = await signIn(tablet, t, 'east.li');
    await page.goto(`${t.http}/#/case/${crowd}`);
    await acceptThenDismissBlank(page);
    // Offline, a step on another case waits in the outbox beside the refused one.
    await page.goto(`${t.http}/#/case/${later}`);
    await page.locator('form[data-event="accept"]').waitFor();
    await tablet.setOffline(true);
    await page.click('form[data-event="accept"] button[type=submit]');
    await page.locator('#d-notice', { hasText: /\S/ }).waitFor();
    await page.click('nav a[href="#/outbox"]');
    await page.locator('#outbox li[data-status="pending"]').waitFor();
    expect(await page.textContent('section.outbox > p')).toContain('离线');
    await page.locator('#outbox li[data-status="refused"] button').hover();
    await page.mouse.down();
    // While the clear button is held, the tablet is back online and the outbox sends the waiting step.
    await tablet.setOffline(false);
    await page.locator('#outbox li[data-status="pending"]').waitFor({ state: 'detached' });
    await page.mouse.up();
    await page.locator('#outbox li[data-status="refused"]').waitFor({ state: 'detached' });
    await page.locator('#outbox li.muted').waitFor();
    // The page says what the header says: back online (it used to keep saying offline until reopened).
    await page.locator('section.outbox > p', { hasText: '已联网' }).waitFor({ timeout: 10_000 });
    expect((await sql<{ state: string }>('SELECT state FROM cases WHERE id = $1', [later]))[0]?.state).toBe('accepted');
  });

  it('keeps the case from another team’s officer, in the inbox and by its address', async () => {
    const page = await signIn(await context(), t, 'river.zhao');
    await page.check('#show-closed');
    expect(await page.locator(`#cases li[data-id="${caseId}"]`).count()).toBe(0);
    await page.goto(`${t.http}/#/case/${caseId}`);
    await page.locator('#detail .error', { hasText: '不在您的管辖范围' }).waitFor();
  });

  let fishing = '';
  it('lets the centre consult two colleagues and approve a major fishing decision proposed on the tablet', async () => {
    fishing = await openCase(t, 'fishing', 'z-riverbank');
    const liu = await login(t, 'fish.liu');
    expect((await api(t, liu, 'POST', `/api/v1/cases/${fishing}/transitions`, { event: 'accept' })).status).toBe(200);
    expect((await api(t, liu, 'POST', `/api/v1/cases/${fishing}/transitions`, { event: 'arrive', location: { lat: 32.062, lon: 118.752 }, secondOfficerId: 'u-fish-sun' })).status).toBe(200);
    const sun = await login(t, 'fish.sun');
    expect((await confirmPresence(t, sun, fishing, { lat: 32.062, lon: 118.752 })).status).toBe(201);
    const photo = await uploadEvidence(t, liu, fishing, jpeg(), 'image/jpeg', `?${evidenceMeta('image/jpeg', 'u-fish-liu', PLACE_IN['z-riverbank'])}`);
    expect(photo.status).toBe(201);
    expect([200, 201]).toContain((await api(t, sun, 'POST', `/api/v1/cases/${fishing}/evidence/${String(photo.body.id)}/review`, { note: 'rod and catch visible' })).status);

    // The officer files the case (立案) and proposes on the tablet: the benchmark beside the form, penalties from the tier.
    const tablet = await signIn(await context(), t, 'fish.liu');
    await tablet.goto(`${t.http}/#/case/${fishing}`);
    await tablet.click('form[data-event="file"] button[type=submit]');
    await tablet.locator('#d-events', { hasText: '立案' }).waitFor();
    const form = tablet.locator('form[data-event="propose_decision"]');
    await form.waitFor();
    await form.locator('#f-party').fill('Wang Wu');
    await form.locator('#f-party-id').fill('320102199001011232');
    await form.locator('#f-lookup').click();
    await tablet.locator('#f-history', { hasText: '无既往案件' }).waitFor();
    await tablet.locator('#f-benchmark tr[data-tier="normal"]').click();
    expect(await form.locator('input[name="penalties"][value="confiscation"]').isChecked()).toBe(true);
    expect(await form.locator('input[name="penalties"][value="fine"]').isChecked()).toBe(true);
    await form.locator('#f-fine').fill('20000');
    await tablet.locator('#f-fine-note', { hasText: '在所选档次范围内' }).waitFor();
    await form.locator('#f-facts').fill('Rod fishing in the ban zone, 3 kg catch, continued after two loudspeaker warnings');
    await form.locator('button[type=submit]').click();
    await tablet.locator('#d-state[data-state="decision_proposed"]').waitFor();
    await tablet.click('form[data-event="submit_for_review"] button[type=submit]');
    await tablet.locator('#d-state[data-state="under_review"]').waitFor();
    const proposal = (await sql<{ penalties: string[]; fine_yuan: number; tier: string }>('SELECT penalties, fine_yuan, tier FROM case_proposals WHERE case_id = $1', [fishing]))[0];
    expect({ ...proposal, penalties: [...(proposal?.penalties ?? [])].sort() }).toEqual({ penalties: ['confiscation', 'fine'], fine_yuan: 20000, tier: 'normal' });

    // The centre's reviewer: the queue, the whole file, consultation, approval.
    const desk = await signIn(await context(DESKTOP), t, 'review');
    const row = desk.locator(`#review-rows tr[data-id="${fishing}"]`);
    await row.waitFor();
    // The queue is titled with the post's name, not its id.
    expect(await desk.textContent('#review-post')).toBe('区法制审核中心');
    expect(await row.textContent()).toContain('重大');
    await row.click();
    await desk.locator('#d-proposal', { hasText: 'Wang Wu' }).waitFor();
    // The proposal beside its tier's range and the statutory bounds.
    expect(await desk.textContent('#d-proposal')).toMatch(/¥20,000–¥50,000[\s\S]*¥10,000–¥500,000/);
    // Why it is major, and the days left, as the case page and the queue count them, in the reviewer's language.
    expect(await desk.textContent('#d-proposal')).toContain('罚款 ¥20,000，达到重大处罚标准 ¥10,000；没收');
    const dueText = await desk.textContent('#d-facts');
    await desk.goBack();
    expect(await row.textContent()).toContain(/剩 \d+ 天/.exec(dueText ?? '')?.[0] ?? 'days left on the case page');
    await row.click();
    await desk.locator('#f-reviewers input[value="u-centre-sun"]').check();
    await desk.locator('#f-reviewers input[value="u-centre-qian"]').check();
    await desk.fill('form[data-event="request_opinions"] textarea[name="question"]', 'Is ¥20,000 with confiscation proportionate for a first offence with catch?');
    await desk.click('form[data-event="request_opinions"] button[type=submit]');
    await desk.locator('#d-reviews', { hasText: '等待意见' }).waitFor();

    for (const [user, opinion] of [['centre.sun', 'Proportionate: the catch and the ignored warnings select the normal tier.'], ['centre.qian', 'Agree; record the gear confiscated by item.']] as const) {
      const colleague = await signIn(await context(DESKTOP), t, user);
      await colleague.goto(`${t.http}/#/case/${fishing}`);
      await colleague.fill('form[data-event="give_opinion"] textarea[name="opinion"]', opinion);
      await colleague.click('form[data-event="give_opinion"] button[type=submit]');
      await colleague.locator('#d-reviews', { hasText: opinion }).waitFor();
    }
    // The head of the centre sees both opinions arrive and decides.
    await desk.locator('#d-reviews', { hasText: 'Agree; record the gear' }).waitFor();
    await desk.fill('form[data-event="approve"] textarea[name="opinion"]', 'Approved after consultation.');
    await desk.click('form[data-event="approve"] button[type=submit]');
    await desk.locator('#d-state[data-state="approved"]').waitFor();
    expect(await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'opinion_given'`, [fishing])).toBe(2);
    expect((await sql<{ state: string }>('SELECT state FROM cases WHERE id = $1', [fishing]))[0]?.state).toBe('approved');
  });

  it('hears the party on the tablet before the fishing decision: notice, hearing requested and held, then the decision; the reviewer sees it', async () => {
    expect(fishing).not.toBe('');
    const tablet = await signIn(await context(), t, 'fish.liu');
    await tablet.goto(`${t.http}/#/case/${fishing}`);
    const notify = tablet.locator('form[data-event="notify_party"]');
    // A fine of ¥20,000 with confiscation: the party is told of its right to a hearing too.
    await notify.locator('#f-notice-hint', { hasText: '要求听证的权利' }).waitFor();
    await tablet.locator('#d-not-notified').waitFor();
    // The steps that hear the party come first; revising the proposal is offered last.
    expect(await tablet.locator('#d-actions form[data-event]').first().getAttribute('data-event')).toBe('notify_party');
    expect(await tablet.locator('#d-actions form[data-event]').last().getAttribute('data-event')).toBe('propose_decision');
    // Not decided before the party is heard: no decision form, and no hearing before the notice.
    expect(await tablet.locator('form[data-event="decide"]').count()).toBe(0);
    expect(await tablet.locator('form[data-event="request_hearing"]').count()).toBe(0);
    await notify.locator('input[name="method"][value="post"]').check();
    await notify.locator('button[type=submit]').click();
    await tablet.locator('#d-notice-served', { hasText: '邮寄送达' }).waitFor();
    expect(await tablet.textContent('#d-procedure')).toMatch(/听证申请期限/);

    await tablet.click('form[data-event="request_hearing"] button[type=submit]');
    await tablet.locator('#d-hearing-request').waitFor();
    expect(await tablet.locator('form[data-event="decide"]').count()).toBe(0);
    const hearing = tablet.locator('form[data-event="record_hearing"]');
    const minute = await tablet.evaluate(() => {
      const d = new Date();
      return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    });
    await hearing.locator('input[name="heldAt"]').fill(minute);
    await hearing.locator('#f-presider option[value="u-centre-sun"]').waitFor({ state: 'attached' });
    await hearing.locator('#f-presider').selectOption('u-centre-sun');
    await hearing.locator('textarea[name="transcriptSummary"]').fill('The party said the rod was a friend’s; two warnings on the recording contradict it.');
    await hearing.locator('button[type=submit]').click();
    await tablet.locator('#d-hearing', { hasText: 'two warnings' }).waitFor();

    const decide = tablet.locator('form[data-event="decide"]');
    await decide.locator('input[name="decisionNo"]').fill('江执罚决字〔2026〕第3号');
    await decide.locator('button[type=submit]').click();
    await tablet.locator('#d-state[data-state="decided"]').waitFor();
    expect((await sql<{ type: string }>(`SELECT type FROM case_events WHERE case_id = $1 AND type IN ('party_notified', 'hearing_requested', 'hearing_held', 'decided') ORDER BY seq`, [fishing])).map((e) => e.type))
      .toEqual(['party_notified', 'hearing_requested', 'hearing_held', 'decided']);

    // The centre's reviewer sees on the case page how the party was heard, with who presided.
    const desk = await signIn(await context(DESKTOP), t, 'review');
    await desk.goto(`${t.http}/#/case/${fishing}`);
    await desk.locator('#d-hearing', { hasText: 'two warnings' }).waitFor();
    expect(await desk.textContent('#d-procedure')).toMatch(/邮寄送达[\s\S]*听证于[\s\S]*主持人/);
    expect(await desk.textContent('#d-procedure')).not.toMatch(TECHNICAL);
  });

  it('shows the officer, on a small tablet, that a step at the bottom of a long case was done and where the case stands', async () => {
    const noise = await openCase(t, 'noise');
    const tokens: Record<string, string> = { 'east.li': await login(t, 'east.li'), 'east.lead': await login(t, 'east.lead') };
    for (const body of [{ event: 'accept' }, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' }]) {
      expect((await api(t, tokens['east.li']!, 'POST', `/api/v1/cases/${noise}/transitions`, body)).status).toBe(200);
    }
    await readyToPropose(t, (user) => tokens[user]!, noise);
    const page = await signIn(await context({ ...TABLET, viewport: { width: 1024, height: 768 } }), t, 'east.li');
    await page.goto(`${t.http}/#/case/${noise}`);
    const form = page.locator('form[data-event="propose_decision"]');
    await form.locator('#f-party').fill('Zhang San');
    await form.locator('#f-party-id').fill('320102198805050013');
    await page.locator('#f-benchmark tr[data-tier="normal"]').tap();
    await form.locator('#f-fine').fill('500');
    await form.locator('#f-facts').fill('Loudspeaker kept at full volume after the order to correct');
    await form.locator('button[type=submit]').tap();
    await page.locator('#d-state[data-state="decision_proposed"]').waitFor();
    await page.locator('#d-notice', { hasText: '已完成：提出处罚决定建议' }).waitFor();
    const inView = async (selector: string) => {
      const box = (await page.locator(selector).boundingBox())!;
      return box.y >= 0 && box.y + box.height <= 768;
    };
    await expect.poll(() => inView('#d-state')).toBe(true);
    expect(await inView('#d-notice')).toBe(true);
    // The next step follows from there.
    await page.locator('form[data-event="submit_for_review"] button[type=submit]').tap();
    await page.locator('#d-state[data-state="under_review"]').waitFor();
    await page.locator('#d-notice', { hasText: '已完成：提交法制审核' }).waitFor();
    await expect.poll(() => inView('#d-state')).toBe(true);
  });

  it('opens a dispatched case for operations, with the form to send it to another team', async () => {
    const noise = await openCase(t, 'noise');
    const page = await signIn(await context(DESKTOP), t, 'ops');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.http}/#/case/${noise}`);
    const dispatch = page.locator('form[data-event="dispatch"]');
    await dispatch.locator('input[name="teamId"]').fill('t-river');
    expect(await dispatch.locator('input[name="teamId"]').getAttribute('list')).toBe('team-ids');
    await dispatch.locator('button[type=submit]').click();
    await waitFor(async () => (await sql<{ team: string }>('SELECT team_id AS team FROM cases WHERE id = $1', [noise]))[0]?.team === 't-river', 'the case with the river team');
    expect(errors).toEqual([]);
  });

  it('shows times in the district’s local time on a device whose clock zone is UTC', async () => {
    const noise = await openCase(t, 'noise');
    const createdAt = (await sql<{ at: Date }>('SELECT created_at AS at FROM cases WHERE id = $1', [noise]))[0]!.at;
    const local = createdAt.toLocaleString('zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
    const utc = createdAt.toLocaleString('zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
    expect(local).not.toBe(utc);
    const page = await signIn(await context({ ...DESKTOP, timezoneId: 'UTC' }), t, 'ops');
    await page.goto(`${t.http}/#/case/${noise}`);
    await page.locator('#d-facts', { hasText: local }).waitFor({ timeout: 10_000 });
    expect(await page.textContent('#d-facts')).not.toContain(utc);
  });

  it('shows the reviewer whether the case record’s hash chain is intact, and names an altered event', async () => {
    const noise = await openCase(t, 'noise');
    const tokens: Record<string, string> = { 'east.li': await login(t, 'east.li'), 'east.lead': await login(t, 'east.lead') };
    const step = async (body: Record<string, unknown>) => expect((await api(t, tokens['east.li']!, 'POST', `/api/v1/cases/${noise}/transitions`, body)).status).toBe(200);
    await step({ event: 'accept' });
    await step({ event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    await readyToPropose(t, (user) => tokens[user]!, noise);
    await step(noiseProposal());
    await step({ event: 'submit_for_review' });

    const desk = await signIn(await context(DESKTOP), t, 'east.review');
    await desk.goto(`${t.http}/#/case/${noise}`);
    await desk.locator('#d-chain.ok', { hasText: /\d+ 条记录的哈希链逐条校验通过/ }).waitFor();
    // Each event with the start of its hash, the whole of it on hover.
    const first = (await sql<{ hash: string }>('SELECT hash FROM case_events WHERE case_id = $1 AND seq = 1', [noise]))[0]!.hash;
    expect(await desk.textContent('#d-events li[data-seq="1"] code.hash')).toBe(first.slice(0, 8));
    expect(await desk.getAttribute('#d-events li[data-seq="1"] code.hash', 'title')).toContain(first);

    // Someone able to switch the append-only guard off rewrites the arrival: the reviewer is told.
    await t.platform.db.pool.query('ALTER TABLE case_events DISABLE TRIGGER case_events_no_change');
    try {
      await t.platform.db.pool.query(`UPDATE case_events SET data = data || '{"note": "both officers were there"}' WHERE case_id = $1 AND type = 'arrived'`, [noise]);
    } finally {
      await t.platform.db.pool.query('ALTER TABLE case_events ENABLE TRIGGER case_events_no_change');
    }
    const arrived = (await sql<{ seq: number }>(`SELECT seq FROM case_events WHERE case_id = $1 AND type = 'arrived'`, [noise]))[0]!.seq;
    await desk.reload();
    await desk.locator('#d-chain.bad', { hasText: `第 ${arrived} 条记录内容被修改` }).waitFor();
    expect(await desk.textContent('#d-chain')).toContain('记录校验失败');
  });

  it('lets operations see the overview and provision a device whose one-time secret works on the broker', async () => {
    // The page's timers on a clock the test can move: the device list's 30 s re-read comes when asked.
    const opsContext = await context(DESKTOP);
    await opsContext.clock.install();
    const ops = await signIn(opsContext, t, 'ops');
    await ops.locator('#stat-online .stat-value').waitFor();
    expect(Number(await ops.textContent('#stat-open .stat-value'))).toBeGreaterThanOrEqual(1);
    // The last 24 hours: every sixth hour of the district's clock, midnight as its date, and this hour last.
    const hourAxis = await ops.locator('.charts-2 figure >> nth=0').locator('text.x-tick').allTextContents();
    const thisHour = new Date().toLocaleString('zh-CN', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).replace(/\D/g, '');
    expect(hourAxis.at(-1)).toBe(`${thisHour}:00`);
    expect(hourAxis.length).toBeGreaterThanOrEqual(4);
    for (const label of hourAxis.slice(0, -1)) expect(label).toMatch(/^(00|06|12|18):00$|^\d{2}\/\d{2}$/);
    expect(await ops.getAttribute('.grafana a >> nth=0', 'href')).toMatch(/^http:\/\/localhost:3000\/d\//);

    const admin = await signIn(await context(DESKTOP), t, 'admin');
    await admin.click('nav a[href="#/devices"]');
    await admin.locator('#p-zone option[value="z-riverbank"]').waitFor({ state: 'attached' });
    await admin.fill('#p-id', 'slm-river-9');
    await admin.selectOption('#p-zone', 'z-riverbank');
    await admin.fill('#p-lat', '32.0615');
    await admin.fill('#p-lon', '118.7535');
    await admin.fill('#p-cal', '2027-12-31');
    await admin.click('#provision button[type=submit]');
    const secret = (await admin.locator('#new-secret').textContent())!;
    expect(secret.length).toBeGreaterThan(16);
    await admin.locator('#device-rows tr[data-id="slm-river-9"]').waitFor();
    const client = await connectDevice(t, 'slm-river-9', secret);
    devices.push(client);
    await admin.click('#secret-done');
    expect(await admin.locator('#new-secret').count()).toBe(0);

    // Operations keep calibration and placement current.
    await ops.click('nav a[href="#/devices"]');
    await ops.click('button[data-edit="slm-river-9"]');
    const edit = ops.locator('form.edit-device[data-device="slm-river-9"]');
    await edit.locator('input[name="calibrationValidUntil"]').fill('2028-06-30');
    await edit.locator('input[name="calibrationCert"]').fill('JJG-188-2026-0042');
    // The list is read again every 30 s: the form stays open under its device with what was typed, focused.
    const rereading = ops.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === '/api/v1/devices', { timeout: 45_000 });
    await ops.clock.fastForward(30_000);
    const reread = await rereading;
    await reread.finished();
    await ops.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    expect(await edit.locator('input[name="calibrationValidUntil"]').inputValue()).toBe('2028-06-30');
    expect(await edit.locator('input[name="calibrationCert"]').inputValue()).toBe('JJG-188-2026-0042');
    expect(await ops.evaluate<string | undefined>('document.activeElement?.name')).toBe('calibrationCert');
    await edit.locator('button[type=submit]').click();
    await ops.locator('#device-rows tr[data-id="slm-river-9"]', { hasText: 'JJG-188-2026-0042' }).waitFor();
    const row = (await sql<{ until: string; cert: string }>(`SELECT to_char(calibration_valid_until, 'YYYY-MM-DD') AS until, calibration_cert AS cert FROM devices WHERE id = 'slm-river-9'`))[0];
    expect(row).toEqual({ until: '2028-06-30', cert: 'JJG-188-2026-0042' });
  });

  it('lets an operator rotate a device secret at once, after which the broker refuses the old one and takes the new', async () => {
    const admin = await signIn(await context(DESKTOP), t, 'admin');
    await admin.click('nav a[href="#/devices"]');
    await admin.fill('#p-id', 'slm-river-10');
    await admin.selectOption('#p-zone', 'z-riverbank');
    await admin.fill('#p-cal', '2027-12-31');
    await admin.click('#provision button[type=submit]');
    const oldSecret = (await admin.locator('#new-secret').textContent())!;
    const first = await connectDevice(t, 'slm-river-10', oldSecret);
    await first.endAsync();

    const ops = await signIn(await context(DESKTOP), t, 'ops');
    await ops.click('nav a[href="#/devices"]');
    await ops.click('button[data-rotate="slm-river-10"]');
    const form = ops.locator('form.rotate-secret[data-device="slm-river-10"]');
    await form.locator('select[name="graceS"]').selectOption('0');
    await form.locator('button[type=submit]').click();
    const newSecret = (await ops.locator('#new-secret').textContent())!;
    expect(newSecret.length).toBeGreaterThan(16);
    expect(newSecret).not.toBe(oldSecret);

    await expect(connectDevice(t, 'slm-river-10', oldSecret)).rejects.toThrow(/Not authorized|Bad username or password/i);
    const client = await connectDevice(t, 'slm-river-10', newSecret);
    devices.push(client);
  });

  it('installs as a PWA: a manifest, and a service worker whose offline shell opens without a network', async () => {
    const c = await context();
    const page = await c.newPage();
    await page.goto(`${t.http}/`);
    const manifest = await (await fetch(`${t.http}/manifest.webmanifest`)).json() as { lang: string; display: string; icons: unknown[] };
    expect(manifest).toMatchObject({ lang: 'zh-CN', display: 'standalone' });
    // Installed and in control of the page (clients.claim), with the shell cached.
    // Polled with evaluate: the page's policy forbids the string evaluation waitForFunction would use.
    await waitFor(() => page.evaluate(() => (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker.controller !== null), 'the service worker controlling the page', 30_000);
    await c.setOffline(true);
    await page.reload({ waitUntil: 'domcontentloaded', timeout: 30_000 });
    await page.locator('#login').waitFor();
    await c.setOffline(false);
  });
});
