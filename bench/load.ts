import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { serve } from './lib/child.js';
import { publishFrame, rawConnect } from './lib/raw-mqtt.js';
import { messageFactory, payloadFactory, telemetryTopic, type BenchDevice } from './lib/workload.js';

/**
 * A load-generator process: a share of the simulated devices, each a real mqtt.js connection
 * logging in with its own id and secret, publishing noise readings on its own telemetry topic.
 *
 * - `connect`: opens every device's connection (a few dozen at a time);
 * - `burst`: every device publishes `perDevice` readings back to back (QoS 0: each write waits for
 *   the socket to accept it; QoS 1: each waits for its PUBACK, as a device does) — bench:broker;
 * - `paced`: the devices together publish `rate` readings/s for `durationMs` (QoS 1, at most
 *   `maxInflight` unacknowledged messages per device; a message that would exceed it is counted as
 *   skipped), `batch` readings per message (default 1; more = a JSON array) — bench:ingest;
 * - `stats`: paced readings sent and acknowledged so far, and how many messages are still unacknowledged;
 * - `disconnect`: closes them all;
 * - `raw-connect`, `raw-prepare`, `raw-burst`, `raw-disconnect`: the same devices and bursts over plain
 *   sockets (bench/lib/raw-mqtt.ts) instead of mqtt.js, the frames encoded before the burst
 *   (bench:broker with BENCH_CLIENT=raw);
 * - `raw-paced`: `paced` over those plain sockets (bench:ingest and bench:scale unless BENCH_CLIENT=mqtt):
 *   each frame encoded when due (its reading stamped with the time), a device's frames of one tick
 *   written together, its unacknowledged messages counted down by PUBACKs.
 */
interface LoadDevice extends BenchDevice {
  index: number;
  topic: string;
  client?: MqttClient;
  seq: number;
  inflight: number;
  raw?: RawDevice;
}

interface RawDevice {
  socket: net.Socket;
  /** The prepared burst: QoS 0 as chunks of whole frames, QoS 1 frame by frame. */
  chunks: Buffer[];
  /** Called on each PUBACK. */
  onAck: () => void;
  /** Frames of the current tick not yet written (raw-paced). */
  out: Buffer[];
}

/** QoS 0 frames per write in a raw burst (about 7 KiB). */
const RAW_FRAMES_PER_WRITE = 20;

let devices: LoadDevice[] = [];
/** Paced readings published and acknowledged by the broker, over all steps. */
const totals = { sent: 0, acked: 0 };
const payload = payloadFactory();

function connectOne(url: string, d: LoadDevice): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      username: d.id,
      password: d.secret,
      clientId: d.id,
      protocolVersion: 4,
      clean: true,
      keepalive: 120,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
    });
    client.once('connect', () => {
      d.client = client;
      resolve();
    });
    client.once('error', (err) => {
      client.end(true);
      reject(new Error(`${d.id}: ${err.message}`));
    });
  });
}

async function publishSequence(d: LoadDevice, count: number, qos: 0 | 1): Promise<void> {
  const client = d.client;
  if (!client) throw new Error(`${d.id} is not connected`);
  for (let i = 0; i < count; i++) {
    const seq = d.seq++;
    await client.publishAsync(d.topic, payload(d.index, seq, Date.now()), { qos });
  }
}

/** QoS 0: every prepared chunk, as fast as the socket takes them. */
function rawWriteAll(raw: RawDevice): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const pump = () => {
      while (i < raw.chunks.length) {
        if (!raw.socket.write(raw.chunks[i++] as Buffer)) return void raw.socket.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
}

/** QoS 1: each frame once the previous one is acknowledged, as a device does. */
function rawOneByOne(raw: RawDevice): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const next = () => {
      if (i === raw.chunks.length) return resolve();
      raw.socket.write(raw.chunks[i++] as Buffer);
    };
    raw.onAck = next;
    next();
  });
}

interface PaceCounts {
  sent: number;
  skipped: number;
  acked: number;
}

/**
 * `paced` and `raw-paced`: every 5 ms, the messages due so far at `rate` readings/s, round robin over
 * the devices; `publish` sends one (false: the device cannot take it, counted as skipped), a device
 * with `maxInflight` messages unacknowledged is skipped, and `endTick` runs after each tick.
 */
async function pace(msg: Record<string, unknown>, publish: (d: LoadDevice, payload: string, counts: PaceCounts, batch: number) => boolean, endTick?: () => void) {
  const rate = Number(msg.rate);
  const durationMs = Number(msg.durationMs);
  const maxInflight = Number(msg.maxInflight ?? 100);
  const batch = Number(msg.batch ?? 1);
  const message = messageFactory(batch);
  const counts: PaceCounts = { sent: 0, skipped: 0, acked: 0 };
  let next = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Date.now() - started;
      const due = Math.floor((Math.min(elapsed, durationMs) * rate) / 1000);
      while (counts.sent + counts.skipped < due) {
        const d = devices[next++ % devices.length] as LoadDevice;
        if (d.inflight >= maxInflight || !publish(d, message(d.index, d.seq, Date.now()), counts, batch)) {
          counts.skipped += batch;
          continue;
        }
        d.inflight++;
        counts.sent += batch;
        totals.sent += batch;
        d.seq += batch;
      }
      endTick?.();
      if (elapsed >= durationMs) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  return { type: 'paced-done', ...counts, ms: Date.now() - started };
}

