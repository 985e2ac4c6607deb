// A HostRuntime in memory, for unit tests of host steps: files live in a Map, every command
// is recorded with its arguments and answered by scripted handlers, and a test can make the
// runtime "crash" (throw) just before a given operation, as a killed worker would stop there:
// from then on every change throws too (code that catches the first error does nothing more,
// as a dead worker does nothing more) until the next attempt revives it.
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { CommandError, type ExecOptions, type ExecResult } from '../../runtime/exec';
import type { HostProcess, HostRuntime, LoopbackListener } from '../../runtime/host-runtime';

export interface Call {
  /** The program's file name (`runc`, not `/usr/sbin/runc`). */
  program: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** What it was given on stdin (CNI plugins read their configuration there). */
  input?: string;
  /** Epoch ms when it started, for tests of what waits for what. */
  at: number;
}

/** What a handler answers; omitted fields are a silent success. */
export type Reply = Partial<ExecResult>;
export type Handler = (call: Call, rt: MemoryRuntime) => Reply | Promise<Reply>;

/** An operation the runtime is about to do, for crash points. */
export type Operation = { op: 'execute'; call: Call } | { op: 'write' | 'remove' | 'mkdirp' | 'rename'; path: string };

export class SimulatedCrash extends Error {
  constructor(what: string) {
    super(`simulated crash before ${what}`);
  }
}

export class MemoryRuntime implements HostRuntime {
  readonly calls: Call[] = [];
  readonly files = new Map<string, Buffer>();
  readonly dirs = new Set<string>(['/']);
  readonly links = new Map<string, string>();
  /** What `processes()` lists; fake daemons add themselves. */
  running: HostProcess[] = [];
  free = 100 * 2 ** 30;
  private nextPort = 40_000;
  private readonly handlers: { program: string; handle: Handler }[] = [];
  private readonly crashes: ((op: Operation) => boolean)[] = [];
  /** What the runtime crashed before, while the "worker" is dead. */
  private crashed: string | null = null;

  /** `dirs`: directories there from the start (the host's state directory). */
  constructor(dirs: readonly string[] = []) {
    for (const dir of dirs) for (let at = dir; at !== '/'; at = path.dirname(at)) this.dirs.add(at);
  }

  /** Answers commands of `program`; a later handler for the same program goes first. */
  on(program: string, handle: Handler): this {
    this.handlers.unshift({ program, handle });
    return this;
  }

  /** Throws SimulatedCrash before the first operation `when` picks, once. */
  crashBefore(when: (op: Operation) => boolean): this {
    this.crashes.push(when);
    return this;
  }

  /** A new attempt, as a restarted worker: operations work again. */
  revive(): void {
    this.crashed = null;
  }

  /** The recorded commands as command lines (`runc --root … pause web`), for assertions. */
  commandLines(program?: string): string[] {
    return this.calls.filter((c) => !program || c.program === program).map((c) => [c.program, ...c.args].join(' '));
  }

  /** Puts a file there as another program would: no crash point, parents made. */
  put(file: string, data: string | Buffer): void {
    for (let at = path.dirname(file); at !== '/'; at = path.dirname(at)) this.dirs.add(at);
    this.files.set(file, Buffer.from(data));
  }

  text(file: string): string | undefined {
    return this.files.get(file)?.toString('utf8');
  }

  private check(op: Operation): void {
    if (this.crashed !== null) throw new SimulatedCrash(this.crashed);
    const i = this.crashes.findIndex((when) => when(op));
    if (i < 0) return;
    this.crashes.splice(i, 1);
    this.crashed = op.op === 'execute' ? [op.call.program, ...op.call.args].join(' ') : `${op.op} ${op.path}`;
    throw new SimulatedCrash(this.crashed);
  }

