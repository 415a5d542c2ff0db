/**
 * Time-domain synthesis of the sound sources of a park and riverbank, as pressure waveforms at 48 kHz
 * (arbitrary scale; `audio.ts` mixes and calibrates them). Each source is built from what physically
 * makes the sound — drum hits, a bass line and chords through a small PA loudspeaker; vehicles passing
 * on a road at a distance with engine harmonics, tyre noise and Doppler shift; glottal pulses through
 * formant resonators for speech; struck steel and pneumatic impacts; sirens, barking, birdsong and
 * bells — deliberately unlike the band-energy recipes of `spectra.ts`.
 */
import type { Rng } from '../core/rng.js';
import { FS, addInto, addNote, addSaw, addSine, biquad, onePole, pink, rms, white } from './audio-dsp.js';

export const norm = (x: Float64Array): Float64Array => {
  const r = rms(x);
  if (r > 0) for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) / r;
  return x;
};
const dbAmp = (db: number): number => 10 ** (db / 20);
const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);

/** Adds an exponentially decaying partial (or thud) starting at sample `at`. */
export function addDecay(out: Float64Array, at: number, freq: number, amp: number, tauS: number, maxS = 6 * tauS): void {
  const k = Math.exp(-1 / (tauS * FS));
  let env = amp;
  const end = Math.min(out.length, at + Math.round(maxS * FS));
  const w = (2 * Math.PI * freq) / FS;
  for (let i = Math.max(0, at); i < end; i++, env *= k) out[i] = (out[i] as number) + env * Math.sin(w * (i - at));
}

/** Adds a decaying noise burst (filtered by `shape`) at sample `at`. */
export function addBurst(out: Float64Array, rng: Rng, at: number, amp: number, tauS: number, shape: (x: Float64Array) => Float64Array): void {
  const len = Math.round(5 * tauS * FS);
  const b = shape(white(rng, len));
  const k = Math.exp(-1 / (tauS * FS));
  let env = amp;
  for (let i = 0; i < len; i++, env *= k) b[i] = (b[i] as number) * env * Math.min(1, i / 48);
  addInto(out, b, 1, at);
}

// ---------------------------------------------------------------- amplified music
const PENTATONIC = [0, 2, 4, 7, 9];
const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];
const PROGRESSIONS = [[0, 4, 5, 3], [0, 5, 3, 4], [5, 3, 0, 4], [0, 3, 0, 4], [0, 4, 3, 4]];

/**
 * Square-dance style music from a portable PA: four-on-the-floor or backbeat drums (kick with a
 * pitch drop, snare, hi-hats), a bass line on the chord roots, sustained chord pad and a melody line
 * with vibrato (major, minor or pentatonic), through a loudspeaker with a 40–90 Hz low cut and a
 * 7–14 kHz roll-off, often driven into soft clipping.
 */
