/**
 * Band-energy generators of intermittent and impulsive sources for `spectra.ts`: construction sites
 * and other sources (sirens, dogs, birdsong, bells).
 */
import type { Rng } from '../core/rng.js';
import { type Frame, type Generator, type Spectrum, bump, clamp, db10, gain, harmonics, put, shape, sum, tone } from './spectra-blocks.js';

// ---------------------------------------------------------------- construction
/**
 * Construction site: diesel machinery hum (firing frequency 25–45 Hz with harmonics, broadband engine
 * noise around 125 Hz, hydraulic whine ~800 Hz) plus one activity at a time for 5–30 s:
 * hammering (broadband impacts peaking 2–3 kHz, ringing bending modes of struck steel at 1 : 2.76 : 5.4,
 * thud ~125 Hz; crest 8–15 dB, short pauses), pneumatic breaking (dense impacts 0.5–5 kHz, crest 2–5 dB)
 * or cutting with grinder/saw (strong 3–6 kHz with a disc tone, intermittent contact, crest 3–6 dB);
 * some sites have a machine whose reversing alarm (1–1.25 kHz) beeps for 3–10 s now and then.
 */
export class Construction implements Generator {
  private readonly machinery: Spectrum;
  private readonly ring: number;
  private activity: 'hammer' | 'breaker' | 'cutting' = 'hammer';
  private left = 0;
  private disc = 4000;
  private readonly beeperHz: number;
  private beeping = 0;

  constructor(rng: Rng) {
    const [engine, db] = [rng.uniform(25, 45), rng.uniform(-8, -2)];
    this.beeperHz = rng.next() < 0.4 ? rng.uniform(1000, 1250) : 0; // a machine with a reversing alarm
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
      for (const [r, db] of [[1, 4], [2.76, -2], [5.4, -8]] as const) tone(e, this.ring * r, db);
      if (pause) e = gain(e, -12);
      crest = pause ? rng.uniform(2, 4) : rng.uniform(8, 15);
    } else if (this.activity === 'breaker') {
      e = sum(shape((f) => bump(f, 1600, 1.6, 0)), shape((f) => bump(f, 3500, 0.8, -4)), shape((f) => bump(f, 63, 1, -6)));
      crest = rng.uniform(2, 5); // 15–25 impacts a second: the Fast (125 ms) level hardly drops between them
    } else {
      const peak = rng.uniform(3500, 5000);
      e = sum(shape((f) => bump(f, peak, 0.9, 0)), shape((f) => bump(f, 1000, 1.5, -10)));
      tone(e, this.disc, 8);
      tone(e, 2 * this.disc, 0);
      crest = rng.uniform(3, 6);
    }
    if (this.beeperHz && this.beeping <= 0 && rng.next() < 0.06) this.beeping = rng.int(3, 10);
    if (this.beeping-- > 0) tone(e, this.beeperHz, rng.uniform(0, 6));
    const g = rng.normal(0, 1.5);
    // Natural dynamics: pauses in hammering, the breaker louder, the disc off the workpiece now and then.
    const activityDb = this.activity === 'hammer' ? (crest < 5 ? -10 : 0) : this.activity === 'breaker' ? 2 : rng.next() < 0.3 ? -8 : -1;
    return { e: sum(this.machinery, e), crest, gainDb: clamp(g, -3, 3), levelDb: clamp(g + activityDb, -12, 6) };
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
export class Other implements Generator {
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
    let levelDb = 0;
    if (this.kind === 'siren') {
      const hi = this.a * 2.2;
      for (let s = 0; s < 20; s++) {
        const f = this.a + (hi - this.a) * (0.5 - 0.5 * Math.cos((2 * Math.PI * (this.t + s / 20)) / this.b));
        [0, -12, -8, -16, -12].forEach((db, k) => tone(e, f * (k + 1), db - 13));
      }
      crest = rng.uniform(1, 3);
      gainDb = clamp(-db10(1 + (this.t / 8) ** 2), -3, 0);
      levelDb = clamp(-db10(1 + (this.t / 8) ** 2), -25, 0); // the vehicle approaches and leaves
    } else if (this.kind === 'dog') {
      const barks = rng.int(1, 4);
      for (let n = 0; n < barks; n++) harmonics(e, this.a * rng.uniform(0.9, 1.1), -db10(barks), 5, 6000);
      shape((f) => bump(f, 1200, 1.2, -6)).forEach((v, i) => put(e, i, v));
      crest = clamp(db10(1 / (barks * 0.12)) + rng.uniform(1, 3), 3, 12);
      if (rng.next() < 0.4) levelDb = -20; // a quiet second between bouts of barking
    } else if (this.kind === 'birds') {
      for (const centre of this.birds) {
        if (rng.next() > 0.7) continue;
        for (let s = 0; s < 8; s++) tone(e, centre * 2 ** rng.uniform(-0.3, 0.3), rng.uniform(-8, 0));
      }
      tone(e, rng.pick(this.birds), 0);
      crest = rng.uniform(3, 8);
      if (rng.next() < 0.3) levelDb = -12; // the birds pause
    } else {
      const struck = ++this.sinceStrike >= rng.int(1, 3);
      if (struck) this.sinceStrike = 0;
      [0.5, 1, 1.2, 1.5, 2, 2.5, 2.67, 3].forEach((r, k) => tone(e, this.a * r, [-4, 0, -3, -8, -2, -10, -6, -12][k] ?? -12));
      crest = struck ? rng.uniform(5, 9) : rng.uniform(1, 2.5);
      gainDb = -Math.min(3, 2 * this.sinceStrike);
      levelDb = -Math.min(12, 4 * this.sinceStrike); // decaying between strikes
    }
    return { e, crest, gainDb, levelDb };
  }
}

