import type { PartyNotice, PenaltyProcedure } from '../../contract/http/cases.js';
import { reject, type Rejection } from './case-lifecycle.js';

/**
 * The party is heard before a penalty is decided (Administrative Penalty Law 2021):
 *
 *  - art. 44: before deciding, the agency notifies the party (告知) of the intended penalty, its facts,
 *    reasons and basis, and of the rights to state a case and defend (陈述、申辩) and, where art. 63
 *    applies, to request a hearing (听证);
 *  - art. 45: the party's statement is heard and answered (the facts, reasons and evidence it puts forward
 *    are checked and accepted where they hold); a heavier penalty is never given because the party defended;
 *  - arts. 62–64: no decision before that (or the party's waiver); a hearing is requested within 5 days of
 *    the notice and presided over by someone who did not investigate the case.
 *
 * A notice names the proposal revision it notifies: a later revision (returned and proposed again, or
 * revised after the party was heard) voids it, and the new revision is notified anew. Everything here is
 * pure: the steps are case events (enforcement-api/cases/notice-repository.ts reads them), and this
 * module reads them into the procedure's state and judges a step or the decision against it.
 */

/** The measures of one proposal revision, as far as the procedure compares them. */
export interface NotifiedMeasures {
  revision: number;
  penalties: readonly string[];
  fineYuan: number | null;
  hearingRequired: boolean;
}

export interface NoticeSettings {
  /** A fine at or above this (a large fine, APL art. 63) opens a hearing, as it makes a decision major. */
  majorFineYuan: number;
  /** Days (after the day of service) the party has to state a case where no hearing is available. */
  statementDays: number;
  /** Days (after the day of service) within which a hearing is requested (APL art. 64: 5). */
  hearingRequestDays: number;
}

/** Measures that open a hearing besides a large fine (APL art. 63): confiscation, suspension, licence revocation. */
const HEARING_MEASURES = ['confiscation', 'suspension', 'licence_revocation'];

/** Does the party of this proposal have the right to request a hearing (APL art. 63)? */
export function hearingAvailable(p: Pick<NotifiedMeasures, 'penalties' | 'fineYuan' | 'hearingRequired'>, majorFineYuan: number): boolean {
  return p.hearingRequired || (p.fineYuan !== null && p.fineYuan >= majorFineYuan) || p.penalties.some((m) => HEARING_MEASURES.includes(m));
}

/** A penalty at all (not only 不予处罚): only then is the party notified and heard. */
export const penalised = (p: Pick<NotifiedMeasures, 'penalties'>) => p.penalties.some((m) => m !== 'no_penalty');

/** `a` is heavier than `b`: a larger fine, or a measure `b` does not carry (APL art. 45 compares the decision with the notice). */
export function heavierThan(a: Pick<NotifiedMeasures, 'penalties' | 'fineYuan'>, b: Pick<NotifiedMeasures, 'penalties' | 'fineYuan'>): boolean {
  if ((a.fineYuan ?? 0) > (b.fineYuan ?? 0)) return true;
  return a.penalties.some((m) => m !== 'no_penalty' && !b.penalties.includes(m));
}

/** One step of the procedure as the case record holds it (`case_events` of the types below). */
export interface ProcedureEvent {
  seq: number;
  at: Date;
  actor: string;
  type: string;
  data: Record<string, unknown>;
}

export const NOTICE_EVENT_TYPES = ['party_notified', 'statement_recorded', 'statement_waived', 'hearing_requested', 'hearing_held'] as const;

export type Notice = PartyNotice;
export type Procedure = PenaltyProcedure;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Reads the case's procedure events (in `seq` order) against the latest proposal revision. */
export function procedureOf(events: readonly ProcedureEvent[], latestRevision: number | null, latestHearingAvailable = false): Procedure {
  const notices: Notice[] = [];
  let after: ProcedureEvent[] = [];
  for (const e of events) {
    if (e.type === 'party_notified') {
      const d = e.data;
      notices.push({
        seq: e.seq, revision: Number(d.revision), servedBy: e.actor, servedAt: str(d.servedAt), method: str(d.method),
        penalties: Array.isArray(d.penalties) ? d.penalties.map(String) : [], fineYuan: typeof d.fineYuan === 'number' ? d.fineYuan : null,
        hearingAvailable: d.hearingAvailable === true, statementDueAt: str(d.statementDueAt), hearingRequestDueAt: typeof d.hearingRequestDueAt === 'string' ? d.hearingRequestDueAt : null,
      });
      after = [];
    } else if ((NOTICE_EVENT_TYPES as readonly string[]).includes(e.type)) after.push(e);
  }
  const notice = notices.at(-1) ?? null;
  const at = (e: ProcedureEvent) => e.at.toISOString();
  const last = (type: string) => after.filter((e) => e.type === type).at(-1);
  const waived = last('statement_waived');
  const requested = last('hearing_requested');
  const held = last('hearing_held');
  return {
    notice,
    current: notice !== null && notice.revision === latestRevision,
    statements: after.filter((e) => e.type === 'statement_recorded').map((e) => ({ at: at(e), recordedBy: e.actor, statement: str(e.data.statement), answer: str(e.data.answer), reply: str(e.data.reply) })),
    waiver: waived ? { at: at(waived), recordedBy: waived.actor, document: str(waived.data.document) } : null,
    hearingRequest: requested ? { at: at(requested), recordedBy: requested.actor, requestedAt: str(requested.data.requestedAt) || at(requested) } : null,
    hearing: held ? { at: at(held), recordedBy: held.actor, heldAt: str(held.data.heldAt), presidedBy: str(held.data.presidedBy), transcriptSummary: str(held.data.transcriptSummary) } : null,
    voided: notices.slice(0, -1).concat(notice && notice.revision !== latestRevision ? [notice] : []),
    hearingAvailable: latestHearingAvailable,
  };
}

