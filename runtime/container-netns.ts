// A container's own network namespace on a host: created and attached to the host's container
// network with CNI's plugins (same address, same MAC on every host), its link cut and joined
// again around a freeze, locked while a restore runs, announced once it serves. Knows nothing
// of Temporal; every call works on whatever state it finds, so a retried step can repeat it.
import type { HostRuntime } from './host-runtime';
import type { ExecOptions } from './exec';
import { callCni, type CniCall } from './cni';
import {
  CONTAINER_INTERFACE,
  bridgeConfig,
  containerNetnsName,
  containerNetnsPath,
  loopbackConfig,
  type ContainerNetworkConfig,
  type NetworkAttachment,
} from '../policy/container-network';

/**
 * CRIU's own network lock (criu/net.c network_lock_internal): everything but CRIU's repair
 * traffic (mark 0xC114) dropped. CRIU restores into a namespace runc hands it without locking
 * it, but removes this chain when the restore ends: installed before the link comes up, it
 * keeps the target's kernel from answering a client's retransmission with a reset meanwhile.
 */
const LOCK_RULES = '*filter\n:CRIU - [0:0]\n-I INPUT -j CRIU\n-I OUTPUT -j CRIU\n-A CRIU -m mark --mark 0xC114 -j ACCEPT\n-A CRIU -j DROP\nCOMMIT\n';

/** Tags Godwit's rule that holds off new connections to a frozen source. */
const HOLD_TAG = 'godwit-hold';

/** iptables and ip6tables alike: CRIU locks both families. */
const FAMILIES = [
  { command: 'iptables', restore: 'iptables-restore' },
  { command: 'ip6tables', restore: 'ip6tables-restore' },
] as const;

interface IpLink {
  ifindex: number;
  ifname: string;
  link_index?: number;
  operstate?: string;
  address?: string;
}

export class ContainerNetns {
  constructor(
    private readonly rt: HostRuntime,
    private readonly host: string,
    private readonly network: ContainerNetworkConfig,
  ) {}

  path(container: string): string {
    return containerNetnsPath(this.host, container);
  }

  exists(container: string): Promise<boolean> {
    return this.rt.exists(this.path(container));
  }

  private inNetns(container: string, command: string, args: readonly string[], options?: ExecOptions) {
    return this.rt.execute('nsenter', [`--net=${this.path(container)}`, '--', command, ...args], options);
  }

  private cniCall(container: string, config: Record<string, unknown>, ifname: string): CniCall {
    return { pluginDir: this.network.cniPluginDir, config, containerId: container, netnsPath: this.path(container), ifname };
  }

  /**
   * The namespace with `lo` up and the container's interface on the network, as `attachment`
   * says. `locked`: CRIU's lock goes in before the interface exists (a restore's namespace).
   */
  async attach(container: string, attachment: NetworkAttachment, opts: { locked: boolean }): Promise<void> {
    if (!(await this.exists(container))) await this.rt.executeOk('ip', ['netns', 'add', containerNetnsName(this.host, container)]);
    if (opts.locked) await this.lock(container);
    const link = await this.containerLink(container);
    if (link && link.address !== attachment.mac) throw new Error(`network namespace ${this.path(container)} has ${CONTAINER_INTERFACE} with MAC ${link.address}, not ${attachment.mac}`);
    if (link) return; // attached by an earlier attempt
    await callCni(this.rt, 'ADD', this.cniCall(container, loopbackConfig(this.network), 'lo'));
    await callCni(this.rt, 'ADD', this.cniCall(container, bridgeConfig(this.network, attachment), CONTAINER_INTERFACE));
  }

  /** CRIU's lock, unless it is there already. */
  async lock(container: string): Promise<void> {
    for (const family of FAMILIES) {
      if ((await this.inNetns(container, family.command, ['-w', '-S', 'CRIU'])).code === 0) continue;
      const result = await this.inNetns(container, family.restore, ['-w', '--noflush'], { input: LOCK_RULES });
      // Without ip6tables the host has no IPv6 filtering to lock with; IPv4 is what must hold.
      if (result.code !== 0 && family.command === 'iptables') throw new Error(`locking ${this.path(container)} failed: ${result.stderr.trim()}`);
    }
  }

