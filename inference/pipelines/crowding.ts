import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { localClock } from '../../core/domain/local-time.js';
import { CROWD_HISTORY_MIN, crowdFeatures } from '../features/crowding.js';
import { EpisodeTracker } from '../episode.js';
import type { Scorer } from '../batcher.js';
import type { ModelSlot } from '../model-registry.js';
import { alertId, scoresByLabel, type PipelineContext } from './context.js';

export const CROWD_MODEL = 'crowding';
const MINUTE = 60_000;

interface ZoneWindow {
  timezone: string;
  /** Latest count of each counter in the zone (they cover separate fields of view, so they add up). */
  latest: Map<string, number>;
  minute: number;
  /** Zone totals per finished minute, oldest first. */
  series: number[];
  episode: EpisodeTracker;
  alerted: boolean;
  device: DeviceContext;
}

/**
 * Crowding: people counts of a zone's counters, resampled to one total per minute on the readings'
 * clock → the crowding model (risk now, P(count exceeds capacity within 15 minutes)) → one alert per
 * episode, before the crowd peaks, with the zone's loudspeakers playing the anti-drowning clip.
 */
export class CrowdingPipeline {
  private readonly zones = new Map<string, ZoneWindow>();
  /** Per-zone queue: a zone's minutes close one after another, never interleaved across awaits. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly batcher: Scorer,
    private readonly slot: () => ModelSlot,
    private readonly ctx: PipelineContext,
  ) {}

  onCount(device: DeviceContext, ts: Date, count: number): Promise<void> {
    const next = (this.queues.get(device.zoneId) ?? Promise.resolve()).then(() => this.count(device, ts, count));
    this.queues.set(device.zoneId, next.catch(() => undefined));
    return next;
  }

  private async count(device: DeviceContext, ts: Date, count: number): Promise<void> {
    const minute = Math.floor(ts.getTime() / MINUTE) * MINUTE;
    let zone = this.zones.get(device.zoneId);
    if (!zone) {
      const th = this.slot().active.card.thresholds;
      zone = {
        timezone: device.timezone,
        latest: new Map(),
        minute,
        series: [],
        episode: new EpisodeTracker({ on: th['exceed_15m.on'] ?? 0.7, off: th['exceed_15m.off'] ?? 0.4, minDurationS: 0, gapS: 300 }),
        alerted: false,
        device,
      };
      this.zones.set(device.zoneId, zone);
    }
    if (minute < zone.minute) return; // a late count for a minute already closed
    // Close every minute before this one, carrying the counts forward over gaps.
    while (zone.minute < minute) {
      await this.closeMinute(zone, new Date(zone.minute + MINUTE));
      zone.minute += MINUTE;
      if (minute - zone.minute > CROWD_HISTORY_MIN * MINUTE) zone.minute = minute - CROWD_HISTORY_MIN * MINUTE; // long silence
    }
    zone.latest.set(device.id, count);
  }

  private async closeMinute(zone: ZoneWindow, end: Date): Promise<void> {
    if (zone.latest.size === 0) return;
    const total = [...zone.latest.values()].reduce((a, b) => a + b, 0);
    zone.series.push(total);
    if (zone.series.length > CROWD_HISTORY_MIN) zone.series.shift();
    await this.ctx.speakers.observe(`zone|${zone.device.zoneId}`, end, total);
    // The capacity in force this minute: the zone's rules (e.g. lower on holiday evenings), else its own.
    const { capacity, rule } = this.ctx.rules().capacity({ zoneId: zone.device.zoneId, timezone: zone.timezone, capacity: zone.device.capacity }, end);
    if (capacity === null) return; // no capacity, no crowding rule
    const scored = await this.batcher.score(crowdFeatures(zone.series, capacity, localClock(end, zone.timezone).hour));
    const model = this.slot().active;
    const pExceed = scored.active[model.labelIndex('exceed_15m')] ?? 0;
    const riskNow = scored.active[model.labelIndex('risk_now')] ?? 0;
    const riskOn = model.card.thresholds['risk_now.on'] ?? 0.8;
    const event = zone.episode.observe(end, riskNow >= riskOn ? 1 : pExceed);
    if (event === 'ended') zone.alerted = false;
    if (!zone.episode.isConfirmed || zone.alerted) return;
    zone.alerted = true;
    const started = zone.episode.startedAt as Date;
    const id = alertId(zone.device.zoneId, 'crowding', started);
    const warned: string[] = [];
    for (const speaker of await this.ctx.speakersInZone(zone.device.zoneId)) {
      const r = await this.ctx.speakers.play(speaker, 'anti-drowning', 'warning', id, end, { key: `zone|${zone.device.zoneId}`, metric: 'people', value: total });
      if (r.played) warned.push(speaker.id);
    }
    const alert: Alert = {
      id,
      kind: 'crowding',
      zoneId: zone.device.zoneId,
      startedAt: started.toISOString(),
      detectedAt: end.toISOString(),
      modelVersion: scored.activeVersion,
      summary: riskNow >= riskOn
        ? `Dangerous crowding now: ${total} people for a capacity of ${capacity}`
        : `Crowd expected to exceed capacity (${capacity}) within 15 minutes: ${total} people now, P = ${pExceed.toFixed(2)}`,
      evidence: {
        count: total,
        capacity,
        capacityRule: rule ?? null,
        countsPerMinute: zone.series.slice(),
        scores: scoresByLabel(model.card.labels, scored.active),
        thresholds: model.card.thresholds,
        speakers: warned,
      },
    };
    await this.ctx.emit(alert);
  }
}
