/**
 * Independent riverbank camera scenes for evaluating the fishing detector — written apart from the
 * training generators (simulator/anglers.ts, simulator/riverbank.ts share nothing with it, not even
 * the random source) and with behaviours they do not produce:
 *
 * - `rod_angler`: walks in, fishes 25–150 min 0.3–2.5 m from the water; the rod sits in a holder
 *   (weakly seen) between casts, which are brief detector peaks.
 * - `returning_angler`: fishes 15–45 min, packs up (stands, then walks off and leaves the view), comes
 *   back 5–25 min later under a new track id and fishes again 20–60 min.
 * - `cast_net`: throws a cast net from the edge every 1–4 min for 20–90 min: bursts of arm and body
 *   movement, no rod (detector near zero).
 * - `dip_net`: a long-handled dip net worked along the edge for 20–80 min, shuffling a few metres now
 *   and then; the handle looks half like a rod.
 * - `night_angler`: 19:00–04:00, a head torch: glare makes the rod detector flicker and the distance
 *   estimate noisy; very still for 40–180 min.
 * - `long_object`: someone at the water with an umbrella, a camera tripod or a selfie stick, 2–20 min,
 *   nearly still; the detector can score it 0.5–0.95 the whole time.
 * - `photographer`: 1–4 spots at the edge, 3–14 min each with a tripod, walking between them.
 * - `boat_crew`: people working on a moored or drifting boat along the bank for 5–45 min, at the
 *   waterline, moving about the deck, boathooks and poles now and then in view.
 * - `walker`, `sitter`: passers-by (some with sticks or umbrellas) and people resting on the steps.
 *
 * The camera measures with its own errors: a per-scene report interval (3–20 s), a per-track
 * distance bias (±20 %) and jitter growing with range, speed jitter while still, a tracker that
 * sometimes loses a person and continues under a new id with zero dwell. A track is labelled fishing
 * when the person fishes (rod, net or dip net) for at least 5 minutes within it; a fragment with less
 * fishing than that is ambiguous.
 */
import type { TrackObservation } from '../../contract/mqtt/telemetry.js';
import { FieldRandom } from './prng.js';

export const FIELD_BEHAVIOURS = [
  'rod_angler', 'returning_angler', 'cast_net', 'dip_net', 'night_angler',
  'long_object', 'photographer', 'boat_crew', 'walker', 'sitter',
] as const;
export type FieldBehaviour = (typeof FIELD_BEHAVIOURS)[number];
export const FISHING_BEHAVIOURS: readonly FieldBehaviour[] = ['rod_angler', 'returning_angler', 'cast_net', 'dip_net', 'night_angler'];

export interface FieldTrack {
  /** The camera's track id. */
  id: string;
  behaviour: FieldBehaviour;
  /** True when the person fishes for at least 5 minutes within this track. */
  fishing: boolean;
  /** A fragment with some fishing, but under 5 minutes of it: left out of the figures. */
  ambiguous: boolean;
  /** Seconds from the scene's start and what the camera reported. */
  observations: { t: number; obs: TrackObservation }[];
}

export interface FieldScene {
  startLocalHour: number;
  reportEveryS: number;
  tracks: FieldTrack[];
}

/** What a person does for a while: the true state the camera looks at. */
interface Segment {
  s: number; // duration, seconds
  distance: number; // true distance to the water's edge at the start, m
  drift?: number; // change of distance over the segment, m
  speed: (t: number) => number; // true ground speed, m/s
  /** Apparent "long thin object" strength the detector sees, 0–1, as a function of time in the segment. */
  object: (t: number) => number;
  fishing: boolean;
  /** The person is out of the camera's view (the track ends; coming back is a new track). */
  away?: boolean;
}

const MIN = 60;

function walk(r: FieldRandom, from: number, to: number, objectLevel = 0): Segment {
  const speed = r.between(0.9, 1.5);
  const s = Math.max(10, Math.abs(to - from) / 0.4 + r.between(10, 40));
  return { s, distance: from, drift: to - from, speed: () => speed * (0.9 + 0.2 * Math.sin(s)), object: () => objectLevel, fishing: false };
}

/** Rod fishing: a rod in a holder between casts; a cast every few minutes peaks the detector. */
function rodFishing(r: FieldRandom, s: number, distance: number, visibility: number): Segment {
  const castEvery = r.between(90, 420);
  const phase = r.between(0, castEvery);
  return {
    s, distance, drift: r.gauss(0, 0.3), fishing: true,
    speed: (t) => (((t + phase) % castEvery) < 12 ? r.between(0.2, 0.7) : Math.abs(r.gauss(0.03, 0.04))),
    object: (t) => (((t + phase) % castEvery) < 12 ? Math.min(1, visibility + 0.3) : visibility * r.between(0.45, 0.85)),
  };
}

