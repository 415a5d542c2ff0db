import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { isDevicePublishTopic, topics } from '../contract/mqtt/topics.js';
import { SERVICE_USER } from '../contract/mqtt/accounts.js';

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
export type Principal = { type: 'service' } | { type: 'device'; deviceId: string; prefix: string; allowed: Set<string> };

export interface PolicyDeps {
  verifyDevice(deviceId: string, secret: string): Promise<boolean>;
  servicePassword: string;
  log: Logger;
  metrics: Metrics;
}

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Verified topics remembered per connection: a device publishes to a handful, over and over. */
const ALLOWED_CACHE = 32;

const devicePrefix = topics.devicePrefix;
const mayPublishUnder = isDevicePublishTopic;

/**
 * Topics a device may publish to: `v1/devices/{id}/status`, `.../telemetry/{stream}` and
 * `.../commands/{name}/ack`. Pure; exported for unit tests. (Device ids hold no `/`, see DEVICE_ID.)
 */
export function deviceMayPublish(deviceId: string, topic: string): boolean {
  return mayPublishUnder(devicePrefix(deviceId), topic);
}

/** Topic filters a device may subscribe to: its own commands only (wildcards only after the prefix). */
export function deviceMaySubscribe(deviceId: string, filter: string): boolean {
  const prefix = `${devicePrefix(deviceId)}commands/`;
  return filter.startsWith(prefix) && filter.length > prefix.length;
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export function createPolicy(deps: PolicyDeps) {
  const principals = new WeakMap<Client, Principal>();
  const authFailures = deps.metrics.counter('mqtt_auth_failures_total', 'MQTT connections refused at login', ['reason']);
  const refused = deps.metrics.counter('mqtt_refused_total', 'MQTT publishes/subscribes refused by the ACL', ['action']);
  const log = deps.log;

  function fail(client: Client, reason: string, done: (e: AuthenticateError | null, ok: boolean | null) => void) {
    authFailures.inc({ reason });
    log.warn({ clientId: client.id, reason }, 'mqtt login refused');
    done(authError(`login refused: ${reason}`, 4 /* bad username or password */), false);
  }

  return {
    principalOf(client: Client | null): Principal | undefined {
      return client ? principals.get(client) : undefined;
    },

    authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (e: AuthenticateError | null, ok: boolean | null) => void): void {
      if (!username || !password) return fail(client, 'missing_credentials', done);
      const secret = password.toString('utf8');
      if (username === SERVICE_USER) {
        if (secret !== deps.servicePassword) return fail(client, 'bad_service_password', done);
        principals.set(client, { type: 'service' });
        return done(null, true);
      }
      if (!DEVICE_ID.test(username)) return fail(client, 'bad_device_id', done);
      deps.verifyDevice(username, secret).then(
        (ok) => {
          if (!ok) return fail(client, 'unknown_device_or_secret', done);
          principals.set(client, { type: 'device', deviceId: username, prefix: devicePrefix(username), allowed: new Set() });
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
      if (p?.type === 'device') {
        // The hot path: a device's telemetry topic, verified once per connection.
        if (p.allowed.has(topic)) return done(null);
        if (mayPublishUnder(p.prefix, topic)) {
          if (p.allowed.size < ALLOWED_CACHE) p.allowed.add(topic);
          return done(null);
        }
      }
      refused.inc({ action: 'publish' });
      log.warn({ clientId: client.id, device: p?.type === 'device' ? p.deviceId : undefined, topic: packet.topic }, 'publish outside the device topics refused');
      done(new Error('publish not authorised'));
    },

    authorizeSubscribe(client: Client, sub: Subscription, done: (e: Error | null, s?: Subscription | null) => void): void {
      const p = principals.get(client);
      if (p?.type === 'service') return done(null, sub);
      if (p?.type === 'device' && deviceMaySubscribe(p.deviceId, sub.topic)) return done(null, sub);
      refused.inc({ action: 'subscribe' });
      log.warn({ clientId: client.id, topic: sub.topic }, 'subscription refused');
      // A null subscription makes Aedes answer SUBACK 0x80 (failure) without dropping the client.
      done(null, null);
    },
  };
}
export type Policy = ReturnType<typeof createPolicy>;
