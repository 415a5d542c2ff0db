/**
 * `npm run models:noise-cases [-- --seconds S --per-source N --music-segments K --dump FILE --split train --models DIR --shard k/n]`: the noise detector on whole cases of
 * the real held-out recordings, as the platform meets them: each case is one sound level meter
 * sending 1-second readings for S seconds (default 90) of one held-out source (`real-windows.ts`,
 * split `test`: the same loudspeaker, distance, microphone and ambience variations as the card's
 * real held-out windows, at levels around the zone's day or night limit), replayed reading by reading
 * through the real NoisePipeline (model, smoothing, music hysteresis, the limit in force, the minimum
 * duration) with the platform's default settings and the committed model.
 *
 * A music case whose source stands at least 3 dB over the limit should raise an alert; music less
 * than 3 dB over it (down to 5 dB under) is left out (the meter, not the model, decides those); a
 * case of any other source must raise none. Prints precision and recall of music per period and per source, for the
 * thresholds 0.6 to 0.9 and the card's `music.on`. `--music-segments K` cuts K cases from each music
 * recording (default 1); `--dump FILE` writes each case at the card's threshold with its readings' P(music),
 * LAeq, LAmax and the limit, for trying decision rules without scoring again; `--split train` plays the
 * training recordings instead (to choose a rule without looking at the held-out ones); `--models DIR` scores
 * the model and card in DIR (a recipe tried with `train.py --out DIR`) instead of the committed one;
 * `--shard k/n` only meters and caches every n-th source's cases (several processes side by side), scoring none.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { NoisePayload } from '../../contract/mqtt/telemetry.js';
import { loadConfig } from '../../core/config.js';
import { NOISE_LIMITS, NOISE_ZONE_CLASSES } from '../../core/domain/noise-limits.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { NOISE_CLASSES } from '../../simulator/spectra.js';
import { NOISE_WINDOW_FEATURE_COUNT } from '../features/noise.js';
import { OnnxModel } from '../onnx-model.js';
import { NoisePipeline } from '../pipelines/noise.js';
import { MODELS_DIR } from './dataset-io.js';
import type { MeteredScene } from './metered-scenes.js';
import { realScenes } from './real-windows.js';
import { REAL_GROUP_SCENES, REAL_HELD_OUT } from './recipes-noise.js';
import { context, sceneDetector } from './scenes.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const SECONDS = arg('--seconds', 90);
const PER_SOURCE = arg('--per-source', 4);
const MUSIC_SEGMENTS = arg('--music-segments', 1);
const SPLIT = process.argv.includes('--split') && process.argv[process.argv.indexOf('--split') + 1] === 'train' ? 'train' : 'test';
const DUMP = process.argv.includes('--dump') ? process.argv[process.argv.indexOf('--dump') + 1] : undefined;
const MODELS = process.argv.includes('--models') ? resolve(process.argv[process.argv.indexOf('--models') + 1] ?? '') : MODELS_DIR;
/** `--shard k/n`: only meter (and cache) every n-th source's cases from the k-th, so several processes fill the cache side by side; no scoring. */
const SHARD = ((m) => (m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined))(/^(\d+)\/(\d+)$/.exec(process.argv.includes('--shard') ? (process.argv[process.argv.indexOf('--shard') + 1] ?? '') : ''));
const MUSIC = NOISE_CLASSES.indexOf('music');
/** 2026-07-05 14:00 and 23:00 in Shanghai. */
const START = { day: Date.UTC(2026, 6, 5, 6, 0), night: Date.UTC(2026, 6, 5, 15, 0) };

interface ReplayedCase {
  source: string;
  period: 'day' | 'night';
  music: boolean;
  /** The source's level over the limit, dB. */
  over: number;
  alerted: boolean;
  /** P(music), LAeq and LAmax of each reading, and the zone's limit (for `--dump`). */
  pMusic: number[];
  laeq: number[];
  lamax: number[];
  limit: number;
}

/** The zone class whose limit for `period` is `limit`. */
function zoneClass(period: 'day' | 'night', limit: number): string {
  const cls = NOISE_ZONE_CLASSES.find((c) => NOISE_LIMITS[c][period] === limit);
  if (!cls) throw new Error(`no zone class has a ${period} limit of ${limit} dB(A)`);
  return cls;
}

