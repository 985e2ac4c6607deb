// Where each lab host sits on the hosts' network. `shared`: every host on the lab subnet, one
// bridge, and the container network spanning them all. `per-host`: each host on a /24 of its
// own behind a bridge of its own, the root namespace routing between them, as hosts in two
// clouds are: a container's address cannot follow it, so its clients come through the front.
import { z } from 'zod';
import { formatAddress, hostAddress, parseCidr } from '../../policy/ipv4';

export const LabSubnets = z.enum(['shared', 'per-host']);
export type LabSubnets = z.infer<typeof LabSubnets>;

/** The bridge of the lab subnet itself: the Temporal server and the front listen on its gateway. */
export const LAB_BRIDGE = 'godwit0';

export interface LabSite {
  subnet: string;
  bridge: string;
  /** The root namespace's address on the site: the host's default route. */
  gateway: string;
  /** The host's own address. */
  address: string;
}

/**
 * The site of the `index`th host of a lab on `labSubnet` (a /24). Per host, the sites follow
 * the lab subnet: 10.203.0.0/24 gives 10.203.1.0/24, 10.203.2.0/24, …
 */
export function labSite(labSubnet: string, index: number, subnets: LabSubnets): LabSite {
  const { network, prefix } = parseCidr(labSubnet);
  if (prefix !== 24) throw new Error(`the lab subnet must be a /24, got ${labSubnet}`);
  // Addresses from .11: the low ones are the gateway's and kept free for the lab's own uses.
  const hostNumber = 11 + index;
  if (subnets === 'shared') return { subnet: labSubnet, bridge: LAB_BRIDGE, gateway: hostAddress(labSubnet, 1), address: hostAddress(labSubnet, hostNumber) };
  const siteNetwork = network + (index + 1) * 256;
  // The sites must stay inside the lab's /16, where the lab subnet's owner expects them.
  if (siteNetwork >>> 16 !== network >>> 16) throw new Error(`the lab subnet ${labSubnet} leaves no room for a /24 per host (host ${index + 1})`);
  const subnet = `${formatAddress(siteNetwork)}/24`;
  return { subnet, bridge: `godwit${index + 1}`, gateway: hostAddress(subnet, 1), address: hostAddress(subnet, hostNumber) };
}

/**
 * What a host routes through its gateway: the lab's /16, every site in it. Not a default
 * route: lab hosts reach nothing beyond the lab, and a lookup that went out (rsyncd's reverse
 * DNS) would wait for its timeout rather than fail at once.
 */
export function labReach(labSubnet: string): string {
  const { network } = parseCidr(labSubnet);
  return `${formatAddress((network & 0xffff0000) >>> 0)}/16`;
}

/** Every subnet lab hosts may send from: what their file receivers let in. */
export const labSubnetsAllowed = (labSubnet: string, hostCount: number, subnets: LabSubnets): string[] =>
  subnets === 'shared' ? [labSubnet] : [labSubnet, ...Array.from({ length: hostCount }, (_, i) => labSite(labSubnet, i, subnets).subnet)];