  async execute(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const call: Call = { program: path.basename(command), args: [...args], env: options.env, input: options.input, at: Date.now() };
    this.check({ op: 'execute', call });
    this.calls.push(call);
    const handler = this.handlers.find((h) => h.program === call.program);
    if (!handler) throw new Error(`memory runtime: no handler for ${[call.program, ...args].join(' ')}`);
    const reply = await handler.handle(call, this);
    return { code: 0, signal: null, stdout: '', stderr: '', ...reply };
  }

  async executeOk(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const result = await this.execute(command, args, options);
    if (result.code !== 0) throw new CommandError(command, args, result);
    return result;
  }

  readFile(file: string): Promise<Buffer> {
    const data = this.files.get(this.resolve(file));
    return data ? Promise.resolve(data) : Promise.reject(Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' }));
  }

  writeFile(file: string, data: string | Buffer): Promise<void> {
    this.check({ op: 'write', path: file });
    if (!this.dirs.has(path.dirname(file))) return Promise.reject(new Error(`ENOENT: no directory for ${file}`));
    this.files.set(file, Buffer.from(data));
    return Promise.resolve();
  }

  exists(file: string): Promise<boolean> {
    const at = this.resolve(file);
    return Promise.resolve(this.files.has(at) || this.dirs.has(at) || this.links.has(file));
  }

  remove(target: string): Promise<void> {
    this.check({ op: 'remove', path: target });
    const below = (p: string) => p === target || p.startsWith(`${target}/`);
    for (const store of [this.files, this.links]) for (const key of [...store.keys()]) if (below(key)) store.delete(key);
    for (const dir of [...this.dirs]) if (below(dir) && dir !== '/') this.dirs.delete(dir);
    return Promise.resolve();
  }

  mkdirp(dir: string): Promise<void> {
    this.check({ op: 'mkdirp', path: dir });
    for (let at = dir; at !== '/'; at = path.dirname(at)) this.dirs.add(at);
    return Promise.resolve();
  }

  symlink(target: string, file: string): Promise<void> {
    this.links.set(file, target);
    return Promise.resolve();
  }

  freeBytes(): Promise<number> {
    return Promise.resolve(this.free);
  }

  fileSizes(dir: string): Promise<{ name: string; size: number }[]> {
    const inDir = [...this.files].filter(([file]) => path.dirname(file) === dir);
    return Promise.resolve(inDir.map(([file, data]) => ({ name: path.basename(file), size: data.length })));
  }

  listFiles(root: string): Promise<string[]> {
    return Promise.resolve([...this.files.keys()].filter((file) => file.startsWith(`${root}/`)).map((file) => file.slice(root.length + 1)));
  }

  rename(from: string, to: string): Promise<void> {
    this.check({ op: 'rename', path: from });
    const data = this.files.get(from);
    if (!data) return Promise.reject(Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' }));
    if (!this.dirs.has(path.dirname(to))) return Promise.reject(new Error(`ENOENT: no directory for ${to}`));
    this.files.delete(from);
    this.files.set(to, data);
    return Promise.resolve();
  }

  treeBytes(root: string): Promise<number> {
    const below = [...this.files].filter(([file]) => file === root || file.startsWith(`${root}/`));
    return Promise.resolve(below.reduce((sum, [, data]) => sum + data.length, 0));
  }

  processes(): Promise<HostProcess[]> {
    return Promise.resolve(this.running.map((p) => ({ pid: p.pid, argv: [...p.argv] })));
  }

  freePort(): Promise<number> {
    return Promise.resolve(this.nextPort++);
  }

  listenLoopback(_onConnection: (stream: Duplex) => void): Promise<LoopbackListener> {
    return Promise.reject(new Error('memory runtime: no network'));
  }

  /** A path with a symlinked directory in it, resolved (parent links of pre-dump rounds). */
  private resolve(file: string): string {
    for (const [link, target] of this.links) {
      if (file.startsWith(`${link}/`)) return path.join(path.resolve(path.dirname(link), target), file.slice(link.length + 1));
    }
    return file;
  }
}
