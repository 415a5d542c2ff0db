/**
 * The fishing and crowding detectors on independently generated scenes (simulator/field/), replayed
 * through the real pipelines (FishingPipeline, CrowdingPipeline: features, model, thresholds,
 * episodes, per-device time) exactly as the worker runs them, with a given ONNX model.
 */
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';
import { ZoneSchedule } from '../../core/domain/zone-rules.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { FIELD_BEHAVIOURS, FISHING_BEHAVIOURS, fieldScene, type FieldBehaviour } from '../../simulator/field/tracks.js';
import { FIELD_DAY_TYPES, fieldDay, type FieldDay, type FieldDayType } from '../../simulator/field/crowds.js';
import { SpeakerController } from '../actuation.js';
import type { Scorer } from '../batcher.js';
import type { ModelSlot } from '../model-registry.js';
import type { OnnxModel } from '../onnx-model.js';
import { MemoryCommandRecord } from '../command-memory.js';
import type { PipelineContext } from '../pipelines/context.js';
import { FishingPipeline } from '../pipelines/fishing.js';
import { CROWDING_DEFAULTS, CrowdingPipeline, type CrowdingOptions } from '../pipelines/crowding.js';

const quiet = createLogger('silent');

/** Tuning seeds of the independent camera scenes (the cards report on others: report.ts FIELD_EVAL_FISHING). */
export const FIELD_TUNING_FISHING = { from: 6_100_000, count: 60 };

/** Evaluation seeds of the independent zone days (the card's figures; no choice looks at them). */
export const FIELD_EVAL_CROWDING = { from: 5_200_000, count: 240 };
/** Tuning seeds of the independent zone days (the cards report on others: report.ts FIELD_EVAL_CROWDING). */
export const FIELD_TUNING_CROWDING = { from: 6_200_000, count: 240 };

/** The fishing episode rules the worker runs with by default. */
export const FISHING_RULES = { minDurationS: 600, gapS: 60 };

export function context(alerts: Alert[]): PipelineContext {
  const repo = new MemoryCommandRecord();
  const speakers = new SpeakerController(async () => undefined, repo, { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 }, quiet, new Metrics());
  return { emit: async (a) => void alerts.push(a), recordShadow: async () => undefined, speakers, speakersInZone: async () => [], rules: () => ZoneSchedule.EMPTY, log: quiet };
}

/** Rows from every concurrent caller are scored together, one session run per turn. */
function batchingScorer(model: OnnxModel, width: number): Scorer {
  let queue: { f: Float32Array; resolve: (p: Float32Array) => void }[] = [];
  const k = model.card.labels.length;
  const version = `${model.card.name}@${model.card.version}`;
  const flush = async () => {
    const rows = queue;
    queue = [];
    const data = new Float32Array(rows.length * width);
    rows.forEach((r, i) => data.set(r.f, i * width));
    const out = await model.run(data, rows.length);
    rows.forEach((r, i) => r.resolve(out.slice(i * k, (i + 1) * k)));
  };
  return {
    score: (f) =>
      new Promise((resolve) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ f: Float32Array.from(f), resolve: (p) => resolve({ active: p, activeVersion: version, shadow: null, shadowVersion: null }) });
      }),
  };
}

/** A slot whose card carries `thresholds` (the pipelines read only the card and label positions). */
function slotWith(model: OnnxModel, thresholds: Record<string, number>): ModelSlot {
  const card = { ...model.card, thresholds: { ...model.card.thresholds, ...thresholds } };
  const active = { card, labelIndex: (l: string) => model.labelIndex(l) } as unknown as OnnxModel;
  return { name: model.card.name, featureCount: 0, active, shadow: null };
}

const device = (id: string, zoneId: string, capacity: number | null): DeviceContext => ({
  id, kind: capacity === null ? 'camera' : 'people_counter', zoneId, noiseClass: '2', timezone: 'Asia/Shanghai', capacity,
  fishingBan: true, hasSpeaker: false, calibrationValidUntil: null, placementPublished: true,
});

/** Scene day: 2026-07-05 00:00 in Shanghai. */
const DAY0 = Date.UTC(2026, 6, 4, 16, 0);

export interface FishingSceneResult {
  scenes: number;
  tracks: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  breakdown: Record<FieldBehaviour, { cases: number; alerted: number; positive: boolean }>;
}

const prf = (tp: number, fp: number, fn: number) => {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
};

/**
 * Each scene is one camera in a fishing-ban zone (no loudspeaker, so a confirmed episode is an alert);
 * a track counts as alerted when an alert lists it (`evidence.trackIds`: the person's tracks the camera
 * gave new ids, taken over by continuity) or it continued a person's alerted episode that was still
 * running. Ambiguous fragments are left out.
 */
