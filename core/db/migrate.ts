import type pg from 'pg';
import type { Logger } from '../log.js';

/**
 * A versioned schema migration. Each returns its statements; `timescale` says whether the extension is
 * installed (hypertables) or not (native range partitioning with a default partition). Never edit an
 * applied migration: add the next one. Each service owns its own (e.g. ingest/migrations.ts); the root
 * (migrations.ts) hands all of them here, and they run in version order.
 */
export interface Migration {
  version: number;
  name: string;
  up(ctx: { timescale: boolean }): string[];
}

const LOCK_KEY = 7_320_114; // advisory lock: one migrator at a time across processes

async function timescaleAvailable(client: pg.PoolClient): Promise<boolean> {
  const r = await client.query(`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'`);
  return (r.rows[0]?.n ?? 0) > 0;
}

/**
 * Applies pending migrations in version order, each in its own transaction, and returns whether the
 * timescaledb extension is in use. The choice is made once, by the first migration, and stays.
 */
export async function migrate(pool: pg.Pool, log: Logger, migrations: readonly Migration[]): Promise<boolean> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const twice = ordered.find((m, i) => i > 0 && ordered[i - 1]!.version === m.version);
  if (twice) throw new Error(`two migrations claim version ${twice.version}`);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    if (applied.size === 0 && (await timescaleAvailable(client))) {
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      } catch (err) {
        log.warn({ err }, 'timescaledb is available but could not be created; using native partitioning');
      }
    }
    const ext = await client.query(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`);
    const timescale = (ext.rows[0]?.n ?? 0) > 0;
    for (const m of ordered) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        for (const statement of m.up({ timescale })) await client.query(statement);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
        log.info({ version: m.version, name: m.name }, 'migration applied');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return timescale;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
