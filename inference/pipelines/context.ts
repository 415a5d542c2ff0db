import { createHash } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import type { SpeakerController } from '../actuation.js';
import type { ZoneSchedule } from '../../core/domain/zone-rules.js';

/** What a pipeline needs from the worker around it. */
export interface PipelineContext {
  /** Publishes an alert on `v1/alerts/{zoneId}/{kind}` (QoS 1). */
  emit(alert: Alert): Promise<void>;
  /** Records what a shadow model would have raised. */
  recordShadow(alert: Alert): Promise<void>;
  speakers: SpeakerController;
  speakersInZone(zoneId: string): Promise<DeviceContext[]>;
  /** The zone rules in force (refreshed in the background; zone defaults when there are none). */
  rules(): ZoneSchedule;
  log: Logger;
}

/** Stable alert id: the same episode always gets the same id, whoever computes it. */
export function alertId(subject: string, kind: string, startedAt: Date): string {
  return createHash('sha256').update(`${subject}|${kind}|${startedAt.toISOString()}`).digest('hex').slice(0, 32);
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export function scoresByLabel(labels: readonly string[], probs: ArrayLike<number>): Record<string, number> {
  return Object.fromEntries(labels.map((l, i) => [l, round(probs[i] ?? 0)]));
}

export function calibration(device: DeviceContext, at: Date) {
  const valid = device.calibrationValidUntil !== null && new Date(`${device.calibrationValidUntil}T23:59:59Z`) >= at;
  return { validUntil: device.calibrationValidUntil, validAtMeasurement: valid };
}
