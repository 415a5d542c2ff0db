import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Client } from 'aedes';
import fc from 'fast-check';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { batchQoS0Delivery, encodePublishQoS0 } from '../../broker/delivery.js';
import { TopicEmitter, type Handler, type Message } from '../../broker/emitter.js';
import { MAX_HELD, parsePublishesInPlace } from '../../broker/parser.js';
import { ReadGate } from '../../broker/tuning.js';

/**
 * The broker's own fast paths, checked against what they replace: the QoS 0 encoder against
 * mqtt-packet's generator byte for byte, the in-place PUBLISH/PUBACK parser against mqtt-packet's
 * parser on the same byte streams cut into arbitrary chunks, and the caching emitter against the MQTT
 * matching rules, including after subscriptions change.
 */
const RUNS = 300;

describe('QoS 0 PUBLISH encoder', () => {
  it('writes exactly what mqtt-packet writes', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 80, unit: 'binary' }),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 20_000 }).map((n) => new Uint8Array(n).fill(7))),
        fc.boolean(),
        fc.boolean(),
        (topic, bytes, retain, dup) => {
          const payload = Buffer.from(bytes);
          const ours = encodePublishQoS0(topic, payload, retain, dup);
          const theirs = mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, retain, dup });
          expect(ours?.equals(theirs)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('covers every remaining-length width, up to the four-byte form', () => {
    for (const size of [0, 125, 126, 16_380, 16_381, 2_097_148, 2_097_149]) {
      const payload = Buffer.alloc(size, 1);
      expect(encodePublishQoS0('a', payload, false, false)?.equals(mqttPacket.generate({ cmd: 'publish', topic: 'a', payload, qos: 0, retain: false, dup: false }))).toBe(true);
    }
  });

  it('declines what MQTT cannot carry (topic over 65,535 bytes)', () => {
    expect(encodePublishQoS0('t'.repeat(70_000), Buffer.alloc(0), false, false)).toBeUndefined();
  });
});

describe('batched QoS 0 delivery', () => {
  const turn = () => new Promise((r) => setImmediate(r));

  /** An Aedes client as the delivery path sees it, writing into `written`. */
  function fakeClient(accept: () => boolean) {
    const written: Buffer[] = [];
    let drain: (() => void) | undefined;
    const client = {
      id: 'svc',
      version: 4,
      connecting: false,
      connected: true,
      errored: false,
      conn: { destroyed: false, write: (b: Buffer) => (written.push(b), accept()) },
      broker: { authorizeForward: (_c: unknown, p: unknown) => p },
      deliver0: () => {
        throw new Error('the stock path is not expected here');
      },
      waitForDrain: (cb: () => void) => void (drain = cb),
      _onError: () => undefined,
    };
    batchQoS0Delivery(client as unknown as Client);
    const deliver = (client as unknown as { deliver0: (p: unknown, cb: () => void) => void }).deliver0;
    return { client, written, deliver, drain: () => drain?.() };
  }
  const packet = (n: number) => ({ topic: `v1/devices/d${n}/telemetry/noise`, payload: Buffer.from(`{"seq":${n}}`), retain: false, dup: false, nl: false });

  it("writes one turn's messages as one chunk on the next turn, then calls back", async () => {
    const c = fakeClient(() => true);
    let done = 0;
    for (let n = 0; n < 3; n++) c.deliver(packet(n), () => done++);
    expect(c.written).toEqual([]);
    await turn();
    expect(c.written.length).toBe(1);
    const expected = Buffer.concat([0, 1, 2].map((n) => encodePublishQoS0(packet(n).topic, packet(n).payload, false, false) as Buffer));
    expect(c.written[0]?.equals(expected)).toBe(true);
    expect(done).toBe(3);
  });

  it('holds the callbacks until the socket drains when it is over its high-water mark', async () => {
    const c = fakeClient(() => false);
    let done = 0;
    c.deliver(packet(1), () => done++);
    await turn();
    expect(c.written.length).toBe(1);
    expect(done).toBe(0);
    c.drain();
    expect(done).toBe(1);
  });

  it('writes nothing to a socket being destroyed, and still calls back', async () => {
    const c = fakeClient(() => true);
    c.client.conn.destroyed = true;
    let done = 0;
    c.deliver(packet(1), () => done++);
    await turn();
    expect(c.written).toEqual([]);
    expect(done).toBe(1);
  });
});

