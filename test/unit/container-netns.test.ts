// A container's own network namespace on a host: made and attached once, whatever an earlier
// attempt left; CRIU's lock and the hold on new connections put in and taken out without
// duplicates or errors on a retry; the host's end of its veth found, cut and joined; the
// address's other holders on the segment read from arping.
import path from 'node:path';
import { bridgeConfig, loopbackConfig, type NetworkAttachment } from '../../policy/container-network';
import { ContainerNetns } from '../../runtime/container-netns';
import { CONTAINER_NETWORK, FakeNetwork } from './fake-network';
import { MemoryRuntime } from './memory-runtime';

const NETWORK = CONTAINER_NETWORK;
const ATTACHMENT: NetworkAttachment = { network: 'godwit-lab', address: '10.204.0.100', mac: '02:42:0a:cc:00:64' };
const NS = 'godwit-beta-web';
const HOLD = '-p tcp --syn -m comment --comment godwit-hold -j DROP';

function host(options: { ipv6?: boolean } = {}) {
  const rt = new MemoryRuntime();
  const net = new FakeNetwork(rt, options);
  return { rt, net, netns: new ContainerNetns(rt, 'beta', NETWORK) };
}

/** The CNI plugins run, as "COMMAND plugin ifname", with the config each was given. */
const cniCalls = (rt: MemoryRuntime) =>
  rt.calls
    .filter((c) => c.program === 'env')
    .map((c) => {
      const env = (name: string) => c.args.find((a) => a.startsWith(`${name}=`))?.split('=')[1];
      return { call: `${env('CNI_COMMAND')} ${path.basename(c.args[c.args.length - 1])} ${env('CNI_IFNAME')}`, config: JSON.parse(c.input ?? 'null') as unknown };
    });

/** Index of the first command line matching `re`; throws when none does, so no order holds by default. */
function at(rt: MemoryRuntime, re: RegExp): number {
  const i = rt.commandLines().findIndex((l) => re.test(l));
  if (i < 0) throw new Error(`no command matched ${String(re)}:\n${rt.commandLines().join('\n')}`);
  return i;
}

describe('attach', () => {
  it('on a fresh host: makes the namespace, then lo, then eth0 with the address and MAC', async () => {
    const { rt, net, netns } = host();
    await netns.attach('web', ATTACHMENT, { locked: false });
    expect(rt.commandLines('ip')[0]).toBe(`ip netns add ${NS}`);
    expect(cniCalls(rt)).toEqual([
      { call: 'ADD loopback lo', config: loopbackConfig(NETWORK) },
      { call: 'ADD bridge eth0', config: bridgeConfig(NETWORK, ATTACHMENT) },
    ]);
    expect(net.namespaces.get(NS)).toMatchObject({ loopbackUp: true, eth0: { mac: ATTACHMENT.mac, address: ATTACHMENT.address } });
    expect(net.hostLinkOf(NS)?.up).toBe(true);
    expect(netns.path('web')).toBe(`/var/run/netns/${NS}`);
  });

  it('keeps a namespace that is there already', async () => {
    const { rt, net, netns } = host();
    await rt.executeOk('ip', ['netns', 'add', NS]); // an attempt that died before CNI ran
    await netns.attach('web', ATTACHMENT, { locked: false });
    expect(rt.commandLines('ip').filter((l) => l.includes('netns add'))).toHaveLength(1);
    expect(net.namespaces.get(NS)?.eth0?.mac).toBe(ATTACHMENT.mac);
  });

  it("locked: CRIU's lock (everything but its repair mark dropped) is in before eth0 exists, in both families", async () => {
    const { rt, net, netns } = host();
    await netns.attach('web', ATTACHMENT, { locked: true });
    const restore = at(rt, / iptables-restore -w --noflush$/);
    expect(restore).toBeGreaterThan(at(rt, /^ip netns add /));
    expect(restore).toBeLessThan(at(rt, /\/bridge$/));
    for (const family of ['ipv4', 'ipv6'] as const) {
      expect(net.rules(NS, 'INPUT', family)).toEqual(['-j CRIU']);
      expect(net.rules(NS, 'OUTPUT', family)).toEqual(['-j CRIU']);
      // 0xC114: the mark CRIU's own repair traffic carries (SOCCR_MARK in CRIU's soccr/soccr.h).
      expect(net.rules(NS, 'CRIU', family)).toEqual(['-m mark --mark 0xC114 -j ACCEPT', '-j DROP']);
    }
    expect(rt.calls.find((c) => c.args.includes('iptables-restore'))?.input).toMatch(/^\*filter\n:CRIU - \[0:0\]\n[^]*COMMIT\n$/);
  });

  it('does nothing more when eth0 is there with the MAC (an earlier attempt attached it)', async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.attach('web', ATTACHMENT, { locked: false });
    expect(rt.commandLines()).toEqual([`ip -n ${NS} -j link show eth0`]);
  });

  it('refuses a namespace whose eth0 has another MAC: its clients would be talking to someone else', async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, '02:42:0a:cc:00:65');
    await expect(netns.attach('web', ATTACHMENT, { locked: false })).rejects.toThrow(
      `network namespace /var/run/netns/${NS} has eth0 with MAC 02:42:0a:cc:00:65, not 02:42:0a:cc:00:64`,
    );
    expect(cniCalls(rt)).toEqual([]);
  });
});

