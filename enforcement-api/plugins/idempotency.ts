import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../errors.js';
import type { IdempotencyRepository } from '../idempotency.js';
import type { Metrics } from '../../core/metrics.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY = /^[\x21-\x7e]{1,200}$/;
/** How long a key is remembered; a tablet offline longer than this should not retry blindly anyway. */
export const IDEMPOTENCY_RETENTION_H = 7 * 24;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { userId: string; key: string };
  }
}

function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * `Idempotency-Key` on every state-changing request of a signed-in user (transitions, evidence,
 * verdicts, reviews, registry changes): the key is stored per user; a retry with the same key returns
 * the first answer (status and body, header `Idempotent-Replayed: true`) without running again; the
 * same key with another request is 422 IDEMPOTENCY_KEY_REUSED, and a retry while the first is still
 * running 409 IDEMPOTENCY_IN_PROGRESS. 5xx answers are not kept (the retry runs). Requests without
 * the header behave as before. Login, refresh and logout are not covered (their answers are secrets).
 *
 * The check runs as the last preHandler of each route, after its authentication, so a request that
 * is refused before it (401, 400 validation) claims nothing.
 */
export default fp(
  async (app, opts: { repo: IdempotencyRepository; metrics: Metrics }) => {
    const outcomes = opts.metrics.counter('api_idempotency_total', 'requests with an Idempotency-Key, by outcome', ['outcome']);

    const check: preHandlerAsyncHookHandler = async (req: FastifyRequest, reply: FastifyReply) => {
      const header = req.headers['idempotency-key'];
      if (header === undefined) return;
      const user = req.user as { sub?: unknown } | null | undefined;
      if (!user || typeof user.sub !== 'string') return;
      const key = Array.isArray(header) ? header[0] : header;
      if (!key || !KEY.test(key)) {
        outcomes.inc({ outcome: 'invalid' });
        throw new AppError(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1–200 printable ASCII characters');
      }
      const requestHash = createHash('sha256').update(`${req.method} ${req.url}\n`).update(bodyBytes(req.body)).digest('hex');
      const claim = await opts.repo.claim({ userId: user.sub, key, method: req.method, path: req.url, requestHash });
      switch (claim.kind) {
        case 'new':
          req.idempotency = { userId: user.sub, key };
          outcomes.inc({ outcome: 'first' });
          return;
        case 'replay':
          outcomes.inc({ outcome: 'replayed' });
          await reply.status(claim.status).header('idempotent-replayed', 'true').type(claim.contentType ?? 'application/json; charset=utf-8').send(claim.body);
          return reply;
        case 'in_progress':
          outcomes.inc({ outcome: 'in_progress' });
          throw new AppError(409, 'IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still being handled; retry later');
        case 'mismatch':
          outcomes.inc({ outcome: 'reused' });
          throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', `this Idempotency-Key was used for another request (${claim.method} ${claim.path})`);
        default: {
          const never: never = claim;
          throw new Error(`unknown claim ${String(never)}`);
        }
      }
    };

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.some((m) => STATE_CHANGING.has(m))) return;
      const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
      route.preHandler = [...existing, check];
    });

    app.addHook('onSend', async (req, reply, payload) => {
      const claim = req.idempotency;
      if (!claim) return payload;
      req.idempotency = undefined;
      if (reply.statusCode >= 500 || (payload !== null && payload !== undefined && typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
        await opts.repo.release(claim.userId, claim.key);
        return payload;
      }
      const type = reply.getHeader('content-type');
      await opts.repo.complete(claim.userId, claim.key, reply.statusCode, typeof type === 'string' ? type : null, bodyBytes(payload));
      return payload;
    });

    // A request that ended without an answer (client gone, error before onSend) frees its key.
    app.addHook('onResponse', async (req) => {
      const claim = req.idempotency;
      if (claim) await opts.repo.release(claim.userId, claim.key);
    });

    const prune = () => opts.repo.prune(IDEMPOTENCY_RETENTION_H).catch((err: unknown) => app.log.warn({ err }, 'pruning idempotency keys failed'));
    const timer = setInterval(() => void prune(), 3_600_000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
    await prune();
    // Answers kept unsealed by an older version are sealed once, at start.
    const sealed = await opts.repo.sealPlain();
    if (sealed > 0) app.log.info({ answers: sealed }, 'kept idempotent answers sealed');
  },
  { name: 'idempotency', dependencies: ['auth'] },
);
