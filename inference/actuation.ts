import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { topics } from '../contract/mqtt/topics.js';
import { CommandAck, SPEAKER_PLAY, type Clip, type SpeakerPlay } from '../contract/mqtt/commands.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { localClock } from '../core/domain/local-time.js';
import type { DeviceContext } from '../core/repos/devices.js';
import type { InferenceRepository } from './repository.js';

/**
 * Riverside loudspeakers: `speaker.play` commands with a per-device cooldown and quiet hours (both on
 * the readings' own clock, so replayed data behaves the same), acknowledgements from the device, and
 * the effect measured `effectWindowS` later (did the watched value fall?).
 */
export { CLIPS, type Clip } from '../contract/mqtt/commands.js';

export interface SpeakerOptions {
  cooldownS: number;
  /** Local hours [start, end) in which speakers stay silent, e.g. 22 → 7. */
  quietStartHour: number;
  quietEndHour: number;
  volume: number;
  effectWindowS: number;
}

/** Recent plays remembered per device for the cooldown. */
const PLAYS_KEPT = 32;

export type PlayResult = { played: true; commandId: string } | { played: false; reason: 'no_speaker' | 'quiet_hours' | 'cooldown' };

interface Probe {
  commandId: string;
  key: string;
  metric: string;
  before: number;
  due: number;
}

export class SpeakerController {
  /** Times of each device's recent plays (device clock). */
  private readonly lastPlay = new Map<string, number[]>();
  private probes: Probe[] = [];
  private readonly sent;
  private readonly acks;
  private readonly foreignAcks;

  constructor(
    private readonly publish: (topic: string, payload: string) => Promise<void>,
    private readonly repo: InferenceRepository,
    private readonly opts: SpeakerOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.sent = metrics.counter('speaker_commands_total', 'speaker.play commands, played or not', ['outcome']);
    this.acks = metrics.counter('speaker_acks_total', 'speaker.play acknowledgements from devices', []);
    this.foreignAcks = metrics.counter('speaker_acks_refused_total', 'acknowledgements of a command sent to another device (or unknown), ignored');
  }

  quiet(device: DeviceContext, at: Date): boolean {
    const { hour } = localClock(at, device.timezone);
    const { quietStartHour: s, quietEndHour: e } = this.opts;
    return s <= e ? hour >= s && hour < e : hour >= s || hour < e;
  }

  /**
   * Plays a clip unless the device has no speaker, it is quiet hours, or the device played within the
   * cooldown. `probe` names the value to watch for the effect (e.g. the zone's people count). A `safety`
   * warning (someone at the water's edge of a closed zone) is played in quiet hours too: a life may
   * depend on it, and closed hours are mostly night hours.
   */
  async play(device: DeviceContext, clip: Clip, stage: 'warning' | 'repeat', alertId: string, at: Date, probe: { key: string; metric: string; value: number }, opts: { safety?: boolean } = {}): Promise<PlayResult> {
    const refuse = (reason: 'no_speaker' | 'quiet_hours' | 'cooldown'): PlayResult => {
      this.sent.inc({ outcome: reason });
      return { played: false, reason };
    };
    if (!device.hasSpeaker) return refuse('no_speaker');
    if (!opts.safety && this.quiet(device, at)) return refuse('quiet_hours');
    // Cooldown on either side of a play: pipelines on other devices' clocks (a zone's counters, a
    // replay) may ask for a clip earlier than one already played, which must not block it for good.
    const played = this.lastPlay.get(device.id) ?? [];
    if (played.some((p) => Math.abs(at.getTime() - p) < this.opts.cooldownS * 1000)) return refuse('cooldown');
    played.push(at.getTime());
    if (played.length > PLAYS_KEPT) played.shift();
    this.lastPlay.set(device.id, played);
    const commandId = randomUUID();
    const payload: SpeakerPlay = { commandId, clip, volume: this.opts.volume, stage, alertId };
    await this.repo.commandSent({ id: commandId, deviceId: device.id, name: SPEAKER_PLAY, payload, alertId, stage, sentAt: at });
    await this.publish(topics.command(device.id, SPEAKER_PLAY), JSON.stringify(payload));
    this.probes.push({ commandId, key: probe.key, metric: probe.metric, before: probe.value, due: at.getTime() + this.opts.effectWindowS * 1000 });
    this.sent.inc({ outcome: 'played' });
    this.log.info({ device: device.id, clip, stage, alert: alertId }, 'speaker.play sent');
    return { played: true, commandId };
  }

  /** A device's `.../commands/speaker.play/ack`: `{ "commandId": "…", … }`. */
  async onAck(deviceId: string, payload: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.log.warn({ device: deviceId }, 'command ack is not JSON');
      return;
    }
    if (!Value.Check(CommandAck, body)) return;
    // Only the device the command went to can acknowledge it: another device knowing (or guessing)
    // the command id must not mark someone else's warning as played.
    if (await this.repo.commandAcked(body.commandId, deviceId, body)) this.acks.inc();
    else {
      this.foreignAcks.inc();
      this.log.warn({ device: deviceId, commandId: body.commandId }, 'ack of a command not sent to this device (or already acknowledged) ignored');
    }
  }

  /** Feeds the watched value; probes whose window has passed record their effect. */
  async observe(key: string, at: Date, value: number): Promise<void> {
    const due = this.probes.filter((p) => p.key === key && p.due <= at.getTime());
    if (due.length === 0) return;
    this.probes = this.probes.filter((p) => !due.includes(p));
    for (const p of due) {
      const effect = { metric: p.metric, before: p.before, after: value, fell: value < p.before, measuredAt: at.toISOString(), windowS: this.opts.effectWindowS };
      await this.repo.commandEffect(p.commandId, effect);
    }
  }
}