  /** Removes CRIU's lock if it is still there (CRIU's own unlock normally did). */
  async unlock(container: string): Promise<void> {
    for (const family of FAMILIES) {
      if ((await this.inNetns(container, family.command, ['-w', '-S', 'CRIU'])).code !== 0) continue;
      for (const chain of ['INPUT', 'OUTPUT']) {
        while ((await this.inNetns(container, family.command, ['-w', '-D', chain, '-j', 'CRIU'])).code === 0);
      }
      await this.inNetns(container, family.command, ['-w', '-F', 'CRIU']);
      await this.inNetns(container, family.command, ['-w', '-X', 'CRIU']);
    }
  }

  /**
   * New connections held off (their SYNs dropped inside the namespace: the client tries again
   * a second later, by when the address answers from the target) or let in again. A
   * handshake the frozen kernel completed would be an in-flight connection CRIU cannot carry.
   */
  async holdNewConnections(container: string, hold: boolean): Promise<void> {
    for (const family of FAMILIES) {
      const rule = ['INPUT', '-p', 'tcp', '--syn', '-m', 'comment', '--comment', HOLD_TAG, '-j', 'DROP'];
      const present = async () => (await this.inNetns(container, family.command, ['-w', '-C', ...rule])).code === 0;
      if (hold) {
        if (await present()) continue;
        const result = await this.inNetns(container, family.command, ['-w', '-I', ...rule]);
        if (result.code !== 0 && family.command === 'iptables') throw new Error(`holding new connections to ${this.path(container)} failed: ${result.stderr.trim()}`);
      } else {
        while ((await this.inNetns(container, family.command, ['-w', '-D', ...rule])).code === 0);
      }
    }
  }

  /** The container's interface as seen inside its namespace; null when it has none (yet). */
  private async containerLink(container: string): Promise<IpLink | null> {
    const result = await this.rt.execute('ip', ['-n', containerNetnsName(this.host, container), '-j', 'link', 'show', CONTAINER_INTERFACE]);
    if (result.code !== 0) return null;
    return (JSON.parse(result.stdout || '[]') as IpLink[])[0] ?? null;
  }

  /** The host's end of the container's veth: the link that joins it to the network. */
  async hostLink(container: string): Promise<string | null> {
    const inside = await this.containerLink(container);
    if (!inside?.link_index) return null;
    const result = await this.rt.executeOk('ip', ['-j', 'link', 'show']);
    return (JSON.parse(result.stdout || '[]') as IpLink[]).find((l) => l.ifindex === inside.link_index)?.ifname ?? null;
  }

  /** Cuts (down) or joins (up) the container's link at the host's end; false when there is none. */
  async setLink(container: string, state: 'up' | 'down'): Promise<boolean> {
    const link = await this.hostLink(container);
    if (!link) return false;
    await this.rt.executeOk('ip', ['link', 'set', link, state]);
    return true;
  }

  /**
   * Unsolicited ARP from the container's interface: switches and peers learn at once where
   * the address is now. arping sends at start, then waits a second for answers this never
   * gets; it is stopped once the packet is out.
   */
  async announce(container: string, attachment: NetworkAttachment): Promise<void> {
    await this.inNetns(container, 'arping', ['-U', '-c', '1', '-I', CONTAINER_INTERFACE, attachment.address], { timeoutMs: 150, killGraceMs: 100 });
  }

  /**
   * Every MAC that answers for `address` on the host's bridge within a second. An ARP probe
   * (sender 0.0.0.0, as in duplicate address detection) but not arping's -D: -D stops at the
   * first reply, which during a move is the source itself, and a second holder would go unseen
   * (measured, iputils 20221126). -b keeps each probe a broadcast, so every holder hears it.
   */
  async answering(address: string): Promise<string[]> {
    const result = await this.rt.execute('arping', ['-b', '-c', '2', '-w', '1', '-s', '0.0.0.0', '-I', this.network.bridge, address]);
    if (result.code !== 0 && result.code !== 1) throw new Error(`arping on ${this.network.bridge} failed: ${result.stderr.trim() || result.stdout.trim()}`);
    return [...result.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1].toLowerCase());
  }

  /** Detaches and deletes the namespace (the veth goes with it); nothing there is fine. */
  async remove(container: string, attachment: NetworkAttachment | null): Promise<void> {
    if (!(await this.exists(container))) return;
    if (attachment) await callCni(this.rt, 'DEL', this.cniCall(container, bridgeConfig(this.network, attachment), CONTAINER_INTERFACE));
    await this.rt.executeOk('ip', ['netns', 'del', containerNetnsName(this.host, container)]);
  }
}
