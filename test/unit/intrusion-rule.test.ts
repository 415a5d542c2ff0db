import { describe, expect, it } from 'vitest';
import { IntrusionWatch, type IntrusionConfig, type IntrusionStep } from '../../inference/rules/intrusion.js';

const CFG: IntrusionConfig = { edgeM: 2, confirmS: 10, graceS: 60, gapS: 20 };
const T0 = Date.UTC(2026, 6, 1, 15, 0, 0);
const at = (s: number) => T0 + s * 1000;

/** Observations of one track every 5 s from `fromS`: waterline distances. */
function walk(w: IntrusionWatch, id: string, waterline: number[], fromS = 0, closed = true, onWarn?: (s: number) => void): IntrusionStep[] {
  return waterline.map((m, i) => {
    const step = w.observe(id, at(fromS + i * 5), m, closed);
    if (step.action === 'warn') {
      w.warned(id, at(fromS + i * 5));
      onWarn?.(fromS + i * 5);
    }
    return step;
  });
}
const actions = (steps: IntrusionStep[]) => steps.map((s) => s.action).filter((a) => a !== 'none');

describe('intrusion rule', () => {
  it('warns a person who stays at the edge of a closed zone, then alerts once they stay past the grace time', () => {
    const w = new IntrusionWatch(CFG);
    let warnedAt = -1;
    const steps = walk(w, 'p1', Array.from({ length: 20 }, () => 0.8), 0, true, (s) => (warnedAt = s));
    expect(warnedAt).toBe(10); // after confirmS at the edge
    expect(actions(steps)).toEqual(['warn', 'alert']);
    const alert = steps.find((s) => s.action === 'alert') as Extract<IntrusionStep, { action: 'alert' }>;
    expect(alert).toMatchObject({ startedAt: T0, warnedAt: at(10), atEdgeS: 70, nearestM: 0.8 });
  });

  it('raises nothing for someone who is warned and leaves the edge', () => {
    const w = new IntrusionWatch(CFG);
    const steps = walk(w, 'p1', [1, 1, 1, 1, 4, 6, 8, 9, 10, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12]);
    expect(actions(steps)).toEqual(['warn', 'left']);
    expect(steps.find((s) => s.action === 'left')).toMatchObject({ warned: true });
  });

  it('raises nothing in open hours, and a passer-by is not warned', () => {
    const w = new IntrusionWatch(CFG);
    expect(actions(walk(w, 'p1', Array.from({ length: 30 }, () => 0.5), 0, false))).toEqual([]);
    expect(actions(walk(w, 'p2', [1.5, 1.2, 5, 8], 0, true))).toEqual([]);
  });

  it('bridges a short step back from the edge, and a return after leaving is a new episode with a new warning', () => {
    const w = new IntrusionWatch(CFG);
    // 10 s back at 3 m (shorter than gapS) stays one episode: one warning, then the alert.
    const once = walk(w, 'p1', [1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(actions(once)).toEqual(['warn', 'alert']);
    const w2 = new IntrusionWatch(CFG);
    const back = walk(w2, 'p1', [1, 1, 1, 6, 6, 6, 6, 6, 6, 1, 1, 1]);
    expect(actions(back)).toEqual(['warn', 'left', 'warn']);
  });

  it('ends the episode when the zone opens', () => {
    const w = new IntrusionWatch(CFG);
    walk(w, 'p1', [1, 1, 1]);
    expect(w.observe('p1', at(15), 1, false)).toMatchObject({ action: 'left', warned: true });
  });

  it('alerts at once when nothing can warn the person', () => {
    const w = new IntrusionWatch(CFG);
    expect(w.observe('p1', at(0), 1, true).action).toBe('none');
    expect(w.observe('p1', at(10), 1, true).action).toBe('warn');
    expect(w.unwarnable('p1', at(10))).toMatchObject({ action: 'alert', warnedAt: null, atEdgeS: 10 });
    expect(w.observe('p1', at(15), 1, true).action).toBe('none');
  });

  it('ignores repeated or late observations and keeps tracks of one camera apart', () => {
    const w = new IntrusionWatch(CFG);
    expect(w.observe('p1', at(0), 1, true).action).toBe('none');
    expect(w.observe('p1', at(0), 1, true).action).toBe('none');
    expect(w.observe('p2', at(5), 1, true).action).toBe('none');
    expect(w.observe('p1', at(10), 1, true).action).toBe('warn');
    expect(w.observe('p2', at(10), 1, true).action).toBe('none'); // p2 has been at the edge 5 s only
  });
});
