import { topics } from '../contract/mqtt/topics.js';
import { Rng } from '../core/rng.js';
import type { NoisePayload } from '../contract/mqtt/telemetry.js';
import { NoiseSource, type NoiseClass } from './spectra.js';
import { TrackSource, type TrackRole } from './anglers.js';
import { CrowdSource, type CrowdKind } from './crowds.js';

/**
 * Scenario building blocks shared by the demo fleet, the tests and the benchmarks: each returns the
 * MQTT messages a real device would publish, with device-clock timestamps and monotonic seq.
 */
export interface TelemetryMessage {
  topic: string;
  payload: string;
}

export interface NoiseRun {
  deviceId: string;
  /** Device-clock time of the first reading. */
  start: Date;
  seconds: number;
  source: NoiseClass;
  laeq: number;
  seed: number;
  seqStart: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** One reading a second of one source at a level, as a sound level meter with 1/3-octave output sends it. */
export function noiseRun(run: NoiseRun): TelemetryMessage[] {
  const rng = new Rng(run.seed);
  const source = new NoiseSource(run.source, rng);
  const topic = topics.telemetry(run.deviceId, 'noise');
  const out: TelemetryMessage[] = [];
  for (let i = 0; i < run.seconds; i++) {
    const s = source.next(run.laeq + rng.normal(0, 0.7));
    const payload: NoisePayload = {
      ts: new Date(run.start.getTime() + i * 1000).toISOString(),
      seq: run.seqStart + i,
      laeq: round1(s.laeq),
      lamax: round1(s.lamax),
      intervalS: 1,
      bands: s.bands.map(round1),
    };
    out.push({ topic, payload: JSON.stringify(payload) });
  }
  return out;
}

/** The instant at a local wall-clock time (hh:mm) on the day `daysAgo` before today, in a timezone. */
export function localTime(timeZone: string, hour: number, minute: number, daysAgo = 1): Date {
  const now = new Date();
  const guess = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo, hour, minute));
  // Shift by the zone's offset at that instant (exact for zones without a DST change that day).
  const local = new Date(guess.toLocaleString('en-US', { timeZone }));
  const utc = new Date(guess.toLocaleString('en-US', { timeZone: 'UTC' }));
  return new Date(guess.getTime() - (local.getTime() - utc.getTime()));
}

export interface TrackRun {
  deviceId: string;
  trackId: string;
  role: TrackRole;
  start: Date;
  /** Observation every `stepS` seconds for `seconds`. */
  seconds: number;
  stepS: number;
  seed: number;
  seqStart: number;
  localHour?: number;
}

/** One camera track's observations, as an edge camera publishes them. */
export function trackRun(run: TrackRun): TelemetryMessage[] {
  const source = new TrackSource(run.role, new Rng(run.seed), { localHour: run.localHour ?? 12 });
  const topic = topics.telemetry(run.deviceId, 'tracks');
  const out: TelemetryMessage[] = [];
  for (let i = 0, t = 0; t < run.seconds; i++, t += run.stepS) {
    const o = source.next(run.stepS);
    if (source.ended) break; // the person left the camera's view
    out.push({
      topic,
      payload: JSON.stringify({
        ts: new Date(run.start.getTime() + t * 1000).toISOString(),
        seq: run.seqStart + i,
        id: run.trackId,
        dwellS: round1(o.dwellS),
        waterlineM: round1(o.waterlineM),
        rodScore: Math.round(o.rodScore * 100) / 100,
        speedMps: Math.round(o.speedMps * 100) / 100,
      }),
    });
  }
  return out;
}

export interface CrowdRun {
  deviceId: string;
  kind: CrowdKind;
  capacity: number;
  start: Date;
  startLocalHour: number;
  minutes: number;
  seed: number;
  seqStart: number;
}

/** A people counter's count once a minute through a crowd scenario. */
export function crowdRun(run: CrowdRun): TelemetryMessage[] {
  const source = new CrowdSource(run.kind, run.capacity, new Rng(run.seed), run.startLocalHour);
  const topic = topics.telemetry(run.deviceId, 'people');
  return Array.from({ length: run.minutes }, (_, i) => ({
    topic,
    payload: JSON.stringify({ ts: new Date(run.start.getTime() + i * 60_000).toISOString(), seq: run.seqStart + i, count: source.next() }),
  }));
}
