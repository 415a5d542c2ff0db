import type { Migration } from '../core/db/migrate.js';
import { appendOnly, certificateHistory } from './migrations-legal.js';

/**
 * Inspections (enforcement-api/inspections/): the published checklist as versions by effective date
 * (changes on the catalogue's change log), registered inspectors, market entities linked to parties,
 * their credit colour with its history, random inspection plans (seed commitment, then seed and draw),
 * inspections with their two inspectors, results and follow-up cases, and refused openings.
 */
export const INSPECTIONS_MIGRATION: Migration = {
  version: 21,
  name: 'inspection checklist, inspectors, market entities and credit, random plans, inspections',
  up: () => [
    // One version of an item from its effective date; `withdrawn` ends it. The item in force on a day
    // is its latest version from on or before that day, unless that version withdraws it.
    `CREATE TABLE inspection_item_versions (code text NOT NULL, effective_from date NOT NULL,
      matter_code text NOT NULL REFERENCES matters, title text NOT NULL, checks text[] NOT NULL,
      legal_basis text NOT NULL, inspector_domain text NOT NULL, entity_kinds text[] NOT NULL,
      withdrawn boolean NOT NULL DEFAULT false, PRIMARY KEY (code, effective_from))`,
    `CREATE TABLE inspectors (user_id text PRIMARY KEY REFERENCES users, certificate_no text NOT NULL UNIQUE,
      valid_from date NOT NULL, valid_until date NOT NULL, items text[] NOT NULL, CHECK (valid_until >= valid_from))`,
    `CREATE TABLE market_entities (id text PRIMARY KEY, name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('vendor', 'restaurant', 'construction_site', 'boat_operator')),
      party_id text REFERENCES parties, zone_id text NOT NULL REFERENCES zones, address text,
      created_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX market_entities_party ON market_entities (party_id)`,
    // Every computation of an entity's colour: its inputs, reasons and what triggered it (history).
    `CREATE TABLE entity_credit (id bigserial PRIMARY KEY, entity_id text NOT NULL REFERENCES market_entities,
      colour text NOT NULL CHECK (colour IN ('green', 'yellow', 'red')), points integer NOT NULL, record jsonb NOT NULL,
      reasons jsonb NOT NULL, trigger text NOT NULL CHECK (trigger IN ('schedule', 'demand')), period text NOT NULL,
      computed_by text, computed_at timestamptz NOT NULL)`,
    `CREATE INDEX entity_credit_latest ON entity_credit (entity_id, id DESC)`,
    `CREATE INDEX entity_credit_period ON entity_credit (trigger, period)`,
    ...appendOnly('entity_credit'),
    // A plan: its inputs and the seed's SHA-256 published at creation; the seed itself after the draw.
    `CREATE TABLE inspection_plans (id text PRIMARY KEY, number bigserial UNIQUE, colour text NOT NULL CHECK (colour IN ('yellow', 'red')),
      period text NOT NULL, period_from date NOT NULL, period_to date NOT NULL, rate double precision NOT NULL CHECK (rate >= 0 AND rate <= 1),
      inputs jsonb NOT NULL, commitment text NOT NULL, seed text, created_by text NOT NULL REFERENCES users,
      created_at timestamptz NOT NULL, drawn_at timestamptz, draw jsonb, UNIQUE (colour, period))`,
    `CREATE TABLE inspections (id text PRIMARY KEY, number bigserial UNIQUE, plan_id text REFERENCES inspection_plans,
      entity_id text NOT NULL REFERENCES market_entities, item_code text NOT NULL,
      reason text NOT NULL CHECK (reason IN ('random', 'complaint', 'case')), justifying_case_id text REFERENCES cases, complaint_ref text,
      assigned text[] NOT NULL DEFAULT '{}',
      state text NOT NULL CHECK (state IN ('planned', 'opened', 'in_progress', 'closed')),
      lead_inspector text REFERENCES users, second_inspector text REFERENCES users, opened_at timestamptz, opened_location jsonb,
      second_confirmed_at timestamptz, outcome text CHECK (outcome IN ('compliant', 'violations', 'corrected_on_site', 'not_inspected')),
      findings jsonb, summary text, follow_up_case_id text REFERENCES cases, closed_at timestamptz,
      created_by text NOT NULL, created_at timestamptz NOT NULL)`,
    `CREATE INDEX inspections_entity_item ON inspections (entity_id, item_code, opened_at DESC)`,
    `CREATE INDEX inspections_state ON inspections (state)`,
    // Refused openings (and other refused inspection steps): who, what, with the stable code.
    `CREATE TABLE inspection_refusals (id bigserial PRIMARY KEY, at timestamptz NOT NULL, user_id text NOT NULL,
      inspection_id text, entity_id text, item_code text, code text NOT NULL, message text NOT NULL)`,
    ...appendOnly('inspection_refusals'),
  ],
};

/**
 * Inspectors' registrations as history, as officers' certificates (migration 26): each registration
 * or change (certificate, validity, items) is a version from its `validFrom`, appended with who
 * recorded it and when; the one in force on a day is the one with the latest `validFrom` on or before
 * it (of equal `validFrom`, the later recorded). The registrations held become the first versions.
 */
export const INSPECTOR_REGISTRATIONS_MIGRATION: Migration = {
  version: 28,
  name: "inspectors' registrations with their history",
  up: () => [
    ...certificateHistory('inspector_registrations', 'user_id text NOT NULL REFERENCES users', 'items text[] NOT NULL'),
    `INSERT INTO inspector_registrations (user_id, certificate_no, valid_from, valid_until, items, reason)
      SELECT user_id, certificate_no, valid_from, valid_until, items, 'the registration held before registrations had a history' FROM inspectors ORDER BY user_id`,
    `DROP TABLE inspectors`,
  ],
};
