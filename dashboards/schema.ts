/**
 * What Grafana may read: the `dashboards` schema of views, each exposing exactly the columns a panel
 * needs and no personal data (no officers, users, parties, evidence, snapshots or credentials), and
 * the read-only login role `grafana_reader` that may read that schema and nothing else. The views run
 * with their owner's rights, so the role needs no grant on any table.
 *
 * A role belongs to the whole server, not to one database: it is created once (concurrent migrations
 * of two databases on one server both tolerate finding it made), and a migrating user without
 * CREATEROLE only gets a warning — a DBA then creates it and re-grants (README, "Dashboards").
 * dashboards/migrations.ts applies these statements as migration 14.
 */
export const READER_ROLE = 'grafana_reader';

const ROLE = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${READER_ROLE}') THEN
    BEGIN
      CREATE ROLE ${READER_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN RAISE WARNING 'cannot create role ${READER_ROLE} (%): create it and grant it the dashboards schema', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${READER_ROLE}') THEN
    EXECUTE 'GRANT USAGE ON SCHEMA dashboards TO ${READER_ROLE}';
    EXECUTE 'GRANT SELECT ON ALL TABLES IN SCHEMA dashboards TO ${READER_ROLE}';
    EXECUTE 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dashboards TO ${READER_ROLE}';
    -- Views a later migration adds to the schema (as the same migrating user) are readable at once.
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA dashboards GRANT SELECT ON TABLES TO ${READER_ROLE}';
  END IF;
END $$`;

/** Local day type of a date in a zone's holiday calendar, as core/domain/zone-rules.ts names it. */
const DAY_TYPE = (day: string, calendar: string) => `CASE WHEN EXISTS (SELECT 1 FROM holidays h WHERE h.calendar = ${calendar} AND h.day = ${day})
  THEN 'holiday' ELSE (ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])[extract(isodow FROM ${day})::int] END`;

/** Whether a local date lies in a rule's season (`inSeason` of core/domain/zone-rules.ts). */
const IN_SEASON = (day: string, from: string, until: string) => `CASE
  WHEN (${from} IS NULL OR length(${from}) = 5) AND (${until} IS NULL OR length(${until}) = 5) THEN
    CASE WHEN coalesce(${from}, '01-01') <= coalesce(${until}, '12-31')
      THEN to_char(${day}, 'MM-DD') BETWEEN coalesce(${from}, '01-01') AND coalesce(${until}, '12-31')
      ELSE to_char(${day}, 'MM-DD') >= ${from} OR to_char(${day}, 'MM-DD') <= ${until} END
  ELSE to_char(${day}, 'YYYY-MM-DD')
    BETWEEN CASE WHEN ${from} IS NULL THEN '0000-01-01' WHEN length(${from}) = 5 THEN to_char(${day}, 'YYYY-') || ${from} ELSE ${from} END
    AND CASE WHEN ${until} IS NULL THEN '9999-12-31' WHEN length(${until}) = 5 THEN to_char(${day}, 'YYYY-') || ${until} ELSE ${until} END
  END`;

/**
 * The LAeq limit in force in a zone at an instant: the zone rule that applies then (same choice as
 * ZoneSchedule.noiseLimit: time window of the day it started, day types with holidays, season, then
 * priority, a zone's own rule over a district-wide one, the first listed), else the zone class's
 * GB 3096 day or night limit. Integration-tested against the TypeScript schedule.
 */
const NOISE_LIMIT = `CREATE FUNCTION dashboards.noise_limit(p_zone text, p_at timestamptz) RETURNS real
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
  WITH z AS (
    SELECT z.id, z.holiday_calendar AS calendar, l.day AS day_limit, l.night AS night_limit,
      (p_at AT TIME ZONE z.timezone) AS local
    FROM zones z JOIN noise_limits l ON l.noise_class = z.noise_class WHERE z.id = p_zone
  ), c AS (
    SELECT z.*, (extract(hour FROM local) * 60 + extract(minute FROM local))::int AS now_min,
      local::date AS today, local::date - 1 AS yesterday FROM z
  ), windows AS (
    SELECT r.priority, r.zone_id, r.position, r.params, r.days, r.season_from, r.season_until,
      CASE
        WHEN r.start_time = r.end_time THEN c.today
        WHEN r.start_time < r.end_time THEN CASE WHEN c.now_min >= s.m AND c.now_min < e.m THEN c.today END
        WHEN c.now_min >= s.m THEN c.today
        WHEN c.now_min < e.m THEN c.yesterday
      END AS day, c.calendar
    FROM c JOIN zone_rules r ON r.kind = 'noise' AND (r.zone_id IS NULL OR r.zone_id = c.id)
      CROSS JOIN LATERAL (SELECT split_part(r.start_time, ':', 1)::int * 60 + split_part(r.start_time, ':', 2)::int AS m) s
      CROSS JOIN LATERAL (SELECT split_part(r.end_time, ':', 1)::int * 60 + split_part(r.end_time, ':', 2)::int AS m) e
  ), rule AS (
    SELECT w.params FROM windows w
    WHERE w.day IS NOT NULL
      AND (cardinality(w.days) = 0 OR (${DAY_TYPE('w.day', 'w.calendar')}) = ANY (w.days))
      AND (${IN_SEASON('w.day', 'w.season_from', 'w.season_until')})
    ORDER BY w.priority DESC, (w.zone_id IS NULL), w.position LIMIT 1
  )
  SELECT coalesce((SELECT (params->>'laeq')::real FROM rule),
    CASE WHEN extract(hour FROM c.local) >= 22 OR extract(hour FROM c.local) < 6 THEN c.night_limit ELSE c.day_limit END)
  FROM c
