// The lab's network: bridges in the root namespace (one, or one per host: infra/lab/sites.ts)
// and, per host, a network namespace joined to its bridge by a veth pair. Every step checks
// before it acts, so `up` can be re-run.
import { readFileSync, writeFileSync } from 'node:fs';
import { execute, executeOk } from '../../runtime/exec';
import { tools } from './tools';
import { overlaps } from '../../policy/ipv4';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

interface Route {
  dst: string;
  dev?: string;
}

async function ip(args: string[]): Promise<void> {
  await executeOk(tools().ip, args);
}

async function linkExists(name: string, netns?: string): Promise<boolean> {
  const args = netns ? ['-n', netns, 'link', 'show', name] : ['link', 'show', name];
  return (await execute(tools().ip, args)).code === 0;
}

export async function netnsExists(name: string): Promise<boolean> {
  const result = await execute(tools().ip, ['netns', 'list']);
  return result.stdout.split('\n').some((line) => line.split(' ')[0] === name);
}

/** Refuses a subnet that something other than our bridge already routes. */
export async function assertSubnetFree(subnet: string, bridge: string): Promise<void> {
  const result = await executeOk(tools().ip, ['-j', 'route', 'show']);
  const routes = JSON.parse(result.stdout || '[]') as Route[];
  for (const route of routes) {
    if (route.dst === 'default' || route.dev === bridge) continue;
    if (overlaps(route.dst, subnet)) {
      throw new Error(`lab subnet ${subnet} is already routed (${route.dst} dev ${route.dev ?? '?'}); set GODWIT_LAB_SUBNET to a free /24`);
    }
  }
}

export async function ensureBridge(bridge: string, gateway: string, prefix: number): Promise<void> {
  if (!(await linkExists(bridge))) {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `${gateway}/${prefix}`, 'dev', bridge]);
  }
  await ip(['link', 'set', bridge, 'up']);
}

/**
 * A host's namespace joined to `bridge` with exactly `address`, and `reach` routed through the
 * root namespace (the Temporal server, and in a per-host lab every other host, lie beyond).
 * A host moved to another site keeps its namespace: the veth moves, and the address changes.
 */
export async function ensureHostNetwork(opts: { netns: string; veth: string; bridge: string; address: string; prefix: number; gateway: string; reach: string }): Promise<void> {
  if (!(await netnsExists(opts.netns))) await ip(['netns', 'add', opts.netns]);
  if (!(await linkExists('eth0', opts.netns))) {
    if (await linkExists(opts.veth)) await ip(['link', 'del', opts.veth]);
    await ip(['link', 'add', opts.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', opts.netns]);
  }
  const wanted = `${opts.address}/${opts.prefix}`;
  const shown = JSON.parse((await executeOk(tools().ip, ['-j', '-n', opts.netns, '-4', 'addr', 'show', 'dev', 'eth0'])).stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
  const current = (shown[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  if (current.length !== 1 || current[0] !== wanted) {
    await ip(['-n', opts.netns, 'addr', 'flush', 'dev', 'eth0']);
    await ip(['-n', opts.netns, 'addr', 'add', wanted, 'dev', 'eth0']);
  }
  await ip(['link', 'set', opts.veth, 'master', opts.bridge, 'up']);
  await ip(['-n', opts.netns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', opts.netns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', opts.netns, 'route', 'replace', opts.reach, 'via', opts.gateway, 'dev', 'eth0']);
}

/** Whether the root namespace forwards IPv4 (a per-host lab routes between its sites). */
export function ipForwarding(): string {
  return readFileSync(IP_FORWARD, 'utf8').trim();
}

export function setIpForwarding(value: string): void {
  writeFileSync(IP_FORWARD, `${value}\n`);
}

export async function removeHostNetwork(netns: string, veth: string): Promise<void> {
  if (await linkExists(veth)) await ip(['link', 'del', veth]);
  if (await netnsExists(netns)) await ip(['netns', 'del', netns]);
}

export async function removeBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await ip(['link', 'del', bridge]);
}

/**
 * The lab's container network: one L2 segment that every lab host reaches, apart from the
 * hosts' own addresses. A bridge in the root namespace is the segment's switch; each host has
 * a bridge of its own (its containers' veths join it, through CNI) with an uplink veth into
 * the switch, as a real host's bridge would hold the NIC of a shared VLAN.
 */
export async function ensureHostUplink(opts: { netns: string; hostBridge: string; uplink: string; fabric: string }): Promise<void> {
  if (!(await linkExists(opts.hostBridge, opts.netns))) await ip(['-n', opts.netns, 'link', 'add', opts.hostBridge, 'type', 'bridge']);
  if (!(await linkExists('uplink0', opts.netns))) {
    if (await linkExists(opts.uplink)) await ip(['link', 'del', opts.uplink]);
    await ip(['link', 'add', opts.uplink, 'type', 'veth', 'peer', 'name', 'uplink0', 'netns', opts.netns]);
  }
  await ip(['-n', opts.netns, 'link', 'set', 'uplink0', 'master', opts.hostBridge, 'up']);
  await ip(['-n', opts.netns, 'link', 'set', opts.hostBridge, 'up']);
  await ip(['link', 'set', opts.uplink, 'master', opts.fabric, 'up']);
}

export async function removeHostUplink(uplink: string): Promise<void> {
  if (await linkExists(uplink)) await ip(['link', 'del', uplink]);
}
