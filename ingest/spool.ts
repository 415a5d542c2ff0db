import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from '../core/log.js';

/**
 * The durable spool: where validated telemetry goes while the database is unavailable, so it can be
 * acknowledged to the broker and replayed, in order, when the database returns.
 *
 * Format: segment files `DATA_DIR/spool/000000000001.jsonl`, … — one JSON line per message (a batch
 * of readings is one line) with its topic, payload (UTF-8 text of the original JSON) and arrival time,
 * so replay decodes exactly what arrived; for a batch with bad elements, also their indices (counted
 * and dead-lettered when the message arrived, so replay leaves them out silently). Each append is one
 * write followed by fdatasync; only then are the messages acknowledged.
 * A line torn by a crash was never acknowledged (the broker re-delivers it) and is skipped on replay.
 * Appends go to the newest segment (a new one per process start, and past `segmentBytes`); replay
 * reads the oldest one into memory, and deletes it once all of it is committed. Bounded by bytes and
 * by records: when full, append takes nothing and the caller stops acknowledging (backpressure).
 */
const LINE = Type.Object({ t: Type.String(), p: Type.String(), r: Type.Number(), x: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))) });
type Line = Static<typeof LINE>;
const CHECK_LINE = TypeCompiler.Compile(LINE);
const SEGMENT = /^(\d{12})\.jsonl$/;

export interface SpoolRecord {
  topic: string;
  payload: Buffer;
  /** Arrival time (ms since epoch): replay judges timestamps against it, not against the replay time. */
  receivedAt: number;
  /** Indices of batch elements rejected on arrival: replay skips them without counting them again. */
  rejected?: number[];
}

export interface SpoolLimits {
  maxBytes: number;
  maxRecords: number;
  segmentBytes: number;
}

interface Segment {
  id: number;
  file: string;
  bytes: number;
  records: number;
}

async function countLines(file: string): Promise<{ bytes: number; records: number }> {
  const data = await readFile(file);
  let records = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) records++;
  return { bytes: data.length, records };
}

export class Spool {
  private readonly segments: Segment[] = [];
  private active?: { seg: Segment; fh: FileHandle };
  private reading?: { seg: Segment; records: SpoolRecord[]; next: number };
  private totalBytes = 0;
  private totalRecords = 0;
  private nextId = 1;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly limits: SpoolLimits,
    private readonly log: Logger,
  ) {}

  /** Opens (creating) the spool directory and takes stock of what a previous run left there. */
  static async open(dir: string, limits: SpoolLimits, log: Logger): Promise<Spool> {
    const spool = new Spool(dir, limits, log);
    await mkdir(dir, { recursive: true });
    const ids = (await readdir(dir))
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) {
      const file = path.join(dir, `${String(id).padStart(12, '0')}.jsonl`);
      const { bytes, records } = await countLines(file);
      spool.nextId = id + 1;
      if (records === 0) {
        await unlink(file); // created, but a crash came before its first complete line
        continue;
      }
      spool.segments.push({ id, file, bytes, records });
      spool.totalBytes += bytes;
      spool.totalRecords += records;
    }
    if (spool.totalRecords > 0) log.warn({ dir, records: spool.totalRecords, bytes: spool.totalBytes }, 'spool holds readings from a previous run; replaying');
    return spool;
  }

  /** Records waiting to be replayed. */
  get depth(): number {
    return this.totalRecords;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get empty(): boolean {
    return this.totalRecords === 0;
  }

  /** 0…1: how full the spool is, by whichever bound is nearer. */
  get fill(): number {
    return Math.max(this.totalBytes / this.limits.maxBytes, this.totalRecords / this.limits.maxRecords);
  }

  /** Appends durably as many records as fit (a prefix of `records`); returns how many. */
  async append(records: readonly SpoolRecord[]): Promise<number> {
    if (this.closed) return 0;
    const lines: string[] = [];
    let bytes = 0;
    for (const r of records) {
      const line: Line = { t: r.topic, p: r.payload.toString('utf8'), r: r.receivedAt, ...(r.rejected?.length ? { x: r.rejected } : {}) };
      const text = `${JSON.stringify(line)}\n`;
      const size = Buffer.byteLength(text);
      if (this.totalBytes + bytes + size > this.limits.maxBytes || this.totalRecords + lines.length + 1 > this.limits.maxRecords) break;
      lines.push(text);
      bytes += size;
    }
    if (lines.length === 0) return 0;
    const active = await this.writable();
    try {
      await active.fh.write(lines.join(''));
      await active.fh.datasync();
    } catch (err) {
      // Part of it may be on disk (e.g. the disk filled up): nothing more is appended after a torn
      // line, the next append starts a new segment. What did land is replayed (a harmless duplicate).
      await this.seal().catch(() => undefined);
      throw err;
    }
    active.seg.bytes += bytes;
    active.seg.records += lines.length;
    this.totalBytes += bytes;
    this.totalRecords += lines.length;
    return lines.length;
  }

  private async writable(): Promise<{ seg: Segment; fh: FileHandle }> {
    if (this.active && this.active.seg.bytes < this.limits.segmentBytes) return this.active;
    await this.seal();
    const id = this.nextId++;
    const seg: Segment = { id, file: path.join(this.dir, `${String(id).padStart(12, '0')}.jsonl`), bytes: 0, records: 0 };
    const fh = await open(seg.file, 'a');
    await this.syncDir();
    this.segments.push(seg);
    this.active = { seg, fh };
    return this.active;
  }

  /** Stops appending to the current segment (the next append starts a new one). */
  private async seal(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    await active?.fh.close();
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Up to `max` of the oldest records, in order, without removing them (see consume). */
  async peek(max: number): Promise<SpoolRecord[]> {
    if (!this.reading) {
      const seg = this.segments[0];
      if (!seg) return [];
      if (this.active?.seg === seg) await this.seal();
      this.reading = { seg, records: await this.load(seg), next: 0 };
    }
    const { records, next } = this.reading;
    if (next >= records.length) {
      await this.consume(0);
      return this.peek(max);
    }
    return records.slice(next, next + max);
  }

  private async load(seg: Segment): Promise<SpoolRecord[]> {
    const text = (await readFile(seg.file)).toString('utf8');
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a line torn by a crash (never acknowledged)
    const records: SpoolRecord[] = [];
    for (const line of lines) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (CHECK_LINE.Check(parsed)) records.push({ topic: parsed.t, payload: Buffer.from(parsed.p, 'utf8'), receivedAt: parsed.r, ...(parsed.x ? { rejected: parsed.x } : {}) });
    }
    if (records.length !== seg.records) {
      this.log.error({ file: seg.file, counted: seg.records, readable: records.length }, 'spool segment differs from its count (torn or unreadable lines skipped)');
      this.totalRecords += records.length - seg.records;
      seg.records = records.length;
    }
    return records;
  }

  /** Forgets the first `n` records last returned by peek: they are committed. */
  async consume(n: number): Promise<void> {
    const reading = this.reading;
    if (!reading) return;
    const done = Math.min(n, reading.records.length - reading.next);
    reading.next += done;
    this.totalRecords -= done;
    if (reading.next < reading.records.length) return;
    this.reading = undefined;
    this.segments.shift();
    this.totalBytes -= reading.seg.bytes;
    await unlink(reading.seg.file);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.seal();
  }
}
