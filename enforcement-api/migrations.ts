import type { Migration } from '../core/db/migrate.js';
import { CHECKLIST_ZH_MIGRATION, LEGAL_TEXTS_ZH_MIGRATION, NAMES_ZH_MIGRATION, POST_NAMES_ZH_MIGRATION, TITLES_ZH_MIGRATION, USER_NAMES_ZH_MIGRATION, ENTITY_NAMES_ZH_MIGRATION, RULE_NAMES_ZH_MIGRATION, PLACE_NAMES_ZH_MIGRATION } from './migrations-names.js';
import { EVIDENCE_RULES_MIGRATION, EXTENSION_DISCUSSION_MIGRATION, LEGAL_CATALOGUE_MIGRATION, OFFICER_CERTIFICATES_MIGRATION, PARTY_LOOKUPS_MIGRATION } from './migrations-legal.js';
import { INSPECTIONS_MIGRATION, INSPECTOR_REGISTRATIONS_MIGRATION } from './migrations-inspections.js';
import { HAZARDS_MIGRATION } from './migrations-hazards.js';
import { COMPLAINT_COORDINATION_CODES_MIGRATION, COMPLAINTS_MIGRATION } from './complaints/migrations.js';
import { WEBHOOK_MIGRATION } from './webhooks/migrations.js';

/**
 * The enforcement service's migrations: the registry (districts, streets, teams, people, sites,
 * zones, devices) and everything of alerts, incidents and cases. Migrations 1 and 5 predate the
 * split by service and also create a few tables other services write (devices, device commands,
 * shadow alerts); an applied migration is never edited, so they stay whole here. The root
 * (migrations.ts) runs every service's migrations in version order.
 */
