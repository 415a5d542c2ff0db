/**
 * Data of the `noise-window` model, from three generators that share no code:
 * - train / heldOut, generator 1: windows cut from continuous 1-second reading streams of `spectra.ts`
 *   sources at their natural level dynamics (`NoiseSource.nextFree`), the scene level drifting slowly;
 *   30 % of source windows carry a second, 6–20 dB quieter source of another class (music over a
 *   distant road, voices near a construction site…); 10 % are early windows with 1–9 real frames;
 * - train / heldOut, generator 2: 10-second scenes synthesised as audio by `audio.ts` and metered by
 *   `sound-meter.ts` (an FFT filter bank), so the model also learns spectra measured from sound;
 * - validation, generator 3: scenes whose sound comes from espeak-ng and SoX (`external-windows.ts`),
 *   metered the same way — never used for training or for choosing how to train;
 * - realTrain / realHeldOut: real recordings that Debian packages ship (`real-windows.ts`,
 *   `real-sources.ts`), each recording in one of the two.
 */
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES, NoiseSource, type NoiseClass, type NoiseSample } from '../../simulator/spectra.js';
import { NOISE_WINDOW, NOISE_WINDOW_FEATURE_COUNT, NOISE_WINDOW_NORMALISATION, noiseWindowFeatures, type NoiseFrame } from '../features/noise.js';
import { Rows, type DataSet } from './dataset-io.js';
import { audioScenes } from './audio-windows.js';
import { externalScenes } from './external-windows.js';
import { SCENE_S, realScenes } from './real-windows.js';
import { audioVariation, fieldVariation } from './field-variation.js';
import { cachedScenes, sceneWindowRows, type MeteredScene } from './metered-scenes.js';
import { GROUPS, PACKAGES } from './real-sources.js';
import type { ModelSpec } from './model-spec.js';

const STREAM_S = 40;
const e10 = (db: number): number => 10 ** (db / 10);
const db10 = (e: number): number => 10 * Math.log10(e);

/** Scene level range (LAeq, dB(A)): ambience alone is quiet, sources span quiet to very loud. */
export const levelRange = (cls: NoiseClass): [number, number] => (cls === 'background' ? [33, 50] : [42, 80]);

/** Energetic mix of two readings of the same second. */
export function mix(a: NoiseSample, b: NoiseSample): NoiseFrame {
  return {
    bands: a.bands.map((v, i) => db10(e10(v) + e10(b.bands[i] ?? -100))),
    laeq: db10(e10(a.laeq) + e10(b.laeq)),
    lamax: Math.max(db10(e10(a.lamax) + e10(b.laeq)), db10(e10(a.laeq) + e10(b.lamax))),
  };
}

/** One stream of STREAM_S seconds of `cls`, possibly with a quieter second source. */
export function spectraStream(cls: NoiseClass, rng: Rng, mixShare: number): NoiseFrame[] {
  const [lo, hi] = levelRange(cls);
  const level0 = rng.uniform(lo, hi);
  const source = new NoiseSource(cls, rng);
  const others = NOISE_CLASSES.filter((c) => c !== cls && c !== 'background');
  const second = cls !== 'background' && rng.next() < mixShare ? new NoiseSource(rng.pick(others), rng) : null;
  const rel = rng.uniform(-20, -6);
  let level = level0;
  const frames: NoiseFrame[] = [];
  for (let t = 0; t < STREAM_S + 3; t++) {
    level = Math.min(level0 + 6, Math.max(level0 - 6, level + rng.normal(0, 0.3)));
    const a = source.nextFree(level);
    const frame = second ? mix(a, second.nextFree(level + rel)) : a;
    if (t >= 3) frames.push(frame); // a few seconds of warm-up
  }
  return rng.next() < 0.8 ? fieldVariation(frames, rng) : frames;
}

export function spectraWindows(seed: number, streamsPerClass: number, stride: number): DataSet {
  const rng = new Rng(seed);
  const rows = new Rows(NOISE_WINDOW_FEATURE_COUNT);
  for (let s = 0; s < streamsPerClass; s++) {
    NOISE_CLASSES.forEach((cls, label) => {
      const frames = spectraStream(cls, rng, 0.3);
      const ends: number[] = [];
      for (let end = NOISE_WINDOW - 1 + rng.int(0, stride - 1); end < frames.length; end += stride) ends.push(end);
      if (rng.next() < 0.1) ends.push(rng.int(0, NOISE_WINDOW - 2));
      for (const end of ends) {
        const { out, offset } = rows.slot();
        noiseWindowFeatures(frames.slice(Math.max(0, end - NOISE_WINDOW + 1), end + 1), out, offset);
        rows.label(label);
      }
    });
  }
  return rows.finish();
}

