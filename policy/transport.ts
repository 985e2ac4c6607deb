import { z } from 'zod';
import type { ConcreteStrategy } from './strategy';

/**
 * How state crosses the network between source and target.
 * - `plain`: CRIU's page stream and rsync as they are (a trusted network, or a VPN).
 * - `ssh-tunnel`: pages and files inside SSH, through the target's sshd (encrypted,
 *   the target authenticated by its pinned host key); nothing else needs to be open.
 * - `criu-tls`: CRIU's own TLS on the page stream (certificates on both hosts); the files
 *   rsync carries (images without pages, the root file system) still travel plain.
 */
export const Transport = z.enum(['plain', 'ssh-tunnel', 'criu-tls']);
export type Transport = z.infer<typeof Transport>;

/** What carried each kind of traffic: the report's answer to "was this encrypted?". */
export interface TransportUsed {
  pages: Transport;
  files: 'plain' | 'ssh-tunnel';
}

export function transportUsed(transport: Transport): TransportUsed {
  return { pages: transport, files: transport === 'ssh-tunnel' ? 'ssh-tunnel' : 'plain' };
}

/** What the transports need to know of the hosts. */
export interface TransportFacts {
  target: { name: string; reachableOverSsh: boolean };
}

/**
 * Why `transport` cannot carry this migration, or null when it can. Pure, so preflight
 * refuses before anything changes and the reasons are unit-tested.
 */
export function transportProblem(transport: Transport, strategy: ConcreteStrategy, facts: TransportFacts): string | null {
  if (transport === 'plain') return null;
  if (strategy === 'post-copy') {
    // Post-copy's page stream runs the other way, from a daemon that outlives any one step.
    return `transport ${transport} does not carry post-copy's page stream in this version: use plain, or another strategy`;
  }
  if (transport === 'criu-tls' && strategy === 'stop-and-copy') {
    // Its pages go to disk and travel with the files, which CRIU's TLS never touches.
    return 'transport criu-tls encrypts CRIU\'s page stream, and stop-and-copy has none (its pages travel as files, in the clear): use page-server, or transport ssh-tunnel';
  }
  if (transport === 'ssh-tunnel' && !facts.target.reachableOverSsh) {
    return `transport ssh-tunnel needs SSH access to the target: host ${facts.target.name} has no ssh block in the inventory`;
  }
  return null;
}
