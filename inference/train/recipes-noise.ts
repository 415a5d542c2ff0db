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
import { NOISE_CLASSES } from '../../simulator/spectra.js';
import { NOISE_WINDOW, NOISE_WINDOW_FEATURE_COUNT, NOISE_WINDOW_NORMALISATION } from '../features/noise.js';
import type { DataSet } from './dataset-io.js';
import { STREAM_S, spectraScenes, spectraWindows } from './spectra-windows.js';
import { audioScenes } from './audio-windows.js';
import { externalScenes } from './external-windows.js';
import { SCENE_S, realScenes } from './real-windows.js';
import { audioVariation } from './field-variation.js';
import { cachedScenes, sceneWindowRows, type MeteredScene } from './metered-scenes.js';
import { GROUPS, PACKAGES } from './real-sources.js';
import type { ModelSpec } from './model-spec.js';

export { spectraWindows };

const FEATURES = ['inference/features/noise.ts', 'core/domain/decibel.ts', 'core/rng.ts', 'inference/train/dataset-io.ts', 'inference/train/metered-scenes.ts'];
/** What makes the spectra streams (the cache key of their readings: no feature code). */
const SPECTRA_SCENES = ['simulator/spectra.ts', 'simulator/spectra-blocks.ts', 'simulator/spectra-sources.ts', 'simulator/spectra-impulsive.ts', 'inference/train/spectra-windows.ts', 'inference/train/field-variation.ts', 'core/rng.ts', 'core/domain/decibel.ts', 'inference/train/metered-scenes.ts'];
const SPECTRA = [...SPECTRA_SCENES, 'inference/train/recipes-noise.ts', ...FEATURES];
/** What makes and meters the sound of each audio-derived set (the cache key of its metered scenes: no feature code). */
const METERING = ['simulator/audio-dsp.ts', 'simulator/sound-meter.ts', 'core/rng.ts', 'core/domain/decibel.ts', 'inference/train/metered-scenes.ts', 'inference/train/audio-windows.ts'];
const AUDIO_SCENES = ['simulator/audio.ts', 'simulator/audio-sources.ts', 'inference/train/field-variation.ts', ...METERING];
const EXTERNAL_SCENES = ['inference/train/external-windows.ts', ...METERING];
/** The real scenes of one source are keyed by this code and by the source's own definition and files (not by the other sources). */
export const REAL_GROUP_SCENES = ['inference/train/real-windows.ts', 'simulator/audio.ts', 'simulator/audio-sources.ts', ...METERING];
const REAL_SCENES = [...REAL_GROUP_SCENES, 'inference/train/real-sources.ts'];
const EXTERNAL = [...EXTERNAL_SCENES, ...FEATURES];
export const AUDIO = ['simulator/audio.ts', 'simulator/audio-sources.ts', 'simulator/audio-dsp.ts', 'simulator/sound-meter.ts', 'inference/train/audio-windows.ts', ...FEATURES];
const TRAIN = { seed: 20240612, streams: 200, stride: 4, audioPerClass: 16 };
const HELD_OUT = { seed: 90210418, streams: 60, stride: 8, audioPerClass: 8 };
/**
 * A fresh draw of the independent generator. Version 3.0.0 was scored on seed 31415926 (50 scenes per
 * class); its errors there (SoX music taken for "other": bass and chord notes that move the low bands
 * from second to second, which the music generators of 3.0.0 never did) led to the wider music
 * generator of 4.0.0, so that draw is no longer a blind test. This one was built once, after 4.0.0's
 * recipe was fixed.
 */
const VALIDATION = { seed: 27182818, perClass: 30 };
/** Real recordings: every file of a source is in one of the two splits (real-sources.ts). */
const REAL_TRAIN = { seed: 16180339, musicSegments: 1, maxTracks: 8, scenesPerSource: 5, stride: 2 };
export const REAL_HELD_OUT = { seed: 14142135, musicSegments: 1, scenesPerSource: 4, stride: 2 };
const REAL = [...REAL_SCENES, ...FEATURES];
const log = (m: string): void => console.log(m);
/** `NOISE_SCENE_SHARD=k/n` (make-datasets --shard): this process makes only its share of the real sources' scenes. */
const shard = (): { shard?: [number, number] } => {
  const m = /^(\d+)\/(\d+)$/.exec(process.env.NOISE_SCENE_SHARD ?? '');
  return m ? { shard: [Number(m[1]), Number(m[2])] } : {};
};
/** Feature rows of the metered scenes of a recipe, the scenes read from `.data/scenes` when unchanged. */
const fromScenes = (name: string, sources: readonly string[], seed: number, params: Record<string, unknown>, make: () => MeteredScene[]): DataSet =>
  sceneWindowRows(cachedScenes({ name, seed, sources, params }, make, log));
const generatedSpectra = (name: string, seed: number, streams: number, stride: number): DataSet =>
  fromScenes(`noise-spectra-${name}`, SPECTRA_SCENES, seed, { streams, stride }, () => spectraScenes(seed, streams, stride));
const generatedAudio = (name: string, seed: number, perClass: number): DataSet =>
  fromScenes(`noise-audio-${name}`, AUDIO_SCENES, seed, { perClass, vary: 'audioVariation' }, () => audioScenes(seed, perClass, audioVariation));
