import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { DeviceRepository } from '../core/repos/devices.js';
import type { ZoneRepository } from './zones.js';
import type { ZoneRuleRepository } from '../core/repos/zone-rules.js';
import type { CaseRepository } from './cases/repository.js';
import type { LiveBus } from './live.js';
import type { UserRepository } from './users.js';
import type { SessionRepository } from './sessions.js';
import { LoginThrottle, type ThrottleOptions } from './login-throttle.js';
import { ErrorBody, errorHandler, refuseUnstorableText } from './errors.js';
import authPlugin from './plugins/auth.js';
import authRoutes from './routes/auth.js';
import registryRoutes, { type DeviceHealthSettings } from './routes/registry.js';
import zoneRuleRoutes from './routes/zone-rules.js';
import caseRoutes from './routes/cases.js';
import caseLifecycleRoutes from './routes/case-lifecycle.js';
import evidenceRoutes from './routes/evidence.js';
import type { EvidenceRepository } from './cases/evidence-repository.js';
import readingRoutes from './routes/readings.js';
import alertRoutes, { type ModelControl } from './routes/alerts.js';
import type { AlertRepository } from './alerts.js';
import type { ModelRepository } from './models.js';
import type { ReadingQueries } from './readings.js';
import healthRoutes, { type Readiness } from './routes/health.js';
import figureRoutes from './routes/figures.js';
import legalRoutes from './routes/legal.js';
import partyRoutes from './routes/parties.js';
import inspectionRoutes from './routes/inspections.js';
import type { InspectionService } from './inspections/service.js';
import type { LegalRepository } from './legal/repository.js';
import type { FigureQueries } from './figures.js';
import directoryRoutes from './routes/directory.js';
import type { DirectoryQueries } from './directory.js';
import idempotencyPlugin from './plugins/idempotency.js';
import type { IdempotencyRepository } from './idempotency.js';
import { serveWebApp } from './web.js';
import complaintRoutes, { publicLimits } from './routes/complaints.js';
import open311Routes from './routes/open311.js';
import type { ComplaintService } from './complaints/service.js';
import webhookRoutes from './routes/webhooks.js';
import exchangeRoutes from './routes/exchange.js';
import type { WebhookRepository } from './webhooks/repository.js';
import type { UrlPolicy } from './webhooks/policy.js';

/** What the app runs on: logging, metrics, readiness, TLS, the idempotency store, the built web app. */
export interface InfrastructureDeps {
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** Certificate and key (PEM) when the API serves HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  /** METRICS_TOKEN: the bearer token a Prometheus scraper presents at /metrics (unset: people only). */
  metricsToken?: string;
  /** Idempotency-Key of state-changing requests. */
  idempotency: IdempotencyRepository;
  /** Folder of the built web app (default web/dist). */
  webDist?: string;
}

/** Who may sign in, and for how long. */
export interface AuthDeps {
  jwtSecret: string;
  /** Lifetime of access tokens; refresh tokens (sessions) last longer and rotate. */
  accessTtlS: number;
  sessions: SessionRepository;
  users: UserRepository;
  /** LOGIN_FREE_ATTEMPTS, LOGIN_MAX_BACKOFF_S */
  loginThrottle: ThrottleOptions;
}

/** Zones, their rules and the devices in them. */
export interface RegistryDeps {
  zones: ZoneRepository;
  zoneRules: ZoneRuleRepository;
  /** Tells inference the zone rules changed (v1/control/rules). */
  rulesChanged: () => Promise<void>;
  devices: DeviceRepository;
  /** The MQTT port devices should use (known once the broker listens). */
  mqttPort: () => number;
  /** When the device list flags a device silent or low on battery (defaults: 600 s, 20 %). */
  deviceHealth?: DeviceHealthSettings;
}

/** What the sensors measured and the models made of it. */
export interface SensingDeps {
  readings: ReadingQueries;
  alerts: AlertRepository;
  /** GET /api/v1/figures */
  figures: FigureQueries;
  /** Registered model versions (GET /api/v1/models). */
  models: ModelRepository;
  /** Model rollouts to inference. */
  modelControl: ModelControl;
}

/** Cases and their evidence. */
export interface CaseDeps {
  cases: CaseRepository;
  evidence: EvidenceRepository;
  /** EVIDENCE_MAX_BYTES */
  evidenceMaxBytes: number;
}

/** Citizen complaints (hotline, public form, Open311) and their limits. */
export interface ComplaintDeps {
  complaints: ComplaintService;
  /** COMPLAINT_PUBLIC_PER_HOUR, COMPLAINT_LOOKUP_PER_HOUR, COMPLAINT_PHOTO_MAX_BYTES, OPEN311_API_KEYS */
  limits: { publicPerHour: number; lookupPerHour: number; photoMaxBytes: number; open311ApiKeys: readonly string[] };
}

/** Outbound webhooks (subscribers, deliveries) and the inbound, signed fishing-ban exchange. */
export interface ExchangeDeps {
  webhooks: WebhookRepository;
  urlPolicy: UrlPolicy;
  /** WEBHOOK_ROTATION_GRACE_S */
  rotationGraceS: number;
  /** WEBHOOK_TOLERANCE_S */
  toleranceS: number;
  /** FISHING_BAN_INBOUND_SECRETS */
  fishingBanSecrets: readonly string[];
}

