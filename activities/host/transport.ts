// How this host's steps reach the target for the run's transport: the file receiver and the
// page server (straight, or through an SSH tunnel), and CRIU's TLS files for criu-tls.
import type { PageServerEndpoint, Peer, RunRef } from '../../policy/host-contract';
import type { TlsFiles } from '../../policy/inventory';
import { criuTlsOptions } from '../../runtime/criu';
import { preconditionFailed } from '../errors';
import { throughTransport } from '../routes';
import type { HostContext } from './context';

/** Runs `push` with the target's file receiver as this run's transport reaches it. */
export function toReceiver<T>(ctx: HostContext, run: RunRef & { target: Peer }, push: (at: { address: string; port: number }) => Promise<T>): Promise<T> {
  return throughTransport(ctx.rt, run, run.target, { address: run.target.address, port: run.target.transferPort }, push);
}

/** Runs `dump` with the page server (if any) as this run's transport reaches it. */
export function toPageServer<T>(
  ctx: HostContext,
  run: RunRef & { pageServer?: PageServerEndpoint; target?: Peer },
  dump: (at?: PageServerEndpoint) => Promise<T>,
): Promise<T> {
  if (!run.pageServer || run.transport !== 'ssh-tunnel') return dump(run.pageServer);
  if (!run.target) throw new Error('a tunnelled dump needs the target host');
  return throughTransport(ctx.rt, run, run.target, run.pageServer, dump);
}

/** This host's TLS files for transport criu-tls; refused when it has none. */
export function tlsFiles({ host }: HostContext): TlsFiles {
  if (!host.tls) throw preconditionFailed(`host ${host.name} has no TLS certificate for transport criu-tls (a tls block in its host file)`);
  return host.tls;
}

/** CRIU options of this run's dumps: the dumping side's TLS under criu-tls. */
export function dumpOptions(ctx: HostContext, run: RunRef): string[] | undefined {
  return run.transport === 'criu-tls' ? criuTlsOptions(tlsFiles(ctx)) : undefined;
}
