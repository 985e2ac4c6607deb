// What both preflights check of this host before anything changes: root, the transport, CRIU.
import type { CriuFacts, Peer } from '../../policy/host-contract';
import type { Transport } from '../../policy/transport';
import { preconditionFailed } from '../errors';
import { sshTo } from '../routes';
import type { HostContext } from './context';
import { tlsFiles } from './transport';

/** Root, the transport, then CRIU's facts; refused (non-retryable) when CRIU is not usable. */
export async function checkHost(ctx: HostContext, transport: Transport | undefined, target?: Peer): Promise<CriuFacts> {
  await requireRoot(ctx);
  await transportReady(ctx, transport, target);
  const facts = await ctx.criu.facts();
  if (!facts.usable) throw preconditionFailed(`CRIU is not usable on host ${ctx.host.name} (${facts.version}): ${facts.checkOutput}`);
  return facts;
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
