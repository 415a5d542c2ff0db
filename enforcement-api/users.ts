import type pg from 'pg';
import { verifyPassword } from '../core/secrets.js';

export { ROLES, type Role } from '../contract/http/auth.js';
import type { User } from '../contract/http/auth.js';
export type { User };

const USER_COLUMNS = `id, username, role, team_id AS "teamId", display_name AS "displayName", name_zh AS "displayNameZh", review_post_id AS "reviewPostId",
  (SELECT x.name FROM teams x WHERE x.id = users.team_id) AS "teamName",
  (SELECT x.name_zh FROM teams x WHERE x.id = users.team_id) AS "teamNameZh",
  (SELECT p.name FROM review_posts p WHERE p.id = users.review_post_id) AS "reviewPostName",
  (SELECT p.name_zh FROM review_posts p WHERE p.id = users.review_post_id) AS "reviewPostNameZh"`;

export class UserRepository {
  constructor(private readonly pool: pg.Pool) {}

  async get(id: string): Promise<User | null> {
    const r = await this.pool.query<User>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`,
      [id],
    );
    return r.rows[0] ?? null;
  }

  /** The user if the password matches; null otherwise (same answer for unknown users). */
  async authenticate(username: string, password: string): Promise<User | null> {
    const r = await this.pool.query<User & { hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash AS hash FROM users WHERE username = $1`,
      [username],
    );
    const row = r.rows[0];
    if (!row) {
      await verifyPassword(password, DUMMY_HASH); // same work either way: no user enumeration by timing
      return null;
    }
    if (!(await verifyPassword(password, row.hash))) return null;
    const { hash: _hash, ...user } = row;
    return user;
  }
}

// scrypt hash of a random string; only used to spend the same time on unknown usernames.
const DUMMY_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$0000000000000000000000000000000000000000000=';
