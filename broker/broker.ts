import net from 'node:net';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { listenError } from '../core/errors.js';
import { createPolicy, deviceMaySubscribe, grantableOnRestore, isDeviceId, type Policy, type PolicyDeps } from './policy.js';
import { MAX_IN_FLIGHT, ReadGate, SERVER_TUNING, coalesceWrites, disableDuplicateFilter, lightParserBuffer } from './tuning.js';
import { BrokerPersistence } from './persistence.js';
import { batchQoS0Delivery } from './delivery.js';
import { TopicEmitter } from './emitter.js';
import { parsePublishesInPlace } from './parser.js';
import { acknowledgeWhenStored } from './publish-ack.js';
import { addressKey, boundQos2Pending, DEFAULT_LIMITS, limitPacketSize, PendingLogins, type BrokerLimits } from './limits.js';
import { clusterParts, deliverOnlyOwnNode } from './cluster.js';
import { routeLocally } from './local.js';
import type { LocalRoute } from '../core/local-delivery.js';

export interface BrokerOptions {
  port: number;
  host: string;
  /** Where the session journal lives (DATA_DIR/broker); unset = sessions in memory only. */
  journalDir?: string;
  /** How long stop() waits for service subscribers to take what is queued for them. */
  drainMs?: number;
  /** Packet size, connection and publish-rate limits; DEFAULT_LIMITS where unset. */
  limits?: Partial<BrokerLimits>;
  /** A second listener for MQTT over TLS (MQTT_TLS_PORT with TLS_CERT_FILE / TLS_KEY_FILE). */
  tls?: BrokerTls;
  /** Clustered through Redis (REDIS_URL): this node's id (BROKER_NODE_ID) and the Redis server. */
  cluster?: { redisUrl: string; nodeId: string };
  /** Services in this process taking publishes straight from the broker (core/local-delivery.ts); not with a cluster. */
  local?: LocalRoute;
  /** How often connected devices' login secrets are checked against the registry (CREDENTIAL_CHECK_MS). */
  credentialCheckMs?: number;
}

/**
 * How often the broker checks that every connected device's login secret is still in force: a secret
 * rotated out (or whose grace period ended) closes the connections that logged in with it within this.
 */
export const CREDENTIAL_CHECK_MS = 5000;

export interface BrokerTls {
  port: number;
  certFile: string;
  keyFile: string;
  /**
   * MQTT_TLS_CA_FILE: when set, devices on the TLS listener must present a client certificate issued
   * by this CA whose common name is their device id (mutual TLS); the secret is still checked.
   */
  caFile?: string;
}

/** The embedded MQTT broker (Aedes, MQTT 3.1.1) with the device policy plugged into its hooks. */
export class BrokerService {
  private aedes?: Aedes;
  private server?: net.Server;
  private tlsServer?: tls.Server;
  private boundTlsPort = 0;
  private boundPort = 0;
  private persistence?: BrokerPersistence;
  private isService: (client: Client) => boolean = () => false;
  private clusterStore?: { destroy(): Promise<void> };
  private credentialTimer?: NodeJS.Timeout;
  private credentialCheck?: Promise<void>;

