import { describe, expect, it } from 'vitest';
import { FIELD_BEHAVIOURS, FISHING_BEHAVIOURS, fieldScene } from '../../simulator/field/tracks.js';
import { FIELD_DAY_TYPES, fieldDay } from '../../simulator/field/crowds.js';
import { calibration } from '../../inference/train/metrics.js';
import { crossesInSurgeFirstMinute } from '../../inference/train/scenes.js';

/** The independent scene generator (evaluation only): reproducible, and it makes what it says it makes. */
describe('independent riverbank scenes', () => {
  it('are reproducible from their seed and cover every behaviour', () => {
    expect(JSON.stringify(fieldScene(42))).toBe(JSON.stringify(fieldScene(42)));
    expect(JSON.stringify(fieldScene(42))).not.toBe(JSON.stringify(fieldScene(43)));
    const seen = new Set<string>();
    for (let s = 0; s < 60; s++) for (const t of fieldScene(1000 + s).tracks) seen.add(t.behaviour);
    expect([...seen].sort()).toEqual([...FIELD_BEHAVIOURS].sort());
  });

  it('labels a track fishing only for fishing behaviours, and only with five minutes of fishing in it', () => {
    for (let s = 0; s < 30; s++) {
      for (const t of fieldScene(2000 + s).tracks) {
        if (t.fishing) expect(FISHING_BEHAVIOURS).toContain(t.behaviour);
        if (!FISHING_BEHAVIOURS.includes(t.behaviour)) expect(t.fishing || t.ambiguous).toBe(false);
        // dwellS is the time since the camera first saw the track: it grows with the observations' time.
        const first = t.observations[0]!;
        for (const o of t.observations) expect(o.obs.dwellS).toBe(o.t - first.t);
      }
    }
  });

  it('makes people hold rod-like objects without fishing, and net fishers without a rod', () => {
    const tracks = Array.from({ length: 40 }, (_, s) => fieldScene(3000 + s).tracks).flat();
    const meanRod = (b: string) => {
      const obs = tracks.filter((t) => t.behaviour === b).flatMap((t) => t.observations.map((o) => o.obs.rodScore));
      return obs.reduce((a, x) => a + x, 0) / obs.length;
    };
    expect(meanRod('long_object')).toBeGreaterThan(0.45);
    expect(meanRod('cast_net')).toBeLessThan(0.15);
  });
});

describe('independent crowd days', () => {
  it('peak where their type says, from counters that drop out and double count', () => {
    const faults: string[] = [];
    for (let s = 0; s < 80; s++) {
      const type = FIELD_DAY_TYPES[s % 4]!;
      const day = fieldDay(5000 + s, type);
      faults.push(...day.faults);
      if (type === 'ordinary') expect(day.peakShare).toBeLessThan(0.82);
      if (type === 'near_miss') {
        expect(day.peakShare).toBeGreaterThanOrEqual(0.86);
        expect(day.peakShare).toBeLessThanOrEqual(0.94);
      }
      if (type === 'over' || type === 'surge_over') expect(day.firstOver).toBeGreaterThan(0);
      else expect(day.firstOver).toBe(-1);
      expect(new Set(day.readings.map((r) => r.counter)).size).toBe(day.counters);
    }
    expect(faults.some((f) => f.includes('silent'))).toBe(true);
    expect(faults.some((f) => f.includes('double counts'))).toBe(true);
  });
});

describe('independent crowd days move as crowds do', () => {
  it('lose at most a few percent of capacity a minute (people leave over their stay), even on surge days', () => {
    for (let s = 0; s < 40; s++) {
      const day = fieldDay(7100 + s, FIELD_DAY_TYPES[s % 4]!);
      let worst = 0;
      for (let m = 1; m < day.occupancy.length; m++) worst = Math.max(worst, ((day.occupancy[m - 1] as number) - (day.occupancy[m] as number)) / day.capacity);
      // Departures are occupancy / stay (stays of 20 min or more): under 5 % of capacity a minute, plus rounding.
      expect(worst).toBeLessThan(0.06);
    }
  });
});

describe('crossings no count can announce', () => {
  it('are the days that pass capacity in the first minute of a surge', () => {
    // 90 % steady, then +15 % of capacity in one minute: nothing before the crossing minute rose.
    expect(crossesInSurgeFirstMinute([90, 90, 90, 105], 100, 3)).toBe(true);
    // The surge began a minute earlier: its first minute could have been seen.
    expect(crossesInSurgeFirstMinute([90, 90, 96, 105], 100, 3)).toBe(false);
    // A slow build-up crossing by 1 %.
    expect(crossesInSurgeFirstMinute([97, 98, 99, 101], 100, 3)).toBe(false);
    let surgeDays = 0;
    let hard = 0;
    for (let s = 0; s < 40; s++) {
      const day = fieldDay(7000 + s, 'surge_over');
      surgeDays++;
      if (crossesInSurgeFirstMinute(day.occupancy, day.capacity, day.firstOver)) hard++;
    }
    // Some surge days are of this kind, not all (the figure the crowding card reports as unforeseeable).
    expect(hard).toBeGreaterThan(0);
    expect(hard).toBeLessThan(surgeDays);
  });
});

describe('reliability curve and threshold trade-off', () => {
  it('bins predictions against what was observed and sweeps thresholds', () => {
    const p = [0.05, 0.05, 0.15, 0.95, 0.95, 0.85, 0.55, 0.45];
    const y = [0, 0, 1, 1, 1, 0, 1, 0];
    const c = calibration('x', 'test', p, y);
    expect(c.reliability.find((b) => b.from === 0)).toMatchObject({ samples: 2, observed: 0 });
    expect(c.reliability.find((b) => b.from === 0.9)).toMatchObject({ samples: 2, observed: 1, meanPredicted: 0.95 });
    const at5 = c.thresholds.find((t) => t.threshold === 0.5)!;
    expect(at5).toMatchObject({ precision: 0.75, recall: 0.75, flagged: 0.5 });
    expect(c.ece).toBeGreaterThan(0);
  });
});
