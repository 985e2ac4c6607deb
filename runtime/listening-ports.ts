// The TCP ports a container's processes listen on, read from /proc on its host: their fds
// that are sockets, matched against the TCP tables of their network namespace. Containers
// here share the host's namespace, so the tables also list the host's own listeners (the
// worker, rsync, sshd); only the inodes the container's fds hold pick its own.
import { CommandError, type ExecOptions, type ExecResult } from './exec';
import type { HostRuntime } from './host-runtime';
import { establishedAmong, listenersAmong, unixBacklogAmong, type ListeningPort } from './proc-net';

export type { ListeningPort };

/**
 * A command over files of processes that may end meanwhile (a running container forks and
 * reaps): its output stands if every complaint is about a file that is no longer there.
 */
function vanishedOnly(command: string, args: readonly string[], result: ExecResult): ExecResult {
  if (result.code === 0) return result;
  const complaints = result.stderr.split('\n').filter((l) => l.trim() !== '');
  if (complaints.length > 0 && complaints.every((l) => /No such file or directory/.test(l))) return result;
  throw new CommandError(command, args, result);
}

/**
 * Where the processes `pids` (a container's tasks, e.g. from `frozenTogether`) listen for TCP,
 * IPv4 and IPv6. Two commands, run together (over SSH: one round trip, not one per pid or
 * file): one `find` listing the socket links of every pid's fd directory, one `cat` of the
 * first pid's TCP tables (every task of a container is in the same network namespace).
 */
export async function listeningPorts(rt: HostRuntime, pids: readonly number[], options?: ExecOptions): Promise<ListeningPort[]> {
  return (await tcpSockets(rt, pids, options)).listening;
}

/** The socket links (`socket:[inode]`) of every pid's fd directory, in one `find`. */
function socketLinks(rt: HostRuntime, pids: readonly number[], options?: ExecOptions): Promise<ExecResult> {
  const findArgs = [...pids.map((pid) => `/proc/${pid}/fd`), '-mindepth', '1', '-maxdepth', '1', '-lname', 'socket:*', '-printf', '%l\\n'];
  return rt.execute('find', findArgs, options).then((r) => vanishedOnly('find', findArgs, r));
}

/** The container's TCP sockets: where it listens, and how many established connections it holds. */
export async function tcpSockets(rt: HostRuntime, pids: readonly number[], options?: ExecOptions): Promise<{ listening: ListeningPort[]; established: number }> {
  if (pids.length === 0) return { listening: [], established: 0 };
  // tcp6 is missing on a kernel without IPv6: then nothing can listen there.
  const catArgs = [`/proc/${pids[0]}/net/tcp`, `/proc/${pids[0]}/net/tcp6`];
  const [links, tables] = await Promise.all([
    socketLinks(rt, pids, options),
    rt.execute('cat', catArgs, options).then((r) => vanishedOnly('cat', catArgs, r)),
  ]);
  if (tables.stdout.trim() === '') throw new Error(`no TCP tables for process ${pids[0]}: ${tables.stderr.trim()}`);
  return { listening: listenersAmong(tables.stdout, links.stdout), established: establishedAmong(tables.stdout, links.stdout) };
}

/** Connections waiting to be accepted by the container's listening unix sockets (see unixBacklogAmong). */
export async function unixBacklog(rt: HostRuntime, pids: readonly number[], options?: ExecOptions): Promise<number> {
  if (pids.length === 0) return 0;
  // ss lists the unix sockets of the namespace it runs in: the container's.
  const ssArgs = [`--net=/proc/${pids[0]}/ns/net`, '--', 'ss', '-xlnH'];
  const [links, ss] = await Promise.all([socketLinks(rt, pids, options), rt.executeOk('nsenter', ssArgs, options)]);
  return unixBacklogAmong(ss.stdout, links.stdout);
}
