import { latestProposal } from './transition-repository.js';
import type pg from 'pg';
import { reject, type Actor, type Rejection, type Transition } from '../domain/case-lifecycle.js';
import {
  DECISION_DEADLINE_DAYS,
  localDate,
  reviewRouting,
  selectTier,
  withinTier,
  type BenchmarkTier,
  type LegalFacts,
  type LegalSettings,
  type OfficerCertificate,
} from '../domain/legal-rules.js';
import { sensorEvidenceProblems, type SensorRecord } from '../domain/evidence.js';
import { actDateOf, benchmarkInForce, boundsInForce } from '../legal/catalogue.js';
import { checkPartyId, type PartyIdType } from '../legal/party-ids.js';
import { recordParty } from '../legal/parties.js';
import { openReportDeadlines } from './deadlines.js';

/**
 * The I/O half of the legal rules: loads, inside the transition's transaction (only through its
 * client), the facts the pure guards of enforcement-api/domain/legal-rules.ts need, and writes what the rules
 * record (officers on site, filing and deadline, review routing, consultations, late decisions).
 */

export const DEFAULT_LEGAL_SETTINGS: LegalSettings = {
  majorFineYuan: 10_000, timezone: 'Asia/Shanghai', decisionWarningDays: [60, 80], majorReviewOpinions: 2, presenceConfirmMinutes: 30, presenceMaxDistanceM: 300,
};

/** The benchmark tiers in force on `onDate` (today when omitted) of one matter, or of every matter. */
export async function benchmarksOf(db: Pick<pg.Pool, 'query'> | pg.PoolClient, matterCode: string | null, onDate = new Date().toISOString().slice(0, 10)): Promise<BenchmarkTier[]> {
  return benchmarkInForce(db, matterCode, onDate);
}

/** The case's sensor records (alerts from devices) with the conditions that make them evidence. */
export async function sensorRecordsOf(db: Pick<pg.Pool, 'query'> | pg.PoolClient, caseId: string, timezone: string): Promise<SensorRecord[]> {
  const r = await db.query<SensorRecord>(
    `SELECT a.id AS "alertId", a.kind, a.device_id AS "deviceId", a.detected_at AS "measuredAt",
       to_char((a.detected_at AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS "measuredOn",
       to_char(a.device_calibration_valid_until, 'YYYY-MM-DD') AS "calibrationValidUntil",
       a.device_placement_published AS "placementPublished",
       coalesce((SELECT json_agg(json_build_object('reviewer', er.reviewer, 'role', er.role, 'at', er.at, 'note', er.note) ORDER BY er.id)
         FROM evidence_reviews er WHERE er.case_id = c.id AND er.alert_id = a.id), '[]'::json) AS reviews
     FROM alerts a JOIN cases c ON c.incident_id = a.incident_id WHERE c.id = $1 ORDER BY a.detected_at, a.id`,
    [caseId, timezone],
  );
  return r.rows;
}

