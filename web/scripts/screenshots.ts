/**
 * Regenerates docs/screenshots/*.png: the main screens of the web app with realistic cases (alerts
 * with their evidence taken in through the real intake, as inference would send them), on a
 * platform started like the integration tests (embedded database, ephemeral ports, no simulator).
 *
 *   npm run screenshots      (needs Debian chromium and a CJK font, e.g. fonts-wqy-microhei)
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureWebBuilt } from './ensure-built.js';
import { api, connectDevice, login, provision, publishAll, startTestPlatform, type TestPlatform } from '../../test/support/platform.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { topics } from '../../contract/mqtt/topics.js';
import { confirmPresence, evidenceMeta, PLACE_IN, uploadEvidence } from '../../test/support/cases.js';
import { DESKTOP, launch, signIn, TABLET } from '../../test/support/browser.js';
import { PNG } from './png.js';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const hex = () => randomBytes(16).toString('hex');
const ago = (min: number) => new Date(Date.now() - min * 60_000);

async function seed(t: TestPlatform): Promise<{ noise: string; fishing: string; crowding: string }> {
  const intake = (kind: 'noise' | 'fishing' | 'crowding', zoneId: string, deviceId: string, startedMin: number, [summary, summaryZh]: [string, string], evidence: Record<string, unknown>, modelVersion: string) =>
    t.platform.cases.intake({ id: hex(), kind, zoneId, deviceId, startedAt: ago(startedMin).toISOString(), detectedAt: ago(startedMin - 2).toISOString(), summary, summaryZh, evidence, modelVersion }, 30);

  const levels = Array.from({ length: 120 }, (_, i) => {
    const laeq = 46 + 16 * Math.min(1, i / 25) + 2 * Math.sin(i / 4);
    return [ago(12 - i / 10).toISOString(), Math.round(laeq * 10) / 10, Math.round((laeq + 6 + 3 * Math.sin(i / 3)) * 10) / 10];
  });
  const noise = await intake('noise', 'z-park-square', 'slm-park-1', 12, ['Amplified music at 62.1 dB(A) over the night limit of 45 dB(A)', '扩音音乐 62.1 dB(A)，超过夜间限值 45 dB(A)'], {
    laeq: 62.1, lamaxMax: 71.4, limit: { laeq: 45, period: 'night' }, noiseClass: '1', levels,
    scores: { music: 0.93, voices: 0.04, traffic: 0.01, background: 0.01, construction: 0, other: 0.01 }, minDurationS: 60, placementPublished: true,
  }, 'noise-window@4.0.0');
  const crowding = await intake('crowding', 'z-park-square', 'pc-park-1', 3, ['Crowd expected to exceed capacity (600) within 15 minutes: 571 people now, P = 0.91', '预计 15 分钟内人数超过容量（600 人）：现有 571 人，概率 0.91'], {
    count: 571, capacity: 600, countsPerMinute: Array.from({ length: 30 }, (_, i) => Math.round(300 + i * 9.5 + 12 * Math.sin(i))),
    scores: { risk_now: 0.42, exceed_15m: 0.91 },
  }, 'crowding@1.0.0');
  const fishingAlert = hex();
  const fishing = await t.platform.cases.intake({
    id: fishingAlert, kind: 'fishing', zoneId: 'z-riverbank', deviceId: 'cam-river-1', startedAt: ago(25).toISOString(), detectedAt: ago(4).toISOString(),
    summary: 'Person fishing in a fishing-ban zone for 21 min, 1.2 m from the water after 2 loudspeaker warning(s)', summaryZh: '禁渔区内有人垂钓 21 分钟，距水边 1.2 米，已经喇叭警告 2 次', modelVersion: 'fishing@1.0.0',
    evidence: { trackId: 't-17', dwellS: 1260, waterlineM: 1.2, rodScoreMean: 0.86, speedMpsMean: 0.05, observations: 42, warnings: 2, scores: { fishing: 0.94, other: 0.06 }, snapshot: 'cam-river-1/2026-12-02T13-02-11.jpg', placementPublished: true },
  }, 30);
  for (const [i, min] of [[1, 14], [2, 8]] as const) {
    await t.platform.db.pool.query(
      `INSERT INTO device_commands (id, device_id, name, payload, alert_id, stage, sent_at, acked_at, effect) VALUES ($1, 'cam-river-1', 'speaker.play', $2, $3, $4, $5, $6, $7)`,
      [hex(), JSON.stringify({ clip: 'fishing-ban', volume: 80 }), fishingAlert, `warning-${i}`, ago(min), ago(min - 0.05), JSON.stringify({ metric: 'dwell', before: 1, after: 1, fell: false })],
    );
  }
  // One real meter online, with quiet readings over the last minutes (the overview's throughput and presence).
  const dev = await provision(t, await login(t, 'admin'), 'z-riverbank', { id: 'slm-river-2', placement: { lon: 118.7528, lat: 32.0615 } });
  const meter = await connectDevice(t, dev.id, dev.secret);
  await meter.publishAsync(topics.presence(dev.id), 'online', { qos: 1, retain: true });
  await publishAll(meter, noiseRun({ deviceId: dev.id, start: ago(10), seconds: 300, source: 'background', laeq: 44, seed: 5, seqStart: 1 }));
  await meter.endAsync();
  const ids = { noise: noise.outcome === 'opened' ? noise.case.id : '', fishing: fishing.outcome === 'opened' ? fishing.case.id : '', crowding: crowding.outcome === 'opened' ? crowding.case.id : '' };
  return ids;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate('document.fonts.ready');
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: false });
  console.log(`docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  await ensureWebBuilt();
  await mkdir(OUT, { recursive: true });
  const t = await startTestPlatform();
  const browser = await launch();
  const contexts: BrowserContext[] = [];
  const ctx = async (o = TABLET) => {
    const c = await browser.newContext(o);
    contexts.push(c);
    return c;
  };
  try {
    const ids = await seed(t);
    const login0 = await (await ctx()).newPage();
    await login0.goto(`${t.http}/`);
    await login0.locator('#login').waitFor();
    await shot(login0, '01-login');

    const tablet = await ctx();
    const officer = await signIn(tablet, t, 'east.li');
    await officer.locator('#cases li').nth(1).waitFor();
    await shot(officer, '02-officer-inbox');
    await officer.goto(`${t.http}/#/case/${ids.noise}`);
    await officer.locator('#d-evidence svg.chart').first().waitFor();
    await shot(officer, '03-case-noise-evidence');
    await officer.goto(`${t.http}/#/map`);
    await officer.locator('#site-map svg').first().waitFor();
    await shot(officer, '04-site-map');

    // Offline: an arrival and a photo wait in the outbox.
    const li = await login(t, 'east.li');
    await api(t, li, 'POST', `/api/v1/cases/${ids.crowding}/transitions`, { event: 'accept' });
    await officer.goto(`${t.http}/#/case/${ids.crowding}`);
    await officer.locator('form[data-event="arrive"]').waitFor();
    await tablet.setOffline(true);
    await officer.locator('#live.offline').waitFor();
    await officer.click('form[data-event="arrive"] button[type=submit]');
    await officer.setInputFiles('#d-file', { name: 'crowd-at-the-steps.png', mimeType: 'image/png', buffer: PNG.photo() });
    await officer.click('#d-upload button[type=submit]');
    await officer.locator('#d-pending li').nth(1).waitFor();
    await shot(officer, '05-offline-pending');
    await officer.click('nav a[href="#/outbox"]');
    await officer.locator('#outbox li').first().waitFor();
    await shot(officer, '06-outbox');
    await tablet.setOffline(false);

    const portrait = await ctx({ ...TABLET, viewport: { width: 800, height: 1280 } });
    const p2 = await signIn(portrait, t, 'east.li');
    await p2.goto(`${t.http}/#/case/${ids.crowding}`);
    await p2.locator('#d-evidence .gauge').waitFor();
    await shot(p2, '07-case-crowding-portrait');

    // Fishing: the district fisheries team proposes; the form beside the benchmark.
    const liu = await login(t, 'fish.liu');
    await api(t, liu, 'POST', `/api/v1/cases/${ids.fishing}/transitions`, { event: 'accept' });
    await api(t, liu, 'POST', `/api/v1/cases/${ids.fishing}/transitions`, { event: 'arrive', location: { lat: 32.062, lon: 118.752 }, secondOfficerId: 'u-fish-sun' });
    // The second officer confirms on their own tablet; the photo liu took, with its metadata, is reviewed by
    // them (not one of its collectors: a collector does not review what they collected); the case is filed.
    const sun = await login(t, 'fish.sun');
    await confirmPresence(t, sun, ids.fishing, { lat: 32.062, lon: 118.752 });
    const photo = await uploadEvidence(t, liu, ids.fishing, PNG.photo(360, 240), 'image/png', `?filename=rod-and-catch.png&${evidenceMeta('image/png', 'u-fish-liu', PLACE_IN['z-riverbank'])}`);
    expectStatus('the photo upload', photo, 201);
    expectStatus('its review', await api(t, sun, 'POST', `/api/v1/cases/${ids.fishing}/evidence/${String(photo.body.id)}/review`, { note: 'rod and catch visible' }), 201);
    expectStatus('filing', await api(t, liu, 'POST', `/api/v1/cases/${ids.fishing}/transitions`, { event: 'file' }), 200);
    const fish = await signIn(await ctx(), t, 'fish.liu');
    await fish.goto(`${t.http}/#/case/${ids.fishing}`);
    await fish.locator('form[data-event="propose_decision"]').waitFor();
    await fish.fill('#f-party', 'Wang Wu');
    await fish.fill('#f-party-id', '320102199001011232');
    await fish.click('#f-lookup');
    await fish.click('#f-benchmark tr[data-tier="normal"]');
    await fish.fill('#f-fine', '20000');
    await fish.locator('form[data-event="propose_decision"]').scrollIntoViewIfNeeded();
    await shot(fish, '08-propose-decision');
    await fish.click('form[data-event="propose_decision"] button[type=submit]');
    await proposed(fish);
    expectStatus('submitting for review', await api(t, liu, 'POST', `/api/v1/cases/${ids.fishing}/transitions`, { event: 'submit_for_review' }), 200);

    const review = await signIn(await ctx(DESKTOP), t, 'review');
    await review.locator('#review-rows tr').first().waitFor();
    await shot(review, '09-review-queue');
    await review.goto(`${t.http}/#/case/${ids.fishing}`);
    await review.locator('#d-proposal').waitFor();
    await shot(review, '10-review-case-file');

    const ops = await signIn(await ctx(DESKTOP), t, 'ops');
    await ops.locator('#stat-online').waitFor();
    await shot(ops, '11-operations-overview');
    const admin = await signIn(await ctx(DESKTOP), t, 'admin');
    await admin.click('nav a[href="#/devices"]');
    await admin.locator('#device-rows tr').first().waitFor();
    await shot(admin, '12-device-registry');

    await officer.goto(`${t.http}/#/inbox`);
    await officer.click('#lang');
    await officer.locator('#cases li').first().waitFor();
    await shot(officer, '13-officer-inbox-english');
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close();
    await t.stop();
  }
}

/** Stops the run where a step of the story is refused, rather than photographing the screens of a story that went elsewhere. */
function expectStatus(step: string, res: { status: number; body: unknown }, status: number): void {
  if (res.status !== status) throw new Error(`${step} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** Waits for the proposal to be taken, or fails with what the screen said instead. */
async function proposed(page: Page): Promise<void> {
  const refused = page.locator('#d-error:not(:empty)');
  await Promise.race([page.locator('#d-state[data-state="decision_proposed"]').waitFor(), refused.waitFor()]);
  if (await refused.count()) throw new Error(`the proposal was refused: ${await refused.textContent()}`);
}

await main();
