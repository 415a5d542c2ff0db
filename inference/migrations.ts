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
];
