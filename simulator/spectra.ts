/**
 * Physically grounded generators of 1-second sound level meter readings: LAeq, LAFmax and 31
 * unweighted (Z) 1/3-octave band levels (IEC 61260 centres, 20 Hz–20 kHz, dB re 20 µPa).
 *
 * Each source is built from energetic components on a log-frequency axis (broadband humps, tilts,
 * loudspeaker/propagation filters and tones placed into the 1/3-octave band that contains them), is
 * mixed energetically with a park/riverside ambience at a realistic signal-to-noise ratio, scaled so
 * its A-weighted total equals the requested level, then given per-band measurement scatter and a
 * meter self-noise floor. Used by the simulator fleet, the training-data script and the tests.
 */
import type { Rng } from '../core/rng.js';
import { A_WEIGHTING_DB, BAND_CENTRES_HZ, aWeightedLevel } from '../core/domain/decibel.js';

export const NOISE_CLASSES = ['background', 'traffic', 'music', 'voices', 'construction', 'other'] as const;
export type NoiseClass = (typeof NOISE_CLASSES)[number];

export interface NoiseSample {
  laeq: number;
  lamax: number;
  bands: number[];
}

// ---------------------------------------------------------------- spectral building blocks
/** Band energies, linear (10^(L/10)) against an arbitrary common reference. */
type Spectrum = number[];
/** One second of a source: band energies, its own LAFmax − LAeq, its level modulation (pass-by, dynamics) in dB. */
interface Frame { e: Spectrum; crest: number; gainDb: number }
interface Generator { step(rng: Rng): Frame }

const F = BAND_CENTRES_HZ;
const e10 = (db: number): number => 10 ** (db / 10);
const db10 = (e: number): number => 10 * Math.log10(e);
const oct = (f: number, ref: number): number => Math.log2(f / ref);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
/** Gaussian hump on a log-frequency axis (energy domain): peakDb at fc, sigma in octaves. */
const bump = (f: number, fc: number, sigma: number, peakDb: number): number => peakDb - 2.1715 * (oct(f, fc) / sigma) ** 2;
/** Additive dB emphasis (e.g. vocal effort): `db` at fc, fading over sigma octaves. */
const emphasis = (f: number, fc: number, sigma: number, db: number): number => db * Math.exp(-0.5 * (oct(f, fc) / sigma) ** 2);
const lowpass = (f: number, fc: number, order: number): number => -10 * Math.log10(1 + (f / fc) ** (2 * order));
const highpass = (f: number, fc: number, order: number): number => -10 * Math.log10(1 + (fc / f) ** (2 * order));
const shape = (fn: (f: number, i: number) => number): Spectrum => F.map((f, i) => e10(fn(f, i)));
const sum = (...parts: Spectrum[]): Spectrum => F.map((_, i) => parts.reduce((s, p) => s + (p[i] ?? 0), 0));
const filtered = (e: Spectrum, fn: (f: number) => number): Spectrum => e.map((v, i) => v * e10(fn(F[i] ?? 1000)));
const gain = (e: Spectrum, db: number): Spectrum => e.map((v) => v * e10(db));
const aPower = (e: Spectrum): number => e.reduce((s, v, i) => s + v * e10(A_WEIGHTING_DB[i] ?? 0), 0);
const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);

function put(e: Spectrum, i: number, p: number): void {
  if (i >= 0 && i < e.length) e[i] = (e[i] ?? 0) + p;
}
/** A pure tone read through 1/3-octave filters: mostly its own band, split near band edges, −25 dB skirts. */
function tone(e: Spectrum, freq: number, db: number): void {
  const pos = 3 * Math.log2(freq / 1000) + 17;
  const i = Math.round(pos);
  const side = pos >= i ? 1 : -1;
  const edge = 0.5 * (2 * Math.abs(pos - i)) ** 4;
  const p = e10(db);
  put(e, i, p * (1 - edge));
  put(e, i + side, p * (edge + 0.003));
  put(e, i - side, p * 0.003);
}
/** Harmonic series of f0: harmonic k at db − slope·log2(k), up to fMax. */
function harmonics(e: Spectrum, f0: number, db: number, slope: number, fMax: number): void {
  for (let k = 1; k * f0 <= fMax; k++) tone(e, k * f0, db - slope * Math.log2(k));
}

