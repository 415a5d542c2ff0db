import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UuidParams } from '../../contract/http/common.js';
import {
  BenchmarkBody, BoundsBody, CatalogueChange, CatalogueChangeList, CatalogueChangeQuery, CertificateBody, CertificateHistory, MatterBody, MatterCodeParams, MatterDetail, MatterList,
  OnQuery, PostParams, PresenceBody, PresenceConfirmed, PresenceRequestList, ReviewersBody, ReviewPostBody, UserIdParams,
  type CatalogueChange as Change, type Matter,
} from '../../contract/http/legal.js';
import type { Rejection } from '../domain/case-lifecycle.js';
import { AppError } from '../errors.js';
import type { LiveBus } from '../live.js';
import { actorOf } from './cases.js';
import type { LegalRepository } from '../legal/repository.js';

/**
 * The legal catalogue's API (matters, statutory bounds, benchmarks, certificates, review posts; reads
 * for everyone signed in, writes for admins, every write on the change log) and the second officer's
 * presence confirmation (parties: routes/parties.ts).
 */

const E = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));

const done = (r: { ok: true; change: Change } | Rejection): Change => {
  if (!r.ok) throw new AppError(r.status, r.code, r.message);
  return r.change;
};

const routes: FastifyPluginAsyncTypebox<{ legal: LegalRepository; bus: LiveBus }> = async (app, { legal, bus }) => {
  const admin = legal.catalogue;
  const inForce = async (m: Matter, on: string) => ({
    ...m,
    on,
    statutoryBounds: await legal.boundsInForce(m.code, on),
    benchmark: await legal.benchmarkInForce(m.code, on),
  });

  app.get('/api/v1/catalogue/matters', {
    preHandler: app.authenticate,
    schema: {
      tags: ['catalogue'], summary: 'Matters with their statutory bounds and discretion benchmark in force on a date', security: [{ bearer: [] }],
      querystring: OnQuery,
      response: { 200: MatterList, ...E(401) },
    },
  }, async (req) => {
    const on = req.query.on ?? legal.today();
    return Promise.all((await admin.matters()).map((m) => inForce(m, on)));
  });

  app.get('/api/v1/catalogue/matters/:code', {
    preHandler: app.authenticate,
    schema: {
      tags: ['catalogue'], summary: 'One matter: bounds and benchmark in force on a date, and every version of both', security: [{ bearer: [] }],
      params: MatterCodeParams, querystring: OnQuery,
      response: { 200: MatterDetail, ...E(401, 404) },
    },
  }, async (req) => {
    const m = await admin.matter(req.params.code);
    if (!m) throw new AppError(404, 'MATTER_NOT_FOUND', `no matter ${req.params.code}`);
    return { ...(await inForce(m, req.query.on ?? legal.today())), ...(await legal.versions(req.params.code)) };
  });

  const write = { preHandler: app.requireRole('admin') };
  const writeResponse = { 200: CatalogueChange, ...E(400, 401, 403, 404, 409, 422) };

  app.put('/api/v1/catalogue/matters/:code', {
    ...write,
    schema: { tags: ['catalogue'], summary: 'Create or change a matter (admin; recorded)', security: [{ bearer: [] }], params: MatterCodeParams, body: MatterBody, response: writeResponse },
  }, async (req) => done(await admin.putMatter(req.params.code, req.body, req.user.sub)));

  app.put('/api/v1/catalogue/matters/:code/bounds', {
    ...write,
    schema: {
      tags: ['catalogue'], summary: "A version of the law's penalties for the matter, per kind of party, from a date (admin; recorded)",
      description: 'Refused (BENCHMARK_OUTSIDE_BOUNDS) when the benchmark in force from that date would no longer lie inside the law.',
      security: [{ bearer: [] }], params: MatterCodeParams, body: BoundsBody, response: writeResponse,
    },
  }, async (req) => done(await admin.putBounds(req.params.code, req.body, req.user.sub)));

  app.put('/api/v1/catalogue/matters/:code/benchmark', {
    ...write,
    schema: {
      tags: ['catalogue'], summary: 'A version of the discretion benchmark from a date (admin; recorded)',
      description: 'Every tier must lie inside the statutory bounds in force from that date (TIER_OUTSIDE_BOUNDS); the no-penalty tier carries no fine.',
      security: [{ bearer: [] }], params: MatterCodeParams, body: BenchmarkBody, response: writeResponse,
    },
  }, async (req) => done(await admin.putBenchmark(req.params.code, req.body, req.user.sub)));

  app.put('/api/v1/catalogue/officers/:userId/certificate', {
    ...write,
    schema: {
      tags: ['catalogue'], summary: "A version of an officer's enforcement certificate from a date (admin; recorded)",
      description: 'Appended to the history: a renewal, a new number or other domains apply from validFrom on; acts before it are judged by the version then in force. A version with the same validFrom as an earlier one replaces it.',
      security: [{ bearer: [] }], params: UserIdParams, body: CertificateBody, response: writeResponse,
    },
  }, async (req) => done(await admin.putCertificate(req.params.userId, req.body, req.user.sub)));

  app.get('/api/v1/catalogue/officers/:userId/certificates', {
    preHandler: app.authenticate,
    schema: {
      tags: ['catalogue'], summary: "An officer's enforcement certificate in force on a date (today when omitted) and every version recorded", security: [{ bearer: [] }],
      params: UserIdParams, querystring: OnQuery, response: { 200: CertificateHistory, ...E(401) },
    },
  }, async (req) => {
    const on = req.query.on ?? legal.today();
    return { on, ...(await admin.certificates(req.params.userId, on)) };
  });

  app.put('/api/v1/catalogue/review-posts/:id', {
    ...write,
    schema: { tags: ['catalogue'], summary: 'Create or change a legal review post (admin; recorded)', security: [{ bearer: [] }], params: PostParams, body: ReviewPostBody, response: writeResponse },
  }, async (req) => done(await admin.putReviewPost(req.params.id, req.body, req.user.sub)));

  app.put('/api/v1/catalogue/review-posts/:id/reviewers', {
    ...write,
    schema: {
      tags: ['catalogue'], summary: 'The reviewers who sit at a review post (admin; recorded; applies at their next token renewal)',
      security: [{ bearer: [] }], params: PostParams, body: ReviewersBody, response: writeResponse,
    },
  }, async (req) => done(await admin.putReviewers(req.params.id, req.body, req.user.sub)));

  app.get('/api/v1/catalogue/changes', {
    preHandler: app.requireRole('admin', 'operator', 'reviewer', 'agency_head'),
    schema: {
      tags: ['catalogue'], summary: 'The change log of the catalogue, newest first', security: [{ bearer: [] }],
      querystring: CatalogueChangeQuery,
      response: { 200: CatalogueChangeList, ...E(401, 403) },
    },
  }, async (req) => admin.changes(req.query));

  app.get('/api/v1/presence-requests', {
    preHandler: app.requireRole('officer', 'team_lead'),
    schema: {
      tags: ['cases'],
      summary: 'Cases whose arriving officer named you as the second officer, awaiting your confirmation (also of another team)',
      security: [{ bearer: [] }],
      response: { 200: PresenceRequestList, ...E(401, 403) },
    },
  }, async (req) => legal.presenceRequests(req.user.sub));

  app.post('/api/v1/cases/:id/presence', {
    preHandler: app.authenticate,
    schema: {
      tags: ['cases'],
      summary: 'The second officer named on arrival confirms presence from their own session, with position',
      description: 'Within PRESENCE_CONFIRM_MIN of the arrival and PRESENCE_MAX_DISTANCE_M of its position; until then the case does not count as two officers on site.',
      security: [{ bearer: [] }],
      params: UuidParams,
      body: PresenceBody,
      response: {
        200: PresenceConfirmed,
        201: PresenceConfirmed,
        ...E(400, 401, 403, 404, 409, 422),
      },
    },
  }, async (req, reply) => {
    const r = await legal.confirmPresence(req.params.id, actorOf(req.user), req.body.location);
    if (!r.ok) throw new AppError(r.status, r.code, r.message);
    if (r.created) bus.notify();
    return reply.status(r.created ? 201 : 200).send({ confirmedAt: r.confirmedAt, distanceM: r.distanceM });
  });
};
export default routes;
