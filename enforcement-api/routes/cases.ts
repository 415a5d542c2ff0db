import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { availableEvents, CASE_EVENTS, isCaseState, type Actor } from '../../core/domain/case-lifecycle.js';
import { decisionDeadline } from '../../core/domain/legal-rules.js';
import type { CaseRepository, CaseRow, CaseScope } from '../cases/repository.js';
import { CaseDeadline } from '../cases/deadlines.js';
import type { LiveBus, LiveEvent } from '../live.js';
import type { TokenClaims } from '../plugins/auth.js';
import { CaseLegalView } from '../legal/case-view.js';

export const Case = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  incidentId: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  zoneName: Type.String(),
  matterCode: Type.Union([Type.String(), Type.Null()]),
  teamId: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  title: Type.String(),
  slaDueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  alertCount: Type.Integer(),
  assignedTo: Type.Union([Type.String(), Type.Null()], { description: 'user who accepted the case' }),
  stateChangedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  reviewSubmittedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'last submission for legal review' }),
  dismissalReason: Type.Union([Type.String(), Type.Null()]),
  onSiteOfficers: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'the two certified officers recorded on arrival' }),
  filedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'filing (立案): when the team accepted the case' }),
  decisionDueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'general procedure: decision due 90 days after filing' }),
  decidedLate: Type.Union([Type.Boolean(), Type.Null()], { description: 'decided after the 90-day deadline (null: not decided)' }),
  reviewPostId: Type.Union([Type.String(), Type.Null()], { description: 'legal review post the case was last submitted to' }),
  reviewLevel: Type.Union([Type.Literal('routine'), Type.Literal('major'), Type.Null()]),
  partyId: Type.Union([Type.String(), Type.Null()]),
  resolution: Type.Union([Type.Object({ outcome: Type.String(), summary: Type.String() }), Type.Null()]),
});

export const Event = Type.Object({ seq: Type.Integer(), at: Type.String({ format: 'date-time' }), actor: Type.String(), type: Type.String(), data: Type.Unknown(), hash: Type.String() });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Benchmark = Type.Object({
  matterCode: Type.String(),
  partyKind: Type.String(),
  tier: Type.String(),
  minFineYuan: Type.Integer(),
  maxFineYuan: Type.Integer(),
  measures: Type.Array(Type.String()),
  facts: Type.String({ description: 'the facts that select this tier' }),
  legalBasis: Type.String(),
  effectiveFrom: Type.String({ description: 'first day of the benchmark version this tier belongs to' }),
});

const CaseDetail = Type.Intersect([
  Case,
  Type.Object({
    alerts: Type.Array(Type.Unknown()),
    events: Type.Array(Event),
    actions: Type.Array(Type.Union(CASE_EVENTS.map((e) => Type.Literal(e))), { description: 'events the caller may fire now (POST …/transitions)' }),
    proposals: Type.Array(Type.Object({
      revision: Type.Integer(), proposedBy: Type.String(), proposedAt: Type.String({ format: 'date-time' }), party: Type.String(),
      facts: Type.String(), legalBasis: Type.String(), penalties: Type.Array(Type.String()), fineYuan: Nullable(Type.Integer()),
      hearingRequired: Type.Boolean(), tier: Nullable(Type.String()), partyKind: Nullable(Type.String()), partyId: Nullable(Type.String()),
      partyIdType: Nullable(Type.String()), deviationReason: Nullable(Type.String({ description: 'why the fine leaves the benchmark (inside the law)' })),
      boundsEffectiveFrom: Nullable(Type.String({ description: 'version of the statutory bounds the proposal was judged by' })),
      benchmarkEffectiveFrom: Nullable(Type.String({ description: 'version of the benchmark the proposal was judged by' })),
      correction: Nullable(Type.String()), outsideBenchmark: Type.Boolean({ description: 'fine outside the range of the stated tier: flagged, reviewed by the district centre' }),
      reviewLevel: Nullable(Type.String()), reviewReasons: Type.Array(Type.String()),
    })),
    consultations: Type.Array(Type.Object({
      revision: Type.Integer(), requestedBy: Type.String(), reviewer: Type.String(), question: Type.String(),
      requestedAt: Type.String({ format: 'date-time' }), opinion: Nullable(Type.String()), answeredAt: Nullable(Type.String({ format: 'date-time' })),
    }), { description: 'opinions asked by the district centre (会商)' }),
    benchmark: Type.Array(Benchmark, { description: "the discretion benchmark of the case's matter in force on the day of the act" }),
    decisionDeadline: Nullable(Type.Object({
      filedAt: Type.String({ format: 'date-time' }),
      dueAt: Type.String({ format: 'date-time' }),
      daysLeft: Type.Integer(),
      warnings: Type.Array(Type.Object({ day: Type.Integer(), at: Type.String({ format: 'date-time' }), reached: Type.Boolean() })),
      status: Type.Union(['on_time', 'warning', 'overdue', 'decided', 'decided_late'].map((s) => Type.Literal(s))),
    }, { description: 'general procedure: the 90-day decision deadline from filing and its warnings (null when the case was disposed of on site or dismissed)' })),
    reviews: Type.Array(Type.Object({
      revision: Type.Integer(), reviewer: Type.String(), outcome: Type.String(), opinion: Nullable(Type.String()), at: Type.String({ format: 'date-time' }),
    })),
    deadlines: Type.Array(CaseDeadline, { description: 'SLA deadlines per stage (accept, on site, decision) and decision-deadline warnings' }),
    escalations: Type.Array(CaseDeadline, { description: 'the deadlines that were escalated to the team lead (missed) or pushed (warnings crossed)' }),
  }),
  CaseLegalView,
]);

