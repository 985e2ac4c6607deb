// The PostgreSQL protocol messages the writer sends and the backend messages it reads, built
// byte by byte as the protocol documentation lays them out.
import { PgMessageReader, PgProtocolError, QueryCollector, queryMessage, startupMessage, terminateMessage } from '../../infra/services/clients/pg-protocol';

/** A backend message: type byte, int32 length counting itself, body. */
function msg(type: string, ...parts: (Buffer | string | number[])[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.isBuffer(p) ? p : Buffer.from(p))));
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

describe('frontend messages', () => {
  it('StartupMessage: length, protocol 3.0, name/value pairs, final zero', () => {
    const m = startupMessage({ user: 'postgres', database: 'db' });
    expect(m.readInt32BE(0)).toBe(m.length);
    expect(m.readInt32BE(4)).toBe(196608);
    expect(m.subarray(8).toString('latin1')).toBe('user\0postgres\0database\0db\0\0');
  });

  it("Query: 'Q', length, the SQL zero-terminated; Terminate: 'X' and length 4", () => {
    const q = queryMessage('SELECT 1');
    expect(q.toString('latin1', 0, 1)).toBe('Q');
    expect(q.readInt32BE(1)).toBe(4 + 9);
    expect(q.subarray(5).toString('latin1')).toBe('SELECT 1\0');
    expect(terminateMessage()).toEqual(Buffer.from([0x58, 0, 0, 0, 4]));
  });
});

describe('backend messages', () => {
  const login = Buffer.concat([
    msg('R', int32(0)),
    msg('S', 'server_version\0', '15.18\0'),
    msg('K', int32(1234), int32(-5)),
    msg('Z', 'I'),
  ]);

  it('decodes the login answer', () => {
    expect(new PgMessageReader().push(login)).toEqual([
      { type: 'Authentication', code: 0 },
      { type: 'ParameterStatus', name: 'server_version', value: '15.18' },
      { type: 'BackendKeyData', pid: 1234, secret: -5 },
      { type: 'ReadyForQuery', status: 'I' },
    ]);
  });

  const field = (name: string, typeOid: number) => Buffer.concat([Buffer.from(`${name}\0`), int32(0), int16(0), int32(typeOid), int16(8), int32(-1), int16(0)]);
  const select = Buffer.concat([
    msg('T', int16(2), field('id', 20), field('payload', 25)),
    msg('D', int16(2), int32(1), '7', int32(-1)),
    msg('D', int16(2), int32(2), '42', int32(3), 'abc'),
    msg('C', 'SELECT 2\0'),
    msg('Z', 'I'),
  ]);

  it('collects a SELECT: fields, rows with NULLs, the tag, up to ReadyForQuery', () => {
    const collector = new QueryCollector();
    const results = new PgMessageReader().push(select).map((m) => collector.take(m));
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    expect(results.at(-1)).toEqual({ fields: ['id', 'payload'], rows: [['7', null], ['42', 'abc']], tags: ['SELECT 2'], error: null });
  });

  it('keeps an ErrorResponse with its fields, and still ends at ReadyForQuery', () => {
    const failed = Buffer.concat([msg('E', 'SERROR\0', 'C23505\0', 'Mduplicate key value\0', [0]), msg('Z', 'I')]);
    const collector = new QueryCollector();
    const [first, last] = new PgMessageReader().push(failed).map((m) => collector.take(m));
    expect(first).toBeUndefined();
    expect(last?.error).toEqual({ S: 'ERROR', C: '23505', M: 'duplicate key value' });
  });

  it('cuts messages out of any chunking, one byte at a time too', () => {
    const stream = Buffer.concat([login, select]);
    const reader = new PgMessageReader();
    const messages = [...stream].flatMap((b) => reader.push(Buffer.from([b])));
    expect(messages.map((m) => m.type)).toEqual([
      'Authentication', 'ParameterStatus', 'BackendKeyData', 'ReadyForQuery',
      'RowDescription', 'DataRow', 'DataRow', 'CommandComplete', 'ReadyForQuery',
    ]);
  });

  it('refuses a garbled length and a body shorter than its contents', () => {
    expect(() => new PgMessageReader().push(Buffer.from([0x5a, 0, 0, 0, 2]))).toThrow(PgProtocolError);
    expect(() => new PgMessageReader().push(msg('K', int32(1)))).toThrow(PgProtocolError);
    expect(() => new PgMessageReader().push(msg('C', 'no terminator'))).toThrow(PgProtocolError);
  });

  it('passes unknown message types through as Other', () => {
    expect(new PgMessageReader().push(msg('A', int32(1), 'chan\0', 'hi\0'))).toEqual([{ type: 'Other', code: 'A' }]);
  });
});
