/**
 * `npm run models:crowding-ceiling`: how far any forecast from a zone's minute totals can go on the
 * independent days (simulator/field/crowds.ts), to tell a weak model from a task the counters do not
 * allow. Replays 480 fresh days (seeds 6,400,000+; neither the card's evaluation seeds nor the tuning
 * seeds) and the 240 tuning days through the real CrowdingPipeline with the committed model, writing per
 * scored minute its features, the model's scores and the day's truth to `inference/train/.data/`;
 * then `crowding_ceiling.py` trains small networks on the fresh days (the counters' minute series as
 * the pipeline sees it, and the true occupancy instead: no counting error at all) and scores them and
 * the committed model on the tuning days with the pipeline's episode rules (on / off / hold / 5-minute gap).
 * A network trained on the very generator it is scored on is an upper bound, never a candidate.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxModel } from '../onnx-model.js';
import { DATA_DIR, MODELS_DIR } from './dataset-io.js';
import { sceneDetector, FIELD_TUNING_CROWDING, replayCrowdingDay } from './scenes.js';
import { CROWD_FEATURE_COUNT } from '../features/crowding.js';
import { FIELD_DAY_TYPES, fieldDay, type FieldDayType } from '../../simulator/field/crowds.js';

const FRESH = { from: 6_400_000, count: 480 };

/** Every scored minute of the days `from`..`from + count - 1`: `day,minute,features…,riskNow,pExceed` rows, and the days' truth. */
async function dump(model: OnnxModel, from: number, count: number, name: string): Promise<void> {
  // Thresholds no score reaches: the model scores every minute and no episode changes what it sees.
  const { scorer, slot } = sceneDetector(model, CROWD_FEATURE_COUNT, { 'exceed_15m.on': 2, 'risk_now.on': 2 });
  const rows: string[] = [];
  const days: string[] = [];
  for (let k = 0; k < count; k++) {
    const day = fieldDay(from + k, FIELD_DAY_TYPES[k % FIELD_DAY_TYPES.length] as FieldDayType);
    days.push(JSON.stringify({ k, seed: from + k, type: day.type, capacity: day.capacity, firstOver: day.firstOver, peakShare: day.peakShare, occupancy: day.occupancy }));
    let last = '';
    const capture = {
      score: async (f: Float32Array) => {
        const scored = await scorer.score(f);
        const [risk, exceed] = [model.labelIndex('risk_now'), model.labelIndex('exceed_15m')].map((i) => (scored.active[i] as number).toFixed(4));
        last = `${Array.from(f, (x) => x.toFixed(4)).join(',')},${risk},${exceed}`;
        return scored;
      },
    };
    await replayCrowdingDay(day, `z-${k}`, capture, slot, {}, (minute) => rows.push(`${k},${minute},${last}`));
  }
  writeFileSync(join(DATA_DIR, `crowding-ceiling-${name}.csv`), rows.join('\n') + '\n');
  writeFileSync(join(DATA_DIR, `crowding-ceiling-${name}.days.jsonl`), days.join('\n') + '\n');
}

const model = await OnnxModel.load(MODELS_DIR, 'crowding', CROWD_FEATURE_COUNT);
try {
  await dump(model, FRESH.from, FRESH.count, 'fresh');
  await dump(model, FIELD_TUNING_CROWDING.from, FIELD_TUNING_CROWDING.count, 'tuning');
  console.log(`crowding@${model.card.version}: minutes of ${FRESH.count} fresh days (seeds ${FRESH.from}+) and ${FIELD_TUNING_CROWDING.count} tuning days written to ${DATA_DIR}`);
} finally {
  await model.close();
}
const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'crowding_ceiling.py'), DATA_DIR, JSON.stringify(model.card.thresholds)], { stdio: 'inherit' });
process.exitCode = py.status ?? 1;
