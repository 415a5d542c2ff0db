import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import path from 'node:path';
import os from 'node:os';
import { INGEST_SESSION, ingestSessionOfNode } from '../contract/mqtt/accounts.js';

/**
 * Configuration: every setting comes from one environment variable, is validated once at start and
 * has a default that works for `npm start`. README's configuration table mirrors VARIABLES.
 */

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Seconds = Type.Number({ minimum: 0 });
export const SERVICE_NAMES = ['maintenance', 'broker', 'ingest', 'inference', 'enforcement', 'api', 'simulator'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
const SERVICE_LIST = `(${SERVICE_NAMES.join('|')})(,(${SERVICE_NAMES.join('|')}))*`;

interface Variable {
  env: string;
  schema: TSchema;
  default: string | undefined;
  help: string;
}

/** The environment variables, in README order. */
export const VARIABLES = {
  mqttPort: { env: 'MQTT_PORT', schema: Port, default: '1883', help: 'MQTT listener of the embedded broker (0 = any free port)' },
  mqttHost: { env: 'MQTT_HOST', schema: Type.String({ minLength: 1 }), default: '0.0.0.0', help: 'interface the broker listens on' },
  mqttUrl: { env: 'MQTT_URL', schema: Type.String({ pattern: '^mqtts?://[^,\\s]+(,mqtts?://[^,\\s]+)*$' }), default: undefined, help: 'broker the services connect to (default: the embedded broker); a comma list of a cluster\'s nodes: services connect to the first and move to the next when it is lost' },
  servicePassword: { env: 'MQTT_SERVICE_PASSWORD', schema: Type.String({ minLength: 16 }), default: undefined, help: 'password of the `service` MQTT account used by ingest, inference and enforcement (default: random per process, fine when all run in one process)' },
  mqttMaxPacketBytes: { env: 'MQTT_MAX_PACKET_BYTES', schema: Type.Integer({ minimum: 1024, maximum: 268435455 }), default: '263168', help: 'largest MQTT packet a client may send (bytes; default a full telemetry batch, 256 KiB, plus 1 KiB); a larger one closes the connection' },
  mqttMaxConnections: { env: 'MQTT_MAX_CONNECTIONS', schema: Type.Integer({ minimum: 1 }), default: '10000', help: 'MQTT connections the broker holds at once; more are closed at accept' },
  mqttMaxPendingPerAddress: { env: 'MQTT_MAX_PENDING_PER_ADDRESS', schema: Type.Integer({ minimum: 0 }), default: '64', help: 'MQTT connections one client address (IPv6: its /64) may hold before they log in; more are closed at accept (0 = no limit)' },
  mqttMaxQos2PendingBytes: { env: 'MQTT_MAX_QOS2_PENDING_BYTES', schema: Type.Integer({ minimum: 0 }), default: '1048576', help: 'bytes of QoS 2 publishes one MQTT client id may leave awaiting their PUBREL (each counted as at least 1 KiB); more close the connection (0 = no limit)' },
  mqttDeviceRate: { env: 'MQTT_DEVICE_RATE', schema: Type.Number({ minimum: 0 }), default: '50', help: 'publishes per second a device may sustain; faster ones wait their turn (0 = no limit)' },
  mqttDeviceBurst: { env: 'MQTT_DEVICE_BURST', schema: Type.Integer({ minimum: 1 }), default: '500', help: 'publishes a device may send at once above MQTT_DEVICE_RATE' },
  tlsCertFile: { env: 'TLS_CERT_FILE', schema: Type.String({ minLength: 1 }), default: undefined, help: 'PEM certificate (chain) for HTTPS on HTTP_PORT and MQTT over TLS on MQTT_TLS_PORT; with TLS_KEY_FILE' },
  tlsKeyFile: { env: 'TLS_KEY_FILE', schema: Type.String({ minLength: 1 }), default: undefined, help: 'PEM private key of TLS_CERT_FILE' },
  mqttTlsPort: { env: 'MQTT_TLS_PORT', schema: Port, default: '8883', help: 'MQTT over TLS listener, opened when TLS_CERT_FILE is set (0 = any free port)' },
  mqttTlsCaFile: { env: 'MQTT_TLS_CA_FILE', schema: Type.String({ minLength: 1 }), default: undefined, help: 'PEM CA of device client certificates: when set, devices on MQTT_TLS_PORT need a certificate from it whose common name is their device id (mutual TLS)' },
  httpPort: { env: 'HTTP_PORT', schema: Port, default: '8080', help: 'HTTP port of the enforcement API and web client (0 = any free port)' },
  httpHost: { env: 'HTTP_HOST', schema: Type.String({ minLength: 1 }), default: '0.0.0.0', help: 'interface the API listens on' },
  grafanaUrl: { env: 'GRAFANA_URL', schema: Type.String({ pattern: '^https?://' }), default: 'http://localhost:3000', help: 'base URL of the Grafana server the operations console links to' },
  databaseUrl: { env: 'DATABASE_URL', schema: Type.String({ pattern: '^postgres(ql)?://' }), default: undefined, help: 'PostgreSQL/TimescaleDB server; unset = embedded PGlite + TimescaleDB in DATA_DIR' },
  dataDir: { env: 'DATA_DIR', schema: Type.String({ minLength: 1 }), default: './data', help: 'where the embedded database and generated secrets live' },
  services: { env: 'SERVICES', schema: Type.String({ pattern: `^${SERVICE_LIST}([|]${SERVICE_LIST})*$` }), default: SERVICE_NAMES.join(','), help: 'services this process runs (comma list) — run them in separate processes to scale out; groups separated by `|` (e.g. `broker,ingest|inference,enforcement,api`) run as supervised child processes of this one' },
  simulator: { env: 'SIMULATOR', schema: Type.Union([Type.Literal('on'), Type.Literal('off')]), default: 'on', help: '`off` disables the simulated sensor fleet' },
  adminPassword: { env: 'ADMIN_PASSWORD', schema: Type.String({ minLength: 8 }), default: undefined, help: 'password of the demo users on first start (default: generated, printed and kept in DATA_DIR/admin-password)' },
  passwordHashCost: { env: 'PASSWORD_HASH_COST', schema: Type.Integer({ minimum: 1024, maximum: 1048576 }), default: '16384', help: 'scrypt cost (N, a power of two) of the demo users\' password hashes written when the database is first seeded; lower it only where passwords protect nothing (the test suite seeds a database per platform it starts)' },
  jwtSecret: { env: 'JWT_SECRET', schema: Type.String({ minLength: 32 }), default: undefined, help: 'signing key of access tokens (default: generated once and kept in the database)' },
  accessTokenTtlS: { env: 'ACCESS_TOKEN_TTL_S', schema: Type.Integer({ minimum: 30, maximum: 86400 }), default: '900', help: 'lifetime of access tokens; clients renew them with their refresh token' },
  refreshTokenTtlS: { env: 'REFRESH_TOKEN_TTL_S', schema: Type.Integer({ minimum: 60 }), default: '43200', help: 'lifetime of a refresh token (single use, rotated on every refresh): how long a session lasts without activity' },
  loginFreeAttempts: { env: 'LOGIN_FREE_ATTEMPTS', schema: Type.Integer({ minimum: 1, maximum: 100 }), default: '5', help: 'failed logins an account may have before each further failure locks it for twice as long as the last (1 s, 2 s, 4 s …); an address gets four times as many' },
  loginMaxBackoffS: { env: 'LOGIN_MAX_BACKOFF_S', schema: Type.Integer({ minimum: 1 }), default: '900', help: 'longest lock after failed logins (seconds)' },
  secretsKey: { env: 'SECRETS_KEY', schema: Type.String({ minLength: 32 }), default: undefined, help: 'key sealing the secrets kept in the database (the token signing key): 64 hex digits or base64 of 32 bytes (default: SECRETS_KEY_FILE)' },
  secretsKeyFile: { env: 'SECRETS_KEY_FILE', schema: Type.String({ minLength: 1 }), default: undefined, help: 'file holding that key (default DATA_DIR/secrets.key, generated once, mode 0600)' },
  metricsToken: { env: 'METRICS_TOKEN', schema: Type.String({ minLength: 16 }), default: undefined, help: 'bearer token a Prometheus scraper presents at /metrics (unset: only admins and operators, with their access tokens)' },
  logLevel: { env: 'LOG_LEVEL', schema: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))), default: 'info', help: 'pino log level' },
  timezone: { env: 'DEFAULT_TIMEZONE', schema: Type.String({ minLength: 1 }), default: 'Asia/Shanghai', help: 'timezone of zones created without one' },
  noiseMinDurationS: { env: 'NOISE_MIN_DURATION_S', schema: Seconds, default: '60', help: 'how long amplified music must exceed the limit before an alert' },
  noiseLeqWindowS: { env: 'NOISE_LEQ_WINDOW_S', schema: Type.Number({ minimum: 1 }), default: '10', help: 'window of the running energetic LAeq compared with the limit' },
  noiseGapS: { env: 'NOISE_GAP_S', schema: Seconds, default: '30', help: 'a quiet spell shorter than this does not end a noise episode' },
  fishingMinDurationS: { env: 'FISHING_MIN_DURATION_S', schema: Seconds, default: '600', help: 'how long a track must look like fishing (in a ban zone) before the warning ladder starts' },
  fishingWarnings: { env: 'FISHING_WARNINGS', schema: Type.Integer({ minimum: 0, maximum: 5 }), default: '2', help: 'loudspeaker warnings (warning, repeat, …) before a fishing alert opens a case; 0 = alert at once' },
  counterMaxAgeS: { env: 'PEOPLE_COUNTER_MAX_AGE_S', schema: Type.Number({ minimum: 60 }), default: '300', help: 'a people counter whose newest count is older than this (on its own clock) drops out of its zone\'s total; alerts then show the reduced coverage' },
  counterWaitS: { env: 'PEOPLE_COUNTER_WAIT_S', schema: Type.Number({ minimum: 0 }), default: '150', help: 'how far a zone\'s newest count may run ahead of a lagging counter before its minute closes without it' },
  counterImputeS: { env: 'PEOPLE_COUNTER_IMPUTE_S', schema: Type.Number({ minimum: 0 }), default: '1800', help: 'for the crowding forecast only: a counter silent for less than this is stood in for by its usual share of the zone (a drop-out is not read as the crowd leaving); 0 turns it off' },
  counterMinuteMean: { env: 'PEOPLE_COUNTER_MINUTE_MEAN', schema: Type.Boolean(), default: 'false', help: '`true`: a people counter\'s count for a minute is the mean of its readings within it (less counting noise from counters reporting every 30 s), and a lone zero after 10 or more people is taken for a glitch until a second confirms it' },
  crowdingMinHistoryMin: { env: 'CROWDING_MIN_HISTORY_MIN', schema: Type.Integer({ minimum: 1, maximum: 30 }), default: '5', help: 'minutes of a zone\'s own counts needed before any crowding alarm' },
  speakerCooldownS: { env: 'SPEAKER_COOLDOWN_S', schema: Seconds, default: '300', help: 'minimum time between two clips on one loudspeaker (also the time a warning is given to work)' },
  speakerQuietHours: { env: 'SPEAKER_QUIET_HOURS', schema: Type.String({ pattern: '^([01]?\\d|2[0-3])-([01]?\\d|2[0-3])$' }), default: '22-7', help: 'local hours start-end in which loudspeakers stay silent' },
  speakerVolume: { env: 'SPEAKER_VOLUME', schema: Type.Integer({ minimum: 0, maximum: 100 }), default: '80', help: 'volume of speaker.play commands (%)' },
  speakerEffectWindowS: { env: 'SPEAKER_EFFECT_WINDOW_S', schema: Seconds, default: '300', help: 'how long after a clip its effect is measured' },
  noiseSmoothing: { env: 'NOISE_SMOOTHING', schema: Type.Integer({ minimum: 1, maximum: 60 }), default: '5', help: 'noise model scores averaged over this many consecutive windows before the music thresholds apply' },
  fishingGapS: { env: 'FISHING_GAP_S', schema: Seconds, default: '60', help: 'a track unseen (or not fishing-like) for less than this does not end a fishing episode' },
  intrusionEdgeM: { env: 'INTRUSION_EDGE_M', schema: Type.Number({ exclusiveMinimum: 0, maximum: 50 }), default: '2', help: 'a person this close to the water\'s edge (metres, the camera\'s waterlineM) in a closed zone is an intrusion' },
  intrusionConfirmS: { env: 'INTRUSION_CONFIRM_S', schema: Seconds, default: '10', help: 'how long a person stays at the edge of a closed zone before the loudspeaker warns (a passer-by is not warned)' },
  intrusionGraceS: { env: 'INTRUSION_GRACE_S', schema: Seconds, default: '60', help: 'how long after the anti-drowning warning a person may still be at the edge before the intrusion alert' },
  intrusionGapS: { env: 'INTRUSION_GAP_S', schema: Seconds, default: '20', help: 'a person away from the edge (or unseen) for longer than this has left: the intrusion episode ends' },
  smokeAlarmObscuration: { env: 'SMOKE_ALARM_OBSCURATION', schema: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), default: '10', help: 'smoke obscuration (%/m) at which a reading counts as smoke (UL 268 detectors alarm at 0.7–13 %/m)' },
  smokeClearObscuration: { env: 'SMOKE_CLEAR_OBSCURATION', schema: Type.Number({ minimum: 0, maximum: 100 }), default: '3', help: 'a smoke alarm clears only once obscuration stays below this (%/m, below SMOKE_ALARM_OBSCURATION)' },
  smokeFixedTempC: { env: 'SMOKE_FIXED_TEMP_C', schema: Type.Number({ minimum: 30, maximum: 200 }), default: '57', help: 'fixed-temperature heat threshold (°C; UL 521 ordinary rating 57 °C / 135 °F)' },
  smokeRateOfRise: { env: 'SMOKE_RATE_OF_RISE', schema: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), default: '8.3', help: 'rate-of-rise heat threshold (°C/min; UL 521: 8.3 °C / 15 °F per minute)' },
  smokeConfirmReadings: { env: 'SMOKE_CONFIRM_READINGS', schema: Type.Integer({ minimum: 1, maximum: 20 }), default: '2', help: 'consecutive readings of smoke corroborated by heat (or of heat at the fixed temperature) that raise a smoke alert' },
  smokePersistReadings: { env: 'SMOKE_PERSIST_READINGS', schema: Type.Integer({ minimum: 1, maximum: 100 }), default: '4', help: 'consecutive readings of smoke without heat that raise a smoke alert, when they also span SMOKE_PERSIST_S (dust and steam pass sooner)' },
  smokePersistS: { env: 'SMOKE_PERSIST_S', schema: Seconds, default: '20', help: 'how long smoke without heat must persist (device clock) before an alert' },
  smokeClearReadings: { env: 'SMOKE_CLEAR_READINGS', schema: Type.Integer({ minimum: 1, maximum: 100 }), default: '3', help: 'consecutive readings below SMOKE_CLEAR_OBSCURATION, the fixed temperature and the rate of rise that end a smoke episode (a later rise is a new alert)' },
  inferenceMaxBatch: { env: 'INFERENCE_MAX_BATCH', schema: Type.Integer({ minimum: 1, maximum: 65536 }), default: '256', help: 'most feature windows scored in one onnxruntime call' },
  inferenceMaxWaitMs: { env: 'INFERENCE_MAX_WAIT_MS', schema: Type.Number({ minimum: 0, maximum: 1000 }), default: '5', help: 'how long a window waits for others to fill its batch' },
  modelScanS: { env: 'MODEL_SCAN_S', schema: Type.Number({ minimum: 1 }), default: '30', help: 'how often inference looks for model versions in its folders and registers them in the database (the API lists and rolls out registered versions)' },
  rulesRefreshS: { env: 'ZONE_RULES_REFRESH_S', schema: Type.Number({ minimum: 1 }), default: '30', help: 'how often inference reloads zone rules and holiday calendars (changes made through the API apply at once)' },
  incidentWindowMin: { env: 'INCIDENT_WINDOW_MIN', schema: Type.Number({ minimum: 0 }), default: '30', help: 'alerts of one kind in one zone within this many minutes merge into one incident' },
  deviceSilentS: { env: 'DEVICE_SILENT_S', schema: Type.Integer({ minimum: 60, maximum: 604800 }), default: '600', help: 'a device that has sent nothing (no reading, no status) for this long, counted from its last reading or its registration, is flagged `silent` in the device list (the simulated devices send status every minute)' },
  deviceLowBatteryPct: { env: 'DEVICE_LOW_BATTERY_PCT', schema: Type.Number({ minimum: 0, maximum: 100 }), default: '20', help: 'battery (%) at or below which the device list flags a device `lowBattery`, from its newest status reading' },
  maxClockSkewS: { env: 'MAX_CLOCK_SKEW_S', schema: Seconds, default: '300', help: 'readings timestamped further ahead of the server clock are rejected' },
  maxReadingAgeH: { env: 'MAX_READING_AGE_H', schema: Seconds, default: '720', help: 'readings older than this are rejected (back-fill window)' },
  compressAfterD: { env: 'COMPRESS_AFTER_D', schema: Type.Integer({ minimum: 1 }), default: '7', help: 'raw readings older than this many days are compressed (TimescaleDB)' },
  rawRetentionD: { env: 'RAW_RETENTION_D', schema: Type.Integer({ minimum: 1 }), default: '90', help: 'raw readings are kept this many days' },
  aggRetentionD: { env: 'AGG_RETENTION_D', schema: Type.Integer({ minimum: 1 }), default: '730', help: 'per-minute / per-hour / per-5-minute aggregates are kept this many days' },
  brokerPersistence: { env: 'BROKER_PERSISTENCE', schema: Type.Union([Type.Literal('journal'), Type.Literal('memory')]), default: 'journal', help: '`journal`: persistent sessions, their queued QoS 1 messages and retained messages survive a broker restart (DATA_DIR/broker); `memory`: they do not' },
  ingestClientId: { env: 'INGEST_CLIENT_ID', schema: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), default: undefined, help: 'MQTT client id of ingest\'s persistent session; each ingest process (and its DATA_DIR/spool) needs its own (default `svc-ingest`; with REDIS_URL `svc-ingest-<BROKER_NODE_ID>`: the node\'s own devices only)' },
  redisUrl: { env: 'REDIS_URL', schema: Type.String({ pattern: '^rediss?://' }), default: undefined, help: 'Redis server clustering this broker node with the others (shared message bus and session store); unset = a single broker' },
  brokerNodeId: { env: 'BROKER_NODE_ID', schema: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,48}$' }), default: undefined, help: 'this broker node\'s id in the cluster, stable across restarts (default: the host name)' },
  inferenceLeaseS: { env: 'INFERENCE_LEASE_S', schema: Type.Number({ minimum: 1, maximum: 3600 }), default: '10', help: 'how long an inference worker\'s lease on a zone lasts without renewal (renewed every third of it); a dead worker\'s zones are taken over within two leases' },
  inferenceRebuildS: { env: 'INFERENCE_REBUILD_S', schema: Type.Number({ minimum: 0, maximum: 604800 }), default: '1800', help: 'how far back a worker taking over a zone replays its stored readings to rebuild windows, episodes and ladders' },
  ingestSharedGroup: { env: 'INGEST_SHARED_GROUP', schema: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), default: undefined, help: 'with an external broker that offers shared subscriptions (MQTT_URL; Mosquitto 2, EMQX): ingest subscribes with `$share/<group>/…`, so the ingest processes of one group split the telemetry, each message going to one of them (each process needs its own INGEST_CLIENT_ID and DATA_DIR); not with REDIS_URL' },
  ingestSpoolMaxMb: { env: 'INGEST_SPOOL_MAX_MB', schema: Type.Integer({ minimum: 1 }), default: '1024', help: 'disk the database-outage spool may use; past 80% full `ingest_spool_alarm` is 1; when full, ingest stops acknowledging' },
  ingestSpoolMaxRecords: { env: 'INGEST_SPOOL_MAX_RECORDS', schema: Type.Integer({ minimum: 1 }), default: '2000000', help: 'messages the spool may hold (a batch message is one)' },
  majorFineYuan: { env: 'MAJOR_FINE_YUAN', schema: Type.Integer({ minimum: 1 }), default: '10000', help: 'a proposed fine at or above this (yuan) is a major decision, reviewed by the district legal review centre' },
  decisionWarningDays: { env: 'DECISION_WARNING_DAYS', schema: Type.String({ pattern: '^([1-8]?[0-9])(,[1-8]?[0-9])*$' }), default: '60,80', help: 'days after filing at which a general-procedure case warns of its 90-day decision deadline (comma list)' },
  majorReviewOpinions: { env: 'MAJOR_REVIEW_OPINIONS', schema: Type.Integer({ minimum: 0, maximum: 10 }), default: '2', help: 'opinions of the legal review centre\'s reviewers (会商) a major decision needs before it is approved' },
  statementDays: { env: 'STATEMENT_DAYS', schema: Type.Integer({ minimum: 1, maximum: 60 }), default: '3', help: 'days after the day a notice of an intended penalty is served that the party has to state a case and defend itself, where no hearing is available (otherwise HEARING_REQUEST_DAYS); a penalty is decided after them unless the party was heard or waived in writing' },
  hearingRequestDays: { env: 'HEARING_REQUEST_DAYS', schema: Type.Integer({ minimum: 1, maximum: 60 }), default: '5', help: 'days after the day of service within which the party requests a hearing (Administrative Penalty Law art. 64: 5); the statement period where a hearing is available' },
  extensionMaxDays: { env: 'DECISION_EXTENSION_MAX_DAYS', schema: Type.Integer({ minimum: 1, maximum: 365 }), default: '30', help: 'the longest single extension of a general-procedure case\'s decision deadline (calendar days after the current deadline)' },
  extensionsWithoutDiscussion: { env: 'DECISION_EXTENSIONS_WITHOUT_DISCUSSION', schema: Type.Integer({ minimum: 0, maximum: 10 }), default: '1', help: 'extensions of the decision deadline the agency head approves alone; each further one needs the collective discussion (集体讨论) of the agency\'s leaders on record' },
  presenceConfirmMin: { env: 'PRESENCE_CONFIRM_MIN', schema: Type.Integer({ minimum: 1, maximum: 1440 }), default: '30', help: 'minutes after arrival within which the second officer confirms presence from their own session' },
  presenceMaxDistanceM: { env: 'PRESENCE_MAX_DISTANCE_M', schema: Type.Integer({ minimum: 1, maximum: 100000 }), default: '300', help: 'how far (metres) the second officer\'s confirmed position may be from the arrival position' },
  inspectionRepeatDays: { env: 'INSPECTION_REPEAT_DAYS', schema: Type.Integer({ minimum: 0, maximum: 3650 }), default: '90', help: 'an entity is not inspected again for the same checklist item within this many days unless a case about its party justifies it' },
  inspectionYellow: { env: 'INSPECTION_YELLOW', schema: Type.String({ pattern: '^(0(\\.\\d+)?|1(\\.0+)?)/(quarter|month)$' }), default: '0.02/quarter', help: 'random inspections of yellow entities: probability per entity / plan period (quarter or month)' },
  inspectionRed: { env: 'INSPECTION_RED', schema: Type.String({ pattern: '^(0(\\.\\d+)?|1(\\.0+)?)/(quarter|month)$' }), default: '0.05/month', help: 'random inspections of red entities: probability per entity / plan period (quarter or month)' },
  creditRecompute: { env: 'CREDIT_RECOMPUTE', schema: Type.Union(['quarter', 'month', 'week', 'day'].map((p) => Type.Literal(p))), default: 'quarter', help: 'how often every market entity\'s credit colour is recomputed on schedule (admins and operators can also recompute on demand)' },
  creditCheckIntervalS: { env: 'CREDIT_CHECK_INTERVAL_S', schema: Type.Number({ minimum: 1 }), default: '3600', help: 'how often the enforcement service checks whether the period\'s scheduled credit computation is due (also once at start)' },
  creditLookbackDays: { env: 'CREDIT_LOOKBACK_DAYS', schema: Type.Integer({ minimum: 1, maximum: 3650 }), default: '365', help: 'cases whose act lies within this many days count in an entity\'s credit record' },
  creditPoints: { env: 'CREDIT_POINTS', schema: Type.String({ pattern: '^\\d+,\\d+$' }), default: '1,6', help: 'credit points at which an entity turns yellow, and red (decided case with a penalty 3, sensor-recorded violation 1, complaint upheld 2, correction −1)' },
  disposalBaselineMin: { env: 'DISPOSAL_BASELINE_MIN', schema: Type.String({ pattern: '^([a-z_]+=[0-9]+(\\.[0-9]+)?)?(,[a-z_]+=[0-9]+(\\.[0-9]+)?)*$' }), default: 'noise=120,fishing=90,crowding=30,complaint=240', help: 'discovery-to-disposal median before the platform, minutes per kind (kind=minutes, comma list): the figures show it beside the measured median and the −40 % target' },
  evidenceZoneToleranceM: { env: 'EVIDENCE_ZONE_TOLERANCE_M', schema: Type.Integer({ minimum: 0, maximum: 100000 }), default: '500', help: 'how far (metres) outside the case\'s zone a recording (photo, video, audio, measurement) may be captured without a stated reason (placeReason)' },
  evidenceMaxBytes: { env: 'EVIDENCE_MAX_BYTES', schema: Type.Integer({ minimum: 1024, maximum: 104857600 }), default: '10485760', help: 'largest evidence file accepted (bytes)' },
  escalationIntervalS: { env: 'ESCALATION_INTERVAL_S', schema: Type.Number({ minimum: 1 }), default: '30', help: 'how often the enforcement service looks for missed SLA deadlines and crossed decision-deadline warnings (also once at start)' },
  maintenanceIntervalS: { env: 'MAINTENANCE_INTERVAL_S', schema: Type.Number({ minimum: 1 }), default: '60', help: 'how often aggregates are refreshed and due jobs run where no scheduler does it' },
  complaintReplyDueH: { env: 'COMPLAINT_REPLY_DUE_H', schema: Type.Number({ minimum: 0.1 }), default: '72', help: 'hours a team has to reply to a complaint (handled, in stages or not handled): the on-time closure rate counts replies by then' },
  complaintCoordinationMin: { env: 'COMPLAINT_COORDINATION_MIN', schema: Type.Number({ minimum: 1 }), default: '120', help: 'minutes a complaint waits in the coordination queue before it escalates to the next level (operations centre lead, then the agency head)' },
  complaintPublicPerHour: { env: 'COMPLAINT_PUBLIC_PER_HOUR', schema: Type.Integer({ minimum: 0 }), default: '5', help: 'complaints one client address may file per hour through the public form and Open311 (0 = the public form is closed)' },
  complaintLookupPerHour: { env: 'COMPLAINT_LOOKUP_PER_HOUR', schema: Type.Integer({ minimum: 1 }), default: '30', help: 'status lookups (tracking number + check code, Open311 status) one client address may make per hour' },
  complaintPhotoMaxBytes: { env: 'COMPLAINT_PHOTO_MAX_BYTES', schema: Type.Integer({ minimum: 1024, maximum: 10485760 }), default: '2097152', help: 'largest photo a complaint may carry (bytes, decoded); at most 5 photos' },
  open311ApiKeys: { env: 'OPEN311_API_KEYS', schema: Type.String({ pattern: '^[A-Za-z0-9_-]{16,}(,[A-Za-z0-9_-]{16,})*$' }), default: undefined, help: 'comma list of Open311 api_key values (16+ characters each); when set, POST requests.json needs one of them; unset, 311 clients file like the public form' },
  liveRetentionH: { env: 'LIVE_EVENTS_RETENTION_H', schema: Type.Number({ minimum: 1 }), default: '72', help: 'how long live-stream events are kept for clients resuming with Last-Event-ID (hours); older ones are pruned and such a client gets a `reset` event' },
  livePollMs: { env: 'LIVE_POLL_MS', schema: Type.Integer({ minimum: 20, maximum: 900 }), default: '250', help: 'how often the API looks for live events written by other processes (ms); events from this process are pushed at once' },
  webhookPollMs: { env: 'WEBHOOK_POLL_MS', schema: Type.Integer({ minimum: 20, maximum: 60000 }), default: '1000', help: 'how often the enforcement service looks for webhook messages due (ms)' },
  webhookBatch: { env: 'WEBHOOK_BATCH', schema: Type.Integer({ minimum: 1, maximum: 500 }), default: '20', help: 'webhook messages sent concurrently per poll' },
  webhookMaxAttempts: { env: 'WEBHOOK_MAX_ATTEMPTS', schema: Type.Integer({ minimum: 1, maximum: 1000 }), default: '20', help: 'attempts before a webhook message goes to the dead letters (with the defaults: about 6 hours of retries on average)' },
  webhookBackoffBaseMs: { env: 'WEBHOOK_BACKOFF_BASE_MS', schema: Type.Integer({ minimum: 1 }), default: '5000', help: 'ceiling of the first retry delay; it doubles per attempt (full jitter: the delay is random below the ceiling)' },
  webhookBackoffMaxS: { env: 'WEBHOOK_BACKOFF_MAX_S', schema: Type.Number({ minimum: 0.01 }), default: '3600', help: 'largest retry delay ceiling (seconds)' },
  webhookTimeoutMs: { env: 'WEBHOOK_TIMEOUT_MS', schema: Type.Integer({ minimum: 100, maximum: 120000 }), default: '10000', help: 'time a subscriber has to answer one webhook attempt' },
  webhookAllowedHosts: { env: 'WEBHOOK_ALLOWED_HOSTS', schema: Type.String({ pattern: '^[A-Za-z0-9.:\\[\\]_-]*(,[A-Za-z0-9.:\\[\\]_-]+)*$' }), default: undefined, help: 'hosts (or host:port) subscribers may use even though they are internal addresses or plain http (comma list); others must be public https' },
  webhookAllowPrivate: { env: 'WEBHOOK_ALLOW_PRIVATE', schema: Type.Boolean(), default: 'false', help: '`true` lets subscriber URLs reach private, loopback and link-local addresses and plain http (closed networks, tests)' },
  webhookRotationGraceS: { env: 'WEBHOOK_ROTATION_GRACE_S', schema: Type.Integer({ minimum: 0, maximum: 2592000 }), default: '86400', help: 'how long a rotated-out webhook secret keeps signing beside the new one' },
  webhookToleranceS: { env: 'WEBHOOK_TOLERANCE_S', schema: Type.Integer({ minimum: 1, maximum: 86400 }), default: '300', help: 'inbound webhooks: how far webhook-timestamp may be from our clock (the replay window)' },
  fishingBanInboundSecrets: { env: 'FISHING_BAN_INBOUND_SECRETS', schema: Type.String({ pattern: '^whsec_[A-Za-z0-9+/=]{24,}(,whsec_[A-Za-z0-9+/=]{24,})?$' }), default: undefined, help: 'secret(s) the fishing-ban system signs its posts to /api/v1/exchange/fishing-ban with (whsec_…; two, comma-separated, while it rotates); unset = that endpoint answers 503' },
} as const satisfies Record<string, Variable>;

