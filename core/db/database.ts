import pg from 'pg';
import path from 'node:path';
import type { Logger } from '../log.js';
import { StartupError } from '../errors.js';
import { startEmbedded, type EmbeddedEngine } from './embedded.js';
import { migrate, type Migration } from './migrate.js';

// int8 (counts, bigserial) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface Database {
  pool: pg.Pool;
  engine: 'embedded' | 'server';
  /** True when the timescaledb extension is installed; false = native partitioning fallback. */
  timescale: boolean;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string;
  dataDir: string;
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Opens the configured database (server or embedded), runs the migrations and reports the engine. */
export async function openDatabase(opts: DatabaseOptions, log: Logger, migrations: readonly Migration[]): Promise<Database> {
  let embedded: EmbeddedEngine | undefined;
  let pool: pg.Pool;
  if (opts.url) {
    pool = new pg.Pool({ connectionString: opts.url, max: 10 });
  } else {
    embedded = await startEmbedded(path.join(opts.dataDir, 'pg'), log);
    // PGlite is a single backend: one connection keeps every statement and transaction in order.
    pool = new pg.Pool({ host: '127.0.0.1', port: embedded.port, user: 'postgres', database: 'postgres', max: 1 });
  }
  pool.on('error', (err) => log.error({ err }, 'idle database connection failed'));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    await embedded?.stop();
    const where = opts.url ? describe(opts.url) : 'the embedded engine';
    throw new StartupError(`Cannot reach the database at ${where} (${(err as Error).message}): check DATABASE_URL`);
  }
  const timescale = await migrate(pool, log, migrations);
  log.info({ engine: opts.url ? 'server' : 'embedded', timescale }, 'database migrated');
  return {
    pool,
    engine: opts.url ? 'server' : 'embedded',
    timescale,
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
