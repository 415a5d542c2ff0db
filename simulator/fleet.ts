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
import { edgeVisit, smokeRun, type SmokeScene } from './hazards.js';
import type { TelemetryMessage } from './scenarios.js';

/**
 * The simulated sensor fleet of `npm start`: every device it is given (with the credentials the
 * registry issued for it) connects as itself (same ACL as a real device) and publishes real-time
 * telemetry.
 * The park's first sound level meter plays a square-dance evening: amplified music from the start for
 * five minutes, then ten quiet minutes, repeating — so the whole loop shows within about a minute.
 * The riverbank camera sees walkers, joggers, sitters and now and then an angler (every track from the
 * same generators the fishing model was trained on); people counters follow a crowd scenario.
 * A camera at a closed riverside zone (closure rule, e.g. the old ferry steps) sees someone walk to
 * the water's edge every ten minutes: the first stays after the anti-drowning warning (an intrusion
 * case), the next leaves in time. A smoke detector reports clean air every 5 s, with a fire soon after
 * the start of every 15 minutes (a smoke case for emergency management), then a puff of dust and a
 * cloud of steam that raise nothing.
 */
const EDGE_CYCLE_S = 600;
const SMOKE_CYCLE_S = 900;
const SMOKE_STEP_S = 5;
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
  /** Scripted readings (intrusion visits, smoke scenes), due at a wall-clock time. */
  script?: { due: number; stream: Stream; fields: Record<string, unknown> }[];
}

/** A scene's messages as scripted readings: each due at its own timestamp, `ts` and `seq` stamped when sent. */
function scripted(messages: TelemetryMessage[], stream: Stream): { due: number; stream: Stream; fields: Record<string, unknown> }[] {
  return messages.map((m) => {
    const { ts, seq: _seq, ...fields } = JSON.parse(m.payload) as { ts: string; seq: number } & Record<string, unknown>;
    return { due: Date.parse(ts), stream, fields };
  });
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

  /** The readings of the next cycle for a camera at a closed zone or a smoke detector. */
  private nextScript(d: SimDevice, t: number): void {
    const now = Date.now();
    const seed = this.rng.int(1, 1_000_000);
    if (d.row.kind === 'smoke_detector') {
      // [scene, start in the cycle (s), length (s), its event after (s)]: a fire at 60 s, dust at 360 s, steam at 540 s.
      const scenes: [SmokeScene, number, number, number][] = [['fire', 0, 300, 60], ['dust', 300, 240, 60], ['steam', 540, SMOKE_CYCLE_S - 540, 0]];
      const messages = scenes.flatMap(([scene, from, seconds, eventAtS], i) =>
        smokeRun({ deviceId: d.row.id, start: new Date(now + from * 1000), scene, seconds, stepS: SMOKE_STEP_S, eventAtS, ambientC: 24, seed: seed + i, seqStart: 0 }));
      d.script = scripted(messages, 'smoke');
      return;
    }
    const stays = edgeVisit({ deviceId: d.row.id, trackId: `edge-${t}-a`, start: new Date(now + 20_000), approachS: 20, stayS: 150, leaveS: 20, stepS: 5, seed, seqStart: 0 });
    const leaves = edgeVisit({ deviceId: d.row.id, trackId: `edge-${t}-b`, start: new Date(now + 330_000), approachS: 20, stayS: 30, leaveS: 30, stepS: 5, seed: seed + 1, seqStart: 0 });
    d.script = scripted([...stays, ...leaves], 'tracks');
  }

  /** Sends the scripted readings that are due. */
  private playScript(d: SimDevice, t: number, cycleS: number): void {
    if (t % cycleS === 0) this.nextScript(d, t);
    const now = Date.now();
    while (d.script?.length && (d.script[0] as { due: number }).due <= now) {
      const r = d.script.shift() as { stream: Stream; fields: Record<string, unknown> };
      this.publish(d, r.stream, r.fields);
    }
  }

  private step(): void {
    const t = this.tick++;
    for (const d of this.fleet) {
      if (d.row.kind === 'smoke_detector') this.playScript(d, t, SMOKE_CYCLE_S);
      if (d.noise) {
        const dancing = d.row.id === 'slm-park-1' && t % CYCLE_S < MUSIC_ON_S;
        const s = dancing ? d.noise.music.next(63 + this.rng.normal(0, 1)) : d.noise.ambient.next((d.noise.ambientClass === 'traffic' ? 52 : 42) + this.rng.normal(0, 1.5));
        this.publish(d, 'noise', { laeq: +s.laeq.toFixed(1), lamax: +s.lamax.toFixed(1), intervalS: 1, bands: s.bands.map((b) => +b.toFixed(1)) });
      }
      if (d.crowd && t % 60 === 0) {
        d.count = d.crowd.next();
        this.publish(d, 'people', { count: d.count });
      }
      if (d.row.kind === 'camera' && d.row.zoneId === 'z-river-steps') this.playScript(d, t, EDGE_CYCLE_S);
      else if (d.row.kind === 'camera' && t % 10 === 0) this.stepTrack(d, t);
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
