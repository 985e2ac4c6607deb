// A container's attachment to a container network: read from its OCI annotation (a bad one
// must stop the move, not let it travel as a host-network container), checked against a
// host's network, and turned into the CNI bridge configuration that recreates it anywhere.
import {
  NETWORK_ANNOTATION,
  attachmentOf,
  attachmentProblem,
  bridgeConfig,
  macFor,
  type ContainerNetworkConfig,
  type NetworkAttachment,
} from '../../policy/container-network';

const NETWORK: ContainerNetworkConfig = { name: 'godwit-lab', subnet: '10.204.0.0/24', bridge: 'gwc0', cniPluginDir: '/usr/lib/cni' };
const ATTACHMENT: NetworkAttachment = { network: 'godwit-lab', address: '10.204.0.100', mac: '02:42:0a:cc:00:64' };
const annotated = (value: string) => ({ 'godwit.io/no-rebalance': 'true', [NETWORK_ANNOTATION]: value });

describe('attachmentOf', () => {
  it('is null for a container in its host network (no annotations, or not this one)', () => {
    expect(attachmentOf(undefined)).toBeNull();
    expect(attachmentOf({ 'godwit.io/no-rebalance': 'true' })).toBeNull();
  });

  it('reads the attachment from the annotation’s JSON', () => {
    expect(attachmentOf(annotated(JSON.stringify(ATTACHMENT)))).toEqual(ATTACHMENT);
  });

  it('refuses an annotation that is not JSON, naming the annotation and what it held', () => {
    expect(() => attachmentOf(annotated('{network: godwit-lab'))).toThrow(`annotation ${NETWORK_ANNOTATION} is not JSON: {network: godwit-lab`);
  });

  it('refuses JSON that is not an attachment, naming the annotation and each field at fault', () => {
    const bad = (value: object) => () => attachmentOf(annotated(JSON.stringify(value)));
    expect(bad({ ...ATTACHMENT, address: '10.204.0.300' })).toThrow(new RegExp(`^annotation ${NETWORK_ANNOTATION} is not a network attachment: address: an IPv4 address$`));
    // A MAC in upper case would never equal the lower-case one arping's answers are read as.
    expect(bad({ ...ATTACHMENT, mac: '02:42:0A:CC:00:64' })).toThrow(/is not a network attachment: mac: a MAC address in lower-case hex/);
    expect(bad({ network: 'godwit-lab', address: '10.204.0.100' })).toThrow(/is not a network attachment: mac: /);
    expect(bad({ ...ATTACHMENT, extra: 1 })).toThrow(/is not a network attachment: .*extra/);
    expect(bad({ ...ATTACHMENT, network: 'Lab Net' })).toThrow(/network: a network name/);
  });
});

describe('macFor', () => {
  it('is a locally administered unicast MAC carrying the address, in lower case', () => {
    const mac = macFor('10.204.0.100');
    expect(mac).toBe('02:42:0a:cc:00:64');
    // First octet: bit 1 set (locally administered), bit 0 clear (unicast).
    expect(Number.parseInt(mac.slice(0, 2), 16) & 0b11).toBe(0b10);
    expect(macFor('192.168.255.1')).toBe('02:42:c0:a8:ff:01');
    expect(macFor('10.204.0.101')).not.toBe(mac);
  });

  it('is one the attachment schema accepts', () => {
    const address = '172.31.250.11';
    expect(attachmentOf(annotated(JSON.stringify({ network: 'godwit-lab', address, mac: macFor(address) })))?.mac).toBe('02:42:ac:1f:fa:0b');
  });
});

describe('attachmentProblem', () => {
  it('is none for a host address of the host’s network of that name', () => {
    expect(attachmentProblem(ATTACHMENT, NETWORK, 'beta')).toBeNull();
  });

  it('names a host without a container network', () => {
    expect(attachmentProblem(ATTACHMENT, undefined, 'beta')).toMatch(/^host beta has no container network \(containerNetwork in its host file\); .*10\.204\.0\.100/);
  });

  it('names both networks when the host is on another one (even with the same subnet)', () => {
    expect(attachmentProblem(ATTACHMENT, { ...NETWORK, name: 'other-dc' }, 'beta')).toMatch(/^host beta is on container network other-dc, not godwit-lab: /);
  });

  it('refuses an address outside the subnet, and the subnet’s network and broadcast addresses', () => {
    for (const address of ['10.205.0.100', '10.204.0.0', '10.204.0.255']) {
      expect(attachmentProblem({ ...ATTACHMENT, address }, NETWORK, 'beta')).toBe(`address ${address} is not a host address of godwit-lab (10.204.0.0/24) on host beta`);
    }
  });
});

describe('bridgeConfig', () => {
  it('asks CNI’s bridge plugin for the host’s bridge, the exact address with the subnet’s prefix, and the MAC', () => {
    expect(bridgeConfig({ ...NETWORK, subnet: '10.204.0.0/22' }, ATTACHMENT)).toEqual({
      cniVersion: '1.0.0',
      name: 'godwit-lab',
      type: 'bridge',
      bridge: 'gwc0',
      ipam: { type: 'static', addresses: [{ address: '10.204.0.100/22' }] },
      runtimeConfig: { mac: '02:42:0a:cc:00:64' },
    });
  });
});