type Key = keyof typeof VARIABLES;

const ConfigSchema = Type.Object({
  mqtt: Type.Object({
    port: Port,
    host: Type.String(),
    url: Type.Optional(Type.String()),
    servicePassword: Type.Optional(Type.String()),
    limits: Type.Object({ maxPacketBytes: Type.Integer(), maxConnections: Type.Integer(), maxPendingPerAddress: Type.Integer(), devicePublishRate: Type.Number(), devicePublishBurst: Type.Integer(), maxQos2PendingBytes: Type.Integer() }),
  }),
  http: Type.Object({ port: Port, host: Type.String(), grafanaUrl: Type.String() }),
  tls: Type.Optional(Type.Object({ certFile: Type.String(), keyFile: Type.String(), mqttPort: Port, mqttCaFile: Type.Optional(Type.String()) })),
  database: Type.Object({ url: Type.Optional(Type.String()), dataDir: Type.String() }),
  broker: Type.Object({ persistence: Type.Union([Type.Literal('journal'), Type.Literal('memory')]), cluster: Type.Optional(Type.Object({ redisUrl: Type.String(), nodeId: Type.String() })) }),
  ingest: Type.Object({ clientId: Type.String(), sharedGroup: Type.Optional(Type.String()), spoolMaxBytes: Type.Integer(), spoolMaxRecords: Type.Integer() }),
  services: Type.Array(Type.Union(SERVICE_NAMES.map((s) => Type.Literal(s)))),
  /** SERVICES split at `|`: one entry = this process runs them all; more = a supervisor of one child per group. */
  processGroups: Type.Array(Type.Array(Type.Union(SERVICE_NAMES.map((s) => Type.Literal(s))))),
  adminPassword: Type.Optional(Type.String()),
  jwtSecret: Type.Optional(Type.String()),
  metricsToken: Type.Optional(Type.String()),
  secrets: Type.Object({ key: Type.Optional(Type.String()), keyFile: Type.String() }),
  auth: Type.Object({ accessTtlS: Type.Integer(), refreshTtlS: Type.Integer(), loginFreeAttempts: Type.Integer(), loginMaxBackoffS: Type.Integer(), passwordHashCost: Type.Integer() }),
  logLevel: Type.String(),
  timezone: Type.String(),
  noise: Type.Object({ minDurationS: Seconds, leqWindowS: Seconds, gapS: Seconds }),
  incidentWindowMin: Type.Number(),
  rulesRefreshS: Seconds,
  fishing: Type.Object({ minDurationS: Seconds, warnings: Type.Integer(), gapS: Seconds }),
  crowding: Type.Object({ counterMaxAgeS: Seconds, counterWaitS: Seconds, minHistoryMin: Type.Integer(), counterImputeS: Seconds, counterMinuteMean: Type.Boolean() }),
  intrusion: Type.Object({ edgeM: Type.Number(), confirmS: Seconds, graceS: Seconds, gapS: Seconds }),
  smoke: Type.Object({
    alarmObscuration: Type.Number(), clearObscuration: Type.Number(), fixedTempC: Type.Number(), rateOfRiseCPerMin: Type.Number(),
    confirmReadings: Type.Integer(), persistReadings: Type.Integer(), persistS: Seconds, clearReadings: Type.Integer(),
  }),
  inference: Type.Object({ noiseSmoothing: Type.Integer(), maxBatch: Type.Integer(), maxWaitMs: Type.Number(), modelScanS: Seconds, leaseS: Type.Number(), rebuildS: Seconds }),
  speakers: Type.Object({ cooldownS: Seconds, quietStartHour: Type.Integer(), quietEndHour: Type.Integer(), volume: Type.Integer(), effectWindowS: Seconds }),
  readings: Type.Object({ maxClockSkewS: Seconds, maxAgeH: Seconds }),
  devices: Type.Object({ silentS: Type.Integer(), lowBatteryPct: Type.Number() }),
  storage: Type.Object({ compressAfterDays: Type.Integer(), rawRetentionDays: Type.Integer(), aggregateRetentionDays: Type.Integer(), intervalS: Seconds }),
  legal: Type.Object({
    majorFineYuan: Type.Integer(), decisionWarningDays: Type.Array(Type.Integer()), evidenceMaxBytes: Type.Integer(), evidenceZoneToleranceM: Type.Integer(),
    majorReviewOpinions: Type.Integer(), presenceConfirmMinutes: Type.Integer(), presenceMaxDistanceM: Type.Integer(),
    statementDays: Type.Integer(), hearingRequestDays: Type.Integer(),
    extensionMaxDays: Type.Integer(), extensionsWithoutDiscussion: Type.Integer(),
  }),
  figures: Type.Object({ baselineMinutes: Type.Record(Type.String(), Type.Number()) }),
  sla: Type.Object({ escalationIntervalS: Seconds }),
  complaints: Type.Object({
    replyDueH: Type.Number(), coordinationMin: Type.Number(), publicPerHour: Type.Integer(), lookupPerHour: Type.Integer(),
    photoMaxBytes: Type.Integer(), open311ApiKeys: Type.Array(Type.String()),
  }),
  live: Type.Object({ retentionH: Type.Number(), pollMs: Type.Integer() }),
  inspections: Type.Object({
    repeatDays: Type.Integer(),
    yellow: Type.Object({ rate: Type.Number(), period: Type.Union([Type.Literal('quarter'), Type.Literal('month')]) }),
    red: Type.Object({ rate: Type.Number(), period: Type.Union([Type.Literal('quarter'), Type.Literal('month')]) }),
    creditRecompute: Type.Union([Type.Literal('quarter'), Type.Literal('month'), Type.Literal('week'), Type.Literal('day')]),
    creditCheckIntervalS: Seconds,
    creditLookbackDays: Type.Integer(),
    yellowAt: Type.Integer(),
    redAt: Type.Integer(),
  }),
  webhooks: Type.Object({
    pollMs: Type.Integer(), batch: Type.Integer(), maxAttempts: Type.Integer(), baseMs: Type.Number(), maxMs: Type.Number(), timeoutMs: Type.Integer(),
    allowedHosts: Type.Array(Type.String()), allowPrivate: Type.Boolean(), rotationGraceS: Type.Integer(), toleranceS: Type.Integer(),
    fishingBanSecrets: Type.Array(Type.String()),
  }),
});
export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