/** The operations console: colleagues, reviewers, party history, the overview, Grafana. */
export interface OperationsDeps {
  directory: DirectoryQueries;
  /** GRAFANA_URL, linked from the operations console. */
  grafanaUrl: string;
}

/** What the API is built from, by concern. */
export interface AppDeps {
  infrastructure: InfrastructureDeps;
  auth: AuthDeps;
  registry: RegistryDeps;
  sensing: SensingDeps;
  cases: CaseDeps;
  /** The live stream's events. */
  live: LiveBus;
  /** The legal catalogue (admin API with history), parties, presence confirmations. */
  legal: LegalRepository;
  /** The inspection checklist, inspectors, market entities and credit, random plans, inspections. */
  inspections: InspectionService;
  complaints: ComplaintDeps;
  exchange: ExchangeDeps;
  operations: OperationsDeps;
}

/**
 * Headers on every answer: no sniffing content types, no framing (clickjacking), no referrer leaving
 * with tokens in URLs (the live stream's `?access_token=`). The web app's files carry their own, fuller
 * policy (web.ts).
 */
async function secureHeaders(_req: FastifyRequest, reply: FastifyReply): Promise<void> {
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('referrer-policy', 'no-referrer');
  if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', "frame-ancestors 'none'");
}

/** Builds the enforcement API (tests use it through `inject`; server.ts only listens). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { infrastructure: infra, auth, registry, sensing, cases, live: bus, legal, inspections, complaints, exchange, operations } = deps;
  const app = Fastify({
    // TLS_CERT_FILE / TLS_KEY_FILE: the same app over HTTPS (Fastify's own https option).
    ...(infra.https ? { https: infra.https } : {}),
    loggerInstance: infra.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // discriminator: a oneOf tagged by a property (the transition body's `event`) is checked against
    // that one branch, so errors name the missing field instead of every branch's complaints.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', discriminator: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(errorHandler);
  app.addSchema(ErrorBody);
  app.addHook('preValidation', refuseUnstorableText);
  app.addHook('onSend', secureHeaders);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Riverside & Park Enforcement API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(authPlugin, { secret: auth.jwtSecret, accessTtlS: auth.accessTtlS, sessionActive: (sid) => auth.sessions.isActive(sid) });
  await app.register(idempotencyPlugin, { repo: infra.idempotency, metrics: infra.metrics });

  await app.register(healthRoutes, { readiness: infra.readiness, metrics: infra.metrics, metricsToken: infra.metricsToken });
  const throttle = new LoginThrottle(auth.loginThrottle, infra.metrics.counter('auth_login_throttled_total', 'logins refused unchecked while an account or address is backing off', ['scope']));
  await app.register(authRoutes, { users: auth.users, sessions: auth.sessions, accessTtlS: auth.accessTtlS, throttle, metrics: infra.metrics });
  await app.register(registryRoutes, { zones: registry.zones, devices: registry.devices, mqttPort: registry.mqttPort, health: registry.deviceHealth ?? { silentS: 600, lowBatteryPct: 20 } });
  await app.register(zoneRuleRoutes, { zones: registry.zones, rules: registry.zoneRules, rulesChanged: registry.rulesChanged });
  await app.register(caseRoutes, { cases: cases.cases, bus, sessions: auth.sessions, metrics: infra.metrics });
  await app.register(caseLifecycleRoutes, { cases: cases.cases, bus });
  await app.register(evidenceRoutes, { cases: cases.cases, evidence: cases.evidence, maxBytes: cases.evidenceMaxBytes });
  await app.register(readingRoutes, { readings: sensing.readings });
  await app.register(alertRoutes, { alerts: sensing.alerts, models: sensing.models, control: sensing.modelControl });
  await app.register(figureRoutes, { figures: sensing.figures });
  await app.register(legalRoutes, { legal, bus });
  await app.register(partyRoutes, { parties: legal.parties });
  await app.register(inspectionRoutes, { inspections, bus });
  await app.register(directoryRoutes, { directory: operations.directory, grafanaUrl: operations.grafanaUrl });
  // One budget per client address for the public form and Open311 alike.
  const limits = publicLimits(infra.metrics, complaints.limits.publicPerHour, complaints.limits.lookupPerHour);
  await app.register(complaintRoutes, { complaints: complaints.complaints, cases: cases.cases, metrics: infra.metrics, limits, ...complaints.limits });
  await app.register(open311Routes, { complaints: complaints.complaints, limits, photoMaxBytes: complaints.limits.photoMaxBytes, apiKeys: complaints.limits.open311ApiKeys });
  await app.register(webhookRoutes, { repo: exchange.webhooks, urlPolicy: exchange.urlPolicy, rotationGraceS: exchange.rotationGraceS });
  await app.register(exchangeRoutes, {
    secrets: exchange.fishingBanSecrets, toleranceS: exchange.toleranceS, repo: exchange.webhooks,
    zones: registry.zones, rules: registry.zoneRules, rulesChanged: registry.rulesChanged, metrics: infra.metrics,
  });
  await serveWebApp(app, infra.webDist);

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  return app;
}
