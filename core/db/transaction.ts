import type pg from 'pg';

/**
 * Runs `fn` on one pooled connection inside BEGIN … COMMIT, rolling back (and rethrowing) on any error.
 * `fn` must use only the client it is given: on the embedded engine the pool has one connection, so a
 * pool.query inside would wait for this transaction forever.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