export function music(rng: Rng, n: number): Float64Array {
  const bpm = rng.uniform(96, 140);
  const beat = Math.round((60 / bpm) * FS);
  const key = rng.int(0, 11);
  const scale = rng.pick([MAJOR, MINOR, PENTATONIC, PENTATONIC]);
  const prog = rng.pick(PROGRESSIONS);
  const fourFloor = rng.next() < 0.6;
  const degree = (d: number): number => (scale[((d % scale.length) + scale.length) % scale.length] ?? 0) + 12 * Math.floor(d / scale.length);
  const drums = new Float64Array(n);
  const bass = new Float64Array(n);
  const pad = new Float64Array(n);
  const lead = new Float64Array(n);
  const offset = -rng.int(0, 16 * beat);
  let melody = rng.int(3, 8);
  const kick = new Float64Array(Math.round(0.4 * FS));
  addSine(kick, 0, kick.length, (i) => 50 + 110 * Math.exp(-i / (0.03 * FS)), (i) => Math.exp(-i / (0.14 * FS)));
  for (let b = 0; offset + b * beat < n; b++) {
    const at = offset + b * beat;
    const inBar = b % 4;
    const chord = prog[Math.floor(b / 4) % prog.length] ?? 0;
    const broken = Math.floor(b / 4) % 16 === 15; // a break bar without drums
    if (at + 4 * beat < 0) continue;
    if (!broken) {
      if (fourFloor || inBar === 0 || inBar === 2) addInto(drums, kick, 1, at);
      if (inBar === 1 || inBar === 3) {
        addBurst(drums, rng, at, 0.5, 0.09, (x) => biquad(x, 'bandpass', 2500, 0.5));
        addDecay(drums, at, rng.uniform(180, 220), 0.35, 0.06);
      }
      for (const h of [0, 0.5]) addBurst(drums, rng, at + Math.round(h * beat), 0.12, rng.next() < 0.1 ? 0.15 : 0.035, (x) => biquad(biquad(x, 'highpass', 7000, 0.7), 'highpass', 7000, 0.7));
    }
    // Bass on eighths (root, octave), chord pad per bar, melody notes of half to two beats.
    const root = midiHz(28 + ((key + degree(chord)) % 12));
    for (const [h, mult] of [[0, 1], [0.5, inBar % 2 === 1 ? 2 : 1]] as const) {
      const s = at + Math.round(h * beat);
      addNote(bass, { from: s, to: s + Math.round(0.45 * beat), freq: root * mult, amp: 1, attack: 200, decayS: 0.4, release: 200 });
    }
    if (inBar === 0) {
      for (const d of [chord, chord + 2, chord + 4]) {
        addNote(pad, { from: at, to: at + 4 * beat, freq: midiHz(48 + ((key + degree(d)) % 12)), amp: 0.3, attack: 2000, release: 1000, phase: rng.next() });
      }
    }
    if (rng.next() < 0.7) {
      melody = Math.max(0, Math.min(scale.length * 2, melody + rng.int(-2, 2)));
      const len = Math.round(rng.pick([0.5, 1, 1, 2]) * beat);
      addNote(lead, { from: at, to: at + len, freq: midiHz(60 + key + degree(melody)), amp: 1, attack: 500, release: 800, vibratoHz: rng.uniform(4.5, 6.5), vibrato: 0.006 });
    }
  }
  biquad(biquad(bass, 'lowpass', rng.uniform(250, 500), 0.8), 'lowpass', 600, 0.7);
  biquad(pad, 'lowpass', rng.uniform(1500, 4000), 0.7);
  biquad(biquad(lead, 'lowpass', rng.uniform(3500, 6000), 0.7), 'peak', 2500, 1, 4);
  const out = new Float64Array(n);
  addInto(out, norm(drums), dbAmp(rng.uniform(0, 6)));
  addInto(out, norm(bass), dbAmp(rng.uniform(-3, 3)));
  addInto(out, norm(pad), dbAmp(rng.uniform(-10, -3)));
  addInto(out, norm(lead), dbAmp(rng.uniform(-6, 0)));
  const [hp, lp] = [rng.uniform(40, 90), rng.uniform(7000, 14000)];
  biquad(biquad(out, 'highpass', hp, 0.7), 'highpass', hp, 0.7);
  biquad(biquad(out, 'lowpass', lp, 0.7), 'lowpass', lp, 0.7);
  const drive = rng.next() < 0.5 ? rng.uniform(1, 3) : 0;
  if (drive > 0) {
    norm(out);
    for (let i = 0; i < n; i++) out[i] = Math.tanh(drive * (out[i] as number));
  }
  return out;
}

// ---------------------------------------------------------------- construction
/**
 * Construction site: a diesel engine (firing 25–45 Hz with harmonics, broadband around 125 Hz) and a
 * hydraulic whine, with one activity at a time for 5–30 s — hammering on steel (clicks, thuds and
 * ringing bending modes at 1 : 2.76 : 5.4), a pneumatic breaker (15–25 impacts a second) or cutting
 * with a disc (a 2.5–6 kHz disc tone and grinding noise while in contact) — and sometimes a reversing
 * alarm (1–1.2 kHz beeps).
 */
