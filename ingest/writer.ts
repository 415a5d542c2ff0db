import type { Logger } from '../core/log.js';
import type { Reading } from '../contract/mqtt/telemetry.js';
import type { Ack } from './acks.js';
import type { IngestMetrics } from './metrics.js';
import { isDataError, type DeadLetter, type PresenceChange, type ReadingRepository } from './repository.js';
import type { Spool, SpoolRecord } from './spool.js';

/**
 * The single write loop of ingest. One batch at a time, in order:
 *
 * - an item is one MQTT message: one reading, a batch of them (all written in the same transaction,
 *   or spooled as one record) or a presence change; batches are bounded by readings (`batchSize`);
 * - while the spool is empty, a batch (size- or age-bounded) goes straight to the database;
 * - when a write fails because the database is unavailable, the batch is appended to the spool and
 *   from then on every batch is, behind it, so nothing overtakes what is spooled;
 * - the spool is replayed, oldest first, whenever the database answers again (with backoff), about
 *   `batchSize` readings per transaction; once it is empty the direct path resumes;
 * - when the spool is full, batches wait in memory unacknowledged, and the ack tracker's limit
 *   stops the MQTT reader (backpressure);
 * - rows the database refuses for their content (not for being unavailable) are isolated by
 *   splitting the batch and dead-lettered, so one bad row never blocks the line.
 */
export type Item =
  | { kind: 'readings'; readings: readonly Reading[]; /** A JSON array on the wire. */ batch: boolean; raw: SpoolRecord; ack?: Ack }
  | { kind: 'presence'; presence: PresenceChange; raw: SpoolRecord; ack?: Ack };

/** One row of a transaction, with the item (message) it came from. */
type Row = { kind: 'reading'; reading: Reading; item: Item } | { kind: 'presence'; presence: PresenceChange; item: Item };

/** Rows an item writes: its readings, or one presence change. */
const rowsOf = (item: Item): number => (item.kind === 'readings' ? item.readings.length : 1);

/**
 * What a dead letter keeps of one reading of a message: the raw message when it is a single object,
 * else (a batch) the element as JSON — or the raw message, should it be too deeply nested to serialise.
 */
export function elementPayload(raw: SpoolRecord, value: unknown, batch: boolean): Buffer {
  if (!batch) return raw.payload;
  try {
    return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  } catch {
    return raw.payload;
  }
}

export interface WriterOptions {
  batchSize: number;
  flushMs: number;
  /** First retry delay after the database failed; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  deadLetters: { keep: number; maxQueued: number; maxPayloadBytes: number; trimEvery: number };
}

export interface WriterDeps {
  repo: ReadingRepository;
  spool: Spool;
  metrics: IngestMetrics;
  log: Logger;
  /** A spooled message, decoded again; null when none of it is left (the callee dead-letters what it rejects). */
  revive(raw: SpoolRecord): Promise<Item | null>;
  /** The item's message may be acknowledged. */
  done(ack: Ack): void;
  /** These readings were just committed (each once, whatever path they took). */
  committed?(readings: readonly Reading[]): void;
}

const RECENT_MS = 60_000;

export class BatchWriter {
  private pending: Item[] = [];
  /** Rows (readings and presence changes) of the pending items. */
  private pendingRows = 0;
  private oldestAt = 0;
  /** The spool's oldest records already revived and waiting to be committed (revived once, retried as they are). */
  private revived?: { records: number; items: Item[] };
  private dead: DeadLetter[] = [];
  private deadSinceTrim = 0;
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;
  private retryAt = 0;
  private backoff: number;
  private unavailableSince?: number;
  private closing = false;
  private closed = false;
  /** The last append found the spool full: batches wait (unacknowledged) until replay frees room. */
  private spoolFull = false;

  constructor(
    private readonly opts: WriterOptions,
    private readonly deps: WriterDeps,
  ) {
    this.backoff = opts.retryMs;
    this.spoolChanged();
  }

  add(item: Item): void {
    if (this.closed) return; // not acknowledged: the broker re-delivers it to the next session
    if (this.pending.length === 0) this.oldestAt = Date.now();
    this.pending.push(item);
    this.pendingRows += rowsOf(item);
    this.schedule();
  }

  deadLetter(row: DeadLetter): void {
    if (this.closed) return;
    this.dead.push({ ...row, payload: row.payload.subarray(0, this.opts.deadLetters.maxPayloadBytes) });
    if (this.dead.length > this.opts.deadLetters.maxQueued) {
      this.dead.shift();
      this.deps.metrics.deadLetters.inc({ outcome: 'dropped' });
    }
    this.schedule();
  }

  /** Starts the loop (e.g. to replay what a previous run spooled). */
  start(): void {
    this.schedule();
  }

  /** Writes or spools everything in memory, and the queued dead letters, then stops. */
  async close(): Promise<void> {
    this.closing = true;
    this.clearTimer();
    await this.running;
    await this.loop();
    this.closed = true;
    this.clearTimer();
  }

