import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Liveness, Readiness as ReadinessBody } from '../../contract/http/health.js';
import type { Metrics } from '../../core/metrics.js';
import { sameSecret } from '../../core/secrets.js';

export type Readiness = () => Promise<Record<string, boolean>>;

const routes: FastifyPluginAsyncTypebox<{ readiness: Readiness; metrics: Metrics; metricsToken?: string }> = async (app, { readiness, metrics, metricsToken }) => {
  // Metrics name devices, queues and failures: a scraper presents METRICS_TOKEN, people an admin's or
  // an operator's access token; nobody else reads them.
  const mayReadMetrics = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (metricsToken && header?.startsWith('Bearer ') && sameSecret(header.slice(7), metricsToken)) return;
    await app.requireRole('admin', 'operator').call(app, req, reply);
  };
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

  app.get('/metrics', { preHandler: mayReadMetrics, schema: { tags: ['ops'], summary: 'Prometheus metrics: `Bearer METRICS_TOKEN`, or an admin’s or operator’s access token', security: [{ bearer: [] }], hide: false } }, async (_req, reply) => {
    const body = await metrics.text();
    return reply.type(metrics.contentType).send(body);
  });
};
export default routes;
