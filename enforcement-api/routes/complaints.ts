import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AssignBody, CaseComplaints, ComplaintDetail, ComplaintIdParams, ComplaintList, ComplaintListQuery, ContactView, DeclineBody, NewComplaint, PhotoParams,
  PublicStatus, Receipt, ReplyBody, StatusQuery, Complaint,
} from '../../contract/http/complaints.js';
import { UuidParams } from '../../contract/http/common.js';
import type { Metrics } from '../../core/metrics.js';
import { AppError } from '../errors.js';
import type { CaseRepository } from '../cases/repository.js';
import type { ComplaintService, NewComplaintInput, Outcome } from '../complaints/service.js';
import { decodePhoto, locationProblem, occurredAtProblem, WindowLimiter } from '../complaints/domain.js';

export interface ComplaintRouteOptions {
  complaints: ComplaintService;
  cases: CaseRepository;
  metrics: Metrics;
  /** COMPLAINT_PUBLIC_PER_HOUR, COMPLAINT_LOOKUP_PER_HOUR, COMPLAINT_PHOTO_MAX_BYTES */
  publicPerHour: number;
  lookupPerHour: number;
  photoMaxBytes: number;
}

/** The public endpoints' limits, shared with Open311 (one budget per client address). */
export interface PublicLimits {
  filing: WindowLimiter;
  lookup: WindowLimiter;
  refused: ReturnType<Metrics['counter']>;
}

export function publicLimits(metrics: Metrics, publicPerHour: number, lookupPerHour: number): PublicLimits {
  return {
    filing: new WindowLimiter(publicPerHour, 3_600_000),
    lookup: new WindowLimiter(lookupPerHour, 3_600_000),
    refused: metrics.counter('complaints_public_refused_total', 'public complaint filings and status lookups refused, by stable error code', ['code']),
  };
}

/** Counts refusals of the public routes under their stable code (body too large and schema errors included). */
export function countRefusals(app: FastifyInstance, limits: PublicLimits): void {
  app.addHook('onError', async (_req, _reply, err) => {
    const e = err as { code?: string; validation?: unknown; statusCode?: number };
    const code = err instanceof AppError ? err.code : e.validation ? 'VALIDATION' : e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : (e.statusCode ?? 500) < 500 ? 'BAD_REQUEST' : 'INTERNAL';
    limits.refused.inc({ code });
  });
}

/** preValidation: a point that is not two numbers in range is refused as 400 LOCATION_INVALID. */
export async function refuseBadLocation(req: FastifyRequest): Promise<void> {
  const body = req.body as { location?: unknown } | null | undefined;
  const problem = body && typeof body === 'object' ? locationProblem(body.location) : undefined;
  if (problem) throw new AppError(400, 'LOCATION_INVALID', problem);
}

/** Counts the request against the client address's budget; over it: 429 RATE_LIMITED with Retry-After. */
export function takeOrRefuse(limiter: WindowLimiter, req: FastifyRequest, reply: FastifyReply, what: string): void {
  if (limiter.take(req.ip)) return;
  const after = limiter.retryAfterS(req.ip);
  void reply.header('retry-after', String(after));
  throw new AppError(429, 'RATE_LIMITED', `too many ${what} from this address: try again in ${after} s`);
}

/** Builds the repository's input from a validated body; throws the stable refusals. */
export async function complaintInput(body: NewComplaint, channel: NewComplaintInput['channel'], filedBy: string | null, complaints: ComplaintService, photoMaxBytes: number): Promise<NewComplaintInput> {
  const now = new Date();
  const occurredAt = body.occurredAt ? new Date(body.occurredAt) : now;
  const problem = occurredAtProblem(occurredAt, now);
  if (problem) throw new AppError(400, 'VALIDATION', problem);
  if (!body.zoneId && !body.location) throw new AppError(400, 'LOCATION_REQUIRED', 'give a point (location) or a zone picked on the map (zoneId)');
  if (body.zoneId && !(await complaints.zoneExists(body.zoneId))) throw new AppError(400, 'UNKNOWN_ZONE', `no zone ${body.zoneId}`);
  const photos = (body.photos ?? []).map((p, i) => {
    const d = decodePhoto(p, photoMaxBytes);
    if ('code' in d) throw new AppError(d.status, d.code, `photos/${i}: ${d.message}`);
    return { contentType: p.contentType, bytes: d.bytes };
  });
  return {
    channel, category: body.category, description: body.description.trim(), ...(body.zoneId ? { zoneId: body.zoneId } : {}),
    ...(body.location ? { location: body.location } : {}), ...(body.address ? { address: body.address } : {}),
    occurredAt, photos, ...(body.contact ? { contact: body.contact } : {}), filedBy,
  };
}

