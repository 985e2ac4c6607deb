// IPv4 arithmetic for the lab's subnets and the container network: an address a container
// is given must be a host of its subnet, and a host file's subnet must say its prefix.
import { addressNumber, formatAddress, hostAddress, Ipv4Cidr, isHostOf, overlaps, parseCidr } from '../../policy/ipv4';

describe('lab network arithmetic', () => {
  it('parses networks and host routes', () => {
    expect(parseCidr('10.203.0.0/24')).toEqual({ network: (10 << 24) + (203 << 16) >>> 0, prefix: 24 });
    expect(parseCidr('10.203.0.77').prefix).toBe(32);
    expect(() => parseCidr('10.300.0.0/24')).toThrow(/not an IPv4 network/);
  });

  it('sees a route that covers or falls inside the lab subnet', () => {
    expect(overlaps('10.0.0.0/8', '10.203.0.0/24')).toBe(true);
    expect(overlaps('10.203.0.128/25', '10.203.0.0/24')).toBe(true);
    expect(overlaps('10.204.0.0/24', '10.203.0.0/24')).toBe(false);
    expect(overlaps('192.168.1.0/24', '10.203.0.0/24')).toBe(false);
  });

  it('numbers hosts inside the /24', () => {
    expect(hostAddress('10.203.0.0/24', 11)).toBe('10.203.0.11');
  });
});

describe('host addresses of a subnet', () => {
  it('are inside it, but neither its network nor its broadcast address', () => {
    expect(isHostOf('10.204.0.1', '10.204.0.0/24')).toBe(true);
    expect(isHostOf('10.204.0.254', '10.204.0.0/24')).toBe(true);
    expect(isHostOf('10.204.0.0', '10.204.0.0/24')).toBe(false);
    expect(isHostOf('10.204.0.255', '10.204.0.0/24')).toBe(false);
    expect(isHostOf('10.204.1.7', '10.204.0.0/24')).toBe(false);
    // Not on an octet boundary: .64 and .127 end 10.204.0.64/26.
    expect(isHostOf('10.204.0.64', '10.204.0.64/26')).toBe(false);
    expect(isHostOf('10.204.0.127', '10.204.0.64/26')).toBe(false);
    expect(isHostOf('10.204.0.65', '10.204.0.64/26')).toBe(true);
    expect(isHostOf('10.204.0.128', '10.204.0.64/26')).toBe(false);
  });

  it('on a /31 (point to point, RFC 3021) are both addresses; on a /32 the one address', () => {
    expect(isHostOf('10.204.0.4', '10.204.0.4/31')).toBe(true);
    expect(isHostOf('10.204.0.5', '10.204.0.4/31')).toBe(true);
    expect(isHostOf('10.204.0.6', '10.204.0.4/31')).toBe(false);
    expect(isHostOf('10.204.0.9', '10.204.0.9/32')).toBe(true);
    expect(isHostOf('10.204.0.10', '10.204.0.9/32')).toBe(false);
  });

  it('are numbered from the network address of a /24, whatever host address names it', () => {
    expect(hostAddress('10.204.0.0/24', 100)).toBe('10.204.0.100');
    expect(hostAddress('10.204.0.77/24', 1)).toBe('10.204.0.1');
  });
});

describe('addresses as numbers', () => {
  it('go to a number and back unchanged, high bit included', () => {
    for (const address of ['0.0.0.0', '10.204.0.100', '127.0.0.1', '192.168.255.1', '255.255.255.255']) {
      expect(formatAddress(addressNumber(address))).toBe(address);
    }
    expect(addressNumber('10.204.0.100')).toBe(10 * 2 ** 24 + 204 * 2 ** 16 + 100);
    expect(addressNumber('255.255.255.255')).toBe(2 ** 32 - 1);
  });
});

describe('Ipv4Cidr', () => {
  it('takes a network with its prefix, and nothing without one', () => {
    expect(Ipv4Cidr.safeParse('10.204.0.0/24').success).toBe(true);
    expect(Ipv4Cidr.safeParse('10.204.0.1/24').success).toBe(true); // a host inside it, masked
    // A bare address would silently be a /32: no container address could fit it.
    expect(Ipv4Cidr.safeParse('10.204.0.0').success).toBe(false);
    for (const bad of ['10.204.0.0/33', '10.256.0.0/24', '10.204.0/24', 'net/24', '']) expect(Ipv4Cidr.safeParse(bad).success).toBe(false);
  });
});
