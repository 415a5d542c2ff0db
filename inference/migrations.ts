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
  {
    version: 24,
    name: 'readings judged per device',
    up: () => [
      // How far each device's readings of each stream have been judged (on the device's own clock), by
      // whichever worker held its zone: a worker taking the zone over replays the readings up to here
      // silently (to rebuild windows, tracks and ladders) and judges the newer ones live, so no alert or
      // loudspeaker command is repeated and none is missed. Written in batches; rows of devices not
      // judged for a long time are pruned.
      `CREATE TABLE inference_judged (device_id text NOT NULL, stream text NOT NULL, zone_id text NOT NULL,
        judged_to timestamptz NOT NULL, worker text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device_id, stream))`,
      `CREATE INDEX IF NOT EXISTS inference_judged_zone ON inference_judged (zone_id)`,
      // When a command was stored (database clock): one stored by a worker that died in its last moments
      // and never acknowledged is sent again, under the same id, by the worker taking the zone over.
      `ALTER TABLE device_commands ADD COLUMN IF NOT EXISTS stored_at timestamptz NOT NULL DEFAULT now()`,
    ],
  },
];
