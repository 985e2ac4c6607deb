// A host reached over SSH (ssh2): the same HostRuntime as a local host, so runc, CRIU and
// rsync wrappers work unchanged. Commands run through one remote executor per connection
// (runtime/ssh-executor.ts), which takes argument lists as data; on a host without perl, each
// runs in its own exec channel, its command line built by quoting each argument
// (runtime/shell-quote.ts). The host's key must match the pinned fingerprint, always.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { addedEnvironment } from './added-environment';
import { CommandError, OutputCollector, type ExecOptions, type ExecResult } from './exec';
import { armTermination } from './termination';
import type { HostProcess, HostRuntime, LoopbackListener } from './host-runtime';
import type { RemoteExecutor } from './remote-executor';
import { startSshExecutor } from './ssh-executor';
import { quoteCommand } from './shell-quote';

/** How to reach one host. Secrets stay in files or the agent: only their paths are here. */
export interface SshEndpoint {
  /** The host's name, for messages. */
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key file; without it, the SSH agent at SSH_AUTH_SOCK. */
  identityFile?: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
}

/** The host presented another key than the pinned one: never retried, never accepted. */
export class HostKeyRejected extends Error {
  constructor(
    readonly host: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(`host ${host} presented SSH host key ${presented}, but ${expected} is pinned for it: refusing to connect (if the host was re-keyed, pin the new fingerprint)`);
    this.name = 'HostKeyRejected';
  }
}

/** OpenSSH's SHA256 fingerprint of a public key blob. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export interface SshRuntimeOptions {
  /** The perl that runs the remote executor; `perl` on the host's PATH unless named. */
  perl?: string;
}

/** One connection's executor: `null` once it could not start there (commands use channels). */
interface ExecutorSlot {
  client: Client;
  ready: Promise<RemoteExecutor | null>;
}

/**
 * The remote side of a command in its own channel (no executor on the host): report the
 * shell's pid (so a cancelled command can be killed on the host), enter the directory, then
 * exec the program with its own arguments. Fixed text: the program and its arguments arrive
 * as positional parameters, quoted.
 */
const LAUNCHER = 'printf "godwit-pid %s\\n" "$$" >&2; cd -- "$1" || exit 127; shift; exec "$@"';
const LAUNCHER_QUIET = 'printf "godwit-pid %s\\n" "$$" >&2; cd -- "$1" || exit 127; shift; exec "$@" </dev/null >/dev/null 2>&1';
/** The launcher's line; sshd may print first (e.g. "Could not chdir to home directory"). */
const PID_LINE = /^godwit-pid (\d+)\n/m;

/** Lists every process as `pid` then its argv (NUL-separated) in base64, one pair per line. */
const PROCESS_LISTING = 'for d in /proc/[0-9]*; do [ -r "$d/cmdline" ] || continue; echo "${d#/proc/}"; base64 -w0 < "$d/cmdline"; echo; done';

export class SshRuntime implements HostRuntime {
  private connection: Promise<Client> | null = null;
  private sftpSession: Promise<SFTPWrapper> | null = null;
  /** Remote forwards this connection holds (port on the host's loopback -> who takes them). */
  private readonly forwards = new Map<number, (stream: Duplex) => void>();

  private executor: ExecutorSlot | null = null;

  constructor(
    private readonly endpoint: SshEndpoint,
    private readonly options: SshRuntimeOptions = {},
  ) {}

