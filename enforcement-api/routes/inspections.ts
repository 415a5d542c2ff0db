import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UuidParams } from '../../contract/http/common.js';
import { CatalogueChange, OnQuery, PresenceBody, UserIdParams } from '../../contract/http/legal.js';
import {
  LimitQuery,
  ColourQuery,
  AdHocBody, Checklist, ChecklistItemBody, ChecklistItemHistory, CreditHistory, EntityIdParams, FollowUpBody, FollowUpCase, Inspection, InspectionList,
  InspectionListQuery, InspectorBody, InspectorList, ItemCodeParams, MarketEntity, MarketEntityBody, MarketEntityList, OpenBody, PlanBody, PlanParams,
  PublicPlan, PublicPlanList, PublicResultList, RecomputeResult, RefusalList, ResultBody,
} from '../../contract/http/inspections.js';
import type { Rejection } from '../domain/case-lifecycle.js';
import { AppError } from '../errors.js';
import type { LiveBus } from '../live.js';
import { checkPartyId } from '../legal/party-ids.js';
import type { InspectionService } from '../inspections/service.js';
import { actorOf } from './cases.js';

/**
 * Inspections' API. Public (no login): the checklist and its history, the random plans (commitment,
 * inputs, then seed and draw) and the results. Signed in: inspectors, market entities and their credit,
 * the inspections on the tablets (open, second inspector's confirmation, result, follow-up case).
 */

const E = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));
const ok = <T extends { ok: true }>(r: T | Rejection): T => {
  if (!r.ok) throw new AppError(r.status, r.code, r.message);
  return r;
};
const bearer = [{ bearer: [] }];
const STAFF = ['officer', 'team_lead', 'operator', 'admin', 'reviewer', 'agency_head'] as const;
/** Market entities name their parties (an individual's identity number): those who inspect, register or oversee them. */
const ENTITY_READERS = ['officer', 'team_lead', 'operator', 'admin', 'agency_head'] as const;

