import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { localClock } from '../../core/domain/local-time.js';
import { CROWD_HISTORY_MIN, crowdFeatures } from '../features/crowding.js';
import { EpisodeTracker } from '../episode.js';
import type { Scorer } from '../batcher.js';
import type { ModelSlot } from '../model-registry.js';
import type { AppliedRule } from '../../core/domain/zone-rules.js';
import { alertId, round, scoresByLabel, type PipelineContext } from './context.js';

export const CROWD_MODEL = 'crowding';
const MINUTE = 60_000;
/** A counter silent this long (zone time) is no longer one of the zone's counters at all. */
const COUNTER_FORGET_MS = 24 * 3600_000;

export interface CrowdingOptions {
  /** A counter whose newest count is older than this (at the minute's end) drops out of the zone's total. */
  counterMaxAgeS: number;
  /**
   * How far the zone's newest reading may run ahead of a counter before a minute closes without
   * waiting for that counter (it is then judged by its last count, which ages out after counterMaxAgeS).
   */
  counterWaitS: number;
  /** Minutes of a zone's own history needed before any crowding alarm (a first minute has no trend). */
  minHistoryMin: number;
}

export const CROWDING_DEFAULTS: CrowdingOptions = { counterMaxAgeS: 300, counterWaitS: 150, minHistoryMin: 5 };

interface Count {
  t: number;
  count: number;
}

interface Counter {
  /** Readings not yet taken into a closed minute, oldest first. */
  pending: Count[];
  /** The newest count taken into a closed minute. */
  last: Count | null;
  /** Newest timestamp seen from this counter. */
  newest: number;
}

/** A closed minute's facts, as the alert reports them. */
interface Minute {
  end: Date;
  total: number;
  capacity: number;
  rule: AppliedRule | null;
  localHour: number;
  reporting: string[];
  silent: string[];
}

interface ZoneWindow {
  timezone: string;
  device: DeviceContext;
  counters: Map<string, Counter>;
  /** Start of the next minute to close. */
  minute: number;
  /** Newest timestamp seen from any counter of the zone, and the first one ever. */
  newest: number;
  first: number;
  /** Zone totals per closed minute with live counters, oldest first (reset when none report). */
  series: number[];
  episode: EpisodeTracker;
  alerted: boolean;
  /** The shadow version's own episode on the same minutes (recorded, never alerting). */
  shadow?: { episode: EpisodeTracker; alerted: boolean };
}

/**
 * Crowding: people counts of a zone's counters → one total per minute on the readings' own clock →
 * the crowding model (risk now, P(count exceeds capacity within 15 minutes)) → one alert per episode,
 * before the crowd peaks, with the zone's loudspeakers playing the anti-drowning clip.
 *
 * A minute closes once every counter of the zone has reported past its end, or once the zone's
 * newest reading is more than `counterWaitS` ahead of a counter that has not (so a dead counter
 * delays the zone by at most that much); a new zone's first minute waits `counterWaitS` for counters
 * it has not heard from yet. The total is the sum of each counter's newest count at the
 * minute's end, leaving out counters whose newest count is older than `counterMaxAgeS`; the share of
 * counters reporting is the minute's coverage, shown in the alert. Readings for a minute already
 * closed are counted as late and ignored. So the same readings give the same alerts in any order
 * across zones, and in any order within a zone whose counters stay within `counterWaitS` of each other.
 */
export class CrowdingPipeline {
  private readonly zones = new Map<string, ZoneWindow>();
  /** Per-zone queue: a zone's minutes close one after another, never interleaved across awaits. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Readings that came for a minute already closed. */
  late = 0;

  constructor(
    private readonly batcher: Scorer,
    private readonly slot: () => ModelSlot,
    private readonly ctx: PipelineContext,
    private readonly opts: CrowdingOptions = CROWDING_DEFAULTS,
  ) {}

  onCount(device: DeviceContext, ts: Date, count: number): Promise<void> {
    const next = (this.queues.get(device.zoneId) ?? Promise.resolve()).then(() => this.count(device, ts, count));
    this.queues.set(device.zoneId, next.catch(() => undefined));
    return next;
  }

