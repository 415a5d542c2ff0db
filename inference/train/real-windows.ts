/**
 * Windows of the noise-window model made from real recordings (`real-sources.ts`): each scene is a
 * real recording (a stretch of a song; speech, hammering, engines, thunder… arranged into a scene)
 * played through a loudspeaker response, carried over a distance (air absorption, ground dip), picked
 * up by a microphone response over the park/riverside ambience of `simulator/audio.ts`, at levels set
 * relative to the day or night limit, and metered at 48 kHz by `simulator/sound-meter.ts` — the same
 * 1/3-octave filter bank as every other audio set. A recording is in exactly one split.
 *
 * Needs `sox` and the packages of `real-sources.ts` to build; the model and the platform never do.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES } from '../../simulator/spectra.js';
import { FS, P0, addInto, aWeight, biquad, onePole, white } from '../../simulator/audio-dsp.js';
import { ambience } from '../../simulator/audio.js';
import { METER_MARGIN, meter } from '../../simulator/sound-meter.js';
import { NOISE_WINDOW } from '../features/noise.js';
import { DATA_DIR } from './dataset-io.js';
import { cachedScenes, type MeteredScene } from './metered-scenes.js';
import { PACKAGES, locateSources, type SourceFile, type SourceGroup } from './real-sources.js';

/** Seconds metered per scene; windows end every `stride` seconds from the 10th. */
export const SCENE_S = 14;
/** Samples of a scene of `seconds` metered seconds (with the meter's margins). */
const samplesOf = (seconds: number): number => seconds * FS + 2 * METER_MARGIN;
const LENGTH = samplesOf(SCENE_S);
const FROM = METER_MARGIN;

export type Period = 'day' | 'night';
/** LAeq limits of the GB 3096-2008 zone classes 1–4 (dB(A)). */
const LIMITS: Record<Period, readonly number[]> = { day: [55, 60, 65, 70], night: [45, 50, 55, 55] };
/** Ambience of a park or riverbank (dB(A)). */
const AMBIENCE: Record<Period, [number, number]> = { day: [40, 52], night: [32, 44] };

const RAW = ['-t', 'raw', '-r', String(FS), '-e', 'floating-point', '-b', '32', '-c', '1', '-'];

function float64(buf: Buffer): Float64Array {
  return Float64Array.from(new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4)));
}

/** Decodes (part of) a file to mono float at FS through SoX, with extra effects. */
function decode(path: string, effects: readonly string[] = [], start?: number, seconds?: number): Float64Array {
  const trim = start === undefined ? [] : ['trim', start.toFixed(3), (seconds ?? 1).toFixed(3)];
  return float64(execFileSync('sox', ['-R', '-V1', path, ...RAW, ...trim, ...effects], { maxBuffer: 256 << 20 }));
}

function duration(path: string): number {
  return Number(execFileSync('soxi', ['-D', path], { encoding: 'utf8' }).trim());
}

const clipCache = new Map<string, Float64Array>();
function clip(file: SourceFile): Float64Array {
  const key = `${file.group.id}|${file.path}`;
  let x = clipCache.get(key);
  if (!x) {
    x = decode(file.path, file.group.effects);
    if (clipCache.size > 3000) clipCache.clear();
    clipCache.set(key, x);
  }
  return x;
}

const meanSquare = (x: Float64Array, from = FROM, to = x.length - METER_MARGIN): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2;
  return s / (to - from);
};
const dbAmp = (db: number): number => 10 ** (db / 20);

/** Clips of the pool placed one after another with pauses, from a random start. */
function sequence(pool: SourceFile[], rng: Rng, gap: [number, number], length = LENGTH): Float64Array {
  const out = new Float64Array(length);
  let at = -rng.uniform(0, 2) * FS;
  while (at < length) {
    const x = clip(rng.pick(pool));
    addInto(out, x, dbAmp(rng.uniform(-3, 3)), Math.round(at));
    at += x.length + rng.uniform(gap[0], gap[1]) * FS;
  }
  return out;
}

/** One recording repeated (short cross-fades) under the whole scene. */
function loop(x: Float64Array, rng: Rng, length = LENGTH): Float64Array {
  const out = new Float64Array(length);
  if (x.length < FS / 10) return out;
  const fade = Math.min(Math.round(0.05 * FS), Math.floor(x.length / 4));
  let at = -rng.int(0, x.length - 1);
  while (at < length) {
    for (let i = 0; i < x.length; i++) {
      const j = at + i;
      if (j < 0 || j >= length) continue;
      const g = Math.min(1, (i + 1) / fade, (x.length - i) / fade);
      out[j] = (out[j] as number) + g * (x[i] as number);
    }
    at += x.length - fade;
  }
  return out;
}

