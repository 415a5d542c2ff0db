import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../core/db/transaction.js';

/**
 * Refresh tokens: opaque random strings, stored only as SHA-256, each good for one use. Refreshing
 * rotates the token (the old one is revoked, a new one of the same family issued); presenting a token
 * that was already used means it was copied, so the whole family — the thief's and the owner's — is
 * revoked and both must log in again. Logging out revokes the family.
 */
export type RefreshResult =
  | { ok: true; userId: string; token: string; expiresAt: Date; sessionId: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'reused' };

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

/**
 * How long a session found live is believed without asking the database again. A revocation in this
 * process applies at once; one made by another API process, within this time.
 */
const ACTIVE_CACHE_MS = 2000;

/**
 * The session (token family) is also the access token's `sid`: every access token names its session,
 * and is refused as soon as the session is revoked (logout, or a refresh token used twice).
 */
export class SessionRepository {
  private readonly active = new Map<string, number>();
  private readonly revokedListeners = new Set<(sessionId: string) => void>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlS: number,
  ) {}

  /** A new family for a fresh login (the user's tokens expired for a day are dropped on the way). */
  async issue(userId: string): Promise<{ token: string; expiresAt: Date; sessionId: string }> {
    const token = newToken();
    const sessionId = randomUUID();
    const expiresAt = new Date(Date.now() + this.ttlS * 1000);
    await this.pool.query(`DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at < now() - interval '1 day'`, [userId]);
    await this.pool.query('INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)', [hash(token), userId, sessionId, expiresAt]);
    return { token, expiresAt, sessionId };
  }

  /** True while the session has a refresh token not revoked (rotation keeps one; logout and reuse revoke all). */
  async isActive(sessionId: string): Promise<boolean> {
    const seen = this.active.get(sessionId);
    if (seen !== undefined && Date.now() - seen < ACTIVE_CACHE_MS) return true;
    const r = await this.pool.query<{ live: boolean }>('SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL) AS live', [sessionId]);
    const live = r.rows[0]?.live === true;
    if (live) {
      if (this.active.size > 10_000) this.active.clear();
      this.active.set(sessionId, Date.now());
    } else this.active.delete(sessionId);
    return live;
  }

  /** Calls `fn` with each session revoked by this process (open live streams end at once). */
  onRevoked(fn: (sessionId: string) => void): () => void {
    this.revokedListeners.add(fn);
    return () => this.revokedListeners.delete(fn);
  }

  private revoked(sessionId: string | undefined): void {
    if (!sessionId) return;
    this.active.delete(sessionId);
    for (const fn of this.revokedListeners) fn(sessionId);
  }

  /** Trades a refresh token for a new one (one transaction, the row locked: two racing uses cannot both win). */
  async rotate(token: string): Promise<RefreshResult> {
    const result: RefreshResult | { ok: false; reason: 'reused'; sessionId: string } = await inTransaction(this.pool, async (client) => {
      const r = await client.query<{ userId: string; familyId: string; expiresAt: Date; revokedAt: Date | null }>(
        `SELECT user_id AS "userId", family_id AS "familyId", expires_at AS "expiresAt", revoked_at AS "revokedAt"
         FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hash(token)],
      );
      const row = r.rows[0];
      if (!row) return { ok: false, reason: 'unknown' } as const;
      if (row.revokedAt) {
        await client.query('UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family_id = $1', [row.familyId]);
        return { ok: false, reason: 'reused', sessionId: row.familyId } as const;
      }
      if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' } as const;
      const next = newToken();
      const expiresAt = new Date(Date.now() + this.ttlS * 1000);
      await client.query('UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1', [hash(token)]);
      await client.query('INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)', [hash(next), row.userId, row.familyId, expiresAt]);
      return { ok: true, userId: row.userId, token: next, expiresAt, sessionId: row.familyId } as const;
    });
    if (!result.ok && 'sessionId' in result) this.revoked(result.sessionId);
    return result;
  }

  /** Revokes the token's whole family (logout); unknown tokens are ignored. */
  async revoke(token: string): Promise<void> {
    const r = await this.pool.query<{ familyId: string }>(
      `UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) RETURNING family_id AS "familyId"`,
      [hash(token)],
    );
    this.revoked(r.rows[0]?.familyId);
  }
}
