// The protobuf wire format, as far as Godwit reads CRIU's images: varints and
// length-delimited fields (numbers, strings, nested messages). A few fields of a few
// messages are all it needs, so it walks the bytes rather than pull in a protobuf toolchain.

function readVarint(buf: Buffer, pos: number, what: string): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error(`${what}: truncated varint`);
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error(`${what}: varint too long`);
  }
}

/**
 * Walks one protobuf message, calling `onField` for each varint or length-delimited field.
 * Fixed-width fields are skipped (none of the fields read is one); `what` names the image in
 * errors.
 */
export function walkMessage(buf: Buffer, what: string, onField: (field: number, value: number | Buffer) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos, what);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [value, next] = readVarint(buf, afterKey, what);
      onField(field, value);
      pos = next;
    } else if (wire === 2) {
      const [length, start] = readVarint(buf, afterKey, what);
      if (start + length > buf.length) throw new Error(`${what}: truncated field`);
      onField(field, buf.subarray(start, start + length));
      pos = start + length;
    } else if (wire === 1 || wire === 5) {
      pos = afterKey + (wire === 1 ? 8 : 4);
      if (pos > buf.length) throw new Error(`${what}: truncated field`);
    } else {
      throw new Error(`${what}: unexpected wire type ${wire}`);
    }
  }
}
