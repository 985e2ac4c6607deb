// Waiting on something another process does (a daemon ready, a dump ended).

/** Polls `ready` every `intervalMs` until it says true; it throws to give up. */
export async function until(ready: () => Promise<boolean>, signal: AbortSignal, intervalMs = 100): Promise<void> {
  while (!(await ready())) {
    if (signal.aborted) throw new Error('cancelled');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * How often a step of the freeze-to-running path looks for the one before it on its host,
 * or for a daemon it started to be ready (post-copy's dump, the lazy-pages daemon): every
 * wait here is downtime, and the look is a file read.
 */
export const READY_POLL_MS = 10;

/** A `whenReady` step's wait (policy/host-contract/refs.ts): until `ready`, honouring cancellation. */
export function whenReady(ready: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  return until(ready, signal, READY_POLL_MS);
}