describe("CRIU's lock", () => {
  it('goes in once: a second lock restores nothing', async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.lock('web');
    await netns.lock('web');
    expect(rt.commandLines().filter((l) => l.includes('-restore'))).toHaveLength(2); // one per family
    expect(net.rules(NS, 'INPUT')).toEqual(['-j CRIU']);
  });

  it('leaves the rules already there (--noflush): a held source stays held', async () => {
    const { net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.holdNewConnections('web', true);
    await netns.lock('web');
    expect(net.rules(NS, 'INPUT')).toEqual(['-j CRIU', HOLD]);
  });

  it('holds with IPv4 alone where the host has no ip6tables, and fails when IPv4 cannot be locked', async () => {
    const { net, netns } = host({ ipv6: false });
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.lock('web');
    expect(net.rules(NS, 'CRIU')).toHaveLength(2);
    await expect(netns.lock('db')).rejects.toThrow(/^locking \/var\/run\/netns\/godwit-beta-db failed: nsenter: cannot open/);
  });

  it('unlock removes every jump to it and the chain, in both families, and leaves other rules', async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.holdNewConnections('web', true);
    await netns.lock('web');
    net.rules(NS, 'INPUT')?.push('-j CRIU'); // a second jump (two locks raced)
    await netns.unlock('web');
    for (const family of ['ipv4', 'ipv6'] as const) {
      expect(net.rules(NS, 'CRIU', family)).toBeUndefined();
      expect(net.rules(NS, 'OUTPUT', family)).toEqual([]);
    }
    expect(net.rules(NS, 'INPUT')).toEqual([HOLD]);
    expect(net.rules(NS, 'INPUT', 'ipv6')).toEqual([HOLD]);
    // Again (CRIU lifted it, or an earlier attempt did): it only looks.
    const before = rt.calls.length;
    await netns.unlock('web');
    expect(rt.commandLines().slice(before)).toEqual([
      `nsenter --net=/var/run/netns/${NS} -- iptables -w -S CRIU`,
      `nsenter --net=/var/run/netns/${NS} -- ip6tables -w -S CRIU`,
    ]);
  });
});

describe('holding new connections', () => {
  it('drops SYNs in the namespace, with one rule per family however often it is asked', async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.holdNewConnections('web', true);
    await netns.holdNewConnections('web', true);
    expect(net.rules(NS, 'INPUT')).toEqual([HOLD]);
    expect(net.rules(NS, 'INPUT', 'ipv6')).toEqual([HOLD]);
    expect(rt.commandLines().filter((l) => / -I INPUT /.test(l))).toHaveLength(2);
  });

  it('lets them in again: every copy of the rule removed, and again is fine', async () => {
    const { net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.holdNewConnections('web', true);
    net.rules(NS, 'INPUT')?.push(HOLD);
    await netns.holdNewConnections('web', false);
    expect(net.rules(NS, 'INPUT')).toEqual([]);
    expect(net.rules(NS, 'INPUT', 'ipv6')).toEqual([]);
    await expect(netns.holdNewConnections('web', false)).resolves.toBeUndefined();
  });

  it('holds IPv4 where the host has no ip6tables; fails when IPv4 cannot be held', async () => {
    const { net, netns } = host({ ipv6: false });
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.holdNewConnections('web', true);
    expect(net.rules(NS, 'INPUT')).toEqual([HOLD]);
    await expect(netns.holdNewConnections('db', true)).rejects.toThrow(/^holding new connections to \/var\/run\/netns\/godwit-beta-db failed: /);
  });
});