// ---------------------------------------------------------------- park / riverside ambience
/**
 * Park/riverside ambience, ≈ 35–45 dB(A). Distant city traffic rumble (low frequencies propagate
 * furthest, hump 40–80 Hz); a pink-ish continuum falling 2.5–5 dB/octave above 100 Hz with air
 * absorption above ~10 kHz; water flow (broadband hump 0.5–1.5 kHz); leaves rustling (~4 kHz); gusts of
 * wind on the windscreen (steep low-frequency turbulence, AR(1) in time); occasional bird chirps 2–6 kHz.
 */
class Ambience implements Generator {
  private readonly base: Spectrum;
  private readonly birdRate: number;
  private readonly chirpRef: number;
  private wind = 0;

  constructor(rng: Rng) {
    const slope = rng.uniform(-5, -2.5);
    const air = rng.uniform(8000, 12500);
    const [rumble, water, waterDb, leavesDb] = [rng.uniform(40, 80), rng.uniform(500, 1500), rng.uniform(-16, -8), rng.uniform(-28, -18)];
    this.base = sum(
      shape((f) => bump(f, rumble, 1.2, 0)),
      shape((f) => -4 + slope * Math.max(0, oct(f, 100)) + lowpass(f, air, 2)),
      shape((f) => bump(f, water, 1.3, waterDb)),
      shape((f) => bump(f, 4000, 1.0, leavesDb)),
    );
    this.birdRate = rng.uniform(0.05, 0.3);
    this.chirpRef = -4 + slope * oct(3000, 100);
    this.wind = rng.normal(0, 3);
  }

  step(rng: Rng): Frame {
    this.wind = 0.8 * this.wind + rng.normal(0, 2.5);
    const windDb = Math.max(0, this.wind);
    const e = sum(this.base, shape((f) => windDb - 6 - 8 * oct(f, 20)));
    let crest = rng.uniform(0.8, 2);
    if (rng.next() < this.birdRate) {
      for (let n = rng.int(1, 2); n > 0; n--) tone(e, rng.uniform(2000, 6000), this.chirpRef + rng.uniform(-4, 6));
      crest += rng.uniform(1, 3);
    }
    return { e, crest, gainDb: 0 };
  }
}

// ---------------------------------------------------------------- road traffic
/**
 * Road traffic (cf. the EN 1793-3 normalised traffic spectrum): engine/exhaust hump 50–125 Hz (lower
 * and +5 dB for heavy vehicles), tyre/road noise peak 0.8–1.25 kHz, smooth continuum falling above
 * 2 kHz. Vehicles arrive as a Poisson stream; each pass-by follows the 1/(1 + (t/τ)²) envelope of a
 * point source on a straight road, so levels rise and fall over several seconds; the crest is small.
 */
class Traffic implements Generator {
  private readonly light: Spectrum;
  private readonly heavy: Spectrum;
  private readonly rate: number;
  private readonly heavyShare: number;
  private vehicles: { t: number; heavy: boolean; db: number; tau: number }[] = [];
  private t = 0;
  private prevDb: number | undefined;
  private meanDb: number | undefined;

  constructor(rng: Rng) {
    const [engine, tyre, tyreDb, lp] = [rng.uniform(55, 90), rng.uniform(800, 1250), rng.uniform(-10, -6), rng.uniform(2500, 4000)];
    const continuum = (f: number): number => -6 - 3 * oct(f, 250) + lowpass(f, lp, 1);
    this.light = sum(shape((f) => bump(f, engine, 1.0, 0)), shape(continuum), shape((f) => bump(f, tyre, 0.7, tyreDb)));
    this.heavy = sum(shape((f) => bump(f, engine * 0.7, 1.1, 5)), shape(continuum), shape((f) => bump(f, tyre * 0.8, 0.8, tyreDb + 1)));
    this.rate = rng.uniform(0.1, 0.7);
    this.heavyShare = rng.uniform(0.03, 0.3);
    for (let s = -12; s <= 0; s++) this.arrivals(rng, s);
  }

