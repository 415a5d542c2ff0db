/**
 * An independent riverbank scene simulation, used to check the fishing model on tracks made a
 * different way than by `anglers.ts`: people are agents moving in 2-D (metres) over a curved bank
 * with a promenade, benches and steps; an edge camera measures their positions with errors that grow
 * with distance, a tracker follows them (and sometimes loses one behind others, restarting the track
 * with a new id and zero dwell), and a rod detector scores the rod-like objects it sees by their
 * apparent size and the light. Everything the camera reports — dwell, distance to the waterline
 * (from the measured position and the camera's configured water line), speed (from successive
 * measured positions), rod score — is derived from the scene, not drawn directly.
 */
import type { Rng } from '../core/rng.js';
import type { TrackObservation } from '../contract/mqtt/telemetry.js';

type Role = 'angler' | 'stroller' | 'runner' | 'cyclist' | 'bench' | 'photographer' | 'family';
const ROLES: readonly [Role, number][] = [['angler', 0.22], ['stroller', 0.3], ['runner', 0.1], ['cyclist', 0.05], ['bench', 0.15], ['photographer', 0.1], ['family', 0.08]];

export interface RiverbankOptions {
  startLocalHour: number;
  /** Seconds between a track's reports. */
  reportEveryS: number;
}

export interface SceneTrack {
  observations: TrackObservation[];
  /** Whether the person was fishing at each observation. */
  fishing: boolean[];
  startLocalHour: number;
}

/** Water's edge: y of the bank at x (water is at smaller y). */
const bankY = (x: number): number => 4 * Math.sin(x / 35) + 0.03 * x;
const CAMERA = { x: 0, y: 30 };
const VIEW = 45; // |x| within view

interface Agent {
  role: Role;
  x: number;
  y: number;
  /** Waypoints: position, speed to reach it, then seconds to stay. */
  plan: { x: number; y: number; speed: number; stay: number; fishing?: boolean; object?: number }[];
  stayLeft: number;
  fishing: boolean;
  /** Rod-likeness of what the person carries or has set up (0 none). */
  object: number;
  rodLength: number;
  track: SceneTrack | null;
  trackStart: number;
  lastMeasured: { x: number; y: number; t: number } | null;
}

export class RiverbankScene {
  private readonly agents: Agent[] = [];
  private readonly finished: SceneTrack[] = [];
  private readonly waterlineError: number;
  private t = 0;

  constructor(
    private readonly rng: Rng,
    private readonly opts: RiverbankOptions,
  ) {
    this.waterlineError = rng.uniform(-0.6, 0.6);
  }

  private hour(): number {
    return (this.opts.startLocalHour + this.t / 3600) % 24;
  }

  /** Arrivals per second by hour: busy days and evenings, few at night. */
  private rate(): number {
    const h = this.hour();
    return (h >= 7 && h < 21 ? 1 / 40 : h >= 5 && h < 23 ? 1 / 90 : 1 / 400) * (this.opts.startLocalHour % 2 < 1 ? 1 : 1.6);
  }

  private spawn(): void {
    const r = this.rng;
    let u = r.next();
    let role: Role = 'stroller';
    for (const [name, share] of ROLES) if ((u -= share) < 0) {
      role = name;
      break;
    }
    const night = this.hour() < 5.5 || this.hour() > 21;
    if (night && (role === 'family' || role === 'photographer') && r.next() < 0.7) role = 'angler';
    const side = r.next() < 0.5 ? -1 : 1;
    const x0 = side * VIEW;
    const path = (x: number): number => bankY(x) + r.uniform(4, 10);
    const exitX = -side * (VIEW + 5);
    const spot = r.uniform(-35, 35);
    const a: Agent = { role, x: x0, y: path(x0), plan: [], stayLeft: 0, fishing: false, object: 0, rodLength: r.uniform(2, 5), track: null, trackStart: 0, lastMeasured: null };
    const walk = r.uniform(0.8, 1.5);
    switch (role) {
      case 'angler':
        a.plan = [
          { x: spot, y: path(spot), speed: walk, stay: 0 },
          { x: spot, y: bankY(spot) + r.uniform(0.3, 2.5), speed: 0.6, stay: r.uniform(900, 9000), fishing: true },
          { x: exitX, y: path(exitX), speed: walk, stay: 0 },
        ];
        break;
      case 'stroller':
        a.object = r.next() < 0.1 ? r.uniform(0.2, 0.6) : 0; // umbrella, walking stick
        a.plan = r.next() < 0.3
          ? [{ x: spot, y: bankY(spot) + r.uniform(0.8, 2), speed: walk, stay: r.uniform(20, 200) }, { x: exitX, y: path(exitX), speed: walk, stay: 0 }]
          : [{ x: exitX, y: path(exitX), speed: walk, stay: 0 }];
        break;
      case 'runner':
      case 'cyclist':
        a.plan = [{ x: exitX, y: path(exitX), speed: role === 'runner' ? r.uniform(2.3, 4) : r.uniform(3.5, 7), stay: 0 }];
        break;
      case 'bench': {
        const steps = r.next() < 0.25;
        a.object = r.next() < 0.12 ? r.uniform(0.25, 0.55) : 0; // parasol, folded stand
        a.plan = [{ x: spot, y: steps ? bankY(spot) + r.uniform(0.5, 1.5) : bankY(spot) + r.uniform(6, 9), speed: walk, stay: r.uniform(300, 4800) }, { x: exitX, y: path(exitX), speed: walk, stay: 0 }];
        break;
      }
      case 'photographer': {
        a.object = r.uniform(0.35, 0.75); // tripod or monopod
        const spots = Array.from({ length: r.int(1, 3) }, () => r.uniform(-35, 35));
        a.plan = [...spots.map((s) => ({ x: s, y: bankY(s) + r.uniform(0.3, 2), speed: walk, stay: r.uniform(60, 480) })), { x: exitX, y: path(exitX), speed: walk, stay: 0 }];
        break;
      }
      case 'family':
        a.object = r.next() < 0.3 ? r.uniform(0.3, 0.6) : 0; // a child's landing net
        a.plan = [...Array.from({ length: r.int(3, 8) }, () => {
          const s = spot + r.uniform(-6, 6);
          return { x: s, y: bankY(s) + r.uniform(0.2, 3), speed: r.uniform(0.4, 1.2), stay: r.uniform(10, 90) };
        }), { x: exitX, y: path(exitX), speed: walk, stay: 0 }];
        break;
    }
    this.agents.push(a);
  }

