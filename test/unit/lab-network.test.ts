import { hostAddress, overlaps, parseCidr } from '../../policy/ipv4';

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
