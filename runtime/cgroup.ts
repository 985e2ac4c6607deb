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

/**
 * The processes in the freezer cgroup of process `pid`: the ones `runc pause` froze with it.
 * Where runc looks: v2's unified hierarchy when /sys/fs/cgroup is one (runc's own test), else
 * cgroup v1's freezer controller (a host with both has the unified one beside v1's, unused).
 */
export async function frozenTogether(rt: HostRuntime, pid: number): Promise<number[]> {
  const lines = (await rt.readFile(`/proc/${pid}/cgroup`)).toString('utf8').trim().split('\n');
  const pureV2 = await rt.exists('/sys/fs/cgroup/cgroup.controllers');
  const v1 = pureV2 ? undefined : lines.map((l) => l.split(':')).find(([, controllers]) => controllers.split(',').includes('freezer'));
  const unified = lines.find((l) => l.startsWith('0::'));
  const dir = v1 ? `/sys/fs/cgroup/freezer${v1[2]}` : unified ? `/sys/fs/cgroup${unified.slice(3)}` : null;
  if (dir === null) throw new Error(`process ${pid} is in no freezer cgroup`);
  const procs = (await rt.readFile(`${dir}/cgroup.procs`)).toString('utf8');
  return procs.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
}
