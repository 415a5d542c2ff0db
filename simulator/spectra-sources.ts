/**
 * Band-energy generators of continuous sources for `spectra.ts`: road traffic, amplified music and
 * voices. Each `step` gives one second: band energies, the crest LAFmax − LAeq, a clamped gain used
 * for the signal-to-ambience ratio, and the source's natural level change (`levelDb`) for streams
 * at natural dynamics.
 */
import type { Rng } from '../core/rng.js';
import { type Frame, type Generator, type Spectrum, bump, clamp, db10, e10, emphasis, filtered, gain, harmonics, highpass, lowpass, midiHz, oct, shape, sum, tone } from './spectra-blocks.js';

// ---------------------------------------------------------------- road traffic
/**
 * Road traffic (cf. the EN 1793-3 normalised traffic spectrum): engine/exhaust hump 50–125 Hz (lower
 * and +5 dB for heavy vehicles), tyre/road noise peak 0.8–1.25 kHz, smooth continuum falling above
 * 2 kHz. Vehicles arrive as a Poisson stream; each pass-by follows the 1/(1 + (t/τ)²) envelope of a
 * point source on a straight road, so levels rise and fall over several seconds; the crest is small.
 */
export class Traffic implements Generator {
  private readonly light: Spectrum;
  private readonly heavy: Spectrum;
  private readonly rate: number;
  private readonly heavyShare: number;
  private vehicles: { t: number; heavy: boolean; db: number; tau: number; fe: number }[] = [];
  private readonly toneDb: number;
  private t = 0;
  private prevDb: number | undefined;
  private meanDb: number | undefined;

  constructor(rng: Rng) {
    const [engine, tyre, tyreDb, lp] = [rng.uniform(55, 90), rng.uniform(800, 1250), rng.uniform(-10, -6), rng.uniform(4000, 8000)];
    const continuum = (f: number): number => -6 - 3 * oct(f, 250) + lowpass(f, lp, 1);
    this.light = sum(shape((f) => bump(f, engine, 1.0, 0)), shape(continuum), shape((f) => bump(f, tyre, 0.7, tyreDb)));
    this.heavy = sum(shape((f) => bump(f, engine * 0.7, 1.1, 5)), shape(continuum), shape((f) => bump(f, tyre * 0.8, 0.8, tyreDb + 1)));
    this.rate = rng.uniform(0.1, 0.7);
    this.heavyShare = rng.uniform(0.03, 0.3);
    this.toneDb = rng.uniform(-10, -2);
    for (let s = -12; s <= 0; s++) this.arrivals(rng, s);
  }

  private arrivals(rng: Rng, at: number): void {
    // Poisson(rate) arrivals, peak passing time a few seconds ahead.
    const limit = Math.exp(-this.rate);
    for (let p = rng.next(); p > limit; p *= rng.next()) {
      const heavy = rng.next() < this.heavyShare;
      this.vehicles.push({ t: at + rng.uniform(0, 8), heavy, db: rng.normal(0, 3) + (heavy ? 6 : 0), tau: rng.uniform(1.5, 4), fe: heavy ? rng.uniform(25, 60) : rng.uniform(40, 110) });
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
    const e = sum(gain(this.light, db10(1 - h + 1e-9)), gain(this.heavy, db10(h + 1e-9)));
    // Engine firing tones of the vehicles passing closest (with their 2nd order), in proportion to their share.
    for (const v of this.vehicles) {
      const share = e10(v.db) / (1 + ((this.t - v.t) / v.tau) ** 2) / (light + heavy);
      if (share < 0.2) continue;
      tone(e, v.fe, this.toneDb + db10(share));
      tone(e, 2 * v.fe, this.toneDb - 4 + db10(share));
    }
    return { e, crest, gainDb: clamp(level - this.meanDb, -3, 5), levelDb: clamp(level - this.meanDb, -10, 10) };
  }
}

// ---------------------------------------------------------------- amplified music
export const MAJOR = [0, 2, 4, 5, 7, 9, 11];
export const MINOR = [0, 2, 3, 5, 7, 8, 10];
export const PROGRESSIONS = [[0, 4, 5, 3], [5, 3, 0, 4], [0, 5, 3, 4], [0, 3, 4, 3], [0, 0, 3, 4]];

/**
 * Amplified music (square dancing, vendors' loudspeakers). A song has a key, a mode, a tempo (96–140
 * BPM) and a chord progression changing every bar (~2 s); the melody note changes about every second.
 * Kick drum (50–70 Hz) and bass line (chord root, E1–D#2 ≈ 41–78 Hz, with harmonics) give strong bass
 * 40–125 Hz; chord and melody tones put harmonic peaks in 200 Hz–4 kHz; snare and hi-hat add
 * broadband; a mix continuum falls ~3 dB/octave; loudspeakers cut below 35–90 Hz and roll off
 * above 7–11 kHz. Beats make the level fluctuate within the second: crest 1.5–6 dB. Between songs
 * there are 2–8 s of silence and choruses are louder than verses (natural-dynamics streams).
 */
export const newSong = (rng: Rng) => ({
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
  hp: rng.uniform(35, 90), // from a 15" PA woofer to a small trolley speaker
  crest: rng.uniform(2, 4.5),
});

export class Music implements Generator {
  private song: ReturnType<typeof newSong>;
  private t: number;
  private melody = 4;
  private dyn = 0;
  /** Seconds of silence left between two songs (streams at natural dynamics only). */
  private gap = 0;