  private arrivals(rng: Rng, at: number): void {
    // Poisson(rate) arrivals, peak passing time a few seconds ahead.
    const limit = Math.exp(-this.rate);
    for (let p = rng.next(); p > limit; p *= rng.next()) {
      const heavy = rng.next() < this.heavyShare;
      this.vehicles.push({ t: at + rng.uniform(0, 8), heavy, db: rng.normal(0, 3) + (heavy ? 6 : 0), tau: rng.uniform(1.5, 4) });
    }
  }

  step(rng: Rng): Frame {
    this.t += 1;
    this.arrivals(rng, this.t);
    this.vehicles = this.vehicles.filter((v) => v.t > this.t - 15);
    let light = e10(-8); // continuous distant flow
    let heavy = 0;
    for (const v of this.vehicles) {
      const p = e10(v.db) / (1 + ((this.t - v.t) / v.tau) ** 2);
      if (v.heavy) heavy += p;
      else light += p;
    }
    const level = db10(light + heavy);
    const h = heavy / (light + heavy);
    this.meanDb = this.meanDb === undefined ? level : 0.95 * this.meanDb + 0.05 * level;
    const crest = clamp(0.5 + 0.5 * Math.abs(level - (this.prevDb ?? level)) + Math.abs(rng.normal(0, 0.4)), 0.3, 4);
    this.prevDb = level;
    return { e: sum(gain(this.light, db10(1 - h + 1e-9)), gain(this.heavy, db10(h + 1e-9))), crest, gainDb: clamp(level - this.meanDb, -3, 5) };
  }
}

// ---------------------------------------------------------------- amplified music
const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];
const PROGRESSIONS = [[0, 4, 5, 3], [5, 3, 0, 4], [0, 5, 3, 4], [0, 3, 4, 3], [0, 0, 3, 4]];

/**
 * Amplified music (square dancing, vendors' loudspeakers). A song has a key, a mode, a tempo (96–140
 * BPM) and a chord progression changing every bar (~2 s); the melody note changes about every second.
 * Kick drum (50–70 Hz) and bass line (chord root, E1–D#2 ≈ 41–78 Hz, with harmonics) give strong bass
 * 40–125 Hz; chord and melody tones put harmonic peaks in 200 Hz–4 kHz; snare and hi-hat add
 * broadband; a mix continuum falls ~3 dB/octave; small loudspeakers cut below 40–60 Hz and roll off
 * above 7–11 kHz. Beats make the level fluctuate within the second: crest 1.5–6 dB.
 */
const newSong = (rng: Rng) => ({
  length: rng.int(150, 280),
  key: rng.int(0, 11),
  scale: rng.next() < 0.7 ? MAJOR : MINOR,
  prog: rng.pick(PROGRESSIONS),
  bpm: rng.uniform(96, 140),
  kickHz: rng.uniform(50, 70),
  kickDb: rng.uniform(0, 6),
  bassDb: rng.uniform(-1, 5),
  hatDb: rng.uniform(-6, 3),
  tilt: rng.uniform(-4, -2),
  lp: rng.uniform(7000, 11000),
  hp: rng.uniform(35, 60),
  crest: rng.uniform(2, 4.5),
});

class Music implements Generator {
  private song: ReturnType<typeof newSong>;
  private t: number;
  private melody = 4;
  private dyn = 0;

  constructor(rng: Rng) {
    this.song = newSong(rng);
    this.t = rng.int(0, this.song.length - 1);
  }

  private note(degree: number): number {
    return (this.song.scale[degree % 7] ?? 0) + 12 * Math.floor(degree / 7);
  }