  /** One connection, opened on first use and again after it drops. */
  private connect(): Promise<Client> {
    this.connection ??= new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let presented: string | null = null;
      const config: ConnectConfig = {
        host: this.endpoint.address,
        port: this.endpoint.port,
        username: this.endpoint.user,
        readyTimeout: 20_000,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          presented = fingerprintOf(key);
          return presented === this.endpoint.hostKeyFingerprint;
        },
      };
      if (this.endpoint.identityFile) config.privateKey = readFileSync(this.endpoint.identityFile);
      else config.agent = process.env.SSH_AUTH_SOCK;
      const forget = () => {
        this.connection = null;
        this.sftpSession = null;
        this.executor = null; // its channel went with the connection
        this.forwards.clear(); // the host dropped them with the connection
      };
      // A connection to one of our remote forwards (listenLoopback).
      client.on('tcp connection', (details, accept, reject) => {
        const take = this.forwards.get(details.destPort);
        if (take) take(accept());
        else reject();
      });
      client.once('ready', () => resolve(client));
      client.once('error', (err) => {
        forget();
        if (presented !== null && presented !== this.endpoint.hostKeyFingerprint) {
          reject(new HostKeyRejected(this.endpoint.host, this.endpoint.hostKeyFingerprint, presented));
        } else {
          reject(new Error(`cannot reach host ${this.endpoint.host} over SSH (${this.endpoint.user}@${this.endpoint.address}:${this.endpoint.port}): ${err.message}`));
        }
      });
      client.once('close', forget);
      client.connect(config);
    });
    return this.connection;
  }

  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = null;
    this.sftpSession = null;
    this.executor = null;
    if (pending) (await pending.catch(() => null))?.end();
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.connect().then(
      (client) => new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)))),
    );
    return this.sftpSession;
  }

  /**
   * The executor on this connection, started on first use and again if it went away; `null`
   * when it cannot start there (said once per connection).
   */
  private async executorOn(client: Client): Promise<RemoteExecutor | null> {
    const slot = this.executor;
    if (slot?.client === client) {
      const executor = await slot.ready;
      if (executor === null || executor.usable) return executor;
      if (this.executor === slot) this.executor = null;
    }
    if (this.executor?.client !== client) {
      const fresh: ExecutorSlot = { client, ready: Promise.resolve(null) };
      fresh.ready = startSshExecutor(client, { host: this.endpoint.host, perl: this.options.perl ?? 'perl' }).catch((err: Error) => {
        // Not when the connection went meanwhile: the next one tries again.
        if (this.executor === fresh) console.error(`godwit: host ${this.endpoint.host}: running each command in its own SSH channel (slower): ${err.message}`);
        return null;
      });
      this.executor = fresh;
    }
    return this.executor.ready;
  }

  async execute(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (options.signal?.aborted) throw new CommandError(command, args, { code: null, signal: null, stdout: '', stderr: '' }, 'aborted before start');
    const client = await this.connect();
    const executor = await this.executorOn(client);
    return executor ? executor.execute(command, args, options) : this.executeInChannel(client, command, args, options);
  }

  /** One exec channel for one command: what runs when the host has no executor. */
  private async executeInChannel(client: Client, command: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const line = quoteCommand('sh', [
      '-c',
      options.stdio === 'null' ? LAUNCHER_QUIET : LAUNCHER,
      'godwit',
      options.cwd ?? '.',
      ...extraEnvironment(options.env),
      command,
      ...args,
    ]);
    const channel = await new Promise<ClientChannel>((resolve, reject) => client.exec(line, (err, ch) => (err ? reject(err) : resolve(ch))));
    if (options.input !== undefined) channel.end(options.input);
    return new Promise<ExecResult>((resolve) => {
      const output = new OutputCollector(options.onLine);
      let remotePid: number | null = null;
      let head = '';
      channel.on('data', (chunk: Buffer) => output.push('stdout', chunk.toString('utf8')));
      channel.stderr.on('data', (chunk: Buffer) => {
        if (remotePid !== null) return output.push('stderr', chunk.toString('utf8'));
        // The launcher's first line is its pid; everything after it is the program's.
        head += chunk.toString('utf8');
        const match = PID_LINE.exec(head);
        if (!match) return;
        remotePid = Number(match[1]);
        const rest = head.slice(0, match.index) + head.slice(match.index + match[0].length);
        if (rest) output.push('stderr', rest);
      });
      let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
      channel.on('exit', (code: number | null, signal?: string) => {
        exit = { code: signal ? null : code, signal: signal ? (`SIG${signal}` as NodeJS.Signals) : null };
      });

      // Closing the channel does not stop a remote program: kill it by pid on the host.
      const disarm = armTermination(options, (signal) => {
        if (remotePid !== null) void this.execute('kill', [`-${signal}`, String(remotePid)]).catch(() => undefined);
      });
      channel.on('close', () => {
        disarm();
        output.flush();
        resolve({ ...exit, stdout: output.stdout, stderr: output.stderr });
      });
    });
  }

  async executeOk(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.execute(command, args, options);
    if (result.code !== 0) throw new CommandError(command, args, result, options.signal?.aborted ? 'cancelled' : undefined);
    return result;
  }

  async readFile(file: string): Promise<Buffer> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => sftp.readFile(file, (err, data) => (err ? reject(err) : resolve(data))));
  }

  async writeFile(file: string, data: string | Buffer): Promise<void> {
    // Write then rename, so a crash never leaves half a file for a retry to trust.
    const sftp = await this.sftp();
    const tmp = `${file}.tmp-godwit`;
    await new Promise<void>((resolve, reject) => sftp.writeFile(tmp, data, (err) => (err ? reject(err) : resolve())));
    await this.executeOk('mv', ['-f', '--', tmp, file]);
  }

  async exists(file: string): Promise<boolean> {
    return (await this.execute('test', ['-e', file, '-o', '-L', file])).code === 0;
  }

  async remove(file: string): Promise<void> {
    await this.executeOk('rm', ['-rf', '--', file]);
  }

  async mkdirp(dir: string): Promise<void> {
    await this.executeOk('mkdir', ['-p', '--', dir]);
  }

  async symlink(target: string, file: string): Promise<void> {
    await this.executeOk('ln', ['-s', '--', target, file]);
  }

  async freeBytes(dir: string): Promise<number> {
    const { stdout } = await this.executeOk('df', ['-B1', '--output=avail', '--', dir]);
    return Number(stdout.trim().split('\n').pop());
  }

  async fileSizes(dir: string): Promise<{ name: string; size: number }[]> {
    const result = await this.execute('find', [dir, '-mindepth', '1', '-maxdepth', '1', '-type', 'f', '-printf', '%s %f\\0']);
    if (result.code !== 0) return [];
    return result.stdout
      .split('\0')
      .filter(Boolean)
      .map((entry) => {
        const space = entry.indexOf(' ');
        return { name: entry.slice(space + 1), size: Number(entry.slice(0, space)) };
      });
  }

  async listFiles(root: string): Promise<string[]> {
    const result = await this.execute('find', [root, '-mindepth', '1', '-type', 'f', '-printf', '%P\\0']);
    if (result.code !== 0) return [];
    return result.stdout.split('\0').filter(Boolean);
  }

  async rename(from: string, to: string): Promise<void> {
    // mv renames, or copies and removes across file systems.
    await this.executeOk('mv', ['-f', '--', from, to]);
  }

  async treeBytes(root: string): Promise<number> {
    const result = await this.execute('find', [root, '-type', 'f', '-printf', '%s\\n']);
    if (result.code !== 0) return 0;
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .reduce((sum, size) => sum + Number(size), 0);
  }

  async processes(): Promise<HostProcess[]> {
    const { stdout } = await this.executeOk('sh', ['-c', PROCESS_LISTING]);
    const lines = stdout.split('\n');
    const found: HostProcess[] = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const argv = Buffer.from(lines[i + 1], 'base64').toString('utf8').replace(/\0$/, '').split('\0');
      if (lines[i + 1] !== '') found.push({ pid: Number(lines[i]), argv });
    }
    return found;
  }

  /**
   * The host's listening sockets (`ss`, from iproute2), then a random port outside them in the
   * ephemeral range. Another program could take it first; the page server then fails to bind
   * and the step is retried with another.
   */
  async freePort(address: string): Promise<number> {
    const { stdout } = await this.executeOk('ss', ['-Htln']);
    // `LISTEN 0 4096 10.203.0.11:8873 0.0.0.0:*`: the fourth column is the local address:port.
    const taken = new Set(stdout.split('\n').filter(Boolean).map((line) => Number(line.trim().split(/\s+/)[3]?.split(':').pop())));
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = 40000 + Math.floor(Math.random() * 20000);
      if (!taken.has(port)) return port;
    }
    throw new Error(`no free port found on host ${this.endpoint.host} at ${address}`);
  }

  /**
   * sshd listens on the host's loopback for us (a remote forward, `ssh -R` style); each
   * connection arrives as a channel of this SSH connection.
   */
  async listenLoopback(onConnection: (stream: Duplex) => void): Promise<LoopbackListener> {
    const client = await this.connect();
    const port = await new Promise<number>((resolve, reject) =>
      client.forwardIn('127.0.0.1', 0, (err, bound) =>
        err ? reject(new Error(`host ${this.endpoint.host} refused to listen on its loopback for us (sshd AllowTcpForwarding?): ${err.message}`)) : resolve(bound),
      ),
    );
    this.forwards.set(port, onConnection);
    return {
      port,
      close: () =>
        new Promise<void>((resolve) => {
          this.forwards.delete(port);
          client.unforwardIn('127.0.0.1', port, () => resolve());
        }),
    };
  }

  /** A TCP connection the host's sshd opens to `address:port` for us (`ssh -L` style). */
  async connectFrom(address: string, port: number): Promise<Duplex> {
    const client = await this.connect();
    return new Promise((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, address, port, (err, channel) =>
        err ? reject(new Error(`host ${this.endpoint.host} could not open ${address}:${port} for us over SSH: ${err.message}`)) : resolve(channel),
      ),
    );
  }

  /** For messages: where this runtime acts. */
  toString(): string {
    return `${this.endpoint.user}@${this.endpoint.host}`;
  }
}

/**
 * What a command's environment adds to ours (runtime/added-environment.ts), as `env NAME=value`
 * arguments for a command in its own channel.
 */
export function extraEnvironment(env: NodeJS.ProcessEnv | undefined): string[] {
  const added = addedEnvironment(env);
  return added.length === 0 ? [] : ['env', ...added.map(([name, value]) => `${name}=${value}`)];
}
