import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../core/db/transaction.js';
import { seal, unseal } from '../../core/secrets.js';
import type { Delivery, WebhookSubscriber, WebhookCase, WebhookEvidence, WebhookPayload } from '../../contract/http/webhooks.js';
import { messageIdOf, redact, webhookEventType } from './policy.js';
import { newWebhookSecret } from './signature.js';

/**
 * The outbox side, inside the caller's transaction: a case event becomes one delivery row per active
 * subscriber that wants it, with its body fixed now. It exists iff the case change commits; the
 * (subscriber, message id) key makes a second write of the same event a no-op.
 */
export async function enqueueCaseEvent(client: pg.PoolClient, caseId: string, event: { seq: number; at: string; type: string; data: unknown }): Promise<number> {
  const type = webhookEventType(event.type);
  if (!type) return 0;
  const subs = await client.query<{ id: string }>(
    `SELECT s.id FROM webhook_subscribers s, cases c
     WHERE c.id = $1 AND s.active AND ($2 = ANY (s.event_types) OR 'case.*' = ANY (s.event_types))
       AND (cardinality(s.case_kinds) = 0 OR c.kind = ANY (s.case_kinds))`,
    [caseId, type],
  );
  if (subs.rows.length === 0) return 0;
  const c = await client.query<WebhookCase>(
    `SELECT c.id, c.number::int AS number, c.kind, c.zone_id AS "zoneId", z.name AS "zoneName", c.matter_code AS "matterCode",
       c.team_id AS "teamId", c.state, c.title, to_json(c.created_at) #>> '{}' AS "createdAt",
       c.dismissal_reason AS "dismissalReason", c.resolution
     FROM cases c JOIN zones z ON z.id = c.zone_id WHERE c.id = $1`,
    [caseId],
  );
  const alerts = await client.query<WebhookEvidence['alerts'][number]>(
    `SELECT a.id, a.kind, a.device_id AS "deviceId", to_json(a.started_at) #>> '{}' AS "startedAt", to_json(a.detected_at) #>> '{}' AS "detectedAt",
       a.model_version AS "modelVersion", a.evidence->>'summary' AS summary,
       (SELECT count(*)::int FROM evidence_reviews r WHERE r.case_id = c.id AND r.alert_id = a.id) AS reviews
     FROM cases c JOIN alerts a ON a.incident_id = c.incident_id WHERE c.id = $1 ORDER BY a.detected_at, a.id`,
    [caseId],
  );
  const files = await client.query<WebhookEvidence['files'][number]>(
    `SELECT e.id, e.sha256, e.content_type AS "contentType", e.size_bytes AS "sizeBytes", to_json(e.uploaded_at) #>> '{}' AS "uploadedAt",
       (SELECT count(*)::int FROM evidence_file_reviews r WHERE r.evidence_id = e.id) AS reviews
     FROM case_evidence e WHERE e.case_id = $1 ORDER BY e.uploaded_at, e.id`,
    [caseId],
  );
  const row = c.rows[0]!;
  const payload: WebhookPayload = {
    type,
    timestamp: event.at,
    data: {
      case: { ...row, resolution: redact(row.resolution ?? null) },
      event: { seq: event.seq, type: event.type, at: event.at, data: redact(event.data) },
      evidence: { alerts: alerts.rows, files: files.rows },
    },
  };
  const body = JSON.stringify(payload);
  const r = await client.query(
    `INSERT INTO webhook_deliveries (subscriber_id, message_id, event_type, case_id, body)
     SELECT s, $2, $3, $4, $5 FROM unnest($1::text[]) AS s ON CONFLICT (subscriber_id, message_id) DO NOTHING`,
    [subs.rows.map((s) => s.id), messageIdOf(caseId, event.seq), type, caseId, body],
  );
  return r.rowCount ?? 0;
}

/** A delivery claimed by a worker: what to send where. */
export interface ClaimedDelivery {
  id: number;
  subscriberId: string;
  url: string;
  messageId: string;
  body: string;
  attempts: number;
}

const SUBSCRIBER_SELECT = `SELECT s.id, s.name, s.url, s.event_types AS "eventTypes", s.case_kinds AS "caseKinds", s.active,
  to_json(s.created_at) #>> '{}' AS "createdAt",
  coalesce((SELECT json_agg(json_build_object('createdAt', k.created_at, 'expiresAt', k.expires_at) ORDER BY k.id)
    FROM webhook_keys k WHERE k.subscriber_id = s.id AND (k.expires_at IS NULL OR k.expires_at > now())), '[]'::json) AS keys,
  (SELECT count(*)::int FROM webhook_deliveries d WHERE d.subscriber_id = s.id AND d.state = 'pending') AS pending,
  (SELECT count(*)::int FROM webhook_deliveries d WHERE d.subscriber_id = s.id AND d.state = 'dead') AS dead
  FROM webhook_subscribers s`;

