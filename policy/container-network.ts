// A container with a network of its own: its own network namespace, with an address on a
// container network that spans hosts (one L2 segment), so the address and its TCP connections
// move with it. The host file says which network a host is on; the container's OCI config
// carries its attachment (address, MAC) in an annotation, so it travels with the bundle.
import { z } from 'zod';
import { IPv4, Ipv4Cidr, isHostOf, parseCidr } from './ipv4';
import { AbsolutePath } from './volumes';

/** A Linux interface name. */
const InterfaceName = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name of 1 to 15 letters, digits, "_", "." or "-"');

export const NetworkName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'a network name (lower case, digits, "_", "." or "-")');

/** A host's place on a container network (host file). */
export const ContainerNetworkConfig = z
  .object({
    /** The same on every host of the segment: an address can move between them. */
    name: NetworkName,
    subnet: Ipv4Cidr,
    /** The host's bridge on the segment (CNI's bridge plugin attaches containers to it). */
    bridge: InterfaceName,
    /** Where the CNI plugins are (Debian's containernetworking-plugins: /usr/lib/cni). */
    cniPluginDir: AbsolutePath.default('/usr/lib/cni'),
  })
  .strict();
export type ContainerNetworkConfig = z.infer<typeof ContainerNetworkConfig>;

const Mac = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'a MAC address in lower-case hex, such as 02:42:0a:cc:00:64');

/** Where a container sits on its network; the OCI annotation NETWORK_ANNOTATION holds it as JSON. */
export const NetworkAttachment = z
  .object({
    network: NetworkName,
    address: IPv4,
    mac: Mac,
  })
  .strict();
export type NetworkAttachment = z.infer<typeof NetworkAttachment>;

export const NETWORK_ANNOTATION = 'godwit.io/network';

/** The container's interface inside its namespace. */
export const CONTAINER_INTERFACE = 'eth0';

/**
 * The attachment an OCI config's annotations name: null for a container in its host's network,
 * an error for an annotation that does not parse (it would otherwise move as a host-network one).
 */
export function attachmentOf(annotations: Readonly<Record<string, string>> | undefined): NetworkAttachment | null {
  const raw = annotations?.[NETWORK_ANNOTATION];
  if (raw === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`annotation ${NETWORK_ANNOTATION} is not JSON: ${raw}`);
  }
  const parsed = NetworkAttachment.safeParse(json);
  if (!parsed.success) throw new Error(`annotation ${NETWORK_ANNOTATION} is not a network attachment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** A locally administered unicast MAC derived from the address: the same on every host, no registry. */
export function macFor(address: string): string {
  const octets = address.split('.').map((o) => Number(o).toString(16).padStart(2, '0'));
  return ['02', '42', ...octets].join(':');
}

/**
 * The network namespace of `container` on `host`, under /run/netns (where `ip netns` keeps
 * them). The host's name is part of it: hosts that share a machine (the lab) share /run/netns.
 */
export const containerNetnsName = (host: string, container: string) => `godwit-${host}-${container}`;
export const containerNetnsPath = (host: string, container: string) => `/var/run/netns/${containerNetnsName(host, container)}`;

/** Why `attachment` cannot live on this host's network, or null when it can. */
export function attachmentProblem(attachment: NetworkAttachment, network: ContainerNetworkConfig | undefined, host: string): string | null {
  if (!network) return `host ${host} has no container network (containerNetwork in its host file); the container's address ${attachment.address} cannot follow it there`;
  if (network.name !== attachment.network) {
    return `host ${host} is on container network ${network.name}, not ${attachment.network}: the container's address ${attachment.address} cannot follow it there (use a front for moves between networks)`;
  }
  if (!isHostOf(attachment.address, network.subnet)) return `address ${attachment.address} is not a host address of ${network.name} (${network.subnet}) on host ${host}`;
  return null;
}

/** CNI's bridge plugin with static IPAM: the interface gets exactly the attachment's address and MAC. */
export function bridgeConfig(network: ContainerNetworkConfig, attachment: NetworkAttachment): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: network.name,
    type: 'bridge',
    bridge: network.bridge,
    ipam: { type: 'static', addresses: [{ address: `${attachment.address}/${parseCidr(network.subnet).prefix}` }] },
    runtimeConfig: { mac: attachment.mac },
  };
}

/** CNI's loopback plugin: `lo` up inside the namespace. */
export function loopbackConfig(network: ContainerNetworkConfig): Record<string, unknown> {
  return { cniVersion: '1.0.0', name: network.name, type: 'loopback' };
}
