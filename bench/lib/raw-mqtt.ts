import net from 'node:net';
import { frameEnd } from '../../broker/parser.js';

/**
 * Minimal MQTT 3.1.1 clients over plain sockets for bench:broker's BENCH_CLIENT=raw: frames are
 * encoded once and written as bytes, and incoming frames are only counted (and PUBACKed where QoS 1
 * asks for it). They cost the load generators a fraction of what mqtt.js does, so the broker under
 * test, not the clients, sets the rate.
 */
function utf8Field(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

const frame = (first: number, body: Buffer) => Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);

export function connectFrame(clientId: string, username: string, password: string, clean: boolean, keepaliveS = 120): Buffer {
  const flags = 0x80 | 0x40 | (clean ? 0x02 : 0);
  const variable = Buffer.concat([utf8Field('MQTT'), Buffer.from([4, flags, keepaliveS >> 8, keepaliveS & 0xff])]);
  return frame(0x10, Buffer.concat([variable, utf8Field(clientId), utf8Field(username), utf8Field(password)]));
}

export function publishFrame(topic: string, payload: Buffer, qos: 0 | 1, messageId = 1): Buffer {
  const id = qos > 0 ? Buffer.from([messageId >> 8, messageId & 0xff]) : Buffer.alloc(0);
  return frame(0x30 | (qos << 1), Buffer.concat([utf8Field(topic), id, payload]));
}

export function subscribeFrame(filter: string, qos: 0 | 1, messageId = 1): Buffer {
  return frame(0x82, Buffer.concat([Buffer.from([messageId >> 8, messageId & 0xff]), utf8Field(filter), Buffer.from([qos])]));
}

export function unsubscribeFrame(filter: string, messageId = 2): Buffer {
  return frame(0xa2, Buffer.concat([Buffer.from([messageId >> 8, messageId & 0xff]), utf8Field(filter)]));
}

/** Calls `onFrame(first byte, body start, body end, buffer)` for each complete frame; returns the unparsed tail. */
export function scanFrames(buf: Buffer, onFrame: (first: number, start: number, end: number, buf: Buffer) => void): Buffer {
  let at = 0;
  while (at < buf.length) {
    const end = frameEnd(buf, at);
    if (end < 0) break;
    let start = at + 2;
    while (((buf[start - 1] as number) & 0x80) !== 0) start++;
    onFrame(buf[at] as number, start, end, buf);
    at = end;
  }
  return buf.subarray(at);
}

/** A raw connection: CONNECT sent, CONNACK (accepted) awaited. Frames after it go to `onFrame`. */
export function rawConnect(url: string, clientId: string, username: string, password: string, clean: boolean, onFrame: (first: number, start: number, end: number, buf: Buffer) => void, keepaliveS = 120): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    socket.setNoDelay(true);
    let tail: Buffer = Buffer.alloc(0);
    let connected = false;
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      tail = scanFrames(tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk, (first, start, end, buf) => {
        if (connected) return onFrame(first, start, end, buf);
        if (first !== 0x20 || buf[start + 1] !== 0) return reject(new Error(`${clientId}: connection refused (CONNACK ${buf.subarray(start, end).toString('hex')})`));
        connected = true;
        socket.off('error', reject);
        resolve(socket);
      });
    });
    socket.write(connectFrame(clientId, username, password, clean, keepaliveS));
  });
}

export interface RawSubscriber {
  /** PUBLISH frames received so far. */
  count(): number;
  /** performance.now() of the last one. */
  last(): number;
  close(): Promise<void>;
}

/**
 * A subscriber like ingest over a plain socket: persistent session, `filter` at QoS 1; counts PUBLISH
 * frames, PUBACKs QoS 1 ones once per turn, and unsubscribes before it leaves, so its session queues
 * nothing afterwards.
 */
export async function rawSubscriber(url: string, clientId: string, username: string, password: string, filter: string): Promise<RawSubscriber> {
  let n = 0;
  let last = 0;
  let acks: Buffer[] = [];
  let subacked: () => void = () => undefined;
  let unsubacked: () => void = () => undefined;
  const socket = await rawConnect(url, clientId, username, password, false, (first, start, _end, buf) => {
    if (first >> 4 === 3) {
      n++;
      last = performance.now();
      if ((first & 0x06) !== 0) {
        const id = start + 2 + buf.readUInt16BE(start);
        if (acks.length === 0) setImmediate(flushAcks);
        acks.push(Buffer.from([0x40, 0x02, buf[id] as number, buf[id + 1] as number]));
      }
    } else if (first === 0x90) subacked();
    else if (first === 0xb0) unsubacked();
  });
  const flushAcks = () => {
    const out = acks;
    acks = [];
    if (!socket.destroyed) socket.write(Buffer.concat(out));
  };
  await new Promise<void>((resolve) => {
    subacked = resolve;
    socket.write(subscribeFrame(filter, 1));
  });
  return {
    count: () => n,
    last: () => last,
    async close() {
      await new Promise<void>((resolve) => {
        unsubacked = resolve;
        socket.write(unsubscribeFrame(filter));
      });
      await new Promise<void>((resolve) => socket.end(Buffer.from([0xe0, 0x00]), () => resolve()));
    },
  };
}
