import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { connectDevice, login, provision, publishAll, startTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';
import { jpeg, openCase } from '../support/cases.js';

/** The officer's web client in a real browser: log in, watch the inbox, a case arrives live. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
/**
 * How long a page may take to show what the test waits for: the wait ends as soon as it shows, and
 * on a busy machine a round trip through the API and the page's rendering can take seconds (vitest's
 * own default for expect.poll is one second).
 */
const SHOWN = { timeout: 30_000, interval: 50 };

let t: TestPlatform;
let browser: Browser;
let device: MqttClient;

describe.skipIf(!hasBrowser)('web client (Chromium)', () => {
  beforeAll(async () => {
    t = await startTestPlatform();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await device?.endAsync();
    await browser?.close();
    await t?.stop();
  });

  it('shows an officer their team’s new case live, and refuses a wrong password', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.http}/`);
    await page.fill('#username', 'east.li');
    await page.fill('#password', 'wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error'), SHOWN).toContain('wrong username or password');

    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#live.on');
    expect(await page.textContent('#who')).toContain('Li Wei');
    expect(await page.locator('#cases tr').count()).toBe(0);
    expect(await page.textContent('#zone-rows')).toContain('East Lake Park central square');

    const dev = await provision(t, await login(t, 'admin'), 'z-park-square');
    device = await connectDevice(t, dev.id, dev.secret);
    await publishAll(device, noiseRun({ deviceId: dev.id, start: localTime('Asia/Shanghai', 22, 30), seconds: 90, source: 'music', laeq: 62, seed: 11, seqStart: 1 }));

    const row = page.locator('#cases tr');
    await row.first().waitFor({ timeout: 30_000 });
    expect(await row.count()).toBe(1);
    expect(await row.first().textContent()).toMatch(/East Lake Park central square.*Amplified music.*night limit of 45 dB\(A\).*dispatched/);
    await page.close();
  });

  it('keeps the officer signed in past an expired access token, and signs out for good', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.http}/`);
    await page.fill('#username', 'east.wang');
    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#live.on');
    // The access token goes bad (as an expired one does); the page renews it with its refresh token.
    await page.evaluate("sessionStorage.setItem('token', 'expired')");
    await page.reload();
    await page.waitForSelector('#live.on');
    expect(await page.textContent('#who')).toContain('Wang');
    const refresh = await page.evaluate<string | null>("sessionStorage.getItem('refresh')");
    await page.click('#logout');
    await expect.poll(() => page.isVisible('#login'), SHOWN).toBe(true);
    // Logging out revoked the session on the server too (checked without spending the token).
    const hash = createHash('sha256').update(refresh ?? '').digest('hex');
    const revoked = () => t.platform.db.pool.query<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE token_hash = $1', [hash]);
    await expect.poll(async () => (await revoked()).rows[0]?.revoked, SHOWN).toBe(true);
    await page.close();
  });

  it('lets the officer take a case from the tablet: accept, then dismiss with a reason; refusals are shown', async () => {
    const caseId = await openCase(t, 'crowding'); // the first test left a noise incident open in this zone
    const page = await browser.newPage();
    await page.goto(`${t.http}/`);
    await page.fill('#username', 'east.li');
    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector(`#cases tr[data-id="${caseId}"]`);
    await page.click(`#cases tr[data-id="${caseId}"]`);
    await page.waitForSelector('#detail:not([hidden]) form[data-event="accept"]');
    expect(await page.textContent('#d-state')).toBe('dispatched');
    await page.click('form[data-event="accept"] button');
    await expect.poll(() => page.textContent('#d-state'), SHOWN).toBe('accepted');
    // A photo from the tablet becomes evidence, stored with its SHA-256.
    const photo = jpeg('scene');
    await page.setInputFiles('#d-file', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.click('#d-upload button');
    await expect.poll(() => page.textContent('#d-evidence'), SHOWN).toContain('scene.jpg');
    const stored = await t.platform.db.pool.query<{ sha256: string }>('SELECT sha256 FROM case_evidence WHERE case_id = $1', [caseId]);
    expect(stored.rows.map((r) => r.sha256)).toEqual([createHash('sha256').update(photo).digest('hex')]);
    // Dismissing needs a reason: a blank one is refused by the server, and the page says why.
    await page.fill('form[data-event="dismiss"] textarea[name="reason"]', '   ');
    await page.click('form[data-event="dismiss"] button');
    await expect.poll(() => page.textContent('#d-error'), SHOWN).toMatch(/reason/);
    expect(await page.textContent('#d-state')).toBe('accepted');
    await page.fill('form[data-event="dismiss"] textarea[name="reason"]', 'Nobody there: a car radio passing by');
    await page.check('form[data-event="dismiss"] input[name="falseAlarm"]');
    await page.click('form[data-event="dismiss"] button');
    await expect.poll(() => page.textContent('#d-state'), SHOWN).toBe('dismissed');
    expect(await page.textContent('#d-events')).toMatch(/accepted[\s\S]*dismissed/);
    expect(await page.textContent('#d-actions')).toContain('Nothing for you to do');
    const row = await t.platform.db.pool.query<{ state: string; reason: string }>('SELECT state, dismissal_reason AS reason FROM cases WHERE id = $1', [caseId]);
    expect(row.rows[0]).toEqual({ state: 'dismissed', reason: 'Nobody there: a car radio passing by' });

    // Another team's officer does not even see it.
    const other = await browser.newPage();
    await other.goto(`${t.http}/`);
    await other.fill('#username', 'river.zhao');
    await other.fill('#password', TEST_PASSWORD);
    await other.click('button[type=submit]');
    await other.waitForSelector('#live.on');
    expect(await other.locator(`#cases tr[data-id="${caseId}"]`).count()).toBe(0);
    await other.close();
    await page.close();
  });
});
