// A client of HAProxy's admin socket over a HostRuntime, so the same code drives a front on
// this machine or over SSH: socat connects to the unix socket on the front's host, the command
// goes on its stdin (never on a command line), the answer comes back on its stdout.
import { adminLine, answerProblem, type AdminCommand } from '../policy/front-commands';
import { CommandError, type ExecOptions } from './exec';
import type { HostRuntime } from './host-runtime';

/** The socket's path is one word of socat's address grammar: no ",", ":", "!" or spaces. */
const SOCKET_PATH = /^(\/[A-Za-z0-9_.-]+)+$/;

/** socat gives up this long after its stdin ended if HAProxy has not closed (it closes once it has answered). */
const ANSWER_SECONDS = 10;

/** HAProxy answered, refusing the command; `reason` is its own text. */
export class HaproxyRefused extends Error {
  constructor(
    readonly front: string,
    readonly command: string,
    readonly reason: string,
  ) {
    super(`front ${front}: HAProxy refused "${command}": ${reason}`);
    this.name = 'HaproxyRefused';
  }
}

/** Nothing answered on the admin socket (HAProxy down, the socket elsewhere, socat missing). */
export class AdminSocketDown extends Error {
  constructor(
    readonly front: string,
    readonly socket: string,
    readonly detail: string,
  ) {
    super(`front ${front} does not answer on its admin socket ${socket}: ${detail}`);
    this.name = 'AdminSocketDown';
  }
}

export interface HaproxyAdminOptions {
  /** Names the front in errors. */
  front: string;
  socket: string;
  socat: string;
}

export class HaproxyAdmin {
  constructor(
    private readonly rt: HostRuntime,
    private readonly options: HaproxyAdminOptions,
  ) {
    if (!SOCKET_PATH.test(options.socket)) throw new Error(`front ${options.front}: admin socket path ${JSON.stringify(options.socket)} is not a plain absolute path`);
  }

  /** Sends one command; resolves with HAProxy's answer, rejects with HaproxyRefused or AdminSocketDown. */
  async send(command: AdminCommand, options: ExecOptions = {}): Promise<string> {
    const line = adminLine(command);
    const { front, socket, socat } = this.options;
    // Numbered severities make an error tell from an answer (answerProblem).
    const input = `set severity-output number; ${line}\n`;
    const args = ['-t', String(ANSWER_SECONDS), 'stdio', `UNIX-CONNECT:${socket}`];
    let result;
    try {
      result = await this.rt.execute(socat, args, { timeoutMs: (ANSWER_SECONDS + 5) * 1000, ...options, input });
    } catch (err) {
      if (err instanceof CommandError) throw new AdminSocketDown(front, socket, err.message);
      throw err;
    }
    if (options.signal?.aborted) throw new Error('cancelled');
    if (result.code !== 0) {
      const why = result.code === 127 ? `${socat} is not there (Debian's socat package)` : (result.stderr.trim() || `socat exited with ${result.code ?? result.signal}`);
      throw new AdminSocketDown(front, socket, why.split('\n').slice(-1)[0]);
    }
    const problem = answerProblem(result.stdout);
    if (problem) throw new HaproxyRefused(front, line, problem);
    return result.stdout;
  }
}
