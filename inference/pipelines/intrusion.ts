import type { TracksPayload } from '../../contract/mqtt/telemetry.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { AppliedRule } from '../../core/domain/zone-rules.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { IntrusionWatch, type IntrusionConfig, type IntrusionStep } from '../rules/intrusion.js';
import { alertId, round, type PipelineContext } from './context.js';

export type IntrusionOptions = IntrusionConfig;

type Alerting = Extract<IntrusionStep, { action: 'alert' }>;

/**
 * Intrusion at the water's edge of a closed zone (closure zone rules): each camera's tracks → the
 * pure watch (inference/rules/intrusion.ts) → the anti-drowning clip on the camera's loudspeaker →
 * the alert when the person stays past the grace time. Everything on the camera's own clock, one
 * camera's observations at a time, so replays in any interleaving of cameras give the same alerts.
 */
export class IntrusionPipeline {
  private readonly watches = new Map<string, IntrusionWatch>();
  private readonly queues = new Map<string, Promise<void>>();
  /** How each episode's warning went, for its alert (per camera and track). */
  private readonly warnings = new Map<string, 'played' | 'speaker_busy'>();

  constructor(
    private readonly opts: IntrusionOptions,
    private readonly ctx: PipelineContext,
  ) {}

  onTrack(device: DeviceContext, ts: Date, p: TracksPayload): Promise<void> {
    const next = (this.queues.get(device.id) ?? Promise.resolve()).then(() => this.track(device, ts, p));
    this.queues.set(device.id, next.catch(() => undefined));
    return next;
  }

  private async track(device: DeviceContext, ts: Date, p: TracksPayload): Promise<void> {
    const closure = this.ctx.rules().closed({ zoneId: device.zoneId, timezone: device.timezone }, ts);
    let watch = this.watches.get(device.id);
    if (!watch) {
      // A camera's first reading in an open zone needs no state at all.
      if (!closure.closed) return;
      this.watches.set(device.id, (watch = new IntrusionWatch(this.opts)));
    }
    const t = ts.getTime();
    const key = `${device.id}|${p.id}`;
    let step = watch.observe(p.id, t, p.waterlineM, closure.closed);
    if (step.action === 'left') {
      this.warnings.delete(key);
      this.ctx.log.info({ device: device.id, track: p.id, warned: step.warned }, 'person left the water\'s edge before an intrusion alert');
      return;
    }
    if (step.action === 'warn') {
      const id = alertId(key, 'intrusion', new Date(step.startedAt));
      const played = await this.ctx.speakers.play(device, 'anti-drowning', 'warning', id, ts, { key, metric: 'at_edge', value: 1 }, { safety: true });
      if (played.played || played.reason === 'cooldown') {
        // A clip the speaker played within its cooldown was heard as well: the grace counts from now.
        watch.warned(p.id, t);
        this.warnings.set(key, played.played ? 'played' : 'speaker_busy');
        return;
      }
      step = watch.unwarnable(p.id, t);
    }
    // The warning worked when the person is no longer at the edge once its effect window has passed.
    await this.ctx.speakers.observe(key, ts, p.waterlineM <= this.opts.edgeM ? 1 : 0);
    if (step.action !== 'alert') return;
    const warning = this.warnings.get(key) ?? 'no_speaker';
    this.warnings.delete(key);
    await this.ctx.emit(this.alert(device, p, step, ts, warning, closure.rule ?? null));
  }

  private alert(device: DeviceContext, p: TracksPayload, step: Alerting, at: Date, warning: string, rule: AppliedRule | null): Alert {
    const started = new Date(step.startedAt);
    const warnedS = step.warnedAt === null ? null : Math.round((at.getTime() - step.warnedAt) / 1000);
    const afterWarning = warnedS === null ? 'with no loudspeaker to warn them' : `${warnedS} s after an anti-drowning warning`;
    return {
      id: alertId(`${device.id}|${p.id}`, 'intrusion', started),
      kind: 'intrusion',
      zoneId: device.zoneId,
      deviceId: device.id,
      startedAt: started.toISOString(),
      detectedAt: at.toISOString(),
      summary: `Person at the water's edge of a closed zone${rule ? ` (${rule.name})` : ''} for ${step.atEdgeS} s, ${afterWarning}`,
      summaryZh: `有人在封闭区域${rule ? `（${rule.nameZh ?? rule.name}）` : ''}水边停留 ${step.atEdgeS} 秒，${warnedS === null ? '无喇叭可警告' : `防溺水警告后 ${warnedS} 秒`}`,
      evidence: {
        trackId: p.id,
        waterlineM: round(p.waterlineM, 2),
        nearestM: round(step.nearestM, 2),
        atEdgeS: step.atEdgeS,
        warnedAt: step.warnedAt === null ? null : new Date(step.warnedAt).toISOString(),
        warning,
        thresholds: { edgeM: this.opts.edgeM, confirmS: this.opts.confirmS, graceS: this.opts.graceS, gapS: this.opts.gapS },
        closureRule: rule,
        snapshot: p.snapshot ?? null,
        placementPublished: device.placementPublished,
      },
    };
  }
}
