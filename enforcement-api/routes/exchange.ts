import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { InboundAccepted, InboundBan, InboundHeaders, WEBHOOK_HEADERS } from '../../contract/http/webhooks.js';
import type { Metrics } from '../../core/metrics.js';
import type { ZoneRuleRepository } from '../../core/repos/zone-rules.js';
import { AppError } from '../errors.js';
import type { ZoneRepository } from '../zones.js';
import { BAN_SOURCE, banRulePrefix, banRules, noticeProblem, zonesCovered } from '../webhooks/ban-rules.js';
import { recordBanNotice, withdrawBanNotice, type WebhookRepository } from '../webhooks/repository.js';
import { verify, type VerifyFailure } from '../webhooks/signature.js';

const errors = { 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 503: { $ref: 'Error#' } };

export interface ExchangeRouteOptions {
  /** FISHING_BAN_INBOUND_SECRETS: the sender's whsec_ secrets (two while it rotates); none = endpoint closed. */
  secrets: readonly string[];
  /** WEBHOOK_TOLERANCE_S: how far a webhook-timestamp may be from our clock. */
  toleranceS: number;
  repo: WebhookRepository;
  zones: ZoneRepository;
  rules: ZoneRuleRepository;
  rulesChanged: () => Promise<void>;
  metrics: Metrics;
}

const REFUSALS: Record<VerifyFailure, [number, string, string]> = {
  headers_missing: [400, 'WEBHOOK_HEADERS_MISSING', 'webhook-id, webhook-timestamp and webhook-signature are required'],
  timestamp_invalid: [400, 'WEBHOOK_TIMESTAMP_INVALID', 'webhook-timestamp must be whole seconds since the epoch'],
  timestamp_expired: [401, 'WEBHOOK_TIMESTAMP_EXPIRED', 'webhook-timestamp is outside the tolerance window'],
  signature_invalid: [401, 'WEBHOOK_SIGNATURE_INVALID', 'no webhook-signature matches the body under our keys'],
};

const header = (req: FastifyRequest, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(' ') : v;
};

/**
 * The inbound side of the exchange: the fishing-ban system posts ban seasons and closed stretches,
 * signed the Standard Webhooks way. The signature is checked on the raw body before anything else,
 * then the webhook-id against those seen (replays refused), then the body. A notice becomes zone
 * rules (with the rule history) and inference is told at once, so detection follows the ban calendar
 * without a restart.
 */
const routes: FastifyPluginAsyncTypebox<ExchangeRouteOptions> = async (app, opts) => {
  const outcomes = opts.metrics.counter('webhook_inbound_total', 'inbound webhooks, by outcome', ['source', 'outcome']);
  const count = (outcome: string) => outcomes.inc({ source: BAN_SOURCE, outcome });
  const raw = new WeakMap<FastifyRequest, string>();
  // This plugin's scope only: the body stays text until its signature is checked.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    raw.set(req, body as string);
    done(null, body);
  });

  app.post('/api/v1/exchange/fishing-ban', {
    attachValidation: true,
    schema: {
      tags: ['exchange'],
      summary: 'Ban seasons and closed stretches from the fishing-ban system (Standard Webhooks signature, no bearer token)',
      headers: InboundHeaders,
      body: InboundBan,
      response: { 200: InboundAccepted, ...errors },
    },
    preValidation: async (req) => {
      if (opts.secrets.length === 0) {
        count('not_configured');
        throw new AppError(503, 'EXCHANGE_NOT_CONFIGURED', 'no inbound secret is configured (FISHING_BAN_INBOUND_SECRETS)');
      }
      const body = raw.get(req) ?? '';
      const v = verify(opts.secrets, { id: header(req, WEBHOOK_HEADERS.id), timestamp: header(req, WEBHOOK_HEADERS.timestamp), signature: header(req, WEBHOOK_HEADERS.signature), body }, Math.floor(Date.now() / 1000), opts.toleranceS);
      if (!v.ok) {
        count(v.reason);
        const [status, code, message] = REFUSALS[v.reason];
        throw new AppError(status, code, message);
      }
      if (!(await opts.repo.firstSighting(v.id, BAN_SOURCE, opts.toleranceS * 2 + 60))) {
        count('replayed');
        throw new AppError(409, 'WEBHOOK_REPLAYED', `webhook-id ${v.id} was already received`);
      }
      try {
        req.body = JSON.parse(body) as typeof req.body;
      } catch {
        await opts.repo.forget(v.id);
        count('invalid');
        throw new AppError(400, 'VALIDATION', 'body is not JSON');
      }
    },
  }, async (req) => {
    const id = header(req, WEBHOOK_HEADERS.id)!;
    try {
      if (req.validationError) throw new AppError(400, 'VALIDATION', req.validationError.message);
      const msg = req.body;
      const actor = `${BAN_SOURCE}:${id}`;
      let out: { id: string; action: 'upserted' | 'withdrawn'; zoneIds: string[]; rules: string[] };
      if (msg.type === 'ban.upserted') {
        const n = msg.data;
        const problem = noticeProblem(n);
        if (problem) throw new AppError(400, 'BAN_NOTICE_INVALID', problem);
        const covered = zonesCovered(n, await opts.zones.list());
        if ('unknown' in covered) throw new AppError(400, 'BAN_NOTICE_INVALID', `unknown zones: ${covered.unknown.join(', ')}`);
        const stored = await opts.rules.replaceExternal(BAN_SOURCE, banRulePrefix(n.id), banRules(n, covered.zoneIds), actor, (client) =>
          recordBanNotice(client, { ...n, geometry: n.geometry ?? null, zoneIds: covered.zoneIds }, id),
        );
        out = { id: n.id, action: 'upserted', zoneIds: covered.zoneIds, rules: stored.map((r) => r.id) };
      } else {
        const noticeId = msg.data.id;
        const before = await opts.rules.list();
        await opts.rules.replaceExternal(BAN_SOURCE, banRulePrefix(noticeId), [], actor, async (client) => {
          if (!(await withdrawBanNotice(client, noticeId, id))) throw new AppError(404, 'BAN_NOTICE_NOT_FOUND', `no notice ${noticeId}`);
        });
        const zoneIds = before.filter((r) => r.id.startsWith(banRulePrefix(noticeId)) && r.zoneId !== null).map((r) => r.zoneId!);
        out = { id: noticeId, action: 'withdrawn', zoneIds, rules: [] };
      }
      await opts.rulesChanged();
      count('accepted');
      req.log.info({ notice: out.id, action: out.action, zones: out.zoneIds, webhookId: id }, 'fishing-ban notice applied');
      return out;
    } catch (err) {
      // Not applied: the sender may send the same message again (same webhook-id) once it is fixed or we recover.
      await opts.repo.forget(id);
      count(err instanceof AppError && err.statusCode < 500 ? 'invalid' : 'error');
      throw err;
    }
  });
};
export default routes;