const FEATURES = ['inference/features/noise.ts', 'core/domain/decibel.ts', 'core/rng.ts', 'inference/train/dataset-io.ts', 'inference/train/metered-scenes.ts'];
const SPECTRA = ['simulator/spectra.ts', 'simulator/spectra-blocks.ts', 'simulator/spectra-sources.ts', 'simulator/spectra-impulsive.ts', 'inference/train/recipes-noise.ts', 'inference/train/field-variation.ts', ...FEATURES];
/** What makes and meters the sound of each audio-derived set (the cache key of its metered scenes: no feature code). */
const METERING = ['simulator/audio-dsp.ts', 'simulator/sound-meter.ts', 'core/rng.ts', 'core/domain/decibel.ts', 'inference/train/metered-scenes.ts', 'inference/train/audio-windows.ts'];
const AUDIO_SCENES = ['simulator/audio.ts', 'simulator/audio-sources.ts', 'inference/train/field-variation.ts', ...METERING];
const EXTERNAL_SCENES = ['inference/train/external-windows.ts', ...METERING];
/** The real scenes of one source are keyed by this code and by the source's own definition and files (not by the other sources). */
const REAL_GROUP_SCENES = ['inference/train/real-windows.ts', 'simulator/audio.ts', 'simulator/audio-sources.ts', ...METERING];
const REAL_SCENES = [...REAL_GROUP_SCENES, 'inference/train/real-sources.ts'];
const EXTERNAL = [...EXTERNAL_SCENES, ...FEATURES];
export const AUDIO = ['simulator/audio.ts', 'simulator/audio-sources.ts', 'simulator/audio-dsp.ts', 'simulator/sound-meter.ts', 'inference/train/audio-windows.ts', ...FEATURES];
const TRAIN = { seed: 20240612, streams: 500, stride: 4, audioPerClass: 30 };
const HELD_OUT = { seed: 90210418, streams: 150, stride: 8, audioPerClass: 15 };
/**
 * A fresh draw of the independent generator. Version 3.0.0 was scored on seed 31415926 (50 scenes per
 * class); its errors there (SoX music taken for "other": bass and chord notes that move the low bands
 * from second to second, which the music generators of 3.0.0 never did) led to the wider music
 * generator of 4.0.0, so that draw is no longer a blind test. This one was built once, after 4.0.0's
 * recipe was fixed.
 */
const VALIDATION = { seed: 27182818, perClass: 80 };
/** Real recordings: every file of a source is in one of the two splits (real-sources.ts). */
const REAL_TRAIN = { seed: 16180339, musicSegments: 1, scenesPerSource: 10, stride: 2 };
const REAL_HELD_OUT = { seed: 14142135, musicSegments: 1, scenesPerSource: 6, stride: 2 };
const REAL = [...REAL_SCENES, ...FEATURES];
const log = (m: string): void => console.log(m);
/** Feature rows of the metered scenes of a recipe, the scenes read from `.data/scenes` when unchanged. */
const fromScenes = (name: string, sources: readonly string[], seed: number, params: Record<string, unknown>, make: () => MeteredScene[]): DataSet =>
  sceneWindowRows(cachedScenes({ name, seed, sources, params }, make, log));
const generatedAudio = (name: string, seed: number, perClass: number): DataSet =>
  fromScenes(`noise-audio-${name}`, AUDIO_SCENES, seed, { perClass, vary: 'audioVariation' }, () => audioScenes(seed, perClass, audioVariation));
