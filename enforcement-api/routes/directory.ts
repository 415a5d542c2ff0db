import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalisePartyId } from '../legal/party-ids.js';
import { ClientConfig, ColleagueList, Overview, PartyCaseList, PartyCasesParams } from '../../contract/http/directory.js';
import type { DirectoryQueries } from '../directory.js';

/** What the screens look up around their work: colleagues, reviewers, a party's history, the operations overview. */
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
    '/api/v1/parties/:id/cases',
    {
      preHandler: app.requireRole('officer', 'team_lead', 'reviewer', 'admin'),
      schema: {
        tags: ['cases'],
        summary: 'Earlier cases of a party (by its ID card number or unified social credit code), across teams: first-violation checks and the party history of a case file',
        security: [{ bearer: [] }],
        params: PartyCasesParams,
        response: {
          200: PartyCaseList,
          400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' },
        },
      },
    },
    // The same normalised form the legal rules store (upper case, no spaces), whatever was typed.
    async (req) => directory.partyCases(normalisePartyId(req.params.id)),
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
