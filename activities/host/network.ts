// A container's network across a move. In its host's network (no attachment), new clients
// are fenced from the freeze (fence.ts) and its connections are restored closed. With a
// network of its own, the address and connections go with it, in an order that keeps every
// connection (see the field notes):
// - new connections are held off (SYNs dropped in its namespace) before the freeze; if its
//   own unix sockets have connections queued (nginx's to PHP-FPM under load), its link is
//   cut at once and it is given a moment to accept them: CRIU cannot dump those;
// - otherwise the source's link is cut just after the freeze, before the dump. What clients sent in
//   between was acknowledged by the frozen kernel and is dumped with the socket, so a request
//   in flight at the freeze is answered by the target without waiting on a retransmission;
//   nothing is acknowledged after the dump (CRIU lifts its own lock then) since the link is cut;
// - the target's namespace is made, locked with CRIU's own chain, before its link comes up,
//   and its link is then held cut; the restore lifts CRIU's lock. Its clients are admitted
//   (link up, address announced) only at commit, once verify passed: a copy that served them
//   before a rollback would take writes the source never sees, and move their connections'
//   sequence numbers past the source's, which then answers them with resets (measured).
// A rollback joins the source's link again before the source runs; the commit deletes the
// source's namespace.
import path from 'node:path';
import { attachmentOf, attachmentProblem, type NetworkAttachment } from '../../policy/container-network';
import type { ConnectionHandling, RunRef } from '../../policy/host-contract';
import { frozenTogether } from '../../runtime/cgroup';
import { tcpSockets, unixBacklog } from '../../runtime/listening-ports';
import { log } from '@temporalio/activity';
import { admitToRestoredPorts, fenceNewConnections } from './fence';
import type { ListeningPort } from '../../runtime/proc-net';
import type { TcpConnections } from '../../runtime/runc';
import { ContainerNetns } from '../../runtime/container-netns';
import { preconditionFailed } from '../errors';
import type { HostContext } from './context';

/** The attachment in a bundle's config.json; null for a host-network container or no bundle. */
export async function attachmentInBundle({ rt, layout }: HostContext, container: string): Promise<NetworkAttachment | null> {
  const file = path.join(layout.bundle(container), 'config.json');
  if (!(await rt.exists(file))) return null;
  const config = JSON.parse((await rt.readFile(file)).toString('utf8')) as { annotations?: Record<string, string> };
  return attachmentOf(config.annotations);
}

export const tcpFor = (attachment: NetworkAttachment | null): TcpConnections => (attachment ? 'established' : 'close');

/** This host's side of its container network; a host without one cannot hold `attachment`. */
export function netnsOf(ctx: HostContext, attachment: NetworkAttachment): ContainerNetns {
  const problem = attachmentProblem(attachment, ctx.host.containerNetwork, ctx.host.name);
  if (problem || !ctx.host.containerNetwork) throw preconditionFailed(problem ?? `host ${ctx.host.name} has no container network`);
  return new ContainerNetns(ctx.rt, ctx.host.name, ctx.host.containerNetwork);
}

/**
 * Target preflight: the network can take the address, and nothing but the container itself
 * (still on the source, same MAC) answers for it there.
 */
export async function checkAddressFree(ctx: HostContext, container: string, attachment: NetworkAttachment): Promise<void> {
  const netns = netnsOf(ctx, attachment);
  if (await netns.exists(container)) throw preconditionFailed(`host ${ctx.host.name} already has a network namespace for ${container} (${netns.path(container)})`);
  const others = (await netns.answering(attachment.address)).filter((mac) => mac !== attachment.mac);
  if (others.length > 0) {
    throw preconditionFailed(`address ${attachment.address} already answers on ${ctx.host.containerNetwork?.name ?? 'the container network'} from ${others.join(', ')} (the container is ${attachment.mac}): its connections could not follow it`);
  }
}

/** Source, once frozen: the link cut, so nothing more reaches the frozen copy (idempotent). */
async function cutSourceLink(ctx: HostContext, run: RunRef, attachment: NetworkAttachment): Promise<void> {
  const netns = netnsOf(ctx, attachment);
  if (!(await netns.setLink(run.container, 'down'))) throw new Error(`container ${run.container} on host ${ctx.host.name} has no link in ${netns.path(run.container)} to cut`);
}

/** Source, on rollback before it runs again: new connections let in, the link joined, the address announced from here. */
export async function rejoinSourceLink(ctx: HostContext, container: string): Promise<void> {
  const attachment = await attachmentInBundle(ctx, container);
  if (!attachment) return;
  const netns = netnsOf(ctx, attachment);
  if (!(await netns.exists(container))) return;
  await netns.holdNewConnections(container, false);
  if (await netns.setLink(container, 'up')) await netns.announce(container, attachment);
}

