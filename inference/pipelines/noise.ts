import type { NoisePayload } from '../../contract/mqtt/telemetry.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { NoiseEpisodeDetector, type DetectorConfig, type NoiseEpisode } from '../noise-detector.js';
import { NOISE_WINDOW, noiseWindowFeatures, type NoiseFrame } from '../features/noise.js';
import type { Scorer, Scored } from '../batcher.js';
import type { ModelSlot } from '../model-registry.js';
import { alertId, calibration, round, scoresByLabel, type PipelineContext } from './context.js';

export const NOISE_MODEL = 'noise-window';

/**
 * Noise: each device's last NOISE_WINDOW one-second spectra → the noise-window model (batched across
 * devices) → the episode rules (music above the zone's limit for the minimum duration) → an alert.
 * A shadow version runs the same rules on its own scores and is only recorded.
 */
export class NoisePipeline {
  private readonly frames = new Map<string, NoiseFrame[]>();
  private readonly detectors = new Map<string, NoiseEpisodeDetector>();

  constructor(
    private readonly batcher: Scorer,
    private readonly slot: () => ModelSlot,
    private readonly cfg: Omit<DetectorConfig, 'musicOn' | 'musicOff'>,
    private readonly ctx: PipelineContext,
  ) {}

  async onReading(device: DeviceContext, ts: Date, p: NoisePayload): Promise<void> {
    let window = this.frames.get(device.id);
    if (!window) this.frames.set(device.id, (window = []));
    window.push({ bands: p.bands, laeq: p.laeq, lamax: p.lamax });
    if (window.length > NOISE_WINDOW) window.shift();
    const input = window.slice(); // the frames scored (readings arriving during the await move the window on)
    const scored = await this.batcher.score(noiseWindowFeatures(input));
    const observation = { ts, laeq: p.laeq, lamax: p.lamax };
    const episode = this.detector(device, 'active').observe({ ...observation, probabilities: scored.active });
    if (episode) await this.ctx.emit(this.alert(device, episode, scored, 'active', input));
    if (scored.shadow) {
      const shadow = this.detector(device, 'shadow').observe({ ...observation, probabilities: scored.shadow });
      if (shadow) await this.ctx.recordShadow(this.alert(device, shadow, scored, 'shadow', input));
    }
  }

  private detector(device: DeviceContext, role: 'active' | 'shadow'): NoiseEpisodeDetector {
    const key = `${role}|${device.id}`;
    let d = this.detectors.get(key);
    if (!d) {
      const model = this.slot().active;
      const t = model.card.thresholds;
      d = new NoiseEpisodeDetector(
        { ...this.cfg, musicOn: t['music.on'] ?? 0.6, musicOff: t['music.off'] ?? 0.4 },
        (at) => this.ctx.rules().noiseLimit({ zoneId: device.zoneId, timezone: device.timezone, noiseClass: device.noiseClass }, at),
        model.labelIndex('music'),
      );
      this.detectors.set(key, d);
    }
    return d;
  }

  private alert(device: DeviceContext, ep: NoiseEpisode, scored: Scored, role: 'active' | 'shadow', window: readonly NoiseFrame[]): Alert {
    const version = role === 'active' ? scored.activeVersion : (scored.shadowVersion ?? 'unknown');
    const card = this.slot().active.card;
    return {
      id: alertId(device.id, role === 'active' ? 'noise' : `noise|${version}`, ep.startedAt),
      kind: 'noise',
      zoneId: device.zoneId,
      deviceId: device.id,
      startedAt: ep.startedAt.toISOString(),
      detectedAt: ep.detectedAt.toISOString(),
      modelVersion: version,
      summary: `Amplified music at ${ep.laeq.toFixed(1)} dB(A) over the ${ep.limit.rule ? `"${ep.limit.rule.name}"` : ep.limit.period} limit of ${ep.limit.laeq} dB(A)`,
      summaryZh: `扩音音乐 ${ep.laeq.toFixed(1)} dB(A)，超过${ep.limit.rule ? `“${ep.limit.rule.nameZh ?? ep.limit.rule.name}”` : ep.limit.period === 'night' ? '夜间' : '昼间'}限值 ${ep.limit.laeq} dB(A)`,
      evidence: {
        laeq: round(ep.laeq, 1),
        lamaxMax: round(ep.lamaxMax, 1),
        limit: ep.limit,
        rule: ep.rule,
        noiseClass: device.noiseClass,
        timezone: device.timezone,
        scores: scoresByLabel(card.labels, ep.meanProbabilities),
        thresholds: card.thresholds,
        minDurationS: this.cfg.minDurationS,
        levels: ep.levels,
        calibration: calibration(device, ep.startedAt),
        placementPublished: device.placementPublished,
        // The model's input at detection (the last NOISE_WINDOW one-second spectra), kept with the officers' verdict.
        window: { frames: window.map((f) => ({ bands: [...f.bands], laeq: f.laeq, lamax: f.lamax })) },
      },
    };
  }
}
