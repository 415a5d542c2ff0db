import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import {
  Open311Created, Open311Error, Open311Jurisdiction, Open311RequestForm, Open311RequestList, Open311RequestParams, Open311RequestQuery,
  Open311ServiceDefinition, Open311ServiceList, Open311ServiceParams, type Open311Request,
} from '../../contract/http/open311.js';
import { COMPLAINT_CATEGORIES, type Complaint, type ComplaintCategory } from '../../contract/http/complaints.js';
import { sameSecret } from '../../core/secrets.js';
import { AppError } from '../errors.js';
import type { ComplaintService } from '../complaints/service.js';
import { CATEGORY_NAMES } from '../complaints/domain.js';
import { complaintInput, countRefusals, takeOrRefuse, type PublicLimits } from './complaints.js';

/**
 * Open311 GeoReport v2 (JSON) over the same complaints: services list and definitions, request
 * submission (form-encoded, api_key), request status by id. Errors are GeoReport's: an array of
 * `{code, description}` with the HTTP status as code.
 */
export interface Open311Options {
  complaints: ComplaintService;
  limits: PublicLimits;
  photoMaxBytes: number;
  /** OPEN311_API_KEYS: when non-empty, POST requests.json needs one of them. */
  apiKeys: readonly string[];
}

const isCategory = (s: string): s is ComplaintCategory => (COMPLAINT_CATEGORIES as readonly string[]).includes(s);
const E = { $ref: 'Open311Error#' } as const;

/** `name.json` → `name`; another format is refused (JSON is the one offered). */
function jsonName(file: string): string {
  const m = /^(.+)\.json$/.exec(file);
  if (!m) throw new AppError(400, 'FORMAT_NOT_SUPPORTED', 'only the json format is offered: ask for .json');
  return m[1]!;
}

function keyValid(given: string | undefined, keys: readonly string[]): boolean {
  if (keys.length === 0) return true;
  if (!given) return false;
  return keys.some((k) => sameSecret(given, k));
}

const number = (s: string | undefined): number | undefined => {
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
};

export function open311View(c: Complaint & { updatedAt: string }, teams: ReadonlyMap<string, string>): Open311Request {
  const closed = c.status === 'handled' || c.status === 'not_handled';
  return {
    service_request_id: c.trackingNumber,
    status: closed ? 'closed' : 'open',
    status_notes: c.reply ?? (c.status === 'coordination' ? 'with the coordination desk: being assigned to a department' : null),
    service_name: CATEGORY_NAMES[c.category].en,
    service_code: c.category,
    description: null,
    agency_responsible: c.teamId ? (teams.get(c.teamId) ?? c.teamId) : null,
    service_notice: null,
    requested_datetime: c.receivedAt,
    updated_datetime: c.updatedAt,
    expected_datetime: closed ? null : c.replyDueAt,
    address: c.zoneName,
    address_id: null,
    zipcode: null,
    lat: null,
    long: null,
    media_url: null,
  };
}

