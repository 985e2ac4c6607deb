// A host's side of a container network on a MemoryRuntime, as far as Godwit's steps can
// tell: `ip` (netns add/del, `-j link show`, link set), `nsenter --net=<ns> --` running
// iptables, ip6tables, their -restore and arping inside a namespace, CNI's loopback and
// bridge plugins under `env`, and arping's duplicate address detection on the host's bridge.
// Each namespace has its own filter table; the host's end of a container's veth is a host
// link whose state says whether the container is on the network.
import path from 'node:path';
import type { ContainerNetworkConfig } from '../../policy/container-network';
import type { Call, MemoryRuntime, Reply } from './memory-runtime';

/** The container network the fake host is on, as its host file would say (the lab's). */
export const CONTAINER_NETWORK: ContainerNetworkConfig = { name: 'godwit-lab', subnet: '10.204.0.0/24', bridge: 'gwc0', cniPluginDir: '/usr/lib/cni' };

type Family = 'ipv4' | 'ipv6';

const NETNS_DIR = '/var/run/netns';
const BUILTIN_CHAINS = ['INPUT', 'FORWARD', 'OUTPUT'];
const BUILTIN_TARGETS = ['ACCEPT', 'DROP', 'REJECT', 'RETURN'];

interface HostLink {
  ifindex: number;
  ifname: string;
  up: boolean;
  /** A veth's peer: the container's eth0, in `netns`. */
  peer?: { netns: string; ifindex: number };
}

interface Namespace {
  /** The filter table per family: chain -> rule specs, first rule first. */
  filter: Record<Family, Map<string, string[]>>;
  loopbackUp: boolean;
  /** eth0 once CNI's bridge plugin made it: its MAC, address, and the host link at its other end. */
  eth0: { mac: string; address: string; hostIfindex: number } | null;
}

const emptyFilter = () => new Map(BUILTIN_CHAINS.map((c): [string, string[]] => [c, []]));
const fail = (code: number, stderr: string): Reply => ({ code, stderr });

export class FakeNetwork {
  readonly namespaces = new Map<string, Namespace>();
  readonly hostLinks: HostLink[];
  /** Other machines on the segment that answer ARP for an address: address -> their MACs. */
  readonly answers = new Map<string, string[]>();
  /** Unsolicited ARP sent from a namespace; `heard`: its link was up, so the segment got it. */
  readonly announced: { netns: string; address: string; heard: boolean }[] = [];
  private nextIfindex = 20;
  /**
   * Connections queued on a listening unix socket of the container (socket inode 7001, which
   * FakeTools gives its fds as `socket:[7001]` when a test lists it): each `ss -xlnH` in the
   * container's namespace (by /proc/<pid>/ns/net) sees the next value, the last one repeated.
   */
  unixBacklog: number[] = [];

  private readonly bridge: string;
  private readonly pluginDir: string;

  /** `ipv6: false`: no ip6tables on the host. */
  constructor(
    private readonly rt: MemoryRuntime,
    private readonly options: { network?: ContainerNetworkConfig; ipv6?: boolean } = {},
  ) {
    this.bridge = (options.network ?? CONTAINER_NETWORK).bridge;
    this.pluginDir = (options.network ?? CONTAINER_NETWORK).cniPluginDir;
    // The host's own links; the container's eth0 is ifindex 2 inside, as the host's eth0 is here.
    this.hostLinks = [
      { ifindex: 1, ifname: 'lo', up: true },
      { ifindex: 2, ifname: 'eth0', up: true },
      { ifindex: 3, ifname: this.bridge, up: true },
    ];
    rt.on('ip', (call) => this.ip(call));
    rt.on('nsenter', (call) => this.nsenter(call));
    rt.on('env', (call) => this.cni(call));
    rt.on('arping', (call) => this.detectDuplicates(call));
  }

  /** A namespace as `godwit lab run` leaves it: lo up, eth0 with `mac` and `address`, its link up. */
  attached(netns: string, address: string, mac: string): string {
    this.addNamespace(netns);
    const ns = this.namespace(netns);
    ns.loopbackUp = true;
    return this.addVeth(netns, ns, mac, address).ifname;
  }

  /** The host's end of the veth into `netns`, if there is one. */
  hostLinkOf(netns: string): HostLink | undefined {
    return this.hostLinks.find((l) => l.peer?.netns === netns);
  }

  /** Chain `chain` of `netns`'s filter table (undefined: no such chain). */
  rules(netns: string, chain: string, family: Family = 'ipv4'): string[] | undefined {
    return this.namespaces.get(netns)?.filter[family].get(chain);
  }

  private namespace(netns: string): Namespace {
    const ns = this.namespaces.get(netns);
    if (!ns) throw new Error(`fake network: no namespace ${netns}`);
    return ns;
  }

