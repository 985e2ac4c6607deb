// The real lab for end-to-end tests: a workload container on a real host, and checks of
// what a migration must leave behind (one running copy, nothing else).
import path from 'node:path';
import { writeFileSync, rmSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { connectToLab } from '../../infra/lab/client';
import { defaultLabOptions, labRemove, labRun, labUp, listContainers, type LabOptions } from '../../infra/lab/lab';
import { buildBundle, buildWorkloadBundle, readCounter } from '../../infra/demo/workload';
import { containerAddress } from '../../infra/lab/container-network';
import { containerNetnsName } from '../../policy/container-network';
import { waitFor } from '../../infra/lab/processes';
import { LocalRuntime } from '../../runtime/local';
import { mentions } from '../../runtime/daemon';
import { labHost, labStateFile, readLabState } from '../../infra/lab/state';
import { stopProcess } from '../../infra/lab/processes';
import { overlaps } from '../../policy/ipv4';
import type { LabHostState, LabState } from '../../infra/lab/state';
import type { Fault } from '../../activities/faults';
import { clearLink } from '../../bench/link';

/** The lab as tests leave it for each other: hosts with their own workers on one subnet, faults honoured. */
export function testLabOptions(): LabOptions {
  return { ...defaultLabOptions(), faultInjection: true };
}

/**
 * The lab as two networks: each host on a routed subnet of its own, so a container's address
 * cannot follow it, and the front that its clients come through.
 */
export function routedLabOptions(): LabOptions {
  return { ...testLabOptions(), front: true, subnets: 'per-host' };
}

/** Whether two lab hosts sit on different subnets (their addresses share no /24). */
export const onDifferentSubnets = (a: LabHostState, b: LabHostState) => !overlaps(`${a.address}/24`, `${b.address}/24`);

export async function bringLabUp(): Promise<LabState> {
  return tidied(await labUp(testLabOptions()));
}

/** Where a migration keeps its files on a host while it runs. */
const RUN_DIRECTORIES = ['outgoing', 'incoming', 'work'] as const;

/**
 * The lab as a test file needs to find it: no shaping a killed benchmark or fault run left on
 * the links, and no run directories an earlier file's failure left, which every later check
 * of leftovers would report again (one leak once failed 92 tests).
 */
async function tidied(lab: LabState): Promise<LabState> {
  await clearLink(lab);
  tidyLab(lab);
  return lab;
}

/**
 * Faults off, run directories gone. After each test, once it has checked its own leftovers,
 * so that the next test's check is about that test alone.
 */
export function tidyLab(lab: LabState | undefined): void {
  if (!lab) return; // the lab never came up: the test file's own failure says why
  clearFaults(lab);
  const cleared = lab.hosts.flatMap((h) => runEntries(h).map((entry) => ({ h, entry })));
  for (const { h, entry } of cleared) rmSync(path.join(h.stateDir, entry), { recursive: true, force: true });
  if (cleared.length > 0) console.warn(`lab: cleared run directories left behind: ${cleared.map(({ h, entry }) => `${h.name}:${entry}`).join(', ')}`);
}

/** A host's run directories, as `outgoing/<run>` (the lab's own `run-*` excepted). */
function runEntries(h: LabHostState): string[] {
  return RUN_DIRECTORIES.flatMap((dir) => {
    const full = path.join(h.stateDir, dir);
    return existsSync(full) ? readdirSync(full).filter((e) => !e.startsWith('run-')).map((e) => `${dir}/${e}`) : [];
  });
}

export interface LabSession {
  lab: LabState;
  client: Client;
}

/**
 * The lab, brought up as `options` says, and a client, for one test file. A file that changes
 * the lab's mode gives `restore`, so the next file finds it as tests leave it.
 */
export function useLab(options: LabOptions = testLabOptions(), restore?: LabOptions): LabSession {
  const session = {} as LabSession;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    session.lab = await tidied(await labUp(options));
    ({ client: session.client, close } = await connectToLab());
  }, 180_000);
  afterEach(() => tidyLab(session.lab));
  afterAll(async () => {
    await close?.();
    if (restore) await labUp(restore);
  }, 180_000);
  return session;
}

/** A lab host by name (throws when there is none). */
export const host = labHost;

export interface Workload {
  container: string;
  port: number;
  counterOn(h: LabHostState): Promise<number>;
}

