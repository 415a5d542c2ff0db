import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';
import { FigureFilter, Figures, type FigureQueries } from '../figures.js';

const routes: FastifyPluginAsyncTypebox<{ figures: FigureQueries }> = async (app, { figures }) => {
  app.get(
    '/api/v1/figures',
    {
      preHandler: app.requireRole('team_lead', 'operator', 'admin'),
      schema: {
        tags: ['cases'],
        summary: 'How the bureau performs: discovery-to-disposal time, on-time closure, discretion consistency, open cases',
        description:
          'Team leads get their own team only (another `teamId` is 403 FORBIDDEN); operators and admins every team. ' +
          '`from`/`to` select cases by report time. Times in seconds; medians and the 90th percentile are continuous (percentile_cont).',
        security: [{ bearer: [] }],
        querystring: FigureFilter,
        response: { 200: Figures, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const filter = { ...req.query };
      if (filter.from && filter.to && Date.parse(filter.from) > Date.parse(filter.to)) throw new AppError(400, 'VALIDATION', 'from: after to');
      if (req.user.role === 'team_lead') {
        if (filter.teamId !== undefined && filter.teamId !== req.user.teamId) throw new AppError(403, 'FORBIDDEN', "a team lead sees their own team's figures only");
        if (!req.user.teamId) throw new AppError(403, 'FORBIDDEN', 'a team lead without a team has no figures');
        filter.teamId = req.user.teamId;
      }
      return figures.figures(filter);
    },
  );
};
export default routes;
