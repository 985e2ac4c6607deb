// A socket that speaks in messages: bytes go out, a reader cuts what comes back into messages,
// and one exchange at a time collects them until it has its answer (or times out, which
// closes the connection: a late answer must never be taken for the next request's).
import type net from 'node:net';
import type { MessageReader } from './message-reader';

interface Waiter<T> {
  take(message: T): boolean;
  fail(error: Error): void;
}

export class FramedConnection<T> {
  private waiter: Waiter<T> | null = null;
  private readonly backlog: T[] = [];
  private closedBy: Error | null = null;

  constructor(
    private readonly socket: net.Socket,
    reader: MessageReader<T>,
  ) {
    socket.on('data', (chunk: Buffer) => {
      let messages: T[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.shut(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const message of messages) {
        if (!this.waiter?.take(message)) this.backlog.push(message);
      }
    });
    socket.on('error', (err) => this.shut(err));
    socket.on('close', () => this.shut(new Error('connection closed by the server')));
  }

  /**
   * Sends `out` (if any) and feeds every message to `collect` until it returns a result.
   * Messages that arrived before (unsolicited ones) are fed first.
   */
  exchange<R>(out: Buffer | null, collect: (message: T) => R | undefined, timeoutMs: number): Promise<R> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (this.waiter) return Promise.reject(new Error('one exchange at a time'));
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => this.shut(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiter = null;
      };
      this.waiter = {
        take: (message) => {
          const result = collect(message);
          if (result === undefined) return true;
          finish();
          resolve(result);
          return true;
        },
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      if (out) this.socket.write(out);
      while (this.waiter && this.backlog.length > 0) {
        const [message] = this.backlog.splice(0, 1);
        this.waiter.take(message);
      }
    });
  }

  /** Closes; `goodbye` (e.g. PostgreSQL's Terminate) is sent first if the socket still works. */
  close(goodbye?: Buffer): void {
    if (goodbye && !this.closedBy && this.socket.writable) {
      this.closedBy = new Error('connection closed by the client');
      this.socket.end(goodbye);
      // end() flushes then closes; a peer that never closes its side is not waited for.
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.waiter?.fail(this.closedBy);
      return;
    }
    this.shut(new Error('connection closed by the client'));
  }

  private shut(error: Error): void {
    if (!this.closedBy) this.closedBy = error;
    this.socket.destroy();
    this.waiter?.fail(this.closedBy);
  }
}
