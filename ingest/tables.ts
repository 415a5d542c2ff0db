import type { Reading, Stream } from '../contract/mqtt/telemetry.js';

/**
 * Where each stream's readings go: table, columns, their SQL types and how a reading fills them.
 * Both write paths (unnest INSERT and COPY) and the tables' migration (ingest/migrations.ts) are
 * generated from this one description.
 */
export interface Column {
  name: string;
  /** SQL type of the column; `real[]` for the one array column. */
  type: string;
  /** The column may be NULL (an optional payload field). */
  nullable?: boolean;
  /** The migration that added the column after the table was created (migration 2 creates the rest). */
  addedIn?: number;
  value(r: Reading): string | number | null;
}

export interface SeriesTable {
  table: string;
  /** TimescaleDB chunk interval. */
  chunk: string;
  columns: readonly Column[];
}

type Row<S extends Stream> = Extract<Reading, { stream: S }>;
const col = <S extends Stream>(name: string, type: string, value: (r: Row<S>) => string | number | null, nullable = false): Column => ({
  name,
  type,
  ...(nullable ? { nullable } : {}),
  value: value as (r: Reading) => string | number | null,
});

/** A 1-D array literal: `{40,42.5,…}`, the same text for a bound parameter and for COPY. */
const arrayLiteral = (values: readonly number[]) => `{${values.join(',')}}`;

export const TABLES: { readonly [S in Stream]: SeriesTable } = {
  noise: {
    table: 'noise_readings',
    chunk: '1 day',
    columns: [
      col<'noise'>('laeq', 'real', (r) => r.payload.laeq),
      col<'noise'>('lamax', 'real', (r) => r.payload.lamax),
      col<'noise'>('interval_s', 'real', (r) => r.payload.intervalS ?? 1),
      col<'noise'>('bands', 'real[]', (r) => arrayLiteral(r.payload.bands)),
    ],
  },
  people: { table: 'people_counts', chunk: '7 days', columns: [col<'people'>('count', 'integer', (r) => r.payload.count)] },
  tracks: {
    table: 'track_observations',
    chunk: '7 days',
    columns: [
      col<'tracks'>('track_id', 'text', (r) => r.payload.id),
      col<'tracks'>('dwell_s', 'real', (r) => r.payload.dwellS),
      col<'tracks'>('waterline_m', 'real', (r) => r.payload.waterlineM),
      col<'tracks'>('rod_score', 'real', (r) => r.payload.rodScore),
      col<'tracks'>('speed_mps', 'real', (r) => r.payload.speedMps),
      col<'tracks'>('snapshot', 'text', (r) => r.payload.snapshot ?? null, true),
    ],
  },
  smoke: {
    table: 'smoke_readings',
    chunk: '7 days',
    columns: [
      col<'smoke'>('obscuration', 'real', (r) => r.payload.obscuration),
      col<'smoke'>('temperature_c', 'real', (r) => r.payload.temperatureC),
      { ...col<'smoke'>('rate_of_rise', 'real', (r) => r.payload.rateOfRiseCPerMin ?? null, true), addedIn: 27 },
    ],
  },
  status: {
    table: 'device_status',
    chunk: '7 days',
    columns: [
      col<'status'>('battery', 'real', (r) => r.payload.battery ?? null, true),
      col<'status'>('signal', 'real', (r) => r.payload.signal ?? null, true),
      col<'status'>('firmware', 'text', (r) => r.payload.firmware ?? null, true),
      col<'status'>('calibration_due', 'date', (r) => r.payload.calibrationDue ?? null, true),
    ],
  },
};

/** The key columns every series table starts with, then the stream's own columns. */
export const columnNames = (stream: Stream): string[] => ['ts', 'device_id', 'seq', ...TABLES[stream].columns.map((c) => c.name)];

/** Groups readings by stream, keeping their order within each stream. */
export function byStream(readings: readonly Reading[]): Map<Stream, Reading[]> {
  const out = new Map<Stream, Reading[]>();
  for (const r of readings) {
    let list = out.get(r.stream);
    if (!list) out.set(r.stream, (list = []));
    list.push(r);
  }
  return out;
}