export const ENFORCEMENT_MIGRATIONS: Migration[] = [
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
    version: 5,
    name: 'verdicts, commands, shadow results',
    up: () => [
      // Officers' verdicts on alerts: the labels of the next training and the precision per model version.
      `CREATE TABLE alert_verdicts (alert_id text PRIMARY KEY REFERENCES alerts, verdict text NOT NULL
        CHECK (verdict IN ('confirmed', 'false_alarm')), reason text, model_version text, by_user text NOT NULL,
        at timestamptz NOT NULL DEFAULT now())`,
      // Commands sent to devices (speaker.play), their acknowledgement and measured effect.
      `CREATE TABLE device_commands (id text PRIMARY KEY, device_id text NOT NULL REFERENCES devices, name text NOT NULL,
        payload jsonb NOT NULL, alert_id text, stage text NOT NULL, sent_at timestamptz NOT NULL,
        acked_at timestamptz, ack jsonb, effect jsonb)`,
      `CREATE INDEX device_commands_alert ON device_commands (alert_id)`,
      `CREATE INDEX device_commands_device ON device_commands (device_id, sent_at DESC)`,
      // What a model in shadow mode would have raised: scored and recorded, never alerting.
      `CREATE TABLE shadow_alerts (id text PRIMARY KEY, kind text NOT NULL, zone_id text NOT NULL, device_id text,
        model_version text NOT NULL, started_at timestamptz NOT NULL, detected_at timestamptz NOT NULL,
        evidence jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
      `ALTER TABLE alerts ADD COLUMN summary text`,
    ],
  },
  {
    version: 6,
    name: 'case lifecycle and sealed audit chain',
    up: () => [
      // What the lifecycle (enforcement-api/domain/case-lifecycle.ts) records on the case: who took it, when each
      // stage was reached, what was found, and the head of its event chain.
      `ALTER TABLE cases ADD COLUMN assigned_to text REFERENCES users, ADD COLUMN state_changed_at timestamptz,
        ADD COLUMN dispatched_at timestamptz, ADD COLUMN accepted_at timestamptz, ADD COLUMN arrived_at timestamptz,
        ADD COLUMN arrival_location jsonb, ADD COLUMN disposed_at timestamptz, ADD COLUMN resolution jsonb,
        ADD COLUMN review_submitted_at timestamptz, ADD COLUMN decision_no text, ADD COLUMN closed_at timestamptz,
        ADD COLUMN dismissal_reason text, ADD COLUMN events_head_seq integer NOT NULL DEFAULT 0,
        ADD COLUMN events_head_hash text`,
      `UPDATE cases SET state_changed_at = created_at, dispatched_at = CASE WHEN state = 'dispatched' THEN created_at END`,
      `UPDATE cases c SET events_head_seq = e.seq, events_head_hash = e.hash
        FROM (SELECT DISTINCT ON (case_id) case_id, seq, hash FROM case_events ORDER BY case_id, seq DESC) e WHERE e.case_id = c.id`,
      `ALTER TABLE cases ADD CONSTRAINT cases_state_valid CHECK (state IN ('reported', 'dispatched', 'accepted', 'on_site',
        'resolved_on_site', 'decision_proposed', 'under_review', 'approved', 'returned', 'decided', 'closed', 'dismissed'))`,
      `ALTER TABLE cases ADD CONSTRAINT cases_dismissal_reason CHECK (state <> 'dismissed' OR dismissal_reason IS NOT NULL)`,
      `CREATE INDEX cases_review_queue ON cases (review_submitted_at) WHERE review_submitted_at IS NOT NULL`,
      // Each proposed decision, kept as a revision: a returned proposal stays on file beside its successor.
      `CREATE TABLE case_proposals (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases, revision integer NOT NULL,
        proposed_by text NOT NULL REFERENCES users, proposed_at timestamptz NOT NULL, party text NOT NULL, facts text NOT NULL,
        legal_basis text NOT NULL, penalties text[] NOT NULL, fine_yuan integer CHECK (fine_yuan > 0),
        hearing_required boolean NOT NULL DEFAULT false, UNIQUE (case_id, revision))`,
      // Legal review outcomes; a return always carries a written opinion.
      `CREATE TABLE case_reviews (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases,
        proposal_id bigint NOT NULL REFERENCES case_proposals, reviewer text NOT NULL REFERENCES users,
        outcome text NOT NULL CHECK (outcome IN ('approved', 'returned')), opinion text, at timestamptz NOT NULL,
        CHECK (outcome <> 'returned' OR length(btrim(opinion)) > 0))`,
      `CREATE INDEX case_reviews_case ON case_reviews (case_id, at)`,
      // Events sealed before this migration keep hash version 1 (see enforcement-api/cases/chain.ts).
      `ALTER TABLE case_events ADD COLUMN hash_version smallint NOT NULL DEFAULT 1`,
      `ALTER TABLE case_events ALTER COLUMN hash_version SET DEFAULT 2`,
      // Append-only in the database too: the application never updates or deletes an event. (Someone
      // who can disable triggers can still edit rows; the hash chain is what detects that.)
      `CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'case_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$`,
      `CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events
        FOR EACH ROW EXECUTE FUNCTION case_events_append_only()`,
      `CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
        FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()`,
    ],
  },
  {
    version: 7,
    name: 'zone rules and holiday calendars',
    up: () => [
      // Rules as data (core/domain/zone-rules.ts): a zone's (or, with no zone, every zone's) noise limit,
      // fishing ban or capacity on some day types, in a local time window, optionally within a season.
      `CREATE TABLE zone_rules (id text PRIMARY KEY, zone_id text REFERENCES zones ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('noise', 'fishing', 'crowding')), name text NOT NULL,
        days text[] NOT NULL DEFAULT '{}', start_time text NOT NULL DEFAULT '00:00', end_time text NOT NULL DEFAULT '00:00',
        season_from text, season_until text, priority integer NOT NULL DEFAULT 0, params jsonb NOT NULL,
        position integer NOT NULL DEFAULT 0)`,
      `CREATE INDEX zone_rules_zone ON zone_rules (zone_id, position)`,
      `CREATE TABLE holidays (calendar text NOT NULL, day date NOT NULL, name text NOT NULL, PRIMARY KEY (calendar, day))`,
      `ALTER TABLE zones ADD COLUMN holiday_calendar text`,
      // Public holidays of the People's Republic of China in 2026 (State Council schedule); the
      // calendar is data: PUT /api/v1/holidays/CN replaces it.
      `INSERT INTO holidays (calendar, day, name) SELECT 'CN', d::date, n FROM (VALUES
        ${HOLIDAYS_CN_2026.flatMap(([from, to, name]) => datesBetween(from, to).map((d) => `('${d}', '${name}')`)).join(', ')}
      ) AS t(d, n)`,
    ],
  },
  {
    version: 8,
    name: 'legal rules: certificates on site, evidence, discretion benchmarks, review posts, deadlines',
    up: () => [
      // Legal review posts: one per street for routine decisions, the district centre for major ones.
      `CREATE TABLE review_posts (id text PRIMARY KEY, name text NOT NULL, kind text NOT NULL CHECK (kind IN ('street', 'district')),
        street_id text REFERENCES streets, CHECK ((kind = 'street') = (street_id IS NOT NULL)))`,
      `ALTER TABLE users ADD COLUMN review_post_id text REFERENCES review_posts`,
      // Discretion benchmarks (裁量基准): per matter and kind of party, the fine range of each tier and
      // the facts that select it (enforcement-api/domain/legal-rules.ts).
      `CREATE TABLE discretion_benchmarks (matter_code text NOT NULL REFERENCES matters, party_kind text NOT NULL
        CHECK (party_kind IN ('individual', 'unit')), tier text NOT NULL CHECK (tier IN ('no_penalty', 'mitigated', 'normal', 'aggravated')),
        min_fine_yuan integer NOT NULL CHECK (min_fine_yuan >= 0), max_fine_yuan integer NOT NULL, measures text[] NOT NULL,
        facts text NOT NULL, legal_basis text NOT NULL, CHECK (max_fine_yuan >= min_fine_yuan), PRIMARY KEY (matter_code, party_kind, tier))`,
      `ALTER TABLE matters ADD COLUMN penalty boolean NOT NULL DEFAULT true`,
      // What the legal rules record on the case: who was on site, filing and the 90-day decision
      // deadline, the party, where the decision is reviewed and at which level.
      `ALTER TABLE cases ADD COLUMN on_site_officers text[], ADD COLUMN filed_at timestamptz, ADD COLUMN decision_due_at timestamptz,
        ADD COLUMN party_id text, ADD COLUMN review_post_id text REFERENCES review_posts, ADD COLUMN review_level text
        CHECK (review_level IN ('routine', 'major')), ADD COLUMN decided_late boolean`,
      `CREATE INDEX cases_party ON cases (party_id, matter_code) WHERE party_id IS NOT NULL`,
      `ALTER TABLE case_proposals ADD COLUMN tier text, ADD COLUMN party_kind text, ADD COLUMN party_id text,
        ADD COLUMN correction text, ADD COLUMN outside_benchmark boolean NOT NULL DEFAULT false, ADD COLUMN review_level text,
        ADD COLUMN review_reasons text[] NOT NULL DEFAULT '{}'`,
      // Consultation (会商) at the district centre: opinions asked of several reviewers before approval.
      `CREATE TABLE case_consultations (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases,
        proposal_id bigint NOT NULL REFERENCES case_proposals, requested_by text NOT NULL REFERENCES users,
        reviewer text NOT NULL REFERENCES users, question text NOT NULL, requested_at timestamptz NOT NULL,
        opinion text, answered_at timestamptz, UNIQUE (proposal_id, reviewer))`,
      // The device's calibration and placement as they stood when the alert was recorded (the measurement).
      `ALTER TABLE alerts ADD COLUMN device_calibration_valid_until date, ADD COLUMN device_placement_published boolean`,
      `UPDATE alerts a SET device_calibration_valid_until = d.calibration_valid_until, device_placement_published = d.placement_published
        FROM devices d WHERE d.id = a.device_id`,
      // Evidence files, content-addressed by SHA-256, kept in the database (one transaction with the
      // case event, one backup, shared by every API replica); append-only like case_events.
      `CREATE TABLE case_evidence (id text PRIMARY KEY, case_id text NOT NULL REFERENCES cases, sha256 text NOT NULL
        CHECK (sha256 ~ '^[0-9a-f]{64}$'), content_type text NOT NULL, size_bytes integer NOT NULL, filename text,
        description text, uploaded_by text NOT NULL REFERENCES users, uploaded_at timestamptz NOT NULL, content bytea NOT NULL,
        CHECK (octet_length(content) = size_bytes), UNIQUE (case_id, sha256))`,
      // A person's review of a sensor record: one of the three conditions for it to count as evidence.
      `CREATE TABLE evidence_reviews (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases,
        alert_id text NOT NULL REFERENCES alerts, reviewer text NOT NULL REFERENCES users, role text NOT NULL,
        note text, at timestamptz NOT NULL, UNIQUE (case_id, alert_id, reviewer))`,
      `CREATE FUNCTION legal_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$`,
      ...['case_evidence', 'evidence_reviews'].flatMap((t) => [
        `CREATE TRIGGER ${t}_no_change BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION legal_record_append_only()`,
        `CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION legal_record_append_only()`,
      ]),
    ],
  },
  {
    version: 9,
    name: 'refresh tokens',
    up: () => [
      // Sessions (enforcement-api/sessions.ts): single-use refresh tokens, stored as SHA-256, rotated
      // within a family; reuse of a spent token revokes its family.
      `CREATE TABLE refresh_tokens (token_hash text PRIMARY KEY, user_id text NOT NULL REFERENCES users ON DELETE CASCADE,
        family_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL,
        revoked_at timestamptz)`,
      `CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`,
      `CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id, expires_at)`,
    ],
  },
  {
    version: 10,
    name: 'SLA deadlines per stage and their escalation',
    up: () => [
      // Service levels as data (enforcement-api/domain/sla.ts): a team accepts within accept_sla_minutes of the
      // report; officers are on site within sla_minutes (drowning/crowding 10, fishing 30, noise 60).
      `ALTER TABLE matters ADD COLUMN accept_sla_minutes integer NOT NULL DEFAULT 5 CHECK (accept_sla_minutes > 0)`,
      `UPDATE matters SET accept_sla_minutes = CASE alert_kind WHEN 'crowding' THEN 3 WHEN 'fishing' THEN 10 WHEN 'noise' THEN 15 ELSE 5 END`,
      // Each case's deadlines, kept so they survive restarts; the escalation service marks a missed one
      // (and appends its case event) in one transaction, so it escalates exactly once.
      `CREATE TABLE case_deadlines (case_id text NOT NULL REFERENCES cases, name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('deadline', 'warning')), stage text NOT NULL, due_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'met', 'missed', 'cancelled', 'reached')),
        reached_at timestamptz, escalated_at timestamptz, escalated_to text[], created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (case_id, name))`,
      `CREATE INDEX case_deadlines_open_due ON case_deadlines (due_at) WHERE status = 'open'`,
      // Cases opened before this migration: their open stages get deadlines from their report and filing.
      `INSERT INTO case_deadlines (case_id, name, kind, stage, due_at)
        SELECT c.id, 'accept', 'deadline', 'accepted', c.created_at + make_interval(mins => m.accept_sla_minutes)
        FROM cases c JOIN matters m ON m.code = c.matter_code WHERE c.state IN ('reported', 'dispatched')
        UNION ALL
        SELECT c.id, 'on_site', 'deadline', 'on_site', c.created_at + make_interval(mins => m.sla_minutes)
        FROM cases c JOIN matters m ON m.code = c.matter_code WHERE c.state IN ('reported', 'dispatched', 'accepted')
        UNION ALL
        SELECT c.id, 'decision', 'deadline', 'decided', c.decision_due_at FROM cases c
        WHERE c.decision_due_at IS NOT NULL AND c.state IN ('on_site', 'decision_proposed', 'under_review', 'approved', 'returned')`,
    ],
  },
  {
    version: 11,
    name: 'live events: the durable, resumable live stream',
    up: () => [
      // Append-only outbox of what /api/v1/stream pushes (enforcement-api/live.ts). `id` is the SSE
      // event id: it survives restarts and is shared by every process on this database. Writers take
      // an advisory lock before their insert, so ids become visible in id order (no later id is ever
      // seen before an earlier one). The visibility columns mirror the payload (team, review post
      // while the case is in the review queue, team the case was dispatched away from).
      `CREATE TABLE live_events (id bigserial PRIMARY KEY, type text NOT NULL, team_id text, review_post_id text,
        previous_team_id text, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX live_events_created ON live_events (created_at)`,
      // The highest id removed by retention: a client resuming from below it has missed events.
      `CREATE TABLE live_events_horizon (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), pruned_through bigint NOT NULL)`,
      `INSERT INTO live_events_horizon (pruned_through) VALUES (0)`,
    ],
  },
  LEGAL_CATALOGUE_MIGRATION,
  {
    version: 16,
    name: 'idempotency keys: a retried state-changing request returns its first result',
    up: () => [
      // enforcement-api/idempotency.ts: one row per user and key. `status_code` is null while the first
      // request is being handled; then it holds the answer (status, type, body) that every replay returns.
      `CREATE TABLE idempotency_keys (user_id text NOT NULL, key text NOT NULL, method text NOT NULL, path text NOT NULL,
        request_hash text NOT NULL, status_code integer, content_type text, body bytea,
        created_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz, PRIMARY KEY (user_id, key))`,
      `CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`,
    ],
  },
  {
    version: 17,
    name: 'device secret rotation with a grace period',
    up: () => [`ALTER TABLE devices ADD COLUMN previous_secret_hash text, ADD COLUMN previous_secret_until timestamptz`],
  },
  INSPECTIONS_MIGRATION,
  HAZARDS_MIGRATION,
  EVIDENCE_RULES_MIGRATION,
  COMPLAINTS_MIGRATION,
  WEBHOOK_MIGRATION,
  NAMES_ZH_MIGRATION,
  OFFICER_CERTIFICATES_MIGRATION,
  INSPECTOR_REGISTRATIONS_MIGRATION,
  TITLES_ZH_MIGRATION,
  LEGAL_TEXTS_ZH_MIGRATION,
  POST_NAMES_ZH_MIGRATION,
  CHECKLIST_ZH_MIGRATION,
  USER_NAMES_ZH_MIGRATION,
  ENTITY_NAMES_ZH_MIGRATION,
  RULE_NAMES_ZH_MIGRATION,
  PLACE_NAMES_ZH_MIGRATION,
  EXTENSION_DISCUSSION_MIGRATION,
  PARTY_LOOKUPS_MIGRATION,
  COMPLAINT_COORDINATION_CODES_MIGRATION,
];

/** [first day, last day, name]: the 2026 public holidays (days off) of mainland China. */
const HOLIDAYS_CN_2026: [string, string, string][] = [
  ['2026-01-01', '2026-01-03', 'New Year'],
  ['2026-02-15', '2026-02-23', 'Spring Festival'],
  ['2026-04-04', '2026-04-06', 'Qingming Festival'],
  ['2026-05-01', '2026-05-05', 'Labour Day'],
  ['2026-06-19', '2026-06-21', 'Dragon Boat Festival'],
  ['2026-09-25', '2026-09-27', 'Mid-Autumn Festival'],
  ['2026-10-01', '2026-10-07', 'National Day'],
];

function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
