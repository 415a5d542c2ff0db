/**
 * People counts per minute of one riverside or park zone, as a people counter reports them, for the
 * crowding model (training, tests, demo). The zone's true occupancy N follows an open-population
 * model: visitors arrive in groups (mean ≈ 2.3 people, Poisson group arrivals at a rate that follows
 * the day's attraction curve) and each stays a random time (geometric, mean 15 min–2.5 h by scenario),
 * so N lags the attraction curve and fluctuates like a real M/G/∞ occupancy.
 *
 * Scenarios (the attraction curve, as a fraction of the zone's capacity):
 * - quiet_weekday: a small base, a lunchtime and an evening-stroll bump, now and then a school or
 *   tour group of 20–60 arriving together;
 * - hot_sunday: a slow morning start and an afternoon build-up to a peak at 14:00–17:00 that may stay
 *   below or go well above capacity (people come to the water to cool off), clouds modulating it;
 * - evening_event: an evening base, then a surge before a performance or fireworks (30–60 min), a
 *   plateau while it lasts, a mass departure within 10–30 min of its end;
 * - rain: few visitors; showers drive most away within minutes; they return slowly after.
 *
 * With `surges` (training's surge days; off by default, so a seed's day is unchanged without it) 1–3
 * groups arrive together on top of the day — a ferry or a tour boat docking, coaches, a train, an event
 * letting out: 5–40 % of capacity over 1–10 minutes, timed where the day is busy (the attraction curve
 * weighs the draw), so many land on a crowd already near capacity and push it over or just under. A
 * surge's first minute brings only part of it (arrivals ramp up to a peak rate, or a sharp front
 * for a boat unloading), and its people leave as the day's visitors do, half of them together
 * 20–90 minutes later (the boat leaves again, the coach departs).
 *
 * The counter undercounts in dense crowds (occlusion, up to 30 % of the people beyond 40 % of capacity),
 * has a per-device calibration error (−15 %…+3 %),
 * counting noise and rare glitches (a zero, a frozen value). `trueCount` is the occupancy behind the
 * last count, `expectedCount` what the counter reads for it without noise and glitches (the crowding
 * labels are defined on it: the platform judges capacity by its counter).
 */
import type { Rng } from '../core/rng.js';

export type CrowdKind = 'quiet_weekday' | 'hot_sunday' | 'evening_event' | 'rain';
export const CROWD_KINDS: readonly CrowdKind[] = ['quiet_weekday', 'hot_sunday', 'evening_event', 'rain'];

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const gauss = (x: number, mu: number, sigma: number): number => Math.exp(-0.5 * ((x - mu) / sigma) ** 2);
/** Smooth step from 0 to 1 around x0 with width w (logistic). */
const rise = (x: number, x0: number, w: number): number => 1 / (1 + Math.exp(-(x - x0) / w));

export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

export function binomial(rng: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const mean = n * p;
  if (n < 40) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) k++;
    return k;
  }
  if (mean < 20) return Math.min(n, poisson(rng, mean));
  return clamp(Math.round(mean + Math.sqrt(mean * (1 - p)) * rng.normal()), 0, n);
}

/** Attraction curve: target occupancy as a fraction of capacity at local hour h. */
type Curve = (h: number) => number;

export class CrowdSource {
  private readonly curve: Curve;
  private readonly stayMin: number;
  private readonly gain: number;
  private readonly occlusion: number;
  private n: number;
  private minute = 0;
  private mood = 0;
  private last = 0;
  private frozen = 0;
  private readonly groups: { size: number; leaveAt: number }[] = [];
  /** Surge arrivals per minute of the day (index: minute), 0 where none. */
  private readonly surgeArrivals: number[] = [];
  /** Minutes at which a surge starts, and their sizes (people); for tests and data recipes. */
  readonly surges: { minute: number; size: number; buildUp: number }[] = [];
  private readonly surgeLeave = new Map<number, number>();

  constructor(
    readonly kind: CrowdKind,
    readonly capacity: number,
    private readonly rng: Rng,
    readonly startLocalHour: number,
    options: { surges?: boolean; minutes?: number } = {},
  ) {
    if (!CROWD_KINDS.includes(kind)) throw new RangeError(`unknown crowd scenario ${kind}`);
    if (!(capacity >= 1) || !Number.isFinite(capacity)) throw new RangeError('capacity must be ≥ 1');
    if (!Number.isFinite(startLocalHour)) throw new RangeError('startLocalHour must be finite');
    const r = rng;
    switch (kind) {
      case 'quiet_weekday': {
        const [base, lunch, evening, eveningAt] = [r.uniform(0.02, 0.08), r.uniform(0.03, 0.2), r.uniform(0.05, 0.45), r.uniform(18, 20.5)];
        this.curve = (h) => base + lunch * gauss(h, 12.5, 0.8) + evening * gauss(h, eveningAt, 1.3);
        this.stayMin = r.uniform(15, 60);
        break;
      }
      case 'hot_sunday': {
        const [peak, at, width, base] = [r.uniform(0.45, 1.5), r.uniform(14, 17), r.uniform(1.5, 3.2), r.uniform(0.05, 0.15)];
        const lateDrop = r.uniform(0.8, 1.5);
        this.curve = (h) => base * rise(h, 8, 0.7) + peak * gauss(h, at, h < at ? width : width * lateDrop);
        this.stayMin = r.uniform(50, 150);
        break;
      }
      case 'evening_event': {
        const [base, peak] = [r.uniform(0.05, 0.3), r.uniform(0.5, 1.6)];
        const start = startLocalHour + r.uniform(0.6, 3);
        const [lead, length, leave] = [r.uniform(0.5, 1), r.uniform(0.75, 2.5), r.uniform(0.15, 0.5)];
        this.curve = (h) => base * gauss(h, 20, 2.5) + peak * rise(h, start - lead / 2, lead / 5) * (1 - rise(h, start + length + leave / 2, leave / 5));
        this.stayMin = r.uniform(90, 240);
        break;
      }
      case 'rain': {
        const base = r.uniform(0.05, 0.35);
        const showers = Array.from({ length: r.int(1, 4) }, () => [startLocalHour + r.uniform(0, 10), r.uniform(0.3, 1.5)] as const);
        this.curve = (h) => base * showers.reduce((f, [at, len]) => f * (1 - 0.85 * rise(h, at, 0.05) * (1 - rise(h, at + len, 0.4))), 1);
        this.stayMin = r.uniform(15, 45);
        break;
      }
    }
    this.gain = r.uniform(0.85, 1.03);
    this.occlusion = r.uniform(0, 0.3);
    this.n = Math.round(this.curve(startLocalHour) * capacity * r.uniform(0.8, 1.2));
    if (options.surges) this.planSurges(options.minutes ?? 720);
  }

