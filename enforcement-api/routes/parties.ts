import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { PartyCaseList, PartyCasesParams } from '../../contract/http/directory.js';
import { PartyHistory, PartyLookupList, PartyLookupLogQuery, PartyLookupQuery, PartyParams } from '../../contract/http/legal.js';
import { PARTY_LOOKUP_ROLES } from '../domain/party-access.js';
import { AppError } from '../errors.js';
import { normalisePartyId } from '../legal/party-ids.js';
import type { PartyLookups } from '../legal/party-lookups.js';
import { actorOf } from './cases.js';

/**
 * Parties looked up by identifier (any spelling: normalised), for the roles and purposes of
 * domain/party-access.ts, each lookup on the party access log; and the log itself, for admins.
 */

const E = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));
const PURPOSE = 'Officers, team leads and reviewers name one of their cases (`caseId`); the agency head may, saying why (`purpose`). Every lookup, answered or refused, is written to the party access log (GET /api/v1/party-lookups).';

const routes: FastifyPluginAsyncTypebox<{ parties: PartyLookups }> = async (app, { parties }) => {
  const lookup = (req: FastifyRequest & { params: { id: string }; query: { caseId?: string; purpose?: string } }) =>
    [actorOf(req.user), { partyId: normalisePartyId(req.params.id), caseId: req.query.caseId, purpose: req.query.purpose }] as const;

  /** The options of a lookup route: the roles of domain/party-access.ts, a purpose, the refusals it may answer. */
  const lookupRoute = <P extends TSchema, R extends TSchema>(tags: string[], summary: string, params: P, answer: R) => ({
    preHandler: app.requireRole(...PARTY_LOOKUP_ROLES),
    schema: {
      tags, summary, description: PURPOSE, security: [{ bearer: [] }],
      params, querystring: PartyLookupQuery,
      response: { 200: answer, ...E(400, 401, 403, 404) },
    },
  });

  app.get('/api/v1/parties/:id', lookupRoute(['parties'], 'A party by identifier (any spelling: normalised) and its cases across every team', PartyParams, PartyHistory), async (req) => {
    const r = await parties.party(...lookup(req));
    if (!r.ok) throw new AppError(r.status, r.code, r.message);
    if (!r.value) throw new AppError(404, 'PARTY_NOT_FOUND', 'no such party');
    return r.value;
  });

  app.get('/api/v1/parties/:id/cases', lookupRoute(['cases'],
    'Earlier cases of a party (by its ID card number or unified social credit code), across teams: first-violation checks and the party history of a case file',
    PartyCasesParams, PartyCaseList,
  ), async (req) => {
    const r = await parties.cases(...lookup(req));
    if (!r.ok) throw new AppError(r.status, r.code, r.message);
    return r.value ?? [];
  });

  app.get('/api/v1/party-lookups', {
    preHandler: app.requireRole('admin'),
    schema: {
      tags: ['parties'], summary: 'The party access log: who looked up which party, when, for which case and why, newest first',
      security: [{ bearer: [] }],
      querystring: PartyLookupLogQuery,
      response: { 200: PartyLookupList, ...E(401, 403) },
    },
  }, async (req) => parties.log({ ...req.query, partyId: req.query.partyId === undefined ? undefined : normalisePartyId(req.query.partyId) }));
};
export default routes;
