import type { Benchmark as BenchmarkTier, StatutoryBound } from '../../contract/http/cases.js';
import { reject, type Rejection } from '../domain/case-lifecycle.js';

type PartyKind = StatutoryBound['partyKind'];
/** The measures of a proposal the law's bounds speak about. */
interface ProposedMeasures {
  penalties: readonly string[];
  fineYuan?: number;
}

/**
 * Statutory bounds (法定处罚幅度): what the law itself allows a matter's penalty to be, per kind of
 * party. They are hard limits: nothing outside them can be proposed, and a discretion benchmark's
 * tiers must lie inside them. The benchmark only narrows the law; a fine outside the benchmark but
 * inside the law needs a written reason and the district centre's review.
 *
 * Pure data + functions; the catalogue (enforcement-api/legal/catalogue.ts) stores them with history,
 * each version in force from its `effectiveFrom` (a case is judged by the version in force when the
 * act occurred); `fineRequired` marks a fine the law imposes with every penalty (并处罚款).
 */

export type { StatutoryBound };

const fmt = (n: number) => `¥${n.toLocaleString('en-US')}`;

/** Why this proposal breaks the law's bounds; undefined = it is inside them. `no_penalty` (APL art. 33) is outside their reach. */
export function statutoryProblem(bound: StatutoryBound | undefined, p: ProposedMeasures, matterCode: string, partyKind: PartyKind): Rejection | undefined {
  if (p.penalties.length === 1 && p.penalties[0] === 'no_penalty') return undefined;
  if (!bound) return reject(422, 'NO_STATUTORY_BOUNDS', `the catalogue holds no statutory penalties of ${matterCode} for a ${partyKind}: no penalty can be proposed`);
  if (p.fineYuan !== undefined && (p.fineYuan < bound.minFineYuan || p.fineYuan > bound.maxFineYuan)) {
    return reject(422, 'OUTSIDE_STATUTORY_BOUNDS',
      `a fine of ${fmt(p.fineYuan)} is outside the law's range for a ${partyKind}, ${fmt(bound.minFineYuan)}–${fmt(bound.maxFineYuan)} (${bound.legalBasis})`);
  }
  const missing = [...(bound.fineRequired ? ['fine'] : []), ...bound.mandatoryMeasures].filter((m) => !p.penalties.includes(m));
  if (missing.length > 0) {
    return reject(422, 'MANDATORY_MEASURE_MISSING', `${bound.legalBasis} requires ${missing.join(' and ')} for a ${partyKind}: the proposal lacks it`);
  }
  return undefined;
}

/** Why a benchmark's tiers do not lie inside the law's bounds (one message per problem; empty = they do). */
export function tierProblems(bounds: readonly StatutoryBound[], tiers: readonly BenchmarkTier[]): string[] {
  const problems: string[] = [];
  for (const t of tiers) {
    const where = `${t.matterCode} ${t.partyKind} ${t.tier}`;
    if (t.maxFineYuan < t.minFineYuan) problems.push(`${where}: the range ${t.minFineYuan}–${t.maxFineYuan} is empty`);
    if (t.tier === 'no_penalty') {
      if (t.minFineYuan !== 0 || t.maxFineYuan !== 0) problems.push(`${where}: the no-penalty tier carries no fine`);
      continue;
    }
    const b = bounds.find((x) => x.partyKind === t.partyKind);
    if (!b) {
      problems.push(`${where}: no statutory bounds for a ${t.partyKind}`);
      continue;
    }
    if (t.maxFineYuan > b.maxFineYuan || (t.maxFineYuan > 0 && t.minFineYuan < b.minFineYuan)) {
      problems.push(`${where}: ${fmt(t.minFineYuan)}–${fmt(t.maxFineYuan)} is not inside the law's ${fmt(b.minFineYuan)}–${fmt(b.maxFineYuan)}`);
    }
    if (b.fineRequired && t.maxFineYuan === 0) problems.push(`${where}: the law requires a fine`);
    const missing = b.mandatoryMeasures.filter((m) => !t.measures.includes(m));
    if (missing.length > 0) problems.push(`${where}: the law requires ${missing.join(', ')}`);
  }
  return problems;
}
