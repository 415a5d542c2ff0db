import { ZoneSchedule } from '../../core/domain/zone-rules.js';
import { describe, expect, it } from 'vitest';
import { FishingPipeline } from '../../inference/pipelines/fishing.js';
import { FISHING_FEATURE_COUNT, FISHING_HISTORY, fishingFeatures } from '../../inference/features/fishing.js';
import { isTrackSummary, type TrackSummary } from '../../inference/features/track-summary.js';
import { SpeakerController } from '../../inference/actuation.js';
import type { Scorer } from '../../inference/batcher.js';
import type { ModelSlot } from '../../inference/model-registry.js';
import { MemoryCommandRecord } from '../../inference/command-memory.js';
import type { PipelineContext } from '../../inference/pipelines/context.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { Metrics } from '../../core/metrics.js';
import { createLogger } from '../../core/log.js';

const camera: DeviceContext = {
  id: 'cam-1', kind: 'camera', zoneId: 'z-river', noiseClass: '2', timezone: 'Asia/Shanghai', capacity: 150,
  fishingBan: true, hasSpeaker: true, calibrationValidUntil: null, placementPublished: true,
};
const labels = ['other', 'fishing'];
const slot = { active: { card: { name: 'fishing', version: '1.0.0', labels, thresholds: { 'fishing.on': 0.7, 'fishing.off': 0.4 } }, labelIndex: (l: string) => labels.indexOf(l) } } as unknown as ModelSlot;
/** A scorer that says what the test wants: P(fishing) from a script. */
const scripted = (p: () => number): Scorer => ({
  score: async () => ({ active: Float32Array.from([1 - p(), p()]), activeVersion: 'fishing@1.0.0', shadow: null, shadowVersion: null }),
});

function setup(pFishing: () => number) {
  const alerts: Alert[] = [];
  const commands: string[] = [];
  const repo = new (class extends MemoryCommandRecord {
    override async commandSent(c: { id: string; deviceId: string; name: string; stage: string; sentAt: Date }) {
      commands.push(c.stage);
      return super.commandSent(c);
    }
  })();
  const speakers = new SpeakerController(async () => undefined, repo, { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 }, createLogger('silent'), new Metrics());
  const ctx: PipelineContext = { emit: async (a) => void alerts.push(a), recordShadow: async () => undefined, speakers, speakersInZone: async () => [], rules: () => ZoneSchedule.EMPTY, log: createLogger('silent') };
  const pipeline = new FishingPipeline(scripted(pFishing), () => slot, { minDurationS: 120, gapS: 60, warningsBeforeAlert: 2, warningIntervalS: 300 }, ctx);
  return { pipeline, alerts, commands };
}

const start = Date.UTC(2026, 6, 1, 2, 0); // 10:00 in Shanghai: speakers may play
const obs = { id: 'trk-1', dwellS: 300, waterlineM: 0.8, rodScore: 0.9, speedMps: 0.05 };

async function feed(pipeline: FishingPipeline, device: DeviceContext, minutes: number) {
  for (let s = 0; s <= minutes * 60; s += 10) await pipeline.onTrack(device, new Date(start + s * 1000), { ts: start + s * 1000, seq: s, ...obs, dwellS: s });
}

describe('fishing escalation ladder', () => {
  it('warns, repeats, then raises the alert that opens the case', async () => {
    const { pipeline, alerts, commands } = setup(() => 0.95);
    await feed(pipeline, camera, 6);
    expect(commands).toEqual(['warning']); // at 2 min; the repeat is due at 7 min
    expect(alerts).toHaveLength(0);
    await feed(pipeline, camera, 0); // (same readings again: ignored as late)
    for (let s = 6 * 60 + 10; s <= 20 * 60; s += 10) await pipeline.onTrack(camera, new Date(start + s * 1000), { ts: start + s * 1000, seq: s, ...obs });
    expect(commands).toEqual(['warning', 'repeat']);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'fishing', zoneId: 'z-river', deviceId: 'cam-1', evidence: { trackId: 'trk-1', warnings: 2 } });
    expect(new Date(alerts[0]!.detectedAt).getTime() - start).toBe(12 * 60_000); // 2 min + 5 + 5
  });

  it('raises the alert at once where there is no loudspeaker', async () => {
    const { pipeline, alerts, commands } = setup(() => 0.95);
    await feed(pipeline, { ...camera, hasSpeaker: false }, 3);
    expect(commands).toEqual([]);
    expect(alerts).toHaveLength(1);
    expect(new Date(alerts[0]!.detectedAt).getTime() - start).toBe(120_000);
  });

  it('does nothing outside fishing-ban zones or when the model says no', async () => {
    const ban = setup(() => 0.95);
    await feed(ban.pipeline, { ...camera, fishingBan: false }, 20);
    expect(ban.alerts).toHaveLength(0);
    const walker = setup(() => 0.1);
    await feed(walker.pipeline, camera, 20);
    expect(walker.alerts).toHaveLength(0);
    expect(walker.commands).toHaveLength(0);
  });
});