  step(rng: Rng): Frame {
    this.t += 1;
    if (this.t >= this.song.length) [this.song, this.t] = [newSong(rng), 0];
    const { key, prog, bpm, kickHz, kickDb, bassDb, hatDb, tilt, lp, hp } = this.song;
    const chord = prog[Math.floor(this.t / (240 / bpm)) % prog.length] ?? 0;
    if (rng.next() < 0.75) this.melody = clamp(this.melody + rng.int(-3, 3), 0, 9);
    this.dyn = 0.85 * this.dyn + rng.normal(0, 0.7);
    const e = sum(
      shape((f) => bump(f, kickHz, 0.45, kickDb)), // kick drum
      shape((f) => bump(f, 200, 0.5, -12)), // snare body
      shape((f) => bump(f, 3500, 1.2, -16)), // snare wires
      shape((f) => bump(f, 9000, 0.6, -20 + hatDb)), // hi-hat, cymbals
      shape((f) => -18 + tilt * oct(f, 250)), // dense mix, reverb
    );
    harmonics(e, midiHz(28 + ((key + this.note(chord)) % 12)), bassDb, 8, 2000);
    for (const d of [chord, chord + 2, chord + 4]) harmonics(e, midiHz(48 + ((key + this.note(d)) % 12)), -6, 5, 10000);
    harmonics(e, midiHz(60 + key + this.note(this.melody)), -3, 6, 10000);
    const speaker = (f: number): number => highpass(f, hp, 2) + lowpass(f, lp, 4);
    return { e: filtered(e, speaker), crest: clamp(this.song.crest + rng.normal(0, 0.5), 1.5, 6), gainDb: clamp(this.dyn, -3, 3) };
  }
}

// ---------------------------------------------------------------- voices / crowd
/** Long-term average speech spectrum, dB re its 500 Hz band, per 1/3-octave band (after Byrne et al. 1994). */
const LTASS = [-40, -38, -35, -32, -28, -24, -18, -8, -5, -5, -4, -2, -2, 0, 0, -2, -5, -8, -8, -9, -11, -12, -13, -14, -16, -17, -19, -20, -22, -25, -30];

/**
 * Voices / crowd: the long-term speech spectrum (peak ≈ 400–500 Hz, little below 125 Hz, gentle
 * fall above 1 kHz), the talkers' first and second formant regions (F1 400–700 Hz, F2 1–2.5 kHz),
 * voiced fundamentals and low harmonics of each active talker (men ~120 Hz, women ~210 Hz, children
 * ~300 Hz) and raised vocal effort lifting 1–4 kHz. Few talkers fluctuate syllabically (crest 5–8 dB),
 * a crowd babble is smoother (2–4 dB).
 */
class Voices implements Generator {
  private readonly f0: number[];
  private readonly effort: number;
  private readonly f1: number;
  private readonly f2: number;

  constructor(rng: Rng) {
    this.f0 = Array.from({ length: rng.int(1, 20) }, () => rng.pick([[120, 15], [210, 20], [300, 30]] as const)).map(([m, s]) => rng.normal(m, s));
    this.effort = rng.uniform(0, 7);
    this.f1 = rng.uniform(400, 700);
    this.f2 = rng.uniform(1000, 2500);
  }

  step(rng: Rng): Frame {
    let active = this.f0.filter(() => rng.next() < 0.6);
    if (active.length === 0) active = [rng.pick(this.f0)];
    const e = sum(
      shape((f, i) => (LTASS[i] ?? -40) + emphasis(f, 2000, 0.8, this.effort)),
      shape((f) => bump(f, this.f1, 0.35, -4)),
      shape((f) => bump(f, this.f2, 0.4, -9 + this.effort / 2)),
    );
    for (const f0 of active) harmonics(e, f0 * rng.uniform(0.9, 1.1), -4 - db10(active.length), 6, 800);
    const n = active.length;
    const crest = n === 1 ? rng.uniform(5, 8) : n <= 4 ? rng.uniform(3.5, 6) : rng.uniform(2, 4);
    return { e, crest, gainDb: clamp(db10(n / this.f0.length) / 2 + rng.normal(0, 1), -3, 3) };
  }
}

