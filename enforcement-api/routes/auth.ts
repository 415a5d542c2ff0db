import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LoginBody, Me, NoContent, RefreshBody, Tokens } from '../../contract/http/auth.js';
import { AppError } from '../errors.js';
import type { User, UserRepository } from '../users.js';
import type { SessionRepository } from '../sessions.js';
import type { LoginThrottle } from '../login-throttle.js';
import type { Metrics } from '../../core/metrics.js';


/**
 * Login, refresh and logout. Access tokens are short-lived JWTs; the refresh token is opaque, single
 * use and rotated on every refresh (sessions.ts), and a refresh re-reads the user, so a changed role or
 * team, or a deleted account, takes effect within one access-token lifetime.
 */
const routes: FastifyPluginAsyncTypebox<{ users: UserRepository; sessions: SessionRepository; accessTtlS: number; throttle: LoginThrottle; metrics: Metrics }> = async (
  app,
  { users, sessions, accessTtlS, throttle, metrics },
) => {
  const failures = metrics.counter('auth_login_failures_total', 'logins refused for a wrong username or password');
  const tokens = (user: User, refresh: { token: string; expiresAt: Date; sessionId: string }) => ({
    accessToken: app.issueToken(user, refresh.sessionId),
    tokenType: 'Bearer' as const,
    expiresIn: accessTtlS,
    refreshToken: refresh.token,
    refreshExpiresIn: Math.round((refresh.expiresAt.getTime() - Date.now()) / 1000),
    user,
  });

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with username and password; returns an access token and a refresh token',
        body: LoginBody,
        response: { 200: Tokens, 401: { $ref: 'Error#' }, 429: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const wait = throttle.retryAfterS(username, req.ip);
      if (wait > 0) {
        void reply.header('retry-after', String(wait));
        throw new AppError(429, 'TOO_MANY_ATTEMPTS', `too many failed logins: try again in ${wait} s`);
      }
      const user = await users.authenticate(username, password);
      if (!user) {
        throttle.failed(username, req.ip);
        failures.inc();
        throw new AppError(401, 'BAD_CREDENTIALS', 'wrong username or password');
      }
      throttle.succeeded(username, req.ip);
      return tokens(user, await sessions.issue(user.id));
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Trades a refresh token (once) for a new access token and refresh token',
        body: RefreshBody,
        response: { 200: Tokens, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const r = await sessions.rotate(req.body.refreshToken);
      if (!r.ok) {
        if (r.reason === 'reused') req.log.warn('refresh token used twice: its session is revoked');
        const message = { unknown: 'unknown refresh token', expired: 'refresh token expired: log in again', reused: 'refresh token already used: the session is revoked, log in again' }[r.reason];
        throw new AppError(401, r.reason === 'reused' ? 'REFRESH_REUSED' : 'REFRESH_INVALID', message);
      }
      const user = await users.get(r.userId);
      if (!user) {
        await sessions.revoke(r.token);
        throw new AppError(401, 'REFRESH_INVALID', 'the account no longer exists');
      }
      return tokens(user, r);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: { tags: ['auth'], summary: 'Revokes the refresh token and its session', body: RefreshBody, response: { 204: NoContent, 400: { $ref: 'Error#' } } },
    },
    async (req, reply) => {
      await sessions.revoke(req.body.refreshToken);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: { 200: Me, 401: { $ref: 'Error#' } },
      },
    },
    async (req) => ({ id: req.user.sub, username: req.user.username, role: req.user.role, teamId: req.user.teamId }),
  );
};
export default routes;
