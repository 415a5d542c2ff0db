/**
 * Per-track observation streams of a riverside edge camera (DESIGN §3 `tracks` payload: dwellS,
 * waterlineM, rodScore, speedMps) for the people who appear on a riverbank, so the fishing model is
 * trained and tested on realistic behaviour rather than on one threshold:
 *
 * - angler: walks in with gear, sets up within 0.3–3 m of the water and stays 20 min–3 h, nearly
 *   motionless (tracker jitter only), re-casting every 1–8 min and moving a few metres now and then.
 *   The rod detector sees a thin, low-contrast object: a per-angler visibility 0.45–0.9 (less at
 *   night), noisy frame to frame, high while casting, lower while the rod is propped on a rest, low when
 *   occluded. A few use hand lines or short rods the detector hardly sees. At night some wear a head
 *   torch: its glare washes the rod out (20–90 % of its visibility) and makes the score and the
 *   distance estimate jump from frame to frame.
 * - walker: 0.9–1.6 m/s along the promenade 2–15 m from the water; a third stop at the railing to look
 *   at the river for 10 s–3 min. Umbrellas, walking sticks, selfie sticks give rod false positives —
 *   for some walkers persistently.
 * - jogger / cyclist: 2.2–4 / 3–7 m/s, seconds in view, rare false positives.
 * - sitter: walks to a bench or the steps (0.5–15 m from the water) and stays 5–90 min without a rod;
 *   a parasol, folded tripod or stick beside some of them keeps the rod detector at 0.25–0.6.
 * - photographer: stands at the water's edge with a tripod or monopod (rod-like, 0.3–0.7) for 1–15
 *   min, then moves on to the next spot: the hardest negative.
 * - net_fisher (fishing, no rod): a cast-net thrower (a throw every 1–4 min: 5–15 s of arm and body
 *   movement, the detector near zero) or a dip-net worker (the long handle half rod-like, shuffling a
 *   few metres along the edge every few minutes), 0.2–1.5 m from the water for 15–90 min.
 * - pole_holder: someone at the edge with an umbrella, a camera tripod or a selfie stick held still
 *   for 2–20 min: the detector scores the object 0.5–0.95, steadily, with no casting peaks.
 * - boat_crew: people working along a moored boat at the waterline for 5–45 min, moving about the
 *   deck in short bursts, a boathook or pole in view now and then.
 *
 * Observations carry the camera's measurement errors, growing with the person's distance from the
 * camera: speed from tracked positions (jitter up to ~0.3 m/s when still, ±10 % when moving),
 * waterline distance from a monocular estimate (±15 % bias per track, 0.1–0.5 m jitter); and the
 * tracker now and then loses a person behind someone and continues under a new track id with zero
 * dwell (`trackId`). `CameraProfile` changes the camera (detector calibration, position noise, night
 * visibility, identity switches) for cross-condition checks.
 */
import type { Rng } from '../core/rng.js';
import type { TrackObservation } from '../contract/mqtt/telemetry.js';

export type { TrackObservation };

export type TrackRole = 'angler' | 'walker' | 'sitter' | 'jogger' | 'cyclist' | 'photographer' | 'net_fisher' | 'pole_holder' | 'boat_crew';
export const TRACK_ROLES: readonly TrackRole[] = ['angler', 'walker', 'sitter', 'jogger', 'cyclist', 'photographer', 'net_fisher', 'pole_holder', 'boat_crew'];

export interface CameraProfile {
  /** Multiplies true-rod detector scores (a weaker detector or a farther camera < 1). */
  rodGain: number;
  /** Added to every score's noise standard deviation. */
  rodNoise: number;
  /** Rate multiplier of false-positive objects. */
  falsePositiveRate: number;
  /** Standard deviation of the speed jitter of a still person, m/s. */
  speedJitter: number;
  /** Bias range (±) of the monocular waterline estimate, as a fraction. */
  waterlineBias: number;
  /** Tracker identity switches per hour (occlusions): the person continues under a new track with zero dwell. */
  restartsPerHour: number;
  /** Rod visibility at night relative to day (IR illumination). */
  nightVisibility: number;
}

export const DEFAULT_CAMERA: CameraProfile = { rodGain: 1, rodNoise: 0, falsePositiveRate: 1, speedJitter: 0.08, waterlineBias: 0.15, restartsPerHour: 1.5, nightVisibility: 0.7 };

