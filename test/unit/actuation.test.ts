import { describe, expect, it } from 'vitest';
import { SpeakerController, commandIdOf } from '../../inference/actuation.js';
import { MemoryCommandRecord } from '../../inference/command-memory.js';
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
  const repo = new (class extends MemoryCommandRecord {
    override async commandSent(c: { id: string; deviceId: string; name: string; stage: string; sentAt: Date }) {
      rows.sent.push(c.id);
      return super.commandSent(c);
    }
    override async commandAcked(id: string, deviceId: string) {
      const ok = await super.commandAcked(id, deviceId);
      if (ok) rows.acked.push(id);
      return ok;
    }
    override async commandEffect(_id?: string, e?: unknown) {
      rows.effects.push(e);
    }
  })();
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

  it('derives the command id from alert, stage and device: a repeated command is stored and sent once', async () => {
    const { c, sent, rows } = controller();
    const probe = { key: 'k', metric: 'p', value: 0.9 };
    const first = await c.play(device, 'fishing-ban', 'warning', 'a1', sh(15), probe);
    expect(first).toEqual({ played: true, commandId: commandIdOf('a1', 'warning', 'cam-1') });
    // The same alert and stage again (a replay, a second worker): the same command, not sent twice.
    expect(await c.play(device, 'fishing-ban', 'warning', 'a1', sh(15, 1), probe)).toEqual(first);
    expect(sent).toHaveLength(1);
    expect(rows.sent).toEqual([commandIdOf('a1', 'warning', 'cam-1')]);
    expect(commandIdOf('a1', 'repeat', 'cam-1')).not.toBe(commandIdOf('a1', 'warning', 'cam-1'));
    expect(commandIdOf('a1', 'warning', 'cam-2')).not.toBe(commandIdOf('a1', 'warning', 'cam-1'));
  });

  it('keeps cooldowns and sent commands on record, so a second controller (another worker) honours them', async () => {
    const record = new MemoryCommandRecord();
    const opts = { cooldownS: 300, quietStartHour: 22, quietEndHour: 7, volume: 80, effectWindowS: 300 };
    const sentA: string[] = [];
    const sentB: string[] = [];
    const a = new SpeakerController(async (_t, p) => void sentA.push(p), record, opts, createLogger('silent'), new Metrics());
    const b = new SpeakerController(async (_t, p) => void sentB.push(p), record, opts, createLogger('silent'), new Metrics());
    const probe = { key: 'k', metric: 'p', value: 0.9 };
    expect(await a.play(device, 'fishing-ban', 'warning', 'a1', sh(15), probe)).toMatchObject({ played: true });
    // Worker B takes the zone over: another alert's clip within the cooldown waits …
    expect(await b.play(device, 'anti-drowning', 'warning', 'a2', sh(15, 2), probe)).toEqual({ played: false, reason: 'cooldown' });
    // … the ladder's step A already took counts as played, and is not sent again …
    expect(await b.play(device, 'fishing-ban', 'warning', 'a1', sh(15, 3), probe)).toMatchObject({ played: true });
    // … and while B replays stored readings, nothing new is sent for the past.
    b.replaying = () => true;
    expect(await b.play(device, 'fishing-ban', 'repeat', 'a1', sh(15, 6), probe)).toEqual({ played: false, reason: 'replay' });
    b.replaying = () => false;
    expect(await b.play(device, 'fishing-ban', 'repeat', 'a1', sh(15, 6), probe)).toMatchObject({ played: true });
    expect(sentA).toHaveLength(1);
    expect(sentB).toHaveLength(1);
  });
});
