import { z } from 'zod';
import { ContainerName, HostName, describeZodError, type ParseResult } from './request';
import { BackendName, FrontName } from './front';
import { DEFAULT_OUTBOUND_LIMIT } from './slots';
import { ResourceAmounts } from './rebalance';
import { AbsolutePath } from './volumes';
import { IPv4, Port } from './ipv4';
import { ContainerNetworkConfig } from './container-network';

/**
 * How a gateway worker reaches a host that runs no worker of its own: SSH with a pinned host
 * key. The key and any passphrase stay in files (or the agent) on the gateway; only paths are
 * here, never secrets, and there is no way to accept an unknown key.
 */
export const SshAccess = z
  .object({
    /** Defaults to the host's own address. */
    address: IPv4.optional(),
    port: Port.default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Unix user name'),
    /** Private key file on the gateway; without it, the agent at SSH_AUTH_SOCK. */
    identityFile: z.string().startsWith('/').optional(),
    /** The host key's fingerprint as `ssh-keygen -lf` prints it. */
    hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256: and 43 characters)'),
  })
  .strict();
export type SshAccess = z.infer<typeof SshAccess>;

/** How the rest of the fleet reaches a host: enough to push files and pages to it. */
export const HostEntry = z
  .object({
    name: HostName,
    address: IPv4,
    /** Port of the host's file receiver (an rsync daemon bound to `address`). */
    transferPort: Port,
    /**
     * Present: the host runs no worker; a gateway acts on it over SSH, and transport
     * ssh-tunnel reaches it through this sshd. The identity file is a path on the worker
     * that connects (the host's gateway; for a tunnel, the source's worker).
     */
    ssh: SshAccess.optional(),
  })
  .strict();
export type HostEntry = z.infer<typeof HostEntry>;

/**
 * A container whose clients reach it through a front (policy/front.ts): a move of it drives
 * the front too. Its servers are its hosts' addresses at `port` (a container in its host's
 * network: its address changes with the host, as between networks).
 */
export const FrontedService = z
  .object({
    container: ContainerName,
    front: FrontName,
    backend: BackendName,
    port: Port,
  })
  .strict();
export type FrontedService = z.infer<typeof FrontedService>;

/** The fleet the orchestrator knows about. Written by `godwit lab up`, or by hand. */
export const Inventory = z
  .object({
    hosts: z.array(HostEntry).min(1).max(1000),
    /** Containers reached through a front; none by default. */
    frontedServices: z.array(FrontedService).max(10_000).default([]),
    /** Migrations that may leave one host at once; more wait their turn. */
    maxOutboundMigrationsPerHost: z.number().int().min(1).max(64).default(DEFAULT_OUTBOUND_LIMIT),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    for (const [i, host] of inv.hosts.entries()) {
      if (seen.has(host.name)) ctx.addIssue({ code: 'custom', message: `host "${host.name}" is listed twice`, path: ['hosts', i, 'name'] });
      seen.add(host.name);
    }
    const fronted = new Set<string>();
    for (const [i, service] of inv.frontedServices.entries()) {
      if (fronted.has(service.container)) ctx.addIssue({ code: 'custom', message: `container "${service.container}" is behind two fronts`, path: ['frontedServices', i, 'container'] });
      fronted.add(service.container);
    }
  });
export type Inventory = z.infer<typeof Inventory>;

export function parseInventory(input: unknown): ParseResult<Inventory> {
  const result = Inventory.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `invalid host inventory: ${describeZodError(result.error)}` };
}


/** A host's TLS identity for CRIU's page stream: PEM files on the host, signed by one fleet CA. */
// No spaces or quotes: the dumping side reads these paths from a CRIU config file.
const PemPath = z.string().regex(/^\/[^\s"'\\]+$/, 'an absolute path without spaces or quotes');
export const TlsFiles = z
  .object({
    caCert: PemPath,
    cert: PemPath,
    key: PemPath,
  })
  .strict();
export type TlsFiles = z.infer<typeof TlsFiles>;

/** Everything a host worker needs to act on its own machine. Paths are absolute. */
export const HostConfig = HostEntry.extend({
  stateDir: z.string().startsWith('/'),
  /** Network namespace the host's containers join; absent means the worker's own. */
  netnsPath: z.string().startsWith('/').optional(),
  /** cgroup parent for containers, so two hosts on one machine never share a cgroup. */
  cgroupParent: z.string().regex(/^[A-Za-z0-9_-]+$/),
  runc: z.string().startsWith('/'),
  criu: z.string().startsWith('/'),
  rsync: z.string().startsWith('/'),
  /**
   * What this host offers its containers, for rebalancing. Absent: the whole machine (every
   * CPU, all memory), loaded by everything on it. Given (lab hosts sharing one machine): a
   * share, loaded by this host's containers alone.
   */
  capacity: ResourceAmounts.optional(),
  /** Certificates for transport criu-tls (paths on the host); absent: the host cannot use it. */
  tls: TlsFiles.optional(),
  /**
   * Where this host keeps container volumes: a bind mount from below it moves with its
   * container. The host's file receiver serves it as module godwit-volumes. Absent: the host
   * has no volumes, and a container with one cannot move to or from it.
   */
  volumesDir: AbsolutePath.optional(),
  /**
   * The container network this host is on. Containers with a network of their own (see
   * policy/container-network.ts) keep their address and connections between hosts on the
   * same one. Absent: the host takes host-network containers only.
   */
  containerNetwork: ContainerNetworkConfig.optional(),
}).strict();
export type HostConfig = z.infer<typeof HostConfig>;

export function parseHostConfig(input: unknown): ParseResult<HostConfig> {
  const result = HostConfig.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `invalid host config: ${describeZodError(result.error)}` };
}
