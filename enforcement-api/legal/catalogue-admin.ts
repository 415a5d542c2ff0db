import type pg from 'pg';
import type {
  BenchmarkBody, BoundsBody, CatalogueChange, CertificateBody, CertificateVersion, Matter, MatterBody, ReviewersBody, ReviewPostBody,
} from '../../contract/http/legal.js';
import { reject, type Rejection } from '../domain/case-lifecycle.js';
import { inTransaction } from '../../core/db/transaction.js';
import { benchmarkInForce, boundsInForce } from './catalogue.js';
import { tierProblems, type StatutoryBound } from './statutory-bounds.js';
import { certificateOn, localDate, type BenchmarkTier } from '../domain/legal-rules.js';
import * as repo from './catalogue-admin-repository.js';
import { backdatedCoverage } from './certificate-backdating.js';

/**
 * The administrators' side of the legal catalogue: matters, statutory bounds, discretion benchmarks,
 * officers' certificates, review posts and their reviewers. Every change is written with its record
 * in `catalogue_changes` (who, when, before, after, from when it applies) in one transaction.
 * Statutory bounds and benchmarks are versions by effective date (a case is judged by the version in
 * force on the day of the act), and so are officers' certificates (appended, never overwritten); the
 * other entities change from the day of the change. The SQL is in
 * catalogue-admin-repository.ts.
 */

type Change = { ok: true; change: CatalogueChange };


export class CatalogueAdmin {
  /** `timezone`: whose calendar day a certificate without a `validFrom` begins on (the legal rules' own). */
  constructor(private readonly pool: pg.Pool, private readonly timezone = 'UTC') {}

  /** Today on the district's calendar: the day a change of an entity without versions applies from. */
  private today(): string {
    return localDate(new Date(), this.timezone);
  }

  matters(): Promise<Matter[]> {
    return repo.matters(this.pool);
  }

  matter(code: string): Promise<Matter | null> {
    return repo.matter(this.pool, code);
  }

