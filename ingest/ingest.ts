import type { MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { connectService, type ServiceConnection } from '../core/mqtt-client.js';
import { decodeTelemetry, type DecodeLimits } from '../core/telemetry-decode.js';
import { STREAMS, type Reading, type Stream } from '../core/schemas/telemetry.js';
import { LookupCache } from '../core/lookup-cache.js';
import type { ReadingRepository } from './repository.js';

export const TELEMETRY_FILTER = 'v1/devices/+/telemetry/+';

export interface IngestOptions {
  limits: DecodeLimits;
  batchSize: number;
  flushMs: number;
  /** Readings held while the database is failing before the oldest are dropped (and counted). */
  maxBuffered: number;
}

export const INGEST_DEFAULTS: Omit<IngestOptions, 'limits'> = { batchSize: 2000, flushMs: 50, maxBuffered: 200_000 };

/**
 * Telemetry → validated readings → batched inserts. Bad input is counted per reason, logged with the
 * device id and dropped; it never stops the subscriber.
 */
export class IngestService {
  private client?: MqttClient;
  private buffer: Reading[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly known: LookupCache<true>;
  private stopped = false;
  private readonly received;
  private readonly committed;
  private readonly rejected;
  private readonly batchFailures;

  constructor(
    private readonly conn: ServiceConnection,
    private readonly repo: ReadingRepository,
    devices: { get(id: string): Promise<unknown> },
    private readonly opts: IngestOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.received = metrics.counter('ingest_readings_received_total', 'telemetry messages received', ['stream']);
    this.committed = metrics.counter('ingest_readings_committed_total', 'readings written (new rows)', ['stream']);
    this.rejected = metrics.counter('ingest_readings_rejected_total', 'telemetry messages rejected', ['reason', 'device']);
    this.batchFailures = metrics.counter('ingest_batch_failures_total', 'batch inserts that failed and were retried', []);
    this.known = new LookupCache(async (id) => ((await devices.get(id)) ? true : null));
  }

  async start(): Promise<void> {
    const client = await connectService(this.conn, 'ingest');
    this.client = client;
    client.on('message', (topic, payload) => {
      this.onMessage(topic, payload).catch((err: unknown) => this.log.error({ err, topic }, 'message handling failed'));
    });
    await client.subscribeAsync(TELEMETRY_FILTER, { qos: 1 });
    this.log.info({ filter: TELEMETRY_FILTER }, 'ingest subscribed');
  }

  private reject(reason: string, device: string | null, detail: string): void {
    this.rejected.inc({ reason, device: device ?? 'unknown' });
    this.log.warn({ device, reason, detail }, 'reading rejected');
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const decoded = decodeTelemetry(topic, payload, new Date(), this.opts.limits);
    if (!decoded.ok) return this.reject(decoded.reason, decoded.deviceId, decoded.detail);
    const r = decoded.reading;
    if (!(await this.known.get(r.deviceId))) return this.reject('unknown_device', r.deviceId, 'not in the device registry');
    this.received.inc({ stream: r.stream });
    this.buffer.push(r);
    if (this.buffer.length > this.opts.maxBuffered) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.opts.maxBuffered);
      this.rejected.inc({ reason: 'buffer_overflow', device: 'all' }, dropped.length);
      this.log.error({ dropped: dropped.length }, 'database too slow: oldest buffered readings dropped');
    }
    if (this.buffer.length >= this.opts.batchSize) this.scheduleFlush(0);
    else this.scheduleFlush(this.opts.flushMs);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, delayMs);
  }

  /** Writes everything buffered; on a database error the batch goes back to the front and is retried. */
  private async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.opts.batchSize);
      const byStream = new Map<Stream, Reading[]>();
      for (const r of batch) {
        let list = byStream.get(r.stream);
        if (!list) byStream.set(r.stream, (list = []));
        list.push(r);
      }
      try {
        for (const stream of STREAMS) {
          const rows = byStream.get(stream);
          if (!rows) continue;
          const inserted = await this.repo.insert(stream, rows);
          this.committed.inc({ stream }, inserted);
          byStream.delete(stream);
        }
      } catch (err) {
        const left = [...byStream.values()].flat();
        this.buffer.unshift(...left);
        this.batchFailures.inc();
        this.log.error({ err, pending: this.buffer.length }, 'batch insert failed; retrying');
        if (!this.stopped) this.scheduleFlush(1000);
        return;
      }
    }
  }

  /** Stop taking telemetry, write what is buffered, then disconnect. */
  async stop(): Promise<void> {
    if (this.client?.connected) await this.client.unsubscribeAsync(TELEMETRY_FILTER);
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
    await this.client?.endAsync();
  }
}