/** Uploaded files of the case that count as evidence. */
export async function validFileCount(client: Pick<pg.Pool, 'query'> | pg.PoolClient, caseId: string): Promise<number> {
  const r = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM case_evidence e WHERE e.case_id = $1 AND e.evidence_type IS NOT NULL AND e.captured_at IS NOT NULL
       AND e.capture_location IS NOT NULL AND cardinality(coalesce(e.collectors, '{}')) > 0
       AND EXISTS (SELECT 1 FROM evidence_file_reviews r WHERE r.evidence_id = e.id)`,
    [caseId],
  );
  return r.rows[0]?.n ?? 0;
}

interface CaseLegalRow {
  matterCode: string | null;
  domain: string | null;
  penalty: boolean | null;
  onSiteOfficers: string[] | null;
  decisionDueAt: Date | null;
  postKind: 'street' | 'district' | null;
  postId: string | null;
  createdAt: Date;
  filedAt: Date | null;
  presenceConfirmedAt: Date | null;
}

/** Loads what the legal guards need for this transition (and nothing more). */
export async function loadLegalFacts(client: pg.PoolClient, caseId: string, actor: Actor, t: Transition, now: Date, settings: LegalSettings): Promise<LegalFacts> {
  const c = (await client.query<CaseLegalRow>(
    `SELECT c.matter_code AS "matterCode", m.domain, m.penalty, c.on_site_officers AS "onSiteOfficers",
       c.decision_due_at AS "decisionDueAt", p.kind AS "postKind", p.id AS "postId", c.created_at AS "createdAt",
       c.filed_at AS "filedAt", c.presence_confirmed_at AS "presenceConfirmedAt"
     FROM cases c LEFT JOIN matters m ON m.code = c.matter_code LEFT JOIN review_posts p ON p.id = c.review_post_id WHERE c.id = $1`,
    [caseId],
  )).rows[0];
  if (!c) throw new Error(`case ${caseId} vanished inside its transaction`);
  const facts: LegalFacts = {
    today: localDate(now, settings.timezone),
    now,
    matter: c.matterCode && c.domain !== null ? { code: c.matterCode, domain: c.domain, penalty: c.penalty ?? true } : null,
    classifyTarget: null,
    certificates: {},
    onSiteOfficers: c.onSiteOfficers,
    benchmarks: [],
    bounds: [],
    presenceConfirmed: c.presenceConfirmedAt !== null,
    filedAt: c.filedAt,
    priorCasesOfParty: 0,
    evidence: { files: 0, validSensorRecords: 0 },
    review: { postKind: c.postKind, level: null, pendingOpinions: [], reviewersAtPost: [], opinionsGiven: 0 },
    decisionDueAt: c.decisionDueAt,
  };
  if (t.event === 'classify') {
    const m = await client.query<{ code: string }>('SELECT code FROM matters WHERE code = $1', [t.fields.matterCode]);
    facts.classifyTarget = m.rows[0] ?? null;
  }

  const officers = new Set<string>();
  if (t.event === 'arrive') {
    officers.add(actor.id);
    if (t.fields.secondOfficerId !== undefined) officers.add(t.fields.secondOfficerId);
  }
  if (t.event === 'resolve_on_site' || t.event === 'propose_decision' || t.event === 'file') for (const o of c.onSiteOfficers ?? []) officers.add(o);
  if (officers.size > 0) {
    const certs = await client.query<OfficerCertificate>(
      `SELECT o.user_id AS "userId", o.certificate_no AS "certificateNo", to_char(o.certificate_valid_until, 'YYYY-MM-DD') AS "validUntil", o.domains
       FROM officers o WHERE o.user_id = ANY($1)`,
      [[...officers]],
    );
    facts.certificates = Object.fromEntries(certs.rows.map((o) => [o.userId, o]));
  }

  // Earlier cases of the party, by the normalised identifier (fields arrive normalised: transitions.ts).
  const partyId = t.event === 'propose_decision' || t.event === 'resolve_on_site' ? t.fields.partyId : undefined;
  if (partyId !== undefined && c.matterCode) {
    const prior = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cases WHERE party_id = $1 AND matter_code = $2 AND id <> $3 AND created_at < $4 AND state <> 'dismissed'`,
      [partyId, c.matterCode, caseId, c.createdAt],
    );
    facts.priorCasesOfParty = prior.rows[0]?.n ?? 0;
  }

  if (t.event === 'propose_decision') {
    // The catalogue in force when the act occurred, not today's.
    const actOn = (await actDateOf(client, caseId, settings.timezone)) ?? facts.today;
    facts.benchmarks = c.matterCode ? await benchmarkInForce(client, c.matterCode, actOn) : [];
    facts.bounds = c.matterCode ? await boundsInForce(client, c.matterCode, actOn) : [];
    const sensors = await sensorRecordsOf(client, caseId, settings.timezone);
    facts.evidence = { files: await validFileCount(client, caseId), validSensorRecords: sensors.filter((s) => sensorEvidenceProblems(s).length === 0).length };
  }

  if (t.event === 'approve' || t.event === 'request_opinions' || t.event === 'give_opinion') {
    const proposal = await latestProposal(client, caseId);
    facts.review.level = proposal?.reviewLevel ?? null;
    const pending = await client.query<{ reviewer: string }>(
      'SELECT reviewer FROM case_consultations WHERE proposal_id = $1 AND opinion IS NULL ORDER BY reviewer',
      [proposal?.id ?? -1],
    );
    facts.review.pendingOpinions = pending.rows.map((r) => r.reviewer);
    const given = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM case_consultations WHERE proposal_id = $1 AND opinion IS NOT NULL', [proposal?.id ?? -1]);
    facts.review.opinionsGiven = given.rows[0]?.n ?? 0;
    const reviewers = await client.query<{ id: string }>(`SELECT id FROM users WHERE role = 'reviewer' AND review_post_id = $1`, [c.postId]);
    facts.review.reviewersAtPost = reviewers.rows.map((r) => r.id);
  }
  return facts;
}

