import pg from 'pg';

/** Whether a PostgreSQL server answers at `url` (tests needing a server skip with a message when not). */
export async function pgReachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
