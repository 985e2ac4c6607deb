// Commands an earlier attempt of a step left running. A worker killed mid-step does not take
// its children with it: the runc checkpoint or restore it started goes on, and a retry or a
// rollback that acted beside it could resume a container CRIU is about to re-freeze, or
// remove a target copy a restore is about to start. So steps that touch a run's container
// first wait for those commands to end, and stop stray copies (safe to kill: they only copy).
import path from 'node:path';
import type { HostProcess, HostRuntime } from './host-runtime';
import { mentions } from './daemon';

export interface StragglerSpec {
  /** Programs whose leftover runs matter, by file name (`runc`, `rsync`). */
  programs: readonly string[];
  /** Paths only this run's commands mention. */
  paths: readonly string[];
}

/** Running commands of one of `programs` that mention one of `paths`, ours excluded. */
export function findStragglers(processes: readonly HostProcess[], spec: StragglerSpec, self = process.pid): HostProcess[] {
  return processes.filter(
    (p) => p.pid !== self && spec.programs.includes(path.basename(p.argv[0] ?? '')) && spec.paths.some((dir) => mentions(p.argv, dir)),
  );
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until no straggler of `spec` runs. `onWait` hears about each one once (for the
 * log). Gives up only when `signal` aborts: a CRIU stopped halfway can crash the container.
 */
export async function awaitStragglers(
  rt: HostRuntime,
  spec: StragglerSpec,
  signal: AbortSignal,
  onWait: (p: HostProcess) => void = () => undefined,
): Promise<void> {
  const told = new Set<number>();
  for (;;) {
    const left = findStragglers(await rt.processes(), spec);
    if (left.length === 0) return;
    for (const p of left.filter((p) => !told.has(p.pid))) {
      told.add(p.pid);
      onWait(p);
    }
    if (signal.aborted) throw new Error(`cancelled while waiting for ${left.map((p) => `${path.basename(p.argv[0])} (pid ${p.pid})`).join(', ')} from an earlier attempt`);
    await pause(200);
  }
}

/** Kills stragglers of `spec` (copies: the next push starts over where files stand). */
export async function killStragglers(rt: HostRuntime, spec: StragglerSpec): Promise<HostProcess[]> {
  const left = findStragglers(await rt.processes(), spec);
  for (const p of left) await rt.execute('kill', ['-KILL', String(p.pid)]);
  return left;
}
