import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DeliveryList, DeliveryParams, DeliveryQuery, Delivery, NewSubscriber, RotateBody, Rotated, WebhookSubscriber, SubscriberCreated,
  WebhookSubscriberList, SubscriberParams, SubscriberPatch,
} from '../../contract/http/webhooks.js';
import { AppError } from '../errors.js';
import { urlProblem, type UrlPolicy } from '../webhooks/policy.js';
import type { WebhookRepository } from '../webhooks/repository.js';

const errors = { 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } };

export interface WebhookRouteOptions {
  repo: WebhookRepository;
  urlPolicy: UrlPolicy;
  /** WEBHOOK_ROTATION_GRACE_S: how long a rotated-out key keeps signing by default. */
  rotationGraceS: number;
}

/**
 * Outbound webhooks (enforcement-api/webhooks): admins configure subscribers (the secret is shown
 * once, at creation or rotation); admins and operators watch the deliveries and retry dead letters.
 */
const routes: FastifyPluginAsyncTypebox<WebhookRouteOptions> = async (app, { repo, urlPolicy, rotationGraceS }) => {
  const checkUrl = (url: string) => {
    const problem = urlProblem(url, urlPolicy);
    if (problem) throw new AppError(400, 'WEBHOOK_URL_REFUSED', `url: ${problem}`);
  };

  app.post('/api/v1/webhooks/subscribers', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['webhooks'], summary: 'Adds a subscriber; its signing secret (whsec_…) is in this answer only', security: [{ bearer: [] }], body: NewSubscriber, response: { 201: SubscriberCreated, ...errors } },
  }, async (req, reply) => {
    checkUrl(req.body.url);
    const created = await repo.create({ name: req.body.name, url: req.body.url, eventTypes: req.body.eventTypes, caseKinds: req.body.caseKinds ?? [] }, req.user.username);
    req.log.info({ subscriber: created.subscriber.id, url: req.body.url, by: req.user.username }, 'webhook subscriber added');
    return reply.status(201).send(created);
  });

  app.get('/api/v1/webhooks/subscribers', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['webhooks'], summary: 'Subscribers with their keys in force and queue sizes (never their secrets)', security: [{ bearer: [] }], response: { 200: WebhookSubscriberList, ...errors } },
  }, async () => repo.list());

  app.patch('/api/v1/webhooks/subscribers/:id', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['webhooks'], summary: 'Changes a subscriber (URL, event types, kinds) or pauses it (active: false keeps its queue)', security: [{ bearer: [] }], params: SubscriberParams, body: SubscriberPatch, response: { 200: WebhookSubscriber, ...errors } },
  }, async (req) => {
    if (req.body.url !== undefined) checkUrl(req.body.url);
    const s = await repo.update(req.params.id, req.body);
    if (!s) throw new AppError(404, 'SUBSCRIBER_NOT_FOUND', `no subscriber ${req.params.id}`);
    req.log.info({ subscriber: s.id, by: req.user.username }, 'webhook subscriber changed');
    return s;
  });

  app.post('/api/v1/webhooks/subscribers/:id/rotate', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['webhooks'], summary: 'A new signing secret (shown once); the old one keeps signing beside it for the grace period', security: [{ bearer: [] }], params: SubscriberParams, body: RotateBody, response: { 200: Rotated, ...errors } },
  }, async (req) => {
    const r = await repo.rotate(req.params.id, req.body.graceS ?? rotationGraceS);
    if (!r) throw new AppError(404, 'SUBSCRIBER_NOT_FOUND', `no subscriber ${req.params.id}`);
    req.log.info({ subscriber: req.params.id, previousValidUntil: r.previousValidUntil, by: req.user.username }, 'webhook secret rotated');
    return r;
  });

  app.get('/api/v1/webhooks/deliveries', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['webhooks'], summary: 'Webhook messages, newest first; state=dead is the dead-letter view', security: [{ bearer: [] }], querystring: DeliveryQuery, response: { 200: DeliveryList, ...errors } },
  }, async (req) => repo.deliveries({ state: req.query.state, subscriberId: req.query.subscriberId, limit: req.query.limit ?? 100 }));

  app.post('/api/v1/webhooks/deliveries/:id/retry', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['webhooks'], summary: 'Puts a dead letter back in the queue (same webhook-id and body, a fresh attempt budget)', security: [{ bearer: [] }], params: DeliveryParams, response: { 200: Delivery, ...errors } },
  }, async (req) => {
    const r = await repo.retry(req.params.id);
    if (r === null) throw new AppError(404, 'DELIVERY_NOT_FOUND', `no delivery ${req.params.id}`);
    if (r === 'not_dead') throw new AppError(409, 'DELIVERY_NOT_DEAD', `delivery ${req.params.id} is not a dead letter`);
    req.log.info({ delivery: r.id, message: r.messageId, by: req.user.username }, 'webhook dead letter retried');
    return r;
  });
};
export default routes;