const REAL_DESCRIPTION =
  `Real recordings that Debian packages ship (${PACKAGES.map((p) => p.name).join(', ')}), in ${GROUPS.length} sources: ` +
  GROUPS.map((g) => `${g.id} (${g.cls}: ${g.what})`).join('; ') +
  `. Each scene: ${SCENE_S} s of a recording (music: stretches from 15-85 % of a track; other sources arranged from their clips: turns of speech of 1-6 talkers, hammer blows, ` +
  'looped engines or rain, pass-bys at 1/r), played through a loudspeaker response (music always, other sources half of the time: high-pass 45-150 Hz, low-pass 5-16 kHz, ±4 dB presence peak), ' +
  'carried 5-100 m (air absorption, ground dip up to 8 dB at 200-800 Hz), a microphone response (high-pass 10-30 Hz, ±3 dB at 3-10 kHz), over the park ambience of simulator/audio.ts, ' +
  'by day (ambience 40-52 dB(A), limit 55/60/65/70) or night (ambience 32-44 dB(A), limit 45/50/55), the source at the limit -5..+15 dB(A) and at least 3 dB over the ambience, ' +
  'metered by simulator/sound-meter.ts; a window ends every 2 s. Files are split by a hash of their path (about 30 % held out) or, for sources of one or two files, assigned whole ' +
  '(helicopter, train, city road, laughter, power saw, thunder and rain, waterfall, birds ambience, construction site held out). Needs the packages and sox to build (installed by the script as root).';

/** Rows of several data sets (same width and labels), in order. */
function concat(...sets: DataSet[]): DataSet {
  const samples = sets.reduce((n, d) => n + d.samples, 0);
  const features = new Float32Array(sets.reduce((n, d) => n + d.features.length, 0));
  const labels = new Uint8Array(sets.reduce((n, d) => n + d.labels.length, 0));
  let f = 0;
  let l = 0;
  for (const d of sets) {
    features.set(d.features, f);
    labels.set(d.labels, l);
    f += d.features.length;
    l += d.labels.length;
  }
  return { features, labels, samples };
}

const common = { model: 'noise-window', featureCount: NOISE_WINDOW_FEATURE_COUNT, labels: NOISE_CLASSES, multiLabel: false } as const;

