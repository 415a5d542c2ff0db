import { EventEmitter } from 'node:events';
import type net from 'node:net';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { encodePublishQoS0 } from '../../broker/delivery.js';
import { TopicEmitter, type Handler, type Message } from '../../broker/emitter.js';
import { ReadGate } from '../../broker/tuning.js';

/**
 * The broker's own fast paths, checked against what they replace: the QoS 0 encoder against
 * mqtt-packet's generator byte for byte, the caching emitter against the MQTT matching rules,
 * including after subscriptions change, and the read gate that holds publishers back while the broker
 * is at its limit.
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
