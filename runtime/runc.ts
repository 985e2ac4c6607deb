import path from 'node:path';
import type { HostRuntime } from './host-runtime';
import type { ExecOptions } from './exec';
import { frozenTogether } from './cgroup';
import { criuErrorLines } from './criu-log';
import type { ContainerStatus } from '../policy/host-contract';

export type { ContainerStatus };

export interface RuncPaths {
  runc: string;
  criu: string;
  /** runc's state directory; two hosts on one machine must not share it. */
  root: string;
  /** Where to keep Godwit's CRIU options (CRIU_CONFIG); without it, CRIU's defaults apply. */
  criuConfig?: string;
}

/**
 * How CRIU carries the container's TCP connections. `established`: dumped and restored as
 * they are (same socket, same sequence numbers), for a container with a network namespace
 * and address of its own, which go with it (policy/container-network.ts); runc's own
 * `--tcp-established` at both ends, since runc sends that option over its RPC, which
 * overrides a config file (measured: a `tcp-established` line alone still failed "Connected
 * TCP socket, consider using --tcp-established"). `close`: a container in its host's
 * network would come back on a host with another address, so its connections are restored
 * closed and clients reconnect (CRIU's tcp-close, which runc does not send: the file's stands).
 */
export type TcpConnections = 'close' | 'established';

const tcpFlags = (tcp: TcpConnections | undefined) => (tcp === 'established' ? ['--tcp-established'] : []);

/**
 * CRIU options for every dump and restore, passed through CRIU_CONFIG_FILE because runc has
 * no flags for them. tcp-close or tcp-established: see TcpConnections. skip-in-flight: a client that
 * connects while the container is frozen must not fail the dump (measured: it did).
 * link-remap: a file open under a name that was unlinked while another hard link keeps it is
 * dumped by a temporary hard link `link_remap.<id>` beside the old name; without the option
 * CRIU refuses (`Can't create link remap ... Use link-remap option`). Restore needs no option
 * for it, only the link (see activities/host/link-remaps.ts). runc sends neither option over
 * its RPC, so the file's value stands. Not file-locks: runc always sends its own (false
 * without `--file-locks`), and RPC options override this file's (measured: a file-locks line
 * here still failed `Some file locks are hold by dumping tasks!`).
 */
export const criuConfig = (tcp: TcpConnections) => `${tcp === 'close' ? 'tcp-close\n' : ''}skip-in-flight\nlink-remap\n`;
export const CRIU_CONFIG = criuConfig('close');

/**
 * runc's flag for CRIU's file-locks, on every final dump and every restore. A dump without
 * it fails on any held lock; a restore without it succeeds and silently drops the locks the
 * images hold (measured: the probe was then granted both), so both sides always pass it. It
 * costs nothing when no lock is held.
 */
const FILE_LOCKS = '--file-locks';

interface RuncState {
  status: Exclude<ContainerStatus, 'absent'>;
  pid: number;
  bundle: string;
  /** The OCI config's annotations: Godwit's labels (e.g. godwit.io/no-rebalance). */
  annotations?: Record<string, string>;
}

/** runc, as Godwit uses it. Knows nothing of Temporal or of which host it runs on. */
export class Runc {
  constructor(
    private readonly rt: HostRuntime,
    private readonly paths: RuncPaths,
  ) {}

  private base(): string[] {
    return ['--root', this.paths.root];
  }

  /** The environment for runc commands that run CRIU: with Godwit's CRIU options, if kept. */
  async criuEnvironment(): Promise<NodeJS.ProcessEnv | undefined> {
    if (!this.paths.criuConfig) return undefined;
    await this.rt.writeFile(this.paths.criuConfig, CRIU_CONFIG);
    return { ...process.env, CRIU_CONFIG_FILE: this.paths.criuConfig };
  }

  async state(name: string, options?: ExecOptions): Promise<RuncState | null> {
    const result = await this.rt.execute(this.paths.runc, [...this.base(), 'state', name], options);
    if (result.code !== 0) {
      if (/does not exist|not exist/i.test(result.stderr)) return null;
      throw new Error(`runc state ${name} failed: ${result.stderr.trim()}`);
    }
    return JSON.parse(result.stdout) as RuncState;
  }

  /** Every container under this runc root. */
  async list(options?: ExecOptions): Promise<(RuncState & { id: string })[]> {
    const result = await this.rt.executeOk(this.paths.runc, [...this.base(), 'list', '--format', 'json'], options);
    return (JSON.parse(result.stdout || 'null') as (RuncState & { id: string })[] | null) ?? [];
  }

