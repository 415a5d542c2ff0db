/** MQTT 3.1.1 PUBACK packets (fixed header 0x40, remaining length 2, packet id) for these ids, in one buffer. */
export function pubacks(ids: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(ids.length * 4);
  for (let i = 0; i < ids.length; i++) {
    buf[i * 4] = 0x40;
    buf[i * 4 + 1] = 0x02;
    buf.writeUInt16BE(ids[i] as number, i * 4 + 2);
  }
  return buf;
}
