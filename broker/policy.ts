import { TLSSocket } from 'node:tls';
import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { sameSecret } from '../core/secrets.js';
import { devicePublishSuffixes, isDevicePublishTopic, topics } from '../contract/mqtt/topics.js';
import { STREAMS_OF_KIND } from '../contract/mqtt/telemetry.js';
import { SERVICE_CLIENT_PREFIX, SERVICE_USER } from '../contract/mqtt/accounts.js';
import { TokenBucket, type BrokerLimits } from './limits.js';

/**
 * The broker's security policy, passed to Aedes as its authenticate / authorize hooks (DESIGN §3):
 * each device logs in with its own id + secret and may publish only under `v1/devices/{id}/` and
 * subscribe only to its own commands; the `service` account (ingest, inference, enforcement) may do
 * anything except publish under `$SYS/`.
 */
export { SERVICE_USER };

/**
 * Who a connection is, fixed at login. A device's principal carries its topic prefix, computed once,
 * so the per-publish check is a prefix comparison and a set lookup with no splitting or allocation.
 */
export type Principal =
  | { type: 'service' }
  | {
    type: 'device'; deviceId: string; prefix: string; allowed: Set<string>; bucket?: TokenBucket;
    /** Topic suffixes its kind may publish (contract: devicePublishSuffixes). */ suffixes?: ReadonlySet<string>;
    /** The stored secret hash it logged in with: once no longer in force, the connection is closed. */ credential?: string;
  };

/**
 * A device's login as the registry answers it: false (unknown device or wrong secret), its `kind` (it
 * publishes the telemetry streams of that kind only: STREAMS_OF_KIND) and the `credential` (stored
 * secret hash) it matched, or true (a stand-in registry that knows no kinds: every stream).
 */
export type DeviceLogin = boolean | { kind: string; credential?: string };

/** The topic suffixes a device of this kind may publish (its streams, status, command acks). */
export function publishSuffixesOfKind(kind: string): ReadonlySet<string> {
  return devicePublishSuffixes(STREAMS_OF_KIND[kind] ?? []);
}
const SUFFIXES_OF_KIND = new Map<string, ReadonlySet<string>>();

