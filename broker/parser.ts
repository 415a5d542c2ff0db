import type { Client } from 'aedes';

/**
 * PUBLISH and PUBACK packets read straight from the socket's chunks.
 *
 * Aedes parses a connection with mqtt-packet, which appends every chunk to a buffer list and reads
 * each field through it: header, length, topic and payload each cost a lookup across the list and a
 * slice, and at 100,000 publishes/s that parsing was a fifth of the broker's CPU. Here, once a client
 * has connected with MQTT 3.1 or 3.1.1, each complete PUBLISH frame in a chunk is decoded in place
 * (the topic decoded from the chunk, the payload a view of it) into the same packet object
 * mqtt-packet makes, and handed to Aedes through the parser's own 'packet' event, so everything
 * after (ACL, backpressure, delivery) is unchanged; so is each PUBACK, which a QoS 1 subscriber sends
 * for every message. Every other frame — CONNECT, SUBSCRIBE, PINGREQ, and any frame that is
 * malformed — is passed whole to mqtt-packet, which parses it or raises its usual error; a frame split
 * across chunks waits here for the rest, up to MAX_HELD bytes: the rest of a larger one goes to
 * mqtt-packet, whose buffer list holds it without copying it again at every chunk (a device
 * trickling a large frame in would otherwise cost a copy of all it sent so far per chunk). Aedes accepts MQTT 3.1 and 3.1.1 clients only; should it
 * accept MQTT 5 ones, they keep mqtt-packet for everything (their packets carry properties).
 */
interface StockParser {
  _list: { length: number };
  _stateCounter: number;
  error: Error | null;
  parse(buf: Buffer): number;
  emit(event: 'packet', packet: unknown): boolean;
}

interface AedesClient {
  version: number | null;
  _parser: StockParser;
}

/** A PUBLISH as mqtt-packet's parser emits it (same fields, same order). */
export interface ParsedPublish {
  cmd: 'publish';
  retain: boolean;
  qos: number;
  dup: boolean;
  length: number;
  topic: string;
  payload: Buffer;
  messageId?: number;
}

/** A PUBACK as mqtt-packet's parser emits it for MQTT 3.1.1. */
export interface ParsedPuback {
  cmd: 'puback';
  retain: false;
  qos: 0;
  dup: false;
  length: 2;
  topic: null;
  payload: null;
  messageId: number;
}

const PUBLISH = 3;
/** First byte and remaining length of every MQTT 3.1.1 PUBACK. */
const PUBACK_HEADER = 0x40;
const PUBACK_LENGTH = 2;
/** The most of an incomplete frame held here; past it the frame is left to mqtt-packet. */
export const MAX_HELD = 64 * 1024;

/**
 * Where the frame starting at `at` ends, -1 when `buf` holds only part of it, or -2 when its remaining
 * length is not a valid variable byte integer (more than four bytes).
 */
export function frameEnd(buf: Buffer, at: number): number {
  let length = 0;
  let multiplier = 1;
  for (let i = at + 1; i < at + 5; i++) {
    if (i >= buf.length) return -1;
    const byte = buf[i] as number;
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return i + 1 + length <= buf.length ? i + 1 + length : -1;
    multiplier *= 0x80;
  }
  return -2;
}

/** Decodes the complete frame buf[at, end) if it is a well-formed PUBLISH or PUBACK. */
export function decodeFrame(buf: Buffer, at: number, end: number): ParsedPublish | ParsedPuback | undefined {
  const first = buf[at] as number;
  if (first === PUBACK_HEADER && buf[at + 1] === PUBACK_LENGTH && end === at + 2 + PUBACK_LENGTH) {
    return { cmd: 'puback', retain: false, qos: 0, dup: false, length: PUBACK_LENGTH, topic: null, payload: null, messageId: ((buf[at + 2] as number) << 8) + (buf[at + 3] as number) };
  }
  if (first >> 4 !== PUBLISH) return undefined;
  const qos = (first >> 1) & 0x03;
  if (qos === 3) return undefined;
  // The body starts after the fixed header: one byte of type and flags, then the length bytes.
  let body = at + 2;
  while (((buf[body - 1] as number) & 0x80) !== 0) body++;
  if (end - body < 2) return undefined;
  const topicEnd = body + 2 + ((buf[body] as number) << 8) + (buf[body + 1] as number);
  if (topicEnd > end) return undefined;
  const packet: ParsedPublish = {
    cmd: 'publish',
    retain: (first & 0x01) !== 0,
    qos,
    dup: (first & 0x08) !== 0,
    length: end - body,
    topic: buf.toString('utf8', body + 2, topicEnd),
    payload: buf,
  };
  let payloadStart = topicEnd;
  if (qos > 0) {
    if (topicEnd + 2 > end) return undefined;
    packet.messageId = ((buf[topicEnd] as number) << 8) + (buf[topicEnd + 1] as number);
    payloadStart += 2;
  }
  packet.payload = buf.subarray(payloadStart, end);
  return packet;
}

/** Puts the fast PUBLISH / PUBACK path in front of a new client's parser; call right after `aedes.handle(socket)`. */
export function parsePublishesInPlace(aedesClient: Client): void {
  const client = aedesClient as unknown as AedesClient;
  const parser = client._parser;
  const stock = parser.parse.bind(parser);
  /** The start of a frame the last chunk ended inside. */
  let partial: Buffer | undefined;
  /** Chunks that arrived while one was being parsed (Aedes can read again from a packet's callback). */
  const queued: Buffer[] = [];
  let parsing = false;

  const stockIsIdle = () => parser._list.length === 0 && parser._stateCounter === 0;

  const parseChunk = (chunk: Buffer): void => {
    const own = partial !== undefined || ((client.version === 4 || client.version === 3) && stockIsIdle());
    if (!own) {
      stock(chunk);
      return;
    }
    const buf = partial ? Buffer.concat([partial, chunk]) : chunk;
    partial = undefined;
    let at = 0;
    while (at < buf.length) {
      const end = frameEnd(buf, at);
      if (end === -1) {
        if (buf.length - at > MAX_HELD) stock(buf.subarray(at));
        else partial = buf.subarray(at);
        return;
      }
      if (end === -2) {
        stock(buf.subarray(at)); // mqtt-packet reports the bad length
        return;
      }
      const packet = decodeFrame(buf, at, end);
      if (packet) parser.emit('packet', packet);
      else {
        stock(buf.subarray(at, end));
        if (parser.error) return;
      }
      at = end;
    }
  };

  parser.parse = (chunk: Buffer): number => {
    if (parsing) {
      queued.push(chunk);
      return 0;
    }
    parsing = true;
    try {
      parseChunk(chunk);
      while (queued.length > 0) parseChunk(queued.shift() as Buffer);
    } finally {
      parsing = false;
    }
    return partial?.length ?? 0;
  };
}