const routes: FastifyPluginAsyncTypebox<Open311Options> = async (app, { complaints, limits, photoMaxBytes, apiKeys }) => {
  app.addSchema({ ...Open311Error, $id: 'Open311Error' });
  // 311 clients post HTML-form encoding; fields repeat at most once each here.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  countRefusals(app, limits);
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    const status = err instanceof AppError ? err.statusCode : err.validation ? 400 : (err.statusCode ?? 500);
    if (status >= 500) req.log.error({ err, url: req.url }, 'open311 request failed');
    void reply.status(status).send([{ code: status, description: status >= 500 ? 'internal error' : err.message }]);
  });

  app.get('/open311/v2/services.json', {
    schema: { tags: ['open311'], summary: 'GeoReport v2: the services (complaint categories)', querystring: Open311Jurisdiction, response: { 200: Open311ServiceList } },
  }, async () => COMPLAINT_CATEGORIES.map((code) => ({
    service_code: code, service_name: CATEGORY_NAMES[code].en, description: `${CATEGORY_NAMES[code].description} (${CATEGORY_NAMES[code].zh})`,
    metadata: false, type: 'realtime' as const, keywords: code, group: 'parks and riverbank',
  })));

  app.get('/open311/v2/services/:code', {
    schema: { tags: ['open311'], summary: 'GeoReport v2: a service definition (services/{code}.json); no extra attributes', params: Open311ServiceParams, querystring: Open311Jurisdiction, response: { 200: Open311ServiceDefinition, 400: E, 404: E } },
  }, async (req) => {
    const code = jsonName(req.params.code);
    if (!isCategory(code)) throw new AppError(404, 'SERVICE_NOT_FOUND', `no service ${code}`);
    return { service_code: code, attributes: [] };
  });

  app.post('/open311/v2/requests.json', {
    bodyLimit: 64 * 1024,
    schema: {
      tags: ['open311'], summary: 'GeoReport v2: submit a service request (form-encoded)',
      description: 'service_code, a location (lat + long, address_id = a zone id, or address_string) and a description are required. With OPEN311_API_KEYS set, api_key must be one of them (403). The answer\'s service_request_id is the tracking number; service_notice carries the check code for the public status page. media_url is recorded, never fetched.',
      consumes: ['application/x-www-form-urlencoded'], body: Open311RequestForm, response: { 201: Open311Created, 400: E, 403: E, 429: E },
    },
  }, async (req, reply) => {
    const f = req.body;
    if (!keyValid(f.api_key, apiKeys)) throw new AppError(403, 'API_KEY_INVALID', 'api_key is missing or not valid');
    takeOrRefuse(limits.filing, req, reply, 'requests');
    if (!f.service_code || !isCategory(f.service_code)) throw new AppError(400, 'SERVICE_CODE', 'service_code: required, one of services.json');
    const lat = number(f.lat);
    const lon = number(f.long);
    if ((lat === undefined) !== (lon === undefined) || Number.isNaN(lat) || Number.isNaN(lon) || (lat !== undefined && (Math.abs(lat) > 90 || Math.abs(lon!) > 180))) {
      throw new AppError(400, 'LOCATION', 'lat and long: both, as decimal degrees');
    }
    if (lat === undefined && !f.address_id && !f.address_string) throw new AppError(400, 'LOCATION', 'a location is required: lat & long, address_string or address_id');
    const description = (f.description ?? '').trim();
    if (description.length < 5) throw new AppError(400, 'DESCRIPTION', 'description: at least 5 characters');
    const name = [f.first_name, f.last_name].filter(Boolean).join(' ');
    const contact = { ...(name ? { name } : {}), ...(f.phone ? { phone: f.phone } : {}), ...(f.email ? { email: f.email } : {}) };
    const input = await complaintInput({
      category: f.service_code, description: description.slice(0, 2000),
      ...(lat !== undefined ? { location: { lat, lon: lon! } } : {}),
      ...(f.address_id ? { zoneId: f.address_id } : {}),
      ...(f.address_string ? { address: f.address_string.slice(0, 300) } : {}),
      contact,
    }, 'open311', null, complaints, photoMaxBytes).catch((err: unknown) => {
      // An address alone has no zone: the coordination desk places it.
      if (err instanceof AppError && err.code === 'LOCATION_REQUIRED' && f.address_string) return null;
      throw err;
    });
    const { complaint, checkCode } = await complaints.create(input ?? {
      channel: 'open311', category: f.service_code, description: description.slice(0, 2000), address: f.address_string!.slice(0, 300),
      occurredAt: new Date(), photos: [], contact, filedBy: null,
    }, new Date());
    void reply.status(201);
    return [{
      service_request_id: complaint.trackingNumber,
      service_notice: `Check code ${checkCode}: with the request id it shows the reply on the public complaint page. Reply due by ${complaint.replyDueAt}.`,
      account_id: f.account_id ?? null,
    }];
  });

  const lookup = async (ids: string[]) => {
    const found = await complaints.byTrackingNumbers(ids);
    const teams = await complaints.teamNames();
    return found.map((c) => open311View(c, teams));
  };

  app.get('/open311/v2/requests/:id', {
    schema: { tags: ['open311'], summary: 'GeoReport v2: one request\'s status (requests/{id}.json); no personal details', params: Open311RequestParams, querystring: Open311Jurisdiction, response: { 200: Open311RequestList, 400: E, 404: E, 429: E } },
  }, async (req, reply) => {
    takeOrRefuse(limits.lookup, req, reply, 'status lookups');
    const found = await lookup([jsonName(req.params.id)]);
    if (found.length === 0) throw new AppError(404, 'REQUEST_NOT_FOUND', 'no such service request');
    return found;
  });

  app.get('/open311/v2/requests.json', {
    schema: { tags: ['open311'], summary: 'GeoReport v2: the status of several requests (service_request_id=a,b,c; at most 20)', querystring: Open311RequestQuery, response: { 200: Open311RequestList, 400: E, 429: E } },
  }, async (req, reply) => {
    takeOrRefuse(limits.lookup, req, reply, 'status lookups');
    const ids = (req.query.service_request_id ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) throw new AppError(400, 'SERVICE_REQUEST_ID', 'service_request_id is required: listing every request is not offered (complainants\' privacy)');
    if (ids.length > 20) throw new AppError(400, 'SERVICE_REQUEST_ID', 'at most 20 service_request_id values');
    return lookup(ids);
  });
};
export default routes;