/** 1–4 pass-bys of a looped vehicle recording: 1/r amplitude on a straight path. */
function passBy(x: Float64Array, rng: Rng, aircraft: boolean, seconds = SCENE_S): Float64Array {
  const length = samplesOf(seconds);
  const out = new Float64Array(length);
  const n = aircraft ? 1 : rng.int(1, 4);
  for (let k = 0; k < n; k++) {
    const src = loop(x, rng, length);
    const d0 = aircraft ? rng.uniform(60, 300) : rng.uniform(8, 60);
    const v = aircraft ? rng.uniform(20, 70) : rng.uniform(6, 25);
    const t0 = rng.uniform(-4, seconds + 4) + METER_MARGIN / FS;
    for (let i = 0; i < length; i++) {
      const r = Math.hypot(d0, v * (i / FS - t0));
      out[i] = (out[i] as number) + (src[i] as number) * (d0 / r);
    }
  }
  return out;
}

/** 1–6 talkers at once (a conversation, a group, a crowd), each taking turns with pauses. */
function talk(pool: SourceFile[], rng: Rng, length = LENGTH): Float64Array {
  const out = new Float64Array(length);
  const talkers = rng.pick([1, 1, 2, 2, 3, 4, 6]);
  for (let k = 0; k < talkers; k++) addInto(out, sequence(pool, rng, [0.2, 1.5], length), dbAmp(rng.uniform(-5, 5)));
  return out;
}

/**
 * The path from the source to the meter: a loudspeaker (always for music, half of the other sources:
 * they reach the held-back sets through loudspeakers too), the distance (air absorption, ground dip)
 * and the microphone's response.
 */
export function soundPath(x: Float64Array, rng: Rng, speaker: boolean): Float64Array {
  if (speaker) {
    biquad(x, 'highpass', rng.uniform(45, 150), 0.7);
    biquad(x, 'lowpass', rng.uniform(5000, 16000), 0.7);
    biquad(x, 'peak', rng.uniform(800, 4000), 1, rng.uniform(-4, 4));
  }
  const distance = rng.uniform(5, 100);
  onePole(x, Math.max(3000, 20000 - 170 * distance));
  if (rng.next() < 0.5) biquad(x, 'peak', rng.uniform(200, 800), 1.5, -rng.uniform(0, 8));
  biquad(x, 'highpass', rng.uniform(10, 30), 0.7);
  return biquad(x, 'peak', rng.uniform(3000, 10000), 1, rng.uniform(-3, 3));
}

export interface RealOptions {
  split: 'train' | 'test';
  /** Music: stretches per recording; other sources: scenes per source. */
  musicSegments: number;
  scenesPerSource: number;
  /** At most this many recordings of each music source (evenly spread over its files); all when absent. */
  maxTracks?: number;
  stride: number;
  /** [k, n]: only every n-th source from the k-th (several processes fill the scene cache side by side). */
  shard?: [number, number];
  /**
   * Whole cases instead of windows (`real-cases.ts`): scenes of this many seconds, each tagged
   * `<source>|<day|night>|<file>|<limit>|<source level>` (the zone's LAeq limit and the source's level, dB(A)).
   */
  caseS?: number;
  log?: (msg: string) => void;
}

/**
 * Scenes of every source of `split`, metered, with the readings their windows end at (tag per scene:
 * `<source>|<day|night>|<file>`). Each source draws from its own random stream (the seed and its id)
 * and its scenes are cached on their own (`metered-scenes.ts`, keyed by the source's definition and
 * files), so adding or changing one source leaves the others' scenes as they were.
 */
