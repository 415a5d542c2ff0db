import type { Migration } from '../core/db/migrate.js';

/** Inference's migrations; the root (migrations.ts) runs every service's in version order. */
export const INFERENCE_MIGRATIONS: Migration[] = [
  {
    version: 13,
    name: 'registered model versions',
    up: () => [
      // Every model version inference found in its folders, with its card: what the API lists and may
      // roll out, so API replicas need no model files.
      `CREATE TABLE model_versions (name text NOT NULL, version text NOT NULL, card jsonb NOT NULL,
        registered_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (name, version))`,
    ],
  },
  {
    version: 22,
    name: 'zone leases of inference workers',
    up: () => [
      // Each zone is judged by one worker at a time: the worker holding its unexpired lease (times on
      // the database's clock, so workers' clocks do not matter). Workers announce themselves so each
      // can take its fair share.
      `CREATE TABLE inference_workers (id text PRIMARY KEY, expires_at timestamptz NOT NULL, started_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE inference_leases (zone_id text PRIMARY KEY REFERENCES zones ON DELETE CASCADE, owner text NOT NULL,
        expires_at timestamptz NOT NULL, taken_at timestamptz NOT NULL DEFAULT now(), takeovers integer NOT NULL DEFAULT 0)`,
      // Loudspeaker commands are found by device and time (cooldowns) and by alert (ladders).
      `CREATE INDEX IF NOT EXISTS device_commands_device_sent ON device_commands (device_id, sent_at)`,
    ],
  },
];
