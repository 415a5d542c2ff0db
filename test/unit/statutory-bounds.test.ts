import { describe, expect, it } from 'vitest';
import type { BenchmarkTier } from '../../enforcement-api/domain/legal-rules.js';
import { statutoryProblem, tierProblems, type StatutoryBound } from '../../enforcement-api/legal/statutory-bounds.js';
import { SEEDED_BOUNDS } from '../../enforcement-api/migrations-legal.js';

const bounds: StatutoryBound[] = SEEDED_BOUNDS.map(([matterCode, partyKind, fineRequired, minFineYuan, maxFineYuan, mandatoryMeasures, legalBasis]) => ({
  matterCode, partyKind, effectiveFrom: '2000-01-01', fineRequired, minFineYuan, maxFineYuan, mandatoryMeasures, legalBasis,
}));
const bound = (matter: string, kind: 'individual' | 'unit') => bounds.find((b) => b.matterCode === matter && b.partyKind === kind);

describe('statutory bounds per matter and kind of party (seeded catalogue)', () => {
  it.each([
    // Noise art. 82: individuals ¥200–1,000, units ¥2,000–20,000, always with a warning; the fine is discretionary.
    ['NOISE-AMPLIFIED', 'individual', ['warning', 'fine'], 200, undefined],
    ['NOISE-AMPLIFIED', 'individual', ['warning', 'fine'], 1000, undefined],
    ['NOISE-AMPLIFIED', 'individual', ['warning'], undefined, undefined],
    ['NOISE-AMPLIFIED', 'individual', ['warning', 'fine'], 199, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['NOISE-AMPLIFIED', 'individual', ['warning', 'fine'], 100, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['NOISE-AMPLIFIED', 'individual', ['warning', 'fine'], 1001, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['NOISE-AMPLIFIED', 'individual', ['warning', 'fine'], 5000, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['NOISE-AMPLIFIED', 'individual', ['fine'], 500, 'MANDATORY_MEASURE_MISSING'],
    ['NOISE-AMPLIFIED', 'unit', ['warning', 'fine'], 5000, undefined],
    ['NOISE-AMPLIFIED', 'unit', ['warning', 'fine'], 20000, undefined],
    ['NOISE-AMPLIFIED', 'unit', ['warning', 'fine'], 1999, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['NOISE-AMPLIFIED', 'unit', ['warning', 'fine'], 20001, 'OUTSIDE_STATUTORY_BOUNDS'],
    // Yangtze art. 86: confiscation and a fine of ¥10,000–50,000 (¥500,000 when serious), for anyone.
    ['FISHING-BAN', 'individual', ['confiscation', 'fine'], 10000, undefined],
    ['FISHING-BAN', 'individual', ['confiscation', 'fine'], 500000, undefined],
    ['FISHING-BAN', 'individual', ['fine'], 9999, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['FISHING-BAN', 'individual', ['fine'], 10000, 'MANDATORY_MEASURE_MISSING'],
    ['FISHING-BAN', 'individual', ['confiscation'], undefined, 'MANDATORY_MEASURE_MISSING'],
    ['FISHING-BAN', 'unit', ['confiscation', 'fine'], 500001, 'OUTSIDE_STATUTORY_BOUNDS'],
    ['FISHING-BAN', 'unit', ['confiscation', 'fine'], 20000, undefined],
  ] as const)('%s, %s: %j ¥%s → %s', (matter, kind, penalties, fineYuan, code) => {
    const r = statutoryProblem(bound(matter, kind), { penalties, fineYuan }, matter, kind);
    if (code === undefined) expect(r).toBeUndefined();
    else expect(r).toMatchObject({ status: 422, code });
  });

  it('leaves no penalty for a first violation outside their reach, and refuses any penalty without bounds', () => {
    expect(statutoryProblem(bound('FISHING-BAN', 'individual'), { penalties: ['no_penalty'] }, 'FISHING-BAN', 'individual')).toBeUndefined();
    expect(statutoryProblem(undefined, { penalties: ['warning'] }, 'X', 'unit')).toMatchObject({ code: 'NO_STATUTORY_BOUNDS' });
  });
});

describe('benchmark tiers lie inside the law', () => {
  const t = (over: Partial<BenchmarkTier>): BenchmarkTier => ({
    matterCode: 'NOISE-AMPLIFIED', partyKind: 'individual', tier: 'normal', minFineYuan: 400, maxFineYuan: 700, measures: ['warning', 'fine'], facts: '', legalBasis: '', effectiveFrom: '2000-01-01', ...over,
  });
  const noise = bounds.filter((b) => b.matterCode === 'NOISE-AMPLIFIED');
  const fishing = bounds.filter((b) => b.matterCode === 'FISHING-BAN');
  it('accepts tiers inside the range with the mandatory measures', () => {
    expect(tierProblems(noise, [t({ tier: 'no_penalty', minFineYuan: 0, maxFineYuan: 0, measures: [] }), t({ tier: 'mitigated', minFineYuan: 200, maxFineYuan: 400 }), t({})])).toEqual([]);
    expect(tierProblems(fishing, [t({ matterCode: 'FISHING-BAN', minFineYuan: 10000, maxFineYuan: 20000, measures: ['confiscation', 'fine'] })])).toEqual([]);
  });
  it.each([
    [t({ tier: 'mitigated', minFineYuan: 0, maxFineYuan: 400 }), 'not inside'], // the seeded tier before the fix
    [t({ maxFineYuan: 1200 }), 'not inside'],
    [t({ measures: ['fine'] }), 'requires warning'],
    [t({ tier: 'no_penalty', minFineYuan: 0, maxFineYuan: 100, measures: [] }), 'carries no fine'],
    [t({ partyKind: 'unit', minFineYuan: 400, maxFineYuan: 700 }), 'not inside'],
  ])('refuses %j', (tier, why) => expect(tierProblems(noise, [tier]).join('; ')).toContain(why));
  it('refuses a fishing tier without a fine or without confiscation', () => {
    expect(tierProblems(fishing, [t({ matterCode: 'FISHING-BAN', minFineYuan: 0, maxFineYuan: 0, measures: ['confiscation'] })]).join()).toContain('requires a fine');
    expect(tierProblems(fishing, [t({ matterCode: 'FISHING-BAN', minFineYuan: 10000, maxFineYuan: 20000, measures: ['fine'] })]).join()).toContain('confiscation');
  });
});