export interface TrackOptions {
  /** Local hour at the track's start (lighting); default 12. */
  localHour?: number;
  camera?: CameraProfile;
}

type Phase =
  | { kind: 'walk'; speed: number; left: number; then: Phase | null }
  | { kind: 'still'; left: number }
  | { kind: 'fish'; left: number; nextCast: number; nextMove: number };

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const isNight = (h: number): boolean => h < 5.5 || h >= 19.5;

export class TrackSource {
  private readonly cam: CameraProfile;
  private readonly bias: number;
  /** Distance from the camera relative to a typical 30 m: position (hence speed and waterline) errors grow with it. */
  private readonly range: number;
  private phase: Phase;
  private t = 0;
  private trackStart = 0;
  private id = 0;
  private hour: number;
  private waterline: number;
  private homeWaterline: number;
  /** Rod visibility of an angler (0–1), or the rod-likeness of a carried/placed object. */
  private readonly visibility: number;
  private readonly objectScore: number;
  private readonly persistentObject: boolean;
  private fpLeft = 0;
  private casting = 0;
  private propped = false;
  private spotsLeft: number;
  private gone = false;
  /** A net fisher working a dip net (else a cast net). */
  private readonly dipNet: boolean;
  /** Seconds left of a boat crew member's current move about the deck. */
  private moving = 0;
  /** A night angler's head torch: its glare washes out the rod and makes the score flicker. */
  private readonly torch: boolean;

  constructor(
    readonly role: TrackRole,
    private readonly rng: Rng,
    opts: TrackOptions = {},
  ) {
    if (!TRACK_ROLES.includes(role)) throw new RangeError(`unknown track role ${role}`);
    this.cam = opts.camera ?? DEFAULT_CAMERA;
    this.hour = opts.localHour ?? 12;
    this.bias = 1 + rng.uniform(-this.cam.waterlineBias, this.cam.waterlineBias);
    this.range = rng.uniform(0.5, 2.5);
    const handLine = role === 'angler' && rng.next() < 0.06;
    this.visibility = role === 'angler' ? (handLine ? rng.uniform(0.1, 0.35) : rng.uniform(0.45, 0.9)) : 0;
    const objectShare = { angler: 0, walker: 0.12, sitter: 0.15, jogger: 0.01, cyclist: 0.02, photographer: 0.85, net_fisher: 0, pole_holder: 1, boat_crew: 0.3 }[role];
    this.persistentObject = rng.next() < objectShare * Math.min(1, this.cam.falsePositiveRate);
    this.objectScore = role === 'photographer' ? rng.uniform(0.3, 0.7) : role === 'pole_holder' ? rng.uniform(0.5, 0.95) : rng.uniform(0.25, 0.6);
    this.dipNet = role === 'net_fisher' && rng.next() < 0.5;
    this.spotsLeft = role === 'photographer' ? rng.int(1, 4) : 1;
    this.waterline = rng.uniform(2, 15);
    this.homeWaterline = this.waterline;
    this.phase = this.initialPhase();
    this.torch = role === 'angler' && rng.next() < 0.4;
  }

  /** True while an angler or a net fisher is set up and fishing (the label of the fishing model). */
  get fishing(): boolean {
    return this.phase.kind === 'fish';
  }

  /** Increments when the tracker loses the person and starts a new track (dwell restarts from zero). */
  get trackId(): number {
    return this.id;
  }

  /** The person has left the camera's view (their track would end here). */
  get ended(): boolean {
    return this.gone;
  }

