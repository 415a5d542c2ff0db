/**
 * Metered scenes of the noise-window data sets, cached on disk apart from the features. Making a
 * scene (decoding recordings, synthesising and mixing sound, the 48 kHz filter bank) costs about a
 * second; computing the window features of its readings costs microseconds. A scene set is keyed by
 * a hash of the code that makes the sound and meters it (never the feature code), its seed and sizes,
 * so a change of the features rebuilds the feature files from the cached readings in seconds, and a
 * rerun with an unchanged recipe does no metering at all.
 *
 * Files: `.data/scenes/<name>.json` (recipe hash, per scene: frame count, label, window ends, tag) and
 * `.data/scenes/<name>.f32` (every frame's 31 bands, LAeq and LAFmax, float32). Fresh and cached scenes
 * both go through the float32 encoding, so a set gives the same bytes whether it was built or read.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BAND_COUNT } from '../../core/domain/decibel.js';
import { NOISE_WINDOW, NOISE_WINDOW_FEATURE_COUNT, noiseWindowFeatures, type NoiseFrame } from '../features/noise.js';
import { DATA_DIR, ROOT, Rows, type DataSet } from './dataset-io.js';

/** One metered scene: its 1-second readings, its class, the readings a window ends at, and an optional tag. */
export interface MeteredScene {
  frames: NoiseFrame[];
  label: number;
  /** Index of the last reading of each window cut from the scene (a window holds up to NOISE_WINDOW readings). */
  ends: number[];
  /** Per-window tag (e.g. `<source>|<day|night>|<file>`), for per-source figures. */
  tag?: string;
}

export interface SceneRecipe {
  /** File name of the cache (unique per data set). */
  name: string;
  seed: number;
  /** Files (relative to the repository) whose content makes the sound and meters it. */
  sources: readonly string[];
  params: Record<string, unknown>;
}

const WIDTH = BAND_COUNT + 2;
const DIR = join(DATA_DIR, 'scenes');

interface SceneMeta {
  n: number;
  label: number;
  ends: number[];
  tag?: string;
}

function hashOf(r: SceneRecipe): string {
  const h = createHash('sha256').update(JSON.stringify({ name: r.name, seed: r.seed, params: r.params }));
  for (const file of [...r.sources].sort()) h.update(file).update(readFileSync(join(ROOT, file)));
  return h.digest('hex');
}

function encode(scenes: MeteredScene[]): { meta: SceneMeta[]; data: Float32Array } {
  const data = new Float32Array(scenes.reduce((n, s) => n + s.frames.length, 0) * WIDTH);
  let o = 0;
  const meta = scenes.map((s) => {
    for (const f of s.frames) {
      data.set(f.bands, o);
      data[o + BAND_COUNT] = f.laeq;
      data[o + BAND_COUNT + 1] = f.lamax;
      o += WIDTH;
    }
    return { n: s.frames.length, label: s.label, ends: s.ends, ...(s.tag === undefined ? {} : { tag: s.tag }) };
  });
  return { meta, data };
}

function decode(meta: SceneMeta[], data: Float32Array): MeteredScene[] {
  let o = 0;
  return meta.map((m) => {
    const frames: NoiseFrame[] = [];
    for (let t = 0; t < m.n; t++, o += WIDTH) {
      frames.push({ bands: Array.from(data.subarray(o, o + BAND_COUNT)), laeq: data[o + BAND_COUNT] as number, lamax: data[o + BAND_COUNT + 1] as number });
    }
    return { frames, label: m.label, ends: m.ends, ...(m.tag === undefined ? {} : { tag: m.tag }) };
  });
}

/** The scenes of `recipe`: read from `.data/scenes` when its recipe is unchanged, otherwise made by `make` and written. */
export function cachedScenes(recipe: SceneRecipe, make: () => MeteredScene[], log?: (msg: string) => void): MeteredScene[] {
  const hash = hashOf(recipe);
  const metaPath = join(DIR, `${recipe.name}.json`);
  const dataPath = join(DIR, `${recipe.name}.f32`);
  if (existsSync(metaPath) && existsSync(dataPath)) {
    try {
      const header = JSON.parse(readFileSync(metaPath, 'utf8')) as { recipeHash: string; scenes: SceneMeta[] };
      const buf = readFileSync(dataPath);
      const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      if (header.recipeHash === hash && data.length === header.scenes.reduce((n, s) => n + s.n, 0) * WIDTH) {
        log?.(`${recipe.name}: ${header.scenes.length} metered scenes (cached, recipe unchanged)`);
        return decode(header.scenes, data);
      }
    } catch {
      // unreadable: made again below
    }
  }
  const started = Date.now();
  const { meta, data } = encode(make());
  mkdirSync(DIR, { recursive: true });
  writeFileSync(dataPath, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(metaPath, JSON.stringify({ recipeHash: hash, scenes: meta }) + '\n');
  log?.(`${recipe.name}: ${meta.length} scenes metered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return decode(meta, data);
}

/** The feature rows of every window of every scene (tags carried per window when the scenes have them). */
export function sceneWindowRows(scenes: readonly MeteredScene[]): DataSet {
  const rows = new Rows(NOISE_WINDOW_FEATURE_COUNT);
  const tags: string[] = [];
  const tagged = scenes.some((s) => s.tag !== undefined);
  for (const s of scenes) {
    for (const end of s.ends) {
      const { out, offset } = rows.slot();
      noiseWindowFeatures(s.frames.slice(Math.max(0, end - NOISE_WINDOW + 1), end + 1), out, offset);
      rows.label(s.label);
      if (tagged) tags.push(s.tag ?? '');
    }
  }
  return { ...rows.finish(), ...(tagged ? { tags } : {}) };
}
