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
  /**
   * A pool of `max` connections for one service alone (closed with the database), so its writes
   * never queue behind the others' queries; on the embedded engine, a single backend, the shared pool.
   */
  ownPool(max: number): pg.Pool;
  close(): Promise<void>;
}

/** How long a readiness probe waits for the database before it reports it unavailable. */
const PING_TIMEOUT_MS = 2000;

/**
 * PGlite serves every connection from one backend, so a statement prepared under a name by one pool
 * connection still exists when the pool opens the next one, and preparing it again fails (`prepared
 * statement "…" already exists`) for every write from then on. On the embedded engine queries go
 * unnamed (parsed per execution; the engine is in-process, so the saving was small anyway).
 */
function unnamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const unnamed = (config: unknown, ...rest: unknown[]) =>
    query(typeof config === 'object' && config !== null && Object.getPrototypeOf(config) === Object.prototype && 'name' in config ? { ...config, name: undefined } : config, ...rest);
  Object.assign(client, { query: unnamed });
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
    pool = new pg.Pool({ host: embedded.socketDir, port: embedded.port, user: 'postgres', database: 'postgres', max: 1 });
    pool.on('connect', unnamedStatements);
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
  const timescale = await migrate(pool, log, migrations, { preloadRequired: opts.url !== undefined });
  const own: pg.Pool[] = [];
  log.info({ engine: opts.url ? 'server' : 'embedded', timescale }, 'database migrated');
  return {
    pool,
    engine: opts.url ? 'server' : 'embedded',
    timescale,
    /** False when the database errs or does not answer within PING_TIMEOUT_MS (a wedged engine). */
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)));
      const query = pool.query('SELECT 1').then(() => true, () => false);
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    ownPool(max) {
      if (!opts.url) return pool;
      const p = new pg.Pool({ connectionString: opts.url, max });
      p.on('error', (err) => log.error({ err }, 'idle database connection failed'));
      own.push(p);
      return p;
    },
    async close() {
      await Promise.all(own.map((p) => p.end()));
      await pool.end();
      await embedded?.stop();
    },
  };
}