function castNet(r: FieldRandom, s: number, distance: number): Segment {
  const every = r.between(60, 240);
  const phase = r.between(0, every);
  return {
    s, distance, drift: r.gauss(0, 0.5), fishing: true,
    speed: (t) => { const k = (t + phase) % every; return k < 8 ? r.between(0.6, 1.6) : k < 40 ? r.between(0.1, 0.4) : Math.abs(r.gauss(0.05, 0.05)); },
    object: () => (r.chance(0.05) ? r.between(0.2, 0.4) : r.between(0, 0.12)),
  };
}

function dipNet(r: FieldRandom, s: number, distance: number): Segment {
  const handle = r.between(0.25, 0.55);
  const shuffleEvery = r.between(120, 400);
  return {
    s, distance, drift: r.gauss(0, 0.4), fishing: true,
    speed: (t) => ((t % shuffleEvery) < 15 ? r.between(0.2, 0.6) : Math.abs(r.gauss(0.06, 0.05))),
    object: () => Math.max(0, handle + r.gauss(0, 0.12)),
  };
}

function still(r: FieldRandom, s: number, distance: number, objectLevel: number, objectNoise = 0.1, fidget = 0.05): Segment {
  return { s, distance, drift: r.gauss(0, 0.2), fishing: false, speed: () => Math.abs(r.gauss(fidget, 0.05)), object: () => Math.max(0, objectLevel + r.gauss(0, objectNoise)) };
}

function away(s: number): Segment {
  return { s, distance: 30, fishing: false, speed: () => 0, object: () => 0, away: true };
}

/** The segments of one person. */
function script(r: FieldRandom, b: FieldBehaviour, night: boolean): Segment[] {
  const approach = r.between(4, 15);
  switch (b) {
    case 'rod_angler': {
      const d = r.between(0.3, 2.5);
      return [walk(r, approach, d, 0.15), still(r, r.between(60, 240), d, 0.3, 0.15, 0.25), rodFishing(r, r.between(25, 150) * MIN, d, r.between(0.35, 0.85)), still(r, r.between(60, 200), d, 0.35, 0.15, 0.3), walk(r, d, approach, 0.2)];
    }
    case 'returning_angler': {
      const d = r.between(0.3, 2.5);
      const v = r.between(0.35, 0.85);
      return [
        walk(r, approach, d, 0.15), rodFishing(r, r.between(15, 45) * MIN, d, v), still(r, r.between(120, 300), d, 0.35, 0.15, 0.3), walk(r, d, approach, 0.2),
        away(r.between(5, 25) * MIN),
        walk(r, approach, d + r.gauss(0, 0.5), 0.2), rodFishing(r, r.between(20, 60) * MIN, Math.max(0.2, d + r.gauss(0, 0.5)), v), walk(r, d, approach, 0.2),
      ];
    }
    case 'cast_net': {
      const d = r.between(0.2, 1.5);
      return [walk(r, approach, d), castNet(r, r.between(20, 90) * MIN, d), walk(r, d, approach)];
    }
    case 'dip_net': {
      const d = r.between(0, 1.0);
      return [walk(r, approach, d, 0.3), dipNet(r, r.between(20, 80) * MIN, d), walk(r, d, approach, 0.3)];
    }
    case 'night_angler': {
      const d = r.between(0.3, 2);
      return [walk(r, approach, d, 0.1), rodFishing(r, r.between(40, 180) * MIN, d, r.between(0.15, 0.45)), walk(r, d, approach, 0.1)];
    }
    case 'long_object': {
      const d = r.between(0.4, 3);
      const level = r.between(0.5, 0.95);
      return [walk(r, approach, d, level), still(r, r.between(2, 20) * MIN, d, level, 0.08, r.between(0.03, 0.2)), walk(r, d, approach, level)];
    }
    case 'photographer': {
      const spots = 1 + Math.floor(r.u() * 4);
      const out: Segment[] = [];
      let d = r.between(0.5, 3);
      out.push(walk(r, approach, d, 0.3));
      for (let k = 0; k < spots; k++) {
        out.push(still(r, r.between(3, 14) * MIN, d, r.between(0.3, 0.8), 0.1, 0.1));
        const next = r.between(0.5, 3);
        out.push(walk(r, d, next, 0.35));
        d = next;
      }
      out.push(walk(r, d, approach, 0.3));
      return out;
    }
    case 'boat_crew': {
      const out: Segment[] = [];
      let left = r.between(5, 45) * MIN;
      while (left > 0) {
        const s = Math.min(left, r.between(40, 400));
        const moving = r.chance(0.5);
        const speed = moving ? r.between(0.4, 1.6) : r.between(0.15, 0.6);
        const pole = r.chance(0.4) ? r.between(0.3, 0.7) : r.between(0, 0.2);
        out.push({ s, distance: r.between(0, 0.6), drift: r.gauss(0, 0.3), fishing: false, speed: () => Math.abs(r.gauss(speed, 0.2)), object: () => Math.max(0, pole + r.gauss(0, 0.12)) });
        left -= s;
      }
      return out;
    }
    case 'walker': {
      const object = r.chance(0.2) ? r.between(0.3, 0.8) : 0;
      const out = [walk(r, approach, approach + r.gauss(0, 2), object)];
      if (r.chance(0.3)) out.push(still(r, r.between(20, 240), Math.max(1, approach - r.between(0, 3)), object, 0.1, 0.1), walk(r, approach, approach, object));
      return out;
    }
    case 'sitter': {
      const d = r.between(0.8, 12);
      const object = r.chance(0.25) ? r.between(0.2, 0.6) : 0.02;
      return [walk(r, approach, d), still(r, r.between(5, 80) * MIN, d, object, 0.1, 0.04), walk(r, d, approach)];
    }
  }
  void night;
  return [];
}