serve({
  async connect(msg) {
    const list = msg.devices as (BenchDevice & { index: number })[];
    devices = list.map((d) => ({ ...d, topic: telemetryTopic(d.id), seq: Number(msg.seqStart ?? 1), inflight: 0 }));
    const started = Date.now();
    const parallel = 50;
    for (let i = 0; i < devices.length; i += parallel) {
      await Promise.all(devices.slice(i, i + parallel).map((d) => connectOne(String(msg.url), d)));
    }
    return { type: 'connected', ms: Date.now() - started };
  },

  async burst(msg) {
    const perDevice = Number(msg.perDevice);
    const qos = Number(msg.qos) === 1 ? 1 : 0;
    const started = Date.now();
    await Promise.all(devices.map((d) => publishSequence(d, perDevice, qos)));
    return { type: 'burst-done', sent: perDevice * devices.length, ms: Date.now() - started };
  },

  async paced(msg) {
    return pace(msg, (d, payload, counts, batch) => {
      if (!d.client) return false;
      d.client.publish(d.topic, payload, { qos: 1 }, (err) => {
        d.inflight--;
        if (err) return;
        counts.acked += batch;
        totals.acked += batch;
      });
      return true;
    });
  },

  async 'raw-paced'(msg) {
    const touched: RawDevice[] = [];
    return pace(
      msg,
      (d, payload, counts, batch) => {
        const raw = d.raw;
        if (!raw || raw.socket.destroyed) return false;
        raw.onAck = () => {
          d.inflight--;
          counts.acked += batch;
          totals.acked += batch;
        };
        if (raw.out.length === 0) touched.push(raw);
        raw.out.push(publishFrame(d.topic, Buffer.from(payload), 1, (d.seq % 65_535) + 1));
        return true;
      },
      () => {
        for (const raw of touched) {
          raw.socket.write(raw.out.length === 1 ? (raw.out[0] as Buffer) : Buffer.concat(raw.out));
          raw.out = [];
        }
        touched.length = 0;
      },
    );
  },

  async 'raw-connect'(msg) {
    const list = msg.devices as (BenchDevice & { index: number })[];
    devices = list.map((d) => ({ ...d, topic: telemetryTopic(d.id), seq: Number(msg.seqStart ?? 1), inflight: 0 }));
    const started = Date.now();
    const parallel = 50;
    for (let i = 0; i < devices.length; i += parallel) {
      await Promise.all(
        devices.slice(i, i + parallel).map(async (d) => {
          const raw: RawDevice = { socket: undefined as unknown as net.Socket, chunks: [], onAck: () => undefined, out: [] };
          raw.socket = await rawConnect(String(msg.url), d.id, d.id, d.secret, true, (first) => {
            if (first === 0x40) raw.onAck();
          });
          d.raw = raw;
        }),
      );
    }
    return { type: 'connected', ms: Date.now() - started };
  },

  async 'raw-prepare'(msg) {
    const perDevice = Number(msg.perDevice);
    const qos = Number(msg.qos) === 1 ? 1 : 0;
    for (const d of devices) {
      if (!d.raw) throw new Error(`${d.id} is not connected`);
      const frames = Array.from({ length: perDevice }, (_, i) => publishFrame(d.topic, Buffer.from(payload(d.index, d.seq + i, Date.now())), qos, ((d.seq + i) % 65_535) + 1));
      d.seq += perDevice;
      d.raw.chunks = [];
      const group = qos === 0 ? RAW_FRAMES_PER_WRITE : 1;
      for (let i = 0; i < frames.length; i += group) d.raw.chunks.push(Buffer.concat(frames.slice(i, i + group)));
    }
    return { type: 'prepared' };
  },

  async 'raw-burst'(msg) {
    const qos = Number(msg.qos) === 1 ? 1 : 0;
    const started = Date.now();
    await Promise.all(devices.map((d) => (qos === 0 ? rawWriteAll(d.raw as RawDevice) : rawOneByOne(d.raw as RawDevice))));
    return { type: 'burst-done', ms: Date.now() - started };
  },

  async 'raw-disconnect'() {
    await Promise.all(devices.map((d) => new Promise<void>((resolve) => (d.raw ? d.raw.socket.end(Buffer.from([0xe0, 0x00]), () => resolve()) : resolve()))));
    for (const d of devices) d.raw = undefined;
    return { type: 'disconnected' };
  },

  async stats() {
    return { type: 'stats', ...totals, inflight: devices.reduce((n, d) => n + d.inflight, 0) };
  },

  async disconnect() {
    await Promise.all(devices.map((d) => d.client?.endAsync()));
    for (const d of devices) d.client = undefined;
    return { type: 'disconnected' };
  },

  async stop() {
    await Promise.all(devices.map((d) => d.client?.endAsync(true)));
    for (const d of devices) d.raw?.socket.destroy();
    setImmediate(() => process.exit(0));
    return { type: 'stopped' };
  },
});
process.send?.({ type: 'ready' });
