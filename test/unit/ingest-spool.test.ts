import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { Spool, type SpoolLimits, type SpoolRecord } from '../../ingest/spool.js';

const log = createLogger('silent');
let dir: string;
const open = (limits: Partial<SpoolLimits> = {}) => Spool.open(dir, { maxBytes: 1 << 20, maxRecords: 1000, segmentBytes: 4096, ...limits }, log);
const rec = (i: number): SpoolRecord => ({ topic: `v1/devices/d-${i % 3}/telemetry/people`, payload: Buffer.from(JSON.stringify({ ts: i, seq: i, count: i, note: 'tab\there\nnewline "quoted" ünïcode' })), receivedAt: 1_700_000_000_000 + i });
const segments = async () => (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();

/** Everything left in the spool, oldest first, consuming it. */
async function drain(spool: Spool): Promise<SpoolRecord[]> {
  const out: SpoolRecord[] = [];
  for (let batch = await spool.peek(7); batch.length > 0; batch = await spool.peek(7)) {
    out.push(...batch);
    await spool.consume(batch.length);
  }
  return out;
}

beforeEach(async () => {
  dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'rp-spool-')), 'spool');
});
afterEach(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

describe('ingest spool', () => {
  it('gives back exactly what was appended, in order, across segments, and deletes consumed segments', async () => {
    const spool = await open();
    const records = Array.from({ length: 100 }, (_, i) => rec(i));
    for (let i = 0; i < records.length; i += 10) expect(await spool.append(records.slice(i, i + 10))).toBe(10);
    expect(spool.depth).toBe(100);
    expect((await segments()).length).toBeGreaterThan(1);
    const back = await drain(spool);
    expect(back).toEqual(records);
    expect(spool.depth).toBe(0);
    expect(spool.bytes).toBe(0);
    expect(await segments()).toEqual([]);
    await spool.close();
  });

  it('keeps a batch message as one record, with the indices of its elements rejected on arrival, across a reopen', async () => {
    const spool = await open();
    const batch: SpoolRecord = { topic: 'v1/devices/d-1/telemetry/people', payload: Buffer.from(JSON.stringify([{ ts: 1, seq: 1, count: 1 }, { ts: 2, seq: 2, count: -1 }, { ts: 3, seq: 3, count: 3 }])), receivedAt: 1_700_000_000_000, rejected: [1] };
    expect(await spool.append([rec(1), batch, rec(2)])).toBe(3);
    expect(spool.depth).toBe(3);
    await spool.close();
    const reopened = await open();
    expect(reopened.depth).toBe(3);
    expect(await drain(reopened)).toEqual([rec(1), batch, rec(2)]);
    await reopened.close();
  });

  it('keeps a peeked batch until it is consumed (a failed replay is retried from the same place)', async () => {
    const spool = await open();
    await spool.append([rec(1), rec(2), rec(3)]);
    const first = await spool.peek(2);
    expect(await spool.peek(2)).toEqual(first);
    await spool.consume(2);
    expect(await spool.peek(2)).toEqual([rec(3)]);
    await spool.close();
  });

  it('survives a restart: a reopened spool replays what the previous one held, then takes new appends after it', async () => {
    const first = await open();
    await first.append([rec(1), rec(2)]);
    await first.append([rec(3)]);
    await first.close();
    const second = await open();
    expect(second.depth).toBe(3);
    await second.append([rec(4)]);
    expect(await drain(second)).toEqual([rec(1), rec(2), rec(3), rec(4)]);
    await second.close();
  });

  it('skips a line torn by a crash (never acknowledged) and keeps the rest', async () => {
    const first = await open();
    await first.append([rec(1), rec(2)]);
    await first.close();
    const [seg] = await segments();
    await appendFile(path.join(dir, seg!), '{"t":"v1/devices/d/telemetry/people","p":"{\\"ts\\":');
    const second = await open();
    expect(second.depth).toBe(2);
    expect(await drain(second)).toEqual([rec(1), rec(2)]);
    await second.close();
  });

  it('is bounded by records and by bytes: a full spool takes nothing more (the caller stops acknowledging)', async () => {
    const byRecords = await open({ maxRecords: 5 });
    expect(await byRecords.append([rec(1), rec(2), rec(3)])).toBe(3);
    expect(await byRecords.append([rec(4), rec(5), rec(6)])).toBe(2);
    expect(await byRecords.append([rec(7)])).toBe(0);
    expect(byRecords.fill).toBe(1);
    expect(await byRecords.peek(100)).toHaveLength(5);
    await byRecords.consume(5);
    expect(await byRecords.append([rec(7)])).toBe(1);
    await byRecords.close();

    await rm(dir, { recursive: true, force: true });
    const lineBytes = JSON.stringify({ t: rec(1).topic, p: rec(1).payload.toString(), r: rec(1).receivedAt }).length + 1;
    const byBytes = await open({ maxBytes: lineBytes * 2.5 });
    expect(await byBytes.append([rec(1), rec(2), rec(3)])).toBe(2);
    expect(byBytes.fill).toBeGreaterThan(0.8);
    await byBytes.close();
  });
});
