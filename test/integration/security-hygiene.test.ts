import { createHmac } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unseal, secretsKey } from '../../core/secrets.js';
import { connectDevice, login, provision, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/** What a bystander sees: response headers, /metrics, files on disk and the stored password hashes. */
const METRICS_TOKEN = 'scraper-token-0123456789';
let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform({ METRICS_TOKEN });
});

afterAll(async () => {
  await t?.stop();
});

/** Every file and directory under `dir` with its permission bits. */
async function modes(dir: string): Promise<{ file: string; mode: number; dir: boolean }[]> {
  const out: { file: string; mode: number; dir: boolean }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, e.name);
    const s = await stat(file).catch(() => undefined);
    if (!s) continue;
    out.push({ file, mode: s.mode & 0o777, dir: e.isDirectory() });
    if (e.isDirectory()) out.push(...(await modes(file)));
  }
  return out;
}

describe('hygiene', () => {
  it('sends a content security policy, no framing, no sniffing and no referrer', async () => {
    const page = await fetch(`${t.http}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const apiAnswer = await fetch(`${t.http}/api/v1/me`);
    expect(apiAnswer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(apiAnswer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('serves /metrics (which names devices) only to the scraper’s token, admins and operators', async () => {
    const admin = await login(t, 'admin');
    const d = await provision(t, admin, 'z-park-square');
    (await connectDevice(t, d.id, d.secret)).end(true);
    const get = (token?: string) => fetch(`${t.http}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get()).status).toBe(401);
    expect((await get('wrong-token-0123456789')).status).toBe(401);
    expect((await get(await login(t, 'east.li'))).status).toBe(403);
    const scraped = await get(METRICS_TOKEN);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('mqtt_connected_clients');
    expect((await get(await login(t, 'ops'))).status).toBe(200);
  });

  it('creates its data files for its own user only (files 0600, directories 0700)', async () => {
    await waitFor(async () => (await modes(t.platform.config.database.dataDir)).some((m) => m.file.includes(`${path.sep}broker`)), 'the broker journal');
    const open = (await modes(t.platform.config.database.dataDir)).filter((m) => (m.mode & 0o077) !== 0);
    expect(open.map((m) => `${m.file} ${m.mode.toString(8)}`)).toEqual([]);
  });

  it('gives every seeded user a hash (and salt) of their own', async () => {
    const r = await t.platform.db.pool.query<{ users: number; hashes: number }>('SELECT count(*)::int AS users, count(DISTINCT password_hash)::int AS hashes FROM users');
    expect(r.rows[0]!.users).toBeGreaterThan(5);
    expect(r.rows[0]!.hashes).toBe(r.rows[0]!.users);
    // At the cost configured (the test platform's PASSWORD_HASH_COST), which each hash names.
    const costs = await t.platform.db.pool.query<{ cost: string }>(`SELECT DISTINCT split_part(password_hash, '$', 2) AS cost FROM users`);
    expect(costs.rows.map((c) => c.cost)).toEqual([String(t.platform.config.auth.passwordHashCost)]);
  });

  it('keeps the token signing key sealed in the database: the stored value signs nothing', async () => {
    const r = await t.platform.db.pool.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'jwt_secret'`);
    const stored = r.rows[0]!.value;
    const claims = JSON.parse(Buffer.from((await login(t, 'admin')).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const forge = (key: string) => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
      return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
    };
    const me = async (token: string) => (await fetch(`${t.http}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await me(forge(stored))).toBe(401);
    // Opened with the key file (kept outside the database, 0600), it is the real key.
    const keyFile = path.join(t.platform.config.database.dataDir, 'secrets.key');
    expect((await stat(keyFile)).mode & 0o077).toBe(0);
    expect(await me(forge(unseal(stored, secretsKey(await readFile(keyFile, 'utf8')))))).toBe(200);
  });
});
