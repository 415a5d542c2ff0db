import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { CASE_EVENTS, CASE_STATES, CollectiveDiscussion, EVENT_FIELDS, PARTY_KINDS, TIERS, type CaseEvent } from './case-transitions.js';

/** Cases as the API and the live stream show them. */

export const DEADLINE_STATUSES = ['open', 'met', 'missed', 'cancelled', 'reached'] as const;
export type DeadlineStatus = (typeof DEADLINE_STATUSES)[number];

/** One deadline of a case as the API shows it (the schema is the type). */
export const CaseDeadline = Type.Object({
  name: Type.String({ description: 'accept, on_site, decision, decision_warning_<day>' }),
  kind: Type.Union([Type.Literal('deadline'), Type.Literal('warning')], { description: 'a missed deadline escalates to the team lead; a warning is pushed when crossed' }),
  stage: Type.String({ description: 'the state that meets it' }),
  dueAt: Type.String({ format: 'date-time' }),
  status: Type.Union(DEADLINE_STATUSES.map((s) => Type.Literal(s))),
  reachedAt: Nullable(Type.String({ format: 'date-time', description: 'when the stage was reached (met, or missed and reached late)' })),
  escalatedAt: Nullable(Type.String({ format: 'date-time' })),
  escalatedTo: Nullable(Type.Array(Type.String(), { description: "the team's leads notified (empty: no lead, the operations centre sees it)" })),
});
export type CaseDeadline = Static<typeof CaseDeadline>;

/** A decision proposal revision (POST …/transitions `propose_decision`), with its review routing. */
export const Proposal = Type.Object({
  revision: Type.Integer(), proposedBy: Type.String(), proposedAt: Type.String({ format: 'date-time' }), party: Type.String(),
  facts: Type.String(), legalBasis: Type.String(), penalties: Type.Array(Type.String()), fineYuan: Nullable(Type.Integer()),
  hearingRequired: Type.Boolean(), tier: Nullable(Type.String()), partyKind: Nullable(Type.String()), partyId: Nullable(Type.String()),
  partyIdType: Nullable(Type.String()), deviationReason: Nullable(Type.String({ description: 'why the fine leaves the benchmark (inside the law)' })),
  boundsEffectiveFrom: Nullable(Type.String({ description: 'version of the statutory bounds the proposal was judged by' })),
  benchmarkEffectiveFrom: Nullable(Type.String({ description: 'version of the benchmark the proposal was judged by' })),
  correction: Nullable(Type.String()), outsideBenchmark: Type.Boolean({ description: 'fine outside the range of the stated tier: flagged, reviewed by the district centre' }),
  reviewLevel: Nullable(Type.String()), reviewReasons: Type.Array(Type.String()),
});
export type Proposal = Static<typeof Proposal>;

export const Review = Type.Object({
  revision: Type.Integer(), reviewer: Type.String(), outcome: Type.Union([Type.Literal('approved'), Type.Literal('returned')]), opinion: Nullable(Type.String()), at: Type.String({ format: 'date-time' }),
});
export type Review = Static<typeof Review>;

export const Consultation = Type.Object({
  revision: Type.Integer(), requestedBy: Type.String(), reviewer: Type.String(), question: Type.String(),
  requestedAt: Type.String({ format: 'date-time' }), opinion: Nullable(Type.String()), answeredAt: Nullable(Type.String({ format: 'date-time' })),
});
export type Consultation = Static<typeof Consultation>;