  private report(a: Agent, dt: number): void {
    const r = this.rng;
    const dist = Math.hypot(a.x - CAMERA.x, a.y - CAMERA.y);
    const sigma = 0.05 + 0.012 * dist;
    const mx = a.x + r.normal(0, sigma);
    const my = a.y + r.normal(0, sigma);
    if (!a.track || r.next() < 0.0005 * dt * (dist / 30)) {
      // New person in view, or the tracker lost them behind someone and starts a new track.
      if (a.track) this.finished.push(a.track);
      a.track = { observations: [], fishing: [], startLocalHour: this.hour() };
      a.trackStart = this.t;
      a.lastMeasured = null;
    }
    const prev = a.lastMeasured;
    const speed = prev ? Math.hypot(mx - prev.x, my - prev.y) / Math.max(1e-3, this.t - prev.t) : Math.hypot(mx - a.x, my - a.y) / dt;
    a.lastMeasured = { x: mx, y: my, t: this.t };
    const waterline = Math.max(0, my - bankY(mx) - this.waterlineError);
    const light = this.hour() >= 6 && this.hour() < 19.5 ? 1 : this.hour() >= 5 && this.hour() < 20.5 ? 0.75 : 0.5;
    // Rod detector: score rises with the object's apparent length in the image (metres / distance).
    const apparent = (a.fishing ? a.rodLength * (r.next() < 0.3 ? 0.4 : 1) : a.object * 3) / dist;
    const seen = a.fishing || a.object > 0 ? 1 / (1 + Math.exp(-(apparent * light * 40 - 2.2))) : 0;
    const rod = Math.min(1, Math.max(0, seen * (a.fishing || a.object > 0 ? 1 : 0) + r.normal(0, 0.08) + (r.next() < 0.01 ? r.uniform(0.3, 0.8) : 0)));
    a.track.observations.push({ dwellS: Math.round(this.t - a.trackStart), waterlineM: Math.round(waterline * 100) / 100, rodScore: Math.round(rod * 1000) / 1000, speedMps: Math.round(speed * 100) / 100 });
    a.track.fishing.push(a.fishing);
  }

  /** Simulates `seconds` of the scene and returns every track (ended or still open). */
  run(seconds: number): SceneTrack[] {
    const r = this.rng;
    const every = this.opts.reportEveryS;
    for (let step = 0; step < seconds; step++) {
      this.t += 1;
      if (r.next() < this.rate()) this.spawn();
      for (const a of this.agents) {
        const goal = a.plan[0];
        if (!goal) continue;
        if (a.stayLeft > 0) {
          a.stayLeft -= 1;
          if (a.stayLeft <= 0) {
            a.plan.shift();
            a.fishing = false;
          }
        } else {
          const d = Math.hypot(goal.x - a.x, goal.y - a.y);
          const v = goal.speed * (1 + r.normal(0, 0.05));
          if (d <= v) {
            [a.x, a.y] = [goal.x, goal.y];
            a.stayLeft = goal.stay;
            a.fishing = goal.fishing === true;
            if (goal.stay <= 0) a.plan.shift();
          } else {
            a.x += ((goal.x - a.x) / d) * v;
            a.y += ((goal.y - a.y) / d) * v;
          }
        }
        if (Math.abs(a.x) <= VIEW && this.t % every === 0) this.report(a, every);
      }
      for (let i = this.agents.length - 1; i >= 0; i--) {
        const a = this.agents[i] as Agent;
        if (a.plan.length === 0 || Math.abs(a.x) > VIEW + 4) {
          if (a.track) this.finished.push(a.track);
          this.agents.splice(i, 1);
        }
      }
    }
    const open = this.agents.flatMap((a) => (a.track ? [a.track] : []));
    return [...this.finished, ...open].filter((tr) => tr.observations.length > 0);
  }
}