const DELIVERY_SELECT = `SELECT d.id::int AS id, d.subscriber_id AS "subscriberId", s.name AS "subscriberName", d.message_id AS "messageId",
  d.event_type AS "eventType", d.case_id AS "caseId", d.state, d.attempts,
  CASE WHEN d.state = 'pending' THEN to_json(d.next_attempt_at) #>> '{}' END AS "nextAttemptAt",
  d.last_status AS "lastStatus", d.last_error AS "lastError", to_json(d.created_at) #>> '{}' AS "createdAt",
  to_json(d.delivered_at) #>> '{}' AS "deliveredAt", to_json(d.dead_at) #>> '{}' AS "deadAt"
  FROM webhook_deliveries d JOIN webhook_subscribers s ON s.id = d.subscriber_id`;

/** Subscribers with their sealed keys, the delivery queue and its dead letters, inbound webhook-ids. */
export class WebhookRepository {
  constructor(
    private readonly pool: pg.Pool,
    /** SECRETS_KEY: signing keys are stored sealed under it. */
    private readonly sealKey: Buffer,
  ) {}

  /** A new subscriber and its first key; the secret is returned here only. */
  async create(s: { name: string; url: string; eventTypes: string[]; caseKinds: string[] }, by: string): Promise<{ subscriber: WebhookSubscriber; secret: string }> {
    const id = randomUUID();
    const secret = newWebhookSecret();
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO webhook_subscribers (id, name, url, event_types, case_kinds, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, s.name, s.url, s.eventTypes, s.caseKinds, by],
      );
      await client.query('INSERT INTO webhook_keys (subscriber_id, secret) VALUES ($1, $2)', [id, seal(secret, this.sealKey)]);
    });
    return { subscriber: (await this.get(id))!, secret };
  }

  async list(): Promise<WebhookSubscriber[]> {
    return (await this.pool.query<WebhookSubscriber>(`${SUBSCRIBER_SELECT} ORDER BY s.created_at, s.id`)).rows;
  }

  async get(id: string): Promise<WebhookSubscriber | null> {
    return (await this.pool.query<WebhookSubscriber>(`${SUBSCRIBER_SELECT} WHERE s.id = $1`, [id])).rows[0] ?? null;
  }

  async update(id: string, patch: Partial<{ name: string; url: string; eventTypes: string[]; caseKinds: string[]; active: boolean }>): Promise<WebhookSubscriber | null> {
    const r = await this.pool.query(
      `UPDATE webhook_subscribers SET name = coalesce($2, name), url = coalesce($3, url), event_types = coalesce($4, event_types),
         case_kinds = coalesce($5, case_kinds), active = coalesce($6, active) WHERE id = $1`,
      [id, patch.name ?? null, patch.url ?? null, patch.eventTypes ?? null, patch.caseKinds ?? null, patch.active ?? null],
    );
    return (r.rowCount ?? 0) === 0 ? null : this.get(id);
  }

  /**
   * A new key; the keys in force until now stay valid for `graceS` more seconds (both sign meanwhile),
   * so receivers can switch to the new secret without losing a message.
   */
  async rotate(id: string, graceS: number): Promise<{ secret: string; previousValidUntil: string } | null> {
    const secret = newWebhookSecret();
    return inTransaction(this.pool, async (client) => {
      const locked = await client.query('SELECT 1 FROM webhook_subscribers WHERE id = $1 FOR UPDATE', [id]);
      if (locked.rows.length === 0) return null;
      const until = await client.query<{ until: string }>(
        `UPDATE webhook_keys SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2))
         WHERE subscriber_id = $1 AND (expires_at IS NULL OR expires_at > now()) RETURNING to_json(now() + make_interval(secs => $2)) #>> '{}' AS until`,
        [id, graceS],
      );
      await client.query('INSERT INTO webhook_keys (subscriber_id, secret) VALUES ($1, $2)', [id, seal(secret, this.sealKey)]);
      const fallback = await client.query<{ until: string }>(`SELECT to_json(now()) #>> '{}' AS until`);
      return { secret, previousValidUntil: until.rows[0]?.until ?? fallback.rows[0]!.until };
    });
  }

  /** The plain secrets of the keys in force, newest first. */
  async secretsOf(subscriberId: string): Promise<string[]> {
    const r = await this.pool.query<{ secret: string }>(
      `SELECT secret FROM webhook_keys WHERE subscriber_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id DESC`,
      [subscriberId],
    );
    return r.rows.map((k) => unseal(k.secret, this.sealKey));
  }

  /**
   * Takes up to `limit` due deliveries for `leaseS` seconds. SKIP LOCKED and the lease keep several
   * API replicas from sending one message at once; a worker that dies mid-send leaves its lease to
   * run out, and the message is sent again (same webhook-id) by whoever claims it next.
   */
  async claim(limit: number, leaseS: number): Promise<ClaimedDelivery[]> {
    const r = await this.pool.query<ClaimedDelivery>(
      `UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
       FROM webhook_subscribers s
       WHERE s.id = d.subscriber_id AND d.id IN (
         SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now())
         ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING d.id::int AS id, d.subscriber_id AS "subscriberId", s.url, d.message_id AS "messageId", d.body, d.attempts`,
      [limit, leaseS],
    );
    return r.rows;
  }

  /** Whether the subscriber still takes messages (a paused one keeps its queue). */
  async subscriberActive(id: string): Promise<boolean> {
    return (await this.pool.query<{ active: boolean }>('SELECT active FROM webhook_subscribers WHERE id = $1', [id])).rows[0]?.active === true;
  }

  async delivered(d: ClaimedDelivery, status: number): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), last_status = $3, last_error = NULL, lease_until = NULL
       WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
      [d.id, d.attempts, status],
    );
  }

  /** A failed attempt: retried after `retryInMs`, or dead-lettered when `dead`. */
  async failed(d: ClaimedDelivery, outcome: { status: number | null; error: string; dead: boolean; retryInMs: number }): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries SET last_status = $3, last_error = $4, lease_until = NULL,
         state = CASE WHEN $5 THEN 'dead' ELSE 'pending' END, dead_at = CASE WHEN $5 THEN now() END,
         next_attempt_at = now() + make_interval(secs => $6::double precision / 1000)
       WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
      [d.id, d.attempts, outcome.status, outcome.error.slice(0, 500), outcome.dead, outcome.retryInMs],
    );
  }

  /** Hands a claimed delivery back untried (its subscriber was paused meanwhile). */
  async release(d: ClaimedDelivery): Promise<void> {
    await this.pool.query(`UPDATE webhook_deliveries SET lease_until = NULL, attempts = attempts - 1, next_attempt_at = now() + interval '1 minute' WHERE id = $1 AND attempts = $2`, [d.id, d.attempts]);
  }

  async deliveries(q: { state?: string; subscriberId?: string; limit: number }): Promise<Delivery[]> {
    const r = await this.pool.query<Delivery>(
      `${DELIVERY_SELECT} WHERE ($1::text IS NULL OR d.state = $1) AND ($2::text IS NULL OR d.subscriber_id = $2) ORDER BY d.id DESC LIMIT $3`,
      [q.state ?? null, q.subscriberId ?? null, q.limit],
    );
    return r.rows;
  }

  /** A dead letter back in the queue, due now, with a fresh attempt budget (same message id and body). */
  async retry(id: number): Promise<Delivery | null | 'not_dead'> {
    const r = await this.pool.query(
      `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), dead_at = NULL, lease_until = NULL
       WHERE id = $1 AND state = 'dead'`,
      [id],
    );
    const row = (await this.pool.query<Delivery>(`${DELIVERY_SELECT} WHERE d.id = $1`, [id])).rows[0] ?? null;
    if (!row) return null;
    return (r.rowCount ?? 0) === 0 ? 'not_dead' : row;
  }

  /** Records an inbound webhook-id; false when it was seen before (a replay). Ids older than `keepS` are forgotten. */
  async firstSighting(id: string, source: string, keepS: number): Promise<boolean> {
    await this.pool.query(`DELETE FROM webhook_inbound_ids WHERE received_at < now() - make_interval(secs => $1)`, [keepS]);
    const r = await this.pool.query('INSERT INTO webhook_inbound_ids (id, source) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, source]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Forgets an inbound webhook-id whose message could not be applied, so the sender's retry is taken. */
  async forget(id: string): Promise<void> {
    await this.pool.query('DELETE FROM webhook_inbound_ids WHERE id = $1', [id]);
  }

  /** Deliveries waiting and dead, for the gauges. */
  async counts(): Promise<{ pending: number; dead: number }> {
    const r = await this.pool.query<{ pending: number; dead: number }>(
      `SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending, count(*) FILTER (WHERE state = 'dead')::int AS dead FROM webhook_deliveries`,
    );
    return r.rows[0] ?? { pending: 0, dead: 0 };
  }
}

/** Records (or updates) a ban notice as received, in the transaction that applies its rules. */
export async function recordBanNotice(client: pg.PoolClient, n: { id: string; kind: string; name: string; zoneIds: string[]; geometry: unknown; from: string | null; until: string | null }, webhookId: string): Promise<void> {
  await client.query(
    `INSERT INTO ban_notices (id, kind, name, zone_ids, geometry, season_from, season_until, webhook_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET kind = $2, name = $3, zone_ids = $4, geometry = $5, season_from = $6, season_until = $7,
       webhook_id = $8, withdrawn_at = NULL, received_at = now()`,
    [n.id, n.kind, n.name, n.zoneIds, n.geometry == null ? null : JSON.stringify(n.geometry), n.from, n.until, webhookId],
  );
}

/** Marks a notice withdrawn; false when there is no such notice. */
export async function withdrawBanNotice(client: pg.PoolClient, id: string, webhookId: string): Promise<boolean> {
  const r = await client.query(`UPDATE ban_notices SET withdrawn_at = now(), webhook_id = $2 WHERE id = $1`, [id, webhookId]);
  return (r.rowCount ?? 0) > 0;
}
