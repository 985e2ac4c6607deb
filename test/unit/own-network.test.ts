// The host steps for a container with a network of its own (activities/host/network.ts): its
// address and TCP connections go with it, which holds only if every step keeps to its order.
// The source holds off new connections before the freeze and cuts its link after it, before
// the dump; the target restores into a locked namespace whose link stays cut until commit;
// a rollback joins the source again before it runs. A host-network container keeps the old
// ways: the host's connection fence, connections restored closed.
import path from 'node:path';
import { NETWORK_ANNOTATION, containerNetnsPath, macFor, type NetworkAttachment } from '../../policy/container-network';
import { CONTAINER_NETWORK } from './fake-network';
import { SimulatedCrash } from './memory-runtime';
import { RUN, command, runcCalls, testHost, type TestHost } from './host-harness';
import { FENCED_PORTS_FILE } from '../../activities/host/fence';

const ADDRESS = '10.204.0.100';
const ATTACHMENT: NetworkAttachment = { network: CONTAINER_NETWORK.name, address: ADDRESS, mac: macFor(ADDRESS) };
const SOURCE_NS = 'godwit-alpha-web';
const TARGET_NS = 'godwit-beta-web';

/** config.json as `godwit lab run` writes it on `host`: the attachment annotated, its namespace joined. */
function ownConfig(host: string): string {
  const linux = { namespaces: [{ type: 'pid' }, { type: 'network', path: containerNetnsPath(host, RUN.container) }] };
  return JSON.stringify({ linux, annotations: { [NETWORK_ANNOTATION]: JSON.stringify(ATTACHMENT) } });
}

/** The source (alpha, on the container network) running the container, attached or in the host's network. */
function source(own = true): TestHost {
  const h = testHost({ containerNetwork: CONTAINER_NETWORK });
  const bundle = h.layout.bundle(RUN.container);
  if (own) h.rt.put(path.join(bundle, 'config.json'), ownConfig('alpha'));
  h.tools.container(RUN.container, bundle, 'running');
  if (own) h.tools.network.attached(SOURCE_NS, ADDRESS, ATTACHMENT.mac);
  return h;
}

/** The target (beta) after the final sync: the source's config.json, the images, the run staged. */
function target(own = true): TestHost {
  const h = testHost({ name: 'beta', containerNetwork: CONTAINER_NETWORK });
  h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), own ? ownConfig('alpha') : JSON.stringify({ linux: {} }));
  h.rt.put(path.join(h.layout.incomingImages(RUN.runKey), 'pstree.img'), 'pstree');
  h.rt.put(h.layout.stagedMarker(RUN.runKey), RUN.container);
  return h;
}

/** Index of the first command line matching `pattern`; throws when none does, so no order holds by default. */
function first(h: TestHost, pattern: RegExp | string): number {
  const re = typeof pattern === 'string' ? new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) : pattern;
  const at = h.rt.commandLines().findIndex((l) => re.test(l));
  if (at < 0) throw new Error(`no command matched ${String(re)}:\n${h.rt.commandLines().join('\n')}`);
  return at;
}

/** The host's end of the container's veth in `netns`. */
function veth(h: TestHost, netns: string): string {
  const link = h.tools.network.hostLinkOf(netns);
  if (!link) throw new Error(`no veth into ${netns}`);
  return link.ifname;
}

/** The CRIU configuration runc's `verb` ran with. */
function criuConfigOf(h: TestHost, verb: string): string | undefined {
  const call = h.rt.calls.find((c) => c.program === 'runc' && c.args.includes(verb));
  return h.rt.text(call?.env?.CRIU_CONFIG_FILE ?? '');
}

const HOLD_INSERTED = new RegExp(`^nsenter --net=/var/run/netns/${SOURCE_NS} -- iptables -w -I INPUT -p tcp --syn -m comment --comment godwit-hold -j DROP$`);
const HOLD_DELETED = new RegExp(`^nsenter --net=/var/run/netns/${SOURCE_NS} -- iptables -w -D INPUT -p tcp --syn -m comment --comment godwit-hold -j DROP$`);
const PAUSE = /^runc .* pause web$/;
const networkCommands = (h: TestHost) => h.rt.calls.filter((c) => ['ip', 'nsenter', 'env', 'arping'].includes(c.program));

