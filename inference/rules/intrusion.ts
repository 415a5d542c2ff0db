/**
 * Intrusion at the water's edge (pure; one instance per camera, on that camera's own clock): a person
 * track within `edgeM` of the water in a zone that is closed now (a closure zone rule) starts an
 * episode; once they have stayed `confirmS` the loudspeaker warns (anti-drowning clip); if they are
 * still at the edge `graceS` after the warning, the intrusion alert goes out. Someone away from the
 * edge — or unseen — for longer than `gapS` has left: the episode ends without an alert, and a return
 * later is a new episode (a new warning). The zone opening ends every episode.
 */
export interface IntrusionConfig {
  edgeM: number;
  confirmS: number;
  graceS: number;
  gapS: number;
}

export type IntrusionStep =
  | { action: 'none' }
  /** Play the warning now; report back with `warned` (or `unwarnable`). */
  | { action: 'warn'; startedAt: number }
  | { action: 'alert'; startedAt: number; warnedAt: number | null; atEdgeS: number; nearestM: number }
  /** The person left the edge (or the zone opened) before any alert. */
  | { action: 'left'; startedAt: number; warned: boolean };

/** A track a camera has not reported for this long (its own clock) is forgotten. */
export const INTRUSION_FORGET_MS = 10 * 60_000;

interface TrackState {
  lastSeen: number;
  edgeSince: number | null;
  lastEdge: number;
  nearestM: number;
  warnedAt: number | null;
  alerted: boolean;
}

export class IntrusionWatch {
  private newest = -Infinity;
  private readonly tracks = new Map<string, TrackState>();

  constructor(private readonly cfg: IntrusionConfig) {}

  observe(trackId: string, t: number, waterlineM: number, closed: boolean): IntrusionStep {
    if (t > this.newest) {
      this.newest = t;
      for (const [id, tr] of this.tracks) if (t - tr.lastSeen > INTRUSION_FORGET_MS) this.tracks.delete(id);
    }
    let tr = this.tracks.get(trackId);
    if (tr && t <= tr.lastSeen) return { action: 'none' }; // repeated or late observation
    if (!tr) this.tracks.set(trackId, (tr = { lastSeen: t, edgeSince: null, lastEdge: t, nearestM: waterlineM, warnedAt: null, alerted: false }));
    tr.lastSeen = t;
    const atEdge = closed && waterlineM <= this.cfg.edgeM;
    let ended: IntrusionStep | null = null;
    if (tr.edgeSince !== null && (!closed || t - tr.lastEdge > this.cfg.gapS * 1000)) {
      ended = tr.alerted ? null : { action: 'left', startedAt: tr.edgeSince, warned: tr.warnedAt !== null };
      Object.assign(tr, { edgeSince: null, warnedAt: null, alerted: false });
    }
    if (!atEdge) return ended ?? { action: 'none' };
    if (tr.edgeSince === null) Object.assign(tr, { edgeSince: t, nearestM: waterlineM });
    tr.lastEdge = t;
    tr.nearestM = Math.min(tr.nearestM, waterlineM);
    const since = tr.edgeSince as number;
    if (tr.alerted) return { action: 'none' };
    if (tr.warnedAt === null) return t - since >= this.cfg.confirmS * 1000 ? { action: 'warn', startedAt: since } : { action: 'none' };
    if (t - tr.warnedAt < this.cfg.graceS * 1000) return { action: 'none' };
    tr.alerted = true;
    return { action: 'alert', startedAt: since, warnedAt: tr.warnedAt, atEdgeS: Math.round((t - since) / 1000), nearestM: tr.nearestM };
  }

  /** The warning was given (or the speaker had just played): the grace counts from `t`. */
  warned(trackId: string, t: number): void {
    const tr = this.tracks.get(trackId);
    if (tr && tr.edgeSince !== null) tr.warnedAt = t;
  }

  /** Nothing can warn this person (no loudspeaker): the alert goes at once. */
  unwarnable(trackId: string, t: number): IntrusionStep {
    const tr = this.tracks.get(trackId);
    if (!tr || tr.edgeSince === null || tr.alerted) return { action: 'none' };
    tr.alerted = true;
    return { action: 'alert', startedAt: tr.edgeSince, warnedAt: null, atEdgeS: Math.round((t - tr.edgeSince) / 1000), nearestM: tr.nearestM };
  }
}
