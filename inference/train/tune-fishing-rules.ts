/**
 * `npm run models:tune-fishing -- MIN:ON:OFF:GAP ...`: the fishing detector (committed model, FishingPipeline)
 * on the independent scenes' TUNING seeds (6,100,000+; never the evaluation seeds the card reports) with
 * other episode rules: minimum duration (s), on / off thresholds, gap (s). How FISHING_MIN_DURATION_S and
 * the card's thresholds were chosen.
 */
import { OnnxModel } from '../onnx-model.js';
import { MODELS_DIR } from './dataset-io.js';
import { FIELD_TUNING_FISHING, fishingOnScenes } from './scenes.js';
import { FISHING_FEATURE_COUNT } from '../features/fishing.js';
const seeds = Array.from({ length: FIELD_TUNING_FISHING.count }, (_, i) => FIELD_TUNING_FISHING.from + i);
const model = await OnnxModel.load(MODELS_DIR, 'fishing', FISHING_FEATURE_COUNT);
for (const arg of process.argv.slice(2)) {
  const [min, on, off, gap] = arg.split(':').map(Number) as [number, number, number, number];
  const r = await fishingOnScenes(model, FISHING_FEATURE_COUNT, seeds, { 'fishing.on': on, 'fishing.off': off }, { minDurationS: min, gapS: gap });
  console.log(`min ${min} on ${on} off ${off} gap ${gap}: P ${r.precision.toFixed(3)} R ${r.recall.toFixed(3)} F1 ${r.f1.toFixed(3)} | ` + Object.entries(r.breakdown).map(([k, v]) => `${k} ${v.alerted}/${v.cases}`).join(', '));
}
await model.close();
