import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { migrate } from '../../core/db/migrate.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { MIGRATIONS } from '../../migrations.js';

/**
 * A PostgreSQL server with TimescaleDB's files installed but the library not in
 * `shared_preload_libraries`: `CREATE EXTENSION timescaledb` then fails FATAL and the server ends that
 * backend. This server has no TimescaleDB, so the test makes the server look like one (the extension
 * listed as available, and in the second case the preload setting claiming it) and, where the real
 * server would end the backend, ends it for real (`pg_terminate_backend` of its own pid: FATAL 57P01,
 * the socket closed). Start-up must fall back to native partitioning on a fresh connection.
 */
const url = process.env.DATABASE_URL;
let scratch: Scratch | undefined;
let pool: pg.Pool | undefined;
afterEach(async () => {
  await pool?.end();
  await scratch?.drop();
  pool = scratch = undefined;
});

interface Seen {
  createAttempts: number;
  fatal: unknown[];
  pids: number[];
}

/** A pool whose connections see an installed, maybe "preloaded" timescaledb that kills the backend on CREATE EXTENSION. */
function installedNotLoaded(real: pg.Pool, claimPreloaded: boolean): { pool: pg.Pool; seen: Seen } {
  const seen: Seen = { createAttempts: 0, fatal: [], pids: [] };
  const connect = async () => {
    const client = await real.connect();
    const query = client.query.bind(client) as (...a: unknown[]) => Promise<pg.QueryResult>;
    const pid = (await query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    seen.pids.push(pid);
    const fake = async (...args: unknown[]) => {
      const sql = typeof args[0] === 'string' ? args[0] : '';
      if (/FROM pg_available_extensions WHERE name = 'timescaledb'/.test(sql)) return { rows: [{ n: 1 }], rowCount: 1 };
      if (claimPreloaded && /^SHOW shared_preload_libraries/.test(sql)) return { rows: [{ shared_preload_libraries: 'pg_stat_statements,timescaledb' }], rowCount: 1 };
      if (/CREATE EXTENSION/i.test(sql)) {
        seen.createAttempts++;
        try {
          return await query('SELECT pg_terminate_backend(pg_backend_pid())');
        } catch (err) {
          seen.fatal.push(err);
          throw err;
        }
      }
      return query(...args);
    };
    Object.assign(client, { query: fake });
    return client;
  };
  const pool = new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'connect') return connect;
      const v: unknown = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { pool, seen };
}

async function partitioned(p: pg.Pool): Promise<boolean> {
  const r = await p.query(`SELECT c.relkind FROM pg_class c WHERE c.relname = 'noise_readings'`);
  return r.rows[0]?.relkind === 'p';
}

describe.skipIf(!url)('TimescaleDB installed but not preloaded on the server', () => {
  it('reads shared_preload_libraries and falls back to native partitions without trying the extension', async () => {
    scratch = await scratchDatabase(url!, 'rp_tsfallback');
    pool = new pg.Pool({ connectionString: scratch.url, max: 3 });
    const { pool: wrapped, seen } = installedNotLoaded(pool, false);
    expect(await migrate(wrapped, createLogger('silent'), MIGRATIONS, { preloadRequired: true })).toBe(false);
    expect(seen.createAttempts).toBe(0);
    expect(await partitioned(pool)).toBe(true);
  });

  it('survives CREATE EXTENSION ending the connection (FATAL) and migrates on a fresh one', async () => {
    scratch = await scratchDatabase(url!, 'rp_tsfallback');
    pool = new pg.Pool({ connectionString: scratch.url, max: 3 });
    const { pool: wrapped, seen } = installedNotLoaded(pool, true);
    expect(await migrate(wrapped, createLogger('silent'), MIGRATIONS, { preloadRequired: true })).toBe(false);
    // The backend really died with FATAL (57P01, admin shutdown) …
    expect(seen.createAttempts).toBe(1);
    expect((seen.fatal[0] as { code?: string }).code).toBe('57P01');
    const alive = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
    expect(alive.rows.map((r) => r.pid)).not.toContain(seen.pids[0]);
    // … and the migrations ran on another connection: the whole schema, on native partitions.
    expect(seen.pids.length).toBeGreaterThanOrEqual(2);
    expect(await partitioned(pool)).toBe(true);
    const applied = await pool.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(applied.rows[0].n).toBe(MIGRATIONS.length);
    // A second start finds everything applied, tries nothing and agrees on the engine.
    expect(await migrate(wrapped, createLogger('silent'), MIGRATIONS, { preloadRequired: true })).toBe(false);
    expect(seen.createAttempts).toBe(1);
  });
});

describe('the preload setting', () => {
  it('recognises timescaledb in any position and form', async () => {
    const { preloadsTimescale } = await import('../../core/db/migrate.js');
    expect(preloadsTimescale('timescaledb')).toBe(true);
    expect(preloadsTimescale('pg_stat_statements, timescaledb')).toBe(true);
    expect(preloadsTimescale('"$libdir/timescaledb"')).toBe(true);
    expect(preloadsTimescale('')).toBe(false);
    expect(preloadsTimescale('pg_stat_statements')).toBe(false);
    expect(preloadsTimescale('timescaledb_toolkit')).toBe(false);
  });
});
