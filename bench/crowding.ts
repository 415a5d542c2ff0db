/**
 * `npm run bench:crowding` — how early the crowding pipeline warns, on simulated days it never saw.
 *
 * Each day is one zone with one people counter: simulator/crowds.ts CrowdSource, the training
 * generator, on seeds training never used (every scenario: quiet weekday, hot Sunday, evening event,
 * rain) from 08:00 to 22:00 local time, at capacities of 150, 600 and 2,000 (BENCH_DAYS per scenario
 * and capacity, default 40).
 * With BENCH_SURGES=1 every day has CrowdSource's surges (1–3 groups of 5–40 % of capacity arriving
 * within 1–10 minutes where the day is busy; the generator's default is none, so without it the days
 * are those every earlier figure was measured on).
 * The counts go minute by minute through the real CrowdingPipeline with the committed crowding model
 * (onnxruntime-node), exactly as the worker runs it, at the card's thresholds and at others.
 *
 * Per threshold `exceed_15m.on` it prints, over the days whose count passes capacity, judged as
 * `npm run models:report -- crowding` judges the independent days (inference/train/scenes.ts):
 * - warned in time: an alert was in force (raised, its episode not ended) at the close of the last
 *   minute under capacity; its lead is the minutes from that alert to the first minute over capacity
 *   (0: the alert came with the close of the last minute under capacity), as median, 10th and 90th
 *   percentile;
 * - ended before: of the others, days whose earlier alert had ended before the crowd came;
 * - late: first alerted after passing capacity (and no alert in force when it did); missed: no alert
 *   at or after that minute;
 * and, over the days that never pass capacity, false alarms: days with an alert, and how near those
 * days came (their peak count / capacity, median).
 *
 * Until 2026-12-03 it judged each day's first alert instead (however long before, even if it had
 * ended), and counted the lead from the last minute counted at the alert (one minute more).
 */
import { loadavg } from 'node:os';
import { Rng } from '../core/rng.js';
import { createLogger } from '../core/log.js';
import { Metrics } from '../core/metrics.js';
import { ZoneSchedule } from '../core/domain/zone-rules.js';
import type { Alert } from '../contract/mqtt/alert.js';
import type { DeviceContext } from '../core/repos/devices.js';
import { CROWD_KINDS, CrowdSource } from '../simulator/crowds.js';
import { OnnxModel } from '../inference/onnx-model.js';
import { SpeakerController } from '../inference/actuation.js';
import { CrowdingPipeline, CROWD_MODEL, CROWDING_DEFAULTS } from '../inference/pipelines/crowding.js';
import type { PipelineContext } from '../inference/pipelines/context.js';
import { MemoryCommandRecord } from '../inference/command-memory.js';
import type { ModelSlot } from '../inference/model-registry.js';
import { CROWD_FEATURE_COUNT } from '../inference/features/crowding.js';
import { MODELS_DIR } from '../inference/train/dataset-io.js';
import { quantile, table } from './lib/report.js';

const DAYS = Number(process.env.BENCH_DAYS ?? 40);
const SURGES = process.env.BENCH_SURGES === '1';
const CAPACITIES = [150, 600, 2000];
const THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const SEED0 = 7_000_000; // far from the training (and held-out) seeds
const MINUTE = 60_000;
const START_HOUR = 8;
const MINUTES = 14 * 60;
const TZ = 'Asia/Shanghai';

interface Day {
  capacity: number;
  counts: number[];
  /** Index of the first minute over capacity, or -1. */
  over: number;
}

function days(): Day[] {
  const out: Day[] = [];
  for (const kind of CROWD_KINDS) {
    for (const capacity of CAPACITIES) {
      for (let d = 0; d < DAYS; d++) {
        const source = new CrowdSource(kind, capacity, new Rng(SEED0 + out.length), START_HOUR, { surges: SURGES, minutes: MINUTES });
        const counts = Array.from({ length: MINUTES }, () => source.next());
        out.push({ capacity, counts, over: counts.findIndex((c) => c > capacity) });
      }
    }
  }
  return out;
}

interface DayResult {
  /** Minute indices (from 08:00) at which the day's alerts were raised: the close of minute i - 1. */
  starts: number[];
  /** Whether an alert was in force at the close of the last minute under capacity (day.over > 0). */
  inForce: boolean;
}

/**
 * A day's model scores do not depend on the threshold, only its episodes do: the first run of a day
 * records them in call order, later runs (other thresholds) replay them through the same pipeline.
 */
const scoreCache = new Map<Day, Float32Array[]>();

