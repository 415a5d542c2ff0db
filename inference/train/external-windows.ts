/**
 * The independent test windows of the noise-window model: 10-second scenes whose sound is made by
 * programs that share nothing with this repository's generators — speech from the espeak-ng formant
 * synthesiser (real phoneme rules and voices of several languages), instruments, drums, engines,
 * sirens, machines and ambience from SoX's synthesiser (Karplus–Strong plucked strings, swept
 * oscillators, coloured noises, its own filters and envelopes) — arranged into scenes here and metered
 * at 48 kHz by simulator/sound-meter.ts, the same instrument model as every other audio set.
 *
 * Needs `sox` and `espeak-ng` (Debian packages of those names) when the data set is built; the model
 * and the platform never need them.
 */
import { execFileSync } from 'node:child_process';
import { Rng } from '../../core/rng.js';
import type { NoiseClass } from '../../simulator/spectra.js';
import { FS, P0, aWeight } from '../../simulator/audio-dsp.js';
import { METER_MARGIN, meter } from '../../simulator/sound-meter.js';
import { NOISE_WINDOW } from '../features/noise.js';
import { scenes } from './audio-windows.js';
import type { MeteredScene } from './metered-scenes.js';

const SECONDS = NOISE_WINDOW;
const LENGTH = SECONDS * FS + 2 * METER_MARGIN;
const RAW = ['-r', String(FS), '-e', 'floating-point', '-b', '32', '-c', '1', '-t', 'raw'];

const cache = new Map<string, Float64Array>();

function float64(buf: Buffer): Float64Array {
  const f = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  return Float64Array.from(f);
}

/** `sox -n … synth <args> <effects>`: mono float samples at FS. Identical calls are made once. */
function sox(seconds: number, synth: string[], effects: string[] = []): Float64Array {
  const key = JSON.stringify([seconds, synth, effects]);
  const hit = cache.get(key);
  if (hit) return hit;
  // -R: SoX seeds its noise generators the same way every run (repeatable data). 15 dB of headroom
  // first: SoX clips at full scale even in floating point. Levels are set later.
  const out = float64(execFileSync('sox', ['-R', '-V1', '-n', ...RAW, '-', 'synth', seconds.toFixed(4), ...synth, 'gain', '-15', ...effects], { maxBuffer: 64 << 20 }));
  if (cache.size < 4000) cache.set(key, out);
  return out;
}

/** espeak-ng speech, resampled to FS by SoX. */
function speech(text: string, voice: string, speed: number, pitch: number): Float64Array {
  const wav = execFileSync('espeak-ng', ['--stdout', '-v', voice, '-s', String(Math.round(speed)), '-p', String(Math.round(pitch)), text], { maxBuffer: 64 << 20 });
  return float64(execFileSync('sox', ['-R', '-V1', '-t', 'wav', '-', ...RAW, '-'], { input: wav, maxBuffer: 64 << 20 }));
}

function place(out: Float64Array, x: Float64Array, at: number, gain = 1): void {
  const from = Math.max(0, Math.round(at));
  for (let i = 0; i < x.length && from + i < out.length; i++) out[from + i] = (out[from + i] as number) + (x[i] as number) * gain;
}

const midi = (n: number): number => 440 * 2 ** ((n - 69) / 12);
const seconds = (t: number): number => t * FS;

