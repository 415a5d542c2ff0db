import { describe, expect, it } from 'vitest';
import { LocalDelivery, type LocalMessage } from '../../core/local-delivery.js';
import type { DecodedMessage } from '../../core/telemetry-decode.js';
import { topics } from '../../contract/mqtt/topics.js';

/**
 * The hand-off between the broker and the services in its process: each telemetry message decoded
 * once and given to both, presence to ingest only, the broker's publish completed only when ingest
 * says the message is durable, and nothing lost or reordered while a service is not attached.
 */
const LIMITS = { maxClockSkewS: 300, maxAgeH: 24 };
const reading = (seq: number) => Buffer.from(JSON.stringify({ ts: new Date().toISOString(), seq, laeq: 50, lamax: 60, bands: Array(31).fill(40) }));
const telemetry = topics.telemetry('d-1', 'noise');

function sinks(delivery: LocalDelivery) {
  const ingested: { message: LocalMessage; durable: () => void }[] = [];
  const inferred: DecodedMessage[] = [];
  return {
    ingested,
    inferred,
    attachIngest: () => delivery.attachIngest((message, durable) => ingested.push({ message, durable })),
    attachInference: () => delivery.attachInference((m) => inferred.push(m)),
  };
}

describe('local delivery', () => {
  it('decodes a telemetry message once and hands the same decoding to ingest and inference', () => {
    const d = new LocalDelivery({ ingest: true, inference: true }, LIMITS);
    const s = sinks(d);
    s.attachIngest();
    s.attachInference();
    d.deliver(telemetry, reading(1), () => {});
    expect(s.ingested).toHaveLength(1);
    expect(s.inferred).toHaveLength(1);
    const decoded = s.ingested[0]?.message.telemetry;
    expect(decoded?.ok && decoded.readings[0]?.seq).toBe(1);
    expect(s.inferred[0]).toBe(decoded);
  });

  it('completes the publish only when ingest calls it durable', () => {
    const d = new LocalDelivery({ ingest: true, inference: false }, LIMITS);
    const s = sinks(d);
    s.attachIngest();
    let done = 0;
    d.deliver(telemetry, reading(1), () => done++);
    expect(done).toBe(0);
    s.ingested[0]?.durable();
    expect(done).toBe(1);
  });

  it('gives presence to ingest only, undecoded', () => {
    const d = new LocalDelivery({ ingest: true, inference: true }, LIMITS);
    const s = sinks(d);
    s.attachIngest();
    s.attachInference();
    d.deliver(topics.presence('d-1'), Buffer.from('online'), () => {});
    expect(s.ingested[0]?.message.telemetry).toBeUndefined();
    expect(s.inferred).toHaveLength(0);
    expect(d.filters).toHaveLength(2);
  });

  it('holds messages, in order, until every expected service is attached, and while ingest restarts', () => {
    const d = new LocalDelivery({ ingest: true, inference: true }, LIMITS);
    const s = sinks(d);
    for (let i = 1; i <= 3; i++) d.deliver(telemetry, reading(i), () => {});
    s.attachIngest();
    expect(s.ingested).toHaveLength(0); // inference is expected too
    s.attachInference();
    expect(s.ingested.map((x) => x.message.telemetry?.ok && x.message.telemetry.readings[0]?.seq)).toEqual([1, 2, 3]);
    expect(s.inferred).toHaveLength(3);

    d.detachIngest();
    d.deliver(telemetry, reading(4), () => {});
    expect(s.ingested).toHaveLength(3);
    expect(d.waiting).toBe(1);
    s.attachIngest();
    expect(s.ingested).toHaveLength(4);
    expect(d.waiting).toBe(0);
  });

  it('goes on for ingest once inference has stopped', () => {
    const d = new LocalDelivery({ ingest: true, inference: true }, LIMITS);
    const s = sinks(d);
    s.attachIngest();
    s.attachInference();
    d.detachInference();
    d.deliver(telemetry, reading(1), () => {});
    expect(s.ingested).toHaveLength(1);
    expect(s.inferred).toHaveLength(0);
  });

  it('completes at once what no attached service keeps (inference alone)', () => {
    const d = new LocalDelivery({ ingest: false, inference: true }, LIMITS);
    const s = sinks(d);
    let done = 0;
    d.deliver(telemetry, reading(1), () => done++);
    expect(done).toBe(0); // held until inference is attached
    s.attachInference();
    expect(done).toBe(1);
    expect(s.inferred).toHaveLength(1);
    expect(d.filters).toHaveLength(1);
  });
});