describe('preflightSource', () => {
  it('reports the attachment, and refuses an attached container whose namespace is not there', async () => {
    const h = source();
    await expect(h.attempt('preflightSource', { container: RUN.container })).resolves.toMatchObject({ network: ATTACHMENT });
    await h.rt.executeOk('ip', ['netns', 'del', SOURCE_NS]);
    await expect(h.attempt('preflightSource', { container: RUN.container })).rejects.toMatchObject({
      type: 'PreconditionFailed',
      message: `container web on host alpha has a network of its own, but no namespace at /var/run/netns/${SOURCE_NS}`,
    });
  });

  it('reports no attachment for a host-network container', async () => {
    await expect(source(false).attempt('preflightSource', { container: RUN.container })).resolves.toMatchObject({ network: null });
  });
});

describe('checkpoint of an own-network container', () => {
  it('with connections queued on its own unix sockets, cuts its link while it runs and freezes it once it has accepted them', async () => {
    const h = source();
    // Its PHP-FPM listener (inode 7001) has 3, then 1, then none queued; another process's has 9.
    h.tools.unixSockets.set(1000, [7001]);
    h.tools.network.unixBacklog = [3, 1, 0];
    await h.attempt('checkpoint', RUN);
    const link = veth(h, SOURCE_NS);
    const lines = h.rt.commandLines();
    const polls = lines.map((l, i) => (/ss -xlnH$/.test(l) ? i : -1)).filter((i) => i >= 0);
    expect(first(h, HOLD_INSERTED)).toBeLessThan(first(h, `ip link set ${link} down`));
    expect(first(h, `ip link set ${link} down`)).toBeLessThan(first(h, PAUSE));
    // Frozen only after the last poll found the queue empty.
    expect(polls).toHaveLength(3);
    expect(polls[2]).toBeLessThan(first(h, PAUSE));
    expect(runcCalls(h.rt, 'checkpoint')[0]).toContain('--tcp-established');
  });

  it('with nothing queued on its unix sockets, keeps the order that saves requests in flight: pause, then cut', async () => {
    const h = source();
    h.tools.unixSockets.set(1000, [7001]);
    h.tools.network.unixBacklog = [0];
    await h.attempt('checkpoint', RUN);
    expect(first(h, `ip link set ${veth(h, SOURCE_NS)} down`)).toBeGreaterThan(first(h, PAUSE));
  });

  it('holds new connections before the pause, cuts the link after it and before the dump, and dumps them established', async () => {
    const h = source();
    await h.attempt('checkpoint', RUN);
    const link = veth(h, SOURCE_NS);
    expect(first(h, HOLD_INSERTED)).toBeLessThan(first(h, PAUSE));
    expect(first(h, `ip link set ${link} down`)).toBeGreaterThan(first(h, PAUSE));
    expect(first(h, `ip link set ${link} down`)).toBeLessThan(first(h, /^runc .* checkpoint /));
    expect(runcCalls(h.rt, 'checkpoint')[0]).toContain('--tcp-established');
    // Without tcp-close: the connections are dumped as they are, to be restored as they are.
    expect(criuConfigOf(h, 'checkpoint')).toBe('skip-in-flight\nlink-remap\nghost-limit 67108864\n');
    expect(h.tools.network.rules(SOURCE_NS, 'INPUT')).toEqual(['-p tcp --syn -m comment --comment godwit-hold -j DROP']);
    expect(h.tools.network.hostLinkOf(SOURCE_NS)?.up).toBe(false);
    // Its traffic stays in its own namespace: a fence in the host's INPUT chain would never see it.
    expect(h.rt.commandLines().filter((l) => /^ip6?tables/.test(l))).toEqual([]);
  });

  it("reports the container's established connections as kept, counting its tasks' and no one else's", async () => {
    const h = source();
    const init = h.tools.containers.get(RUN.container)?.pid ?? 0;
    const worker = h.tools.task(RUN.container);
    h.tools.established.set(init, 2);
    h.tools.established.set(worker, 1);
    h.tools.established.set(4242, 5); // a process of the host's
    const result = await h.attempt('checkpoint', RUN);
    expect(result.connections).toEqual({ handling: 'kept', established: 3 });
  });

  it('on a retry after a crash before the dump, holds and cuts nothing twice and dumps once', async () => {
    const h = source();
    h.rt.crashBefore(command('runc', 'checkpoint'));
    await expect(h.attempt('checkpoint', RUN)).rejects.toThrow(SimulatedCrash);
    await h.attempt('checkpoint', RUN);
    expect(h.tools.network.rules(SOURCE_NS, 'INPUT')).toHaveLength(1);
    expect(h.tools.network.hostLinkOf(SOURCE_NS)?.up).toBe(false);
    expect(runcCalls(h.rt, 'pause')).toHaveLength(1);
    expect(runcCalls(h.rt, 'checkpoint')).toHaveLength(1);
  });

  it('post-copy: holds and cuts before the dump daemon freezes it, which dumps them established', async () => {
    const h = source();
    await h.attempt('postCopyDump', RUN);
    const daemon = h.rt.calls.find((c) => c.program === 'start-stop-daemon');
    expect(first(h, HOLD_INSERTED)).toBeLessThan(first(h, `ip link set ${veth(h, SOURCE_NS)} down`));
    expect(first(h, `ip link set ${veth(h, SOURCE_NS)} down`)).toBeLessThan(first(h, /^start-stop-daemon /));
    expect(daemon?.args).toContain('--tcp-established');
    expect(h.rt.text(daemon?.env?.CRIU_CONFIG_FILE ?? '')).not.toMatch(/tcp-close/);
  });
});

