import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';
import { MAX_STREAMS_PER_USER } from '../../enforcement-api/routes/cases.js';

/**
 * Attacks on the API by people: guessing passwords, tokens that never expire or outlive their session,
 * setting fields the server owns, and reading another team's zone.
 */
const JWT_SECRET = 'security-test-signing-key-0123456789abcdef';
let t: TestPlatform;

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A token signed with the platform's own key, with exactly the claims given. */
function forge(claims: Record<string, unknown>): string {
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function session(username: string): Promise<{ accessToken: string; refreshToken: string }> {
  const r = await api<{ accessToken: string; refreshToken: string }>(t, null, 'POST', '/api/v1/auth/login', { username, password: TEST_PASSWORD });
  expect(r.status).toBe(200);
  return r.body;
}

const me = async (token: string) => (await api(t, token, 'GET', '/api/v1/me')).status;

/** Opens the live stream and resolves with everything it sent once the server ends it. */
async function streamUntilEnd(token: string): Promise<string> {
  const res = await fetch(`${t.http}/api/v1/stream?access_token=${encodeURIComponent(token)}`, { headers: { accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  let text = '';
  for await (const chunk of res.body!) text += Buffer.from(chunk).toString();
  return text;
}

beforeAll(async () => {
  t = await startTestPlatform({ JWT_SECRET });
});

afterAll(async () => {
  await t?.stop();
});

describe('tokens and sessions', () => {
  it('refuses a correctly signed token without `exp`, or without a session', async () => {
    const real = claimsOf((await session('east.li')).accessToken);
    const { exp: _exp, iat: _iat, ...noExp } = real;
    expect(await me(forge(noExp))).toBe(401);
    const { sid: _sid, ...noSid } = real;
    expect(await me(forge(noSid))).toBe(401);
    expect(await me(forge({ ...real, sid: 'not-a-session' }))).toBe(401);
    expect(await me(forge(real))).toBe(200);
  });

  it('refuses an access token as soon as its session is logged out', async () => {
    const s = await session('east.li');
    expect(await me(s.accessToken)).toBe(200);
    expect((await api(t, null, 'POST', '/api/v1/auth/logout', { refreshToken: s.refreshToken })).status).toBe(204);
    expect(await me(s.accessToken)).toBe(401);
  });

  it('refuses every access token of a session whose refresh token was used twice', async () => {
    const s = await session('east.li');
    const r1 = await api<{ accessToken: string }>(t, null, 'POST', '/api/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(r1.status).toBe(200);
    expect(await me(r1.body.accessToken)).toBe(200);
    const reused = await api<{ code: string }>(t, null, 'POST', '/api/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(reused.body.code).toBe('REFRESH_REUSED');
    expect(await me(r1.body.accessToken)).toBe(401);
    expect(await me(s.accessToken)).toBe(401);
  });

  it('ends the live stream when its token expires', async () => {
    const real = claimsOf((await session('east.li')).accessToken);
    const now = Math.floor(Date.now() / 1000);
    const text = await streamUntilEnd(forge({ ...real, iat: now, exp: now + 2 }));
    expect(text).toMatch(/event: expired\ndata: \{"reason":"token_expired"\}/);
  });

  it('ends the live stream at once when its session is revoked', async () => {
    const s = await session('east.li');
    const res = await fetch(`${t.http}/api/v1/stream?access_token=${encodeURIComponent(s.accessToken)}`, { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: ready')) text += Buffer.from((await reader.read()).value!).toString();
    await api(t, null, 'POST', '/api/v1/auth/logout', { refreshToken: s.refreshToken });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).toMatch(/event: expired\ndata: \{"reason":"session_revoked"\}/);
  });
  it('takes a token in the URL (`?access_token=`) on the live stream only', async () => {
    const token = await login(t, 'east.li');
    const inUrl = (url: string) => fetch(`${t.http}${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`);
    for (const url of ['/api/v1/me', '/api/v1/cases', '/api/v1/team/members']) {
      const r = await inUrl(url);
      expect(r.status, url).toBe(401);
      expect(await r.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(await me(token)).toBe(200);
    const abort = new AbortController();
    const stream = await fetch(`${t.http}/api/v1/stream?access_token=${encodeURIComponent(token)}`, { signal: abort.signal });
    expect(stream.status).toBe(200);
    abort.abort();
  });

  it('refuses a user more than MAX_STREAMS_PER_USER live streams at once, over all their sessions, and counts it', async () => {
    const tokens = [(await session('river.zhao')).accessToken, (await session('river.zhao')).accessToken];
    const open = (token: string) => {
      const abort = new AbortController();
      return fetch(`${t.http}/api/v1/stream?access_token=${encodeURIComponent(token)}`, { signal: abort.signal }).then((res) => ({ res, close: () => abort.abort() }));
    };
    const held = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      const s = await open(tokens[i % 2]!);
      expect(s.res.status).toBe(200);
      held.push(s);
    }
    const refused = await open(tokens[1]!);
    expect(refused.res.status).toBe(429);
    expect(await refused.res.json()).toMatchObject({ code: 'TOO_MANY_STREAMS' });
    expect(await t.platform.metrics.value('api_live_streams_refused_total')).toBeGreaterThanOrEqual(1);
    // Another person is not held back by them.
    const other = await open(await login(t, 'east.li'));
    expect(other.res.status).toBe(200);
    other.close();
    // Once one closes, the user may open another.
    held.pop()!.close();
    let again = await open(tokens[0]!);
    for (const until = Date.now() + 5000; again.res.status === 429 && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 50));
      again = await open(tokens[0]!);
    }
    expect(again.res.status).toBe(200);
    for (const s of [...held, again]) s.close();
  });
});

describe('fields the server owns', () => {
  it('refuses `simulated` (or any unknown field) when registering a device', async () => {
    const admin = await login(t, 'admin');
    const r = await api(t, admin, 'POST', '/api/v1/devices', { id: 'mass-1', zoneId: 'z-park-square', kind: 'sound_level_meter', simulated: true });
    expect(r.status).toBe(400);
    const list = await api<{ id: string; simulated: boolean }[]>(t, admin, 'GET', '/api/v1/devices');
    expect(list.body.find((d) => d.id === 'mass-1')).toBeUndefined();
    expect(list.body.filter((d) => d.simulated).map((d) => d.id)).toEqual((await t.platform.devices.listSimulated()).map((d) => d.id));
  });
});

describe('zone aggregates respect jurisdiction', () => {
  it.each([
    ['east.li', 200],
    ['river.zhao', 404],
    ['fish.liu', 200],
    ['ops', 200],
  ])('%s reading East Lake’s square → %i', async (username, status) => {
    const token = await login(t, username);
    expect((await api(t, token, 'GET', '/api/v1/zones/z-park-square/noise/hourly')).status).toBe(status);
  });
});

describe('login throttling', () => {
  it('locks an account after repeated failures, even for the right password, and counts it', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await api(t, null, 'POST', '/api/v1/auth/login', { username: 'river.chen', password: `wrong-${i}` })).status).toBe(401);
    }
    const res = await fetch(`${t.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'river.chen', password: TEST_PASSWORD }) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await t.platform.metrics.value('auth_login_throttled_total', { scope: 'account' })).toBe(1);
    expect(await t.platform.metrics.value('auth_login_failures_total')).toBe(5);
    // Another account from the same address still logs in.
    expect((await api(t, null, 'POST', '/api/v1/auth/login', { username: 'east.wang', password: TEST_PASSWORD })).status).toBe(200);
  });

  it('locks an address spraying many accounts', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await api(t, null, 'POST', '/api/v1/auth/login', { username: `spray-${i}`, password: 'guess' })).status).toBe(401);
    }
    expect((await api(t, null, 'POST', '/api/v1/auth/login', { username: 'fish.sun', password: TEST_PASSWORD })).status).toBe(429);
    expect(await t.platform.metrics.value('auth_login_throttled_total', { scope: 'address' })).toBe(1);
  });
});
