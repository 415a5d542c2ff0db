/**
 * Cross-generator validation data for the noise models: short audio scenes (48 kHz) synthesised in
 * the time domain for each noise class, mixed with a synthesised park/riverside ambience, calibrated
 * to a sound pressure level and metered by a software sound level meter (`sound-meter.ts`: FFT filter
 * bank with IEC 61260-1 band edges, A-weighted LAeq and LAFmax). The training spectra
 * (`spectra.ts`) are composed from band energies; these are computed from waveforms, so a model that
 * only learnt the training generator's recipe shows it here.
 *
 * Sources: see `audio-sources.ts` for music, construction and other sources; this file holds the
 * ambience, road traffic and voices, and the scene mixer.
 */
import type { Rng } from '../core/rng.js';
import { NOISE_CLASSES, type NoiseClass } from './spectra.js';
import { FS, P0, addInto, addNote, addSine, aWeight, biquad, onePole, pink, rms, white } from './audio-dsp.js';
import { construction, music, norm, other } from './audio-sources.js';
import { METER_MARGIN, meter } from './sound-meter.js';
import type { NoiseFrame } from '../contract/mqtt/telemetry.js';

const dbAmp = (db: number): number => 10 ** (db / 20);

/** Slowly varying random gain (AR(1) in dB per 50 ms, linearly interpolated amplitude), mean ≈ 1. */
function wander(rng: Rng, n: number, depthDb: number, corr = 0.9): Float64Array {
  const step = Math.round(0.05 * FS);
  const out = new Float64Array(n);
  let v = rng.normal(0, depthDb);
  let prev = dbAmp(v);
  for (let s = 0; s < n; s += step) {
    v = corr * v + Math.sqrt(1 - corr * corr) * rng.normal(0, depthDb);
    const next = dbAmp(v);
    for (let i = s; i < Math.min(n, s + step); i++) out[i] = prev + ((next - prev) * (i - s)) / step;
    prev = next;
  }
  return out;
}

function modulate(x: Float64Array, g: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * (g[i] as number);
  return x;
}

/**
 * Park/riverside ambience: distant city rumble (low-passed noise, 40–120 Hz), a pink continuum with
 * air absorption, water flowing (band noise 0.5–1.5 kHz with babbling modulation), leaves in the wind
 * (2–6 kHz), occasional wind gusts on the windscreen and bird chirps; on windy days the whole scene
 * swells with the gusts.
 */
export function ambience(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  const rumble = biquad(biquad(white(rng, n), 'lowpass', rng.uniform(40, 120), 0.7), 'lowpass', 150, 0.7);
  addInto(out, norm(rumble), dbAmp(rng.uniform(-2, 4)));
  const cont = onePole(pink(rng, n), rng.uniform(200, 1200));
  addInto(out, norm(biquad(cont, 'lowpass', rng.uniform(8000, 12500), 0.7)), dbAmp(rng.uniform(-6, 0)));
  const water = modulate(biquad(white(rng, n), 'bandpass', rng.uniform(500, 1500), 0.6), wander(rng, n, 2, 0.5));
  addInto(out, norm(water), dbAmp(rng.uniform(-16, -6)));
  const leaves = modulate(biquad(biquad(white(rng, n), 'highpass', 2000, 0.7), 'lowpass', 6000, 0.7), wander(rng, n, 4, 0.97));
  addInto(out, norm(leaves), dbAmp(rng.uniform(-24, -12)));
  if (rng.next() < 0.5) {
    const gust = wander(rng, n, 8, 0.98);
    const wind = modulate(biquad(biquad(white(rng, n), 'lowpass', 40, 0.7), 'lowpass', 60, 0.7), gust);
    addInto(out, norm(wind), dbAmp(rng.uniform(-6, 6)));
  }
  const chirpRate = rng.uniform(0.05, 0.3);
  const birds = new Float64Array(n);
  for (let s = 0; s < n; s += Math.round(FS * (-Math.log(1 - rng.next()) / chirpRate))) {
    const len = Math.round(rng.uniform(0.05, 0.2) * FS);
    const [f1, f2] = [rng.uniform(2000, 6000), rng.uniform(2000, 6000)];
    addSine(birds, s, s + len, (i) => f1 + ((f2 - f1) * (i - s)) / len, (i) => Math.sin((Math.PI * (i - s)) / len));
  }
  addInto(out, birds, 0.05 * dbAmp(rng.uniform(-6, 6)));
  // Half of the scenes are windy: gusts swell the whole soundscape (foliage, water, the city's hum
  // carried on the wind) by a few dB over several seconds.
  if (rng.next() < 0.5) modulate(out, wander(rng, n, rng.uniform(1, 4), 0.99));
  return out;
}

