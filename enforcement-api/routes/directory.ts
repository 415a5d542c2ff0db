import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientConfig, ColleagueList, Overview } from '../../contract/http/directory.js';
import type { DirectoryQueries } from '../directory.js';

/** What the screens look up around their work: colleagues, reviewers, the operations overview (a party's history: routes/parties.ts). */
const routes: FastifyPluginAsyncTypebox<{ directory: DirectoryQueries; grafanaUrl: string }> = async (app, { directory, grafanaUrl }) => {
  app.get(
    '/api/v1/client-config',
    {
      schema: {
        tags: ['ops'],
        summary: 'Settings the web client needs (no secrets): the Grafana base URL',
        response: { 200: ClientConfig },
      },
    },
    async () => ({ grafanaUrl }),
  );

  app.get(
    '/api/v1/team/members',
    {
      preHandler: app.requireRole('officer', 'team_lead'),
      schema: {
        tags: ['registry'],
        summary: "The caller's team with each member's enforcement certificate (the second officer on site is one of them)",
        security: [{ bearer: [] }],
        response: { 200: ColleagueList, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async (req) => (req.user.teamId ? directory.colleagues(req.user.teamId) : []),
  );

  app.get(
    '/api/v1/review-post/members',
    {
      preHandler: app.requireRole('reviewer'),
      schema: {
        tags: ['registry'],
        summary: "The reviewers of the caller's legal review post (whom the centre may consult)",
        security: [{ bearer: [] }],
        response: { 200: ColleagueList, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async (req) => (req.user.reviewPostId ? directory.reviewers(req.user.reviewPostId) : []),
  );

  app.get(
    '/api/v1/ops/overview',
    {
      preHandler: app.requireRole('operator', 'admin'),
      schema: {
        tags: ['ops'],
        summary: 'Operations overview: devices online/offline, readings and alerts per hour (24 h), open cases by state, SLA breaches, fallback queue',
        security: [{ bearer: [] }],
        response: { 200: Overview, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async () => directory.overview(),
  );
};
export default routes;