  private initialPhase(): Phase {
    const r = this.rng;
    switch (this.role) {
      case 'angler': {
        this.homeWaterline = r.uniform(0.3, 3);
        const fish: Phase = { kind: 'fish', left: r.uniform(1200, 10800), nextCast: r.uniform(0, 120), nextMove: r.uniform(600, 2400) };
        return { kind: 'walk', speed: r.uniform(0.7, 1.3), left: r.uniform(5, 40), then: fish };
      }
      case 'walker': {
        const pause = r.next() < 0.35;
        this.homeWaterline = r.uniform(0.5, 3);
        const after: Phase = { kind: 'walk', speed: r.uniform(0.9, 1.6), left: r.uniform(10, 40), then: null };
        return { kind: 'walk', speed: r.uniform(0.9, 1.6), left: r.uniform(10, 40), then: pause ? { kind: 'still', left: r.uniform(10, 180) } : after };
      }
      case 'jogger':
        return { kind: 'walk', speed: r.uniform(2.2, 4), left: r.uniform(8, 25), then: null };
      case 'cyclist':
        return { kind: 'walk', speed: r.uniform(3, 7), left: r.uniform(5, 15), then: null };
      case 'sitter':
        this.homeWaterline = r.next() < 0.3 ? r.uniform(0.5, 2) : r.uniform(2, 15);
        return { kind: 'walk', speed: r.uniform(0.6, 1.3), left: r.uniform(5, 30), then: { kind: 'still', left: r.uniform(300, 5400) } };
      case 'photographer':
        this.homeWaterline = r.uniform(0.3, 3);
        return { kind: 'walk', speed: r.uniform(0.7, 1.3), left: r.uniform(5, 30), then: { kind: 'still', left: r.uniform(60, 900) } };
      case 'net_fisher': {
        this.homeWaterline = r.uniform(0.2, 1.5);
        const fish: Phase = { kind: 'fish', left: r.uniform(900, 5400), nextCast: r.uniform(0, 120), nextMove: r.uniform(120, 600) };
        return { kind: 'walk', speed: r.uniform(0.7, 1.3), left: r.uniform(5, 40), then: fish };
      }
      case 'pole_holder':
        this.homeWaterline = r.uniform(0.3, 3);
        return { kind: 'walk', speed: r.uniform(0.7, 1.3), left: r.uniform(5, 30), then: { kind: 'still', left: r.uniform(120, 1200) } };
      case 'boat_crew':
        this.homeWaterline = r.uniform(0, 1);
        return { kind: 'walk', speed: r.uniform(0.6, 1.2), left: r.uniform(5, 20), then: { kind: 'still', left: r.uniform(300, 2700) } };
    }
  }

  /** Advances the person by `dtS` seconds and returns what the camera reports for the track now. */
  next(dtS: number): TrackObservation {
    if (!(dtS > 0) || !Number.isFinite(dtS)) throw new RangeError('dtS must be a positive number of seconds');
    const r = this.rng;
    this.t += dtS;
    this.hour = (this.hour + dtS / 3600) % 24;
    let trueSpeed = 0;
    let remaining = dtS;
    while (remaining > 0) {
      const p = this.phase;
      const step = Math.min(remaining, Math.max(p.left, 1e-3));
      remaining -= step;
      p.left -= step;
      if (p.kind === 'walk') {
        trueSpeed = p.speed;
        // Walking drifts across the promenade; heading to a spot converges on it.
        const goal = p.then && p.then.kind !== 'walk' ? this.homeWaterline : this.waterline + r.normal(0, 0.3);
        this.waterline += (goal - this.waterline) * Math.min(1, step / Math.max(p.left + step, 1));
      } else if (p.kind === 'fish') {
        p.nextCast -= step;
        p.nextMove -= step;
        const net = this.role === 'net_fisher';
        if (p.nextCast <= 0) {
          this.casting = r.uniform(5, net ? 15 : 20);
          this.propped = r.next() < 0.35;
          p.nextCast = net ? (this.dipNet ? r.uniform(20, 90) : r.uniform(60, 240)) : r.uniform(60, 480);
        }
        // A cast-net throw is arm and body movement the tracker sees as speed.
        if (net && !this.dipNet && this.casting > 0) trueSpeed = Math.max(trueSpeed, r.uniform(0.4, 1.4));
        if (p.nextMove <= 0) {
          trueSpeed = r.uniform(0.4, 1);
          this.waterline = clamp(this.homeWaterline + r.normal(0, 0.5), 0.2, 4);
          p.nextMove = net ? r.uniform(120, 600) : r.uniform(600, 2400);
        }
      } else if (p.kind === 'still' && this.role === 'boat_crew') {
        // Working on deck: short moves now and then, along the waterline.
        if (this.moving <= 0 && r.next() < step / 90) this.moving = r.uniform(3, 30);
        if (this.moving > 0) {
          trueSpeed = r.uniform(0.3, 1.2);
          this.moving -= step;
          this.waterline = clamp(this.homeWaterline + r.normal(0, 0.4), 0, 3);
        }
      }
      if (p.left <= 0) this.advancePhase();
    }
    this.casting = Math.max(0, this.casting - dtS);
    if (r.next() < (this.cam.restartsPerHour * dtS) / 3600) {
      this.id++;
      this.trackStart = this.t - dtS / 2;
    }
    return {
      dwellS: Math.round((this.t - this.trackStart) * 10) / 10,
      waterlineM: Math.round(clamp(this.waterline * this.bias + r.normal(0, 0.2 * this.range + (this.torch && isNight(this.hour) ? 0.3 : 0)), 0, 10_000) * 100) / 100,
      rodScore: Math.round(this.rod() * 1000) / 1000,
      speedMps: Math.round(this.speed(trueSpeed) * 100) / 100,
    };
  }

