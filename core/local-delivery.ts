import { filters, presenceTopicDevice } from '../contract/mqtt/topics.js';
import { decodeTelemetryMessage, type DecodeLimits, type DecodedMessage } from './telemetry-decode.js';

/**
 * The broker's publishes handed straight to ingest and inference when they run in the broker's
 * process (no MQTT_URL, no broker cluster): no loopback connection, no second MQTT parse, and a
 * telemetry message decoded and validated once for both.
 *
 * The broker calls `deliver` for every publish on a route filter (as one more subscriber of its
 * emitter), and completes the publish — for a device's QoS 1 PUBLISH, sends the PUBACK — only when
 * `done` is called: once ingest has the message durable (committed, spooled, or rejected and
 * dead-lettered). Inference takes the decoded readings alongside; it keeps no durability promise
 * (as over MQTT, where its session is not persistent).
 *
 * Until every expected service is attached — at start-up, and while ingest restarts — messages are
 * held (unacknowledged, in arrival order) and handed over on attach, so none is lost in between.
 * (Once inference has stopped, ingest goes on without it, as it would over MQTT.)
 */
export interface LocalMessage {
  topic: string;
  payload: Buffer;
  /** When the broker handed it over (ms since epoch); readings are judged against it. */
  receivedAt: number;
  /** The telemetry decoded (against `receivedAt`); undefined for a presence message. */
  telemetry?: DecodedMessage;
}

/** Ingest's side: `durable` is called once, when the message is committed, spooled or rejected. */
export type IngestSink = (message: LocalMessage, durable: () => void) => void;
/** Inference's side: the telemetry, decoded; nothing to acknowledge. */
export type InferenceSink = (message: DecodedMessage) => void;

export interface LocalRouteExpect {
  ingest: boolean;
  inference: boolean;
  /** Ingest's persistent session: what the broker's journal still holds for it is delivered first. */
  ingestSession?: string;
}

/** What the broker needs: the filters to take, and the hand-off. */
export interface LocalRoute {
  readonly filters: readonly string[];
  /** Ingest's persistent session, whose journalled backlog the broker hands over before anything else. */
  readonly session: string | undefined;
  /** Publishes not yet durable beyond which the broker stops reading devices (its read gate). */
  readonly maxInFlight: number;
  deliver(topic: string, payload: Buffer, done: () => void): void;
}

type Held = { topic: string; payload: Buffer; done: () => void };

export class LocalDelivery implements LocalRoute {
  readonly filters: readonly string[];
  readonly session: string | undefined;
  private ingest?: IngestSink;
  private inference?: InferenceSink;
  private held: Held[] = [];
  /** Inference stopped: ingest goes on without it (there is no backlog to keep for inference). */
  private inferenceLeft = false;

  constructor(
    private readonly expect: LocalRouteExpect,
    private readonly limits: DecodeLimits,
    readonly maxInFlight = 20_000,
  ) {
    this.filters = expect.ingest ? [filters.telemetry, filters.presence] : [filters.telemetry];
    this.session = expect.ingest ? expect.ingestSession : undefined;
  }

  /** Every expected service is attached. */
  get ready(): boolean {
    return (!this.expect.ingest || this.ingest !== undefined) && (!this.expect.inference || this.inference !== undefined || this.inferenceLeft);
  }

  /** Messages waiting for a service to attach. */
  get waiting(): number {
    return this.held.length;
  }

  attachIngest(sink: IngestSink): void {
    this.ingest = sink;
    this.release();
  }

  /** From now on messages wait for the next attach (ingest stopping: what it has is finished by it). */
  detachIngest(): void {
    this.ingest = undefined;
  }

  attachInference(sink: InferenceSink): void {
    this.inference = sink;
    this.inferenceLeft = false;
    this.release();
  }

  detachInference(): void {
    this.inference = undefined;
    this.inferenceLeft = true;
    this.release();
  }

  deliver(topic: string, payload: Buffer, done: () => void): void {
    if (!this.ready || this.held.length > 0) {
      this.held.push({ topic, payload, done });
      return;
    }
    this.dispatch(topic, payload, done);
  }

  private release(): void {
    while (this.ready && this.held.length > 0) {
      const batch = this.held;
      this.held = [];
      for (let i = 0; i < batch.length; i++) {
        const h = batch[i] as Held;
        if (!this.ready) {
          // A service went away while handing over (it stops): the rest wait again, in order.
          this.held = batch.slice(i).concat(this.held);
          return;
        }
        this.dispatch(h.topic, h.payload, h.done);
      }
    }
  }

  private dispatch(topic: string, payload: Buffer, done: () => void): void {
    const receivedAt = Date.now();
    const ingest = this.ingest;
    if (topic.endsWith('/status') && presenceTopicDevice(topic) !== null) {
      if (ingest) ingest({ topic, payload, receivedAt }, done);
      else done();
      return;
    }
    const telemetry = decodeTelemetryMessage(topic, payload, new Date(receivedAt), this.limits);
    this.inference?.(telemetry);
    if (ingest) ingest({ topic, payload, receivedAt, telemetry }, done);
    else done();
  }
}
