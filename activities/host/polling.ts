// Waiting on something another process does (a daemon ready, a dump ended).

/** Polls `ready` every 100 ms until it says true; it throws to give up. */
export async function until(ready: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  while (!(await ready())) {
    if (signal.aborted) throw new Error('cancelled');
    await new Promise((r) => setTimeout(r, 100));
  }
}
