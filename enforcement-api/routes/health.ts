import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Liveness, Readiness as ReadinessBody } from '../../contract/http/health.js';
import type { Metrics } from '../../core/metrics.js';

export type Readiness = () => Promise<Record<string, boolean>>;

const routes: FastifyPluginAsyncTypebox<{ readiness: Readiness; metrics: Metrics }> = async (app, { readiness, metrics }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['ops'], summary: 'Liveness: the process answers', response: { 200: Liveness } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: broker, database and models',
        response: {
          200: ReadinessBody,
          503: ReadinessBody,
        },
      },
    },
    async (_req, reply) => {
      const checks = await readiness();
      const ready = Object.values(checks).every(Boolean);
      return reply.status(ready ? 200 : 503).send({ ready, checks });
    },
  );

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
export default routes;
