import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Benchmark, Case, CaseDetail, CaseList, CaseListQuery, Event, StreamHeaders, StreamQuery } from '../../contract/http/cases.js';
import { UuidParams } from '../../contract/http/common.js';
import { AppError } from '../errors.js';
import { availableEvents, isCaseState, type Actor } from '../domain/case-lifecycle.js';
import { decisionDeadline } from '../domain/legal-rules.js';
import type { CaseRepository, CaseRow } from '../cases/repository.js';
import { mayReceive } from '../domain/jurisdiction.js';
import type { LiveBus } from '../live.js';
import type { SessionRepository } from '../sessions.js';
import type { Metrics } from '../../core/metrics.js';
export { Benchmark, Case, Event };
import type { TokenClaims } from '../plugins/auth.js';

export const actorOf = (user: TokenClaims): Actor => ({ id: user.sub, role: user.role, teamId: user.teamId, reviewPostId: user.reviewPostId ?? null });

function actionsFor(row: CaseRow, user: TokenClaims) {
  if (!isCaseState(row.state)) return [];
  return availableEvents({
    state: row.state, teamId: row.teamId, supportTeamId: row.supportTeamId, inReview: row.reviewSubmittedAt !== null, reviewPostId: row.reviewPostId,
    classified: row.matterCode !== null, filed: row.filedAt !== null,
  }, actorOf(user));
}

/** How often an open live stream checks that its session was not revoked by another process. */
const SESSION_CHECK_MS = 5000;

/**
 * Live streams one person may hold open at once (per API process): a few tabs and devices. Each stream
 * holds a connection, timers and a session check against the database every SESSION_CHECK_MS, so one
 * account (a stolen token, a looping script) must not open thousands of them.
 */
export const MAX_STREAMS_PER_USER = 8;

const routes: FastifyPluginAsyncTypebox<{ cases: CaseRepository; bus: LiveBus; sessions: SessionRepository; metrics: Metrics }> = async (app, { cases, bus, sessions, metrics }) => {
  // Open streams end before the server closes, or they would hold the shutdown open.
  const streams = new Set<() => void>();
  /** Open streams per user id. */
  const openPerUser = new Map<string, number>();
  const streamsRefused = metrics.counter('api_live_streams_refused_total', 'live streams refused because the user already holds MAX_STREAMS_PER_USER open');
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
        querystring: CaseListQuery,
        response: { 200: CaseList, 401: { $ref: 'Error#' } },
      },
    },
    async (req) => cases.list(req.user, req.query),
  );

  app.get(
    '/api/v1/cases/:id',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['cases'],
        security: [{ bearer: [] }],
        params: UuidParams,
        response: { 200: CaseDetail, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const row = await cases.get(req.params.id, req.user);
      if (!row) throw new AppError(404, 'CASE_NOT_FOUND', `no case ${req.params.id}`);
      const record = await cases.lifecycle(row.id);
      const deadlines = await cases.deadlines(row.id);
      const onSiteOnly = row.resolution !== null || row.state === 'dismissed';
      const deadline = row.filedAt && row.decisionDueAt && !onSiteOnly
        ? decisionDeadline(new Date(row.filedAt), new Date(row.decisionDueAt), new Date(), cases.legal.decisionWarningDays,
          row.decidedLate === null ? null : { late: row.decidedLate }, cases.legal.timezone)
        : null;
      const events = await cases.events(row.id);
      const legal = await cases.legalView(row.id, row.matterCode);
      const procedure = await cases.procedure(row.id);
      // The colleagues the case names, for their display names (people below).
      const named = [
        row.assignedTo, ...(row.onSiteOfficers ?? []), ...events.map((e) => e.actor), legal.presence?.secondOfficer,
        ...record.proposals.map((p) => p.proposedBy), ...record.reviews.map((r) => r.reviewer),
        ...record.consultations.flatMap((c) => [c.reviewer, c.requestedBy]), ...legal.extensions.map((x) => x.approvedBy),
        procedure.notice?.servedBy, procedure.hearing?.presidedBy,
      ].filter((x): x is string => typeof x === 'string');
      return {
        ...row, alerts: await cases.alertsOf(row.id), events, actions: await cases.allowedNow(row.id, actorOf(req.user), actionsFor(row, req.user)), ...record,
        ...legal,
        decisionDeadline: deadline,
        procedure,
        deadlines,
        escalations: deadlines.filter((d) => d.escalatedAt !== null),
        ...(await cases.people(row.id, named)),
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
          '(LIVE_EVENTS_RETENTION_H) or the id is unknown, with `reset` instead: reload your lists. The stream ends ' +
          'with `expired` when its access token expires or its session is revoked: renew the token and reconnect.',
        security: [{ bearer: [] }],
        headers: StreamHeaders,
        querystring: StreamQuery,
        response: { 401: { $ref: 'Error#' }, 429: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const viewer = req.user;
      // EventSource's own reconnects send the header; the query is what the page put in the URL when it
      // opened this EventSource (after a token renewal), so the header is the newer of the two.
      const given = req.headers['last-event-id'] || req.query.lastEventId || undefined;
      const last = given === undefined ? undefined : Number(given);
      const { head, horizon } = await bus.position();
      const reset = last === undefined ? undefined : last < horizon ? 'expired' : last > head ? 'unknown' : undefined;
      const from = last === undefined || reset ? head : last;

      const user = viewer.sub;
      const open = openPerUser.get(user) ?? 0;
      if (open >= MAX_STREAMS_PER_USER) {
        streamsRefused.inc();
        req.log.warn({ user, open }, 'live stream refused: too many open for this user');
        throw new AppError(429, 'TOO_MANY_STREAMS', `you already hold ${open} live streams open (at most ${MAX_STREAMS_PER_USER}): close one`);
      }
      openPerUser.set(user, open + 1);
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
        if (mayReceive(viewer, event)) send(id, event.type, event);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      // The stream lives no longer than its token and its session: `expired` tells the client to renew
      // its token and open the stream again (resuming from its last id).
      const sid = req.user.sid;
      const expire = (reason: 'token_expired' | 'session_revoked') => {
        if (res.writableEnded) return;
        send(null, 'expired', { reason });
        end();
      };
      const expiry = setTimeout(() => expire('token_expired'), Math.max(0, (req.user.exp ?? 0) * 1000 - Date.now()));
      const stopListening = sessions.onRevoked((revoked) => {
        if (revoked === sid) expire('session_revoked');
      });
      const check = setInterval(() => {
        sessions.isActive(sid).then((live) => live || expire('session_revoked'), () => undefined);
      }, SESSION_CHECK_MS);
      let ended = false;
      const end = () => {
        if (!ended) {
          ended = true;
          const left = (openPerUser.get(user) ?? 1) - 1;
          if (left > 0) openPerUser.set(user, left);
          else openPerUser.delete(user);
        }
        clearInterval(ping);
        clearInterval(check);
        clearTimeout(expiry);
        stopListening();
        subscription.close();
        streams.delete(end);
        res.end();
      };
      streams.add(end);
      req.raw.on('close', end);
      // A client gone while the stream was set up: nothing will close it later.
      if (res.destroyed) end();
      subscription.ready.catch((err: unknown) => {
        req.log.warn({ err }, 'live stream catch-up failed; the client resumes from its last id');
        end();
      });
    },
  );
};
export default routes;