/** Pop, dance or folk accompaniment: drums, bass, chords, a melody; tempo, key and instruments vary. */
function music(rng: Rng): Float64Array {
  const out = new Float64Array(LENGTH);
  const bpm = rng.uniform(80, 140);
  const beat = 60 / bpm;
  const root = rng.int(45, 57);
  const progressions = [[0, 7, 9, 5], [0, 5, 7, 0], [9, 5, 0, 7], [0, 9, 5, 7]];
  const prog = rng.pick(progressions);
  const drums = rng.uniform(0, 1) < 0.8;
  const bass = rng.uniform(0, 1) < 0.85;
  const chordVoice = rng.pick(['pluck', 'pluck', 'square', 'triangle']);
  const melodyVoice = rng.pick(['pluck', 'sine', 'triangle', 'sawtooth']);
  const pentatonic = [0, 2, 4, 7, 9, 12, 14, 16];
  const start = -rng.uniform(0, 4 * beat);
  for (let b = 0; start + b * beat < LENGTH / FS; b++) {
    const t = start + b * beat;
    const bar = Math.floor(b / 4);
    const chordRoot = root + (prog[bar % 4] as number);
    const minor = (prog[bar % 4] as number) === 9;
    if (b % 4 === 0 || (chordVoice !== 'pluck' && b % 2 === 0)) {
      const len = chordVoice === 'pluck' ? 4 * beat : 2 * beat;
      for (const iv of [12, minor ? 15 : 16, 19]) {
        const note = sox(Number(len.toFixed(2)), [chordVoice, midi(chordRoot + iv).toFixed(2)], ['fade', '0.01', len.toFixed(2), (len * 0.6).toFixed(2), 'gain', '-12']);
        place(out, note, seconds(t));
      }
    }
    if (bass && b % 2 === 0) {
      const note = sox(Number((2 * beat).toFixed(2)), ['square', midi(chordRoot - 12 + (b % 4 === 2 ? 7 : 0)).toFixed(2)], ['lowpass', '250', 'fade', '0.005', (2 * beat).toFixed(2), (beat * 0.5).toFixed(2), 'gain', '-3']);
      place(out, note, seconds(t));
    }
    if (drums) {
      if (b % 2 === 0) place(out, sox(0.3, ['sine', '130:45'], ['fade', '0', '0.3', '0.25', 'gain', '2']), seconds(t));
      else place(out, sox(0.2, ['noise'], ['highpass', '1200', 'fade', '0', '0.2', '0.18', 'gain', '-6']), seconds(t));
      for (const half of [0, 0.5]) place(out, sox(0.05, ['noise'], ['highpass', '7000', 'fade', '0', '0.05', '0.045', 'gain', '-14']), seconds(t + half * beat));
    }
    if (rng.uniform(0, 1) < 0.7) {
      const len = beat * rng.pick([0.5, 1, 1, 2]);
      const note = sox(Number(len.toFixed(2)), [melodyVoice, midi(root + 24 + rng.pick(pentatonic)).toFixed(2)], ['fade', '0.01', len.toFixed(2), (len * 0.3).toFixed(2), 'gain', '-9']);
      place(out, note, seconds(t));
    }
  }
  return out;
}

const SENTENCES = [
  'Shall we meet by the lake after dinner tonight',
  'The children are playing near the bridge again',
  'I think it is going to rain later this afternoon',
  'Have you tried the new noodle shop on the corner',
  'My grandmother walks here every single morning',
  'Look at the boats, there are so many of them today',
  'We should go home before it gets too dark',
  'The tickets for the concert sold out in an hour',
  'Nǐ hǎo, jīntiān tiānqì zhēn hǎo',
  'Wǒmen qù gōngyuán sànbù ba',
  'Wie spät ist es eigentlich schon',
  'On se retrouve devant la fontaine',
  'Vamos a caminar un poco más',
];
const VOICES = ['en', 'en-us', 'en-gb-x-rp', 'cmn', 'de', 'fr', 'es'];
const VARIANTS = ['', '+m1', '+m2', '+m3', '+m4', '+f1', '+f2', '+f3', '+f4', '+f5'];

/** One talker or a conversation, or a chattering group: 1–6 voices at different distances. */
function voices(rng: Rng): Float64Array {
  const out = new Float64Array(LENGTH);
  const talkers = rng.pick([1, 1, 2, 2, 3, 4, 6]);
  for (let k = 0; k < talkers; k++) {
    const voice = `${rng.pick(VOICES)}${rng.pick(VARIANTS)}`;
    const speed = rng.uniform(130, 190);
    const pitch = rng.uniform(25, 75);
    const gain = 10 ** (rng.uniform(-8, 0) / 20);
    let t = rng.uniform(-2, 1.5);
    while (t < LENGTH / FS) {
      const s = speech(rng.pick(SENTENCES), voice, speed, pitch);
      place(out, s, seconds(t), gain);
      t += s.length / FS + rng.uniform(0.2, talkers > 2 ? 1 : 2.5);
    }
  }
  return out;
}

