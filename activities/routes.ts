// How a program on this host reaches a service on the target: straight there, or through an
// SSH tunnel into the target's sshd (transport ssh-tunnel). The tunnel lives for one step:
// a retried step opens a new one, so nothing outlives a crashed worker.
import type { Peer, RunRef } from '../policy/host-contract';
import type { HostRuntime } from '../runtime/host-runtime';
import { SshRuntime } from '../runtime/ssh';
import { openTunnel } from '../runtime/tunnel';
import { preconditionFailed } from './errors';

export interface Endpoint {
  address: string;
  port: number;
}

/** SSH to `peer`, as the inventory describes it. */
export function sshTo(peer: Peer): SshRuntime {
  if (!peer.ssh) throw preconditionFailed(`host ${peer.name} has no ssh block in the inventory, so it cannot be reached over SSH`);
  return new SshRuntime({ host: peer.name, ...peer.ssh, address: peer.ssh.address ?? peer.address });
}

/**
 * Runs `use` with the endpoint at which programs on this host reach `destination` (an
 * address as the target sees it) for this run's transport.
 */
export async function throughTransport<T>(rt: HostRuntime, run: RunRef, peer: Peer, destination: Endpoint, use: (endpoint: Endpoint) => Promise<T>): Promise<T> {
  if (run.transport !== 'ssh-tunnel') return use(destination);
  const far = sshTo(peer);
  try {
    const tunnel = await openTunnel(rt, far, destination);
    try {
      return await use({ address: '127.0.0.1', port: tunnel.port });
    } catch (err) {
      // CRIU and rsync only see a reset connection; the tunnel knows why.
      const why = tunnel.failure();
      if (why && err instanceof Error) err.message += `\n(SSH tunnel to ${peer.name}: ${why.message})`;
      throw err;
    } finally {
      await tunnel.close();
    }
  } finally {
    await far.close();
  }
}
