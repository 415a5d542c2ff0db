import { describe, it, expect } from 'vitest';
import { Rng } from '../../core/rng.js';
import { CROWD_KINDS, CrowdSource, type CrowdKind } from '../../simulator/crowds.js';
import { AGENT_CROWD_KINDS, AgentCrowd } from '../../simulator/crowd-agents.js';

interface Day {
  counts: number[];
  truth: number[];
}

function day(kind: CrowdKind, capacity: number, seed: number, start: number, minutes = 600): Day {
  const src = new CrowdSource(kind, capacity, new Rng(seed), start);
  const d: Day = { counts: [], truth: [] };
  for (let m = 0; m < minutes; m++) {
    d.counts.push(src.next());
    d.truth.push(src.trueCount);
  }
  return d;
}

const argmax = (xs: number[]): number => xs.reduce((best, v, i) => (v > (xs[best] ?? -Infinity) ? i : best), 0);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('crowd generators', () => {
  it('is deterministic per seed and counts whole, non-negative people', () => {
    for (const kind of CROWD_KINDS) {
      const a = day(kind, 500, 1, 9);
      expect(a).toEqual(day(kind, 500, 1, 9));
      expect(a.counts).not.toEqual(day(kind, 500, 2, 9).counts);
      expect(a.counts.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
    }
    expect(() => new CrowdSource('parade' as CrowdKind, 100, new Rng(1), 9)).toThrow(RangeError);
    expect(() => new CrowdSource('rain', 0, new Rng(1), 9)).toThrow(RangeError);
  });

  it('builds a hot Sunday crowd up to an afternoon peak, sometimes beyond capacity', () => {
    const days = Array.from({ length: 20 }, (_, s) => day('hot_sunday', 1000, 10 + s, 9));
    const peakHours = days.map((d) => 9 + argmax(d.truth) / 60);
    expect(mean(peakHours)).toBeGreaterThan(13);
    expect(mean(peakHours)).toBeLessThan(18.5);
    for (const d of days) expect(mean(d.truth.slice(0, 60))).toBeLessThan(Math.max(...d.truth) * 0.6); // morning quieter than the peak
    const over = days.filter((d) => Math.max(...d.truth) > 1000).length;
    expect(over).toBeGreaterThan(3);
    expect(over).toBeLessThan(18);
  });

  it('surges before an evening event and empties after it; rain keeps the zone emptier than a hot Sunday', () => {
    const change = (xs: number[], sign: 1 | -1): number => Math.max(...xs.slice(30).map((v, i) => sign * (v - (xs[i] ?? 0))));
    for (let s = 0; s < 10; s++) {
      const d = day('evening_event', 800, 30 + s, 16, 420);
      expect(change(d.truth, 1)).toBeGreaterThan(0.3 * 800); // arrivals within half an hour
      expect(change(d.truth, -1)).toBeGreaterThan(0.3 * 800); // the mass departure
    }
    const rain = mean(Array.from({ length: 10 }, (_, s) => Math.max(...day('rain', 800, 50 + s, 9).truth)));
    const sunday = mean(Array.from({ length: 10 }, (_, s) => Math.max(...day('hot_sunday', 800, 50 + s, 9).truth)));
    expect(rain).toBeLessThan(sunday / 2);
  });

  it('counts like a real counter: close to the occupancy, under-reading dense crowds, never wildly off', () => {
    const d = day('hot_sunday', 600, 70, 9);
    const ratios = d.counts.map((c, i) => c / Math.max(1, d.truth[i] ?? 1)).filter((_, i) => (d.truth[i] ?? 0) > 100);
    expect(mean(ratios)).toBeGreaterThan(0.7);
    expect(mean(ratios)).toBeLessThan(1.08);
  });

  it('adds surges only when asked: groups arriving within minutes where the day is busy, their first minute bringing part of them', () => {
    for (const kind of CROWD_KINDS) expect(day(kind, 500, 5, 9)).toEqual((() => {
      const src = new CrowdSource(kind, 500, new Rng(5), 9, { surges: false });
      const d: Day = { counts: [], truth: [] };
      for (let m = 0; m < 600; m++) {
        d.counts.push(src.next());
        d.truth.push(src.trueCount);
      }
      return d;
    })());
    const gains: number[] = [];
    let firstShare = 0;
    let busy = 0;
    for (let s = 0; s < 40; s++) {
      const src = new CrowdSource('hot_sunday', 1000, new Rng(100 + s), 9, { surges: true, minutes: 600 });
      const truth = Array.from({ length: 600 }, () => (src.next(), src.trueCount));
      expect(src.surges.length).toBeGreaterThanOrEqual(1);
      expect(src.surges.length).toBeLessThanOrEqual(3);
      for (const g of src.surges) {
        expect(g.size).toBeGreaterThanOrEqual(50);
        expect(g.size).toBeLessThanOrEqual(400);
        expect(g.buildUp).toBeGreaterThanOrEqual(1);
        expect(g.buildUp).toBeLessThanOrEqual(10);
        const i = g.minute - 1; // truth[i] is the occupancy after minute g.minute
        const gained = (truth[i + g.buildUp - 1] as number) - (truth[i - 1] as number);
        const first = (truth[i] as number) - (truth[i - 1] as number);
        if (g.size >= 150 && g.buildUp >= 4) {
          gains.push(gained / g.size);
          firstShare += first / gained;
        }
        if ((truth[i - 1] as number) > 0.5 * Math.max(...truth)) busy++;
      }
    }
    expect(gains.length).toBeGreaterThan(10);
    expect([...gains].sort((a, b) => a - b)[Math.floor(gains.length / 2)]).toBeGreaterThan(0.8); // most of it arrives within the build-up
    expect(firstShare / gains.length).toBeLessThan(0.5); // the first minute brings part of a surge spread over 4+ minutes
    expect(busy).toBeGreaterThan(40); // timed where the day is busy, so many meet a crowd already near its peak
  });

  it('has an independent agent-based generator with its own scenarios', () => {
    for (const kind of AGENT_CROWD_KINDS) {
      const run = (seed: number): number[] => {
        const a = new AgentCrowd(kind, 700, new Rng(seed), 13);
        return Array.from({ length: 480 }, () => a.next());
      };
      const counts = run(3);
      expect(counts).toEqual(run(3));
      expect(counts.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
      expect(Math.max(...counts)).toBeGreaterThan(0);
    }
  });
});
