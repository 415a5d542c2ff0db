import { mkdirSync, openSync, closeSync, writeSync, fsyncSync, renameSync, ftruncateSync, fdatasync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../core/log.js';

/**
 * The broker's write-ahead journal: what must survive a broker restart or crash — persistent
 * sessions' subscriptions, the QoS 1 messages queued for them and not yet acknowledged, and retained
 * messages — as records appended to one file, `DATA_DIR/broker/journal`.
 *
 * Group commit: records written in one event-loop turn go out in one write, and when any of them is
 * durable (a queued message, whose PUBACK to the device waits on it) one fdatasync follows. Records
 * that only shrink the state (a message acknowledged by its subscriber) are written but not synced:
 * losing one re-delivers a message, which ingest drops as a duplicate by (deviceId, seq).
 *
 * The file is compacted when it passes `compactBytes`, or four times what the last compaction
 * wrote if that is more: the live state (normally a handful of in-flight messages and a few
 * subscriptions) is written to a new file, synced and renamed over the old one, in one synchronous
 * step so no record can fall between the two. The growth rule matters when a subscriber falls behind
 * and its queue holds hundreds of megabytes: a fixed bound would rewrite the whole queue after every
 * 64 MiB appended (at 170,000 readings/s offered, 16% of the broker's time went into it and
 * throughput fell to a third); with it, each byte appended pays for at most a third of a byte
 * rewritten, and the file stays within four times the live state (or `compactBytes`).
 *
 * Frame: u32 body length, u32 CRC-32 of the body, body. A torn or corrupt tail (a crash mid-write)
 * ends the replay there and is cut off.
 */
export interface JournalOptions {
  /** Size past which the file is rewritten from the live state. */
  compactBytes: number;
}

export const JOURNAL_DEFAULTS: JournalOptions = { compactBytes: 64 * 1024 * 1024 };

const HEADER = 8;
/** The next compaction waits for the file to grow to this many times what the last one wrote. */
const COMPACT_GROWTH = 4;
/** Larger than any record can be (an MQTT packet is at most 256 MiB; ours are limited far lower). */
const MAX_RECORD = 300 * 1024 * 1024;

export class Journal {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private durableWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  private scheduled = false;
  /** Syncs in flight, and who waits for there to be none. */
  private syncing = 0;
  private readonly idle: (() => void)[] = [];
  /** Settles after the last started sync and all before it (never rejects). */
  private settled: Promise<void> = Promise.resolve();
  private closed = false;
  /** Called for a compaction: the records that rebuild the live state. */
  snapshot?: () => Buffer[];
  private compacted = 0;
  /** File size past which the next flush compacts. */
  private compactAt: number;

  private constructor(
    readonly file: string,
    private fd: number,
    private size: number,
    private readonly opts: JournalOptions,
    private readonly log: Logger,
  ) {
    this.compactAt = opts.compactBytes;
  }

  /** Opens (creating) `dir/journal` and returns it with the records it held, in order. */
  static async open(dir: string, log: Logger, opts: JournalOptions = JOURNAL_DEFAULTS): Promise<{ journal: Journal; records: Buffer[] }> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'journal');
    const data = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const { records, end } = parseRecords(data);
    if (end < data.length) log.warn({ file, kept: end, discarded: data.length - end }, 'broker journal: torn or corrupt tail discarded');
    const fd = openSync(file, 'a+');
    if (end < data.length) ftruncateSync(fd, end);
    return { journal: new Journal(file, fd, end, opts, log), records };
  }

  /** Appends a record; the promise (durable records only) resolves once it is on disk. */
  write(record: Buffer, durable: true): Promise<void>;
  write(record: Buffer, durable: false): void;
  write(record: Buffer, durable: boolean): Promise<void> | void {
    if (this.closed) {
      if (durable) return Promise.reject(new Error('broker journal is closed'));
      return;
    }
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.schedule();
    if (durable) return new Promise<void>((resolve, reject) => this.durableWaiters.push({ resolve, reject }));
  }

  /** Compactions since the journal was opened. */
  get compactions(): number {
    return this.compacted;
  }

  get bytes(): number {
    return this.size + this.pendingBytes;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /**
   * Writes what this turn gathered and starts its sync. Syncs overlap: a turn does not wait for the
   * previous turn's sync to finish (each covers everything written before it started), so a slow
   * disk adds latency but does not serialise the turns. Their waiters are released in turn order.
   */
  private flush(): void {
    if (this.pending.length === 0) return;
    const records = this.pending;
    const bytes = this.pendingBytes;
    const waiters = this.durableWaiters;
    this.pending = [];
    this.pendingBytes = 0;
    this.durableWaiters = [];
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      this.log.error({ err: e.message, file: this.file }, 'broker journal write failed');
      for (const w of waiters) w.reject(e);
    };
    try {
      if (this.snapshot && this.syncing === 0 && this.size + bytes > this.compactAt) {
        // The snapshot is taken now, so it holds every change these records describe.
        this.compact();
        for (const w of waiters) w.resolve();
        return;
      }
      // A small append to the page cache costs microseconds: written here, without a trip through
      // the thread pool; only the sync, which waits for the disk, is off the event loop.
      writeAll(this.fd, records.length === 1 ? (records[0] as Buffer) : Buffer.concat(records, bytes));
      this.size += bytes;
    } catch (err) {
      return fail(err);
    }
    if (waiters.length === 0) return;
    this.syncing++;
    // Started now, settled in turn order: a later sync can finish first, but the publishes waiting
    // on it must not be acknowledged (nor delivered) before the earlier ones.
    const synced = syncData(this.fd);
    synced.catch(() => undefined); // handled below, once the earlier syncs have settled
    const previous = this.settled;
    this.settled = (async () => {
      await previous;
      try {
        await synced;
        for (const w of waiters) w.resolve();
      } catch (err) {
        fail(err);
      } finally {
        this.syncing--;
        if (this.syncing === 0) for (const r of this.idle.splice(0)) r();
      }
    })();
  }

  /** Rewrites the file from the live state: temporary file, fsync, rename, fsync of the directory. */
  private compact(): void {
    const records = this.snapshot?.() ?? [];
    const tmp = `${this.file}.compact`;
    const fd = openSync(tmp, 'w');
    let size = 0;
    try {
      for (const r of records) {
        writeAll(fd, r);
        size += r.length;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dirFd = openSync(path.dirname(this.file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    const old = this.fd;
    this.fd = openSync(this.file, 'a+');
    this.size = size;
    this.compactAt = Math.max(this.opts.compactBytes, size * COMPACT_GROWTH);
    this.compacted++;
    closeSync(old);
    this.log.debug({ file: this.file, bytes: size, records: records.length }, 'broker journal compacted');
  }

  /** Writes the live state as a fresh file now (after a replay, so the old history goes). */
  async compactNow(): Promise<void> {
    await this.drain();
    this.compact();
  }

  /** Resolves once everything written so far is on disk. */
  async drain(): Promise<void> {
    if (this.scheduled || this.pending.length > 0) {
      this.scheduled = false;
      this.flush();
    }
    if (this.syncing > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    await syncData(this.fd).catch(() => undefined);
    closeSync(this.fd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

const syncData = (fd: number) => new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

/** Splits a journal's bytes into record bodies; `end` is where the last whole, intact record ends. */
export function parseRecords(data: Buffer): { records: Buffer[]; end: number } {
  const records: Buffer[] = [];
  let off = 0;
  while (off + HEADER <= data.length) {
    const len = data.readUInt32LE(off);
    if (len === 0 || len > MAX_RECORD || off + HEADER + len > data.length) break;
    const body = data.subarray(off + HEADER, off + HEADER + len);
    if (crc32(body) !== data.readUInt32LE(off + 4)) break;
    records.push(body);
    off += HEADER + len;
  }
  return { records, end: off };
}

/** Builds one framed record from its fields (strings up to 64 KiB, byte strings, numbers). */
export class RecordWriter {
  private readonly parts: (string | Buffer | number)[] = [];
  private readonly kinds: ('u8' | 'u16' | 'f64' | 'str' | 'bytes')[] = [];
  private size = 0;

  u8(v: number): this {
    return this.add('u8', v, 1);
  }
  u16(v: number): this {
    return this.add('u16', v, 2);
  }
  f64(v: number): this {
    return this.add('f64', v, 8);
  }
  str(v: string): this {
    const n = Buffer.byteLength(v);
    if (n > 0xffff) throw new Error('journal string longer than 64 KiB');
    return this.add('str', v, 2 + n);
  }
  bytes(v: Buffer | string): this {
    const b = typeof v === 'string' ? Buffer.from(v) : v;
    return this.add('bytes', b, 4 + b.length);
  }

  private add(kind: RecordWriter['kinds'][number], v: string | Buffer | number, n: number): this {
    this.kinds.push(kind);
    this.parts.push(v);
    this.size += n;
    return this;
  }

  frame(): Buffer {
    const buf = Buffer.allocUnsafe(HEADER + this.size);
    let off = HEADER;
    for (let i = 0; i < this.parts.length; i++) {
      const v = this.parts[i] as string | Buffer | number;
      switch (this.kinds[i]) {
        case 'u8':
          off = buf.writeUInt8(v as number, off);
          break;
        case 'u16':
          off = buf.writeUInt16LE(v as number, off);
          break;
        case 'f64':
          off = buf.writeDoubleLE(v as number, off);
          break;
        case 'str': {
          const n = buf.write(v as string, off + 2);
          buf.writeUInt16LE(n, off);
          off += 2 + n;
          break;
        }
        case 'bytes': {
          const b = v as Buffer;
          buf.writeUInt32LE(b.length, off);
          b.copy(buf, off + 4);
          off += 4 + b.length;
          break;
        }
      }
    }
    const body = buf.subarray(HEADER);
    buf.writeUInt32LE(body.length, 0);
    buf.writeUInt32LE(crc32(body), 4);
    return buf;
  }
}

/** Reads a record body's fields in the order they were written. */
export class RecordReader {
  private off = 0;
  constructor(private readonly body: Buffer) {}

  u8(): number {
    return this.body.readUInt8(this.off++);
  }
  u16(): number {
    const v = this.body.readUInt16LE(this.off);
    this.off += 2;
    return v;
  }
  f64(): number {
    const v = this.body.readDoubleLE(this.off);
    this.off += 8;
    return v;
  }
  str(): string {
    const n = this.u16();
    const v = this.body.toString('utf8', this.off, this.off + n);
    this.off += n;
    return v;
  }
  bytes(): Buffer {
    const n = this.body.readUInt32LE(this.off);
    const v = Buffer.from(this.body.subarray(this.off + 4, this.off + 4 + n));
    this.off += 4 + n;
    return v;
  }
}
