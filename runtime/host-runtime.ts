// One interface over "a machine Godwit acts on". Local hosts implement it with child
// processes and the file system; SSH hosts (later) with ssh2. Tool wrappers (runc, CRIU,
// rsync) sit on top and never know which one they have.
import type { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult } from './exec';

export interface HostRuntime {
  /** Runs a program with an argument array; resolves whatever the exit code. */
  execute(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Like `execute`, but rejects with a CommandError unless the exit code is 0. */
  executeOk(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: string | Buffer): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Recursive and forgiving: removing what is not there is fine. */
  remove(path: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** Creates `path` as a symbolic link to `target` (kept relative if it is). */
  symlink(target: string, path: string): Promise<void>;
  /** Bytes free to unprivileged writers on the file system holding `path`. */
  freeBytes(path: string): Promise<number>;
  /** Regular files directly in `dir` with their sizes; empty when it does not exist. */
  fileSizes(dir: string): Promise<{ name: string; size: number }[]>;
  /** Regular files anywhere below `root`, as paths relative to it; empty when it does not exist. */
  listFiles(root: string): Promise<string[]>;
  /** Moves a file to `to` (replacing what is there), on the same file system as a rename. */
  rename(from: string, to: string): Promise<void>;
  /** Apparent size of the files below `path`; 0 when it does not exist. */
  treeBytes(path: string): Promise<number>;
  /** Every process on the host with its argument vector (argv[0] first). */
  processes(): Promise<HostProcess[]>;
  /** A TCP port nothing listens on at `address` on the host (for a page server to take). */
  freePort(address: string): Promise<number>;
  /**
   * Accepts TCP connections on the host's loopback address, at a port of the system's
   * choosing, and hands each to `onConnection`: the near end of a tunnel.
   */
  listenLoopback(onConnection: (stream: Duplex) => void): Promise<LoopbackListener>;
}

export interface LoopbackListener {
  port: number;
  /** Stops accepting; connections already handed over are their owner's to end. */
  close(): Promise<void>;
}

export interface HostProcess {
  pid: number;
  argv: string[];
}
