import { Type, type Static, type TObject } from '@sinclair/typebox';

/**
 * The case lifecycle's vocabulary and the fields each transition carries (POST /api/v1/cases/{id}/transitions).
 * The state machine that applies them is enforcement-api/domain/case-lifecycle.ts.
 */

export const CASE_STATES = [
  'reported',
  'dispatched',
  'accepted',
  'on_site',
  'resolved_on_site',
  'decision_proposed',
  'under_review',
  'approved',
  'returned',
  'decided',
  'closed',
  'dismissed',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const CASE_EVENTS = [
  'dispatch',
  'accept',
  'arrive',
  'resolve_on_site',
  'propose_decision',
  'submit_for_review',
  'approve',
  'return',
  'decide',
  'close',
  'dismiss',
  'request_opinions',
  'give_opinion',
  'classify',
  'file',
  'extend_deadline',
  'notify_party',
  'record_statement',
  'waive_statement',
  'request_hearing',
  'record_hearing',
] as const;
export type CaseEvent = (typeof CASE_EVENTS)[number];

/** How an on-site disposal ended. `corrected`: a first minor violation corrected in time, no penalty. */
export const RESOLUTIONS = ['corrected', 'warning_issued', 'no_violation_found', 'hazard_cleared'] as const;
/** Measures a proposed decision may carry; `no_penalty` (不予处罚) stands alone. */
export const PENALTIES = ['no_penalty', 'warning', 'fine', 'confiscation', 'suspension', 'licence_revocation'] as const;
/** Discretion benchmark tiers (enforcement-api/domain/legal-rules.ts) and the kinds of party they distinguish. */
export const TIERS = ['no_penalty', 'mitigated', 'normal', 'aggravated'] as const;
export const PARTY_KINDS = ['individual', 'unit'] as const;
/** How the notice of an intended penalty (告知书) reached the party. */
export const SERVICE_METHODS = ['in_person', 'post', 'electronic'] as const;
/** What the officers made of the party's statement and defence (陈述、申辩): APL art. 45, they must answer it. */
export const STATEMENT_ANSWERS = ['accepted', 'partly_accepted', 'not_accepted'] as const;

// Non-blank text without control characters (tab, CR, LF allowed): what a person writes in a case file.
const TEXT_PATTERN = '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$';
const Text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: TEXT_PATTERN, description });
const Note = Type.Optional(Text(1000, 'free-text note for the case file'));
const closed = { additionalProperties: false } as const;
const Code = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description });
const UserId = Code;
const Instant = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$', description });
/** How a party is identified (enforcement-api/legal/party-ids.ts). */
export const PARTY_ID_TYPES = ['resident_id', 'passport', 'uscc'] as const;
const PartyId = Type.Optional(Type.String({
  minLength: 1, maxLength: 64, pattern: TEXT_PATTERN,
  description: 'identifier of the party: resident identity number (GB 11643), passport number, or unified social credit code (GB 32100); normalised (upper case, no spaces) and checked; required for any penalty',
}));
const PartyIdType = Type.Optional(Type.Union(PARTY_ID_TYPES.map((k) => Type.Literal(k)), {
  description: 'what partyId is: default resident_id for an individual, uscc for a unit',
}));
const PartyKind = Type.Optional(Type.Union(PARTY_KINDS.map((k) => Type.Literal(k)), { description: 'default individual' }));
const Correction = Type.Optional(Text(2000, 'how and when the party corrected the violation (first minor violation, no penalty)'));

/**
 * The collective discussion (集体讨论) of the agency's leaders that decided an extension of the decision
 * deadline beyond those the agency head approves alone (DECISION_EXTENSIONS_WITHOUT_DISCUSSION, 1).
 */
export const CollectiveDiscussion = Type.Object({
  heldOn: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'the local date it was held (YYYY-MM-DD): on or after the filing, not after today' }),
  participants: Type.Array(Text(100, 'a leader who took part'), { minItems: 2, maxItems: 20, description: 'the leaders who took part (at least two)' }),
  minutesRef: Text(200, 'the reference of its minutes (会议纪要), where the decision and its reason are recorded'),
}, { ...closed, description: 'the collective discussion that decided this extension: required beyond the extensions the agency head approves alone' });
export type CollectiveDiscussion = Static<typeof CollectiveDiscussion>;

