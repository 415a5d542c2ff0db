import type net from 'node:net';
import { serve } from './lib/child.js';
import { publishFrame, rawConnect } from './lib/raw-mqtt.js';
import { payloadFactory, telemetryTopic, type BenchDevice } from './lib/workload.js';

/**
 * A device-fleet process of bench:connections, over plain sockets (bench/lib/raw-mqtt.ts), so that
 * ten thousand connections cost this process little:
 *
 * - `connect`: opens every given device's connection (`parallel` at a time), each pinging the broker
 *   every 30 s as a device with a keep-alive does; `active: true` marks them as publishers;
 * - `publish`: every active device publishes one reading per `intervalMs` (QoS 1, one at a time)
 *   for `durationMs`, and the reply carries each PUBLISH → PUBACK latency (ms);
 * - `disconnect`: closes them all (DISCONNECT).
 */
interface Conn {
  device: BenchDevice & { index: number };
  socket: net.Socket;
  /** Called with the PUBACK's arrival time. */
  onAck: (at: number) => void;
}

const KEEPALIVE_S = 60;
let conns: Conn[] = [];
/** The connections opened with `active: true`: those that publish. */
let active: Conn[] = [];
let pinger: NodeJS.Timeout | undefined;
const payload = payloadFactory();

serve({
  async connect(msg) {
    const list = msg.devices as (BenchDevice & { index: number })[];
    const parallel = Number(msg.parallel ?? 100);
    const started = Date.now();
    const opened: Conn[] = [];
    for (let i = 0; i < list.length; i += parallel) {
      opened.push(
        ...(await Promise.all(
          list.slice(i, i + parallel).map(async (device) => {
            const c: Conn = { device, socket: undefined as unknown as net.Socket, onAck: () => undefined };
            c.socket = await rawConnect(String(msg.url), device.id, device.id, device.secret, true, (first) => {
              if (first === 0x40) c.onAck(performance.now());
            }, KEEPALIVE_S);
            c.socket.on('error', () => undefined);
            return c;
          }),
        )),
      );
    }
    conns.push(...opened);
    if (msg.active === true) active.push(...opened);
    pinger ??= setInterval(() => {
      for (const c of conns) if (!c.socket.destroyed) c.socket.write(Buffer.from([0xc0, 0x00]));
    }, (KEEPALIVE_S * 1000) / 2);
    return { type: 'connected', ms: Date.now() - started, open: conns.length };
  },

  async publish(msg) {
    const intervalMs = Number(msg.intervalMs);
    const durationMs = Number(msg.durationMs);
    const latencies: number[] = [];
    let seq = 1;
    const end = performance.now() + durationMs;
    await Promise.all(
      active.map(async (c, k) => {
        // Spread the devices' first publishes over one interval.
        await new Promise((r) => setTimeout(r, (k / active.length) * intervalMs));
        const topic = telemetryTopic(c.device.id);
        while (performance.now() < end) {
          const id = (seq++ % 65_535) + 1;
          const sent = performance.now();
          const acked = new Promise<number>((resolve) => (c.onAck = resolve));
          c.socket.write(publishFrame(topic, Buffer.from(payload(c.device.index, id, Date.now())), 1, id));
          latencies.push((await acked) - sent);
          const wait = sent + intervalMs - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }),
    );
    return { type: 'published', latencies };
  },

  async disconnect() {
    clearInterval(pinger);
    pinger = undefined;
    await Promise.all(conns.map((c) => new Promise<void>((resolve) => (c.socket.destroyed ? resolve() : c.socket.end(Buffer.from([0xe0, 0x00]), () => resolve())))));
    conns = [];
    active = [];
    return { type: 'disconnected' };
  },

  async stop() {
    for (const c of conns) c.socket.destroy();
    setImmediate(() => process.exit(0));
    return { type: 'stopped' };
  },
});
process.send?.({ type: 'ready' });
