// PostgreSQL's frontend/backend protocol (version 3), the simple-query part: messages out
// (StartupMessage, Query, Terminate) and backend messages in, cut and decoded. Pure.
import { BufferedReader } from './message-reader';

const PROTOCOL_3_0 = 196608;

/** StartupMessage: length, protocol 3.0, then name\0value\0 pairs and a final \0. */
export function startupMessage(params: Readonly<Record<string, string>>): Buffer {
  const pairs = Object.entries(params).flatMap(([k, v]) => [k, v]);
  const body = Buffer.concat([...pairs.map((s) => Buffer.from(`${s}\0`, 'utf8')), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(PROTOCOL_3_0, 4);
  return Buffer.concat([head, body]);
}

function typed(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

/** Query ('Q'): one SQL string, run with the simple-query protocol (autocommit per statement). */
export function queryMessage(sql: string): Buffer {
  return typed('Q', Buffer.from(`${sql}\0`, 'utf8'));
}

export function terminateMessage(): Buffer {
  return typed('X', Buffer.alloc(0));
}

export type BackendMessage =
  | { type: 'Authentication'; code: number }
  | { type: 'ParameterStatus'; name: string; value: string }
  | { type: 'BackendKeyData'; pid: number; secret: number }
  | { type: 'ReadyForQuery'; status: string }
  | { type: 'RowDescription'; fields: { name: string; typeOid: number }[] }
  | { type: 'DataRow'; values: (string | null)[] }
  | { type: 'CommandComplete'; tag: string }
  | { type: 'EmptyQueryResponse' }
  | { type: 'ErrorResponse'; fields: Record<string, string> }
  | { type: 'NoticeResponse'; fields: Record<string, string> }
  | { type: 'Other'; code: string };

export class PgProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgProtocolError';
  }
}

/** Reads a message body front to back; running past its end is a protocol error. */
class BodyCursor {
  private at = 0;
  constructor(private readonly body: Buffer) {}

  int32(): number {
    this.need(4);
    const v = this.body.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  int16(): number {
    this.need(2);
    const v = this.body.readInt16BE(this.at);
    this.at += 2;
    return v;
  }

  byte(): number {
    this.need(1);
    return this.body[this.at++];
  }

  cstring(): string {
    const end = this.body.indexOf(0, this.at);
    if (end < 0) throw new PgProtocolError('string not terminated');
    const s = this.body.toString('utf8', this.at, end);
    this.at = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  private need(n: number): void {
    if (this.at + n > this.body.length) throw new PgProtocolError('message shorter than its contents');
  }
}

/** ErrorResponse/NoticeResponse fields: code byte + string, until a 0 byte (S severity, C SQLSTATE, M message). */
function fields(c: BodyCursor): Record<string, string> {
  const out: Record<string, string> = {};
  for (let code = c.byte(); code !== 0; code = c.byte()) out[String.fromCharCode(code)] = c.cstring();
  return out;
}

export function decodeMessage(type: string, body: Buffer): BackendMessage {
  const c = new BodyCursor(body);
  switch (type) {
    case 'R':
      return { type: 'Authentication', code: c.int32() };
    case 'S':
      return { type: 'ParameterStatus', name: c.cstring(), value: c.cstring() };
    case 'K':
      return { type: 'BackendKeyData', pid: c.int32(), secret: c.int32() };
    case 'Z':
      return { type: 'ReadyForQuery', status: String.fromCharCode(c.byte()) };
    case 'T': {
      const count = c.int16();
      const list: { name: string; typeOid: number }[] = [];
      for (let i = 0; i < count; i++) {
        const name = c.cstring();
        c.int32(); // table oid
        c.int16(); // column number
        const typeOid = c.int32();
        c.int16(); // type size
        c.int32(); // type modifier
        c.int16(); // format (0: text, all the simple-query protocol sends)
        list.push({ name, typeOid });
      }
      return { type: 'RowDescription', fields: list };
    }
    case 'D': {
      const count = c.int16();
      const values: (string | null)[] = [];
      for (let i = 0; i < count; i++) {
        const length = c.int32();
        values.push(length === -1 ? null : c.bytes(length).toString('utf8'));
      }
      return { type: 'DataRow', values };
    }
    case 'C':
      return { type: 'CommandComplete', tag: c.cstring() };
    case 'I':
      return { type: 'EmptyQueryResponse' };
    case 'E':
      return { type: 'ErrorResponse', fields: fields(c) };
    case 'N':
      return { type: 'NoticeResponse', fields: fields(c) };
    default:
      return { type: 'Other', code: type };
  }
}

/** Largest message accepted: far above what these clients read, far below a garbled length. */
const MAX_MESSAGE = 64 << 20;

/** Cuts the backend's byte stream into messages: a type byte, an int32 length (itself included), the body. */
export class PgMessageReader extends BufferedReader<BackendMessage> {
  protected parseAt(buf: Buffer, at: number): { value: BackendMessage; next: number } | null {
    if (buf.length - at < 5) return null;
    const length = buf.readInt32BE(at + 1);
    if (length < 4 || length > MAX_MESSAGE) throw new PgProtocolError(`bad message length ${length}`);
    if (buf.length - at < 1 + length) return null;
    return { value: decodeMessage(String.fromCharCode(buf[at]), buf.subarray(at + 5, at + 1 + length)), next: at + 1 + length };
  }
}

export interface QueryResult {
  fields: string[];
  rows: (string | null)[][];
  /** CommandComplete tags, one per statement (e.g. "INSERT 0 1"). */
  tags: string[];
  /** The ErrorResponse, if the query failed (the server still ends with ReadyForQuery). */
  error: Record<string, string> | null;
}

/**
 * Gathers one simple query's answer: rows, tags, an error, up to ReadyForQuery. `take`
 * returns the result on ReadyForQuery, undefined before.
 */
export class QueryCollector {
  private readonly result: QueryResult = { fields: [], rows: [], tags: [], error: null };

  take(message: BackendMessage): QueryResult | undefined {
    switch (message.type) {
      case 'RowDescription':
        this.result.fields = message.fields.map((f) => f.name);
        return undefined;
      case 'DataRow':
        this.result.rows.push(message.values);
        return undefined;
      case 'CommandComplete':
        this.result.tags.push(message.tag);
        return undefined;
      case 'ErrorResponse':
        this.result.error = message.fields;
        return undefined;
      case 'ReadyForQuery':
        return this.result;
      default:
        return undefined; // notices, parameter changes
    }
  }
}