/** The notice of an intended penalty served on the party (告知, Administrative Penalty Law art. 44): what it told the party. */
export const PartyNotice = Type.Object({
  seq: Type.Integer({ description: 'the case event that records it' }),
  revision: Type.Integer({ description: 'the proposal revision notified' }),
  servedBy: Type.String(), servedAt: Type.String({ format: 'date-time' }), method: Type.String({ description: 'in_person, post, electronic' }),
  penalties: Type.Array(Type.String()), fineYuan: Nullable(Type.Integer()),
  hearingAvailable: Type.Boolean({ description: 'the party was told of its right to request a hearing (art. 63)' }),
  statementDueAt: Type.String({ format: 'date-time', description: 'end of the period to state a case and defend' }),
  hearingRequestDueAt: Nullable(Type.String({ format: 'date-time', description: 'end of the period to request a hearing (art. 64: 5 days)' })),
});
export type PartyNotice = Static<typeof PartyNotice>;
export const PartyStatement = Type.Object({
  at: Type.String({ format: 'date-time' }), recordedBy: Type.String(), statement: Type.String(),
  answer: Type.String({ description: 'accepted, partly_accepted, not_accepted' }), reply: Type.String(),
});
export type PartyStatement = Static<typeof PartyStatement>;
export const PartyWaiver = Type.Object({ at: Type.String({ format: 'date-time' }), recordedBy: Type.String(), document: Type.String() });
export type PartyWaiver = Static<typeof PartyWaiver>;
export const HearingRequest = Type.Object({ at: Type.String({ format: 'date-time' }), recordedBy: Type.String(), requestedAt: Type.String({ format: 'date-time' }) });
export type HearingRequest = Static<typeof HearingRequest>;
export const Hearing = Type.Object({
  at: Type.String({ format: 'date-time' }), recordedBy: Type.String(), heldAt: Type.String({ format: 'date-time' }), presidedBy: Type.String(), transcriptSummary: Type.String(),
});
export type Hearing = Static<typeof Hearing>;
/** How the party was heard before a penalty (arts. 44, 45, 62–64): the latest notice and what followed it. */
export const PenaltyProcedure = Type.Object({
  notice: Nullable(PartyNotice),
  current: Type.Boolean({ description: 'the notice names the latest proposal revision (a later revision voids it: notify again)' }),
  statements: Type.Array(PartyStatement, { description: "the party's statements and defence on the notice, each with the officers' answer" }),
  waiver: Nullable(PartyWaiver),
  hearingRequest: Nullable(HearingRequest),
  hearing: Nullable(Hearing),
  voided: Type.Array(PartyNotice, { description: 'earlier notices, voided by a later revision' }),
  hearingAvailable: Type.Boolean({ description: 'the latest proposal gives the party the right to request a hearing (art. 63): what a notice of it says' }),
});
export type PenaltyProcedure = Static<typeof PenaltyProcedure>;

export const DecisionDeadline = Type.Object({
  filedAt: Type.String({ format: 'date-time' }),
  dueAt: Type.String({ format: 'date-time' }),
  daysLeft: Type.Integer({ description: 'whole days left (negative once overdue)' }),
  warnings: Type.Array(Type.Object({ day: Type.Integer(), at: Type.String({ format: 'date-time' }), reached: Type.Boolean() })),
  status: Type.Union((['on_time', 'warning', 'overdue', 'decided', 'decided_late'] as const).map((s) => Type.Literal(s))),
}, { description: 'general procedure: the 90-day decision deadline from filing and its warnings (null when the case was disposed of on site or dismissed)' });
export type DecisionDeadline = Static<typeof DecisionDeadline>;

export const ChainHead = Type.Object({ seq: Type.Integer(), hash: Type.Union([Type.String(), Type.Null()]) });
export type ChainHead = Static<typeof ChainHead>;

export const PROBLEM_KINDS = ['edited', 'deleted', 'reordered', 'inserted', 'broken_link'] as const;
export const ChainProblem = Type.Object({
  seq: Type.Integer(),
  kind: Type.Union(PROBLEM_KINDS.map((k) => Type.Literal(k))),
  message: Type.String(),
});
export type ChainProblem = Static<typeof ChainProblem>;
export type ProblemKind = ChainProblem['kind'];

export const ChainVerification = Type.Object({ ok: Type.Boolean(), events: Type.Integer(), problems: Type.Array(ChainProblem) });
export type ChainVerification = Static<typeof ChainVerification>;

export const ChainEvent = Type.Object({
  seq: Type.Integer(),
  at: Type.String({ description: 'ISO-8601 UTC as stored (microseconds only if edited below the millisecond)' }),
  actor: Type.String(),
  type: Type.String(),
  data: Type.Unknown(),
  prevHash: Type.Union([Type.String(), Type.Null()]),
  hash: Type.String(),
  hashVersion: Type.Integer(),
});

