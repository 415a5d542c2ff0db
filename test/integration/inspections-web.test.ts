import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureWebBuilt } from '../../web/scripts/ensure-built.js';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, openCase, SITE } from '../support/cases.js';
import { hasBrowser, launch, signIn, TABLET } from '../support/browser.js';

/**
 * An inspection on the officers' tablets (Chromium, tablet viewport): a yellow stall drawn by a random
 * plan appears as a work item with its checklist for the two drawn inspectors; one opens it, the other
 * confirms on their own tablet, the findings are recorded and a violation opens a follow-up case.
 */
let t: TestPlatform;
let browser: Browser;
const contexts: BrowserContext[] = [];
const SHOTS = process.env.SCREENSHOT_DIR;

/** Resolves once the page has read an inspection again and had the time to show it. */
async function rereadOf(page: Page): Promise<void> {
  const response = await page.waitForResponse((r) => /^\/api\/v1\/inspections\/[^/]+$/.test(new URL(r.url()).pathname), { timeout: 30_000 });
  await response.finished();
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
}

describe.skipIf(!hasBrowser)('inspections on the tablet (Chromium)', () => {
  beforeAll(async () => {
    await ensureWebBuilt();
    t = await startTestPlatform({ SERVICES: 'api', INSPECTION_YELLOW: '1/quarter' });
    browser = await launch();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.stop();
  });

  it('takes a drawn inspection from work item to follow-up case on two tablets', async () => {
    const tok = async (u: string) => login(t, u);
    const admin = await tok('admin');
    const ok = async (token: string, method: string, url: string, body?: unknown) => {
      const r = await api<Record<string, unknown>>(t, token, method, url, body);
      if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    // The tea stall's party warned on site after a sensor recorded its loudspeaker: yellow.
    const tea = (await ok(admin, 'GET', '/api/v1/market-entities') as unknown as { id: string; partyId: string }[]).find((e) => e.id === 'me-park-tea')!;
    const at = new Date().toISOString();
    const r = await t.platform.cases.intake({ id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: 'z-park-square', deviceId: 'slm-park-1', startedAt: at, detectedAt: at, summary: 'loudspeaker at the tea stall', evidence: { laeq: 70 } }, 0);
    if (r.outcome !== 'opened') throw new Error(r.outcome);
    const li = await tok('east.li');
    const lead = await tok('east.lead');
    await ok(li, 'POST', `/api/v1/cases/${r.case.id}/transitions`, { event: 'accept' });
    await ok(li, 'POST', `/api/v1/cases/${r.case.id}/transitions`, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    expect((await confirmPresence(t, lead, r.case.id)).status).toBe(201);
    await ok(li, 'POST', `/api/v1/cases/${r.case.id}/transitions`, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'warned', partyId: tea.partyId });
    await ok(admin, 'POST', '/api/v1/market-entities/credit');
    // Only Li Wei and Wang Fang may inspect stalls for noise, so the draw assigns them.
    for (const [u, cert] of [['u-east-lead', 'JC-3201-0003'], ['u-river-zhao', 'JC-3201-0004'], ['u-river-chen', 'JC-3201-0005']]) {
      await ok(admin, 'PUT', `/api/v1/inspectors/${u}`, { certificateNo: cert, validFrom: '2026-01-01', validUntil: '2028-12-31', items: ['INS-NOISE-SITE', 'INS-FISH-BOAT'] });
    }
    const ops = await tok('ops');
    const plan = await ok(ops, 'POST', '/api/v1/inspection-plans', { colour: 'yellow' });
    const drawn = await ok(ops, 'POST', `/api/v1/inspection-plans/${String(plan.id)}/draw`) as { selected: { entityId: string; inspectors: string[] }[] };
    expect(drawn.selected).toEqual([{ entityId: 'me-park-tea', itemCode: 'INS-NOISE-BIZ', inspectors: expect.arrayContaining(['JC-3201-0001', 'JC-3201-0002']), unstaffed: false }]);

    const first = await browser.newContext(TABLET);
    const second = await browser.newContext(TABLET);
    contexts.push(first, second);
    first.setDefaultTimeout(60_000);
    second.setDefaultTimeout(60_000);
    const p1 = await signIn(first, t, 'east.li');
    await p1.click('a[href="#/inspections"]');
    const card = p1.locator('#inspections li[data-state="planned"]');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/湖畔茶摊[\s\S]*摊点和餐饮场所使用音响器材[\s\S]*随机抽查[\s\S]*东湖公园中心广场/);
    if (SHOTS) await p1.screenshot({ path: `${SHOTS}/inspections-list.png` });
    await card.locator('a').click();
    await p1.locator('#i-state[data-state="planned"]').waitFor();
    expect(await p1.locator('#i-checks li').count()).toBe(3);
    expect(await p1.textContent('#i-facts')).toContain('Noise Pollution Prevention and Control Law');
    // The other drawn inspector is the only choice.
    expect(await p1.locator('#i-second option[value="u-east-wang"]').count()).toBe(1);
    await p1.selectOption('#i-second', 'u-east-wang');
    await p1.locator('#i-location', { hasText: '32.04080' }).waitFor();
    await p1.click('#i-open button[type=submit]');
    await p1.locator('#i-state[data-state="opened"]').waitFor();
    await p1.locator('#i-waiting', { hasText: '王芳' }).waitFor();

    // The second inspector confirms on their own tablet.
    const p2 = await signIn(second, t, 'east.wang');
    await p2.click('a[href="#/inspections"]');
    await p2.locator('#inspections li[data-state="opened"] a').click();
    // The confirmation is pressed while the tablet reads the inspection again (every 5 s while it waits
    // for them), and released after: the tap still lands.
    await p2.locator('#i-confirm button[type=submit]').hover();
    const reread = rereadOf(p2);
    await p2.mouse.down();
    await reread;
    await p2.mouse.up();
    await p2.locator('#i-state[data-state="in_progress"]').waitFor();

    // The lead's tablet follows and shows the checklist.
    await p1.locator('#i-result').waitFor();
    const checks = p1.locator('#i-result fieldset.check');
    expect(await checks.count()).toBe(3);
    expect(await checks.nth(0).locator('legend').textContent()).toBe('1. 未使用高音喇叭或扩音设备招揽顾客');
    await checks.nth(0).locator('input[value="no"]').check();
    await checks.nth(0).locator('input[name="n0"]').fill('loudspeaker on the counter, 78 dB(A) at the path');
    await checks.nth(1).locator('input[value="yes"]').check();
    await checks.nth(2).locator('input[value="yes"]').check();
    await p1.fill('#i-summary', 'owner present; refused to switch the loudspeaker off');
    // A live update (a case of the team accepted) reads the inspection again: what was entered stays, and the focus.
    const update = rereadOf(p1);
    await ok(li, 'POST', `/api/v1/cases/${await openCase(t, 'crowding')}/transitions`, { event: 'accept' });
    await update;
    expect(await p1.inputValue('#i-summary')).toBe('owner present; refused to switch the loudspeaker off');
    expect(await p1.evaluate<string | undefined>('document.activeElement?.id')).toBe('i-summary');
    expect(await checks.nth(0).locator('input[value="no"]').isChecked()).toBe(true);
    expect(await checks.nth(0).locator('input[name="n0"]').inputValue()).toBe('loudspeaker on the counter, 78 dB(A) at the path');
    if (SHOTS) await p1.screenshot({ path: `${SHOTS}/inspection-checklist.png`, fullPage: true });
    await p1.click('#i-result button[type=submit]');
    await p1.locator('#i-state[data-state="closed"]').waitFor();
    // The checklist item in Chinese on the Chinese screen; the record keeps the published (English) check it was made against.
    expect(await p1.textContent('#i-findings')).toContain('✗ 未使用高音喇叭或扩音设备招揽顾客 — loudspeaker on the counter');
    await p1.click('#i-case button[type=submit]');
    await p1.locator('#d-state[data-state="dispatched"]').waitFor();
    // The follow-up case's title in Chinese: the item's and the entity's Chinese names.
    expect(await p1.textContent('#detail')).toContain('摊点和餐饮场所使用音响器材 — 湖畔茶摊');
    // The findings are the case's first evidence record.
    expect(await p1.textContent('#d-evidence')).toContain('✗ No loudspeaker or amplifier used to attract customers — loudspeaker on the counter');
    if (SHOTS) await p1.screenshot({ path: `${SHOTS}/inspection-case.png` });

    // On the server: the inspection closed with its case; the public results show it without names.
    const pub = await api<{ entityName: string; outcome: string; followUpCaseNumber: number }[]>(t, null, 'GET', '/api/v1/public/inspection-results');
    expect(pub.body[0]).toMatchObject({ entityName: 'Lakeside tea stall', outcome: 'violations', followUpCaseNumber: expect.any(Number) });
    expect(JSON.stringify(pub.body)).not.toMatch(/Li Wei|Wang Fang|李伟|王芳|u-east/);
  });
});