/** What the procedure's rules need to know about the case. */
export interface NoticeFacts {
  now: Date;
  /** The latest proposal revision (null: none). */
  latest: NotifiedMeasures | null;
  /** When the latest revision was approved (null: not approved). */
  approvedAt: Date | null;
  procedure: Procedure;
  /** `record_hearing`: the presiding person named, as the directory knows them (null: nobody of that id). */
  presider?: { id: string; role: string } | null;
  /** The officers who investigated the case: on site, accepting it, proposing the decision. */
  investigators: readonly string[];
}

/** The notice in force: of the latest revision. */
function currentNotice(f: NoticeFacts): Notice | Rejection {
  const n = f.procedure.notice;
  if (n && f.procedure.current) return n;
  const voided = n ? ` (the notice of revision ${n.revision} served on ${n.servedAt} was voided by revision ${f.latest?.revision ?? '?'})` : '';
  return reject(409, 'PARTY_NOT_NOTIFIED', `the party has not been notified of the intended penalty of the current proposal${voided}: serve the notice first (event notify_party)`);
}
const isRejection = (x: Notice | Rejection): x is Rejection => 'ok' in x;

/** A moment given in a form: a real date, not after now (nor before `notBefore`). */
function instantProblem(value: string, field: string, now: Date, notBefore: Date | null, code: string, what: string): Rejection | Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return reject(400, 'VALIDATION', `${field}: not a date`);
  if (d > now) return reject(422, code, `${field}: ${what} cannot lie in the future`);
  // Forms give the minute: a time typed in the minute of `notBefore` is not before it.
  if (notBefore && d.getTime() < Math.floor(notBefore.getTime() / 60_000) * 60_000) return reject(422, code, `${field}: ${what} cannot be before ${notBefore.toISOString()}`);
  return d;
}

/** The parts of each step's rules that do not depend on the fields sent (what the tablet offers). */
export function noticeStanding(f: NoticeFacts) {
  const notified = () => {
    const n = currentNotice(f);
    return isRejection(n) ? n : undefined;
  };
  return {
    notify_party: (): Rejection | undefined => {
      if (!f.latest || !penalised(f.latest)) return reject(422, 'NO_PENALTY_TO_NOTIFY', 'the approved proposal imposes no penalty: there is nothing to notify');
      if (f.procedure.current) return reject(409, 'ALREADY_NOTIFIED', `the party was already notified of revision ${f.latest.revision} on ${f.procedure.notice!.servedAt}`);
      return undefined;
    },
    record_statement: notified,
    waive_statement: (): Rejection | undefined => notified() ?? (f.procedure.waiver ? reject(409, 'ALREADY_WAIVED', `the party's waiver was recorded on ${f.procedure.waiver.at}`) : undefined),
    request_hearing: (): Rejection | undefined => {
      const n = currentNotice(f);
      if (isRejection(n)) return n;
      if (!n.hearingAvailable) return reject(422, 'HEARING_NOT_AVAILABLE', 'the intended penalty gives no right to a hearing (Administrative Penalty Law art. 63: large fines, confiscation of large value, suspension, licence revocation, or a hearing named in the proposal)');
      if (f.procedure.hearingRequest) return reject(409, 'HEARING_ALREADY_REQUESTED', `the party requested a hearing on ${f.procedure.hearingRequest.requestedAt}`);
      // A request is late by when the party made it (requestedAt, default now): one received in time may be recorded later.
      return f.procedure.waiver ? reject(409, 'ALREADY_WAIVED', `the party waived statement and hearing in writing on ${f.procedure.waiver.at}`) : undefined;
    },
    record_hearing: (): Rejection | undefined => {
      const n = currentNotice(f);
      if (isRejection(n)) return n;
      if (!f.procedure.hearingRequest) return reject(409, 'NO_HEARING_REQUESTED', 'no hearing was requested on the current notice');
      return f.procedure.hearing ? reject(409, 'HEARING_ALREADY_HELD', `the hearing was recorded as held on ${f.procedure.hearing.heldAt}`) : undefined;
    },
    decide: (): Rejection | undefined => decisionProblem(f),
  };
}

