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

export interface MigrateOptions {
  /**
   * The server loads extensions only through `shared_preload_libraries` (a PostgreSQL server; the
   * embedded engine loads TimescaleDB itself). There, an extension that is installed but not preloaded
   * fails `CREATE EXTENSION` with FATAL, which ends the connection: so the setting is read first.
   */
  preloadRequired: boolean;
}

/** Whether `shared_preload_libraries` names timescaledb (e.g. `'timescaledb'`, `'pg_stat_statements,timescaledb'`). */
export function preloadsTimescale(setting: string): boolean {
  return setting.split(',').some((lib) => /^(\$libdir\/)?timescaledb$/.test(lib.trim().replace(/^"|"$/g, '')));
}

type Attempt = 'created' | 'not-preloaded' | 'failed';

/**
 * Tries to create the extension on `client`. Returns 'failed' when the server refused it; the caller
 * must then treat the client as dead (a FATAL error ends the backend) and go on with a new one.
 */
async function createTimescale(client: pg.PoolClient, log: Logger, opts: MigrateOptions): Promise<Attempt> {
  if (opts.preloadRequired) {
    const preload = await client.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries');
    if (!preloadsTimescale(preload.rows[0]?.shared_preload_libraries ?? '')) {
      log.warn(
        { sharedPreloadLibraries: preload.rows[0]?.shared_preload_libraries },
        "timescaledb is installed but not in shared_preload_libraries: using native partitioning (add shared_preload_libraries = 'timescaledb' and restart the server to use it)",
      );
      return 'not-preloaded';
    }
  }
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return 'created';
  } catch (err) {
    log.warn({ err }, 'timescaledb is available but could not be created; using native partitioning');
    return 'failed';
  }
}

/**
 * Applies pending migrations in version order, each in its own transaction, and returns whether the
 * timescaledb extension is in use. The choice is made once, by the first migration, and stays.
 */
export async function migrate(pool: pg.Pool, log: Logger, migrations: readonly Migration[], opts: MigrateOptions = { preloadRequired: false }): Promise<boolean> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const twice = ordered.find((m, i) => i > 0 && ordered[i - 1]!.version === m.version);
  if (twice) throw new Error(`two migrations claim version ${twice.version}`);
  // A backend ended by the server (FATAL) makes its checked-out client emit 'error' once the query
  // has failed: noted here instead of crashing the process; the client is then thrown away.
  const onError = (err: Error) => log.warn({ err }, 'migration connection closed by the server');
  const locked = async () => {
    const c = await pool.connect();
    c.on('error', onError);
    try {
      await c.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    } catch (err) {
      c.removeListener('error', onError);
      c.release(err as Error);
      throw err;
    }
    return c;
  };
  let client: pg.PoolClient | undefined = await locked();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    if (applied.size === 0 && (await timescaleAvailable(client)) && (await createTimescale(client, log, opts)) === 'failed') {
      // The refusal may have ended the connection (FATAL): drop it from the pool (its session lock
      // goes with its backend, or is released here if it still lives) and carry on with a new one.
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
      const dead = client;
      client = undefined;
      dead.release(true); // keeps its listener: the closed socket may still report after this

      client = await locked();
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
    await client?.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client?.removeListener('error', onError);
    client?.release();
  }
}
