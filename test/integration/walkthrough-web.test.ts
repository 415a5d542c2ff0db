import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP, hasBrowser, launch, signIn, TABLET } from '../support/browser.js';
import { api, login, provision, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, openCase } from '../support/cases.js';

const LANDSCAPE = { ...TABLET, viewport: { width: 1024, height: 768 } };
const PORTRAIT = { ...TABLET, viewport: { width: 768, height: 1024 } };

/**
 * What a walk-through of the app as its users found, in Chromium: the operator's device health, names
 * instead of ids and codes, years on dates, only the steps the server takes, the hotline's point checked,
 * the outbox's case link a finger's size.
 */
describe.skipIf(!hasBrowser)('web app walk-through (Chromium, tablets and desktop)', () => {
  let t: TestPlatform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const shots = process.env.SCREENSHOT_DIR;
  const context = async (options: typeof TABLET) => {
    const c = await browser.newContext(options);
    contexts.push(c);
    return c;
  };
  const shot = async (page: Page, name: string) => {
    if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  };

  beforeAll(async () => {
    t = await startTestPlatform({ SERVICES: 'broker,enforcement,api', DEVICE_SILENT_S: '600', DEVICE_LOW_BATTERY_PCT: '20' });
    browser = await launch();
  }, 180_000);
  // Each test's pages close with it, so they take no later test's live updates.
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.stop();
  });

  it('shows operators silent devices and low batteries first, flagged, and can show only them', async () => {
    const admin = await login(t, 'admin');
    const quiet = await provision(t, admin, 'z-park-square', { id: 'slm-quiet-1' });
    const weak = await provision(t, admin, 'z-riverbank', { id: 'slm-weak-1' });
    const db = t.platform.db.pool;
    await db.query(`UPDATE devices SET created_at = now() - interval '3 hours', last_seen_at = now() - interval '2 hours' WHERE id = $1`, [quiet.id]);
    await db.query(`INSERT INTO device_status (ts, device_id, seq, battery, signal) VALUES (now(), $1, 1, 9, -97)`, [weak.id]);
    await db.query(`UPDATE devices SET last_seen_at = now() WHERE id = $1`, [weak.id]);

    const page = await signIn(await context(DESKTOP), t, 'ops');
    await page.goto(`${t.http}/#/devices`);
    const rows = page.locator('#device-rows > tr[data-id]');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(2);
    expect(await rows.nth(0).getAttribute('data-id')).toBe(quiet.id);
    expect(await rows.nth(1).getAttribute('data-id')).toBe(weak.id);
    expect(await rows.nth(0).locator('.flag-silent').textContent()).toBe('长时间无数据');
    const weakRow = rows.nth(1);
    expect(await weakRow.locator('.flag-battery').textContent()).toBe('电量低');
    expect(await weakRow.textContent()).toContain('9%');
    expect(await weakRow.textContent()).toContain('-97 dBm');
    // Zones by their Chinese names, not ids.
    expect(await weakRow.textContent()).toContain('北滨河步道');
    expect(await page.textContent('#dev-summary')).toBe('无数据 1 台，电量低 1 台');
    await shot(page, 'walkthrough-devices');
    await page.check('#dev-attention-only');
    await expect.poll(() => rows.count()).toBe(2);
  });

  it('shows a case with names instead of ids and codes, years on its record, and only the steps the server would take', async () => {
    const caseId = await openCase(t);
    const li = await login(t, 'east.li');
    for (const body of [{ event: 'accept' }, { event: 'arrive', location: { lat: 32.0408, lon: 118.781 }, secondOfficerId: 'u-east-lead' }]) {
      expect((await api(t, li, 'POST', `/api/v1/cases/${caseId}/transitions`, body)).status).toBe(200);
    }
    const tablet = await context(LANDSCAPE);
    const page = await signIn(tablet, t, 'east.li');
    // The inbox names the officer's team, not its id.
    await page.locator(`#cases li[data-id="${caseId}"]`).waitFor({ timeout: 30_000 });
    expect(await page.textContent('#team-scope')).toBe('东湖街道综合行政执法队');
    await page.goto(`${t.http}/#/case/${caseId}`);
    await page.locator('#d-events li').first().waitFor({ timeout: 30_000 });
    expect(await page.textContent('h1')).toContain('东湖公园中心广场');
    expect(await page.textContent('#d-matter')).toContain('公共场所使用音响器材音量超过噪声限值');
    // The legal basis and the benchmark's facts in Chinese too.
    expect(await page.textContent('#d-basis')).toContain('《中华人民共和国噪声污染防治法》第八十二条');
    expect(await page.textContent('.legal .bench-table')).toContain('拒不改正；超标 5–10 dB(A) 或有居民投诉');
    const facts = (await page.textContent('#d-facts'))!;
    expect(facts).toContain('东湖街道综合行政执法队');
    expect(facts).toContain('李伟、周敏');
    expect(facts).not.toMatch(/u-east|t-east/);
    const record = (await page.textContent('#d-events'))!;
    expect(record).toContain('李伟');
    expect(record).toContain('系统');
    expect(record).not.toMatch(/u-east-li|system/);
    // In English, the same people by their English names.
    await page.click('#lang');
    await page.locator('#d-facts', { hasText: 'Li Wei, Zhou Min' }).or(page.locator('#d-facts', { hasText: 'Li Wei、Zhou Min' })).waitFor();
    expect(await page.textContent('#who')).toBe('Li Wei');
    await page.click('#lang');
    await page.locator('#d-facts', { hasText: '李伟、周敏' }).waitFor();
    // The record always carries the year; the alert of 1 January 2025 carries it as another year.
    const year = new Date().toLocaleDateString('zh-CN', { year: 'numeric', timeZone: 'Asia/Shanghai' }).replace(/\D/g, '');
    expect(await page.locator('#d-events time').first().textContent()).toMatch(new RegExp(`^${year}/\\d{2}/\\d{2} \\d{2}:\\d{2}$`));
    const evidence = (await page.textContent('#d-evidence'))!;
    expect(evidence).toContain('2025/01/01');
    // Why the alert is no evidence, in Chinese, not the server's English sentence.
    expect(evidence).toContain('非设备监测记录');
    expect(evidence).not.toContain('not a sensor record');

    // The second officer has not confirmed: nothing on site is offered yet.
    await page.locator('form[data-event="dismiss"]').waitFor();
    expect(await page.locator('form[data-event="resolve_on_site"], form[data-event="file"]').count()).toBe(0);
    expect(await page.textContent('#waiting-presence')).toContain('等待第二名执法人员 周敏');
    await shot(page, 'walkthrough-case-before-presence');
    expect((await confirmPresence(t, await login(t, 'east.lead'), caseId)).status).toBe(201);
    await page.locator('form[data-event="resolve_on_site"]').waitFor({ timeout: 20_000 });
    await page.locator('form[data-event="file"]').waitFor();
    expect(await page.locator('#waiting-presence').count()).toBe(0);
    // The ends on site the law allows a noise violation: spared as a first violation, warned, or none found; not "hazard cleared".
    expect(await page.locator('form[data-event="resolve_on_site"] input[name="outcome"]').evaluateAll((els) => els.map((e) => e.getAttribute('value'))))
      .toEqual(['corrected', 'warning_issued', 'no_violation_found']);
    await shot(page, 'walkthrough-case-landscape');

    const portrait = await signIn(await context(PORTRAIT), t, 'east.li');
    await portrait.goto(`${t.http}/#/case/${caseId}`);
    await portrait.locator('form[data-event="resolve_on_site"]').waitFor({ timeout: 30_000 });
    await shot(portrait, 'walkthrough-case-portrait');

    // English stays English.
    await page.click('#lang');
    await expect.poll(() => page.textContent('h1')).toContain('East Lake Park central square');
    await expect.poll(() => page.textContent('#d-matter')).toContain('Amplified music');
    expect(await page.textContent('#d-basis')).toContain('Noise Pollution Prevention and Control Law art. 82');
    await page.click('#lang');

    // Offline, a step waits in the outbox; its case link is a finger's target.
    await tablet.setOffline(true);
    await page.fill('form[data-event="dismiss"] textarea[name="reason"]', '现场无人，音响已撤走');
    await page.click('form[data-event="dismiss"] button[type=submit]');
    await page.click('nav a[href="#/outbox"]');
    const link = page.locator('#outbox li[data-status="pending"] a.ob-case').first();
    await link.waitFor();
    const box = (await link.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(44);
    expect(box.height).toBeGreaterThanOrEqual(44);
    await shot(page, 'walkthrough-outbox');
    await tablet.setOffline(false);
    await page.locator('#outbox li.muted').waitFor({ timeout: 30_000 });
  });

  it('names the officer\'s team over an empty inbox, not its id', async () => {
    const page = await signIn(await context(LANDSCAPE), t, 'emerg.ma');
    await page.locator('#empty').waitFor({ timeout: 30_000 });
    expect(await page.textContent('#team-scope')).toBe('区应急管理综合行政执法队');
  });

  it('names the sites on the map in the user\'s language', async () => {
    const page = await signIn(await context(LANDSCAPE), t, 'east.li');
    await page.goto(`${t.http}/#/map`);
    await page.locator('figure.site figcaption').first().waitFor();
    expect(await page.locator('figure.site figcaption').allTextContents()).toEqual(['东湖公园', '北滨河']);
    await page.click('#lang');
    await expect.poll(() => page.locator('figure.site figcaption').allTextContents()).toEqual(['East Lake Park', 'North Riverbank']);
    await page.click('#lang');
  });

  it('checks the hotline\'s point as numbers in range, in the user\'s words, and the server refuses a bad one with its own code', async () => {
    const hotline = await login(t, 'hotline');
    for (const location of [{ lat: 'abc', lon: 118.78 }, { lat: 95, lon: 118.78 }, { lat: 32.04, lon: -200 }, { lat: 32.04 }]) {
      const r = await api<{ code: string; message: string }>(t, hotline, 'POST', '/api/v1/complaints', { category: 'noise', description: '夜间广场音响太响', location });
      expect(r.status, JSON.stringify(location)).toBe(400);
      expect(r.body.code).toBe('LOCATION_INVALID');
    }
    const pub = await api<{ code: string }>(t, null, 'POST', '/api/v1/public/complaints', { category: 'noise', description: '夜间广场音响太响', location: { lat: '32.04', lon: 118.78 } });
    expect(pub.body.code).toBe('LOCATION_INVALID');

    const page = await signIn(await context(LANDSCAPE), t, 'hotline');
    const filed: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/complaints')) filed.push(r.url()); });
    await page.locator('#c-form-hotline').waitFor();
    await page.fill('#c-description', '桥下有人夜钓，多次劝阻无效');
    await page.fill('#c-lat', 'abc');
    await page.fill('#c-lon', '118.781');
    await page.click('#c-form-hotline button[type=submit]');
    await expect.poll(() => page.textContent('#c-coord-error')).toBe('纬度应为 -90 至 90 之间的数字（例如 32.041）。');
    expect(await page.getAttribute('#c-lat', 'aria-invalid')).toBe('true');
    await shot(page, 'walkthrough-hotline-bad-point');
    await page.fill('#c-lat', '32.041');
    await page.fill('#c-lon', '218');
    await page.click('#c-form-hotline button[type=submit]');
    await expect.poll(() => page.textContent('#c-coord-error')).toBe('经度应为 -180 至 180 之间的数字（例如 118.781）。');
    expect(filed).toEqual([]);
    await page.fill('#c-lon', '118,781');
    await page.click('#c-form-hotline button[type=submit]');
    await expect.poll(async () => (await page.textContent('#c-error')) || (await page.locator('#c-tracking').count()), { timeout: 30_000 }).toBe(1);
    expect(filed).toHaveLength(1);
    expect(await page.textContent('#c-coord-error')).toBe('');
  });
});
