import { createHash, createHmac } from 'node:crypto';

/**
 * The random inspection draw, reproducible by anyone from the plan's published inputs and seed.
 *
 *  - seed: 64 lowercase hex digits (32 random bytes); commitment = SHA-256 of the seed's 64 ASCII
 *    characters, in hex (`printf %s SEED | sha256sum`). The commitment and the inputs are published
 *    when the plan is created; the seed when it is drawn.
 *  - stream: block i (i = 0, 1, 2, …) is HMAC-SHA256(key = the seed's ASCII text, message =
 *    `${planId}:${i}` in ASCII). A draw x is the block's first 6 bytes as a big-endian integer
 *    (0 ≤ x < 2^48); every draw takes the next block.
 *  - uniform(): x / 2^48. int(n): the next x below ⌊2^48 / n⌋·n (draws above it are discarded),
 *    modulo n: exactly uniform in [0, n).
 *  - selection: the population's entity ids sorted by code unit (ascending); in that order each takes
 *    one uniform() and is selected when it is below the plan's rate (each entity independently, so
 *    the count per period is binomial(N, rate)).
 *  - per selected entity, in the same order: the item is items[int(k)] of the checklist items in
 *    force for the entity's kind, sorted by code; the inspectors are the first two of a Fisher–Yates
 *    shuffle of the certificate numbers (sorted) of the inspectors who may inspect that item: for
 *    j = 0, 1: swap position j with j + int(m − j). With fewer than two such inspectors nothing is
 *    drawn for them and the inspection is `unstaffed`.
 */

export interface DrawInputs {
  /** Entities of the plan's colour when the plan was created. */
  population: { id: string; kind: string }[];
  /** Checklist items in force: code and the entity kinds they apply to. */
  items: { code: string; entityKinds: string[] }[];
  /** Certified inspectors valid over the period: certificate number and the items each may inspect. */
  inspectors: { certificateNo: string; items: string[] }[];
}

export interface DrawnInspection {
  entityId: string;
  itemCode: string | null;
  /** Two certificate numbers, or empty when unstaffed. */
  inspectors: string[];
  unstaffed: boolean;
}

export interface DrawResult {
  selected: DrawnInspection[];
  /** Blocks of the stream consumed. */
  blocks: number;
}

const TWO_48 = 2 ** 48;
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const SEED_PATTERN = /^[0-9a-f]{64}$/;

export function commitmentOf(seed: string): string {
  return createHash('sha256').update(seed, 'ascii').digest('hex');
}

export class DrawStream {
  private i = 0;

  constructor(
    private readonly seed: string,
    private readonly planId: string,
  ) {
    if (!SEED_PATTERN.test(seed)) throw new Error('a seed is 64 lowercase hex digits');
  }

  get blocks(): number {
    return this.i;
  }

  private x(): number {
    const block = createHmac('sha256', Buffer.from(this.seed, 'ascii')).update(`${this.planId}:${this.i++}`, 'ascii').digest();
    return block.readUIntBE(0, 6);
  }

  uniform(): number {
    return this.x() / TWO_48;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`int(${n})`);
    const limit = Math.floor(TWO_48 / n) * n;
    for (;;) {
      const x = this.x();
      if (x < limit) return x % n;
    }
  }
}

/** The draw of one plan: which entities, and for each the item and the two inspectors. */
export function drawPlan(planId: string, seed: string, rate: number, inputs: DrawInputs): DrawResult {
  const s = new DrawStream(seed, planId);
  const population = [...inputs.population].sort((a, b) => byCodeUnit(a.id, b.id));
  const chosen = population.filter(() => s.uniform() < rate);
  const items = [...inputs.items].sort((a, b) => byCodeUnit(a.code, b.code));
  const inspectors = [...inputs.inspectors].sort((a, b) => byCodeUnit(a.certificateNo, b.certificateNo));
  const selected = chosen.map((e): DrawnInspection => {
    const fit = items.filter((it) => it.entityKinds.includes(e.kind));
    if (fit.length === 0) return { entityId: e.id, itemCode: null, inspectors: [], unstaffed: true };
    const item = fit[s.int(fit.length)]!.code;
    const pool = inspectors.filter((p) => p.items.includes(item)).map((p) => p.certificateNo);
    if (pool.length < 2) return { entityId: e.id, itemCode: item, inspectors: [], unstaffed: true };
    for (let j = 0; j < 2; j++) {
      const k = j + s.int(pool.length - j);
      [pool[j], pool[k]] = [pool[k]!, pool[j]!];
    }
    return { entityId: e.id, itemCode: item, inspectors: pool.slice(0, 2), unstaffed: false };
  });
  return { selected, blocks: s.blocks };
}

/** Checks a published plan: the seed matches its commitment and gives the published draw. */
export function verifyDraw(plan: { id: string; rate: number; inputs: DrawInputs; commitment: string; seed: string; selected: DrawnInspection[] }): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  if (!SEED_PATTERN.test(plan.seed)) return { ok: false, problems: ['the seed is not 64 lowercase hex digits'] };
  if (commitmentOf(plan.seed) !== plan.commitment) problems.push('SHA-256 of the seed is not the published commitment');
  const again = drawPlan(plan.id, plan.seed, plan.rate, plan.inputs).selected;
  if (JSON.stringify(again) !== JSON.stringify(plan.selected)) problems.push('the seed does not give the published draw');
  return { ok: problems.length === 0, problems };
}
