import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerService } from '../../broker/broker.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';
import { SERVICE_USER, ingestSessionOfNode } from '../../contract/mqtt/accounts.js';
import { topics } from '../../contract/mqtt/topics.js';
import { freshRedis, redisReachable } from '../support/redis.js';
import { waitFor } from '../support/platform.js';

/**
 * Two broker nodes clustered through Redis (mqemitter-redis + aedes-persistence-redis), real mqtt.js
 * clients: a device on either node reaches every subscriber, each node's ingest session gets its own
 * node's devices only, and a node's backlog for its ingest session survives the node and is taken
 * from the other node.
 */
const reachable = await redisReachable();
if (!reachable) console.warn('broker-cluster.test.ts skipped: no Redis at REDIS_URL or 127.0.0.1:6379 (apt-get install redis-server)');

const PASSWORD = 'service-password-for-cluster-test';
const secrets = new Map([['dev-a', 'secret-a-0123456789'], ['dev-b', 'secret-b-0123456789']]);
const run = Math.random().toString(16).slice(2, 8);
const nodes: Record<string, BrokerService> = {};
const clients: MqttClient[] = [];
let redisUrl = '';

async function node(id: string): Promise<BrokerService> {
  const b = new BrokerService(
    { port: 0, host: '127.0.0.1', cluster: { redisUrl, nodeId: `${id}${run}` } },
    { verifyDevice: async (d, s) => secrets.get(d) === s, servicePassword: PASSWORD },
    createLogger('silent'),
    new Metrics(),
  );
  await b.start();
  return b;
}

function connect(ports: number[], opts: mqtt.IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect({ servers: ports.map((port) => ({ host: '127.0.0.1', port })), protocolVersion: 4, reconnectPeriod: 200, ...opts });
  clients.push(c);
  // A node that is down is an error event; the client moves on to the next server.
  c.on('error', () => undefined);
  return new Promise((resolve) => c.once('connect', () => resolve(c)));
}

const received = (c: MqttClient) => {
  const got: string[] = [];
  c.on('message', (_t, p) => got.push(p.toString()));
  return got;
};

describe.skipIf(!reachable)('broker nodes clustered through Redis', () => {
  beforeAll(async () => {
    redisUrl = await freshRedis(12);
    nodes.a = await node('a');
    nodes.b = await node('b');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    for (const n of Object.values(nodes)) await n.stop();
  });

  it('sends each node’s device telemetry to that node’s ingest only, and everything to other subscribers', async () => {
    const [pa, pb] = [nodes.a!.port, nodes.b!.port];
    const ingestA = await connect([pa, pb], { clientId: ingestSessionOfNode(`a${run}`), username: SERVICE_USER, password: PASSWORD, clean: false });
    const ingestB = await connect([pb], { clientId: ingestSessionOfNode(`b${run}`), username: SERVICE_USER, password: PASSWORD, clean: false });
    const other = await connect([pb], { clientId: `svc-inference-${run}`, username: SERVICE_USER, password: PASSWORD });
    const [gotA, gotB, gotAll] = [received(ingestA), received(ingestB), received(other)];
    for (const c of [ingestA, ingestB, other]) await c.subscribeAsync('v1/devices/+/telemetry/+', { qos: 1 });
    const devA = await connect([pa], { clientId: 'dev-a', username: 'dev-a', password: secrets.get('dev-a') });
    const devB = await connect([pb], { clientId: 'dev-b', username: 'dev-b', password: secrets.get('dev-b') });
    for (let i = 0; i < 50; i++) {
      await devA.publishAsync(topics.telemetry('dev-a', 'noise'), `a${i}`, { qos: 1 });
      await devB.publishAsync(topics.telemetry('dev-b', 'noise'), `b${i}`, { qos: 1 });
    }
    await waitFor(() => gotAll.length >= 100 && gotA.length >= 50 && gotB.length >= 50, 'every delivery', 30_000);
    expect(gotA.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`).sort());
    expect(gotB.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `b${i}`).sort());
    expect(gotAll).toHaveLength(100);

    // Node a's ingest goes away; its device goes on publishing on node a (queued in Redis for it),
    // then node a stops. The ingest session reconnects to node b and gets node a's backlog — node b's
    // ingest does not.
    await ingestA.endAsync();
    for (let i = 50; i < 80; i++) await devA.publishAsync(topics.telemetry('dev-a', 'noise'), `a${i}`, { qos: 1 });
    await devA.endAsync();
    await nodes.a!.stop();
    delete nodes.a;
    const resumed = await connect([pa, pb], { clientId: ingestSessionOfNode(`a${run}`), username: SERVICE_USER, password: PASSWORD, clean: false });
    const backlog = received(resumed);
    await waitFor(() => backlog.length >= 30, 'node a’s backlog through node b', 30_000);
    expect(backlog.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `a${i + 50}`).sort());
    // Node b's devices still go to node b's ingest only.
    await devB.publishAsync(topics.telemetry('dev-b', 'noise'), 'b-late', { qos: 1 });
    await waitFor(() => gotB.includes('b-late'), 'node b’s ingest', 10_000);
    expect(gotB.filter((m) => m.startsWith('a'))).toEqual([]);
    expect(backlog.filter((m) => m.startsWith('b'))).toEqual([]);
  });
});
