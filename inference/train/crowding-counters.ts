/**
 * `npm run models:crowding-counters`: how much of the crowding detector's errors on the independent
 * zone days (simulator/field/crowds.ts, TUNING seeds 6,200,000+) comes from the counters rather than
 * from the crowds. The same days' true occupancy is replayed as one counter reading once a minute —
 * exact, reading 4 % high or low (the generator's counters are calibrated within ±4 %), or with 3 %
 * counting noise (and Poisson-like noise) — through the real pipeline and the committed model at its
 * card's thresholds; it prints, per reading, the near-miss days (87–93 %) alerted and the days over
 * capacity warned in time.
 */
import { OnnxModel } from '../onnx-model.js';
import { Rng } from '../../core/rng.js';
import { MODELS_DIR } from './dataset-io.js';
import { sceneDetector, FIELD_TUNING_CROWDING, replayCrowdingDay } from './scenes.js';
import { CROWD_FEATURE_COUNT } from '../features/crowding.js';
import { FIELD_DAY_TYPES, fieldDay, type FieldDayType } from '../../simulator/field/crowds.js';

type Reading = (n: number, rng: Rng) => number;
const READINGS: [string, Reading][] = [
  ['exact', (n) => n],
  ['4 % high', (n) => n * 1.04],
  ['4 % low', (n) => n * 0.96],
  ['3 % noise', (n, r) => n * (1 + r.normal(0, 0.03))],
  ['3 % + Poisson-like noise', (n, r) => n * (1 + r.normal(0, 0.03)) + r.normal(0, Math.sqrt(n + 1) * 0.5)],
];

const model = await OnnxModel.load(MODELS_DIR, 'crowding', CROWD_FEATURE_COUNT);
try {
  const { scorer, slot } = sceneDetector(model, CROWD_FEATURE_COUNT);
  const days = Array.from({ length: FIELD_TUNING_CROWDING.count }, (_, k) => ({ k, day: fieldDay(FIELD_TUNING_CROWDING.from + k, FIELD_DAY_TYPES[k % FIELD_DAY_TYPES.length] as FieldDayType) })).filter((d) => d.day.type !== 'ordinary');
  console.log(`crowding@${model.card.version} at ${JSON.stringify(model.card.thresholds)}, ${days.length} tuning days (ordinary days left out), true occupancy read once a minute by one counter:`);
  for (const [name, read] of READINGS) {
    const rows = await Promise.all(days.map(async ({ k, day }) => {
      const rng = new Rng(9000 + k);
      const readings = day.occupancy.map((n, m) => ({ counter: 0, t: m * 60 + 30, count: Math.max(0, Math.round(read(n, rng))) }));
      const r = await replayCrowdingDay({ ...day, counters: 1, readings }, `z-${name}-${k}`, scorer, slot);
      return { type: day.type, ok: day.firstOver >= 0 ? r.inForce : r.starts.length > 0 };
    }));
    const of = (t: FieldDayType) => `${rows.filter((r) => r.type === t && r.ok).length}/${rows.filter((r) => r.type === t).length}`;
    console.log(`  ${name.padEnd(26)} near misses alerted ${of('near_miss')}; in time: over ${of('over')}, surge_over ${of('surge_over')}`);
  }
} finally {
  await model.close();
}
