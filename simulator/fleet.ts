import type { Stream } from '../contract/mqtt/telemetry.js';
import { topics } from '../contract/mqtt/topics.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { DeviceRow } from '../core/repos/devices.js';
import { Rng } from '../core/rng.js';
import { NoiseSource, type NoiseClass } from './spectra.js';
import { TrackSource, type TrackRole } from './anglers.js';
import { CrowdSource } from './crowds.js';
import { localClock } from '../core/domain/local-time.js';

/**
 * The simulated sensor fleet of `npm start`: every device it is given (with the credentials the
 * registry issued for it) connects as itself (same ACL as a real device) and publishes real-time
 * telemetry.
 * The park's first sound level meter plays a square-dance evening: amplified music from the start for
 * five minutes, then ten quiet minutes, repeating — so the whole loop shows within about a minute.
 * The riverbank camera sees walkers, joggers, sitters and now and then an angler (every track from the
 * same generators the fishing model was trained on); people counters follow a crowd scenario.
 */
const MUSIC_ON_S = 300;
const CYCLE_S = 900;

/** A simulated device and its secret (issued by the registry: demo/demo.ts). */
export interface SimulatedDevice {
  device: DeviceRow;
  secret: string;
}

interface SimDevice {
  row: DeviceRow;
  client: MqttClient;
  seq: number;
  noise?: { music: NoiseSource; ambient: NoiseSource; ambientClass: NoiseClass };
  count: number;
  crowd?: CrowdSource;
  track?: { id: string; source: TrackSource };
}

const TRACK_CYCLE: TrackRole[] = ['walker', 'angler', 'jogger', 'sitter', 'walker', 'photographer'];

export class SimulatorService {
  private readonly fleet: SimDevice[] = [];
  private timer?: NodeJS.Timeout;
  private tick = 0;
  private readonly rng = new Rng(20261122);

  constructor(
    private readonly mqttUrl: string,
    private readonly fleetToRun: () => Promise<SimulatedDevice[]>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const { device: row, secret } of await this.fleetToRun()) {
      const client = mqtt.connect(this.mqttUrl, {
        username: row.id,
        password: secret,
        clientId: row.id,
        protocolVersion: 4,
        reconnectPeriod: 2000,
        will: { topic: topics.presence(row.id), payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      client.on('error', (err) => this.log.warn({ device: row.id, err: err.message }, 'simulated device error'));
      client.on('connect', () => {
        client.publish(topics.presence(row.id), 'online', { qos: 1, retain: true });
      });
      const ambientClass: NoiseClass = row.zoneId === 'z-riverbank' ? 'traffic' : 'background';
      this.fleet.push({
        row,
        client,
        seq: Date.now(),
        count: 0,
        crowd: row.kind === 'people_counter' || row.kind === 'camera'
          ? new CrowdSource('quiet_weekday', row.capacity ?? 200, this.rng, localClock(new Date(), row.timezone).hour)
          : undefined,
        noise: row.kind === 'sound_level_meter'
          ? { music: new NoiseSource('music', this.rng), ambient: new NoiseSource(ambientClass, this.rng), ambientClass }
          : undefined,
      });
    }
    this.timer = setInterval(() => this.step(), 1000);
    this.log.info({ devices: this.fleet.length }, 'simulated fleet started');
  }

  private publish(d: SimDevice, stream: Stream, fields: Record<string, unknown>): void {
    if (!d.client.connected) return;
    const payload = JSON.stringify({ ts: new Date().toISOString(), seq: d.seq++, ...fields });
    d.client.publish(topics.telemetry(d.row.id, stream), payload, { qos: 1 });
  }

  private step(): void {
    const t = this.tick++;
    for (const d of this.fleet) {
      if (d.noise) {
        const dancing = d.row.id === 'slm-park-1' && t % CYCLE_S < MUSIC_ON_S;
        const s = dancing ? d.noise.music.next(63 + this.rng.normal(0, 1)) : d.noise.ambient.next((d.noise.ambientClass === 'traffic' ? 52 : 42) + this.rng.normal(0, 1.5));
        this.publish(d, 'noise', { laeq: +s.laeq.toFixed(1), lamax: +s.lamax.toFixed(1), intervalS: 1, bands: s.bands.map((b) => +b.toFixed(1)) });
      }
      if (d.crowd && t % 60 === 0) {
        d.count = d.crowd.next();
        this.publish(d, 'people', { count: d.count });
      }
      if (d.row.kind === 'camera' && t % 10 === 0) this.stepTrack(d, t);
      if (t % 60 === 0) {
        this.publish(d, 'status', { battery: 80 + this.rng.int(0, 20), signal: -60 - this.rng.int(0, 30), firmware: 'sim-1.0', ...(d.row.calibrationValidUntil ? { calibrationDue: d.row.calibrationValidUntil } : {}) });
      }
    }
  }

  /** One track in view at a time; the next person appears when the last one has left. */
  private stepTrack(d: SimDevice, t: number): void {
    if (!d.track) {
      const role = TRACK_CYCLE[Math.floor(t / 10) % TRACK_CYCLE.length] as TrackRole;
      d.track = { id: `trk-${role}-${t}`, source: new TrackSource(role, this.rng, { localHour: localClock(new Date(), d.row.timezone).hour }) };
    }
    const o = d.track.source.next(10);
    if (d.track.source.ended) {
      d.track = undefined;
      return;
    }
    this.publish(d, 'tracks', { id: d.track.id, dwellS: +o.dwellS.toFixed(1), waterlineM: +o.waterlineM.toFixed(2), rodScore: +o.rodScore.toFixed(2), speedMps: +o.speedMps.toFixed(2) });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // A clean disconnect does not fire the last will: say offline ourselves.
    await Promise.all(
      this.fleet.map(async (d) => {
        if (d.client.connected) await d.client.publishAsync(topics.presence(d.row.id), 'offline', { qos: 1, retain: true }).catch(() => undefined);
        await d.client.endAsync();
      }),
    );
  }
}
