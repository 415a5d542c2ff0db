import type { TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Role } from '../../contract/http/auth.js';
import { maySeeCase } from './jurisdiction.js';

/**
 * The case lifecycle of DESIGN §3 as one pure, exhaustive state machine:
 *
 *   reported ─dispatch─▶ dispatched ─accept─▶ accepted ─arrive─▶ on_site ─resolve_on_site─▶ resolved_on_site ─close─▶ closed
 *                                                                   │
 *                                                          propose_decision
 *                                                                   ▼
 *        returned ─propose_decision─▶ decision_proposed ─submit_for_review─▶ under_review ─approve─▶ approved ─decide─▶ decided ─close─▶ closed
 *            ▲                                    ▲                               │                   │
 *            └────────────────────────────────────┼──────return (written opinion)─┘                   │
 *                                                 └───────propose_decision (revised after the party was heard)
 *
 * In `approved` the party is heard before a penalty is decided (APL arts. 44, 45, 62–64; penalty-notice.ts):
 * `notify_party`, then `record_statement` / `waive_statement` / `request_hearing` → `record_hearing`; the
 * case stays approved, and `decide` waits for them.
 *
 * plus `dismiss` (reason required) from any state before the officer has disposed of the case on site.
 * Every decision goes through legal review: routine ones at the street's post, major ones at the
 * district centre, which may first ask several of its reviewers for opinions (`request_opinions`,
 * `give_opinion`; the case stays under review). The legal rules (two certified officers on site,
 * evidence, benchmarks, routing, deadlines) are guards in enforcement-api/domain/legal-rules.ts.
 *
 * For each event the table says from which states it may fire, which roles may fire it, the fields it
 * needs (one TypeBox schema: runtime validation, type and OpenAPI) and its guards. A transition is
 * checked in a fixed order, so the answer never leaks more than the caller may know:
 *   1. role            → 403 FORBIDDEN          (independent of the case: says nothing about it)
 *   2. team / queue    → 404 CASE_NOT_FOUND     (another team's case looks exactly like a missing one)
 *   3. current state   → 409 INVALID_TRANSITION
 *   4. fields          → 400 VALIDATION
 *   5. guards          → the guard's own status and code (built-in ones below; later legal rules such
 *                        as the two-officer certificate rule plug in through `LifecyclePolicy.guards`)
 *
 * Jurisdiction: officers and team leads act only on their own team's cases and the cases their team
 * supports, where they may not `dispatch` or `dismiss` (403 HOLDING_TEAM_ONLY); reviewers only on cases
 * submitted for review to their post (and only the review steps); operators and admins (the district operations
 * centre) see every case, route the fallback queue (`dispatch`) and may `dismiss` a false alarm, but
 * take no field or review step.
 */

import {
  CASE_EVENTS,
  CASE_STATES,
  EVENT_FIELDS,
  PARTY_KINDS,
  PENALTIES,
  RESOLUTIONS,
  TIERS,
  type CaseEvent,
  type CaseState,
  type EventFields,
  type Transition,
  type TransitionOf,
} from '../../contract/http/case-transitions.js';

export { CASE_EVENTS, CASE_STATES, EVENT_FIELDS, PARTY_KINDS, PENALTIES, RESOLUTIONS, TIERS };
export type { CaseEvent, CaseState, EventFields, Transition, TransitionOf };

/** What the machine needs to know about a case. */
export interface CaseFacts {
  state: CaseState;
  teamId: string | null;
  /** The team working the case beside the one holding it (jurisdiction.ts). */
  supportTeamId?: string | null;
  /** Submitted for review at least once: the review queue (reviewers' jurisdiction). */
  inReview: boolean;
  /** The legal review post the case was last submitted to: only its reviewers see the case. */
  reviewPostId: string | null;
  /** Whether the case has a matter (false: `classify` is offered) and is filed (false: `file` is offered). */
  classified?: boolean;
  filed?: boolean;
}

export interface Actor {
  id: string;
  role: Role;
  teamId: string | null;
  /** A reviewer's legal review post. */
  reviewPostId?: string | null;
}

export interface Rejection {
  ok: false;
  status: 400 | 403 | 404 | 409 | 422;
  code: string;
  message: string;
}

export interface GuardContext<E extends CaseEvent> {
  case: CaseFacts;
  actor: Actor;
  transition: TransitionOf<E>;
}
/** A rule checked after role, jurisdiction, state and fields: undefined = satisfied. Pure. */
export type Guard<E extends CaseEvent> = (ctx: GuardContext<E>) => Rejection | undefined;
type GuardList = { readonly [E in CaseEvent]?: readonly Guard<E>[] };

/** Extra rules injected by the caller (later legal rules, with the facts they need in their closure). */
export interface LifecyclePolicy {
  guards?: GuardList;
}

export interface EventRule<E extends CaseEvent> {
  from: readonly CaseState[];
  /** null: the case stays in its state (a step on record, not a move). */
  to: CaseState | null;
  roles: readonly Role[];
  /** The `case_events.type` the transition is written as. */
  recordedAs: string;
  guards: readonly Guard<E>[];
}

