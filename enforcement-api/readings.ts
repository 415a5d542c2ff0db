import type pg from 'pg';
import type { Stream } from '../contract/mqtt/telemetry.js';
import { deviceCondition, type Viewer } from './domain/jurisdiction.js';

/**
 * Reading queries for the clients and for evidence: raw rows or the aggregates (same names and
 * columns on TimescaleDB and plain PostgreSQL), ordered by time, cursor-paginated.
 */
import { BUCKETS, type Bucket } from '../contract/http/readings.js';

export { BUCKETS, type Bucket };

interface Source {
  table: string;
  ts: string;
  columns: string;
  /** Raw tables page by (ts, seq); aggregates have one row per bucket. */
  seq: boolean;
}

const SOURCES: Partial<Record<Stream, Partial<Record<Bucket, Source>>>> = {
  noise: {
    raw: { table: 'noise_readings', ts: 'ts', seq: true, columns: `seq, laeq, lamax, interval_s AS "intervalS", bands` },
    '1m': { table: 'noise_1m', ts: 'bucket', seq: false, columns: `round(laeq::numeric, 2)::float8 AS laeq, lamax, samples` },
    '1h': { table: 'noise_1h', ts: 'bucket', seq: false, columns: `round(laeq::numeric, 2)::float8 AS laeq, lamax, samples` },
  },
  people: {
    raw: { table: 'people_counts', ts: 'ts', seq: true, columns: 'seq, count' },
    '5m': { table: 'people_5m', ts: 'bucket', seq: false, columns: `max_count AS "maxCount", round(mean_count::numeric, 2)::float8 AS "meanCount", samples` },
  },
  tracks: {
    raw: { table: 'track_observations', ts: 'ts', seq: true, columns: `seq, track_id AS "trackId", dwell_s AS "dwellS", waterline_m AS "waterlineM", rod_score AS "rodScore", speed_mps AS "speedMps", snapshot` },
  },
  smoke: { raw: { table: 'smoke_readings', ts: 'ts', seq: true, columns: `seq, obscuration, temperature_c AS "temperatureC", rate_of_rise AS "rateOfRiseCPerMin"` } },
  status: { raw: { table: 'device_status', ts: 'ts', seq: true, columns: `seq, battery, signal, firmware, to_char(calibration_due, 'YYYY-MM-DD') AS "calibrationDue"` } },
};

export function bucketsOf(stream: Stream): Bucket[] {
  return Object.keys(SOURCES[stream] ?? {}) as Bucket[];
}

export interface ReadingPage {
  rows: Record<string, unknown>[];
  nextCursor: string | null;
}

interface Cursor {
  ts: string;
  seq?: number;
}

const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(cursor: string): Cursor | null {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof c === 'object' && c !== null && typeof (c as Cursor).ts === 'string' && !Number.isNaN(Date.parse((c as Cursor).ts))) return c as Cursor;
  } catch {
    // fall through
  }
  return null;
}

export class BadCursorError extends Error {}

export class ReadingQueries {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Whether the caller may read a device's readings or a zone's aggregates: admins, operators and
   * reviewers any; an officer or team lead those of their street's zones (district teams: the whole
   * district). One rule for devices and zones; the device's zone decides.
   */
  async canRead(deviceId: string, user: Viewer): Promise<boolean> {
    const params: unknown[] = [deviceId];
    const r = await this.pool.query(
      `SELECT 1 FROM devices d JOIN zones z ON z.id = d.zone_id JOIN sites s ON s.id = z.site_id
       WHERE d.id = $1 AND ${deviceCondition(user, params, 's.street_id')}`,
      params,
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** A zone's aggregates: the same rule, by the zone's street. */
  async canReadZone(zoneId: string, user: Viewer): Promise<boolean> {
    const params: unknown[] = [zoneId];
    const r = await this.pool.query(
      `SELECT 1 FROM zones z JOIN sites s ON s.id = z.site_id WHERE z.id = $1 AND ${deviceCondition(user, params, 's.street_id')}`,
      params,
    );
    return (r.rowCount ?? 0) > 0;
  }

  async page(deviceId: string, stream: Stream, bucket: Bucket, from: Date, to: Date, limit: number, cursor?: string): Promise<ReadingPage> {
    const src = SOURCES[stream]?.[bucket];
    if (!src) throw new RangeError(`no ${bucket} data for ${stream}`);
    const params: unknown[] = [deviceId, from, to];
    let after = '';
    if (cursor) {
      const c = decode(cursor);
      if (!c) throw new BadCursorError('cursor is not one this API issued');
      params.push(c.ts);
      if (src.seq) {
        params.push(c.seq ?? -1);
        after = `AND (${src.ts}, seq) > ($4::timestamptz, $5::bigint)`;
      } else {
        after = `AND ${src.ts} > $4::timestamptz`;
      }
    }
    params.push(limit + 1);
    const rows = (
      await this.pool.query<Record<string, unknown>>(
        `SELECT ${src.ts} AS ts, ${src.columns} FROM ${src.table}
         WHERE device_id = $1 AND ${src.ts} >= $2 AND ${src.ts} < $3 ${after}
         ORDER BY ${src.ts}${src.seq ? ', seq' : ''} LIMIT $${params.length}`,
        params,
      )
    ).rows;
    const more = rows.length > limit;
    if (more) rows.pop();
    const last = rows[rows.length - 1];
    const nextCursor = more && last ? encode({ ts: (last.ts as Date).toISOString(), ...(src.seq ? { seq: Number(last.seq) } : {}) }) : null;
    return { rows, nextCursor };
  }

  /** Hourly energetic LAeq per zone with the period (day/night) and limit of the zone's local time. */
  async zoneNoiseHourly(zoneId: string, from: Date, to: Date): Promise<Record<string, unknown>[]> {
    const r = await this.pool.query(
      `SELECT bucket AS ts, period, round(laeq::numeric, 2)::float8 AS laeq, lamax, samples, devices,
         limit_laeq AS "limit", laeq > limit_laeq AS exceeded
       FROM noise_zone_hourly WHERE zone_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`,
      [zoneId, from, to],
    );
    return r.rows;
  }
}