/**
 * A road 15–120 m away: vehicles arrive as a Poisson stream (0.1–0.7 a second, 3–30 % heavy), each
 * passing at 8–17 m/s as a point source with power ∝ 1/r²; its engine (firing 40–110 Hz, heavy
 * 25–60 Hz) is a harmonic tone with Doppler shift, its tyres band noise at 0.7–1.3 kHz; a continuum
 * of distant flow underneath; air absorption rolls off the highs with distance. The engine hump
 * dominates the unweighted low bands as in the EN 1793-3 traffic spectrum.
 */
export function traffic(rng: Rng, n: number): Float64Array {
  const d = rng.uniform(15, 120);
  const rate = rng.uniform(0.1, 0.7);
  const heavyShare = rng.uniform(0.03, 0.3);
  const engine = new Float64Array(n);
  const BLOCK = 64;
  const blocks = Math.ceil(n / BLOCK);
  const envLight = new Float64Array(blocks);
  const envHeavy = new Float64Array(blocks);
  const T = n / FS;
  for (let t = -15 - Math.log(1 - rng.next()) / rate; t < T + 15; t -= Math.log(1 - rng.next()) / rate) {
    const heavy = rng.next() < heavyShare;
    const v = rng.uniform(8, 17);
    const g2 = 10 ** ((rng.normal(0, 3) + (heavy ? 6 : 0)) / 10);
    const fe = heavy ? rng.uniform(25, 60) : rng.uniform(40, 110);
    const env = heavy ? envHeavy : envLight;
    let ph = rng.next();
    for (let b = 0; b < blocks; b++) {
      const x = v * ((b * BLOCK) / FS - t);
      const r2 = 1 + (x / d) ** 2;
      if (r2 > 400) continue;
      env[b] = (env[b] as number) + g2 / r2;
      // Engine: band-limited enough at these frequencies after the low-pass below; Doppler per block.
      const dt = (fe * (340 / (340 + (v * x) / Math.sqrt(d * d + x * x)))) / FS;
      const amp = (heavy ? 1.8 : 1) * Math.sqrt(g2 / r2);
      for (let i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
        engine[i] = (engine[i] as number) + amp * (2 * ph - 1);
        ph += dt;
        if (ph >= 1) ph -= 1;
      }
    }
  }
  biquad(biquad(engine, 'lowpass', rng.uniform(150, 400), 0.7), 'lowpass', 500, 0.7);
  const tyre = (centre: number, env: Float64Array): Float64Array => {
    // Tyre/road noise: a broad peak near 1 kHz on a continuum that falls above ~2 kHz (EN 1793-3).
    const x = norm(biquad(white(rng, n), 'bandpass', centre, 0.5));
    addInto(x, norm(onePole(pink(rng, n), 1000)), 0.7);
    biquad(x, 'lowpass', 3000, 0.6);
    for (let i = 0; i < n; i++) x[i] = (x[i] as number) * Math.sqrt(env[Math.floor(i / BLOCK)] as number);
    return x;
  };
  const fTyre = rng.uniform(700, 1300);
  const out = tyre(fTyre, envLight);
  addInto(out, tyre(fTyre * 0.8, envHeavy), 1);
  // No vehicle within earshot during the scene: the distant flow alone (at unit level).
  const level = rms(out) || 1;
  addInto(out, norm(engine), level * dbAmp(rng.uniform(4, 10)));
  // Distant flow and heavy-vehicle rumble: flat 1/3-octave levels below ~150 Hz.
  const flow = onePole(pink(rng, n), rng.uniform(100, 200));
  addInto(out, norm(flow), dbAmp(rng.uniform(-2, 4)) * level);
  return biquad(out, 'lowpass', Math.max(2500, 12000 - 60 * d), 0.6);
}