  async status(name: string, options?: ExecOptions): Promise<ContainerStatus> {
    return (await this.state(name, options))?.status ?? 'absent';
  }

  /**
   * Starts a container detached, stdio on /dev/null (CRIU cannot dump a process whose
   * stdio is a file or pipe of the host). runc's own errors go to `logFile`.
   */
  async run(name: string, bundle: string, logFile: string, options?: ExecOptions): Promise<void> {
    await this.detached('run', ['--detach', '--bundle', bundle, name], logFile, options);
  }

  async pause(name: string, options?: ExecOptions): Promise<void> {
    await this.rt.executeOk(this.paths.runc, [...this.base(), 'pause', name], options);
  }

  async resume(name: string, options?: ExecOptions): Promise<void> {
    await this.rt.executeOk(this.paths.runc, [...this.base(), 'resume', name], options);
  }

  /**
   * Dumps a (paused) container and leaves it in place, frozen: the source stays intact until
   * the target is known good. Pages go to `pageServer` when given, else into `imagePath`.
   */
  async checkpoint(
    name: string,
    dump: {
      imagePath: string;
      workPath: string;
      pageServer?: { address: string; port: number };
      /** A pre-dump: memory only, the container keeps running. */
      preDump?: boolean;
      /** Earlier pre-dump to build on, relative to `imagePath`: only changed pages are sent. */
      parentPath?: string;
      /** Extra environment for CRIU (tests set CRIU_FAULT, CRIU's own fault injection). */
      criuEnv?: Record<string, string>;
      /** CRIU options for this dump alone (config-file lines, e.g. `tls`), besides Godwit's own. */
      criuOptions?: string[];
      tcp?: TcpConnections;
    },
    options?: ExecOptions,
  ): Promise<void> {
    await this.rt.mkdirp(dump.workPath); // runc creates the last component only
    const args = [...this.base(), '--criu', this.paths.criu, 'checkpoint'];
    // A pre-dump copies memory only: no files, so no locks to carry.
    args.push(...(dump.preDump ? ['--pre-dump'] : ['--leave-running', FILE_LOCKS, ...tcpFlags(dump.tcp)]));
    args.push('--image-path', dump.imagePath, '--work-path', dump.workPath);
    if (dump.pageServer) args.push('--page-server', `${dump.pageServer.address}:${dump.pageServer.port}`);
    if (dump.parentPath) args.push('--parent-path', dump.parentPath);
    args.push(name);
    const env = { ...(await this.criuRunEnvironment(dump.workPath, dump.criuOptions, dump.tcp)), ...dump.criuEnv };
    const result = await this.rt.execute(this.paths.runc, args, { ...options, env });
    if (result.code !== 0) {
      const runcSays = result.stderr.trim().split('\n').slice(-2).join('\n');
      const criuSays = await this.criuErrors(dump.workPath, 'dump.log'); // runc names the pre-dump's log dump.log too
      throw new Error(`runc checkpoint${dump.preDump ? ' --pre-dump' : ''} ${name} failed (exit ${result.code})${runcSays ? `: ${runcSays}` : ''}${criuSays}`);
    }
  }

  /**
   * The environment for one dump or restore: Godwit's CRIU options plus `criuOptions`
   * (config-file lines) when there are any, written in its own work directory so that two
   * migrations with other options never share a file.
   */
  async criuRunEnvironment(workPath: string, criuOptions: readonly string[] = [], tcp: TcpConnections = 'close'): Promise<NodeJS.ProcessEnv> {
    const env = (await this.criuEnvironment()) ?? process.env;
    if (criuOptions.length === 0 && tcp === 'close') return env;
    const config = path.join(workPath, 'criu.conf');
    await this.rt.mkdirp(workPath);
    await this.rt.writeFile(config, `${criuConfig(tcp)}${criuOptions.map((o) => `${o}\n`).join('')}`);
    return { ...env, CRIU_CONFIG_FILE: config };
  }

  /** CRIU's own error lines from its log: they say why, where runc only says "criu failed". */
  private async criuErrors(workPath: string, logName: string): Promise<string> {
    const file = path.join(workPath, logName);
    if (!(await this.rt.exists(file))) return '';
    const errors = criuErrorLines((await this.rt.readFile(file)).toString('utf8'));
    return errors.length > 0 ? `:\n${errors.join('\n')}` : '';
  }

