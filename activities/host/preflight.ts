// What both preflights check of this host before anything changes: root, the transport, CRIU
// (and the pipe limit post-copy's page server meets).
import type { CriuFacts, Peer } from '../../policy/host-contract';
import type { Transport } from '../../policy/transport';
import { dumpCapabilityProblem, parseProcStatus, type ProcessIdentity } from '../../policy/preflight';
import { frozenTogether } from '../../runtime/cgroup';
import { readPipeLimit } from '../../runtime/pipe-limit';
import { preconditionFailed } from '../errors';
import { sshTo } from '../routes';
import { readText, type HostContext } from './context';
import { tlsFiles } from './transport';

/** Root, the transport, then CRIU's facts; refused (non-retryable) when CRIU is not usable. */
export async function checkHost(ctx: HostContext, transport: Transport | undefined, target?: Peer): Promise<CriuFacts> {
  await requireRoot(ctx);
  await transportReady(ctx, transport, target);
  const facts = await ctx.criu.facts();
  if (!facts.usable) throw preconditionFailed(`CRIU is not usable on host ${ctx.host.name} (${facts.version}): ${facts.checkOutput}`);
  return { ...facts, lazyPagesPipe: await readPipeLimit(ctx.rt) };
}

/** Where a preflight dumps or checks the CPU's description; removed before it returns. */
export const cpuinfoDir = ({ layout }: HostContext, container: string) => layout.work(`preflight-${container}`, 'cpuinfo');
export const preflightRoot = ({ layout }: HostContext, container: string) => layout.workRoot(`preflight-${container}`);

/** CRIU and runc need root: an SSH user without it gets this, not a riddle from CRIU. */
async function requireRoot({ rt, host }: HostContext): Promise<void> {
  const uid = (await rt.executeOk('id', ['-u'])).stdout.trim();
  if (uid === '0') return; // one command on the usual path: over SSH each costs a round trip
  const name = (await rt.executeOk('id', ['-u', '-n'])).stdout.trim();
  throw preconditionFailed(`host ${host.name}: Godwit acts there as user ${name} (uid ${uid}), but CRIU and runc need root; give the host file a user that is root`);
}

/** What preflight checks of a transport on this host. */
async function transportReady(ctx: HostContext, transport: Transport | undefined, target?: Peer): Promise<void> {
  const { rt, host } = ctx;
  if (transport === 'criu-tls') {
    for (const file of Object.values(tlsFiles(ctx))) {
      if (!(await rt.exists(file))) throw preconditionFailed(`host ${host.name} lacks ${file}, named in its tls block (transport criu-tls)`);
    }
  }
  if (transport === 'ssh-tunnel' && target) {
    // Pinned key, credentials, forwarding: refused now rather than at the dump.
    const far = sshTo(target);
    try {
      await far.executeOk('true', []);
    } catch (err) {
      throw preconditionFailed(`host ${host.name} cannot open an SSH tunnel to ${target.name}: ${(err as Error).message}`);
    } finally {
      await far.close();
    }
  }
}

/**
 * Refuses, before any freeze, a container CRIU could not dump from here: one with a process
 * under another user while this host's root lacks CAP_SYS_RESOURCE (as in this sandbox).
 */
export async function dumpableHere(ctx: HostContext, container: string, initPid: number): Promise<void> {
  const { rt, host } = ctx;
  // The capabilities Godwit's processes have here; CRIU, started by runc as root, has the same.
  const capEff = (await readText(rt, '/proc/self/status')).match(/^CapEff:\s*([0-9a-f]+)/m)?.[1];
  if (capEff === undefined) return; // no /proc/self/status to read: nothing to judge by
  const processes: ProcessIdentity[] = [];
  for (const pid of await frozenTogether(rt, initPid)) {
    const identity = parseProcStatus(pid, await readText(rt, `/proc/${pid}/status`));
    if (identity) processes.push(identity);
  }
  const problem = dumpCapabilityProblem({ host: host.name, container, capEff, processes });
  if (problem) throw preconditionFailed(problem);
}
