/**
 * Generates the labelled training set and a held-out set for the noise-source classifier from the
 * simulator's physically grounded generators (`simulator/spectra.ts`), with fixed seeds, and writes
 * them to `inference/train/.data/` (gitignored) for `train_noise.py`:
 *
 *   noise.json          header (format, seed, labels, feature count, normalisation, file names, counts)
 *   noise.f32           features, float32 little-endian, row-major [samples × NOISE_FEATURE_COUNT]
 *   noise.labels.u8     class index per sample (index into `labels`)
 *   noise-heldout.*     the same for the held-out set (different seed)
 *
 * Run through `npm run models:train`. Deterministic: the same seeds give byte-identical files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES, sampleNoise, type NoiseClass } from '../../simulator/spectra.js';
import { NOISE_FEATURE_COUNT, NOISE_NORMALISATION, noiseFeatures } from '../noise-features.js';

export const TRAIN_SEED = 20240611;
export const HELD_OUT_SEED = 90210417;
const TRAIN_PER_CLASS = 5000;
const HELD_OUT_PER_CLASS = 1000;

/** A-weighted level range drawn per class: ambience alone is quiet, sources span quiet to very loud. */
export function levelRange(cls: NoiseClass): [number, number] {
  return cls === 'background' ? [35, 50] : [40, 80];
}

interface DataSet {
  features: Float32Array;
  labels: Uint8Array;
  samples: number;
}

/** Balanced, interleaved classes; every sample an independent source at an independent level. */
export function makeDataSet(seed: number, perClass: number): DataSet {
  const rng = new Rng(seed);
  const samples = perClass * NOISE_CLASSES.length;
  const features = new Float32Array(samples * NOISE_FEATURE_COUNT);
  const labels = new Uint8Array(samples);
  for (let n = 0; n < samples; n++) {
    const label = n % NOISE_CLASSES.length;
    const cls = NOISE_CLASSES[label] ?? 'background';
    const [lo, hi] = levelRange(cls);
    const s = sampleNoise(cls, rng.uniform(lo, hi), rng);
    noiseFeatures(s.bands, s.laeq, s.lamax, features, n * NOISE_FEATURE_COUNT);
    labels[n] = label;
  }
  return { features, labels, samples };
}

function write(dir: string, name: string, seed: number, perClass: number, role: string): number {
  const set = makeDataSet(seed, perClass);
  const featuresFile = `${name}.f32`;
  const labelsFile = `${name}.labels.u8`;
  writeFileSync(join(dir, featuresFile), new Uint8Array(set.features.buffer, set.features.byteOffset, set.features.byteLength));
  writeFileSync(join(dir, labelsFile), set.labels);
  const header = {
    format: 'noise-dataset/v1',
    role,
    seed,
    samples: set.samples,
    perClass,
    labels: [...NOISE_CLASSES],
    featureCount: NOISE_FEATURE_COUNT,
    normalisation: NOISE_NORMALISATION,
    levels: Object.fromEntries(NOISE_CLASSES.map((c) => [c, levelRange(c)])),
    generator: 'simulator/spectra.ts sampleNoise (independent source per sample, park/riverside ambience, 1 s readings)',
    files: { features: featuresFile, featuresDtype: 'float32-le', labels: labelsFile, labelsDtype: 'uint8' },
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(header, null, 2) + '\n');
  return set.samples;
}

function main(): void {
  const started = Date.now();
  const dir = join(dirname(fileURLToPath(import.meta.url)), '.data');
  mkdirSync(dir, { recursive: true });
  const train = write(dir, 'noise', TRAIN_SEED, TRAIN_PER_CLASS, 'train');
  const heldOut = write(dir, 'noise-heldout', HELD_OUT_SEED, HELD_OUT_PER_CLASS, 'heldOut');
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`noise dataset: ${train} training + ${heldOut} held-out samples, ${NOISE_FEATURE_COUNT} features, in ${dir} (${secs} s)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
