import type { HostRuntime } from './host-runtime';

/**
 * Memory charged to the cgroup of process `pid` (cgroup v1 memory controller or v2),
 * or 0 when it cannot be read: it guides planning and is never a reason to fail.
 */
export async function cgroupMemoryBytes(rt: HostRuntime, pid: number): Promise<number> {
  try {
    const lines = (await rt.readFile(`/proc/${pid}/cgroup`)).toString('utf8').trim().split('\n');
    for (const line of lines) {
      const [, controllers, cgPath] = line.split(':');
      if (controllers.split(',').includes('memory')) {
        return Number((await rt.readFile(`/sys/fs/cgroup/memory${cgPath}/memory.usage_in_bytes`)).toString('utf8').trim());
      }
    }
    const unified = lines.find((l) => l.startsWith('0::'));
    if (unified) return Number((await rt.readFile(`/sys/fs/cgroup${unified.slice(3)}/memory.current`)).toString('utf8').trim());
  } catch {
    // fall through
  }
  return 0;
}