  private async count(device: DeviceContext, ts: Date, count: number): Promise<void> {
    const t = ts.getTime();
    let zone = this.zones.get(device.zoneId);
    if (!zone) {
      zone = {
        timezone: device.timezone,
        device,
        counters: new Map(),
        minute: Math.floor(t / MINUTE) * MINUTE,
        newest: t,
        first: t,
        series: [],
        episode: this.episodeTracker(),
        alerted: false,
      };
      this.zones.set(device.zoneId, zone);
    }
    if (t < zone.minute) {
      this.late++;
      return;
    }
    let counter = zone.counters.get(device.id);
    if (!counter) zone.counters.set(device.id, (counter = { pending: [], last: null, newest: t }));
    counter.pending.push({ t, count });
    if (t < counter.newest) counter.pending.sort((a, b) => a.t - b.t);
    counter.newest = Math.max(counter.newest, t);
    zone.newest = Math.max(zone.newest, t);
    zone.device = device; // the freshest registry view of the zone (capacity, timezone)
    await this.advance(zone);
  }

  /** Closes every minute of the zone that can be closed. */
  private async advance(zone: ZoneWindow): Promise<void> {
    const wait = this.opts.counterWaitS * 1000;
    for (;;) {
      const end = zone.minute + MINUTE;
      if (zone.newest < end) return;
      // A new zone's counters all get `counterWaitS` to show up before its first minute closes.
      if (zone.newest - zone.first <= wait) return;
      for (const c of zone.counters.values()) if (c.newest < end && zone.newest - c.newest <= wait) return; // wait for it
      for (const c of zone.counters.values()) {
        while (c.pending.length > 0 && (c.pending[0] as Count).t < end) c.last = c.pending.shift() as Count;
      }
      const live = await this.closeMinute(zone, new Date(end));
      zone.minute = end;
      if (!live) {
        // Nobody reported for the whole age limit: skip straight to the next minute with a reading.
        const next = Math.min(...[...zone.counters.values()].map((c) => c.pending[0]?.t ?? Infinity));
        if (Number.isFinite(next)) zone.minute = Math.max(end, Math.floor(next / MINUTE) * MINUTE);
      }
      for (const [id, c] of zone.counters) if (c.pending.length === 0 && zone.minute - c.newest > COUNTER_FORGET_MS) zone.counters.delete(id);
    }
  }

  /** Judges the minute ending at `end`; false when no counter of the zone was live in it. */
  private async closeMinute(zone: ZoneWindow, end: Date): Promise<boolean> {
    const maxAge = this.opts.counterMaxAgeS * 1000;
    const reporting: string[] = [];
    const silent: string[] = [];
    let total = 0;
    for (const [id, c] of zone.counters) {
      if (c.last && end.getTime() - c.last.t <= maxAge) {
        reporting.push(id);
        total += c.last.count;
      } else silent.push(id);
    }
    if (reporting.length === 0) {
      zone.series = []; // a zone without live counters has no history to build on
      return false;
    }
    zone.series.push(total);
    if (zone.series.length > CROWD_HISTORY_MIN) zone.series.shift();
    const zoneId = zone.device.zoneId;
    await this.ctx.speakers.observe(`zone|${zoneId}`, end, total);
    if (zone.series.length < this.opts.minHistoryMin) return true; // no trend yet: no "now" alarm either
    // The capacity in force this minute: the zone's rules (e.g. lower on holiday evenings), else its own.
    const { capacity, rule } = this.ctx.rules().capacity({ zoneId, timezone: zone.timezone, capacity: zone.device.capacity }, end);
    if (capacity === null) return true; // no capacity, no crowding rule
    const localHour = localClock(end, zone.timezone).hour;
    const scored = await this.batcher.score(crowdFeatures(zone.series, capacity, localHour));
    const minute: Minute = { end, total, capacity, rule: rule ?? null, localHour, reporting, silent };
    if (scored.shadow && scored.shadowVersion) {
      zone.shadow ??= { episode: this.episodeTracker(), alerted: false };
      const sh = zone.shadow;
      const { event, riskNow, pExceed } = this.observe(sh.episode, scored.shadow, end);
      if (event === 'ended') sh.alerted = false;
      if (sh.episode.isConfirmed && !sh.alerted) {
        sh.alerted = true;
        const started = sh.episode.startedAt as Date;
        await this.ctx.recordShadow(this.alert(zone, minute, alertId(zoneId, `crowding|${scored.shadowVersion}`, started), started, scored.shadow, scored.shadowVersion, riskNow, pExceed, []));
      }
    }
    const { event, riskNow, pExceed } = this.observe(zone.episode, scored.active, end);
    if (event === 'ended') zone.alerted = false;
    if (!zone.episode.isConfirmed || zone.alerted) return true;
    zone.alerted = true;
    const started = zone.episode.startedAt as Date;
    const id = alertId(zoneId, 'crowding', started);
    const warned: string[] = [];
    for (const speaker of await this.ctx.speakersInZone(zoneId)) {
      const r = await this.ctx.speakers.play(speaker, 'anti-drowning', 'warning', id, end, { key: `zone|${zoneId}`, metric: 'people', value: total });
      if (r.played) warned.push(speaker.id);
    }
    await this.ctx.emit(this.alert(zone, minute, id, started, scored.active, scored.activeVersion, riskNow, pExceed, warned));
    return true;
  }

