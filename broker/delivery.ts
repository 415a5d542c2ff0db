import type { Client } from 'aedes';

/**
 * QoS 0 delivery to a subscriber, batched per connection.
 *
 * Aedes delivers each QoS 0 message from its own setImmediate, wraps it in a new packet object,
 * writes it as five small chunks (header, length, topic length, topic, payload) and calls back from
 * another setImmediate. A service subscriber taking 50,000 messages/s paid for all of that per
 * message. Here each message is encoded once into one buffer; the messages a connection receives in
 * one event-loop turn are written together, as one chunk, on the next turn, and their callbacks (which
 * let the broker's emitter count them done) run once that write is accepted, or once the socket
 * drains when it is over its high-water mark, as before. Aedes accepts MQTT 3.1 and 3.1.1 clients
 * only; should it accept MQTT 5 ones, they keep its own path (their publishes carry properties), as
 * does anything this encoder does not cover.
 */
type Deliver = (packet: OutgoingPublish, cb: () => void) => void;

interface OutgoingPublish {
  topic: unknown;
  payload?: unknown;
  retain?: boolean;
  dup?: boolean;
  clientId?: string;
  nl?: boolean;
}

/** The parts of an Aedes client this path uses; Aedes' typings do not declare most of them. */
interface AedesClient {
  id: string;
  version: number | null;
  connecting: boolean;
  connected: boolean;
  errored: boolean;
  conn: { write(chunk: Buffer): boolean; destroyed: boolean };
  broker: { authorizeForward(client: unknown, packet: OutgoingPublish): OutgoingPublish | null | undefined };
  deliver0: Deliver;
  waitForDrain(cb: () => void): void;
  _onError(err: Error): void;
}

const PUBLISH_QOS0 = 0x30;
const DUP = 0x08;
const RETAIN = 0x01;
/** The largest remaining length MQTT allows (four length bytes). */
const MAX_REMAINING = 268_435_455;

/**
 * The bytes of a QoS 0 PUBLISH (MQTT 3.1 / 3.1.1), or undefined when the packet cannot be encoded
 * here (non-string topic, too large). Flags as Aedes writes them: retain and dup as on the packet.
 */
export function encodePublishQoS0(topic: string, payload: Buffer, retain: boolean, dup: boolean): Buffer | undefined {
  const topicLength = Buffer.byteLength(topic);
  if (topicLength > 0xffff) return undefined;
  const remaining = 2 + topicLength + payload.length;
  if (remaining > MAX_REMAINING) return undefined;
  const lengthBytes = remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x200000 ? 3 : 4;
  const buf = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  buf[0] = PUBLISH_QOS0 | (dup ? DUP : 0) | (retain ? RETAIN : 0);
  let at = 1;
  let n = remaining;
  do {
    let byte = n % 0x80;
    n = Math.floor(n / 0x80);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  buf.writeUInt16BE(topicLength, at);
  at += 2;
  at += buf.write(topic, at, 'utf8');
  payload.copy(buf, at);
  return buf;
}

function payloadBuffer(payload: unknown): Buffer | undefined {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  return undefined;
}

/** Replaces a new client's QoS 0 delivery; call right after `aedes.handle(socket)`, before it subscribes. */
export function batchQoS0Delivery(aedesClient: Client): void {
  const client = aedesClient as unknown as AedesClient;
  const stock = client.deliver0;
  let chunks: Buffer[] = [];
  let callbacks: (() => void)[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const out = chunks;
    const done = callbacks;
    chunks = [];
    callbacks = [];
    const complete = () => {
      for (const cb of done) cb();
    };
    if (!(client.connecting || client.connected)) {
      client._onError(new Error('connection closed'));
      return complete();
    }
    // Closing already (Aedes has not caught up yet): nothing will drain, so nothing is written.
    if (client.conn.destroyed) return complete();
    const accepted = client.conn.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    if (accepted || client.errored) complete();
    else client.waitForDrain(complete);
  };

  client.deliver0 = function deliverQoS0Batched(packet, cb) {
    if (client.version === 5 || typeof packet.topic !== 'string') return stock(packet, cb);
    // No-local (an MQTT 5 subscription option), checked as Aedes does.
    if (packet.nl && packet.clientId === client.id) return void setImmediate(cb);
    const forward = client.broker.authorizeForward(client, packet);
    if (!forward) return void setImmediate(cb);
    const payload = payloadBuffer(forward.payload);
    const bytes = payload && typeof forward.topic === 'string' ? encodePublishQoS0(forward.topic, payload, forward.retain === true, forward.dup === true) : undefined;
    if (!bytes) return stock(packet, cb);
    chunks.push(bytes);
    callbacks.push(cb);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
