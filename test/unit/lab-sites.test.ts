import { labReach, labSite, labSubnetsAllowed } from '../../infra/lab/sites';
import { overlaps } from '../../policy/ipv4';

describe('lab sites', () => {
  it('puts every host on the lab subnet when they share it', () => {
    expect([0, 1].map((i) => labSite('10.203.0.0/24', i, 'shared'))).toEqual([
      { subnet: '10.203.0.0/24', bridge: 'godwit0', gateway: '10.203.0.1', address: '10.203.0.11' },
      { subnet: '10.203.0.0/24', bridge: 'godwit0', gateway: '10.203.0.1', address: '10.203.0.12' },
    ]);
    expect(labSubnetsAllowed('10.203.0.0/24', 2, 'shared')).toEqual(['10.203.0.0/24']);
  });

  it('gives each host a subnet and bridge of its own, none overlapping the lab subnet or another', () => {
    const sites = [0, 1, 2].map((i) => labSite('10.203.0.0/24', i, 'per-host'));
    expect(sites.map((s) => [s.subnet, s.bridge, s.gateway, s.address])).toEqual([
      ['10.203.1.0/24', 'godwit1', '10.203.1.1', '10.203.1.11'],
      ['10.203.2.0/24', 'godwit2', '10.203.2.1', '10.203.2.12'],
      ['10.203.3.0/24', 'godwit3', '10.203.3.1', '10.203.3.13'],
    ]);
    const subnets = ['10.203.0.0/24', ...sites.map((s) => s.subnet)];
    for (const [i, a] of subnets.entries()) for (const b of subnets.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    // A host's receiver must let in any other host, whichever subnet it sends from.
    expect(labSubnetsAllowed('10.203.0.0/24', 3, 'per-host')).toEqual(subnets);
    // Each host routes the lab's /16 through its gateway: every other site and the lab subnet.
    for (const subnet of subnets) expect(overlaps(labReach('10.203.0.0/24'), subnet)).toBe(true);
    expect(labReach('10.203.0.0/24')).toBe('10.203.0.0/16');
  });

  it('refuses sites that would leave the lab subnet\'s /16, and a lab subnet that is not a /24', () => {
    expect(() => labSite('10.203.254.0/24', 1, 'per-host')).toThrow('leaves no room');
    expect(() => labSite('10.203.0.0/16', 0, 'per-host')).toThrow('must be a /24');
  });
});