function read(env: NodeJS.ProcessEnv, key: Key): unknown {
  const v: Variable = VARIABLES[key];
  const raw = env[v.env] === undefined || env[v.env] === '' ? v.default : env[v.env];
  if (raw === undefined) return undefined;
  const value = Value.Convert(v.schema, raw);
  if (!Value.Check(v.schema, value)) {
    const first = [...Value.Errors(v.schema, value)][0];
    throw new ConfigError(`Invalid ${v.env}=${JSON.stringify(raw)}: ${first?.message ?? 'not accepted'} (${v.help})`);
  }
  return value;
}

function powerOfTwo(env: string, n: number): number {
  if ((n & (n - 1)) !== 0) throw new ConfigError(`Invalid ${env}=${n}: not a power of two`);
  return n;
}

function checkTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new ConfigError(`Invalid DEFAULT_TIMEZONE=${JSON.stringify(tz)}: not an IANA timezone`);
  }
}

/** TLS needs both the certificate and its key; a CA for client certificates needs TLS. */
function tlsConfig(certFile: string | undefined, keyFile: string | undefined, mqttPort: number, mqttCaFile: string | undefined): Config['tls'] {
  if (!certFile !== !keyFile) throw new ConfigError(`Invalid ${certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}: TLS_CERT_FILE and TLS_KEY_FILE are set together`);
  if (!certFile || !keyFile) {
    if (mqttCaFile) throw new ConfigError('Invalid MQTT_TLS_CA_FILE: mutual TLS needs TLS_CERT_FILE and TLS_KEY_FILE');
    return undefined;
  }
  return { certFile, keyFile, mqttPort, ...(mqttCaFile ? { mqttCaFile } : {}) };
}

