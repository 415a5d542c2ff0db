import type { Client } from 'aedes';
import { MAX_BATCH_PAYLOAD_BYTES } from '../core/telemetry-decode.js';

/**
 * What one connection may send the broker. A device's largest legitimate packet is a telemetry batch
 * (MAX_BATCH_PAYLOAD_BYTES) plus its topic and header; anything larger is refused before it is read
 * into memory, let alone journalled. Publishes beyond a device's rate wait for their turn (the broker
 * reads that connection no faster), so a flooding device slows itself down without losing anything
 * it was acknowledged for.
 */
export interface BrokerLimits {
  /** Largest MQTT packet (fixed header included) a client may send; larger ones close the connection. */
  maxPacketBytes: number;
  /** Connections held at once; more are closed at accept. */
  maxConnections: number;
  /**
   * Connections one client address (IPv6: its /64) may hold before they log in (0 = no limit); more
   * are closed at accept. Logged-in connections do not count.
   */
  maxPendingPerAddress: number;
  /** Publishes per second a device may sustain (0 = no limit) … */
  devicePublishRate: number;
  /** … and how many it may send at once above that rate. */
  devicePublishBurst: number;
  /**
   * Bytes of QoS 2 publishes one client id may leave awaiting their PUBREL (each counted as at least
   * QOS2_MIN_CHARGE_BYTES); one more closes the connection. 0 = no limit.
   */
  maxQos2PendingBytes: number;
}

/** Room for a full telemetry batch with its topic, packet id and header. */
export const DEFAULT_MAX_PACKET_BYTES = MAX_BATCH_PAYLOAD_BYTES + 1024;

export const DEFAULT_LIMITS: BrokerLimits = {
  maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
  maxConnections: 10_000,
  maxPendingPerAddress: 64,
  devicePublishRate: 50,
  devicePublishBurst: 500,
  maxQos2PendingBytes: 1024 * 1024,
};

/**
 * Follows the frames of one connection's byte stream, header by header, and says whether any declares
 * a size above the limit. Only the fixed headers are read (at most five bytes per frame), so a frame's
 * size is known from its first bytes, before its body arrives.
 */
export class FrameSizeGuard {
  /** Body bytes of the current frame still to skip. */
  private skip = 0;
  /** Bytes of the next fixed header read so far (type byte and up to four length bytes). */
  private header: number[] = [];

  constructor(private readonly maxPacketBytes: number) {}

  /** False as soon as a frame declares more than the limit, or a malformed remaining length. */
  feed(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      this.header.push(chunk[at++] as number);
      if (this.header.length < 2) continue;
      const last = this.header[this.header.length - 1] as number;
      if ((last & 0x80) !== 0) {
        if (this.header.length === 5) return false; // a fifth length byte: not MQTT
        continue;
      }
      let length = 0;
      for (let i = this.header.length - 1; i >= 1; i--) length = length * 0x80 + ((this.header[i] as number) & 0x7f);
      if (length + this.header.length > this.maxPacketBytes) return false;
      this.skip = length;
      this.header = [];
    }
    return true;
  }
}

interface ParserHolder {
  _parser: { parse(buf: Buffer): number };
}

/**
 * Refuses packets above `maxPacketBytes` on one connection: the guard sees every chunk before the
 * parser does, and the connection is closed before an oversized frame is buffered. Install it after
 * every other wrapper of the client's parser (it must run first).
 */
export function limitPacketSize(aedesClient: Client, maxPacketBytes: number, refused: () => void): void {
  const parser = (aedesClient as unknown as ParserHolder)._parser;
  const parse = parser.parse.bind(parser);
  const guard = new FrameSizeGuard(maxPacketBytes);
  let closed = false;
  parser.parse = (chunk: Buffer): number => {
    if (closed) return 0;
    if (!guard.feed(chunk)) {
      closed = true;
      refused();
      aedesClient.close();
      return 0;
    }
    return parse(chunk);
  };
}

