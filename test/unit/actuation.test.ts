import { describe, expect, it } from 'vitest';
import { SpeakerController } from '../../inference/actuation.js';
import type { InferenceRepository } from '../../inference/repository.js';
import type { DeviceContext } from '../../core/repos/devices.js';
import { Metrics } from '../../core/metrics.js';
import { createLogger } from '../../core/log.js';

const device: DeviceContext = {
  id: 'cam-1', kind: 'camera', zoneId: 'z-river', noiseClass: '2', timezone: 'Asia/Shanghai', capacity: 150,
  fishingBan: true, hasSpeaker: true, calibrationValidUntil: null, placementPublished: true,
};
const sh = (hh: number, mm = 0) => new Date(Date.UTC(2026, 6, 1, hh - 8, mm)); // Shanghai local → UTC

function controller() {
  const sent: { topic: string; payload: Record<string, unknown> }[] = [];
  const rows = { sent: [] as string[], acked: [] as string[], effects: [] as unknown[] };
  const repo = {
    commandSent: async (c: { id: string }) => void rows.sent.push(c.id),
    commandAcked: async (id: string, _deviceId: string) => (rows.sent.includes(id) ? (rows.acked.push(id), true) : false),
    commandEffect: async (_id: string, e: unknown) => void rows.effects.push(e),
    shadowAlert: async () => undefined,
  } as unknown as InferenceRepository;
  const c = new SpeakerController(async (topic, payload) => void sent.push({ topic, payload: JSON.parse(payload) as Record<string, unknown> }), repo,
    { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 }, createLogger('silent'), new Metrics());
  return { c, sent, rows };
}

describe('speaker controller', () => {
  it('plays on the device’s command topic, then waits out the cooldown', async () => {
    const { c, sent } = controller();
    const probe = { key: 'k', metric: 'p', value: 0.9 };
    expect(await c.play(device, 'fishing-ban', 'warning', 'a1', sh(15), probe)).toMatchObject({ played: true });
    expect(sent[0]).toMatchObject({ topic: 'v1/devices/cam-1/commands/speaker.play', payload: { clip: 'fishing-ban', volume: 80, stage: 'warning', alertId: 'a1' } });
    expect(await c.play(device, 'fishing-ban', 'repeat', 'a1', sh(15, 4), probe)).toEqual({ played: false, reason: 'cooldown' });
    expect(await c.play(device, 'fishing-ban', 'repeat', 'a1', sh(15, 5), probe)).toMatchObject({ played: true });
  });

  it('stays silent in quiet hours (local time, across midnight) and without a speaker', async () => {
    const { c } = controller();
    const probe = { key: 'k', metric: 'p', value: 1 };
    expect(await c.play(device, 'anti-drowning', 'warning', 'a', sh(23), probe)).toEqual({ played: false, reason: 'quiet_hours' });
    expect(await c.play(device, 'anti-drowning', 'warning', 'a', sh(6, 59), probe)).toEqual({ played: false, reason: 'quiet_hours' });
    expect(await c.play({ ...device, hasSpeaker: false }, 'anti-drowning', 'warning', 'a', sh(12), probe)).toEqual({ played: false, reason: 'no_speaker' });
    expect(await c.play(device, 'anti-drowning', 'warning', 'a', sh(7), probe)).toMatchObject({ played: true });
  });

  it('tracks the device’s ack and measures the effect after the window', async () => {
    const { c, rows, sent } = controller();
    await c.play(device, 'anti-drowning', 'warning', 'a', sh(15), { key: 'zone', metric: 'people', value: 180 });
    await c.onAck('cam-1', Buffer.from(JSON.stringify({ commandId: sent[0]!.payload.commandId, ok: true })));
    await c.onAck('cam-1', Buffer.from('not json'));
    expect(rows.acked).toHaveLength(1);
    await c.observe('zone', sh(15, 2), 170); // too early
    expect(rows.effects).toHaveLength(0);
    await c.observe('zone', sh(15, 5), 120);
    expect(rows.effects).toEqual([expect.objectContaining({ metric: 'people', before: 180, after: 120, fell: true })]);
  });
});