/**
 * Admins and operators see everything, including the fallback queue; officers and team leads their
 * team's cases; reviewers the cases submitted for review (one queue until review posts are routed).
 * The same rule as `canSee` in core/domain/case-lifecycle.ts, as a query filter.
 */
export function scopeOf(user: TokenClaims): CaseScope {
  switch (user.role) {
    case 'admin':
    case 'operator':
    case 'agency_head':
      return { all: true };
    case 'officer':
    case 'team_lead':
      return { all: false, teamId: user.teamId };
    case 'reviewer':
      return { all: false, teamId: null, reviewQueue: true, reviewPostId: user.reviewPostId ?? null };
    default: {
      const never: never = user.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

export const actorOf = (user: TokenClaims): Actor => ({ id: user.sub, role: user.role, teamId: user.teamId, reviewPostId: user.reviewPostId ?? null });

function visible(scope: CaseScope, event: LiveEvent): boolean {
  if (scope.all) return true;
  if (scope.teamId !== null && event.teamId === scope.teamId) return true;
  if (event.type !== 'case.updated') return false;
  if (scope.teamId !== null && event.previousTeamId === scope.teamId) return true;
  return scope.reviewQueue === true && event.review === true && !!scope.reviewPostId && event.reviewPostId === scope.reviewPostId;
}

function actionsFor(row: CaseRow, user: TokenClaims) {
  if (!isCaseState(row.state)) return [];
  return availableEvents({
    state: row.state, teamId: row.teamId, inReview: row.reviewSubmittedAt !== null, reviewPostId: row.reviewPostId,
    classified: row.matterCode !== null, filed: row.filedAt !== null,
  }, actorOf(user));
}

const routes: FastifyPluginAsyncTypebox<{ cases: CaseRepository; bus: LiveBus }> = async (app, { cases, bus }) => {
  // Open streams end before the server closes, or they would hold the shutdown open.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });

  app.get(
    '/api/v1/cases',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: "Cases the caller may see: their team's, or all for admins and operators",
        security: [{ bearer: [] }],
        querystring: Type.Object({
          state: Type.Optional(Type.String({ maxLength: 32 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: { 200: Type.Array(Case), 401: { $ref: 'Error#' } },
      },
    },
    async (req) => cases.list(scopeOf(req.user), req.query),
  );

  app.get(
    '/api/v1/cases/:id',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: CaseDetail, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const row = await cases.get(req.params.id, scopeOf(req.user));
      if (!row) throw new AppError(404, 'CASE_NOT_FOUND', `no case ${req.params.id}`);
      const record = await cases.lifecycle(row.id);
      const deadlines = await cases.deadlines(row.id);
      const onSiteOnly = row.resolution !== null || row.state === 'dismissed';
      const deadline = row.filedAt && row.decisionDueAt && !onSiteOnly
        ? decisionDeadline(new Date(row.filedAt), new Date(row.decisionDueAt), new Date(), cases.legal.decisionWarningDays,
          row.decidedLate === null ? null : { late: row.decidedLate }, cases.legal.timezone)
        : null;
      return {
        ...row, alerts: await cases.alertsOf(row.id), events: await cases.events(row.id), actions: actionsFor(row, req.user), ...record,
        ...(await cases.legalView(row.id, row.matterCode)),
        decisionDeadline: deadline,
        deadlines,
        escalations: deadlines.filter((d) => d.escalatedAt !== null),
      };
    },
  );

  app.get(
    '/api/v1/stream',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        summary: 'Server-sent events: case.opened / case.updated for the cases the caller may see',
        description:
          'EventSource cannot send headers: pass the token as `?access_token=`. Every event carries an `id` that ' +
          'only grows (kept in the database, across restarts and processes). Reconnect with `Last-Event-ID` ' +
          '(EventSource does so by itself) or `?lastEventId=` (the header wins) to get, in order and once, the ' +
          'events missed in between. A fresh stream starts with `ready` (its id: the position to resume from); a ' +
          'resumed one with `ready` without id; when the events after the given id are no longer kept ' +
          '(LIVE_EVENTS_RETENTION_H) or the id is unknown, with `reset` instead: reload your lists.',
        security: [{ bearer: [] }],
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$' })) }),
        querystring: Type.Object({
          access_token: Type.Optional(Type.String()),
          lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$', description: 'resume after this event id' })),
        }),
      },
    },
    async (req, reply) => {
      const scope = scopeOf(req.user);
      // EventSource's own reconnects send the header; the query is what the page put in the URL when it
      // opened this EventSource (after a token renewal), so the header is the newer of the two.
      const given = req.headers['last-event-id'] || req.query.lastEventId || undefined;
      const last = given === undefined ? undefined : Number(given);
      const { head, horizon } = await bus.position();
      const reset = last === undefined ? undefined : last < horizon ? 'expired' : last > head ? 'unknown' : undefined;
      const from = last === undefined || reset ? head : last;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (id: number | null, type: string, data: unknown) =>
        res.write(`${id === null ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      res.write(`retry: 2000\n: connected as ${req.user.username}\n\n`);
      if (reset) send(head, 'reset', { reason: reset, lastEventId: last, oldest: horizon + 1, head });
      else send(last === undefined ? head : null, 'ready', { lastEventId: from, resumed: last !== undefined });

      const subscription = bus.subscribe(from, ({ id, event }) => {
        if (visible(scope, event)) send(id, event.type, event);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      const end = () => {
        clearInterval(ping);
        subscription.close();
        streams.delete(end);
        res.end();
      };
      streams.add(end);
      req.raw.on('close', end);
      subscription.ready.catch((err: unknown) => {
        req.log.warn({ err }, 'live stream catch-up failed; the client resumes from its last id');
        end();
      });
    },
  );
};
export default routes;