/** What the rod detector reports for an apparent object strength, in the scene's light. */
function detector(r: FieldRandom, strength: number, dark: boolean, torch: boolean): number {
  const glare = torch ? r.gauss(0, 0.22) : 0;
  const x = (dark ? 0.75 : 1) * strength + r.gauss(0, 0.07) + glare;
  const spurious = r.chance(0.01) ? r.between(0.2, 0.7) : 0;
  return Math.min(1, Math.max(0, Math.max(x, spurious)));
}

export interface FieldSceneOptions {
  /** People in the scene (default 4–12). */
  people?: number;
  night?: boolean;
}

/** One camera's scene: every person's tracks, observations on the scene's clock. */
export function fieldScene(seed: number, opts: FieldSceneOptions = {}): FieldScene {
  const r = new FieldRandom(seed);
  const night = opts.night ?? r.chance(0.3);
  const startLocalHour = night ? (19 + r.between(0, 8)) % 24 : r.between(5.5, 17);
  const reportEveryS = r.choose([3, 5, 8, 12, 20]);
  const people = opts.people ?? 4 + Math.floor(r.u() * 9);
  const weights: [FieldBehaviour, number][] = night
    ? [['rod_angler', 0.12], ['returning_angler', 0.05], ['cast_net', 0.06], ['dip_net', 0.05], ['night_angler', 0.22], ['long_object', 0.12], ['photographer', 0.06], ['boat_crew', 0.1], ['walker', 0.14], ['sitter', 0.08]]
    : [['rod_angler', 0.15], ['returning_angler', 0.08], ['cast_net', 0.07], ['dip_net', 0.07], ['night_angler', 0], ['long_object', 0.16], ['photographer', 0.13], ['boat_crew', 0.08], ['walker', 0.16], ['sitter', 0.1]];
  const rangeNoise = r.between(0.05, 0.25);
  const stillJitter = r.between(0.03, 0.15);
  const idSwitchPerHour = r.between(0, 2);
  let nextId = 1 + Math.floor(r.u() * 5000);
  const tracks: FieldTrack[] = [];
  for (let p = 0; p < people; p++) {
    let u = r.u();
    let behaviour: FieldBehaviour = 'walker';
    for (const [b, w] of weights) if ((u -= w) < 0) { behaviour = b; break; }
    const torch = behaviour === 'night_angler';
    const bias = 1 + r.between(-0.2, 0.2);
    const range = r.between(0.5, 2.5);
    let t = r.between(0, 90 * MIN);
    let current: FieldTrack | null = null;
    let firstSeen = 0;
    let fishedS = 0;
    const close = () => {
      if (current && current.observations.length > 0) {
        current.fishing = fishedS >= 5 * MIN;
        current.ambiguous = fishedS > 0 && fishedS < 5 * MIN;
        tracks.push(current);
      }
      current = null;
    };
    for (const seg of script(r, behaviour, night)) {
      if (seg.away) {
        close();
        t += seg.s;
        continue;
      }
      for (let k = 0; k * reportEveryS < seg.s; k++) {
        const ts = Math.round(t + k * reportEveryS);
        if (!current || r.chance((idSwitchPerHour * reportEveryS) / 3600)) {
          close();
          current = { id: `t${nextId++}`, behaviour, fishing: false, ambiguous: false, observations: [] };
          firstSeen = ts;
          fishedS = 0;
        }
        const f = (k * reportEveryS) / seg.s;
        const hour = (startLocalHour + ts / 3600) % 24;
        const dark = hour < 5.5 || hour >= 19.5;
        const distance = Math.max(0, seg.distance + (seg.drift ?? 0) * f);
        const speed = seg.speed(k * reportEveryS);
        if (seg.fishing) fishedS += reportEveryS;
        const measuredSpeed = Math.abs(speed + r.gauss(0, stillJitter * range * (speed < 0.3 ? 1 : 0.5)));
        const waterline = Math.max(0, distance * bias + r.gauss(0, 0.1 + rangeNoise * range + (torch ? 0.3 : 0)));
        current.observations.push({
          t: ts,
          obs: { dwellS: ts - firstSeen, waterlineM: Math.round(waterline * 10) / 10, rodScore: Math.round(detector(r, seg.object(k * reportEveryS), dark, torch) * 100) / 100, speedMps: Math.round(measuredSpeed * 100) / 100 },
        });
      }
      t += seg.s;
    }
    close();
  }
  return { startLocalHour, reportEveryS, tracks };
}