  private advancePhase(): void {
    const p = this.phase;
    const r = this.rng;
    if (p.kind === 'walk') {
      if (p.then) this.phase = p.then;
      else {
        this.gone = true;
        this.phase = { kind: 'walk', speed: p.speed, left: 60, then: null };
      }
    } else if (this.role === 'photographer' && --this.spotsLeft > 0) {
      this.homeWaterline = r.uniform(0.3, 3);
      this.phase = { kind: 'walk', speed: r.uniform(0.7, 1.3), left: r.uniform(5, 30), then: { kind: 'still', left: r.uniform(60, 600) } };
    } else {
      this.phase = { kind: 'walk', speed: r.uniform(0.8, 1.4), left: r.uniform(10, 40), then: null };
    }
  }

  private speed(trueSpeed: number): number {
    const r = this.rng;
    if (trueSpeed === 0) return Math.abs(r.normal(0, this.cam.speedJitter * this.range + 0.02));
    return Math.max(0, trueSpeed * (1 + r.normal(0, 0.1)));
  }

  private rod(): number {
    const r = this.rng;
    const noise = 0.12 + this.cam.rodNoise;
    const night = isNight(this.hour) ? this.cam.nightVisibility : 1;
    if (this.fishing && this.role === 'net_fisher') {
      // No rod: a cast net is hardly seen; a dip net's handle is half rod-like.
      if (this.dipNet) return clamp(night * r.uniform(0.15, 0.55) * this.cam.rodGain + r.normal(0, noise), 0, 1);
      return clamp(Math.abs(r.normal(0, 0.06 + this.cam.rodNoise / 2)) + (this.casting > 0 && r.next() < 0.2 ? r.uniform(0.1, 0.35) : 0), 0, 1);
    }
    if (this.fishing && this.torch && isNight(this.hour)) {
      // Head-torch glare: the rod is seen at a fraction of its visibility, the score jumps frame to frame.
      return clamp(this.cam.rodGain * night * this.visibility * r.uniform(0.2, 0.9) + (this.casting > 0 ? 0.2 : 0) + r.normal(0, noise + 0.2), 0, 1);
    }
    if (this.fishing) {
      if (this.casting > 0) return clamp(this.cam.rodGain * night * (this.visibility + 0.15) + r.normal(0, noise), 0, 1);
      if (r.next() < 0.15) return clamp(r.uniform(0, 0.3) * this.cam.rodGain, 0, 1); // occluded, glare
      if (this.propped) return clamp(this.cam.rodGain * night * this.visibility * r.uniform(0.4, 0.8) + r.normal(0, noise), 0, 1); // on a rest: lower, flatter
      return clamp(this.cam.rodGain * night * this.visibility + r.normal(0, noise), 0, 1);
    }
    if (this.role === 'angler' && this.phase.kind === 'walk') {
      // Carrying a packed rod: a short, often unseen object.
      return clamp(r.next() < 0.3 ? r.uniform(0.2, 0.6) * this.cam.rodGain : r.uniform(0, 0.15), 0, 1);
    }
    if (this.role === 'pole_holder' && this.phase.kind === 'still' && r.next() < 0.95) return clamp(this.objectScore * night + r.normal(0, noise / 2), 0, 1);
    if (this.role === 'boat_crew' && this.persistentObject && r.next() < 0.4) return clamp(this.objectScore + r.normal(0, noise), 0, 1);
    if (this.persistentObject && r.next() < 0.8) return clamp(this.objectScore * night + r.normal(0, noise), 0, 1);
    // Transient false positives: a passer-by's umbrella, a branch, a fishing-rod-like railing.
    if (this.fpLeft > 0) {
      this.fpLeft--;
      return clamp(r.uniform(0.3, 0.85), 0, 1);
    }
    if (r.next() < 0.015 * this.cam.falsePositiveRate) {
      this.fpLeft = r.int(0, 3);
      return r.uniform(0.3, 0.85);
    }
    return clamp(Math.abs(r.normal(0, 0.05 + this.cam.rodNoise / 2)), 0, 1);
  }
}
