import type { Migration } from './core/db/migrate.js';
import { ENFORCEMENT_MIGRATIONS } from './enforcement-api/migrations.js';
import { INGEST_MIGRATIONS } from './ingest/migrations.js';
import { INFERENCE_MIGRATIONS } from './inference/migrations.js';
import { DASHBOARDS_MIGRATIONS } from './dashboards/migrations.js';

/** Every service's schema migrations; openDatabase runs them in version order. */
export const MIGRATIONS: readonly Migration[] = [...ENFORCEMENT_MIGRATIONS, ...INGEST_MIGRATIONS, ...INFERENCE_MIGRATIONS, ...DASHBOARDS_MIGRATIONS];
