import { MIGRATIONS } from './migrations.js';
import path from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transportWarnings, type Config } from './core/config.js';
import type { Logger } from './core/log.js';
import { Metrics } from './core/metrics.js';
import { openDatabase, type Database } from './core/db/database.js';
import { prepareDemo, simulatedFleet, type DemoLogin } from './demo/demo.js';
import type pg from 'pg';
import { MaintenanceService } from './ingest/maintenance.js';
import { DeviceRepository } from './core/repos/devices.js';
import { ZoneRepository } from './enforcement-api/zones.js';
import { ZoneRuleRepository } from './core/repos/zone-rules.js';
import { sealedSettingOrCreate } from './core/repos/settings.js';
import { newSecret, secretsKey } from './core/secrets.js';
import { randomBytes } from 'node:crypto';
import { BrokerService } from './broker/broker.js';
import { LocalDelivery } from './core/local-delivery.js';
import { IngestService, INGEST_DEFAULTS } from './ingest/ingest.js';
import { ReadingRepository } from './ingest/repository.js';
import { InferenceWorker } from './inference/worker.js';
import { InferenceRepository } from './inference/repository.js';
import { LeaseRepository } from './inference/lease-repository.js';
import { AlertIntakeService } from './enforcement-api/cases/intake.js';
import { EscalationService } from './enforcement-api/cases/escalation.js';
import { ComplaintService } from './enforcement-api/complaints/service.js';
import { CoordinationEscalation } from './enforcement-api/complaints/coordination.js';
import { CaseRepository } from './enforcement-api/cases/repository.js';
import { EvidenceRepository } from './enforcement-api/cases/evidence-repository.js';
import { LegalRepository } from './enforcement-api/legal/repository.js';
import { DEFAULT_CREDIT_POLICY } from './enforcement-api/domain/credit.js';
import { CreditSchedule, InspectionService } from './enforcement-api/inspections/service.js';
import { LiveBus } from './enforcement-api/live.js';
import { ApiService } from './enforcement-api/server.js';
import { SessionRepository } from './enforcement-api/sessions.js';
import { UserRepository } from './enforcement-api/users.js';
import { ReadingQueries } from './enforcement-api/readings.js';
import { AlertRepository } from './enforcement-api/alerts.js';
import { FigureQueries } from './enforcement-api/figures.js';
import { IdempotencyRepository } from './enforcement-api/idempotency.js';
import { DirectoryQueries } from './enforcement-api/directory.js';
import { MqttModelControl } from './enforcement-api/model-control.js';
import { watchFallbackQueue } from './enforcement-api/fallback-queue.js';
import { ModelRepository } from './enforcement-api/models.js';
import { SimulatorService } from './simulator/fleet.js';
import { WebhookRepository } from './enforcement-api/webhooks/repository.js';
import { WebhookDeliveryWorker } from './enforcement-api/webhooks/worker.js';

/**
 * The composition root: builds every service from the configuration, starts them in dependency order
 * and stops them in reverse (database last). `main.ts` runs it; integration tests start it too.
 */

/**
 * Ingest's own connections on a server (its writer, its last-seen writes and dead letters: one at a time
 * each), so its commits never wait for a connection behind device look-ups and API queries (at start-up
 * 1,000 connecting devices' look-ups held all ten shared connections for seconds).
 */
const INGEST_CONNECTIONS = 3;
const ingestPool = (db: Database, options: { ingestPool?: (pool: pg.Pool) => pg.Pool }): pg.Pool => {
  const own = db.ownPool(INGEST_CONNECTIONS);
  return options.ingestPool?.(own) ?? own;
};
export const MODELS_DIR = fileURLToPath(new URL('./inference/models', import.meta.url));
/** Committed defaults first, then field-trained models under DATA_DIR/models. */
export const modelDirs = (config: Config) => [MODELS_DIR, path.join(config.database.dataDir, 'models')];

