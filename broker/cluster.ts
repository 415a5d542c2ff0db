import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Client } from 'aedes';
import type { AedesPacket } from 'aedes-packet';
import type { InFlight } from './tuning.js';
import { ingestSessionNode } from '../contract/mqtt/accounts.js';

/**
 * Broker nodes clustered through Redis (REDIS_URL): every node shares one message bus
 * (`mqemitter-redis`: a publish on any node reaches the subscribers on every node) and one session
 * store (`aedes-persistence-redis`: persistent sessions, their queued QoS 1 messages, retained
 * messages and wills), so a device or a service may connect to any node and reconnect to another.
 *
 * Ingest runs per node: each node's ingest session (`svc-ingest-<node id>`, INGEST_CLIENT_ID) takes
 * the telemetry and presence that devices publish on *that* node, and nothing published on another
 * node, so no reading is written twice across nodes. The rule is applied where Aedes decides:
 * - at the node a device published on, when the message is queued for persistent sessions (the
 *   queue lives in Redis, so a dead node's backlog waits for its ingest session on any other node);
 * - on every node, when a message coming off the bus is delivered live to a session.
 * A session named plain `svc-ingest` (the single-node default) is bound to no node and takes all.
 */
const require = createRequire(import.meta.url);

/** Whether a message published on `originNode` goes to this client: unbound clients take everything. */
export function takes(clientId: string | undefined, originNode: string | undefined): boolean {
  const node = ingestSessionNode(clientId);
  return node === undefined || node === originNode;
}

interface MQEmitterLike {
  emit(packet: { topic: string }, done?: (err?: Error) => void): unknown;
  on(topic: string, fn: unknown, done?: () => void): unknown;
  removeListener(topic: string, fn: unknown, done?: () => void): unknown;
  close(cb: () => void): unknown;
  state: { on(event: string, fn: (err: Error) => void): unknown };
}

/**
 * The Redis message bus, counting publishes in flight (handed to Redis, not yet acknowledged by it)
 * for the broker's read gate (broker/tuning.ts), as the single-node emitter does.
 */
export class ClusterBus implements InFlight {
  current = 0;
  private below?: { limit: number; fn: () => void };

  constructor(readonly mq: MQEmitterLike) {
    const emit = mq.emit.bind(mq);
    mq.emit = (packet, done) => {
      this.current++;
      return emit(packet, (err?: Error) => {
        this.current--;
        done?.(err);
        const b = this.below;
        if (b && this.current < b.limit) {
          this.below = undefined;
          setImmediate(b.fn);
        }
      });
    };
  }

  whenBelow(limit: number, fn: () => void): void {
    if (this.current < limit) return void setImmediate(fn);
    this.below = { limit, fn };
  }
}

type PersistenceLike = { subscriptionsByTopic(topic: string): Promise<{ clientId: string }[]> } & Record<string, unknown>;

export interface ClusterParts {
  bus: ClusterBus;
  persistence: PersistenceLike;
}

/** The shared bus and session store of a node; `nodeId` is the Aedes broker id (BROKER_NODE_ID). */
export function clusterParts(redisUrl: string, nodeId: string, onError: (err: Error) => void): ClusterParts {
  const MQEmitterRedis = require('mqemitter-redis') as (opts: Record<string, unknown>) => MQEmitterLike;
  const RedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: Record<string, unknown>) => PersistenceLike;
  const Redis = require('ioredis') as new (url: string, opts?: Record<string, unknown>) => unknown;
  // Own connections: a subscriber connection cannot answer ioredis' ready check once it subscribed.
  const mq = MQEmitterRedis({ subConn: new Redis(redisUrl, { enableReadyCheck: false }), pubConn: new Redis(redisUrl) });
  mq.state.on('error', onError);
  const persistence = new RedisPersistence({ conn: new Redis(redisUrl, { maxRetriesPerRequest: null }) });
  // Queued for persistent sessions at the node the message was published on (this node): not for
  // another node's ingest session.
  const byTopic = persistence.subscriptionsByTopic.bind(persistence);
  persistence.subscriptionsByTopic = async (topic: string) => (await byTopic(topic)).filter((s) => takes(s.clientId, nodeId));
  // Aedes 1.2 pipes retained messages (`.pipe`), this store yields them from an async generator.
  const retained = (persistence.createRetainedStreamCombi as (patterns: string[]) => AsyncIterable<unknown>).bind(persistence);
  persistence.createRetainedStreamCombi = (patterns: string[]) => Readable.from(retained(patterns));
  persistence.createRetainedStream = (pattern: string) => Readable.from(retained([pattern]));
  return { bus: new ClusterBus(mq), persistence };
}

type Deliver = (packet: AedesPacket, cb: () => void) => void;

/**
 * Live delivery from the bus: a node-bound ingest session gets only what devices published on its
 * node. Call right after `aedes.handle(socket)`: the client's id is known only at CONNECT, and a
 * resumed session's subscriptions are restored before Aedes announces the client.
 */
export function deliverOnlyOwnNode(aedesClient: Client): void {
  const client = aedesClient as unknown as { id: string; deliverQoS: Deliver; deliver0: Deliver };
  for (const key of ['deliverQoS', 'deliver0'] as const) {
    const deliver = client[key];
    client[key] = (packet, cb) => (takes(client.id, packet.brokerId) ? deliver(packet, cb) : setImmediate(cb));
  }
}