const REAL_DESCRIPTION =
  `Real recordings that Debian packages ship (${PACKAGES.map((p) => p.name).join(', ')}), in ${GROUPS.length} sources: ` +
  GROUPS.map((g) => `${g.id} (${g.cls}: ${g.what})`).join('; ') +
  `. Each scene: ${SCENE_S} s of a recording (music: one stretch from 15-85 % of each track; other sources arranged from their clips: turns of speech of 1-6 talkers, hammer blows, ` +
  'looped engines or rain, pass-bys at 1/r), played through a loudspeaker response (music always, other sources half of the time: high-pass 45-150 Hz, low-pass 5-16 kHz, ±4 dB presence peak), ' +
  'carried 5-100 m (air absorption, ground dip up to 8 dB at 200-800 Hz), a microphone response (high-pass 10-30 Hz, ±3 dB at 3-10 kHz), over the park ambience of simulator/audio.ts, ' +
  'by day (ambience 40-52 dB(A), limit 55/60/65/70) or night (ambience 32-44 dB(A), limit 45/50/55), the source at the limit -5..+15 dB(A) and at least 3 dB over the ambience, ' +
  'metered by simulator/sound-meter.ts; a window ends every 2 s. Each source draws from its own random stream. ' +
  `Training: at most ${REAL_TRAIN.maxTracks} tracks per music source (evenly spread over its files), ${REAL_TRAIN.scenesPerSource} scenes per other source; held out: every held-out track, ${REAL_HELD_OUT.scenesPerSource} scenes per other source. ` +
  'Files are split by a hash of their path (about 30 % held out) or, for sources of one to three files, assigned whole ' +
  `(held out whole: ${GROUPS.filter((g) => g.split === 'test').map((g) => g.id).join(', ')}; trained on whole: ${GROUPS.filter((g) => g.split === 'train').map((g) => g.id).join(', ')}). ` +
  'Needs the packages and sox to build (installed by the script as root).';

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
  version: '6.0.1',
  task:
    `noise source classification of a window of ${NOISE_WINDOW} consecutive 1-second sound level meter readings (31 unweighted 1/3-octave bands, LAeq, LAFmax); ` +
    'single-label, softmax over the labels; level-invariant features (average spectral shape, band dynamics, tonality, level rhythm and crest), so the legal limit, not the model, judges loudness',
  labels: NOISE_CLASSES,
  activation: 'softmax',
  // 6.0.1 (6.0.0's network): music.on 0.9, the validation rule's choice. On 246 whole cases of the real
  // held-out recordings replayed through the pipeline (`npm run models:noise-cases -- --per-source 8`)
  // 0.6 alerted on 5 of 208 cases of other sources (4 by night) and 0.9 on none, finding the same 25 of
  // 29 music cases over the limit; `train.py noise-window --thresholds` rewrote the card's figures.
  thresholds: { 'music.on': 0.9, 'music.off': 0.4 },
  // The rule is recorded on the card (metrics.thresholdChoice) with what it gives on the cross-generator
  // validation split; 5.0.0 and 6.0.0 kept 0.6, set by hand before the rule existed (see README, Models).
  thresholdRule: { rule: 'maxRecallAtPrecision', precision: 0.97, set: 'validation' },
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
  // 5.0.0 read the first 83 features and the real-frame count (now last): the pass-by features were inserted before it.
  compareWith: { version: '5.0.0', commit: 'ab3bc774d16cc3ce35886f34965f52b6527e5d31', columns: [...Array.from({ length: 83 }, (_, i) => i), NOISE_WINDOW_FEATURE_COUNT - 1] },
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
      build: (seed) => concat(generatedSpectra(`train-${seed}`, seed, TRAIN.streams, TRAIN.stride), generatedAudio(`train-${seed}`, seed + 1, TRAIN.audioPerClass)),
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
      build: (seed) => concat(generatedSpectra(`heldOut-${seed}`, seed, HELD_OUT.streams, HELD_OUT.stride), generatedAudio(`heldOut-${seed}`, seed + 1, HELD_OUT.audioPerClass)),
    },
    realTrain: {
      ...common,
      split: 'realTrain',
      seed: REAL_TRAIN.seed,
      description: `Training part of the real recordings: ${REAL_DESCRIPTION}`,
      sources: REAL,
      params: REAL_TRAIN,
      build: (seed) => sceneWindowRows(realScenes(seed, { split: 'train', ...REAL_TRAIN, sources: REAL_GROUP_SCENES, log, ...shard() })),
    },
    realHeldOut: {
      ...common,
      split: 'realHeldOut',
      seed: REAL_HELD_OUT.seed,
      description: `Held-out real recordings (never used to train or to choose how to train; no file in both parts): ${REAL_DESCRIPTION}`,
      sources: REAL,
      params: REAL_HELD_OUT,
      build: (seed) => sceneWindowRows(realScenes(seed, { split: 'test', ...REAL_HELD_OUT, sources: REAL_GROUP_SCENES, log, ...shard() })),
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
        `Source 5-25 dB over the ambience, window LAeq 45-78 dB(A) (background 35-48), metered by simulator/sound-meter.ts. Never used to train or to choose how to train: the first ${VALIDATION.perClass} scenes per class ` +
        `of the draw (seed ${VALIDATION.seed}) built once after version 4.0.0's recipe was fixed (4.0.0's card used 80 per class; metrics.previous scores 4.0.0 on these same windows); an earlier draw (seed 31415926), on which version 3.0.0 took most SoX music for "other", ` +
        'led to the wider music generator of 4.0.0 and is no longer blind. ' +
        `Only ${VALIDATION.perClass} windows per class (about ±0.08 on a recall). Building it needs sox and espeak-ng.`,
      sources: EXTERNAL,
      params: VALIDATION,
      build: (seed) => fromScenes(`noise-external-${seed}`, EXTERNAL_SCENES, seed, VALIDATION, () => externalScenes(seed, VALIDATION.perClass)),
    },
  },
};