const hearingLate = (n: Notice) =>
  reject(422, 'HEARING_REQUEST_LATE', `a hearing is requested within the period of the notice served on ${n.servedAt}, which ended at ${n.hearingRequestDueAt} (Administrative Penalty Law art. 64)`);

/**
 * A penalty is decided only once the party was heard (APL arts. 44, 45, 62–64): notified of the current
 * revision, which is no heavier than what was notified; a requested hearing held; and the party either
 * waived in writing, or stated a case that was answered, or let the statement period pass.
 */
export function decisionProblem(f: NoticeFacts): Rejection | undefined {
  if (!f.latest || !penalised(f.latest)) return undefined;
  const n = currentNotice(f);
  if (isRejection(n)) return n;
  if (heavierThan(f.latest, n)) {
    return reject(409, 'HEAVIER_THAN_NOTIFIED', 'the proposal is heavier than the penalty notified to the party (Administrative Penalty Law art. 45): notify the party again');
  }
  const p = f.procedure;
  if (p.hearingRequest && !p.hearing) {
    return reject(409, 'HEARING_NOT_HELD', `the party requested a hearing on ${p.hearingRequest.requestedAt}: record the hearing (event record_hearing) before deciding (Administrative Penalty Law art. 64)`);
  }
  // Heard: in writing waived, a hearing held (where the party stated its case), or the period passed; a
  // statement answered ends it only where no hearing is available: with one, the party keeps its days to
  // request it (art. 64) after stating its case.
  if (p.waiver || p.hearing || f.now > new Date(n.statementDueAt)) return undefined;
  if (p.statements.length > 0 && !n.hearingAvailable) return undefined;
  return reject(409, 'STATEMENT_PERIOD_OPEN', n.hearingAvailable
    ? `the party may state a case and request a hearing until ${n.statementDueAt} (Administrative Penalty Law art. 64), also after a statement: decide after that, once a requested hearing is held (record_hearing), or once its written waiver of statement and hearing is recorded (waive_statement)`
    : `the party may state a case and defend itself until ${n.statementDueAt}: decide after that, or once its statement is recorded and answered (record_statement) or its written waiver recorded (waive_statement)`);
}

/** The checks of each step's fields, after the standing ones. */
export function noticeFieldProblems(f: NoticeFacts, step: { event: string; fields: Record<string, unknown> }): Rejection | undefined {
  switch (step.event) {
    case 'notify_party': {
      if (step.fields.servedAt === undefined) return undefined;
      const d = instantProblem(String(step.fields.servedAt), 'servedAt', f.now, f.approvedAt, 'NOTICE_TIME_INVALID', 'service of the notice (after the approval of the proposal it notifies)');
      return d instanceof Date ? undefined : d;
    }
    case 'request_hearing': {
      const n = currentNotice(f) as Notice;
      if (step.fields.requestedAt === undefined) return f.now > new Date(n.hearingRequestDueAt!) ? hearingLate(n) : undefined;
      const d = instantProblem(String(step.fields.requestedAt), 'requestedAt', f.now, new Date(n.servedAt), 'HEARING_TIME_INVALID', 'the request (after the notice)');
      if (!(d instanceof Date)) return d;
      return d > new Date(n.hearingRequestDueAt!) ? hearingLate(n) : undefined;
    }
    case 'record_hearing': {
      const requested = new Date(f.procedure.hearingRequest!.requestedAt);
      const d = instantProblem(String(step.fields.heldAt), 'heldAt', f.now, requested, 'HEARING_TIME_INVALID', 'the hearing (after it was requested)');
      if (!(d instanceof Date)) return d;
      const by = String(step.fields.presidedBy);
      if (f.investigators.includes(by)) {
        return reject(422, 'HEARING_PRESIDER_INVESTIGATED', `${by} investigated this case: the hearing is presided over by someone who did not (Administrative Penalty Law art. 64)`);
      }
      return !f.presider || f.presider.role !== 'reviewer' ? reject(422, 'HEARING_PRESIDER_NOT_REVIEWER', `${by} is not a legal reviewer: a reviewer presides over the hearing`) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * What a notice served at `servedAt` records: the revision, its measures, the rights and their periods;
 * `periodEnd` gives the end of the period of so many calendar days after the day of service (that day
 * not counted), in the district's time (legal-rules.ts counts days so).
 */
export function noticeRecord(latest: NotifiedMeasures, servedAt: Date, settings: NoticeSettings, periodEnd: (from: Date, days: number) => Date) {
  const hearing = hearingAvailable(latest, settings.majorFineYuan);
  const hearingDue = periodEnd(servedAt, settings.hearingRequestDays).toISOString();
  return {
    revision: latest.revision,
    servedAt: servedAt.toISOString(),
    penalties: [...latest.penalties],
    fineYuan: latest.fineYuan,
    hearingAvailable: hearing,
    rights: hearing ? ['statement', 'defence', 'hearing'] : ['statement', 'defence'],
    statementDueAt: hearing ? hearingDue : periodEnd(servedAt, settings.statementDays).toISOString(),
    hearingRequestDueAt: hearing ? hearingDue : null,
  };
}