/** What a proposal is, measured against the benchmark: its tier's range and where it must be reviewed. */
export function assessProposal(facts: LegalFacts, t: Extract<Transition, { event: 'propose_decision' }>, settings: LegalSettings) {
  const tier = selectTier(facts, t.fields);
  const outsideBenchmark = tier ? !withinTier(tier, t.fields) : true;
  return {
    tier,
    outsideBenchmark,
    boundsEffectiveFrom: facts.bounds.find((b) => b.partyKind === (t.fields.partyKind ?? 'individual'))?.effectiveFrom ?? null,
    routing: reviewRouting(t.fields, outsideBenchmark, settings.majorFineYuan),
  };
}

export interface LegalRecord {
  ok: true;
  /** Columns of `cases` to set besides the lifecycle's own. */
  columns: Record<string, unknown>;
  /** Added to the case event's data. */
  data: Record<string, unknown>;
  /** Runs after the case row is updated, in the same transaction. */
  after?: () => Promise<void>;
}

/** The party identifier as stored: normalised (party-ids.ts), so the same party is found again. */
export function normalisedFields(request: { event: string; fields: unknown }): { event: string; fields: unknown } {
  const f = request.fields;
  if (f === null || typeof f !== 'object' || typeof (f as { partyId?: unknown }).partyId !== 'string') return request;
  const fields = f as { partyId: string; partyKind?: 'individual' | 'unit'; partyIdType?: PartyIdType };
  const c = checkPartyId(fields.partyId, fields.partyKind === 'unit' ? 'unit' : 'individual', fields.partyIdType);
  // An invalid id stays as typed: the guard refuses it with the checker's message.
  return c.ok ? { ...request, fields: { ...fields, partyId: c.id, partyIdType: c.idType } } : request;
}