$fn$`;

/**
 * The limit in force as segments [starts, ends) per zone over a period: it can only change at a
 * zone's local midnight, 06:00, 22:00 and its noise rules' start and end times, so one
 * dashboards.noise_limit call per segment replaces one per minute (a week of one zone: ~40 calls
 * instead of ~10,000).
 */
const NOISE_LIMIT_SEGMENTS = `CREATE FUNCTION dashboards.noise_limit_segments(p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (zone_id text, starts timestamptz, ends timestamptz, limit_laeq real)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
  WITH boundaries AS (
    SELECT DISTINCT z.id, (d.day + b.t) AT TIME ZONE z.timezone AS at
    FROM zones z
      CROSS JOIN LATERAL (SELECT g::date AS day FROM generate_series((p_from AT TIME ZONE z.timezone)::date - 1,
        (p_to AT TIME ZONE z.timezone)::date + 1, interval '1 day') g) d
      CROSS JOIN LATERAL (
        SELECT t::time AS t FROM unnest(ARRAY['00:00', '06:00', '22:00']) t
        UNION SELECT r.start_time::time FROM zone_rules r WHERE r.kind = 'noise' AND (r.zone_id IS NULL OR r.zone_id = z.id)
        UNION SELECT r.end_time::time FROM zone_rules r WHERE r.kind = 'noise' AND (r.zone_id IS NULL OR r.zone_id = z.id)
      ) b
  ), segments AS (
    SELECT id, at AS starts, lead(at) OVER (PARTITION BY id ORDER BY at) AS ends FROM boundaries
  )
  SELECT id, starts, ends, dashboards.noise_limit(id, starts) FROM segments
  WHERE ends IS NOT NULL AND ends > p_from AND starts <= p_to
$fn$`;

const VIEWS = [
  // Where things are: district → street → site → zone, with the zone's centre for the map.
  `CREATE VIEW dashboards.zones AS
    SELECT z.id AS zone_id, z.name AS zone, z.site_id, si.name AS site, si.kind AS site_kind, st.id AS street_id,
      st.name AS street, st.district_id, di.name AS district, z.noise_class, z.capacity, z.fishing_ban, z.timezone,
      (SELECT avg((p->>1)::float8) FROM jsonb_array_elements(z.geometry->'coordinates'->0) WITH ORDINALITY AS e(p, i)
        WHERE i < jsonb_array_length(z.geometry->'coordinates'->0)) AS lat,
      (SELECT avg((p->>0)::float8) FROM jsonb_array_elements(z.geometry->'coordinates'->0) WITH ORDINALITY AS e(p, i)
        WHERE i < jsonb_array_length(z.geometry->'coordinates'->0)) AS lon
    FROM zones z JOIN sites si ON si.id = z.site_id JOIN streets st ON st.id = si.street_id JOIN districts di ON di.id = st.district_id`,
  `CREATE VIEW dashboards.devices AS
    SELECT d.id AS device_id, d.kind, d.zone_id, z.street_id, z.district_id, d.online, d.last_seen_at, d.presence_changed_at,
      d.has_speaker, d.placement_published, d.calibration_valid_until,
      coalesce((d.placement->>'lat')::float8, z.lat) AS lat, coalesce((d.placement->>'lon')::float8, z.lon) AS lon
    FROM devices d JOIN dashboards.zones z ON z.zone_id = d.zone_id`,
  `CREATE VIEW dashboards.teams AS SELECT id AS team_id, name AS team, kind, street_id FROM teams`,
  // Noise per device per minute and per hour (energetic: LAeq = 10·log10(energy_sum / samples)).
  ...(['noise_1m', 'noise_1h'] as const).map((t) => `CREATE VIEW dashboards.${t} AS
    SELECT n.bucket, n.device_id, d.zone_id, n.laeq, n.lamax, n.samples, n.energy_sum
    FROM ${t} n JOIN devices d ON d.id = n.device_id`),
  // The last hour of raw noise readings (no spectra): live levels before the per-minute aggregate refreshes.
  `CREATE VIEW dashboards.noise_recent AS
    SELECT r.ts, r.device_id, d.zone_id, r.laeq, r.lamax
    FROM noise_readings r JOIN devices d ON d.id = r.device_id WHERE r.ts > now() - interval '1 hour'`,
  `CREATE VIEW dashboards.people_5m AS
    SELECT p.bucket, p.device_id, d.zone_id, p.max_count, p.mean_count, p.samples
    FROM people_5m p JOIN devices d ON d.id = p.device_id`,
  // Camera track observations without their snapshot (a picture of a person).
  `CREATE VIEW dashboards.track_observations AS
    SELECT t.ts, t.device_id, d.zone_id, t.track_id, t.dwell_s, t.waterline_m, t.rod_score, t.speed_mps
    FROM track_observations t JOIN devices d ON d.id = t.device_id`,
  // Rejected telemetry: why and from which device, never the payload.
  `CREATE VIEW dashboards.rejects AS SELECT received_at, device_id, reason FROM dead_letters`,
  // Alerts with the officers' verdict (not who gave it), and when the case reached the team's stream.
  `CREATE VIEW dashboards.alerts AS
    SELECT a.id AS alert_id, a.kind, a.zone_id, a.device_id, a.started_at, a.detected_at, a.received_at, a.model_version,
      a.incident_id, v.verdict, v.at AS verdict_at,
      (SELECT min(le.created_at) FROM cases c JOIN live_events le ON le.type = 'case.opened' AND le.payload->'case'->>'id' = c.id
        WHERE c.incident_id = a.incident_id AND le.created_at >= a.received_at) AS pushed_at
    FROM alerts a LEFT JOIN alert_verdicts v ON v.alert_id = a.id`,
  // The model's mean class scores over each alert's evidence window (noise: the source class mix).
  `CREATE VIEW dashboards.alert_scores AS
    SELECT a.id AS alert_id, a.kind, a.zone_id, a.device_id, a.detected_at, a.model_version, s.key AS label, s.value::float8 AS score
    FROM alerts a CROSS JOIN LATERAL jsonb_each_text(CASE WHEN jsonb_typeof(a.evidence->'scores') = 'object'
      THEN a.evidence->'scores' ELSE '{}'::jsonb END) s`,
  `CREATE VIEW dashboards.shadow_alerts AS
    SELECT id AS shadow_id, kind, zone_id, device_id, model_version, started_at, detected_at FROM shadow_alerts`,
  // Cases without parties, officers or files: discovery (first alert) and disposal as GET /figures has them.
  `CREATE VIEW dashboards.cases AS
    SELECT c.id AS case_id, c.number, c.kind, c.zone_id, c.matter_code, c.team_id, c.state, c.created_at, c.sla_due_at,
      c.accepted_at, c.arrived_at, c.disposed_at, c.closed_at, c.review_submitted_at, c.review_level, c.decision_due_at,
      c.decided_late, c.decision_no IS NOT NULL AS decided,
      (SELECT min(a.detected_at) FROM alerts a WHERE a.incident_id = c.incident_id) AS discovered_at,
      coalesce(c.disposed_at, CASE WHEN c.state = 'dismissed' THEN c.closed_at END) AS disposal_at,
      CASE WHEN c.decision_no IS NOT NULL THEN c.decision_due_at ELSE c.sla_due_at END AS due_at
    FROM cases c`,
  // The fine of each decided case (its final proposal), for discretion consistency.
  `CREATE VIEW dashboards.case_fines AS
    SELECT c.id AS case_id, c.kind, c.zone_id, c.team_id, c.matter_code, c.disposed_at, p.party_kind, p.tier, p.fine_yuan,
      p.outside_benchmark
    FROM cases c JOIN LATERAL (SELECT * FROM case_proposals cp WHERE cp.case_id = c.id ORDER BY cp.revision DESC LIMIT 1) p ON true
    WHERE c.decision_no IS NOT NULL AND p.fine_yuan IS NOT NULL AND p.tier IS NOT NULL`,
  // Legal reviews and the submission each one answered (not who reviewed).
  `CREATE VIEW dashboards.case_reviews AS
    SELECT r.case_id, c.kind, c.zone_id, c.team_id, c.matter_code, c.review_level, r.outcome, r.at AS reviewed_at,
      (SELECT max(e.at) FROM case_events e WHERE e.case_id = r.case_id AND e.type = 'submitted_for_review' AND e.at <= r.at) AS submitted_at
    FROM case_reviews r JOIN cases c ON c.id = r.case_id`,
  `CREATE VIEW dashboards.case_deadlines AS
    SELECT d.case_id, c.kind, c.zone_id, c.team_id, c.state, d.name, d.kind AS deadline_kind, d.stage, d.due_at, d.status,
      d.reached_at, d.escalated_at
    FROM case_deadlines d JOIN cases c ON c.id = d.case_id`,
  // Loudspeaker commands and their measured effect (did the watched value fall?).
  `CREATE VIEW dashboards.speaker_commands AS
    SELECT dc.id AS command_id, dc.device_id, d.zone_id, dc.name, dc.payload->>'clip' AS clip, dc.stage, dc.sent_at, dc.acked_at,
      dc.effect->>'metric' AS effect_metric, (dc.effect->>'before')::float8 AS effect_before,
      (dc.effect->>'after')::float8 AS effect_after, (dc.effect->>'fell')::boolean AS effect_fell
    FROM device_commands dc JOIN devices d ON d.id = dc.device_id`,
  `CREATE VIEW dashboards.disposal_baselines AS SELECT kind, baseline_minutes, source FROM disposal_baselines`,
];

/** Migration statements: the baselines table, the schema, its views and function, the role. */
export function dashboardsMigration(): string[] {
  return [
    // Discovery-to-disposal before the platform, per kind: what the −40% target is measured against.
    // The values are placeholders until the bureau enters its own pre-platform medians (README).
    `CREATE TABLE disposal_baselines (kind text PRIMARY KEY, baseline_minutes real NOT NULL CHECK (baseline_minutes > 0),
      source text NOT NULL)`,
    `INSERT INTO disposal_baselines VALUES ('noise', 120, 'placeholder: replace with the pre-platform median'),
      ('fishing', 90, 'placeholder: replace with the pre-platform median'), ('crowding', 30, 'placeholder: replace with the pre-platform median')`,
    `CREATE SCHEMA dashboards`,
    NOISE_LIMIT,
    NOISE_LIMIT_SEGMENTS,
    ...VIEWS,
    `REVOKE ALL ON FUNCTION dashboards.noise_limit(text, timestamptz) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION dashboards.noise_limit_segments(timestamptz, timestamptz) FROM PUBLIC`,
    ROLE,
  ];
}
