import type { Client } from 'aedes';
import { pubacks } from '../core/puback.js';

/**
 * A device's QoS 1 PUBLISH is acknowledged only once the broker has stored it.
 *
 * Aedes 1.x writes the PUBACK first and publishes after, so a device could hold its PUBACK (and drop
 * the reading from its own store) while the reading was not yet in the journal for ingest's session:
 * a broker crash in between lost it. Here a QoS 1 PUBLISH from a connected client is checked as Aedes
 * checks it (topic, ACL), published — which for a persistent session means journalled and synced —
 * and only then PUBACKed. Flow control is Aedes' own: the client's next chunk is read once the
 * packet is done, as before. (Packets a client pipelines before its CONNACK reach Aedes' queue and
 * keep its order.)
 */
interface PublishPacket {
  cmd: string;
  qos: number;
  topic: string;
  messageId?: number;
}

interface AedesClient {
  connackSent: boolean;
  connected: boolean;
  connecting: boolean;
  errored: boolean;
  _parsingBatch: number;
  _nextBatch: (err?: Error | null) => void;
  _keepaliveInterval: number;
  _keepaliveTimer: { refresh(): void } | null;
  _parser: { emit(event: string, ...args: unknown[]): boolean };
  conn: { cork(): void; uncork(): void; write(chunk: Buffer): boolean };
  broker: {
    maxTopicLevels: number;
    authorizePublish(client: unknown, packet: PublishPacket, done: (err?: Error | null) => void): void;
    publish(packet: PublishPacket, client: unknown, done: (err?: Error | null) => void): void;
  };
  waitForDrain(done: () => void): void;
}

function topicLevels(topic: string): number {
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47 /* '/' */) levels++;
  return levels;
}

/** The checks Aedes' PUBLISH handler makes before anything else. */
function invalidTopic(topic: string, maxLevels: number): Error | undefined {
  if (topic.length === 0) return new Error('empty topic not allowed in PUBLISH');
  if (topic.includes('#')) return new Error('# is not allowed in PUBLISH');
  if (topic.includes('+')) return new Error('+ is not allowed in PUBLISH');
  if (topicLevels(topic) > maxLevels) return new Error('topic has too many levels');
  return undefined;
}

/** PUBACKs a connection owes, written together (see writePuback). */
type Owed = { ids: number[]; dones: ((err?: Error | null) => void)[] };
const owed = new WeakMap<AedesClient, Owed>();

/**
 * The PUBACKs of one connection are gathered until the next turn and written as one buffer: stored
 * publishes complete together (ingest's commit releases thousands of them at once, a device's tens), and
 * one 4-byte chunk per PUBACK cost a writev entry each (11 % of the process's CPU in `bench:ingest`).
 */
function writePuback(client: AedesClient, messageId: number, done: (err?: Error | null) => void): void {
  let o = owed.get(client);
  if (!o) {
    const fresh: Owed = { ids: [], dones: [] };
    owed.set(client, fresh);
    setImmediate(() => flushPubacks(client, fresh));
    o = fresh;
  }
  o.ids.push(messageId);
  o.dones.push(done);
}

function flushPubacks(client: AedesClient, o: Owed): void {
  owed.delete(client);
  const all = (err?: Error | null) => {
    for (const done of o.dones) done(err);
  };
  if (!(client.connecting || client.connected)) return all(new Error('connection closed'));
  const conn = client.conn;
  // Corked like Aedes' own writes, so the connection's writes of this turn still go out together.
  conn.cork();
  const accepted = conn.write(pubacks(o.ids));
  conn.uncork();
  if (!accepted && !client.errored) return client.waitForDrain(() => all());
  all();
}

function handleQoS1(client: AedesClient, packet: PublishPacket, done: (err?: Error | null) => void): void {
  const invalid = invalidTopic(packet.topic, client.broker.maxTopicLevels);
  if (invalid) return done(invalid);
  client.broker.authorizePublish(client, packet, (err) => {
    if (err) return done(err);
    client.broker.publish(packet, client, (err) => {
      if (err) return done(err);
      writePuback(client, packet.messageId as number, done);
    });
  });
}

/** Takes over a new client's QoS 1 publishes; call right after `aedes.handle(socket)`. */
export function acknowledgeWhenStored(aedesClient: Client): void {
  const client = aedesClient as unknown as AedesClient;
  const parser = client._parser;
  const emit = parser.emit.bind(parser);
  parser.emit = (event: string, ...args: unknown[]): boolean => {
    const packet = args[0] as PublishPacket | undefined;
    if (event !== 'packet' || packet?.cmd !== 'publish' || packet.qos !== 1 || !client.connackSent || !client.connected || typeof packet.messageId !== 'number') return emit(event, ...args);
    // What Aedes' enqueue does for a packet: count it in the batch being handled, then handle it.
    client._parsingBatch++;
    handleQoS1(client, packet, client._nextBatch);
    if (client._keepaliveInterval > 0) client._keepaliveTimer?.refresh();
    return true;
  };
}
