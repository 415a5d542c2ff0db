import { describe, expect, it } from 'vitest';
import { LastSeen } from '../../ingest/last-seen.js';
import { createLogger } from '../../core/log.js';
import type { Reading } from '../../contract/mqtt/telemetry.js';

const reading = (deviceId: string, ts: number) => ({ stream: 'noise', deviceId, ts: new Date(ts), seq: ts, payload: {} }) as unknown as Reading;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function store() {
  const writes: Map<string, number>[] = [];
  let failing = false;
  return {
    writes,
    fail: (on: boolean) => (failing = on),
    async touchLastSeen(newest: ReadonlyMap<string, number>) {
      if (failing) throw new Error('database unavailable');
      writes.push(new Map(newest));
    },
  };
}

describe("ingest's last-seen times", () => {
  it('writes the newest time per device once per interval, never an older one over a newer', async () => {
    const s = store();
    const seen = new LastSeen(s, createLogger('silent'), 40);
    seen.note([reading('a', 5000), reading('b', 2000), reading('a', 3000)]);
    seen.note([reading('b', 1000)]);
    expect(s.writes).toEqual([]); // nothing on the commit path
    await sleep(80);
    expect(s.writes).toEqual([new Map([['a', 5000], ['b', 2000]])]);
    seen.note([reading('b', 9000)]);
    await sleep(80);
    expect(s.writes[1]).toEqual(new Map([['b', 9000]]));
    await seen.close();
    expect(s.writes).toHaveLength(2);
  });

  it('keeps what a failed write held, merged with newer times, and writes it when the database is back', async () => {
    const s = store();
    const seen = new LastSeen(s, createLogger('silent'), 30);
    s.fail(true);
    seen.note([reading('a', 1000), reading('b', 1000)]);
    await sleep(60);
    seen.note([reading('a', 2000)]);
    s.fail(false);
    await sleep(80);
    expect(s.writes.at(-1)).toEqual(new Map([['a', 2000], ['b', 1000]]));
  });

  it('writes what is pending when it is closed, and nothing after', async () => {
    const s = store();
    const seen = new LastSeen(s, createLogger('silent'), 60_000);
    seen.note([reading('a', 7000)]);
    await seen.close();
    expect(s.writes).toEqual([new Map([['a', 7000]])]);
    seen.note([reading('a', 8000)]);
    await seen.close();
    expect(s.writes).toHaveLength(1);
  });
});