  /**
   * Arguments for a post-copy dump: CRIU dumps everything but the pages, then serves them
   * from `listen` until the target's lazy-pages daemon has them all. It runs that long, so it
   * is started as a daemon. `--leave-running` of a paused container leaves it paused, alive,
   * however the transfer ends: CRIU kills the tasks after one that merely ended, which is
   * also what a failed restore's lazy-pages daemon does, and then no rollback could resume it.
   */
  lazyCheckpointArgs(name: string, dump: { imagePath: string; workPath: string; listen: { address: string; port: number }; tcp?: TcpConnections }): string[] {
    return [
      ...this.base(), '--criu', this.paths.criu, 'checkpoint', '--lazy-pages', '--leave-running', FILE_LOCKS, ...tcpFlags(dump.tcp),
      '--page-server', `${dump.listen.address}:${dump.listen.port}`,
      '--image-path', dump.imagePath, '--work-path', dump.workPath, name,
    ];
  }

  /** CRIU's error lines from a log in `workPath` (for steps that run as daemons). */
  criuLogErrors(workPath: string, logName: string): Promise<string> {
    return this.criuErrors(workPath, logName);
  }

  async restore(
    name: string,
    restore: { bundle: string; imagePath: string; workPath: string; lazyPages?: boolean; tcp?: TcpConnections },
    options?: ExecOptions,
  ): Promise<void> {
    // Post-copy: memory arrives later, through the lazy-pages daemon listening in `workPath`.
    const lazy = restore.lazyPages ? ['--lazy-pages'] : [];
    const args = ['--detach', FILE_LOCKS, ...tcpFlags(restore.tcp), ...lazy, '--image-path', restore.imagePath, '--work-path', restore.workPath, '--bundle', restore.bundle, name];
    const env = await this.criuRunEnvironment(restore.workPath, [], restore.tcp);
    await this.detached('restore', args, path.join(restore.workPath, 'runc.log'), { ...options, env });
  }

  /**
   * Removes a container in any state (a missing one is fine), so that none of its processes runs user code again: frozen first
   * (a running one is paused), then every task of its freezer cgroup killed while frozen (a
   * frozen task that is thawed dies before it returns to user space), then `runc delete
   * --force`. The delete alone does not fence: runc 1.1.5 kills only init and thaws the
   * cgroup, and the other processes run on until the PID namespace is torn down (measured
   * here: a paused PostgreSQL acknowledged 2-5 inserts that way).
   */
  async destroy(name: string, options?: ExecOptions): Promise<void> {
    const state = await this.state(name, options);
    if (state === null) return;
    let frozen = state.status === 'paused';
    // It may stop by itself meanwhile; then there is nothing left to fence.
    if (state.status === 'running') frozen = (await this.rt.execute(this.paths.runc, [...this.base(), 'pause', name], options)).code === 0;
    if (frozen) {
      const tasks = await frozenTogether(this.rt, state.pid);
      if (tasks.length > 0) await this.rt.execute('kill', ['-KILL', ...tasks.map(String)], options);
    }
    await this.rt.executeOk(this.paths.runc, [...this.base(), 'delete', '--force', name], options);
  }

  /** Runs a command inside a running container and returns its exit code and output. */
  exec(name: string, argv: readonly string[], options?: ExecOptions) {
    return this.rt.execute(this.paths.runc, [...this.base(), 'exec', name, ...argv], options);
  }

  private async detached(verb: 'run' | 'restore', args: string[], logFile: string, options?: ExecOptions): Promise<void> {
    await this.rt.mkdirp(path.dirname(logFile));
    const full = [...this.base(), '--log', logFile, '--log-format', 'text', '--criu', this.paths.criu, verb, ...args];
    const result = await this.rt.execute(this.paths.runc, full, { ...options, stdio: 'null' });
    if (result.code !== 0) {
      const log = (await this.rt.exists(logFile)) ? (await this.rt.readFile(logFile)).toString('utf8') : '';
      const tail = log.trim().split('\n').slice(-4).join('\n');
      const criu = verb === 'restore' ? await this.criuErrors(path.dirname(logFile), 'restore.log') : '';
      throw new Error(`runc ${verb} ${args[args.length - 1]} failed (exit ${result.code})${tail ? `:\n${tail}` : ''}${criu}`);
    }
  }
}