/** Writes what the legal rules record for a transition the guards allowed; a refusal rolls back. */
export async function writeLegalRecords(client: pg.PoolClient, caseId: string, actor: Actor, t: Transition, at: string, facts: LegalFacts, settings: LegalSettings): Promise<LegalRecord | Rejection> {
  switch (t.event) {
    case 'file': {
      // Filing (立案): the general-procedure decision deadline runs from here (APL art. 60).
      const due = new Date(Date.parse(at) + DECISION_DEADLINE_DAYS * 86_400_000).toISOString();
      return { ok: true, columns: { filed_at: at, decision_due_at: due }, data: { filedAt: at, decisionDueAt: due } };
    }
    case 'classify': {
      const m = (await client.query<{ slaMinutes: number }>('SELECT sla_minutes AS "slaMinutes" FROM matters WHERE code = $1', [t.fields.matterCode])).rows[0]!;
      const c = (await client.query<{ createdAt: Date }>('SELECT created_at AS "createdAt" FROM cases WHERE id = $1', [caseId])).rows[0]!;
      // The matter's SLA applies from the report, as if the case had arrived classified.
      const slaDue = new Date(c.createdAt.getTime() + m.slaMinutes * 60_000).toISOString();
      return { ok: true, columns: { matter_code: t.fields.matterCode, sla_due_at: slaDue }, data: { matterCode: t.fields.matterCode }, after: () => openReportDeadlines(client, caseId) };
    }
    case 'extend_deadline': {
      const previous = facts.decisionDueAt!.toISOString();
      await client.query(
        `INSERT INTO case_extensions (case_id, approved_by, reason, previous_due_at, new_due_at, at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [caseId, actor.id, t.fields.reason, previous, t.fields.newDueAt, at],
      );
      // The decision deadline moves; one escalated as missed opens again until the new date.
      await client.query(
        `UPDATE case_deadlines SET due_at = $2, status = CASE WHEN status = 'missed' AND reached_at IS NULL THEN 'open' ELSE status END
         WHERE case_id = $1 AND name = 'decision'`,
        [caseId, t.fields.newDueAt],
      );
      return { ok: true, columns: { decision_due_at: t.fields.newDueAt }, data: { previousDueAt: previous } };
    }
    case 'arrive': {
      if (t.fields.secondOfficerId === undefined) return { ok: true, columns: {}, data: {} };
      const pair = [actor.id, t.fields.secondOfficerId];
      return {
        ok: true,
        // Not yet two officers: the second confirms from their own session (enforcement-api/legal/presence.ts).
        columns: { on_site_officers: pair, presence_confirmed_at: null, presence_location: null },
        data: { onSiteOfficers: pair, certificates: pair.map((id) => facts.certificates[id]?.certificateNo ?? null), awaitingConfirmationFrom: t.fields.secondOfficerId },
      };
    }
    case 'resolve_on_site': {
      const noPenalty = t.fields.outcome === 'corrected' && facts.matter?.penalty === true;
      if (t.fields.partyId !== undefined) await recordParty(client, t.fields, null, at);
      return {
        ok: true,
        columns: t.fields.partyId !== undefined ? { party_id: t.fields.partyId } : {},
        data: noPenalty ? { noPenalty: 'first minor violation corrected in time (Administrative Penalty Law art. 33)', priorCasesOfParty: facts.priorCasesOfParty } : {},
      };
    }
    case 'propose_decision': {
      const a = assessProposal(facts, t, settings);
      if (t.fields.partyId !== undefined) await recordParty(client, t.fields, t.fields.party, at);
      return {
        ok: true,
        columns: t.fields.partyId !== undefined ? { party_id: t.fields.partyId } : {},
        data: {
          tierRange: a.tier ? [a.tier.minFineYuan, a.tier.maxFineYuan] : null,
          outsideBenchmark: a.outsideBenchmark,
          reviewLevel: a.routing.level,
          reviewReasons: a.routing.reasons,
          ...(t.fields.tier === 'no_penalty' ? { noPenalty: 'first minor violation corrected in time (Administrative Penalty Law art. 33)' } : {}),
        },
      };
    }
    case 'submit_for_review': {
      const proposal = await latestProposal(client, caseId);
      const level = proposal?.reviewLevel ?? 'major';
      const posts = await client.query<{ id: string; kind: 'street' | 'district' }>(
        `SELECT p.id, p.kind FROM review_posts p WHERE p.kind = 'district'
           OR p.street_id = (SELECT s.street_id FROM cases c JOIN zones z ON z.id = c.zone_id JOIN sites s ON s.id = z.site_id WHERE c.id = $1)
         ORDER BY p.kind DESC, p.id`,
        [caseId],
      );
      // Routine → the street's post (the centre when the street has none); major → the centre.
      const post = level === 'routine' ? (posts.rows.find((p) => p.kind === 'street') ?? posts.rows.find((p) => p.kind === 'district')) : posts.rows.find((p) => p.kind === 'district');
      if (!post) return reject(422, 'NO_REVIEW_POST', `no legal review post can take a ${level} decision for this case`);
      return { ok: true, columns: { review_post_id: post.id, review_level: level }, data: { reviewPostId: post.id, reviewLevel: level } };
    }
    case 'request_opinions': {
      const proposal = await latestProposal(client, caseId);
      if (!proposal) throw new Error(`case ${caseId} is under review without a proposal`);
      for (const reviewer of t.fields.reviewers) {
        await client.query(
          `INSERT INTO case_consultations (case_id, proposal_id, requested_by, reviewer, question, requested_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (proposal_id, reviewer) DO NOTHING`,
          [caseId, proposal.id, actor.id, reviewer, t.fields.question, at],
        );
      }
      return { ok: true, columns: {}, data: { revision: proposal.revision } };
    }
    case 'give_opinion': {
      const proposal = await latestProposal(client, caseId);
      await client.query(
        'UPDATE case_consultations SET opinion = $3, answered_at = $4 WHERE proposal_id = $1 AND reviewer = $2 AND opinion IS NULL',
        [proposal?.id ?? -1, actor.id, t.fields.opinion, at],
      );
      return { ok: true, columns: {}, data: { revision: proposal?.revision ?? null } };
    }
    case 'decide': {
      // Late: after the statutory 90 days from filing, which only an approved extension allows.
      const statutory = facts.filedAt === null ? null : new Date(facts.filedAt.getTime() + DECISION_DEADLINE_DAYS * 86_400_000);
      const late = statutory !== null && facts.now > statutory;
      return { ok: true, columns: { decided_late: late }, data: late ? { late: true, extendedTo: facts.decisionDueAt?.toISOString() ?? null } : {} };
    }
    case 'accept':
    case 'dispatch':
    case 'approve':
    case 'return':
    case 'close':
    case 'dismiss':
      return { ok: true, columns: {}, data: {} };
    default: {
      const never: never = t;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}
