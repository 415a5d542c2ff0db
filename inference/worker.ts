import type { MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { connectService, type ServiceConnection } from '../core/mqtt-client.js';
import { decodeTelemetryMessage, type DecodeLimits } from '../core/telemetry-decode.js';
import type { Alert } from '../contract/mqtt/alert.js';
import { filters, parseTopic, topics } from '../contract/mqtt/topics.js';
import { Rollout } from '../contract/mqtt/control.js';
import { Value } from '@sinclair/typebox/value';
import { ZoneSchedule } from '../core/domain/zone-rules.js';
import type { DeviceContext } from '../core/repos/devices.js';
import type { Reading } from '../contract/mqtt/telemetry.js';
import { LookupCache } from '../core/lookup-cache.js';
import type { DetectorConfig } from './noise-detector.js';
import { NOISE_WINDOW_FEATURE_COUNT } from './features/noise.js';
import { FISHING_FEATURE_COUNT } from './features/fishing.js';
import { CROWD_FEATURE_COUNT } from './features/crowding.js';
import { ModelRegistry, type ModelSlot } from './model-registry.js';
import { listModels } from './model-store.js';
import { Batcher } from './batcher.js';
import { SpeakerController, type SpeakerOptions } from './actuation.js';
import type { InferenceRepository } from './repository.js';
import { NoisePipeline, NOISE_MODEL } from './pipelines/noise.js';
import { FishingPipeline, FISHING_MODEL, type FishingOptions } from './pipelines/fishing.js';
import { CrowdingPipeline, CROWD_MODEL, type CrowdingOptions } from './pipelines/crowding.js';
import type { PipelineContext } from './pipelines/context.js';
import { IntrusionPipeline, type IntrusionOptions } from './pipelines/intrusion.js';
import { SmokePipeline, type SmokeOptions } from './pipelines/smoke.js';

export { alertId } from './pipelines/context.js';

const TELEMETRY = (['noise', 'tracks', 'people', 'smoke'] as const).map((s) => filters.telemetryOf(s));
const ACKS = filters.commandAcks;
const CONTROL = filters.rollouts;
const RULES_CHANGED = filters.rulesChanged;

export interface WorkerOptions {
  limits: DecodeLimits;
  noise: Omit<DetectorConfig, 'musicOn' | 'musicOff'>;
  fishing: FishingOptions;
  crowding: CrowdingOptions;
  intrusion: IntrusionOptions;
  smoke: SmokeOptions;
  speakers: SpeakerOptions;
  maxBatch: number;
  maxWaitMs: number;
  modelDirs: readonly string[];
  /** How often the model folders are scanned and their versions registered in the database. */
  modelScanS: number;
  rulesRefreshS: number;
}

export interface WorkerDevices {
  get(id: string): Promise<DeviceContext | null>;
  speakersInZone(zoneId: string): Promise<DeviceContext[]>;
  /** The zone rules and holiday calendars (reloaded every `rulesRefreshS` and on `v1/control/rules`). */
  schedule(): Promise<ZoneSchedule>;
}

/**
 * The inference worker: noise, track and people telemetry → per-device / per-track / per-zone feature
 * windows → one batched onnxruntime session per model → decision rules → alerts on `v1/alerts/…`;
 * tracks also go to the intrusion watch (closed zones) and smoke readings to the smoke rules (no model),
 * loudspeaker commands, and shadow results. Models hot-swap on the retained `v1/control/models/{name}`.
 */
export class InferenceWorker {
  private client?: MqttClient;
  private readonly registry: ModelRegistry;
  private readonly batchers = new Map<string, Batcher>();
  private readonly contexts: LookupCache<DeviceContext>;
  private noise?: NoisePipeline;
  private fishing?: FishingPipeline;
  private crowding?: CrowdingPipeline;
  private intrusion?: IntrusionPipeline;
  private smoke?: SmokePipeline;
  private speakers?: SpeakerController;
  private pending = new Set<Promise<void>>();
  private arrivals: Promise<void> = Promise.resolve();
  private readonly processed;
  private readonly dropped;
  private readonly alerts;
  private readonly rulesReloaded;
  private readonly shadowAlerts;

  private schedule: ZoneSchedule = ZoneSchedule.EMPTY;
  private rulesTimer?: NodeJS.Timeout;
  private scanTimer?: NodeJS.Timeout;

  constructor(
    private readonly conn: ServiceConnection,
    private readonly devices: WorkerDevices,
    private readonly repo: InferenceRepository,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.registry = new ModelRegistry(opts.modelDirs, log);
    this.contexts = new LookupCache((id) => devices.get(id));
    this.processed = metrics.counter('inference_readings_total', 'readings scored', ['stream']);
    this.dropped = metrics.counter('inference_dropped_total', 'readings not scored', ['reason']);
    this.alerts = metrics.counter('inference_alerts_total', 'alerts emitted', ['kind']);
    this.rulesReloaded = metrics.counter('inference_rules_reloaded_total', 'zone rule reloads (timer or the rules-changed announcement)');
    this.shadowAlerts = metrics.counter('inference_shadow_alerts_total', 'alerts a shadow model would have raised', ['kind']);
  }

  get ready(): boolean {
    return this.client?.connected === true && this.noise !== undefined;
  }

  /** Loaded versions, for /readyz and tests. */
  models(): Record<string, { active: string; shadow: string | null }> {
    const out: Record<string, { active: string; shadow: string | null }> = {};
    for (const name of [NOISE_MODEL, FISHING_MODEL, CROWD_MODEL]) {
      const s = this.registry.slot(name);
      if (s) out[name] = { active: s.active.card.version, shadow: s.shadow?.card.version ?? null };
    }
    return out;
  }

  async start(): Promise<void> {
    const slotOf = (name: string) => () => this.registry.slot(name) as ModelSlot;
    for (const [name, width] of [[NOISE_MODEL, NOISE_WINDOW_FEATURE_COUNT], [FISHING_MODEL, FISHING_FEATURE_COUNT], [CROWD_MODEL, CROWD_FEATURE_COUNT]] as const) {
      await this.registry.load(name, width);
      this.batchers.set(name, new Batcher(this.registry, name, this.opts.maxBatch, this.opts.maxWaitMs));
    }
    await this.registerModels();
    this.scanTimer = setInterval(() => void this.registerModels(), this.opts.modelScanS * 1000);
    this.scanTimer.unref();
    this.schedule = await this.devices.schedule();
    this.rulesTimer = setInterval(() => void this.reloadRules(), this.opts.rulesRefreshS * 1000);
    this.rulesTimer.unref();
    const client = await connectService(this.conn, 'inference');
    this.client = client;
    this.speakers = new SpeakerController((topic, payload) => client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined), this.repo, this.opts.speakers, this.log, this.metrics);
    const ctx: PipelineContext = {
      emit: (a) => this.emit(a),
      recordShadow: async (a) => {
        await this.repo.shadowAlert(a);
        this.shadowAlerts.inc({ kind: a.kind });
      },
      speakers: this.speakers,
      speakersInZone: (zoneId) => this.devices.speakersInZone(zoneId),
      rules: () => this.schedule,
      log: this.log,
    };
    this.noise = new NoisePipeline(this.batchers.get(NOISE_MODEL) as Batcher, slotOf(NOISE_MODEL), this.opts.noise, ctx);
    this.fishing = new FishingPipeline(this.batchers.get(FISHING_MODEL) as Batcher, slotOf(FISHING_MODEL), this.opts.fishing, ctx);
    this.crowding = new CrowdingPipeline(this.batchers.get(CROWD_MODEL) as Batcher, slotOf(CROWD_MODEL), ctx, this.opts.crowding);
    this.intrusion = new IntrusionPipeline(this.opts.intrusion, ctx);
    this.smoke = new SmokePipeline(this.opts.smoke, ctx);
    client.on('message', (topic, payload) => {
      const p = this.route(topic, payload).catch((err: unknown) => this.log.error({ err, topic }, 'inference message failed'));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    });
    await client.subscribeAsync([...TELEMETRY, ACKS, CONTROL, RULES_CHANGED], { qos: 1 });
    this.log.info({ models: this.models() }, 'inference worker subscribed');
  }

  private async route(topic: string, payload: Buffer): Promise<void> {
    const t = parseTopic(topic);
    if (t?.type === 'rulesChanged') return this.reloadRules();
    if (t?.type === 'rollout') return this.rollout(t.modelName, payload);
    if (t?.type === 'commandAck') return this.speakers?.onAck(t.deviceId, payload);
    // One reading or a batch; bad elements are dropped alone (ingest logs and counts them per device).
    const decoded = decodeTelemetryMessage(topic, payload, new Date(), this.opts.limits);
    if (!decoded.ok) {
      this.dropped.inc({ reason: decoded.reason });
      return;
    }
    for (const e of decoded.rejected) this.dropped.inc({ reason: e.reason });
    if (decoded.readings.length === 0) return;
    // Registry lookups resolve in arrival order across devices, so a device looked up for the first
    // time does not let other devices' later readings overtake its own (a zone's counters stay in step).
    const lookup = this.arrivals.then(() => this.contexts.get(decoded.deviceId));
    this.arrivals = lookup.then(() => undefined, () => undefined);
    const device = await lookup;
    if (!device) {
      this.dropped.inc({ reason: 'unknown_device' }, decoded.readings.length);
      return;
    }
    // Each reading enters its pipeline in order, all before the first await, exactly as the same
    // readings sent one by one would (the pipelines keep per-device order from there).
    await Promise.all(decoded.readings.map((r) => this.feed(device, r)));
  }

  private async feed(device: DeviceContext, r: Reading): Promise<void> {
    switch (r.stream) {
      case 'noise':
        await this.noise?.onReading(device, r.ts, r.payload);
        break;
      case 'tracks':
        // Each camera observation is judged for fishing (ban zones), then for intrusion (closed zones):
        // both may ask the camera's loudspeaker for a clip, and the order of their asks decides which
        // one the cooldown refuses, so it is the same order whatever the interleaving of devices.
        await this.fishing?.onTrack(device, r.ts, r.payload);
        await this.intrusion?.onTrack(device, r.ts, r.payload);
        break;
      case 'smoke':
        await this.smoke?.onReading(device, r.ts, r.payload);
        break;
      case 'people':
        await this.crowding?.onCount(device, r.ts, r.payload.count);
        break;
      default:
        return;
    }
    this.processed.inc({ stream: r.stream });
  }

  private async rollout(name: string, payload: Buffer): Promise<void> {
    try {
      const r: unknown = JSON.parse(payload.toString('utf8'));
      if (!Value.Check(Rollout, r)) throw new Error('expected { active, shadow }');
      await this.registry.apply(name, r);
    } catch (err) {
      this.log.error({ err, model: name }, 'model rollout refused');
    }
  }

  private async emit(alert: Alert): Promise<void> {
    await this.client?.publishAsync(topics.alert(alert.zoneId, alert.kind), JSON.stringify(alert), { qos: 1 });
    this.alerts.inc({ kind: alert.kind });
    this.log.info({ alert: alert.id, kind: alert.kind, zone: alert.zoneId, device: alert.deviceId }, alert.summary);
  }

  /** Stop taking readings, finish what is queued (its alerts still go out), then disconnect. */
  /** Registers the model versions in the model folders, so the API can list them and roll them out. */
  private async registerModels(): Promise<void> {
    try {
      await this.repo.registerModels(await listModels(this.opts.modelDirs));
    } catch (err) {
      this.log.warn({ err }, 'model versions could not be registered; retrying at the next scan');
    }
  }

  /** Reloads the zone rules; on failure the previous ones stay in force. */
  private async reloadRules(): Promise<void> {
    try {
      this.schedule = await this.devices.schedule();
      this.rulesReloaded.inc();
      this.log.debug({ rules: this.schedule.size }, 'zone rules reloaded');
    } catch (err) {
      this.log.warn({ err }, 'zone rules could not be reloaded; the previous ones stay in force');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.rulesTimer);
    clearInterval(this.scanTimer);
    if (this.client?.connected) await this.client.unsubscribeAsync([...TELEMETRY, ACKS, CONTROL, RULES_CHANGED]);
    for (const b of this.batchers.values()) await b.stop();
    await Promise.all(this.pending);
    await this.client?.endAsync();
    await this.registry.close();
  }
}