  private addNamespace(netns: string): void {
    this.namespaces.set(netns, { filter: { ipv4: emptyFilter(), ipv6: emptyFilter() }, loopbackUp: false, eth0: null });
    this.rt.put(path.join(NETNS_DIR, netns), '');
  }

  private addVeth(netns: string, ns: Namespace, mac: string, address: string): HostLink {
    const link: HostLink = { ifindex: this.nextIfindex++, ifname: '', up: true, peer: { netns, ifindex: 2 } };
    link.ifname = `veth${link.ifindex.toString(16).padStart(6, '0')}`;
    this.hostLinks.push(link);
    ns.eth0 = { mac, address, hostIfindex: link.ifindex };
    return link;
  }

  private removeVeth(ns: Namespace): void {
    const at = this.hostLinks.findIndex((l) => l.ifindex === ns.eth0?.hostIfindex);
    if (at >= 0) this.hostLinks.splice(at, 1);
    ns.eth0 = null;
  }

  private ip(call: Call): Reply {
    const args = call.args;
    if (args[0] === 'netns') {
      const [, verb, netns] = args;
      const file = path.join(NETNS_DIR, netns);
      if (verb === 'add') {
        if (this.namespaces.has(netns)) return fail(1, `Cannot create namespace file "${file}": File exists\n`);
        this.addNamespace(netns);
        return {};
      }
      if (verb === 'del') {
        const ns = this.namespaces.get(netns);
        if (!ns) return fail(1, `Cannot remove namespace file "${file}": No such file or directory\n`);
        this.removeVeth(ns); // a veth goes with either of its ends
        this.namespaces.delete(netns);
        this.rt.files.delete(file);
        return {};
      }
    }
    if (args[0] === '-n' && args.slice(2).join(' ') === '-j link show eth0') {
      const ns = this.namespaces.get(args[1]);
      if (!ns) return fail(1, `Cannot open network namespace "${args[1]}": No such file or directory\n`);
      if (!ns.eth0) return fail(1, 'Device "eth0" does not exist.\n');
      const host = this.hostLinks.find((l) => l.ifindex === ns.eth0?.hostIfindex);
      // A veth whose peer is in another namespace: `link_index` is the peer's ifindex there.
      const eth0 = { ifindex: 2, link_index: ns.eth0.hostIfindex, ifname: 'eth0', operstate: host?.up ? 'UP' : 'LOWERLAYERDOWN', address: ns.eth0.mac, link_netnsid: 0 };
      return { stdout: JSON.stringify([eth0]) };
    }
    if (args.join(' ') === '-j link show') {
      const links = this.hostLinks.map((l) => ({
        ifindex: l.ifindex,
        ...(l.peer ? { link_index: l.peer.ifindex, master: this.bridge, link_netnsid: 1 } : {}),
        ifname: l.ifname,
        operstate: l.up ? 'UP' : 'DOWN',
        address: `aa:bb:cc:00:00:${l.ifindex.toString(16).padStart(2, '0')}`,
      }));
      return { stdout: JSON.stringify(links) };
    }
    if (args[0] === 'link' && args[1] === 'set' && (args[3] === 'up' || args[3] === 'down') && args.length === 4) {
      const link = this.hostLinks.find((l) => l.ifname === args[2]);
      if (!link) return fail(1, `Cannot find device "${args[2]}"\n`);
      link.up = args[3] === 'up';
      return {};
    }
    return fail(1, `fake ip: ${args.join(' ')}\n`);
  }

  /** nsenter --net=<file> -- <command> <args>: the command run in that namespace. */
  private nsenter(call: Call): Reply {
    const [net, dashes, command, ...args] = call.args;
    const file = net.startsWith('--net=') ? net.slice('--net='.length) : '';
    if (/^\/proc\/\d+\/ns\/net$/.test(file) && command === 'ss' && args.join(' ') === '-xlnH') {
      const queued = this.unixBacklog.length > 1 ? this.unixBacklog.shift() : this.unixBacklog[0];
      return { stdout: queued === undefined ? '' : `u_str LISTEN ${queued} 511 /run/php/php-fpm.sock 7001 * 0\nu_str LISTEN 9 128 /run/other.sock 7999 * 0\n` };
    }
    if (dashes !== '--' || path.dirname(file) !== NETNS_DIR) return fail(1, `fake nsenter: ${call.args.join(' ')}\n`);
    const netns = path.basename(file);
    const ns = this.namespaces.get(netns);
    if (!ns) return fail(1, `nsenter: cannot open ${file}: No such file or directory\n`);
    const missing = this.options.ipv6 === false && command.startsWith('ip6tables');
    if (missing) return fail(127, `nsenter: failed to execute ${command}: No such file or directory\n`);
    switch (command) {
      case 'iptables':
      case 'ip6tables':
        return this.iptables(ns.filter[command === 'iptables' ? 'ipv4' : 'ipv6'], args);
      case 'iptables-restore':
      case 'ip6tables-restore':
        return this.iptablesRestore(ns.filter[command === 'iptables-restore' ? 'ipv4' : 'ipv6'], args, call.input ?? '');
      case 'arping':
        return this.announce(netns, ns, args);
      default:
        return fail(127, `nsenter: failed to execute ${command}: No such file or directory\n`);
    }
  }