export async function fishingOnScenes(model: OnnxModel, width: number, seeds: readonly number[], thresholds: Record<string, number> = {}, rules: { minDurationS: number; gapS: number } = FISHING_RULES, inspect?: (alerts: Alert[], tracks: readonly { id: string; behaviour: FieldBehaviour; fishing: boolean; ambiguous: boolean }[]) => void): Promise<FishingSceneResult> {
  const scorer = batchingScorer(model, width);
  const slot = slotWith(model, thresholds);
  const breakdown = Object.fromEntries(FIELD_BEHAVIOURS.map((b) => [b, { cases: 0, alerted: 0, positive: FISHING_BEHAVIOURS.includes(b) }])) as FishingSceneResult['breakdown'];
  let [tp, fp, fn, tracks] = [0, 0, 0, 0];
  await Promise.all(seeds.map(async (seed, k) => {
    const scene = fieldScene(seed);
    const alerts: Alert[] = [];
    const pipeline = new FishingPipeline(scorer, () => slot, { ...rules, warningsBeforeAlert: 0, warningIntervalS: 300 }, context(alerts));
    // A track that continued a person's alerted, still running episode under a new id is covered by that alert.
    const covered = new Set<string>();
    pipeline.linked = (_device, ids, alerted) => {
      if (alerted) for (const id of ids) covered.add(id);
    };
    const cam = device(`cam-${k}`, `z-${k}`, null);
    const t0 = DAY0 + scene.startLocalHour * 3600_000;
    const obs = scene.tracks.flatMap((tr) => tr.observations.map((o) => ({ id: tr.id, ...o }))).sort((a, b) => a.t - b.t);
    let seq = 0;
    for (const o of obs) await pipeline.onTrack(cam, new Date(t0 + o.t * 1000), { ts: t0 + o.t * 1000, seq: seq++, id: o.id, ...o.obs });
    const alerted = new Set([...covered, ...alerts.flatMap((a) => (a.evidence as { trackIds: string[] }).trackIds)]);
    inspect?.(alerts, scene.tracks);
    for (const tr of scene.tracks) {
      if (tr.ambiguous) continue;
      tracks++;
      const hit = alerted.has(tr.id);
      const row = breakdown[tr.behaviour];
      row.cases++;
      if (hit) row.alerted++;
      if (tr.fishing && hit) tp++;
      else if (hit) fp++;
      else if (tr.fishing) fn++;
    }
  }));
  return { scenes: seeds.length, tracks, tp, fp, fn, ...prf(tp, fp, fn), breakdown };
}

