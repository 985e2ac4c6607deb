import { NETWORK_ANNOTATION } from '../../policy/container-network';
import { placeConfig } from '../../runtime/bundle';

describe('placing a bundle on a host', () => {
  const config = {
    ociVersion: '1.0.2',
    process: { terminal: true, args: ['/workload'] },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }],
      cgroupsPath: '/godwit-alpha/web',
    },
  };

  it("joins the host's network namespace and cgroup parent, and drops the terminal", () => {
    const placed = placeConfig(config, 'web', { netnsPath: '/var/run/netns/godwit-beta', cgroupParent: 'godwit-beta' });
    expect(placed.linux?.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/var/run/netns/godwit-beta' }]);
    expect(placed.linux?.cgroupsPath).toBe('/godwit-beta/web');
    expect(placed.process?.terminal).toBe(false);
    expect((placed.process as { args: string[] }).args).toEqual(['/workload']);
  });

  it('keeps the network namespaces as they are when the host names none', () => {
    const placed = placeConfig(config, 'web', { cgroupParent: 'godwit-beta' });
    expect(placed.linux?.namespaces).toEqual(config.linux.namespaces);
  });
});

describe('placing a bundle whose container has a network of its own', () => {
  const attachment = { network: 'godwit-lab', address: '10.204.0.100', mac: '02:42:0a:cc:00:64' };
  const own = {
    linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/godwit-alpha-web' }] },
    annotations: { [NETWORK_ANNOTATION]: JSON.stringify(attachment) },
  };
  const beta = { netnsPath: '/var/run/netns/godwit-beta', ownNetnsPath: '/var/run/netns/godwit-beta-web', cgroupParent: 'godwit-beta' };

  it("joins the namespace of its own on this host, not the host's, and keeps the annotation", () => {
    const placed = placeConfig(own, 'web', beta);
    expect(placed.linux?.namespaces).toEqual([{ type: 'pid' }, { type: 'network', path: '/var/run/netns/godwit-beta-web' }]);
    expect(placed.annotations).toEqual(own.annotations);
  });

  it('is refused on a host without a namespace for it: in the host network it would lose its address', () => {
    expect(() => placeConfig(own, 'web', { netnsPath: beta.netnsPath, cgroupParent: 'godwit-beta' })).toThrow('container web has a network of its own, and this host none for it');
  });

  it("without the annotation, joins the host's namespace as before, even where the host has one for it", () => {
    const placed = placeConfig({ ...own, annotations: { 'godwit.io/no-rebalance': 'true' } }, 'web', beta);
    expect(placed.linux?.namespaces).toEqual([{ type: 'pid' }, { type: 'network', path: '/var/run/netns/godwit-beta' }]);
  });

  it('refuses an annotation that does not parse rather than place it in the host network', () => {
    expect(() => placeConfig({ ...own, annotations: { [NETWORK_ANNOTATION]: '{' } }, 'web', beta)).toThrow(/annotation godwit\.io\/network is not JSON/);
  });
});
