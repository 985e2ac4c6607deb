// RESP (Redis's protocol), just enough for a client: commands out as arrays of bulk strings,
// replies in of the five RESP2 types. Pure: bytes in, values out.
import { BufferedReader } from './message-reader';

export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; message: string }
  | { type: 'integer'; value: number }
  | { type: 'bulk'; value: Buffer | null }
  | { type: 'array'; value: RespValue[] | null };

/** A command as RESP sends it: *<n>\r\n then $<len>\r\n<bytes>\r\n per argument. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespProtocolError';
  }
}

/** One reply from `buf` at `offset`: the value and where the next starts, or null if incomplete. */
export function parseReply(buf: Buffer, offset = 0): { value: RespValue; next: number } | null {
  if (offset >= buf.length) return null;
  const lineEnd = buf.indexOf('\r\n', offset + 1);
  if (lineEnd < 0) return null;
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  const marker = String.fromCharCode(buf[offset]);
  switch (marker) {
    case '+':
      return { value: { type: 'simple', value: line }, next: after };
    case '-':
      return { value: { type: 'error', message: line }, next: after };
    case ':':
      return { value: { type: 'integer', value: toInteger(line) }, next: after };
    case '$': {
      const length = toInteger(line);
      if (length === -1) return { value: { type: 'bulk', value: null }, next: after };
      if (length < 0) throw new RespProtocolError(`bad bulk length ${line}`);
      if (buf.length < after + length + 2) return null;
      if (buf[after + length] !== 0x0d || buf[after + length + 1] !== 0x0a) throw new RespProtocolError('bulk string not ended by CRLF');
      return { value: { type: 'bulk', value: Buffer.from(buf.subarray(after, after + length)) }, next: after + length + 2 };
    }
    case '*': {
      const count = toInteger(line);
      if (count === -1) return { value: { type: 'array', value: null }, next: after };
      if (count < 0) throw new RespProtocolError(`bad array length ${line}`);
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: { type: 'array', value: items }, next };
    }
    default:
      throw new RespProtocolError(`unknown reply type ${JSON.stringify(marker)}`);
  }
}

function toInteger(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`not an integer: ${JSON.stringify(text)}`);
  return Number(text);
}

/** Collects bytes as they arrive and hands out complete replies in order. */
export class RespReader extends BufferedReader<RespValue> {
  protected parseAt(buf: Buffer, offset: number): { value: RespValue; next: number } | null {
    return parseReply(buf, offset);
  }
}