describe('checkpoint of a host-network container (on a host with a container network)', () => {
  it('fences its ports on the host before the pause, dumps without --tcp-established and with tcp-close', async () => {
    const h = source(false);
    const init = h.tools.containers.get(RUN.container)?.pid ?? 0;
    h.tools.listening.set(init, [5432]);
    h.tools.established.set(init, 2);
    const result = await h.attempt('checkpoint', RUN);
    expect(h.tools.iptables.rules.ipv4).toEqual([expect.stringMatching(/--dport 5432 .*godwit-fence:web.*-j REJECT/)]);
    expect(first(h, /^iptables -w \d+ -I INPUT .*--dport 5432/)).toBeLessThan(first(h, PAUSE));
    expect(runcCalls(h.rt, 'checkpoint')[0]).not.toContain('--tcp-established');
    expect(criuConfigOf(h, 'checkpoint')).toMatch(/^tcp-close\n/);
    expect(result.connections).toEqual({ handling: 'closed', established: 2 });
    expect(networkCommands(h)).toEqual([]);
  });
});

describe('restore of an own-network container', () => {
  it('restores into a namespace of its own here, locked and its link cut before runc restore, connections established', async () => {
    const h = target();
    await h.attempt('restore', RUN);
    const link = veth(h, TARGET_NS);
    const restore = first(h, /^runc .* restore /);
    expect(first(h, `ip netns add ${TARGET_NS}`)).toBeLessThan(first(h, / iptables-restore -w --noflush$/));
    // Locked before eth0 exists: no client's retransmission meets a kernel without the socket.
    expect(first(h, / iptables-restore -w --noflush$/)).toBeLessThan(first(h, /^env CNI_COMMAND=ADD .*\/bridge$/));
    expect(first(h, `ip link set ${link} down`)).toBeLessThan(restore);
    expect(runcCalls(h.rt, 'restore')[0]).toContain('--tcp-established');
    expect(criuConfigOf(h, 'restore')).toBe('skip-in-flight\nlink-remap\n');
    const placed = JSON.parse(h.rt.text(path.join(h.layout.bundle(RUN.container), 'config.json')) ?? '{}') as { linux: { namespaces: { type: string; path?: string }[] } };
    expect(placed.linux.namespaces).toContainEqual({ type: 'network', path: `/var/run/netns/${TARGET_NS}` });
    expect(h.tools.network.namespaces.get(TARGET_NS)?.eth0).toMatchObject({ mac: ATTACHMENT.mac, address: ADDRESS });
  });

  it("removes CRIU's lock after the restore when CRIU left it, and keeps the link cut and the address unannounced", async () => {
    const h = target();
    await h.attempt('restore', RUN);
    expect(first(h, /-- iptables -w -X CRIU$/)).toBeGreaterThan(first(h, /^runc .* restore /));
    for (const family of ['ipv4', 'ipv6'] as const) {
      expect(h.tools.network.rules(TARGET_NS, 'CRIU', family)).toBeUndefined();
      expect(h.tools.network.rules(TARGET_NS, 'INPUT', family)).toEqual([]);
    }
    expect(h.tools.network.hostLinkOf(TARGET_NS)?.up).toBe(false);
    expect(h.rt.commandLines().filter((l) => l.startsWith(`ip link set ${veth(h, TARGET_NS)} up`))).toEqual([]);
    expect(h.tools.network.announced).toEqual([]);
  });

  it('after a crash before runc restore, reuses the namespace it made and restores once', async () => {
    const h = target();
    h.rt.crashBefore(command('runc', 'restore'));
    await expect(h.attempt('restore', RUN)).rejects.toThrow(SimulatedCrash);
    await h.attempt('restore', RUN);
    expect(h.rt.commandLines().filter((l) => l.startsWith('ip netns add'))).toHaveLength(1);
    expect(h.rt.commandLines().filter((l) => /^env CNI_COMMAND=ADD .*\/bridge$/.test(l))).toHaveLength(1);
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
    expect(h.tools.network.hostLinkOf(TARGET_NS)?.up).toBe(false);
    expect(h.tools.network.rules(TARGET_NS, 'CRIU')).toBeUndefined();
  });

  it('a host-network container is restored as before: connections closed, no namespace made', async () => {
    const h = target(false);
    await h.attempt('restore', RUN);
    expect(runcCalls(h.rt, 'restore')[0]).not.toContain('--tcp-established');
    expect(criuConfigOf(h, 'restore')).toMatch(/^tcp-close\n/);
    expect(networkCommands(h)).toEqual([]);
  });
});