export const reject = (status: Rejection['status'], code: string, message: string): Rejection => ({ ok: false, status, code, message });

const FIELD = ['officer', 'team_lead'] as const satisfies readonly Role[];

const notAlreadyOnTeam: Guard<'dispatch'> = ({ case: c, transition }) =>
  c.teamId === transition.fields.teamId ? reject(409, 'ALREADY_ON_TEAM', `the case is already with team ${c.teamId}`) : undefined;

const consistentPenalties: Guard<'propose_decision'> = ({ transition: { fields } }) => {
  const hasFine = fields.penalties.includes('fine');
  if (fields.penalties.includes('no_penalty') && fields.penalties.length > 1) {
    return reject(400, 'VALIDATION', 'penalties: no_penalty cannot be combined with other measures');
  }
  if (hasFine && fields.fineYuan === undefined) return reject(400, 'VALIDATION', 'fineYuan: required when penalties include fine');
  if (!hasFine && fields.fineYuan !== undefined) return reject(400, 'VALIDATION', 'fineYuan: only allowed when penalties include fine');
  return undefined;
};

export const LIFECYCLE: { readonly [E in CaseEvent]: EventRule<E> } = {
  dispatch: { from: ['reported', 'dispatched'], to: 'dispatched', roles: ['operator', 'admin', 'team_lead'], recordedAs: 'dispatched', guards: [notAlreadyOnTeam] },
  accept: { from: ['dispatched'], to: 'accepted', roles: FIELD, recordedAs: 'accepted', guards: [] },
  arrive: { from: ['accepted'], to: 'on_site', roles: FIELD, recordedAs: 'arrived', guards: [] },
  resolve_on_site: { from: ['on_site'], to: 'resolved_on_site', roles: FIELD, recordedAs: 'resolved_on_site', guards: [] },
  propose_decision: { from: ['on_site', 'decision_proposed', 'returned', 'approved'], to: 'decision_proposed', roles: FIELD, recordedAs: 'decision_proposed', guards: [consistentPenalties] },
  submit_for_review: { from: ['decision_proposed'], to: 'under_review', roles: FIELD, recordedAs: 'submitted_for_review', guards: [] },
  approve: { from: ['under_review'], to: 'approved', roles: ['reviewer'], recordedAs: 'approved', guards: [] },
  return: { from: ['under_review'], to: 'returned', roles: ['reviewer'], recordedAs: 'returned', guards: [] },
  decide: { from: ['approved'], to: 'decided', roles: FIELD, recordedAs: 'decided', guards: [] },
  close: { from: ['resolved_on_site', 'decided'], to: 'closed', roles: FIELD, recordedAs: 'closed', guards: [] },
  dismiss: { from: ['reported', 'dispatched', 'accepted', 'on_site'], to: 'dismissed', roles: ['officer', 'team_lead', 'operator', 'admin'], recordedAs: 'dismissed', guards: [] },
  // Consultation at the district centre: the case stays under review while opinions come in.
  request_opinions: { from: ['under_review'], to: 'under_review', roles: ['reviewer'], recordedAs: 'opinions_requested', guards: [] },
  give_opinion: { from: ['under_review'], to: 'under_review', roles: ['reviewer'], recordedAs: 'opinion_given', guards: [] },
  // A case whose alert kind has no matter (complaint, intrusion, smoke) is classified before any
  // enforcement step; filing (立案) starts the general procedure's 90-day clock; only the agency head
  // extends it.
  classify: { from: ['reported', 'dispatched', 'accepted', 'on_site'], to: null, roles: ['officer', 'team_lead', 'operator', 'admin'], recordedAs: 'classified', guards: [] },
  file: { from: ['on_site'], to: null, roles: FIELD, recordedAs: 'filed', guards: [] },
  extend_deadline: { from: ['on_site', 'decision_proposed', 'under_review', 'approved', 'returned'], to: null, roles: ['agency_head'], recordedAs: 'deadline_extended', guards: [] },
  // The party is heard before a penalty is decided (penalty-notice.ts): the notice of the approved
  // proposal, the party's statement and the officers' answer, its written waiver, a hearing requested
  // and held. The case stays approved; a revision (propose_decision) voids the notice.
  notify_party: { from: ['approved'], to: null, roles: FIELD, recordedAs: 'party_notified', guards: [] },
  record_statement: { from: ['approved'], to: null, roles: FIELD, recordedAs: 'statement_recorded', guards: [] },
  waive_statement: { from: ['approved'], to: null, roles: FIELD, recordedAs: 'statement_waived', guards: [] },
  request_hearing: { from: ['approved'], to: null, roles: FIELD, recordedAs: 'hearing_requested', guards: [] },
  record_hearing: { from: ['approved'], to: null, roles: FIELD, recordedAs: 'hearing_held', guards: [] },
};

