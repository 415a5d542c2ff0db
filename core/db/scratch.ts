import pg from 'pg';

/**
 * A scratch database on a PostgreSQL server, for a test run or a benchmark: created under a unique
 * name next to the one `url` names, and dropped (forcing out any connection left) by `drop()`.
 */
export interface Scratch {
  url: string;
  drop(): Promise<void>;
}

/** `template`: a database on the same server to copy (none may be connected to it meanwhile). */
export async function scratchDatabase(url: string, prefix: string, template?: string): Promise<Scratch> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${pg.escapeIdentifier(template)}` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
