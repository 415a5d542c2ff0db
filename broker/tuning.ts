import type net from 'node:net';
import type { Client } from 'aedes';
import { BufferList } from 'bl';

/**
 * How the broker is tuned for its workload — thousands of devices fanning in to a few service
 * subscribers (ingest, inference) — and why. Each choice was taken from a CPU profile of
 * `npm run bench:broker` (README, Benchmarks).
 */

/** Publishes in flight in the broker beyond which devices are not read (see ReadGate). */
export const MAX_IN_FLIGHT = 1_000;

/** Server sockets: Nagle off — a device waits for each PUBACK, and batching is done below instead. */
export const SERVER_TUNING = { noDelay: true } as const;

/**
 * Coalesces a connection's writes into one system call per event-loop turn.
 *
 * mqtt-packet corks the socket around each packet and uncorks it on the next tick, and Aedes delivers
 * every message to a subscriber from its own setImmediate, so a subscriber receiving 50,000 messages/s
 * cost 50,000 writev calls/s (28% of the broker's CPU). Here the uncork is deferred to one
 * setImmediate: every packet written to this socket until then goes out in a single writev. Flow
 * control is unchanged — write() still returns false past the high-water mark and Aedes waits for
 * 'drain', which comes once the batch is flushed.
 */
export function coalesceWrites(socket: net.Socket): void {
  const uncork = socket.uncork.bind(socket);
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (socket.writableCorked > 0) uncork();
  };
  socket.uncork = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  // Aedes destroys a socket right after writing a refusal (CONNACK 4/5): send what is held first,
  // as the stock next-tick uncork would have.
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error) => {
    if (!socket.destroyed) flush();
    return destroy(error);
  };
}

/** What the read gate needs from the broker's emitter (TopicEmitter). */
export interface InFlight {
  readonly current: number;
  /** Calls `fn` once, on a later turn, when fewer than `limit` publishes are in flight. */
  whenBelow(limit: number, fn: () => void): void;
}

/**
 * Broker-wide backpressure on publishers.
 *
 * Aedes reads a client's next chunk once the current one is handled, which bounds each connection but
 * not the broker: 1,000 devices each with a 16 KiB chunk of readings in flight while the subscriber
 * drains them is 80,000+ messages (200 MB) held in memory, and the garbage collector copying them
 * took 28% of the broker's CPU. So once `limit` publishes are in flight, sockets of publishers (not
 * services: their acknowledgements free memory) are not read; they are released, in turn, when the
 * emitter reports the broker has caught up. Their kernel buffers fill and TCP slows the devices
 * down — the same as a slow subscriber does to Mosquitto. The gate waits for that report instead of
 * checking every turn: checking kept the event loop spinning (26,000 empty polls a second) for as
 * long as a slow subscriber held the broker at its limit.
 */
export class ReadGate {
  private readonly waiting = new Set<net.Socket>();
  private armed = false;

  constructor(
    private readonly inFlight: InFlight,
    private readonly limit: number,
  ) {}

  /** `gated(socket)` says whether this connection is a publisher to hold back (decided per read). */
  attach(socket: net.Socket, gated: () => boolean): void {
    const read = socket.read.bind(socket);
    socket.read = (size?: number) => {
      if (this.inFlight.current < this.limit || !gated()) return read(size);
      this.waiting.add(socket);
      this.arm();
      return null;
    };
  }

  /** Sockets held back now (for tests). */
  get held(): number {
    return this.waiting.size;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.inFlight.whenBelow(this.limit, this.release);
  }

  private readonly release = (): void => {
    this.armed = false;
    for (const socket of this.waiting) {
      if (this.inFlight.current >= this.limit) break;
      this.waiting.delete(socket);
      // Aedes reads on 'readable'; the data held back is still in the socket's buffer.
      if (!socket.destroyed) socket.emit('readable');
    }
    if (this.waiting.size > 0) this.arm();
  };
}

/**
 * Turns off Aedes' per-client duplicate filter, which a single broker does not need and which loses
 * messages here.
 *
 * Aedes drops a message to a client when its (brokerId, counter) is not above the highest that client
 * has been sent — a guard for clustered brokers, where one message can arrive twice. It assumes
 * messages reach delivery in counter order, but they do not: a retained message waits for its own
 * journal sync, a publish whose subscriber lookup missed the cache takes more turns than one that hit.
 * Ingest then saw a few hundred messages per second skipped as "duplicates" under load (each also
 * costing a scan of its queue). Nothing delivers a message twice within one broker, and subscribers
 * remove real duplicates themselves (ingest by device and seq).
 */
const NEVER_SEEN: Record<string, number> = new Proxy(Object.create(null) as Record<string, number>, {
  get: () => undefined,
  set: () => true,
  deleteProperty: () => true,
});

export function disableDuplicateFilter(client: Client): void {
  (client as unknown as { duplicates: Record<string, number> }).duplicates = NEVER_SEEN;
}

/**
 * A plain buffer list in the client's MQTT parser instead of mqtt-packet's default, a BufferList
 * *stream* (a readable-stream Duplex, with its readable and writable state): the parser only appends,
 * reads and consumes, which the plain list does the same, and each connection — ten thousand idle
 * devices — then holds about 0.9 KiB less (`npm run bench:connections`).
 */
export function lightParserBuffer(client: Client): void {
  const parser = (client as unknown as { _parser: { _list: { length: number } } })._parser;
  if (parser._list.length === 0) parser._list = new BufferList();
}
