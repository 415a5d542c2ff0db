import type pg from 'pg';
import { isSealed, seal, SEALED, unseal } from '../core/secrets.js';

/**
 * Idempotency keys (the `Idempotency-Key` header of state-changing requests): one row per user and
 * key. The first request claims the key; once answered, its status, content type and body are kept
 * and every retry with the same key gets exactly that answer without running again. A claim whose
 * request never finished (the process died in between) may be taken over after `staleAfterS`.
 *
 * A kept answer may carry a secret shown once (a device's or a webhook's secret, a complaint's check
 * code), so bodies are stored sealed with the secrets key (core/secrets.ts), like every other secret
 * in the database: a copy of it reads none of them.
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

const SEALED_PREFIX = Buffer.from(SEALED);
const sealedBody = (body: Buffer) => isSealed(body.subarray(0, SEALED_PREFIX.length).toString('latin1'));

export class IdempotencyRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sealKey: Buffer,
    private readonly staleAfterS = 120,
  ) {}

  private seal(body: Buffer): Buffer {
    return Buffer.from(seal(body.toString('base64'), this.sealKey));
  }

  /** The kept answer, or null when it cannot be read (sealed under another key). Unsealed legacy bodies as they are. */
  private open(body: Buffer): Buffer | null {
    if (!sealedBody(body)) return body;
    try {
      return Buffer.from(unseal(body.toString(), this.sealKey), 'base64');
    } catch {
      return null;
    }
  }

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
    if (row.status !== null) {
      const body = row.body === null ? Buffer.alloc(0) : this.open(row.body);
      if (body) return { kind: 'replay', status: row.status, contentType: row.contentType, body };
      // Kept under a secrets key no longer in use: forgotten, as if pruned; the request runs again.
      await this.pool.query('DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status_code IS NOT NULL', [r.userId, r.key]);
      return this.claim(r);
    }
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
      [userId, key, status, contentType, this.seal(body)],
    );
  }

  /** Seals answers kept unsealed (before bodies were sealed); returns how many. */
  async sealPlain(): Promise<number> {
    const r = await this.pool.query<{ userId: string; key: string; body: Buffer }>(
      `SELECT user_id AS "userId", key, body FROM idempotency_keys WHERE body IS NOT NULL AND substring(body FROM 1 FOR $1) <> $2`,
      [SEALED_PREFIX.length, SEALED_PREFIX],
    );
    for (const row of r.rows) {
      await this.pool.query('UPDATE idempotency_keys SET body = $3 WHERE user_id = $1 AND key = $2 AND body = $4', [row.userId, row.key, this.seal(row.body), row.body]);
    }
    return r.rows.length;
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