/** A road or street: vehicles passing (tyre and engine noise under a pass-by envelope) over a distant hum. */
function traffic(rng: Rng): Float64Array {
  const out = new Float64Array(LENGTH);
  const total = LENGTH / FS;
  const hum = sox(Number(total.toFixed(2)), ['brownnoise'], ['lowpass', String(Math.round(rng.uniform(300, 700))), 'gain', '-10']);
  place(out, hum, 0, 10 ** (rng.uniform(-12, -4) / 20));
  const vehicles = rng.int(2, 10);
  for (let v = 0; v < vehicles; v++) {
    const peak = rng.uniform(-1, total + 1);
    const width = rng.uniform(0.8, 3);
    const tyre = sox(Number(total.toFixed(2)), [rng.pick(['pinknoise', 'brownnoise'])], ['lowpass', String(Math.round(rng.uniform(1200, 3500))), 'highpass', '40']);
    const engine = sox(Number(total.toFixed(2)), ['sawtooth', rng.uniform(25, 90).toFixed(1)], ['lowpass', '500', 'gain', '-8']);
    const gain = 10 ** (rng.uniform(-10, 0) / 20);
    const engineGain = rng.uniform(0, 1) < 0.7 ? rng.uniform(0.3, 1) : 0;
    for (let i = 0; i < out.length; i++) {
      const env = Math.exp(-(((i / FS - peak) / width) ** 2));
      out[i] = (out[i] as number) + gain * env * ((tyre[i] ?? 0) + engineGain * (engine[i] ?? 0));
    }
  }
  return out;
}

/** A building site: hammering, a breaker or a grinder, with a diesel engine running. */
function construction(rng: Rng): Float64Array {
  const out = new Float64Array(LENGTH);
  const total = LENGTH / FS;
  const engine = sox(Number(total.toFixed(2)), ['sawtooth', rng.uniform(25, 45).toFixed(1)], ['lowpass', '600', 'gain', '-10']);
  place(out, engine, 0, rng.uniform(0, 1) < 0.6 ? 1 : 0);
  const tool = rng.pick(['hammer', 'hammer', 'breaker', 'grinder', 'saw']);
  if (tool === 'hammer') {
    const strike = sox(0.08, ['noise'], ['bandpass', String(Math.round(rng.uniform(1500, 3500))), '1500', 'fade', '0', '0.08', '0.075', 'gain', '6']);
    const ring = sox(0.3, ['pluck', rng.uniform(900, 2500).toFixed(0)], ['fade', '0', '0.3', '0.28', 'gain', '-4']);
    const rate = rng.uniform(1.2, 4);
    for (let t = rng.uniform(0, 0.5); t < total; t += (1 / rate) * rng.uniform(0.7, 1.3)) {
      place(out, strike, seconds(t));
      place(out, ring, seconds(t));
      if (rng.uniform(0, 1) < 0.15) t += rng.uniform(0.5, 2);
    }
  } else if (tool === 'breaker') {
    const noise = sox(Number(total.toFixed(2)), ['noise'], ['bandpass', '1800', '2500']);
    const rate = rng.uniform(15, 28);
    const on = rng.uniform(2, 6);
    const offAt = rng.uniform(0, total);
    for (let i = 0; i < out.length; i++) {
      const t = i / FS;
      const active = t < offAt || t > offAt + (total - on);
      const gate = active ? Math.max(0, Math.sin(2 * Math.PI * rate * t)) ** 4 : 0;
      out[i] = (out[i] as number) + 3 * gate * (noise[i] ?? 0);
    }
  } else {
    const whine = sox(Number(total.toFixed(2)), ['sine', rng.uniform(2500, 5500).toFixed(0)], ['gain', '-6']);
    const hiss = sox(Number(total.toFixed(2)), ['noise'], ['bandpass', tool === 'saw' ? '1500' : '5000', tool === 'saw' ? '2000' : '4000']);
    const bite = rng.uniform(0.5, 2);
    for (let i = 0; i < out.length; i++) {
      const t = i / FS;
      const load = 0.6 + 0.4 * Math.sin(2 * Math.PI * t / (3 * bite)) ** 2;
      out[i] = (out[i] as number) + load * ((whine[i] ?? 0) + 1.5 * (hiss[i] ?? 0));
    }
  }
  return out;
}

