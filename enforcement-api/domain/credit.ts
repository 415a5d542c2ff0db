/**
 * Three-colour credit of a market entity (green / yellow / red) from its record over the lookback
 * window: points per item of the record, thresholds for yellow and red, and every contribution listed
 * as a reason. Pure; the record is read by enforcement-api/inspections/credit.ts.
 */

export type Colour = 'green' | 'yellow' | 'red';

export interface CreditRecord {
  /** Cases decided against the entity's party with a penalty. */
  decidedCases: number;
  /** Cases raised by a sensor alert naming the party (not dismissed). */
  sensorViolations: number;
  /** Violations the party corrected: resolved on site, or decided with no penalty (first minor violation corrected in time). */
  corrections: number;
  /** Complaints upheld against the entity (0 until complaints are recorded). */
  complaintsUpheld: number;
}

export interface CreditPolicy {
  /** Points at or above which the colour is yellow, and red. */
  yellowAt: number;
  redAt: number;
  weights: { decidedCases: number; sensorViolations: number; corrections: number; complaintsUpheld: number };
}

export const DEFAULT_CREDIT_POLICY: CreditPolicy = {
  yellowAt: 1,
  redAt: 6,
  weights: { decidedCases: 3, sensorViolations: 1, corrections: -1, complaintsUpheld: 2 },
};

export interface CreditReason {
  code: 'DECIDED_CASES' | 'SENSOR_VIOLATIONS' | 'CORRECTIONS' | 'COMPLAINTS_UPHELD' | 'CLEAN_RECORD';
  count: number;
  points: number;
  text: string;
}

export interface Credit {
  colour: Colour;
  points: number;
  reasons: CreditReason[];
}

const TEXT: Record<Exclude<CreditReason['code'], 'CLEAN_RECORD'>, (n: number) => string> = {
  DECIDED_CASES: (n) => `${n} case${n === 1 ? '' : 's'} decided with a penalty`,
  SENSOR_VIOLATIONS: (n) => `${n} violation${n === 1 ? '' : 's'} recorded by sensors`,
  CORRECTIONS: (n) => `${n} violation${n === 1 ? '' : 's'} corrected`,
  COMPLAINTS_UPHELD: (n) => `${n} complaint${n === 1 ? '' : 's'} upheld`,
};

const KEYS: [keyof CreditRecord, Exclude<CreditReason['code'], 'CLEAN_RECORD'>][] = [
  ['decidedCases', 'DECIDED_CASES'], ['sensorViolations', 'SENSOR_VIOLATIONS'], ['corrections', 'CORRECTIONS'], ['complaintsUpheld', 'COMPLAINTS_UPHELD'],
];

/**
 * The colour of a record. Corrections lower the points but never below zero, and never below the
 * points of decided cases alone (a penalty stays on the record until it leaves the lookback window).
 */
export function creditColour(record: CreditRecord, policy: CreditPolicy = DEFAULT_CREDIT_POLICY): Credit {
  for (const [k] of KEYS) {
    if (!Number.isInteger(record[k]) || record[k] < 0) throw new RangeError(`${k} must be a whole number ≥ 0, not ${record[k]}`);
  }
  const reasons: CreditReason[] = KEYS.filter(([k]) => record[k] > 0).map(([k, code]) => ({
    code, count: record[k], points: record[k] * policy.weights[k], text: TEXT[code](record[k]),
  }));
  const sum = reasons.reduce((a, r) => a + r.points, 0);
  const points = Math.max(0, sum, record.decidedCases * policy.weights.decidedCases);
  const colour: Colour = points >= policy.redAt ? 'red' : points >= policy.yellowAt ? 'yellow' : 'green';
  if (reasons.length === 0) reasons.push({ code: 'CLEAN_RECORD', count: 0, points: 0, text: 'no violations on record' });
  return { colour, points, reasons };
}

/** The scheduling period a day falls in: `2026-Q4`, `2026-12`, `2026-W49` (ISO week) or `2026-12-02`. */
export type Period = 'quarter' | 'month' | 'week' | 'day';

export function periodKey(period: Period, at: Date): string {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  switch (period) {
    case 'quarter':
      return `${y}-Q${Math.floor(m / 3) + 1}`;
    case 'month':
      return `${y}-${String(m + 1).padStart(2, '0')}`;
    case 'week': {
      const d = new Date(Date.UTC(y, m, at.getUTCDate()));
      const day = d.getUTCDay() || 7;
      d.setUTCDate(d.getUTCDate() + 4 - day);
      const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
      const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
      return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
    }
    case 'day':
      return at.toISOString().slice(0, 10);
    default: {
      const never: never = period;
      throw new Error(`unknown period ${String(never)}`);
    }
  }
}

/** First and last day (YYYY-MM-DD) of the quarter or month a day falls in. */
export function periodRange(period: 'quarter' | 'month', at: Date): { from: string; to: string } {
  const y = at.getUTCFullYear();
  const m0 = period === 'quarter' ? Math.floor(at.getUTCMonth() / 3) * 3 : at.getUTCMonth();
  const months = period === 'quarter' ? 3 : 1;
  const from = new Date(Date.UTC(y, m0, 1));
  const to = new Date(Date.UTC(y, m0 + months, 0));
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}
