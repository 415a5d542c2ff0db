import { describe, expect, it } from 'vitest';
import { ZoneSchedule } from '../../core/domain/zone-rules.js';
import { CrowdingPipeline, CROWDING_DEFAULTS } from '../../inference/pipelines/crowding.js';
import { SpeakerController } from '../../inference/actuation.js';
import { CROWD_FEATURE_COUNT, CROWD_HISTORY_MIN } from '../../inference/features/crowding.js';
import { OnnxModel } from '../../inference/onnx-model.js';
import type { Scorer } from '../../inference/batcher.js';
import type { ModelSlot } from '../../inference/model-registry.js';
import { MemoryCommandRecord } from '../../inference/command-memory.js';
import type { PipelineContext } from '../../inference/pipelines/context.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { Metrics } from '../../core/metrics.js';
import { createLogger } from '../../core/log.js';
import { MODELS } from './model-helpers.js';

/**
 * The crowding pipeline's own clock: zone totals per minute from each counter's newest count on the
 * readings' timestamps, silent counters dropping out after PEOPLE_COUNTER_MAX_AGE_S, and no alarm
 * before a zone has a few minutes of history.
 */
const MIN = 60_000;
const t0 = Date.UTC(2026, 6, 5, 2, 0); // 10:00 in Shanghai
const counter = (id: string, zoneId = 'z-river', capacity = 150): DeviceContext => ({
  id, kind: 'people_counter', zoneId, noiseClass: '2', timezone: 'Asia/Shanghai', capacity,
  fishingBan: false, hasSpeaker: false, calibrationValidUntil: null, placementPublished: true,
});
const labels = ['risk_now', 'exceed_15m'];
const cardSlot = { active: { card: { name: 'crowding', version: '1.0.0', labels, thresholds: { 'exceed_15m.on': 0.7, 'exceed_15m.off': 0.4, 'risk_now.on': 0.8 } }, labelIndex: (l: string) => labels.indexOf(l) } } as unknown as ModelSlot;

function context(alerts: Alert[]): PipelineContext {
  const repo = new MemoryCommandRecord();
  const speakers = new SpeakerController(async () => undefined, repo, { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 }, createLogger('silent'), new Metrics());
  return { emit: async (a) => void alerts.push(a), recordShadow: async () => undefined, speakers, speakersInZone: async () => [], rules: () => ZoneSchedule.EMPTY, log: createLogger('silent') };
}

/** A scorer that records the zone totals it was shown (c_k × capacity) and answers `risk`. */
function recording(capacity: number, risk: () => number) {
  const totals: number[][] = [];
  const scorer: Scorer = {
    score: async (f) => {
      totals.push(Array.from(f.subarray(0, CROWD_HISTORY_MIN), (c) => Math.round(c * capacity)));
      return { active: Float32Array.from([risk(), 0]), activeVersion: 'crowding@1.0.0', shadow: null, shadowVersion: null };
    },
  };
  return { scorer, totals };
}

