import { describe, it, expect, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/rng.js';
import { NoiseSource, NOISE_CLASSES } from '../../simulator/spectra.js';
import { NOISE_WINDOW_FEATURE_COUNT } from '../../inference/features/noise.js';
import { DATA_DIR } from '../../inference/train/dataset-io.js';
import { cachedScenes, sceneWindowRows, type MeteredScene } from '../../inference/train/metered-scenes.js';

const NAME = `test-metered-${process.pid}`;
afterAll(() => {
  for (const ext of ['json', 'f32']) rmSync(join(DATA_DIR, 'scenes', `${NAME}.${ext}`), { force: true });
});

/** Two scenes of 14 readings from the spectra generator, windows ending at the given readings. */
function make(seed: number): MeteredScene[] {
  const rng = new Rng(seed);
  return (['music', 'traffic'] as const).map((cls, i) => {
    const src = new NoiseSource(cls, rng);
    return { frames: Array.from({ length: 14 }, () => src.nextFree(60)), label: NOISE_CLASSES.indexOf(cls), ends: i === 0 ? [9, 11, 13] : [4, 13], tag: `${cls}|night|f${i}` };
  });
}

describe('metered scene cache', () => {
  it('gives the same windows whether the scenes were made or read back, and makes them only once per recipe', () => {
    let made = 0;
    const recipe = { name: NAME, seed: 1, sources: ['inference/train/metered-scenes.ts'], params: { n: 2 } };
    const build = () => {
      made++;
      return make(1);
    };
    const fresh = sceneWindowRows(cachedScenes(recipe, build));
    const again = sceneWindowRows(cachedScenes(recipe, build));
    expect(made).toBe(1);
    expect(fresh.samples).toBe(5);
    expect(fresh.features.length).toBe(5 * NOISE_WINDOW_FEATURE_COUNT);
    expect(Array.from(again.features)).toEqual(Array.from(fresh.features));
    expect(Array.from(fresh.labels)).toEqual([2, 2, 2, 1, 1]);
    expect(fresh.tags).toEqual(['music|night|f0', 'music|night|f0', 'music|night|f0', 'traffic|night|f1', 'traffic|night|f1']);
    // A short window (ends at reading 4) is padded like the live pipeline's first seconds: real frames = 5.
    expect(fresh.features[3 * NOISE_WINDOW_FEATURE_COUNT + NOISE_WINDOW_FEATURE_COUNT - 1]).toBeCloseTo(0.5, 6);
    // A changed recipe makes the scenes again.
    sceneWindowRows(cachedScenes({ ...recipe, seed: 2 }, build));
    expect(made).toBe(2);
  });
});