const topicArb = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' });
const idArb = fc.integer({ min: 1, max: 65_535 });
/** Packets a broker receives from a client, in every form the fast path must take or pass on. */
const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ topic: topicArb, payload: fc.uint8Array({ maxLength: 400 }), qos: fc.constant(0 as const), retain: fc.boolean(), dup: fc.boolean() }).map((p) => ({ cmd: 'publish' as const, ...p, payload: Buffer.from(p.payload) })) },
  { weight: 3, arbitrary: fc.record({ topic: topicArb, payload: fc.uint8Array({ maxLength: 400 }), qos: fc.constantFrom(1 as const, 2 as const), retain: fc.boolean(), dup: fc.boolean(), messageId: idArb }).map((p) => ({ cmd: 'publish' as const, ...p, payload: Buffer.from(p.payload) })) },
  { weight: 1, arbitrary: fc.record({ topic: topicArb, payload: fc.integer({ min: 200, max: 20_000 }), qos: fc.constant(0 as const) }).map((p) => ({ cmd: 'publish' as const, ...p, payload: Buffer.alloc(p.payload, 3), retain: false, dup: false })) },
  { weight: 3, arbitrary: idArb.map((messageId) => ({ cmd: 'puback' as const, messageId })) },
  { weight: 1, arbitrary: idArb.map((messageId) => ({ cmd: 'pubrel' as const, messageId })) },
  { weight: 1, arbitrary: idArb.map((messageId) => ({ cmd: 'pubrec' as const, messageId })) },
  { weight: 1, arbitrary: idArb.map((messageId) => ({ cmd: 'pubcomp' as const, messageId })) },
  { weight: 1, arbitrary: fc.constant({ cmd: 'pingreq' as const }) },
  { weight: 1, arbitrary: fc.record({ messageId: idArb, topic: topicArb, qos: fc.constantFrom(0 as const, 1 as const) }).map((s) => ({ cmd: 'subscribe' as const, messageId: s.messageId, subscriptions: [{ topic: s.topic, qos: s.qos }] })) },
  { weight: 1, arbitrary: fc.record({ messageId: idArb, topic: topicArb }).map((s) => ({ cmd: 'unsubscribe' as const, messageId: s.messageId, unsubscriptions: [s.topic] })) },
);
const CONNECT: Packet = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'dev-1', keepalive: 60, username: 'dev-1', password: Buffer.from('secret') };

/** `bytes` cut at the given offsets. */
function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...at, bytes.length]) {
    if (cut > from) out.push(bytes.subarray(from, cut));
    from = cut;
  }
  return out;
}

/** A field-by-field view of a packet, so mqtt-packet's Packet class and the fast path's objects compare. */
function view(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v;
  return out;
}

interface Fed {
  packets: Record<string, unknown>[];
  errors: string[];
}

/** Feeds chunks to a parser as Aedes does, stopping at the first error (Aedes then closes the client). */
function feed(parser: ReturnType<typeof mqttPacket.parser>, chunks: Buffer[], onPacket?: (p: Packet) => void): Fed {
  const fed: Fed = { packets: [], errors: [] };
  parser.on('packet', (p: Packet) => {
    fed.packets.push(view(p as unknown as Record<string, unknown>));
    onPacket?.(p);
  });
  parser.on('error', (e: Error) => fed.errors.push(e.message));
  for (const chunk of chunks) {
    if (fed.errors.length > 0) break;
    parser.parse(chunk);
  }
  return fed;
}

/** An Aedes client as far as the fast path sees it: a version (set once CONNECT is handled) and a parser. */
function fastClient(version: number | null) {
  const client = { version, _parser: mqttPacket.parser() };
  parsePublishesInPlace(client as unknown as Client);
  return client;
}

