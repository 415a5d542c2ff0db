import { NOISE_LIMITS } from '../core/domain/noise-limits.js';
import type { Migration } from '../core/db/migrate.js';
import { TABLES, type SeriesTable } from './tables.js';

/**
 * Ingest's migrations: the time-series tables it writes (their columns are ingest/tables.ts's, the
 * description both write paths use), dead letters and presence, and the aggregates the maintenance
 * service keeps. The root (migrations.ts) runs every service's migrations in version order.
 */

const SERIES: readonly SeriesTable[] = Object.values(TABLES);

/** A series table's own columns as created by migration 2 (later columns come with their own migration). */
const seriesColumns = (t: SeriesTable) =>
  t.columns.filter((c) => c.addedIn === undefined).map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`).join(', ');

function seriesTable(t: SeriesTable, timescale: boolean): string[] {
  const body = `(ts timestamptz NOT NULL, device_id text NOT NULL, seq bigint NOT NULL, ${seriesColumns(t)},
    received_at timestamptz NOT NULL DEFAULT now(), UNIQUE (device_id, seq, ts))`;
  if (timescale) {
    return [
      `CREATE TABLE ${t.table} ${body}`,
      `SELECT create_hypertable('${t.table}', by_range('ts', INTERVAL '${t.chunk}'))`,
      `CREATE INDEX ${t.table}_device_ts ON ${t.table} (device_id, ts DESC)`,
    ];
  }
  return [
    `CREATE TABLE ${t.table} ${body} PARTITION BY RANGE (ts)`,
    `CREATE TABLE ${t.table}_default PARTITION OF ${t.table} DEFAULT`,
    `CREATE INDEX ${t.table}_device_ts ON ${t.table} (device_id, ts DESC)`,
  ];
}

export const INGEST_MIGRATIONS: Migration[] = [
  {
    version: 2,
    name: 'time-series tables',
    up: ({ timescale }) => SERIES.flatMap((t) => seriesTable(t, timescale)),
  },
  {
    version: 3,
    name: 'dead letters and device presence',
    up: () => [
      // Rejected telemetry kept raw for inspection; ingest keeps it bounded.
      `CREATE TABLE dead_letters (id bigserial PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(),
        device_id text, topic text NOT NULL, reason text NOT NULL, detail text, payload bytea NOT NULL)`,
      `CREATE INDEX dead_letters_received ON dead_letters (received_at)`,
      `ALTER TABLE devices ADD COLUMN online boolean NOT NULL DEFAULT false`,
      `ALTER TABLE devices ADD COLUMN presence_changed_at timestamptz`,
    ],
  },
  {
    version: 4,
    name: 'aggregates',
    up: ({ timescale }) => [
      // The legal limits as data, from the same table the inference rules use.
      `CREATE TABLE noise_limits (noise_class text PRIMARY KEY, day real NOT NULL, night real NOT NULL)`,
      `INSERT INTO noise_limits VALUES ${Object.entries(NOISE_LIMITS).map(([c, l]) => `('${c}', ${l.day}, ${l.night})`).join(', ')}`,
      ...(timescale ? TIMESCALE_AGGREGATES : NATIVE_AGGREGATES),
      ...AGGREGATE_VIEWS,
    ],
  },
  {
    version: 12,
    name: 'one index per time-series table',
    up: ({ timescale }) => SERIES.flatMap((t) => singleSeriesIndex(t.table, timescale)),
  },
  {
    version: 27,
    name: 'columns added to the time-series tables: the smoke detector\'s own rate of rise',
    up: () => SERIES.flatMap((t) => t.columns.filter((c) => c.addedIn === 27).map((c) => `ALTER TABLE ${t.table} ADD COLUMN ${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`)),
  },
];

/**
 * Each time-series table had two B-trees: the unique key (device_id, seq, ts) for duplicates and
 * (device_id, ts DESC) for "latest per device" and "device over time". One unique index on
 * (device_id, ts, seq) serves all three — ON CONFLICT (device_id, seq, ts) infers it, as it matches
 * any unique index on those columns — and a row written maintains one index instead of two (a bulk
 * insert of noise rows into the partitioned table took 1.0 s instead of 1.7–2.0 s per 300,000).
 * A TimescaleDB that refuses the new index on a hypertable (compressed chunks, on some versions)
 * keeps the old pair, which the same statements use.
 */
function singleSeriesIndex(table: string, timescale: boolean): string[] {
  const swap = [
    `CREATE UNIQUE INDEX ${table}_device_ts_seq ON ${table} (device_id, ts, seq)`,
    `ALTER TABLE ${table} DROP CONSTRAINT ${table}_device_id_seq_ts_key`,
    `DROP INDEX ${table}_device_ts`,
  ];
  if (!timescale) return swap;
  return [
    `DO $$ BEGIN
      ${swap.map((s) => `EXECUTE '${s}';`).join('\n      ')}
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING '${table}: kept its two indexes (%)', SQLERRM;
    END $$`,
  ];
}

/**
 * Aggregates, identical in name and columns on both engines: `noise_1m` / `noise_1h` per device
 * (energy sum so they roll up energetically, LAeq = 10·log10(energy_sum / samples), max LAmax, samples)
 * and `people_5m` per device. TimescaleDB keeps them as continuous aggregates; plain PostgreSQL as
 * tables refreshed by the maintenance service (ingest/maintenance.ts) with the same bucketing.
 */
const TIMESCALE_AGGREGATES = [
  `CREATE MATERIALIZED VIEW noise_1m WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
    SELECT time_bucket(INTERVAL '1 minute', ts) AS bucket, device_id,
      sum(power(10::float8, laeq / 10.0)) AS energy_sum, count(*)::int AS samples, max(lamax) AS lamax,
      10 * log(sum(power(10::float8, laeq / 10.0)) / count(*)) AS laeq
    FROM noise_readings GROUP BY 1, 2 WITH NO DATA`,
  `CREATE MATERIALIZED VIEW noise_1h WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
    SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket, device_id,
      sum(energy_sum) AS energy_sum, sum(samples)::int AS samples, max(lamax) AS lamax,
      10 * log(sum(energy_sum) / sum(samples)) AS laeq
    FROM noise_1m GROUP BY 1, 2 WITH NO DATA`,
  `CREATE MATERIALIZED VIEW people_5m WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
    SELECT time_bucket(INTERVAL '5 minutes', ts) AS bucket, device_id,
      max(count) AS max_count, avg(count)::float8 AS mean_count, count(*)::int AS samples
    FROM people_counts GROUP BY 1, 2 WITH NO DATA`,
];

const NATIVE_AGGREGATES = [
  `CREATE TABLE noise_1m (bucket timestamptz NOT NULL, device_id text NOT NULL, energy_sum float8 NOT NULL,
    samples integer NOT NULL, lamax real NOT NULL, laeq float8 NOT NULL, PRIMARY KEY (device_id, bucket))`,
  `CREATE TABLE noise_1h (bucket timestamptz NOT NULL, device_id text NOT NULL, energy_sum float8 NOT NULL,
    samples integer NOT NULL, lamax real NOT NULL, laeq float8 NOT NULL, PRIMARY KEY (device_id, bucket))`,
  `CREATE TABLE people_5m (bucket timestamptz NOT NULL, device_id text NOT NULL, max_count integer NOT NULL,
    mean_count float8 NOT NULL, samples integer NOT NULL, PRIMARY KEY (device_id, bucket))`,
  `CREATE INDEX noise_1m_bucket ON noise_1m (bucket)`,
  `CREATE INDEX noise_1h_bucket ON noise_1h (bucket)`,
  `CREATE INDEX people_5m_bucket ON people_5m (bucket)`,
];

/** Zone-level views over the per-device aggregates: the same SQL on both engines. */
const AGGREGATE_VIEWS = [
  // Hourly noise per zone with the day/night period of the zone's local time and its limit, so Ld / Ln
  // exceedance is read directly. Hours are UTC buckets: exact for zones with whole-hour offsets.
  `CREATE VIEW noise_zone_hourly AS
    SELECT h.bucket, d.zone_id, z.timezone,
      CASE WHEN extract(hour FROM h.bucket AT TIME ZONE z.timezone) >= 22
             OR extract(hour FROM h.bucket AT TIME ZONE z.timezone) < 6 THEN 'night' ELSE 'day' END AS period,
      10 * log(sum(h.energy_sum) / sum(h.samples)) AS laeq, max(h.lamax) AS lamax, sum(h.samples)::int AS samples,
      count(DISTINCT h.device_id)::int AS devices,
      CASE WHEN extract(hour FROM h.bucket AT TIME ZONE z.timezone) >= 22
             OR extract(hour FROM h.bucket AT TIME ZONE z.timezone) < 6 THEN l.night ELSE l.day END AS limit_laeq
    FROM noise_1h h JOIN devices d ON d.id = h.device_id JOIN zones z ON z.id = d.zone_id
      JOIN noise_limits l ON l.noise_class = z.noise_class
    GROUP BY h.bucket, d.zone_id, z.timezone, l.day, l.night`,
  // People per zone per 5 minutes: counters cover separate fields of view, so they add up.
  `CREATE VIEW people_zone_5m AS
    SELECT p.bucket, d.zone_id, sum(p.max_count)::int AS max_count, sum(p.mean_count) AS mean_count,
      z.capacity
    FROM people_5m p JOIN devices d ON d.id = p.device_id JOIN zones z ON z.id = d.zone_id
    GROUP BY p.bucket, d.zone_id, z.capacity`,
];
