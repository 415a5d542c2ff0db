/**
 * `npm run models:report [model ...] [--write]`: for the fishing and crowding models,
 * - the reliability curve (predicted vs observed) and the precision / recall of each decision threshold
 *   on the card's held-out data, for every enforced label;
 * - the whole detector (pipeline + model + rules) on scenes from the independent generator
 *   simulator/field/ (never used for training; evaluation seeds below, tuning looked only at others),
 *   at the card's thresholds and at others.
 * `--tuning` runs the scenes on the tuning seeds instead (what thresholds and rules were chosen on;
 * never written to a card).
 * Prints them, and with `--write` stores them in the cards (`calibration`, `scenes`); `npm run
 * models:train` runs it after training so every card carries them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Calibration, ModelCard, SceneEvaluation } from '../../contract/model-card.js';
import { calibration } from './metrics.js';
import { OnnxModel } from '../onnx-model.js';
import { MODELS_DIR, loadOrBuild } from './dataset-io.js';
import { fishingModel } from './recipes-fishing.js';
import { crowdingModel } from './recipes-crowding.js';
import { crowdingOnDays, FIELD_EVAL_CROWDING, FIELD_TUNING_CROWDING, FIELD_TUNING_FISHING, FISHING_RULES, fishingOnScenes } from './scenes.js';
import type { ModelSpec } from './model-spec.js';

/** Evaluation seeds of the independent scenes; any tuning used FIELD_TUNING_* instead. */
export const FIELD_EVAL_FISHING = { from: 5_100_000, count: 60 };
export const FIELD_TUNING = 'tuning looked only at seeds 6,100,000+ (scenes) and 6,200,000+ (days)';
const tuning = process.argv.includes('--tuning');
const SWEEP = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const seeds = (s: { from: number; count: number }) => Array.from({ length: s.count }, (_, i) => s.from + i);

async function heldOutCalibration(spec: ModelSpec, model: OnnxModel, labels: readonly string[]): Promise<Calibration[]> {
  const set = loadOrBuild(spec.data.heldOut, { write: false });
  const probs = await model.run(set.features, set.samples);
  const k = model.card.labels.length;
  return labels.map((label) => {
    const j = model.labelIndex(label);
    const p = Float64Array.from({ length: set.samples }, (_, i) => probs[i * k + j] as number);
    const truth = Uint8Array.from({ length: set.samples }, (_, i) => (spec.data.heldOut.multiLabel ? set.labels[i * k + j] : set.labels[i] === j ? 1 : 0) as number);
    const inForce = model.card.thresholds[`${label}.on`];
    return { ...calibration(label, 'heldOut', p, truth), ...(inForce === undefined ? {} : { inForce }) };
  });
}

async function fishingScenes(model: OnnxModel): Promise<SceneEvaluation> {
  const s = seeds(tuning ? FIELD_TUNING_FISHING : FIELD_EVAL_FISHING);
  const th = model.card.thresholds;
  const sweep = [];
  let at: Awaited<ReturnType<typeof fishingOnScenes>> | null = null;
  for (const on of SWEEP) {
    const off = Math.min(on, th['fishing.off'] ?? 0.4);
    const r = await fishingOnScenes(model, fishingModel.featureCount, s, { 'fishing.on': on, 'fishing.off': off });
    if (on === th['fishing.on'] && off === th['fishing.off']) at = r; // the card's own thresholds: the same run
    sweep.push({ 'fishing.on': on, precision: r3(r.precision), recall: r3(r.recall), f1: r3(r.f1) });
  }
  at ??= await fishingOnScenes(model, fishingModel.featureCount, s);
  return {
    description:
      `${at.scenes} riverbank camera scenes (${at.tracks} tracks, fragments with under 5 min of fishing left out) from the independent generator: rod anglers, anglers who pack up and return, ` +
      'cast-net and dip-net fishers, night anglers with head torches; people at the water holding umbrellas, tripods or selfie sticks, photographers, boat crews, walkers, sitters. ' +
      `Each scene replayed as one camera (no loudspeaker: a confirmed episode is the alert) through FishingPipeline at the card thresholds and FISHING_MIN_DURATION_S ${FISHING_RULES.minDurationS}; a track is a true positive when it fished at least 5 minutes and an alert lists it (evidence.trackIds: a new track that continued a lost one by track continuity is listed with it) or it continued a person's alerted episode still running.`,
    generator: 'simulator/field/tracks.ts, simulator/field/prng.ts',
    seeds: `${FIELD_EVAL_FISHING.from}-${FIELD_EVAL_FISHING.from + FIELD_EVAL_FISHING.count - 1}; ${FIELD_TUNING}`,
    command: 'npm run models:report fishing',
    figures: { precision: r3(at.precision), recall: r3(at.recall), f1: r3(at.f1), tracks: at.tracks, truePositives: at.tp, falsePositives: at.fp, falseNegatives: at.fn },
    breakdown: at.breakdown,
    thresholds: sweep,
    targets: { f1: `>= 0.9: ${at.f1 >= 0.9 ? 'met' : 'NOT met'}` },
  };
}

