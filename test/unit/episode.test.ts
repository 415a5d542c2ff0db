import { describe, expect, it } from 'vitest';
import { EpisodeTracker } from '../../inference/episode.js';

const at = (s: number) => new Date(Date.UTC(2026, 6, 1, 10, 0, s));

describe('episode tracker', () => {
  it('starts at `on`, confirms after the minimum duration, keeps going down to `off`, ends after the gap', () => {
    const e = new EpisodeTracker({ on: 0.7, off: 0.4, minDurationS: 10, gapS: 5 });
    expect(e.observe(at(0), 0.65)).toBeNull(); // below on
    expect(e.observe(at(1), 0.75)).toBe('started');
    expect(e.observe(at(5), 0.5)).toBe('ongoing'); // between off and on: still on
    expect(e.observe(at(11), 0.8)).toBe('confirmed');
    expect(e.isConfirmed).toBe(true);
    expect(e.observe(at(12), 0.3)).toBe('ongoing'); // a dip shorter than the gap
    expect(e.observe(at(20), 0.3)).toBe('ended');
    expect(e.startedAt).toBeNull();
  });

  it('confirms at once with no minimum duration and ignores late readings', () => {
    const e = new EpisodeTracker({ on: 0.7, off: 0.4, minDurationS: 0, gapS: 5 });
    expect(e.observe(at(3), 0.9)).toBe('confirmed');
    expect(e.observe(at(2), 0.9)).toBeNull();
    expect(e.observe(at(3), 0.9)).toBeNull();
  });
});