describe('admitClients', () => {
  it('joins the link, then announces the address from here; says when', async () => {
    const h = target();
    await h.attempt('restore', RUN);
    const before = Date.now();
    const { admittedAt } = await h.attempt('admitClients', RUN);
    expect(admittedAt).toBeGreaterThanOrEqual(before);
    expect(admittedAt).toBeLessThanOrEqual(Date.now());
    expect(first(h, `ip link set ${veth(h, TARGET_NS)} up`)).toBeLessThan(first(h, /-- arping -U -c 1 -I eth0 10\.204\.0\.100$/));
    expect(h.tools.network.hostLinkOf(TARGET_NS)?.up).toBe(true);
    // Sent with the link up: the segment heard where the address is now.
    expect(h.tools.network.announced).toEqual([{ netns: TARGET_NS, address: ADDRESS, heard: true }]);
  });

  it('fails when there is no link to join', async () => {
    const h = target();
    await expect(h.attempt('admitClients', RUN)).rejects.toThrow(`container web on host beta has no link in /var/run/netns/${TARGET_NS} to join`);
  });

  const held = (h: TestHost) => h.tools.iptables.rules.ipv4.filter((r) => r.includes(`godwit-fence:${RUN.container}`));
  const withFencedPorts = () => {
    const h = target(false);
    h.rt.put(path.join(h.layout.incomingImages(RUN.runKey), FENCED_PORTS_FILE), JSON.stringify([{ family: 'ipv4', address: '0.0.0.0', port: 6379 }]));
    return h;
  };

  it('in the host\'s network: the ports its source fenced are fenced here, the same way, from before the restore until the admission', async () => {
    const h = withFencedPorts();
    await h.attempt('restore', RUN);
    expect(held(h)).toEqual([expect.stringMatching(/--dport 6379 .*-j REJECT --reject-with tcp-reset/)]);
    expect(first(h, / -I INPUT .*--dport 6379/)).toBeLessThan(first(h, / restore /));
    const before = Date.now();
    const { admittedAt } = await h.attempt('admitClients', RUN);
    expect(admittedAt).toBeGreaterThanOrEqual(before);
    expect(held(h)).toEqual([]);
  });

  it('in the host\'s network: a rollback lifts the hold with the copy; dropped, when the request says so', async () => {
    const h = withFencedPorts();
    await h.attempt('restore', { ...RUN, frozenConnections: 'drop' });
    expect(held(h)).toEqual([expect.stringMatching(/--dport 6379 .*-j DROP/)]);
    await h.attempt('stopTargetContainer', RUN);
    expect(held(h)).toEqual([]);
  });

  it('in the host\'s network, with images that name no ports: nothing held, null', async () => {
    const h = target(false);
    await h.attempt('restore', RUN);
    expect(held(h)).toEqual([]);
    await expect(h.attempt('admitClients', RUN)).resolves.toEqual({ admittedAt: null });
  });

  it('refuses a ports file that is not one', async () => {
    const h = target(false);
    for (const bad of [{ family: 'ipv4', address: '0.0.0.0', port: 0 }, { family: 'ipv4', address: '0.0.0.0/0 -j ACCEPT', port: 80 }]) {
      h.rt.put(path.join(h.layout.incomingImages(RUN.runKey), FENCED_PORTS_FILE), JSON.stringify([bad]));
      await expect(h.attempt('restore', RUN)).rejects.toThrow(/godwit-fenced-ports\.json on host beta is not a list of ports/);
    }
  });
});

