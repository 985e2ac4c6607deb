// The one place Godwit starts programs. Every external command goes through `execute`,
// which always passes an argument array (never a shell string), so no input can be
// reinterpreted by a shell.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { armTermination, type TerminationOptions } from './termination';

export interface ExecOptions extends TerminationOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * `capture` pipes stdout/stderr back; `null` connects all three to /dev/null, which is what
   * a detached container needs (CRIU cannot dump a process whose stdio is our pipe).
   */
  stdio?: 'capture' | 'null';
  /** Written to the program's stdin, which is then closed (CNI plugins read their config there). */
  input?: string;
  /** Called for every line of output as it arrives (for heartbeats and progress). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: ExecResult,
    reason?: string,
  ) {
    const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-8).join('\n');
    const status = reason ?? (result.signal ? `killed by ${result.signal}` : `exited with ${result.code}`);
    super(`${command} ${args.join(' ')}: ${status}${tail ? `\n${tail}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Output kept per stream; the tail is what explains a failure. */
const MAX_CAPTURE = 1 << 20;

function appendCapped(buffer: string, chunk: string): string {
  const next = buffer + chunk;
  return next.length > MAX_CAPTURE ? next.slice(next.length - MAX_CAPTURE) : next;
}

/**
 * Collects a command's output, capped, and hands complete lines to `onLine` as they arrive.
 * Shared by local and remote (SSH) commands.
 */
export class OutputCollector {
  stdout = '';
  stderr = '';
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly onLine?: ExecOptions['onLine']) {}

  push(stream: 'stdout' | 'stderr', text: string): void {
    if (stream === 'stdout') this.stdout = appendCapped(this.stdout, text);
    else this.stderr = appendCapped(this.stderr, text);
    if (!this.onLine) return;
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.onLine(line, stream);
  }

  /** The last line of each stream, if it did not end with a newline. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.onLine && this.partial[stream]) this.onLine(this.partial[stream], stream);
      this.partial[stream] = '';
    }
  }
}

/**
 * With GODWIT_TRACE_COMMANDS set to a file, every command is appended to it with its start
 * and duration: where a step's time goes, for a profile of the critical path.
 */
const TRACE_FILE = process.env.GODWIT_TRACE_COMMANDS;

function trace(startedAt: number, command: string, args: readonly string[]): void {
  if (TRACE_FILE) appendFileSync(TRACE_FILE, `${new Date(startedAt).toISOString()} ${process.pid} ${Date.now() - startedAt}ms ${[command, ...args].join(' ').slice(0, 200)}\n`);
}

/** Runs `command` with `args` and resolves with its output whatever the exit code. */
export function execute(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new CommandError(command, args, { code: null, signal: null, stdout: '', stderr: '' }, 'aborted before start'));
      return;
    }
    const startedAt = Date.now();
    const child = spawn(command, [...args], {
      shell: false,
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.stdio === 'null' ? ['ignore', 'ignore', 'ignore'] : [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined); // a program that exits without reading: its exit code says why
    child.stdin?.end(options.input);
    const output = new OutputCollector(options.onLine);
    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => output.push(stream, chunk.toString('utf8'));
    child.stdout?.on('data', onData('stdout'));
    child.stderr?.on('data', onData('stderr'));

    const disarm = armTermination(options, (signal) => child.kill(`SIG${signal}`));

    child.on('error', (err) => {
      disarm();
      reject(new CommandError(command, args, { code: null, signal: null, stdout: output.stdout, stderr: `${output.stderr}${err.message}` }, `could not start: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      disarm();
      trace(startedAt, command, args);
      output.flush();
      resolve({ code, signal, stdout: output.stdout, stderr: output.stderr });
    });
  });
}

/** Runs `command` and fails with a `CommandError` unless it exits 0. */
export async function executeOk(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await execute(command, args, options);
  if (result.code !== 0) throw new CommandError(command, args, result, options.signal?.aborted ? 'cancelled' : undefined);
  return result;
}

/**
 * Starts a long-lived program in its own session, detached from us, with its output
 * appended to `logFile`. Returns its pid. Used for the lab's servers and workers.
 */
export function spawnDaemon(command: string, args: readonly string[], options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): number {
  const out = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, [...args], {
      shell: false,
      detached: true,
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}
