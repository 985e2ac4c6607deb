// `godwit lab up|down|status|run`: a fleet of hosts on one machine. Each host is a network
// namespace on a lab bridge with its own runc root, cgroup parent, state directory, file
// receiver (rsync daemon) and host worker; one Temporal dev server serves them all.
import { startSshd } from './sshd';
import { ensureHostTls } from './tls';
import { devServerSearchAttributeArgs } from '../../policy/search-attributes';
import { closeSync, mkdirSync, openSync, readSync, writeFileSync, rmSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { HostConfig, HostEntry, Inventory, TlsFiles } from '../../policy/inventory';
import { ContainerName, HostName } from '../../policy/request';
import { ORCHESTRATOR_TASK_QUEUE, frontTaskQueue, hostTaskQueue } from '../../policy/names';
import type { FrontService } from '../../policy/front';
import { LAB_FRONT, ensureFront, frontedServices, stopFront } from './front';
import { spawnDaemon } from '../../runtime/exec';
import { LocalRuntime } from '../../runtime/local';
import { HostLayout } from '../../runtime/layout';
import { Runc, type ContainerStatus } from '../../runtime/runc';
import { placeBundle } from '../../runtime/bundle';
import { assertSubnetFree, ensureBridge, ensureHostNetwork, ensureHostUplink, ipForwarding, removeBridge, removeHostNetwork, removeHostUplink, setIpForwarding } from './network';
import { LAB_BRIDGE, labReach, labSite, labSubnetsAllowed, type LabSite, type LabSubnets } from './sites';
import { hostAddress, overlaps as overlapsLab, parseCidr } from '../../policy/ipv4';
import type { ContainerNetworkConfig } from '../../policy/container-network';
import {
  FABRIC_BRIDGE,
  HOST_BRIDGE,
  annotateBundle,
  attachLabContainer,
  attachmentFor,
  chooseAddress,
  containerAddress,
  defaultContainerSubnet,
  detachLabContainer,
  labAttachment,
  labContainerNetwork,
} from './container-network';
import { processAlive, stopProcess, waitFor } from './processes';
import { removeCgroupParent } from './cgroups';
import { LabError, labDir, labStateFile, readLabState, type LabHostState, type LabState, type LabStatus } from './state';
import { tools } from './tools';
import { bindVolumes, type LabVolume } from './volumes';
import { VOLUMES_MODULE } from '../../runtime/rsync';
import { projectRoot } from '../project-root';
import { DEFAULT_OUTBOUND_LIMIT } from '../../policy/slots';

const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;
const RECEIVER_PORT = 8873;
const DIST = path.join(projectRoot(), 'dist');

export interface LabOptions {
  hosts: string[];
  subnet: string;
  /** Host workers honour `<state>/faults.json` (end-to-end tests only). */
  faultInjection: boolean;
  /** Hosts driven over SSH by a gateway worker instead of a worker of their own. */
  sshHosts?: string[];
  /** Start the lab's front (infra/lab/front.ts); once started it stays up until `lab down`. */
  front?: boolean;
  /** Where the hosts sit (infra/lab/sites.ts); absent keeps the lab as it is, `shared` when new. */
  subnets?: LabSubnets;
  /**
   * The address the host and orchestrator workers reach the Temporal server at, when not
   * the server's own (the benchmark's latency proxy, bench/latency-proxy.ts). Workers on
   * another route are restarted.
   */
  serverRoute?: string;
}

/** The lab programs expect: alpha and beta on one subnet, the container network spanning them. */
export function defaultLabOptions(): LabOptions {
  return { hosts: ['alpha', 'beta'], subnet: process.env.GODWIT_LAB_SUBNET ?? '10.203.0.0/24', faultInjection: false, subnets: 'shared' };
}

/**
 * What each lab host offers its containers. Lab hosts share one machine, so each gets a
 * share of its own: rebalancing then sees a host loaded by its containers, not by the machine.
 */
export const LAB_HOST_CAPACITY = { cpuCores: 1, memoryBytes: 512 * 1024 * 1024 };

/** The lab's CA and host certificates (transport criu-tls). */
const tlsDir = () => path.join(labDir(), 'tls');

function tlsFilesOf(state: LabHostState): TlsFiles {
  return { caCert: path.join(tlsDir(), 'ca.pem'), cert: path.join(tlsDir(), `${state.name}.pem`), key: path.join(tlsDir(), `${state.name}.key`) };
}

/** How the fleet reaches a lab host: its receiver, and its sshd for an SSH host. */
function inventoryEntry(state: LabHostState): HostEntry {
  return {
    name: state.name,
    address: state.address,
    transferPort: RECEIVER_PORT,
    ...(state.ssh ? { ssh: { user: state.ssh.user, port: SSH_PORT, identityFile: state.ssh.identityFile, hostKeyFingerprint: state.ssh.hostKeyFingerprint } } : {}),
  };
}

/** The lab's container network, whose interfaces lab containers may hold; absent in a lab started before it. */
const containerNetworkOf = (lab: Pick<LabState, 'containerNetwork'> | null): ContainerNetworkConfig | undefined =>
  lab?.containerNetwork ? labContainerNetwork(lab.containerNetwork.subnet) : undefined;

/** The container network as hosts offer it: only while they share a subnet, which it spans. */
const offeredContainerNetwork = (lab: Pick<LabState, 'containerNetwork' | 'subnets'>): ContainerNetworkConfig | undefined =>
  lab.subnets === 'shared' ? containerNetworkOf(lab) : undefined;

/** A lab host's uplink to the containers' network, in the root namespace (cut it to cut the host off). */
export const labUplink = (host: Pick<LabHostState, 'name'>) => `gwn-${host.name}`.slice(0, 15);

export function hostConfig(state: LabHostState, containerNetwork?: ContainerNetworkConfig): HostConfig {
  return {
    ...inventoryEntry(state),
    stateDir: state.stateDir,
    netnsPath: netnsPath(state),
    cgroupParent: `godwit-${state.name}`,
    runc: tools().runc,
    criu: tools().criu,
    rsync: tools().rsync,
    capacity: LAB_HOST_CAPACITY,
    tls: tlsFilesOf(state),
    volumesDir: labVolumesDir(state),
    ...(containerNetwork ? { containerNetwork } : {}),
  };
}

/** Each lab host keeps its volumes apart from the others', so a migration really moves them. */
export const labVolumesDir = (host: Pick<LabHostState, 'stateDir'>) => path.join(host.stateDir, 'volumes');

/** sshd of an SSH lab host listens on the host's address, in its namespace. */
const SSH_PORT = 22;

/** Starts (or keeps) sshd for an SSH lab host and records what its gateway needs. */
async function ensureSshd(host: LabHostState): Promise<void> {
  const dir = path.join(host.stateDir, 'ssh');
  if (host.ssh && processAlive(host.ssh.sshdPid, path.join(dir, 'sshd_config'))) return;
  const sshd = await startSshd({ dir, address: host.address, port: SSH_PORT, netnsPath: netnsPath(host) });
  host.ssh = { sshdPid: sshd.pid, identityFile: sshd.identityFile, hostKeyFingerprint: sshd.hostKeyFingerprint, user: host.ssh?.user ?? 'root' };
}

/** Identifies the compiled code: the newest modification time under dist/. */
function buildId(): string {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(DIST);
  return String(newest);
}

function netnsPath(host: LabHostState): string {
  return `/var/run/netns/${host.netns}`;
}

function saveState(state: LabState): void {
  writeFileSync(labStateFile(), `${JSON.stringify(state, null, 2)}\n`);
}

function log(line: string): void {
  console.error(`lab: ${line}`);
}

/** rsyncd configuration: a writable module over the host's state directory, lab subnets only. */
export function receiverConfig(host: LabHostState, allowed: readonly string[]): string {
  const hostsAllow = allowed.join(' ');
  return [
    'uid = root',
    'gid = root',
    'use chroot = yes',
    'numeric ids = yes',
    // Peers are addresses, not names: a reverse lookup would only wait on DNS the lab lacks.
    'reverse lookup = no',
    // Its small replies otherwise wait on the peer's delayed ACK (runtime/rsync.ts says more).
    'socket options = TCP_NODELAY',
    `pid file = ${path.join(host.stateDir, 'receiver.pid')}`,
    `log file = ${path.join(host.stateDir, 'receiver.log')}`,
    '[godwit]',
    `  path = ${host.stateDir}`,
    '  read only = no',
    `  hosts allow = ${hostsAllow}`,
    '  hosts deny = *',
    // Peers may write bundles and incoming images, nothing that drives the host itself, nor
    // the logs it keeps of failed runs (a peer could forge or hide what a person reads there).
    '  exclude = /runc/ /work/ /outgoing/ /volumes/ /diagnostics/ /faults.json /host.json /rsyncd.conf',
    // Volumes arrive through a module of their own, as on a host whose volumesDir lies elsewhere.
    `[${VOLUMES_MODULE}]`,
    `  path = ${labVolumesDir(host)}`,
    '  read only = no',
    `  hosts allow = ${hostsAllow}`,
    '  hosts deny = *',
    '',
  ].join('\n');
}

export async function temporalReady(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

async function hasPollers(address: string, taskQueue: string, type: temporal.api.enums.v1.TaskQueueType): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    const response = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: type });
    return (response.pollers ?? []).length > 0;
  } finally {
    await connection.close();
  }
}