describe('rollback and commit', () => {
  it("stopTargetContainer removes the target's namespace (CNI DEL, then ip netns del) once the copy is destroyed", async () => {
    const h = target();
    await h.attempt('restore', RUN);
    await h.attempt('stopTargetContainer', RUN);
    expect(h.tools.status(RUN.container)).toBe('absent');
    expect(first(h, /^runc .* delete --force web$/)).toBeLessThan(first(h, /^env CNI_COMMAND=DEL .*\/bridge$/));
    expect(first(h, /^env CNI_COMMAND=DEL .*\/bridge$/)).toBeLessThan(first(h, `ip netns del ${TARGET_NS}`));
    expect(h.tools.network.namespaces.has(TARGET_NS)).toBe(false);
    expect(h.tools.network.hostLinkOf(TARGET_NS)).toBeUndefined();
  });

  it('resumeSource lets new connections in and joins the link before the source runs again, and announces it', async () => {
    const h = source();
    await h.attempt('checkpoint', RUN);
    await expect(h.attempt('resumeSource', RUN)).resolves.toMatchObject({ action: 'resumed' });
    const resume = first(h, /^runc .* resume web$/);
    expect(first(h, HOLD_DELETED)).toBeLessThan(resume);
    expect(first(h, `ip link set ${veth(h, SOURCE_NS)} up`)).toBeLessThan(resume);
    expect(h.tools.network.rules(SOURCE_NS, 'INPUT')).toEqual([]);
    expect(h.tools.network.rules(SOURCE_NS, 'INPUT', 'ipv6')).toEqual([]);
    expect(h.tools.network.hostLinkOf(SOURCE_NS)?.up).toBe(true);
    expect(h.tools.network.announced).toEqual([{ netns: SOURCE_NS, address: ADDRESS, heard: true }]);
    expect(h.tools.status(RUN.container)).toBe('running');
  });

  it("commitSource removes the source's namespace once the original is destroyed", async () => {
    const h = source();
    await h.attempt('checkpoint', RUN);
    await h.attempt('commitSource', RUN);
    expect(h.tools.status(RUN.container)).toBe('absent');
    expect(first(h, /^runc .* delete --force web$/)).toBeLessThan(first(h, /^env CNI_COMMAND=DEL .*\/bridge$/));
    expect(first(h, /^env CNI_COMMAND=DEL .*\/bridge$/)).toBeLessThan(first(h, `ip netns del ${SOURCE_NS}`));
    expect(h.tools.network.namespaces.has(SOURCE_NS)).toBe(false);
  });
});

