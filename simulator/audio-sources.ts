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
 * Amplified music from a portable PA, as played for square dancing, by vendors or buskers. Real
 * recordings differ far more in arrangement and timbre than in what makes them music, so every scene
 * draws its own band:
 * - drums (85 %): four-on-the-floor or backbeat, a kick with a pitch drop (its length, start and end
 *   pitch vary), snare or clap, hi-hats on eighths or sixteenths; otherwise a folk/ballad track with
 *   no percussion;
 * - a bass line (90 %) on the chord roots in eighths, quarters or halves, as a filtered sawtooth,
 *   square or sine;
 * - chords (75 %) as a sustained pad or strummed/plucked (short decay) on every beat or bar, in a
 *   sawtooth, square, triangle or sine voice;
 * - a melody (85 %) of half-beat to two-beat notes in major, minor or pentatonic: a bowed/blown lead
 *   with vibrato (erhu, suona, voice), a plucked or mallet line with a short decay, or an electronic
 *   square/triangle/sine lead;
 * - stem levels spread over ±4–6 dB around a typical mix, tempo 70–150 bpm;
 * - through a loudspeaker with a 40–90 Hz low cut and a 5–14 kHz roll-off, often driven into soft
 *   clipping.
 * At least two of the four parts play.
 */
export function music(rng: Rng, n: number): Float64Array {
  const bpm = rng.uniform(70, 150);
  const beat = Math.round((60 / bpm) * FS);
  const key = rng.int(0, 11);
  const scale = rng.pick([MAJOR, MINOR, PENTATONIC, PENTATONIC]);
  const prog = rng.pick(PROGRESSIONS);
  const parts = { drums: rng.next() < 0.85, bass: rng.next() < 0.9, chords: rng.next() < 0.75, melody: rng.next() < 0.85 };
  while (Object.values(parts).filter(Boolean).length < 2) parts[rng.pick(['bass', 'chords', 'melody'] as const)] = true;
  const fourFloor = rng.next() < 0.5;
  const sixteenths = rng.next() < 0.3;
  const kickDrop = { top: rng.uniform(90, 180), end: rng.uniform(40, 65), tau: rng.uniform(0.02, 0.05), decay: rng.uniform(0.08, 0.25) };
  const bassWave = rng.pick(['saw', 'saw', 'square', 'sine'] as const);
  const bassEvery = rng.pick([0.5, 0.5, 1, 2]);
  const chordWave = rng.pick(['saw', 'square', 'triangle', 'sine'] as const);
  const strum = rng.next() < 0.5; // plucked chords on every beat (or bar) instead of a pad
  const chordEvery = strum ? rng.pick([1, 1, 2, 4]) : 4;
  const lead = rng.pick(['bowed', 'bowed', 'plucked', 'electronic'] as const);
  const leadWave = lead === 'electronic' ? rng.pick(['square', 'triangle', 'sine'] as const) : lead === 'plucked' ? rng.pick(['saw', 'triangle', 'square'] as const) : 'saw';
  const degree = (d: number): number => (scale[((d % scale.length) + scale.length) % scale.length] ?? 0) + 12 * Math.floor(d / scale.length);
  const drums = new Float64Array(n);
  const bass = new Float64Array(n);
  const chords = new Float64Array(n);
  const melodyOut = new Float64Array(n);
  const offset = -rng.int(0, 16 * beat);
  let melody = rng.int(3, 8);
  const kick = new Float64Array(Math.round(0.4 * FS));
  addSine(kick, 0, kick.length, (i) => kickDrop.end + (kickDrop.top - kickDrop.end) * Math.exp(-i / (kickDrop.tau * FS)), (i) => Math.exp(-i / (kickDrop.decay * FS)));
  for (let b = 0; offset + b * beat < n; b++) {
    const at = offset + b * beat;
    const inBar = b % 4;
    const chord = prog[Math.floor(b / 4) % prog.length] ?? 0;
    const broken = Math.floor(b / 4) % 16 === 15; // a break bar without drums
    if (at + 4 * beat < 0) continue;
    if (parts.drums && !broken) {
      if (fourFloor || inBar === 0 || inBar === 2) addInto(drums, kick, 1, at);
      if (inBar === 1 || inBar === 3) {
        addBurst(drums, rng, at, 0.5, 0.09, (x) => biquad(x, 'bandpass', 2500, 0.5));
        addDecay(drums, at, rng.uniform(180, 220), 0.35, 0.06);
      }
      for (const h of sixteenths ? [0, 0.25, 0.5, 0.75] : [0, 0.5]) {
        addBurst(drums, rng, at + Math.round(h * beat), 0.12, rng.next() < 0.1 ? 0.15 : 0.035, (x) => biquad(biquad(x, 'highpass', 7000, 0.7), 'highpass', 7000, 0.7));
      }
    }
    const root = midiHz(28 + ((key + degree(chord)) % 12));
    // Bass notes start on this beat's eighths, on every beat, or on every other beat.
    if (parts.bass && (bassEvery <= 1 || inBar % bassEvery === 0)) {
      for (let h = 0; h < 1; h += bassEvery) {
        const s = at + Math.round(h * beat);
        const len = Math.round(0.9 * bassEvery * beat);
        const octave = bassEvery === 0.5 && h > 0 && inBar % 2 === 1 ? 2 : 1;
        addNote(bass, { from: s, to: s + len, freq: root * octave * (bassWave === 'sine' ? 2 : 1), amp: 1, attack: 200, decayS: 0.4, release: 200, wave: bassWave });
      }
    }
    if (parts.chords && inBar % chordEvery === 0) {
      const len = chordEvery * beat;
      for (const d of [chord, chord + 2, chord + 4]) {
        const freq = midiHz(48 + ((key + degree(d)) % 12));
        const note = strum
          ? { from: at + rng.int(0, 400), to: at + len, freq, amp: 0.4, attack: 48, decayS: rng.uniform(0.15, 0.6), release: 400, wave: chordWave }
          : { from: at, to: at + len, freq, amp: 0.3, attack: 2000, release: 1000, wave: chordWave };
        addNote(chords, { ...note, phase: rng.next() });
      }
    }
    if (parts.melody && rng.next() < 0.7) {
      melody = Math.max(0, Math.min(scale.length * 2, melody + rng.int(-2, 2)));
      const len = Math.round(rng.pick([0.5, 1, 1, 2]) * beat);
      const freq = midiHz(60 + key + degree(melody));
      if (lead === 'bowed') addNote(melodyOut, { from: at, to: at + len, freq, amp: 1, attack: 500, release: 800, vibratoHz: rng.uniform(4.5, 6.5), vibrato: 0.006 });
      else if (lead === 'plucked') addNote(melodyOut, { from: at, to: at + len, freq, amp: 1, attack: 48, decayS: rng.uniform(0.1, 0.4), release: 300, wave: leadWave });
      else addNote(melodyOut, { from: at, to: at + len, freq, amp: 1, attack: 100, release: 400, wave: leadWave });
    }
  }
  biquad(biquad(bass, 'lowpass', rng.uniform(250, 500), 0.8), 'lowpass', 600, 0.7);
  biquad(chords, 'lowpass', rng.uniform(1500, 8000), 0.7);
  biquad(biquad(melodyOut, 'lowpass', rng.uniform(3500, 10000), 0.7), 'peak', rng.uniform(1500, 3500), 1, rng.uniform(0, 6));
  const out = new Float64Array(n);
  if (parts.drums) addInto(out, norm(drums), dbAmp(rng.uniform(-3, 6)));
  if (parts.bass) addInto(out, norm(bass), dbAmp(rng.uniform(-4, 4)));
  if (parts.chords) addInto(out, norm(chords), dbAmp(rng.uniform(-12, 0)));
  if (parts.melody) addInto(out, norm(melodyOut), dbAmp(rng.uniform(-6, 2)));
  const [hp, lp] = [rng.uniform(40, 90), rng.uniform(5000, 14000)];
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