export const isCaseState = (s: string): s is CaseState => (CASE_STATES as readonly string[]).includes(s);
export const isCaseEvent = (e: string): e is CaseEvent => (CASE_EVENTS as readonly string[]).includes(e);

const CHECKS = Object.fromEntries(CASE_EVENTS.map((e) => [e, TypeCompiler.Compile(EVENT_FIELDS[e])])) as {
  [E in CaseEvent]: TypeCheck<(typeof EVENT_FIELDS)[E]>;
};

// A half of a UTF-16 surrogate pair on its own: no database can store it as text.
const LONE_SURROGATE = /\p{Cs}/u;

function illFormedString(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) return value.map((v, i) => illFormedString(v, `${path}/${i}`)).find((p) => p !== undefined);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => illFormedString(v, `${path}/${k}`)).find((p) => p !== undefined);
  }
  return undefined;
}

/** Validates an event's fields; the message names the first bad field. */
export function checkFields<E extends CaseEvent>(event: E, fields: unknown): { ok: true; fields: EventFields[E] } | Rejection {
  const check = CHECKS[event] as TypeCheck<TObject>;
  if (!check.Check(fields)) {
    const first = check.Errors(fields).First();
    const where = first?.path.replace(/^\//, '') || 'body';
    return reject(400, 'VALIDATION', `${event}: ${where}: ${first?.message ?? 'not accepted'}`);
  }
  const bad = illFormedString(fields, '');
  if (bad !== undefined) return reject(400, 'VALIDATION', `${event}: ${bad.replace(/^\//, '')}: text is not well-formed Unicode`);
  return { ok: true, fields: fields as EventFields[E] };
}

export type TransitionDecision =
  | { ok: true; transition: Transition; from: CaseState; to: CaseState; recordedAs: string }
  | Rejection;

/**
 * Events a team working a case beside the team holding it (its `supportTeamId`) may not fire: it
 * accepts, arrives and resolves with the holding team, but giving the case to another team or closing
 * it as a false alarm stays the holding team's call (and the operations centre's).
 */
const HOLDING_TEAM_EVENTS: ReadonlySet<CaseEvent> = new Set<CaseEvent>(['dispatch', 'dismiss']);
const onlySupports = (c: CaseFacts, actor: Actor) => (actor.role === 'officer' || actor.role === 'team_lead') && c.teamId !== actor.teamId;

/**
 * Decides one transition. `c` is null when no such case exists. Pure: the caller loads the facts
 * (under a row lock) and persists the outcome.
 */
export function decideTransition(c: CaseFacts | null, actor: Actor, request: { event: string; fields: unknown }, policy: LifecyclePolicy = {}): TransitionDecision {
  if (!isCaseEvent(request.event)) return reject(400, 'UNKNOWN_EVENT', `unknown event ${JSON.stringify(request.event)} (one of ${CASE_EVENTS.join(', ')})`);
  const event = request.event;
  const rule: EventRule<CaseEvent> = LIFECYCLE[event] as EventRule<CaseEvent>;
  if (!rule.roles.includes(actor.role)) return reject(403, 'FORBIDDEN', `a ${actor.role} may not ${event} a case (${rule.roles.join(', ')} may)`);
  if (!c || !maySeeCase(actor, c)) return reject(404, 'CASE_NOT_FOUND', 'no such case');
  if (HOLDING_TEAM_EVENTS.has(event) && onlySupports(c, actor)) {
    return reject(403, 'HOLDING_TEAM_ONLY', `your team works this case beside ${c.teamId ?? 'the team holding it'}: only that team (or the operations centre) may ${event} it`);
  }
  if (!rule.from.includes(c.state)) {
    return reject(409, 'INVALID_TRANSITION', `cannot ${event} a case that is ${c.state} (only from ${rule.from.join(', ')})`);
  }
  const checked = checkFields(event, request.fields);
  if (!checked.ok) return checked;
  const transition = { event, fields: checked.fields } as Transition;
  const guards = [...rule.guards, ...((policy.guards?.[event] ?? []) as readonly Guard<CaseEvent>[])];
  for (const guard of guards) {
    const refused = guard({ case: c, actor, transition });
    if (refused) return refused;
  }
  return { ok: true, transition, from: c.state, to: rule.to ?? c.state, recordedAs: rule.recordedAs };
}

/** The events this person could fire on this case now (before field checks): the tablet's buttons. */
export function availableEvents(c: CaseFacts, actor: Actor): CaseEvent[] {
  if (!maySeeCase(actor, c)) return [];
  const offered = (e: CaseEvent) => (e !== 'classify' || c.classified === false) && (e !== 'file' || c.filed === false) && (e !== 'extend_deadline' || c.filed === true)
    && (e !== 'dismiss' || c.filed !== true) && !(HOLDING_TEAM_EVENTS.has(e) && onlySupports(c, actor));
  return CASE_EVENTS.filter((e) => LIFECYCLE[e].roles.includes(actor.role) && LIFECYCLE[e].from.includes(c.state) && offered(e));
}
