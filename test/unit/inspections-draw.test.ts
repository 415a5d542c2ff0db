import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { commitmentOf, drawPlan, DrawStream, verifyDraw, type DrawInputs } from '../../enforcement-api/domain/draw.js';

const inputs = (n: number): DrawInputs => ({
  population: Array.from({ length: n }, (_, i) => ({ id: `me-${String(i).padStart(4, '0')}`, kind: i % 2 ? 'vendor' : 'boat_operator' })),
  items: [{ code: 'B', entityKinds: ['vendor'] }, { code: 'A', entityKinds: ['vendor'] }, { code: 'F', entityKinds: ['boat_operator'] }],
  inspectors: [
    { certificateNo: 'C3', items: ['A', 'B'] }, { certificateNo: 'C1', items: ['A', 'F'] }, { certificateNo: 'C2', items: ['A', 'B', 'F'] }, { certificateNo: 'C4', items: ['F'] },
  ],
});
const seed = 'a'.repeat(64);

describe('the random draw', () => {
  it('is reproducible from the seed, whatever order the inputs are listed in', () => {
    const a = drawPlan('plan-1', seed, 0.3, inputs(200));
    const shuffled = inputs(200);
    shuffled.population.reverse();
    shuffled.inspectors.reverse();
    const b = drawPlan('plan-1', seed, 0.3, shuffled);
    expect(b).toEqual(a);
    expect(a.selected.length).toBeGreaterThan(20);
    // Another seed or another plan id gives another draw.
    expect(drawPlan('plan-1', 'b'.repeat(64), 0.3, inputs(200)).selected).not.toEqual(a.selected);
    expect(drawPlan('plan-2', seed, 0.3, inputs(200)).selected).not.toEqual(a.selected);
  });

  it('draws two different inspectors who may inspect the drawn item, for an item of the entity kind', () => {
    const inp = inputs(300);
    const { selected } = drawPlan('p', randomBytes(32).toString('hex'), 0.5, inp);
    for (const d of selected) {
      const kind = inp.population.find((e) => e.id === d.entityId)!.kind;
      expect(inp.items.find((i) => i.code === d.itemCode)!.entityKinds).toContain(kind);
      expect(d.inspectors).toHaveLength(2);
      expect(new Set(d.inspectors).size).toBe(2);
      for (const c of d.inspectors) expect(inp.inspectors.find((p) => p.certificateNo === c)!.items).toContain(d.itemCode);
    }
  });

  it('marks an entity unstaffed when fewer than two inspectors may inspect its item', () => {
    const inp: DrawInputs = { population: [{ id: 'x', kind: 'vendor' }], items: [{ code: 'A', entityKinds: ['vendor'] }], inspectors: [{ certificateNo: 'C1', items: ['A'] }] };
    expect(drawPlan('p', seed, 1, inp).selected).toEqual([{ entityId: 'x', itemCode: 'A', inspectors: [], unstaffed: true }]);
  });

  it('verifies a published draw against its commitment and refuses a tampered one', () => {
    const s = randomBytes(32).toString('hex');
    const inp = inputs(100);
    const selected = drawPlan('p9', s, 0.2, inp).selected;
    const published = { id: 'p9', rate: 0.2, inputs: inp, commitment: commitmentOf(s), seed: s, selected };
    expect(verifyDraw(published)).toEqual({ ok: true, problems: [] });
    expect(verifyDraw({ ...published, seed: randomBytes(32).toString('hex') }).ok).toBe(false);
    expect(verifyDraw({ ...published, selected: selected.slice(1) }).problems).toContain('the seed does not give the published draw');
    // The commitment is the SHA-256 of the seed's text, as `printf %s SEED | sha256sum` prints it.
    expect(commitmentOf('0'.repeat(64))).toBe('60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55');
  });

  it('draws integers uniformly (chi-square over 6 bins)', () => {
    const s = new DrawStream(seed, 'uniform');
    const bins = new Array<number>(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) bins[s.int(6)]!++;
    const chi = bins.reduce((a, b) => a + (b - n / 6) ** 2 / (n / 6), 0);
    expect(chi).toBeLessThan(20.5); // p ≈ 0.001 at 5 degrees of freedom
  });

  /** Binomial bounds: over many periods the mean count stays within 4 standard errors of N·p. */
  it.each([[0.02, 500, 400], [0.05, 300, 400]])('selects at rate %d (N=%d) over %d simulated periods within binomial bounds', (rate, n, periods) => {
    const inp = inputs(n);
    const counts: number[] = [];
    for (let k = 0; k < periods; k++) counts.push(drawPlan(`period-${k}`, randomBytes(32).toString('hex'), rate, inp).selected.length);
    const mean = counts.reduce((a, b) => a + b, 0) / periods;
    const sd = Math.sqrt(n * rate * (1 - rate));
    expect(Math.abs(mean - n * rate)).toBeLessThan(4 * sd / Math.sqrt(periods));
    // Each period's count within 5 sd of the expectation.
    for (const c of counts) expect(Math.abs(c - n * rate)).toBeLessThan(5 * sd + 1);
    // And the variance is binomial, not a fixed quota.
    const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (periods - 1);
    expect(variance).toBeGreaterThan(0.6 * sd * sd);
    expect(variance).toBeLessThan(1.5 * sd * sd);
  });
});
