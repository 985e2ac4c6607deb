// IPv4 addresses and networks as numbers: enough to place an address in a subnet, pick free
// ones, and tell whether two networks overlap. Pure; used by the host contract and the lab.
import { z } from 'zod';

export const IPv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, 'an IPv4 address');

/** A TCP port. */
export const Port = z.number().int().min(1).max(65535);

/** An IPv4 network as "a.b.c.d/n" (a host address inside it is accepted and masked). */
export const Ipv4Cidr = z.string().refine((s) => tryParseCidr(s) !== null && s.includes('/'), 'an IPv4 network such as 10.204.0.0/24');

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

function tryParseCidr(cidr: string): { address: number; network: number; prefix: number } | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!match) return null;
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return null;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { address, network: (address & maskOf(prefix)) >>> 0, prefix };
}

/** Parses "a.b.c.d/n" into a 32-bit network number and prefix length. */
export function parseCidr(cidr: string): { network: number; prefix: number } {
  const parsed = tryParseCidr(cidr);
  if (!parsed) throw new Error(`not an IPv4 network: ${cidr}`);
  return { network: parsed.network, prefix: parsed.prefix };
}

export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const mask = maskOf(Math.min(x.prefix, y.prefix));
  return ((x.network & mask) >>> 0) === ((y.network & mask) >>> 0);
}

export const addressNumber = (address: string) => parseCidr(address).network;

export function formatAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** Whether `address` is a host of `subnet`: inside it, and neither its network nor broadcast address. */
export function isHostOf(address: string, subnet: string): boolean {
  const { network, prefix } = parseCidr(subnet);
  const n = addressNumber(address);
  const broadcast = (network | (~maskOf(prefix) >>> 0)) >>> 0;
  return ((n & maskOf(prefix)) >>> 0) === network && (prefix >= 31 || (n !== network && n !== broadcast));
}

/** Address number `n` of a subnet such as 10.203.0.0/24. */
export function hostAddress(subnet: string, n: number): string {
  return formatAddress(parseCidr(subnet).network + n);
}
