/**
 * A score over time → episodes, on the readings' own clock: an episode starts when the score reaches
 * `on`, stays while it is at least `off` (hysteresis; dips shorter than `gapS` are bridged) and is
 * confirmed once it has lasted `minDurationS`. Pure; one instance per tracked thing.
 */
export interface EpisodeConfig {
  on: number;
  off: number;
  minDurationS: number;
  gapS: number;
}

export type EpisodeEvent = 'started' | 'confirmed' | 'ongoing' | 'ended' | null;

export class EpisodeTracker {
  private start: number | null = null;
  private lastAbove = 0;
  private confirmed = false;
  private lastTs = -Infinity;

  constructor(private readonly cfg: EpisodeConfig) {}

  get startedAt(): Date | null {
    return this.start === null ? null : new Date(this.start);
  }

  get isConfirmed(): boolean {
    return this.confirmed;
  }

  observe(ts: Date, score: number): EpisodeEvent {
    const t = ts.getTime();
    if (t <= this.lastTs) return null; // late or repeated reading
    this.lastTs = t;
    const active = this.start !== null;
    const above = active ? score >= this.cfg.off : score >= this.cfg.on;
    if (!active) {
      if (!above) return null;
      this.start = t;
      this.lastAbove = t;
      this.confirmed = false;
      return this.confirmIfDue(t) ?? 'started';
    }
    if (above) {
      this.lastAbove = t;
      return this.confirmIfDue(t) ?? 'ongoing';
    }
    if (t - this.lastAbove > this.cfg.gapS * 1000) {
      this.start = null;
      this.confirmed = false;
      return 'ended';
    }
    return 'ongoing';
  }

  private confirmIfDue(t: number): EpisodeEvent {
    if (this.confirmed || this.start === null || t - this.start < this.cfg.minDurationS * 1000) return null;
    this.confirmed = true;
    return 'confirmed';
  }
}