describe('crowding pipeline on the readings’ own clock', () => {
  it('drops a counter silent longer than the age limit out of the zone total, and says so', async () => {
    const alerts: Alert[] = [];
    const { scorer, totals } = recording(150, () => 0);
    const p = new CrowdingPipeline(scorer, () => cardSlot, context(alerts));
    // Counter a reports 100 once and falls silent; counter b reports 60 every minute, two days on.
    await p.onCount(counter('pc-a'), new Date(t0), 100);
    for (let m = 0; m <= 2 * 24 * 60; m += 1) await p.onCount(counter('pc-b'), new Date(t0 + m * MIN + 10_000), 60);
    const last = totals.at(-1) as number[];
    expect(last.at(-1)).toBe(60); // not "160 people"
    // While a's count was young it counted (its age limit is PEOPLE_COUNTER_MAX_AGE_S, 300 s by default).
    expect(totals[0]?.at(-1)).toBe(160);
    // Past its age limit a is out of the count, but the forecast stands in for it by its usual share
    // (100 of 160) until PEOPLE_COUNTER_IMPUTE_S; then it is out of the forecast too. Scoring starts at the 5th minute.
    const newest = totals.map((s) => s.at(-1));
    expect(newest.indexOf(60)).toBe(CROWDING_DEFAULTS.counterImputeS / 60 - CROWDING_DEFAULTS.minHistoryMin + 1);
    expect(new Set(newest.slice(0, newest.indexOf(60)))).toEqual(new Set([160]));
    // Without standing in, the age limit alone decides.
    const bare = recording(150, () => 0);
    const p2 = new CrowdingPipeline(bare.scorer, () => cardSlot, context([]), { ...CROWDING_DEFAULTS, counterImputeS: 0 });
    await p2.onCount(counter('pc-a'), new Date(t0), 100);
    for (let m = 0; m <= 60; m += 1) await p2.onCount(counter('pc-b'), new Date(t0 + m * MIN + 10_000), 60);
    expect(bare.totals.map((s) => s.at(-1)).indexOf(60)).toBe(CROWDING_DEFAULTS.counterMaxAgeS / 60 - CROWDING_DEFAULTS.minHistoryMin + 1);
  });

  it('holds a lone counter’s count through a short drop-out instead of starting the zone afresh', async () => {
    const { scorer, totals } = recording(150, () => 0);
    const p = new CrowdingPipeline(scorer, () => cardSlot, context([]));
    // 20 minutes at 80, silent 10 minutes, back at 90.
    for (let m = 0; m < 40; m++) if (m < 20 || m >= 30) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN + 5_000), m < 20 ? 80 : 90);
    // One series across the gap (minutes 9…38): 80, held through the silence, then 90; every minute scored from the 5th.
    expect(totals.at(-1)).toEqual([...Array(21).fill(80), ...Array(9).fill(90)]);
    expect(totals).toHaveLength(39 - CROWDING_DEFAULTS.minHistoryMin + 1);
    // Past PEOPLE_COUNTER_IMPUTE_S the zone starts afresh and waits for its history again.
    const q = recording(150, () => 0);
    const p2 = new CrowdingPipeline(q.scorer, () => cardSlot, context([]), { ...CROWDING_DEFAULTS, counterImputeS: 0 });
    for (let m = 0; m < 40; m++) if (m < 20 || m >= 30) await p2.onCount(counter('pc-a'), new Date(t0 + m * MIN + 5_000), m < 20 ? 80 : 90);
    expect(q.totals.at(-1)).toEqual(Array(CROWD_HISTORY_MIN).fill(90)); // 9 minutes of its own, padded
    // Scored: minutes 0…23 (the last count lives 300 s more) from the 5th, then minutes 30…38 from the 5th again.
    expect(q.totals).toHaveLength(24 + 9 - 2 * (CROWDING_DEFAULTS.minHistoryMin - 1));
  });

  it('reads a counter that suddenly counts far more than its usual share as double counting', async () => {
    const alerts: Alert[] = [];
    const { scorer, totals } = recording(300, () => 0);
    const p = new CrowdingPipeline(scorer, () => cardSlot, context(alerts));
    // Two counters share the crowd 60:40 for 20 minutes; then b counts everyone twice for 10 minutes.
    for (let m = 0; m < 40; m++) {
      const b = m >= 20 && m < 30 ? 80 : 40;
      await p.onCount(counter('pc-a', 'z-river', 300), new Date(t0 + m * MIN + 5_000), 60);
      await p.onCount(counter('pc-b', 'z-river', 300), new Date(t0 + m * MIN + 6_000), b);
    }
    const newest = totals.map((s) => s.at(-1) as number);
    expect(Math.max(...newest)).toBe(100); // never 140
    // A real rise shows on both counters and is believed.
    const q = recording(300, () => 0);
    const p2 = new CrowdingPipeline(q.scorer, () => cardSlot, context([]));
    for (let m = 0; m < 40; m++) {
      const k = m >= 20 ? 2 : 1;
      await p2.onCount(counter('pc-a', 'z-river', 300), new Date(t0 + m * MIN + 5_000), 60 * k);
      await p2.onCount(counter('pc-b', 'z-river', 300), new Date(t0 + m * MIN + 6_000), 40 * k);
    }
    expect(Math.max(...q.totals.map((s) => s.at(-1) as number))).toBe(200);
  });

  it('shows a silent counter in the alert as reduced coverage', async () => {
    const alerts: Alert[] = [];
    const { scorer } = recording(150, () => 1);
    const p = new CrowdingPipeline(scorer, () => cardSlot, context(alerts), { ...CROWDING_DEFAULTS, minHistoryMin: 1 });
    await p.onCount(counter('pc-a'), new Date(t0), 100);
    for (let m = 0; m <= 20; m++) await p.onCount(counter('pc-b'), new Date(t0 + m * MIN), 140);
    expect(alerts).toHaveLength(1);
    // The first alert came while a still counted; a fresh zone with a silent counter reports coverage 1/2.
    const q: Alert[] = [];
    const p2 = new CrowdingPipeline(recording(150, () => 1).scorer, () => cardSlot, context(q), { ...CROWDING_DEFAULTS, minHistoryMin: 8 });
    await p2.onCount(counter('pc-a'), new Date(t0), 100);
    for (let m = 0; m <= 20; m++) await p2.onCount(counter('pc-b'), new Date(t0 + m * MIN), 140);
    expect(q).toHaveLength(1);
    expect(q[0]?.evidence).toMatchObject({ count: 140, coverage: 0.5, counters: { reporting: ['pc-b'], silent: ['pc-a'] }, estimate: 240 });
    expect(q[0]?.summary).toContain('1 of 2 counters silent');
    expect(q[0]?.summaryZh).toMatch(/^人员聚集危险：现有 140 人，容量 150 人（2 个计数器中 1 个无数据：人数为下限）$/);
    // The model's input is kept with the alert (for the officers' verdict to become a training example):
    // the forecast stood in for the silent counter by its usual share (100 of 240).
    expect(q[0]?.evidence.window).toEqual({ localHour: 10, capacity: 150, countsPerMinute: [240, 240, 240, 240, 240, 240, 240, 240] });
  });

  it('waits for a zone’s first minutes before any alarm, whatever the model says', async () => {
    const alerts: Alert[] = [];
    const p = new CrowdingPipeline(recording(150, () => 1).scorer, () => cardSlot, context(alerts));
    for (let m = 0; m <= 10; m++) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN), 100);
    expect(alerts).toHaveLength(1);
    // Minute k closes on the reading of minute k + 1: the alarm comes with the 5th minute of history.
    expect(new Date(alerts[0]!.detectedAt).getTime()).toBe(t0 + CROWDING_DEFAULTS.minHistoryMin * MIN);
  });

  it('keeps a warning in force while the crowd stays near capacity (exceed_15m.hold), and ends it once it thins out', async () => {
    // The forecast says "will exceed" for minutes 5-9 only; the crowd (capacity 150) stays at 130 (87 %) until minute 40, then 90 (60 %).
    const run = async (hold: number | undefined) => {
      const slot = { active: { ...cardSlot.active, card: { ...cardSlot.active.card, thresholds: { ...cardSlot.active.card.thresholds, ...(hold === undefined ? {} : { 'exceed_15m.hold': hold }) } } } } as unknown as ModelSlot;
      let n = 0;
      const alerting: boolean[] = [];
      const p = new CrowdingPipeline(recording(150, () => (n++ < 5 ? 0.9 : 0.1)).scorer, () => slot, context([]), CROWDING_DEFAULTS, (_z, end, s) => void (alerting[(end.getTime() - t0) / MIN] = s.alerting));
      for (let m = 0; m <= 60; m++) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN), m < 40 ? 130 : 90);
      return alerting;
    };
    const without = await run(undefined);
    const held = await run(0.8);
    // Without a hold the episode ends 5 minutes (its gap) after the forecast fell below exceed_15m.off.
    expect(without[9]).toBe(true);
    expect(without[20]).toBe(false);
    // With it the warning stays while the zone holds ≥ 80 % of capacity, and ends after the crowd thins out.
    expect(held.slice(5, 41).every(Boolean)).toBe(true);
    expect(held[50]).toBe(false);
  });

  it('with PEOPLE_COUNTER_MINUTE_MEAN takes a counter’s mean over the minute, and a lone zero among counts of people as a glitch', async () => {
    const run = async (counterMinuteMean: boolean, readings: (m: number) => [number, number][]) => {
      const { scorer, totals } = recording(150, () => 0);
      const p = new CrowdingPipeline(scorer, () => cardSlot, context([]), { ...CROWDING_DEFAULTS, counterMinuteMean });
      for (let m = 0; m < 16; m++) for (const [s, n] of readings(m)) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN + s * 1000), n);
      return totals.at(-1)?.slice(-15); // minutes 0-14
    };
    // A counter reporting every 30 s, 100 then 110 in each minute (counting noise): the zone reads 105 (without: the newest, 110).
    const noisy = () => [[10, 100], [40, 110]] as [number, number][];
    expect(await run(true, noisy)).toEqual(Array(15).fill(105));
    expect(await run(false, noisy)).toEqual(Array(15).fill(110));
    // A lone zero at minute 5 (a reboot) leaves the count; of two in a row (minutes 11, 12) the second empties the zone.
    const zeros = (m: number) => [[10, m === 5 || m === 11 || m === 12 ? 0 : 100]] as [number, number][];
    expect(await run(true, zeros)).toEqual([...Array(12).fill(100), 0, 100, 100]);
    expect(await run(false, zeros)).toEqual([...Array(5).fill(100), 0, ...Array(5).fill(100), 0, 0, 100, 100]);
  });

  it('warns of a steady crowd just under capacity only on a confident forecast (exceed_15m.steadyRise / steadyOn)', async () => {
    const thresholds = { 'exceed_15m.on': 0.2, 'exceed_15m.off': 0.2, 'exceed_15m.steadyRise': 0.05, 'exceed_15m.steadyOn': 0.5, 'risk_now.on': 0.8 };
    const slot = { active: { ...cardSlot.active, card: { ...cardSlot.active.card, thresholds } } } as unknown as ModelSlot;
    const run = async (count: (m: number) => number, pExceed: number) => {
      const alerts: Alert[] = [];
      const scorer: Scorer = { score: async () => ({ active: Float32Array.from([0, pExceed]), activeVersion: 'crowding@1.0.0', shadow: null, shadowVersion: null }) };
      const p = new CrowdingPipeline(scorer, () => slot, context(alerts));
      for (let m = 0; m <= 40; m++) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN), count(m));
      return alerts;
    };
    // A zone of capacity 150 steady at 135 (90 %): P 0.3 raises nothing, P 0.6 does.
    expect(await run(() => 135, 0.3)).toEqual([]);
    expect(await run(() => 135, 0.6)).toHaveLength(1);
    // The same P 0.3 while the crowd climbs 2 people a minute (20 % of capacity in 15 minutes) warns.
    expect(await run((m) => 60 + 2 * m, 0.3)).toHaveLength(1);
  });

  it('raises nothing for a zone that opens at 67 % of capacity and stays there (real model)', async () => {
    const model = await OnnxModel.load(MODELS, 'crowding', CROWD_FEATURE_COUNT);
    try {
      const slot: ModelSlot = { name: 'crowding', featureCount: CROWD_FEATURE_COUNT, active: model, shadow: null };
      const scorer: Scorer = { score: async (f) => ({ active: await model.run(f, 1), activeVersion: 'crowding', shadow: null, shadowVersion: null }) };
      const alerts: Alert[] = [];
      const p = new CrowdingPipeline(scorer, () => slot, context(alerts));
      for (let m = 0; m <= 90; m++) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN), 100 + (m % 3) - 1);
      expect(alerts).toEqual([]);
    } finally {
      await model.close();
    }
  });

  it('gives the same totals whatever the order of zones, and of a zone’s counters within the wait', async () => {
    const readings = (seedShift: number) =>
      ['pc-a', 'pc-b', 'pc-c'].flatMap((id, k) =>
        Array.from({ length: 120 }, (_, m) => ({ device: counter(id, k === 2 ? 'z-other' : 'z-river'), t: t0 + m * MIN + k * 17_000, count: 20 + ((m * (k + 3) + seedShift) % 40) })),
      );
    const run = async (order: ReturnType<typeof readings>) => {
      const { scorer, totals } = recording(150, () => 0);
      const p = new CrowdingPipeline(scorer, () => cardSlot, context([]));
      for (const r of order) await p.onCount(r.device, new Date(r.t), r.count);
      return { totals, late: p.late };
    };
    const all = readings(0);
    const byTime = [...all].sort((a, b) => a.t - b.t);
    // Zone after zone (z-other first), each zone's counters in time order.
    const byZone = [...byTime.filter((r) => r.device.zoneId === 'z-other'), ...byTime.filter((r) => r.device.zoneId === 'z-river')];
    // Counter b always two minutes behind counter a (within PEOPLE_COUNTER_WAIT_S).
    const lagged = [...all].sort((a, b) => (a.t + (a.device.id === 'pc-b' ? -120_000 : 0)) - (b.t + (b.device.id === 'pc-b' ? -120_000 : 0)));
    const expected = await run(byTime);
    expect(expected.late).toBe(0);
    expect(expected.totals.length).toBeGreaterThan(200);
    for (const order of [byZone, lagged]) {
      const got = await run(order);
      expect(got.late).toBe(0);
      // Scored rows interleave differently across zones; per zone (capacity 150 both) they must match as a multiset in order per zone.
      expect([...got.totals].sort()).toEqual([...expected.totals].sort());
    }
  });

  it('lets no counter stamping its readings ahead of their arrival close the zone’s minutes on the others (their counts stay in)', async () => {
    const { scorer, totals } = recording(300, () => 0);
    const p = new CrowdingPipeline(scorer, () => cardSlot, context([]));
    // An honest counter reports 120 every 30 s as it happens; a rogue one in the same zone stamps each
    // of its zeros 290 s ahead (inside MAX_CLOCK_SKEW_S), more than PEOPLE_COUNTER_WAIT_S.
    for (let k = 0; k < 60; k++) {
      const now = t0 + k * 30_000;
      await p.onCount(counter('pc-rogue', 'z-river', 300), new Date(now + 290_000), 0, new Date(now));
      await p.onCount(counter('pc-honest', 'z-river', 300), new Date(now), 120, new Date(now));
    }
    expect(p.late).toBe(0);
    expect(totals.length).toBeGreaterThan(10);
    expect(totals.at(-1)?.at(-1)).toBe(120);
  });
});

