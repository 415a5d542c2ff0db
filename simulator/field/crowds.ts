/**
 * Independent crowd days for evaluating the crowding early warning — written apart from the training
 * and cross-check generators (simulator/crowds.ts, simulator/crowd-agents.ts), with its own random
 * source and its own model of a day, and with what they do not produce:
 *
 * - occupancy as a fluid: arrivals at a rate made of a few broad bumps (morning, lunch, afternoon,
 *   evening), departures at occupancy / mean stay (20–120 min), plus surges — a ferry, a tour group, an
 *   event letting out — bringing 8–35 % of capacity within 2–6 minutes;
 * - day types: `ordinary` (peak 30–80 % of capacity), `near_miss` (the day's peak scaled to 87–93 %),
 *   `over` (peak 105–150 %), `surge_over` (an ordinary build-up pushed past capacity by surges);
 * - 1–3 counters per zone splitting the crowd (shares drawn per day), each reporting every 30 or 60 s
 *   at its own phase with counting noise (±3 % and Poisson), and faults: a counter that drops out for
 *   3–25 minutes, one that double counts (×1.4–1.9) for 10–60 minutes, zero glitches.
 *
 * The truth is the occupancy itself (not any counter's reading): a day exceeds capacity at the first
 * minute the occupancy is above it.
 */
import { FieldRandom } from './prng.js';

export const FIELD_DAY_TYPES = ['ordinary', 'near_miss', 'over', 'surge_over'] as const;
export type FieldDayType = (typeof FIELD_DAY_TYPES)[number];

export interface CounterReading {
  counter: number;
  /** Seconds from the day's start (08:00 local). */
  t: number;
  count: number;
}

export interface FieldDay {
  type: FieldDayType;
  capacity: number;
  counters: number;
  startLocalHour: number;
  /** True occupancy per minute. */
  occupancy: number[];
  /** Minute index of the first minute over capacity, or -1. */
  firstOver: number;
  peakShare: number;
  readings: CounterReading[];
  faults: string[];
}

const MINUTES = 14 * 60;

function shape(r: FieldRandom, capacity: number, surges: number): number[] {
  const bumps = Array.from({ length: 2 + Math.floor(r.u() * 3) }, () => ({ at: r.between(60, MINUTES - 90), width: r.between(40, 200), height: r.between(0.3, 1) }));
  const stay = r.between(20, 120);
  const surgeAt = Array.from({ length: surges }, () => ({ at: r.between(90, MINUTES - 60), size: r.between(0.08, 0.35) * capacity, over: r.between(2, 6) }));
  const occ: number[] = [];
  let n = r.between(0, 0.05) * capacity;
  for (let m = 0; m < MINUTES; m++) {
    let rate = 0;
    for (const b of bumps) rate += b.height * Math.exp(-0.5 * ((m - b.at) / b.width) ** 2);
    rate *= (capacity / stay) * 0.9;
    for (const s of surgeAt) if (m >= s.at && m < s.at + s.over) rate += s.size / s.over;
    n = Math.max(0, n + rate - n / stay);
    occ.push(n);
  }
  return occ;
}

/** One zone's day, 08:00–22:00, with its counters' readings. */
export function fieldDay(seed: number, type: FieldDayType): FieldDay {
  const r = new FieldRandom(seed);
  const capacity = Math.round(Math.exp(r.between(Math.log(80), Math.log(2500))));
  let occ: number[];
  if (type === 'surge_over') {
    // Build ordinary days with surges until one passes capacity through them.
    for (;;) {
      occ = shape(r, capacity, 1 + Math.floor(r.u() * 3));
      const base = Math.max(...occ);
      // One scale for the whole day (its build-up peaks at 70-95 % of capacity before the surge). Until
      // 2026-12-03 a scale was drawn for every minute, so the true occupancy jumped by up to ±15 % of
      // itself from one minute to the next, which no crowd does.
      const scale = r.between(0.7, 0.95);
      const scaled = occ.map((x) => (x * scale * capacity) / base);
      // A surge on top of the scaled day: a sharp step of 15–35 % of capacity within minutes.
      const at = 120 + Math.floor(r.u() * (MINUTES - 240));
      const size = r.between(0.15, 0.35) * capacity;
      const over = 2 + Math.floor(r.u() * 5);
      const stay = r.between(20, 60);
      let extra = 0;
      occ = scaled.map((x, m) => {
        if (m >= at && m < at + over) extra += size / over;
        else extra -= extra / stay;
        return x + Math.max(0, extra);
      });
      if (Math.max(...occ) > capacity * 1.02) break;
    }
  } else {
    occ = shape(r, capacity, r.chance(0.4) ? 1 + Math.floor(r.u() * 2) : 0);
    const peak = Math.max(...occ);
    const target = type === 'ordinary' ? r.between(0.3, 0.8) : type === 'near_miss' ? r.between(0.87, 0.93) : r.between(1.05, 1.5);
    occ = occ.map((x) => (x * target * capacity) / peak);
  }
  const occupancy = occ.map((x) => Math.round(x));
  const counters = 1 + Math.floor(r.u() * 3);
  const shares = Array.from({ length: counters }, () => r.between(0.5, 1.5));
  const total = shares.reduce((a, b) => a + b, 0);
  const faults: string[] = [];
  const readings: CounterReading[] = [];
  for (let c = 0; c < counters; c++) {
    const share = (shares[c] as number) / total;
    const every = r.choose([30, 60]);
    const phase = Math.floor(r.u() * every);
    const gain = r.between(0.96, 1.04);
    const dropOut = r.chance(0.25) ? { from: r.between(60, MINUTES - 60) * 60, len: r.between(3, 25) * 60 } : null;
    const double = r.chance(0.15) ? { from: r.between(60, MINUTES - 90) * 60, len: r.between(10, 60) * 60, factor: r.between(1.4, 1.9) } : null;
    if (dropOut) faults.push(`counter ${c + 1} silent ${Math.round(dropOut.len / 60)} min`);
    if (double) faults.push(`counter ${c + 1} double counts ×${double.factor.toFixed(1)} for ${Math.round(double.len / 60)} min`);
    for (let t = phase; t < MINUTES * 60; t += every) {
      if (dropOut && t >= dropOut.from && t < dropOut.from + dropOut.len) continue;
      const truth = (occ[Math.floor(t / 60)] as number) * share;
      let count = truth * gain * (1 + r.gauss(0, 0.03)) + r.gauss(0, Math.sqrt(truth + 1) * 0.5);
      if (double && t >= double.from && t < double.from + double.len) count *= double.factor;
      if (r.chance(0.002)) count = 0;
      readings.push({ counter: c, t, count: Math.max(0, Math.round(count)) });
    }
  }
  readings.sort((a, b) => a.t - b.t || a.counter - b.counter);
  const firstOver = occupancy.findIndex((x) => x > capacity);
  return { type, capacity, counters, startLocalHour: 8, occupancy, firstOver, peakShare: Math.max(...occupancy) / capacity, readings, faults };
}
