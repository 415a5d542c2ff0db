import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { hasBrowser, launch, signIn, TABLET } from '../support/browser.js';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';

/** The complaints' screens in Chromium at a tablet viewport: the citizens' page, the hotline desk, the officer's case. */
describe.skipIf(!hasBrowser)('complaints in the web app (Chromium, tablet viewport)', () => {
  let t: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  const shots = process.env.SCREENSHOT_DIR;

  beforeAll(async () => {
    t = await startTestPlatform({ SERVICES: 'broker,enforcement,api' });
    browser = await launch();
    context = await browser.newContext(TABLET);
  }, 180_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.stop();
  });

  it('lets a citizen file a complaint without login and follow it with the tracking number and check code', async () => {
    const page = await context.newPage();
    await page.goto(`${t.http}/#/complaint`);
    await page.selectOption('#c-category', 'noise');
    await page.fill('#c-description', '广场舞音响太响，晚上十点后还在放');
    await page.click('text=使用我的位置');
    await expect.poll(() => page.inputValue('#c-lat')).toBe('32.040800');
    await page.fill('#c-phone', '138 0000 1111');
    await page.click('#c-form-public button[type=submit]');
    const tracking = (await page.locator('#c-tracking').textContent({ timeout: 30_000 }))!;
    const code = (await page.locator('#c-check').textContent())!;
    expect(tracking).toMatch(/^C\d{8}-[0-9A-Z]{8}$/);
    if (shots) await page.screenshot({ path: `${shots}/complaint-public.png`, fullPage: true });
    await page.fill('#l-tracking', tracking);
    await page.fill('#l-code', 'WRONG123');
    await page.click('#lookup button[type=submit]');
    await expect.poll(() => page.locator('#l-result').textContent()).toContain('没有与该受理编号和查询码对应的投诉');
    await page.fill('#l-code', code.toLowerCase());
    await page.click('#lookup button[type=submit]');
    await expect.poll(() => page.locator('#l-status').textContent().catch(() => '')).toBe('已受理');
    await page.close();
  });

  it('gives the hotline a desk to file complaints and watch the coordination queue, and shows complaints on the officer\'s case', async () => {
    const page = await signIn(context, t, 'hotline');
    await page.locator('#c-form-hotline').waitFor();
    await page.selectOption('#c-category', 'other');
    await page.fill('#c-description', '桥边栏杆损坏，有安全隐患');
    await page.locator('#c-zone option[value="z-park-square"]').waitFor({ state: 'attached' });
    await page.selectOption('#c-zone', 'z-park-square');
    await page.click('#c-form-hotline button[type=submit]');
    await page.locator('#c-tracking').waitFor();
    await expect.poll(() => page.locator('#queue').textContent()).toContain('桥边栏杆损坏');
    // Why it waits, the place and the team, in the desk's language.
    const row = page.locator('#queue li', { hasText: '桥边栏杆损坏' });
    expect(await row.textContent()).toContain('事项目录中没有此类投诉对应的事项');
    expect(await row.textContent()).toContain('东湖公园中心广场');
    expect(await row.textContent()).not.toContain('catalogue');
    await expect.poll(() => page.locator('#recent').textContent()).toContain('东湖街道综合行政执法队');
    expect(await page.locator('#recent').textContent()).not.toContain('t-east');
    if (shots) await page.screenshot({ path: `${shots}/complaint-hotline.png`, fullPage: true });
    await page.close();

    // The noise complaint filed on the public page opened a case for East Lake; its officer sees it there.
    const list = await api<{ caseId: string | null; category: string }[]>(t, await login(t, 'ops'), 'GET', '/api/v1/complaints?limit=10');
    const caseId = list.body.find((c) => c.category === 'noise')?.caseId;
    expect(caseId).toBeTruthy();
    // A tablet of its own: the hotline's session stays on the hotline's device.
    const tablet = await browser.newContext(TABLET);
    const officer = await signIn(tablet, t, 'east.li');
    await officer.goto(`${t.http}/#/case/${caseId}`);
    const panel = officer.locator('#d-complaints');
    await panel.waitFor({ timeout: 30_000 });
    await expect.poll(() => panel.textContent()).toContain('广场舞音响太响');
    expect(await panel.locator('.sensor-record').getAttribute('data-verdict')).toBe('no_data');
    expect(await panel.textContent()).not.toContain('138 0000');
    await panel.locator('select[name=status]').selectOption('handled_in_stages');
    await panel.locator('textarea[name=reply]').fill('已劝导，音量调低；后续夜间巡查');
    await panel.locator('button[type=submit]').click();
    await panel.locator('p', { hasText: '已劝导，音量调低' }).waitFor();
    if (shots) await officer.screenshot({ path: `${shots}/complaint-case.png`, fullPage: true });
    await tablet.close();
  });

  it('shows the agency head the complaints the coordination queue escalated to them', async () => {
    const filed = await api<{ complaintId: string }>(t, await login(t, 'hotline'), 'POST', '/api/v1/complaints', {
      category: 'other', description: '河堤步道路灯全部不亮', zoneId: 'z-park-square',
    });
    expect(filed.status).toBe(201);
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(desk, t, 'head');
    await page.click('nav a[href="#/escalated"]');
    await page.locator('#escalated li.muted').waitFor();
    expect(await page.textContent('#escalated')).not.toContain('河堤步道路灯');
    // Its coordination deadlines pass twice: the sweep escalates it to the agency head.
    await t.platform.db.pool.query(`UPDATE complaints SET escalation_level = 2 WHERE id = $1`, [filed.body.complaintId]);
    await page.reload();
    await expect.poll(() => page.locator('#escalated').textContent(), { timeout: 20_000 }).toContain('河堤步道路灯');
    if (shots) await page.screenshot({ path: `${shots}/complaint-escalated.png`, fullPage: true });
    await desk.close();
  });

  it('opens the agency head on their escalated complaints, with no tab to a screen that refuses them', async () => {
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const refused: string[] = [];
    desk.on('response', (r) => { if (r.status() === 403) refused.push(r.url()); });
    const page = await signIn(desk, t, 'head');
    await page.locator('#escalated').waitFor();
    expect(await page.getAttribute('nav a[aria-current="page"]', 'href')).toBe('#/escalated');
    for (const href of await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))) {
      await page.click(`nav a[href="${href}"]`);
      await page.locator('#main > section').waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.locator('#main .error').allTextContents(), href).toEqual([]);
    }
    expect(refused).toEqual([]);
    await desk.close();
  });
});
