// Cutting a protocol's byte stream into messages, for FramedConnection. Pure: bytes in,
// messages out; the protocol (resp.ts, pg-protocol.ts) says where one message ends.

export interface MessageReader<T> {
  /** Appends bytes; returns the messages now complete. Throws on bytes that make no sense. */
  push(chunk: Buffer): T[];
}

/** A reader that keeps the bytes of an incomplete message until the rest arrives; a protocol says where one message ends. */
export abstract class BufferedReader<T> implements MessageReader<T> {
  private pending: Buffer = Buffer.alloc(0);

  /** The whole message at `offset` and where the next begins, or null when it is not all here yet. */
  protected abstract parseAt(buf: Buffer, offset: number): { value: T; next: number } | null;

  push(chunk: Buffer): T[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: T[] = [];
    let offset = 0;
    for (let message = this.parseAt(this.pending, offset); message; message = this.parseAt(this.pending, offset)) {
      out.push(message.value);
      offset = message.next;
    }
    this.pending = this.pending.subarray(offset);
    return out;
  }
}