  private episodeTracker(): EpisodeTracker {
    const th = this.slot().active.card.thresholds;
    return new EpisodeTracker({ on: th['exceed_15m.on'] ?? 0.7, off: th['exceed_15m.off'] ?? 0.4, minDurationS: 0, gapS: 300 });
  }

  /** One minute's scores into an episode: "risk now" above its threshold counts as certain. */
  private observe(episode: EpisodeTracker, scores: Float32Array, end: Date) {
    const model = this.slot().active;
    const pExceed = scores[model.labelIndex('exceed_15m')] ?? 0;
    const riskNow = scores[model.labelIndex('risk_now')] ?? 0;
    const riskOn = model.card.thresholds['risk_now.on'] ?? 0.8;
    return { event: episode.observe(end, riskNow >= riskOn ? 1 : pExceed), riskNow: riskNow >= riskOn ? riskNow : null, pExceed };
  }

  private alert(zone: ZoneWindow, m: Minute, id: string, started: Date, scores: Float32Array, version: string, riskNow: number | null, pExceed: number, warned: string[]): Alert {
    const model = this.slot().active;
    const { total, capacity, reporting, silent, localHour } = m;
    const coverage = reporting.length / (reporting.length + silent.length);
    const gap = silent.length > 0 ? ` (${silent.length} of ${reporting.length + silent.length} counters silent: the count is a lower bound)` : '';
    return {
      id,
      kind: 'crowding',
      zoneId: zone.device.zoneId,
      startedAt: started.toISOString(),
      detectedAt: m.end.toISOString(),
      modelVersion: version,
      summary: (riskNow !== null
        ? `Dangerous crowding now: ${total} people for a capacity of ${capacity}`
        : `Crowd expected to exceed capacity (${capacity}) within 15 minutes: ${total} people now, P = ${pExceed.toFixed(2)}`) + gap,
      evidence: {
        count: total,
        capacity,
        capacityRule: m.rule,
        countsPerMinute: zone.series.slice(),
        // The model's input at the alert (with capacity and countsPerMinute), kept with the officers' verdict.
        window: { localHour, capacity, countsPerMinute: zone.series.slice() },
        counters: { reporting, silent, maxAgeS: this.opts.counterMaxAgeS },
        coverage: round(coverage, 3),
        confidence: round(coverage * Math.max(riskNow ?? pExceed, 0), 3),
        scores: scoresByLabel(model.card.labels, scores),
        thresholds: model.card.thresholds,
        speakers: warned,
      },
    };
  }
}
