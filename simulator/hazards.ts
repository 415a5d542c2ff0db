import { topics } from '../contract/mqtt/topics.js';
import type { SmokePayload, TracksPayload } from '../contract/mqtt/telemetry.js';
import { Rng } from '../core/rng.js';
import type { TelemetryMessage } from './scenarios.js';

/**
 * Intrusion and smoke scenes, as the devices publish them (device clock, monotonic seq): shared by
 * the demo fleet and the tests.
 *
 * Smoke detector physics, roughly: a flaming fire's plume reaches a nearby detector as obscuration
 * that grows by tens of %/m within a minute, with the temperature rising 10–30 °C per minute (what a
 * UL 521 rate-of-rise element, 8.3 °C/min, answers to); a smouldering fire thickens slowly over
 * minutes with little heat; a puff of dust (a sweeper, a gust) obscures one or two readings at ambient
 * temperature; steam (a vendor's steamer, a kettle) obscures a few readings and warms the air by a
 * degree or two, then clears as the droplets evaporate.
 */
export type SmokeScene = 'clean' | 'fire' | 'smoulder' | 'dust' | 'steam';

export interface SmokeRun {
  deviceId: string;
  start: Date;
  scene: SmokeScene;
  /** Reading every `stepS` seconds for `seconds`; the event (fire, puff, steam) starts at `eventAtS`. */
  seconds: number;
  stepS: number;
  eventAtS: number;
  ambientC: number;
  seed: number;
  seqStart: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** The obscuration (%/m) and temperature (°C) of a scene `s` seconds after its event began (negative: before). */
function smokeAt(scene: SmokeScene, s: number, ambientC: number, rng: Rng): { obscuration: number; temperatureC: number } {
  const base = { obscuration: Math.max(0, 0.3 + rng.normal(0, 0.08)), temperatureC: ambientC + rng.normal(0, 0.1) };
  if (s < 0 || scene === 'clean') return base;
  switch (scene) {
    case 'fire':
      return { obscuration: Math.min(60, base.obscuration + 1.2 * (Math.exp(s / 18) - 1)), temperatureC: base.temperatureC + Math.min(90, 0.3 * s) };
    case 'smoulder':
      return { obscuration: base.obscuration + Math.min(25, 0.08 * s), temperatureC: base.temperatureC + 0.02 * s };
    case 'dust':
      return s < 10 ? { obscuration: s < 5 ? 35 + rng.normal(0, 5) : 9 + rng.normal(0, 1), temperatureC: base.temperatureC } : base;
    case 'steam':
      return s < 15 ? { obscuration: 14 + 8 * Math.sin((Math.PI * s) / 15) + rng.normal(0, 1), temperatureC: base.temperatureC + 1.5 * Math.sin((Math.PI * s) / 15) } : base;
    default: {
      const never: never = scene;
      throw new Error(`unknown smoke scene ${String(never)}`);
    }
  }
}

/** A smoke detector's readings through a scene. */
export function smokeRun(run: SmokeRun): TelemetryMessage[] {
  const rng = new Rng(run.seed);
  const topic = topics.telemetry(run.deviceId, 'smoke');
  const out: TelemetryMessage[] = [];
  for (let i = 0, t = 0; t < run.seconds; i++, t += run.stepS) {
    const v = smokeAt(run.scene, t - run.eventAtS, run.ambientC, rng);
    const payload: SmokePayload = { ts: new Date(run.start.getTime() + t * 1000).toISOString(), seq: run.seqStart + i, obscuration: r2(v.obscuration), temperatureC: r2(v.temperatureC) };
    out.push({ topic, payload: JSON.stringify(payload) });
  }
  return out;
}

export interface EdgeVisit {
  deviceId: string;
  trackId: string;
  start: Date;
  /** Seconds walking to the edge, at it (within about a metre of the water) and walking away. */
  approachS: number;
  stayS: number;
  leaveS: number;
  stepS: number;
  seed: number;
  seqStart: number;
}

/** A person walking down to the water's edge, staying, and (if `leaveS` > 0) walking away out of view. */
export function edgeVisit(v: EdgeVisit): TelemetryMessage[] {
  const rng = new Rng(v.seed);
  const topic = topics.telemetry(v.deviceId, 'tracks');
  const out: TelemetryMessage[] = [];
  const total = v.approachS + v.stayS + v.leaveS;
  const far = 12;
  const edge = 0.6 + rng.next() * 0.6;
  for (let i = 0, t = 0; t <= total; i++, t += v.stepS) {
    let waterlineM: number;
    let speedMps: number;
    if (t < v.approachS) {
      waterlineM = far - ((far - edge) * t) / v.approachS;
      speedMps = 1.1;
    } else if (t < v.approachS + v.stayS) {
      waterlineM = edge + Math.abs(rng.normal(0, 0.15));
      speedMps = Math.abs(rng.normal(0.1, 0.05));
    } else {
      waterlineM = edge + ((far - edge) * (t - v.approachS - v.stayS)) / Math.max(1, v.leaveS);
      speedMps = 1.2;
    }
    const payload: TracksPayload = {
      ts: new Date(v.start.getTime() + t * 1000).toISOString(),
      seq: v.seqStart + i,
      id: v.trackId,
      dwellS: t,
      waterlineM: r2(Math.max(0, waterlineM)),
      rodScore: r2(Math.min(1, Math.abs(rng.normal(0.04, 0.03)))),
      speedMps: r2(speedMps),
    };
    out.push({ topic, payload: JSON.stringify(payload) });
  }
  return out;
}
