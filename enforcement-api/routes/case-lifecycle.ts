import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Audit, TransitionResult, transitionBody } from '../../contract/http/cases.js';
import { UuidParams } from '../../contract/http/common.js';
import { LIFECYCLE } from '../domain/case-lifecycle.js';
import { AppError } from '../errors.js';
import type { CaseRepository } from '../cases/repository.js';
import type { LiveBus } from '../live.js';
import { actorOf } from './cases.js';

// One branch per event, tagged by `event`: validation checks the branch the tag names (ajv
// `discriminator`), and OpenAPI shows every event with its own fields.
const TransitionBody = transitionBody((e) => `${LIFECYCLE[e].from.join(' | ')} → ${LIFECYCLE[e].to}; roles: ${LIFECYCLE[e].roles.join(', ')}`);

const Errors = { 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 422: { $ref: 'Error#' } } as const;

const routes: FastifyPluginAsyncTypebox<{ cases: CaseRepository; bus: LiveBus }> = async (app, { cases, bus }) => {
  app.post(
    '/api/v1/cases/:id/transitions',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Move a case through its lifecycle (accept, arrive, propose a decision, review, close, dismiss, …)',
        description:
          'Checked on the server in this order: role (403 FORBIDDEN), jurisdiction — another team’s case is ' +
          'indistinguishable from a missing one (404 CASE_NOT_FOUND), current state (409 INVALID_TRANSITION), ' +
          'fields (400 VALIDATION). The state change and its case event are written in one transaction; of ' +
          'two concurrent transitions on one case exactly one wins. The change is pushed on /api/v1/stream.',
        security: [{ bearer: [] }],
        params: UuidParams,
        body: TransitionBody,
        response: { 200: TransitionResult, ...Errors },
      },
    },
    async (req) => {
      const { event, ...fields } = req.body;
      const result = await cases.transition(req.params.id, actorOf(req.user), { event, fields });
      if (!result.ok) {
        throw new AppError(result.status, result.code, result.code === 'CASE_NOT_FOUND' ? `no case ${req.params.id}` : result.message);
      }
      // The transaction wrote the live event (outbox); this process's streams get it at once.
      bus.notify();
      req.log.info({ case: result.case.id, event, from: result.from, to: result.to, user: req.user.sub }, 'case transition');
      return { from: result.from, to: result.to, case: result.case, event: result.event };
    },
  );

  app.get(
    '/api/v1/cases/:id/audit',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: "A case's hash-chained events and whether the chain is intact",
        description: 'Every event with the hash of its predecessor and its own; `verification` recomputes the chain and reports edited, deleted, reordered or inserted events.',
        security: [{ bearer: [] }],
        params: UuidParams,
        response: { 200: Audit, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const row = await cases.get(req.params.id, req.user);
      const audit = row ? await cases.audit(row.id) : null;
      if (!audit) throw new AppError(404, 'CASE_NOT_FOUND', `no case ${req.params.id}`);
      return audit;
    },
  );
};
export default routes;
