import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';

/**
 * Sessions: short-lived access tokens, single-use refresh tokens rotated on every refresh, reuse
 * detection that revokes the session, logout, and a refresh that re-reads the account.
 */
let t: TestPlatform;

interface Tokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: { username: string; teamId: string | null };
}

beforeAll(async () => {
  t = await startTestPlatform({ SIMULATOR: 'off', SERVICES: 'api' });
});
afterAll(async () => {
  await t?.stop();
});

const login = async (username: string) => (await api<Tokens>(t, null, 'POST', '/api/v1/auth/login', { username, password: TEST_PASSWORD })).body;
const refresh = (refreshToken: unknown) => api<Tokens & { code: string }>(t, null, 'POST', '/api/v1/auth/refresh', { refreshToken });
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { iat: number; exp: number; teamId: string | null };

describe('sessions', () => {
  it('issue a 15-minute access token and a 12-hour refresh token at login', async () => {
    const s = await login('east.li');
    expect(s.expiresIn).toBe(900);
    const c = claims(s.accessToken);
    expect(c.exp - c.iat).toBe(900);
    expect(s.refreshExpiresIn).toBeGreaterThan(43_190);
    expect(s.refreshExpiresIn).toBeLessThanOrEqual(43_200);
    // The refresh token is not stored in the clear.
    expect(await t.platform.db.pool.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [s.refreshToken]).then((r) => r.rowCount)).toBe(0);
  });

  it('rotate the refresh token, and revoke the whole session when a spent one comes back', async () => {
    const first = await login('east.li');
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await api(t, second.body.accessToken, 'GET', '/api/v1/me')).status).toBe(200);
    // Someone replays the first token: refused, and the owner's current token dies with it.
    const replay = await refresh(first.refreshToken);
    expect([replay.status, replay.body.code]).toEqual([401, 'REFRESH_REUSED']);
    const owner = await refresh(second.body.refreshToken);
    expect([owner.status, owner.body.code]).toEqual([401, 'REFRESH_REUSED']);
    // Another login is another session, unaffected.
    expect((await refresh((await login('east.li')).refreshToken)).status).toBe(200);
  });

  it('let exactly one of two racing refreshes with the same token win', async () => {
    const s = await login('east.wang');
    const results = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('end at logout', async () => {
    const s = await login('river.zhao');
    const out = await api(t, null, 'POST', '/api/v1/auth/logout', { refreshToken: s.refreshToken });
    expect(out.status).toBe(204);
    expect((await refresh(s.refreshToken)).status).toBe(401);
  });

  it('pick up a changed team at the next refresh', async () => {
    const s = await login('river.chen');
    expect(claims(s.accessToken).teamId).toBe('t-river');
    await t.platform.db.pool.query(`UPDATE users SET team_id = 't-east' WHERE username = 'river.chen'`);
    try {
      const r = await refresh(s.refreshToken);
      expect(r.body.user.teamId).toBe('t-east');
      expect(claims(r.body.accessToken).teamId).toBe('t-east');
    } finally {
      await t.platform.db.pool.query(`UPDATE users SET team_id = 't-river' WHERE username = 'river.chen'`);
    }
  });

  it('answer bad refresh requests with a clear 4xx', async () => {
    expect((await refresh('not-a-token')).body.code).toBe('REFRESH_INVALID');
    expect((await refresh("' OR 1=1 --")).status).toBe(401);
    expect((await api(t, null, 'POST', '/api/v1/auth/refresh', {})).status).toBe(400);
    expect((await api(t, null, 'POST', '/api/v1/auth/refresh', { refreshToken: 'x'.repeat(500) })).status).toBe(400);
    expect((await api(t, 'garbage', 'GET', '/api/v1/me')).status).toBe(401);
  });
});