// ---------------------------------------------------------------- construction
/**
 * Construction site: diesel machinery hum (firing frequency 25–45 Hz with harmonics, broadband engine
 * noise around 125 Hz, hydraulic whine ~800 Hz) plus one activity at a time for 5–30 s:
 * hammering (broadband impacts peaking 2–3 kHz, ringing bending modes of struck steel at 1 : 2.76 : 5.4,
 * thud ~125 Hz; crest 8–15 dB, short pauses), pneumatic breaking (dense impacts 0.5–5 kHz, crest 7–11 dB)
 * or cutting with grinder/saw (strong 3–6 kHz with a disc tone, intermittent contact, crest 3–6 dB).
 */
class Construction implements Generator {
  private readonly machinery: Spectrum;
  private readonly ring: number;
  private activity: 'hammer' | 'breaker' | 'cutting' = 'hammer';
  private left = 0;
  private disc = 4000;

  constructor(rng: Rng) {
    const [engine, db] = [rng.uniform(25, 45), rng.uniform(-8, -2)];
    this.machinery = sum(shape((f) => bump(f, 125, 1.4, db - 6)), shape((f) => bump(f, 800, 0.3, db - 14)));
    harmonics(this.machinery, engine, db, 4, 400);
    this.ring = rng.uniform(1500, 4000);
  }

  step(rng: Rng): Frame {
    if (--this.left <= 0) {
      const u = rng.next();
      this.activity = u < 0.45 ? 'hammer' : u < 0.75 ? 'breaker' : 'cutting';
      this.left = rng.int(5, 30);
      this.disc = rng.uniform(2500, 6000);
    }
    let e: Spectrum;
    let crest: number;
    if (this.activity === 'hammer') {
      const pause = rng.next() < 0.12;
      const peak = rng.uniform(2000, 3000);
      e = sum(shape((f) => bump(f, peak, 1.3, 0)), shape((f) => bump(f, 125, 0.8, -8)));
      for (const [r, db] of [[1, -2], [2.76, -7], [5.4, -12]] as const) tone(e, this.ring * r, db);
      if (pause) e = gain(e, -12);
      crest = pause ? rng.uniform(2, 4) : rng.uniform(8, 15);
    } else if (this.activity === 'breaker') {
      e = sum(shape((f) => bump(f, 1600, 1.6, 0)), shape((f) => bump(f, 3500, 0.8, -4)), shape((f) => bump(f, 63, 1, -6)));
      crest = rng.uniform(7, 11);
    } else {
      const peak = rng.uniform(3500, 5000);
      e = sum(shape((f) => bump(f, peak, 0.9, 0)), shape((f) => bump(f, 1000, 1.5, -10)));
      tone(e, this.disc, 2);
      crest = rng.uniform(3, 6);
    }
    return { e: sum(this.machinery, e), crest, gainDb: clamp(rng.normal(0, 1.5), -3, 3) };
  }
}

// ---------------------------------------------------------------- other sources
/**
 * Other sources, one kind per stream: emergency siren (wail sweeping 0.5–1.5 kHz, odd-dominant
 * horn-driver harmonics, smeared over the bands it sweeps within the second; vehicle pass envelope),
 * barking dog (1–4 barks a second, F0 350–900 Hz by dog size plus broadband 1.2 kHz noise, impulsive),
 * dominant birdsong (2–4 birds at 2–7 kHz with frequency-modulated chirps), bells (inharmonic partials
 * 0.5 : 1 : 1.2 : 1.5 : 2 : 2.5 : 2.67 : 3 of a 300–1200 Hz nominal or a 2–4 kHz bicycle bell, struck
 * every 1–3 s and decaying in between).
 */
class Other implements Generator {
  private readonly kind: 'siren' | 'dog' | 'birds' | 'bells';
  private readonly a: number;
  private readonly b: number;
  private readonly birds: number[];
  private t: number;
  private sinceStrike = 0;

  constructor(rng: Rng) {
    this.kind = rng.pick(['siren', 'dog', 'birds', 'bells'] as const);
    this.a = this.kind === 'siren' ? rng.uniform(500, 700) : this.kind === 'dog' ? rng.uniform(350, 900) : rng.next() < 0.3 ? rng.uniform(2000, 4000) : rng.uniform(300, 1200);
    this.b = rng.uniform(3, 8); // siren wail period, s
    this.birds = Array.from({ length: rng.int(2, 4) }, () => rng.uniform(2000, 7000));
    this.t = rng.uniform(-20, 20);
  }

