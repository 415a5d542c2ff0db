/**
 * Telemetry received but not yet acknowledged to the broker, in arrival order.
 *
 * A message is *done* once it is committed to the database, appended to the durable spool, or
 * rejected (counted and queued as a dead letter). Acknowledgements are released strictly in arrival
 * order (MQTT 3.1.1 §4.6: PUBACKs in the order the PUBLISHes were received), so a done message waits
 * behind an earlier one that is not. A batch message is done only once all its readings are.
 *
 * The tracker also bounds memory: while the in-flight readings (a batch weighs as many as it holds)
 * or the messages' bytes are at the limit, `whenRoom` holds the MQTT client's read loop, the TCP
 * window fills and the broker stops delivering — backpressure instead of an unbounded buffer.
 */
export interface Ack {
  /** MQTT packet id; undefined for QoS 0 (nothing to acknowledge). */
  readonly messageId: number | undefined;
  /** The connection the message came on: an ack is only valid on that one. */
  readonly conn: object | undefined;
  readonly bytes: number;
  /** Readings the message holds (at least 1: a rejected message still weighs one). */
  readonly readings: number;
  /** A message from the broker in this process: called instead of sending a PUBACK. */
  readonly release?: () => void;
  done: boolean;
}

export interface AckLimits {
  maxReadings: number;
  maxBytes: number;
}

/** Resume reading once in-flight readings and bytes are down to this share of the limits. */
const LOW_WATER = 0.75;

export class AckTracker {
  private queue: (Ack | undefined)[] = [];
  private head = 0;
  private bytesInFlight = 0;
  private readingsInFlight = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly limits: AckLimits,
    /** Sends the acknowledgements of these (done, in arrival order) messages. */
    private readonly release: (acks: readonly Ack[]) => void,
    /** Called with the readings in flight whenever they change. */
    private readonly changed: (readings: number) => void = () => {},
  ) {}

  /** Messages in flight. */
  get inflight(): number {
    return this.queue.length - this.head;
  }

  /** Readings in flight (what the limit counts). */
  get readings(): number {
    return this.readingsInFlight;
  }

  get bytes(): number {
    return this.bytesInFlight;
  }

  get full(): boolean {
    return this.readingsInFlight >= this.limits.maxReadings || this.bytesInFlight >= this.limits.maxBytes;
  }

  track(messageId: number | undefined, conn: object | undefined, bytes: number, readings: number, release?: () => void): Ack {
    const ack: Ack = { messageId, conn, bytes, readings: Math.max(1, readings), release, done: false };
    this.queue.push(ack);
    this.bytesInFlight += bytes;
    this.readingsInFlight += ack.readings;
    this.changed(this.readingsInFlight);
    return ack;
  }

  complete(ack: Ack): void {
    ack.done = true;
    if (this.queue[this.head] !== ack) return;
    const released: Ack[] = [];
    for (let a = this.queue[this.head]; a?.done; a = this.queue[this.head]) {
      released.push(a);
      this.queue[this.head++] = undefined;
      this.bytesInFlight -= a.bytes;
      this.readingsInFlight -= a.readings;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.release(released);
    this.changed(this.readingsInFlight);
    if (this.waiting.length > 0 && this.readingsInFlight <= this.limits.maxReadings * LOW_WATER && this.bytesInFlight <= this.limits.maxBytes * LOW_WATER) {
      this.wake();
    }
  }

  /** Calls `resume` now when under the limits, otherwise once enough readings have been acknowledged. */
  whenRoom(resume: () => void): void {
    if (!this.full) return resume();
    this.waiting.push(resume);
  }

  get holding(): boolean {
    return this.waiting.length > 0;
  }

  /** Lets every held reader go on (stopping: whatever arrives now is left unacknowledged). */
  wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }

  /** Forgets every message (the process is going away without acknowledging them). */
  clear(): void {
    this.queue = [];
    this.head = 0;
    this.bytesInFlight = 0;
    this.readingsInFlight = 0;
    this.changed(0);
  }
}
