import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { TEST_PASSWORD, type TestPlatform } from './platform.js';

/** Debian's Chromium, headless, for the web app's end-to-end tests (skipped, visibly, where none is installed). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasBrowser = existsSync(CHROMIUM);

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** A tablet in landscape (touch, geolocation granted: East Lake Park) or a desktop. */
export const TABLET: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
  geolocation: { latitude: 32.0408, longitude: 118.781, accuracy: 8 }, permissions: ['geolocation'],
};
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };

/** Opens the app and signs in; resolves once the live stream is connected. */
export async function signIn(context: BrowserContext, t: TestPlatform, username: string, password = TEST_PASSWORD): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${t.http}/`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login button[type=submit]');
  await page.locator('#live.live').waitFor({ timeout: 30_000 });
  return page;
}
