import type { TracksPayload } from '../../contract/mqtt/telemetry.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { AppliedRule } from '../../core/domain/zone-rules.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { localClock } from '../../core/domain/local-time.js';
import { FISHING_HISTORY, fishingFeatures, type TrackObservation } from '../features/fishing.js';
import { newTrackSummary, observeTrack, type TrackSummary } from '../features/track-summary.js';
import { EpisodeTracker } from '../episode.js';
import type { Scorer } from '../batcher.js';
import type { ModelSlot } from '../model-registry.js';
import { alertId, round, scoresByLabel, type PipelineContext } from './context.js';

export const FISHING_MODEL = 'fishing';
const HISTORY = 60;
/** A track a camera has not reported for this long (on that camera's own clock) is forgotten. */
export const TRACK_FORGET_MS = 10 * 60_000;
/** A track id whose dwell falls by more than this, and below half, is a reused id: a new person, a new track. */
const DWELL_RESET_S = 30;
/**
 * Track continuity: a camera's tracker gives a person a new id after an occlusion or a restart, and
 * anglers pack up and come back. A new (or restarted) track that settles within LINK_NEAR_M of where a
 * lost fishing-like track fished, on the same camera, at most LINK_MS after that track was last seen,
 * takes its state over (history, whole-track summary, episode, ladder). "Lost" means the old track was
 * not seen again once the new one appeared; the new one is judged for that after LINK_AFTER_MS of its
 * own, and may link until it is LINK_WITHIN_MS old. All on the camera's own clock.
 */
export const LINK_MS = 30 * 60_000;
const LINK_AFTER_MS = 30_000;
const LINK_WITHIN_MS = 10 * 60_000;
const LINK_NEAR_M = 1.5;
const LINK_MAX_SPEED = 0.5;
/**
 * Longer gaps than this are a person coming back, not the tracker re-assigning an id: the new track must
 * look like fishing itself first (its own episode running), and takes over only the person's ladder
 * (warnings already given) and track ids; its features and episode stay its own.
 */
const LINK_SWITCH_MS = 120_000;

export interface FishingOptions {
  minDurationS: number;
  gapS: number;
  /** Loudspeaker warnings before the case: warning, repeat, … then the alert. 0 = alert at once. */
  warningsBeforeAlert: number;
  /** Time between warnings of one track (device clock). */
  warningIntervalS: number;
}

interface Track {
  /** The camera's ids of this person's track, oldest first (more than one once it took a lost track over). */
  ids: string[];
  /** Seconds added to the camera's dwell so the inherited history goes on as one track. */
  dwellOffsetS: number;
  firstSeen: number;
  /** Whether it may still take a lost track over (a young track that has not yet). */
  linkable: boolean;
  /** Whether it ever looked like fishing (an episode running or confirmed): a lost track others may continue. */
  fishingLike: boolean;
  /** Whether an episode of it was ever confirmed: a lost track a person coming back may continue. */
  fished: boolean;
  /** Where, from the water, it was while an episode ran (smoothed), m. */
  spotM: number | null;
  dwellS: number;
  history: TrackObservation[];
  /** The whole track so far (the history keeps only the newest observations). */
  summary: TrackSummary;
  lastSeen: number;
  episode: EpisodeTracker;
  warnings: number;
  lastWarning: number;
  /** The ladder of its last episode that ended (warnings given, last one's time): what a person coming back continues. */
  pastLadder?: { warnings: number; lastWarning: number };
  alerted: boolean;
  pSum: number;
  n: number;
  snapshot?: string;
  /** The shadow version's own episode on the same observations (recorded, never alerting). */
  shadow?: { episode: EpisodeTracker; alerted: boolean; pSum: number; n: number };
}

/**
 * Illegal fishing, only in fishing-ban zones: each camera track's observations → the fishing model →
 * an episode per track (hysteresis, minimum duration) → the escalation ladder: a loudspeaker warning,
 * a repeat, then the alert that opens the case. Without a usable speaker the alert goes at once.
 */
/** One camera's tracks and the newest time on its own clock. */
interface Camera {
  newest: number;
  tracks: Map<string, Track>;
  /** Fishing-like tracks whose id was reused by the camera (a restart): kept for continuity. */
  lost: Track[];
}

