import type { Migration } from '../../core/db/migrate.js';

/** The exchange with external systems (enforcement-api/webhooks): subscribers, their keys, the outbox, inbound ban notices, zone rule history. */
export const WEBHOOK_MIGRATION: Migration = {
  version: 20,
  name: 'webhook subscribers, signing keys and outbox; inbound ban notices; zone rule history',
  up: () => [
    `CREATE TABLE webhook_subscribers (id text PRIMARY KEY, name text NOT NULL, url text NOT NULL,
      event_types text[] NOT NULL, case_kinds text[] NOT NULL DEFAULT '{}', active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(), created_by text NOT NULL)`,
    // Signing keys, sealed with SECRETS_KEY (core/secrets.ts). During a rotation the old key has an
    // expiry and both sign; an expired key is never used again.
    `CREATE TABLE webhook_keys (id bigserial PRIMARY KEY, subscriber_id text NOT NULL REFERENCES webhook_subscribers ON DELETE CASCADE,
      secret text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz)`,
    `CREATE INDEX webhook_keys_subscriber ON webhook_keys (subscriber_id)`,
    // The outbox: one row per message and subscriber, written in the transaction of the case event.
    // The body is fixed at that moment, so every attempt sends the same bytes under the same webhook-id.
    `CREATE TABLE webhook_deliveries (id bigserial PRIMARY KEY, subscriber_id text NOT NULL REFERENCES webhook_subscribers ON DELETE CASCADE,
      message_id text NOT NULL, event_type text NOT NULL, case_id text, body text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
      attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(), lease_until timestamptz,
      last_status integer, last_error text, created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz, dead_at timestamptz, UNIQUE (subscriber_id, message_id))`,
    `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
    `CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, id DESC)`,
    // Inbound webhook-ids seen within the replay window (older ones are refused by their timestamp anyway).
    `CREATE TABLE webhook_inbound_ids (id text PRIMARY KEY, source text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX webhook_inbound_ids_received ON webhook_inbound_ids (received_at)`,
    // What the fishing-ban system told us, as received (the zone rules derive from it).
    `CREATE TABLE ban_notices (id text PRIMARY KEY, kind text NOT NULL, name text NOT NULL, zone_ids text[] NOT NULL,
      geometry jsonb, season_from text, season_until text, withdrawn_at timestamptz, webhook_id text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now())`,
    // Zone rules set by an external system stay when an admin replaces a zone's own list.
    `ALTER TABLE zone_rules ADD COLUMN source text NOT NULL DEFAULT 'admin'`,
    // Every change of a zone rule, by whom or what: the rule history.
    `CREATE TABLE zone_rule_history (seq bigserial PRIMARY KEY, rule_id text NOT NULL, zone_id text,
      action text NOT NULL CHECK (action IN ('set', 'removed')), source text NOT NULL, actor text NOT NULL,
      rule jsonb, at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX zone_rule_history_zone ON zone_rule_history (zone_id, seq)`,
  ],
};
