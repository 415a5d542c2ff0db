import type { Migration } from '../core/db/migrate.js';

/**
 * The statutory bounds of the seeded matters, per kind of party: [matter, kind, fine required, min ¥, max ¥, mandatory measures, basis].
 * Noise art. 82: refusal to correct → warning (给予警告), individuals may be fined ¥200–1,000, units ¥2,000–20,000.
 * Yangtze art. 86: confiscation of catch, gains and gear, and (并处) a fine of ¥10,000–50,000, ¥50,000–500,000 when serious.
 */
export const SEEDED_BOUNDS: [string, 'individual' | 'unit', boolean, number, number, string[], string][] = [
  ['NOISE-AMPLIFIED', 'individual', false, 200, 1000, ['warning'], 'Noise Pollution Prevention and Control Law art. 82'],
  ['NOISE-AMPLIFIED', 'unit', false, 2000, 20000, ['warning'], 'Noise Pollution Prevention and Control Law art. 82'],
  ['FISHING-BAN', 'individual', true, 10000, 500000, ['confiscation'], 'Yangtze River Protection Law art. 86'],
  ['FISHING-BAN', 'unit', true, 10000, 500000, ['confiscation'], 'Yangtze River Protection Law art. 86'],
];

/** Triggers refusing UPDATE, DELETE and TRUNCATE on a record table. */
export const appendOnly = (t: string) => [
  `CREATE TRIGGER ${t}_no_change BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION legal_record_append_only()`,
  `CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION legal_record_append_only()`,
];

/**
 * Legal rules without loopholes: statutory bounds and benchmarks as versioned catalogue data with a
 * change log, identified parties, filing and extensions, presence confirmations, evidence metadata
 * and its review.
 */
export const LEGAL_CATALOGUE_MIGRATION: Migration = {
  version: 15,
  name: 'statutory bounds, catalogue history, parties, filing and extensions, presence, evidence metadata',
  up: () => [
    // The head of the agency (行政机关负责人) approves extensions of the decision deadline.
    `ALTER TABLE users DROP CONSTRAINT users_role_check`,
    `ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('officer', 'team_lead', 'operator', 'reviewer', 'admin', 'agency_head'))`,
    // A matter no alert kind raises (a case is classified into it).
    `ALTER TABLE matters ALTER COLUMN alert_kind DROP NOT NULL`,
    // Statutory bounds per matter and kind of party, each version from its effective date.
    `CREATE TABLE statutory_bounds (matter_code text NOT NULL REFERENCES matters, party_kind text NOT NULL
      CHECK (party_kind IN ('individual', 'unit')), effective_from date NOT NULL, fine_required boolean NOT NULL,
      min_fine_yuan integer NOT NULL CHECK (min_fine_yuan >= 0), max_fine_yuan integer NOT NULL,
      mandatory_measures text[] NOT NULL DEFAULT '{}', legal_basis text NOT NULL, CHECK (max_fine_yuan >= min_fine_yuan),
      PRIMARY KEY (matter_code, party_kind, effective_from))`,
    `INSERT INTO statutory_bounds (matter_code, party_kind, effective_from, fine_required, min_fine_yuan, max_fine_yuan, mandatory_measures, legal_basis)
      SELECT m.code, b.kind, DATE '2000-01-01', b.req, b.lo, b.hi, b.measures, b.basis FROM (VALUES
      ${SEEDED_BOUNDS.map(([c, k, r, lo, hi, ms, basis]) => `('${c}', '${k}', ${r}, ${lo}, ${hi}, ARRAY[${ms.map((x) => `'${x}'`).join(', ')}]::text[], '${basis}')`).join(',\n      ')}
      ) AS b(code, kind, req, lo, hi, measures, basis) JOIN matters m ON m.code = b.code`,
    // Benchmarks get versions too: a version is every tier of one matter and kind from one date.
    `ALTER TABLE discretion_benchmarks ADD COLUMN effective_from date NOT NULL DEFAULT DATE '2000-01-01'`,
    `ALTER TABLE discretion_benchmarks DROP CONSTRAINT discretion_benchmarks_pkey`,
    `ALTER TABLE discretion_benchmarks ADD PRIMARY KEY (matter_code, party_kind, effective_from, tier)`,
    // The seeded mitigated noise tiers began at ¥0, below the law's minimum fine.
    `UPDATE discretion_benchmarks SET min_fine_yuan = CASE party_kind WHEN 'individual' THEN 200 ELSE 2000 END
      WHERE matter_code = 'NOISE-AMPLIFIED' AND tier = 'mitigated' AND min_fine_yuan = 0`,
    // Every change to the catalogue: who, when, what it was and became, from when it applies.
    `CREATE TABLE catalogue_changes (id bigserial PRIMARY KEY, entity text NOT NULL, key text NOT NULL,
      effective_from date NOT NULL, before jsonb, after jsonb, reason text, changed_by text NOT NULL REFERENCES users,
      changed_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX catalogue_changes_entity ON catalogue_changes (entity, key, id)`,
    ...appendOnly('catalogue_changes'),
    // Parties (当事人), by normalised identifier: the history across cases, and the later credit work.
    `CREATE TABLE parties (id text PRIMARY KEY, id_type text NOT NULL CHECK (id_type IN ('resident_id', 'passport', 'uscc')),
      kind text NOT NULL CHECK (kind IN ('individual', 'unit')), name text, first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL)`,
    `ALTER TABLE case_proposals ADD COLUMN party_id_type text, ADD COLUMN deviation_reason text,
      ADD COLUMN bounds_effective_from date, ADD COLUMN benchmark_effective_from date`,
    // Extensions of the decision deadline, approved by the agency head.
    `CREATE TABLE case_extensions (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases,
      approved_by text NOT NULL REFERENCES users, reason text NOT NULL, previous_due_at timestamptz NOT NULL,
      new_due_at timestamptz NOT NULL, at timestamptz NOT NULL, CHECK (new_due_at > previous_due_at))`,
    ...appendOnly('case_extensions'),
    // The second officer confirms presence from their own session.
    `ALTER TABLE cases ADD COLUMN presence_confirmed_at timestamptz, ADD COLUMN presence_location jsonb`,
    // What makes an uploaded item evidence: its type, capture time and place, collectors, a person's review.
    `ALTER TABLE case_evidence ADD COLUMN evidence_type text CHECK (evidence_type IN ('photo', 'video', 'audio', 'document', 'measurement')),
      ADD COLUMN captured_at timestamptz, ADD COLUMN capture_location jsonb, ADD COLUMN collectors text[]`,
    `CREATE TABLE evidence_file_reviews (id bigserial PRIMARY KEY, case_id text NOT NULL REFERENCES cases,
      evidence_id text NOT NULL REFERENCES case_evidence, reviewer text NOT NULL REFERENCES users, role text NOT NULL,
      note text, at timestamptz NOT NULL, UNIQUE (evidence_id, reviewer))`,
    ...appendOnly('evidence_file_reviews'),
  ],
};

