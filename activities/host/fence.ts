// A host-network container's ports across a move (runtime/connection-fence.ts). New
// connections to a frozen source are refused from the freeze: a client then fails over to the
// live copy at once instead of hanging on one that will never serve it (measured: a client
// without timeouts reached the target ~400 ms sooner; dropping the SYNs instead held it up to
// 1.4 s longer than no fence at all). The same ports are fenced the same way on the target from
// before its restore until commit, so the copy serves nobody whose writes a rollback would take
// away; a client that fails over keeps trying both until the admission.
import path from 'node:path';
import { log } from '@temporalio/activity';
import { z } from 'zod';
import type { RunRef } from '../../policy/host-contract';
import { Port } from '../../policy/ipv4';
import { frozenTogether } from '../../runtime/cgroup';
import { fenceConnections, unfenceConnections, type FenceMode } from '../../runtime/connection-fence';
import { fenceTag } from '../../runtime/fence-rules';
import { listeningPorts } from '../../runtime/listening-ports';
import type { ListeningPort } from '../../runtime/proc-net';
import type { HostContext } from './context';

/** Beside the source's images, the ports its fence held: the target holds the same ones. */
export const FENCED_PORTS_FILE = 'godwit-fenced-ports.json';

/** An address as /proc prints a listener's (dotted IPv4, or IPv6 in hex and colons). */
const ListenerAddress = z.string().regex(/^[0-9a-fA-F:.]{2,45}$/, 'an IP address');
const FencedPorts = z.array(z.object({ family: z.enum(['ipv4', 'ipv6']), address: ListenerAddress, port: Port }).strict()).max(4096);

const modeFor = (run: RunRef): FenceMode => (run.frozenConnections === 'drop' ? 'drop' : 'reject');

async function fence(ctx: HostContext, container: string, ports: ListeningPort[], mode: FenceMode): Promise<void> {
  const fenced = await fenceConnections(ctx.rt, { ports, mode, tag: fenceTag(container) });
  if (!fenced.ipv6.available) log.warn('IPv6 listeners of the container are not fenced', { container, host: ctx.host.name, reason: fenced.ipv6.reason });
}

/**
 * Fences the container's listening ports (before the freeze, and again on a retry: idempotent)
 * and returns them.
 */
export async function fenceNewConnections(ctx: HostContext, run: RunRef): Promise<ListeningPort[]> {
  const state = await ctx.runc.state(run.container);
  if (state === null) return [];
  const ports = await listeningPorts(ctx.rt, await frozenTogether(ctx.rt, state.pid));
  await fence(ctx, run.container, ports, modeFor(run));
  return ports;
}

/** Source, with the images: the fenced ports go where the images go. */
export async function recordFencedPorts(ctx: HostContext, imagesDir: string, ports: readonly ListeningPort[]): Promise<void> {
  await ctx.rt.writeFile(path.join(imagesDir, FENCED_PORTS_FILE), `${JSON.stringify(ports)}\n`);
}

/**
 * Target, before a host-network restore: the ports the source fenced, fenced here too until
 * admitToRestoredPorts. Images without the file (a source before this) hold nothing.
 */
export async function holdRestoredPorts(ctx: HostContext, run: RunRef, imagesDir: string): Promise<void> {
  const file = path.join(imagesDir, FENCED_PORTS_FILE);
  if (!(await ctx.rt.exists(file))) return;
  const parsed = FencedPorts.safeParse(JSON.parse((await ctx.rt.readFile(file)).toString('utf8')));
  if (!parsed.success) throw new Error(`${file} on host ${ctx.host.name} is not a list of ports: ${parsed.error.issues[0]?.message ?? ''}`);
  await fence(ctx, run.container, parsed.data, modeFor(run));
}

/** Target, at commit: the hold lifted; the moment clients came in, or null when nothing held them. */
export async function admitToRestoredPorts(ctx: HostContext, container: string): Promise<number | null> {
  const { removed } = await unfenceConnections(ctx.rt, fenceTag(container));
  return removed > 0 ? Date.now() : null;
}

/** Lets clients in again: before a resumed source runs, once a destroyed one is gone, before a restore. */
export async function unfenceNewConnections(ctx: HostContext, container: string): Promise<void> {
  await unfenceConnections(ctx.rt, fenceTag(container));
}