export class FishingPipeline {
  /**
   * Per camera: every forgetting decision is taken on that camera's own timestamps, so how cameras'
   * readings interleave (live, replayed, back-filled) never changes another camera's alerts.
   */
  private readonly cameras = new Map<string, Camera>();
  /** Per-device queue: the ladder's state changes across awaits, so a device's tracks go one at a time. */
  private readonly queues = new Map<string, Promise<void>>();
  dropped = 0;
  /** Told of each track that took a lost one over: the camera, the person's track ids, and whether its episode had raised its alert. */
  linked?: (deviceId: string, trackIds: readonly string[], alerted: boolean) => void;

  constructor(
    private readonly batcher: Scorer,
    private readonly slot: () => ModelSlot,
    private readonly opts: FishingOptions,
    private readonly ctx: PipelineContext,
  ) {}

  onTrack(device: DeviceContext, ts: Date, p: TracksPayload): Promise<void> {
    const next = (this.queues.get(device.id) ?? Promise.resolve()).then(() => this.track(device, ts, p));
    this.queues.set(device.id, next.catch(() => undefined));
    return next;
  }

  private async track(device: DeviceContext, ts: Date, p: TracksPayload): Promise<void> {
    const ban = this.ctx.rules().fishingBan({ zoneId: device.zoneId, timezone: device.timezone, fishingBan: device.fishingBan }, ts);
    if (!ban.banned) {
      this.dropped++;
      return; // fishing is legal here and now (zone flag or season rule): nothing to judge
    }
    const t = ts.getTime();
    let camera = this.cameras.get(device.id);
    if (!camera) this.cameras.set(device.id, (camera = { newest: t, tracks: new Map(), lost: [] }));
    if (t > camera.newest) {
      camera.newest = t;
      // Forgotten on this camera's clock: other tracks after TRACK_FORGET_MS, fishing-like ones once no new track may take them over.
      const keep = (tr: Track) => t - tr.lastSeen <= (tr.fishingLike ? LINK_MS + LINK_WITHIN_MS : TRACK_FORGET_MS);
      for (const [k, tr] of camera.tracks) if (!keep(tr)) camera.tracks.delete(k);
      camera.lost = camera.lost.filter(keep);
    }
    let track = camera.tracks.get(p.id);
    if (track && t <= track.lastSeen) {
      this.dropped++;
      return; // a repeated or late observation of this track
    }
    // A reused track id (the camera restarted its counter, or a new person got an old id) starts afresh;
    // the old one may still be continued by a new track.
    if (track && ((p.dwellS + DWELL_RESET_S < track.dwellS - track.dwellOffsetS && p.dwellS < (track.dwellS - track.dwellOffsetS) / 2) || t - track.lastSeen > TRACK_FORGET_MS)) {
      if (track.fishingLike) camera.lost.push(track);
      track = undefined;
    }
    if (!track) {
      const th = this.slot().active.card.thresholds;
      track = {
        ids: [p.id],
        dwellOffsetS: 0,
        firstSeen: t,
        linkable: true,
        fishingLike: false,
        fished: false,
        spotM: null,
        dwellS: p.dwellS,
        history: [],
        summary: newTrackSummary(),
        lastSeen: t,
        episode: new EpisodeTracker({ on: th['fishing.on'] ?? 0.7, off: th['fishing.off'] ?? 0.4, minDurationS: this.opts.minDurationS, gapS: this.opts.gapS }),
        warnings: 0,
        lastWarning: 0,
        alerted: false,
        pSum: 0,
        n: 0,
      };
      camera.tracks.set(p.id, track);
    }
    track.lastSeen = t;
    track.dwellS = p.dwellS + track.dwellOffsetS;
    if (p.snapshot) track.snapshot = p.snapshot;
    const o = { dwellS: track.dwellS, waterlineM: p.waterlineM, rodScore: p.rodScore, speedMps: p.speedMps };
    track.history.push(o);
    if (track.history.length > HISTORY) track.history.shift();
    observeTrack(track.summary, o);
    if (track.linkable) track = this.link(device.id, camera, p.id, track, t, o);
    const key = `${device.id}|${track.ids[0] as string}`;
    const scored = await this.batcher.score(fishingFeatures(track.history, localClock(ts, device.timezone).hour, undefined, 0, track.summary));
    const model = this.slot().active;
    const pFishing = scored.active[model.labelIndex('fishing')] ?? 0;
    if (scored.shadow && scored.shadowVersion) await this.shadow(device, p.id, track, scored.shadow, scored.shadowVersion, ts, ban.rule ?? null);
    const event = track.episode.observe(ts, pFishing);
    if (track.episode.startedAt) {
      track.fishingLike = true;
      if (track.episode.isConfirmed) track.fished = true;
      track.spotM = track.spotM === null ? p.waterlineM : track.spotM + (p.waterlineM - track.spotM) * 0.2;
    }
    await this.ctx.speakers.observe(key, ts, pFishing);
    if (event === 'ended' || event === null) {
      if (event === 'ended') Object.assign(track, { pastLadder: { warnings: track.warnings, lastWarning: track.lastWarning }, warnings: 0, lastWarning: 0, alerted: false, pSum: 0, n: 0 });
      return;
    }
    track.pSum += pFishing;
    track.n++;
    if (!track.episode.isConfirmed || track.alerted) return;
    const started = track.episode.startedAt as Date;
    const id = alertId(key, 'fishing', started);
    const probe = { key, metric: 'p_fishing', value: pFishing };
    if (track.warnings < this.opts.warningsBeforeAlert) {
      if (track.warnings > 0 && t - track.lastWarning < this.opts.warningIntervalS * 1000) return;
      const played = await this.ctx.speakers.play(device, 'fishing-ban', track.warnings === 0 ? 'warning' : 'repeat', id, ts, probe);
      if (played.played) {
        track.warnings++;
        track.lastWarning = t;
        return;
      }
      if (played.reason === 'cooldown' || played.reason === 'replay') return; // the speaker is busy (or the past is replayed): the ladder waits
      // no speaker or quiet hours: nothing to warn with, go straight to the case
    } else if (t - track.lastWarning < this.opts.warningIntervalS * 1000) {
      return; // the last warning still has its chance
    }
    track.alerted = true;
    await this.ctx.emit(this.alert(device, p.id, track, id, started, ts, scored.activeVersion, ban.rule ?? null));
  }