interface Service {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Platform {
  config: Config;
  db: Database;
  metrics: Metrics;
  maintenance?: MaintenanceService;
  broker?: BrokerService;
  ingest?: IngestService;
  inference?: InferenceWorker;
  intake?: AlertIntakeService;
  /** Escalation of missed SLA deadlines: part of the `enforcement` service. */
  escalation?: EscalationService;
  /** Escalation of the complaints' coordination queue: part of the `enforcement` service. */
  coordination?: CoordinationEscalation;
  complaints: ComplaintService;
  api?: ApiService;
  /** Inspection checklist, inspectors, market entities and credit, random plans, inspections. */
  inspections: InspectionService;
  /** Outbound webhook delivery: part of the `enforcement` service. */
  webhooks?: WebhookDeliveryWorker;
  simulator?: SimulatorService;
  devices: DeviceRepository;
  cases: CaseRepository;
  /** The live stream's events (enforcement-api/live.ts). */
  live: LiveBus;
  /** Where services and devices reach the broker. */
  mqttUrl: string;
  /** The demo users' password, to print (demo/demo.ts). */
  adminPassword: DemoLogin;
  stop(): Promise<void>;
}

/** The key sealing secrets kept in the database: SECRETS_KEY, or its file (generated once, 0600). */
async function sealingKey(config: Config): Promise<Buffer> {
  if (config.secrets.key) return secretsKey(config.secrets.key);
  try {
    return secretsKey(await readFile(config.secrets.keyFile, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(config.secrets.keyFile), { recursive: true });
  const material = randomBytes(32).toString('hex');
  // 'wx': two processes starting at once do not overwrite each other's key; the loser reads the winner's.
  await writeFile(config.secrets.keyFile, `${material}\n`, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return secretsKey(await readFile(config.secrets.keyFile, 'utf8'));
}

export interface PlatformOptions {
  /** The clock SLA deadlines are measured against (tests move it); default the system clock. */
  clock?: () => Date;
  /** The pool ingest writes through (tests wrap the database's to inject faults); default the database's. */
  ingestPool?: (pool: pg.Pool) => pg.Pool;
  /** Where inference connects to the broker, over MQTT even beside it (tests route it through a proxy they can cut); default the broker's. */
  inferenceUrl?: string;
}

export async function startPlatform(config: Config, log: Logger, options: PlatformOptions = {}): Promise<Platform> {
  // Everything this process creates — database files, journal, spool, generated secrets — is its
  // user's alone: files 0600, directories 0700.
  process.umask(0o077);
  const metrics = new Metrics(true);
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir }, log.child({ svc: 'db' }), MIGRATIONS);
  const started: Service[] = [];
  try {
    const adminPassword = await prepareDemo(db.pool, config);
    const sealKey = await sealingKey(config);
    const jwtSecret = config.jwtSecret ?? (await sealedSettingOrCreate(db.pool, 'jwt_secret', sealKey, newSecret));
    const webhookRepo = new WebhookRepository(db.pool, sealKey);
    const urlPolicy = { allowedHosts: config.webhooks.allowedHosts, allowPrivate: config.webhooks.allowPrivate };
    const servicePassword = config.mqtt.servicePassword ?? newSecret();
    const devices = new DeviceRepository(db.pool);
    const zoneRules = new ZoneRuleRepository(db.pool);
    const cases = new CaseRepository(db.pool, { ...config.legal, timezone: config.timezone });
    watchFallbackQueue(metrics, cases);
    const complaints = new ComplaintService(db.pool, cases, { replyDueH: config.complaints.replyDueH, coordinationMin: config.complaints.coordinationMin, windowMin: config.incidentWindowMin, timezone: config.timezone }, () => zoneRules.schedule());
    const bus = new LiveBus(db.pool, { pollMs: config.live.pollMs, retentionH: config.live.retentionH }, log.child({ svc: 'live' }));
    const has = (s: Config['services'][number]) => config.services.includes(s);
    const limits = config.readings;

    const maintenance = has('maintenance') ? new MaintenanceService(db, config.storage, log.child({ svc: 'maintenance' })) : undefined;
    if (maintenance) {
      await maintenance.start();
      started.push({ name: 'maintenance', start: () => maintenance.start(), stop: () => maintenance.stop() });
    }

    for (const warning of transportWarnings(config)) log.warn(warning);

    // Ingest and inference beside the broker (no MQTT_URL, no cluster) take its publishes directly.
    const local = has('broker') && !config.mqtt.url && !config.broker.cluster && (has('ingest') || has('inference'))
      ? new LocalDelivery({ ingest: has('ingest'), inference: has('inference') && !options.inferenceUrl, ingestSession: config.ingest.clientId }, limits)
      : undefined;
    const broker = has('broker')
      ? new BrokerService({ ...config.mqtt, local, tls: config.tls && { port: config.tls.mqttPort, certFile: config.tls.certFile, keyFile: config.tls.keyFile, caFile: config.tls.mqttCaFile }, journalDir: config.broker.persistence === 'journal' ? path.join(config.database.dataDir, 'broker') : undefined, cluster: config.broker.cluster }, { verifyDevice: (id, secret) => devices.verify(id, secret), credentialsInForce: (ids) => devices.credentialsInForce(ids), servicePassword }, log.child({ svc: 'broker' }), metrics)
      : undefined;
    if (broker) {
      await broker.start();
      started.push({ name: 'broker', start: () => broker.start(), stop: () => broker.stop() });
    }
    const mqttUrl = config.mqtt.url ?? `mqtt://127.0.0.1:${broker?.port ?? config.mqtt.port}`;
    const conn = { url: mqttUrl, password: servicePassword };

    const ingest = has('ingest')
      ? new IngestService(conn, new ReadingRepository(ingestPool(db, options), db.engine), devices, { ...INGEST_DEFAULTS, clientId: config.ingest.clientId, sharedGroup: config.ingest.sharedGroup, spool: { ...INGEST_DEFAULTS.spool, maxBytes: config.ingest.spoolMaxBytes, maxRecords: config.ingest.spoolMaxRecords }, limits, spoolDir: path.join(config.database.dataDir, 'spool') }, log.child({ svc: 'ingest' }), metrics, local)
      : undefined;
    const inference = has('inference')
      ? new InferenceWorker(options.inferenceUrl ? { ...conn, url: options.inferenceUrl } : conn, { get: (id) => devices.get(id), speakersInZone: (z) => devices.speakersInZone(z), schedule: () => zoneRules.schedule() }, new InferenceRepository(db.pool), new LeaseRepository(db.pool), {
          limits,
          noise: { ...config.noise, smoothing: config.inference.noiseSmoothing },
          fishing: { minDurationS: config.fishing.minDurationS, gapS: config.fishing.gapS, warningsBeforeAlert: config.fishing.warnings, warningIntervalS: config.speakers.cooldownS },
          crowding: config.crowding,
          intrusion: config.intrusion,
          smoke: config.smoke,
          speakers: config.speakers,
          maxBatch: config.inference.maxBatch,
          maxWaitMs: config.inference.maxWaitMs,
          modelDirs: modelDirs(config),
          modelScanS: config.inference.modelScanS,
          rulesRefreshS: config.rulesRefreshS,
          leaseS: config.inference.leaseS,
          rebuildS: config.inference.rebuildS,
        }, log.child({ svc: 'inference' }), metrics, options.inferenceUrl ? undefined : local)
      : undefined;
    const intake = has('enforcement')
      ? new AlertIntakeService(conn, cases, bus, config.incidentWindowMin, log.child({ svc: 'enforcement' }), metrics)
      : undefined;
    const escalation = has('enforcement')
      ? new EscalationService(db.pool, bus, log.child({ svc: 'escalation' }), metrics, { intervalS: config.sla.escalationIntervalS, clock: options.clock })
      : undefined;
    const inspections = new InspectionService(db.pool, {
      timezone: config.timezone,
      repeatDays: config.inspections.repeatDays,
      confirmMinutes: config.legal.presenceConfirmMinutes,
      maxDistanceM: config.legal.presenceMaxDistanceM,
      rates: { yellow: config.inspections.yellow, red: config.inspections.red },
      credit: {
        policy: { ...DEFAULT_CREDIT_POLICY, yellowAt: config.inspections.yellowAt, redAt: config.inspections.redAt },
        lookbackDays: config.inspections.creditLookbackDays,
        recompute: config.inspections.creditRecompute,
        checkIntervalS: config.inspections.creditCheckIntervalS,
      },
    }, metrics);
    const credit = has('enforcement') ? new CreditSchedule(inspections, log.child({ svc: 'credit' }), options.clock) : undefined;
    const coordination = has('enforcement')
      ? new CoordinationEscalation(complaints, log.child({ svc: 'coordination' }), metrics, config.sla.escalationIntervalS, options.clock)
      : undefined;
    const webhooks = has('enforcement')
      ? new WebhookDeliveryWorker(webhookRepo, { ...config.webhooks, url: urlPolicy }, log.child({ svc: 'webhooks' }), metrics)
      : undefined;
    const modelControl = new MqttModelControl(conn);
    const api = has('api')
      ? new ApiService(config.http, {
          infrastructure: {
            log: log.child({ svc: 'api' }),
            metrics,
            metricsToken: config.metricsToken,
            https: config.tls && { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) },
            idempotency: new IdempotencyRepository(db.pool, sealKey),
            readiness: async () => ({
              database: await db.ping(),
              ...(broker ? { broker: broker.listening } : {}),
              ...(inference ? { models: inference.ready, inference: inference.ready } : {}),
              ...(intake ? { enforcement: intake.ready } : {}),
            }),
          },
          auth: {
            jwtSecret,
            accessTtlS: config.auth.accessTtlS,
            sessions: new SessionRepository(db.pool, config.auth.refreshTtlS),
            users: new UserRepository(db.pool),
            loginThrottle: { freeAttempts: config.auth.loginFreeAttempts, addressFactor: 4, maxBackoffS: config.auth.loginMaxBackoffS },
          },
          registry: {
            zones: new ZoneRepository(db.pool),
            zoneRules,
            rulesChanged: () => modelControl.rulesChanged(),
            devices,
            mqttPort: () => broker?.port ?? config.mqtt.port,
            deviceHealth: config.devices,
          },
          sensing: {
            readings: new ReadingQueries(db.pool),
            alerts: new AlertRepository(db.pool),
            figures: new FigureQueries(db.pool, config.figures.baselineMinutes),
            models: new ModelRepository(db.pool),
            modelControl,
          },
          cases: { cases, evidence: new EvidenceRepository(db.pool, { timezone: config.timezone, captureZoneToleranceM: config.legal.evidenceZoneToleranceM }), evidenceMaxBytes: config.legal.evidenceMaxBytes },
          live: bus,
          legal: new LegalRepository(db.pool, cases.legal),
          inspections,
          complaints: {
            complaints,
            limits: { publicPerHour: config.complaints.publicPerHour, lookupPerHour: config.complaints.lookupPerHour, photoMaxBytes: config.complaints.photoMaxBytes, open311ApiKeys: config.complaints.open311ApiKeys },
          },
          exchange: { webhooks: webhookRepo, urlPolicy, rotationGraceS: config.webhooks.rotationGraceS, toleranceS: config.webhooks.toleranceS, fishingBanSecrets: config.webhooks.fishingBanSecrets },
          operations: { directory: new DirectoryQueries(db.pool, config.timezone), grafanaUrl: config.http.grafanaUrl },
        }, log.child({ svc: 'api' }))
      : undefined;
    const simulator = has('simulator') ? new SimulatorService(mqttUrl, () => simulatedFleet(devices), log.child({ svc: 'simulator' })) : undefined;

    // The live stream's table (pruned here) outlives the services that write and read it.
    if (intake || api) {
      await bus.start();
      started.push({ name: 'live', start: () => bus.start(), stop: () => bus.stop() });
    }
    for (const [name, svc] of [['ingest', ingest], ['inference', inference], ['enforcement', intake], ['escalation', escalation], ['credit', credit], ['coordination', coordination], ['webhooks', webhooks], ['api', api], ['simulator', simulator]] as const) {
      if (!svc) continue;
      await svc.start();
      started.push({ name, start: () => svc.start(), stop: () => svc.stop() });
    }

    let stopping: Promise<void> | undefined;
    return {
      config, db, metrics, maintenance, broker, ingest, inference, intake, escalation, coordination, complaints, api, inspections, webhooks, simulator, devices, cases, live: bus, mqttUrl, adminPassword,
      stop() {
        stopping ??= (async () => {
          for (const svc of started.reverse()) {
            await svc.stop().catch((err: unknown) => log.error({ err, svc: svc.name }, 'stop failed'));
          }
          await modelControl.close();
          await db.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const svc of started.reverse()) await svc.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}