  private iptables(filter: Map<string, string[]>, all: readonly string[]): Reply {
    if (all[0] !== '-w') return fail(4, 'fake iptables: always wait for the xtables lock (-w)\n');
    const [verb, chain, ...rest] = all.slice(1);
    const spec = rest.join(' ');
    const rules = filter.get(chain);
    if (!rules) return fail(1, 'iptables: No chain/target/match by that name.\n');
    switch (verb) {
      case '-S':
        return { stdout: [BUILTIN_CHAINS.includes(chain) ? `-P ${chain} ACCEPT` : `-N ${chain}`, ...rules.map((r) => `-A ${chain} ${r}`)].join('\n') + '\n' };
      case '-C':
        return rules.includes(spec) ? {} : fail(1, 'iptables: Bad rule (does a matching rule exist in that chain?).\n');
      case '-I':
      case '-A':
        return this.insert(filter, verb, chain, spec);
      case '-D': {
        const at = rules.indexOf(spec);
        if (at < 0) return fail(1, 'iptables: Bad rule (does a matching rule exist in that chain?).\n');
        rules.splice(at, 1);
        return {};
      }
      case '-F':
        rules.length = 0;
        return {};
      case '-X':
        if (BUILTIN_CHAINS.includes(chain)) return fail(2, `iptables: Can't delete built-in chain ${chain}\n`);
        if ([...filter.values()].some((rs) => rs.some((r) => r.endsWith(`-j ${chain}`)))) return fail(1, `iptables: CHAIN_USER_DEL failed (Device or resource busy): chain ${chain}\n`);
        if (rules.length > 0) return fail(1, `iptables: CHAIN_USER_DEL failed (Directory not empty): chain ${chain}\n`);
        filter.delete(chain);
        return {};
      default:
        return fail(2, `fake iptables: no verb ${verb}\n`);
    }
  }

  private insert(filter: Map<string, string[]>, verb: string, chain: string, spec: string): Reply {
    const target = /-j (\S+)$/.exec(spec)?.[1];
    if (!target || (!BUILTIN_TARGETS.includes(target) && !filter.has(target))) return fail(2, `iptables v1.8.9 (nf_tables): Chain '${target}' does not exist\n`);
    const rules = filter.get(chain) ?? [];
    if (verb === '-I') rules.unshift(spec);
    else rules.push(spec);
    return {};
  }

  /** iptables-restore of one `*filter` block; without --noflush it first empties the table, as the real one does. */
  private iptablesRestore(filter: Map<string, string[]>, args: readonly string[], input: string): Reply {
    if (args[0] !== '-w') return fail(4, 'fake iptables-restore: always wait for the xtables lock (-w)\n');
    if (!args.includes('--noflush')) {
      for (const chain of [...filter.keys()]) if (!BUILTIN_CHAINS.includes(chain)) filter.delete(chain);
      for (const rules of filter.values()) rules.length = 0;
    }
    for (const line of input.split('\n')) {
      if (line === '' || line === '*filter' || line === 'COMMIT') continue;
      const chain = /^:(\S+) /.exec(line)?.[1];
      if (chain) {
        if (!filter.has(chain)) filter.set(chain, []);
        continue;
      }
      const rule = /^(-[IA]) (\S+) (.*)$/.exec(line);
      if (!rule) return fail(2, `iptables-restore: line not understood: ${line}\n`);
      const result = this.insert(filter, rule[1], rule[2], rule[3]);
      if (result.code) return result;
    }
    return {};
  }

  /** arping -U -c 1 -I eth0 <address>, inside the namespace. */
  private announce(netns: string, ns: Namespace, args: readonly string[]): Reply {
    if (!args.includes('-U') || args[args.indexOf('-I') + 1] !== 'eth0') return fail(2, `fake arping: ${args.join(' ')}\n`);
    if (!ns.eth0) return fail(2, 'arping: Device eth0 not available.\n');
    const host = this.hostLinks.find((l) => l.ifindex === ns.eth0?.hostIfindex);
    this.announced.push({ netns, address: args[args.length - 1], heard: host?.up ?? false });
    return {};
  }

