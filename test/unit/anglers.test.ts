import { describe, it, expect } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Rng } from '../../core/rng.js';
import { TracksPayload } from '../../contract/mqtt/telemetry.js';
import { TRACK_ROLES, TrackSource, type TrackObservation, type TrackRole } from '../../simulator/anglers.js';
import { RiverbankScene } from '../../simulator/riverbank.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Observations every dt seconds until the person leaves (or `maxS`), with the fishing flag. */
function run(role: TrackRole, seed: number, dt = 10, maxS = 3 * 3600): { obs: TrackObservation[]; fishing: boolean[] } {
  const src = new TrackSource(role, new Rng(seed), { localHour: 10 });
  const obs: TrackObservation[] = [];
  const fishing: boolean[] = [];
  for (let t = 0; t < maxS && !src.ended; t += dt) {
    obs.push(src.next(dt));
    fishing.push(src.fishing);
  }
  return { obs, fishing };
}

describe('riverside track generators', () => {
  it('is deterministic per seed and produces payload-valid observations for every role', () => {
    for (const role of TRACK_ROLES) {
      const a = run(role, 11);
      expect(a).toEqual(run(role, 11));
      expect(a.obs).not.toEqual(run(role, 12).obs);
      for (const o of a.obs) expect(Value.Check(TracksPayload, { ts: 0, seq: 0, id: 't', ...o })).toBe(true);
    }
    expect(() => new TrackSource('diver' as TrackRole, new Rng(1))).toThrow(RangeError);
    expect(() => new TrackSource('angler', new Rng(1)).next(0)).toThrow(RangeError);
  });

  it('has anglers stand still at the water for a long time with a noisy but high rod score', () => {
    let long = 0;
    for (let s = 0; s < 20; s++) {
      const { obs, fishing } = run('angler', 100 + s);
      const set = obs.filter((_, k) => fishing[k]);
      if (set.length * 10 >= 20 * 60) long++;
      expect(set.length).toBeGreaterThan(0);
      expect(set.filter((o) => o.speedMps < 0.3).length / set.length).toBeGreaterThan(0.8);
      expect(median(set.map((o) => o.waterlineM))).toBeLessThan(4.5);
      expect(set.some((o) => o.rodScore < 0.3)).toBe(true); // propped, occluded: noisy
    }
    expect(long).toBe(20);
    const rods = Array.from({ length: 20 }, (_, s) => median(run('angler', 200 + s).obs.map((o) => o.rodScore)));
    expect(median(rods)).toBeGreaterThan(0.4);
  });

  it('moves walkers, joggers and cyclists through at their pace, and keeps sitters still without rods', () => {
    const speed = (role: TrackRole): number => median(Array.from({ length: 10 }, (_, s) => median(run(role, 300 + s, 5).obs.map((o) => o.speedMps))));
    expect(speed('walker')).toBeGreaterThan(0.8);
    expect(speed('jogger')).toBeGreaterThan(2);
    expect(speed('cyclist')).toBeGreaterThan(speed('jogger'));
    expect(Math.max(...Array.from({ length: 10 }, (_, s) => run('walker', 400 + s, 5).obs.length * 5))).toBeLessThan(600);
    const sitters = Array.from({ length: 20 }, (_, s) => run('sitter', 500 + s));
    expect(median(sitters.map((t) => t.obs.length * 10))).toBeGreaterThan(600);
    expect(median(sitters.map((t) => median(t.obs.map((x) => x.rodScore))))).toBeLessThan(0.2);
    expect(sitters.every((t) => t.fishing.every((f) => !f))).toBe(true);
  });

  it('gives photographers rod-like tripods at the water, but only for minutes per spot', () => {
    const tracks = Array.from({ length: 20 }, (_, s) => run('photographer', 600 + s).obs);
    expect(median(tracks.map((o) => median(o.map((x) => x.rodScore))))).toBeGreaterThan(0.2);
    expect(Math.max(...tracks.map((o) => o.length * 10))).toBeLessThan(45 * 60);
  });

  it('simulates a riverbank scene independently: anglers fishing, others not, camera-derived observations', () => {
    const a = new RiverbankScene(new Rng(7), { startLocalHour: 17, reportEveryS: 10 }).run(2 * 3600);
    const b = new RiverbankScene(new Rng(7), { startLocalHour: 17, reportEveryS: 10 }).run(2 * 3600);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(50);
    const fishingTracks = a.filter((t) => t.fishing.some(Boolean));
    expect(fishingTracks.length).toBeGreaterThan(0);
    expect(fishingTracks.length).toBeLessThan(a.length / 2);
    for (const t of a) for (const o of t.observations) expect(Value.Check(TracksPayload, { ts: 0, seq: 0, id: 't', ...o })).toBe(true);
    const fishingRods = fishingTracks.flatMap((t) => t.observations.filter((_, k) => t.fishing[k]).map((o) => o.rodScore));
    const otherRods = a.flatMap((t) => t.observations.filter((_, k) => !t.fishing[k]).map((o) => o.rodScore));
    expect(median(fishingRods)).toBeGreaterThan(median(otherRods) + 0.2);
  });
});