export async function labUp(options: LabOptions = defaultLabOptions()): Promise<LabState> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, runc, CRIU)');
  for (const name of options.hosts) HostName.parse(name);
  const { prefix } = parseCidr(options.subnet);
  if (prefix !== 24) throw new Error(`the lab subnet must be a /24, got ${options.subnet}`);
  const previous = readLabState();
  if (previous && previous.subnet !== options.subnet) throw new Error(`the lab is up on ${previous.subnet}; run "godwit lab down" first`);
  const subnets = options.subnets ?? previous?.subnets ?? 'shared';
  for (const tool of [tools().criu, tools().temporal, tools().runc, tools().rsync, '/usr/lib/cni/bridge', '/usr/bin/arping']) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run infra/bootstrap.sh`);
  }
  mkdirSync(labDir(), { recursive: true });
  await assertSubnetFree(options.subnet, LAB_BRIDGE);
  const gateway = hostAddress(options.subnet, 1);
  await ensureBridge(LAB_BRIDGE, gateway, prefix);

  const address = `${gateway}:${TEMPORAL_PORT}`;
  const build = buildId();
  // Workers on another route to the server run other settings: the route is part of what they run.
  const workerAddress = options.serverRoute ?? address;
  const workerBuild = options.serverRoute ? `${build} via ${options.serverRoute}` : build;
  const state: LabState = previous ?? {
    subnet: options.subnet,
    subnets,
    bridge: LAB_BRIDGE,
    gateway,
    temporal: { address, ui: `http://127.0.0.1:${UI_PORT}`, pid: null, dbFile: path.join(labDir(), 'temporal.db') },
    orchestratorPid: null,
    orchestratorBuild: '',
    inventoryFile: path.join(labDir(), 'inventory.json'),
    hosts: [],
  };
  // The containers' network: its own subnet and switch, beside the hosts' (kept across `up`s).
  if (!state.containerNetwork) {
    const subnet = defaultContainerSubnet();
    if (parseCidr(subnet).prefix !== 24) throw new Error(`the lab's container subnet must be a /24, got ${subnet}`);
    if (overlapsLab(subnet, options.subnet)) throw new Error(`the container subnet ${subnet} overlaps the lab subnet ${options.subnet}`);
    state.containerNetwork = { subnet, bridge: FABRIC_BRIDGE, gateway: hostAddress(subnet, 1) };
  }
  await assertSubnetFree(state.containerNetwork.subnet, FABRIC_BRIDGE);
  await ensureBridge(FABRIC_BRIDGE, state.containerNetwork.gateway, 24);

  if (!processAlive(state.temporal.pid, 'start-dev')) {
    log(`starting Temporal dev server on ${address} (UI ${state.temporal.ui})`);
    state.temporal.pid = spawnDaemon(
      tools().temporal,
      // 0.0.0.0: the dev server's internal services only work when bound to all addresses
      // (bound to the bridge alone they dial each other on 127.0.0.1 and fail). The UI stays local.
      ['server', 'start-dev', '--ip', '0.0.0.0', '--port', String(TEMPORAL_PORT), '--ui-ip', '127.0.0.1', '--ui-port', String(UI_PORT),
        '--db-filename', state.temporal.dbFile, '--log-level', 'warn', '--ui-disable-news-fetch', ...devServerSearchAttributeArgs()],
      { logFile: path.join(labDir(), 'temporal.log') },
    );
    saveState(state);
  }
  await waitFor('the Temporal dev server', () => temporalReady(address), 60_000);

  options.hosts.forEach((name) => {
    if (!state.hosts.some((h) => h.name === name)) {
      state.hosts.push({
        name,
        address: labSite(options.subnet, state.hosts.length, subnets).address,
        netns: `godwit-${name}`,
        veth: `gw-${name}`.slice(0, 15),
        stateDir: path.join(labDir(), 'hosts', name),
        configFile: path.join(labDir(), 'hosts', name, 'host.json'),
        workerPid: null,
        faultInjection: false,
        build: '',
        receiverPid: null,
        ssh: null,
      });
    }
  });

  const sites = await placeHosts(state, subnets);
  await ensureHostTls(tlsDir(), state.hosts);
  const containerNetwork = offeredContainerNetwork(state);
  const allowed = labSubnetsAllowed(state.subnet, state.hosts.length, subnets);
  /** Workers started by this call, and where their logs stood before. */
  const started = new Map<string, { logFile: string; from: number }>();

  for (const [index, host] of state.hosts.entries()) {
    const site = sites[index];
    await ensureHostNetwork({ netns: host.netns, veth: host.veth, bridge: site.bridge, address: host.address, prefix: 24, gateway: site.gateway, reach: labReach(state.subnet) });
    if (containerNetwork) await ensureHostUplink({ netns: host.netns, hostBridge: HOST_BRIDGE, uplink: labUplink(host), fabric: FABRIC_BRIDGE });
    else await removeHostUplink(labUplink(host));
    mkdirSync(host.stateDir, { recursive: true });
    const viaSsh = options.sshHosts?.includes(host.name) ?? false;
    // A host switching between its own worker and a gateway gets a new worker.
    if (viaSsh !== (host.ssh !== null)) await stopProcess(host.workerPid, host.configFile);
    if (viaSsh) await ensureSshd(host);
    else if (host.ssh) {
      await stopProcess(host.ssh.sshdPid, path.join(host.stateDir, 'ssh', 'sshd_config'));
      host.ssh = null;
    }
    writeFileSync(host.configFile, `${JSON.stringify(hostConfig(host, containerNetwork), null, 2)}\n`);
    const receiverConf = path.join(host.stateDir, 'rsyncd.conf');
    writeFileSync(receiverConf, receiverConfig(host, allowed));
    if (!processAlive(host.receiverPid, receiverConf)) {
      host.receiverPid = spawnDaemon(
        tools().nsenter,
        [`--net=${netnsPath(host)}`, '--', tools().rsync, '--daemon', '--no-detach', `--config=${receiverConf}`, `--address=${host.address}`, `--port=${RECEIVER_PORT}`],
        { logFile: path.join(host.stateDir, 'receiver.out') },
      );
    }
    // A worker running other code, or with other test settings, is replaced.
    if (host.faultInjection !== options.faultInjection || host.build !== workerBuild) await stopProcess(host.workerPid, host.configFile);
    if (!processAlive(host.workerPid, host.configFile)) {
      log(host.ssh ? `starting gateway worker for ${host.name} (over SSH to ${host.address})` : `starting host worker ${host.name} (${host.address}) in netns ${host.netns}`);
      host.faultInjection = options.faultInjection;
      host.build = workerBuild;
      // nsenter, not `ip netns exec`: the latter remounts /sys, hiding the cgroup file
      // systems that runc needs to freeze containers.
      const worker = [tools().node, path.join(DIST, 'workers', 'host-worker.js'), '--config', host.configFile];
      // A gateway runs outside the host's namespace: it reaches the host only through sshd.
      const logFile = path.join(host.stateDir, 'worker.log');
      started.set(host.name, { logFile, from: existsSync(logFile) ? statSync(logFile).size : 0 });
      host.workerPid = spawnDaemon(
        host.ssh ? worker[0] : tools().nsenter,
        host.ssh ? worker.slice(1) : [`--net=${netnsPath(host)}`, '--', ...worker],
        {
          logFile,
          env: { ...process.env, TEMPORAL_ADDRESS: workerAddress, GODWIT_TEST_FAULTS: options.faultInjection ? '1' : '0' },
        },
      );
    }
    saveState(state);
  }

  // After the hosts: an SSH host's entry carries its sshd's pinned key.
  if (options.front || state.front) {
    state.front ??= { haproxyPid: null, workerPid: null, build: '', services: [] };
    await ensureFront(state.front, { gateway: state.gateway, current: await frontServers(state), build, temporalAddress: address, restart: false, dist: DIST });
    saveState(state);
  }
  writeInventory(state);

  if (state.orchestratorBuild !== workerBuild) await stopProcess(state.orchestratorPid, 'orchestrator-worker');
  if (!processAlive(state.orchestratorPid, 'orchestrator-worker')) {
    log(`starting orchestrator worker${options.serverRoute ? ` (to the server via ${options.serverRoute})` : ''}`);
    state.orchestratorBuild = workerBuild;
    state.orchestratorPid = spawnDaemon(
      tools().node,
      [path.join(DIST, 'workers', 'orchestrator-worker.js'), '--inventory', state.inventoryFile],
      { logFile: path.join(labDir(), 'orchestrator.log'), env: { ...process.env, TEMPORAL_ADDRESS: workerAddress } },
    );
    saveState(state);
  }

  const { TASK_QUEUE_TYPE_ACTIVITY, TASK_QUEUE_TYPE_WORKFLOW } = temporal.api.enums.v1.TaskQueueType;
  if (state.front) await frontWorkerPolling(address);
  for (const host of state.hosts) {
    const what = `host worker ${host.name} (log: ${path.join(host.stateDir, 'worker.log')})`;
    // The server lists a stopped worker's pollers for minutes: a restarted worker counts once
    // its own log says it runs.
    const fresh = started.get(host.name);
    if (fresh) await waitFor(what, () => Promise.resolve(logSince(fresh).includes("state: 'RUNNING'")), 60_000);
    await waitFor(what, () => hasPollers(address, hostTaskQueue(host.name), TASK_QUEUE_TYPE_ACTIVITY), 60_000);
  }
  await waitFor(`the orchestrator worker (log: ${path.join(labDir(), 'orchestrator.log')})`, () => hasPollers(address, ORCHESTRATOR_TASK_QUEUE, TASK_QUEUE_TYPE_WORKFLOW), 90_000);
  return state;
}