/** Starts a fresh workload container on `on`, removing any earlier one of that name. */
export async function startWorkload(
  lab: LabState,
  on: string,
  container: string,
  port: number,
  opts: { alone: boolean; memoryMib?: number; annotations?: Record<string, string>; heartbeatDir?: string; network?: 'own' | 'host' } = { alone: true },
): Promise<Workload> {
  if (opts.alone) for (const h of lab.hosts) await labRemove(h.name, container);
  const bundle = await buildWorkloadBundle({ name: `${container}-${on}`, memoryMib: opts.memoryMib ?? 64, dirtyMibPerSec: 2, port, annotations: opts.annotations, heartbeatDir: opts.heartbeatDir });
  // In its host's network unless asked: the counter is then read at the host's address.
  await labRun(on, container, bundle, { unique: opts.alone, network: opts.network ?? 'host' });
  const workload: Workload = { container, port, counterOn: (h) => readCounter(containerAddress(h, container), port) };
  await waitFor(`${container} to count`, async () => (await workload.counterOn(host(lab, on))) > 0, 30_000);
  return workload;
}

export async function statusOn(h: LabHostState, container: string): Promise<string> {
  return (await listContainers(h)).find((c) => c.name === container)?.status ?? 'absent';
}

/**
 * What a finished migration must not leave on a host: run directories, processes working on
 * the host's files (page servers, lazy-pages, runc, copies), mounts under its state directory.
 */
export async function leftovers(h: LabHostState): Promise<string[]> {
  const found = runEntries(h);
  // The lab's own processes for this host (fresh: a test may have restarted the worker).
  const current = readLabState()?.hosts.find((x) => x.name === h.name);
  const own = new Set([current?.workerPid, current?.receiverPid, current?.ssh?.sshdPid]);
  const strays = (await new LocalRuntime().processes()).filter(
    (p) => !own.has(p.pid) && !p.argv.includes('--daemon') && mentions(p.argv, h.stateDir),
  );
  found.push(...strays.map((p) => `process ${p.pid} (${p.argv.slice(0, 3).map((a) => path.basename(a)).join(' ')})`));
  // A container's network namespace on a host that does not run it: its address would live
  // twice on the network, and connections in it would be half-open.
  const containers = new Set((await listContainers(h)).map((c) => c.name));
  const prefix = containerNetnsName(h.name, '');
  const namespaces = existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter((n) => n.startsWith(prefix)) : [];
  found.push(...namespaces.filter((n) => !containers.has(n.slice(prefix.length))).map((n) => `network namespace ${n}`));
  // A fence on the ports of a container the host does not run would keep the host's other
  // clients off them (a source's after commit, a target's hold after a rollback).
  const save = await new LocalRuntime().execute('nsenter', [`--net=/var/run/netns/${h.netns}`, '--', 'iptables-save', '-t', 'filter']);
  const fenced = new Set([...save.stdout.matchAll(/godwit-fence:([^\s"]+)/g)].map((m) => m[1]));
  found.push(...[...fenced].filter((c) => !containers.has(c)).map((c) => `fence on the ports of ${c}`));
  // Mount points under the state directory; the fault matrix's own small disks excepted.
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' '));
  for (const fields of mounts) {
    const [mountPoint, source] = [fields[4] ?? '', fields[fields.indexOf('-') + 2] ?? ''];
    if (mountPoint.startsWith(`${h.stateDir}/`) && !source.startsWith('godwit-fault-')) found.push(`mount ${mountPoint}`);
  }
  return found;
}

/**
 * Changes how the gateway of SSH host `name` logs in (pinned key, user) and restarts it with
 * the lab in `options`' mode, as if the host file had been edited.
 */
export async function changeSshAccess(session: LabSession, name: string, change: { hostKeyFingerprint?: string; user?: string }, options: LabOptions): Promise<void> {
  const state = readLabState();
  const entry = state?.hosts.find((h) => h.name === name);
  if (!state || !entry?.ssh) throw new Error(`${name} is not an SSH host`);
  Object.assign(entry.ssh, change);
  writeFileSync(labStateFile(), JSON.stringify(state));
  await stopProcess(entry.workerPid, entry.configFile);
  session.lab = await labUp(options); // writes the host file and starts the gateway again
}

export function injectFault(h: LabHostState, step: string, fault: Fault): void {
  writeFileSync(path.join(h.stateDir, 'faults.json'), JSON.stringify({ [step]: fault }));
}

export function clearFaults(lab: LabState): void {
  for (const h of lab.hosts) rmSync(path.join(h.stateDir, 'faults.json'), { force: true });
}

/** An OCI bundle of Debian's static busybox running `sh -c script`, as `user` (uid = gid) if given. */
export function busyboxBundle(name: string, script: string, user?: number): Promise<string> {
  return buildBundle(name, { 'bin/busybox': '/usr/bin/busybox' }, ['/bin/busybox', 'sh', '-c', script], { user });
}
