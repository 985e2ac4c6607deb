// A Redis connection: one command, one reply.
import { connectTcp } from './tcp';
import { FramedConnection } from './framed-connection';
import { RespReader, encodeCommand, type RespValue } from './resp';

export class RedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisError';
  }
}

export class RedisConnection {
  private constructor(
    private readonly framed: FramedConnection<RespValue>,
    private readonly timeoutMs: number,
  ) {}

  static async open(address: string, port: number, timeoutMs: number): Promise<RedisConnection> {
    const socket = await connectTcp(address, port, timeoutMs);
    return new RedisConnection(new FramedConnection(socket, new RespReader()), timeoutMs);
  }

  /** Sends one command; an error reply becomes a RedisError. */
  async command(args: readonly (string | Buffer)[]): Promise<RespValue> {
    const reply = await this.framed.exchange(encodeCommand(args), (value) => value, this.timeoutMs);
    if (reply.type === 'error') throw new RedisError(`${String(args[0])}: ${reply.message}`);
    return reply;
  }

  close(): void {
    this.framed.close();
  }
}
