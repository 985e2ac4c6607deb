// The Redis writer against two tiny RESP servers on 127.0.0.1 and 127.0.0.2 standing for a
// migration's source and target: the source stops answering (frozen), then goes away, its
// data moves to the target, and the writer must find the target by itself, lose no
// acknowledged write, and count what failed. Real sockets; only the server is ours.
import net from 'node:net';
import { RedisWriter } from '../../infra/services/clients/redis-writer';
import { RespReader, encodeCommand, type RespValue } from '../../infra/services/clients/resp';

class TinyRedis {
  readonly data = new Map<string, string>();
  frozen = false;
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | null = null;

  async listen(host: string, port: number): Promise<number> {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const reader = new RespReader();
      socket.on('data', (chunk: Buffer) => {
        for (const command of reader.push(chunk)) if (!this.frozen) socket.write(this.answer(command));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  private answer(command: RespValue): Buffer {
    const args = command.type === 'array' && command.value ? command.value.map((v) => (v.type === 'bulk' && v.value ? v.value.toString() : '')) : [];
    if (args[0] === 'SET' && args.length === 3) {
      this.data.set(args[1], args[2]);
      return Buffer.from('+OK\r\n');
    }
    if (args[0] === 'MGET') {
      const values = args.slice(1).map((k) => this.data.get(k));
      // A bulk string is what encodeCommand writes per argument, after its "*1\r\n" header.
      return Buffer.concat([Buffer.from(`*${values.length}\r\n`), ...values.map((v) => (v === undefined ? Buffer.from('$-1\r\n') : encodeCommand([v]).subarray(4)))]);
    }
    return Buffer.from('-ERR unknown\r\n');
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('RedisWriter across a migration', () => {
  it('moves to the next address when the server freezes and goes, and loses no acknowledged write', async () => {
    const source = new TinyRedis();
    const target = new TinyRedis();
    const port = await source.listen('127.0.0.1', 0);
    const writer = new RedisWriter({ addresses: ['127.0.0.1', '127.0.0.2'], port, timeoutMs: 200, retryDelayMs: 10 });
    try {
      await until(() => writer.acknowledged().length >= 50);
      source.frozen = true; // a paused container: connected, never answering
      await sleep(100);
      const ackedWhileFrozen = writer.acknowledged().length;
      await source.close();
      for (const [k, v] of source.data) target.data.set(k, v); // what CRIU carries over
      await target.listen('127.0.0.2', port);
      await until(() => writer.acknowledged().length >= ackedWhileFrozen + 50);
    } finally {
      const report = await writer.stop();
      expect(report.acknowledged).toBe(writer.acknowledged().length);
      expect(report.failed).toBeGreaterThanOrEqual(1); // the write in flight when it froze
      expect(report.longestGapSeconds).toBeGreaterThanOrEqual(0.1);
      await target.close();
      await source.close();
    }
    await target.listen('127.0.0.2', port);
    try {
      expect(await writer.verify('127.0.0.2')).toEqual({ checked: writer.acknowledged().length, missing: [] });
      // A write lost on the way shows up by its number.
      target.data.delete(writer.key(writer.acknowledged()[7]));
      expect((await writer.verify('127.0.0.2')).missing).toEqual([writer.acknowledged()[7]]);
    } finally {
      await target.close();
    }
  });
});
