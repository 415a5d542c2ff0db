import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'aedes';
import type { AedesPacket } from 'aedes-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { BrokerPersistence } from '../../broker/persistence.js';
import { parseRecords } from '../../broker/journal.js';

/**
 * The broker's session journal, driven through the persistence calls Aedes makes. "Crash" means the
 * persistence is abandoned without close(): only what the journal had synced when a call resolved
 * may be relied on, and that must all come back.
 */
const log = createLogger('silent');
let dir: string;
const ingest = { id: 'svc-ingest', clean: false } as Client;
let counter = 0;

function publish(topic: string, payload: string): AedesPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, brokerId: 'broker-a', brokerCounter: ++counter } as AedesPacket;
}

async function queuedPayloads(p: BrokerPersistence, client: Client): Promise<string[]> {
  const out: string[] = [];
  for await (const packet of p.outgoingStream(client)) out.push(((packet as { payload: Buffer }).payload).toString());
  return out;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'broker-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('broker session journal', () => {
  it('brings back subscriptions, unacknowledged messages and retained messages after a crash', async () => {
    const { persistence: a } = await BrokerPersistence.open(dir, log);
    await a.addSubscriptions(ingest, [{ topic: 'v1/devices/+/telemetry/+', qos: 1 }] as never);
    const sub = [{ clientId: ingest.id }];
    for (let i = 0; i < 10; i++) await a.outgoingEnqueueCombi(sub, publish('v1/devices/d1/telemetry/noise', `m${i}`));
    // Ingest took the first four: Aedes gives each a message id, then clears it on PUBACK.
    const sent = (await queuedPayloads(a, ingest)).length;
    expect(sent).toBe(10);
    let id = 0;
    for await (const p of a.outgoingStream(ingest)) {
      if (id === 4) break;
      const withId = { ...(p as object), messageId: ++id } as AedesPacket;
      await a.outgoingUpdate(ingest, withId);
      await a.outgoingClearMessageId(ingest, withId);
    }
    await a.storeRetained({ cmd: 'publish', topic: 'v1/control/models/noise-window', payload: Buffer.from('{"version":"2.0.0"}'), qos: 1, retain: true, dup: false } as AedesPacket);
    // No close(): the process dies here. Acknowledgements are written but not synced; give the
    // write its turn, as a crash a moment later would.
    await new Promise((r) => setTimeout(r, 20));

    const { persistence: b, restored } = await BrokerPersistence.open(dir, log);
    expect(restored).toBe(6);
    expect(await queuedPayloads(b, ingest)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect((await b.subscriptionsByTopic('v1/devices/d9/telemetry/people')).map((s) => s.clientId)).toEqual(['svc-ingest']);
    const retained: string[] = [];
    for await (const p of b.createRetainedStream('v1/control/models/+')) retained.push(((p as { payload: Buffer }).payload).toString());
    expect(retained).toEqual(['{"version":"2.0.0"}']);
    await b.close();
  });

  it('forgets a session that ends and a subscription that is withdrawn', async () => {
    const { persistence: a } = await BrokerPersistence.open(dir, log);
    const other = { id: 'svc-other', clean: false } as Client;
    await a.addSubscriptions(ingest, [{ topic: 'a/+', qos: 1 }, { topic: 'b/+', qos: 1 }] as never);
    await a.addSubscriptions(other, [{ topic: 'a/+', qos: 1 }] as never);
    await a.removeSubscriptions(ingest, ['b/+']);
    await a.cleanSubscriptions(other);
    await a.close();
    const { persistence: b } = await BrokerPersistence.open(dir, log);
    expect((await b.subscriptionsByTopic('a/x')).map((s) => s.clientId)).toEqual(['svc-ingest']);
    expect(await b.subscriptionsByTopic('b/x')).toEqual([]);
    await b.close();
  });

  it('cuts off a torn last record and keeps everything before it', async () => {
    const { persistence: a } = await BrokerPersistence.open(dir, log);
    await a.addSubscriptions(ingest, [{ topic: 't/+', qos: 1 }] as never);
    for (let i = 0; i < 3; i++) await a.outgoingEnqueueCombi([{ clientId: ingest.id }], publish('t/x', `m${i}`));
    await a.close();
    const file = path.join(dir, 'journal');
    // Half a record: a length that promises more than follows.
    await appendFile(file, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
    const { persistence: b, restored } = await BrokerPersistence.open(dir, log);
    expect(restored).toBe(3);
    await b.outgoingEnqueueCombi([{ clientId: ingest.id }], publish('t/x', 'm3'));
    await b.close();
    // The torn bytes are gone, so what follows them is readable.
    const { records, end } = parseRecords(await readFile(file));
    expect(end).toBe((await stat(file)).size);
    expect(records.length).toBeGreaterThan(0);
    const { persistence: c } = await BrokerPersistence.open(dir, log);
    expect(await queuedPayloads(c, ingest)).toEqual(['m0', 'm1', 'm2', 'm3']);
    await c.close();
  });

  it('compacts to the live state once the file passes its bound', async () => {
    const { persistence: a } = await BrokerPersistence.open(dir, log, { compactBytes: 8 * 1024 });
    await a.addSubscriptions(ingest, [{ topic: 't/+', qos: 1 }] as never);
    const file = path.join(dir, 'journal');
    for (let i = 0; i < 500; i++) {
      const p = publish('t/x', `reading ${i} ${'x'.repeat(100)}`);
      await a.outgoingEnqueueCombi([{ clientId: ingest.id }], p);
      if (i < 498) {
        const withId = { ...p, messageId: (i % 60000) + 1 } as AedesPacket;
        await a.outgoingUpdate(ingest, withId);
        await a.outgoingClearMessageId(ingest, withId);
      }
    }
    await a.close();
    // 500 messages of ~130 bytes went through; the file holds about the two still queued.
    expect((await stat(file)).size).toBeLessThan(8 * 1024 + 1024);
    const { persistence: b, restored } = await BrokerPersistence.open(dir, log);
    expect(restored).toBe(2);
    expect((await queuedPayloads(b, ingest)).map((s) => s.split(' ')[1])).toEqual(['498', '499']);
    await b.close();
  });

  it('compacts a large queue in proportion to what is appended, not after every bound crossed', async () => {
    // A subscriber that fell behind: 300 messages (~49 KiB, six times the bound) stay queued while
    // 3,000 more pass through. Compacting whenever the file is past the bound would rewrite the
    // whole queue on nearly every one of those 3,000 appends.
    const { persistence: a } = await BrokerPersistence.open(dir, log, { compactBytes: 8 * 1024 });
    await a.addSubscriptions(ingest, [{ topic: 't/+', qos: 1 }] as never);
    const file = path.join(dir, 'journal');
    for (let i = 0; i < 300; i++) await a.outgoingEnqueueCombi([{ clientId: ingest.id }], publish('t/x', `held ${i} ${'x'.repeat(100)}`));
    let largest = 0;
    for (let i = 0; i < 3000; i++) {
      const p = publish('t/x', `passing ${i} ${'x'.repeat(100)}`);
      await a.outgoingEnqueueCombi([{ clientId: ingest.id }], p);
      const withId = { ...p, messageId: i + 1 } as AedesPacket;
      await a.outgoingUpdate(ingest, withId);
      await a.outgoingClearMessageId(ingest, withId);
      largest = Math.max(largest, a.journalBytes);
    }
    // ~390 KiB appended after the queue formed, ~49 KiB rewritten each time the file quadrupled.
    expect(a.journalCompactions).toBeGreaterThan(1);
    expect(a.journalCompactions).toBeLessThan(15);
    expect(largest).toBeLessThan(4 * 50 * 1024 + 8 * 1024); // four times the live state, plus one flush
    await a.close();
    expect((await stat(file)).size).toBeLessThan(4 * 50 * 1024 + 8 * 1024);
    const { persistence: b, restored } = await BrokerPersistence.open(dir, log);
    expect(restored).toBe(300);
    expect((await queuedPayloads(b, ingest)).map((s) => s.split(' ')[1])).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    await b.close();
  });

  it('keeps sessions in memory only when given no directory', async () => {
    const { persistence, restored } = await BrokerPersistence.open(undefined, log);
    expect(restored).toBe(0);
    await persistence.outgoingEnqueueCombi([{ clientId: ingest.id }], publish('t/x', 'm'));
    expect(persistence.queued).toBe(1);
    expect(persistence.journalBytes).toBe(0);
    await persistence.close();
  });
});
