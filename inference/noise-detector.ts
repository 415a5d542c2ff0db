import { energeticMean } from '../core/domain/decibel.js';
import { exceedance, type Exceedance, type NoiseLimit } from '../core/domain/noise-limits.js';
import type { AppliedRule } from '../core/domain/zone-rules.js';

/**
 * Per-device decision rules on top of the model's scores (pure, driven only by the readings' own
 * timestamps so replayed data gives the same alerts as live data):
 * - music is "on" when the smoothed P(music) rises above `musicOn` and "off" below `musicOff` (hysteresis);
 * - the running energetic LAeq over `leqWindowS` is compared with the limit in force at the reading's
 *   time (the zone's rules, else its class limits; at night also LAmax, by default the limit + 15 dB);
 * - music above the limit for `minDurationS` (allowing quiet spells shorter than `gapS`) is one episode,
 *   which raises exactly one alert.
 */
export interface DetectorConfig {
  minDurationS: number;
  leqWindowS: number;
  gapS: number;
  musicOn: number;
  musicOff: number;
  /** Readings averaged for the smoothed P(music). */
  smoothing: number;
}

/** The limit in force at an instant: the zone's rules, else its class limits (core/domain/zone-rules.ts). */
export type LimitAt = (at: Date) => NoiseLimit & { rule?: AppliedRule };

export interface NoiseObservation {
  ts: Date;
  laeq: number;
  lamax: number;
  /** Class probabilities in the model's label order. */
  probabilities: ArrayLike<number>;
}

export interface NoiseEpisode {
  startedAt: Date;
  detectedAt: Date;
  /** Energetic LAeq over the episode so far, dB(A). */
  laeq: number;
  lamaxMax: number;
  limit: NoiseLimit & { rule?: AppliedRule };
  rule: Exclude<Exceedance, null>;
  /** Mean class probabilities over the episode, in label order. */
  meanProbabilities: number[];
  /** [ISO ts, LAeq, LAmax] of each reading in the episode (the evidence window). */
  levels: [string, number, number][];
}

const EVIDENCE_MAX = 600;

export class NoiseEpisodeDetector {
  private readonly window: { t: number; laeq: number }[] = [];
  private readonly recentP: number[] = [];
  private music = false;
  private lastTs = -Infinity;
  private episode: {
    start: number;
    lastViolation: number;
    alerted: boolean;
    levels: [string, number, number][];
    lamaxMax: number;
    probSums: number[];
    n: number;
    rule: Exclude<Exceedance, null>;
  } | null = null;

  constructor(
    private readonly cfg: DetectorConfig,
    private readonly limitAt: LimitAt,
    private readonly musicIndex: number,
  ) {}

  get musicActive(): boolean {
    return this.music;
  }

  /** Feeds one reading; returns the episode when this reading completes the minimum duration. */
  observe(o: NoiseObservation): NoiseEpisode | null {
    const t = o.ts.getTime();
    if (t <= this.lastTs) return null; // late or repeated reading: the decision already moved past it
    this.lastTs = t;

    this.window.push({ t, laeq: o.laeq });
    while (this.window.length > 0 && (this.window[0]?.t ?? t) <= t - this.cfg.leqWindowS * 1000) this.window.shift();
    const runningLeq = energeticMean(this.window.map((w) => w.laeq));

    this.recentP.push(o.probabilities[this.musicIndex] ?? 0);
    if (this.recentP.length > this.cfg.smoothing) this.recentP.shift();
    const pMusic = this.recentP.reduce((a, b) => a + b, 0) / this.recentP.length;
    if (!this.music && pMusic >= this.cfg.musicOn) this.music = true;
    else if (this.music && pMusic < this.cfg.musicOff) this.music = false;

    const limit = this.limitAt(o.ts);
    const rule = exceedance(limit, runningLeq, o.lamax);
    const violating = this.music && rule !== null;
    const gapMs = this.cfg.gapS * 1000;

    if (!violating) {
      if (this.episode && t - this.episode.lastViolation > gapMs) this.episode = null;
      return null;
    }
    if (!this.episode || t - this.episode.lastViolation > gapMs) {
      this.episode = { start: t, lastViolation: t, alerted: false, levels: [], lamaxMax: 0, probSums: [], n: 0, rule };
    }
    const ep = this.episode;
    ep.lastViolation = t;
    if (ep.levels.length < EVIDENCE_MAX) ep.levels.push([o.ts.toISOString(), o.laeq, o.lamax]);
    ep.lamaxMax = Math.max(ep.lamaxMax, o.lamax);
    for (let i = 0; i < o.probabilities.length; i++) ep.probSums[i] = (ep.probSums[i] ?? 0) + (o.probabilities[i] ?? 0);
    ep.n++;
    if (rule === 'laeq') ep.rule = 'laeq';

    if (ep.alerted || t - ep.start < this.cfg.minDurationS * 1000) return null;
    ep.alerted = true;
    return {
      startedAt: new Date(ep.start),
      detectedAt: o.ts,
      laeq: energeticMean(ep.levels.map((l) => l[1])),
      lamaxMax: ep.lamaxMax,
      limit,
      rule: ep.rule,
      meanProbabilities: ep.probSums.map((s) => s / ep.n),
      levels: ep.levels.slice(),
    };
  }
}