export interface CrowdingDayResult {
  days: number;
  exceeding: number;
  /** Days over capacity whose alert was in force at the close of the last minute under capacity. */
  warnedInTime: number;
  /** ... of which the warning came only with that last minute (lead 0: issued as the crowd passes capacity). */
  leadZero: number;
  /** Days over capacity first alerted after passing it. */
  late: number;
  missed: number;
  /** Days over capacity that passed it within the first minute of a surge (+5 % of capacity in that minute after < 1 % the minute before): no count announces them. */
  unforeseeable: number;
  /** ... of which warned in time. */
  unforeseeableWarned: number;
  /** Days over capacity with an alert that ended before the crowd came (an early false alarm on that day). */
  endedBefore: number;
  leadMedianMin: number;
  leadP10Min: number;
  under: number;
  underAlerted: number;
  nearMiss: number;
  nearMissAlerted: number;
  breakdown: Record<FieldDayType, { cases: number; alerted: number; positive: boolean }>;
  /** Per day: its type, first minute over capacity (-1: none), peak share, first alert's minute (-1: none) and the lead of the warning in force at the crossing (-1: none). */
  perDay: { seed: number; type: FieldDayType; firstOver: number; peakShare: number; firstAlert: number; lead: number }[];
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

/** A crossing no trend announces: at least 5 % of capacity arrives in the crossing minute after under 1 % the minute before. */
export function crossesInSurgeFirstMinute(occupancy: readonly number[], capacity: number, firstOver: number): boolean {
  if (firstOver < 2) return false;
  const o = (m: number) => (occupancy[m] as number) / capacity;
  return o(firstOver) - o(firstOver - 1) >= 0.05 && o(firstOver - 1) - o(firstOver - 2) < 0.01;
}

/** A scorer and slot for `model` at its card's thresholds overridden by `thresholds` (concurrent scenes' or days' rows scored together). */
export function sceneDetector(model: OnnxModel, width: number, thresholds: Record<string, number> = {}): { scorer: Scorer; slot: ModelSlot } {
  return { scorer: batchingScorer(model, width), slot: slotWith(model, thresholds) };
}

/**
 * One zone day replayed reading by reading through a CrowdingPipeline: the minutes (from the day's
 * start) at which its alerts were raised, i.e. the minute ends that raised them, whether an
 * alerted episode was open at the close of the last minute under capacity, and the alerts themselves;
 * `onMinute` is told of every scored minute (the minute end, from the day's start, and its scores).
 */
export async function replayCrowdingDay(
  day: FieldDay,
  zoneId: string,
  scorer: Scorer,
  slot: ModelSlot,
  options: Partial<CrowdingOptions> = {},
  onMinute?: (minute: number, state: { pExceed: number; riskNow: number | null; alerting: boolean }) => void,
): Promise<{ starts: number[]; inForce: boolean; alerts: Alert[] }> {
  const alerts: Alert[] = [];
  const t0 = DAY0 + day.startLocalHour * 3600_000;
  const minute = (d: Date | string) => Math.round((new Date(d).getTime() - t0) / 60_000);
  let inForce = false;
  const pipeline = new CrowdingPipeline(scorer, () => slot, context(alerts), { ...CROWDING_DEFAULTS, ...options }, (_zone, end, s) => {
    if (minute(end) === day.firstOver) inForce = s.alerting;
    onMinute?.(minute(end), s);
  });
  const counters = Array.from({ length: day.counters }, (_, c) => device(`${zoneId}-pc-${c}`, zoneId, day.capacity));
  for (const r of day.readings) await pipeline.onCount(counters[r.counter] as DeviceContext, new Date(t0 + r.t * 1000), r.count);
  return { starts: alerts.map((a) => minute(a.detectedAt)), inForce, alerts };
}

/**
 * Each day is one zone with its counters, 08:00–22:00 local time, replayed reading by reading through
 * the crowding pipeline (default counter age and wait) for the whole day. A day that exceeds capacity is
 * warned in time when an alert was in force (its episode open) at the close of the last minute under
 * capacity, i.e. raised at or before the first minute over capacity and not ended since; its lead is
 * the minutes from that alert to the first minute over capacity (an alert raised hours before that
 * ended does not warn of this crowd: it counts as an early alert on that day). A day that stays under
 * must raise none.
 */
export async function crowdingOnDays(model: OnnxModel, width: number, seeds: readonly number[], thresholds: Record<string, number> = {}, options: Partial<CrowdingOptions> = {}): Promise<CrowdingDayResult> {
  const { scorer, slot } = sceneDetector(model, width, thresholds);
  const breakdown = Object.fromEntries(FIELD_DAY_TYPES.map((d) => [d, { cases: 0, alerted: 0, positive: d === 'over' || d === 'surge_over' }])) as CrowdingDayResult['breakdown'];
  const leads: number[] = [];
  const perDay: CrowdingDayResult['perDay'] = [];
  let [exceeding, late, missed, under, underAlerted, nearMiss, nearMissAlerted, leadZero, unforeseeable, unforeseeableWarned, endedBefore] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  await Promise.all(seeds.map(async (seed, k) => {
    const day = fieldDay(seed, FIELD_DAY_TYPES[k % FIELD_DAY_TYPES.length] as FieldDayType);
    const { starts, inForce } = await replayCrowdingDay(day, `z-${k}`, scorer, slot, options);
    const first = starts[0] ?? -1;
    const row = breakdown[day.type];
    row.cases++;
    if (first >= 0) row.alerted++;
    let lead = -1;
    if (day.firstOver >= 0) {
      exceeding++;
      const before = starts.filter((m) => m <= day.firstOver);
      const hard = crossesInSurgeFirstMinute(day.occupancy, day.capacity, day.firstOver);
      if (hard) unforeseeable++;
      if (inForce && before.length > 0) {
        lead = day.firstOver - (before[before.length - 1] as number);
        leads.push(lead);
        if (lead === 0) leadZero++;
        if (hard) unforeseeableWarned++;
        if (before.length > 1) endedBefore++;
      } else {
        if (before.length > 0) endedBefore++;
        if (starts.some((m) => m > day.firstOver)) late++;
        else missed++;
      }
    } else {
      under++;
      if (first >= 0) underAlerted++;
      if (day.peakShare >= 0.85) {
        nearMiss++;
        if (first >= 0) nearMissAlerted++;
      }
    }
    perDay.push({ seed, type: day.type, firstOver: day.firstOver, peakShare: Math.round(day.peakShare * 1000) / 1000, firstAlert: first, lead });
  }));
  return {
    days: seeds.length, exceeding, warnedInTime: leads.length, leadZero, late, missed, unforeseeable, unforeseeableWarned, endedBefore,
    leadMedianMin: quantile(leads, 0.5), leadP10Min: quantile(leads, 0.1),
    under, underAlerted, nearMiss, nearMissAlerted, breakdown, perDay,
  };
}
