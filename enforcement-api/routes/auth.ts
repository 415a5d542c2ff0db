import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { ACCESS_TOKEN_TTL_S } from '../plugins/auth.js';
import { ROLES, type UserRepository } from '../users.js';

const UserBody = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  teamId: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.String(),
  reviewPostId: Type.Union([Type.String(), Type.Null()], { description: "a reviewer's legal review post" }),
});

const routes: FastifyPluginAsyncTypebox<{ users: UserRepository }> = async (app, { users }) => {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with username and password; returns a bearer token',
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: {
          200: Type.Object({ accessToken: Type.String(), tokenType: Type.Literal('Bearer'), expiresIn: Type.Integer(), user: UserBody }),
          401: { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const user = await users.authenticate(req.body.username, req.body.password);
      if (!user) throw new AppError(401, 'BAD_CREDENTIALS', 'wrong username or password');
      return { accessToken: app.issueToken(user), tokenType: 'Bearer' as const, expiresIn: ACCESS_TOKEN_TTL_S, user };
    },
  );

  app.get(
    '/api/v1/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: { 200: Type.Object({ id: Type.String(), username: Type.String(), role: Type.String(), teamId: Type.Union([Type.String(), Type.Null()]) }), 401: { $ref: 'Error#' } },
      },
    },
    async (req) => ({ id: req.user.sub, username: req.user.username, role: req.user.role, teamId: req.user.teamId }),
  );
};
export default routes;
