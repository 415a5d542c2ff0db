import type { Client } from 'aedes';
import type { AedesPacket } from 'aedes-packet';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { BrokerPersistence } from '../../broker/persistence.js';

/**
 * A persistent session resumed on a new connection. The packets the old connection was sent keep
 * their message ids until Aedes re-sends the queue, while the new connection's live deliveries are
 * numbered from a fresh random start, so one id can stand for an old packet not yet re-sent and a new
 * one. Driven through the persistence calls Aedes makes, in the order they come.
 */
const log = createLogger('silent');
let counter = 0;
const publish = (payload: string, brokerId = 'broker-a'): AedesPacket =>
  ({ cmd: 'publish', topic: 'v1/devices/d1/telemetry/noise', payload: Buffer.from(payload), qos: 1, retain: false, dup: false, brokerId, brokerCounter: ++counter }) as AedesPacket;
/** Each connection of the session is its own Aedes client object, with the same client id. */
const connection = () => ({ id: 'svc-ingest', clean: false }) as Client;

async function queued(p: BrokerPersistence, client: Client): Promise<AedesPacket[]> {
  const out: AedesPacket[] = [];
  for await (const packet of p.outgoingStream(client)) out.push(packet as AedesPacket);
  return out;
}
const payloads = (packets: AedesPacket[]) => packets.map((p) => (p as { payload: Buffer }).payload.toString());

describe('message ids of a resumed session', () => {
  it("clears the new connection's packet on its PUBACK, so the old packet with the same id is still re-sent", async () => {
    const { persistence: p } = await BrokerPersistence.open(undefined, log);
    const sub = [{ clientId: 'svc-ingest' }];
    const old = connection();
    const x = publish('x');
    await p.outgoingEnqueueCombi(sub, x);
    await p.outgoingUpdate(old, { ...x, messageId: 7 } as AedesPacket); // sent on the old connection, never acknowledged
    // The connection dies; the session resumes on a new one, which gets a live message numbered 7 too.
    const resumed = connection();
    const backlog = await queued(p, resumed);
    const y = publish('y');
    await p.outgoingEnqueueCombi(sub, y);
    await p.outgoingUpdate(resumed, { ...y, messageId: 7 } as AedesPacket);
    // Its PUBACK arrives before the backlog is re-sent: it acknowledges y, not x.
    const cleared = await p.outgoingClearMessageId(resumed, { cmd: 'puback', messageId: 7 } as AedesPacket);
    expect(payloads([cleared])).toEqual(['y']);
    expect(payloads(await queued(p, resumed))).toEqual(['x']);
    // Re-sending x (Aedes keeps its id) still finds it, and its own PUBACK clears it.
    await expect(p.outgoingUpdate(resumed, backlog[0] as AedesPacket)).resolves.toBeUndefined();
    expect(payloads([await p.outgoingClearMessageId(resumed, { cmd: 'puback', messageId: 7 } as AedesPacket)])).toEqual(['x']);
    expect(p.queued).toBe(0);
  });

  it("does not let another broker node's message take the place of an old packet with the same id", async () => {
    const { persistence: p } = await BrokerPersistence.open(undefined, log);
    const sub = [{ clientId: 'svc-ingest' }];
    const x = publish('x', 'broker-a');
    await p.outgoingEnqueueCombi(sub, x);
    await p.outgoingUpdate(connection(), { ...x, messageId: 9 } as AedesPacket);
    const resumed = connection();
    const y = publish('y', 'broker-b');
    await p.outgoingEnqueueCombi(sub, y);
    await p.outgoingUpdate(resumed, { ...y, messageId: 9 } as AedesPacket);
    expect(payloads(await queued(p, resumed)).sort()).toEqual(['x', 'y']);
  });

  it('still replaces a PUBLISH by its PUBREL on the connection that sent it (QoS 2)', async () => {
    const { persistence: p } = await BrokerPersistence.open(undefined, log);
    const conn = connection();
    const x = { ...publish('x'), qos: 2 } as AedesPacket;
    await p.outgoingEnqueueCombi([{ clientId: 'svc-ingest' }], x);
    await p.outgoingUpdate(conn, { ...x, messageId: 3 } as AedesPacket);
    await p.outgoingUpdate(conn, { cmd: 'pubrel', messageId: 3 } as AedesPacket);
    expect((await queued(p, conn)).map((q) => q.cmd)).toEqual(['pubrel']);
    expect((await p.outgoingClearMessageId(conn, { cmd: 'pubcomp', messageId: 3 } as AedesPacket)).cmd).toBe('pubrel');
  });
});