export const Audit = Type.Object({
  caseId: Type.String(),
  head: Type.Object({ seq: ChainHead.properties.seq, hash: ChainHead.properties.hash }, { description: 'last event as recorded on the case row' }),
  events: Type.Array(ChainEvent),
  verification: ChainVerification,
});

export type ChainEvent = Static<typeof ChainEvent>;
export type CaseAudit = Static<typeof Audit>;

export const Case = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  incidentId: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  zoneName: Type.String(),
  zoneNameZh: Nullable(Type.String({ description: 'the zone\'s name in Chinese (null: zoneName)' })),
  matterCode: Type.Union([Type.String(), Type.Null()]),
  matterName: Nullable(Type.String()),
  matterNameZh: Nullable(Type.String({ description: 'the matter\'s name in Chinese (null: matterName)' })),
  teamName: Nullable(Type.String()),
  teamNameZh: Nullable(Type.String({ description: 'the team\'s name in Chinese (null: teamName)' })),
  teamId: Type.Union([Type.String(), Type.Null()]),
  supportTeamId: Type.Union([Type.String(), Type.Null()], { description: 'the team working the case beside the one holding it (emergency management on an intrusion): it sees and acts on the case too' }),
  supportTeamName: Type.Optional(Nullable(Type.String({ description: 'its name' }))),
  supportTeamNameZh: Type.Optional(Nullable(Type.String({ description: 'its name in Chinese (null: supportTeamName)' }))),
  state: Type.String(),
  title: Type.String(),
  titleZh: Nullable(Type.String({ description: 'the title in Chinese (null: title; cases opened before it was written)' })),
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

export const Benchmark = Type.Object({
  matterCode: Type.String(),
  partyKind: Type.Union(PARTY_KINDS.map((k) => Type.Literal(k))),
  tier: Type.Union(TIERS.map((t) => Type.Literal(t))),
  minFineYuan: Type.Integer(),
  maxFineYuan: Type.Integer(),
  measures: Type.Array(Type.String()),
  facts: Type.String({ description: 'the facts that select this tier' }),
  factsZh: Type.Optional(Nullable(Type.String({ description: 'the same in Chinese, shown by the Chinese UI (null: the English text is shown)' }))),
  legalBasis: Type.String(),
  legalBasisZh: Type.Optional(Nullable(Type.String({ description: 'the same in Chinese, shown by the Chinese UI (null: the English text is shown)' }))),
  effectiveFrom: Type.String({ description: 'first day of the benchmark version this tier belongs to (YYYY-MM-DD)' }),
});

/** The law's penalties for a matter and kind of party (法定处罚幅度), one version from its effective date. */
export const StatutoryBound = Type.Object({
  matterCode: Type.String(),
  partyKind: Type.Union(PARTY_KINDS.map((k) => Type.Literal(k))),
  effectiveFrom: Type.String({ description: 'first day of this version (YYYY-MM-DD)' }),
  fineRequired: Type.Boolean({ description: 'a fine goes with every penalty (并处), not at discretion' }),
  minFineYuan: Type.Integer(),
  maxFineYuan: Type.Integer(),
  mandatoryMeasures: Type.Array(Type.String(), { description: 'measures every penalty must include, e.g. confiscation' }),
  legalBasis: Type.String(),
  legalBasisZh: Type.Optional(Nullable(Type.String({ description: 'the same in Chinese, shown by the Chinese UI (null: the English text is shown)' }))),
});
export type StatutoryBound = Static<typeof StatutoryBound>;

export const Extension = Type.Object({
  approvedBy: Type.String(),
  reason: Type.String(),
  previousDueAt: Type.String({ format: 'date-time' }),
  newDueAt: Type.String({ format: 'date-time' }),
  collectiveDiscussion: Nullable(CollectiveDiscussion),
  at: Type.String({ format: 'date-time' }),
});
export type Extension = Static<typeof Extension>;

