/**
 * `npm run models:crowding-near-misses [-- --over]`: why the crowding detector alerts on days that
 * peak just under capacity (simulator/field/crowds.ts near-miss days, 87–93 %), on the TUNING seeds
 * only (6,200,000+; never the evaluation seeds the card reports). For each alerted near-miss day, at
 * its first alert: the true occupancy and its 15-minute slope, the zone total the counters gave and the
 * estimate the forecast saw, the counters flagged as double counting or silent, and the faults the
 * readings show in the 30 minutes before (a counter reading ≥ 1.3× its own usual ratio to the
 * occupancy, a gap of over 2 minutes, a zero). `--over` lists the days over capacity warned late instead;
 * `--minute-mean` replays with PEOPLE_COUNTER_MINUTE_MEAN=true.
 */
import { OnnxModel } from '../onnx-model.js';
import { MODELS_DIR } from './dataset-io.js';
import { sceneDetector, FIELD_TUNING_CROWDING, replayCrowdingDay } from './scenes.js';
import { CROWD_FEATURE_COUNT } from '../features/crowding.js';
import { FIELD_DAY_TYPES, fieldDay, type FieldDay, type FieldDayType } from '../../simulator/field/crowds.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Faults the readings of each counter show in minutes [from, to). */
function faults(day: FieldDay, from: number, to: number): string[] {
  const out: string[] = [];
  for (let c = 0; c < day.counters; c++) {
    const rs = day.readings.filter((r) => r.counter === c);
    const ratio = (r: { t: number; count: number }) => r.count / Math.max(1, day.occupancy[Math.floor(r.t / 60)] as number);
    const usual = median(rs.filter((r) => (day.occupancy[Math.floor(r.t / 60)] as number) > 20).map(ratio));
    const win = rs.filter((r) => r.t >= from * 60 && r.t < to * 60);
    const high = win.filter((r) => (day.occupancy[Math.floor(r.t / 60)] as number) > 10 && ratio(r) > 1.3 * usual);
    if (high.length >= 3) out.push(`c${c + 1} double x${(median(high.map(ratio)) / usual).toFixed(2)} (${high.length} readings)`);
    let prev = from * 60;
    for (const r of win) {
      if (r.t - prev > 150) out.push(`c${c + 1} gap ${Math.round((r.t - prev) / 60)} min ending at ${Math.round(r.t / 60) - to} min`);
      prev = r.t;
    }
    if (to * 60 - prev > 150) out.push(`c${c + 1} silent for the last ${Math.round((to * 60 - prev) / 60)} min`);
    const zeros = win.filter((r) => r.count === 0 && (day.occupancy[Math.floor(r.t / 60)] as number) * usual > 5).length;
    if (zeros > 0) out.push(`c${c + 1} ${zeros} zero(s)`);
  }
  return out;
}

const over = process.argv.includes('--over');
const options = { counterMinuteMean: process.argv.includes('--minute-mean') };
const model = await OnnxModel.load(MODELS_DIR, 'crowding', CROWD_FEATURE_COUNT);
try {
  const { scorer, slot } = sceneDetector(model, CROWD_FEATURE_COUNT);
  const th = model.card.thresholds;
  console.log(`crowding@${model.card.version} at ${JSON.stringify(th)}, tuning seeds ${FIELD_TUNING_CROWDING.from}+`);
  const seeds = Array.from({ length: FIELD_TUNING_CROWDING.count }, (_, k) => ({ k, seed: FIELD_TUNING_CROWDING.from + k }));
  const rows = await Promise.all(seeds.map(async ({ k, seed }) => {
    const day = fieldDay(seed, FIELD_DAY_TYPES[k % FIELD_DAY_TYPES.length] as FieldDayType);
    if (over ? day.firstOver < 0 : day.type !== 'near_miss') return null;
    const r = await replayCrowdingDay(day, `z-${k}`, scorer, slot, options);
    return { seed, day, ...r };
  }));
  let n = 0;
  let alerted = 0;
  for (const row of rows) {
    if (!row) continue;
    n++;
    const { day, alerts, seed } = row;
    const share = (m: number) => (day.occupancy[Math.max(0, m)] as number) / day.capacity;
    const peakAt = day.occupancy.indexOf(Math.max(...day.occupancy));
    if (over) {
      if (row.inForce) continue;
      alerted++;
      const m = day.firstOver;
      console.log(`seed ${seed} ${day.type} cap ${day.capacity} counters ${day.counters} crossing at ${m} (${pct(share(m - 1))} -> ${pct(share(m))}, 15-min slope ${pct(share(m - 1) - share(m - 16))}); alerts at ${row.starts.join(',') || 'none'}; ${day.faults.join('; ') || 'no faults'}; near the crossing: ${faults(day, m - 30, m + 1).join('; ') || 'none'}`);
      continue;
    }
    if (alerts.length === 0) continue;
    alerted++;
    const a = alerts[0]!;
    const m = Math.round((new Date(a.detectedAt).getTime() - Date.UTC(2026, 6, 4, 16, 0) - day.startLocalHour * 3600_000) / 60_000);
    const ev = a.evidence as { count: number; estimate: number; counters: { silent: string[]; doubleCounting: string[] }; scores: Record<string, number> };
    console.log(
      `seed ${seed} cap ${day.capacity} counters ${day.counters} peak ${pct(day.peakShare)} at ${peakAt}; alert at ${m} (${m - peakAt} from peak): ` +
        `true ${pct(share(m - 1))}, slope15 ${pct(share(m - 1) - share(m - 16))}, slope5 ${pct(share(m - 1) - share(m - 6))}; total ${pct(ev.count / day.capacity)}, estimate ${pct(ev.estimate / day.capacity)}; ` +
        `p ${ev.scores.exceed_15m?.toFixed(2)} risk ${ev.scores.risk_now?.toFixed(2)}; flagged double ${ev.counters.doubleCounting.length} silent ${ev.counters.silent.length}; ` +
        `readings (30 min before): ${faults(day, m - 30, m).join('; ') || 'clean'}; day: ${day.faults.join('; ') || 'no faults'}`,
    );
  }
  console.log(`${alerted} of ${n} ${over ? 'days over capacity not warned in time' : 'near-miss days alerted'}`);
} finally {
  await model.close();
}