  /**
   * A young track that has settled near where a lost fishing-like track of the same camera fished, no
   * more than LINK_MS after that one was last seen, takes it over: the lost track's history and summary
   * go on with this one's observations (its dwell continuing, so the features see one track), and its
   * episode and ladder continue. The nearest such track is taken; each is taken once.
   */
  private link(deviceId: string, camera: Camera, id: string, young: Track, t: number, o: TrackObservation): Track {
    if (t - young.firstSeen > LINK_WITHIN_MS) {
      young.linkable = false;
      return young;
    }
    if (t - young.firstSeen < LINK_AFTER_MS || o.speedMps >= LINK_MAX_SPEED) return young;
    let best: Track | undefined;
    let bestD = Infinity;
    for (const c of [...camera.tracks.values(), ...camera.lost]) {
      if (c === young || !c.fishingLike || c.spotM === null || c.lastSeen >= young.firstSeen || young.firstSeen - c.lastSeen > LINK_MS) continue;
      if (young.firstSeen - c.lastSeen > LINK_SWITCH_MS && (!c.fished || young.episode.startedAt === null)) continue;
      const d = Math.abs(o.waterlineM - c.spotM);
      if (d <= LINK_NEAR_M && d < bestD) [best, bestD] = [c, d];
    }
    if (!best) return young;
    for (const [k, tr] of camera.tracks) if (tr === best) camera.tracks.delete(k);
    camera.lost = camera.lost.filter((tr) => tr !== best);
    if (young.firstSeen - best.lastSeen > LINK_SWITCH_MS) {
      // A person coming back: the warnings they had are not given again.
      const ladder = best.warnings > 0 ? { warnings: best.warnings, lastWarning: best.lastWarning } : best.pastLadder;
      Object.assign(young, { ids: [...best.ids, id], linkable: false, fishingLike: true, fished: young.fished, warnings: Math.max(young.warnings, ladder?.warnings ?? 0), lastWarning: Math.max(young.lastWarning, ladder?.lastWarning ?? 0) });
      this.linked?.(deviceId, young.ids, false);
      return young;
    }
    // The young track's observations so far, with the dwell going on from the lost track's.
    const own = young.history.map((h) => h.dwellS);
    const offset = best.dwellS + (young.firstSeen - best.lastSeen) / 1000 - (own[0] ?? 0);
    for (const h of young.history) {
      const c = { ...h, dwellS: h.dwellS + offset };
      best.history.push(c);
      if (best.history.length > HISTORY) best.history.shift();
      observeTrack(best.summary, c);
    }
    Object.assign(best, {
      ids: [...best.ids, id], dwellOffsetS: young.dwellOffsetS + offset, dwellS: young.dwellS + offset, lastSeen: t, linkable: false,
      snapshot: young.snapshot ?? best.snapshot,
    });
    camera.tracks.set(id, best);
    this.linked?.(deviceId, best.ids, best.alerted);
    return best;
  }