describe('in-place PUBLISH / PUBACK parser', () => {
  it('emits what mqtt-packet emits, whatever the chunking, from CONNECT on', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 30 }), (packets, cuts) => {
        const bytes = Buffer.concat([CONNECT, ...packets].map((p) => mqttPacket.generate(p)));
        const chunks = chunksOf(bytes, cuts);
        const reference = feed(mqttPacket.parser(), chunks);
        const client = fastClient(null);
        const fast = feed(client._parser, chunks, (p) => {
          if (p.cmd === 'connect') client.version = 4;
        });
        expect(reference.errors).toEqual([]);
        expect(fast.errors).toEqual([]);
        expect(fast.packets).toEqual(reference.packets);
      }),
      { numRuns: RUNS },
    );
  });

  it('hands the payload over without copying when the frame lies in one chunk', () => {
    const client = fastClient(4);
    const frame = mqttPacket.generate({ cmd: 'publish', topic: 'v1/devices/d1/telemetry/noise', payload: Buffer.from('{"seq":1}'), qos: 0, retain: false, dup: false });
    let payload: Buffer | undefined;
    client._parser.on('packet', (p: Packet) => {
      if (p.cmd === 'publish') payload = p.payload as Buffer;
    });
    client._parser.parse(frame);
    expect(payload?.toString()).toBe('{"seq":1}');
    expect(payload?.buffer).toBe(frame.buffer);
  });

  it('keeps the order when a packet handler reads the next chunk (as Aedes may)', () => {
    const frames = Array.from({ length: 6 }, (_, i) => mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from(String(i)), qos: 0, retain: false, dup: false }));
    const client = fastClient(4);
    const seen: string[] = [];
    const later = [Buffer.concat(frames.slice(3))];
    client._parser.on('packet', (p: Packet) => {
      seen.push(String((p as { payload: Buffer }).payload));
      const next = later.shift();
      if (next) client._parser.parse(next);
    });
    client._parser.parse(Buffer.concat(frames.slice(0, 3)));
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('leaves a frame larger than it holds to mqtt-packet, then takes over again', () => {
    const big = mqttPacket.generate({ cmd: 'publish', topic: 't/big', payload: Buffer.alloc(1024 * 1024, 5), qos: 0, retain: false, dup: false });
    const small = (n: number) => mqttPacket.generate({ cmd: 'publish', topic: 't/small', payload: Buffer.from(String(n)), qos: 1, retain: false, dup: false, messageId: n });
    const bytes = Buffer.concat([small(1), big, small(2), big, small(3)]);
    const chunks = chunksOf(bytes, Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => i * 1000));
    const client = fastClient(4);
    const fed: Record<string, unknown>[] = [];
    client._parser.on('packet', (p: Packet) => fed.push(view(p as unknown as Record<string, unknown>)));
    for (const chunk of chunks) expect(client._parser.parse(chunk)).toBeLessThanOrEqual(MAX_HELD);
    expect(fed).toEqual(feed(mqttPacket.parser(), chunks).packets);
    expect(fed.length).toBe(5);
  });

  it('leaves malformed frames to mqtt-packet, which reports them', () => {
    const good = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    const bad: [string, Buffer][] = [
      ['QoS 3', Buffer.from([0x36, 0x03, 0x00, 0x01, 0x74])],
      ['a length over four bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['a topic longer than its frame', Buffer.from([0x30, 0x03, 0x00, 0x09, 0x74])],
      ['PUBACK with flag bits set', Buffer.from([0x42, 0x02, 0x00, 0x01])],
    ];
    for (const [what, frame] of bad) {
      const fed = feed(fastClient(4)._parser, [Buffer.concat([good, frame, good])]);
      expect(fed.errors.length, what).toBe(1);
      expect(fed.packets.length, what).toBe(1);
    }
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }), (chunks) => {
        const fed = feed(fastClient(4)._parser, chunks.map((c) => Buffer.from(c)));
        for (const p of fed.packets) expect(typeof p.cmd).toBe('string');
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('would leave MQTT 5 clients (which Aedes refuses today) to mqtt-packet entirely', () => {
    const client = fastClient(5);
    const chunk = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { contentType: 'text/plain' } }, { protocolVersion: 5 });
    (client._parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = 5;
    const fed = feed(client._parser, [chunk]);
    expect(fed.errors).toEqual([]);
    expect(fed.packets[0]?.properties).toEqual({ contentType: 'text/plain' });
  });
});