  async putMatter(code: string, body: MatterBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      const before = await repo.matter(client, code, true);
      if (body.alertKind !== null && (await repo.matterOfAlertKind(client, body.alertKind, code)) !== null) {
        return reject(409, 'ALERT_KIND_TAKEN', `alert kind ${body.alertKind} already raises another matter`);
      }
      const after = await repo.upsertMatter(client, code, body);
      return { ok: true, change: await repo.recordChange(client, { entity: 'matter', key: code, effectiveFrom: this.today(), before, after, reason: body.reason, by }) };
    });
  }

  /**
   * A version of the bounds or the benchmark may not change what already judged a case (APL art. 37: the
   * law in force when the act occurred): none from a day on or before the act of a case with a decision
   * proposed, or ended on site with a warning or a first violation spared, unless a later version
   * already governs that act. Versions from after those acts are written as ever.
   */
  private async judgedCasesRefusal(client: pg.PoolClient, table: 'statutory_bounds' | 'discretion_benchmarks', code: string, effectiveFrom: string, kinds: readonly string[]): Promise<Rejection | undefined> {
    const judged = await repo.casesJudgedFrom(client, table, code, effectiveFrom, kinds, this.timezone);
    return judged.length === 0 ? undefined
      : reject(409, 'CATALOGUE_VERSION_JUDGED',
        `case${judged.length > 1 ? 's' : ''} ${judged.map((n) => `#${n}`).join(', ')} of ${code} ${judged.length > 1 ? 'were' : 'was'} judged by the ${table === 'statutory_bounds' ? 'statutory bounds' : 'benchmark'} in force on the day of the act, on or after ${effectiveFrom}: a version from ${effectiveFrom} would change what judged ${judged.length > 1 ? 'them' : 'it'}; give a later effectiveFrom`);
  }

  /** A version of the law's bounds from `effectiveFrom`; the benchmark then in force must lie inside it. */
  async putBounds(code: string, body: BoundsBody, by: string): Promise<Change | Rejection> {
    const wrong = body.bounds.find((b) => b.maxFineYuan < b.minFineYuan);
    if (wrong) return reject(400, 'VALIDATION', `bounds: ${wrong.partyKind}: maxFineYuan is below minFineYuan`);
    return inTransaction(this.pool, async (client) => {
      if ((await repo.matter(client, code, true)) === null) return reject(404, 'MATTER_NOT_FOUND', `no matter ${code}`);
      const before = await boundsInForce(client, code, body.effectiveFrom);
      const next: StatutoryBound[] = body.bounds.map((b) => ({ matterCode: code, effectiveFrom: body.effectiveFrom, ...b }));
      const merged = [...before.filter((b) => !next.some((n) => n.partyKind === b.partyKind)), ...next];
      const tiers = (await benchmarkInForce(client, code, body.effectiveFrom)).filter((t) => next.some((n) => n.partyKind === t.partyKind));
      const problems = tierProblems(merged, tiers);
      if (problems.length > 0) {
        return reject(422, 'BENCHMARK_OUTSIDE_BOUNDS', `the benchmark in force on ${body.effectiveFrom} would leave the law: ${problems.join('; ')} — change the benchmark first or with the same date`);
      }
      const judged = await this.judgedCasesRefusal(client, 'statutory_bounds', code, body.effectiveFrom, next.map((b) => b.partyKind));
      if (judged) return judged;
      await repo.upsertBounds(client, next);
      return { ok: true, change: await repo.recordChange(client, { entity: 'statutory_bounds', key: code, effectiveFrom: body.effectiveFrom, before, after: next, reason: body.reason, by }) };
    });
  }

  /** A version of the benchmark from `effectiveFrom` (the tiers given, per kind of party), inside the law then in force. */
  async putBenchmark(code: string, body: BenchmarkBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      if ((await repo.matter(client, code, true)) === null) return reject(404, 'MATTER_NOT_FOUND', `no matter ${code}`);
      const tiers: BenchmarkTier[] = body.tiers.map((t) => ({ matterCode: code, effectiveFrom: body.effectiveFrom, ...t }));
      const seen = new Set<string>();
      for (const t of tiers) {
        const k = `${t.partyKind}/${t.tier}`;
        if (seen.has(k)) return reject(400, 'VALIDATION', `tiers: ${k} appears twice`);
        seen.add(k);
      }
      const problems = tierProblems(await boundsInForce(client, code, body.effectiveFrom), tiers);
      if (problems.length > 0) return reject(422, 'TIER_OUTSIDE_BOUNDS', `the tiers must lie inside the law in force on ${body.effectiveFrom}: ${problems.join('; ')}`);
      const kinds = new Set(tiers.map((t) => t.partyKind));
      const judged = await this.judgedCasesRefusal(client, 'discretion_benchmarks', code, body.effectiveFrom, [...kinds]);
      if (judged) return judged;
      const before = (await benchmarkInForce(client, code, body.effectiveFrom)).filter((t) => kinds.has(t.partyKind));
      await repo.replaceBenchmark(client, code, body.effectiveFrom, tiers);
      return { ok: true, change: await repo.recordChange(client, { entity: 'discretion_benchmark', key: code, effectiveFrom: body.effectiveFrom, before, after: tiers, reason: body.reason, by }) };
    });
  }

  /**
   * A version of the officer's certificate from `validFrom` (today when omitted), appended to its
   * history: a renewal, a new number or other domains apply from that day on, earlier acts keep being
   * judged by the version then in force. The same `validFrom` as an earlier version replaces it (the
   * later record wins): how a version is corrected or cut short. Not backdated: a version may not
   * certify, on a day before the one it is recorded on, what the record did not certify that day
   * (certificate-backdating.ts); corrections that add nothing to the days past stay possible.
   */
  async putCertificate(userId: string, body: CertificateBody, by: string): Promise<Change | Rejection> {
    const validFrom = body.validFrom ?? localDate(new Date(), this.timezone);
    if (body.validUntil < validFrom) return reject(400, 'VALIDATION', `validUntil (${body.validUntil}) is before validFrom (${validFrom})`);
    return inTransaction(this.pool, async (client) => {
      const user = await repo.userForCertificate(client, userId);
      if (!user) return reject(404, 'USER_NOT_FOUND', `no user ${userId}`);
      if ((user.role !== 'officer' && user.role !== 'team_lead') || user.teamId === null) {
        return reject(422, 'NOT_AN_OFFICER', `${userId} is a ${user.role}${user.teamId === null ? ' without a team' : ''}: only officers and team leads of a team hold enforcement certificates`);
      }
      const officerId = await repo.lockOfficer(client, { id: userId, teamId: user.teamId, name: user.name });
      const holder = await repo.certificateHolder(client, body.certificateNo);
      if (holder !== null && holder !== userId) return reject(409, 'CERTIFICATE_TAKEN', `certificate ${body.certificateNo} belongs to another officer`);
      const history = await repo.certificateHistory(client, userId);
      const today = this.today();
      const backdated = backdatedCoverage(history, { userId, certificateNo: body.certificateNo, validFrom, validUntil: body.validUntil, domains: body.domains }, today);
      if (backdated) {
        return reject(422, 'CERTIFICATE_BACKDATED',
          `a version from ${validFrom} would certify ${userId} for ${backdated.domains.join(', ')} on ${backdated.day}, before the day it is recorded (${today}), which the record did not: a certificate is not backdated over days already past (acts are judged by the certificate of their day) — record it from ${today} (validFrom omitted), with the issuing date in reason; a correction from a past day may only keep or narrow what those days had`);
      }
      const before = certificateOn(history, validFrom) ?? null;
      const after = await repo.appendCertificate(client, officerId, { ...body, validFrom }, by);
      return { ok: true, change: await repo.recordChange(client, { entity: 'officer_certificate', key: userId, effectiveFrom: validFrom, before, after, reason: body.reason, by }) };
    });
  }

  /** The officer's certificate history, in the order recorded, and the version in force on `on`. */
  async certificates(userId: string, on: string): Promise<{ inForce: CertificateVersion | null; history: CertificateVersion[] }> {
    const history = await repo.certificateHistory(this.pool, userId);
    const inForce = certificateOn(history, on);
    return { inForce: inForce !== undefined && inForce.validUntil >= on ? inForce : null, history };
  }

  async putReviewPost(id: string, body: ReviewPostBody, by: string): Promise<Change | Rejection> {
    if ((body.kind === 'street') !== (body.streetId !== null)) return reject(400, 'VALIDATION', 'a street post names its street (streetId); the district centre names none');
    return inTransaction(this.pool, async (client) => {
      if (body.streetId !== null && !(await repo.streetExists(client, body.streetId))) return reject(422, 'UNKNOWN_STREET', `no street ${body.streetId}`);
      const before = await repo.lockReviewPost(client, id);
      const after = await repo.upsertReviewPost(client, id, body);
      return { ok: true, change: await repo.recordChange(client, { entity: 'review_post', key: id, effectiveFrom: this.today(), before, after, reason: body.reason, by }) };
    });
  }

  async putReviewers(postId: string, body: ReviewersBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      if ((await repo.lockReviewPost(client, postId)) === null) return reject(404, 'REVIEW_POST_NOT_FOUND', `no review post ${postId}`);
      const users = await repo.rolesOf(client, body.reviewers);
      const bad = body.reviewers.find((u) => users.find((r) => r.id === u)?.role !== 'reviewer');
      if (bad !== undefined) return reject(422, 'NOT_A_REVIEWER', `${bad} is not a user with the reviewer role`);
      const before = await repo.reviewersAt(client, postId);
      await repo.setReviewers(client, postId, body.reviewers);
      return { ok: true, change: await repo.recordChange(client, { entity: 'review_post_reviewers', key: postId, effectiveFrom: this.today(), before, after: [...body.reviewers].sort(), reason: body.reason, by }) };
    });
  }

  changes(filter: { entity?: string; key?: string; limit: number }): Promise<CatalogueChange[]> {
    return repo.changes(this.pool, filter);
  }
}
