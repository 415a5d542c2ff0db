import fp from 'fastify-plugin';
import jwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.js';
import type { Role, User } from '../users.js';

export interface TokenClaims {
  sub: string;
  username: string;
  role: Role;
  teamId: string | null;
  /** A reviewer's legal review post: they see the cases submitted to it. */
  reviewPostId?: string | null;
  /** The session (refresh-token family) the token was issued in: revoking it refuses the token at once. */
  sid: string;
  /** Expiry (seconds since the epoch), set when signed and required when verified. */
  exp?: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: a valid bearer token (header; the live stream also takes the `access_token` query, for EventSource). */
    authenticate: preHandlerAsyncHookHandler;
    /** preHandler: authenticated and holding one of the roles. */
    requireRole(...roles: Role[]): preHandlerAsyncHookHandler;
    issueToken(user: User, sessionId: string): string;
  }
}

/** The one route that takes its token as `?access_token=`: the live stream, opened by EventSource. */
export const QUERY_TOKEN_ROUTE = '/api/v1/stream';

export default fp(
  async (app, opts: { secret: string; accessTtlS: number; sessionActive: (sessionId: string) => Promise<boolean> }) => {
    await app.register(jwt, {
      secret: opts.secret,
      // Short-lived: a stolen or outdated token (role or team changed) expires soon; clients refresh.
      sign: { expiresIn: opts.accessTtlS },
      verify: {
        // A token without an expiry would never die, one without a session could not be revoked.
        requiredClaims: ['exp', 'sid'],
        extractToken: (req: FastifyRequest) => {
          const header = req.headers.authorization;
          if (header?.startsWith('Bearer ')) return header.slice(7);
          // Only where a header cannot be sent (EventSource): a token in a URL ends up in histories,
          // proxies' logs and links passed on, so no other route takes one.
          if (req.routeOptions.url !== QUERY_TOKEN_ROUTE) return undefined;
          const q = (req.query as Record<string, unknown> | undefined)?.access_token;
          return typeof q === 'string' ? q : undefined;
        },
      },
    });

    const authenticate = async (req: FastifyRequest, _reply: FastifyReply) => {
      try {
        await req.jwtVerify();
      } catch {
        throw new AppError(401, 'UNAUTHORIZED', 'a valid bearer token is required');
      }
      if (typeof req.user.sid !== 'string' || !(await opts.sessionActive(req.user.sid))) {
        throw new AppError(401, 'SESSION_REVOKED', 'the session was logged out or revoked: log in again');
      }
    };
    app.decorate('authenticate', authenticate);
    app.decorate('requireRole', (...roles: Role[]) => async (req: FastifyRequest, reply: FastifyReply) => {
      await authenticate(req, reply);
      if (!roles.includes(req.user.role)) throw new AppError(403, 'FORBIDDEN', `requires role ${roles.join(' or ')}`);
    });
    app.decorate('issueToken', (user: User, sessionId: string) =>
      app.jwt.sign({ sub: user.id, username: user.username, role: user.role, teamId: user.teamId, reviewPostId: user.reviewPostId, sid: sessionId }),
    );
  },
  { name: 'auth' },
);