/** What the case detail shows of the legal catalogue (as in force on the day of the act) and the steps it records. */
export const CaseLegalView = Type.Object({
  actDate: Nullable(Type.String({ description: 'local date of the act (first alert): the catalogue in force that day judges the case' })),
  statutoryBounds: Type.Array(StatutoryBound, { description: "the law's penalties for the matter per kind of party, in force on the act date" }),
  benchmark: Type.Array(Benchmark, { description: "the discretion benchmark of the case's matter in force on the act date" }),
  extensions: Type.Array(Extension, { description: 'decision-deadline extensions approved by the agency head' }),
  presence: Nullable(Type.Object({
    secondOfficer: Type.String(),
    confirmedAt: Nullable(Type.String({ format: 'date-time' })),
    location: Nullable(Type.Unknown()),
  }, { description: 'the second officer named on arrival and their own confirmation' })),
});
export type CaseLegalView = Static<typeof CaseLegalView>;

export const CaseDetail = Type.Intersect([
  Case,
  Type.Object({
    alerts: Type.Array(Type.Unknown()),
    events: Type.Array(Event),
    actions: Type.Array(Type.Union(CASE_EVENTS.map((e) => Type.Literal(e))), { description: 'events the caller may fire now (POST …/transitions): allowed to their role in this state and not refused by the legal rules as the case stands (no matter yet, second officer not confirmed, not filed, opinions awaited…); a form’s own fields may still be refused' }),
    proposals: Type.Array(Proposal),
    consultations: Type.Array(Consultation, { description: 'opinions asked by the district centre (会商)' }),
    decisionDeadline: Nullable(DecisionDeadline),
    procedure: PenaltyProcedure,
    reviews: Type.Array(Review),
    deadlines: Type.Array(CaseDeadline, { description: 'SLA deadlines per stage (accept, on site, decision) and decision-deadline warnings' }),
    escalations: Type.Array(CaseDeadline, { description: 'the deadlines that were escalated to the team lead (missed) or pushed (warnings crossed)' }),
    people: Type.Record(Type.String(), Type.String(), {
      description: 'display names, by user id, of the staff the case names (event actors, the officer who accepted it, the officers on site, proposers, reviewers and consulted reviewers, evidence uploaders, extension approvers): names only, nothing else of them',
    }),
    peopleZh: Type.Record(Type.String(), Type.String(), { description: 'the same people\'s names in Chinese, where they have one (the Chinese UI shows them)' }),
  }),
  CaseLegalView,
]);

export type Case = Static<typeof Case>;
export type Benchmark = Static<typeof Benchmark>;
/** A case event with its link to the previous one (the API's `Event` shows it without `prevHash`). */
export const CaseEventRecord = Type.Composite([Event, Type.Object({ prevHash: Nullable(Type.String()) })]);
export type CaseEventRecord = Static<typeof CaseEventRecord>;

export const CaseList = Type.Array(Case);
export const CaseListQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 32 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});
export const BenchmarkList = Type.Array(Benchmark);
export const BenchmarkQuery = Type.Object({ matter: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) });

export const StreamHeaders = Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$' })) });
export const StreamQuery = Type.Object({
  access_token: Type.Optional(Type.String()),
  lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$', description: 'resume after this event id' })),
});

/** POST …/transitions: `event` plus that event's fields, one branch per event (`describe` documents each). */
export function transitionBody(describe: (event: CaseEvent) => string) {
  return Type.Unsafe<{ event: string; [field: string]: unknown }>({
    type: 'object',
    required: ['event'],
    discriminator: { propertyName: 'event' },
    oneOf: CASE_EVENTS.map((e) =>
      Type.Object({ event: Type.Literal(e), ...EVENT_FIELDS[e].properties }, {
        additionalProperties: false,
        title: e,
        description: describe(e),
      })),
  });
}

export const CaseState = Type.Union(CASE_STATES.map((s) => Type.Literal(s)));
export const TransitionResult = Type.Object({ from: CaseState, to: CaseState, case: Case, event: Event });