/**
 * Puts each host on its site (infra/lab/sites.ts), with the root namespace routing between
 * sites when they are apart. A host whose address changes loses what listened on the old one:
 * its worker, file receiver and sshd start again on the new. Returns each host's site, in order.
 */
async function placeHosts(state: LabState, subnets: LabSubnets): Promise<LabSite[]> {
  const sites = state.hosts.map((_, index) => labSite(state.subnet, index, subnets));
  for (const [index, host] of state.hosts.entries()) {
    const site = sites[index];
    if (subnets === 'per-host') {
      await assertSubnetFree(site.subnet, site.bridge);
      await ensureBridge(site.bridge, site.gateway, 24);
    }
    if (host.address === site.address) continue;
    log(`moving ${host.name} from ${host.address} to ${site.address} (${subnets === 'per-host' ? `a subnet of its own, ${site.subnet}` : `the lab subnet ${state.subnet}`})`);
    await stopHostDaemons(host);
    host.address = site.address;
  }
  if (subnets === 'per-host' && state.forwardingBefore === undefined) {
    state.forwardingBefore = ipForwarding();
    setIpForwarding('1');
  }
  if (subnets === 'shared') await unrouteSites(state);
  state.subnets = subnets;
  saveState(state);
  return sites;
}

/** Back to one subnet (or down): the per-host bridges go, and forwarding is as the lab found it. */
async function unrouteSites(state: LabState): Promise<void> {
  for (const index of state.hosts.keys()) await removeBridge(labSite(state.subnet, index, 'per-host').bridge);
  if (state.forwardingBefore !== undefined) setIpForwarding(state.forwardingBefore);
  delete state.forwardingBefore;
}