  constructor(
    private readonly opts: BrokerOptions,
    private readonly deps: Omit<PolicyDeps, 'log' | 'metrics'>,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get tlsPort(): number {
    return this.boundTlsPort;
  }

  get listening(): boolean {
    return this.server?.listening === true;
  }

  async start(): Promise<void> {
    const limits: BrokerLimits = { ...DEFAULT_LIMITS, ...this.opts.limits };
    const policy = createPolicy({ ...this.deps, limits, log: this.log, metrics: this.metrics });
    const tooLarge = this.metrics.counter('mqtt_packets_too_large_total', 'connections closed because a packet exceeded MQTT_MAX_PACKET_BYTES');
    const overLimit = this.metrics.counter('mqtt_connections_refused_total', 'connections closed at accept: MQTT_MAX_CONNECTIONS open (max_connections), or MQTT_MAX_PENDING_PER_ADDRESS of its address not logged in yet (pending_per_address)', ['reason']);
    const pending = new PendingLogins(limits.maxPendingPerAddress);
    /** Settles a connection's place among its address's pending logins, once: at login or close. */
    const settles = new WeakMap<Client, () => void>();
    this.isService = (client) => policy.principalOf(client)?.type === 'service';
    const cluster = this.opts.cluster ? clusterParts(this.opts.cluster.redisUrl, this.opts.cluster.nodeId, (err) => this.log.error({ err }, 'redis error')) : undefined;
    this.clusterStore = cluster?.persistence as unknown as { destroy(): Promise<void> } | undefined;
    const emitter = cluster ? undefined : new TopicEmitter();
    const persistence = cluster ? undefined : await this.openJournal();
    const qos2Refused = this.metrics.counter('mqtt_qos2_pending_refused_total', 'connections closed because their client id left more than MQTT_MAX_QOS2_PENDING_BYTES of QoS 2 publishes awaiting PUBREL');
    boundQos2Pending((cluster?.persistence ?? persistence) as unknown as Parameters<typeof boundQos2Pending>[0], limits.maxQos2PendingBytes, (client, held) => {
      qos2Refused.inc();
      const p = policy.principalOf(client);
      this.log.warn({ clientId: client.id, device: p?.type === 'device' ? p.deviceId : undefined, held, max: limits.maxQos2PendingBytes }, 'QoS 2 publishes awaiting PUBREL over the limit: connection closed');
    });
    // A persistent session keeps only the subscriptions the policy granted (policy.storable).
    const sessions = (cluster?.persistence ?? persistence) as unknown as { addSubscriptions(client: Client, subs: { topic: string }[]): Promise<void> };
    const addSubscriptions = sessions.addSubscriptions.bind(sessions);
    sessions.addSubscriptions = (client, subs) => addSubscriptions(client, policy.storable(client, subs));
    const aedes = await Aedes.createBroker({
      ...(cluster ? { id: this.opts.cluster?.nodeId } : {}),
      mq: (cluster?.bus.mq ?? emitter) as never,
      persistence: (cluster?.persistence ?? persistence) as never,
      // Once a session is authenticated, before its subscriptions are restored: a resumed session's new
      // connection numbers its messages on from the ids its old messages hold.
      authenticate: (client, username, password, done) => policy.authenticate(client, username, password, (err, ok) => {
        const next = ok && persistence && !client.clean ? persistence.nextMessageId(client.id) : undefined;
        if (next !== undefined) (client as unknown as { _nextId: number })._nextId = next;
        done(err, ok);
      }),
      authorizePublish: policy.authorizePublish,
      authorizeSubscribe: policy.authorizeSubscribe,
    });
    this.aedes = aedes;
    // Emitted as the UNSUBACK is written: a device that waits for it finds the places free.
    aedes.on('unsubscribe', (filters, client) => policy.unsubscribed(client, filters));
    this.metrics.gauge('mqtt_connected_clients', 'clients connected to the broker', [], function () {
      this.set(aedes.connectedClients);
    });
    if (persistence) {
      this.metrics.gauge('mqtt_queued_messages', 'QoS 1 messages queued for persistent sessions and not yet acknowledged', [], function () {
        this.set(persistence.queued);
      });
      this.metrics.gauge('mqtt_journal_bytes', 'size of the broker session journal', [], function () {
        this.set(persistence.journalBytes);
      });
      this.metrics.gauge('mqtt_journal_compactions', 'broker session journal rewrites from the live state since start', [], function () {
        this.set(persistence.journalCompactions);
      });
    }
    aedes.on('clientError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'client error'));
    aedes.on('connectionError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'connection error'));
    const local = this.opts.local;
    if (local && emitter) {
      const backlog = await routeLocally(emitter, local, persistence);
      if (backlog > 0) this.log.info({ messages: backlog, session: local.session }, 'journalled backlog handed to ingest in this process');
    }
    // Publishes to services in this process are in flight until ingest has them durable.
    const gate = new ReadGate(cluster?.bus ?? (emitter as TopicEmitter), local && emitter ? Math.max(MAX_IN_FLIGHT, local.maxInFlight) : MAX_IN_FLIGHT);
    aedes.on('client', (client) => settles.get(client)?.());
    const onConnection = (socket: net.Socket) => {
      const address = addressKey(socket.remoteAddress);
      if (!pending.admit(address)) {
        overLimit.inc({ reason: 'pending_per_address' });
        this.log.warn({ address, max: limits.maxPendingPerAddress }, 'connection refused: too many connections of its address not logged in');
        socket.destroy();
        return;
      }
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        pending.settle(address);
      };
      socket.once('close', settle);
      coalesceWrites(socket);
      const client = aedes.handle(socket);
      settles.set(client, settle);
      if (cluster) deliverOnlyOwnNode(client);
      disableDuplicateFilter(client);
      batchQoS0Delivery(client);
      lightParserBuffer(client);
      parsePublishesInPlace(client);
      acknowledgeWhenStored(client);
      limitPacketSize(client, limits.maxPacketBytes, () => {
        tooLarge.inc();
        const p = policy.principalOf(client);
        this.log.warn({ clientId: client.id, device: p?.type === 'device' ? p.deviceId : undefined, max: limits.maxPacketBytes }, 'packet too large: connection closed');
      });
      gate.attach(socket, () => policy.principalOf(client)?.type === 'device');
    };
    const listen = async (server: net.Server, port: number, variable: string): Promise<number> => {
      server.maxConnections = limits.maxConnections;
      server.on('drop', () => {
        overLimit.inc({ reason: 'max_connections' });
        this.log.warn({ max: limits.maxConnections }, 'connection refused: too many connections');
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(listenError(err, variable, port)));
        server.listen(port, this.opts.host, () => resolve());
      });
      return (server.address() as net.AddressInfo).port;
    };
    this.server = net.createServer(SERVER_TUNING, onConnection);
    this.boundPort = await listen(this.server, this.opts.port, 'MQTT_PORT');
    if (this.opts.tls) {
      const t = this.opts.tls;
      const [cert, key, ca] = await Promise.all([readFile(t.certFile), readFile(t.keyFile), t.caFile ? readFile(t.caFile) : undefined]);
      this.tlsServer = tls.createServer({ ...SERVER_TUNING, cert, key, ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) }, onConnection);
      this.tlsServer.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'tls handshake failed'));
      this.boundTlsPort = await listen(this.tlsServer, t.port, 'MQTT_TLS_PORT');
    }
    this.watchCredentials(aedes, policy);
    this.log.info({ port: this.boundPort, tlsPort: this.boundTlsPort || undefined, mutualTls: !!this.opts.tls?.caFile, node: this.opts.cluster?.nodeId }, 'mqtt broker listening');
  }

  /**
   * Closes, every `credentialCheckMs`, the device connections whose login secret is no longer in force:
   * a secret rotated out must not keep a stolen device's open connection publishing. A registry that
   * cannot be read keeps the connections (the next check tries again).
   */
  private watchCredentials(aedes: Aedes, policy: Policy): void {
    if (!this.deps.credentialsInForce) return;
    const revoked = this.metrics.counter('mqtt_credentials_revoked_total', 'device connections closed because the secret they logged in with is no longer in force (rotated out, grace period over, device removed)');
    const check = async () => {
      const connected = Object.values((aedes as unknown as { clients: Record<string, Client> }).clients);
      for (const { client, deviceId } of await policy.outOfForce(connected)) {
        revoked.inc();
        this.log.warn({ clientId: client.id, device: deviceId }, 'device disconnected: the secret it logged in with is no longer in force');
        client.close();
      }
    };
    this.credentialTimer = setInterval(() => {
      if (this.credentialCheck || aedes.closed) return;
      this.credentialCheck = check()
        .catch((err: unknown) => this.log.warn({ err }, 'device credentials could not be checked: connections kept until the next check'))
        .finally(() => (this.credentialCheck = undefined));
    }, this.opts.credentialCheckMs ?? CREDENTIAL_CHECK_MS);
    this.credentialTimer.unref();
  }

  /** The single-node session store: the journal in `journalDir`, or memory only. */
  private async openJournal(): Promise<BrokerPersistence> {
    const { persistence, restored } = await BrokerPersistence.open(this.opts.journalDir, this.log);
    this.persistence = persistence;
    if (this.opts.journalDir) this.log.info({ dir: this.opts.journalDir, restored }, 'broker sessions restored from the journal');
    await this.dropUngrantable(persistence);
    return persistence;
  }

  /**
   * Drops from the restored device sessions what the policy would not grant them now (grantableOnRestore):
   * a journal written before refused filters were kept out of storage may hold a device's `#`, which
   * queues every other device's telemetry for it while it is offline. A session is a device's when its
   * client id is a device id (services use reserved `svc-` ids) and, given a registry, a registered one.
   * The messages queued for it outside its own commands go too.
   */
  private async dropUngrantable(persistence: BrokerPersistence): Promise<void> {
    const stored = persistence.storedSessions();
    const ids = [...stored.keys()].filter(isDeviceId);
    if (ids.length === 0) return;
    let registered: ReadonlySet<string> | undefined;
    try {
      registered = this.deps.credentialsInForce ? new Set((await this.deps.credentialsInForce(ids)).keys()) : undefined;
    } catch (err) {
      this.log.warn({ err }, 'device registry unavailable at start: stored sessions judged by their client ids alone');
    }
    const dropped = this.metrics.counter('mqtt_restored_subscriptions_dropped_total', 'subscriptions of restored device sessions dropped at start because the policy does not grant them');
    for (const id of ids) {
      if (registered && !registered.has(id)) continue;
      const subs = stored.get(id)!;
      const keep = new Set(grantableOnRestore(id, subs));
      if (keep.size === subs.length) continue;
      const topics = subs.filter((s) => !keep.has(s)).map((s) => s.topic);
      const messages = await persistence.dropFromSession(id, topics, (topic) => deviceMaySubscribe(id, topic));
      dropped.inc(topics.length);
      this.log.warn({ clientId: id, filters: topics.map((t) => t.slice(0, 200)), messages }, 'restored device session: subscriptions the policy does not grant dropped, with the messages queued through them');
    }
  }

  /**
   * Draining stop: stop accepting, disconnect the devices (whatever they published and were not
   * acknowledged for, they send again to the next broker), give connected services up to `drainMs`
   * to take what is queued for them, disconnect the rest, then close the journal. Whatever is still
   * queued is in the journal and is delivered after the restart.
   */
  async stop(): Promise<void> {
    clearInterval(this.credentialTimer);
    await this.credentialCheck;
    const close = (server?: net.Server) => (server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve());
    const closed = Promise.all([close(this.server), close(this.tlsServer)]);
    const aedes = this.aedes;
    if (aedes && !aedes.closed) {
      // Aedes keeps its connected clients by id; its typings do not declare the map.
      const clients = () => Object.values((aedes as unknown as { clients: Record<string, Client> }).clients);
      await Promise.all(clients().filter((c) => !this.isService(c)).map((c) => new Promise<void>((resolve) => c.close(() => resolve()))));
      const deadline = Date.now() + (this.opts.drainMs ?? 2000);
      const services = () => clients().filter((c) => this.isService(c)).map((c) => c.id);
      while (Date.now() < deadline && (this.persistence?.queuedFor(services()) ?? 0) > 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
    await closed;
    await this.persistence?.close();
    await this.clusterStore?.destroy().catch((err: unknown) => this.log.warn({ err }, 'redis session store did not close cleanly'));
  }
}