/**
 * Evidence a decision must rest on, and where it was captured: the kinds of evidence of which a
 * matter's penalty decision needs one valid item (a noise fine rests on a measurement, not on a photo
 * alone), and the reason given for an item captured away from the case's zone.
 */
export const EVIDENCE_RULES_MIGRATION: Migration = {
  version: 23,
  name: 'evidence a decision rests on, capture place reasons',
  up: () => [
    `ALTER TABLE matters ADD COLUMN decision_evidence text[] NOT NULL DEFAULT '{}'
      CHECK (decision_evidence <@ ARRAY['photo', 'video', 'audio', 'document', 'measurement'])`,
    // A noise violation is established by a sound level: a meter's record, an uploaded measurement or a recording.
    `UPDATE matters SET decision_evidence = '{measurement,audio}' WHERE alert_kind = 'noise'`,
    `ALTER TABLE case_evidence ADD COLUMN capture_place_reason text`,
  ],
};

/**
 * A history of certificate versions (migrations 26 and 28), append-only: per holder (`holder`, e.g.
 * `user_id text NOT NULL REFERENCES users`), what the certificate covers (`covers`), its number and
 * validity, who recorded it, when and why; indexed by holder and first day.
 */
export const certificateHistory = (table: string, holder: string, covers: string) => [
  `CREATE TABLE ${table} (id bigserial PRIMARY KEY, ${holder}, ${covers}, certificate_no text NOT NULL, valid_from date NOT NULL,
    valid_until date NOT NULL, reason text, recorded_by text REFERENCES users, recorded_at timestamptz NOT NULL DEFAULT now(), CHECK (valid_until >= valid_from))`,
  `CREATE INDEX ${table}_holder ON ${table} (${holder.split(' ')[0]}, valid_from, id)`,
  ...appendOnly(table),
];

/**
 * Officers' enforcement certificates as history: each certificate (or renewal, or change of domains)
 * is a version valid from one day to another, appended with who recorded it and when; the legal rules
 * read the version in force on the day of the act (legal-rules.ts `certificateOn`). The certificate
 * each officer held becomes their first version, valid from the day before their account was created
 * (the UTC day before, so that the creation day is covered in any timezone; 2000-01-01 for an officer
 * without an account), as nothing recorded when it was issued.
 */
export const OFFICER_CERTIFICATES_MIGRATION: Migration = {
  version: 26,
  name: "officers' certificates with their history",
  up: () => [
    ...certificateHistory('officer_certificates', 'officer_id text NOT NULL REFERENCES officers', 'domains text[] NOT NULL'),
    `INSERT INTO officer_certificates (officer_id, certificate_no, valid_from, valid_until, domains, reason)
      SELECT o.id, o.certificate_no, least(coalesce((u.created_at AT TIME ZONE 'UTC')::date - 1, DATE '2000-01-01'), o.certificate_valid_until),
        o.certificate_valid_until, o.domains, 'the certificate held before certificates had a history (valid from: the day before the account was created)'
      FROM officers o LEFT JOIN users u ON u.id = o.user_id ORDER BY o.id`,
    `ALTER TABLE officers DROP COLUMN certificate_no, DROP COLUMN certificate_valid_until, DROP COLUMN domains`,
  ],
};

/** An extension of the decision deadline beyond the first records the collective discussion that decided it. */
export const EXTENSION_DISCUSSION_MIGRATION: Migration = {
  version: 41,
  name: 'collective discussion of a further deadline extension',
  up: () => [`ALTER TABLE case_extensions ADD COLUMN collective_discussion jsonb`],
};

/**
 * The party access log: every lookup of a party by identifier (GET /api/v1/parties/{id} and …/cases),
 * answered or refused, with who asked, when, for which case and why; append-only, read by admins
 * (GET /api/v1/party-lookups). `case_id` is kept as named, also when no such case was found.
 */
export const PARTY_LOOKUPS_MIGRATION: Migration = {
  version: 42,
  name: 'party access log',
  up: () => [
    `CREATE TABLE party_lookups (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), user_id text NOT NULL REFERENCES users,
      role text NOT NULL, party_id text NOT NULL, case_id text, purpose text, route text NOT NULL CHECK (route IN ('party', 'cases')),
      outcome text NOT NULL)`,
    `CREATE INDEX party_lookups_party ON party_lookups (party_id, id DESC)`,
    `CREATE INDEX party_lookups_user ON party_lookups (user_id, id DESC)`,
    ...appendOnly('party_lookups'),
  ],
};