describe("the container's link", () => {
  it("is the host link at the other end of its eth0 (link_index), not the host's link of eth0's own index", async () => {
    const { net, netns } = host();
    const db = net.attached('godwit-beta-db', '10.204.0.101', '02:42:0a:cc:00:65');
    const web = net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    expect(web).not.toBe(db);
    await expect(netns.hostLink('web')).resolves.toBe(web);
    await expect(netns.hostLink('db')).resolves.toBe(db);
  });

  it('is none without a namespace, or in one without eth0', async () => {
    const { rt, netns } = host();
    await expect(netns.hostLink('web')).resolves.toBeNull();
    await rt.executeOk('ip', ['netns', 'add', NS]);
    await expect(netns.hostLink('web')).resolves.toBeNull();
  });

  it('is cut and joined at the host end; false, with nothing run, when there is none', async () => {
    const { rt, net, netns } = host();
    const web = net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await expect(netns.setLink('web', 'down')).resolves.toBe(true);
    expect(net.hostLinkOf(NS)?.up).toBe(false);
    await expect(netns.setLink('web', 'up')).resolves.toBe(true);
    expect(net.hostLinkOf(NS)?.up).toBe(true);
    expect(rt.commandLines().filter((l) => l.startsWith('ip link set'))).toEqual([`ip link set ${web} down`, `ip link set ${web} up`]);
    await expect(netns.setLink('db', 'down')).resolves.toBe(false);
    expect(rt.commandLines().filter((l) => l.startsWith('ip link set'))).toHaveLength(2);
  });

  it("is announced from the container's eth0 (unsolicited ARP for its address)", async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.announce('web', ATTACHMENT);
    expect(net.announced).toEqual([{ netns: NS, address: ATTACHMENT.address, heard: true }]);
    expect(rt.commandLines('nsenter')).toEqual([`nsenter --net=/var/run/netns/${NS} -- arping -U -c 1 -I eth0 10.204.0.100`]);
  });
});

describe('answering', () => {
  // iputils arping -D as it prints a reply: the MAC in upper case; exit 1 when one came.
  // As iputils' arping printed it for two namespaces holding one address on a bridge.
  const ARPING = [
    'ARPING 10.204.0.100 from 0.0.0.0 gwc0',
    'Unicast reply from 10.204.0.100 [DE:AD:BE:EF:00:01]  0.601ms',
    'Unicast reply from 10.204.0.100 [02:42:0A:CC:00:64]  0.633ms',
    'Sent 1 probes (1 broadcast(s))',
    'Received 2 response(s)',
    '',
  ].join('\n');

  it("reads every reply as a lower-case MAC, from the host's bridge, exit 1 included, with a probe that does not stop at the first", async () => {
    const { rt, netns } = host();
    rt.on('arping', () => ({ code: 1, stdout: ARPING }));
    await expect(netns.answering('10.204.0.100')).resolves.toEqual(['de:ad:be:ef:00:01', '02:42:0a:cc:00:64']);
    expect(rt.commandLines()).toEqual(['arping -b -c 2 -w 1 -s 0.0.0.0 -I gwc0 10.204.0.100']);
  });


  it('is nobody when none replied', async () => {
    const { netns } = host();
    await expect(netns.answering('10.204.0.100')).resolves.toEqual([]);
  });

  it('fails when arping itself fails (no such bridge)', async () => {
    const { rt } = host();
    const elsewhere = new ContainerNetns(rt, 'beta', { ...NETWORK, bridge: 'gwc9' });
    await expect(elsewhere.answering('10.204.0.100')).rejects.toThrow('arping on gwc9 failed: arping: Device gwc9 not available.');
  });
});

describe('remove', () => {
  it('without a namespace runs nothing', async () => {
    const { rt, netns } = host();
    await netns.remove('web', ATTACHMENT);
    expect(rt.calls).toEqual([]);
  });

  it("releases eth0 through CNI, then deletes the namespace; its veth goes with it", async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.remove('web', ATTACHMENT);
    expect(cniCalls(rt)).toEqual([{ call: 'DEL bridge eth0', config: bridgeConfig(NETWORK, ATTACHMENT) }]);
    expect(at(rt, /^env /)).toBeLessThan(at(rt, new RegExp(`^ip netns del ${NS}$`)));
    expect(net.namespaces.has(NS)).toBe(false);
    expect(net.hostLinkOf(NS)).toBeUndefined();
    await expect(netns.exists('web')).resolves.toBe(false);
  });

  it('without an attachment (no config to release with) deletes the namespace alone', async () => {
    const { rt, net, netns } = host();
    net.attached(NS, ATTACHMENT.address, ATTACHMENT.mac);
    await netns.remove('web', null);
    expect(rt.commandLines()).toEqual([`ip netns del ${NS}`]);
    expect(net.namespaces.has(NS)).toBe(false);
  });
});
