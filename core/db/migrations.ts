/**
 * Versioned schema migrations. Each returns its statements; `timescale` says whether the extension is
 * installed (hypertables) or not (native range partitioning with a default partition). Never edit an
 * applied migration: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  up(ctx: { timescale: boolean }): string[];
}

interface SeriesTable {
  name: string;
  columns: string;
  chunk: string;
}

/** Time-series tables: (device_id, seq, ts) is unique so a re-delivered reading is stored once. */
const SERIES: SeriesTable[] = [
  {
    name: 'noise_readings',
    chunk: '1 day',
    columns: `laeq real NOT NULL, lamax real NOT NULL, interval_s real NOT NULL, bands real[] NOT NULL`,
  },
  { name: 'people_counts', chunk: '7 days', columns: `count integer NOT NULL` },
  {
    name: 'track_observations',
    chunk: '7 days',
    columns: `track_id text NOT NULL, dwell_s real NOT NULL, waterline_m real NOT NULL, rod_score real NOT NULL,
      speed_mps real NOT NULL, snapshot text`,
  },
  { name: 'smoke_readings', chunk: '7 days', columns: `obscuration real NOT NULL, temperature_c real NOT NULL` },
  {
    name: 'device_status',
    chunk: '7 days',
    columns: `battery real, signal real, firmware text, calibration_due date`,
  },
];

function seriesTable(t: SeriesTable, timescale: boolean): string[] {
  const body = `(ts timestamptz NOT NULL, device_id text NOT NULL, seq bigint NOT NULL, ${t.columns},
    received_at timestamptz NOT NULL DEFAULT now(), UNIQUE (device_id, seq, ts))`;
  if (timescale) {
    return [
      `CREATE TABLE ${t.name} ${body}`,
      `SELECT create_hypertable('${t.name}', by_range('ts', INTERVAL '${t.chunk}'))`,
      `CREATE INDEX ${t.name}_device_ts ON ${t.name} (device_id, ts DESC)`,
    ];
  }
  return [
    `CREATE TABLE ${t.name} ${body} PARTITION BY RANGE (ts)`,
    `CREATE TABLE ${t.name}_default PARTITION OF ${t.name} DEFAULT`,
    `CREATE INDEX ${t.name}_device_ts ON ${t.name} (device_id, ts DESC)`,
  ];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'registry, people, cases',
    up: () => [
      `CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL)`,
      `CREATE TABLE districts (id text PRIMARY KEY, name text NOT NULL)`,
      `CREATE TABLE streets (id text PRIMARY KEY, district_id text NOT NULL REFERENCES districts, name text NOT NULL)`,
      `CREATE TABLE teams (id text PRIMARY KEY, name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('street', 'district')),
        street_id text REFERENCES streets, domains text[] NOT NULL DEFAULT '{}')`,
      `CREATE TABLE users (id text PRIMARY KEY, username text NOT NULL UNIQUE, password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('officer', 'team_lead', 'operator', 'reviewer', 'admin')),
        team_id text REFERENCES teams, display_name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE officers (id text PRIMARY KEY, user_id text UNIQUE REFERENCES users, team_id text NOT NULL REFERENCES teams,
        name text NOT NULL, certificate_no text NOT NULL UNIQUE, certificate_valid_until date NOT NULL,
        domains text[] NOT NULL)`,
      `CREATE TABLE sites (id text PRIMARY KEY, street_id text NOT NULL REFERENCES streets, name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('park', 'riverbank', 'square')))`,
      `CREATE TABLE zones (id text PRIMARY KEY, site_id text NOT NULL REFERENCES sites, name text NOT NULL,
        geometry jsonb NOT NULL, noise_class text NOT NULL CHECK (noise_class IN ('0', '1', '2', '3', '4a', '4b')),
        timezone text NOT NULL, capacity integer CHECK (capacity > 0), fishing_ban boolean NOT NULL DEFAULT false)`,
      `CREATE TABLE devices (id text PRIMARY KEY, zone_id text NOT NULL REFERENCES zones, kind text NOT NULL,
        secret_hash text NOT NULL, has_speaker boolean NOT NULL DEFAULT false, placement jsonb,
        placement_published boolean NOT NULL DEFAULT false, calibration_cert text, calibration_valid_until date,
        simulated boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz)`,
      `CREATE TABLE matters (code text PRIMARY KEY, name text NOT NULL, alert_kind text NOT NULL UNIQUE,
        legal_basis text NOT NULL, handling_level text NOT NULL CHECK (handling_level IN ('street', 'district')),
        department text NOT NULL, domain text NOT NULL, sla_minutes integer NOT NULL)`,
      `CREATE TABLE alerts (id text PRIMARY KEY, kind text NOT NULL, zone_id text NOT NULL REFERENCES zones,
        device_id text REFERENCES devices, started_at timestamptz NOT NULL, detected_at timestamptz NOT NULL,
        model_version text, evidence jsonb NOT NULL, incident_id text, received_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX alerts_zone_kind ON alerts (zone_id, kind, detected_at DESC)`,
      `CREATE TABLE incidents (id text PRIMARY KEY, kind text NOT NULL, zone_id text NOT NULL REFERENCES zones,
        first_alert_at timestamptz NOT NULL, last_alert_at timestamptz NOT NULL, alert_count integer NOT NULL)`,
      `CREATE INDEX incidents_zone_kind ON incidents (zone_id, kind, last_alert_at DESC)`,
      `CREATE TABLE cases (id text PRIMARY KEY, number bigserial UNIQUE, incident_id text NOT NULL UNIQUE REFERENCES incidents,
        kind text NOT NULL, zone_id text NOT NULL REFERENCES zones, matter_code text REFERENCES matters,
        team_id text REFERENCES teams, state text NOT NULL, title text NOT NULL,
        sla_due_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX cases_team_state ON cases (team_id, state)`,
      `CREATE TABLE case_events (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases, seq integer NOT NULL,
        at timestamptz NOT NULL, actor text NOT NULL, type text NOT NULL, data jsonb NOT NULL,
        prev_hash text, hash text NOT NULL, UNIQUE (case_id, seq))`,
    ],
  },
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
];
