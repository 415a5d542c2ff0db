import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';
import { AlertList, AlertQuery, AlertRecord as Alert, ModelParams, ModelVersionList, RolloutBody, RolloutResult, ShadowComparisonList, VerdictBody } from '../../contract/http/alerts.js';
import { IdParams } from '../../contract/http/common.js';
import type { Rollout } from '../../contract/mqtt/control.js';
import type { AlertRepository } from '../alerts.js';
import type { ModelRepository } from '../models.js';


export interface ModelControl {
  /** Publishes the retained rollout for a model name (the inference workers follow it). */
  setRollout(name: string, rollout: Rollout): Promise<void>;
}

const routes: FastifyPluginAsyncTypebox<{ alerts: AlertRepository; models: ModelRepository; control: ModelControl }> = async (app, { alerts, models, control }) => {
  app.get(
    '/api/v1/alerts',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first, with their evidence, case, verdict and device commands',
        description: 'Page with `before` = the last `detectedAt` seen.',
        security: [{ bearer: [] }],
        querystring: AlertQuery,
        response: { 200: AlertList, 401: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const q = req.query;
      return alerts.list({ ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined }, req.user);
    },
  );

  app.get(
    '/api/v1/alerts/:id',
    {
      preHandler: app.authenticate,
      schema: { tags: ['alerts'], security: [{ bearer: [] }], params: IdParams, response: { 200: Alert, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } },
    },
    async (req) => {
      const a = await alerts.get(req.params.id, req.user);
      if (!a) throw new AppError(404, 'ALERT_NOT_FOUND', `no alert ${req.params.id}`);
      return a;
    },
  );

  app.post(
    '/api/v1/alerts/:id/verdict',
    {
      preHandler: app.requireRole('officer', 'team_lead', 'reviewer', 'admin'),
      schema: {
        tags: ['alerts'],
        summary: 'Confirm an alert or mark it a false alarm (with a reason): the labels of the next training',
        security: [{ bearer: [] }],
        params: IdParams,
        body: VerdictBody,
        response: { 200: Alert, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      if (req.body.verdict === 'false_alarm' && !req.body.reason) throw new AppError(400, 'REASON_REQUIRED', 'a false alarm needs a reason');
      if (!(await alerts.get(req.params.id, req.user))) throw new AppError(404, 'ALERT_NOT_FOUND', `no alert ${req.params.id}`);
      await alerts.setVerdict(req.params.id, req.body.verdict, req.body.reason ?? null, { username: req.user.username, userId: req.user.sub, role: req.user.role });
      return (await alerts.get(req.params.id, req.user))!;
    },
  );

  app.get(
    '/api/v1/models',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['models'],
        summary: 'Registered model versions with their cards and the officers’ precision per version',
        security: [{ bearer: [] }],
        response: {
          200: ModelVersionList,
          401: { $ref: 'Error#' },
        },
      },
    },
    async () => {
      const verdicts = await alerts.verdictsByModel();
      return (await models.list())
        .map((m) => {
          const v = verdicts.get(`${m.name}@${m.version}`) ?? { confirmed: 0, falseAlarms: 0 };
          const n = v.confirmed + v.falseAlarms;
          return { name: m.name, version: m.version, card: m.card, verdicts: { ...v, precision: n ? v.confirmed / n : null } };
        });
    },
  );

  app.get(
    '/api/v1/models/:name/shadow',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['models'],
        summary: 'Each shadow version against the active one over the time it ran: agreement, and the officers’ precision of each',
        security: [{ bearer: [] }],
        params: ModelParams,
        response: { 200: ShadowComparisonList, 401: { $ref: 'Error#' } },
      },
    },
    async (req) => alerts.shadowComparison(req.params.name),
  );

  app.put(
    '/api/v1/models/:name/rollout',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['models'],
        summary: 'Hot-swap the alerting version of a model and choose a version to run in shadow (scored, recorded, never alerting)',
        security: [{ bearer: [] }],
        params: ModelParams,
        body: RolloutBody,
        response: { 200: RolloutResult, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const versions = await models.versions(req.params.name);
      for (const v of [req.body.active, req.body.shadow]) {
        if (v !== null && !versions.includes(v)) throw new AppError(400, 'MODEL_VERSION_NOT_FOUND', `no ${req.params.name}@${v} (have ${versions.join(', ') || 'none'})`);
      }
      await control.setRollout(req.params.name, { active: req.body.active, shadow: req.body.shadow });
      return { name: req.params.name, active: req.body.active, shadow: req.body.shadow };
    },
  );
};
export default routes;