/** The fields each event carries besides `event` (no others are accepted). */
export const EVENT_FIELDS = {
  dispatch: Type.Object({
    teamId: Code('team that takes the case'),
    note: Note,
  }, closed),
  accept: Type.Object({ note: Note }, closed),
  arrive: Type.Object({
    location: Type.Object({
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      accuracyM: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
    }, { ...closed, description: 'GPS position of the tablet on arrival' }),
    secondOfficerId: Type.Optional(UserId('user id of the second certified officer on site (required for penalty matters)')),
    note: Note,
  }, closed),
  resolve_on_site: Type.Object({
    outcome: Type.Union(RESOLUTIONS.map((r) => Type.Literal(r))),
    summary: Text(2000, 'what was found and done on site'),
    partyKind: PartyKind,
    partyId: PartyId,
    partyIdType: PartyIdType,
    correction: Correction,
  }, closed),
  propose_decision: Type.Object({
    party: Text(200, 'the party (当事人): person or unit the decision is addressed to'),
    facts: Text(4000, 'the facts found'),
    legalBasis: Text(500, 'articles applied'),
    penalties: Type.Array(Type.Union(PENALTIES.map((p) => Type.Literal(p))), { minItems: 1, maxItems: PENALTIES.length, uniqueItems: true }),
    fineYuan: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'required with, and only with, a fine' })),
    hearingRequired: Type.Optional(Type.Boolean()),
    tier: Type.Union(TIERS.map((t) => Type.Literal(t)), { description: 'discretion benchmark tier the facts select' }),
    partyKind: PartyKind,
    partyId: PartyId,
    partyIdType: PartyIdType,
    correction: Correction,
    deviationReason: Type.Optional(Text(2000, 'why the fine leaves the discretion benchmark (inside the law): required then, and the district centre reviews it')),
    revises: Type.Optional(Type.Integer({ minimum: 1, description: 'the revision this proposal replaces: required once the case has a proposal, and it must be the latest (409 PROPOSAL_CHANGED otherwise, so that a colleague\'s proposal made meanwhile is never silently replaced)' })),
  }, closed),
  submit_for_review: Type.Object({ note: Note }, closed),
  approve: Type.Object({ opinion: Type.Optional(Text(4000, 'reviewer opinion')) }, closed),
  return: Type.Object({ opinion: Text(4000, 'written opinion: why the proposal goes back and what to change') }, closed),
  decide: Type.Object({
    decisionNo: Text(64, 'number of the written decision'),
    note: Note,
  }, closed),
  close: Type.Object({ summary: Type.Optional(Text(2000, 'closing summary')) }, closed),
  dismiss: Type.Object({
    reason: Text(1000, 'why the case is dismissed, e.g. what was actually there on a false alarm'),
    falseAlarm: Type.Optional(Type.Boolean({ description: 'the alert was wrong (a label for the next training)' })),
  }, closed),
  request_opinions: Type.Object({
    reviewers: Type.Array(UserId('reviewer asked for an opinion'), { minItems: 1, maxItems: 10, uniqueItems: true }),
    question: Text(2000, 'what the consultation (会商) is to answer'),
  }, closed),
  give_opinion: Type.Object({ opinion: Text(4000, 'the consulted reviewer\'s written opinion') }, closed),
  classify: Type.Object({
    matterCode: Code('the catalogue matter the case is about'),
    note: Note,
  }, closed),
  file: Type.Object({ note: Note }, closed),
  extend_deadline: Type.Object({
    reason: Text(2000, 'why the case cannot be decided within the deadline (complex case, expert report, …)'),
    newDueAt: Instant('the new decision deadline (ISO-8601 with offset), at most DECISION_EXTENSION_MAX_DAYS (30) calendar days after the current one'),
    collectiveDiscussion: Type.Optional(CollectiveDiscussion),
  }, closed),
  // The party is heard before a penalty is decided (Administrative Penalty Law arts. 44, 45, 62–64).
  notify_party: Type.Object({
    method: Type.Union(SERVICE_METHODS.map((m) => Type.Literal(m)), { description: 'how the notice was served: in person, by post, electronically' }),
    servedAt: Type.Optional(Instant('when the party received the notice (default: now); not before the approval, not in the future')),
    note: Note,
  }, closed),
  record_statement: Type.Object({
    statement: Text(4000, "the party's statement and defence (陈述、申辩), as given"),
    answer: Type.Union(STATEMENT_ANSWERS.map((a) => Type.Literal(a)), { description: 'whether the officers accept the facts, reasons and evidence the party put forward' }),
    reply: Text(4000, 'the officers\' answer: what they checked and why they accept it or not'),
  }, closed),
  waive_statement: Type.Object({
    document: Text(1000, "the party's written waiver of statement, defence and hearing: what it is and where it is filed"),
  }, closed),
  request_hearing: Type.Object({
    requestedAt: Type.Optional(Instant('when the party asked for a hearing (default: now); within the hearing-request period of the notice')),
    note: Note,
  }, closed),
  record_hearing: Type.Object({
    heldAt: Instant('when the hearing was held'),
    presidedBy: UserId('the reviewer who presided (not one of the case\'s investigating officers)'),
    transcriptSummary: Text(4000, 'summary of the hearing transcript (听证笔录)'),
  }, closed),
} as const satisfies Record<CaseEvent, TObject>;

export type EventFields = { [E in CaseEvent]: Static<(typeof EVENT_FIELDS)[E]> };
export type Transition = { [E in CaseEvent]: { event: E; fields: EventFields[E] } }[CaseEvent];
export type TransitionOf<E extends CaseEvent> = Extract<Transition, { event: E }>;

