import type pg from 'pg';
import type { Reading, Stream } from '../core/schemas/telemetry.js';

/**
 * Batched writes of readings: one statement per stream per batch, arrays bound as parameters and
 * expanded with unnest (works on every engine, including the embedded one where COPY over the socket
 * does not). Re-delivered readings hit the (device_id, seq, ts) unique key and are skipped.
 */
interface Column {
  name: string;
  type: string;
  value(r: Reading): unknown;
}

type Row<S extends Stream> = Extract<Reading, { stream: S }>;
const col = <S extends Stream>(name: string, type: string, value: (r: Row<S>) => unknown): Column => ({
  name,
  type,
  value: value as (r: Reading) => unknown,
});

const bandsLiteral = (bands: number[]) => `{${bands.join(',')}}`;

const TABLES: { [S in Stream]: { table: string; columns: Column[] } } = {
  noise: {
    table: 'noise_readings',
    columns: [
      col<'noise'>('laeq', 'real', (r) => r.payload.laeq),
      col<'noise'>('lamax', 'real', (r) => r.payload.lamax),
      col<'noise'>('interval_s', 'real', (r) => r.payload.intervalS ?? 1),
      // 2-D arrays cannot be unnested row by row: bind each row's bands as an array literal and cast.
      col<'noise'>('bands', 'real[]', (r) => bandsLiteral(r.payload.bands)),
    ],
  },
  people: { table: 'people_counts', columns: [col<'people'>('count', 'integer', (r) => r.payload.count)] },
  tracks: {
    table: 'track_observations',
    columns: [
      col<'tracks'>('track_id', 'text', (r) => r.payload.id),
      col<'tracks'>('dwell_s', 'real', (r) => r.payload.dwellS),
      col<'tracks'>('waterline_m', 'real', (r) => r.payload.waterlineM),
      col<'tracks'>('rod_score', 'real', (r) => r.payload.rodScore),
      col<'tracks'>('speed_mps', 'real', (r) => r.payload.speedMps),
      col<'tracks'>('snapshot', 'text', (r) => r.payload.snapshot ?? null),
    ],
  },
  smoke: {
    table: 'smoke_readings',
    columns: [
      col<'smoke'>('obscuration', 'real', (r) => r.payload.obscuration),
      col<'smoke'>('temperature_c', 'real', (r) => r.payload.temperatureC),
    ],
  },
  status: {
    table: 'device_status',
    columns: [
      col<'status'>('battery', 'real', (r) => r.payload.battery ?? null),
      col<'status'>('signal', 'real', (r) => r.payload.signal ?? null),
      col<'status'>('firmware', 'text', (r) => r.payload.firmware ?? null),
      col<'status'>('calibration_due', 'date', (r) => r.payload.calibrationDue ?? null),
    ],
  },
};

function insertSql(stream: Stream): string {
  const { table, columns } = TABLES[stream];
  const names = ['ts', 'device_id', 'seq', ...columns.map((c) => c.name)];
  // Array columns travel as text[] of literals; everything else as arrays of their own type.
  const types = ['timestamptz', 'text', 'bigint', ...columns.map((c) => (c.type.endsWith('[]') ? 'text' : c.type))];
  const params = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const select = names.map((n, i) => (columns[i - 3]?.type.endsWith('[]') ? `u.${n}::${columns[i - 3]?.type}` : `u.${n}`));
  return `INSERT INTO ${table} (${names.join(', ')})
    SELECT ${select.join(', ')} FROM unnest(${params}) AS u(${names.join(', ')})
    ON CONFLICT (device_id, seq, ts) DO NOTHING`;
}

const SQL = Object.fromEntries(Object.keys(TABLES).map((s) => [s, insertSql(s as Stream)])) as Record<Stream, string>;

export class ReadingRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Inserts readings of one stream; returns how many were new (duplicates are skipped). */
  async insert(stream: Stream, readings: readonly Reading[]): Promise<number> {
    if (readings.length === 0) return 0;
    const { columns } = TABLES[stream];
    const params: unknown[][] = [[], [], [], ...columns.map(() => [])];
    for (const r of readings) {
      params[0]?.push(r.ts.toISOString());
      params[1]?.push(r.deviceId);
      params[2]?.push(r.seq);
      columns.forEach((c, i) => params[i + 3]?.push(c.value(r)));
    }
    const result = await this.pool.query({ name: `insert-${stream}`, text: SQL[stream], values: params });
    return result.rowCount ?? 0;
  }
}
