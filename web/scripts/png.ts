import { deflateSync } from 'node:zlib';

/** A small real PNG (a park scene in flat colours) for screenshots: the server checks uploads against their bytes. */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export const PNG = {
  photo(w = 320, h = 200): Buffer {
    const rows: Buffer[] = [];
    for (let y = 0; y < h; y++) {
      const row = Buffer.alloc(1 + w * 3);
      for (let x = 0; x < w; x++) {
        const sky = y < h * 0.45;
        const person = Math.abs(x - w * 0.6) < 10 && y > h * 0.35 && y < h * 0.75;
        const speaker = x > w * 0.25 && x < w * 0.33 && y > h * 0.5 && y < h * 0.7;
        const [r, g, b] = person ? [200, 40, 40] : speaker ? [30, 30, 30] : sky ? [120 + y / 2, 170 + y / 4, 230] : [70, 140 - (y - h * 0.45) / 4, 60];
        row.set([Math.min(255, r), Math.min(255, g), Math.min(255, b)], 1 + x * 3);
      }
      rows.push(row);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
  },
};