export function construction(rng: Rng, n: number): Float64Array {
  const machine = new Float64Array(n);
  const fe = rng.uniform(25, 45);
  addSaw(machine, 0, n, () => fe, () => 1);
  biquad(biquad(machine, 'lowpass', 300, 0.7), 'lowpass', 300, 0.7);
  const rumble = norm(biquad(white(rng, n), 'bandpass', 125, 0.5));
  addInto(machine, rumble, 0.5);
  const wf = rng.uniform(700, 900);
  addSine(machine, 0, n, (i) => wf * (1 + 0.01 * Math.sin((2 * Math.PI * 0.7 * i) / FS)), () => 0.1);
  const act = new Float64Array(n);
  const ring = rng.uniform(1500, 4000);
  for (let t = 0; t < n; ) {
    const len = Math.round(rng.uniform(5, 30) * FS);
    const u = rng.next();
    if (u < 0.45) {
      for (let s = t; s < t + len; s += Math.round(rng.uniform(0.4, 1.5) * FS)) {
        if (rng.next() < 0.12) s += Math.round(rng.uniform(1, 3) * FS);
        addBurst(act, rng, s, 1, 0.003, (x) => biquad(x, 'highpass', 1000, 0.7));
        [1, 2.76, 5.4].forEach((r, k) => addDecay(act, s, ring * r, [0.8, 0.4, 0.2][k] ?? 0.2, rng.uniform(0.02, 0.12)));
        addDecay(act, s, 125, 0.6, 0.03);
      }
    } else if (u < 0.75) {
      const rate = rng.uniform(15, 25);
      for (let s = t; s < t + len; s += Math.round((FS / rate) * rng.uniform(0.9, 1.1))) {
        addBurst(act, rng, s, 0.6, 0.004, (x) => biquad(x, 'bandpass', 1600, 0.4));
        addDecay(act, s, 63, 0.3, 0.02);
      }
    } else {
      const fd = rng.uniform(2500, 6000);
      const grind = biquad(white(rng, len), 'highpass', 3000, 0.7);
      for (let s = 0; s < len; ) {
        const on = Math.round(rng.uniform(1, 4) * FS);
        for (let i = s; i < Math.min(len, s + on); i++) grind[i] = (grind[i] as number) * 0.5;
        for (let i = s + on; i < Math.min(len, s + on + Math.round(rng.uniform(0.3, 1.5) * FS)); i++) grind[i] = 0;
        s += on + Math.round(rng.uniform(0.3, 1.5) * FS);
      }
      addInto(act, grind, 1, t);
      addSine(act, t, t + len, () => fd, () => 0.3);
      addSine(act, t, t + len, () => 2 * fd, () => 0.12);
    }
    t += len;
  }
  if (rng.next() < 0.3) {
    const f = rng.uniform(1000, 1200);
    const start = rng.int(0, n);
    addSine(act, start, start + Math.round(rng.uniform(3, 10) * FS), () => f, (i) => (Math.floor((i - start) / (0.5 * FS)) % 2 === 0 ? 0.3 : 0));
  }
  const out = norm(machine);
  addInto(out, norm(act), dbAmp(rng.uniform(3, 12)));
  return out;
}

// ---------------------------------------------------------------- other sources
/**
 * Other sources, one per scene: an emergency vehicle passing with its siren (wail or yelp, a
 * horn-loaded driver, Doppler), barking dogs (bursts of 1–4 barks through vocal-tract resonances),
 * dominant birdsong (chirp phrases and trills at 2–7 kHz) or bells (inharmonic partials
 * 0.5 : 1 : 1.2 : 1.5 : 2 : 2.5 : 2.67 : 3, a temple bell ringing for seconds or a bicycle bell).
 */
