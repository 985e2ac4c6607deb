// A Redis writer: SET <prefix><i> <value of i> with i = 1, 2, 3..., one at a time, each
// acknowledged by the server's +OK. The keys it was told OK for must all be there, with
// their values, after any migration: verify() reads them back with MGET.
import { AcknowledgedWriter } from './acknowledged-writer';
import { ReconnectingLoop, type LoopOptions } from './reconnecting-loop';
import { RedisConnection } from './redis-connection';
import type { VerifyReport } from './report';

export interface RedisWriterOptions extends LoopOptions {
  /** Per connect and per command: a frozen server accepts connections but never answers. */
  timeoutMs?: number;
  keyPrefix?: string;
}

const VERIFY_BATCH = 500;

export class RedisWriter extends AcknowledgedWriter<RedisConnection> {
  protected readonly loop: ReconnectingLoop<RedisConnection>;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly port: number;

  constructor(options: RedisWriterOptions) {
    super();
    this.prefix = options.keyPrefix ?? 'godwit:';
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.port = options.port;
    this.loop = new ReconnectingLoop<RedisConnection>(
      options,
      {
        open: async (address, port) => {
          const connection = await RedisConnection.open(address, port, this.timeoutMs);
          this.log.connected();
          return connection;
        },
        close: (connection) => connection.close(),
        step: async (connection) => {
          // A fresh i for every try: a write whose answer was lost may or may not have
          // happened, and only acknowledged ones are promised.
          const i = this.next++;
          const reply = await connection.command(['SET', this.key(i), this.value(i)]);
          if (reply.type !== 'simple' || reply.value !== 'OK') throw new Error(`SET answered ${JSON.stringify(reply)}`);
          this.acked.push(i);
        },
      },
      this.log,
    );
  }

  key(i: number): string {
    return `${this.prefix}${i}`;
  }

  /** The value written for i: its own number, so a value under the wrong key shows too. */
  value(i: number): string {
    return `value-${i}-${'x'.repeat(i % 64)}`;
  }


  /** Reads every acknowledged key back at `address`; the numbers whose value is absent or wrong. */
  async verify(address: string): Promise<VerifyReport<number>> {
    const connection = await RedisConnection.open(address, this.port, 10_000);
    try {
      const missing: number[] = [];
      for (let start = 0; start < this.acked.length; start += VERIFY_BATCH) {
        const batch = this.acked.slice(start, start + VERIFY_BATCH);
        const reply = await connection.command(['MGET', ...batch.map((i) => this.key(i))]);
        if (reply.type !== 'array' || reply.value === null || reply.value.length !== batch.length) throw new Error('MGET answered no list of the right length');
        reply.value.forEach((item, n) => {
          const got = item.type === 'bulk' && item.value ? item.value.toString('utf8') : null;
          if (got !== this.value(batch[n])) missing.push(batch[n]);
        });
      }
      return { checked: this.acked.length, missing };
    } finally {
      connection.close();
    }
  }
}