const unwrap = <T>(o: Outcome<T>): T => {
  if (!o.ok) throw new AppError(o.status, o.code, o.message);
  return o.value;
};

const E = { $ref: 'Error#' } as const;

const routes: FastifyPluginAsyncTypebox<ComplaintRouteOptions & { limits: PublicLimits }> = async (app, { complaints, cases, photoMaxBytes, limits }) => {
  // Up to 5 photos of photoMaxBytes, base64 (4/3), plus the text.
  const bodyLimit = Math.ceil(photoMaxBytes * 5 * 1.34) + 64 * 1024;
  const viewer = (req: FastifyRequest) => ({ id: req.user.sub, role: req.user.role, teamId: req.user.teamId });

  app.post('/api/v1/complaints', {
    preHandler: app.requireRole('hotline', 'operator', 'admin'),
    preValidation: refuseBadLocation,
    bodyLimit,
    schema: {
      tags: ['complaints'], summary: 'File a complaint taken by the hotline (12345)', security: [{ bearer: [] }],
      description: 'The complaint becomes an alert of its category\'s kind: routed to a matter and team like any alert and fused with a sensor incident of the same kind, zone and time window into one case; no zone, no matter or no team puts it in the coordination queue. The check code is shown once.',
      body: NewComplaint, response: { 201: Receipt, 400: E, 401: E, 403: E, 413: E },
    },
  }, async (req, reply) => {
    const input = await complaintInput(req.body, 'hotline', req.user.sub, complaints, photoMaxBytes);
    const { complaint, checkCode } = await complaints.create(input);
    void reply.status(201);
    return { complaintId: complaint.id, trackingNumber: complaint.trackingNumber, checkCode, status: complaint.status, replyDueAt: complaint.replyDueAt };
  });

  app.get('/api/v1/complaints', {
    preHandler: app.requireRole('hotline', 'operator', 'admin', 'team_lead', 'officer', 'agency_head'),
    schema: {
      tags: ['complaints'], summary: 'Complaints: every one for the hotline and operations desks, a team\'s own for its officers, those escalated to the agency head for the head; `status=coordination` is the coordination queue',
      security: [{ bearer: [] }], querystring: ComplaintListQuery, response: { 200: ComplaintList, 401: E, 403: E },
    },
  }, async (req) => complaints.list(viewer(req), req.query));

  app.get('/api/v1/complaints/:id', {
    preHandler: app.requireRole('hotline', 'operator', 'admin', 'team_lead', 'officer', 'agency_head'),
    schema: { tags: ['complaints'], summary: 'One complaint with its sensor record and history (no contact: see …/contact)', security: [{ bearer: [] }], params: ComplaintIdParams, response: { 200: ComplaintDetail, 401: E, 403: E, 404: E } },
  }, async (req) => {
    const c = await complaints.detail(req.params.id, viewer(req));
    if (!c) throw new AppError(404, 'COMPLAINT_NOT_FOUND', 'no such complaint');
    return c;
  });

  app.get('/api/v1/complaints/:id/contact', {
    preHandler: app.requireRole('hotline', 'operator', 'admin', 'team_lead', 'officer'),
    schema: { tags: ['complaints'], summary: 'The complainant\'s contact: every read is recorded (who, role, when)', security: [{ bearer: [] }], params: ComplaintIdParams, response: { 200: ContactView, 401: E, 403: E, 404: E } },
  }, async (req, reply) => {
    const c = await complaints.contact(req.params.id, viewer(req));
    if (!c) throw new AppError(404, 'COMPLAINT_NOT_FOUND', 'no such complaint');
    void reply.header('cache-control', 'no-store');
    return { contact: c.contact, viewRecorded: { by: req.user.sub, at: c.at.toISOString() } };
  });

  app.get('/api/v1/complaints/:id/photos/:n', {
    preHandler: app.requireRole('hotline', 'operator', 'admin', 'team_lead', 'officer', 'agency_head'),
    schema: { tags: ['complaints'], summary: 'A photo of the complaint', security: [{ bearer: [] }], params: PhotoParams, response: { 401: E, 403: E, 404: E } },
  }, async (req, reply) => {
    const p = await complaints.photo(req.params.id, req.params.n, viewer(req));
    if (!p) throw new AppError(404, 'PHOTO_NOT_FOUND', 'no such photo');
    void reply.header('content-type', p.contentType).header('cache-control', 'private, no-store');
    return reply.send(p.content);
  });

  app.post('/api/v1/complaints/:id/reply', {
    preHandler: app.requireRole('officer', 'team_lead', 'operator', 'admin', 'hotline'),
    schema: {
      tags: ['complaints'], summary: 'Reply to the complainant: handled (办结), handled_in_stages (阶段性办结) or not_handled (未办结)',
      description: 'By the team holding the complaint (or the operations desk). handled_in_stages may be followed by a final reply; handled and not_handled close it.',
      security: [{ bearer: [] }], params: ComplaintIdParams, body: ReplyBody, response: { 200: Complaint, 400: E, 401: E, 403: E, 404: E, 409: E },
    },
  }, async (req) => unwrap(await complaints.reply(req.params.id, viewer(req), req.body.status, req.body.reply)));

  app.post('/api/v1/complaints/:id/decline', {
    preHandler: app.requireRole('officer', 'team_lead'),
    schema: { tags: ['complaints'], summary: 'The team declines the complaint (not theirs): it goes to the coordination queue', security: [{ bearer: [] }], params: ComplaintIdParams, body: DeclineBody, response: { 200: Complaint, 400: E, 401: E, 403: E, 404: E, 409: E } },
  }, async (req) => unwrap(await complaints.decline(req.params.id, viewer(req), req.body.reason)));

  app.post('/api/v1/complaints/:id/assign', {
    preHandler: app.requireRole('operator', 'admin'),
    schema: { tags: ['complaints'], summary: 'The coordination desk gives a queued complaint to a team (its unrouted case is dispatched with it)', security: [{ bearer: [] }], params: ComplaintIdParams, body: AssignBody, response: { 200: Complaint, 400: E, 401: E, 403: E, 404: E, 409: E } },
  }, async (req) => unwrap(await complaints.assign(req.params.id, viewer(req), req.body.teamId, req.body.note)));

  app.get('/api/v1/cases/:id/complaints', {
    preHandler: app.authenticate,
    schema: { tags: ['cases'], summary: 'The citizen complaints fused into a case, each with the sensor record confirming or questioning it (no contact)', security: [{ bearer: [] }], params: UuidParams, response: { 200: CaseComplaints, 401: E, 404: E } },
  }, async (req) => {
    if (!(await cases.get(req.params.id, req.user))) throw new AppError(404, 'CASE_NOT_FOUND', 'no such case');
    return complaints.ofCase(req.params.id);
  });

  // The public form: no login; its own limits per client address, counted refusals with stable codes.
  await app.register(async (scope) => {
    const pub = scope.withTypeProvider<TypeBoxTypeProvider>();
    countRefusals(pub, limits);
    pub.post('/api/v1/public/complaints', {
      preValidation: refuseBadLocation,
      bodyLimit,
      schema: {
        tags: ['complaints'], summary: 'File a complaint from the public form (no login)',
        description: 'Limited per client address (COMPLAINT_PUBLIC_PER_HOUR: 429 RATE_LIMITED), body and photo size (413 PAYLOAD_TOO_LARGE, PHOTO_TOO_LARGE), photo type (400 PHOTO_INVALID). Keep the tracking number and check code: they are the only way to follow it.',
        body: NewComplaint, response: { 201: Receipt, 400: E, 413: E, 429: E },
      },
    }, async (req, reply) => {
      takeOrRefuse(limits.filing, req, reply, 'complaints');
      const input = await complaintInput(req.body, 'web', null, complaints, photoMaxBytes);
      const { complaint, checkCode } = await complaints.create(input);
      void reply.status(201);
      return { trackingNumber: complaint.trackingNumber, checkCode, status: complaint.status, replyDueAt: complaint.replyDueAt };
    });

    pub.post('/api/v1/public/complaints/status', {
      schema: {
        tags: ['complaints'], summary: 'The complainant\'s status lookup: tracking number and check code',
        description: 'An unknown number and a wrong code get the same 404 COMPLAINT_NOT_FOUND, after the same work; limited per client address (COMPLAINT_LOOKUP_PER_HOUR). POST, so the code stays out of URLs and logs.',
        body: StatusQuery, response: { 200: PublicStatus, 400: E, 404: E, 429: E },
      },
    }, async (req, reply) => {
      takeOrRefuse(limits.lookup, req, reply, 'status lookups');
      const s = await complaints.publicStatus(req.body.trackingNumber, req.body.checkCode);
      if (!s) throw new AppError(404, 'COMPLAINT_NOT_FOUND', 'no complaint with this tracking number and check code');
      void reply.header('cache-control', 'no-store');
      return s;
    });
  });
};
export default routes;
