import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { localClock } from '../../core/domain/local-time.js';
import { CROWD_HISTORY_MIN, CROWD_TREND_15, crowdFeatures } from '../features/crowding.js';
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
  /**
   * For the forecast only: a counter silent for less than this is stood in for by its usual share of
   * the zone (learnt while every counter reported), so a drop-out is not read as the crowd leaving and
   * its return as a surge. Beyond it the counter is simply out (0: never stood in for).
   */
  counterImputeS: number;
  /**
   * A counter's count for a minute is the mean of its readings within it (else its newest before it),
   * and a lone zero after ZERO_GLITCH_MIN people or more is a glitch; off: its newest reading, zeros included.
   */
  counterMinuteMean: boolean;
}

export const CROWDING_DEFAULTS: CrowdingOptions = { counterMaxAgeS: 300, counterWaitS: 150, minHistoryMin: 5, counterImputeS: 1800, counterMinuteMean: false };

/** A counter reading this many times what the zone's other counters imply (and 3 more) is double counting. */
const DOUBLE_COUNT_RATIO = 1.3;
/** A lone zero after a count of at least this many people is taken for a glitch (see `take`). */
const ZERO_GLITCH_MIN = 10;
/** How fast a counter's usual share of the zone forgets old minutes (per minute when every counter reports). */
const SHARE_FADE = 0.02;

interface Count {
  t: number;
  count: number;
}

/**
 * A counter's reading into the minute ending at `end` (with `counterMinuteMean`; without, it is simply the newest). A lone zero from a counter whose last count was
 * at least ZERO_GLITCH_MIN is a glitch (a reboot; a crowd does not vanish between two readings): the
 * counter stays live at its last count until a second zero in a row confirms the zone is empty.
 */
function take(c: Counter, r: Count, end: number, minuteMean: boolean): void {
  if (!minuteMean) {
    c.last = r;
    return;
  }
  const glitch = r.count === 0 && c.last !== null && c.last.count >= ZERO_GLITCH_MIN && !c.zeroSeen;
  c.zeroSeen = r.count === 0;
  if (glitch) {
    c.last = { t: r.t, count: (c.last as Count).count };
    return;
  }
  c.last = r;
  if (r.t >= end - MINUTE) c.inMinute.push(r.count);
}

/** The counter's count at the minute's end: the mean of its readings in that minute (less counting noise), else its newest. */
function minuteCount(c: Counter): number {
  if (c.inMinute.length === 0) return (c.last as Count).count;
  return Math.round(c.inMinute.reduce((a, b) => a + b, 0) / c.inMinute.length);
}

