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
