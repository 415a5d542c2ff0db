import type pg from 'pg';

/**
 * Idempotency keys (the `Idempotency-Key` header of state-changing requests): one row per user and
 * key. The first request claims the key; once answered, its status, content type and body are kept
 * and every retry with the same key gets exactly that answer without running again. A claim whose
 * request never finished (the process died in between) may be taken over after `staleAfterS`.
 */
export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; contentType: string | null; body: Buffer }
  | { kind: 'in_progress' }
  | { kind: 'mismatch'; method: string; path: string };

export interface ClaimRequest {
  userId: string;
  key: string;
  method: string;
  path: string;
  /** SHA-256 of method, path and body: the same key with another request is refused, not replayed. */
  requestHash: string;
}

export class IdempotencyRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly staleAfterS = 120,
  ) {}

  async claim(r: ClaimRequest): Promise<Claim> {
    const inserted = await this.pool.query(
      `INSERT INTO idempotency_keys (user_id, key, method, path, request_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
      [r.userId, r.key, r.method, r.path, r.requestHash],
    );
    if (inserted.rowCount === 1) return { kind: 'new' };
    const found = await this.pool.query<{ method: string; path: string; requestHash: string; status: number | null; contentType: string | null; body: Buffer | null; stale: boolean }>(
      `SELECT method, path, request_hash AS "requestHash", status_code AS status, content_type AS "contentType", body,
              created_at < now() - make_interval(secs => $3) AS stale
       FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
      [r.userId, r.key, this.staleAfterS],
    );
    const row = found.rows[0];
    if (!row) return this.claim(r); // released in between: claim it afresh
    if (row.requestHash !== r.requestHash) return { kind: 'mismatch', method: row.method, path: row.path };
    if (row.status !== null) return { kind: 'replay', status: row.status, contentType: row.contentType, body: row.body ?? Buffer.alloc(0) };
    if (!row.stale) return { kind: 'in_progress' };
    const taken = await this.pool.query(
      `UPDATE idempotency_keys SET created_at = now() WHERE user_id = $1 AND key = $2 AND status_code IS NULL
         AND created_at < now() - make_interval(secs => $3) RETURNING key`,
      [r.userId, r.key, this.staleAfterS],
    );
    return taken.rowCount === 1 ? { kind: 'new' } : { kind: 'in_progress' };
  }

  async complete(userId: string, key: string, status: number, contentType: string | null, body: Buffer): Promise<void> {
    await this.pool.query(
      `UPDATE idempotency_keys SET status_code = $3, content_type = $4, body = $5, completed_at = now()
       WHERE user_id = $1 AND key = $2 AND status_code IS NULL`,
      [userId, key, status, contentType, body],
    );
  }

  /** The request failed on the server's side (5xx): the client may retry with the same key. */
  async release(userId: string, key: string): Promise<void> {
    await this.pool.query('DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status_code IS NULL', [userId, key]);
  }

  /** Drops keys older than `hours`; returns how many. */
  async prune(hours: number): Promise<number> {
    const r = await this.pool.query(`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`, [hours]);
    return r.rowCount ?? 0;
  }
}
