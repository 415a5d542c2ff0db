import type { CommandRecord } from './actuation.js';

/**
 * Commands kept in memory, for runs without a database (scene evaluation, benchmarks, unit tests): the
 * same answers the database gives (a command stored once by id, plays found by device and time).
 */
export class MemoryCommandRecord implements CommandRecord {
  readonly commands = new Map<string, { deviceId: string; name: string; stage: string; sentAt: Date; acked: boolean }>();

  async commandSent(c: { id: string; deviceId: string; name: string; stage: string; sentAt: Date }): Promise<boolean> {
    if (this.commands.has(c.id)) return false;
    this.commands.set(c.id, { deviceId: c.deviceId, name: c.name, stage: c.stage, sentAt: c.sentAt, acked: false });
    return true;
  }

  async commandSentAt(id: string): Promise<Date | null> {
    return this.commands.get(id)?.sentAt ?? null;
  }

  async playedNear(deviceId: string, name: string, at: Date, windowS: number): Promise<boolean> {
    for (const c of this.commands.values()) if (c.deviceId === deviceId && c.name === name && Math.abs(c.sentAt.getTime() - at.getTime()) < windowS * 1000) return true;
    return false;
  }

  async commandAcked(id: string, deviceId: string): Promise<boolean> {
    const c = this.commands.get(id);
    if (!c || c.deviceId !== deviceId || c.acked) return false;
    c.acked = true;
    return true;
  }

  async commandEffect(_id?: string, _effect?: unknown): Promise<void> {}
}
