/**
 * Physically grounded generators of 1-second sound level meter readings: LAeq, LAFmax and 31
 * unweighted (Z) 1/3-octave band levels (IEC 61260 centres, 20 Hz–20 kHz, dB re 20 µPa).
 *
 * Each source is built from energetic components on a log-frequency axis (broadband humps, tilts,
 * loudspeaker/propagation filters and tones placed into the 1/3-octave band that contains them), is
 * mixed energetically with a park/riverside ambience at a realistic signal-to-noise ratio, scaled so
 * its A-weighted total equals the requested level, then given per-band measurement scatter and a
 * meter self-noise floor. Used by the simulator fleet, the training-data script and the tests.
 * The sources themselves live in `spectra-blocks.ts` (building blocks, ambience), `spectra-sources.ts`
 * (traffic, music, voices) and `spectra-impulsive.ts` (construction, other sources).
 */
import type { Rng } from '../core/rng.js';
import { aWeightedLevel } from '../core/domain/decibel.js';
import { Ambience, F, aPower, clamp, db10, e10, gain, oct, sum, type Generator } from './spectra-blocks.js';
import { Music, Traffic, Voices } from './spectra-sources.js';
import { Construction, Other } from './spectra-impulsive.js';

export const NOISE_CLASSES = ['background', 'traffic', 'music', 'voices', 'construction', 'other'] as const;
export type NoiseClass = (typeof NOISE_CLASSES)[number];

export interface NoiseSample {
  laeq: number;
  lamax: number;
  bands: number[];
}

// ---------------------------------------------------------------- the mixed, metered stream
const SOURCES: Record<Exclude<NoiseClass, 'background'>, new (rng: Rng) => Generator> = { traffic: Traffic, music: Music, voices: Voices, construction: Construction, other: Other };
/** Meter self-noise per band (class 1 meter, 1/2" microphone), dB. */
const FLOOR_DB = F.map((f) => 2 + Math.max(0, 10 - 4 * oct(f, 20)));
/**
 * Standard deviation of a 1-second band level, dB: the statistical error of a noise band of
 * bandwidth B averaged over T = 1 s, 4.34/√(B·T) (2 dB at 20 Hz, 0.3 dB at 1 kHz), plus 0.15 dB of
 * meter and source fine structure.
 */
const SCATTER_DB = F.map((f) => Math.min(2, 4.34 / Math.sqrt(0.2316 * f)) + 0.15);

/** A stream of consecutive 1-second readings of one source in park/riverside ambience. */
export class NoiseSource {
  private readonly gen: Generator;
  private readonly ambience: Ambience | undefined;
  private readonly snrMin: number;
  private bgA: number;

  constructor(
    readonly cls: NoiseClass,
    private readonly rng: Rng,
  ) {
    if (!(NOISE_CLASSES as readonly string[]).includes(cls)) throw new RangeError(`unknown noise class ${cls}`);
    const ambience = new Ambience(rng);
    this.gen = cls === 'background' ? ambience : new SOURCES[cls](rng);
    this.ambience = cls === 'background' ? undefined : ambience;
    this.snrMin = rng.uniform(6, 12);
    this.bgA = rng.uniform(35, 45);
  }

  /** The next second, its A-weighted level scaled to exactly `targetLaeq`. */
  next(targetLaeq: number): NoiseSample {
    return this.read(targetLaeq, false);
  }

  /**
   * The next second at the source's natural level: the scene is set to `meanLaeq`, and the source's
   * own modulation (vehicle pass-bys, musical dynamics, talkers joining and pausing, siren passing,
   * bird chirps and wind gusts in the ambience) moves the reading's LAeq around it, as a meter sees it.
   * Draws exactly the same random numbers as `next`, so both describe the same scene.
   */
  nextFree(meanLaeq: number): NoiseSample {
    return this.read(meanLaeq, true);
  }

  private read(targetLaeq: number, free: boolean): NoiseSample {
    if (!Number.isFinite(targetLaeq)) throw new RangeError('targetLaeq must be finite');
    const rng = this.rng;
    const src = this.gen.step(rng);
    let mix = src.e;
    let crest = src.crest;
    let delta = 0;
    if (this.ambience) {
      // The source sits on the ambience: as much above it as the target leaves room for, but at
      // least snrMin (then the whole scene is scaled down to the target).
      this.bgA = clamp(this.bgA + rng.normal(0, 0.3), 35, 45);
      const amb = this.ambience.step(rng);
      const room = targetLaeq > this.bgA + 0.1 ? db10(e10(targetLaeq) - e10(this.bgA)) - this.bgA : -Infinity;
      const pS = e10(this.bgA + Math.max(room, this.snrMin) + (free ? (src.levelDb ?? src.gainDb) : src.gainDb));
      const pB = e10(this.bgA);
      mix = sum(gain(src.e, db10(pS / aPower(src.e))), gain(amb.e, db10(pB / aPower(amb.e))));
      crest = db10((pS * e10(src.crest) + pB * e10(amb.crest)) / (pS + pB));
      if (free) delta = db10((pS + pB) / (e10(this.bgA + Math.max(room, this.snrMin)) + pB));
    } else if (free && this.gen instanceof Ambience) {
      delta = this.gen.levelDelta(src.e);
    }
    const target = targetLaeq + delta;
    let bands = mix.map((v) => db10(Math.max(v, 1e-30)));
    const shift = target - aWeightedLevel(bands);
    bands = bands.map((b, i) => db10(e10(b + shift + (SCATTER_DB[i] ?? 1) * clamp(rng.normal(0, 1), -2, 2)) + e10(FLOOR_DB[i] ?? 2)));
    const fix = target - aWeightedLevel(bands);
    bands = bands.map((b) => Math.round((b + fix) * 100) / 100);
    const laeq = Math.round(aWeightedLevel(bands) * 100) / 100;
    const lamax = Math.round((laeq + Math.max(0.1, crest + rng.normal(0, 0.3))) * 100) / 100;
    return { laeq, lamax, bands };
  }
}

/** One independent reading: a fresh source of `cls`, warmed up for a few seconds. */
export function sampleNoise(cls: NoiseClass, targetLaeq: number, rng: Rng): NoiseSample {
  const source = new NoiseSource(cls, rng);
  for (let n = rng.int(1, 4); n > 0; n--) source.next(targetLaeq);
  return source.next(targetLaeq);
}
