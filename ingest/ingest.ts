import type { DoneCallback, IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { ServiceConnection } from '../core/mqtt-client.js';
import type { LocalDelivery, LocalMessage } from '../core/local-delivery.js';
import { decodeTelemetryMessage, MAX_PAYLOAD_BYTES, type DecodeLimits, type DecodedMessage, type ElementRejection } from '../core/telemetry-decode.js';
import { LookupCache } from '../core/lookup-cache.js';
import { AckTracker, type Ack } from './acks.js';
import { ACK_LATER, connectIngest } from './connection.js';
import { pubacks } from '../core/puback.js';
import { ingestMetrics, type IngestMetrics } from './metrics.js';
import { parsePresence } from './presence.js';
import { filters, presenceTopicDevice } from '../contract/mqtt/topics.js';
import type { Presence } from '../contract/mqtt/presence.js';
import type { Stream } from '../contract/mqtt/telemetry.js';
import type { ReadingRepository } from './repository.js';
import { Spool, type SpoolLimits, type SpoolRecord } from './spool.js';
import { BatchWriter, elementPayload, type Item, type WriterOptions } from './writer.js';
import { LastSeen } from './last-seen.js';

export const TELEMETRY_FILTER = filters.telemetry;
export const PRESENCE_FILTER = filters.presence;

export interface IngestOptions extends WriterOptions {
  limits: DecodeLimits;
  /** MQTT client id of the persistent session; every restart must reuse it. */
  clientId: string;
  /** Subscribe as a member of this shared-subscription group (`$share/<group>/…`, external brokers only): the group's members split the messages. */
  sharedGroup?: string;
  /** The durable spool's directory (DATA_DIR/spool): one ingest process per directory. */
  spoolDir: string;
  spool: SpoolLimits;
  /** Received but unacknowledged readings (a batch counts its readings), and their messages' bytes, before ingest stops reading. */
  maxInFlight: number;
  maxInFlightBytes: number;
  /** How often the devices' last_seen_at is written (last-seen.ts). */
  lastSeenMs: number;
}

export const INGEST_DEFAULTS: Omit<IngestOptions, 'limits' | 'spoolDir'> = {
  clientId: 'svc-ingest',
  batchSize: 10_000,
  flushMs: 50,
  retryMs: 200,
  maxRetryMs: 5000,
  maxInFlight: 50_000,
  maxInFlightBytes: 64 * 1024 * 1024,
  lastSeenMs: 1000,
  spool: { maxBytes: 1024 * 1024 * 1024, maxRecords: 2_000_000, segmentBytes: 8 * 1024 * 1024 },
  deadLetters: { keep: 10_000, maxQueued: 1000, maxPayloadBytes: MAX_PAYLOAD_BYTES, trimEvery: 1000 },
};

/** A message decoded, before the device check: presence, or telemetry (one reading or a batch). */
type Decoded = { kind: 'presence'; deviceId: string; state: Presence | null } | { kind: 'telemetry'; message: DecodedMessage };

/**
 * Telemetry and presence → validated readings → batched, duplicate-safe writes, at least once:
 * a message is acknowledged to the broker only once it is committed, spooled to disk, or rejected
 * (counted and dead-lettered) — a batch message once all of its readings are, each bad element
 * rejected on its own. See connection.ts (acks), acks.ts (order, backpressure), writer.ts
 * (batches, spool, replay) and spool.ts (the on-disk format).
 */
export class IngestService {
  private client?: MqttClient;
  private spool?: Spool;
  private writer?: BatchWriter;
  private lastSeen?: LastSeen;
  private readonly acks: AckTracker;
  private readonly known: LookupCache<true>;
  private readonly m: IngestMetrics;
  /**
   * Readings received per stream since the counter was last added to: added once per turn of the
   * event loop, not per message (prom-client hashes and validates the labels on every call).
   */
  private readonly receivedPending = new Map<Stream, number>();
  private receivedFlush = false;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';

  constructor(
    private readonly conn: ServiceConnection,
    readonly repo: ReadingRepository,
    private readonly devices: { get(id: string): Promise<unknown>; ids?(): Promise<string[]> },
    private readonly opts: IngestOptions,
    private readonly log: Logger,
    metrics: Metrics,
    /** The broker in this process, handing publishes over directly (core/local-delivery.ts); else MQTT. */
    private readonly local?: LocalDelivery,
  ) {
    this.m = ingestMetrics(metrics);
    this.known = new LookupCache(async (id) => ((await devices.get(id)) ? true : null));
    this.acks = new AckTracker(
      { maxReadings: opts.maxInFlight, maxBytes: opts.maxInFlightBytes },
      (acks) => this.sendAcks(acks),
      (n) => this.m.unacked.set(n),
    );
  }

  /** Readings received and not yet acknowledged (a rejected message counts as one). */
  get inFlight(): number {
    return this.acks.readings;
  }

  async start(): Promise<void> {
    // The registry in one query: otherwise the first message of each device waits for its own lookup,
    // thousands of them at once after a restart, queued for the pool ahead of the writes.
    for (const id of (await this.devices.ids?.().catch(() => [])) ?? []) this.known.prime(id, true);
    const spool = await Spool.open(this.opts.spoolDir, this.opts.spool, this.log.child({ part: 'spool' }));
    this.spool = spool;
    const lastSeen = new LastSeen(this.repo, this.log, this.opts.lastSeenMs);
    this.lastSeen = lastSeen;
    // Taking publishes from the broker in this process, a device's PUBACK waits for the commit: a batch
    // is written as soon as the writer is idle (what arrives during a commit forms the next batch), not
    // after a linger, so a device sending one reading at a time is not held to one per flush interval.
    this.writer = new BatchWriter(this.local ? { ...this.opts, flushMs: 0 } : this.opts, {
      repo: this.repo,
      spool,
      metrics: this.m,
      log: this.log,
      revive: (raw) => this.classify(raw, false),
      done: (ack) => this.acks.complete(ack),
      committed: (readings) => lastSeen.note(readings),
    });
    this.state = 'running';
    this.writer.start(); // replays what a previous run spooled
    if (this.local) {
      this.local.attachIngest((message, durable) => this.onLocal(message, durable));
      this.log.info({ clientId: this.opts.clientId, spooled: spool.depth }, 'ingest takes telemetry from the broker in this process');
      return;
    }
    const { client, connected } = connectIngest(this.conn, this.opts.clientId, (packet, next) => this.onPublish(packet, next), this.log);
    this.client = client;
    try {
      await connected;
      // One filter per SUBSCRIBE: a persistent session's multi-filter SUBSCRIBE never completes on
      // broker nodes clustered through Redis (aedes-persistence-redis 11 waits for its broadcast of
      // the subscription, which does not come back when another pattern was subscribed before).
      for (const filter of this.filters) await client.subscribeAsync(filter, { qos: 1 });
    } catch (err) {
      this.state = 'stopped';
      this.writer.abandon();
      await client.endAsync(true);
      await spool.close();
      throw err;
    }
    this.log.info({ filters: this.filters, clientId: this.opts.clientId, spooled: spool.depth }, 'ingest subscribed');
  }

  private get filters(): string[] {
    const group = this.opts.sharedGroup;
    return [TELEMETRY_FILTER, PRESENCE_FILTER].map((f) => (group ? filters.shared(group, f) : f));
  }

  /** Every PUBLISH from the broker (see connection.ts for why acknowledgements are sent separately). */
  private onPublish(packet: IPublishPacket, next: DoneCallback): void {
    const writer = this.writer;
    // Stopping: leave it unacknowledged; the broker re-delivers it to the next session.
    if (this.state !== 'running' || !writer) return next(ACK_LATER);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const raw: SpoolRecord = { topic: packet.topic, payload, receivedAt: Date.now() };
    this.take(writer, this.decode(raw), raw, packet.qos > 0 ? packet.messageId : undefined);
    this.acks.whenRoom(() => next(ACK_LATER));
  }

  /**
   * A message from the broker in this process, telemetry already decoded; `durable` stands for its
   * PUBACK. (Detached before stopping, so none arrives while stopping; the broker holds them.)
   */
  private onLocal(message: LocalMessage, durable: () => void): void {
    const raw: SpoolRecord = { topic: message.topic, payload: message.payload, receivedAt: message.receivedAt };
    const decoded: Decoded = message.telemetry ? { kind: 'telemetry', message: message.telemetry } : this.decode(raw);
    if (this.state !== 'running' || !this.writer) return; // not reached: the broker holds messages while ingest is detached
    this.take(this.writer, decoded, raw, undefined, durable);
  }

  /** Tracks the message for its acknowledgement and hands what is left of it to the writer. */
  private take(writer: BatchWriter, decoded: Decoded, raw: SpoolRecord, messageId: number | undefined, release?: () => void): void {
    const readings = decoded.kind === 'telemetry' && decoded.message.ok ? decoded.message.readings.length : 1;
    const ack = this.acks.track(messageId, release ? undefined : this.client?.stream, raw.payload.byteLength, readings, release);
    let result: Item | null | Promise<Item | null>;
    try {
      result = this.admit(decoded, raw, true);
    } catch (err) {
      return this.failed(err, raw, ack);
    }
    // A known device's message goes to the writer at once; one waiting for its lookup, once it is known.
    if (result instanceof Promise) result.then((item) => this.admitted(writer, item, ack), (err: unknown) => this.failed(err, raw, ack));
    else this.admitted(writer, result, ack);
  }

  private admitted(writer: BatchWriter, item: Item | null, ack: Ack): void {
    if (!item) return this.acks.complete(ack);
    item.ack = ack;
    writer.add(item);
  }

  /**
   * admit does not throw; if it ever did, the message is kept as a dead letter rather than left
   * unacknowledged at the head of the queue, which would stop every acknowledgement after it.
   */
  private failed(err: unknown, raw: SpoolRecord, ack: Ack): void {
    this.log.error({ err, topic: raw.topic }, 'message handling failed');
    this.reject('internal_error', null, (err as Error).message, raw);
    this.acks.complete(ack);
  }

  /** Topic and payload, judged against the message's arrival time (the same again on replay). */
  private decode(raw: SpoolRecord): Decoded {
    const presenceOf = presenceTopicDevice(raw.topic);
    if (presenceOf !== null) return { kind: 'presence', deviceId: presenceOf, state: parsePresence(raw.payload) };
    return { kind: 'telemetry', message: decodeTelemetryMessage(raw.topic, raw.payload, new Date(raw.receivedAt), this.opts.limits) };
  }

  /** A spooled message, decoded again (replay). */
  private async classify(raw: SpoolRecord, live: boolean): Promise<Item | null> {
    return this.admit(this.decode(raw), raw, live);
  }

  /**
   * A decoded message → an item to write, or null when nothing of it is left. What is rejected is
   * counted, logged and dead-lettered: the whole message, or each bad element of it (except those a
   * replayed record says were rejected on arrival already).
   */
  private admit(decoded: Decoded, raw: SpoolRecord, live: boolean): Item | null | Promise<Item | null> {
    if (decoded.kind === 'presence') {
      const { deviceId, state } = decoded;
      if (state === 'cleared') return null;
      if (state === null) return this.reject('bad_status', deviceId, 'status payload is neither online nor offline', raw);
      if (live) this.m.presence.inc({ state });
      return { kind: 'presence', presence: { deviceId, online: state === 'online', at: new Date(raw.receivedAt) }, raw };
    }
    const m = decoded.message;
    if (!m.ok) return this.reject(m.reason, m.deviceId, m.detail, raw);
    if (m.rejected.length > 0) {
      const before = new Set(raw.rejected);
      this.rejectElements(m, m.rejected.filter((e) => !before.has(e.index)), raw);
    }
    if (m.readings.length === 0) return null;
    // Known devices (all of them, loaded at start) need no lookup, and the message no promise.
    if (this.known.peek(m.deviceId) === true) return this.readingsItem(m, raw, live);
    return this.lookUp(m, raw, live);
  }

  /** The message of a device not known yet: kept, or rejected once the registry says it does not exist. */
  private async lookUp(m: Extract<DecodedMessage, { ok: true }>, raw: SpoolRecord, live: boolean): Promise<Item | null> {
    let known = true;
    try {
      known = (await this.known.get(m.deviceId)) === true;
    } catch (err) {
      // Registry unreachable (the database is down): keep the readings; replay checks the device again.
      this.log.debug({ err, device: m.deviceId }, 'device lookup failed; keeping the readings');
    }
    if (!known) return this.reject('unknown_device', m.deviceId, 'not in the device registry', raw, m.readings.length);
    return this.readingsItem(m, raw, live);
  }

  private readingsItem(m: Extract<DecodedMessage, { ok: true }>, raw: SpoolRecord, live: boolean): Item {
    if (live) this.countReceived(m.stream, m.readings.length);
    // A spooled batch remembers which of its elements were rejected, so replay does not reject them again.
    const rejected = m.rejected.length > 0 ? m.rejected.map((e) => e.index) : undefined;
    return { kind: 'readings', readings: m.readings, batch: m.batch, raw: rejected ? { ...raw, rejected } : raw };
  }

  private countReceived(stream: Stream, n: number): void {
    this.receivedPending.set(stream, (this.receivedPending.get(stream) ?? 0) + n);
    if (this.receivedFlush) return;
    this.receivedFlush = true;
    setImmediate(() => {
      this.receivedFlush = false;
      for (const [s, count] of this.receivedPending) this.m.received.inc({ stream: s }, count);
      this.receivedPending.clear();
    });
  }

  /** A whole message rejected: counted (as its readings when known, else as one) and dead-lettered raw. */
  private reject(reason: string, device: string | null, detail: string, raw: SpoolRecord, readings = 1): null {
    this.m.rejected.inc({ reason, device: device ?? 'unknown' }, readings);
    this.log.warn({ device, reason, detail }, 'reading rejected');
    this.writer?.deadLetter({ deviceId: device, topic: raw.topic, reason, detail, payload: raw.payload });
    return null;
  }

  /** Bad elements of a message, each counted and dead-lettered on its own (one log line per message). */
  private rejectElements(m: Extract<DecodedMessage, { ok: true }>, rejected: readonly ElementRejection[], raw: SpoolRecord): void {
    const first = rejected[0];
    if (!first) return;
    for (const e of rejected) {
      this.m.rejected.inc({ reason: e.reason, device: m.deviceId });
      const detail = m.batch ? `reading ${e.index}: ${e.detail}` : e.detail;
      this.writer?.deadLetter({ deviceId: m.deviceId, topic: raw.topic, reason: e.reason, detail, payload: elementPayload(raw, e.value, m.batch) });
    }
    const where = m.batch ? { index: first.index, rejected: rejected.length, kept: m.readings.length } : {};
    this.log.warn({ device: m.deviceId, reason: first.reason, detail: first.detail, ...where }, 'reading rejected');
  }

  /** PUBACKs, on the connection each message came on (after a reconnect the broker re-delivers). */
  private sendAcks(acks: readonly Ack[]): void {
    for (const a of acks) a.release?.();
    const stream = this.client?.stream;
    if (!stream?.writable) return;
    const ids: number[] = [];
    for (const a of acks) if (a.messageId !== undefined && a.conn === stream) ids.push(a.messageId);
    if (ids.length > 0) stream.write(pubacks(ids));
  }

  /** Stop reading, commit or spool what is in memory (acknowledging it), then disconnect. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    // Taken from the broker in this process: what arrives from now on waits there for the next start.
    this.local?.detachIngest();
    // The subscription stays in the persistent session: the broker queues telemetry for the next start.
    this.acks.wake();
    await this.writer?.close();
    await this.lastSeen?.close();
    this.state = 'stopped';
    await this.client?.endAsync();
    await this.spool?.close();
    this.log.info({ spooled: this.spool?.depth ?? 0, unacked: this.acks.inflight }, 'ingest stopped');
  }
}