async function replay(model: OnnxModel, scenes: readonly MeteredScene[], thresholds: Record<string, number>): Promise<ReplayedCase[]> {
  const config = loadConfig({});
  const { scorer, slot } = sceneDetector(model, NOISE_WINDOW_FEATURE_COUNT, thresholds);
  return Promise.all(scenes.map(async (scene, k) => {
    const [source = '', period, , limit = '0', level = '0'] = (scene.tag ?? '').split('|');
    const p = period === 'night' ? 'night' : 'day';
    const alerts: Alert[] = [];
    const pMusic: number[] = [];
    const recording = { score: async (x: Float32Array) => { const s = await scorer.score(x); pMusic.push(s.active[MUSIC] ?? 0); return s; } };
    const pipeline = new NoisePipeline(recording, () => slot, { ...config.noise, smoothing: config.inference.noiseSmoothing }, context(alerts));
    const device = {
      id: `meter-${k}`, kind: 'sound_level_meter', zoneId: `zone-${k}`, noiseClass: zoneClass(p, Number(limit)), timezone: 'Asia/Shanghai', capacity: null,
      fishingBan: false, hasSpeaker: false, calibrationValidUntil: null, placementPublished: true,
    } as DeviceContext;
    for (const [i, f] of scene.frames.entries()) {
      await pipeline.onReading(device, new Date(START[p] + i * 1000), { bands: f.bands, laeq: f.laeq, lamax: f.lamax } as NoisePayload);
    }
    return {
      source, period: p, music: scene.label === MUSIC, over: Number(level) - Number(limit), alerted: alerts.length > 0,
      pMusic, laeq: scene.frames.map((f) => f.laeq), lamax: scene.frames.map((f) => f.lamax), limit: Number(limit),
    };
  }));
}

function figures(cases: readonly ReplayedCase[]): { tp: number; fp: number; fn: number; text: string } {
  const tp = cases.filter((c) => c.music && c.over >= 3 && c.alerted).length;
  const fn = cases.filter((c) => c.music && c.over >= 3 && !c.alerted).length;
  const fp = cases.filter((c) => !c.music && c.alerted).length;
  const p = tp + fp ? tp / (tp + fp) : 0;
  const r = tp + fn ? tp / (tp + fn) : 0;
  return { tp, fp, fn, text: `P ${p.toFixed(3)} R ${r.toFixed(3)} F1 ${(p + r ? (2 * p * r) / (p + r) : 0).toFixed(3)} (tp ${tp}, fp ${fp}, fn ${fn})` };
}

const scenes = realScenes(REAL_HELD_OUT.seed, {
  split: SPLIT, musicSegments: MUSIC_SEGMENTS, scenesPerSource: PER_SOURCE, maxTracks: PER_SOURCE, stride: SECONDS, caseS: SECONDS,
  sources: REAL_GROUP_SCENES, log: (m) => console.error(m), ...(SHARD ? { shard: SHARD } : {}),
});
if (SHARD) {
  console.log(`cases of every ${SHARD[1]}-th source from the ${SHARD[0]}-th metered and cached; a run without --shard scores them all`);
  process.exit(0);
}
const model = await OnnxModel.load(MODELS, 'noise-window', NOISE_WINDOW_FEATURE_COUNT);
try {
  const on = model.card.thresholds['music.on'] ?? 0.6;
  const music = scenes.filter((s) => s.label === MUSIC).length;
  console.log(`noise-window@${model.card.version}${MODELS === MODELS_DIR ? '' : ` (${MODELS})`}: ${scenes.length} cases of ${SECONDS} s from the real ${SPLIT === 'test' ? 'held-out' : 'training'} recordings (${music} music), platform defaults`);
  for (const threshold of [...new Set([0.6, 0.7, 0.8, 0.9, on])].sort()) {
    const cases = await replay(model, scenes, { 'music.on': threshold, 'music.off': Math.min(model.card.thresholds['music.off'] ?? 0.4, threshold) });
    const left = cases.filter((c) => c.music && c.over < 3).length;
    console.log(`music.on ${threshold}${threshold === on ? ' (in force)' : ''}: all ${figures(cases).text}; day ${figures(cases.filter((c) => c.period === 'day')).text}; night ${figures(cases.filter((c) => c.period === 'night')).text}; ${left} music cases within 3 dB of the limit or under it left out`);
    if (DUMP && threshold === on) writeFileSync(DUMP, JSON.stringify(cases));
    if (threshold !== on) continue;
    for (const source of [...new Set(cases.map((c) => c.source))].sort()) {
      const own = cases.filter((c) => c.source === source);
      const judged = own.filter((c) => !c.music || c.over >= 3);
      console.log(`  ${source.padEnd(20)} ${own[0]?.music ? 'music' : 'other'}  cases ${String(own.length).padStart(2)}  judged ${String(judged.length).padStart(2)}  alerted ${judged.filter((c) => c.alerted).length}`);
    }
  }
} finally {
  await model.close();
}
