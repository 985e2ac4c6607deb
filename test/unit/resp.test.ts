// RESP as the Redis writer speaks it: commands out, replies in, however the bytes are cut.
import { RespProtocolError, RespReader, encodeCommand, parseReply } from '../../infra/services/clients/resp';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('RESP commands', () => {
  it('sends every argument as a bulk string, lengths in bytes', () => {
    expect(encodeCommand(['SET', 'k:1', 'v']).toString()).toBe('*3\r\n$3\r\nSET\r\n$3\r\nk:1\r\n$1\r\nv\r\n');
    expect(encodeCommand(['SET', 'é', Buffer.from([0, 13, 10])])).toEqual(
      Buffer.concat([bytes('*3\r\n$3\r\nSET\r\n$2\r\né\r\n$3\r\n'), Buffer.from([0, 13, 10]), bytes('\r\n')]),
    );
  });
});

describe('RESP replies', () => {
  it('reads the five types, nulls included', () => {
    expect(parseReply(bytes('+OK\r\n'))).toEqual({ value: { type: 'simple', value: 'OK' }, next: 5 });
    expect(parseReply(bytes('-ERR wrong\r\n'))?.value).toEqual({ type: 'error', message: 'ERR wrong' });
    expect(parseReply(bytes(':-42\r\n'))?.value).toEqual({ type: 'integer', value: -42 });
    expect(parseReply(bytes('$5\r\na\r\nbc\r\n'))?.value).toEqual({ type: 'bulk', value: bytes('a\r\nbc') });
    expect(parseReply(bytes('$-1\r\n'))?.value).toEqual({ type: 'bulk', value: null });
    expect(parseReply(bytes('*-1\r\n'))?.value).toEqual({ type: 'array', value: null });
    expect(parseReply(bytes('*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:1\r\n'))?.value).toEqual({
      type: 'array',
      value: [{ type: 'bulk', value: bytes('a') }, { type: 'bulk', value: null }, { type: 'array', value: [{ type: 'integer', value: 1 }] }],
    });
  });

  it('says incomplete (null) until the last byte of a reply is there', () => {
    const whole = bytes('*2\r\n$3\r\nabc\r\n$2\r\nde\r\n');
    for (let n = 0; n < whole.length; n++) expect(parseReply(whole.subarray(0, n))).toBeNull();
    expect(parseReply(whole)?.next).toBe(whole.length);
  });

  it('hands out replies in order whatever the chunks, one byte at a time too', () => {
    const stream = bytes('+OK\r\n:7\r\n$3\r\nxyz\r\n*1\r\n+PONG\r\n');
    const reader = new RespReader();
    const replies = [...stream].flatMap((b) => reader.push(Buffer.from([b])));
    expect(replies.map((r) => r.type)).toEqual(['simple', 'integer', 'bulk', 'array']);
    const again = new RespReader();
    expect(again.push(stream.subarray(0, 7)).length).toBe(1);
    expect(again.push(stream.subarray(7)).length).toBe(3);
  });

  it('refuses bytes that are not RESP', () => {
    expect(() => parseReply(bytes('?what\r\n'))).toThrow(RespProtocolError);
    expect(() => parseReply(bytes(':12x\r\n'))).toThrow(RespProtocolError);
    expect(() => parseReply(bytes('$2\r\nabcd\r\n'))).toThrow(RespProtocolError);
  });
});
