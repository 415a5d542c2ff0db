import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { Case } from './cases.js';

/**
 * What the live stream (GET /api/v1/stream, server-sent events) pushes; each event's SSE `event:` is
 * its `type`. `teamId` scopes delivery: null = fallback queue (admins, operators).
 */
export const CaseOpened = Type.Object({ type: Type.Literal('case.opened'), teamId: Nullable(Type.String()), case: Case });

export const CaseUpdated = Type.Object({
  type: Type.Literal('case.updated'),
  teamId: Nullable(Type.String()),
  caseId: Type.String(),
  reason: Type.String({ description: 'what happened: the case event type (e.g. `alert.attached`, `accepted`)' }),
  state: Type.Optional(Type.String({ description: 'the state after a lifecycle transition' })),
  review: Type.Optional(Type.Boolean({ description: "the case is in the legal reviewers' queue (delivered to reviewers too)" })),
  reviewPostId: Type.Optional(Nullable(Type.String({ description: 'the legal review post the case is with (only its reviewers get it)' }))),
  supportTeamId: Type.Optional(Nullable(Type.String({ description: 'the team working the case beside the one holding it (delivered to it too)' }))),
  previousTeamId: Type.Optional(Nullable(Type.String({ description: 'the team that had the case before a dispatch (delivered to it too: the case left its inbox)' }))),
});

export const LiveEvent = Type.Union([CaseOpened, CaseUpdated]);
export type LiveEvent = Static<typeof LiveEvent>;
