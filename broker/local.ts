import type { LocalRoute } from '../core/local-delivery.js';
import type { BrokerPersistence } from './persistence.js';
import type { Message, TopicEmitter } from './emitter.js';

/**
 * Services in the broker's process (core/local-delivery.ts) take the publishes on their filters as
 * one more subscriber of the broker's emitter: a publish completes — a device's QoS 1 PUBLISH is
 * acknowledged (publish-ack.ts) — once the route calls back, i.e. once ingest has it durable.
 *
 * Installed before the broker listens. What the journal still holds for ingest's persistent session
 * (a run over MQTT, or a crash before ingest took it) is handed over first and dequeued as each
 * message becomes durable; the session's subscriptions are removed, so nothing more is queued for
 * it while ingest takes telemetry here (a later start over MQTT subscribes again).
 */
interface Publish extends Message {
  payload: Buffer;
}

export async function routeLocally(emitter: TopicEmitter, route: LocalRoute, persistence: BrokerPersistence | undefined): Promise<number> {
  const session = route.session;
  let backlog = 0;
  if (persistence && session) {
    for (const packet of await persistence.takeSession(session)) {
      backlog++;
      route.deliver(packet.topic, packet.payload, () => persistence.clearQueued(session, packet));
    }
  }
  const handler = (message: Message, done: () => void) => route.deliver(message.topic, (message as Publish).payload, done);
  for (const filter of route.filters) await new Promise<void>((resolve) => emitter.on(filter, handler, resolve));
  return backlog;
}
