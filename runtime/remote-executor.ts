// The worker's end of the remote executor (runtime/executor-program.ts): many commands at once
// over one pair of streams (an SSH channel, or a local perl's pipes in tests), each with the
// semantics of `execute` in runtime/exec.ts: resolves whatever the exit code, TERM then KILL
// on abort or timeout, lines to `onLine` as they come.
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { addedEnvironment } from './added-environment';
import { CommandError, OutputCollector, type ExecOptions, type ExecResult } from './exec';
import { armTermination, type StopSignal } from './termination';
import { encodeRequest, ReplyReader, type ExecutorReply } from './executor-protocol';

export interface ExecutorStreams {
  /** The executor's stdin. */
  requests: Writable;
  /** The executor's stdout. */
  replies: Readable;
}

export interface ExecutorCommand {
  argv: readonly string[];
  cwd?: string;
  /** Added to the executor's environment (already only what differs from ours). */
  env?: readonly (readonly [string, string])[];
  input?: string | Buffer;
  quiet?: boolean;
}

export interface CommandSink {
  onStarted?: (pid: number) => void;
  onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void;
}

export type CommandEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  /** Never started: no pipe or no fork on the host. */
  | { kind: 'failed'; reason: string }
  /** The executor went away first: the command's fate is unknown. */
  | { kind: 'lost'; reason: string };

export interface RunningCommand {
  /** Settles when the command has exited and its output has ended, or the executor is gone. */
  end: Promise<CommandEnd>;
  /** Signals the program on the host (nothing once it has exited). */
  kill(signal: StopSignal): void;
}

interface Outstanding {
  sink: CommandSink;
  settle: (end: CommandEnd) => void;
}

export class RemoteExecutor {
  private readonly outstanding = new Map<number, Outstanding>();
  private nextId = 1;
  private lostReason: string | null = null;
  private greeted!: (pid: number) => void;
  private notGreeted!: (reason: Error) => void;
  /** The executor's pid, once it has said hello; rejects if it goes away before. */
  readonly hello: Promise<number>;

  /** `where` names the host for messages. */
  constructor(
    private readonly streams: ExecutorStreams,
    private readonly where: string,
  ) {
    this.hello = new Promise<number>((resolve, reject) => {
      this.greeted = resolve;
      this.notGreeted = reject;
    });
    this.hello.catch(() => undefined); // whoever starts the executor waits for it; others may not
    const reader = new ReplyReader();
    streams.replies.on('data', (chunk: Buffer) => {
      for (const reply of reader.push(chunk)) this.dispatch(reply);
    });
    streams.replies.once('end', () => this.lose(`the executor on ${where} ended`));
    streams.replies.once('close', () => this.lose(`the executor on ${where} went away`));
    streams.replies.on('error', (err: Error) => this.lose(`the executor on ${where} failed: ${err.message}`));
    streams.requests.on('error', (err: Error) => this.lose(`the executor on ${where} stopped taking commands: ${err.message}`));
  }

  /** Whether commands can still be started (the executor has not gone away). */
  get usable(): boolean {
    return this.lostReason === null;
  }

  /**
   * Settles every outstanding command as lost: the stream closed, so whether each one is
   * still running on the host is unknown (it is not killed: a retry looks for it).
   */
  lose(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    this.notGreeted(new Error(reason));
    for (const [id, command] of this.outstanding) {
      this.outstanding.delete(id);
      command.settle({ kind: 'lost', reason });
    }
  }

  /** Ends the executor's stdin: it exits, leaving running commands alone. */
  close(reason = `the executor on ${this.where} was closed`): void {
    this.lose(reason);
    this.streams.requests.end();
  }

  run(command: ExecutorCommand, sink: CommandSink): RunningCommand {
    const id = this.nextId++;
    const input = command.input === undefined ? null : Buffer.from(command.input);
    // Throws here, before anything is sent, for what no program could receive (a NUL).
    const request = encodeRequest({ kind: 'run', id, cwd: command.cwd ?? '', quiet: command.quiet ?? false, input, env: command.env ?? [], argv: command.argv });
    let settled = false;
    const end = new Promise<CommandEnd>((resolve) => {
      if (this.lostReason !== null) return resolve({ kind: 'lost', reason: this.lostReason });
      this.outstanding.set(id, {
        sink,
        settle: (how) => {
          settled = true;
          resolve(how);
        },
      });
      this.streams.requests.write(request);
    });
    return {
      end,
      kill: (signal) => {
        if (!settled && this.lostReason === null) this.streams.requests.write(encodeRequest({ kind: 'kill', id, signal }));
      },
    };
  }

  /** `execute` of runtime/exec.ts, on the executor's host. */
  async execute(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (options.signal?.aborted) throw new CommandError(command, args, { code: null, signal: null, stdout: '', stderr: '' }, 'aborted before start');
    const output = new OutputCollector(options.onLine);
    // A multi-byte character may be split between two chunks.
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const running = this.run(
      { argv: [command, ...args], cwd: options.cwd, env: addedEnvironment(options.env), input: options.input, quiet: options.stdio === 'null' },
      { onOutput: (stream, data) => output.push(stream, decoders[stream].write(data)) },
    );

    const disarm = armTermination(options, (signal) => running.kill(signal));
    const end = await running.end;
    disarm();

    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = decoders[stream].end();
      if (rest) output.push(stream, rest);
    }
    if (end.kind === 'failed') {
      throw new CommandError(command, args, { code: null, signal: null, stdout: output.stdout, stderr: `${output.stderr}${end.reason}` }, `could not start: ${end.reason}`);
    }
    // Lost: like a channel that closed before the exit status, no code; the reason goes to stderr.
    if (end.kind === 'lost') output.push('stderr', `${output.stderr && !output.stderr.endsWith('\n') ? '\n' : ''}godwit: ${end.reason} before ${command} finished\n`);
    output.flush();
    return end.kind === 'exit' ? { code: end.code, signal: end.signal, stdout: output.stdout, stderr: output.stderr } : { code: null, signal: null, stdout: output.stdout, stderr: output.stderr };
  }

  private dispatch(reply: ExecutorReply): void {
    if (reply.kind === 'hello') return this.greeted(reply.pid);
    const command = this.outstanding.get(reply.id);
    if (!command) return;
    switch (reply.kind) {
      case 'started':
        command.sink.onStarted?.(reply.pid);
        return;
      case 'output':
        command.sink.onOutput(reply.stream, reply.data);
        return;
      case 'exit':
        this.outstanding.delete(reply.id);
        command.settle({ kind: 'exit', code: reply.code, signal: reply.signal === null ? null : (`SIG${reply.signal}` as NodeJS.Signals) });
        return;
      case 'failed':
        this.outstanding.delete(reply.id);
        command.settle({ kind: 'failed', reason: reply.reason });
        return;
    }
  }
}