/** Other sounds of a park or riverbank: a siren, dogs, birdsong, bells. */
function other(rng: Rng): Float64Array {
  const out = new Float64Array(LENGTH);
  const total = LENGTH / FS;
  const kind = rng.pick(['siren', 'dogs', 'birds', 'bells']);
  if (kind === 'siren') {
    const lo = rng.uniform(550, 750);
    const hi = rng.uniform(1300, 1700);
    const half = rng.uniform(0.4, 1.6);
    const up = sox(Number(half.toFixed(2)), ['sine', `${lo.toFixed(0)}:${hi.toFixed(0)}`]);
    const down = sox(Number(half.toFixed(2)), ['sine', `${hi.toFixed(0)}:${lo.toFixed(0)}`]);
    for (let t = -rng.uniform(0, 2 * half); t < total; t += 2 * half) {
      place(out, up, seconds(t));
      place(out, down, seconds(t + half));
    }
  } else if (kind === 'dogs') {
    for (let t = rng.uniform(0, 1); t < total; t += rng.uniform(0.3, 2.5)) {
      const bark = sox(0.18, ['sawtooth', rng.uniform(350, 700).toFixed(0)], ['bandpass', '900', '800', 'fade', '0.01', '0.18', '0.12', 'gain', '4']);
      place(out, bark, seconds(t));
    }
  } else if (kind === 'birds') {
    for (let t = rng.uniform(0, 0.5); t < total; t += rng.uniform(0.1, 0.8)) {
      const f = rng.uniform(2500, 6000);
      const chirp = sox(Number(rng.uniform(0.05, 0.2).toFixed(2)), ['sine', `${f.toFixed(0)}:${(f * rng.uniform(0.7, 1.4)).toFixed(0)}`], ['fade', '0.01', '0', '0.03']);
      place(out, chirp, seconds(t), rng.uniform(0.3, 1));
    }
  } else {
    const bell = sox(4, ['pluck', rng.uniform(400, 1200).toFixed(0)], ['fade', '0', '4', '3.9']);
    for (let t = rng.uniform(0, 1); t < total; t += rng.uniform(1, 3)) place(out, bell, seconds(t));
  }
  return out;
}

/** Park or riverside ambience: leaves and water (pink and brown noise, slowly swelling), far-off hum. */
function ambience(rng: Rng): Float64Array {
  const out = new Float64Array(LENGTH);
  const total = Number((LENGTH / FS).toFixed(2));
  const wind = sox(total, ['pinknoise'], ['lowpass', String(Math.round(rng.uniform(600, 2500))), 'highpass', '30']);
  const rumble = sox(total, ['brownnoise'], ['lowpass', '200']);
  const leaves = sox(total, ['pinknoise'], ['highpass', '2500', 'gain', '-12']);
  const swell = rng.uniform(2, 8);
  const phase = rng.uniform(0, 2 * Math.PI);
  for (let i = 0; i < out.length; i++) {
    const env = 1 + 0.4 * Math.sin((2 * Math.PI * i) / FS / swell + phase);
    out[i] = env * ((wind[i] ?? 0) + 0.6 * (rumble[i] ?? 0) + (leaves[i] ?? 0));
  }
  return out;
}

const SCENES: Record<Exclude<NoiseClass, 'background'>, (rng: Rng) => Float64Array> = { music, voices, traffic, construction, other };

/** A-weighted mean square over the metered seconds. */
function aPower(x: Float64Array): number {
  const a = aWeight(x);
  let s = 0;
  for (let i = METER_MARGIN; i < METER_MARGIN + SECONDS * FS; i++) s += (a[i] as number) ** 2;
  return s / (SECONDS * FS);
}

/** One scene of `cls` at window LAeq `laeq` (dB(A)), source over ambience by 5–25 dB, metered. */
export function externalWindow(cls: NoiseClass, laeq: number, rng: Rng) {
  const amb = ambience(rng);
  const target = P0 * P0 * 10 ** (laeq / 10);
  const x = new Float64Array(LENGTH);
  if (cls === 'background') {
    place(x, amb, 0, Math.sqrt(target / aPower(amb)));
  } else {
    const src = SCENES[cls](rng);
    const snr = rng.uniform(5, 25);
    const srcPower = target / (1 + 10 ** (-snr / 10));
    place(x, src, 0, Math.sqrt(srcPower / aPower(src)));
    place(x, amb, 0, Math.sqrt((target - srcPower) / aPower(amb)));
  }
  return meter(x, SECONDS);
}

export function externalScenes(seed: number, perClass: number): MeteredScene[] {
  return scenes(seed, perClass, externalWindow);
}