export interface PolicyDeps {
  verifyDevice(deviceId: string, secret: string): Promise<DeviceLogin>;
  /**
   * The credentials (stored secret hashes) that log in now, per device id; a device not registered has
   * no entry. Connected devices are checked against it (outOfForce), so a rotated-out secret does not
   * keep a stolen device's open connection.
   */
  credentialsInForce?(deviceIds: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
  servicePassword: string;
  /** Per-device publish rate; unset or a zero rate = no limit. */
  limits?: Pick<BrokerLimits, 'devicePublishRate' | 'devicePublishBurst'>;
  log: Logger;
  metrics: Metrics;
}

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The client ids a device may connect with: its own id, or its id followed by `:` and a suffix (a
 * gateway's second link). `:` cannot occur in a device id, so no device's id is another's prefix.
 * Anything else would let it take over another session (Aedes drops the older connection with the
 * same client id, and a persistent session's queue goes to whoever holds the id).
 */
export function deviceMayUseClientId(deviceId: string, clientId: string): boolean {
  if (clientId.startsWith(SERVICE_CLIENT_PREFIX)) return false;
  return clientId === deviceId || (clientId.startsWith(`${deviceId}:`) && clientId.length > deviceId.length + 1);
}

/**
 * Links a device may hold at once besides its own id (`{id}:{suffix}`: a gateway's parallel uplinks).
 * Without a cap one device's credentials could take every connection the broker has
 * (MQTT_MAX_CONNECTIONS) and lock the whole fleet out; the device's own id is always admitted.
 */
export const MAX_EXTRA_LINKS = 3;

/** A device id the registry may hand out: the MQTT username rule, and not a reserved service id. */
export function isDeviceId(id: string): boolean {
  return DEVICE_ID.test(id) && !id.startsWith(SERVICE_CLIENT_PREFIX);
}
/** Verified topics remembered per connection: a device publishes to a handful, over and over. */
const ALLOWED_CACHE = 32;

const devicePrefix = topics.devicePrefix;
const mayPublishUnder = isDevicePublishTopic;

/**
 * Topics a device may publish to: `v1/devices/{id}/status`, `.../telemetry/{stream}` and
 * `.../commands/{name}/ack`. Pure; exported for unit tests. (Device ids hold no `/`, see DEVICE_ID.)
 */
export function deviceMayPublish(deviceId: string, topic: string, kind?: string): boolean {
  return mayPublishUnder(devicePrefix(deviceId), topic, kind === undefined ? undefined : publishSuffixesOfKind(kind));
}

/**
 * A will a device may leave: a topic it may publish to (of its kind's streams when known), retained only
 * on its own presence topic (the contract's will is `offline` there). Pure; exported for unit tests.
 */
export function deviceMayLeaveWill(deviceId: string, will: { topic?: unknown; retain?: unknown }, suffixes?: ReadonlySet<string>): boolean {
  if (typeof will.topic !== 'string') return false;
  if (will.retain === true && will.topic !== topics.presence(deviceId)) return false;
  return mayPublishUnder(devicePrefix(deviceId), will.topic, suffixes);
}

/**
 * Topic filters one device connection may hold (restored ones of its persistent session included). A
 * device needs one (`v1/devices/{id}/commands/#`); without a bound, one SUBSCRIBE of thousands of
 * filters under its own prefix costs the broker work that grows with their square (Aedes stores the
 * packet's whole list once per filter) and a persistent session keeps them all.
 */
export const MAX_DEVICE_SUBSCRIPTIONS = 8;

/** Topic filters a device may subscribe to: its own commands only (wildcards only after the prefix). */
export function deviceMaySubscribe(deviceId: string, filter: string): boolean {
  const prefix = `${devicePrefix(deviceId)}commands/`;
  return filter.startsWith(prefix) && filter.length > prefix.length;
}

/**
 * Of the subscriptions a device's persistent session has stored, those the policy grants it now: its own
 * commands, at most MAX_DEVICE_SUBSCRIPTIONS, the first stored first. A journal written before the
 * policy kept refused filters out of storage (`storable`) may hold more, e.g. `#`: on restart the rest
 * is dropped. Pure; exported for unit tests.
 */
export function grantableOnRestore<S extends { topic: string }>(deviceId: string, subs: readonly S[]): S[] {
  return subs.filter((s) => deviceMaySubscribe(deviceId, s.topic)).slice(0, MAX_DEVICE_SUBSCRIPTIONS);
}

/**
 * The common name of the client certificate a connection presented (mutual TLS), or undefined on a
 * plain connection or one without a certificate. Aedes keeps the socket as `client.conn`.
 */
function certificateName(client: Client): string | undefined {
  const conn = (client as unknown as { conn?: unknown }).conn;
  if (!(conn instanceof TLSSocket)) return undefined;
  const cn = conn.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' ? cn : Array.isArray(cn) ? String(cn[0]) : undefined;
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export function createPolicy(deps: PolicyDeps) {
  const principals = new WeakMap<Client, Principal>();
  /** The filters granted to each device connection (at most MAX_DEVICE_SUBSCRIPTIONS). */
  const granted = new WeakMap<Client, Set<string>>();
  /** Each device's extra links (`{id}:{suffix}` client ids) admitted and not yet closed. */
  const links = new Map<string, Map<string, Client>>();
  /** Admits an extra link of a device unless it holds MAX_EXTRA_LINKS others still open (a link replacing its own id is not another). */
  const admitLink = (deviceId: string, client: Client): boolean => {
    const open = links.get(deviceId) ?? new Map<string, Client>();
    for (const [id, c] of open) if (c.closed) open.delete(id);
    const others = open.size - (open.has(client.id) ? 1 : 0);
    if (others >= MAX_EXTRA_LINKS) return false;
    open.set(client.id, client);
    links.set(deviceId, open);
    return true;
  };
  const authFailures = deps.metrics.counter('mqtt_auth_failures_total', 'MQTT connections refused at login', ['reason']);
  const refused = deps.metrics.counter('mqtt_refused_total', 'MQTT publishes/subscribes refused by the ACL', ['action']);
  const rateLimited = deps.metrics.counter('mqtt_rate_limited_total', 'device publishes held back because the device exceeded its publish rate');
  const rate = deps.limits?.devicePublishRate ?? 0;
  const burst = Math.max(1, deps.limits?.devicePublishBurst ?? 1);
  const takeovers = deps.metrics.counter('mqtt_client_id_refused_total', 'MQTT logins refused because the client id is not the device\'s own (takeover attempts)', ['reason']);
  const log = deps.log;

  function fail(client: Client, reason: string, done: (e: AuthenticateError | null, ok: boolean | null) => void, returnCode = 4 /* bad username or password */) {
    authFailures.inc({ reason });
    log.warn({ clientId: client.id, reason }, 'mqtt login refused');
    done(authError(`login refused: ${reason}`, returnCode), false);
  }

  return {
    principalOf(client: Client | null): Principal | undefined {
      return client ? principals.get(client) : undefined;
    },

    /**
     * Of these connected clients, the devices whose login secret is no longer in force (rotated out at
     * once, its grace period over, the device gone from the registry): their connections must close.
     * A login the registry tied to no stored secret (a stand-in registry) is not judged here.
     */
    async outOfForce(clients: readonly Client[]): Promise<{ client: Client; deviceId: string }[]> {
      const inForceNow = deps.credentialsInForce;
      if (!inForceNow) return [];
      const held = clients.flatMap((client) => {
        const p = principals.get(client);
        return p?.type === 'device' && p.credential !== undefined ? [{ client, deviceId: p.deviceId, credential: p.credential }] : [];
      });
      if (held.length === 0) return [];
      const inForce = await inForceNow([...new Set(held.map((h) => h.deviceId))]);
      return held.filter((h) => !inForce.get(h.deviceId)?.includes(h.credential)).map(({ client, deviceId }) => ({ client, deviceId }));
    },

    /**
     * The subscriptions of a SUBSCRIBE that a persistent session may keep: a device's granted ones only.
     * Aedes stores the packet's whole list as soon as one filter of it is granted, refused ones too, and
     * the store is what messages are queued by while the device is offline: a device could otherwise
     * ask for `#` beside its commands and, on reconnecting, be sent other devices' telemetry.
     */
    storable<S extends { topic: string }>(client: Client, subs: readonly S[]): S[] {
      const p = principals.get(client);
      if (p?.type !== 'device') return [...subs];
      const mine = granted.get(client);
      return subs.filter((s) => mine?.has(s.topic) === true);
    },

    /**
     * A device unsubscribed: the filters it had been granted give their places back, so a device that
     * moves from one command filter to another is not refused for ever after MAX_DEVICE_SUBSCRIPTIONS.
     * A filter it was refused (or never asked for) frees nothing.
     */
    unsubscribed(client: Client, filters: readonly string[]): void {
      const mine = granted.get(client);
      if (!mine) return;
      for (const f of filters) mine.delete(f);
    },

    authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (e: AuthenticateError | null, ok: boolean | null) => void): void {
      if (!username || !password) return fail(client, 'missing_credentials', done);
      const secret = password.toString('utf8');
      if (username === SERVICE_USER) {
        if (!sameSecret(secret, deps.servicePassword)) return fail(client, 'bad_service_password', done);
        principals.set(client, { type: 'service' });
        return done(null, true);
      }
      if (!isDeviceId(username)) return fail(client, 'bad_device_id', done);
      // Mutual TLS: a device certificate speaks for one device only.
      const cn = certificateName(client);
      if (cn !== undefined && cn !== username) return fail(client, 'certificate_not_this_device', done);
      deps.verifyDevice(username, secret).then(
        (ok) => {
          if (!ok) return fail(client, 'unknown_device_or_secret', done);
          if (!deviceMayUseClientId(username, client.id)) {
            const reason = client.id.startsWith(SERVICE_CLIENT_PREFIX) ? 'service_client_id' : 'foreign_client_id';
            takeovers.inc({ reason });
            log.warn({ clientId: client.id, device: username, reason }, 'device refused: client id is not its own');
            return fail(client, reason, done, 2 /* identifier rejected */);
          }
          const bucket = rate > 0 ? new TokenBucket(rate, burst) : undefined;
          let suffixes: ReadonlySet<string> | undefined;
          let credential: string | undefined;
          if (typeof ok === 'object') {
            credential = ok.credential;
            suffixes = SUFFIXES_OF_KIND.get(ok.kind);
            if (!suffixes) SUFFIXES_OF_KIND.set(ok.kind, (suffixes = publishSuffixesOfKind(ok.kind)));
          }
          // A will is published when the connection drops, on a clustered node by another node, with no
          // client to check it against: it is checked here, as a publish of this device would be.
          const will = (client as Client & { _will?: { topic?: unknown; retain?: unknown } | null })._will;
          if (will && !deviceMayLeaveWill(username, will, suffixes)) {
            log.warn({ clientId: client.id, device: username, topic: String(will.topic).slice(0, 200) }, 'device refused: its will is outside its own topics');
            return fail(client, 'foreign_will', done, 5 /* not authorized */);
          }
          if (client.id !== username) {
            // An extra link publishes beside the device: no persistent session (sessions would pile up
            // under ever new suffixes, each queueing the device's commands), and only a few at once.
            if (!client.clean) return fail(client, 'persistent_extra_link', done, 2 /* identifier rejected */);
            if (!admitLink(username, client)) return fail(client, 'too_many_links', done, 3 /* server unavailable */);
          }
          principals.set(client, { type: 'device', deviceId: username, prefix: devicePrefix(username), allowed: new Set(), bucket, suffixes, credential });
          done(null, true);
        },
        (err: unknown) => {
          authFailures.inc({ reason: 'registry_unavailable' });
          log.error({ err, clientId: client.id }, 'device registry unavailable during login');
          done(authError('registry unavailable', 3 /* server unavailable */), false);
        },
      );
    },

    authorizePublish(client: Client | null, packet: PublishPacket, done: (e?: Error | null) => void): void {
      const topic = packet.topic;
      if (topic.startsWith('$SYS/')) return done(new Error('$SYS/ is reserved'));
      if (!client) return done(null); // broker-internal publish
      const p = principals.get(client);
      if (p?.type === 'service') return done(null);
      let action = 'publish';
      if (p?.type === 'device') {
        // Retained messages only where the contract has them: the device's presence topic.
        if (packet.retain && topic !== topics.presence(p.deviceId)) action = 'retain';
        // The hot path: a device's telemetry topic, verified once per connection.
        else if (p.allowed.has(topic) || mayPublishUnder(p.prefix, topic, p.suffixes)) {
          if (!p.allowed.has(topic) && p.allowed.size < ALLOWED_CACHE) p.allowed.add(topic);
          const wait = p.bucket?.take() ?? 0;
          if (wait === 0) return done(null);
          // Over its rate: this publish (and the connection's next read) waits for its turn.
          rateLimited.inc();
          setTimeout(() => done(null), wait);
          return;
        }
        // Its own topic, but a stream its kind does not measure (a noise meter sending people counts).
        else if (mayPublishUnder(p.prefix, topic)) action = 'stream';
      }
      refused.inc({ action });
      const why = action === 'retain' ? 'retained publish outside the presence topic refused'
        : action === 'stream' ? 'telemetry of a stream the device\'s kind does not measure refused' : 'publish outside the device topics refused';
      log.warn({ clientId: client.id, device: p?.type === 'device' ? p.deviceId : undefined, topic: packet.topic }, why);
      done(new Error('publish not authorised'));
    },

    authorizeSubscribe(client: Client, sub: Subscription, done: (e: Error | null, s?: Subscription | null) => void): void {
      const p = principals.get(client);
      if (p?.type === 'service') return done(null, sub);
      let action = 'subscribe';
      if (p?.type === 'device' && deviceMaySubscribe(p.deviceId, sub.topic)) {
        const mine = granted.get(client) ?? new Set<string>();
        if (mine.has(sub.topic) || mine.size < MAX_DEVICE_SUBSCRIPTIONS) {
          mine.add(sub.topic);
          granted.set(client, mine);
          return done(null, sub);
        }
        action = 'subscriptions';
      }
      refused.inc({ action });
      log.warn({ clientId: client.id, topic: sub.topic.slice(0, 200), reason: action === 'subscriptions' ? `more than ${MAX_DEVICE_SUBSCRIPTIONS} filters` : 'not its own commands' }, 'subscription refused');
      // A null subscription makes Aedes answer SUBACK 0x80 (failure) without dropping the client.
      done(null, null);
    },
  };
}
export type Policy = ReturnType<typeof createPolicy>;