  /** Draws the day's surges: when (weighted by the attraction curve), how many people, how fast. */
  private planSurges(minutes: number): void {
    const r = this.rng;
    const first = 40;
    const last = minutes - 20;
    if (last <= first) return;
    let top = 0;
    for (let m = first; m <= last; m += 5) top = Math.max(top, this.curve(this.startLocalHour + m / 60));
    for (let k = r.int(1, 3); k > 0; k--) {
      let minute = r.int(first, last);
      for (let tries = 0; tries < 20 && r.next() * top > this.curve(this.startLocalHour + minute / 60); tries++) minute = r.int(first, last);
      const size = r.uniform(0.05, 0.4) * this.capacity;
      const buildUp = r.int(1, 10);
      // Arrival profile: a ramp up to a peak rate and down again, or (a third of them) a sharp front.
      const sharp = r.next() < 1 / 3;
      const peakAt = sharp ? 0 : r.uniform(0.3, 0.7) * buildUp;
      const weights = Array.from({ length: buildUp }, (_, i) => {
        if (sharp) return Math.exp(-i / Math.max(1, buildUp / 3));
        const t = i + 0.5; // triangular: rising to peakAt, falling to the build-up's end
        return 0.2 + (t < peakAt ? t / peakAt : (buildUp - t) / (buildUp - peakAt));
      });
      const total = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, i) => (this.surgeArrivals[minute + i] = (this.surgeArrivals[minute + i] ?? 0) + (size * w) / total));
      const leaveAt = minute + buildUp + r.int(20, 90);
      this.surgeLeave.set(leaveAt, (this.surgeLeave.get(leaveAt) ?? 0) + size / 2);
      this.surges.push({ minute, size, buildUp });
    }
  }

  /** True occupancy behind the last count. */
  get trueCount(): number {
    return this.n;
  }

  /** What this counter reads for the current occupancy without counting noise and glitches (its calibration and occlusion included). */
  get expectedCount(): number {
    return this.n * this.gain * (1 - this.occlusion * Math.max(0, this.n / this.capacity - 0.4));
  }

  /** Local hour of the last count. */
  get localHour(): number {
    return (this.startLocalHour + this.minute / 60) % 24;
  }

  /** Advances one minute and returns the counter's reading for it. */
  next(): number {
    const r = this.rng;
    this.minute++;
    const h = this.startLocalHour + this.minute / 60;
    this.mood = 0.97 * this.mood + r.normal(0, 0.03); // weather, word of mouth: ±10 % slow swings
    const target = this.curve(h) * this.capacity * Math.exp(this.mood);
    const slope = (this.curve(h + 1 / 60) - this.curve(h)) * this.capacity * Math.exp(this.mood);
    const inflow = Math.max(0, target / this.stayMin + slope);
    let arrivals = 0;
    for (let g = poisson(r, inflow / 2.3); g > 0; g--) arrivals += 1 + poisson(r, 1.3);
    if (this.kind === 'quiet_weekday' && r.next() < 1 / 600) {
      const size = r.int(20, 60);
      this.groups.push({ size, leaveAt: this.minute + r.int(20, 60) });
      arrivals += size;
    }
    const surge = this.surgeArrivals[this.minute] ?? 0;
    if (surge > 0) arrivals += poisson(r, surge);
    let leaving = this.groups.filter((g) => g.leaveAt === this.minute).reduce((s, g) => s + g.size, 0);
    const leavers = this.surgeLeave.get(this.minute);
    if (leavers !== undefined) leaving += Math.min(Math.round(leavers), this.n);
    const free = Math.max(0, this.n - leaving);
    const pLeave = clamp(1 / this.stayMin + Math.max(0, -slope) / Math.max(free, 1), 0, 1);
    this.n = Math.max(0, this.n + arrivals - leaving - binomial(r, free, pLeave));
    return this.count();
  }

  private count(): number {
    const r = this.rng;
    if (this.frozen > 0) {
      this.frozen--;
      return this.last;
    }
    const u = r.next();
    if (u < 0.002) return 0; // glitch: the counter rebooted
    if (u < 0.005) this.frozen = r.int(1, 3);
    this.last = Math.max(0, Math.round(this.expectedCount + r.normal(0, 0.5 + 0.4 * Math.sqrt(this.n))));
    return this.last;
  }
}