describe('fishing on each camera’s own clock', () => {
  /** P(fishing) grows with the track's history (feature x19 = observations used / 30): a forgotten track starts over. */
  const historyScorer: Scorer = {
    score: async (f) => {
      const p = (f[19] as number) >= 0.5 ? 0.95 : 0.1;
      return { active: Float32Array.from([1 - p, p]), activeVersion: 'fishing@1.0.0', shadow: null, shadowVersion: null };
    },
  };
  const cams = ['cam-a', 'cam-b', 'cam-c'].map((id) => ({ ...camera, id, hasSpeaker: false }));
  // cam-a and cam-b from 10:00, cam-c from 10:25; one observation every 10 s for 40 minutes.
  const readings = cams.flatMap((device, k) =>
    Array.from({ length: 240 }, (_, i) => ({ device, t: start + (k === 2 ? 25 * 60_000 : 0) + i * 10_000 + k * 1000, i })),
  );

  async function replay(order: typeof readings): Promise<string[]> {
    const alerts: Alert[] = [];
    const repo = new MemoryCommandRecord();
    const speakers = new SpeakerController(async () => undefined, repo, { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 }, createLogger('silent'), new Metrics());
    const ctx: PipelineContext = { emit: async (a) => void alerts.push(a), recordShadow: async () => undefined, speakers, speakersInZone: async () => [], rules: () => ZoneSchedule.EMPTY, log: createLogger('silent') };
    const pipeline = new FishingPipeline(historyScorer, () => slot, { minDurationS: 120, gapS: 60, warningsBeforeAlert: 0, warningIntervalS: 300 }, ctx);
    for (const r of order) await pipeline.onTrack(r.device, new Date(r.t), { ts: r.t, seq: r.i, ...obs, id: 'trk-1', dwellS: r.i * 10 });
    return alerts.map((a) => `${a.deviceId} ${a.id} ${a.startedAt} ${a.detectedAt}`).sort();
  }

  it('gives the same alerts whatever the order the cameras’ readings arrive in', async () => {
    const byTime = [...readings].sort((a, b) => a.t - b.t);
    const expected = await replay(byTime);
    expect(expected).toHaveLength(3);
    // The cameras one after another, latest-starting first; and 20-minute chunks of each camera in turn.
    const byCamera = [...readings].sort((a, b) => b.device.id.localeCompare(a.device.id) || a.t - b.t);
    const chunk = (r: (typeof readings)[number]) => Math.floor(r.i / 120);
    const chunked = [...readings].sort((a, b) => chunk(a) - chunk(b) || a.device.id.localeCompare(b.device.id) || a.t - b.t);
    expect(await replay(byCamera)).toEqual(expected);
    expect(await replay(chunked)).toEqual(expected);
  });
});

describe('the alert keeps the model’s input', () => {
  it('carries the window the model scored, so a verdict on it is a training example', async () => {
    const { pipeline, alerts } = setup(() => 0.95);
    await feed(pipeline, { ...camera, hasSpeaker: false }, 3);
    const window = alerts[0]?.evidence.window as { localHour: number; observations: number[][]; track: unknown };
    expect(window.localHour).toBe(10);
    // Confirmed at 120 s (minimum duration 120 s): the 13 observations 0, 10, … 120 s (at most FISHING_HISTORY).
    expect(window.observations).toHaveLength(13);
    expect(window.observations.length).toBeLessThanOrEqual(FISHING_HISTORY);
    expect(window.observations[0]).toEqual([0, 0.8, 0.9, 0.05]);
    expect(window.observations.at(-1)).toEqual([120, 0.8, 0.9, 0.05]);
    // The same features as the pipeline computed from it.
    // The same features as the pipeline computed from it (the whole-track summary is kept beside the window).
    expect(isTrackSummary(window.track)).toBe(true);
    const history = window.observations.map(([dwellS, waterlineM, rodScore, speedMps]) => ({ dwellS: dwellS!, waterlineM: waterlineM!, rodScore: rodScore!, speedMps: speedMps! }));
    const rebuilt = fishingFeatures(history, window.localHour, undefined, 0, window.track as TrackSummary);
    expect(rebuilt).toHaveLength(FISHING_FEATURE_COUNT);
    // Here the track is no longer than the window: its summary is the window's own.
    expect(Array.from(rebuilt)).toEqual(Array.from(fishingFeatures(history, window.localHour)));
  });
});

