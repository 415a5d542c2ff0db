/**
 * `npm run models:tune-crowding -- ON:OFF:HOLD ...`: the crowding detector (committed model,
 * CrowdingPipeline) on the independent days' TUNING seeds (6,200,000+; never the evaluation seeds the
 * card reports) with other episode rules: `exceed_15m` on / off thresholds and the hold share
 * (`exceed_15m.hold`: an open warning is kept while the zone's estimate is at least this share of
 * capacity; 0: no hold), and optionally (`ON:OFF:HOLD:RISE:STEADY_ON`) the steady-crowd rule: a zone whose
 * 15-minute trend projects less than RISE of capacity starts a warning only at P >= STEADY_ON
 * (`exceed_15m.steadyRise` / `exceed_15m.steadyOn`). `--minute-mean`: with PEOPLE_COUNTER_MINUTE_MEAN=true.
 * How crowding 1.3.1's hold was chosen.
 */
import { OnnxModel } from '../onnx-model.js';
import { MODELS_DIR } from './dataset-io.js';
import { crowdingOnDays } from './scenes.js';
import { CROWD_FEATURE_COUNT } from '../features/crowding.js';
import { FIELD_TUNING_CROWDING } from './scenes.js';

const seeds = Array.from({ length: FIELD_TUNING_CROWDING.count }, (_, i) => FIELD_TUNING_CROWDING.from + i);
const model = await OnnxModel.load(MODELS_DIR, 'crowding', CROWD_FEATURE_COUNT);
const options = { counterMinuteMean: process.argv.includes('--minute-mean') };
if (options.counterMinuteMean) console.log('with PEOPLE_COUNTER_MINUTE_MEAN=true');
for (const arg of process.argv.slice(2).filter((a) => !a.startsWith('--'))) {
  const [on, off, hold, rise = -1, steadyOn = 1] = arg.split(':').map(Number) as [number, number, number, number?, number?];
  const r = await crowdingOnDays(model, CROWD_FEATURE_COUNT, seeds, { 'exceed_15m.on': on, 'exceed_15m.off': off, 'exceed_15m.hold': hold > 0 ? hold : Infinity, ...(rise >= 0 ? { 'exceed_15m.steadyRise': rise, 'exceed_15m.steadyOn': steadyOn } : {}) }, options);
  console.log(
    `on ${on} off ${off} hold ${hold}${rise >= 0 ? ` steady rise ${rise} on ${steadyOn}` : ''}: in time ${r.warnedInTime}/${r.exceeding} (${((100 * r.warnedInTime) / r.exceeding).toFixed(1)} %; surge first minute ${r.unforeseeableWarned}/${r.unforeseeable}), ` +
      `lead p50 ${r.leadMedianMin} p10 ${r.leadP10Min}, late ${r.late}, missed ${r.missed}, ended before ${r.endedBefore}; days under alerted ${r.underAlerted}/${r.under} (near misses ${r.nearMissAlerted}/${r.nearMiss})`,
  );
}
await model.close();