  /**
   * arping -b -s 0.0.0.0 -I <bridge> <address> on the host (an ARP probe): every answer (MAC in
   * upper case, as iputils prints it) from the segment's other machines and this host's own
   * namespaces that hold the address with their link up; exit 1 when the count was not
   * reached, as with -w. With -D it would be the first answer only: iputils' -D quits on the
   * first reply (arping.c: `case 'D': ... quit_on_reply = 1`), which a caller must not use.
   */
  private detectDuplicates(call: Call): Reply {
    const args = call.args;
    const probe = args.includes('-s') && args[args.indexOf('-s') + 1] === '0.0.0.0' && args.includes('-b');
    if (!probe && !args.includes('-D')) return fail(2, `fake arping: ${args.join(' ')}\n`);
    const device = args[args.indexOf('-I') + 1];
    if (device !== this.bridge) return fail(2, `arping: Device ${device} not available.\n`);
    const address = args[args.length - 1];
    const local = [...this.namespaces.values()].filter((ns) => ns.eth0?.address === address && this.hostLinks.some((l) => l.ifindex === ns.eth0?.hostIfindex && l.up));
    const everyone = [...(this.answers.get(address) ?? []), ...local.map((ns) => ns.eth0?.mac ?? '')];
    const macs = args.includes('-D') ? everyone.slice(0, 1) : everyone;
    const replies = macs.map((mac) => `Unicast reply from ${address} [${mac.toUpperCase()}]  0.612ms\n`);
    const stdout = `ARPING ${address} from 0.0.0.0 ${device}\n${replies.join('')}Sent 1 probes (1 broadcast(s))\nReceived ${macs.length} response(s)\n`;
    return { code: args.includes('-D') ? (macs.length > 0 ? 1 : 0) : 1, stdout };
  }

  /** env CNI_...=... <pluginDir>/<plugin>: CNI's loopback and bridge plugins (ADD and DEL). */
  private cni(call: Call): Reply {
    const vars = new Map(call.args.filter((a) => /^CNI_[A-Z]+=/.test(a)).map((a): [string, string] => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
    const plugin = call.args[call.args.length - 1];
    const type = path.basename(plugin);
    if (path.dirname(plugin) !== this.pluginDir || !['bridge', 'loopback'].includes(type)) return fail(127, `env: ‘${plugin}’: No such file or directory\n`);
    const cniError = (msg: string): Reply => ({ code: 1, stdout: JSON.stringify({ cniVersion: '1.0.0', code: 11, msg }) });
    // The bridge plugin runs its IPAM plugin (static) from CNI_PATH.
    if (vars.get('CNI_PATH') !== this.pluginDir) return cniError(`failed to find plugin "static" in path [${vars.get('CNI_PATH') ?? ''}]`);
    const config = JSON.parse(call.input ?? '{}') as { type?: string; bridge?: string; ipam?: { addresses?: { address: string }[] }; runtimeConfig?: { mac?: string } };
    if (config.type !== type) return cniError(`config type ${String(config.type)} is not ${type}`);
    const file = vars.get('CNI_NETNS') ?? '';
    const ns = this.namespaces.get(path.basename(file));
    if (!ns || path.dirname(file) !== NETNS_DIR) return cniError(`failed to open netns "${file}": no such file or directory`);
    const ifname = vars.get('CNI_IFNAME');
    const command = vars.get('CNI_COMMAND');
    if (type === 'loopback') {
      ns.loopbackUp = command === 'ADD';
      return command === 'ADD' ? { stdout: JSON.stringify({ cniVersion: '1.0.0', interfaces: [{ name: 'lo', sandbox: file }], ips: [{ address: '127.0.0.1/8', interface: 0 }] }) } : {};
    }
    if (ifname !== 'eth0' || config.bridge !== this.bridge) return cniError(`fake bridge plugin: ${ifname ?? ''} on ${config.bridge ?? ''}`);
    if (command === 'DEL') {
      this.removeVeth(ns);
      return {};
    }
    if (ns.eth0) return cniError(`failed to setup veth: container veth name provided (${ifname}) already exists`);
    const address = config.ipam?.addresses?.[0]?.address ?? '';
    const mac = config.runtimeConfig?.mac ?? '0a:58:00:00:00:01';
    const link = this.addVeth(path.basename(file), ns, mac, address.split('/')[0]);
    const interfaces = [{ name: this.bridge }, { name: link.ifname }, { name: 'eth0', mac, sandbox: file }];
    return { stdout: JSON.stringify({ cniVersion: '1.0.0', interfaces, ips: [{ address, interface: 2 }] }) };
  }
}