/** Source, before its last way back (a restore from its own images): CRIU's lock, as on a target. */
export async function lockSourceNetns(ctx: HostContext, container: string, attachment: NetworkAttachment): Promise<void> {
  await netnsOf(ctx, attachment).lock(container);
}

/** Source, after that restore: the lock gone, if CRIU left it. */
export async function unlockSourceNetns(ctx: HostContext, container: string, attachment: NetworkAttachment): Promise<void> {
  await netnsOf(ctx, attachment).unlock(container);
}

/** Target, right before the restore: the namespace with the same address and MAC, locked, its link held cut. */
export async function prepareTargetNetns(ctx: HostContext, run: RunRef, attachment: NetworkAttachment): Promise<void> {
  const netns = netnsOf(ctx, attachment);
  await netns.attach(run.container, attachment, { locked: true });
  await netns.setLink(run.container, 'down');
}

/** Target, once restored: CRIU's lock gone (CRIU lifts it; a retried step may find it); the link stays cut. */
export async function afterTargetRestore(ctx: HostContext, run: RunRef, attachment: NetworkAttachment): Promise<void> {
  await netnsOf(ctx, attachment).unlock(run.container);
}

/** Target, at commit: its link joined and the address announced; when, or null for a host-network container. */
export async function admitTargetClients(ctx: HostContext, container: string): Promise<number | null> {
  const attachment = await attachmentInBundle(ctx, container);
  if (!attachment) return admitToRestoredPorts(ctx, container);
  const netns = netnsOf(ctx, attachment);
  if (!(await netns.setLink(container, 'up'))) throw new Error(`container ${container} on host ${ctx.host.name} has no link in ${netns.path(container)} to join`);
  const admittedAt = Date.now();
  await netns.announce(container, attachment);
  return admittedAt;
}

/** The container's namespace on this host, gone (commit on the source, rollback on the target). */
export async function removeContainerNetns(ctx: HostContext, container: string, attachment: NetworkAttachment | null): Promise<void> {
  const network = ctx.host.containerNetwork;
  if (!network) return;
  await new ContainerNetns(ctx.rt, ctx.host.name, network).remove(container, attachment);
}

/**
 * Source, before the freeze: new connections held off (own network) or turned away (host
 * network). Returns the ports fenced (host network), for the target to hold as well.
 */
export async function beforeFreeze(ctx: HostContext, run: RunRef, attachment: NetworkAttachment | null): Promise<ListeningPort[]> {
  if (!attachment) return fenceNewConnections(ctx, run);
  await netnsOf(ctx, attachment).holdNewConnections(run.container, true);
  return [];
}

/** How long a running container may take to accept what its own unix sockets queued, with its link cut. */
const UNIX_BACKLOG_SECONDS = 5;

/**
 * Source, before the freeze, a container with its own network: connections queued on its own
 * listening unix sockets (nginx's to PHP-FPM, under load) cannot be dumped, so when there are
 * any its link is cut now, while it still runs, and it is given a moment to accept them (no
 * new request arrives; the answers wait in their sockets, which the dump carries). Without
 * this, WordPress under Siege failed every dump (README, platform notes). Returns how long it waited.
 */
export async function settleUnixBacklog(ctx: HostContext, run: RunRef, attachment: NetworkAttachment | null, signal?: AbortSignal): Promise<number> {
  if (!attachment) return 0;
  const state = await ctx.runc.state(run.container);
  if (state === null || state.status !== 'running') return 0;
  const pending = async () => unixBacklog(ctx.rt, await frozenTogether(ctx.rt, state.pid));
  if ((await pending()) === 0) return 0;
  const started = Date.now();
  await cutSourceLink(ctx, run, attachment);
  while ((await pending()) > 0 && Date.now() - started < UNIX_BACKLOG_SECONDS * 1000 && !signal?.aborted) await new Promise((r) => setTimeout(r, 20));
  const waited = (Date.now() - started) / 1000;
  log.info('waited for the container to accept its queued unix connections', { container: run.container, seconds: waited });
  return waited;
}

/** Source, once frozen and before the dump: an own-network container's link cut. */
export async function onceFrozen(ctx: HostContext, run: RunRef, attachment: NetworkAttachment | null): Promise<void> {
  if (attachment) await cutSourceLink(ctx, run, attachment);
}

/** The container's established connections as it is frozen, and what the move does with them. */
export async function connectionsAtFreeze(ctx: HostContext, container: string, attachment: NetworkAttachment | null): Promise<ConnectionHandling | undefined> {
  const state = await ctx.runc.state(container);
  if (state === null) return undefined;
  const { established } = await tcpSockets(ctx.rt, await frozenTogether(ctx.rt, state.pid));
  return { handling: attachment ? 'kept' : 'closed', established };
}