describe('topic emitter', () => {
  /** A subscriber that records what it is given and takes it at once. */
  function recorder(name: string, log: string[]): Handler {
    return (m: Message, done) => {
      log.push(`${name} ${m.topic}`);
      done();
    };
  }
  const turn = () => new Promise((r) => setImmediate(r));

  it('matches MQTT filters: + one level (empty too), # the rest and the parent', () => {
    const e = new TopicEmitter();
    const log: string[] = [];
    e.on('v1/devices/+/telemetry/+', recorder('telemetry', log));
    e.on('v1/devices/d1/#', recorder('d1', log));
    e.on('a/+/c', recorder('a+c', log));
    for (const topic of ['v1/devices/d1/telemetry/noise', 'v1/devices/d2/telemetry/people', 'v1/devices/d1', 'v1/devices/d1/status', 'a//c', 'a/b/c/d', 'v1/devices/d2/telemetry']) e.emit({ topic });
    // Subscriptions matching one publish are served in no particular order.
    expect(log.sort()).toEqual(['a+c a//c', 'd1 v1/devices/d1', 'd1 v1/devices/d1/status', 'd1 v1/devices/d1/telemetry/noise', 'telemetry v1/devices/d1/telemetry/noise', 'telemetry v1/devices/d2/telemetry/people']);
  });

  it('serves repeated topics from the cache and forgets them when subscriptions change', async () => {
    const e = new TopicEmitter();
    const log: string[] = [];
    /** Who received one publish on t/1, in name order. */
    const receivers = () => {
      log.length = 0;
      e.emit({ topic: 't/1' });
      return log.map((l) => l.split(' ')[0]).sort();
    };
    const first = recorder('first', log);
    e.on('t/+', first);
    expect(receivers()).toEqual(['first']);
    expect(receivers()).toEqual(['first']);
    expect(e.cacheHits).toBe(1);
    e.on('t/1', recorder('second', log));
    expect(receivers()).toEqual(['first', 'second']);
    e.removeListener('t/+', first);
    expect(receivers()).toEqual(['first', 'second']); // the removal takes effect on the next turn
    await turn();
    expect(receivers()).toEqual(['second']);
    e.removeAllListeners('t/1');
    expect(receivers()).toEqual([]);
  });

  it('counts a publish in flight until every subscriber has taken it, then calls back', async () => {
    const e = new TopicEmitter();
    const pending: (() => void)[] = [];
    e.on('t', (_m, done) => void pending.push(done));
    e.on('t/#', (_m, done) => void pending.push(done));
    let completed = 0;
    e.emit({ topic: 't' }, () => completed++);
    e.emit({ topic: 'none/here' }, () => completed++);
    expect(e.current).toBe(1);
    expect(completed).toBe(1);
    pending.shift()?.();
    expect(e.current).toBe(1);
    let woken = 0;
    e.whenBelow(1, () => woken++);
    pending.shift()?.();
    expect(e.current).toBe(0);
    expect(completed).toBe(2);
    expect(woken).toBe(0); // on a later turn, not inside the subscriber's callback
    await turn();
    expect(woken).toBe(1);
  });

  it('refuses publishes once closed', async () => {
    const e = new TopicEmitter();
    await new Promise<void>((r) => e.close(r));
    let error: Error | undefined;
    e.emit({ topic: 't' }, (err) => (error = err));
    expect(error?.message).toMatch(/closed/);
  });
});

describe('read gate', () => {
  const turn = () => new Promise((r) => setImmediate(r));

  /** A socket as the gate sees it: reads answer 'data', 'readable' events are counted. */
  function fakeSocket() {
    const socket = Object.assign(new EventEmitter(), { destroyed: false, reads: 0, read: () => 'data' as unknown });
    let readable = 0;
    socket.on('readable', () => readable++);
    return { socket, readable: () => readable };
  }

  it('holds publishers while the broker is at its limit and releases them when the emitter reports it caught up', async () => {
    const e = new TopicEmitter();
    const pending: (() => void)[] = [];
    e.on('t', (_m, done) => void pending.push(done));
    const gate = new ReadGate(e, 2);
    const device = fakeSocket();
    const service = fakeSocket();
    gate.attach(device.socket as unknown as net.Socket, () => true);
    gate.attach(service.socket as unknown as net.Socket, () => false);

    expect(device.socket.read()).toBe('data');
    e.emit({ topic: 't' });
    e.emit({ topic: 't' });
    expect(device.socket.read()).toBeNull();
    expect(service.socket.read()).toBe('data'); // services are never held: their acknowledgements free memory
    expect(gate.held).toBe(1);
    // Nothing is retried while the broker stays at its limit.
    for (let i = 0; i < 5; i++) await turn();
    expect(device.readable()).toBe(0);

    pending.shift()?.();
    await turn();
    expect(device.readable()).toBe(1);
    expect(gate.held).toBe(0);
    expect(device.socket.read()).toBe('data');
  });

  it('waits to be told instead of checking every turn (an idle broker must not spin)', async () => {
    let checks = 0;
    let wake: (() => void) | undefined;
    const inFlight = {
      get current() {
        checks++;
        return 10;
      },
      whenBelow: (_limit: number, fn: () => void) => void (wake = fn),
    };
    const gate = new ReadGate(inFlight, 10);
    const device = fakeSocket();
    gate.attach(device.socket as unknown as net.Socket, () => true);
    expect(device.socket.read()).toBeNull();
    const after = checks;
    for (let i = 0; i < 5; i++) await turn();
    expect(checks).toBe(after);
    expect(wake).toBeDefined();
  });
});