  constructor(rng: Rng) {
    this.song = newSong(rng);
    this.t = rng.int(0, this.song.length - 1);
  }

  private note(degree: number): number {
    return (this.song.scale[degree % 7] ?? 0) + 12 * Math.floor(degree / 7);
  }

  step(rng: Rng): Frame {
    this.t += 1;
    if (this.gap > 0) this.gap--;
    if (this.t >= this.song.length) [this.song, this.t, this.gap] = [newSong(rng), 0, rng.int(2, 8)];
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
    const section = Math.floor(this.t / (32 * (60 / bpm))) % 2 === 1 ? 2 : 0; // chorus louder than verse
    return {
      e: filtered(e, speaker),
      crest: clamp(this.song.crest + rng.normal(0, 0.5), 1.5, 6),
      gainDb: clamp(this.dyn, -3, 3),
      levelDb: this.gap > 0 ? -25 : clamp(this.dyn, -4, 4) + section,
    };
  }
}

// ---------------------------------------------------------------- voices / crowd
/** Long-term average speech spectrum, dB re its 500 Hz band, per 1/3-octave band (after Byrne et al. 1994). */
export const LTASS = [-40, -38, -35, -32, -28, -24, -18, -8, -5, -5, -4, -2, -2, 0, 0, -2, -5, -8, -8, -9, -11, -12, -13, -14, -16, -17, -19, -20, -22, -25, -30];

/**
 * Voices / crowd: the long-term speech spectrum (peak ≈ 400–500 Hz, little below 125 Hz, gentle
 * fall above 1 kHz), the talkers' first and second formant regions (F1 400–700 Hz, F2 1–2.5 kHz),
 * voiced fundamentals and low harmonics of each active talker (men ~120 Hz, women ~210 Hz, children
 * ~300 Hz) and raised vocal effort lifting 1–4 kHz. Few talkers fluctuate syllabically (crest 5–8 dB),
 * a crowd babble is smoother (2–4 dB).
 */
export class Voices implements Generator {
  private readonly f0: number[];
  private readonly effort: number;
  private readonly f1: number;
  private readonly f2: number;

  constructor(rng: Rng) {
    // Mostly small groups chatting (1–3 talkers), sometimes a group of 4–8, sometimes a crowd's babble.
    const u = rng.next();
    const talkers = u < 0.4 ? rng.int(1, 3) : u < 0.7 ? rng.int(4, 8) : rng.int(9, 20);
    this.f0 = Array.from({ length: talkers }, () => rng.pick([[120, 15], [210, 20], [300, 30]] as const)).map(([m, s]) => rng.normal(m, s));
    this.effort = rng.uniform(0, 7);
    this.f1 = rng.uniform(400, 700);
    this.f2 = rng.uniform(1000, 2500);
  }

  step(rng: Rng): Frame {
    let active = this.f0.filter(() => rng.next() < 0.6);
    if (active.length === 0) active = [rng.pick(this.f0)];
    const n = active.length;
    // The vowels spoken within this second move the formant regions; a crowd averages them out.
    const spread = 0.35 / Math.sqrt(n);
    const [f1, f2] = [this.f1 * 2 ** rng.normal(0, spread), this.f2 * 2 ** rng.normal(0, spread)];
    // Which phonemes fall into this second: a few talkers' spectra move by several dB from second to
    // second (vowel colour, fricatives, nasals), a crowd's babble hardly.
    const [pa, pb, fric] = [rng.uniform(200, 3000), rng.normal(0, 4 / Math.sqrt(n)), rng.normal(0, 5 / Math.sqrt(n))];
    const e = sum(
      shape((f, i) => (LTASS[i] ?? -40) + emphasis(f, 2000, 0.8, this.effort) + emphasis(f, pa, 0.6, pb) + emphasis(f, 6000, 0.6, fric)),
      // One or two talkers: the few vowels of this second give sharper formant peaks than a crowd's average.
      shape((f) => bump(f, f1, n <= 2 ? 0.2 : 0.35, -4)),
      shape((f) => bump(f, f2, n <= 2 ? 0.25 : 0.4, -9 + this.effort / 2)),
    );
    for (const f0 of active) harmonics(e, f0 * rng.uniform(0.9, 1.1), -4 - db10(n), 6, 800);
    const crest = n === 1 ? rng.uniform(5, 8) : n <= 4 ? rng.uniform(3.5, 6) : rng.uniform(2, 4);
    const pause = this.f0.length <= 3 && rng.next() < 0.25; // a few talkers fall silent between sentences
    const levelDb = pause ? -15 : clamp(db10(n / this.f0.length) + rng.normal(0, n <= 4 ? 1.5 : 0.7), -10, 4);
    return { e, crest, gainDb: clamp(db10(n / this.f0.length) / 2 + rng.normal(0, 1), -3, 3), levelDb };
  }
}