export function other(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  const kind = rng.pick(['siren', 'dog', 'birds', 'bells'] as const);
  if (kind === 'siren') {
    const [lo, period, d, v, t0] = [rng.uniform(500, 800), rng.next() < 0.5 ? rng.uniform(3, 6) : rng.uniform(0.25, 0.4), rng.uniform(15, 60), rng.uniform(8, 17), rng.uniform(0, n / FS)];
    const hi = lo * rng.uniform(1.8, 2.4);
    const x = (i: number): number => v * (i / FS - t0);
    addSaw(out, 0, n, (i) => (lo + (hi - lo) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FS / period))) * (340 / (340 + (v * x(i)) / Math.hypot(d, x(i)))), (i) => 1 / Math.sqrt(1 + (x(i) / d) ** 2));
    biquad(biquad(out, 'bandpass', 1500, 0.6), 'peak', 3000, 1, 6);
  } else if (kind === 'dog') {
    const f0 = rng.uniform(350, 900);
    for (let t = rng.int(0, FS); t < n; t += Math.round(rng.uniform(1, 5) * FS)) {
      for (let b = rng.int(1, 4), s = t; b > 0; b--, s += Math.round(rng.uniform(0.15, 0.3) * FS)) {
        const len = Math.round(rng.uniform(0.1, 0.2) * FS);
        const bark = new Float64Array(len);
        addSaw(bark, 0, len, (i) => f0 * (1.1 - (0.25 * i) / len), (i) => Math.min(1, i / 400) * Math.exp(-i / (0.06 * FS)));
        addInto(bark, white(rng, len), 0.2);
        addInto(out, biquad(biquad(bark, 'peak', rng.uniform(1000, 2000), 2, 10), 'peak', 600, 2, 6), 1, s);
      }
    }
  } else if (kind === 'birds') {
    for (let k = rng.int(2, 4); k > 0; k--) {
      const centre = rng.uniform(2000, 7000);
      for (let t = rng.int(0, 2 * FS); t < n; t += Math.round(rng.uniform(1, 4) * FS)) {
        const phraseEnd = t + Math.round(rng.uniform(0.5, 2) * FS);
        const trill = rng.next() < 0.3 ? rng.uniform(20, 40) : 0;
        for (let s = t; s < phraseEnd; s += Math.round(FS / rng.uniform(3, 10))) {
          const len = Math.round(rng.uniform(0.03, 0.15) * FS);
          const [f1, f2] = [centre * 2 ** rng.uniform(-0.4, 0.4), centre * 2 ** rng.uniform(-0.4, 0.4)];
          addSine(out, s, s + len, (i) => f1 + ((f2 - f1) * (i - s)) / len, (i) => Math.sin((Math.PI * (i - s)) / len) * (trill ? 0.5 + 0.5 * Math.sin((2 * Math.PI * trill * i) / FS) : 1));
        }
      }
    }
  } else {
    const bicycle = rng.next() < 0.3;
    const fb = bicycle ? rng.uniform(2000, 4000) : rng.uniform(300, 800);
    const tau = bicycle ? 0.3 : rng.uniform(1.5, 4);
    for (let t = rng.int(0, FS); t < n; t += Math.round(rng.uniform(1, 3) * FS)) {
      for (const s of bicycle ? [t, t + Math.round(0.15 * FS)] : [t]) {
        [0.5, 1, 1.2, 1.5, 2, 2.5, 2.67, 3].forEach((r, k) => addDecay(out, s, fb * r, dbAmp([-4, 0, -3, -8, -2, -10, -6, -12][k] ?? -12), tau / Math.sqrt(r + 0.5), 3 * tau));
      }
    }
  }
  // A little of the continuum every outdoor recording has.
  addInto(out, onePole(pink(rng, n), 800), 0.02 * rms(out));
  return out;
}