export function realScenes(seed: number, opts: RealOptions & { sources: readonly string[] }): MeteredScene[] {
  const { files, versions } = locateSources(opts.log);
  // The packages, versions and licences the data came from (train.py copies them into the card).
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(join(DATA_DIR, 'noise-window-real-sources.json'), JSON.stringify(PACKAGES.map((p) => ({ ...p, version: versions[p.name] ?? null })), null, 2) + '\n');
  const out: MeteredScene[] = [];
  const ids = [...new Set(files.map((f) => f.group.id))];
  for (const id of ids) {
    const all = files.filter((f) => f.group.id === id && f.split === opts.split);
    if (all.length === 0) continue;
    const group = (all[0] as SourceFile).group;
    // At most `maxTracks` recordings of a music source, spread over its (sorted) files.
    const cap = group.kind === 'track' && opts.maxTracks !== undefined ? opts.maxTracks : all.length;
    const pool = all.length <= cap ? all : Array.from({ length: cap }, (_, i) => all[Math.floor((i * all.length) / cap)] as SourceFile);
    const groupSeed = seed + (createHash('sha256').update(id).digest().readUInt32LE(0) % 1_000_000_007);
    if (opts.shard && ids.indexOf(id) % opts.shard[1] !== opts.shard[0]) continue;
    const params = {
      split: opts.split, stride: opts.stride, ...(group.kind === 'track' ? { musicSegments: opts.musicSegments } : { scenesPerSource: opts.scenesPerSource }),
      group: { ...group, match: String(group.match) }, files: pool.map((f) => f.path),
      versions: Object.fromEntries([group.package].map((n) => [n, versions[n] ?? null])),
    };
    const name = opts.caseS === undefined ? `noise-real-${opts.split}-${seed}-${id}` : `noise-case-${opts.caseS}s-${opts.split}-${seed}-${id}`;
    const scenes = cachedScenes({ name, seed: groupSeed, sources: opts.sources, params }, () => groupScenes(groupSeed, group, pool, opts));
    out.push(...scenes);
    opts.log?.(`  real audio ${opts.split}: ${id} done (${scenes.length} scenes, ${out.length} in all)`);
  }
  return out;
}

/** The scenes of one source. */
function groupScenes(seed: number, group: SourceGroup, pool: SourceFile[], opts: RealOptions): MeteredScene[] {
  const rng = new Rng(seed);
  const out: MeteredScene[] = [];
  const seconds = opts.caseS ?? SCENE_S;
  const length = samplesOf(seconds);
  const scene = (src: Float64Array, file: SourceFile): void => {
    if (meanSquare(src) < 1e-12) return; // silence: not a scene
    const period: Period = rng.next() < 0.5 ? 'day' : 'night';
    const limit = rng.pick(LIMITS[period]);
    const ambLevel = rng.uniform(...AMBIENCE[period]);
    const srcLevel = Math.max(ambLevel + 3, limit + rng.uniform(-5, 15));
    const speaker = file.group.cls === 'music' || rng.next() < 0.5;
    const path = soundPath(src, rng, speaker);
    const p2 = (level: number): number => P0 * P0 * 10 ** (level / 10);
    const x = ambience(rng, length);
    const gAmb = Math.sqrt(p2(ambLevel) / meanSquare(aWeight(x)));
    for (let i = 0; i < length; i++) x[i] = (x[i] as number) * gAmb;
    addInto(x, path, Math.sqrt(p2(srcLevel) / Math.max(1e-30, meanSquare(aWeight(path)))));
    addInto(x, white(rng, length), P0 * dbAmp(10));
    const frames = meter(x, seconds);
    const ends: number[] = [];
    for (let end = NOISE_WINDOW - 1 + rng.int(0, opts.stride - 1); end < seconds; end += opts.stride) ends.push(end);
    const tag = `${file.group.id}|${period}|${file.path.split('/').pop() ?? ''}`;
    out.push({ frames, label: NOISE_CLASSES.indexOf(file.group.cls), ends, tag: opts.caseS === undefined ? tag : `${tag}|${limit}|${srcLevel.toFixed(1)}` });
  };
  if (group.kind === 'track') {
    for (const file of pool) {
      const total = duration(file.path);
      for (let s = 0; s < opts.musicSegments; s++) {
        const span = length / FS + 0.1;
        if (total < span + 1) continue;
        const start = (total - span) * (0.15 + (0.7 * (s + rng.next())) / opts.musicSegments);
        const x = decode(file.path, group.effects, start, span);
        if (x.length < length) continue;
        scene(x.subarray(0, length).slice(), file);
      }
    }
  } else {
    for (let s = 0; s < opts.scenesPerSource; s++) {
      const file = rng.pick(pool);
      const x =
        group.kind === 'talk' ? talk(pool, rng, length)
        : group.kind === 'clips' ? sequence(pool, rng, group.cls === 'construction' ? [0.05, 1.5] : [0.3, 4], length)
        : group.kind === 'loop' ? loop(clip(file), rng, length)
        : passBy(clip(file), rng, /aircraft|helicopter/.test(group.id), seconds);
      scene(x, file);
    }
  }
  return out;
}