/** The whole day through the pipeline at `threshold`: its alerts and whether one was in force at the crossing. */
async function runDay(model: OnnxModel, threshold: number, day: Day): Promise<DayResult> {
  const card = { ...model.card, thresholds: { ...model.card.thresholds, 'exceed_15m.on': threshold } };
  // The pipeline reads only the card's thresholds and label positions from its slot.
  const active = { card, labelIndex: (label: string) => model.labelIndex(label) } as unknown as OnnxModel;
  const slot: ModelSlot = { name: CROWD_MODEL, featureCount: CROWD_FEATURE_COUNT, active, shadow: null };
  const cached = scoreCache.get(day);
  const recorded: Float32Array[] = [];
  let call = 0;
  const score = async (f: Float32Array) => {
    if (cached) return cached[call++] as Float32Array;
    const p = await model.run(f, 1);
    recorded.push(p);
    return p;
  };
  const scorer = { score: async (f: Float32Array) => ({ active: await score(f), activeVersion: `${card.name}@${card.version}`, shadow: null, shadowVersion: null }) };
  const alerts: Alert[] = [];
  const repo = new MemoryCommandRecord();
  const speakers = new SpeakerController(async () => undefined, repo, { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 }, createLogger('silent'), new Metrics());
  const ctx: PipelineContext = { emit: async (a) => void alerts.push(a), recordShadow: async () => undefined, speakers, speakersInZone: async () => [], rules: () => ZoneSchedule.EMPTY, log: createLogger('silent') };
  // 08:00 in Shanghai on a summer Sunday.
  const t0 = Date.UTC(2026, 6, 5, START_HOUR - 8, 0);
  let inForce = false;
  const pipeline = new CrowdingPipeline(scorer, () => slot, ctx, CROWDING_DEFAULTS, (_zone, end, s) => {
    if (end.getTime() === t0 + day.over * MINUTE) inForce = s.alerting;
  });
  const device: DeviceContext = {
    id: 'pc-1', kind: 'people_counter', zoneId: 'z-bench', noiseClass: '2', timezone: TZ, capacity: day.capacity,
    fishingBan: false, hasSpeaker: false, calibrationValidUntil: null, placementPublished: true,
  };
  for (let i = 0; i < day.counts.length; i++) await pipeline.onCount(device, new Date(t0 + i * MINUTE), day.counts[i] as number);
  if (!cached) scoreCache.set(day, recorded);
  return { starts: alerts.map((a) => Math.round((new Date(a.detectedAt).getTime() - t0) / MINUTE)), inForce: day.over > 0 && inForce };
}

async function main(): Promise<void> {
  console.log(`load average before the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const model = await OnnxModel.load(MODELS_DIR, CROWD_MODEL, CROWD_FEATURE_COUNT);
  try {
    const all = days();
    const exceeding = all.filter((d) => d.over >= 0);
    console.log(
      `bench:crowding — crowding@${model.card.version}, ${all.length} simulated days (${CROWD_KINDS.join(', ')} × capacities ${CAPACITIES.join(', ')} × ${DAYS}), ` +
        `${START_HOUR}:00–22:00${SURGES ? ', with surges' : ''}; ${exceeding.length} of them pass capacity. Card threshold exceed_15m.on = ${model.card.thresholds['exceed_15m.on']}`,
    );
    const rows: string[][] = [];
    const card = model.card.thresholds['exceed_15m.on'];
    const thresholds = card === undefined || THRESHOLDS.includes(card) ? THRESHOLDS : [...THRESHOLDS, card].sort((a, b) => a - b);
    for (const threshold of thresholds) {
      const leads: number[] = [];
      let late = 0;
      let missed = 0;
      let endedBefore = 0;
      let falseAlarms = 0;
      const nearness: number[] = [];
      for (const day of all) {
        const { starts, inForce } = await runDay(model, threshold, day);
        if (day.over < 0) {
          if (starts.length > 0) {
            falseAlarms++;
            nearness.push(Math.max(...day.counts) / day.capacity);
          }
          continue;
        }
        const before = starts.filter((m) => m <= day.over);
        if (inForce && before.length > 0) leads.push(day.over - (before[before.length - 1] as number));
        else {
          if (before.length > 0) endedBefore++;
          if (starts.some((m) => m > day.over)) late++;
          else missed++;
        }
      }
      leads.sort((a, b) => a - b);
      const q = (p: number) => (leads.length ? String(quantile(leads, p)) : '–');
      rows.push([
        String(threshold),
        `${leads.length}/${exceeding.length}`,
        q(0.5),
        q(0.1),
        q(0.9),
        String(endedBefore),
        String(late),
        String(missed),
        `${falseAlarms}/${all.length - exceeding.length}`,
        nearness.length ? quantile(nearness.sort((a, b) => a - b), 0.5).toFixed(2) : '–',
      ]);
    }
    console.log('');
    console.log(table(['exceed_15m.on', 'warned in time', 'lead min p50', 'p10', 'p90', 'ended before', 'late', 'missed', 'false alarms', 'their peak / capacity p50'], rows));
  } finally {
    await model.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:crowding failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
