import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { ALERT_KINDS } from '../../core/schemas/alert.js';
import type { AlertRepository } from '../alerts.js';
import { compareVersions, listModels, type Rollout } from '../../inference/model-store.js';

const Alert = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String({ format: 'date-time' }),
  detectedAt: Type.String({ format: 'date-time' }),
  modelVersion: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Union([Type.String(), Type.Null()]),
  evidence: Type.Unknown(),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  verdict: Type.Union([Type.String(), Type.Null()]),
  verdictReason: Type.Union([Type.String(), Type.Null()]),
  commands: Type.Array(Type.Unknown()),
});

export interface ModelControl {
  dirs: readonly string[];
  /** Publishes the retained rollout for a model name (the inference workers follow it). */
  setRollout(name: string, rollout: Rollout): Promise<void>;
}

const routes: FastifyPluginAsyncTypebox<{ alerts: AlertRepository; models: ModelControl }> = async (app, { alerts, models }) => {
  app.get(
    '/api/v1/alerts',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first, with their evidence, case, verdict and device commands',
        description: 'Page with `before` = the last `detectedAt` seen.',
        security: [{ bearer: [] }],
        querystring: Type.Object({
          kind: Type.Optional(Type.Union(ALERT_KINDS.map((k) => Type.Literal(k)))),
          zoneId: Type.Optional(Type.String({ maxLength: 64 })),
          deviceId: Type.Optional(Type.String({ maxLength: 64 })),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          before: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Array(Alert), 401: { $ref: 'Error#' } },
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
      schema: { tags: ['alerts'], security: [{ bearer: [] }], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: Alert, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } },
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
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ verdict: Type.Union([Type.Literal('confirmed'), Type.Literal('false_alarm')]), reason: Type.Optional(Type.String({ minLength: 3, maxLength: 1000 })) }),
        response: { 200: Alert, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      if (req.body.verdict === 'false_alarm' && !req.body.reason) throw new AppError(400, 'REASON_REQUIRED', 'a false alarm needs a reason');
      if (!(await alerts.get(req.params.id, req.user))) throw new AppError(404, 'ALERT_NOT_FOUND', `no alert ${req.params.id}`);
      await alerts.setVerdict(req.params.id, req.body.verdict, req.body.reason ?? null, req.user.username);
      return (await alerts.get(req.params.id, req.user))!;
    },
  );

  app.get(
    '/api/v1/models',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['models'],
        summary: 'Model versions on disk with their cards and the officers’ precision per version',
        security: [{ bearer: [] }],
        response: {
          200: Type.Array(Type.Object({
            name: Type.String(),
            version: Type.String(),
            card: Type.Unknown(),
            verdicts: Type.Object({ confirmed: Type.Integer(), falseAlarms: Type.Integer(), precision: Type.Union([Type.Number(), Type.Null()]) }),
          })),
          401: { $ref: 'Error#' },
        },
      },
    },
    async () => {
      const verdicts = await alerts.verdictsByModel();
      return (await listModels(models.dirs))
        .sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version))
        .map((m) => {
          const v = verdicts.get(`${m.name}@${m.version}`) ?? { confirmed: 0, falseAlarms: 0 };
          const n = v.confirmed + v.falseAlarms;
          return { name: m.name, version: m.version, card: m.card, verdicts: { ...v, precision: n ? v.confirmed / n : null } };
        });
    },
  );

  app.put(
    '/api/v1/models/:name/rollout',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['models'],
        summary: 'Hot-swap the alerting version of a model and choose a version to run in shadow (scored, recorded, never alerting)',
        security: [{ bearer: [] }],
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ active: Type.String({ maxLength: 32 }), shadow: Type.Union([Type.Null(), Type.String({ maxLength: 32 })], { default: null }) }),
        response: { 200: Type.Object({ name: Type.String(), active: Type.String(), shadow: Type.Union([Type.String(), Type.Null()]) }), 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const versions = (await listModels(models.dirs)).filter((m) => m.name === req.params.name).map((m) => m.version);
      for (const v of [req.body.active, req.body.shadow]) {
        if (v !== null && !versions.includes(v)) throw new AppError(400, 'MODEL_VERSION_NOT_FOUND', `no ${req.params.name}@${v} (have ${versions.join(', ') || 'none'})`);
      }
      await models.setRollout(req.params.name, { active: req.body.active, shadow: req.body.shadow });
      return { name: req.params.name, active: req.body.active, shadow: req.body.shadow };
    },
  );
};
export default routes;