describe('preflightTarget of an own-network container', () => {
  const preflight = { container: RUN.container, cpuinfo: '', requiredBytes: 1 };
  const beta = () => testHost({ name: 'beta', containerNetwork: CONTAINER_NETWORK });

  /** The message of a refusal that no retry would change (PreconditionFailed). */
  const refusal = async (attempt: Promise<unknown>): Promise<string> => {
    const failure = await attempt.then(
      () => new Error('not refused'),
      (err: Error) => err,
    );
    expect(failure).toMatchObject({ type: 'PreconditionFailed' });
    return failure.message;
  };

  it('refuses an attachment the host cannot hold: no container network, another one, an address outside it', async () => {
    expect(await refusal(testHost({ name: 'beta' }).attempt('preflightTarget', { ...preflight, network: ATTACHMENT }))).toMatch(/^host beta has no container network/);
    expect(await refusal(beta().attempt('preflightTarget', { ...preflight, network: { ...ATTACHMENT, network: 'other-dc' } }))).toMatch(
      /^host beta is on container network godwit-lab, not other-dc/,
    );
    await expect(beta().attempt('preflightTarget', { ...preflight, network: { ...ATTACHMENT, address: '10.205.0.100' } })).rejects.toMatchObject({
      type: 'PreconditionFailed',
      message: 'address 10.205.0.100 is not a host address of godwit-lab (10.204.0.0/24) on host beta',
    });
  });

  it('refuses an address another MAC answers for on the network', async () => {
    const h = beta();
    h.tools.network.answers.set(ADDRESS, ['de:ad:be:ef:00:01']);
    await expect(h.attempt('preflightTarget', { ...preflight, network: ATTACHMENT })).rejects.toMatchObject({
      type: 'PreconditionFailed',
      message: `address ${ADDRESS} already answers on godwit-lab from de:ad:be:ef:00:01 (the container is ${ATTACHMENT.mac}): its connections could not follow it`,
    });
  });

  it('accepts an address only the container itself answers for (still on the source, same MAC)', async () => {
    const h = beta();
    h.tools.network.answers.set(ADDRESS, [ATTACHMENT.mac]);
    await expect(h.attempt('preflightTarget', { ...preflight, network: ATTACHMENT })).resolves.toMatchObject({ host: 'beta', cpuCompatible: true });
    expect(h.rt.commandLines('arping')).toEqual([`arping -b -c 2 -w 1 -s 0.0.0.0 -I gwc0 ${ADDRESS}`]);
    expect(h.tools.network.namespaces.size).toBe(0); // preflight changes nothing
  });

  it('refuses an address another MAC answers for after the container itself did (a first reply is not the only one)', async () => {
    const h = beta();
    h.tools.network.answers.set(ADDRESS, [ATTACHMENT.mac, 'de:ad:be:ef:00:02']);
    await expect(h.attempt('preflightTarget', { ...preflight, network: ATTACHMENT })).rejects.toMatchObject({
      type: 'PreconditionFailed',
      message: `address ${ADDRESS} already answers on godwit-lab from de:ad:be:ef:00:02 (the container is ${ATTACHMENT.mac}): its connections could not follow it`,
    });
  });

  it('refuses a host that already has a namespace for the container', async () => {
    const h = beta();
    h.tools.network.attached(TARGET_NS, ADDRESS, ATTACHMENT.mac);
    await expect(h.attempt('preflightTarget', { ...preflight, network: ATTACHMENT })).rejects.toMatchObject({
      type: 'PreconditionFailed',
      message: `host beta already has a network namespace for web (/var/run/netns/${TARGET_NS})`,
    });
  });
});
