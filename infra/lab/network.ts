// The lab's network: one bridge in the root namespace and, per host, a network namespace
// joined to it by a veth pair. Every step checks before it acts, so `up` can be re-run.
import { execute, executeOk } from '../../runtime/exec';
import { tools } from './tools';

interface Route {
  dst: string;
  dev?: string;
}

/** Parses "a.b.c.d/n" into a 32-bit network number and prefix length. */
export function parseCidr(cidr: string): { network: number; prefix: number } {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!match) throw new Error(`not an IPv4 network: ${cidr}`);
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) throw new Error(`not an IPv4 network: ${cidr}`);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (address & mask) >>> 0, prefix };
}

export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const prefix = Math.min(x.prefix, y.prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((x.network & mask) >>> 0) === ((y.network & mask) >>> 0);
}

/** Address number `n` in a /24 such as 10.203.0.0/24. */
export function hostAddress(subnet: string, n: number): string {
  const base = subnet.split('/')[0].split('.').slice(0, 3).join('.');
  return `${base}.${n}`;
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

export async function ensureHostNetwork(opts: { netns: string; veth: string; bridge: string; address: string; prefix: number }): Promise<void> {
  if (!(await netnsExists(opts.netns))) await ip(['netns', 'add', opts.netns]);
  if (!(await linkExists('eth0', opts.netns))) {
    if (await linkExists(opts.veth)) await ip(['link', 'del', opts.veth]);
    await ip(['link', 'add', opts.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', opts.netns]);
    await ip(['-n', opts.netns, 'addr', 'add', `${opts.address}/${opts.prefix}`, 'dev', 'eth0']);
  }
  await ip(['link', 'set', opts.veth, 'master', opts.bridge, 'up']);
  await ip(['-n', opts.netns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', opts.netns, 'link', 'set', 'eth0', 'up']);
}

export async function removeHostNetwork(netns: string, veth: string): Promise<void> {
  if (await linkExists(veth)) await ip(['link', 'del', veth]);
  if (await netnsExists(netns)) await ip(['netns', 'del', netns]);
}

export async function removeBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await ip(['link', 'del', bridge]);
}