const VOWELS: readonly [number, number, number][] = [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410]];

/** All-pole resonator (unity gain at DC) at F with bandwidth BW over x[from, to), state carried in `st`. */
function resonate(x: Float64Array, from: number, to: number, F: number, BW: number, st: Float64Array, k: number): void {
  const r = Math.exp((-Math.PI * BW) / FS);
  const a1 = -2 * r * Math.cos((2 * Math.PI * F) / FS);
  const a2 = r * r;
  const b0 = 1 + a1 + a2;
  let y1 = st[2 * k] as number;
  let y2 = st[2 * k + 1] as number;
  for (let i = from; i < to; i++) {
    const y = b0 * (x[i] as number) - a1 * y1 - a2 * y2;
    x[i] = y;
    y2 = y1;
    y1 = y;
  }
  st[2 * k] = y1;
  st[2 * k + 1] = y2;
}

/**
 * One talker: utterances of 1–5 s of syllables (0.15–0.3 s) separated by pauses. Voiced sound is a
 * glottal pulse train (sawtooth, spectral slope steepened by a one-pole low-pass at 2–6 × f0, rising
 * with vocal effort) through a cascade of four formant resonators set per vowel and scaled for men,
 * women and children, then lip radiation (+6 dB/octave); fricatives and plosive bursts are band noise.
 */
function talker(rng: Rng, n: number): Float64Array {
  const [f0Base, scale] = rng.pick([[120, 1], [210, 1.15], [300, 1.3]] as const);
  const f0 = f0Base * rng.uniform(0.85, 1.15);
  const effort = rng.next();
  const voiced = new Float64Array(n);
  const out = new Float64Array(n);
  const segments: [number, number, readonly number[]][] = [];
  for (let t = rng.int(0, FS); t < n; ) {
    const uttEnd = Math.min(n, t + Math.round(rng.uniform(1, 5) * FS));
    for (let s = t; s < uttEnd; ) {
      const len = Math.min(n - s, Math.round(rng.uniform(0.15, 0.3) * FS));
      const f = f0 * rng.uniform(0.9, 1.15) * (1 - (0.15 * (s - t)) / (uttEnd - t));
      addNote(voiced, { from: s, to: s + len, freq: f, glide: rng.uniform(0.9, 1.1), amp: 1, attack: len / 4, release: len / 3, phase: rng.next() });
      segments.push([s, s + len, rng.pick(VOWELS).map((v) => v * scale)]);
      const onset = rng.next();
      // Fricatives (/s/ 4–8 kHz, /ʃ/ 2.5–4 kHz) and plosive bursts, as noise through the front cavity.
      if (onset < 0.4) addInto(out, biquad(white(rng, Math.round(0.08 * FS)), 'bandpass', rng.uniform(2500, 7000), 1.5), 0.12, s - Math.round(0.06 * FS));
      else if (onset < 0.7) addInto(out, biquad(white(rng, 300), 'bandpass', rng.uniform(1000, 4000), 1), 0.08, s);
      s += len + (rng.next() < 0.2 ? Math.round(rng.uniform(0.05, 0.2) * FS) : 0);
    }
    t = uttEnd + Math.round(rng.uniform(0.2, 1.5) * FS);
  }
  onePole(voiced, f0 * (2 + 4 * effort));
  const source = Float64Array.from(voiced);
  const state = new Float64Array(8);
  let prev = 0;
  for (const [from, to, [F1, F2, F3] = [500, 1500, 2500]] of segments) {
    if (from > prev) for (const [k, F] of [F1, F2, F3, 3500 * scale].entries()) resonate(voiced, prev, from, F ?? 500, 100 + 0.06 * (F ?? 500), state, k);
    for (const [k, F] of [F1, F2, F3, 3500 * scale].entries()) resonate(voiced, from, to, F ?? 500, 90 + 0.06 * (F ?? 500), state, k);
    prev = to;
  }
  // Nasal murmur and the open-tract bypass keep the low harmonics (LTASS is only ~5 dB down at 125–250 Hz).
  addInto(voiced, source, rms(voiced) / Math.max(rms(source), 1e-12) * dbAmp(rng.uniform(-8, -3)));
  for (let i = n - 1; i > 0; i--) voiced[i] = (voiced[i] as number) - 0.995 * (voiced[i - 1] as number); // lip radiation, +6 dB/octave
  addInto(out, norm(voiced), 1);
  return out;
}

