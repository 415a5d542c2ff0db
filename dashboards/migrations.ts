import type { Migration } from '../core/db/migrate.js';
import { dashboardsMigration } from './schema.js';

/** The dashboards' migration; the root (migrations.ts) runs every service's in version order. */
export const DASHBOARDS_MIGRATIONS: Migration[] = [
  { version: 14, name: 'dashboards: read-only views and the grafana_reader role', up: () => dashboardsMigration() },
];
