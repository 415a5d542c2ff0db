import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import type { CaseRepository, CaseScope } from '../cases/repository.js';
import type { LiveBus, LiveEvent } from '../live.js';
import type { TokenClaims } from '../plugins/auth.js';

const Case = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  incidentId: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  zoneName: Type.String(),
  matterCode: Type.Union([Type.String(), Type.Null()]),
  teamId: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  title: Type.String(),
  slaDueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  alertCount: Type.Integer(),
});

const CaseDetail = Type.Intersect([
  Case,
  Type.Object({
    alerts: Type.Array(Type.Unknown()),
    events: Type.Array(Type.Object({ seq: Type.Integer(), at: Type.String({ format: 'date-time' }), actor: Type.String(), type: Type.String(), data: Type.Unknown(), hash: Type.String() })),
  }),
]);

/** Admins and operators see everything, including the fallback queue; reviewers get their queue in a later stage. */
export function scopeOf(user: TokenClaims): CaseScope {
  switch (user.role) {
    case 'admin':
    case 'operator':
      return { all: true };
    case 'officer':
    case 'team_lead':
      return { all: false, teamId: user.teamId };
    case 'reviewer':
      return { all: false, teamId: null };
    default: {
      const never: never = user.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

function visible(scope: CaseScope, event: LiveEvent): boolean {
  return scope.all || (scope.teamId !== null && event.teamId === scope.teamId);
}

const routes: FastifyPluginAsyncTypebox<{ cases: CaseRepository; bus: LiveBus }> = async (app, { cases, bus }) => {
  // Open streams end before the server closes, or they would hold the shutdown open.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });

  app.get(
    '/api/v1/cases',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: "Cases the caller may see: their team's, or all for admins and operators",
        security: [{ bearer: [] }],
        querystring: Type.Object({
          state: Type.Optional(Type.String({ maxLength: 32 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: { 200: Type.Array(Case), 401: { $ref: 'Error#' } },
      },
    },
    async (req) => cases.list(scopeOf(req.user), req.query),
  );

  app.get(
    '/api/v1/cases/:id',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: CaseDetail, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const row = await cases.get(req.params.id, scopeOf(req.user));
      if (!row) throw new AppError(404, 'CASE_NOT_FOUND', `no case ${req.params.id}`);
      return { ...row, alerts: await cases.alertsOf(row.id), events: await cases.events(row.id) };
    },
  );

  app.get(
    '/api/v1/stream',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Server-sent events: case.opened / case.updated for the cases the caller may see',
        description: 'EventSource cannot send headers: pass the token as `?access_token=`.',
        security: [{ bearer: [] }],
        querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
      },
    },
    async (req: FastifyRequest, reply) => {
      const scope = scopeOf(req.user);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n: connected as ${req.user.username}\n\n`);
      const unsubscribe = bus.subscribe((id, event) => {
        if (visible(scope, event)) res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      const end = () => {
        clearInterval(ping);
        unsubscribe();
        streams.delete(end);
        res.end();
      };
      streams.add(end);
      req.raw.on('close', end);
    },
  );
};
export default routes;
