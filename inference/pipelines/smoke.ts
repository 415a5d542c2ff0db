import type { SmokePayload } from '../../contract/mqtt/telemetry.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { SmokeDetector, type SmokeBasis, type SmokeRuleConfig } from '../rules/smoke.js';
import { alertId, calibration, round, type PipelineContext } from './context.js';

export type SmokeOptions = SmokeRuleConfig;

const BASIS_TEXT_ZH: Record<SmokeBasis, string> = {
  smoke_and_heat: '温度上升',
  persistent_smoke: '烟雾持续',
  heat: '温度达到定温阈值',
};

const BASIS_TEXT: Record<SmokeBasis, string> = {
  smoke_and_heat: 'with the temperature rising',
  persistent_smoke: 'persisting',
  heat: 'heat at the fixed-temperature threshold',
};

/**
 * Smoke and fire: each detector's readings → its own SmokeDetector (inference/rules/smoke.ts:
 * corroboration or persistence against dust and steam, hysteresis on clearing) → one alert per
 * episode, at the reading that completes it. Per device and on the device's clock.
 */
export class SmokePipeline {
  private readonly detectors = new Map<string, SmokeDetector>();

  constructor(
    private readonly opts: SmokeOptions,
    private readonly ctx: PipelineContext,
  ) {}

  async onReading(device: DeviceContext, ts: Date, p: SmokePayload): Promise<void> {
    let d = this.detectors.get(device.id);
    if (!d) this.detectors.set(device.id, (d = new SmokeDetector(this.opts)));
    const step = d.observe({ t: ts.getTime(), obscuration: p.obscuration, temperatureC: p.temperatureC, ...(p.rateOfRiseCPerMin !== undefined ? { rateOfRiseCPerMin: p.rateOfRiseCPerMin } : {}) });
    if (step.event === 'cleared') {
      this.ctx.log.info({ device: device.id, startedAt: new Date(step.startedAt).toISOString() }, 'smoke alarm cleared');
      return;
    }
    if (step.event !== 'alarm') return;
    const started = new Date(step.startedAt);
    const ror = step.rateOfRise === null ? null : round(step.rateOfRise, 1);
    const o = this.opts;
    const alert: Alert = {
      id: alertId(device.id, 'smoke', started),
      kind: 'smoke',
      zoneId: device.zoneId,
      deviceId: device.id,
      startedAt: started.toISOString(),
      detectedAt: ts.toISOString(),
      summary: `Smoke or fire: obscuration ${round(p.obscuration, 1)} %/m, ${round(p.temperatureC, 1)} °C${ror !== null ? ` rising ${ror} °C/min` : ''} (${BASIS_TEXT[step.basis]})`,
      summaryZh: `烟雾或火情：减光率 ${round(p.obscuration, 1)} %/m，${round(p.temperatureC, 1)} °C${ror !== null ? `，每分钟上升 ${ror} °C` : ''}（${BASIS_TEXT_ZH[step.basis]}）`,
      evidence: {
        basis: step.basis,
        obscuration: round(p.obscuration, 2),
        temperatureC: round(p.temperatureC, 2),
        rateOfRiseCPerMin: ror,
        thresholds: {
          alarmObscuration: o.alarmObscuration, clearObscuration: o.clearObscuration, fixedTempC: o.fixedTempC, rateOfRiseCPerMin: o.rateOfRiseCPerMin,
          confirmReadings: o.confirmReadings, persistReadings: o.persistReadings, persistS: o.persistS,
        },
        // The detector's newest readings, oldest first: [time, obscuration %/m, °C, rate of rise °C/min].
        readings: d.recent.map((r) => [new Date(r.t).toISOString(), r.obscuration, r.temperatureC, r.rateOfRise]),
        calibration: calibration(device, ts),
        placementPublished: device.placementPublished,
      },
    };
    await this.ctx.emit(alert);
  }
}
