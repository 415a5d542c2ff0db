import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { connectService, type ServiceConnection } from '../core/mqtt-client.js';
import { decodeTelemetry, type DecodeLimits } from '../core/telemetry-decode.js';
import type { NoisePayload } from '../core/schemas/telemetry.js';
import { alertTopic, type Alert } from '../core/schemas/alert.js';
import type { DeviceContext } from '../core/repos/devices.js';
import { LookupCache } from '../core/lookup-cache.js';
import { NoiseEpisodeDetector, type DetectorConfig, type NoiseEpisode } from './noise-detector.js';
import { NOISE_FEATURE_COUNT, noiseFeatures } from './noise-features.js';
import type { NoiseModel } from './noise-model.js';

export const NOISE_FILTER = 'v1/devices/+/telemetry/noise';

export interface WorkerOptions {
  limits: DecodeLimits;
  detector: Omit<DetectorConfig, 'musicOn' | 'musicOff'>;
  maxBatch: number;
  maxWaitMs: number;
}

export interface DeviceLookup {
  get(id: string): Promise<DeviceContext | null>;
}

interface Pending {
  device: DeviceContext;
  ts: Date;
  payload: NoisePayload;
}

/** Stable alert id: the same episode always gets the same id, whoever computes it. */
export function alertId(deviceId: string, kind: string, startedAt: Date): string {
  return createHash('sha256').update(`${deviceId}|${kind}|${startedAt.toISOString()}`).digest('hex').slice(0, 32);
}

/**
 * Noise readings → batched ONNX classification across devices → per-device episode rules → alerts on
 * `v1/alerts/{zoneId}/noise` (QoS 1).
 */
export class InferenceWorker {
  private client?: MqttClient;
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private readonly detectors = new Map<string, NoiseEpisodeDetector>();
  private readonly contexts: LookupCache<DeviceContext>;
  private readonly processed;
  private readonly dropped;
  private readonly alerts;
  private readonly batchSize;

  constructor(
    private readonly conn: ServiceConnection,
    private readonly model: NoiseModel,
    devices: DeviceLookup,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.processed = metrics.counter('inference_readings_total', 'noise readings classified', []);
    this.dropped = metrics.counter('inference_dropped_total', 'noise readings not classified', ['reason']);
    this.alerts = metrics.counter('inference_alerts_total', 'alerts emitted', ['kind']);
    this.batchSize = metrics.gauge('inference_last_batch_size', 'size of the last inference batch', []);
    this.contexts = new LookupCache((id) => devices.get(id));
  }

  get ready(): boolean {
    return this.client?.connected === true;
  }

  async start(): Promise<void> {
    const client = await connectService(this.conn, 'inference');
    this.client = client;
    client.on('message', (topic, payload) => {
      this.onMessage(topic, payload).catch((err: unknown) => this.log.error({ err, topic }, 'noise reading handling failed'));
    });
    await client.subscribeAsync(NOISE_FILTER, { qos: 1 });
    this.log.info({ model: this.model.card.version, filter: NOISE_FILTER }, 'inference worker subscribed');
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const decoded = decodeTelemetry(topic, payload, new Date(), this.opts.limits);
    if (!decoded.ok) {
      this.dropped.inc({ reason: decoded.reason });
      return; // ingest logs and counts the rejection per device
    }
    const r = decoded.reading;
    if (r.stream !== 'noise') return;
    const device = await this.contexts.get(r.deviceId);
    if (!device) {
      this.dropped.inc({ reason: 'unknown_device' });
      return;
    }
    this.queue.push({ device, ts: r.ts, payload: r.payload });
    if (this.queue.length >= this.opts.maxBatch) this.schedule(0);
    else this.schedule(this.opts.maxWaitMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.drain()).catch((err: unknown) => this.log.error({ err }, 'inference batch failed'));
    }, delayMs);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.runBatch(this.queue.splice(0, this.opts.maxBatch));
  }

  private detector(device: DeviceContext): NoiseEpisodeDetector {
    let d = this.detectors.get(device.id);
    if (!d) {
      const t = this.model.card.thresholds;
      d = new NoiseEpisodeDetector(
        { ...this.opts.detector, musicOn: t['music.on'] ?? 0.6, musicOff: t['music.off'] ?? 0.4 },
        { noiseClass: device.noiseClass, timezone: device.timezone },
        this.model.labelIndex('music'),
      );
      this.detectors.set(device.id, d);
    }
    return d;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const features = new Float32Array(batch.length * NOISE_FEATURE_COUNT);
    batch.forEach((p, i) => noiseFeatures(p.payload.bands, p.payload.laeq, p.payload.lamax, features, i * NOISE_FEATURE_COUNT));
    const probs = await this.model.classify(features, batch.length);
    const classes = this.model.card.labels.length;
    this.batchSize.set(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as Pending;
      const probabilities = probs.subarray(i * classes, (i + 1) * classes);
      const episode = this.detector(p.device).observe({ ts: p.ts, laeq: p.payload.laeq, lamax: p.payload.lamax, probabilities });
      if (episode) await this.emit(p.device, episode);
    }
    this.processed.inc(batch.length);
  }

  private async emit(device: DeviceContext, ep: NoiseEpisode): Promise<void> {
    const labels = this.model.card.labels;
    const calibrationValid = device.calibrationValidUntil !== null && new Date(`${device.calibrationValidUntil}T23:59:59Z`) >= ep.startedAt;
    const alert: Alert = {
      id: alertId(device.id, 'noise', ep.startedAt),
      kind: 'noise',
      zoneId: device.zoneId,
      deviceId: device.id,
      startedAt: ep.startedAt.toISOString(),
      detectedAt: ep.detectedAt.toISOString(),
      modelVersion: `${this.model.card.name}@${this.model.card.version}`,
      summary: `Amplified music at ${ep.laeq.toFixed(1)} dB(A) over the ${ep.limit.period} limit of ${ep.limit.laeq} dB(A)`,
      evidence: {
        laeq: Number(ep.laeq.toFixed(1)),
        lamaxMax: Number(ep.lamaxMax.toFixed(1)),
        limit: ep.limit,
        rule: ep.rule,
        noiseClass: device.noiseClass,
        timezone: device.timezone,
        scores: Object.fromEntries(labels.map((l, i) => [l, Number((ep.meanProbabilities[i] ?? 0).toFixed(3))])),
        thresholds: this.model.card.thresholds,
        minDurationS: this.opts.detector.minDurationS,
        levels: ep.levels,
        calibration: { validUntil: device.calibrationValidUntil, validAtMeasurement: calibrationValid },
        placementPublished: device.placementPublished,
      },
    };
    await this.client?.publishAsync(alertTopic(device.zoneId, 'noise'), JSON.stringify(alert), { qos: 1 });
    this.alerts.inc({ kind: 'noise' });
    this.log.info({ alert: alert.id, device: device.id, zone: device.zoneId, laeq: alert.evidence.laeq }, 'noise alert');
  }

  /** Stop taking readings, finish the queued ones (their alerts still go out), then disconnect. */
  async stop(): Promise<void> {
    if (this.client?.connected) await this.client.unsubscribeAsync(NOISE_FILTER);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.drain();
    await this.client?.endAsync();
  }
}