  /** Stops at once, dropping what is in memory unacknowledged (a crash, for tests). */
  abandon(): void {
    this.closed = true;
    this.clearTimer();
    this.pending = [];
    this.pendingRows = 0;
    this.revived = undefined;
    this.dead = [];
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /** When the loop next has something to do (ms since epoch), or Infinity. */
  private nextDue(): number {
    let due = Infinity;
    if (this.pendingRows >= this.opts.batchSize) due = 0;
    else if (this.pending.length > 0) due = this.oldestAt + this.opts.flushMs;
    if (this.spoolFull) due = Math.max(this.retryAt, Date.now() + this.opts.retryMs);
    if (!this.deps.spool.empty || this.dead.length > 0) due = Math.min(due, this.retryAt);
    return due;
  }

  private schedule(): void {
    if (this.running || this.closed || this.closing) return;
    const due = this.nextDue();
    if (due === Infinity || due >= this.timerDue) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.running = this.loop().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, Math.max(0, due - Date.now()));
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      let progress: boolean;
      try {
        progress = await this.step();
      } catch (err) {
        // Not the database (that is handled in step): e.g. the spool's disk. Try again later.
        this.deps.log.error({ err }, 'ingest write loop failed; retrying');
        this.unavailable(err);
        progress = false;
      }
      if (!progress) return;
    }
  }

  private async step(): Promise<boolean> {
    const now = Date.now();
    const n = this.pendingRows;
    if (n >= this.opts.batchSize || (this.pending.length > 0 && (this.closing || now - this.oldestAt >= this.opts.flushMs))) {
      if (await this.writeOrSpool(this.nextBatch())) return true;
    }
    // Closing, the spool is left for the next start to replay.
    if (!this.closing && !this.deps.spool.empty && now >= this.retryAt) return this.replay();
    if (this.dead.length > 0 && this.deps.spool.empty && now >= this.retryAt) return this.flushDeadLetters();
    return false;
  }

  /** The oldest pending items up to `batchSize` rows (at least one item, whatever its size). */
  private nextBatch(): Item[] {
    let rows = 0;
    let n = 0;
    for (const item of this.pending) {
      rows += rowsOf(item);
      if (n > 0 && rows > this.opts.batchSize) break;
      n++;
    }
    return this.pending.slice(0, n);
  }

  /** The batch goes to the database, or to the spool; false when neither took any of it. */
  private async writeOrSpool(batch: Item[]): Promise<boolean> {
    if (this.deps.spool.empty && Date.now() >= this.retryAt) {
      try {
        await this.commit(batch);
        this.available();
        this.finish(batch.length);
        return true;
      } catch (err) {
        this.unavailable(err);
      }
    }
    // One record per item: a batch message is spooled once, whole, and replayed once.
    const taken = await this.deps.spool.append(batch.map((i) => i.raw));
    this.spoolFull = taken < batch.length;
    if (taken > 0) {
      this.deps.metrics.spooled.inc(batch.slice(0, taken).reduce((n, i) => n + rowsOf(i), 0));
      this.spoolChanged();
      this.finish(taken);
    }
    return taken > 0;
  }

  /** The first `n` pending items are durable: acknowledge them. */
  private finish(n: number): void {
    const done = this.pending.splice(0, n);
    for (const item of done) this.pendingRows -= rowsOf(item);
    this.oldestAt = Date.now();
    for (const item of done) if (item.ack) this.deps.done(item.ack);
  }

  /**
   * The oldest spooled records, revived (decoded again) up to about `batchSize` rows, in one
   * transaction; consumed from the spool once committed. Revived once: a failed commit retries the
   * same items, so what revival rejects is counted and dead-lettered once.
   */
  private async replay(): Promise<boolean> {
    if (!this.revived) {
      const records = await this.deps.spool.peek(this.opts.batchSize);
      if (records.length === 0) return false;
      const items: Item[] = [];
      let rows = 0;
      let used = 0;
      for (const record of records) {
        used++;
        const item = await this.deps.revive(record);
        if (item) {
          items.push(item);
          rows += rowsOf(item);
        }
        if (rows >= this.opts.batchSize) break;
      }
      this.revived = { records: used, items };
    }
    const { records, items } = this.revived;
    try {
      await this.commit(items);
    } catch (err) {
      this.unavailable(err);
      return false;
    }
    this.available();
    this.revived = undefined;
    await this.deps.spool.consume(records);
    this.spoolFull = false;
    this.deps.metrics.replayed.inc(items.reduce((n, i) => n + rowsOf(i), 0));
    this.spoolChanged();
    if (this.deps.spool.empty) this.deps.log.info('spool replayed; writing directly again');
    return true;
  }

  /** One transaction for these items' rows; rows are paired with their items only should the database refuse one. */
  private async commit(items: readonly Item[]): Promise<void> {
    const readings: Reading[] = [];
    const presence: PresenceChange[] = [];
    for (const item of items) {
      if (item.kind === 'readings') for (const reading of item.readings) readings.push(reading);
      else presence.push(item.presence);
    }
    try {
      await this.write(readings, presence);
    } catch (err) {
      if (!isDataError(err)) throw err;
      const rows: Row[] = [];
      for (const item of items) {
        if (item.kind === 'readings') for (const reading of item.readings) rows.push({ kind: 'reading', reading, item });
        else rows.push({ kind: 'presence', presence: item.presence, item });
      }
      await this.isolate(rows, err);
    }
  }

  /** The batch was refused for a row's content: halves, until the refused rows are alone and dead-lettered. */
  private async isolate(rows: readonly Row[], err: unknown): Promise<void> {
    const first = rows[0];
    if (rows.length === 1 && first) return this.refused(first, err);
    const mid = rows.length >> 1;
    await this.commitRows(rows.slice(0, mid));
    await this.commitRows(rows.slice(mid));
  }

  /** One transaction; rows refused for their content are split out and dead-lettered. */
  private async commitRows(rows: readonly Row[]): Promise<void> {
    const readings: Reading[] = [];
    const presence: PresenceChange[] = [];
    for (const r of rows) {
      if (r.kind === 'reading') readings.push(r.reading);
      else presence.push(r.presence);
    }
    try {
      await this.write(readings, presence);
    } catch (err) {
      if (!isDataError(err)) throw err;
      await this.isolate(rows, err);
    }
  }

  /** One transaction, counted and timed; throws what the repository throws. */
  private async write(readings: readonly Reading[], presence: readonly PresenceChange[]): Promise<void> {
    if (readings.length === 0 && presence.length === 0) return;
    const m = this.deps.metrics;
    const started = performance.now();
    const inserted = await this.deps.repo.write({ readings, presence });
    for (const [stream, n] of inserted) m.committed.inc({ stream }, n);
    this.deps.committed?.(readings);
    m.insertSeconds.observe((performance.now() - started) / 1000);
    m.batchSize.observe(readings.length);
    const now = Date.now();
    for (const r of readings) {
      const age = now - r.ts.getTime();
      if (age >= 0 && age < RECENT_MS) m.commitLatency.observe(age / 1000);
    }
  }

  private refused(row: Row, err: unknown): void {
    const { item } = row;
    const deviceId = row.kind === 'reading' ? row.reading.deviceId : row.presence.deviceId;
    const detail = (err as Error).message;
    const payload = row.kind === 'reading' ? elementPayload(item.raw, row.reading.payload, item.kind === 'readings' && item.batch) : item.raw.payload;
    this.deps.metrics.rejected.inc({ reason: 'db_rejected', device: deviceId });
    this.deps.log.warn({ device: deviceId, reason: 'db_rejected', detail, seq: row.kind === 'reading' ? row.reading.seq : undefined }, 'reading refused by the database');
    this.deadLetter({ deviceId, topic: item.raw.topic, reason: 'db_rejected', detail, payload });
  }

  private async flushDeadLetters(): Promise<boolean> {
    const rows = this.dead.slice(0, 500);
    const dl = this.opts.deadLetters;
    try {
      await this.deps.repo.insertDeadLetters(rows, dl.maxPayloadBytes);
      this.dead.splice(0, rows.length);
      this.deps.metrics.deadLetters.inc({ outcome: 'stored' }, rows.length);
      this.deadSinceTrim += rows.length;
      if (this.deadSinceTrim >= dl.trimEvery) {
        this.deadSinceTrim = 0;
        await this.deps.repo.trimDeadLetters(dl.keep);
      }
      this.available();
      return true;
    } catch (err) {
      this.unavailable(err);
      return false;
    }
  }

  private available(): void {
    if (this.unavailableSince !== undefined) {
      this.deps.log.info({ downMs: Date.now() - this.unavailableSince }, 'database available again');
      this.unavailableSince = undefined;
    }
    this.backoff = this.opts.retryMs;
    this.retryAt = 0;
  }

  private unavailable(err: unknown): void {
    this.deps.metrics.batchFailures.inc();
    if (this.unavailableSince === undefined) {
      this.unavailableSince = Date.now();
      this.deps.log.error({ err, spooled: this.deps.spool.depth }, 'database write failed; spooling until it answers again');
    }
    this.retryAt = Date.now() + this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxRetryMs);
  }

  private spoolChanged(): void {
    const { spool, metrics } = this.deps;
    metrics.spoolDepth.set(spool.depth);
    metrics.spoolBytes.set(spool.bytes);
    metrics.spoolFill.set(spool.fill);
    metrics.spoolAlarm.set(spool.fill > 0.8 ? 1 : 0);
  }
}