/** Stops what a lab host runs in its namespace: worker, file receiver, sshd. */
async function stopHostDaemons(host: LabHostState): Promise<void> {
  await stopProcess(host.workerPid, host.configFile);
  await stopProcess(host.receiverPid, path.join(host.stateDir, 'rsyncd.conf'));
  await stopProcess(host.ssh?.sshdPid ?? null, path.join(host.stateDir, 'ssh', 'sshd_config'));
}

/** What a log file gained since `from` bytes. */
function logSince(log: { logFile: string; from: number }): string {
  if (!existsSync(log.logFile)) return '';
  const fd = openSync(log.logFile, 'r');
  try {
    const length = Math.max(0, statSync(log.logFile).size - log.from);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, log.from);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export async function labDown(): Promise<void> {
  const state = readLabState();
  if (!state) {
    log('no lab is up');
    return;
  }
  await stopProcess(state.orchestratorPid, 'orchestrator-worker');
  await stopFront(state.front);
  await unrouteSites(state);
  for (const host of state.hosts) {
    await stopHostDaemons(host);
    const runc = new Runc(new LocalRuntime(), { runc: tools().runc, criu: tools().criu, root: new HostLayout(host.stateDir).runcRoot });
    const network = containerNetworkOf(state);
    for (const container of await listContainers(host)) {
      await runc.destroy(container.name);
      if (network) await detachLabContainer(host, network, container.name);
    }
    removeCgroupParent(hostConfig(host).cgroupParent);
    await removeHostUplink(labUplink(host));
    await removeHostNetwork(host.netns, host.veth);
  }
  await stopProcess(state.temporal.pid, 'start-dev');
  await removeBridge(state.bridge);
  if (state.containerNetwork) await removeBridge(state.containerNetwork.bridge);
  rmSync(labDir(), { recursive: true, force: true });
  log('down: containers, cgroups, workers, receivers, Temporal server, namespaces, bridge and state removed');
}

export async function listContainers(host: LabHostState): Promise<{ name: string; status: ContainerStatus }[]> {
  const rt = new LocalRuntime();
  const result = await rt.execute(tools().runc, ['--root', new HostLayout(host.stateDir).runcRoot, 'list', '--format', 'json']);
  if (result.code !== 0) return [];
  const list = JSON.parse(result.stdout || 'null') as { id: string; status: ContainerStatus }[] | null;
  return (list ?? []).map((c) => ({ name: c.id, status: c.status }));
}

export async function labStatus(): Promise<LabStatus> {
  const state = readLabState();
  if (!state) return { up: false, hosts: [] };
  return {
    up: true,
    subnets: state.subnets,
    temporal: { address: state.temporal.address, ui: state.temporal.ui, running: processAlive(state.temporal.pid, 'start-dev') },
    orchestrator: processAlive(state.orchestratorPid, 'orchestrator-worker'),
    hosts: await Promise.all(
      state.hosts.map(async (h) => ({
        name: h.name,
        address: h.address,
        worker: processAlive(h.workerPid, h.configFile),
        receiver: processAlive(h.receiverPid, path.join(h.stateDir, 'rsyncd.conf')),
        volumesDir: labVolumesDir(h),
        containers: (await listContainers(h)).map((c) => ({ ...c, address: containerAddress(h, c.name), network: labAttachment(h, c.name) ? ('own' as const) : ('host' as const) })),
      })),
    ),
  };
}

/** The inventory, from the lab's state: read anew by the orchestrator at each look-up. */
function writeInventory(state: LabState): void {
  const inventory: Inventory = { hosts: state.hosts.map(inventoryEntry), frontedServices: frontedServices(state.front), maxOutboundMigrationsPerHost: DEFAULT_OUTBOUND_LIMIT };
  writeFileSync(state.inventoryFile, `${JSON.stringify(inventory, null, 2)}\n`);
}

/** Each fronted service's server now: the address of the host its container runs on. */
async function frontServers(state: LabState): Promise<FrontService[]> {
  const services = state.front?.services ?? [];
  if (services.length === 0) return [];
  const servers: FrontService[] = [];
  for (const h of state.hosts) {
    const running = new Set((await listContainers(h)).filter((c) => c.status === 'running').map((c) => c.name));
    for (const service of services) {
      if (running.has(service.container)) servers.push({ backend: service.backend, server: { host: h.name, address: h.address, port: service.port } });
    }
  }
  return servers;
}

/** Waits until the front's worker polls its task queue. */
async function frontWorkerPolling(temporalAddress: string): Promise<void> {
  const { TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  await waitFor(`the front's worker (log: ${path.join(labDir(), 'front', 'worker.log')})`, () => hasPollers(temporalAddress, frontTaskQueue(LAB_FRONT), TASK_QUEUE_TYPE_ACTIVITY), 60_000);
}

/**
 * Puts a running host-network container behind the lab's front: a service at the gateway's
 * address and `port`, its server the container's host. HAProxy and the front's worker start
 * again with it (never during a migration of a container behind it).
 */
export async function labFront(container: string, port: number, mode: 'http' | 'tcp'): Promise<string> {
  const state = readLabState();
  if (!state?.front) throw new LabError('the lab has no front: run "godwit lab up --front"');
  const backend = container.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
  const others = state.front.services.filter((s) => s.container !== container);
  if (others.some((s) => s.port === port)) throw new LabError(`the front already serves port ${port}`);
  state.front.services = [...others, { container, backend, port, mode }];
  await ensureFront(state.front, { gateway: state.gateway, current: await frontServers(state), build: state.front.build, temporalAddress: state.temporal.address, restart: true, dist: DIST });
  saveState(state);
  writeInventory(state);
  await frontWorkerPolling(state.temporal.address);
  return `${state.gateway}:${port}`;
}

export interface LabRunOptions {
  /** No other lab host may have a container of this name (a test may say otherwise). */
  unique: boolean;
  volumes?: readonly LabVolume[];
  /**
   * `own` (the default): a network namespace and address of its own on the lab's container
   * network (`ip`, or the first free one), which move with it. `host`: the host's namespace.
   */
  network?: 'own' | 'host';
  ip?: string;
}

/**
 * Starts any OCI bundle as a container on a lab host (copied into the host's bundles). Each of
 * `volumes` is created (if new) as <volumesDir>/<container>/<name> and bind-mounted at its path.
 * Returns the address clients reach it at.
 */
export async function labRun(hostName: string, container: string, bundleDir: string, opts: LabRunOptions = { unique: true }): Promise<string> {
  ContainerName.parse(container);
  if (!existsSync(bundleDir)) throw new LabError(`no bundle at ${bundleDir}`);
  const state = readLabState();
  const host = state?.hosts.find((h) => h.name === hostName);
  if (!state || !host) throw new LabError(`no lab host "${hostName}"${state ? ` (hosts: ${state.hosts.map((h) => h.name).join(', ')})` : '; run "godwit lab up"'}`);
  if (!existsSync(path.join(bundleDir, 'config.json'))) throw new LabError(`${bundleDir} is not an OCI bundle (no config.json)`);
  const rt = new LocalRuntime();
  const layout = new HostLayout(host.stateDir);
  const runc = new Runc(rt, { runc: tools().runc, criu: tools().criu, root: layout.runcRoot });
  // Names are the fleet's handle on a container: one name, one container, unless a test says otherwise.
  for (const other of opts.unique ? state.hosts : [host]) {
    const found = (await listContainers(other)).find((c) => c.name === container);
    if (found) throw new LabError(`a container named ${container} already exists on ${other.name} (${found.status})`);
  }
  const bundle = layout.bundle(container);
  await rt.mkdirp(bundle);
  await rt.executeOk(tools().rsync, ['-aH', '--delete', `${path.resolve(bundleDir)}/`, `${bundle}/`]);
  if (opts.volumes?.length) await bindVolumes(rt, bundle, path.join(labVolumesDir(host), container), opts.volumes);
  const network = containerNetworkOf(state);
  if ((opts.network ?? 'own') === 'host') {
    if (opts.ip !== undefined) throw new LabError('--ip is for a container with a network of its own (--network own)');
    await placeBundle(rt, bundle, container, { netnsPath: netnsPath(host), cgroupParent: hostConfig(host).cgroupParent });
    await runc.run(container, bundle, path.join(layout.work(`run-${container}`, 'run'), 'runc.log'));
    return host.address;
  }
  if (!network) throw new LabError('this lab has no container network (it was started by an older godwit): run "godwit lab down" and "godwit lab up"');
  if (!offeredContainerNetwork(state)) {
    throw new LabError('the lab\'s hosts are on subnets of their own (lab up --subnets per-host): an address of its own could not follow the container; run it with --network host, behind the front (--front PORT)');
  }
  const attachment = attachmentFor(chooseAddress(state, network.subnet, opts.ip));
  await annotateBundle(rt, bundle, attachment);
  const ownNetnsPath = await attachLabContainer(host, network, container, attachment);
  await placeBundle(rt, bundle, container, { ownNetnsPath, cgroupParent: hostConfig(host).cgroupParent });
  try {
    await runc.run(container, bundle, path.join(layout.work(`run-${container}`, 'run'), 'runc.log'));
  } catch (err) {
    await detachLabContainer(host, network, container);
    throw err;
  }
  return attachment.address;
}

/** Removes a container from a lab host, whatever its state. */
export async function labRemove(hostName: string, container: string): Promise<void> {
  ContainerName.parse(container);
  const state = readLabState();
  const host = state?.hosts.find((h) => h.name === hostName);
  if (!host) throw new LabError(`no lab host "${hostName}"`);
  const layout = new HostLayout(host.stateDir);
  const rt = new LocalRuntime();
  await new Runc(rt, { runc: tools().runc, criu: tools().criu, root: layout.runcRoot }).destroy(container);
  const network = containerNetworkOf(state);
  if (network) await detachLabContainer(host, network, container); // before its bundle, which names its address
  // Its volumes too (`godwit lab run --volume` puts them in one directory per container).
  await rt.remove(path.join(labVolumesDir(host), container));
  await rt.remove(layout.bundle(container));
  // labRun's own log of starting it, and the logs kept of its runs that did not migrate
  // (activities/host/diagnostics.ts): nothing of the container stays.
  await rt.remove(layout.workRoot(`run-${container}`));
  await rt.remove(layout.diagnosticsRoot(container));
}
