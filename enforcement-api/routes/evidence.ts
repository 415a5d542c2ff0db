import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  EvidenceBody, EvidenceDownload, EvidenceDownloadQuery, EvidenceFile, EvidenceList, EvidenceParams, EvidenceUploadQuery, SensorEvidence, SensorReviewBody, SensorReviewParams,
} from '../../contract/http/evidence.js';
import { BenchmarkList, BenchmarkQuery } from '../../contract/http/cases.js';
import { UuidParams } from '../../contract/http/common.js';
import { EVIDENCE_TYPES, isEvidenceType } from '../domain/evidence.js';
import { AppError } from '../errors.js';
import type { CaseRepository } from '../cases/repository.js';
import type { EvidenceRepository } from '../cases/evidence-repository.js';
import { actorOf } from './cases.js';

const Id = UuidParams;
const Errors = { 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } as const;
// No `type`: the body is a Buffer, which a JSON-schema string would refuse; OpenAPI shows the media types.

/** Evidence of a case: raw-body uploads with SHA-256, listing, download, and the review of sensor records. */
const routes: FastifyPluginAsyncTypebox<{ cases: CaseRepository; evidence: EvidenceRepository; maxBytes: number }> = async (app, { cases, evidence, maxBytes }) => {
  // The upload in a scope of its own: there the allow-listed types arrive as raw bytes, anything else is 415.
  await app.register(async (scope) => {
    const raw = scope.withTypeProvider<TypeBoxTypeProvider>();
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser([...EVIDENCE_TYPES], { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
    raw.addContentTypeParser('*', (req, _payload, done) => {
      done(new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `evidence must be one of ${EVIDENCE_TYPES.join(', ')}, not ${req.headers['content-type'] ?? 'none'}`), undefined);
    });

    raw.post(
      '/api/v1/cases/:id/evidence',
      {
        preHandler: app.authenticate,
        bodyLimit: maxBytes,
        schema: {
          tags: ['cases'],
          summary: 'Attach a file (photo, PDF, CSV/JSON export) to a case as evidence',
          description:
            `The request body is the file itself (no multipart), its Content-Type one of ${EVIDENCE_TYPES.join(', ')} and ` +
            `checked against the bytes; at most EVIDENCE_MAX_BYTES (${maxBytes}). Stored with its SHA-256, never changed or ` +
            'deleted; the same file again answers 200 with the stored item. Officers and team leads of the case’s team.',
          security: [{ bearer: [] }],
          params: Id,
          querystring: EvidenceUploadQuery,
          body: EvidenceBody,
          response: { 200: EvidenceFile, 201: EvidenceFile, 400: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 413: { $ref: 'Error#' }, 415: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, ...Errors },
        },
      },
      async (req, reply) => {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!isEvidenceType(contentType) || !Buffer.isBuffer(req.body)) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `evidence must be one of ${EVIDENCE_TYPES.join(', ')}`);
        const q = req.query;
        const given = [q.type, q.capturedAt, q.lat, q.lon, q.collectors].filter((v) => v !== undefined).length;
        if (given > 0 && given < 5) throw new AppError(400, 'EVIDENCE_METADATA_INCOMPLETE', 'evidence metadata is type, capturedAt, lat, lon and collectors together');
        const meta = given === 5
          ? { evidenceType: q.type!, capturedAt: q.capturedAt!, location: { lat: q.lat!, lon: q.lon! }, collectors: [...new Set(q.collectors!.split(','))], ...(q.placeReason !== undefined ? { placeReason: q.placeReason } : {}) }
          : undefined;
        const r = await evidence.add(req.params.id, actorOf(req.user), { contentType, bytes: req.body, filename: q.filename, description: q.description, meta });
        if ('ok' in r) throw new AppError(r.status, r.code, r.message);
        req.log.info({ case: req.params.id, sha256: r.file.sha256, bytes: r.file.sizeBytes, user: req.user.sub }, 'evidence added');
        return reply.status(r.created ? 201 : 200).send(r.file);
      },
    );
  });

  app.get(
    '/api/v1/cases/:id/evidence',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: "A case's evidence: files with their SHA-256, and sensor records with whether each counts as evidence",
        security: [{ bearer: [] }],
        params: Id,
        response: { 200: EvidenceList, ...Errors },
      },
    },
    async (req) => {
      const row = await cases.get(req.params.id, req.user);
      if (!row) throw new AppError(404, 'CASE_NOT_FOUND', `no case ${req.params.id}`);
      return evidence.list(row.id);
    },
  );

  app.get(
    '/api/v1/cases/:id/evidence/:evidenceId',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Download an evidence file; its SHA-256 is in the X-Content-SHA256 and Digest headers',
        description: 'Each download is on the case record (evidence_viewed, or evidence_exported with ?purpose=export): chain of custody.',
        security: [{ bearer: [] }],
        params: EvidenceParams,
        querystring: EvidenceDownloadQuery,
        response: { 200: EvidenceDownload, ...Errors },
      },
    },
    async (req, reply) => {
      const row = await cases.get(req.params.id, req.user);
      const file = row ? await evidence.content(row.id, req.params.evidenceId, actorOf(req.user), req.query.purpose ?? 'view') : null;
      if (!file) throw new AppError(404, 'EVIDENCE_NOT_FOUND', `no evidence ${req.params.evidenceId} in case ${req.params.id}`);
      return reply
        .header('content-type', file.contentType)
        .header('x-content-sha256', file.sha256)
        .header('digest', `sha-256=${Buffer.from(file.sha256, 'hex').toString('base64')}`)
        .header('content-disposition', `attachment; filename="${file.sha256}"`)
        .header('x-content-type-options', 'nosniff')
        .send(file.content);
    },
  );

  app.post(
    '/api/v1/cases/:id/evidence/:evidenceId/review',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Record that you reviewed an uploaded file (a person who neither uploaded nor collected it): one of the conditions for it to count as evidence',
        security: [{ bearer: [] }],
        params: EvidenceParams,
        body: SensorReviewBody,
        response: { 200: EvidenceFile, 201: EvidenceFile, 400: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, ...Errors },
      },
    },
    async (req, reply) => {
      const r = await evidence.reviewFile(req.params.id, req.params.evidenceId, actorOf(req.user), req.body.note);
      if ('ok' in r) throw new AppError(r.status, r.code, r.message);
      return reply.status(r.created ? 201 : 200).send(r.file);
    },
  );

  app.post(
    '/api/v1/cases/:id/evidence/sensor/:alertId/review',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Record that you reviewed a sensor record of the case (one of the conditions for it to count as evidence)',
        security: [{ bearer: [] }],
        params: SensorReviewParams,
        body: SensorReviewBody,
        response: { 200: SensorEvidence, 201: SensorEvidence, 400: { $ref: 'Error#' }, ...Errors },
      },
    },
    async (req, reply) => {
      const r = await evidence.reviewSensorRecord(req.params.id, req.params.alertId, actorOf(req.user), req.body.note);
      if ('ok' in r) throw new AppError(r.status, r.code, r.message);
      const record = (await evidence.list(req.params.id)).sensorRecords.find((s) => s.alertId === req.params.alertId)!;
      return reply.status(r.created ? 201 : 200).send(record);
    },
  );

  app.get(
    '/api/v1/benchmarks',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Discretion benchmarks: per matter and kind of party, the tiers, their fine ranges and the facts that select them',
        security: [{ bearer: [] }],
        querystring: BenchmarkQuery,
        response: { 200: BenchmarkList, 401: { $ref: 'Error#' } },
      },
    },
    async (req) => cases.benchmarks(req.query.matter ?? null),
  );
};
export default routes;