/** A host name as a node id (client-id characters only). */
const nodeIdOf = (host: string) => host.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 48) || 'node';

/** `0.02/quarter` → rate and plan period. */
function rateOf(v: string): { rate: number; period: 'quarter' | 'month' } {
  const [rate, period] = v.split('/');
  return { rate: Number(rate), period: period === 'month' ? 'month' : 'quarter' };
}

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const get = <T>(key: Key) => read(env, key) as T;
  const simulatorOn = get<string>('simulator') === 'on';
  const processGroups = get<string>('services')
    .split('|')
    .map((group) => [...new Set(group
      .split(',')
      .filter((s): s is ServiceName => (SERVICE_NAMES as readonly string[]).includes(s))
      .filter((s) => s !== 'simulator' || simulatorOn))])
    .filter((group) => group.length > 0);
  const services = processGroups.flat();
  const twice = services.find((s, i) => services.indexOf(s) !== i);
  if (twice) throw new ConfigError(`Invalid SERVICES: ${twice} is in two process groups (each service runs in one)`);
  if (processGroups.length > 1 && !get('databaseUrl')) {
    throw new ConfigError('Invalid SERVICES: process groups (`|`) need DATABASE_URL: the embedded database serves one process');
  }
  const redisUrl = get<string | undefined>('redisUrl');
  const cluster = redisUrl ? { redisUrl, nodeId: get<string | undefined>('brokerNodeId') ?? nodeIdOf(os.hostname()) } : undefined;
  const sharedGroup = get<string | undefined>('ingestSharedGroup');
  if (sharedGroup && redisUrl) {
    throw new ConfigError('Invalid INGEST_SHARED_GROUP: not with REDIS_URL (a node-bound ingest session already takes only its node\'s devices; the embedded broker has no shared subscriptions)');
  }
  if (sharedGroup && !get('mqttUrl')) {
    throw new ConfigError('Invalid INGEST_SHARED_GROUP: needs MQTT_URL, an external broker that offers shared subscriptions (Mosquitto 2, EMQX); the embedded broker has none');
  }
  const config: Config = {
    mqtt: {
      port: get('mqttPort'),
      host: get('mqttHost'),
      url: get('mqttUrl'),
      servicePassword: get('servicePassword'),
      limits: { maxPacketBytes: get('mqttMaxPacketBytes'), maxConnections: get('mqttMaxConnections'), maxPendingPerAddress: get('mqttMaxPendingPerAddress'), devicePublishRate: get('mqttDeviceRate'), devicePublishBurst: get('mqttDeviceBurst'), maxQos2PendingBytes: get('mqttMaxQos2PendingBytes') },
    },
    http: { port: get('httpPort'), host: get('httpHost'), grafanaUrl: get('grafanaUrl') },
    tls: tlsConfig(get('tlsCertFile'), get('tlsKeyFile'), get('mqttTlsPort'), get('mqttTlsCaFile')),
    database: { url: get('databaseUrl'), dataDir: path.resolve(get<string>('dataDir')) },
    broker: { persistence: get('brokerPersistence'), ...(cluster ? { cluster } : {}) },
    ingest: { clientId: get<string | undefined>('ingestClientId') ?? (cluster ? ingestSessionOfNode(cluster.nodeId) : sharedGroup ? ingestSessionOfNode(nodeIdOf(os.hostname())) : INGEST_SESSION), ...(sharedGroup ? { sharedGroup } : {}), spoolMaxBytes: get<number>('ingestSpoolMaxMb') * 1024 * 1024, spoolMaxRecords: get('ingestSpoolMaxRecords') },
    services,
    processGroups,
    adminPassword: get('adminPassword'),
    jwtSecret: get('jwtSecret'),
    metricsToken: get('metricsToken'),
    secrets: { key: get('secretsKey'), keyFile: path.resolve(get<string | undefined>('secretsKeyFile') ?? path.join(get<string>('dataDir'), 'secrets.key')) },
    auth: { accessTtlS: get('accessTokenTtlS'), refreshTtlS: get('refreshTokenTtlS'), loginFreeAttempts: get('loginFreeAttempts'), loginMaxBackoffS: get('loginMaxBackoffS'), passwordHashCost: powerOfTwo('PASSWORD_HASH_COST', get('passwordHashCost')) },
    logLevel: get('logLevel'),
    timezone: get('timezone'),
    noise: { minDurationS: get('noiseMinDurationS'), leqWindowS: get('noiseLeqWindowS'), gapS: get('noiseGapS') },
    incidentWindowMin: get('incidentWindowMin'),
    rulesRefreshS: get('rulesRefreshS'),
    fishing: { minDurationS: get('fishingMinDurationS'), warnings: get('fishingWarnings'), gapS: get('fishingGapS') },
    crowding: { counterMaxAgeS: get('counterMaxAgeS'), counterWaitS: get('counterWaitS'), minHistoryMin: get('crowdingMinHistoryMin'), counterImputeS: get('counterImputeS'), counterMinuteMean: get('counterMinuteMean') },
    intrusion: { edgeM: get('intrusionEdgeM'), confirmS: get('intrusionConfirmS'), graceS: get('intrusionGraceS'), gapS: get('intrusionGapS') },
    smoke: {
      alarmObscuration: get('smokeAlarmObscuration'),
      clearObscuration: get('smokeClearObscuration'),
      fixedTempC: get('smokeFixedTempC'),
      rateOfRiseCPerMin: get('smokeRateOfRise'),
      confirmReadings: get('smokeConfirmReadings'),
      persistReadings: get('smokePersistReadings'),
      persistS: get('smokePersistS'),
      clearReadings: get('smokeClearReadings'),
    },
    inference: { noiseSmoothing: get('noiseSmoothing'), maxBatch: get('inferenceMaxBatch'), maxWaitMs: get('inferenceMaxWaitMs'), modelScanS: get('modelScanS'), leaseS: get('inferenceLeaseS'), rebuildS: get('inferenceRebuildS') },
    speakers: {
      cooldownS: get('speakerCooldownS'),
      quietStartHour: Number(get<string>('speakerQuietHours').split('-')[0]),
      quietEndHour: Number(get<string>('speakerQuietHours').split('-')[1]),
      volume: get('speakerVolume'),
      effectWindowS: get('speakerEffectWindowS'),
    },
    readings: { maxClockSkewS: get('maxClockSkewS'), maxAgeH: get('maxReadingAgeH') },
    devices: { silentS: get('deviceSilentS'), lowBatteryPct: get('deviceLowBatteryPct') },
    storage: {
      compressAfterDays: get('compressAfterD'),
      rawRetentionDays: get('rawRetentionD'),
      aggregateRetentionDays: get('aggRetentionD'),
      intervalS: get('maintenanceIntervalS'),
    },
    legal: {
      majorFineYuan: get('majorFineYuan'),
      decisionWarningDays: get<string>('decisionWarningDays').split(',').map(Number),
      evidenceMaxBytes: get('evidenceMaxBytes'),
      evidenceZoneToleranceM: get('evidenceZoneToleranceM'),
      majorReviewOpinions: get('majorReviewOpinions'),
      presenceConfirmMinutes: get('presenceConfirmMin'),
      presenceMaxDistanceM: get('presenceMaxDistanceM'),
      statementDays: get('statementDays'),
      hearingRequestDays: get('hearingRequestDays'),
      extensionMaxDays: get('extensionMaxDays'),
      extensionsWithoutDiscussion: get('extensionsWithoutDiscussion'),
    },
    figures: {
      baselineMinutes: Object.fromEntries(get<string>('disposalBaselineMin').split(',').filter((x) => x !== '').map((kv) => {
        const [kind, minutes] = kv.split('=');
        return [kind!, Number(minutes)];
      })),
    },
    sla: { escalationIntervalS: get('escalationIntervalS') },
    complaints: {
      replyDueH: get('complaintReplyDueH'), coordinationMin: get('complaintCoordinationMin'), publicPerHour: get('complaintPublicPerHour'),
      lookupPerHour: get('complaintLookupPerHour'), photoMaxBytes: get('complaintPhotoMaxBytes'),
      open311ApiKeys: (get<string | undefined>('open311ApiKeys') ?? '').split(',').filter((k) => k.length > 0),
    },
    live: { retentionH: get('liveRetentionH'), pollMs: get('livePollMs') },
    inspections: {
      repeatDays: get('inspectionRepeatDays'),
      yellow: rateOf(get('inspectionYellow')),
      red: rateOf(get('inspectionRed')),
      creditRecompute: get('creditRecompute'),
      creditCheckIntervalS: get('creditCheckIntervalS'),
      creditLookbackDays: get('creditLookbackDays'),
      yellowAt: Number(get<string>('creditPoints').split(',')[0]),
      redAt: Number(get<string>('creditPoints').split(',')[1]),
    },
    webhooks: {
      pollMs: get('webhookPollMs'),
      batch: get('webhookBatch'),
      maxAttempts: get('webhookMaxAttempts'),
      baseMs: get('webhookBackoffBaseMs'),
      maxMs: get<number>('webhookBackoffMaxS') * 1000,
      timeoutMs: get('webhookTimeoutMs'),
      allowedHosts: (get<string | undefined>('webhookAllowedHosts') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== ''),
      allowPrivate: get('webhookAllowPrivate'),
      rotationGraceS: get('webhookRotationGraceS'),
      toleranceS: get('webhookToleranceS'),
      fishingBanSecrets: (get<string | undefined>('fishingBanInboundSecrets') ?? '').split(',').filter((s) => s !== ''),
    },
  };
  if (config.inspections.redAt <= config.inspections.yellowAt || config.inspections.yellowAt < 1) {
    throw new ConfigError(`Invalid CREDIT_POINTS=${JSON.stringify(get('creditPoints'))}: yellow at 1 or more, red above yellow`);
  }
  checkTimezone(config.timezone);
  if (config.smoke.clearObscuration >= config.smoke.alarmObscuration) {
    throw new ConfigError(`Invalid SMOKE_CLEAR_OBSCURATION=${config.smoke.clearObscuration}: must be below SMOKE_ALARM_OBSCURATION (${config.smoke.alarmObscuration}), or an alarm could never clear with hysteresis`);
  }
  if (!Value.Check(ConfigSchema, config)) {
    throw new ConfigError(`configuration incomplete: ${[...Value.Errors(ConfigSchema, config)][0]?.path ?? '?'}`);
  }
  return config;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

/**
 * What a start should warn about in how it is reachable: a listener on a non-loopback interface
 * without TLS carries device secrets and officers' tokens in clear (fine behind a TLS proxy or on a
 * closed network, which the operator then knows they rely on).
 */
export function transportWarnings(config: Config): string[] {
  if (config.tls) return [];
  const out: string[] = [];
  const serves = (s: Config['services'][number]) => config.services.includes(s);
  if (serves('broker') && !LOOPBACK.test(config.mqtt.host)) {
    out.push(`MQTT listens on ${config.mqtt.host} without TLS: set TLS_CERT_FILE and TLS_KEY_FILE (devices then use MQTT_TLS_PORT), or MQTT_HOST=127.0.0.1 behind a TLS proxy`);
  }
  if (serves('api') && !LOOPBACK.test(config.http.host)) {
    out.push(`HTTP listens on ${config.http.host} without TLS: set TLS_CERT_FILE and TLS_KEY_FILE, or HTTP_HOST=127.0.0.1 behind a TLS proxy`);
  }
  return out;
}
