import { readFileSync } from 'node:fs';

/** Whether `pid` is alive and its command line contains `marker` (pids get reused). */
export function processAlive(pid: number | null, marker: string): boolean {
  if (pid === null) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopProcess(pid: number | null, marker: string, graceMs = 10_000): Promise<void> {
  if (!processAlive(pid, marker) || pid === null) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid, marker)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (processAlive(pid, marker)) process.kill(pid, 'SIGKILL');
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
}