describe('track continuity on one camera', () => {
  /** Observations of `id` every 10 s from `fromS` to `toS` (dwell from the track's own start). */
  const run = async (pipeline: FishingPipeline, device: DeviceContext, id: string, fromS: number, toS: number, extra: Partial<typeof obs> = {}) => {
    for (let s = fromS; s <= toS; s += 10) await pipeline.onTrack(device, new Date(start + s * 1000), { ts: start + s * 1000, seq: s, ...obs, ...extra, id, dwellS: s - fromS });
  };
  const quietCam = { ...camera, hasSpeaker: false };

  it('a track the camera re-assigned goes on with the lost one: its episode, and its ids in the alert', async () => {
    const { pipeline, alerts } = setup(() => 0.95);
    const links: string[][] = [];
    pipeline.linked = (_d, ids) => void links.push([...ids]);
    await run(pipeline, quietCam, 'trk-1', 0, 90); // lost before its episode is confirmed (120 s)
    await run(pipeline, quietCam, 'trk-2', 100, 400);
    expect(links).toEqual([['trk-1', 'trk-2']]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.startedAt).toBe(new Date(start).toISOString()); // the episode of trk-1, continued
    expect(alerts[0]!.evidence).toMatchObject({ trackId: 'trk-2', trackIds: ['trk-1', 'trk-2'] });
    expect(new Date(alerts[0]!.detectedAt).getTime() - start).toBe(130_000); // linked 30 s into trk-2, past 120 s
    expect((alerts[0]!.evidence as { dwellS: number }).dwellS).toBe(130); // one track's dwell
  });

  it('does not take over a track that is still seen, one that fished on another camera, or one far from the new spot', async () => {
    const a = setup(() => 0.95);
    await run(a.pipeline, quietCam, 'trk-1', 0, 90);
    // Two people: trk-1 is seen again after trk-2 appeared.
    for (let s = 100; s <= 400; s += 10) {
      await a.pipeline.onTrack(quietCam, new Date(start + s * 1000), { ts: start + s * 1000, seq: s, ...obs, id: 'trk-2', dwellS: s - 100 });
      if (s <= 150) await a.pipeline.onTrack(quietCam, new Date(start + s * 1000 + 1), { ts: start + s * 1000 + 1, seq: s + 1, ...obs, id: 'trk-1', dwellS: s });
    }
    expect(a.alerts.map((x) => (x.evidence as { trackIds: string[] }).trackIds).sort()).toEqual([['trk-1'], ['trk-2']]);
    const b = setup(() => 0.95);
    await run(b.pipeline, quietCam, 'trk-1', 0, 90);
    await run(b.pipeline, { ...quietCam, id: 'cam-2' }, 'trk-2', 100, 400);
    await run(b.pipeline, quietCam, 'trk-3', 100, 400, { waterlineM: 4 });
    expect(b.alerts.map((x) => (x.evidence as { trackIds: string[] }).trackIds).sort()).toEqual([['trk-2'], ['trk-3']]);
  });

  it('an angler coming back within 30 minutes is not warned again: the ladder goes on', async () => {
    const { pipeline, alerts, commands } = setup(() => 0.95);
    await run(pipeline, camera, 'trk-1', 0, 200); // warned at 120 s, then packs up and leaves
    expect(commands).toEqual(['warning']);
    await run(pipeline, camera, 'trk-9', 20 * 60, 40 * 60); // back 20 min later under a new id
    expect(commands).toEqual(['warning', 'repeat']);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.evidence).toMatchObject({ trackIds: ['trk-1', 'trk-9'], warnings: 2 });
    // 35 minutes away is another person: warned afresh.
    const later = setup(() => 0.95);
    await run(later.pipeline, camera, 'trk-1', 0, 200);
    await run(later.pipeline, camera, 'trk-9', 200 + 35 * 60, 200 + 55 * 60);
    expect(later.commands).toEqual(['warning', 'warning', 'repeat']);
  });
});