/** Voices: one talker, a few, or a crowd's babble (up to 20, the extra ones as time-shifted copies). */
export function voices(rng: Rng, n: number): Float64Array {
  const u = rng.next();
  const count = u < 0.4 ? rng.int(1, 2) : u < 0.7 ? rng.int(3, 6) : rng.int(7, 20);
  const people = Array.from({ length: Math.min(count, 6) }, () => norm(talker(rng, n)));
  const out = new Float64Array(n);
  for (let k = 0; k < count; k++) {
    const p = people[k % people.length] as Float64Array;
    const shift = k < people.length ? 0 : rng.int(FS, n - FS);
    const g = dbAmp(rng.uniform(-6, 0));
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + g * (p[(i + shift) % n] as number);
  }
  return out;
}

const SYNTHS: Record<NoiseClass, (rng: Rng, n: number) => Float64Array> = { background: ambience, traffic, music, voices, construction, other };

/** A-weighted mean-square pressure over [from, to) of an A-weighted signal. */
function meanSquare(a: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i] as number) ** 2;
  return s / (to - from);
}

/**
 * A window of `seconds` metered 1-second readings of one class: the source over an ambience of
 * 35–48 dB(A) (background alone: the ambience at `laeq`), calibrated so the window's LAeq is `laeq`
 * (the source at least 3 dB above the ambience), plus the meter's self-noise.
 */
export function audioWindow(cls: NoiseClass, seconds: number, laeq: number, rng: Rng): NoiseFrame[] {
  if (!(NOISE_CLASSES as readonly string[]).includes(cls)) throw new RangeError(`unknown noise class ${cls}`);
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError('seconds must be a positive integer');
  if (!Number.isFinite(laeq)) throw new RangeError('laeq must be finite');
  const n = seconds * FS + 2 * METER_MARGIN;
  const [from, to] = [METER_MARGIN, METER_MARGIN + seconds * FS];
  const p2 = (level: number): number => P0 * P0 * 10 ** (level / 10);
  const x = ambience(rng, n);
  const ambLevel = cls === 'background' ? laeq : rng.uniform(35, 48);
  let gain = Math.sqrt(p2(ambLevel) / meanSquare(aWeight(x), from, to));
  for (let i = 0; i < n; i++) x[i] = (x[i] as number) * gain;
  if (cls !== 'background') {
    const src = SYNTHS[cls](rng, n);
    const srcLevel = laeq > ambLevel + 3.1 ? 10 * Math.log10(10 ** (laeq / 10) - 10 ** (ambLevel / 10)) : ambLevel + 3;
    gain = Math.sqrt(p2(srcLevel) / meanSquare(aWeight(src), from, to));
    addInto(x, src, gain);
  }
  addInto(x, white(rng, n), P0 * dbAmp(10)); // self-noise ≈ 10 dB SPL, white
  return meter(x, seconds);
}