interface Counter {
  /** Readings not yet taken into a closed minute, oldest first. */
  pending: Count[];
  /** The newest count taken into a closed minute (a zero glitch not taken: see ZERO_GLITCH_MIN). */
  last: Count | null;
  /** The counts it reported within the minute just closed (two for a counter reporting every 30 s). */
  inMinute: number[];
  /** Its newest reading was a zero. */
  zeroSeen: boolean;
  /** Newest timestamp seen from this counter. */
  newest: number;
  /**
   * Its usual share of the zone's count: its counts over the zone's totals in minutes when every counter
   * reported plausibly, both sums fading by SHARE_FADE a minute (unknown until they add up to 20 people).
   */
  shareOf: number;
  shareIn: number;
  share: number | null;
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
  /** The zone's estimate the forecast saw (silent counters stood in for, double counting discounted). */
  estimate: number;
  /** Counters whose count was replaced by what the others imply (double counting). */
  doubtful: string[];
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
  /** The zone's estimate per closed minute, oldest first (reset when no counter reports or can be stood in for). */
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
 * minute's end, leaving out counters whose newest count is older than `counterMaxAgeS` (a counter's count being the mean of its
 * readings within the minute, or its newest before it; a lone zero after ZERO_GLITCH_MIN people is a glitch); the share of
 * counters reporting is the minute's coverage, shown in the alert. Readings for a minute already
 * closed are counted as late and ignored. So the same readings give the same alerts in any order
 * across zones, and in any order within a zone whose counters stay within `counterWaitS` of each other.
 *
 * A reading stamped ahead of its arrival (`receivedAt`, live readings only) moves the zone's clock no
 * further than its arrival: a counter with a fast clock — or a rogue one stamping its counts up to
 * MAX_CLOCK_SKEW_S ahead — would otherwise close the zone's minutes before the other counters report,
 * and every count of theirs would be late and ignored. Its readings still count at their own time.
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
    /** Told of every scored minute of a zone: its end and whether an alerted episode is open (evaluation). */
    private readonly onMinute?: (zoneId: string, end: Date, state: { pExceed: number; riskNow: number | null; alerting: boolean }) => void,
  ) {}

  onCount(device: DeviceContext, ts: Date, count: number, receivedAt?: Date): Promise<void> {
    const next = (this.queues.get(device.zoneId) ?? Promise.resolve()).then(() => this.count(device, ts, count, receivedAt));
    this.queues.set(device.zoneId, next.catch(() => undefined));
    return next;
  }

  private async count(device: DeviceContext, ts: Date, count: number, receivedAt?: Date): Promise<void> {
    const t = ts.getTime();
    // How far this reading may move the zone's clock: to its time, but never past its arrival.
    const clock = receivedAt ? Math.min(t, receivedAt.getTime()) : t;
    let zone = this.zones.get(device.zoneId);
    if (!zone) {
      zone = {
        timezone: device.timezone,
        device,
        counters: new Map(),
        minute: Math.floor(clock / MINUTE) * MINUTE,
        newest: clock,
        first: clock,
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
    if (!counter) zone.counters.set(device.id, (counter = { pending: [], last: null, inMinute: [], zeroSeen: false, newest: t, shareOf: 0, shareIn: 0, share: null }));
    counter.pending.push({ t, count });
    if (t < counter.newest) counter.pending.sort((a, b) => a.t - b.t);
    counter.newest = Math.max(counter.newest, t);
    zone.newest = Math.max(zone.newest, clock);
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
        c.inMinute = [];
        while (c.pending.length > 0 && (c.pending[0] as Count).t < end) take(c, c.pending.shift() as Count, end, this.opts.counterMinuteMean);
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

  /**
   * The zone's count at the minute's end: `total`, the sum of the live counters' newest counts (what
   * the alert reports), and `estimate`, what the forecast sees: a live counter reading far more than
   * its usual share of what the others count is double counting and is replaced by that share; a
   * counter silent for less than counterImputeS is stood in for by its usual share. With no live
   * counter, the previous estimate is held for up to counterImputeS (a single counter's drop-out).
   */
  private zoneCount(zone: ZoneWindow, end: number) {
    const maxAge = this.opts.counterMaxAgeS * 1000;
    const impute = this.opts.counterImputeS * 1000;
    const reporting: string[] = [];
    const silent: string[] = [];
    const live: [string, Counter, number][] = [];
    let total = 0;
    for (const [id, c] of zone.counters) {
      if (c.last && end - c.last.t <= maxAge) {
        reporting.push(id);
        const n = minuteCount(c);
        live.push([id, c, n]);
        total += n;
      } else silent.push(id);
    }
    // Double counting: one counter far above what the others imply from the usual shares.
    const doubtful: string[] = [];
    const counted = new Map(live.map(([id, , n]) => [id, n]));
    if (live.length >= 2 && live.every(([, c]) => c.share !== null)) {
      let worst: { id: string; expected: number; ratio: number } | null = null;
      for (const [id, c, n] of live) {
        const others = live.filter(([o]) => o !== id);
        const otherCount = others.reduce((a, [, , m]) => a + m, 0);
        const otherShare = others.reduce((a, [, o]) => a + (o.share as number), 0);
        if (otherShare <= 0.05 || otherCount < 10) continue;
        const expected = (otherCount * (c.share as number)) / otherShare;
        const ratio = n / (expected + 3);
        if (ratio > DOUBLE_COUNT_RATIO && (!worst || ratio > worst.ratio)) worst = { id, expected, ratio };
      }
      if (worst) {
        doubtful.push(worst.id);
        counted.set(worst.id, Math.round(worst.expected));
      }
    }
    let estimate = [...counted.values()].reduce((a, b) => a + b, 0);
    const liveShare = live.reduce((a, [, c]) => a + (c.share ?? 0), 0);
    let stoodIn = 0;
    for (const id of silent) {
      const c = zone.counters.get(id) as Counter;
      if (c.share === null || !c.last || end - c.last.t > impute || liveShare < 0.1) continue;
      stoodIn += c.share;
    }
    if (stoodIn > 0) estimate = Math.round(estimate * (1 + stoodIn / liveShare));
    if (live.length > 0 && silent.length === 0 && doubtful.length === 0) {
      for (const [, c, n] of live) {
        c.shareOf = c.shareOf * (1 - SHARE_FADE) + n;
        c.shareIn = c.shareIn * (1 - SHARE_FADE) + total;
        c.share = c.shareIn >= 20 ? c.shareOf / c.shareIn : null;
      }
    }
    return { total, estimate, reporting, silent, doubtful, live: live.length };
  }

  /** Judges the minute ending at `end`; false when no counter of the zone was live in it (nor stood in for). */
  private async closeMinute(zone: ZoneWindow, end: Date): Promise<boolean> {
    const { total, estimate: counted, reporting, silent, doubtful, live } = this.zoneCount(zone, end.getTime());
    let estimate = counted;
    if (live === 0) {
      // No counter reports: hold the last estimate while the newest count is young enough to stand in for.
      const newest = Math.max(...[...zone.counters.values()].map((c) => c.last?.t ?? -Infinity));
      if (zone.series.length === 0 || end.getTime() - newest > this.opts.counterImputeS * 1000) {
        zone.series = []; // a zone without live counters has no history to build on
        return false;
      }
      estimate = zone.series[zone.series.length - 1] as number;
    }
    zone.series.push(estimate);
    if (zone.series.length > CROWD_HISTORY_MIN) zone.series.shift();
    const zoneId = zone.device.zoneId;
    await this.ctx.speakers.observe(`zone|${zoneId}`, end, total);
    if (zone.series.length < this.opts.minHistoryMin) return true; // no trend yet: no "now" alarm either
    // The capacity in force this minute: the zone's rules (e.g. lower on holiday evenings), else its own.
    const { capacity, rule } = this.ctx.rules().capacity({ zoneId, timezone: zone.timezone, capacity: zone.device.capacity }, end);
    if (capacity === null) return true; // no capacity, no crowding rule
    const localHour = localClock(end, zone.timezone).hour;
    const features = crowdFeatures(zone.series, capacity, localHour);
    // The zone's 15-minute trend (least-squares, as a share of capacity per 15 minutes) for the steady-crowd rule.
    const rise = features[CROWD_TREND_15] as number;
    const scored = await this.batcher.score(features);
    const minute: Minute = { end, total, capacity, rule: rule ?? null, localHour, reporting, silent, estimate, doubtful };
    if (scored.shadow && scored.shadowVersion) {
      zone.shadow ??= { episode: this.episodeTracker(), alerted: false };
      const sh = zone.shadow;
      const { event, riskNow, pExceed } = this.observe(sh.episode, scored.shadow, end, estimate / capacity, rise);
      if (event === 'ended') sh.alerted = false;
      if (sh.episode.isConfirmed && !sh.alerted) {
        sh.alerted = true;
        const started = sh.episode.startedAt as Date;
        await this.ctx.recordShadow(this.alert(zone, minute, alertId(zoneId, `crowding|${scored.shadowVersion}`, started), started, scored.shadow, scored.shadowVersion, riskNow, pExceed, []));
      }
    }
    const { event, riskNow, pExceed } = this.observe(zone.episode, scored.active, end, estimate / capacity, rise);
    if (event === 'ended') zone.alerted = false;
    this.onMinute?.(zoneId, end, { pExceed, riskNow, alerting: zone.episode.isConfirmed });
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

  /**
   * One minute's scores into an episode: "risk now" above its threshold counts as certain. An open
   * episode does not end while the zone's estimate (`share` of capacity) is at least the card's
   * `exceed_15m.hold` (since crowding 1.3.1; absent: no hold): a crowd that came near capacity can tip
   * over it within minutes (a ferry, a group), so its warning stays in force until the crowd thins out.
   * A zone whose 15-minute trend (`rise`, the projected change as a share of capacity) is under the card's
   * `exceed_15m.steadyRise` starts no episode unless P(exceed_15m) reaches `exceed_15m.steadyOn` (since
   * crowding 1.5.0; absent: no such rule): a steady crowd just under capacity, read a few percent high
   * by its counters now and then, is not one about to pass it.
   */
  private observe(episode: EpisodeTracker, scores: Float32Array, end: Date, share: number, rise: number) {
    const model = this.slot().active;
    const pExceed = scores[model.labelIndex('exceed_15m')] ?? 0;
    const riskNow = scores[model.labelIndex('risk_now')] ?? 0;
    const th = model.card.thresholds;
    const riskOn = th['risk_now.on'] ?? 0.8;
    const hold = th['exceed_15m.hold'];
    const held = hold !== undefined && episode.startedAt !== null && share >= hold;
    const steadyRise = th['exceed_15m.steadyRise'];
    const steady = steadyRise !== undefined && episode.startedAt === null && rise < steadyRise && pExceed < (th['exceed_15m.steadyOn'] ?? 1);
    const forecast = steady ? 0 : pExceed;
    const score = Math.max(riskNow >= riskOn ? 1 : forecast, held ? (th['exceed_15m.off'] ?? 0.4) : 0);
    return { event: episode.observe(end, score), riskNow: riskNow >= riskOn ? riskNow : null, pExceed };
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
      summaryZh: (riskNow !== null
        ? `人员聚集危险：现有 ${total} 人，容量 ${capacity} 人`
        : `预计 15 分钟内人数超过容量（${capacity} 人）：现有 ${total} 人，概率 ${pExceed.toFixed(2)}`)
        + (silent.length > 0 ? `（${reporting.length + silent.length} 个计数器中 ${silent.length} 个无数据：人数为下限）` : ''),
      evidence: {
        count: total,
        capacity,
        capacityRule: m.rule,
        countsPerMinute: zone.series.slice(),
        // The model's input at the alert (with capacity and countsPerMinute), kept with the officers' verdict.
        window: { localHour, capacity, countsPerMinute: zone.series.slice() },
        counters: { reporting, silent, maxAgeS: this.opts.counterMaxAgeS, doubleCounting: m.doubtful },
        // What the forecast saw: silent counters stood in for by their usual share, double counting discounted.
        estimate: m.estimate,
        coverage: round(coverage, 3),
        confidence: round(coverage * Math.max(riskNow ?? pExceed, 0), 3),
        scores: scoresByLabel(model.card.labels, scores),
        thresholds: model.card.thresholds,
        speakers: warned,
      },
    };
  }
}