  /**
   * The shadow version judges the same track on its own scores: an episode with the same thresholds
   * and minimum duration, recorded when confirmed (no loudspeaker ladder: a shadow never acts).
   */
  private async shadow(device: DeviceContext, trackId: string, track: Track, probs: Float32Array, version: string, ts: Date, banRule: AppliedRule | null): Promise<void> {
    const p = probs[this.slot().active.labelIndex('fishing')] ?? 0;
    if (!track.shadow) {
      const th = this.slot().active.card.thresholds;
      const episode = new EpisodeTracker({ on: th['fishing.on'] ?? 0.7, off: th['fishing.off'] ?? 0.4, minDurationS: this.opts.minDurationS, gapS: this.opts.gapS });
      track.shadow = { episode, alerted: false, pSum: 0, n: 0 };
    }
    const sh = track.shadow;
    const event = sh.episode.observe(ts, p);
    if (event === 'ended') Object.assign(sh, { alerted: false, pSum: 0, n: 0 });
    if (event === 'ended' || event === null) return;
    sh.pSum += p;
    sh.n++;
    if (!sh.episode.isConfirmed || sh.alerted) return;
    sh.alerted = true;
    const started = sh.episode.startedAt as Date;
    const id = alertId(`${device.id}|${track.ids[0] as string}`, `fishing|${version}`, started);
    await this.ctx.recordShadow(this.alert(device, trackId, track, id, started, ts, version, banRule, sh.pSum / sh.n));
  }

  private alert(device: DeviceContext, trackId: string, track: Track, id: string, started: Date, at: Date, version: string, banRule: AppliedRule | null, pMean = track.n ? track.pSum / track.n : 0): Alert {
    const card = this.slot().active.card;
    const h = track.history;
    const mean = (f: (o: TrackObservation) => number) => round(h.reduce((s, o) => s + f(o), 0) / h.length, 2);
    const last = h[h.length - 1] as TrackObservation;
    return {
      id,
      kind: 'fishing',
      zoneId: device.zoneId,
      deviceId: device.id,
      startedAt: started.toISOString(),
      detectedAt: at.toISOString(),
      modelVersion: version,
      summary: `Person fishing in a fishing-ban zone for ${Math.round(last.dwellS / 60)} min, ${last.waterlineM.toFixed(1)} m from the water${track.warnings ? ` after ${track.warnings} loudspeaker warning(s)` : ''}`,
      summaryZh: `禁渔区内有人垂钓 ${Math.round(last.dwellS / 60)} 分钟，距水边 ${last.waterlineM.toFixed(1)} 米${track.warnings ? `，已经喇叭警告 ${track.warnings} 次` : ''}`,
      evidence: {
        trackId,
        trackIds: [...track.ids],
        dwellS: round(last.dwellS, 0),
        waterlineM: round(Math.min(...h.map((o) => o.waterlineM)), 2),
        rodScoreMean: mean((o) => o.rodScore),
        speedMpsMean: mean((o) => o.speedMps),
        observations: h.length,
        // The model's input at the alert, kept with the officers' verdict as a training example.
        window: {
          localHour: localClock(at, device.timezone).hour,
          observations: h.slice(-FISHING_HISTORY).map((o) => [o.dwellS, o.waterlineM, o.rodScore, o.speedMps]),
          track: { ...track.summary },
        },
        scores: scoresByLabel(card.labels, card.labels.map((l) => (l === 'fishing' ? pMean : 1 - pMean))),
        thresholds: card.thresholds,
        warnings: track.warnings,
        banRule,
        snapshot: track.snapshot ?? null,
        placementPublished: device.placementPublished,
      },
    };
  }
}
