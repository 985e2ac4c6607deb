// Starts the remote executor (runtime/executor-program.ts) on an SSH connection: one exec
// channel running `perl -e PROGRAM`, kept open for every later command, so each one costs a
// frame each way instead of a session and a shell (~120 ms in the lab).
import type { Client, ClientChannel } from 'ssh2';
import { EXECUTOR_PROGRAM } from './executor-program';
import { RemoteExecutor } from './remote-executor';
import { quoteCommand } from './shell-quote';

/** Perl starts in tens of milliseconds; a host that takes this long has no usable one. */
export const EXECUTOR_HELLO_MS = 5000;

/** Why the executor could not start on a host (e.g. no perl there). */
export class ExecutorUnavailable extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`the remote executor did not start on host ${host}: ${reason}`);
    this.name = 'ExecutorUnavailable';
  }
}

/** What the channel printed on stderr, capped: it says why perl did not start. */
const STDERR_KEPT = 4096;

export async function startSshExecutor(client: Client, options: { host: string; perl: string; helloMs?: number }): Promise<RemoteExecutor> {
  const { host } = options;
  const line = quoteCommand(options.perl, ['-e', EXECUTOR_PROGRAM]);
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.exec(line, (err, ch) => (err ? reject(new ExecutorUnavailable(host, `no channel for it: ${err.message}`)) : resolve(ch))),
  );
  let stderr = '';
  channel.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)));
  let exit = '';
  channel.on('exit', (code: number | null, signal?: string) => (exit = signal ? `killed by SIG${signal}` : `exited with ${code}`));
  const closed = new Promise<void>((resolve) => channel.once('close', resolve));
  // It settles what is outstanding when the channel ends or closes (a dropped connection closes it).
  const executor = new RemoteExecutor({ requests: channel, replies: channel }, `host ${host}`);

  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no hello within ${(options.helloMs ?? EXECUTOR_HELLO_MS) / 1000}s`)), options.helloMs ?? EXECUTOR_HELLO_MS);
  });
  try {
    await Promise.race([executor.hello, late]);
    return executor;
  } catch (err) {
    // The exit status and the last of stderr may come just after the end of stdout.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    channel.close();
    // The shell's own words, e.g. "sh: 1: perl: not found", and its exit code say the most.
    const said = [stderr.trim(), exit].filter(Boolean).join(', ');
    throw new ExecutorUnavailable(host, `${options.perl} -e: ${said || (err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