describe('crowding pipeline with a shadow version', () => {
  it('records what the shadow version would raise on the same minutes, without alerting', async () => {
    const alerts: Alert[] = [];
    const shadows: Alert[] = [];
    const ctx = { ...context(alerts), recordShadow: async (a: Alert) => void shadows.push(a) };
    // The active version never forecasts a crowd; the shadow version does from the 8th scored minute on.
    let n = 0;
    const scorer: Scorer = {
      score: async () => {
        n++;
        return { active: Float32Array.from([0, 0.1]), activeVersion: 'crowding@1.0.0', shadow: Float32Array.from([0, n >= 8 ? 0.9 : 0.1]), shadowVersion: 'crowding@1.1.0' };
      },
    };
    const p = new CrowdingPipeline(scorer, () => cardSlot, ctx);
    for (let m = 0; m <= 30; m++) await p.onCount(counter('pc-a'), new Date(t0 + m * MIN), 100 + m);
    expect(alerts).toHaveLength(0);
    expect(shadows).toHaveLength(1); // one per episode, not one per minute
    expect(shadows[0]).toMatchObject({ kind: 'crowding', zoneId: 'z-river', modelVersion: 'crowding@1.1.0', evidence: { scores: { exceed_15m: 0.9 }, window: { capacity: 150 } } });
    expect(shadows[0]?.summary).toContain('within 15 minutes');
  });
});
