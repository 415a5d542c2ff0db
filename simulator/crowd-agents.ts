/**
 * An independent crowd generator, used to check the crowding model on counts made a different way
 * than by `crowds.ts`: every visiting group is an explicit agent with its own arrival minute, size
 * (1 + Poisson(1.5), or a 15–80-person tour party) and a log-normal length of stay (σ 0.6), so
 * departures are scheduled rather than a constant hazard; the day's arrival rate is a piecewise-linear
 * curve through random knots of scenario-specific shapes that `crowds.ts` does not have; and the
 * people counter is a camera snapshot per minute that misses people in proportion to how crowded the
 * view is (occlusion), double-counts a few, and sometimes drops a minute (the last value is repeated).
 */
import type { Rng } from '../core/rng.js';
import { poisson, binomial } from './crowds.js';

export type AgentCrowdKind = 'heatwave_weekday' | 'festival' | 'sunny_saturday' | 'drizzle';
export const AGENT_CROWD_KINDS: readonly AgentCrowdKind[] = ['heatwave_weekday', 'festival', 'sunny_saturday', 'drizzle'];

/** Knots [hour, arrivals per minute as a fraction of capacity] of the day's arrival curve. */
function knots(kind: AgentCrowdKind, rng: Rng, start: number): [number, number][] {
  const u = (lo: number, hi: number): number => rng.uniform(lo, hi);
  switch (kind) {
    case 'heatwave_weekday': {
      const surge = u(0.006, 0.03); // after-work swim in the river
      return [[start, u(0.0005, 0.002)], [16.5, u(0.001, 0.004)], [u(17.5, 18.5), surge], [u(19.5, 20.5), surge * u(0.6, 1)], [22, 0.0005], [30, 0]];
    }
    case 'festival': {
      const out: [number, number][] = [[start, u(0.001, 0.003)]];
      let h = start + u(0.5, 1.5);
      for (let k = rng.int(2, 3); k > 0; k--) {
        out.push([h, u(0.001, 0.004)], [h + u(0.3, 0.6), u(0.008, 0.035)], [h + u(0.9, 1.4), u(0.0005, 0.003)]);
        h += u(2, 3);
      }
      return [...out, [h + 2, 0], [40, 0]];
    }
    case 'sunny_saturday': {
      const plateau = u(0.004, 0.016);
      return [[start, u(0.001, 0.003)], [u(10, 11), plateau], [u(15, 16.5), plateau * u(0.8, 1.3)], [u(18, 19), u(0.001, 0.004)], [30, 0]];
    }
    case 'drizzle':
      return [[start, u(0.0005, 0.003)], [start + u(2, 5), u(0.0005, 0.004)], [start + u(6, 9), u(0.001, 0.005)], [40, 0]];
  }
}

function interpolate(k: readonly [number, number][], h: number): number {
  for (let i = 1; i < k.length; i++) {
    const [h0, v0] = k[i - 1] as [number, number];
    const [h1, v1] = k[i] as [number, number];
    if (h <= h1) return h <= h0 ? v0 : v0 + ((v1 - v0) * (h - h0)) / (h1 - h0);
  }
  return k[k.length - 1]?.[1] ?? 0;
}

export class AgentCrowd {
  private readonly curve: [number, number][];
  private readonly stayMedianMin: number;
  private readonly departures = new Map<number, number>();
  private readonly detect: number;
  private n = 0;
  private minute = 0;
  private last = 0;

  constructor(
    readonly kind: AgentCrowdKind,
    readonly capacity: number,
    private readonly rng: Rng,
    readonly startLocalHour: number,
  ) {
    this.curve = knots(kind, rng, startLocalHour);
    this.stayMedianMin = kind === 'festival' ? rng.uniform(60, 150) : kind === 'drizzle' ? rng.uniform(15, 40) : rng.uniform(40, 110);
    this.detect = rng.uniform(0.88, 1);
  }

  get trueCount(): number {
    return this.n;
  }

  /** The camera's count for the current occupancy without sampling noise and dropped minutes. */
  get expectedCount(): number {
    return this.n * (this.detect * (1 - 0.3 * Math.max(0, Math.min(1, this.n / this.capacity - 0.6))) + 0.02);
  }

  private arrive(size: number): void {
    const stay = Math.max(1, Math.round(this.stayMedianMin * Math.exp(0.6 * this.rng.normal())));
    this.departures.set(this.minute + stay, (this.departures.get(this.minute + stay) ?? 0) + size);
    this.n += size;
  }

  /** Advances one minute and returns the camera's count for it. */
  next(): number {
    const r = this.rng;
    this.minute++;
    const h = this.startLocalHour + this.minute / 60;
    const groupsExpected = (interpolate(this.curve, h) * this.capacity) / 2.5;
    for (let g = poisson(r, groupsExpected); g > 0; g--) this.arrive(1 + poisson(r, 1.5));
    if (r.next() < 1 / 900) this.arrive(r.int(15, 80)); // a tour party
    this.n -= this.departures.get(this.minute) ?? 0;
    this.departures.delete(this.minute);
    if (r.next() < 0.01) return this.last; // a dropped minute, forward-filled
    const density = this.n / this.capacity;
    const p = this.detect * (1 - 0.3 * Math.max(0, Math.min(1, density - 0.6)));
    this.last = binomial(r, this.n, p) + poisson(r, 0.02 * this.n);
    return this.last;
  }
}
