// A TCP tunnel through SSH: programs on the near host connect to a loopback port there; each
// connection is carried inside SSH and opened again by the far host's sshd to a destination
// on the far host. Neither program knows: CRIU and rsync just see 127.0.0.1.
import type { Duplex } from 'node:stream';
import type { HostRuntime } from './host-runtime';
import type { SshRuntime } from './ssh';

export interface Tunnel {
  /** Where programs on the near host connect (on 127.0.0.1). */
  port: number;
  /** Bytes carried from the near host to the destination so far. */
  bytesForward(): number;
  /** The first failure to reach the destination, to explain a program's "connection reset". */
  failure(): Error | null;
  /** Stops accepting and cuts every connection still open. */
  close(): Promise<void>;
}

export async function openTunnel(near: HostRuntime, far: SshRuntime, destination: { address: string; port: number }): Promise<Tunnel> {
  const open = new Set<Duplex>();
  let forward = 0;
  let failure: Error | null = null;
  const track = (stream: Duplex) => {
    open.add(stream);
    stream.once('close', () => open.delete(stream));
    // An error ends both halves (below); it must not crash the worker.
    stream.on('error', (err: Error) => {
      failure ??= err;
    });
  };
  const listener = await near.listenLoopback((inbound) => {
    track(inbound);
    far.connectFrom(destination.address, destination.port).then(
      (outbound) => {
        track(outbound);
        inbound.on('data', (chunk: Buffer) => {
          forward += chunk.length;
        });
        // pipe() passes each side's end of stream on (half-close), which rsync relies on.
        inbound.pipe(outbound);
        outbound.pipe(inbound);
        const cut = () => {
          inbound.destroy();
          outbound.destroy();
        };
        inbound.once('close', cut);
        outbound.once('close', cut);
      },
      (err: Error) => {
        failure ??= err;
        inbound.destroy();
      },
    );
  });
  return {
    port: listener.port,
    bytesForward: () => forward,
    failure: () => failure,
    close: async () => {
      for (const stream of open) stream.destroy();
      await listener.close();
    },
  };
}
