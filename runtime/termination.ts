// How a command that overstays its timeout or is cancelled is ended, by every way of running
// one (local, over SSH, through the remote executor): TERM, then KILL after a grace period.

export type StopSignal = 'TERM' | 'KILL';

export interface TerminationOptions {
  /** Aborting sends TERM, then KILL after `killGraceMs`. */
  signal?: AbortSignal;
  timeoutMs?: number;
  killGraceMs?: number;
}

/**
 * Arms the timeout and the abort signal of `options` to stop a command with `kill`.
 * Returns the disarm, to call once the command has ended.
 */
export function armTermination(options: TerminationOptions, kill: (signal: StopSignal) => void): () => void {
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = () => {
    kill('TERM');
    killTimer = setTimeout(() => kill('KILL'), options.killGraceMs ?? 5000);
  };
  const timeout = options.timeoutMs ? setTimeout(terminate, options.timeoutMs) : undefined;
  options.signal?.addEventListener('abort', terminate, { once: true });
  return () => {
    clearTimeout(timeout);
    clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', terminate);
  };
}
