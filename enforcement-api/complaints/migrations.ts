import type { Migration } from '../../core/db/migrate.js';

/**
 * Citizen complaints (12345 style): the hotline role, the complaints with their private contact and
 * photos, the record of every contact view, and the complaint's own events (append-only).
 */
export const COMPLAINTS_MIGRATION: Migration = {
  version: 18,
  name: 'citizen complaints: hotline role, complaints, contact views, photos, coordination queue',
  up: () => [
    `ALTER TABLE users DROP CONSTRAINT users_role_check`,
    `ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('officer', 'team_lead', 'operator', 'reviewer', 'admin', 'agency_head', 'hotline'))`,
    `CREATE TABLE complaints (id text PRIMARY KEY, tracking_no text NOT NULL UNIQUE, check_hash text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('hotline', 'web', 'open311')),
      category text NOT NULL CHECK (category IN ('noise', 'fishing', 'crowding', 'other')),
      description text NOT NULL, zone_id text REFERENCES zones, location jsonb, address text,
      occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL, filed_by text REFERENCES users,
      status text NOT NULL CHECK (status IN ('received', 'coordination', 'handled', 'handled_in_stages', 'not_handled')),
      team_id text REFERENCES teams, matter_code text REFERENCES matters, alert_id text REFERENCES alerts,
      reply_due_at timestamptz NOT NULL, reply text, replied_at timestamptz, replied_by text REFERENCES users,
      first_replied_at timestamptz, coordination_reason text, coordination_since timestamptz,
      escalation_level integer NOT NULL DEFAULT 0, escalation_due_at timestamptz,
      contact jsonb, open311_account_id text, updated_at timestamptz NOT NULL,
      CHECK ((status = 'coordination') = (coordination_since IS NOT NULL)))`,
    `CREATE INDEX complaints_status ON complaints (status, escalation_due_at)`,
    `CREATE INDEX complaints_team ON complaints (team_id, received_at DESC)`,
    `CREATE INDEX complaints_alert ON complaints (alert_id)`,
    `CREATE TABLE complaint_photos (complaint_id text NOT NULL REFERENCES complaints, n integer NOT NULL,
      content_type text NOT NULL, sha256 text NOT NULL, size_bytes integer NOT NULL, content bytea NOT NULL,
      PRIMARY KEY (complaint_id, n))`,
    // Every read of a complainant's contact, like evidence views: who, in which role, when.
    `CREATE TABLE complaint_contact_views (id bigserial PRIMARY KEY, complaint_id text NOT NULL REFERENCES complaints,
      viewer text NOT NULL REFERENCES users, role text NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE complaint_events (id bigserial PRIMARY KEY, complaint_id text NOT NULL REFERENCES complaints,
      at timestamptz NOT NULL, actor text NOT NULL, type text NOT NULL, data jsonb NOT NULL DEFAULT '{}')`,
    `CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, id)`,
    ...['complaint_contact_views', 'complaint_events', 'complaint_photos'].flatMap((t) => [
      `CREATE TRIGGER ${t}_no_change BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION legal_record_append_only()`,
      `CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION legal_record_append_only()`,
    ]),
  ],
};

/**
 * Why a complaint waits in the coordination queue, as a code the desks' screens word in their language
 * (the English `coordination_reason` stays for the API), and for a decline the team and its own words.
 */
export const COMPLAINT_COORDINATION_CODES_MIGRATION: Migration = {
  version: 43,
  name: 'complaints: coordination reason as a code, the declining team and its reason',
  up: () => [
    `ALTER TABLE complaints ADD COLUMN coordination_code text
      CHECK (coordination_code IN ('routing', 'no_zone', 'no_matter', 'no_team', 'declined')),
      ADD COLUMN declined_by text REFERENCES teams, ADD COLUMN decline_reason text`,
    `UPDATE complaints SET coordination_code = CASE
        WHEN coordination_reason = 'being routed' THEN 'routing'
        WHEN coordination_reason LIKE 'the place is in no zone%' THEN 'no_zone'
        WHEN coordination_reason LIKE 'no matter in the catalogue%' THEN 'no_matter'
        WHEN coordination_reason = 'no team can take the case' THEN 'no_team'
        WHEN coordination_reason LIKE 'declined by %' THEN 'declined' END
      WHERE coordination_reason IS NOT NULL`,
    `UPDATE complaints SET declined_by = t.id, decline_reason = substr(coordination_reason, length('declined by ' || t.id || ': ') + 1)
      FROM teams t WHERE coordination_code = 'declined' AND coordination_reason LIKE 'declined by ' || t.id || ': %'`,
  ],
};
