// Calling a CNI plugin as the spec says a runtime does: everything about the call in CNI_*
// variables, set with `env` so they reach the plugin over SSH as well as locally; the
// network's configuration on stdin; the plugin's answer, or its error, as JSON on stdout.
import { callCni, type CniCall } from '../../runtime/cni';
import { MemoryRuntime, type Reply } from './memory-runtime';

const CONFIG = { cniVersion: '1.0.0', name: 'godwit-lab', type: 'bridge', bridge: 'gwc0' };
const CALL: CniCall = { pluginDir: '/opt/cni/bin', config: CONFIG, containerId: 'web', netnsPath: '/var/run/netns/godwit-beta-web', ifname: 'eth0' };

// What the bridge plugin prints for ADD (its result type, cut to what the runtime reads).
const ADDED = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'gwc0', mac: '7a:1b:2c:3d:4e:5f' },
    { name: 'veth4c1e2a9b', mac: '9e:aa:01:02:03:04' },
    { name: 'eth0', mac: '02:42:0a:cc:00:64', sandbox: '/var/run/netns/godwit-beta-web' },
  ],
  ips: [{ address: '10.204.0.100/24', interface: 2 }],
};

function plugin(reply: Reply): MemoryRuntime {
  return new MemoryRuntime().on('env', () => reply);
}

describe('callCni', () => {
  it('runs <dir>/<type> under env with the CNI variables, the config on stdin', async () => {
    const rt = plugin({ stdout: JSON.stringify(ADDED) });
    await callCni(rt, 'ADD', CALL);
    expect(rt.calls).toHaveLength(1);
    const [call] = rt.calls;
    expect(call.program).toBe('env');
    expect(call.args).toEqual([
      'CNI_COMMAND=ADD',
      'CNI_CONTAINERID=web',
      'CNI_NETNS=/var/run/netns/godwit-beta-web',
      'CNI_IFNAME=eth0',
      // Where the plugin finds the plugins it delegates to (bridge runs its IPAM plugin).
      'CNI_PATH=/opt/cni/bin',
      '/opt/cni/bin/bridge',
    ]);
    expect(JSON.parse(call.input ?? 'null')).toEqual(CONFIG);
  });

  it('resolves ADD with the parsed result', async () => {
    const result = await callCni(plugin({ stdout: JSON.stringify(ADDED) }), 'ADD', CALL);
    expect(result?.ips).toEqual([{ address: '10.204.0.100/24', interface: 2 }]);
    expect(result?.interfaces[2]).toEqual({ name: 'eth0', mac: '02:42:0a:cc:00:64', sandbox: '/var/run/netns/godwit-beta-web' });
  });

  it('resolves DEL with null, whatever the plugin printed', async () => {
    const rt = plugin({ stdout: '' });
    await expect(callCni(rt, 'DEL', CALL)).resolves.toBeNull();
    expect(rt.calls[0].args[0]).toBe('CNI_COMMAND=DEL');
  });

  it('fails with the plugin’s own message and details from its error JSON', async () => {
    const error = { cniVersion: '1.0.0', code: 7, msg: 'failed to allocate for range 0', details: '10.204.0.100 has been allocated to web' };
    const rt = plugin({ code: 1, stdout: JSON.stringify(error), stderr: '' });
    await expect(callCni(rt, 'ADD', CALL)).rejects.toThrow('CNI bridge ADD for web failed: failed to allocate for range 0 (10.204.0.100 has been allocated to web)');
  });

  it('without an error JSON, fails with what the plugin wrote', async () => {
    const rt = plugin({ code: 127, stdout: '', stderr: 'env: ‘/opt/cni/bin/bridge’: No such file or directory\n' });
    await expect(callCni(rt, 'ADD', CALL)).rejects.toThrow(/CNI bridge ADD for web failed: env: ‘\/opt\/cni\/bin\/bridge’: No such file or directory$/);
  });

  it('refuses a config without a plugin type that names a file in the plugin directory, running nothing', async () => {
    const rt = plugin({ stdout: JSON.stringify(ADDED) });
    const untyped = { cniVersion: '1.0.0', name: 'godwit-lab', bridge: 'gwc0' };
    for (const config of [untyped, { ...CONFIG, type: 42 }, { ...CONFIG, type: '../../bin/sh' }, { ...CONFIG, type: '' }]) {
      await expect(callCni(rt, 'ADD', { ...CALL, config })).rejects.toThrow(/^CNI config has no plugin type: /);
    }
    expect(rt.calls).toEqual([]);
  });
});