async function crowdingScenes(model: OnnxModel): Promise<SceneEvaluation> {
  const s = seeds(tuning ? FIELD_TUNING_CROWDING : FIELD_EVAL_CROWDING);
  const th = model.card.thresholds;
  const sweep = [];
  let at: Awaited<ReturnType<typeof crowdingOnDays>> | null = null;
  for (const on of SWEEP) {
    const off = Math.min(on, th['exceed_15m.off'] ?? 0.4);
    const r = await crowdingOnDays(model, crowdingModel.featureCount, s, { 'exceed_15m.on': on, 'exceed_15m.off': off });
    if (on === th['exceed_15m.on'] && off === th['exceed_15m.off']) at = r; // the card's own thresholds: the same run
    sweep.push({ 'exceed_15m.on': on, warnedInTime: r3(r.warnedInTime / r.exceeding), leadMedianMin: r.leadMedianMin, falseAlarmRate: r3(r.underAlerted / r.under), nearMissAlarmRate: r3(r.nearMissAlerted / r.nearMiss) });
  }
  at ??= await crowdingOnDays(model, crowdingModel.featureCount, s);
  const warned = at.warnedInTime / at.exceeding;
  const falseRate = at.underAlerted / at.under;
  return {
    description:
      `${at.days} zone days 08:00-22:00 from the independent generator (ordinary days, days peaking at 87-93 % of capacity, days over capacity, days pushed over by surges; ` +
      '1-3 counters per zone reporting every 30 or 60 s with drop-outs of 3-25 min, double counting x1.4-1.9 and zero glitches), capacity 80-2,500, replayed reading by reading through ' +
      'CrowdingPipeline with the default PEOPLE_COUNTER_MAX_AGE_S / _WAIT_S / _IMPUTE_S / CROWDING_MIN_HISTORY_MIN and the card\'s thresholds (exceed_15m.hold included; the sweep varies exceed_15m.on only), whole days. Truth is the occupancy, not a counter. ' +
      'Since 2026-12-03 a surge day has one scale for the whole day (before, a scale drawn per minute made its occupancy jump by up to 15 % of itself from minute to minute). ' +
      'A day over capacity is warned in time when an alert was in force at the close of the last minute under capacity (raised at or before it, its episode not ended since); ' +
      'lead: minutes from that alert to the first minute over capacity (lead 0: the alert came with the close of the last minute under capacity, so it is issued as the crowd passes capacity). ' +
      'An earlier alert that ended does not count (earlyAlertEndedBefore). Unforeseeable: days whose occupancy gained >= 5 % of capacity in the crossing minute after < 1 % the minute before ' +
      '(the first minute of a surge), which no count can announce; warnedInTimeForeseeableRate leaves them out.',
    generator: 'simulator/field/crowds.ts, simulator/field/prng.ts',
    seeds: `${FIELD_EVAL_CROWDING.from}-${FIELD_EVAL_CROWDING.from + FIELD_EVAL_CROWDING.count - 1}; ${FIELD_TUNING}`,
    command: 'npm run models:report crowding',
    figures: {
      daysOverCapacity: at.exceeding, warnedInTime: at.warnedInTime, late: at.late, missed: at.missed, warnedInTimeRate: r3(warned),
      warnedWithLeadZero: at.leadZero, earlyAlertEndedBefore: at.endedBefore,
      unforeseeable: at.unforeseeable, unforeseeableWarned: at.unforeseeableWarned,
      warnedInTimeForeseeableRate: r3((at.warnedInTime - at.unforeseeableWarned) / Math.max(1, at.exceeding - at.unforeseeable)),
      leadMedianMin: at.leadMedianMin, leadP10Min: at.leadP10Min, daysUnder: at.under, daysUnderAlerted: at.underAlerted, falseAlarmRate: r3(falseRate),
      nearMissDays: at.nearMiss, nearMissAlerted: at.nearMissAlerted,
    },
    breakdown: at.breakdown,
    thresholds: sweep,
    targets: {
      warnedInTime: `>= 95 %: ${warned >= 0.95 ? 'met' : 'NOT met'}`,
      leadMedian: `>= 10 min: ${at.leadMedianMin >= 10 ? 'met' : 'NOT met'}`,
      falseAlarms: `<= 3 % of days under capacity: ${falseRate <= 0.03 ? 'met' : 'NOT met'}`,
    },
  };
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write') && !tuning;
  if (tuning) console.log('figures on the TUNING seeds (not the evaluation seeds the cards report)');
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const jobs: [ModelSpec, readonly string[], (m: OnnxModel) => Promise<SceneEvaluation>][] = [
    [fishingModel, ['fishing'], fishingScenes],
    [crowdingModel, ['exceed_15m', 'risk_now'], crowdingScenes],
  ];
  for (const [spec, labels, scenes] of jobs) {
    if (names.length > 0 && !names.includes(spec.name)) continue;
    const model = await OnnxModel.load(MODELS_DIR, spec.name, spec.featureCount);
    try {
      const cal = await heldOutCalibration(spec, model, labels);
      const sc = await scenes(model);
      console.log(`\n${spec.name}@${model.card.version}`);
      for (const c of cal) {
        console.log(`  ${c.label} on ${c.set} (${c.samples} samples), ECE ${c.ece}`);
        console.log('    reliability (predicted → observed): ' + c.reliability.map((b) => `${b.meanPredicted}→${b.observed} (${b.samples})`).join(', '));
        console.log('    threshold: P / R / F1 / flagged: ' + c.thresholds.map((t) => `${t.threshold}: ${t.precision}/${t.recall}/${t.f1}/${t.flagged}`).join(', '));
      }
      console.log(`  independent scenes: ${JSON.stringify(sc.figures)}`);
      console.log(`  targets: ${JSON.stringify(sc.targets)}`);
      console.log(`  per case: ${Object.entries(sc.breakdown).map(([k, v]) => `${k} ${v.alerted}/${v.cases}`).join(', ')}`);
      console.log(`  sweep: ${JSON.stringify(sc.thresholds)}`);
      if (write) {
        const path = join(MODELS_DIR, `${spec.name}.card.json`);
        const card = JSON.parse(readFileSync(path, 'utf8')) as ModelCard;
        writeFileSync(path, JSON.stringify({ ...card, calibration: cal, scenes: sc }, null, 2) + '\n');
        console.log(`  wrote ${path}`);
      }
    } finally {
      await model.close();
    }
  }
}

await main();
