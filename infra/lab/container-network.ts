// The lab's container network: its settings, the addresses its containers hold, and how
// `godwit lab run` puts a container on it (CNI's plugins, run in the lab host's namespace as
// its worker runs them during a migration).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { attachmentOf, macFor, type ContainerNetworkConfig, type NetworkAttachment, NETWORK_ANNOTATION } from '../../policy/container-network';
import { addressNumber, formatAddress, isHostOf, parseCidr } from '../../policy/ipv4';
import { ContainerNetns } from '../../runtime/container-netns';
import type { HostRuntime } from '../../runtime/host-runtime';
import { HostLayout } from '../../runtime/layout';
import { NetnsRuntime } from './netns-runtime';
import { LabError, type LabHostState, type LabState } from './state';

export const LAB_NETWORK = 'godwit-lab';
/** Each lab host's bridge on the segment, inside the host's namespace. */
export const HOST_BRIDGE = 'gwc0';
/** The segment's switch, in the root namespace; it holds the lab's own address on the network. */
export const FABRIC_BRIDGE = 'gwnet0';
/** Containers are given addresses from here up (below: the lab's own). */
const FIRST_CONTAINER_ADDRESS = 100;

export const defaultContainerSubnet = () => process.env.GODWIT_LAB_CONTAINER_SUBNET ?? '10.204.0.0/24';

export function labContainerNetwork(subnet: string): ContainerNetworkConfig {
  return { name: LAB_NETWORK, subnet, bridge: HOST_BRIDGE, cniPluginDir: '/usr/lib/cni' };
}

export const hostNetnsPath = (host: Pick<LabHostState, 'netns'>) => `/var/run/netns/${host.netns}`;

/** The container's attachment, from its bundle on `host`; null in the host's network or when absent. */
export function labAttachment(host: LabHostState, container: string): NetworkAttachment | null {
  const file = path.join(new HostLayout(host.stateDir).bundle(container), 'config.json');
  if (!existsSync(file)) return null;
  try {
    return attachmentOf((JSON.parse(readFileSync(file, 'utf8')) as { annotations?: Record<string, string> }).annotations);
  } catch {
    return null;
  }
}

/** Where clients reach a container: its own address, or its host's. */
export function containerAddress(host: LabHostState, container: string): string {
  return labAttachment(host, container)?.address ?? host.address;
}

/** Addresses the lab's containers hold, on every host (a frozen source keeps its own until commit). */
function usedAddresses(state: LabState): Set<string> {
  const used = new Set<string>();
  for (const host of state.hosts) {
    const bundles = path.dirname(new HostLayout(host.stateDir).bundle('x'));
    if (!existsSync(bundles)) continue;
    for (const container of readdirSync(bundles)) {
      const attachment = labAttachment(host, container);
      if (attachment) used.add(attachment.address);
    }
  }
  return used;
}

/** `wanted` if it is free on the network, else the first free address from .100 up. */
export function chooseAddress(state: LabState, subnet: string, wanted: string | undefined): string {
  const used = usedAddresses(state);
  if (wanted !== undefined) {
    if (!isHostOf(wanted, subnet)) throw new LabError(`--ip ${wanted} is not a host address of the container network ${subnet}`);
    if (addressNumber(wanted) - parseCidr(subnet).network < FIRST_CONTAINER_ADDRESS) throw new LabError(`--ip ${wanted}: addresses below .${FIRST_CONTAINER_ADDRESS} of ${subnet} are the lab's own`);
    if (used.has(wanted)) throw new LabError(`--ip ${wanted} is taken by another container of the lab`);
    return wanted;
  }
  const { network } = parseCidr(subnet);
  for (let n = FIRST_CONTAINER_ADDRESS; n < 255; n++) {
    const address = formatAddress(network + n);
    if (isHostOf(address, subnet) && !used.has(address)) return address;
  }
  throw new LabError(`no free address left on the container network ${subnet}`);
}

/** Writes the attachment into the bundle's config.json, where it travels with the container. */
export async function annotateBundle(rt: HostRuntime, bundle: string, attachment: NetworkAttachment): Promise<void> {
  const file = path.join(bundle, 'config.json');
  const config = JSON.parse((await rt.readFile(file)).toString('utf8')) as { annotations?: Record<string, string> };
  const annotations = { ...(config.annotations ?? {}), [NETWORK_ANNOTATION]: JSON.stringify(attachment) };
  await rt.writeFile(file, `${JSON.stringify({ ...config, annotations }, null, 2)}\n`);
}

export const attachmentFor = (address: string): NetworkAttachment => ({ network: LAB_NETWORK, address, mac: macFor(address) });

function netnsOn(host: LabHostState, network: ContainerNetworkConfig): ContainerNetns {
  return new ContainerNetns(new NetnsRuntime(hostNetnsPath(host)), host.name, network);
}

/** The container's namespace on `host`, on the network with its address (before runc starts it). */
export async function attachLabContainer(host: LabHostState, network: ContainerNetworkConfig, container: string, attachment: NetworkAttachment): Promise<string> {
  const netns = netnsOn(host, network);
  await netns.attach(container, attachment, { locked: false });
  return netns.path(container);
}

/** The container's namespace on `host`, gone (nothing there is fine). */
export async function detachLabContainer(host: LabHostState, network: ContainerNetworkConfig, container: string): Promise<void> {
  await netnsOn(host, network).remove(container, labAttachment(host, container));
}