  step(rng: Rng): Frame {
    this.t += 1;
    const e = shape((f) => bump(f, 150, 1.5, -30));
    let crest: number;
    let gainDb = 0;
    if (this.kind === 'siren') {
      const hi = this.a * 2.2;
      for (let s = 0; s < 20; s++) {
        const f = this.a + (hi - this.a) * (0.5 - 0.5 * Math.cos((2 * Math.PI * (this.t + s / 20)) / this.b));
        [0, -12, -8, -16, -12].forEach((db, k) => tone(e, f * (k + 1), db - 13));
      }
      crest = rng.uniform(1, 3);
      gainDb = clamp(-db10(1 + (this.t / 8) ** 2), -3, 0);
    } else if (this.kind === 'dog') {
      const barks = rng.int(1, 4);
      for (let n = 0; n < barks; n++) harmonics(e, this.a * rng.uniform(0.9, 1.1), -db10(barks), 5, 6000);
      shape((f) => bump(f, 1200, 1.2, -6)).forEach((v, i) => put(e, i, v));
      crest = clamp(db10(1 / (barks * 0.12)) + rng.uniform(1, 3), 3, 12);
    } else if (this.kind === 'birds') {
      for (const centre of this.birds) {
        if (rng.next() > 0.7) continue;
        for (let s = 0; s < 8; s++) tone(e, centre * 2 ** rng.uniform(-0.3, 0.3), rng.uniform(-8, 0));
      }
      tone(e, rng.pick(this.birds), 0);
      crest = rng.uniform(3, 8);
    } else {
      const struck = ++this.sinceStrike >= rng.int(1, 3);
      if (struck) this.sinceStrike = 0;
      [0.5, 1, 1.2, 1.5, 2, 2.5, 2.67, 3].forEach((r, k) => tone(e, this.a * r, [-4, 0, -3, -8, -2, -10, -6, -12][k] ?? -12));
      crest = struck ? rng.uniform(5, 9) : rng.uniform(1, 2.5);
      gainDb = -Math.min(3, 2 * this.sinceStrike);
    }
    return { e, crest, gainDb };
  }
}

// ---------------------------------------------------------------- the mixed, metered stream
const SOURCES: Record<Exclude<NoiseClass, 'background'>, new (rng: Rng) => Generator> = { traffic: Traffic, music: Music, voices: Voices, construction: Construction, other: Other };
/** Meter self-noise per band (class 1 meter, 1/2" microphone), dB. */
const FLOOR_DB = F.map((f) => 2 + Math.max(0, 10 - 4 * oct(f, 20)));

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
    if (!Number.isFinite(targetLaeq)) throw new RangeError('targetLaeq must be finite');
    const rng = this.rng;
    const src = this.gen.step(rng);
    let mix = src.e;
    let crest = src.crest;
    if (this.ambience) {
      // The source sits on the ambience: as much above it as the target leaves room for, but at
      // least snrMin (then the whole scene is scaled down to the target).
      this.bgA = clamp(this.bgA + rng.normal(0, 0.3), 35, 45);
      const amb = this.ambience.step(rng);
      const room = targetLaeq > this.bgA + 0.1 ? db10(e10(targetLaeq) - e10(this.bgA)) - this.bgA : -Infinity;
      const pS = e10(this.bgA + Math.max(room, this.snrMin) + src.gainDb);
      const pB = e10(this.bgA);
      mix = sum(gain(src.e, db10(pS / aPower(src.e))), gain(amb.e, db10(pB / aPower(amb.e))));
      crest = db10((pS * e10(src.crest) + pB * e10(amb.crest)) / (pS + pB));
    }
    let bands = mix.map((v) => db10(Math.max(v, 1e-30)));
    const shift = targetLaeq - aWeightedLevel(bands);
    bands = bands.map((b, i) => db10(e10(b + shift + clamp(rng.normal(0, 1), -2, 2)) + e10(FLOOR_DB[i] ?? 2)));
    const fix = targetLaeq - aWeightedLevel(bands);
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