/**
 * A token bucket: `take()` answers how many milliseconds the caller should wait before going on.
 * Waits add up (tokens go negative), so a client sending faster than `rate` is held to `rate`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}

/**
 * The address a connection counts against: IPv4 as it is (an IPv4-mapped IPv6 address as IPv4), IPv6
 * by its /64, the smallest block one subscriber is usually given.
 */
export function addressKey(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const address = remote.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * Connections not logged in yet, per client address. Without a cap, sockets that never log in (each
 * held until the connect timeout) from one machine could take every place of MQTT_MAX_CONNECTIONS and
 * lock the whole fleet out; with it, one address holds at most `max` of them.
 */
export class PendingLogins {
  private readonly pending = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts a new connection from `address`, or false when the address holds `max` already. */
  admit(address: string): boolean {
    const n = this.pending.get(address) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.pending.set(address, n + 1);
    return true;
  }

  /** The connection logged in or closed. */
  settle(address: string): void {
    const n = (this.pending.get(address) ?? 1) - 1;
    if (n > 0) this.pending.set(address, n);
    else this.pending.delete(address);
  }
}

/** What one QoS 2 publish awaiting its PUBREL is charged at least: the broker's own bookkeeping of it. */
export const QOS2_MIN_CHARGE_BYTES = 1024;

/** The part of an Aedes persistence that keeps inbound QoS 2 publishes until their PUBREL. */
interface IncomingStore {
  incomingStorePacket(client: Client, packet: { messageId?: number; topic?: string; payload?: unknown }): Promise<void>;
  incomingDelPacket(client: Client, packet: { messageId?: number }): Promise<void>;
  cleanIncoming?(client: Client): Promise<void>;
}

/**
 * Bounds the QoS 2 publishes a client id leaves stored without sending their PUBREL. The store keeps
 * them per client id across reconnects of a persistent session, and a client may use every one of
 * the 65,535 packet ids: one device's credentials could otherwise make the broker hold gigabytes
 * (a full-size packet per id) until it runs out of memory. Over `maxBytes`, the store refuses and
 * Aedes closes the connection; a PUBREL, or a clean session, frees the client's share. Counted per
 * broker process (a clustered store is shared: each node bounds what it stored).
 */
export function boundQos2Pending(store: IncomingStore, maxBytes: number, refused: (client: Client, heldBytes: number) => void): void {
  if (maxBytes <= 0) return;
  const held = new Map<string, { bytes: number; sizes: Map<number, number> }>();
  const storePacket = store.incomingStorePacket.bind(store);
  const delPacket = store.incomingDelPacket.bind(store);
  store.incomingStorePacket = async (client, packet) => {
    const id = packet.messageId ?? 0;
    const payload = packet.payload;
    const size = Math.max(QOS2_MIN_CHARGE_BYTES, Buffer.byteLength(packet.topic ?? '') + (Buffer.isBuffer(payload) ? payload.length : typeof payload === 'string' ? Buffer.byteLength(payload) : 0));
    const mine = held.get(client.id) ?? { bytes: 0, sizes: new Map<number, number>() };
    const after = mine.bytes - (mine.sizes.get(id) ?? 0) + size;
    if (after > maxBytes) {
      refused(client, mine.bytes);
      throw new Error(`QoS 2 publishes awaiting PUBREL would exceed ${maxBytes} bytes`);
    }
    await storePacket(client, packet);
    mine.bytes = after;
    mine.sizes.set(id, size);
    held.set(client.id, mine);
  };
  store.incomingDelPacket = async (client, packet) => {
    await delPacket(client, packet);
    const mine = held.get(client.id);
    const size = mine?.sizes.get(packet.messageId ?? 0);
    if (!mine || size === undefined) return;
    mine.sizes.delete(packet.messageId ?? 0);
    mine.bytes -= size;
    if (mine.sizes.size === 0) held.delete(client.id);
  };
  // Only a store that really forgets a clean session's publishes may forget their share.
  const clean = store.cleanIncoming?.bind(store);
  if (clean) {
    store.cleanIncoming = async (client) => {
      await clean(client);
      held.delete(client.id);
    };
  }
}
