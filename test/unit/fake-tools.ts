// runc, CRIU, rsync and the few system commands host steps run, scripted on a MemoryRuntime
// as the real tools behave as far as the steps can tell: containers with a status, dumps that
// write the image files CRIU writes and the logs CRIU and runc write, daemons with a pidfile
// and a /proc/<pid>/cmdline.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerStatus } from '../../policy/host-contract';
import type { Call, MemoryRuntime, Reply } from './memory-runtime';
import { FakeIptables } from './fake-iptables';
import { FakeNetwork } from './fake-network';

type Status = Exclude<ContainerStatus, 'absent'>;

interface Container {
  status: Status;
  pid: number;
  bundle: string;
}

/** A real stats-dump image (see criu-stats.test.ts), so dumps report real page counts. */
const STATS_DUMP = readFileSync(path.join(__dirname, '..', 'fixtures', 'stats-dump'));

/** Global options runc takes before its verb, each with a value. */
const RUNC_GLOBALS = new Set(['--root', '--log', '--log-format', '--criu']);

/** The value after `flag` in `args`, if any. */
function option(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

const fail = (stderr: string): Reply => ({ code: 1, stderr });

export class FakeTools {
  readonly containers = new Map<string, Container>();
  /** Files (relative to the directory asked about) whose ctime find reports as recent. */
  recentlyChanged: string[] = [];
  /** TCP ports each process listens on (0.0.0.0), as /proc shows them to the connection fence. */
  readonly listening = new Map<number, number[]>();
  /** Established TCP connections each process holds, as /proc shows them (one socket each). */
  readonly established = new Map<number, number>();
  /** Unix sockets a process holds, by inode (a listener's queue is FakeNetwork.unixBacklog). */
  readonly unixSockets = new Map<number, number[]>();
  readonly iptables: FakeIptables;
  /** The host's container network: namespaces, veths, CNI, arping (fake-network.ts). */
  readonly network: FakeNetwork;
  /** Image files every final dump also writes, by name (e.g. a dump with a link remap's files.img). */
  dumpImages: Record<string, Buffer> = {};
  /** `fs.pipe-max-size`, and whether writing it takes (as on a host whose /proc/sys is writable). */
  pipeMaxBytes = 4194304;
  pipeMaxWritable = true;
  private nextPid = 1000;

  constructor(private readonly rt: MemoryRuntime) {
    rt.on('id', () => ({ stdout: '0\n' }));
    rt.on('runc', (call) => this.runc(call));
    rt.on('criu', (call) => this.criu(call));
    rt.on('rsync', (call) => this.rsync(call));
    rt.on('start-stop-daemon', (call) => this.startStopDaemon(call));
    this.iptables = new FakeIptables(rt);
    this.network = new FakeNetwork(rt);
    rt.on('cat', (call) => (call.args[0] === '/proc/sys/fs/pipe-max-size' ? this.pipeLimit() : this.procTables(call)));
    rt.on('tee', (call) => {
      if (call.args[0] !== '/proc/sys/fs/pipe-max-size') return fail(`fake tee: ${call.args.join(' ')}`);
      if (!this.pipeMaxWritable) return fail('tee: /proc/sys/fs/pipe-max-size: Read-only file system');
      this.pipeMaxBytes = Number(call.input);
      return { stdout: call.input };
    });
    // find DIR [-cmin -M] ( -type f -o -type l ) -printf '%P\0': the files a test says changed, or all.
    rt.on('find', (call) => {
      if (call.args[0].startsWith('/proc/')) return this.socketLinks(call);
      const dir = call.args[0];
      const below = [...this.rt.files.keys()].filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1));
      const listed = call.args.includes('-cmin') ? below.filter((f) => this.recentlyChanged.includes(f)) : below;
      return { stdout: listed.map((f) => `${f}\0`).join('') };
    });
    // The short request that fails a post-copy dump's page transfer (activities/host/lazy-dump.ts):
    // the dump serving at that address ends, as CRIU does, leaving the container as it was.
    rt.on('bash', (call) => {
      const [address, port] = call.args.slice(-2);
      const serving = this.rt.running.find((p) => p.argv.includes('--lazy-pages') && p.argv[p.argv.indexOf('--page-server') + 1] === `${address}:${port}`);
      if (!serving) return fail(`bash: connect: Connection refused`);
      this.exit(serving.pid);
      return {};
    });
    rt.on('ss', () => ({}));
    rt.on('kill', (call) => {
      for (const pid of call.args.slice(1)) this.exit(Number(pid));
      return {};
    });
  }

  /** `cat /proc/sys/fs/pipe-max-size /proc/self/status`, as root without CAP_SYS_RESOURCE. */
  private pipeLimit(): Reply {
    return { stdout: `${this.pipeMaxBytes}\nName:\tcat\nCapEff:\t000001fffeffffff\n` };
  }

  /** The socket inodes of the connections `pid` holds. */
  private connectionInodes(pid: number): number[] {
    return Array.from({ length: this.established.get(pid) ?? 0 }, (_, i) => 5_000_000 + pid * 100 + i);
  }

  /** find /proc/PID/fd ... -lname socket:* -printf '%l\n': one socket per listening port and connection. */
  private socketLinks(call: Call): Reply {
    const pids = call.args.filter((a) => /^\/proc\/\d+\/fd$/.test(a)).map((a) => Number(a.split('/')[2]));
    const inodes = pids.flatMap((pid) => [...(this.listening.get(pid) ?? []).map((port) => 900000 + port), ...this.connectionInodes(pid), ...(this.unixSockets.get(pid) ?? [])]);
    return { stdout: inodes.map((inode) => `socket:[${inode}]\n`).join('') };
  }

  /**
   * cat /proc/PID/net/tcp /proc/PID/net/tcp6: a LISTEN row for every port any process listens
   * on, an ESTABLISHED one for every connection any process holds.
   */
  private procTables(call: Call): Reply {
    if (!call.args.every((a) => /^\/proc\/\d+\/net\/tcp6?$/.test(a))) return fail(`fake cat: ${call.args.join(' ')}`);
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const ports = [...this.listening.values()].flat();
    const listeners = ports.map((port) => `00000000:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${900000 + port}`);
    const connections = [...this.established.keys()].flatMap((pid) => this.connectionInodes(pid)).map((inode) => `6400CC0A:1F90 0100CC0A:D431 01 00000000:00000000 02:0004F1A0 00000000     0        0 ${inode}`);
    const rows = [...listeners, ...connections].map((row, i) => `   ${i}: ${row} 1 0000000000000000 100 0 0 10 0\n`);
    return { stdout: header + rows.join('') };
  }

  /** A container runc knows, with its bundle's config.json in place. */
  container(name: string, bundle: string, status: Status = 'running'): void {
    this.containers.set(name, { status, pid: this.cgroupOf(name), bundle });
    if (!this.rt.files.has(path.join(bundle, 'config.json'))) this.rt.put(path.join(bundle, 'config.json'), JSON.stringify({ linux: {} }));
  }

  /** What happens to a container behind the steps' back (it dies, an operator pauses it). */
  setStatus(name: string, status: Status): void {
    const c = this.containers.get(name);
    if (!c) throw new Error(`fake runc: no container ${name}`);
    c.status = status;
  }

  status(name: string): ContainerStatus {
    return this.containers.get(name)?.status ?? 'absent';
  }

  /** A process that runs until killed: its pidfile, /proc/<pid>/cmdline and a `processes()` entry. */
  spawn(argv: string[], pidFile?: string): number {
    const pid = this.nextPid++;
    this.rt.running.push({ pid, argv });
    this.rt.put(`/proc/${pid}/cmdline`, `${argv.join('\0')}\0`);
    if (pidFile) this.rt.put(pidFile, `${pid}\n`);
    return pid;
  }

  /** The process ends (its pidfile stays, as a daemon's does). */
  exit(pid: number): void {
    this.rt.running = this.rt.running.filter((p) => p.pid !== pid);
    this.rt.files.delete(`/proc/${pid}/cmdline`);
  }

  private runc(call: Call): Reply {
    let i = 0;
    while (RUNC_GLOBALS.has(call.args[i])) i += 2;
    const verb = call.args[i];
    const rest = call.args.slice(i + 1);
    const name = rest[rest.length - 1];
    const c = this.containers.get(name);
    switch (verb) {
      case 'state':
        if (!c) return fail(`container "${name}" does not exist`);
        return { stdout: JSON.stringify({ ociVersion: '1.0.2', id: name, pid: c.pid, status: c.status, bundle: c.bundle }) };
      case 'list':
        return { stdout: JSON.stringify([...this.containers].map(([id, x]) => ({ id, pid: x.pid, status: x.status, bundle: x.bundle }))) };
      case 'pause':
        if (c?.status !== 'running') return fail(`container ${name} is not running`);
        c.status = 'paused';
        return {};
      case 'resume':
        if (c?.status !== 'paused') return fail(`container ${name} is not paused`);
        c.status = 'running';
        return {};
      case 'delete':
        if (!c) return fail(`container "${name}" does not exist`);
        this.containers.delete(name);
        return {};
      case 'checkpoint':
        return this.checkpoint(name, rest);
      case 'restore':
        return this.restore(name, rest, option(call.args, '--log'));
      case 'exec':
        return c?.status === 'running' ? {} : fail(`container ${name} is not running`);
      default:
        return fail(`fake runc: no verb ${verb}`);
    }
  }

  /** What CRIU leaves: images (pages only without a page server), its log and stats. */
  private checkpoint(name: string, args: readonly string[]): Reply {
    const c = this.containers.get(name);
    const imagePath = option(args, '--image-path') ?? '';
    const workPath = option(args, '--work-path') ?? '';
    if (c?.status !== 'running' && c?.status !== 'paused') return fail(`container ${name} is not running`);
    this.rt.put(path.join(workPath, 'dump.log'), 'Dumping finished successfully\n');
    this.rt.put(path.join(workPath, 'stats-dump'), STATS_DUMP);
    if (!args.includes('--pre-dump')) {
      this.rt.put(path.join(imagePath, 'pstree.img'), 'pstree');
      for (const [name, data] of Object.entries(this.dumpImages)) this.rt.put(path.join(imagePath, name), data);
    }
    if (!args.includes('--page-server')) {
      this.rt.put(path.join(imagePath, 'pagemap-1.img'), 'pagemap');
      this.rt.put(path.join(imagePath, 'pages-1.img'), Buffer.alloc(8192));
    }
    return {};
  }

  /** CRIU's log goes to the work path, runc's where its --log option says. */
  private restore(name: string, args: readonly string[], runcLog: string | undefined): Reply {
    const imagePath = option(args, '--image-path') ?? '';
    this.rt.put(path.join(option(args, '--work-path') ?? '', 'restore.log'), 'Restoring\n');
    if (runcLog) this.rt.put(runcLog, 'restoring\n');
    if (this.containers.has(name)) return fail(`container with id ${name} already exists`);
    if (!this.rt.files.has(path.join(imagePath, 'pstree.img'))) return fail(`criu failed: no images in ${imagePath}`);
    this.containers.set(name, { status: 'running', pid: this.cgroupOf(name), bundle: option(args, '--bundle') ?? '' });
    return {};
  }

  /** A new init process in the container's own freezer cgroup (cgroup v1, as on the lab). */
  private cgroupOf(name: string): number {
    const pid = this.nextPid++;
    this.rt.put(`/proc/${pid}/cgroup`, `12:freezer:/godwit/${name}\n11:memory:/godwit/${name}\n0::/\n`);
    this.rt.put(this.procsFile(name), `${pid}\n`);
    return pid;
  }

  private procsFile(name: string): string {
    return `/sys/fs/cgroup/freezer/godwit/${name}/cgroup.procs`;
  }

  /** Another process inside the container (a forked worker), in its cgroup; returns its pid. */
  task(name: string): number {
    const pid = this.spawn(['worker', name]);
    this.rt.put(this.procsFile(name), `${this.rt.text(this.procsFile(name)) ?? ''}${pid}\n`);
    return pid;
  }

  private criu(call: Call): Reply {
    const [verb, sub] = call.args;
    if (verb === '--version') return { stdout: 'Version: 4.2\n' };
    if (verb === 'check') return { stdout: 'Looks good.\n' };
    if (verb === 'cpuinfo' && sub === 'dump') this.rt.put(path.join(option(call.args, '--images-dir') ?? '', 'cpuinfo.img'), 'cpu');
    if (verb === 'cpuinfo') return {};
    if (verb === 'page-server') {
      this.rt.put(path.join(option(call.args, '--work-dir') ?? '', 'page-server.log'), 'Starting page server\n');
      this.spawn(['criu', ...call.args], option(call.args, '--pidfile'));
      return {};
    }
    return fail(`fake criu: no command ${verb}`);
  }

  private rsync(call: Call): Reply {
    const source = call.args[call.args.length - 2].replace(/\/$/, '');
    const bytes = [...this.rt.files].filter(([file]) => file.startsWith(`${source}/`)).reduce((sum, [, data]) => sum + data.length, 0);
    return { stdout: `Number of files: 3\nTotal bytes sent: ${bytes}\n` };
  }

  /** The post-copy dump and the lazy-pages daemon, ready at once (their logs say so). */
  private startStopDaemon(call: Call): Reply {
    const command = option(call.args, '--startas') ?? '';
    const args = call.args.slice(call.args.indexOf('--') + 1);
    this.spawn([command, ...args], option(call.args, '--pidfile'));
    if (path.basename(command) === 'runc') {
      const imagePath = option(args, '--image-path') ?? '';
      this.rt.put(path.join(imagePath, 'pstree.img'), 'pstree');
      this.rt.put(path.join(option(args, '--work-path') ?? '', 'dump.log'), 'Running status-ready scripts\n');
    } else {
      this.rt.put(path.join(option(args, '--work-dir') ?? '', 'lazy-pages.log'), 'Running status-ready scripts\n');
    }
    return {};
  }
}
