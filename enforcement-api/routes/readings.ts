import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';
import { ReadingsPage, ReadingsQuery, TimeRangeQuery, ZoneNoiseHourly } from '../../contract/http/readings.js';
import { IdParams } from '../../contract/http/common.js';
import { BadCursorError, bucketsOf, type ReadingQueries } from '../readings.js';

const HOUR = 3600_000;

function range(q: { from?: string; to?: string }, defaultSpanMs: number): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - defaultSpanMs);
  if (Number.isNaN(to.getTime()) || Number.isNaN(from.getTime())) throw new AppError(400, 'BAD_TIME', 'from and to must be ISO-8601 date-times');
  if (from >= to) throw new AppError(400, 'BAD_RANGE', '`from` must be before `to`');
  return { from, to };
}

const routes: FastifyPluginAsyncTypebox<{ readings: ReadingQueries }> = async (app, { readings }) => {
  app.get(
    '/api/v1/devices/:id/readings',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['readings'],
        summary: 'A device’s readings: raw, or per-minute / per-hour (noise) and per-5-minute (people) aggregates',
        description: 'Ordered by time; pass `nextCursor` back as `cursor` for the next page. Default range: the last hour.',
        security: [{ bearer: [] }],
        params: IdParams,
        querystring: ReadingsQuery,
        response: {
          200: ReadingsPage,
          400: { $ref: 'Error#' },
          401: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const { stream, bucket, limit, cursor } = req.query;
      if (!bucketsOf(stream).includes(bucket)) {
        throw new AppError(400, 'BUCKET_NOT_AVAILABLE', `${stream} offers ${bucketsOf(stream).join(', ')}`);
      }
      if (!(await readings.canRead(req.params.id, req.user))) throw new AppError(404, 'DEVICE_NOT_FOUND', `no device ${req.params.id}`);
      const { from, to } = range(req.query, HOUR);
      try {
        const page = await readings.page(req.params.id, stream, bucket, from, to, limit, cursor);
        return { deviceId: req.params.id, stream, bucket, from: from.toISOString(), to: to.toISOString(), ...page };
      } catch (err) {
        if (err instanceof BadCursorError) throw new AppError(400, 'BAD_CURSOR', err.message);
        throw err;
      }
    },
  );

  app.get(
    '/api/v1/zones/:id/noise/hourly',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['readings'],
        summary: 'Hourly energetic LAeq of a zone with the day/night period and limit of its local time',
        security: [{ bearer: [] }],
        params: IdParams,
        querystring: TimeRangeQuery,
        response: {
          200: ZoneNoiseHourly,
          400: { $ref: 'Error#' },
          401: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      // Another team's zone is answered as unknown, as another team's device or case is.
      if (!(await readings.canReadZone(req.params.id, req.user))) throw new AppError(404, 'ZONE_NOT_FOUND', `no zone ${req.params.id}`);
      const { from, to } = range(req.query, 24 * HOUR);
      return readings.zoneNoiseHourly(req.params.id, from, to);
    },
  );
};
export default routes;