export const noiseWindowModel: ModelSpec = {
  name: 'noise-window',
  version: '5.0.0',
  task:
    `noise source classification of a window of ${NOISE_WINDOW} consecutive 1-second sound level meter readings (31 unweighted 1/3-octave bands, LAeq, LAFmax); ` +
    'single-label, softmax over the labels; level-invariant features (average spectral shape, band dynamics, tonality, level rhythm and crest), so the legal limit, not the model, judges loudness',
  labels: NOISE_CLASSES,
  activation: 'softmax',
  thresholds: { 'music.on': 0.6, 'music.off': 0.4 },
  featureCount: NOISE_WINDOW_FEATURE_COUNT,
  normalisation: NOISE_WINDOW_NORMALISATION,
  featureFunction: 'inference/features/noise.ts noiseWindowFeatures',
  hidden: [64, 64],
  epochs: 80,
  // Strong weight decay: a smoother decision function transfers better to spectra made another way.
  weightDecay: 1e-3,
  positive: ['music'],
  // Real rows x3 (about a quarter of training) on top of the generated ones. Real recordings alone
  // scored higher on real audio held out within the training recordings (music precision 0.98 vs
  // 0.75-0.88) but lost the generated sets (music precision 0.48 on the synthetic held-out), which
  // the platform's tests and the simulated demo rely on; this mix keeps both.
  realWeight: 3,
  hardNegatives: { threshold: 0.3, weight: 3 },
  compareWith: { version: '4.0.0', commit: '1888f52e18cb026ade2d19aae0b92b42c1746044' },
  seed: TRAIN.seed,
  data: {
    train: {
      ...common,
      split: 'train',
      seed: TRAIN.seed,
      description:
        `Two generators. (1) Windows cut every ${TRAIN.stride} s from ${TRAIN.streams} ${STREAM_S}-second reading streams per class of simulator/spectra.ts NoiseSource.nextFree ` +
        '(physically grounded band-energy models of each source in park/riverside ambience, natural level dynamics); scene LAeq uniform 33-50 dB(A) for background, ' +
        '42-80 for sources, drifting ±6 dB; 30 % of source streams mixed with a second source of another class 6-20 dB quieter; 80 % of streams given a random smooth ' +
        'frequency-response error (tilt ±1.5 dB/octave, curvature, low-frequency shelf -10..+6 dB below 40 Hz, high shelf -8..+4 dB above 8 kHz, ground dip) standing for microphones, ' +
        'mounting, propagation and meters, and 0-1.5 dB of extra band jitter per second; 10 % early windows with 1-9 real frames. ' +
        `(2) ${TRAIN.audioPerClass} windows per class of ` +
        '10-second scenes synthesised in the time domain by simulator/audio.ts (for music a band drawn per scene: drums or none, a bass line in eighths to halves, sustained or strummed chords, a bowed, plucked or electronic melody, sawtooth/square/triangle/sine voices, stem levels ±4-6 dB, 70-150 bpm, through a small PA with a 40-90 Hz low cut and a 5-14 kHz roll-off; vehicles passing with engine harmonics, tyre noise and Doppler for traffic; ' +
        'glottal pulses through formant resonators for voices; struck steel, pneumatic breaker, disc cutter and machinery for construction; siren, dogs, birds, bells for other; ' +
        'synthesised ambience at 35-48 dB(A) under every source), metered at 48 kHz by simulator/sound-meter.ts (FFT filter bank with IEC 61260-1 band edges, A-weighted LAeq and Fast LAFmax), window LAeq 45-78 dB(A) (background 35-48); half of the scenes with the same random frequency-response error as (1).',
      sources: [...SPECTRA, ...AUDIO],
      params: TRAIN,
      build: (seed) => concat(spectraWindows(seed, TRAIN.streams, TRAIN.stride), generatedAudio(`train-${seed}`, seed + 1, TRAIN.audioPerClass)),
    },
    heldOut: {
      ...common,
      split: 'heldOut',
      seed: HELD_OUT.seed,
      description:
        `Held-out scenarios from both training generators with fresh seeds: ${HELD_OUT.streams} new simulator/spectra.ts streams per class (a window every ${HELD_OUT.stride} s, same mixing and levels) ` +
        `and ${HELD_OUT.audioPerClass} new simulator/audio.ts scenes per class.`,
      sources: [...SPECTRA, ...AUDIO],
      params: HELD_OUT,
      build: (seed) => concat(spectraWindows(seed, HELD_OUT.streams, HELD_OUT.stride), generatedAudio(`heldOut-${seed}`, seed + 1, HELD_OUT.audioPerClass)),
    },
    realTrain: {
      ...common,
      split: 'realTrain',
      seed: REAL_TRAIN.seed,
      description: `Training part of the real recordings: ${REAL_DESCRIPTION}`,
      sources: REAL,
      params: REAL_TRAIN,
      build: (seed) => sceneWindowRows(realScenes(seed, { split: 'train', ...REAL_TRAIN, sources: REAL_GROUP_SCENES, log })),
    },
    realHeldOut: {
      ...common,
      split: 'realHeldOut',
      seed: REAL_HELD_OUT.seed,
      description: `Held-out real recordings (never used to train or to choose how to train; no file in both parts): ${REAL_DESCRIPTION}`,
      sources: REAL,
      params: REAL_HELD_OUT,
      build: (seed) => sceneWindowRows(realScenes(seed, { split: 'test', ...REAL_HELD_OUT, sources: REAL_GROUP_SCENES, log })),
    },
    validation: {
      ...common,
      split: 'validation',
      seed: VALIDATION.seed,
      description:
        `Independent generator: ${VALIDATION.perClass} windows per class of 10-second scenes whose sound comes from programs sharing no code with the training generators ` +
        '(inference/train/external-windows.ts): speech by the espeak-ng formant synthesiser in 7 languages and 10 voice variants, 1-6 talkers; music as drums, bass, chords and melody ' +
        "from SoX's synthesiser (Karplus-Strong plucked strings, square, triangle, sawtooth, sine; 80-140 bpm, 4 chord progressions); traffic as SoX coloured noise and engine sawtooths " +
        'under pass-by envelopes; construction as hammering, a breaker, grinder or saw over a diesel engine; other as sirens, dogs, birdsong or bells; ambience as SoX pink/brown noise. ' +
        'Source 5-25 dB over the ambience, window LAeq 45-78 dB(A) (background 35-48), metered by simulator/sound-meter.ts. Never used to train or to choose how to train: a fresh draw ' +
        `(seed ${VALIDATION.seed}) built once after version 4.0.0's recipe was fixed; an earlier draw (seed 31415926), on which version 3.0.0 took most SoX music for "other", ` +
        'led to the wider music generator of 4.0.0 and is no longer blind. ' +
        `Only ${VALIDATION.perClass} windows per class (about ±0.05 on a recall). Building it needs sox and espeak-ng.`,
      sources: EXTERNAL,
      params: VALIDATION,
      build: (seed) => fromScenes(`noise-external-${seed}`, EXTERNAL_SCENES, seed, VALIDATION, () => externalScenes(seed, VALIDATION.perClass)),
    },
  },
};
