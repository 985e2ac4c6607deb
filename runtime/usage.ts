// How loaded a host and its containers are, read from /proc and the containers' cgroups.
// Parsers are pure (unit-tested); readers never fail the caller: a value that cannot be read
// counts as zero, since it only guides rebalancing.
import type { HostRuntime } from './host-runtime';

/** `/proc/meminfo`: total and available memory, in bytes. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') };
}

/** `/proc/stat`: jiffies spent busy and in total over all CPUs since boot, and the CPU count. */
export function parseProcStat(text: string): { busy: number; total: number; cpus: number } {
  const lines = text.split('\n');
  const all = (lines.find((l) => l.startsWith('cpu ')) ?? 'cpu').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = all.slice(0, 8).reduce((sum, v) => sum + v, 0);
  const idle = (all[3] ?? 0) + (all[4] ?? 0);
  return { busy: total - idle, total, cpus: lines.filter((l) => /^cpu\d+\s/.test(l)).length };
}

/** The cgroup paths of a process: per v1 controller, and the unified (v2) one. */
export function parseProcCgroup(text: string): { v1: Map<string, string>; unified: string | null } {
  const v1 = new Map<string, string>();
  let unified: string | null = null;
  for (const line of text.trim().split('\n')) {
    const [id, controllers, cgPath] = line.split(':');
    if (id === '0' && controllers === '') unified = cgPath;
    else for (const c of controllers.split(',')) if (c) v1.set(c, cgPath);
  }
  return { v1, unified };
}

const readNumber = async (rt: HostRuntime, file: string) => Number((await rt.readFile(file)).toString('utf8').trim().split(/\s+/)[0]);

/** CPU time the process's cgroup has used, in nanoseconds; null when unreadable. */
export async function cgroupCpuNanos(rt: HostRuntime, pid: number): Promise<number | null> {
  try {
    const { v1, unified } = parseProcCgroup((await rt.readFile(`/proc/${pid}/cgroup`)).toString('utf8'));
    const acct = v1.get('cpuacct');
    if (acct !== undefined) return await readNumber(rt, `/sys/fs/cgroup/cpuacct${acct}/cpuacct.usage`);
    if (unified !== null) {
      const stat = (await rt.readFile(`/sys/fs/cgroup${unified}/cpu.stat`)).toString('utf8');
      const usec = /^usage_usec (\d+)/m.exec(stat)?.[1];
      return usec === undefined ? null : Number(usec) * 1000;
    }
  } catch {
    // gone, or no such controller
  }
  return null;
}