const routes: FastifyPluginAsyncTypebox<{ inspections: InspectionService; bus: LiveBus }> = async (app, { inspections, bus }) => {
  // ── public ──────────────────────────────────────────────────────────────
  app.get('/api/v1/public/inspection-items', {
    schema: { tags: ['public'], summary: 'The published inspection checklist in force on a date (no login)', querystring: OnQuery, response: { 200: Checklist, ...E(400) } },
  }, async (req) => {
    const on = req.query.on ?? inspections.today();
    return { on, items: await inspections.checklist(on) };
  });

  app.get('/api/v1/public/inspection-items/:code/history', {
    schema: { tags: ['public'], summary: 'Every version of a checklist item and its change log (no login; without who changed it)', params: ItemCodeParams, response: { 200: ChecklistItemHistory, ...E(404) } },
  }, async (req) => {
    const h = await inspections.itemHistory(req.params.code);
    if (h.versions.length === 0) throw new AppError(404, 'ITEM_NOT_FOUND', `no checklist item ${req.params.code}`);
    return h;
  });

  app.get('/api/v1/public/inspection-plans', {
    schema: { tags: ['public'], summary: 'Random inspection plans: inputs and seed commitment from creation, seed and draw once drawn (no login)', response: { 200: PublicPlanList } },
  }, async () => inspections.publicPlans());

  app.get('/api/v1/public/inspection-plans/:id', {
    schema: { tags: ['public'], summary: 'One random inspection plan (no login)', params: PlanParams, response: { 200: PublicPlan, ...E(404) } },
  }, async (req) => {
    const p = (await inspections.publicPlans(req.params.id))[0];
    if (!p) throw new AppError(404, 'PLAN_NOT_FOUND', `no plan ${req.params.id}`);
    return p;
  });

  app.get('/api/v1/public/inspection-results', {
    schema: {
      tags: ['public'], summary: 'Closed inspections: entity, item, outcome, findings, follow-up case number (no login; no person, party id or position)',
      querystring: LimitQuery, response: { 200: PublicResultList },
    },
  }, async (req) => inspections.publicResults(req.query.limit));

  // ── checklist and inspectors (admin writes, on the change log) ─────────
  app.put('/api/v1/inspection-items/:code', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['inspections'], summary: 'A version of a checklist item from a date (admin; recorded)', security: bearer, params: ItemCodeParams, body: ChecklistItemBody, response: { 200: CatalogueChange, ...E(400, 401, 403, 422) } },
  }, async (req) => ok(await inspections.putItem(req.params.code, req.body, req.user.sub)).change);

  app.get('/api/v1/inspectors', {
    preHandler: app.requireRole(...STAFF),
    schema: { tags: ['inspections'], summary: 'Registered inspectors: certificate, validity, the items each may inspect', security: bearer, response: { 200: InspectorList, ...E(401, 403) } },
  }, async () => inspections.inspectors());

  app.put('/api/v1/inspectors/:userId', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['inspections'], summary: "Register an officer as inspector or change the registration (admin; recorded)", security: bearer, params: UserIdParams, body: InspectorBody, response: { 200: CatalogueChange, ...E(400, 401, 403, 404, 409, 422) } },
  }, async (req) => ok(await inspections.putInspector(req.params.userId, req.body, req.user.sub)).change);

  // ── market entities and credit ──────────────────────────────────────────
  app.get('/api/v1/market-entities', {
    preHandler: app.requireRole(...ENTITY_READERS),
    schema: {
      tags: ['inspections'], summary: 'Market entities with their party, current credit colour and its reasons (officers, team leads, operators, admins, agency head)', security: bearer,
      querystring: ColourQuery,
      response: { 200: MarketEntityList, ...E(401, 403) },
    },
  }, async (req) => inspections.entities(req.query.colour));

  const partyOf = (body: MarketEntityBody) => {
    if (!body.partyId) return null;
    const kind = body.partyKind ?? (body.kind === 'vendor' || body.kind === 'boat_operator' ? 'individual' : 'unit');
    const c = checkPartyId(body.partyId, kind);
    if (!c.ok) throw new AppError(422, 'INVALID_PARTY_ID', c.message);
    return { id: c.id, idType: c.idType, kind };
  };
  const entityWrite = { preHandler: app.requireRole('admin', 'operator') };
  app.post('/api/v1/market-entities', {
    ...entityWrite,
    schema: { tags: ['inspections'], summary: 'Register a market entity (admin, operator; recorded)', security: bearer, body: MarketEntityBody, response: { 201: MarketEntity, ...E(400, 401, 403, 422) } },
  }, async (req, reply) => {
    const r = ok(await inspections.putEntity(null, req.body, partyOf(req.body), req.user.sub));
    await inspections.recompute(r.id, 'demand', req.user.sub);
    return reply.status(201).send((await inspections.entity(r.id))!);
  });
  app.put('/api/v1/market-entities/:id', {
    ...entityWrite,
    schema: { tags: ['inspections'], summary: 'Change a market entity (admin, operator; recorded)', security: bearer, params: EntityIdParams, body: MarketEntityBody, response: { 200: MarketEntity, ...E(400, 401, 403, 404, 422) } },
  }, async (req) => {
    ok(await inspections.putEntity(req.params.id, req.body, partyOf(req.body), req.user.sub));
    return (await inspections.entity(req.params.id))!;
  });
  app.get('/api/v1/market-entities/:id/credit', {
    preHandler: app.requireRole(...ENTITY_READERS),
    schema: { tags: ['inspections'], summary: "Every computation of the entity's colour, newest first", security: bearer, params: EntityIdParams, response: { 200: CreditHistory, ...E(401, 403, 404) } },
  }, async (req) => {
    if (!(await inspections.entity(req.params.id))) throw new AppError(404, 'ENTITY_NOT_FOUND', `no market entity ${req.params.id}`);
    return inspections.creditHistory(req.params.id);
  });
  app.post('/api/v1/market-entities/:id/credit', {
    ...entityWrite,
    schema: { tags: ['inspections'], summary: "Recompute the entity's colour now (admin, operator)", security: bearer, params: EntityIdParams, response: { 200: RecomputeResult, ...E(401, 403, 404) } },
  }, async (req) => {
    if (!(await inspections.entity(req.params.id))) throw new AppError(404, 'ENTITY_NOT_FOUND', `no market entity ${req.params.id}`);
    return inspections.recompute(req.params.id, 'demand', req.user.sub);
  });
  app.post('/api/v1/market-entities/credit', {
    ...entityWrite,
    schema: { tags: ['inspections'], summary: "Recompute every entity's colour now (admin, operator)", security: bearer, response: { 200: RecomputeResult, ...E(401, 403) } },
  }, async (req) => inspections.recompute(null, 'demand', req.user.sub));

  // ── plans ───────────────────────────────────────────────────────────────
  app.post('/api/v1/inspection-plans', {
    ...entityWrite,
    schema: {
      tags: ['inspections'], summary: "Create the period's random plan for a colour: inputs fixed, the seed's SHA-256 published (admin, operator)",
      security: bearer, body: PlanBody, response: { 201: PublicPlan, ...E(400, 401, 403, 409) },
    },
  }, async (req, reply) => {
    const on = req.body.on ? new Date(`${req.body.on}T12:00:00Z`) : new Date();
    const r = ok(await inspections.createPlan(req.body.colour, on, req.user.sub));
    return reply.status(201).send((await inspections.publicPlans(r.id))[0]!);
  });
  app.post('/api/v1/inspection-plans/:id/draw', {
    ...entityWrite,
    schema: { tags: ['inspections'], summary: 'Draw: publish the seed, select entities and inspectors, create the inspections (admin, operator)', security: bearer, params: PlanParams, response: { 200: PublicPlan, ...E(401, 403, 404, 409) } },
  }, async (req) => {
    ok(await inspections.drawPlan(req.params.id, req.user.sub));
    bus.notify();
    return (await inspections.publicPlans(req.params.id))[0]!;
  });

  // ── inspections on the tablets ──────────────────────────────────────────
  app.get('/api/v1/inspections', {
    preHandler: app.requireRole('officer', 'team_lead', 'operator', 'admin'),
    schema: { tags: ['inspections'], summary: 'Inspections: an officer sees those assigned to them or that they inspect, a team lead those of the team', security: bearer, querystring: InspectionListQuery, response: { 200: InspectionList, ...E(401, 403) } },
  }, async (req) => inspections.list(actorOf(req.user), req.query));

  const one = async (id: string, user: Parameters<typeof actorOf>[0]) => {
    const s = await inspections.get(id, actorOf(user));
    if (!s) throw new AppError(404, 'INSPECTION_NOT_FOUND', 'no such inspection');
    return s;
  };
  app.get('/api/v1/inspections/:id', {
    preHandler: app.requireRole('officer', 'team_lead', 'operator', 'admin'),
    schema: { tags: ['inspections'], summary: 'One inspection with its checklist item', security: bearer, params: UuidParams, response: { 200: Inspection, ...E(401, 403, 404) } },
  }, async (req) => one(req.params.id, req.user));

  const field = { preHandler: app.requireRole('officer', 'team_lead') };
  app.post('/api/v1/inspections', {
    ...field,
    schema: {
      tags: ['inspections'], summary: 'Open an inspection on the spot for a complaint or a case (registered inspector; second inspector named)',
      description: 'Refused (and recorded) with ITEM_NOT_LISTED, ITEM_NOT_FOR_ENTITY, INSPECTOR_NOT_REGISTERED, CERTIFICATE_NOT_VALID, ITEM_NOT_PERMITTED, SECOND_INSPECTOR_REQUIRED, SECOND_INSPECTOR_NOT_CERTIFIED, REPEAT_INSPECTION or CASE_DOES_NOT_JUSTIFY.',
      security: bearer, body: AdHocBody, response: { 201: Inspection, ...E(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => {
    const r = ok(await inspections.open(actorOf(req.user), { adHoc: req.body }));
    return reply.status(201).send(await one(r.id, req.user));
  });
  app.post('/api/v1/inspections/:id/open', {
    ...field,
    schema: {
      tags: ['inspections'], summary: 'Open a planned inspection (one of its assigned inspectors, naming the other)',
      description: 'The same rules as an inspection on the spot, and NOT_ASSIGNED when the inspectors are not the drawn ones.',
      security: bearer, params: UuidParams, body: OpenBody, response: { 200: Inspection, ...E(400, 401, 403, 404, 409, 422) },
    },
  }, async (req) => {
    ok(await inspections.open(actorOf(req.user), { id: req.params.id, body: req.body }));
    return one(req.params.id, req.user);
  });
  app.post('/api/v1/inspections/:id/presence', {
    ...field,
    schema: { tags: ['inspections'], summary: 'The second inspector confirms presence from their own session, with position', security: bearer, params: UuidParams, body: PresenceBody, response: { 200: Inspection, ...E(400, 401, 403, 404, 409, 422) } },
  }, async (req) => {
    ok(await inspections.confirm(req.params.id, actorOf(req.user), req.body.location));
    return one(req.params.id, req.user);
  });
  app.post('/api/v1/inspections/:id/result', {
    ...field,
    schema: { tags: ['inspections'], summary: 'Record the outcome and the findings per check (both inspectors confirmed)', security: bearer, params: UuidParams, body: ResultBody, response: { 200: Inspection, ...E(400, 401, 403, 404, 409, 422) } },
  }, async (req) => {
    ok(await inspections.result(req.params.id, actorOf(req.user), req.body));
    return one(req.params.id, req.user);
  });
  app.post('/api/v1/inspections/:id/case', {
    ...field,
    schema: { tags: ['inspections'], summary: "Open a follow-up case from the violations found (the findings are its first evidence record)", security: bearer, params: UuidParams, body: FollowUpBody, response: { 201: FollowUpCase, ...E(400, 401, 403, 404, 409) } },
  }, async (req, reply) => {
    const r = ok(await inspections.followUp(req.params.id, actorOf(req.user), req.body.note));
    bus.notify();
    return reply.status(201).send({ caseId: r.caseId, number: r.number, teamId: r.teamId });
  });
  app.get('/api/v1/inspection-refusals', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['inspections'], summary: 'Refused inspection steps, newest first', security: bearer, querystring: LimitQuery, response: { 200: RefusalList, ...E(401, 403) } },
  }, async (req) => inspections.refusals(req.query.limit));
};
export default routes;
